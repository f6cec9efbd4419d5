#include "order_input.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/net/json_body.hpp>

namespace wp::market {
namespace json = boost::json;
namespace {

constexpr std::uint64_t kJsMaxSafeInteger = 9007199254740991ULL;  // 2^53 - 1

std::string print_value(const json::value& v) {
    std::string s = json::serialize(v);
    if (s.size() > 100) s = s.substr(0, 97) + "...";
    return s;
}

Error field_error(const std::string& path, std::string_view rule) {
    return Error{Errc::kInvalidArgument, path + " " + std::string(rule)};
}

Error nan_error(const std::string& path, const json::value& v) {
    const std::string head = path + " must be a `number` type, but the final value was: ";
    if (v.is_null()) return Error{Errc::kInvalidArgument, head + "`null`."};
    return Error{Errc::kInvalidArgument, head + "`NaN` (cast from the value `" + print_value(v) + "`)."};
}

Error min_error(const std::string& path, std::uint64_t min) {
    return field_error(path, "must be greater than or equal to " + std::to_string(min));
}

// A JavaScript-like numeric string after whitespace removal: optional sign, digits, optional fraction, optional
// exponent. Returns nullopt when the text is not such a number.
struct DecimalText {
    bool negative{false};
    std::string int_digits;
    std::string frac_digits;
    bool has_exponent{false};
};

std::optional<DecimalText> split_decimal(std::string_view s) {
    DecimalText out;
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) out.negative = s[i++] == '-';
    const std::size_t int_start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
    out.int_digits = std::string(s.substr(int_start, i - int_start));
    if (i < s.size() && s[i] == '.') {
        const std::size_t f = ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
        out.frac_digits = std::string(s.substr(f, i - f));
    }
    if (out.int_digits.empty() && out.frac_digits.empty()) return std::nullopt;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        out.has_exponent = true;
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        const std::size_t e = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
        if (i == e) return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    return out;
}

// The integral double d (already known finite) checked against the rules.
Result<U256> from_double(const std::string& path, double d, std::uint64_t min) {
    if (d != std::floor(d)) return make_error(field_error(path, "must be an integer"));
    if (d < static_cast<double>(min)) return make_error(min_error(path, min));
    if (d > static_cast<double>(kJsMaxSafeInteger))
        return make_error(field_error(path,
                                      "must be an exact integer: send values above 9007199254740991 as "
                                      "decimal strings"));
    return U256(static_cast<std::uint64_t>(d));
}

Result<U256> parse_number(const std::string& path, const json::value& v, std::uint64_t min) {
    if (v.is_uint64()) {
        const std::uint64_t n = v.get_uint64();
        if (n < min) return make_error(min_error(path, min));
        return U256(n);
    }
    if (v.is_int64()) {
        const std::int64_t n = v.get_int64();
        if (n < 0 || static_cast<std::uint64_t>(n) < min) return make_error(min_error(path, min));
        return U256(static_cast<std::uint64_t>(n));
    }
    if (v.is_double()) {
        const double d = v.get_double();
        if (!std::isfinite(d)) return make_error(nan_error(path, v));
        return from_double(path, d, min);
    }
    if (!v.is_string()) return make_error(nan_error(path, v));
    std::string text;
    for (char c : v.get_string())
        if (std::isspace(static_cast<unsigned char>(c)) == 0) text.push_back(c);
    if (text.empty()) return make_error(nan_error(path, v));
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        std::string digits = text.substr(2);
        std::size_t nz = digits.find_first_not_of('0');
        digits = nz == std::string::npos ? "0" : digits.substr(nz);
        for (char c : digits)
            if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return make_error(nan_error(path, v));
        if (digits.size() > 64)
            return make_error(field_error(path, "must be less than or equal to " + U256::max().to_dec()));
        auto n = U256::from_hex("0x" + digits);
        if (!n) return make_error(nan_error(path, v));
        if (*n < U256(min)) return make_error(min_error(path, min));
        return *n;
    }
    auto dec = split_decimal(text);
    if (!dec) return make_error(nan_error(path, v));
    if (dec->has_exponent || dec->frac_digits.find_first_not_of('0') != std::string::npos) {
        // A fraction or an exponent: JavaScript's Number() semantics, through a double.
        const double d = std::strtod(text.c_str(), nullptr);
        if (!std::isfinite(d)) return make_error(nan_error(path, v));
        return from_double(path, d, min);
    }
    std::string digits = dec->int_digits;
    const std::size_t nz = digits.find_first_not_of('0');
    digits = nz == std::string::npos ? "0" : digits.substr(nz);
    if (dec->negative && digits != "0") return make_error(min_error(path, min));
    if (digits.size() > 78)
        return make_error(field_error(path, "must be less than or equal to " + U256::max().to_dec()));
    auto n = U256::from_dec(digits);
    if (!n) return make_error(field_error(path, "must be less than or equal to " + U256::max().to_dec()));
    if (*n < U256(min)) return make_error(min_error(path, min));
    return *n;
}

bool all_hex(std::string_view s) {
    for (char c : s)
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
    return true;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Result<Address> parse_address(const std::string& path, const json::value& v) {
    const auto bad = [&] { return make_error(field_error(path, "is not a valid ethereum address")); };
    if (!v.is_string()) return bad();
    std::string s = lower(std::string_view(v.get_string().data(), v.get_string().size()));
    if (s.size() == 40) s = "0x" + s;
    if (s.size() != 42 || s[0] != '0' || s[1] != 'x' || !all_hex(std::string_view(s).substr(2))) return bad();
    auto a = Address::parse(s);
    if (!a) return bad();
    return *a;
}

Result<Bytes32> parse_bytes32(const std::string& path, const json::value& v) {
    const auto bad = [&] { return make_error(field_error(path, "must be a bytes32 hexstring")); };
    if (!v.is_string()) return bad();
    const std::string s = lower(std::string_view(v.get_string().data(), v.get_string().size()));
    if (s.size() != 66 || s[0] != '0' || s[1] != 'x' || !all_hex(std::string_view(s).substr(2))) return bad();
    auto b = bytes32_from_hex(s);
    if (!b) return bad();
    return *b;
}

Result<Bytes> parse_sign(const std::string& path, const json::value& v) {
    const auto bad = [&] { return make_error(field_error(path, "must be a valid signature")); };
    if (!v.is_string()) return bad();
    const std::string_view s(v.get_string().data(), v.get_string().size());
    if (s.size() < 2 || s[0] != '0' || s[1] != 'x' || s.size() % 2 != 0 || !all_hex(s.substr(2))) return bad();
    auto b = from_hex(lower(s));
    if (!b) return bad();
    return std::move(*b);
}

// Field readers over one order object; each returns the first error in field order.
class FieldReader {
  public:
    FieldReader(const json::object& obj, std::string_view path) : obj_(obj), path_(path) {}

    std::string path_of(std::string_view key) const { return path_ + "." + std::string(key); }

    Result<const json::value*> required(std::string_view key) const {
        const json::value* v = obj_.if_contains(json::string_view(key.data(), key.size()));
        if (v == nullptr) return make_error(field_error(path_of(key), "is a required field"));
        return v;
    }
    Result<Address> address(std::string_view key) const {
        WP_TRY(const json::value* v, required(key));
        return parse_address(path_of(key), *v);
    }
    Result<U256> number(std::string_view key, std::uint64_t min = 0) const {
        WP_TRY(const json::value* v, required(key));
        return parse_number(path_of(key), *v, min);
    }
    Result<Bytes32> bytes32(std::string_view key) const {
        WP_TRY(const json::value* v, required(key));
        return parse_bytes32(path_of(key), *v);
    }
    Result<Bytes> sign(std::string_view key) const {
        WP_TRY(const json::value* v, required(key));
        return parse_sign(path_of(key), *v);
    }
    Result<std::string> optional_string(std::string_view key) const {
        const json::value* v = obj_.if_contains(json::string_view(key.data(), key.size()));
        if (v == nullptr) return std::string();
        if (v->is_string()) return std::string(v->get_string().data(), v->get_string().size());
        if (v->is_number()) return json::serialize(*v);  // the reference's string() casts numbers
        return make_error(
            Errc::kInvalidArgument,
            path_of(key) + " must be a `string` type, but the final value was: `" + print_value(*v) + "`.");
    }

  private:
    const json::object& obj_;
    std::string path_;
};

#define WP_FIELD(dst, expr) WP_TRY(dst, expr)

Result<Order> read_app(const FieldReader& r) {
    AppOrder o;
    WP_FIELD(o.app, r.address("app"));
    WP_FIELD(o.appprice, r.number("appprice"));
    WP_FIELD(o.volume, r.number("volume", 1));
    WP_FIELD(o.tag, r.bytes32("tag"));
    WP_FIELD(o.datasetrestrict, r.address("datasetrestrict"));
    WP_FIELD(o.workerpoolrestrict, r.address("workerpoolrestrict"));
    WP_FIELD(o.requesterrestrict, r.address("requesterrestrict"));
    WP_FIELD(o.salt, r.bytes32("salt"));
    WP_FIELD(o.sign, r.sign("sign"));
    return Order(std::move(o));
}

Result<Order> read_dataset(const FieldReader& r) {
    DatasetOrder o;
    WP_FIELD(o.dataset, r.address("dataset"));
    WP_FIELD(o.datasetprice, r.number("datasetprice"));
    WP_FIELD(o.volume, r.number("volume", 1));
    WP_FIELD(o.tag, r.bytes32("tag"));
    WP_FIELD(o.apprestrict, r.address("apprestrict"));
    WP_FIELD(o.workerpoolrestrict, r.address("workerpoolrestrict"));
    WP_FIELD(o.requesterrestrict, r.address("requesterrestrict"));
    WP_FIELD(o.salt, r.bytes32("salt"));
    WP_FIELD(o.sign, r.sign("sign"));
    return Order(std::move(o));
}

Result<Order> read_workerpool(const FieldReader& r) {
    WorkerpoolOrder o;
    WP_FIELD(o.workerpool, r.address("workerpool"));
    WP_FIELD(o.workerpoolprice, r.number("workerpoolprice"));
    WP_FIELD(o.volume, r.number("volume", 1));
    WP_FIELD(o.tag, r.bytes32("tag"));
    WP_FIELD(o.category, r.number("category"));
    WP_FIELD(o.trust, r.number("trust"));
    WP_FIELD(o.apprestrict, r.address("apprestrict"));
    WP_FIELD(o.datasetrestrict, r.address("datasetrestrict"));
    WP_FIELD(o.requesterrestrict, r.address("requesterrestrict"));
    WP_FIELD(o.salt, r.bytes32("salt"));
    WP_FIELD(o.sign, r.sign("sign"));
    return Order(std::move(o));
}

Result<Order> read_request(const FieldReader& r) {
    RequestOrder o;
    WP_FIELD(o.app, r.address("app"));
    WP_FIELD(o.appmaxprice, r.number("appmaxprice"));
    WP_FIELD(o.dataset, r.address("dataset"));
    WP_FIELD(o.datasetmaxprice, r.number("datasetmaxprice"));
    WP_FIELD(o.workerpool, r.address("workerpool"));
    WP_FIELD(o.workerpoolmaxprice, r.number("workerpoolmaxprice"));
    WP_FIELD(o.requester, r.address("requester"));
    WP_FIELD(o.volume, r.number("volume", 1));
    WP_FIELD(o.tag, r.bytes32("tag"));
    WP_FIELD(o.category, r.number("category"));
    WP_FIELD(o.trust, r.number("trust"));
    WP_FIELD(o.beneficiary, r.address("beneficiary"));
    WP_FIELD(o.callback, r.address("callback"));
    WP_FIELD(o.params, r.optional_string("params"));
    WP_FIELD(o.salt, r.bytes32("salt"));
    WP_FIELD(o.sign, r.sign("sign"));
    return Order(std::move(o));
}

#undef WP_FIELD

Result<json::object> body_object(std::string_view body) {
    WP_TRY(json::value v, net::parse_json_strict(body, net::JsonLimits{kMaxOrderBodyBytes, 32}, "JSON body"));
    if (!v.is_object())
        return make_error(Errc::kInvalidArgument, "JSON body: must be a JSON object, got " + print_value(v));
    return std::move(v.get_object());
}

}  // namespace

Result<Order> parse_signed_order(OrderKind kind, const json::value& order, std::string_view path) {
    if (!order.is_object())
        return make_error(Errc::kInvalidArgument, std::string(path) +
                                                      " must be a `object` type, but the final value "
                                                      "was: `" +
                                                      print_value(order) + "`.");
    const FieldReader r(order.get_object(), path);
    switch (kind) {
        case OrderKind::kApp: return read_app(r);
        case OrderKind::kDataset: return read_dataset(r);
        case OrderKind::kWorkerpool: return read_workerpool(r);
        case OrderKind::kRequest: return read_request(r);
    }
    return make_error(Errc::kInvalidArgument, "unknown order kind");
}

Result<Order> parse_publish_body(OrderKind kind, std::string_view body) {
    auto obj = body_object(body);
    if (!obj) return make_error(Errc::kInvalidArgument, obj.error().message);
    const json::value* order = obj->if_contains("order");
    if (order == nullptr || order->is_null()) return make_error(Errc::kInvalidArgument, "order is a required field");
    return parse_signed_order(kind, *order, "order");
}

std::string_view to_string(UnpublishTarget target) noexcept {
    switch (target) {
        case UnpublishTarget::kOrderHash: return "unpublish_orderHash";
        case UnpublishTarget::kLast: return "unpublish_last";
        case UnpublishTarget::kAll: return "unpublish_all";
    }
    return "unpublish_orderHash";
}

std::string_view unpublish_resource_key(OrderKind kind) noexcept {
    switch (kind) {
        case OrderKind::kApp: return "app";
        case OrderKind::kDataset: return "dataset";
        case OrderKind::kWorkerpool: return "workerpool";
        case OrderKind::kRequest: return "requester";
    }
    return "app";
}

Result<UnpublishRequest> parse_unpublish_body(OrderKind kind, std::string_view body) {
    json::object obj;
    if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        auto parsed = body_object(body);
        if (!parsed) return make_error(Errc::kInvalidArgument, parsed.error().message);
        obj = std::move(*parsed);
    }
    UnpublishRequest out;
    if (const json::value* t = obj.if_contains("target"); t != nullptr && !t->is_null()) {
        const std::string text =
            t->is_string() ? std::string(t->get_string().data(), t->get_string().size()) : json::serialize(*t);
        if (text == "unpublish_orderHash") out.target = UnpublishTarget::kOrderHash;
        else if (text == "unpublish_last") out.target = UnpublishTarget::kLast;
        else if (text == "unpublish_all") out.target = UnpublishTarget::kAll;
        else
            return make_error(Errc::kInvalidArgument,
                              "target must be one of the following values: unpublish_orderHash, unpublish_last, "
                              "unpublish_all");
    }
    if (out.target == UnpublishTarget::kOrderHash) {
        const json::value* h = obj.if_contains("orderHash");
        if (h == nullptr || h->is_null()) return make_error(Errc::kInvalidArgument, "orderHash is a required field");
        WP_TRY(out.order_hash, parse_bytes32("orderHash", *h));
        return out;
    }
    const std::string key(unpublish_resource_key(kind));
    const json::value* r = obj.if_contains(key);
    if (r == nullptr || r->is_null()) return make_error(Errc::kInvalidArgument, key + " is a required field");
    WP_TRY(out.resource, parse_address(key, *r));
    return out;
}

}  // namespace wp::market
