#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/value.hpp>

#include "json_body.hpp"
#include "websocket.hpp"
#include "ws_protocol.hpp"

namespace wp::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

struct WebSocketClient::Impl {
    WebSocketClientOptions options;
    std::string url;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::optional<websocket::stream<beast::tcp_stream>> ws;
    std::thread thread;

    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::string> inbox;
    bool closed{false};
    unsigned close_code{0};
    std::string close_text;
    std::mutex send_mutex;
    std::uint64_t next_id{1};
    bool close_sent{false};

    void set_closed(const beast::error_code& ec) {
        std::lock_guard lock(mutex);
        if (closed) return;
        closed = true;
        const auto& reason = ws->reason();
        close_code = static_cast<unsigned>(reason.code);
        close_text = close_code ? "closed by the server with code " + std::to_string(close_code) +
                                      (reason.reason.empty() ? "" : " (" + std::string(reason.reason.c_str()) + ")")
                                : "connection lost: " + ec.message();
        cv.notify_all();
    }

    asio::awaitable<void> read_loop() {
        for (;;) {
            beast::flat_buffer buffer;
            auto [ec, n] = co_await ws->async_read(buffer, kTuple);
            (void)n;
            if (ec) {
                set_closed(ec);
                co_return;
            }
            std::lock_guard lock(mutex);
            inbox.push_back(beast::buffers_to_string(buffer.data()));
            cv.notify_all();
        }
    }

    asio::awaitable<Result<void>> open(Url u, std::string host_header) {
        const std::string where = "WebSocket " + url;
        tcp::resolver resolver(io);
        auto [rec, results] = co_await resolver.async_resolve(u.host, std::to_string(u.port), kTuple);
        if (rec || results.empty()) co_return make_error(Errc::kNetwork, where + ": resolve: " + rec.message());
        ws.emplace(io);
        auto& stream = beast::get_lowest_layer(*ws);
        const tcp::endpoint endpoint = *results.begin();
        beast::error_code ec;
        stream.socket().open(endpoint.protocol(), ec);
        if (ec) co_return make_error(Errc::kNetwork, where + ": socket: " + ec.message());
        if (options.receive_buffer_bytes > 0)
            stream.socket().set_option(asio::socket_base::receive_buffer_size(options.receive_buffer_bytes), ec);
        stream.expires_after(options.connect_timeout);
        auto [cec] = co_await stream.async_connect(endpoint, kTuple);
        if (cec == beast::error::timeout) co_return make_error(Errc::kTimeout, where + ": connect timed out");
        if (cec) co_return make_error(Errc::kNetwork, where + ": connect: " + cec.message());
        ws->set_option(websocket::stream_base::decorator([headers = options.headers](websocket::request_type& req) {
            req.set(http::field::user_agent, "wp-net/0.1");
            for (const auto& [k, v] : headers) req.set(k, v);
        }));
        ws->read_message_max(options.max_message_bytes);
        websocket::response_type res;
        auto [hec] = co_await ws->async_handshake(res, host_header, u.target, kTuple);
        if (hec == beast::error::timeout) co_return make_error(Errc::kTimeout, where + ": handshake timed out");
        if (hec) {
            if (res.result_int() != 0 && res.result_int() != 101)
                co_return make_error(Errc::kNetwork, where + ": upgrade refused with HTTP " +
                                                         std::to_string(res.result_int()) + ": " + res.body());
            co_return make_error(Errc::kNetwork, where + ": handshake: " + hec.message());
        }
        stream.expires_never();
        websocket::stream_base::timeout t{};
        t.handshake_timeout = options.connect_timeout;
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        ws->set_option(t);
        co_return Result<void>{};
    }
};

Result<std::unique_ptr<WebSocketClient>> WebSocketClient::connect(std::string_view url,
                                                                  WebSocketClientOptions options) {
    if (url.substr(0, 5) != "ws://")
        return make_error(Errc::kInvalidArgument, "WebSocket URL '" + std::string(url) + "': must start with ws://");
    WP_TRY(auto u, parse_url("http://" + std::string(url.substr(5))));
    auto impl = std::make_shared<Impl>();
    impl->options = std::move(options);
    impl->url = std::string(url);
    impl->thread = std::thread([raw = impl.get()] { raw->io.run(); });
    std::unique_ptr<WebSocketClient> client(new WebSocketClient(impl));
    std::promise<Result<void>> opened;
    auto fut = opened.get_future();
    asio::co_spawn(impl->io, impl->open(u, u.host_header()), [&opened](std::exception_ptr e, Result<void> r) {
        if (e) r = make_error(Errc::kNetwork, "WebSocket: unexpected exception");
        opened.set_value(std::move(r));
    });
    auto r = fut.get();
    if (!r) return make_error(r.error());
    if (impl->options.read) {
        asio::co_spawn(impl->io, impl->read_loop(), asio::detached);
    }
    return client;
}

WebSocketClient::WebSocketClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebSocketClient::~WebSocketClient() {
    asio::post(impl_->io, [impl = impl_.get()] {
        if (!impl->ws) return;
        beast::error_code ignored;
        beast::get_lowest_layer(*impl->ws).socket().close(ignored);
    });
    impl_->work.reset();
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

Result<void> WebSocketClient::send(std::string_view text) {
    std::lock_guard send_lock(impl_->send_mutex);
    std::promise<beast::error_code> done;
    auto fut = done.get_future();
    std::string copy(text);
    asio::co_spawn(
        impl_->io,
        [impl = impl_.get(), &copy]() -> asio::awaitable<beast::error_code> {
            impl->ws->text(true);
            auto [ec, n] = co_await impl->ws->async_write(asio::buffer(copy), kTuple);
            (void)n;
            co_return ec;
        },
        [&done](std::exception_ptr, beast::error_code ec) { done.set_value(ec); });
    const auto ec = fut.get();
    if (ec) return make_error(Errc::kNetwork, "WebSocket " + impl_->url + ": send: " + ec.message());
    return {};
}

Result<std::string> WebSocketClient::receive(std::chrono::milliseconds timeout) {
    if (!impl_->options.read)
        return make_error(Errc::kInvalidArgument, "WebSocket " + impl_->url + ": this client does not read");
    std::unique_lock lock(impl_->mutex);
    impl_->cv.wait_for(lock, timeout, [&] { return !impl_->inbox.empty() || impl_->closed; });
    if (!impl_->inbox.empty()) {
        auto m = std::move(impl_->inbox.front());
        impl_->inbox.pop_front();
        return m;
    }
    if (impl_->closed) return make_error(Errc::kNetwork, "WebSocket " + impl_->url + ": " + impl_->close_text);
    return make_error(Errc::kTimeout,
                      "WebSocket " + impl_->url + ": no message within " + std::to_string(timeout.count()) + " ms");
}

Result<void> WebSocketClient::op_and_ack(std::string message, std::string_view op, std::string_view topic,
                                         std::chrono::milliseconds timeout) {
    (void)topic;
    std::uint64_t id = 0;
    {
        std::lock_guard lock(impl_->mutex);
        id = impl_->next_id++;
    }
    // Insert the id into the message: {"op":...,"topic":...} -> {...,"id":N}.
    message.pop_back();
    message += ",\"id\":" + std::to_string(id) + "}";
    WP_TRY_VOID(send(message));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(impl_->mutex);
    std::size_t scanned = 0;
    for (;;) {
        for (; scanned < impl_->inbox.size(); ++scanned) {
            auto v =
                parse_json_strict(impl_->inbox[scanned], JsonLimits{impl_->options.max_message_bytes, 64}, "message");
            if (!v || !v->is_object()) continue;
            const auto& o = v->get_object();
            const auto* mid = o.if_contains("id");
            if (!mid || !mid->is_int64() || mid->get_int64() != static_cast<std::int64_t>(id)) continue;
            std::optional<std::string> error;
            if (const auto* e = o.if_contains("error"); e && e->is_string()) error = std::string(e->get_string());
            const auto* ack = o.if_contains("ack");
            const bool ok = ack && ack->is_string() && ack->get_string() == op;
            impl_->inbox.erase(impl_->inbox.begin() + static_cast<std::ptrdiff_t>(scanned));
            if (error) return make_error(Errc::kRemote, "WebSocket " + impl_->url + ": " + *error);
            if (!ok)
                return make_error(Errc::kDecoding,
                                  "WebSocket " + impl_->url + ": unexpected answer to " + std::string(op));
            return {};
        }
        if (impl_->closed) return make_error(Errc::kNetwork, "WebSocket " + impl_->url + ": " + impl_->close_text);
        if (impl_->cv.wait_until(lock, deadline) == std::cv_status::timeout && scanned == impl_->inbox.size())
            return make_error(Errc::kTimeout, "WebSocket " + impl_->url + ": no answer to " + std::string(op));
    }
}

Result<void> WebSocketClient::subscribe(std::string_view topic, std::chrono::milliseconds timeout) {
    if (!impl_->options.read) return send(ws_subscribe_message(topic));
    return op_and_ack(ws_subscribe_message(topic), "subscribe", topic, timeout);
}

Result<void> WebSocketClient::unsubscribe(std::string_view topic, std::chrono::milliseconds timeout) {
    if (!impl_->options.read) return send(ws_unsubscribe_message(topic));
    return op_and_ack(ws_unsubscribe_message(topic), "unsubscribe", topic, timeout);
}

unsigned WebSocketClient::close_code() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->close_code;
}

bool WebSocketClient::closed() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->closed;
}

void WebSocketClient::close() {
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->closed || impl_->close_sent) return;
        impl_->close_sent = true;
    }
    std::lock_guard send_lock(impl_->send_mutex);
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    asio::co_spawn(
        impl_->io,
        [impl = impl_.get()]() -> asio::awaitable<void> {
            beast::get_lowest_layer(*impl->ws).expires_after(std::chrono::seconds(2));
            auto [ec] = co_await impl->ws->async_close(websocket::close_code::normal, kTuple);
            (void)ec;
        },
        [done](std::exception_ptr) { done->set_value(); });
    fut.wait_for(std::chrono::seconds(3));
    std::lock_guard lock(impl_->mutex);
    impl_->closed = true;
    impl_->cv.notify_all();
}

}  // namespace wp::net
