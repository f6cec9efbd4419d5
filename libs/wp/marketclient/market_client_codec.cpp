#include "market_client.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/tag.hpp>

namespace wp::marketclient {
namespace {

namespace json = boost::json;

using Params = std::vector<std::pair<std::string, std::string>>;

std::string percent_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 0x0F]);
        }
    }
    return out;
}

// query-string's stringify: keys sorted, `k=v` joined by '&'.
std::string join(Params params) {
    std::stable_sort(params.begin(), params.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out;
    for (const auto& [k, v] : params) {
        if (!out.empty()) out.push_back('&');
        out += percent_encode(k);
        out.push_back('=');
        out += percent_encode(v);
    }
    return out;
}

std::string bool_text(bool b) { return b ? "true" : "false"; }

void put(Params& p, std::string_view key, const std::optional<AddressOrAny>& v) {
    if (v) p.emplace_back(key, v->to_query());
}
void put(Params& p, std::string_view key, const std::optional<Address>& v) {
    if (v) p.emplace_back(key, v->to_checksum());
}
void put(Params& p, std::string_view key, const std::optional<Bytes32>& v) {
    if (v) p.emplace_back(key, to_hex(*v));
}
void put(Params& p, std::string_view key, const std::optional<U256>& v) {
    if (v) p.emplace_back(key, v->to_dec());
}
void put_nonzero(Params& p, std::string_view key, const std::optional<U256>& v) {
    if (v && !v->is_zero()) p.emplace_back(key, v->to_dec());
}
void put_restrict(Params& p, std::string_view key, std::string_view strict_key, const RestrictQuery& r) {
    put(p, key, r.value);
    p.emplace_back(strict_key, bool_text(r.strict));
}
void put_page(Params& p, const PageQuery& page) {
    p.emplace_back("pageIndex", std::to_string(page.index));
    p.emplace_back("pageSize", std::to_string(page.size));
}
void put_tags(Params& p, const std::optional<Bytes32>& min_tag, const std::optional<Bytes32>& max_tag) {
    put(p, "minTag", min_tag);
    put(p, "maxTag", max_tag);
}

Error decoding(std::string message) { return Error{Errc::kDecoding, std::move(message)}; }

// A non-negative integer member written as a JSON number or a decimal string.
Result<U256> uint_member(const json::object& o, std::string_view key, std::string_view what) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return make_error(decoding(std::string(what) + ": missing \"" + std::string(key) + "\""));
    if (v->is_uint64()) return U256(v->get_uint64());
    if (v->is_int64() && v->get_int64() >= 0) return U256(static_cast<std::uint64_t>(v->get_int64()));
    if (v->is_string()) {
        auto u = U256::from_dec(std::string_view(v->get_string()));
        if (u) return *u;
    }
    return make_error(decoding(std::string(what) + ": \"" + std::string(key) + "\" is not a non-negative integer (" +
                               json::serialize(*v) + ")"));
}

Result<std::uint64_t> u64_member(const json::object& o, std::string_view key, std::string_view what) {
    WP_TRY(U256 u, uint_member(o, key, what));
    if (!u.fits_u64())
        return make_error(decoding(std::string(what) + ": \"" + std::string(key) + "\" is larger than 2^64 - 1"));
    return u.low_u64();
}

Result<std::string> string_member(const json::object& o, std::string_view key, std::string_view what) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_string())
        return make_error(decoding(std::string(what) + ": missing string \"" + std::string(key) + "\""));
    return std::string(v->get_string());
}

Result<std::optional<std::uint64_t>> next_page_member(const json::object& o, std::string_view what) {
    if (!o.contains("nextPage") || o.at("nextPage").is_null()) return std::optional<std::uint64_t>{};
    WP_TRY(std::uint64_t n, u64_member(o, "nextPage", what));
    return std::optional<std::uint64_t>(n);
}

}  // namespace

std::string AddressOrAny::to_query() const { return any ? std::string("any") : address.to_checksum(); }

Result<AddressOrAny> parse_address_or_any(std::string_view name, std::string_view text) {
    if (text == "any") return AddressOrAny{true, Address{}};
    auto a = Address::parse(text);
    if (!a) {
        // Lowercase first, as the SDK's schema does: a mixed case with a wrong checksum is still an address.
        std::string lower(text);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        a = Address::parse(lower);
    }
    if (!a)
        return make_error(Errc::kInvalidArgument, std::string(name) + " \"" + std::string(text) +
                                                      "\" is neither \"any\" nor a valid ethereum address");
    return AddressOrAny{false, *a};
}

Result<PublishedOrder> published_order_from_json(OrderKind kind, const boost::json::value& document) {
    const std::string what = std::string(order_key(kind)) + " document";
    const auto* o = document.if_object();
    if (o == nullptr) return make_error(decoding(what + ": not a JSON object"));
    PublishedOrder out;
    WP_TRY(std::string hash_text, string_member(*o, "orderHash", what));
    auto hash = bytes32_from_hex(hash_text);
    if (!hash) return make_error(decoding(what + ": orderHash: " + hash.error().message));
    out.order_hash = *hash;
    const auto* order = o->if_contains("order");
    if (order == nullptr) return make_error(decoding(what + ": missing \"order\""));
    auto decoded = order_from_json(kind, *order, OrderJsonOptions{.require_salt = true, .require_sign = true});
    if (!decoded) return make_error(decoding(what + ": " + decoded.error().message));
    out.order = std::move(*decoded);
    WP_TRY(out.status, string_member(*o, "status", what));
    WP_TRY(out.remaining, uint_member(*o, "remaining", what));
    if (const auto* s = o->if_contains("signer"); s != nullptr && s->is_string()) {
        auto a = Address::parse(std::string_view(s->get_string()));
        if (!a) return make_error(decoding(what + ": signer: " + a.error().message));
        out.signer = *a;
    }
    if (const auto* t = o->if_contains("publicationTimestamp"); t != nullptr && t->is_string())
        out.publication_timestamp = std::string(t->get_string());
    out.document = *o;
    return out;
}

// ---- query strings ------------------------------------------------------------------------------------------------

std::string to_query_string(std::uint64_t chain_id, const WorkerpoolOrderbookQuery& q) {
    Params p{{"chainId", std::to_string(chain_id)}};
    put(p, "category", q.category);
    put(p, "workerpool", q.workerpool);
    put(p, "workerpoolOwner", q.workerpool_owner);
    put_restrict(p, "app", "isAppStrict", q.app);
    put_restrict(p, "dataset", "isDatasetStrict", q.dataset);
    put_restrict(p, "requester", "isRequesterStrict", q.requester);
    put_tags(p, q.min_tag, q.max_tag);
    put_nonzero(p, "minTrust", q.min_trust);
    put_nonzero(p, "minVolume", q.min_volume);
    put_page(p, q.page);
    return join(std::move(p));
}

std::string to_query_string(std::uint64_t chain_id, const AppOrderbookQuery& q) {
    Params p{{"chainId", std::to_string(chain_id)}};
    put(p, "app", q.app);
    put(p, "appOwner", q.app_owner);
    put_restrict(p, "dataset", "isDatasetStrict", q.dataset);
    put_restrict(p, "workerpool", "isWorkerpoolStrict", q.workerpool);
    put_restrict(p, "requester", "isRequesterStrict", q.requester);
    put_tags(p, q.min_tag, q.max_tag);
    put_nonzero(p, "minVolume", q.min_volume);
    put_page(p, q.page);
    return join(std::move(p));
}

std::string to_query_string(std::uint64_t chain_id, const DatasetOrderbookQuery& q) {
    Params p{{"chainId", std::to_string(chain_id)}};
    put(p, "dataset", q.dataset);
    put(p, "datasetOwner", q.dataset_owner);
    put_restrict(p, "app", "isAppStrict", q.app);
    put_restrict(p, "workerpool", "isWorkerpoolStrict", q.workerpool);
    put_restrict(p, "requester", "isRequesterStrict", q.requester);
    put_tags(p, q.min_tag, q.max_tag);
    put_nonzero(p, "minVolume", q.min_volume);
    p.emplace_back("bulkOnly", bool_text(q.bulk_only));
    put_page(p, q.page);
    return join(std::move(p));
}

std::string to_query_string(std::uint64_t chain_id, const RequestOrderbookQuery& q) {
    Params p{{"chainId", std::to_string(chain_id)}};
    put(p, "requester", q.requester);
    put(p, "beneficiary", q.beneficiary);
    put(p, "app", q.app);
    put(p, "dataset", q.dataset);
    put_restrict(p, "workerpool", "isWorkerpoolStrict", q.workerpool);
    put(p, "category", q.category);
    put_tags(p, q.min_tag, q.max_tag);
    put_nonzero(p, "maxTrust", q.max_trust);
    put_nonzero(p, "minVolume", q.min_volume);
    put_page(p, q.page);
    return join(std::move(p));
}

std::string to_query_string(std::uint64_t chain_id, const DealsQuery& q) {
    Params p{{"chainId", std::to_string(chain_id)}};
    put(p, "category", q.category);
    put(p, "requester", q.requester);
    put(p, "beneficiary", q.beneficiary);
    put(p, "app", q.app);
    put(p, "dataset", q.dataset);
    put(p, "workerpool", q.workerpool);
    put(p, "appOwner", q.app_owner);
    put(p, "datasetOwner", q.dataset_owner);
    put(p, "workerpoolOwner", q.workerpool_owner);
    put(p, "apporderHash", q.apporder_hash);
    put(p, "datasetorderHash", q.datasetorder_hash);
    put(p, "workerpoolorderHash", q.workerpoolorder_hash);
    put(p, "requestorderHash", q.requestorder_hash);
    put_page(p, q.page);
    return join(std::move(p));
}

std::string to_query_string(std::uint64_t chain_id, const CategoriesQuery& q) {
    Params p{{"chainId", std::to_string(chain_id)}};
    put(p, "minWorkClockTimeRef", q.min_work_clock_time_ref);
    put(p, "maxWorkClockTimeRef", q.max_work_clock_time_ref);
    put_page(p, q.page);
    return join(std::move(p));
}

// ---- authorization -----------------------------------------------------------------------------------------------

Result<std::string> challenge_authorization(const boost::json::value& typed_data, const PrivateKey& key) {
    auto fail = [](const std::string& why) { return make_error(decoding("Failed to get authorization: " + why)); };
    const auto* o = typed_data.if_object();
    if (o == nullptr || !o->contains("domain") || !o->contains("types") || !o->contains("message"))
        return fail("Unexpected challenge format");
    auto data = eip712::parse_typed_data(typed_data);
    if (!data) return fail(data.error().message);
    auto digest = eip712::digest(*data);
    if (!digest) return fail(digest.error().message);
    auto sig = eip712::sign_typed_data(key, *data);
    if (!sig) return fail(sig.error().message);
    return to_hex(*digest) + "_" + to_hex(sig->to_bytes65()) + "_" + key.address().to_checksum();
}

// ---- answers -----------------------------------------------------------------------------------------------------

Result<OrderbookPage> orderbook_page_from_json(OrderKind kind, const boost::json::object& answer) {
    const std::string what = "GET /" + std::string(order_key(kind)) + "s";
    OrderbookPage page;
    const auto* orders = answer.if_contains("orders");
    if (orders == nullptr || !orders->is_array()) return make_error(decoding(what + ": missing array \"orders\""));
    for (const auto& doc : orders->get_array()) {
        WP_TRY(PublishedOrder p, published_order_from_json(kind, doc));
        page.orders.push_back(std::move(p));
    }
    WP_TRY(page.count, u64_member(answer, "count", what));
    WP_TRY(page.next_page, next_page_member(answer, what));
    return page;
}

Result<DocumentPage> document_page_from_json(std::string_view member, const boost::json::object& answer) {
    const std::string what = "GET /" + std::string(member);
    DocumentPage page;
    const auto* items = answer.if_contains(member);
    if (items == nullptr || !items->is_array())
        return make_error(decoding(what + ": missing array \"" + std::string(member) + "\""));
    page.items = items->get_array();
    WP_TRY(page.count, u64_member(answer, "count", what));
    WP_TRY(page.next_page, next_page_member(answer, what));
    return page;
}

Result<std::vector<Bytes32>> unpublished_from_json(const boost::json::object& answer) {
    const auto* list = answer.if_contains("unpublished");
    if (list == nullptr || !list->is_array()) return make_error(decoding("unpublish: missing array \"unpublished\""));
    std::vector<Bytes32> out;
    for (const auto& v : list->get_array()) {
        if (!v.is_string()) return make_error(decoding("unpublish: \"unpublished\" holds a non-string"));
        auto h = bytes32_from_hex(std::string_view(v.get_string()));
        if (!h) return make_error(decoding("unpublish: unpublished: " + h.error().message));
        out.push_back(*h);
    }
    return out;
}

}  // namespace wp::marketclient
