#include "search_params.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include <wp/core/address.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/uint256.hpp>

namespace wp::market {
namespace {

constexpr std::uint64_t kMaxSafeMinusOne = 9007199254740990ULL;  // Number.MAX_SAFE_INTEGER - 1
constexpr std::size_t kMaxEcho = 200;

std::string echo(std::string_view value) { return std::string(value.substr(0, kMaxEcho)); }

Error invalid(std::string message) { return Error{Errc::kInvalidArgument, std::move(message)}; }

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

//! A query string cast as yup number().integer() casts it: the sign and the integer magnitude, or the type /
//! integer error.
struct JsInteger {
    bool negative{false};
    U256 magnitude;
};

Result<JsInteger> js_integer(std::string_view name, std::string_view raw) {
    const std::string n(name);
    std::string s;
    for (char c : raw)
        if (!std::isspace(static_cast<unsigned char>(c))) s.push_back(c);
    std::size_t i = 0;
    JsInteger out;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        out.negative = s[i] == '-';
        ++i;
    }
    const std::size_t int_begin = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    const std::string_view int_part(s.data() + int_begin, i - int_begin);
    std::string_view frac_part;
    if (i < s.size() && s[i] == '.') {
        const std::size_t frac_begin = ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        frac_part = std::string_view(s.data() + frac_begin, i - frac_begin);
    }
    if (i != s.size() || (int_part.empty() && frac_part.empty()))
        return make_error(invalid(n +
                                  " must be a `number` type, but the final value was: `NaN` (cast from the value `\"" +
                                  echo(raw) + "\"`)."));
    if (std::any_of(frac_part.begin(), frac_part.end(), [](char c) { return c != '0'; }))
        return make_error(invalid(n + " must be an integer"));
    if (!int_part.empty()) {
        auto v = U256::from_dec(int_part);
        if (!v) {
            if (out.negative) return make_error(invalid(n + " must be greater than or equal to 0"));
            return make_error(invalid(n + " must be less than or equal to " + U256::max().to_dec()));
        }
        out.magnitude = *v;
    }
    if (out.magnitude.is_zero()) out.negative = false;
    return out;
}

//! yup number().integer().min(min) [.max(max)] on a query string.
Result<U256> integer_value(std::string_view name, std::string_view raw, std::uint64_t min,
                           std::optional<std::uint64_t> max) {
    const std::string n(name);
    WP_TRY(JsInteger v, js_integer(name, raw));
    if (v.negative || v.magnitude < U256(min))
        return make_error(invalid(n + " must be greater than or equal to " + std::to_string(min)));
    if (max && v.magnitude > U256(*max))
        return make_error(invalid(n + " must be less than or equal to " + std::to_string(*max)));
    return v.magnitude;
}

Result<std::optional<U256>> opt_uint(const net::QueryParams& q, std::string_view name, std::uint64_t min) {
    const auto raw = q.get(name);
    if (!raw) return std::optional<U256>{};
    WP_TRY(U256 v, integer_value(name, *raw, min, std::nullopt));
    return std::optional<U256>(v);
}

Result<std::optional<std::uint64_t>> opt_safe_uint(const net::QueryParams& q, std::string_view name, std::uint64_t min,
                                                   std::uint64_t max) {
    const auto raw = q.get(name);
    if (!raw) return std::optional<std::uint64_t>{};
    WP_TRY(U256 v, integer_value(name, *raw, min, max));
    return std::optional<std::uint64_t>(v.low_u64());
}

Result<bool> boolean_value(std::string_view name, std::string_view raw) {
    const std::string l = lower(raw);
    if (l == "true" || l == "1") return true;
    if (l == "false" || l == "0") return false;
    return make_error(
        invalid(std::string(name) + " must be a `boolean` type, but the final value was: `\"" + echo(raw) + "\"`."));
}

Result<bool> opt_bool(const net::QueryParams& q, std::string_view name) {
    const auto raw = q.get(name);
    if (!raw) return false;
    return boolean_value(name, *raw);
}

std::optional<Address> address_value(std::string_view raw) {
    auto a = Address::parse(lower(raw));
    if (!a) return std::nullopt;
    return *a;
}

Result<std::optional<Address>> opt_address(const net::QueryParams& q, std::string_view name) {
    const auto raw = q.get(name);
    if (!raw) return std::optional<Address>{};
    auto a = address_value(*raw);
    if (!a) return make_error(invalid(std::string(name) + " is not a valid ethereum address"));
    return a;
}

Result<std::optional<AddressOrAny>> opt_address_or_any(const net::QueryParams& q, std::string_view name) {
    const auto raw = q.get(name);
    if (!raw) return std::optional<AddressOrAny>{};
    if (*raw == "any") return std::optional<AddressOrAny>(AddressOrAny::any_value());
    auto a = address_value(*raw);
    if (!a) return make_error(invalid(std::string(name) + " is neither \"any\" nor a valid ethereum address"));
    return std::optional<AddressOrAny>(AddressOrAny::of(*a));
}

Result<Bytes32> bytes32_value(std::string_view name, std::string_view raw) {
    const std::string l = lower(raw);
    auto b = l.size() == 66 ? bytes32_from_hex(l) : Result<Bytes32>(make_error(Errc::kInvalidLength, ""));
    if (!b) return make_error(invalid(std::string(name) + " must be a bytes32 hexstring"));
    return *b;
}

Result<std::optional<Bytes32>> opt_bytes32(const net::QueryParams& q, std::string_view name) {
    const auto raw = q.get(name);
    if (!raw) return std::optional<Bytes32>{};
    WP_TRY(Bytes32 b, bytes32_value(name, *raw));
    return std::optional<Bytes32>(b);
}

Result<Paging> paging(const net::QueryParams& q) {
    Paging p;
    WP_TRY(p.page, opt_safe_uint(q, "page", 0, kMaxSafeMinusOne));
    WP_TRY(p.page_index, opt_safe_uint(q, "pageIndex", 0, kMaxSafeMinusOne));
    if (const auto raw = q.get("pageSize")) {
        // positiveInt().max(1000).min(10): yup's min / max replace the earlier ones, so a negative size fails min(10).
        WP_TRY(JsInteger v, js_integer("pageSize", *raw));
        if (!v.negative && v.magnitude > U256(kMaxPageSize))
            return make_error(invalid("pageSize must be less than or equal to " + std::to_string(kMaxPageSize)));
        if (v.negative || v.magnitude < U256(kMinPageSize))
            return make_error(invalid("pageSize must be greater than or equal to " + std::to_string(kMinPageSize)));
        p.page_size = v.magnitude.low_u64();
    }
    return p;
}

bool nonempty(const net::QueryParams& q, std::string_view name) {
    const auto v = q.get(name);
    return v && !v->empty();
}

Result<RestrictFilter> restrict_filter(const net::QueryParams& q, std::string_view name, std::string_view strict) {
    RestrictFilter f;
    WP_TRY(f.value, opt_address_or_any(q, name));
    WP_TRY(f.strict, opt_bool(q, strict));
    return f;
}

}  // namespace

Result<ApporderFilters> parse_apporders_query(const net::QueryParams& q) {
    ApporderFilters f;
    if (!nonempty(q, "app") && !nonempty(q, "appOwner")) return make_error(invalid("app or appOwner is required"));
    WP_TRY(f.app, opt_address_or_any(q, "app"));
    WP_TRY(f.app_owner, opt_address(q, "appOwner"));
    WP_TRY(f.dataset, restrict_filter(q, "dataset", "isDatasetStrict"));
    WP_TRY(f.workerpool, restrict_filter(q, "workerpool", "isWorkerpoolStrict"));
    WP_TRY(f.requester, restrict_filter(q, "requester", "isRequesterStrict"));
    WP_TRY(f.min_tag, opt_bytes32(q, "minTag"));
    WP_TRY(f.max_tag, opt_bytes32(q, "maxTag"));
    WP_TRY(f.min_volume, opt_uint(q, "minVolume", 1));
    WP_TRY(f.paging, paging(q));
    return f;
}

Result<DatasetorderFilters> parse_datasetorders_query(const net::QueryParams& q) {
    DatasetorderFilters f;
    if (!nonempty(q, "dataset") && !nonempty(q, "datasetOwner"))
        return make_error(invalid("dataset or datasetOwner is required"));
    WP_TRY(f.dataset, opt_address_or_any(q, "dataset"));
    WP_TRY(f.dataset_owner, opt_address(q, "datasetOwner"));
    WP_TRY(f.app, restrict_filter(q, "app", "isAppStrict"));
    WP_TRY(f.workerpool, restrict_filter(q, "workerpool", "isWorkerpoolStrict"));
    WP_TRY(f.requester, restrict_filter(q, "requester", "isRequesterStrict"));
    WP_TRY(f.min_tag, opt_bytes32(q, "minTag"));
    WP_TRY(f.max_tag, opt_bytes32(q, "maxTag"));
    WP_TRY(f.min_volume, opt_uint(q, "minVolume", 1));
    WP_TRY(f.bulk_only, opt_bool(q, "bulkOnly"));
    WP_TRY(f.paging, paging(q));
    return f;
}

Result<WorkerpoolorderFilters> parse_workerpoolorders_query(const net::QueryParams& q) {
    WorkerpoolorderFilters f;
    WP_TRY(f.workerpool, opt_address_or_any(q, "workerpool"));
    WP_TRY(f.workerpool_owner, opt_address(q, "workerpoolOwner"));
    WP_TRY(f.app, restrict_filter(q, "app", "isAppStrict"));
    WP_TRY(f.dataset, restrict_filter(q, "dataset", "isDatasetStrict"));
    WP_TRY(f.requester, restrict_filter(q, "requester", "isRequesterStrict"));
    WP_TRY(f.category, opt_uint(q, "category", 0));
    WP_TRY(f.min_tag, opt_bytes32(q, "minTag"));
    WP_TRY(f.max_tag, opt_bytes32(q, "maxTag"));
    WP_TRY(f.min_volume, opt_uint(q, "minVolume", 1));
    WP_TRY(f.min_trust, opt_uint(q, "minTrust", 0));
    WP_TRY(f.paging, paging(q));
    return f;
}

Result<RequestorderFilters> parse_requestorders_query(const net::QueryParams& q) {
    RequestorderFilters f;
    WP_TRY(f.app, opt_address_or_any(q, "app"));
    WP_TRY(f.dataset, opt_address_or_any(q, "dataset"));
    WP_TRY(f.requester, opt_address_or_any(q, "requester"));
    WP_TRY(f.beneficiary, opt_address_or_any(q, "beneficiary"));
    WP_TRY(f.category, opt_uint(q, "category", 0));
    WP_TRY(f.min_tag, opt_bytes32(q, "minTag"));
    WP_TRY(f.max_tag, opt_bytes32(q, "maxTag"));
    WP_TRY(f.max_trust, opt_uint(q, "maxTrust", 0));
    WP_TRY(f.min_volume, opt_uint(q, "minVolume", 1));
    WP_TRY(f.workerpool, restrict_filter(q, "workerpool", "isWorkerpoolStrict"));
    WP_TRY(f.paging, paging(q));
    return f;
}

Result<DealFilters> parse_deals_query(const net::QueryParams& q) {
    DealFilters f;
    WP_TRY(f.category, opt_uint(q, "category", 0));
    WP_TRY(f.requester, opt_address(q, "requester"));
    WP_TRY(f.beneficiary, opt_address(q, "beneficiary"));
    WP_TRY(f.app, opt_address(q, "app"));
    WP_TRY(f.dataset, opt_address(q, "dataset"));
    WP_TRY(f.workerpool, opt_address(q, "workerpool"));
    WP_TRY(f.app_owner, opt_address(q, "appOwner"));
    WP_TRY(f.dataset_owner, opt_address(q, "datasetOwner"));
    WP_TRY(f.workerpool_owner, opt_address(q, "workerpoolOwner"));
    WP_TRY(f.apporder_hash, opt_bytes32(q, "apporderHash"));
    WP_TRY(f.datasetorder_hash, opt_bytes32(q, "datasetorderHash"));
    WP_TRY(f.workerpoolorder_hash, opt_bytes32(q, "workerpoolorderHash"));
    WP_TRY(f.requestorder_hash, opt_bytes32(q, "requestorderHash"));
    WP_TRY(f.paging, paging(q));
    return f;
}

Result<CategoryFilters> parse_categories_query(const net::QueryParams& q) {
    CategoryFilters f;
    WP_TRY(f.min_work_clock_time_ref, opt_uint(q, "minWorkClockTimeRef", 0));
    WP_TRY(f.max_work_clock_time_ref, opt_uint(q, "maxWorkClockTimeRef", 0));
    WP_TRY(f.paging, paging(q));
    return f;
}

Result<Bytes32> parse_bytes32_param(std::string_view name, std::string_view value) {
    return bytes32_value(name, value);
}

Result<std::uint64_t> parse_safe_uint_param(std::string_view name, std::string_view value) {
    WP_TRY(U256 v, integer_value(name, value, 0, kMaxSafeMinusOne));
    return v.low_u64();
}

}  // namespace wp::market
