#pragma once
// WebSocket endpoints of HttpServer (topics, subscriptions, back-pressure) and a WebSocket client. The JSON protocol
// is in ws_protocol.hpp. No Asio / Beast here.
//
// Server side (HttpServer::websocket(path, options) -> shared_ptr<WebSocketHub>):
//  - the upgrade request (GET path with "Upgrade: websocket") goes through the server's global filters and then
//    `options.filters` (authentication: a filter answering an HttpError refuses the upgrade with that status);
//    `authorize_topic` may refuse single subscriptions;
//  - each connection has a send queue bounded by max_queue_messages AND max_queue_bytes. A publish that would exceed
//    either limit DROPS the connection: its queue is discarded (except the frame being written), a close frame with
//    code 1008 (policy violation) follows that frame, and the socket is closed after close_grace in any case (a
//    client that stopped reading cannot take the close frame). Memory per connection never exceeds the limits;
//    drops are counted (dropped(), wp_ws_dropped_total);
//  - keep-alive: the server pings a silent client after idle_timeout / 2 and closes it after idle_timeout without
//    any frame (pongs included);
//  - incoming messages larger than max_message_bytes close the connection (1009); protocol errors (bad JSON, unknown
//    op, bad topic) are answered with {"error":...} and the connection stays open;
//  - at most max_subscriptions topics per connection ("subscribe: at most 64 topics per connection").
//
// Thread safety: WebSocketHub members may be called from any thread; publish() never blocks on a client.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/result.hpp>

#include "http.hpp"
#include "http_server.hpp"

namespace wp::net {

struct WebSocketOptions {
    std::size_t max_queue_messages{1024};
    std::size_t max_queue_bytes{std::size_t{4} << 20};
    std::size_t max_message_bytes{std::size_t{64} << 10};
    std::size_t max_subscriptions{64};
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
    //! How long a closing connection may take to flush the frame in flight and the close frame before its socket is
    //! closed.
    std::chrono::milliseconds close_grace{std::chrono::seconds(2)};
    std::vector<Filter> filters{};
    //! Returns an error message to refuse `topic` for this upgrade request (nullopt: allowed).
    std::function<std::optional<std::string>(const ServerRequest& upgrade, std::string_view topic)> authorize_topic{};
};

class WebSocketHub {
  public:
    struct Impl;
    explicit WebSocketHub(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

    //! Sends {"topic":topic,"event":event,"data":data_json} to every connection subscribed to `topic`.
    //! `data_json` must be a JSON text (it is not re-validated). Returns the number of connections it was queued for.
    std::size_t publish(std::string_view topic, std::string_view event, std::string_view data_json);
    //! Open WebSocket connections of this endpoint.
    std::size_t connections() const;
    //! Connections subscribed to `topic`.
    std::size_t subscribers(std::string_view topic) const;
    //! Connections dropped for exceeding their send queue since start.
    std::uint64_t dropped() const;
    //! Largest send queue (bytes) any connection reached.
    std::size_t max_queued_bytes_seen() const;

  private:
    std::shared_ptr<Impl> impl_;
};

struct WebSocketClientOptions {
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    std::size_t max_message_bytes{std::size_t{16} << 20};
    HttpHeaders headers{};  //!< extra headers of the upgrade request (e.g. Authorization)
    //! false: the client never reads from the socket (tests of slow consumers); receive() then fails.
    bool read{true};
    //! SO_RCVBUF in bytes (0: system default); small values make a non-reading client stall sooner.
    int receive_buffer_bytes{0};
};

//! A WebSocket client (ws:// only) for tests and for the worker daemon. Reconnecting is left to the caller.
//! Incoming text messages are queued by an internal I/O thread; receive() takes them in order.
//! Thread safety: members may be called from any thread; receive() by one thread at a time.
class WebSocketClient {
  public:
    //! Connects to `url` ("ws://host:port/path") and completes the handshake. Errc::kInvalidArgument for a bad URL,
    //! Errc::kNetwork when the connection or the handshake fails (a refused upgrade says the HTTP status),
    //! Errc::kTimeout.
    static Result<std::unique_ptr<WebSocketClient>> connect(std::string_view url, WebSocketClientOptions options = {});
    ~WebSocketClient();
    WebSocketClient(const WebSocketClient&) = delete;
    WebSocketClient& operator=(const WebSocketClient&) = delete;

    //! Sends a text message.
    Result<void> send(std::string_view text);
    //! The next message; Errc::kTimeout when none came within `timeout`; Errc::kNetwork once the connection is
    //! closed and every queued message was taken (the message says the close code and reason when there was one).
    Result<std::string> receive(std::chrono::milliseconds timeout);
    //! Sends {"op":"subscribe","topic":topic,"id":N} and waits for its ack (messages received before it stay
    //! queued); an {"error":...} answer becomes Errc::kRemote with the server's message. A client with read = false
    //! only sends.
    Result<void> subscribe(std::string_view topic, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    Result<void> unsubscribe(std::string_view topic, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    //! Close code received from the server (0 when none yet).
    unsigned close_code() const;
    //! True once the connection is closed (by either side or by an error).
    bool closed() const;
    //! Sends a close frame (1000) and waits briefly for the server's; idempotent.
    void close();

    struct Impl;

  private:
    explicit WebSocketClient(std::shared_ptr<Impl> impl);
    Result<void> op_and_ack(std::string message, std::string_view op, std::string_view topic,
                            std::chrono::milliseconds timeout);
    std::shared_ptr<Impl> impl_;
};

}  // namespace wp::net
