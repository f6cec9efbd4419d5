#pragma once
// HttpClient: an HTTP/1.1 client for http:// and https:// URLs with persistent keep-alive connections.
//
// - One internal I/O thread (Asio) serves every request of a client; many requests can be in flight at once,
//   each on its own connection. Finished connections go back to a per-origin idle pool (at most
//   HttpClientOptions::max_idle_per_origin) and are reused by later requests to the same scheme://host:port.
// - A reused connection that the server had closed while idle (the request write fails, or the response read
//   ends before a single byte arrives) is replaced transparently: the request is sent once more on a fresh
//   connection. Only that case is retried; any other failure is returned. (Like most clients, this means a
//   POST can reach a server twice only if the server closed the connection without answering.)
// - Deadlines: `connect_timeout` bounds DNS + TCP connect + TLS handshake; `request_timeout` bounds the whole
//   request from the call to the last response byte, connect included (Errc::kTimeout).
// - The response body is limited to `max_response_bytes` (Errc::kTooLarge), headers to 64 KiB.
// - HTTPS: system trust store (plus `ca_file`), SNI, host name or IP verification (verify_tls = false disables both
//   checks; tests only).
// - Errors: Errc::kInvalidArgument (bad URL or method), Errc::kNetwork (resolve / connect / TLS / I/O / malformed
//   HTTP, with the system message), Errc::kTimeout, Errc::kTooLarge. Messages start with "METHOD url: ".
//   An HTTP error status (4xx, 5xx) is not an error here: it is a response.
//
// Thread safety: every public member function may be called from any thread concurrently. Completion callbacks
// run on the client's I/O thread: they must not block, and they must not call the synchronous request(),
// get() or post() (which return an error when called from the I/O thread instead of deadlocking); starting
// another async_request() from a callback is fine. Destroying the client completes every request still in
// flight with an error (Errc::kNetwork, "client shut down") before the destructor returns.
//
// Asio and Beast stay inside http_client.cpp; this header is cheap to include.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <wp/core/result.hpp>

#include "http.hpp"

namespace wp::net {

struct HttpClientOptions {
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
    std::size_t max_response_bytes{kDefaultMaxBodyBytes};
    //! Idle keep-alive connections kept per origin; extra ones are closed.
    std::size_t max_idle_per_origin{8};
    bool verify_tls{true};
    //! PEM file of extra trusted certificates (a private CA, or a node's self-signed certificate), added to the
    //! system trust store. A file that cannot be loaded fails every https request with Errc::kInvalidArgument.
    std::string ca_file{};
    std::string user_agent{"wp-net/0.1"};
};

struct HttpRequest {
    std::string method{"GET"};  //!< a standard method name in upper case: GET, POST, PUT, DELETE, ...
    std::string url{};          //!< absolute URL (parse_url rules)
    HttpHeaders headers{};      //!< Host, Content-Length, Connection and User-Agent are set by the client
    std::string body{};
    std::optional<std::chrono::milliseconds> timeout{};  //!< overrides request_timeout
    std::optional<std::size_t> max_response_bytes{};     //!< overrides max_response_bytes
};

class HttpClient {
  public:
    using Callback = std::function<void(Result<HttpResponse>)>;
    //! Receives a streamed response body in order, as it arrives (chunked transfer coding removed), in pieces of at
    //! most 64 KiB (never empty), on the client's I/O thread, after the status and headers were read. Returning
    //! false stops the exchange: the connection is closed (not reused) and the response (status, headers, empty
    //! body) is the result. A sink may write to a file (the I/O thread waits meanwhile) and must not call this
    //! client's synchronous functions.
    using BodySink = std::function<bool(std::string_view chunk)>;

    //! Counters for tests and metrics.
    struct Stats {
        std::uint64_t requests{0};            //!< requests completed (successfully or not)
        std::uint64_t connections_opened{0};  //!< TCP connections established
        std::uint64_t reconnects{0};          //!< requests re-sent because a reused connection was closed
    };

    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    //! Starts the request; `done` is called exactly once, on the I/O thread, with the response or the error.
    void async_request(HttpRequest request, Callback done);
    //! Starts the request; the future becomes ready with the response or the error.
    std::future<Result<HttpResponse>> request_future(HttpRequest request);
    //! Sends the request and waits for the response (not from the I/O thread: see above).
    Result<HttpResponse> request(HttpRequest request);
    //! Like async_request(), but the response body is handed to `sink` instead of being kept (HttpResponse::body
    //! stays empty): memory stays bounded whatever the body's size. The size limit (max_response_bytes) applies to
    //! the total streamed: past it the exchange stops with Errc::kTooLarge ("response body larger than N bytes"),
    //! the sink having received at most N bytes. The body of any status is streamed: the caller checks the
    //! result's status before trusting what its sink received. A reused connection found closed is retried as for
    //! async_request(): the sink had received nothing then.
    void async_request_streaming(HttpRequest request, BodySink sink, Callback done);
    //! Synchronous request_streaming (not from the I/O thread).
    Result<HttpResponse> request_streaming(HttpRequest request, BodySink sink);
    //! GET url.
    Result<HttpResponse> get(std::string_view url, HttpHeaders headers = {});
    //! POST url with `body`; Content-Type defaults to application/json unless `headers` has one.
    Result<HttpResponse> post(std::string_view url, std::string body, HttpHeaders headers = {});

    //! Runs `fn` on the I/O thread after `delay` (at once, also on the I/O thread, when the client is being
    //! destroyed). Used for retry back-off by clients built on top of this one.
    void run_after(std::chrono::milliseconds delay, std::function<void()> fn);
    //! True when called from this client's I/O thread.
    bool in_io_thread() const;
    //! Closes every idle pooled connection.
    void close_idle_connections();
    Stats stats() const;
    const HttpClientOptions& options() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace wp::net
