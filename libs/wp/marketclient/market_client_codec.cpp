#include "market_client.hpp"

#include <algorithm>
#include <cctype>
#include <variant>

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
void put_restrict(Params& p, std::string_view key, std::string_view strict_key, const RestrictQuery& r) {
    put(p, key, r.value);
    p.emplace_back(strict_key, bool_text(r.strict));
}

// One query-string member of a query struct: the key, the struct member, and how it is written. The encoder below
// takes a table of them per query (the order does not matter: keys are sorted when joined).
template <class Q>
using Member = std::variant<std::optional<AddressOrAny> Q::*, std::optional<Address> Q::*, std::optional<Bytes32> Q::*,
                            std::optional<U256> Q::*, RestrictQuery Q::*, bool Q::*>;

template <class Q>
struct Field {
    std::string_view key;
    Member<Q> member;
    std::string_view strict_key{};  //!< a RestrictQuery: the key of its isXStrict flag (always sent)
    bool nonzero{false};            //!< a U256 sent only when non-zero (the SDK's `minTrust &&`)
};

template <class Q>
void put_field(Params& p, const Field<Q>& f, const std::optional<U256>& v) {
    if (v && (!f.nonzero || !v->is_zero())) p.emplace_back(f.key, v->to_dec());
}
template <class Q>
void put_field(Params& p, const Field<Q>& f, const RestrictQuery& r) {
    put_restrict(p, f.key, f.strict_key, r);
}
template <class Q>
void put_field(Params& p, const Field<Q>& f, bool v) {
    p.emplace_back(f.key, bool_text(v));
}
template <class Q, class V>
void put_field(Params& p, const Field<Q>& f, const std::optional<V>& v) {
    put(p, f.key, v);
}

// chainId, the table's members, then pageIndex and pageSize (every query has a `page`).
template <class Q, std::size_t N>
std::string encode(std::uint64_t chain_id, const Q& q, const Field<Q> (&fields)[N]) {
    Params p{{"chainId", std::to_string(chain_id)}};
    for (const Field<Q>& f : fields) std::visit([&](auto member) { put_field(p, f, q.*member); }, f.member);
    p.emplace_back("pageIndex", std::to_string(q.page.index));
    p.emplace_back("pageSize", std::to_string(q.page.size));
    return join(std::move(p));
}

using W = WorkerpoolOrderbookQuery;
const Field<W> kWorkerpoolFields[] = {
    {"category", &W::category},
    {"workerpool", &W::workerpool},
    {"workerpoolOwner", &W::workerpool_owner},
    {"app", &W::app, "isAppStrict"},
    {"dataset", &W::dataset, "isDatasetStrict"},
    {"requester", &W::requester, "isRequesterStrict"},
    {"minTag", &W::min_tag},
    {"maxTag", &W::max_tag},
    {"minTrust", &W::min_trust, {}, true},
    {"minVolume", &W::min_volume, {}, true},
};
using A = AppOrderbookQuery;
const Field<A> kAppFields[] = {
    {"app", &A::app},
    {"appOwner", &A::app_owner},
    {"dataset", &A::dataset, "isDatasetStrict"},
    {"workerpool", &A::workerpool, "isWorkerpoolStrict"},
    {"requester", &A::requester, "isRequesterStrict"},
    {"minTag", &A::min_tag},
    {"maxTag", &A::max_tag},
    {"minVolume", &A::min_volume, {}, true},
};
using D = DatasetOrderbookQuery;
const Field<D> kDatasetFields[] = {
    {"dataset", &D::dataset},
    {"datasetOwner", &D::dataset_owner},
    {"app", &D::app, "isAppStrict"},
    {"workerpool", &D::workerpool, "isWorkerpoolStrict"},
    {"requester", &D::requester, "isRequesterStrict"},
    {"minTag", &D::min_tag},
    {"maxTag", &D::max_tag},
    {"minVolume", &D::min_volume, {}, true},
    {"bulkOnly", &D::bulk_only},
};
using R = RequestOrderbookQuery;
const Field<R> kRequestFields[] = {
    {"requester", &R::requester},
    {"beneficiary", &R::beneficiary},
    {"app", &R::app},
    {"dataset", &R::dataset},
    {"workerpool", &R::workerpool, "isWorkerpoolStrict"},
    {"category", &R::category},
    {"minTag", &R::min_tag},
    {"maxTag", &R::max_tag},
    {"maxTrust", &R::max_trust, {}, true},
    {"minVolume", &R::min_volume, {}, true},
};
using Deals = DealsQuery;
const Field<Deals> kDealsFields[] = {
    {"category", &Deals::category},
    {"requester", &Deals::requester},
    {"beneficiary", &Deals::beneficiary},
    {"app", &Deals::app},
    {"dataset", &Deals::dataset},
    {"workerpool", &Deals::workerpool},
    {"appOwner", &Deals::app_owner},
    {"datasetOwner", &Deals::dataset_owner},
    {"workerpoolOwner", &Deals::workerpool_owner},
    {"apporderHash", &Deals::apporder_hash},
    {"datasetorderHash", &Deals::datasetorder_hash},
    {"workerpoolorderHash", &Deals::workerpoolorder_hash},
    {"requestorderHash", &Deals::requestorder_hash},
};
using C = CategoriesQuery;
const Field<C> kCategoriesFields[] = {
    {"minWorkClockTimeRef", &C::min_work_clock_time_ref},
    {"maxWorkClockTimeRef", &C::max_work_clock_time_ref},
};

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
    return encode(chain_id, q, kWorkerpoolFields);
}
std::string to_query_string(std::uint64_t chain_id, const AppOrderbookQuery& q) {
    return encode(chain_id, q, kAppFields);
}
std::string to_query_string(std::uint64_t chain_id, const DatasetOrderbookQuery& q) {
    return encode(chain_id, q, kDatasetFields);
}
std::string to_query_string(std::uint64_t chain_id, const RequestOrderbookQuery& q) {
    return encode(chain_id, q, kRequestFields);
}
std::string to_query_string(std::uint64_t chain_id, const DealsQuery& q) { return encode(chain_id, q, kDealsFields); }
std::string to_query_string(std::uint64_t chain_id, const CategoriesQuery& q) {
    return encode(chain_id, q, kCategoriesFields);
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
