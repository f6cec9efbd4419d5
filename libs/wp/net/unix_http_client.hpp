#pragma once
// UnixHttpClient: HTTP/1.1 requests over a Unix domain stream socket (the Docker Engine API on
// /var/run/docker.sock, or any local daemon that speaks HTTP on a socket file).
//
// - One connection per request ("Connection: close"): connecting to a local socket costs microseconds, and a
//   request never waits for another one's connection. Every call runs its own I/O on the calling thread (no
//   background thread), so a client is cheap to create and every member function may be called from any number
//   of threads at once.
// - The request target is given in origin form ("/v1.41/containers/json?all=1"): printable ASCII without spaces,
//   starting with '/'. The Host header is UnixHttpClientOptions::host.
// - Deadlines: `connect_timeout` bounds the connect; `request_timeout` (or HttpRequest::timeout) bounds the whole
//   exchange from the call to the last body byte (Errc::kTimeout). Long-lived streams (`docker logs --follow`,
//   an image pull) give their own timeout.
// - Body limits: headers at most 64 KiB; the body at most `max_response_bytes` (or HttpRequest::max_response_bytes)
//   whether it is buffered (request) or streamed (request_streaming): Errc::kTooLarge.
// - Errors: Errc::kInvalidArgument (empty or too long socket path, bad target or method), Errc::kNetwork (connect
//   / I/O failure with the system message, malformed HTTP), Errc::kTimeout, Errc::kTooLarge. Messages start with
//   "METHOD unix:<socket><target>: ". An HTTP error status (4xx, 5xx) is a response, not an error.
//
// Asio and Beast stay inside unix_http_client.cpp; this header is cheap to include.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <wp/core/result.hpp>

#include "http.hpp"
#include "http_client.hpp"

namespace wp::net {

struct UnixHttpClientOptions {
    //! Path of the socket file (at most 107 bytes: the sockaddr_un limit).
    std::string socket_path{};
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
    std::size_t max_response_bytes{kDefaultMaxBodyBytes};
    //! Value of the Host header (HTTP/1.1 requires one; local daemons ignore it).
    std::string host{"localhost"};
    std::string user_agent{"wp-net/0.1"};
};

class UnixHttpClient {
  public:
    //! Receives the response body in order, as it arrives (chunked transfer coding already removed), in pieces of
    //! any size (never empty). Returning false stops the exchange: the connection is closed and the response
    //! (status and headers) is returned as a success; the caller knows it stopped.
    using BodySink = std::function<bool(std::string_view chunk)>;

    explicit UnixHttpClient(UnixHttpClientOptions options);

    //! Sends `request` (its `url` is the origin-form target) and reads the whole response into HttpResponse::body.
    Result<HttpResponse> request(const HttpRequest& request) const;
    //! Like request(), but the body is handed to `sink` instead of being kept (HttpResponse::body stays empty).
    //! The size limit applies to the total streamed.
    Result<HttpResponse> request_streaming(const HttpRequest& request, const BodySink& sink) const;
    //! GET target.
    Result<HttpResponse> get(std::string_view target) const;
    //! POST target with a JSON body (Content-Type application/json; an empty body sends Content-Length 0).
    Result<HttpResponse> post_json(std::string_view target, std::string body = {}) const;
    //! DELETE target.
    Result<HttpResponse> del(std::string_view target) const;

    const UnixHttpClientOptions& options() const { return options_; }

  private:
    UnixHttpClientOptions options_;
};

}  // namespace wp::net
