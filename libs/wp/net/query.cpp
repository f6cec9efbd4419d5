#include "query.hpp"

#include <algorithm>

#include <wp/core/hex.hpp>

namespace wp::net {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Quotes a user-supplied value for a message: at most 64 bytes, non-printable bytes as '?'.
std::string shown(std::string_view v) {
    std::string out;
    const std::size_t n = std::min<std::size_t>(v.size(), 64);
    out.reserve(n + 3);
    for (std::size_t i = 0; i < n; ++i) {
        const auto u = static_cast<unsigned char>(v[i]);
        out.push_back(u >= 0x20 && u < 0x7f ? v[i] : '?');
    }
    if (v.size() > n) out += "...";
    return out;
}

}  // namespace

Error query_param_error(std::string_view name, std::string_view rule) {
    return Error{Errc::kInvalidArgument, "query parameter '" + shown(name) + "': " + std::string(rule)};
}

namespace {
// Decodes into `out`; on a malformed escape returns false and sets `bad` to its offset in `text`.
bool decode_into(std::string_view text, bool plus_is_space, std::string& out, std::size_t& bad) {
    out.clear();
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
            const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                bad = i;
                return false;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return true;
}
}  // namespace

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    std::size_t bad = 0;
    if (!decode_into(text, plus_is_space, out, bad))
        return make_error(Errc::kInvalidArgument, "malformed percent escape at offset " + std::to_string(bad));
    return out;
}

Result<QueryParams> QueryParams::parse(std::string_view query) {
    QueryParams q;
    std::size_t pos = 0;
    while (pos <= query.size()) {
        const auto amp = std::min(query.find('&', pos), query.size());
        const std::string_view pair = query.substr(pos, amp - pos);
        const std::size_t pair_offset = pos;
        pos = amp + 1;
        if (pair.empty()) continue;
        if (q.items_.size() == kMaxQueryParams)
            return make_error(Errc::kInvalidArgument,
                              "query: more than " + std::to_string(kMaxQueryParams) + " parameters");
        const auto eq = pair.find('=');
        const std::string_view raw_name = pair.substr(0, eq);
        const std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        std::string name;
        std::string value;
        std::size_t bad = 0;
        if (!decode_into(raw_name, true, name, bad))
            return make_error(Errc::kInvalidArgument,
                              "query: malformed percent escape at offset " + std::to_string(pair_offset + bad));
        if (!decode_into(raw_value, true, value, bad))
            return make_error(query_param_error(
                name, "malformed percent escape at offset " + std::to_string(pair_offset + raw_name.size() + 1 + bad)));
        if (name.empty())
            return make_error(Errc::kInvalidArgument,
                              "query: empty parameter name at offset " + std::to_string(pair_offset));
        if (q.get(name)) return make_error(query_param_error(name, "given twice"));
        q.items_.emplace_back(std::move(name), std::move(value));
    }
    return q;
}

std::optional<std::string_view> QueryParams::get(std::string_view name) const {
    for (const auto& [k, v] : items_)
        if (k == name) return std::string_view(v);
    return std::nullopt;
}

Result<std::string_view> QueryParams::require(std::string_view name) const {
    auto v = get(name);
    if (!v) return make_error(query_param_error(name, "is required"));
    return *v;
}

Result<void> QueryParams::reject_unknown(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : items_)
        if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end())
            return make_error(query_param_error(k, "unknown parameter"));
    return {};
}

Result<std::optional<std::uint64_t>> QueryParams::u64(std::string_view name, std::uint64_t min,
                                                      std::uint64_t max) const {
    auto v = get(name);
    if (!v) return std::optional<std::uint64_t>{};
    auto fail = [&] {
        const std::string rule =
            max == UINT64_MAX && min == 0 ? "must be a non-negative integer"
            : max == UINT64_MAX           ? "must be an integer of at least " + std::to_string(min)
                                : "must be an integer between " + std::to_string(min) + " and " + std::to_string(max);
        return make_error(query_param_error(name, rule + ", got '" + shown(*v) + "'"));
    };
    if (v->empty() || v->size() > 20 || (v->size() > 1 && v->front() == '0')) return fail();
    std::uint64_t value = 0;
    for (char c : *v) {
        if (c < '0' || c > '9') return fail();
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - d) / 10) return fail();
        value = value * 10 + d;
    }
    if (value < min || value > max) return fail();
    return std::optional<std::uint64_t>{value};
}

Result<std::uint64_t> QueryParams::u64_or(std::string_view name, std::uint64_t fallback, std::uint64_t min,
                                          std::uint64_t max) const {
    WP_TRY(auto v, u64(name, min, max));
    return v.value_or(fallback);
}

Result<std::optional<bool>> QueryParams::boolean(std::string_view name) const {
    auto v = get(name);
    if (!v) return std::optional<bool>{};
    if (*v == "true") return std::optional<bool>{true};
    if (*v == "false") return std::optional<bool>{false};
    return make_error(query_param_error(name, "must be true or false, got '" + shown(*v) + "'"));
}

Result<std::optional<std::string_view>> QueryParams::one_of(std::string_view name,
                                                            std::initializer_list<std::string_view> allowed) const {
    auto v = get(name);
    if (!v) return std::optional<std::string_view>{};
    for (auto a : allowed)
        if (a == *v) return std::optional<std::string_view>{*v};
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return make_error(query_param_error(name, "must be one of " + list + ", got '" + shown(*v) + "'"));
}

Result<std::optional<Address>> QueryParams::address(std::string_view name) const {
    auto v = get(name);
    if (!v) return std::optional<Address>{};
    auto a = Address::parse(*v);
    if (!a)
        return make_error(query_param_error(
            name, "must be a 0x-prefixed 20-byte address (" + a.error().message + "), got '" + shown(*v) + "'"));
    return std::optional<Address>{*a};
}

Result<std::optional<Bytes32>> QueryParams::bytes32(std::string_view name) const {
    auto v = get(name);
    if (!v) return std::optional<Bytes32>{};
    auto b = bytes32_from_hex(*v);
    if (!b)
        return make_error(query_param_error(
            name, "must be 0x-prefixed 32-byte hex (" + b.error().message + "), got '" + shown(*v) + "'"));
    return std::optional<Bytes32>{*b};
}

}  // namespace wp::net
