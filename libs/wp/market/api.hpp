#pragma once
// MarketApi: the iexec-market-api 7.1.2 compatible HTTP API (sdk-cli-and-market.md §5, §7) on net::HttpServer.
//
// Routes (install()):
//   GET  /version                                 {ok, version}                       (no chainId, as the reference)
//   GET  /challenge?chainId&address                {ok, data: EIP-712 typed data}       (service/challenge.hpp)
//   GET  /categories, /categories/:catid           {ok, categories, count, nextPage?} / {ok, <category document>}
//   GET  /deals, /deals/:dealid                    {ok, deals, count, nextPage?} / {ok, <deal document>}
//   GET  /ohlc?category                            {ok, ohlc}
//   for kind in apporders, datasetorders, workerpoolorders, requestorders:
//     GET  /<kind>                                 {ok, orders, count, nextPage?}      (search_params.hpp filters)
//     GET  /<kind>/:orderHash                      {ok, <order document>}; 404 "<kind without s> not found"
//     POST /<kind>   body {order}                  {ok:true, published:<order document>}   (authenticated)
//     PUT  /<kind>   body {target, orderHash|<resource>}   {ok:true, unpublished:[hash…]}  (authenticated)
//   GET  /metrics?chainId                          {ok, lastBlock, checkpointBlock, apporders, datasetorders,
//                                                   workerpoolorders, requestorders} (open orders per kind)
//   GET  /prometheus                               Prometheus text (the server's registry + the market's counters)
//   GET  /health, /ready                           200 {"status":"ok"} / 503 (ready: MarketApiOptions::ready)
//   GET  /openapi.json                             an OpenAPI 3.0 document of exactly these routes (openapi_json())
//   GET  /ws                                       WebSocket (net/ws_protocol.hpp), topics "<chainId>:orders" and
//                                                  "<chainId>:deals" of the served chains (live.hpp publishes)
//
// Rules shared by every route but /version, /prometheus, /health, /ready, /openapi.json and /ws:
//  - the query string is at most max_query_bytes (else 414 "query string longer than N bytes") and parses strictly
//    (net::QueryParams: a malformed escape or a duplicated parameter is a 400 naming it);
//  - chainId is required ("chainId is a required field") and must be the decimal id of a served chain
//    ("chainId 5 is not supported"), 400 — checked before anything else;
//  - other parameters follow search_params.hpp (400, the reference's yup messages, unknown parameters ignored).
// Mutating routes (POST / PUT) then authenticate `Authorization: <hash>_<signature>_<address>` against the request's
// chain (ChallengeAuth::verify: single use, expiry, signer, chain): any failure is 403 "invalid authorization" (the
// reason is logged at warn level with the remote address). The body comes after (order_input.hpp: 400), then the
// rules (publish.hpp: 403 with the rule's message). Error bodies are {"ok":false,"error":<message>}
// (server_options() installs net::ok_false_error_formatter); a failure of the database or the chain is 500
// "internal error" (detail logged); a bad input is never a 500.
// Rate limit: a global filter, RateLimiter per client IP (MarketApiOptions::rate_limit; loopback exempt by
// default) answering 429 {"ok":false,"error":"Rate limit exceeded"} with Retry-After. CORS, body limit and the error
// formatter are server options: build the server with server_options().
//
// Dependencies are explicit (MarketApiDeps) so that market_service assembles them; the API owns the Publisher and
// the RateLimiter. Thread safety: handlers run on the server's pool; everything they use is thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/clock.hpp>
#include <wp/net/http_server.hpp>
#include <wp/net/rate_limiter.hpp>
#include <wp/net/websocket.hpp>
#include <wp/service/challenge.hpp>
#include <wp/store/store.hpp>

#include "publish.hpp"
#include "publish_batcher.hpp"

namespace wp::market {

struct MarketApiOptions {
    //! GET /version's `version`.
    std::string version{"7.1.2"};
    PublishOptions publish{};
    //! Group commit of POST /<kind>orders (publish_batcher.hpp).
    PublishBatcherOptions batch{};
    //! Per-IP limit (the reference's default: 100 requests per 60 s, loopback exempt). nullopt: no limit.
    std::optional<net::RateLimitOptions> rate_limit{net::RateLimitOptions{}};
    std::size_t max_query_bytes{4096};
    //! HttpServerOptions::max_body_bytes set by server_options() (order bodies are a few hundred bytes).
    std::size_t max_body_bytes{kMaxOrderBodyBytes};
    //! CORS origins (server_options()); the reference allows any origin.
    std::vector<std::string> cors_origins{"*"};
    net::WebSocketOptions websocket{};
    //! GET /ready (e.g. "the first chain sync is done"); empty: always ready.
    std::function<net::HealthReport()> ready{};
    //! Catch-up on demand: called when a publish is refused by a rule (a chain fact may not be mirrored yet: a
    //! workerpool deployed or a deposit made in the last block). It brings the chain's mirror to the head and
    //! returns true when the mirror moved, in which case the publish is evaluated once more. Empty: no retry.
    std::function<bool(std::uint64_t chain_id)> sync_to_head{};
    //! GET /challenge and POST /<kind>orders run on the server's I/O threads (net::RouteOptions::run_inline) instead
    //! of its handler pool, saving two thread hand-offs per request (a publish is both). Only when neither blocks:
    //! the challenge store is in memory (a database store writes on both routes). The publish's work on that thread
    //! is the checks before the batcher (body, signatures: ~0.1 ms); the batcher answers from its writer. Off by
    //! default: it saved context switches but no CPU per publish, and lost throughput on a shared machine (market.md
    //! round 5).
    bool inline_auth_routes{false};
};

struct MarketApiDeps {
    store::Database* db{nullptr};
    //! The served chains (chainId values accepted); each ChainContext needs its ChainState.
    std::vector<ChainContext> chains;
    service::ChallengeAuth* auth{nullptr};
    Clock* clock{nullptr};
};

//! One registered route (what openapi_json() documents).
struct ApiRoute {
    std::string method;  //!< "GET", "POST", "PUT"
    std::string path;    //!< the template, e.g. "/workerpoolorders/:orderHash"
};

class MarketApi {
  public:
    MarketApi(MarketApiDeps deps, MarketApiOptions options = {});
    ~MarketApi();
    MarketApi(const MarketApi&) = delete;
    MarketApi& operator=(const MarketApi&) = delete;

    //! `base` with the API's needs: ok_false error formatter, CORS origins, max body bytes.
    static net::HttpServerOptions server_options(net::HttpServerOptions base, const MarketApiOptions& options);

    //! Registers every route, the rate-limit filter and the /ws endpoint on `server` (before server.start()).
    //! Returns the WebSocket hub for the LivePump. Call once; the API must outlive the server's use of it.
    std::shared_ptr<net::WebSocketHub> install(net::HttpServer& server);

    //! The routes install() registered (method + template), in registration order.
    const std::vector<ApiRoute>& routes() const;
    //! The OpenAPI 3.0 document (JSON text) of the routes, with their parameters.
    std::string openapi_json() const;

    Publisher& publisher();
    //! Stops the publish batcher: the publishes already accepted are written and answered (if their connection is
    //! still there). Call it after the server stopped and BEFORE the server is destroyed (the answers count in the
    //! server's metrics); the destructor calls it too. Idempotent.
    void stop();
    //! The batcher's counters (group commit: transactions, items, largest batch).
    PublishBatcherStats batch_stats() const;
    //! The rate limiter (null when MarketApiOptions::rate_limit is nullopt).
    net::RateLimiter* rate_limiter();

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace wp::market
