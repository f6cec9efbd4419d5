#include "http_server.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace wp::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Session {
    explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    // Touched only on the session's strand.
    bool busy{false};             // a request is being read, handled or answered
    bool close_requested{false};  // close_idle() arrived while busy: close once the response is written
};

}  // namespace

struct HttpServer::Impl {
    explicit Impl(HttpServerOptions opts) : options(std::move(opts)) {}

    HttpServerOptions options;
    asio::io_context io;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    std::map<std::string, std::map<std::string, HttpHandler>> routes;  // path -> method -> handler
    std::uint16_t bound_port{0};
    bool started{false};
    bool stopped{false};

    std::atomic<bool> stopping{false};
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> handled{0};
    std::mutex mutex;
    std::condition_variable sessions_changed;
    std::set<std::shared_ptr<Session>> sessions;

    HttpResponse dispatch(const ServerRequest& req) const {
        auto path = routes.find(req.path);
        if (path == routes.end()) return HttpResponse::json(404, R"({"error":"not found"})");
        auto handler = path->second.find(req.method);
        if (handler == path->second.end()) {
            std::string allow;
            for (const auto& [method, h] : path->second) allow += (allow.empty() ? "" : ", ") + method;
            auto res = HttpResponse::json(405, R"({"error":"method not allowed"})");
            res.headers.emplace_back("Allow", allow);
            return res;
        }
        try {
            return handler->second(req);
        } catch (...) {
            return HttpResponse::json(500, R"({"error":"internal error"})");
        }
    }

    static asio::awaitable<void> write_error(Session& s, unsigned version, http::status status, std::string body) {
        http::response<http::string_body> res{status, version};
        res.set(http::field::content_type, "application/json");
        res.body() = std::move(body);
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(s.stream, res, kTuple);
    }

    asio::awaitable<void> serve(std::shared_ptr<Session> s) {
        beast::flat_buffer buffer;
        for (;;) {
            if (stopping.load()) break;
            s->busy = false;
            http::request_parser<http::string_body> parser;
            parser.body_limit(options.max_body_bytes);
            parser.header_limit(16 * 1024);
            s->stream.expires_after(options.idle_timeout);
            auto [ec, n] = co_await http::async_read(s->stream, buffer, parser, kTuple);
            (void)n;
            s->busy = true;
            if (ec == http::error::body_limit) {
                s->stream.expires_after(options.request_timeout);
                co_await write_error(
                    *s, 11, http::status::payload_too_large,
                    R"({"error":"request body larger than )" + std::to_string(options.max_body_bytes) + R"( bytes"})");
                break;
            }
            if (ec == http::error::header_limit) {
                s->stream.expires_after(options.request_timeout);
                co_await write_error(*s, 11, http::status::request_header_fields_too_large,
                                     R"({"error":"request headers too large"})");
                break;
            }
            if (ec) break;
            auto& message = parser.get();
            ServerRequest req;
            req.method = std::string(message.method_string());
            req.target = std::string(message.target());
            const auto q = req.target.find('?');
            req.path = req.target.substr(0, q);
            if (q != std::string::npos) req.query = req.target.substr(q + 1);
            for (const auto& field : message)
                req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
            req.body = std::move(message.body());
            beast::error_code rec;
            const auto remote = s->stream.socket().remote_endpoint(rec);
            if (!rec) req.remote = remote.address().to_string() + ":" + std::to_string(remote.port());

            HttpResponse response = dispatch(req);
            http::response<http::string_body> res{static_cast<http::status>(response.status), message.version()};
            for (const auto& [name, value] : response.headers) res.insert(name, value);
            res.body() = std::move(response.body);
            const bool keep = message.keep_alive() && !stopping.load();
            res.keep_alive(keep);
            res.prepare_payload();
            handled.fetch_add(1);
            s->stream.expires_after(options.request_timeout);
            auto [wec, wn] = co_await http::async_write(s->stream, res, kTuple);
            (void)wn;
            if (wec || !keep || s->close_requested) break;
        }
        beast::error_code ignored;
        s->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        s->stream.socket().close(ignored);
        std::lock_guard lock(mutex);
        sessions.erase(s);
        sessions_changed.notify_all();
    }

    // No shared_from_this() here: stop() may stop the io_context while this frame is still queued, and a frame that
    // owned the Impl (which owns the io_context that owns the frame) would never be freed. HttpServer::stop() joins
    // the I/O threads before the Impl can go away, and ~io_context destroys the frames still queued.
    asio::awaitable<void> accept_loop() {
        for (;;) {
            tcp::socket socket(asio::make_strand(io));
            auto [ec] = co_await acceptor->async_accept(socket, kTuple);
            if (ec) {
                if (stopping.load() || !acceptor->is_open()) co_return;
                continue;
            }
            accepted.fetch_add(1);
            auto session = std::make_shared<Session>(std::move(socket));
            {
                std::lock_guard lock(mutex);
                sessions.insert(session);
            }
            asio::co_spawn(session->stream.get_executor(), serve(session), asio::detached);
        }
    }

    void close_idle() {
        std::lock_guard lock(mutex);
        for (const auto& s : sessions) {
            asio::post(s->stream.get_executor(), [s] {
                if (s->busy) {
                    s->close_requested = true;
                    return;
                }
                beast::error_code ignored;
                s->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                s->stream.socket().close(ignored);
            });
        }
    }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(std::string method, std::string path, HttpHandler handler) {
    impl_->routes[std::move(path)][std::move(method)] = std::move(handler);
}

Result<void> HttpServer::start() {
    auto& impl = *impl_;
    if (impl.started) return make_error(Errc::kInvalidArgument, "HTTP server: already started");
    beast::error_code ec;
    const auto address = asio::ip::make_address(impl.options.bind_address, ec);
    if (ec)
        return make_error(Errc::kInvalidArgument, "HTTP server: bad bind address '" + impl.options.bind_address + "'");
    const tcp::endpoint endpoint(address, impl.options.port);
    const std::string where = impl.options.bind_address + ":" + std::to_string(impl.options.port);
    impl.acceptor.emplace(asio::make_strand(impl.io));
    if (impl.acceptor->open(endpoint.protocol(), ec); ec)
        return make_error(Errc::kNetwork, "HTTP server: open " + where + ": " + ec.message());
    if (impl.acceptor->set_option(asio::socket_base::reuse_address(true), ec); ec)
        return make_error(Errc::kNetwork, "HTTP server: reuse_address " + where + ": " + ec.message());
    if (impl.acceptor->bind(endpoint, ec); ec)
        return make_error(Errc::kNetwork, "HTTP server: bind " + where + ": " + ec.message());
    if (impl.acceptor->listen(asio::socket_base::max_listen_connections, ec); ec)
        return make_error(Errc::kNetwork, "HTTP server: listen " + where + ": " + ec.message());
    impl.bound_port = impl.acceptor->local_endpoint().port();
    impl.started = true;
    asio::co_spawn(impl.acceptor->get_executor(), impl.accept_loop(), asio::detached);
    const unsigned n = std::max(1u, impl.options.threads);
    for (unsigned i = 0; i < n; ++i) impl.threads.emplace_back([&impl] { impl.io.run(); });
    return {};
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }

std::string HttpServer::base_url() const {
    const auto& host = impl_->options.bind_address;
    const bool v6 = host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->bound_port);
}

void HttpServer::stop(std::chrono::milliseconds grace) {
    auto& impl = *impl_;
    if (!impl.started || impl.stopped) return;
    impl.stopped = true;
    impl.stopping.store(true);
    asio::post(impl.acceptor->get_executor(), [&impl] {
        beast::error_code ignored;
        impl.acceptor->close(ignored);
    });
    impl.close_idle();
    {
        std::unique_lock lock(impl.mutex);
        impl.sessions_changed.wait_for(lock, grace, [&impl] { return impl.sessions.empty(); });
    }
    impl.io.stop();
    for (auto& t : impl.threads) t.join();
    impl.threads.clear();
    std::lock_guard lock(impl.mutex);
    impl.sessions.clear();
}

void HttpServer::close_idle_connections() { impl_->close_idle(); }

std::uint64_t HttpServer::connections_accepted() const { return impl_->accepted.load(); }

std::uint64_t HttpServer::requests_handled() const { return impl_->handled.load(); }

}  // namespace wp::net
