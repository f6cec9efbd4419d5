#pragma once
// HttpServer: the HTTP/1.1 + WebSocket server of the project's services (market API, scheduler worker API, the
// embedded chain's JSON-RPC endpoint) and of tests.
//
// Routing (router.hpp): a method and a path template ("/workerpoolorders/:orderHash"); literal segments win over
// parameters. No matching path: 404 "not found"; a matching path without the method: 405 "method not allowed" with an
// Allow header. HEAD is answered by the GET handler without the body when no HEAD route exists; OPTIONS is answered
// 204 with Allow when no OPTIONS route exists. A malformed percent escape in a path parameter answers 400.
//
// Handlers (all of them: route(), handle(), handle_async(), filters) run on a bounded pool of `worker_threads`
// threads, never on the I/O threads (except routes that opt in with RouteOptions::run_inline, for handlers that
// never block); the connection's I/O coroutine waits for the reply without blocking a thread. The hand-off to the
// pool and back costs about 5-10 us of CPU per request (net/ratio_vs_bare_get in http_server_benchmark.cpp).
// Each connection has at most one request in flight, so the pool's queue is bounded by max_connections.
//  - handle(): Reply(const ServerRequest&), where Reply is either a response or an HttpError. An HttpError becomes
//    a response through the server's ErrorFormatter (default {"error":msg}; ok_false_error_formatter() gives the
//    market's {"ok":false,"error":msg}). A handler that throws answers 500 "internal error".
//  - handle_async(): the handler gets a Responder it may complete later from any thread (long-poll). The request
//    ends at the first of: the reply, its timeout (RouteOptions::timeout, default request_timeout; the reply is then
//    RouteOptions::on_timeout() or 503 "request timed out"), the client closing the connection, server stop. In the
//    last three cases the Responder's on_close callbacks run (on an I/O thread, or the thread calling stop(): keep
//    them short) and later replies are dropped. A queued job whose request already ended is skipped.
//  - Filters (use() for every request, RouteOptions::filters per route, in that order) run before the handler; a
//    filter returns nullopt to continue or a Reply to answer at once. Global filters also see requests that end in
//    404 / 405. A filter may store values in ServerRequest::attributes (e.g. the authenticated address).
//
// CORS (CorsOptions): when allowed_origins is not empty, a request with an allowed Origin gets
// Access-Control-Allow-Origin ("*" when the list is {"*"}, else the origin itself plus "Vary: Origin") on every
// response, errors included; a preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered 204
// with Allow-Methods / Allow-Headers / Max-Age before filters and routing.
//
// Limits and timeouts:
//  - max_connections: an accepted connection above the cap is answered at once, without reading its request, with
//    503 "too many open connections" (through the ErrorFormatter) and "Connection: close", then closed (what the
//    client sends meanwhile is read and dropped for at most 1 s, so the answer is not lost to a reset; in a flood,
//    beyond 64 such connections at once, the others are closed without an answer); counted in
//    wp_http_connections_rejected_total{reason="max_connections"};
//  - idle_timeout: a keep-alive connection must start its next request within it;
//  - header_timeout: once the first byte of a request arrived, the full header must arrive within it (slowloris),
//    else the connection is closed (reason="header_timeout");
//  - request_timeout: reading the body and writing the response, each;
//  - max_body_bytes (413 and close), headers at most 16 KiB (431 and close);
//  - accept errors (EMFILE, ENFILE, ENOBUFS...) pause the accept loop with an exponential back-off from
//    accept_backoff_initial to accept_backoff_max (reset by a successful accept); on_accept_error sees each one.
// Keep-alive: HTTP/1.1 connections stay open unless the client sends "Connection: close".
//
// stop(grace): stops accepting, closes idle connections and WebSocket sessions (close code 1001), lets requests in
// flight finish (their responses carry "Connection: close") for at most `grace`, then closes everything, ends the
// pending async requests, joins the threads. The destructor calls stop().
//
// Metrics (metrics(), shared through HttpServerOptions::metrics): wp_http_requests_total{code="2xx"...},
// wp_http_request_duration_seconds, wp_http_connections_total, wp_http_connections_open,
// wp_http_connections_rejected_total{reason}, wp_http_accept_errors_total, wp_ws_connections_open,
// wp_ws_messages_sent_total, wp_ws_dropped_total.
//
// Thread safety: configure (route, handle, handle_async, use, websocket) before start(); the other members may be
// called from any thread. Asio and Beast stay inside http_server.cpp.

#include <any>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/result.hpp>

#include "http.hpp"
#include "metrics.hpp"
#include "query.hpp"
#include "router.hpp"

namespace wp::net {

//! An error answer: status (4xx / 5xx) and message, rendered by the server's ErrorFormatter.
struct HttpError {
    unsigned status{400};
    std::string message;
    HttpHeaders headers{};  //!< extra headers (e.g. Retry-After)

    //! 400 with the error's message (a bad parameter or body).
    static HttpError bad_request(const Error& e) { return HttpError{400, e.message, {}}; }
    //! Maps an error value: input errors (invalid argument, hex, length, checksum, overflow, decoding) -> 400,
    //! kTooLarge -> 413, kTimeout -> 504, anything else -> 500 "internal error" (the detail is not exposed).
    static HttpError from(const Error& e);
};

using Reply = tl::expected<HttpResponse, HttpError>;

//! Builds the response of an HttpError.
using ErrorFormatter = std::function<HttpResponse(unsigned status, std::string_view message)>;
//! {"error":"<message>"} (the default).
HttpResponse default_error_response(unsigned status, std::string_view message);
//! {"ok":false,"error":"<message>"} (the iExec market API's shape).
ErrorFormatter ok_false_error_formatter();

struct ServerRequest {
    std::string method;  //!< e.g. "POST"
    std::string target;  //!< as received: "/path?query"
    std::string path;    //!< target without the query
    std::string query;   //!< after '?', "" when absent
    HttpHeaders headers;
    std::string body;
    std::string remote;     //!< peer "ip:port"
    std::string remote_ip;  //!< peer address without the port ("127.0.0.1", "::1")
    PathParams params;      //!< decoded path parameters of the matched template
    //! Free slot for filters -> handlers (e.g. "auth.address" -> wp::Address).
    std::map<std::string, std::any, std::less<>> attributes;

    std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
    //! A path parameter by name (always present for the matched template).
    std::optional<std::string_view> param(std::string_view name) const;
    //! Parses `query` strictly (QueryParams::parse).
    Result<QueryParams> query_params() const { return QueryParams::parse(query); }
    //! The attribute `name` if present with type T.
    template <class T>
    const T* attribute(std::string_view name) const {
        auto it = attributes.find(name);
        return it == attributes.end() ? nullptr : std::any_cast<T>(&it->second);
    }
};

using HttpHandler = std::function<HttpResponse(const ServerRequest&)>;
using Handler = std::function<Reply(const ServerRequest&)>;
//! nullopt: continue; a Reply: answer now.
using Filter = std::function<std::optional<Reply>(ServerRequest&)>;

//! The completion handle of an asynchronous request (copyable; all copies share one state).
class Responder {
  public:
    struct State;
    explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
    //! Answers the request; the first call wins. False when the request already ended (replied, timed out, client
    //! gone, server stopped). Any thread.
    bool reply(Reply reply) const;
    //! True once the request ended without this responder's reply being taken.
    bool closed() const;
    //! Runs `fn` once when the request ends without a reply (client gone, timeout, stop); at once if it already did.
    void on_close(std::function<void()> fn) const;

  private:
    std::shared_ptr<State> state_;
};

using AsyncHandler = std::function<void(const ServerRequest&, Responder)>;

struct RouteOptions {
    std::vector<Filter> filters{};
    //! Deadline of the handler's reply (default: HttpServerOptions::request_timeout).
    std::optional<std::chrono::milliseconds> timeout{};
    //! The reply when the deadline passes (default: 503 "request timed out"). Long-poll: an empty event list.
    std::function<Reply()> on_timeout{};
    //! Run the filters and the handler on the I/O thread, not the pool (two hand-offs fewer). Only for handlers that
    //! never block (no I/O, no lock held for long): /metrics, reads of in-memory state; handle_async(): a handler that
    //! starts work completed elsewhere (its timeout applies). handle() / route(): the timeout does not apply.
    bool run_inline{false};
};

struct CorsOptions {
    std::vector<std::string> allowed_origins{};  //!< empty: CORS off; {"*"}: any origin
    std::string allowed_headers{"Authorization, Content-Type"};
    std::string expose_headers{};
    std::chrono::seconds max_age{600};
};

class WebSocketHub;
struct WebSocketOptions;

struct HttpServerOptions {
    std::string bind_address{"127.0.0.1"};  //!< IPv4 or IPv6 literal ("0.0.0.0" for every interface)
    std::uint16_t port{0};                  //!< 0: the kernel picks a free port (see HttpServer::port())
    unsigned threads{2};                    //!< I/O threads
    unsigned worker_threads{4};             //!< handler pool
    std::size_t max_body_bytes{std::size_t{1} << 20};
    std::size_t max_connections{10000};
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds accept_backoff_initial{std::chrono::milliseconds(10)};
    std::chrono::milliseconds accept_backoff_max{std::chrono::seconds(1)};
    ErrorFormatter error_formatter{};  //!< empty: default_error_response
    CorsOptions cors{};
    std::shared_ptr<MetricsRegistry> metrics{};  //!< null: the server makes its own
    //! Called (on an I/O thread) for each failed accept with the system message and the pause before the next try.
    std::function<void(const std::string& error, std::chrono::milliseconds backoff)> on_accept_error{};
    //! How long an I/O thread or a handler thread that ran out of work keeps polling for more (yielding the CPU
    //! between polls) before it sleeps. Under load the next request or reply arrives within it, which saves the
    //! wake-ups (a futex or eventfd call and a context switch each) that cost more than a typical handler; an idle
    //! server sleeps after it. The price: after each burst of work every server thread polls for this long (on a
    //! machine with nothing else to run that shows as CPU use; yielding gives the CPU to anything runnable). On 2
    //! cores with 100 keep-alive connections: 50 us kept ~0.80 of a bare Beast server, 150 us ~0.88, 300 us no more.
    //! 0: sleep at once.
    std::chrono::microseconds idle_spin{150};
};

class HttpServer {
  public:
    explicit HttpServer(HttpServerOptions options = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    //! Registers (or replaces) a handler returning a response. `path` is a template (exact paths are templates
    //! too); an invalid template is a programmer error (assert). Before start().
    void route(std::string method, std::string path, HttpHandler handler);
    //! A handler returning a response or an HttpError, with per-route filters and timeout.
    void handle(std::string method, std::string path, Handler handler, RouteOptions options = {});
    //! An asynchronous handler (see the header comment).
    void handle_async(std::string method, std::string path, AsyncHandler handler, RouteOptions options = {});
    //! Adds a global filter (run for every request, in order, before the route's filters).
    void use(Filter filter);
    //! A WebSocket endpoint on GET `path` (websocket.hpp); publish through the returned hub from any thread.
    std::shared_ptr<WebSocketHub> websocket(std::string path, WebSocketOptions options);

    //! Binds, listens and starts the I/O threads and the handler pool. Errc::kInvalidArgument for a bad bind
    //! address, Errc::kNetwork if the address cannot be bound (message includes the address and the system error).
    Result<void> start();
    //! The bound port (after start()).
    std::uint16_t port() const;
    //! "http://<bind_address>:<port>" (after start()).
    std::string base_url() const;

    //! Graceful stop (see the header comment). Idempotent.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
    //! True once stop() has begun (a /health handler may report it).
    bool stopping() const;

    //! Closes the connections that are waiting for a new request (as an idle timeout would); a connection
    //! busy with a request is closed right after its response.
    void close_idle_connections();

    //! Connections accepted since start() (rejected ones included).
    std::uint64_t connections_accepted() const;
    //! Requests answered since start() (counted when the response is handed to the connection).
    std::uint64_t requests_handled() const;
    //! Connections open now (HTTP and WebSocket).
    std::size_t connections_open() const;
    MetricsRegistry& metrics();

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

//! GET handler for Prometheus: 200 with registry.render() (Content-Type text/plain; version=0.0.4).
HttpHandler metrics_handler(std::shared_ptr<MetricsRegistry> registry);

struct HealthReport {
    bool healthy{true};
    std::string json_body{"{\"status\":\"ok\"}"};  //!< sent as is (application/json)
};
//! GET handler for health checks: 200 when healthy, else 503, with the report's JSON body. A callback that throws
//! answers 503 {"status":"error"}.
HttpHandler health_handler(std::function<HealthReport()> check);

}  // namespace wp::net
