#include "http_client.hpp"

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace wp::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Connection {
    explicit Connection(asio::io_context& io, ssl::context* tls_context) {
        if (tls_context != nullptr) tls.emplace(io, *tls_context);
        else plain.emplace(io);
    }
    beast::tcp_stream& tcp_layer() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
};

using ConnectionPtr = std::unique_ptr<Connection>;
using BodySink = HttpClient::BodySink;
constexpr std::size_t kStreamChunk = 64 * 1024;

// The outcome of one request/response exchange on a connection.
struct Exchange {
    Result<HttpResponse> response{HttpResponse{}};
    bool keep_alive{false};
    bool nothing_received{false};  // the server closed the connection before answering
};

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
    explicit Impl(HttpClientOptions opts) : options(std::move(opts)), work(asio::make_work_guard(io)) {}

    // Created on first use (loading OpenSSL's trust store is slow): plain-HTTP clients never pay for it.
    ssl::context& tls() {
        if (!tls_context) {
            tls_context = std::make_unique<ssl::context>(ssl::context::tls_client);
            tls_context->set_default_verify_paths();
            tls_context->set_verify_mode(options.verify_tls ? ssl::verify_peer : ssl::verify_none);
            if (!options.ca_file.empty()) {
                beast::error_code ec;
                tls_context->load_verify_file(options.ca_file, ec);
                if (ec) tls_error = "TLS: cannot load ca_file " + options.ca_file + ": " + ec.message();
            }
        }
        return *tls_context;
    }

    HttpClientOptions options;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::unique_ptr<ssl::context> tls_context;
    std::string tls_error;  // set when the TLS context could not be configured (ca_file): every https request fails
    std::thread thread;
    std::thread::id thread_id;

    // I/O-thread state.
    bool stopping{false};
    std::map<std::string, std::deque<ConnectionPtr>> idle;
    std::set<Connection*> active;
    std::set<asio::steady_timer*> timers;

    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> connections_opened{0};
    std::atomic<std::uint64_t> reconnects{0};

    static std::string describe(const HttpRequest& req) { return req.method + " " + req.url + ": "; }

    tl::unexpected<Error> io_error(const HttpRequest& req, const beast::error_code& ec, std::string_view stage,
                                   std::chrono::milliseconds timeout) {
        if (ec == beast::error::timeout)
            return make_error(Errc::kTimeout, describe(req) + std::string(stage) + " timed out (limit " +
                                                  std::to_string(timeout.count()) + " ms)");
        if (ec == http::error::body_limit)
            return make_error(Errc::kTooLarge,
                              describe(req) + "response body larger than " +
                                  std::to_string(req.max_response_bytes.value_or(options.max_response_bytes)) +
                                  " bytes");
        if (ec == http::error::header_limit)
            return make_error(Errc::kTooLarge, describe(req) + "response headers larger than 64 KiB");
        if (ec == asio::error::operation_aborted && stopping)
            return make_error(Errc::kNetwork, describe(req) + "client shut down");
        return make_error(Errc::kNetwork, describe(req) + std::string(stage) + ": " + ec.message());
    }

    ConnectionPtr take_idle(const std::string& origin) {
        auto it = idle.find(origin);
        if (it == idle.end() || it->second.empty()) return nullptr;
        ConnectionPtr c = std::move(it->second.back());
        it->second.pop_back();
        return c;
    }

    void give_back(const std::string& origin, ConnectionPtr c) {
        if (stopping) return;
        auto& pool = idle[origin];
        pool.push_back(std::move(c));
        while (pool.size() > options.max_idle_per_origin) pool.pop_front();
    }

    asio::awaitable<Result<ConnectionPtr>> connect(const HttpRequest& req, const Url& url, Clock::time_point deadline,
                                                   std::chrono::milliseconds timeout) {
        auto conn = std::make_unique<Connection>(io, url.tls() ? &tls() : nullptr);
        if (url.tls() && !tls_error.empty()) co_return make_error(Errc::kInvalidArgument, describe(req) + tls_error);
        active.insert(conn.get());
        struct Untrack {
            Impl* self;
            Connection* c;
            ~Untrack() { self->active.erase(c); }
        } untrack{this, conn.get()};

        const auto connect_deadline = std::min(deadline, Clock::now() + options.connect_timeout);
        // The resolver is shared with the guard timer, whose handler may run after this frame is gone.
        auto resolver = std::make_shared<tcp::resolver>(io);
        asio::steady_timer resolve_guard(io, connect_deadline);
        resolve_guard.async_wait([resolver](const beast::error_code& ec) {
            if (!ec) resolver->cancel();
        });
        auto [rec, endpoints] = co_await resolver->async_resolve(url.host, std::to_string(url.port), kTuple);
        resolve_guard.cancel();
        if (rec == asio::error::operation_aborted && !stopping && Clock::now() >= connect_deadline)
            co_return make_error(Errc::kTimeout, describe(req) + "resolve " + url.host + " timed out");
        if (rec) co_return io_error(req, rec, "resolve " + url.host, timeout);
        if (stopping) co_return make_error(Errc::kNetwork, describe(req) + "client shut down");
        conn->tcp_layer().expires_at(connect_deadline);
        auto [cec, endpoint] = co_await conn->tcp_layer().async_connect(endpoints, kTuple);
        (void)endpoint;
        if (cec == beast::error::timeout && connect_deadline < deadline)
            co_return make_error(Errc::kTimeout, describe(req) + "connect timed out (limit " +
                                                     std::to_string(options.connect_timeout.count()) + " ms)");
        if (cec) co_return io_error(req, cec, "connect", timeout);
        beast::error_code ignored;
        conn->tcp_layer().socket().set_option(tcp::no_delay(true), ignored);
        connections_opened.fetch_add(1, std::memory_order_relaxed);
        if (conn->tls) {
            if (SSL_ctrl(conn->tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         static_cast<void*>(const_cast<char*>(url.host.c_str()))) != 1)
                co_return make_error(Errc::kNetwork, describe(req) + "TLS: cannot set SNI host name");
            if (options.verify_tls) conn->tls->set_verify_callback(ssl::host_name_verification(url.host));
            conn->tcp_layer().expires_at(connect_deadline);
            auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kTuple);
            if (hec) co_return io_error(req, hec, "TLS handshake", timeout);
        }
        co_return std::move(conn);
    }

    // The response of a streamed request: headers first, then the body handed to `sink` piece by piece (through a
    // fixed buffer: memory stays bounded whatever the size), the size limit counted on the decoded bytes.
    template <class Stream>
    asio::awaitable<Exchange> read_streaming(Stream& stream, Connection& conn, const HttpRequest& req,
                                             Clock::time_point deadline, std::chrono::milliseconds timeout,
                                             const BodySink& sink) {
        Exchange out;
        http::response_parser<http::buffer_body> parser;
        parser.header_limit(64 * 1024);
        parser.body_limit(boost::none);  // enforced below, on the decoded bytes
        if (req.method == "HEAD") parser.skip(true);
        conn.tcp_layer().expires_at(deadline);
        auto [hec, hread] = co_await http::async_read_header(stream, conn.buffer, parser, kTuple);
        (void)hread;
        if (hec) {
            out.nothing_received = !parser.got_some() && conn.buffer.size() == 0 &&
                                   (hec == http::error::end_of_stream || hec == asio::error::eof ||
                                    hec == asio::error::connection_reset || hec == ssl::error::stream_truncated);
            out.response = io_error(req, hec, "read", timeout);
            co_return out;
        }
        HttpResponse response;
        response.status = parser.get().result_int();
        for (const auto& field : parser.get())
            response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        const std::size_t limit = req.max_response_bytes.value_or(options.max_response_bytes);
        std::vector<char> chunk(kStreamChunk);
        std::size_t total = 0;
        bool stopped = false;
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            auto [rec, n] = co_await http::async_read_some(stream, conn.buffer, parser, kTuple);
            (void)n;
            if (rec == http::error::need_buffer) rec = {};
            if (rec) {
                out.response = io_error(req, rec, "read", timeout);
                co_return out;
            }
            const std::size_t got = chunk.size() - parser.get().body().size;
            if (got == 0) continue;
            total += got;
            if (total > limit) {
                out.response = make_error(
                    Errc::kTooLarge, describe(req) + "response body larger than " + std::to_string(limit) + " bytes");
                co_return out;
            }
            if (!sink(std::string_view(chunk.data(), got))) {
                stopped = true;
                break;
            }
        }
        // A stopped body leaves the connection in the middle of a message: it is not reused.
        out.keep_alive = !stopped && parser.is_done() && parser.get().keep_alive();
        out.response = std::move(response);
        co_return out;
    }

    template <class Stream>
    asio::awaitable<Exchange> exchange(Stream& stream, Connection& conn, const HttpRequest& req, const Url& url,
                                       Clock::time_point deadline, std::chrono::milliseconds timeout,
                                       const BodySink* sink) {
        Exchange out;
        const auto verb = http::string_to_verb(req.method);
        if (verb == http::verb::unknown) {
            out.response = make_error(Errc::kInvalidArgument, describe(req) + "unknown HTTP method");
            co_return out;
        }
        http::request<http::string_body> message{verb, url.target, 11};
        message.set(http::field::host, url.host_header());
        message.set(http::field::user_agent, options.user_agent);
        for (const auto& [name, value] : req.headers) message.insert(name, value);
        message.body() = req.body;
        message.keep_alive(true);
        message.prepare_payload();

        conn.tcp_layer().expires_at(deadline);
        auto [wec, written] = co_await http::async_write(stream, message, kTuple);
        (void)written;
        if (wec) {
            out.nothing_received = wec != beast::error::timeout;
            out.response = io_error(req, wec, "write", timeout);
            co_return out;
        }
        if (sink != nullptr) co_return co_await read_streaming(stream, conn, req, deadline, timeout, *sink);
        http::response_parser<http::string_body> parser;
        parser.body_limit(req.max_response_bytes.value_or(options.max_response_bytes));
        parser.header_limit(64 * 1024);
        conn.tcp_layer().expires_at(deadline);
        auto [rec, read] = co_await http::async_read(stream, conn.buffer, parser, kTuple);
        (void)read;
        if (rec) {
            out.nothing_received = !parser.got_some() && conn.buffer.size() == 0 &&
                                   (rec == http::error::end_of_stream || rec == asio::error::eof ||
                                    rec == asio::error::connection_reset || rec == ssl::error::stream_truncated);
            out.response = io_error(req, rec, "read", timeout);
            co_return out;
        }
        auto res = parser.release();
        HttpResponse response;
        response.status = res.result_int();
        for (const auto& field : res)
            response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        response.body = std::move(res.body());
        out.keep_alive = res.keep_alive();
        out.response = std::move(response);
        co_return out;
    }

    asio::awaitable<Result<HttpResponse>> run(HttpRequest req, std::shared_ptr<const BodySink> sink) {
        auto url = parse_url(req.url);
        if (!url) co_return make_error(url.error().code, req.method + " " + url.error().message);
        const auto timeout = req.timeout.value_or(options.request_timeout);
        const auto deadline = Clock::now() + timeout;
        const std::string origin = url->origin();
        for (int attempt = 0;; ++attempt) {
            if (stopping) co_return make_error(Errc::kNetwork, describe(req) + "client shut down");
            ConnectionPtr conn = take_idle(origin);
            const bool reused = conn != nullptr;
            if (!conn) {
                auto fresh = co_await connect(req, *url, deadline, timeout);
                if (!fresh) co_return make_error(fresh.error());
                conn = std::move(*fresh);
            }
            active.insert(conn.get());
            // (No co_await inside ?: : GCC 12 miscompiles it.)
            Exchange ex;
            if (conn->tls) ex = co_await exchange(*conn->tls, *conn, req, *url, deadline, timeout, sink.get());
            else ex = co_await exchange(*conn->plain, *conn, req, *url, deadline, timeout, sink.get());
            active.erase(conn.get());
            if (ex.response) {
                if (ex.keep_alive) give_back(origin, std::move(conn));
                co_return std::move(ex.response);
            }
            if (reused && ex.nothing_received && attempt == 0 && !stopping) {
                reconnects.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
            co_return std::move(ex.response);
        }
    }

    void start(HttpRequest req, Callback done, std::shared_ptr<const BodySink> sink = nullptr) {
        auto self = shared_from_this();
        asio::co_spawn(io, run(std::move(req), std::move(sink)),
                       [self, done = std::move(done)](std::exception_ptr e, Result<HttpResponse> r) {
                           self->requests.fetch_add(1, std::memory_order_relaxed);
                           if (e) {
                               try {
                                   std::rethrow_exception(e);
                               } catch (const std::exception& ex) {
                                   r = make_error(Errc::kNetwork, std::string("HTTP client: ") + ex.what());
                               } catch (...) {
                                   r = make_error(Errc::kNetwork, "HTTP client: unknown exception");
                               }
                           }
                           done(std::move(r));
                       });
    }

    void close_everything() {
        stopping = true;
        idle.clear();
        for (Connection* c : active) {
            beast::error_code ignored;
            c->tcp_layer().socket().cancel(ignored);
            c->tcp_layer().socket().close(ignored);
        }
        for (auto* t : timers) t->cancel();
    }

    void shutdown() {
        if (std::this_thread::get_id() == thread_id) {
            // The last owner went away inside a completion callback: finish in the background.
            close_everything();
            work.reset();
            thread.detach();
            return;
        }
        asio::post(io, [this] { close_everything(); });
        work.reset();
        if (thread.joinable()) thread.join();
    }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {
    Impl* impl = impl_.get();
    std::promise<void> started;
    auto ready = started.get_future();
    // The thread keeps the state alive: it may outlive the HttpClient when the client is destroyed from a
    // completion callback (see shutdown()).
    impl->thread = std::thread([keep = impl_, &started] {
        keep->thread_id = std::this_thread::get_id();
        started.set_value();
        keep->io.run();
    });
    ready.wait();
}

HttpClient::~HttpClient() { impl_->shutdown(); }

void HttpClient::async_request(HttpRequest request, Callback done) {
    impl_->start(std::move(request), std::move(done));
}

std::future<Result<HttpResponse>> HttpClient::request_future(HttpRequest request) {
    auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
    auto future = promise->get_future();
    impl_->start(std::move(request), [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); });
    return future;
}

Result<HttpResponse> HttpClient::request(HttpRequest request) {
    if (in_io_thread())
        return make_error(Errc::kInvalidArgument,
                          request.method + " " + request.url + ": synchronous request from the client's I/O thread");
    return request_future(std::move(request)).get();
}

void HttpClient::async_request_streaming(HttpRequest request, BodySink sink, Callback done) {
    impl_->start(std::move(request), std::move(done), std::make_shared<const BodySink>(std::move(sink)));
}

Result<HttpResponse> HttpClient::request_streaming(HttpRequest request, BodySink sink) {
    if (in_io_thread())
        return make_error(Errc::kInvalidArgument,
                          request.method + " " + request.url + ": synchronous request from the client's I/O thread");
    auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
    auto future = promise->get_future();
    impl_->start(
        std::move(request), [promise](Result<HttpResponse> r) { promise->set_value(std::move(r)); },
        std::make_shared<const BodySink>(std::move(sink)));
    return future.get();
}

Result<HttpResponse> HttpClient::get(std::string_view url, HttpHeaders headers) {
    return request(HttpRequest{.method = "GET", .url = std::string(url), .headers = std::move(headers)});
}

Result<HttpResponse> HttpClient::post(std::string_view url, std::string body, HttpHeaders headers) {
    if (!find_header(headers, "content-type")) headers.emplace_back("Content-Type", "application/json");
    return request(
        HttpRequest{.method = "POST", .url = std::string(url), .headers = std::move(headers), .body = std::move(body)});
}

void HttpClient::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto impl = impl_;
    asio::post(impl->io, [impl, delay, fn = std::move(fn)]() mutable {
        if (impl->stopping) {
            fn();
            return;
        }
        auto timer = std::make_shared<asio::steady_timer>(impl->io, delay);
        impl->timers.insert(timer.get());
        timer->async_wait([impl, timer, fn = std::move(fn)](const beast::error_code&) {
            impl->timers.erase(timer.get());
            fn();
        });
    });
}

bool HttpClient::in_io_thread() const { return std::this_thread::get_id() == impl_->thread_id; }

void HttpClient::close_idle_connections() {
    if (in_io_thread()) {
        impl_->idle.clear();
        return;
    }
    auto impl = impl_;
    std::promise<void> done;
    asio::post(impl->io, [impl, &done] {
        impl->idle.clear();
        done.set_value();
    });
    done.get_future().wait();
}

HttpClient::Stats HttpClient::stats() const {
    return Stats{impl_->requests.load(), impl_->connections_opened.load(), impl_->reconnects.load()};
}

const HttpClientOptions& HttpClient::options() const { return impl_->options; }

}  // namespace wp::net
