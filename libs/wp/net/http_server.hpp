#pragma once
// HttpServer: a small HTTP/1.1 server for the project's services (market API, scheduler worker API, the
// embedded chain's JSON-RPC endpoint) and for tests.
//
// - Routing: exact match on method and path (the target without "?query"). An unknown path answers
//   404 {"error":"not found"}; a known path with another method answers 405 with an Allow header.
// - Handlers are synchronous functions ServerRequest -> HttpResponse. They run on the server's I/O threads
//   (`threads` of them), concurrently for different connections, so they must be thread-safe and should not
//   block for long. A handler that throws answers 500 {"error":"internal error"}.
// - Limits: request bodies above max_body_bytes answer 413 and close the connection; headers are limited
//   to 16 KiB (431 / close). A connection must deliver its next complete request within idle_timeout (else it
//   is closed); writing a response is bounded by request_timeout.
// - Keep-alive: HTTP/1.1 connections stay open unless the client sends "Connection: close".
// - stop(): stops accepting, closes idle connections, lets requests being handled finish (their responses
//   carry "Connection: close") for at most `grace`, then closes everything and joins the threads.
//   The destructor calls stop().
//
// Asio and Beast stay inside http_server.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <wp/core/result.hpp>

#include "http.hpp"

namespace wp::net {

struct HttpServerOptions {
    std::string bind_address{"127.0.0.1"};  //!< IPv4 or IPv6 literal ("0.0.0.0" for every interface)
    std::uint16_t port{0};                  //!< 0: the kernel picks a free port (see HttpServer::port())
    unsigned threads{2};
    std::size_t max_body_bytes{std::size_t{1} << 20};
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
};

struct ServerRequest {
    std::string method;  //!< e.g. "POST"
    std::string target;  //!< as received: "/path?query"
    std::string path;    //!< target without the query
    std::string query;   //!< after '?', "" when absent
    HttpHeaders headers;
    std::string body;
    std::string remote;  //!< peer "ip:port"

    std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

using HttpHandler = std::function<HttpResponse(const ServerRequest&)>;

class HttpServer {
  public:
    explicit HttpServer(HttpServerOptions options = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    //! Registers (or replaces) the handler for `method` (upper case) and exact `path`. Call before start().
    void route(std::string method, std::string path, HttpHandler handler);

    //! Binds, listens and starts the I/O threads. Errc::kInvalidArgument for a bad bind address,
    //! Errc::kNetwork if the address cannot be bound (message includes the address and the system error).
    Result<void> start();
    //! The bound port (after start()).
    std::uint16_t port() const;
    //! "http://<bind_address>:<port>" (after start()).
    std::string base_url() const;

    //! Graceful stop (see the header comment). Idempotent.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

    //! Closes the connections that are waiting for a new request (as an idle timeout would); a connection
    //! busy with a request is closed right after its response. Tests use it to simulate a server dropping
    //! keep-alive connections.
    void close_idle_connections();

    //! Connections accepted since start().
    std::uint64_t connections_accepted() const;
    //! Requests answered since start() (counted when the response is handed to the connection).
    std::uint64_t requests_handled() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace wp::net
