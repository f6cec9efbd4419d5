#include "api.hpp"

#include <array>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/net/json_body.hpp>
#include <wp/service/auth_http.hpp>
#include <wp/service/logging.hpp>

#include "chain_state.hpp"
#include "documents.hpp"
#include "order_book.hpp"
#include "order_input.hpp"
#include "publish_batcher.hpp"
#include "search_params.hpp"

namespace wp::market {
namespace json = boost::json;
using net::HttpError;
using net::HttpResponse;
using net::Reply;
using net::ServerRequest;

namespace {

constexpr std::array<OrderKind, 4> kKinds{OrderKind::kApp, OrderKind::kDataset, OrderKind::kWorkerpool,
                                          OrderKind::kRequest};
constexpr std::array<std::string_view, 4> kOutcomes{"ok", "refused", "invalid", "error"};

//! Concatenation without operator+ chains (gcc 12 reports a false -Wrestrict on "lit" + std::string(...)).
std::string join(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts) out.append(p);
    return out;
}

std::string collection(OrderKind kind) { return join({"/", order_key(kind), "s"}); }

HttpResponse ok_json(json::object body) {
    json::object out;
    out["ok"] = true;
    for (auto& kv : body) out[kv.key()] = std::move(kv.value());
    return HttpResponse::json(200, json::serialize(out));
}

HttpError bad_request(const Error& e) { return HttpError{400, e.message, {}}; }

HttpError internal_error(std::string_view what, std::string_view detail) {
    service::log_error("market api: internal error", {{"route", std::string(what)}, {"error", std::string(detail)}});
    return HttpError{500, "internal error", {}};
}

// WP_HTTP_TRY(decl, expr): expr is a tl::expected<T, HttpError>; declares decl or returns the error.
#define WP_HTTP_TRY(decl, expr) WP_HTTP_TRY_IMPL(WP_CONCAT(wp_http_try_, __LINE__), decl, expr)
#define WP_HTTP_TRY_IMPL(tmp, decl, expr)                                 \
    auto tmp = (expr);                                                    \
    if (!tmp) return ::tl::unexpected<HttpError>(std::move(tmp).error()); \
    auto decl = std::move(*tmp)

std::string cut(std::string_view s, std::size_t n = 200) { return std::string(s.substr(0, n)); }

void put_page_fields(json::object& body, std::uint64_t count, const std::optional<std::uint64_t>& next) {
    body["count"] = count;
    if (next) body["nextPage"] = *next;
}

}  // namespace

struct MarketApi::Impl {
    MarketApiDeps deps;
    MarketApiOptions options;
    mutable Publisher publisher;
    std::unique_ptr<PublishBatcher> batcher;
    std::unique_ptr<net::RateLimiter> limiter;
    std::vector<ApiRoute> routes;
    std::map<std::uint64_t, const ChainContext*> chains;
    // [kind][outcome] for publish and unpublish (registered in install()).
    std::array<std::array<net::Counter*, 4>, 4> publish_counters{};
    std::array<std::array<net::Counter*, 4>, 4> unpublish_counters{};

    Impl(MarketApiDeps d, MarketApiOptions o)
        : deps(std::move(d)), options(std::move(o)), publisher(*deps.db, *deps.clock, options.publish) {
        if (options.rate_limit) limiter = std::make_unique<net::RateLimiter>(*options.rate_limit, *deps.clock);
        batcher = std::make_unique<PublishBatcher>(publisher, options.batch);
        for (const auto& c : deps.chains) chains[c.chain_id] = &c;
    }

    // ---- shared request steps ----------------------------------------------------------------------------------

    tl::expected<net::QueryParams, HttpError> query_of(const ServerRequest& req) const {
        if (req.query.size() > options.max_query_bytes)
            return tl::unexpected(
                HttpError{414, "query string longer than " + std::to_string(options.max_query_bytes) + " bytes", {}});
        auto q = req.query_params();
        if (!q) return tl::unexpected(bad_request(q.error()));
        return std::move(*q);
    }

    tl::expected<const ChainContext*, HttpError> chain_of(const net::QueryParams& q) const {
        auto value = q.get("chainId");
        if (!value) return tl::unexpected(HttpError{400, "chainId is a required field", {}});
        for (const auto& [id, ctx] : chains)
            if (*value == std::to_string(id)) return ctx;
        return tl::unexpected(HttpError{400, "chainId " + cut(*value) + " is not supported", {}});
    }

    struct Ctx {
        net::QueryParams query;
        const ChainContext* chain;
    };
    tl::expected<Ctx, HttpError> begin(const ServerRequest& req) const {
        auto q = query_of(req);
        if (!q) return tl::unexpected(q.error());
        auto c = chain_of(*q);
        if (!c) return tl::unexpected(c.error());
        return Ctx{std::move(*q), *c};
    }

    tl::expected<Address, HttpError> authenticate(const ServerRequest& req, std::uint64_t chain_id) const {
        auto header = req.header("authorization");
        Result<service::AuthIdentity> id =
            header ? deps.auth->verify(*header, chain_id)
                   : Result<service::AuthIdentity>(
                         make_error(Errc::kInvalidArgument, "missing Authorization, please first sign a challenge"));
        if (!id) {
            service::log_warn("market api: authorization refused",
                              {{"reason", id.error().message}, {"remote", req.remote}, {"path", req.path}});
            return tl::unexpected(HttpError{403, std::string(service::kInvalidAuthorization), {}});
        }
        return id->address;
    }

    template <class F>
    Reply read(std::string_view what, F&& fn) const {
        auto r = deps.db->read(std::forward<F>(fn));
        if (!r) return tl::unexpected(internal_error(what, r.error().message));
        return std::move(*r);
    }

    static unsigned outcome_index(const PublishError& e) {
        switch (e.kind) {
            case PublishError::Kind::kRefused: return 1;
            case PublishError::Kind::kInvalid: return 2;
            case PublishError::Kind::kInternal: return 3;
        }
        return 3;
    }
    static HttpError publish_http_error(std::string_view what, const PublishError& e) {
        if (e.kind == PublishError::Kind::kInternal) return internal_error(what, e.message);
        return HttpError{e.http_status(), e.message, {}};
    }

    // ---- routes ------------------------------------------------------------------------------------------------

    Reply version(const ServerRequest&) const { return ok_json(json::object{{"version", options.version}}); }

    Reply challenge(const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        auto address = ctx.query.get("address");
        if (!address) return tl::unexpected(HttpError{400, "address is a required field", {}});
        auto parsed = parse_query_address(*address);
        if (!parsed) return tl::unexpected(HttpError{400, "address is not a valid ethereum address", {}});
        auto doc = deps.auth->challenge_document(*parsed, ctx.chain->chain_id);
        if (!doc) return tl::unexpected(internal_error("GET /challenge", doc.error().message));
        return ok_json(json::object{{"data", std::move(*doc)}});
    }

    static Result<Address> parse_query_address(std::string_view text) {
        std::string lower(text);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return Address::parse(lower);
    }

    Reply category(const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        auto catid = parse_safe_uint_param("catid", req.param("catid").value_or(""));
        if (!catid) return tl::unexpected(bad_request(catid.error()));
        const std::uint64_t chain_id = ctx.chain->chain_id;
        return read("GET /categories/:catid", [&](store::Tx& tx) -> Result<Reply> {
            WP_TRY(auto found, find_category(tx, chain_id, *catid));
            if (!found) return Reply(tl::unexpected(HttpError{404, "category not found", {}}));
            return Reply(ok_json(category_document(*found)));
        });
    }

    Reply categories(const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        auto filters = parse_categories_query(ctx.query);
        if (!filters) return tl::unexpected(bad_request(filters.error()));
        const std::uint64_t chain_id = ctx.chain->chain_id;
        return read("GET /categories", [&](store::Tx& tx) -> Result<Reply> {
            WP_TRY(auto page, search_categories(tx, chain_id, *filters));
            json::array docs;
            for (const auto& c : page.categories) docs.push_back(category_document(c));
            json::object body{{"categories", std::move(docs)}};
            put_page_fields(body, page.count, page.next_page);
            return Reply(ok_json(std::move(body)));
        });
    }

    Reply deal(const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        auto id = parse_bytes32_param("dealid", req.param("dealid").value_or(""));
        if (!id) return tl::unexpected(bad_request(id.error()));
        const std::uint64_t chain_id = ctx.chain->chain_id;
        return read("GET /deals/:dealid", [&](store::Tx& tx) -> Result<Reply> {
            WP_TRY(auto found, find_deal(tx, chain_id, *id));
            if (!found) return Reply(tl::unexpected(HttpError{404, "deal not found", {}}));
            return Reply(ok_json(deal_document(*found)));
        });
    }

    Reply deals(const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        auto filters = parse_deals_query(ctx.query);
        if (!filters) return tl::unexpected(bad_request(filters.error()));
        const std::uint64_t chain_id = ctx.chain->chain_id;
        return read("GET /deals", [&](store::Tx& tx) -> Result<Reply> {
            WP_TRY(auto page, search_deals(tx, chain_id, *filters));
            json::array docs;
            for (const auto& d : page.deals) docs.push_back(deal_document(d));
            json::object body{{"deals", std::move(docs)}};
            put_page_fields(body, page.count, page.next_page);
            return Reply(ok_json(std::move(body)));
        });
    }

    Reply ohlc(const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        auto text = ctx.query.get("category");
        if (!text) return tl::unexpected(HttpError{400, "category is a required field", {}});
        auto parsed = parse_safe_uint_param("category", *text);
        if (!parsed) return tl::unexpected(bad_request(parsed.error()));
        const U256 category(*parsed);
        const std::uint64_t chain_id = ctx.chain->chain_id;
        return read("GET /ohlc", [&](store::Tx& tx) -> Result<Reply> {
            WP_TRY(auto entries, deal_ohlc(tx, chain_id, category));
            return Reply(ok_json(json::object{{"ohlc", ohlc_document(entries)}}));
        });
    }

    Reply order_by_hash(OrderKind kind, const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        auto hash = parse_bytes32_param("orderHash", req.param("orderHash").value_or(""));
        if (!hash) return tl::unexpected(bad_request(hash.error()));
        const std::uint64_t chain_id = ctx.chain->chain_id;
        return read("GET order", [&](store::Tx& tx) -> Result<Reply> {
            WP_TRY(auto found, find_order(tx, chain_id, *hash, kind));
            if (!found) return Reply(tl::unexpected(HttpError{404, std::string(order_key(kind)) + " not found", {}}));
            return Reply(ok_json(order_document(*found)));
        });
    }

    Reply order_list(OrderKind kind, const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        const std::uint64_t chain_id = ctx.chain->chain_id;
        const auto run = [&](auto parse, auto search) -> Reply {
            auto filters = parse(ctx.query);
            if (!filters) return tl::unexpected(bad_request(filters.error()));
            return read("GET orders", [&](store::Tx& tx) -> Result<Reply> {
                WP_TRY(auto page, search(tx, chain_id, *filters));
                json::array docs;
                for (const auto& o : page.orders) docs.push_back(order_document(o));
                json::object body{{"orders", std::move(docs)}};
                put_page_fields(body, page.count, page.next_page);
                return Reply(ok_json(std::move(body)));
            });
        };
        switch (kind) {
            case OrderKind::kApp: return run(parse_apporders_query, search_apporders);
            case OrderKind::kDataset: return run(parse_datasetorders_query, search_datasetorders);
            case OrderKind::kWorkerpool: return run(parse_workerpoolorders_query, search_workerpoolorders);
            case OrderKind::kRequest: return run(parse_requestorders_query, search_requestorders);
        }
        return tl::unexpected(HttpError{404, "not found", {}});
    }

    // POST /<kind>orders: the checks before the rules run on the handler thread (query, authentication, body, hash
    // and signature recovery); the rules and the write go to the batcher, whose completion answers after the commit.
    void publish(OrderKind kind, const ServerRequest& req, const net::Responder& responder) {
        const auto ki = static_cast<std::size_t>(kind);
        auto ctx = begin(req);
        if (!ctx) {
            responder.reply(tl::unexpected(std::move(ctx).error()));
            return;
        }
        const ChainContext* chain = ctx->chain;
        auto caller = authenticate(req, chain->chain_id);
        if (!caller) {
            responder.reply(tl::unexpected(std::move(caller).error()));
            return;
        }
        auto order = parse_publish_body(kind, req.body);
        if (!order) {
            publish_counters[ki][2]->inc();
            responder.reply(tl::unexpected(bad_request(order.error())));
            return;
        }
        submit_publish(ki, publisher.prepare(*chain, std::move(*order), *caller), responder, true);
    }

    void submit_publish(std::size_t ki, PreparedPublish item, net::Responder responder, bool may_catch_up) {
        // Kept for a catch-up retry (the item itself moves into the batch).
        auto retry = may_catch_up && options.sync_to_head
                         ? std::make_shared<std::pair<Order, Address>>(item.order, item.caller)
                         : nullptr;
        const ChainContext* chain = item.chain;
        batcher->submit(std::move(item), [this, ki, chain, retry, responder](PublishResult<OrderRecord> published,
                                                                             std::string reply_json) {
            if (!published && published.error().kind == PublishError::Kind::kRefused && retry) {
                // Catch-up on demand: it waits for the chain mirror, so it runs on the batcher's slow lane.
                batcher->post_slow([this, ki, chain, retry, responder, refusal = std::move(published)]() mutable {
                    if (options.sync_to_head(chain->chain_id)) {  // the mirror moved: the facts may differ
                        submit_publish(ki, publisher.prepare(*chain, retry->first, retry->second), responder, false);
                        return;
                    }
                    answer_publish(ki, std::move(refusal), {}, responder);
                });
                return;
            }
            answer_publish(ki, std::move(published), std::move(reply_json), responder);
        });
    }

    void answer_publish(std::size_t ki, PublishResult<OrderRecord> published, std::string reply_json,
                        const net::Responder& responder) const {
        if (!published) {
            publish_counters[ki][outcome_index(published.error())]->inc();
            responder.reply(tl::unexpected(publish_http_error("POST order", published.error())));
            return;
        }
        publish_counters[ki][0]->inc();
        if (reply_json.empty()) responder.reply(ok_json(json::object{{"published", order_document(*published)}}));
        else responder.reply(HttpResponse::json(200, std::move(reply_json)));
    }

    Reply unpublish(OrderKind kind, const ServerRequest& req) const {
        const auto ki = static_cast<std::size_t>(kind);
        WP_HTTP_TRY(ctx, begin(req));
        WP_HTTP_TRY(caller, authenticate(req, ctx.chain->chain_id));
        auto request = parse_unpublish_body(kind, req.body);
        if (!request) {
            unpublish_counters[ki][2]->inc();
            return tl::unexpected(bad_request(request.error()));
        }
        auto done = publisher.unpublish(*ctx.chain, kind, *request, caller);
        if (!done) {
            unpublish_counters[ki][outcome_index(done.error())]->inc();
            return tl::unexpected(publish_http_error("PUT order", done.error()));
        }
        unpublish_counters[ki][0]->inc();
        json::array hashes;
        for (const auto& h : *done) hashes.push_back(json::value(to_hex(h)));
        return ok_json(json::object{{"unpublished", std::move(hashes)}});
    }

    Reply metrics(const ServerRequest& req) const {
        WP_HTTP_TRY(ctx, begin(req));
        const std::uint64_t chain_id = ctx.chain->chain_id;
        return read("GET /metrics", [&](store::Tx& tx) -> Result<Reply> {
            WP_TRY(auto sync, load_sync_state(tx, chain_id));
            WP_TRY(auto counts, count_open_orders_by_kind(tx, chain_id));
            json::object body;
            if (sync && sync->last_block) {
                body["lastBlock"] = *sync->last_block;
                body["checkpointBlock"] = *sync->last_block;
            }
            body["apporders"] = counts.apporders;
            body["datasetorders"] = counts.datasetorders;
            body["workerpoolorders"] = counts.workerpoolorders;
            body["requestorders"] = counts.requestorders;
            return Reply(ok_json(std::move(body)));
        });
    }
};

namespace {

// ---- the OpenAPI document (written independently of install(); api_test checks that the two agree) -------------

struct OpenApiOperation {
    std::string_view method;
    std::string path;  // OpenAPI form: /x/{param}
    std::string_view summary;
    std::string_view query;  // space-separated names; a trailing '!' marks a required one
    bool authenticated;
    std::string_view body;  // request body description ("" = none)
};

constexpr std::string_view kPaging = " page pageIndex pageSize";

const std::vector<OpenApiOperation>& openapi_operations() {
    static const std::vector<OpenApiOperation> ops = [] {
        std::vector<OpenApiOperation> v{
            {"get", "/version", "API version", "", false, ""},
            {"get", "/challenge", "EIP-712 login challenge for an address", "chainId! address!", false, ""},
            {"get", "/categories", "Search categories",
             "chainId! minWorkClockTimeRef maxWorkClockTimeRef page pageIndex pageSize", false, ""},
            {"get", "/categories/{catid}", "One category", "chainId!", false, ""},
            {"get", "/deals", "Search deals",
             "chainId! category requester beneficiary app dataset workerpool appOwner datasetOwner workerpoolOwner "
             "apporderHash datasetorderHash workerpoolorderHash requestorderHash page pageIndex pageSize",
             false, ""},
            {"get", "/deals/{dealid}", "One deal", "chainId!", false, ""},
            {"get", "/ohlc", "Last 100 deals of a category: [blockTimestamp, price, volume]", "chainId! category!",
             false, ""},
            {"get", "/apporders", "Search open apporders",
             "chainId! app appOwner dataset isDatasetStrict workerpool isWorkerpoolStrict requester isRequesterStrict "
             "minTag maxTag minVolume page pageIndex pageSize",
             false, ""},
            {"get", "/datasetorders", "Search open datasetorders",
             "chainId! dataset datasetOwner app isAppStrict workerpool isWorkerpoolStrict requester isRequesterStrict "
             "minTag maxTag minVolume bulkOnly page pageIndex pageSize",
             false, ""},
            {"get", "/workerpoolorders", "Search open workerpoolorders",
             "chainId! workerpool workerpoolOwner app isAppStrict dataset isDatasetStrict requester isRequesterStrict "
             "category minTag maxTag minVolume minTrust page pageIndex pageSize",
             false, ""},
            {"get", "/requestorders", "Search open requestorders",
             "chainId! app dataset requester beneficiary category minTag maxTag maxTrust minVolume workerpool "
             "isWorkerpoolStrict page pageIndex pageSize",
             false, ""},
            {"get", "/metrics", "Last block and open orders per kind", "chainId!", false, ""},
            {"get", "/prometheus", "Prometheus metrics (text format 0.0.4)", "", false, ""},
            {"get", "/health", "Liveness", "", false, ""},
            {"get", "/ready", "Readiness (503 until the first chain sync)", "", false, ""},
            {"get", "/openapi.json", "This document", "", false, ""},
            {"get", "/ws",
             "WebSocket (JSON protocol: {op:subscribe, topic:'<chainId>:orders'|'<chainId>:deals'}); events "
             "<kind>order_published / _updated / _unpublished, deal_created",
             "", false, ""},
        };
        for (std::string_view kind : {"apporder", "datasetorder", "workerpoolorder", "requestorder"}) {
            const std::string by_hash = join({"/", kind, "s/{orderHash}"});
            const std::string list = join({"/", kind, "s"});
            v.push_back({"get", by_hash, "One order by hash (any status)", "chainId!", false, ""});
            v.push_back({"post", list, "Publish a signed order", "chainId!", true, "{\"order\": <signed order>}"});
            v.push_back({"put", list, "Unpublish orders", "chainId!", true,
                         "{\"target\": \"unpublish_orderHash\" | \"unpublish_last\" | \"unpublish_all\", "
                         "\"orderHash\" | <resource address>}"});
        }
        return v;
    }();
    return ops;
}

json::object param_schema(std::string_view name) {
    if (name.ends_with("Strict") || name == "bulkOnly") return {{"type", "boolean"}};
    if (name == "chainId" || name == "page" || name == "pageIndex" || name == "pageSize" || name == "category" ||
        name == "minTrust" || name == "maxTrust" || name == "minVolume" || name == "catid" ||
        name.ends_with("WorkClockTimeRef"))
        return {{"type", "string"}, {"pattern", "^[0-9]+$"}};
    if (name.ends_with("Hash") || name.ends_with("Tag") || name == "dealid" || name == "orderHash")
        return {{"type", "string"}, {"pattern", "^0x[0-9a-fA-F]{64}$"}};
    return {{"type", "string"}, {"description", "address (0x + 40 hex digits) or 'any' where the reference allows"}};
}

std::string build_openapi(const std::string& version) {
    json::object paths;
    for (const auto& op : openapi_operations()) {
        json::array params;
        std::string_view q = op.query;
        while (!q.empty()) {
            const auto sp = q.find(' ');
            std::string_view tok = q.substr(0, sp);
            q = sp == std::string_view::npos ? std::string_view{} : q.substr(sp + 1);
            if (tok.empty()) continue;
            const bool required = tok.back() == '!';
            if (required) tok.remove_suffix(1);
            params.push_back(
                json::object{{"name", tok}, {"in", "query"}, {"required", required}, {"schema", param_schema(tok)}});
        }
        std::string_view p = op.path;
        for (auto pos = p.find('{'); pos != std::string_view::npos; pos = p.find('{', pos + 1)) {
            const auto end = p.find('}', pos);
            const std::string_view name = p.substr(pos + 1, end - pos - 1);
            params.push_back(
                json::object{{"name", name}, {"in", "path"}, {"required", true}, {"schema", param_schema(name)}});
        }
        json::object operation{{"summary", op.summary}, {"parameters", std::move(params)}};
        json::object responses{{"200", json::object{{"description", "{ok: true, ...}"}}},
                               {"400", json::object{{"description", "{ok: false, error: <validation message>}"}}},
                               {"429", json::object{{"description", "{ok: false, error: \"Rate limit exceeded\"}"}}}};
        if (op.authenticated) {
            operation["security"] = json::array{json::object{{"challenge", json::array{}}}};
            responses["403"] = json::object{{"description", "{ok: false, error: \"invalid authorization\" | <rule>}"}};
        }
        if (!op.body.empty())
            operation["requestBody"] = json::object{
                {"required", true},
                {"description", op.body},
                {"content", json::object{{"application/json", json::object{{"schema", {{"type", "object"}}}}}}}};
        operation["responses"] = std::move(responses);
        std::string key(op.path);
        auto& item = paths[key];
        if (!item.is_object()) item = json::object{};
        item.as_object()[op.method] = std::move(operation);
    }
    json::object doc{
        {"openapi", "3.0.3"},
        {"info",
         json::object{{"title", "iexec-pool market (iexec-market-api 7.1.2 compatible)"}, {"version", version}}},
        {"paths", std::move(paths)},
        {"components", json::object{{"securitySchemes",
                                     json::object{{"challenge", json::object{{"type", "apiKey"},
                                                                             {"in", "header"},
                                                                             {"name", "Authorization"},
                                                                             {"description",
                                                                              "<challengeHash>_<signature>_<address> "
                                                                              "of a GET /challenge document"}}}}}}}};
    return json::serialize(doc);
}

}  // namespace

MarketApi::MarketApi(MarketApiDeps deps, MarketApiOptions options)
    : impl_(std::make_unique<Impl>(std::move(deps), std::move(options))) {}

MarketApi::~MarketApi() { stop(); }

void MarketApi::stop() { impl_->batcher->stop(); }

PublishBatcherStats MarketApi::batch_stats() const { return impl_->batcher->stats(); }

net::HttpServerOptions MarketApi::server_options(net::HttpServerOptions base, const MarketApiOptions& options) {
    base.error_formatter = net::ok_false_error_formatter();
    base.cors.allowed_origins = options.cors_origins;
    base.max_body_bytes = options.max_body_bytes;
    return base;
}

std::shared_ptr<net::WebSocketHub> MarketApi::install(net::HttpServer& server) {
    Impl& impl = *impl_;
    auto& registry = server.metrics();
    for (std::size_t k = 0; k < kKinds.size(); ++k)
        for (std::size_t o = 0; o < kOutcomes.size(); ++o) {
            const net::MetricLabels labels{{"kind", std::string(order_key(kKinds[k]))},
                                           {"outcome", std::string(kOutcomes[o])}};
            impl.publish_counters[k][o] =
                &registry.counter("wp_market_publish_total", "POST /<kind>orders answers by outcome", labels);
            impl.unpublish_counters[k][o] =
                &registry.counter("wp_market_unpublish_total", "PUT /<kind>orders answers by outcome", labels);
        }
    if (impl.limiter)
        server.use(impl.limiter->filter(
            &registry.counter("wp_http_rate_limited_total", "requests refused by the per-IP rate limit")));

    const auto add = [&](std::string method, std::string path, net::Handler handler, net::RouteOptions route = {}) {
        impl.routes.push_back(ApiRoute{method, path});
        server.handle(std::move(method), std::move(path), std::move(handler), std::move(route));
    };
    const net::RouteOptions auth_route{.run_inline = impl.options.inline_auth_routes};
    add("GET", "/version", [&impl](const ServerRequest& r) { return impl.version(r); });
    add(
        "GET", "/challenge", [&impl](const ServerRequest& r) { return impl.challenge(r); }, auth_route);
    add("GET", "/categories", [&impl](const ServerRequest& r) { return impl.categories(r); });
    add("GET", "/categories/:catid", [&impl](const ServerRequest& r) { return impl.category(r); });
    add("GET", "/deals", [&impl](const ServerRequest& r) { return impl.deals(r); });
    add("GET", "/deals/:dealid", [&impl](const ServerRequest& r) { return impl.deal(r); });
    add("GET", "/ohlc", [&impl](const ServerRequest& r) { return impl.ohlc(r); });
    for (OrderKind kind : kKinds) {
        const std::string base = collection(kind);
        add("GET", base, [&impl, kind](const ServerRequest& r) { return impl.order_list(kind, r); });
        add("GET", join({base, "/:orderHash"}),
            [&impl, kind](const ServerRequest& r) { return impl.order_by_hash(kind, r); });
        impl.routes.push_back(ApiRoute{"POST", base});
        server.handle_async(
            "POST", base,
            [&impl, kind](const ServerRequest& r, net::Responder responder) { impl.publish(kind, r, responder); },
            auth_route);
        add("PUT", base, [&impl, kind](const ServerRequest& r) { return impl.unpublish(kind, r); });
    }
    add("GET", "/metrics", [&impl](const ServerRequest& r) { return impl.metrics(r); });
    add("GET", "/prometheus", [&registry](const ServerRequest&) -> Reply {
        HttpResponse res = HttpResponse::text(200, registry.render());
        for (auto& h : res.headers)
            if (h.first == "Content-Type") h.second = std::string(net::MetricsRegistry::kContentType);
        return res;
    });
    add("GET", "/health", [&server](const ServerRequest&) -> Reply {
        if (server.stopping()) return HttpResponse::json(503, R"({"status":"stopping"})");
        return HttpResponse::json(200, R"({"status":"ok"})");
    });
    add("GET", "/ready", [&impl, &server](const ServerRequest&) -> Reply {
        net::HealthReport report;
        if (server.stopping()) report = net::HealthReport{false, R"({"status":"stopping"})"};
        else if (impl.options.ready) {
            try {
                report = impl.options.ready();
            } catch (...) {
                report = net::HealthReport{false, R"({"status":"error"})"};
            }
        }
        return HttpResponse::json(report.healthy ? 200 : 503, report.json_body);
    });
    const std::string openapi = build_openapi(impl.options.version);
    add("GET", "/openapi.json", [openapi](const ServerRequest&) -> Reply { return HttpResponse::json(200, openapi); });

    net::WebSocketOptions ws = impl.options.websocket;
    std::vector<std::string> topics;
    for (const auto& [id, ctx] : impl.chains) {
        topics.push_back(std::to_string(id) + ":orders");
        topics.push_back(std::to_string(id) + ":deals");
    }
    ws.authorize_topic = [topics](const ServerRequest&, std::string_view topic) -> std::optional<std::string> {
        for (const auto& t : topics)
            if (t == topic) return std::nullopt;
        return "unknown topic '" + cut(topic, 64) + "' (expected <chainId>:orders or <chainId>:deals)";
    };
    impl.routes.push_back(ApiRoute{"GET", "/ws"});
    return server.websocket("/ws", std::move(ws));
}

const std::vector<ApiRoute>& MarketApi::routes() const { return impl_->routes; }

std::string MarketApi::openapi_json() const { return build_openapi(impl_->options.version); }

Publisher& MarketApi::publisher() { return impl_->publisher; }

net::RateLimiter* MarketApi::rate_limiter() { return impl_->limiter.get(); }

}  // namespace wp::market
