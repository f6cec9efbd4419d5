#include "market_client.hpp"

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>

namespace wp::marketclient {
namespace {

namespace json = boost::json;

std::string trim_base(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

std::string route_of(OrderKind kind) {
    std::string route("/");  // built by appends: GCC 12 warns (-Wrestrict) about "/" + std::string(...) here
    route += order_key(kind);
    route += 's';
    return route;
}

Error decoding(std::string message) { return Error{Errc::kDecoding, std::move(message)}; }

}  // namespace

// ---- the client --------------------------------------------------------------------------------------------------

MarketClient::MarketClient(MarketClientOptions options, std::unique_ptr<net::HttpClient> http)
    : options_(std::move(options)), http_(std::move(http)) {}
MarketClient::~MarketClient() = default;
MarketClient::MarketClient(MarketClient&&) noexcept = default;
MarketClient& MarketClient::operator=(MarketClient&&) noexcept = default;

Result<MarketClient> MarketClient::create(MarketClientOptions options) {
    options.url = trim_base(std::move(options.url));
    auto url = net::parse_url(options.url);
    if (!url) return make_error(url.error().with_context("iexecGateway"));
    net::HttpClientOptions http;
    http.connect_timeout = options.connect_timeout;
    http.request_timeout = options.request_timeout;
    http.max_response_bytes = std::size_t{16} << 20;
    http.user_agent = options.user_agent;
    return MarketClient(std::move(options), std::make_unique<net::HttpClient>(http));
}

Result<boost::json::object> MarketClient::call(std::string_view method, std::string_view path_and_query,
                                               const std::optional<boost::json::object>& body,
                                               const std::optional<std::string>& authorization) {
    net::HttpRequest req;
    req.method = std::string(method);
    req.url = options_.url + std::string(path_and_query);
    req.headers.emplace_back("Accept", "application/json");
    if (body) {
        req.headers.emplace_back("Content-Type", "application/json");
        req.body = json::serialize(*body);
    }
    if (authorization) req.headers.emplace_back("authorization", *authorization);
    auto res = http_->request(std::move(req));
    if (!res) {
        if (res.error().code == Errc::kTimeout)
            return make_error(Errc::kTimeout, "Market API error: Connection to " + options_.url + " timed out after " +
                                                  std::to_string(options_.request_timeout.count()) + " ms");
        return make_error(Errc::kNetwork, "Market API error: Connection to " + options_.url +
                                              " failed with a network error (" + res.error().message + ")");
    }
    if (res->status >= 500 && res->status <= 599)
        return make_error(Errc::kRemote, "Market API error: Server at " + options_.url +
                                             " encountered an internal error (" + std::to_string(res->status) + ")");
    const auto type = res->header("Content-Type");
    if (!type || type->find("application/json") == std::string_view::npos)
        return make_error(Errc::kDecoding, "The http response is not of JSON type");
    json::error_code ec;
    json::value parsed = json::parse(res->body, ec);
    const bool ok_status = res->status >= 200 && res->status <= 299;
    if (ec || !parsed.is_object()) {
        if (!ok_status) return make_error(Errc::kRemote, "API error: " + std::to_string(res->status));
        return make_error(Errc::kDecoding, "The http response is not of JSON type");
    }
    auto& obj = parsed.as_object();
    if (!ok_status) {
        if (const auto* e = obj.if_contains("error"); e != nullptr && e->is_string())
            return make_error(Errc::kRemote, "API error: " + std::string(e->get_string()));
        return make_error(Errc::kRemote, "API error: " + std::to_string(res->status));
    }
    const auto* ok = obj.if_contains("ok");
    if (ok == nullptr || !ok->is_bool() || !ok->get_bool())
        return make_error(Errc::kRemote, "API error: the market answered without ok:true");
    return std::move(obj);
}

Result<std::string> MarketClient::version() {
    WP_TRY(json::object o, call("GET", "/version"));
    const auto* v = o.if_contains("version");
    if (v == nullptr || !v->is_string()) return make_error(decoding("GET /version: missing string \"version\""));
    return std::string(v->get_string());
}

Result<boost::json::value> MarketClient::challenge(const Address& address) {
    WP_TRY(json::object o, call("GET", "/challenge?address=" + address.to_checksum() +
                                           "&chainId=" + std::to_string(options_.chain_id)));
    if (auto* d = o.if_contains("data")) return std::move(*d);
    return json::value(std::move(o));
}

Result<std::string> MarketClient::authorization(const PrivateKey& key) {
    WP_TRY(json::value typed, challenge(key.address()));
    return challenge_authorization(typed, key);
}

Result<PublishedOrder> MarketClient::publish(const Order& order, const PrivateKey& key) {
    const OrderKind kind = kind_of(order);
    WP_TRY(std::string auth, authorization(key));
    json::object body;
    body["order"] = order_to_json(order, OrderJsonFields::kSigned);
    WP_TRY(json::object o,
           call("POST", route_of(kind) + "?chainId=" + std::to_string(options_.chain_id), std::move(body), auth));
    const auto* published = o.if_contains("published");
    if (published == nullptr) return make_error(decoding("POST " + route_of(kind) + ": missing \"published\""));
    return published_order_from_json(kind, *published);
}

Result<std::vector<Bytes32>> MarketClient::unpublish(OrderKind kind, boost::json::object body, const PrivateKey& key) {
    WP_TRY(std::string auth, authorization(key));
    WP_TRY(json::object o,
           call("PUT", route_of(kind) + "?chainId=" + std::to_string(options_.chain_id), std::move(body), auth));
    return unpublished_from_json(o);
}

Result<std::vector<Bytes32>> MarketClient::unpublish_hash(OrderKind kind, const Bytes32& order_hash,
                                                          const PrivateKey& key) {
    json::object body;
    body["target"] = "unpublish_orderHash";
    body["orderHash"] = to_hex(order_hash);
    return unpublish(kind, std::move(body), key);
}

namespace {
std::string_view resource_key(OrderKind kind) {
    switch (kind) {
        case OrderKind::kApp: return "app";
        case OrderKind::kDataset: return "dataset";
        case OrderKind::kWorkerpool: return "workerpool";
        case OrderKind::kRequest: return "requester";
    }
    return "app";
}
// {"target": <target>, "<resource key>": <address>}: the body of unpublish_last / unpublish_all.
json::object resource_body(std::string_view target, OrderKind kind, const Address& resource) {
    json::object body;
    body["target"] = target;
    body[resource_key(kind)] = resource.to_checksum();
    return body;
}
}  // namespace

Result<std::vector<Bytes32>> MarketClient::unpublish_last(OrderKind kind, const Address& resource,
                                                          const PrivateKey& key) {
    return unpublish(kind, resource_body("unpublish_last", kind, resource), key);
}

Result<std::vector<Bytes32>> MarketClient::unpublish_all(OrderKind kind, const Address& resource,
                                                         const PrivateKey& key) {
    return unpublish(kind, resource_body("unpublish_all", kind, resource), key);
}

Result<PublishedOrder> MarketClient::order(OrderKind kind, const Bytes32& order_hash) {
    WP_TRY(json::object o,
           call("GET", route_of(kind) + "/" + to_hex(order_hash) + "?chainId=" + std::to_string(options_.chain_id)));
    // Without "ok", keeping the market's key order (object::erase would move the last member into its place).
    json::object document;
    for (auto& kv : o)
        if (kv.key() != "ok") document[kv.key()] = std::move(kv.value());
    return published_order_from_json(kind, json::value(std::move(document)));
}

Result<OrderbookPage> MarketClient::search(OrderKind kind, const std::string& query) {
    const std::string route = route_of(kind);
    WP_TRY(json::object o, call("GET", route + "?" + query));
    return orderbook_page_from_json(kind, o);
}

Result<OrderbookPage> MarketClient::workerpool_orders(const WorkerpoolOrderbookQuery& query) {
    return search(OrderKind::kWorkerpool, to_query_string(options_.chain_id, query));
}
Result<OrderbookPage> MarketClient::app_orders(const AppOrderbookQuery& query) {
    return search(OrderKind::kApp, to_query_string(options_.chain_id, query));
}
Result<OrderbookPage> MarketClient::dataset_orders(const DatasetOrderbookQuery& query) {
    return search(OrderKind::kDataset, to_query_string(options_.chain_id, query));
}
Result<OrderbookPage> MarketClient::request_orders(const RequestOrderbookQuery& query) {
    return search(OrderKind::kRequest, to_query_string(options_.chain_id, query));
}

Result<DocumentPage> MarketClient::documents(std::string_view route, std::string_view member,
                                             const std::string& query) {
    WP_TRY(json::object o, call("GET", std::string(route) + "?" + query));
    return document_page_from_json(member, o);
}

Result<DocumentPage> MarketClient::deals(const DealsQuery& query) {
    return documents("/deals", "deals", to_query_string(options_.chain_id, query));
}
Result<DocumentPage> MarketClient::categories(const CategoriesQuery& query) {
    return documents("/categories", "categories", to_query_string(options_.chain_id, query));
}

}  // namespace wp::marketclient
