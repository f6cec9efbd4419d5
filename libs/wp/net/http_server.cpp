#include "http_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

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
constexpr std::size_t kHeaderLimit = 16 * 1024;

using WsStream = websocket::stream<beast::tcp_stream>;

struct Call;

struct Session {
    explicit Session(tcp::socket socket) : ex(socket.get_executor()), stream(std::move(socket)), watchdog(ex) {}
    asio::any_io_executor ex;  // the session's strand
    beast::tcp_stream stream;
    // Every timeout of the connection (idle, header, body / write, the pooled request's deadline) comes from one
    // timer. Starting a phase only records its deadline: the timer is re-armed only when that deadline is earlier than
    // the expiry already set, and each expiry is at most `watchdog_tick` (the shortest timeout) away, so that a phase
    // started later never has an earlier deadline. A request that ends in time costs no timer operation (a Beast
    // tcp_stream arms and cancels a timer for every read and every write).
    enum class Phase { kNone, kIdle, kHeader, kIo, kCall };
    asio::steady_timer watchdog;
    Phase phase{Phase::kNone};
    std::chrono::steady_clock::time_point phase_deadline{};
    std::shared_ptr<Call> current;  // the pooled request in flight (kCall)
    bool watchdog_armed{false};
    std::chrono::steady_clock::time_point watchdog_at{};
    std::uint64_t watchdog_gen{0};
    std::string remote;          // "ip:port" of the peer
    std::string remote_ip;       // the peer's address
    std::optional<WsStream> ws;  // set once upgraded (stream is then moved-from)
    // Touched only on the session's strand.
    bool busy{false};             // a request is being read, handled or answered
    bool close_requested{false};  // close_idle() arrived while busy: close once the response is written

    tcp::socket& socket() { return ws ? beast::get_lowest_layer(*ws).socket() : stream.socket(); }
    void close_now() {
        beast::error_code ignored;
        socket().shutdown(tcp::socket::shutdown_both, ignored);
        socket().close(ignored);
    }
};

// Fixed pool of handler threads. Jobs queued when stop() runs are dropped (their requests end with the server).
//
// Hand-offs cost more than the handlers they carry (a REST read is a few microseconds; waking a parked thread is a
// futex call on both sides and a context switch), so the pool avoids wake-ups:
//  - a worker that runs out of jobs first spins for `spin` (checking an atomic counter, yielding the CPU between
//    checks) before it parks: under load the next job usually arrives within that window;
//  - post() wakes a parked worker only when no worker is spinning (a spinner will take the job) and there are fewer
//    wake-ups in flight than parked workers;
//  - a worker that takes a job and leaves more queued with nobody spinning wakes the next one, so blocking handlers
//    still spread over every worker.
class WorkerPool {
  public:
    using Runner = std::function<void(const std::shared_ptr<Call>&)>;
    void start(unsigned n, std::chrono::microseconds spin, Runner runner) {
        spin_ = spin;
        runner_ = std::move(runner);
        for (unsigned i = 0; i < std::max(1u, n); ++i) threads_.emplace_back([this] { run(); });
    }
    void post(std::shared_ptr<Call> job) {
        bool wake = false;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            jobs_.push_back(std::move(job));
            queued_.fetch_add(1, std::memory_order_seq_cst);
            wake = claim_wakeup_locked();
        }
        if (wake) cv_.notify_one();
    }
    //! Joins the workers; returns the jobs still queued (never run).
    std::deque<std::shared_ptr<Call>> stop() {
        std::deque<std::shared_ptr<Call>> dropped;
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            dropped.swap(jobs_);
            queued_.store(0);
        }
        stop_flag_.store(true);
        cv_.notify_all();
        for (auto& t : threads_) t.join();
        threads_.clear();
        return dropped;
    }

  private:
    // Under the lock: true when the caller must notify one parked worker.
    bool claim_wakeup_locked() {
        if (jobs_.empty() || spinning_.load(std::memory_order_seq_cst) > 0 || parked_ <= wakeups_) return false;
        ++wakeups_;
        return true;
    }
    // Polls for a job for at most spin_; true when one is (probably) queued.
    bool spin_for_job() const {
        if (spin_.count() <= 0) return false;
        const auto until = std::chrono::steady_clock::now() + spin_;
        for (unsigned i = 0;; ++i) {
            if (queued_.load(std::memory_order_seq_cst) > 0 || stop_flag_.load(std::memory_order_relaxed)) return true;
            if ((i & 15) == 15 && std::chrono::steady_clock::now() >= until) return false;
            std::this_thread::yield();
        }
    }
    void run() {
        for (;;) {
            spinning_.fetch_add(1, std::memory_order_seq_cst);
            spin_for_job();
            std::shared_ptr<Call> job;
            bool wake = false;
            {
                std::unique_lock lock(mutex_);
                spinning_.fetch_sub(1, std::memory_order_seq_cst);
                while (jobs_.empty() && !stopping_) {
                    ++parked_;
                    cv_.wait(lock, [this] { return wakeups_ > 0 || stopping_; });
                    --parked_;
                    if (wakeups_ > 0) --wakeups_;
                }
                if (stopping_) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
                queued_.fetch_sub(1, std::memory_order_seq_cst);
                wake = claim_wakeup_locked();
            }
            if (wake) cv_.notify_one();
            runner_(job);
        }
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<Call>> jobs_;  // under mutex_
    unsigned parked_{0};                      // under mutex_: workers waiting on cv_
    unsigned wakeups_{0};                     // under mutex_: notifications not yet consumed
    bool stopping_{false};                    // under mutex_
    std::atomic<std::size_t> queued_{0};      // jobs_.size(), read by spinners without the lock
    std::atomic<unsigned> spinning_{0};
    std::atomic<bool> stop_flag_{false};
    std::chrono::microseconds spin_{0};
    Runner runner_;
    std::vector<std::thread> threads_;
};

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

std::string ip_of(const tcp::endpoint& e) {
    auto a = e.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return a.to_string();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Public helpers

HttpError HttpError::from(const Error& e) {
    switch (e.code) {
        case Errc::kInvalidArgument:
        case Errc::kInvalidHex:
        case Errc::kInvalidLength:
        case Errc::kInvalidChecksum:
        case Errc::kOverflow:
        case Errc::kDecoding: return HttpError{400, e.message, {}};
        case Errc::kTooLarge: return HttpError{413, e.message, {}};
        case Errc::kTimeout: return HttpError{504, "timeout", {}};
        default: return HttpError{500, "internal error", {}};
    }
}

HttpResponse default_error_response(unsigned status, std::string_view message) {
    return HttpResponse::json(status, "{\"error\":" + json_quote(message) + "}");
}

ErrorFormatter ok_false_error_formatter() {
    return [](unsigned status, std::string_view message) {
        return HttpResponse::json(status, "{\"ok\":false,\"error\":" + json_quote(message) + "}");
    };
}

std::optional<std::string_view> ServerRequest::param(std::string_view name) const {
    for (const auto& [k, v] : params)
        if (k == name) return std::string_view(v);
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------------
// Responder

struct Responder::State {
    std::mutex mutex;
    bool ended{false};  // replied, timed out, client gone or server stopped
    bool replied{false};
    std::optional<Reply> reply;
    std::vector<std::function<void()>> on_close;
    std::function<void()> wake;  // posts a wake-up to the session's strand; cleared when the request ends

    // Ends the request without a reply; returns the callbacks to run (or the reply when it won the race).
    std::vector<std::function<void()>> end_without_reply() {
        std::lock_guard lock(mutex);
        wake = nullptr;
        if (ended) return {};
        ended = true;
        return std::move(on_close);
    }
};

bool Responder::reply(Reply r) const {
    std::lock_guard lock(state_->mutex);
    if (state_->ended) return false;
    state_->ended = true;
    state_->replied = true;
    state_->reply = std::move(r);
    state_->on_close.clear();
    if (state_->wake) state_->wake();  // only posts: never runs the session inline
    return true;
}

bool Responder::closed() const {
    std::lock_guard lock(state_->mutex);
    return state_->ended && !state_->replied;
}

void Responder::on_close(std::function<void()> fn) const {
    {
        std::lock_guard lock(state_->mutex);
        if (!state_->ended) {
            state_->on_close.push_back(std::move(fn));
            return;
        }
        if (state_->replied) return;
    }
    fn();
}

// ---------------------------------------------------------------------------------------------------------------
// WebSocket hub

namespace {
struct WsConn {
    std::shared_ptr<Session> session;
    std::shared_ptr<ServerRequest> upgrade;
    // Strand-only state.
    std::deque<std::shared_ptr<const std::string>> queue;
    std::size_t queued_bytes{0};
    bool writing{false};
    bool dropped{false};
    websocket::close_code close_code{websocket::close_code::none};  // set once closing
    std::set<std::string> topics;
};
}  // namespace

struct WebSocketHub::Impl {
    WebSocketOptions options;
    mutable std::mutex mutex;
    std::map<std::string, std::set<std::shared_ptr<WsConn>>, std::less<>> topics;
    std::set<std::shared_ptr<WsConn>> conns;
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<std::size_t> max_seen{0};
    Counter* dropped_counter{nullptr};
    Counter* sent_counter{nullptr};
    Gauge* open_gauge{nullptr};

    // On the connection's strand.
    void enqueue(const std::shared_ptr<WsConn>& c, std::shared_ptr<const std::string> msg) {
        if (c->close_code) return;
        if (c->queue.size() + 1 > options.max_queue_messages ||
            c->queued_bytes + msg->size() > options.max_queue_bytes) {
            drop(c);
            return;
        }
        c->queued_bytes += msg->size();
        std::size_t seen = max_seen.load();
        while (c->queued_bytes > seen && !max_seen.compare_exchange_weak(seen, c->queued_bytes)) {}
        c->queue.push_back(std::move(msg));
        if (!c->writing) {
            c->writing = true;
            asio::co_spawn(c->session->ex, write_loop(c), asio::detached);
        }
    }

    asio::awaitable<void> write_loop(std::shared_ptr<WsConn> c) {
        auto& ws = *c->session->ws;
        while (!c->queue.empty() && !c->close_code) {
            auto msg = c->queue.front();
            ws.text(true);
            auto [ec, n] = co_await ws.async_write(asio::buffer(*msg), kTuple);
            (void)n;
            if (!c->queue.empty()) {
                c->queued_bytes -= c->queue.front()->size();
                c->queue.pop_front();
            }
            if (ec) break;
            if (sent_counter) sent_counter->inc();
        }
        c->writing = false;
        if (c->close_code) polite_close(c);
    }

    // On the strand. Sends a close frame with `code` once the frame being written (if any) is out; the socket is
    // closed after options.close_grace in any case (a client that stopped reading cannot take the close frame).
    void close(const std::shared_ptr<WsConn>& c, websocket::close_code code) {
        if (c->close_code) return;
        c->close_code = code;
        auto kill = std::make_shared<asio::steady_timer>(c->session->ex);
        kill->expires_after(options.close_grace);
        kill->async_wait([c, kill](beast::error_code) { c->session->close_now(); });
        if (!c->writing) polite_close(c);
    }

    void polite_close(const std::shared_ptr<WsConn>& c) {
        c->writing = true;  // no more writes
        asio::co_spawn(
            c->session->ex,
            [c]() -> asio::awaitable<void> {
                auto [ec] = co_await c->session->ws->async_close(websocket::close_reason(c->close_code), kTuple);
                (void)ec;
                c->session->close_now();
            },
            asio::detached);
    }

    void drop(const std::shared_ptr<WsConn>& c) {
        c->dropped = true;
        dropped.fetch_add(1);
        if (dropped_counter) dropped_counter->inc();
        c->queue.erase(c->queue.begin() + (c->writing && !c->queue.empty() ? 1 : 0), c->queue.end());
        c->queued_bytes = c->queue.empty() ? 0 : c->queue.front()->size();
        close(c, websocket::close_code::policy_error);
    }

    void unsubscribe_all(const std::shared_ptr<WsConn>& c) {
        std::lock_guard lock(mutex);
        for (const auto& t : c->topics) {
            auto it = topics.find(t);
            if (it == topics.end()) continue;
            it->second.erase(c);
            if (it->second.empty()) topics.erase(it);
        }
        conns.erase(c);
    }
};

std::size_t WebSocketHub::publish(std::string_view topic, std::string_view event, std::string_view data_json) {
    auto msg = std::make_shared<const std::string>(ws_event_message(topic, event, data_json));
    std::vector<std::shared_ptr<WsConn>> targets;
    {
        std::lock_guard lock(impl_->mutex);
        auto it = impl_->topics.find(topic);
        if (it == impl_->topics.end()) return 0;
        targets.assign(it->second.begin(), it->second.end());
    }
    for (auto& c : targets) asio::post(c->session->ex, [impl = impl_, c, msg] { impl->enqueue(c, msg); });
    return targets.size();
}

std::size_t WebSocketHub::connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->conns.size();
}

std::size_t WebSocketHub::subscribers(std::string_view topic) const {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->topics.find(topic);
    return it == impl_->topics.end() ? 0 : it->second.size();
}

std::uint64_t WebSocketHub::dropped() const { return impl_->dropped.load(); }

std::size_t WebSocketHub::max_queued_bytes_seen() const { return impl_->max_seen.load(); }

// ---------------------------------------------------------------------------------------------------------------
// Server

namespace {
struct RouteEntry {
    Handler sync;
    AsyncHandler async;
    RouteOptions options;
    std::shared_ptr<WebSocketHub::Impl> ws;
};

// A request handed to the worker pool. Whoever claims it first (the worker with the handler's reply, or the session's
// watchdog at the deadline) stores the reply and resumes the connection's coroutine with one post to its strand.
// The coroutine's completion handler, type-erased (move-only).
struct Resume {
    virtual ~Resume() = default;
    virtual void run() = 0;
};
template <class H>
struct ResumeWith final : Resume {
    explicit ResumeWith(H h) : handler(std::move(h)) {}
    void run() override { std::move(handler)(); }
    H handler;
};

struct Call {
    ServerRequest req;
    const RouteEntry* entry{nullptr};
    PathRouter::Match match;
    std::chrono::steady_clock::time_point deadline{};
    std::function<void()> job;  // asynchronous routes: run by the pool instead of the synchronous path
    std::atomic<bool> claimed{false};
    std::optional<Reply> reply;      // written by the claimer before it resumes the coroutine
    std::unique_ptr<Resume> resume;  // set on the strand before the call is queued
    asio::any_io_executor ex;        // the session's strand

    // Stores the reply and resumes the coroutine unless the call was already claimed. Any thread.
    static void finish(const std::shared_ptr<Call>& call, Reply r) {
        if (call->claimed.exchange(true, std::memory_order_acq_rel)) return;
        call->reply = std::move(r);
        asio::post(call->ex, [r = std::move(call->resume)] { r->run(); });
    }
};
}  // namespace

struct HttpServer::Impl {
    explicit Impl(HttpServerOptions opts) : options(std::move(opts)) {
        if (!options.metrics) options.metrics = std::make_shared<MetricsRegistry>();
        if (!options.error_formatter) options.error_formatter = default_error_response;
        auto& m = *options.metrics;
        for (unsigned i = 0; i < 5; ++i)
            by_class[i] = &m.counter("wp_http_requests_total", "HTTP requests answered, by status class",
                                     {{"code", std::to_string(i + 1) + "xx"}});
        duration = &m.histogram("wp_http_request_duration_seconds",
                                "Time from the end of the request to the response being handed to the connection",
                                default_latency_buckets());
        connections_total = &m.counter("wp_http_connections_total", "TCP connections accepted");
        connections_open = &m.gauge("wp_http_connections_open", "TCP connections open (HTTP and WebSocket)");
        rejected_limit = &m.counter("wp_http_connections_rejected_total", "Connections closed by a limit",
                                    {{"reason", "max_connections"}});
        rejected_header = &m.counter("wp_http_connections_rejected_total", "Connections closed by a limit",
                                     {{"reason", "header_timeout"}});
        accept_errors = &m.counter("wp_http_accept_errors_total", "Failed accept() calls (each one pauses accepting)");
        ws_open = &m.gauge("wp_ws_connections_open", "WebSocket connections open");
        ws_sent = &m.counter("wp_ws_messages_sent_total", "WebSocket messages sent");
        ws_dropped = &m.counter("wp_ws_dropped_total", "WebSocket connections dropped for a full send queue");
    }

    HttpServerOptions options;
    asio::io_context io;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    WorkerPool pool;
    PathRouter router;
    std::vector<RouteEntry> routes;  // by router id
    std::vector<Filter> global_filters;
    std::uint16_t bound_port{0};
    std::chrono::milliseconds watchdog_tick{0};  // the shortest timeout of a connection (set by start())
    bool started{false};
    bool stopped{false};

    std::atomic<bool> stopping{false};
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> handled{0};
    static constexpr std::size_t kMaxRejecting = 64;  // connections over the cap being answered 503 at once
    std::atomic<std::size_t> rejecting{0};
    std::mutex mutex;
    std::condition_variable sessions_changed;
    std::set<std::shared_ptr<Session>> sessions;
    std::set<std::shared_ptr<Responder::State>> pending;  // requests waiting for a reply
    std::vector<std::shared_ptr<WebSocketHub::Impl>> hubs;

    Counter* by_class[5]{};
    Histogram* duration{nullptr};
    Counter* connections_total{nullptr};
    Gauge* connections_open{nullptr};
    Counter* rejected_limit{nullptr};
    Counter* rejected_header{nullptr};
    Counter* accept_errors{nullptr};
    Gauge* ws_open{nullptr};
    Counter* ws_sent{nullptr};
    Counter* ws_dropped{nullptr};

    std::size_t add_route(std::string method, const std::string& path, RouteEntry entry) {
        auto t = PathTemplate::parse(path);
        assert(t && "HttpServer: invalid path template");
        const std::size_t id = router.add(std::move(method), *t);
        if (id == routes.size()) routes.push_back(std::move(entry));
        else routes[id] = std::move(entry);
        return id;
    }

    HttpResponse error_response(const HttpError& e) const {
        HttpResponse r = options.error_formatter(e.status, e.message);
        for (const auto& h : e.headers) r.headers.push_back(h);
        return r;
    }

    // Filters, then the synchronous handler (or the 404 / 405 / OPTIONS answer, or 101 for a WebSocket route). On a
    // pool thread, or on the I/O thread for run_inline routes.
    Reply run_sync(ServerRequest& req, const RouteEntry* entry, const PathRouter::Match& match) const {
        try {
            for (const auto& f : global_filters)
                if (auto r = f(req)) return std::move(*r);
            if (!entry) {
                if (match.kind == PathRouter::Match::Kind::kNotFound)
                    return tl::unexpected(HttpError{404, "not found", {}});
                if (req.method == "OPTIONS") return HttpResponse{204, {{"Allow", join(match.allowed)}}, ""};
                return tl::unexpected(HttpError{405, "method not allowed", {{"Allow", join(match.allowed)}}});
            }
            const auto& filters = entry->ws ? entry->ws->options.filters : entry->options.filters;
            for (const auto& f : filters)
                if (auto r = f(req)) return std::move(*r);
            if (entry->ws) return HttpResponse{101, {}, ""};
            return entry->sync(req);
        } catch (...) {
            return tl::unexpected(HttpError{500, "internal error", {}});
        }
    }

    // On a pool thread: a queued call (skipped when its deadline already answered it).
    void run_call(const std::shared_ptr<Call>& call) const {
        if (call->job) {
            call->job();
            return;
        }
        if (call->claimed.load(std::memory_order_acquire)) return;
        Call::finish(call, run_sync(call->req, call->entry, call->match));
    }

    // On the strand: starts a phase of the connection ending at `deadline` (kNone: no deadline).
    void set_phase(const std::shared_ptr<Session>& s, Session::Phase phase,
                   std::chrono::steady_clock::time_point deadline) {
        s->phase = phase;
        s->phase_deadline = deadline;
        if (phase == Session::Phase::kNone || (s->watchdog_armed && s->watchdog_at <= deadline)) return;
        arm_watchdog(s, std::min(deadline, std::chrono::steady_clock::now() + watchdog_tick));
    }

    void arm_watchdog(const std::shared_ptr<Session>& s, std::chrono::steady_clock::time_point at) {
        s->watchdog_armed = true;
        s->watchdog_at = at;
        const auto gen = ++s->watchdog_gen;
        s->watchdog.expires_at(at);
        s->watchdog.async_wait([this, s, gen](beast::error_code) { on_watchdog(s, gen); });
    }

    // On the strand, when the watchdog expires (or is cancelled): acts on the phase whose deadline passed (a pooled
    // request is answered by its timeout reply, anything else closes the connection), else re-arms.
    void on_watchdog(const std::shared_ptr<Session>& s, std::uint64_t gen) {
        if (gen != s->watchdog_gen) return;  // re-armed since
        s->watchdog_armed = false;
        if (s->phase == Session::Phase::kNone) return;
        const auto now = std::chrono::steady_clock::now();
        if (now < s->phase_deadline) {
            arm_watchdog(s, std::min(s->phase_deadline, now + watchdog_tick));
            return;
        }
        const auto phase = std::exchange(s->phase, Session::Phase::kNone);
        if (phase == Session::Phase::kCall) {
            const auto call = s->current;
            if (!call || call->claimed.load(std::memory_order_acquire)) return;
            const auto& on_timeout = call->entry ? call->entry->options.on_timeout : std::function<Reply()>{};
            Call::finish(call,
                         on_timeout ? on_timeout() : Reply(tl::unexpected(HttpError{503, "request timed out", {}})));
            return;
        }
        if (phase == Session::Phase::kHeader) rejected_header->inc();
        s->close_now();  // the pending read or write fails and the coroutine ends the session
    }

    // Hands a synchronous request to the pool and waits (on the strand, without blocking a thread) for its reply or
    // its deadline.
    asio::awaitable<Reply> await_call(std::shared_ptr<Session> s, std::shared_ptr<Call> call, const RouteEntry* entry,
                                      PathRouter::Match match, std::chrono::steady_clock::time_point started_at) {
        call->entry = entry;
        call->match = std::move(match);
        call->deadline =
            started_at + (entry && entry->options.timeout ? *entry->options.timeout : options.request_timeout);
        call->ex = s->ex;
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
            [this, &s, &call](auto handler) {
                call->resume = std::make_unique<ResumeWith<decltype(handler)>>(std::move(handler));
                s->current = call;
                set_phase(s, Session::Phase::kCall, call->deadline);
                pool.post(call);
            },
            asio::use_awaitable);
        s->current = nullptr;
        co_return std::move(*call->reply);
    }

    // On a pool thread: filters, then the asynchronous handler (a filter's answer is the reply).
    void process(const std::shared_ptr<ServerRequest>& req, const RouteEntry* entry,
                 const std::shared_ptr<Responder::State>& st) {
        Responder responder(st);
        if (responder.closed()) return;  // timed out (or the client left) while queued: skip the work
        try {
            for (const auto& f : global_filters)
                if (auto r = f(*req)) {
                    responder.reply(std::move(*r));
                    return;
                }
            for (const auto& f : entry->options.filters)
                if (auto r = f(*req)) {
                    responder.reply(std::move(*r));
                    return;
                }
            entry->async(*req, responder);
        } catch (...) {
            responder.reply(tl::unexpected(HttpError{500, "internal error", {}}));
        }
    }

    void add_cors(HttpResponse& r, const ServerRequest& req) const {
        const auto& origins = options.cors.allowed_origins;
        if (origins.empty()) return;
        const auto origin = req.header("origin");
        if (!origin) return;
        const bool any = origins.size() == 1 && origins[0] == "*";
        if (!any && std::find(origins.begin(), origins.end(), *origin) == origins.end()) return;
        r.headers.emplace_back("Access-Control-Allow-Origin", any ? std::string("*") : std::string(*origin));
        if (!any) r.headers.emplace_back("Vary", "Origin");
        if (!options.cors.expose_headers.empty())
            r.headers.emplace_back("Access-Control-Expose-Headers", options.cors.expose_headers);
    }

    std::optional<HttpResponse> preflight(const ServerRequest& req) const {
        if (options.cors.allowed_origins.empty() || req.method != "OPTIONS" || !req.header("origin") ||
            !req.header("access-control-request-method"))
            return std::nullopt;
        auto match = router.find("OPTIONS", req.path);
        if (match.kind == PathRouter::Match::Kind::kNotFound) return std::nullopt;
        HttpResponse r{204, {}, ""};
        add_cors(r, req);
        if (r.headers.empty()) return r;  // origin not allowed: no CORS headers
        r.headers.emplace_back("Access-Control-Allow-Methods", join(match.allowed));
        r.headers.emplace_back("Access-Control-Allow-Headers", options.cors.allowed_headers);
        r.headers.emplace_back("Access-Control-Max-Age", std::to_string(options.cors.max_age.count()));
        return r;
    }

    static asio::awaitable<void> write_error(Session& s, unsigned version, http::status status, std::string body) {
        http::response<http::string_body> res{status, version};
        res.set(http::field::content_type, "application/json");
        res.body() = std::move(body);
        res.keep_alive(false);
        res.prepare_payload();
        co_await http::async_write(s.stream.socket(), res, kTuple);
    }

    // Waits (on the session's strand) for the reply of an asynchronous request handed to the pool (watching for the
    // client leaving). nullopt: the client is gone.
    asio::awaitable<std::optional<Reply>> await_reply(std::shared_ptr<Session> s, std::shared_ptr<ServerRequest> req,
                                                      const RouteEntry* entry) {
        auto st = std::make_shared<Responder::State>();
        auto timer = std::make_shared<asio::steady_timer>(s->stream.get_executor());
        const bool is_async = entry && entry->async;
        const auto timeout = entry && entry->options.timeout ? *entry->options.timeout : options.request_timeout;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        timer->expires_at(deadline);
        {
            std::lock_guard lock(st->mutex);
            st->wake = [timer, ex = s->stream.get_executor()] { asio::post(ex, [timer] { timer->cancel(); }); };
        }
        {
            std::lock_guard lock(mutex);
            pending.insert(st);
        }
        auto gone = std::make_shared<bool>(false);
        auto monitoring = std::make_shared<bool>(false);
        if (is_async) {
            *monitoring = true;
            s->stream.socket().async_wait(tcp::socket::wait_read, [s, gone, monitoring, timer](beast::error_code ec) {
                if (!*monitoring) return;
                *monitoring = false;
                if (ec) return;
                char c;
                const auto n = ::recv(s->stream.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                    *gone = true;
                    timer->cancel();
                }
            });
        }
        if (is_async && entry->options.run_inline) {
            process(req, entry, st);  // on this I/O thread: the handler only starts work that completes elsewhere
        } else {
            auto job = std::make_shared<Call>();
            job->job = [this, req, entry, st] { process(req, entry, st); };
            pool.post(std::move(job));
        }

        std::optional<Reply> result;
        for (;;) {
            {
                std::lock_guard lock(st->mutex);
                if (st->replied) {
                    result = std::move(st->reply);
                    st->wake = nullptr;
                    break;
                }
            }
            const bool timed_out = std::chrono::steady_clock::now() >= deadline || (is_async && stopping.load());
            if (*gone || timed_out) {
                auto callbacks = st->end_without_reply();
                {
                    std::lock_guard lock(st->mutex);
                    if (st->replied) {  // the reply won the race
                        result = std::move(st->reply);
                        break;
                    }
                }
                for (auto& cb : callbacks) cb();
                if (!*gone) {
                    const auto& on_timeout = entry ? entry->options.on_timeout : std::function<Reply()>{};
                    result = on_timeout ? on_timeout() : Reply(tl::unexpected(HttpError{503, "request timed out", {}}));
                }
                break;
            }
            co_await timer->async_wait(kTuple);
        }
        if (*monitoring) {
            *monitoring = false;
            beast::error_code ignored;
            s->stream.socket().cancel(ignored);
        }
        {
            std::lock_guard lock(mutex);
            pending.erase(st);
        }
        co_return result;
    }

    asio::awaitable<void> serve(std::shared_ptr<Session> s) {
        beast::flat_buffer buffer;
        for (;;) {
            if (stopping.load()) break;
            s->busy = false;
            if (buffer.size() == 0) {
                // Idle: wait for the first byte of the next request.
                set_phase(s, Session::Phase::kIdle, std::chrono::steady_clock::now() + options.idle_timeout);
                auto [ec, n] = co_await s->stream.socket().async_read_some(buffer.prepare(4096), kTuple);
                if (ec) break;
                buffer.commit(n);
            }
            s->busy = true;
            http::request_parser<http::string_body> parser;
            parser.body_limit(options.max_body_bytes);
            parser.header_limit(kHeaderLimit);
            parser.eager(true);
            // Parse what is already buffered without another trip through the event loop.
            beast::error_code ec;
            while (buffer.size() > 0 && !parser.is_done()) {
                const auto used = parser.put(buffer.data(), ec);
                buffer.consume(used);
                if (ec == http::error::need_more) {
                    ec = {};
                    break;
                }
                if (ec || used == 0) break;
            }
            if (!ec && !parser.is_header_done()) {
                set_phase(s, Session::Phase::kHeader, std::chrono::steady_clock::now() + options.header_timeout);
                auto [hec, hn] = co_await http::async_read_header(s->stream.socket(), buffer, parser, kTuple);
                (void)hn;
                ec = hec;
            }
            if (!ec && !parser.is_done()) {
                set_phase(s, Session::Phase::kIo, std::chrono::steady_clock::now() + options.request_timeout);
                auto [bec, bn] = co_await http::async_read(s->stream.socket(), buffer, parser, kTuple);
                (void)bn;
                ec = bec;
            }
            if (ec == http::error::body_limit) {
                set_phase(s, Session::Phase::kIo, std::chrono::steady_clock::now() + options.request_timeout);
                co_await write_error(*s, 11, http::status::payload_too_large,
                                     options
                                         .error_formatter(413, "request body larger than " +
                                                                   std::to_string(options.max_body_bytes) + " bytes")
                                         .body);
                break;
            }
            if (ec == http::error::header_limit) {
                set_phase(s, Session::Phase::kIo, std::chrono::steady_clock::now() + options.request_timeout);
                co_await write_error(*s, 11, http::status::request_header_fields_too_large,
                                     options.error_formatter(431, "request headers too large").body);
                break;
            }
            if (ec) break;
            const auto started_at = std::chrono::steady_clock::now();
            auto& message = parser.get();
            auto call = std::make_shared<Call>();
            const auto req = std::shared_ptr<ServerRequest>(call, &call->req);
            req->method = std::string(message.method_string());
            req->target = std::string(message.target());
            const auto q = req->target.find('?');
            req->path = req->target.substr(0, q);
            if (q != std::string::npos) req->query = req->target.substr(q + 1);
            for (const auto& field : message)
                req->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
            req->body = std::move(message.body());
            req->remote = s->remote;
            req->remote_ip = s->remote_ip;

            std::optional<Reply> reply;
            const RouteEntry* entry = nullptr;
            if (auto pre = preflight(*req)) {
                reply = std::move(*pre);
            } else {
                auto match = router.find(req->method, req->path);
                if (match.kind == PathRouter::Match::Kind::kFound) {
                    entry = &routes[match.route];
                    for (auto& [name, value] : match.params) {
                        auto decoded = percent_decode(value, false);
                        if (!decoded) {
                            reply = tl::unexpected(
                                HttpError{400, "path parameter '" + name + "': " + decoded.error().message, {}});
                            break;
                        }
                        req->params.emplace_back(name, std::move(*decoded));
                    }
                }
                if (entry && entry->ws && !reply && !websocket::is_upgrade(message))
                    reply = tl::unexpected(HttpError{426, "WebSocket upgrade required", {{"Upgrade", "websocket"}}});
                if (!reply) {
                    if (entry && entry->async) {
                        set_phase(s, Session::Phase::kNone, {});  // await_reply keeps its own deadline
                        reply = co_await await_reply(s, req, entry);
                        if (!reply) break;  // the client is gone
                    } else if (entry && entry->sync && entry->options.run_inline) {
                        reply = run_sync(*req, entry, match);
                    } else {
                        reply = co_await await_call(s, call, entry, std::move(match), started_at);
                    }
                }
            }
            if (entry && entry->ws && *reply && (*reply)->status == 101) {
                co_await serve_websocket(s, std::move(message), req, entry->ws);
                co_return;
            }

            HttpResponse response = *reply ? std::move(**reply) : error_response(reply->error());
            add_cors(response, *req);
            http::response<http::string_body> res{static_cast<http::status>(response.status), message.version()};
            for (const auto& [name, value] : response.headers) res.insert(name, value);
            const bool keep = message.keep_alive() && !stopping.load() && !s->close_requested;
            res.keep_alive(keep);
            if (req->method == "HEAD") {
                res.content_length(response.body.size());
            } else {
                res.body() = std::move(response.body);
                res.prepare_payload();
            }
            handled.fetch_add(1);
            if (response.status >= 100 && response.status < 600) by_class[response.status / 100 - 1]->inc();
            const auto now = std::chrono::steady_clock::now();
            duration->observe(std::chrono::duration<double>(now - started_at).count());
            set_phase(s, Session::Phase::kIo, now + options.request_timeout);
            auto [wec, wn] = co_await http::async_write(s->stream.socket(), res, kTuple);
            (void)wn;
            if (wec || !keep || s->close_requested) break;
        }
        end_session(s);
    }

    void end_session(const std::shared_ptr<Session>& s) {
        s->phase = Session::Phase::kNone;
        s->watchdog.cancel();
        beast::error_code ignored;
        s->socket().shutdown(tcp::socket::shutdown_send, ignored);
        s->socket().close(ignored);
        connections_open->dec();
        std::lock_guard lock(mutex);
        sessions.erase(s);
        sessions_changed.notify_all();
    }

    asio::awaitable<void> serve_websocket(std::shared_ptr<Session> s, http::request<http::string_body> message,
                                          std::shared_ptr<ServerRequest> req, std::shared_ptr<WebSocketHub::Impl> hub) {
        set_phase(s, Session::Phase::kNone, {});
        s->ws.emplace(std::move(s->stream));
        auto& ws = *s->ws;
        websocket::stream_base::timeout t{};
        t.handshake_timeout = options.request_timeout;
        t.idle_timeout = hub->options.idle_timeout;
        t.keep_alive_pings = true;
        beast::get_lowest_layer(ws).expires_never();
        ws.set_option(t);
        ws.read_message_max(hub->options.max_message_bytes);
        auto [aec] = co_await ws.async_accept(message, kTuple);
        if (aec) {
            end_session(s);
            co_return;
        }
        auto conn = std::make_shared<WsConn>();
        conn->session = s;
        conn->upgrade = req;
        {
            std::lock_guard lock(hub->mutex);
            hub->conns.insert(conn);
        }
        ws_open->inc();
        beast::flat_buffer buffer;
        for (;;) {
            buffer.clear();
            auto [ec, n] = co_await ws.async_read(buffer, kTuple);
            (void)n;
            if (ec) break;
            if (conn->dropped) break;
            std::optional<std::string> answer;
            if (!ws.got_text()) {
                answer = ws_error_message("binary messages are not supported", std::nullopt);
            } else {
                const auto text = beast::buffers_to_string(buffer.data());
                answer = handle_ws_message(*hub, conn, text);
            }
            if (answer) hub->enqueue(conn, std::make_shared<const std::string>(std::move(*answer)));
        }
        hub->unsubscribe_all(conn);
        ws_open->dec();
        conn->queue.clear();
        end_session(s);
    }

    static std::optional<std::string> handle_ws_message(WebSocketHub::Impl& hub, const std::shared_ptr<WsConn>& c,
                                                        const std::string& text) {
        auto m = parse_ws_client_message(text, hub.options.max_message_bytes);
        if (!m) return ws_error_message(m.error().message, std::nullopt);
        using Op = WsClientMessage::Op;
        switch (m->op) {
            case Op::kPing: return ws_ack_message("ping", "", m->id_json);
            case Op::kSubscribe: {
                if (c->topics.count(m->topic) == 0) {
                    if (c->topics.size() >= hub.options.max_subscriptions)
                        return ws_error_message("subscribe: at most " + std::to_string(hub.options.max_subscriptions) +
                                                    " topics per connection",
                                                m->id_json);
                    if (hub.options.authorize_topic)
                        if (auto refused = hub.options.authorize_topic(*c->upgrade, m->topic))
                            return ws_error_message(*refused, m->id_json);
                    c->topics.insert(m->topic);
                    std::lock_guard lock(hub.mutex);
                    hub.topics[m->topic].insert(c);
                }
                return ws_ack_message("subscribe", m->topic, m->id_json);
            }
            case Op::kUnsubscribe: {
                if (c->topics.erase(m->topic)) {
                    std::lock_guard lock(hub.mutex);
                    auto it = hub.topics.find(m->topic);
                    if (it != hub.topics.end()) {
                        it->second.erase(c);
                        if (it->second.empty()) hub.topics.erase(it);
                    }
                }
                return ws_ack_message("unsubscribe", m->topic, m->id_json);
            }
        }
        return std::nullopt;
    }

    // A connection above max_connections: 503 (the server's error body, "Connection: close") without waiting for the
    // request, then a lingering close: the send side is shut down and what the client sends is read and dropped for
    // at most kRejectLinger, so that a request already on its way does not turn the close into a reset that could
    // destroy the answer before the client reads it.
    asio::awaitable<void> reject(tcp::socket socket) {
        static constexpr auto kRejectLinger = std::chrono::seconds(1);
        HttpResponse r = error_response(HttpError{503, "too many open connections", {}});
        http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
        for (const auto& [name, value] : r.headers) res.insert(name, value);
        res.keep_alive(false);
        res.body() = std::move(r.body);
        res.prepare_payload();
        beast::tcp_stream stream(std::move(socket));
        stream.expires_after(kRejectLinger);
        auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
        (void)wn;
        beast::error_code ignored;
        if (!wec) {
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            char sink[1024];
            for (;;) {
                auto [rec, rn] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
                (void)rn;
                if (rec) break;
            }
        }
        stream.socket().close(ignored);
    }

    // An I/O thread. With idle_spin, a thread that finds no ready handler keeps polling (yielding the CPU between
    // polls) for that long before it blocks: the reply of a pooled request then resumes its connection without a
    // wake-up (an eventfd write and a context switch on each side).
    void run_io() {
        const auto spin = options.idle_spin;
        if (spin.count() <= 0) {
            io.run();
            return;
        }
        while (!io.stopped()) {
            if (io.poll() > 0) continue;
            bool ready = false;
            for (const auto until = std::chrono::steady_clock::now() + spin;
                 !ready && std::chrono::steady_clock::now() < until;) {
                std::this_thread::yield();
                ready = io.poll() > 0;
            }
            if (!ready) io.run_one();
        }
    }

    // No shared_from_this() here: stop() may stop the io_context while this frame is still queued, and a frame that
    // owned the Impl (which owns the io_context that owns the frame) would never be freed. HttpServer::stop() joins
    // the I/O threads before the Impl can go away, and ~io_context destroys the frames still queued.
    asio::awaitable<void> accept_loop() {
        std::chrono::milliseconds backoff{0};
        for (;;) {
            tcp::socket socket(asio::make_strand(io));
            auto [ec] = co_await acceptor->async_accept(socket, kTuple);
            if (ec) {
                if (stopping.load() || !acceptor->is_open()) co_return;
                backoff = backoff.count() == 0 ? options.accept_backoff_initial
                                               : std::min(backoff * 2, options.accept_backoff_max);
                accept_errors->inc();
                if (options.on_accept_error) options.on_accept_error(ec.message(), backoff);
                asio::steady_timer pause(acceptor->get_executor());
                pause.expires_after(backoff);
                co_await pause.async_wait(kTuple);
                continue;
            }
            backoff = std::chrono::milliseconds{0};
            accepted.fetch_add(1);
            connections_total->inc();
            std::shared_ptr<Session> session;
            {
                std::lock_guard lock(mutex);
                if (sessions.size() >= options.max_connections) {
                    rejected_limit->inc();
                } else {
                    session = std::make_shared<Session>(std::move(socket));
                    sessions.insert(session);
                }
            }
            if (!session) {
                if (rejecting.load() >= kMaxRejecting) {  // a flood: no answer, do not hold descriptors
                    beast::error_code ignored;
                    socket.close(ignored);
                    continue;
                }
                rejecting.fetch_add(1);
                const auto ex = socket.get_executor();
                asio::co_spawn(ex, reject(std::move(socket)), [this](std::exception_ptr) { rejecting.fetch_sub(1); });
                continue;
            }
            beast::error_code rec;
            const auto remote = session->stream.socket().remote_endpoint(rec);
            if (!rec) {
                session->remote_ip = ip_of(remote);
                session->remote = remote.address().to_string() + ":" + std::to_string(remote.port());
            }
            connections_open->inc();
            asio::co_spawn(session->stream.get_executor(), serve(session), asio::detached);
        }
    }

    void close_idle() {
        std::lock_guard lock(mutex);
        for (const auto& s : sessions) {
            asio::post(s->ex, [s] {
                if (s->ws) return;
                if (s->busy) {
                    s->close_requested = true;
                    return;
                }
                s->close_now();
            });
        }
    }

    void close_websockets() {
        std::vector<std::shared_ptr<WsConn>> all;
        for (const auto& hub : hubs) {
            std::lock_guard lock(hub->mutex);
            all.insert(all.end(), hub->conns.begin(), hub->conns.end());
            for (const auto& c : hub->conns)
                asio::post(c->session->ex, [hub, c] { hub->close(c, websocket::close_code::going_away); });
        }
    }
};

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(std::string method, std::string path, HttpHandler handler) {
    RouteEntry e;
    e.sync = [h = std::move(handler)](const ServerRequest& r) -> Reply { return h(r); };
    impl_->add_route(std::move(method), path, std::move(e));
}

void HttpServer::handle(std::string method, std::string path, Handler handler, RouteOptions options) {
    RouteEntry e;
    e.sync = std::move(handler);
    e.options = std::move(options);
    impl_->add_route(std::move(method), path, std::move(e));
}

void HttpServer::handle_async(std::string method, std::string path, AsyncHandler handler, RouteOptions options) {
    RouteEntry e;
    e.async = std::move(handler);
    e.options = std::move(options);
    impl_->add_route(std::move(method), path, std::move(e));
}

void HttpServer::use(Filter filter) { impl_->global_filters.push_back(std::move(filter)); }

std::shared_ptr<WebSocketHub> HttpServer::websocket(std::string path, WebSocketOptions options) {
    auto hub = std::make_shared<WebSocketHub::Impl>();
    hub->options = std::move(options);
    hub->dropped_counter = impl_->ws_dropped;
    hub->sent_counter = impl_->ws_sent;
    RouteEntry e;
    e.ws = hub;
    impl_->add_route("GET", path, std::move(e));
    impl_->hubs.push_back(hub);
    return std::make_shared<WebSocketHub>(hub);
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
    impl.watchdog_tick =
        std::max(std::chrono::milliseconds(1),
                 std::min({impl.options.idle_timeout, impl.options.header_timeout, impl.options.request_timeout}));
    impl.started = true;
    impl.pool.start(impl.options.worker_threads, impl.options.idle_spin,
                    [&impl](const std::shared_ptr<Call>& call) { impl.run_call(call); });
    asio::co_spawn(impl.acceptor->get_executor(), impl.accept_loop(), asio::detached);
    const unsigned n = std::max(1u, impl.options.threads);
    for (unsigned i = 0; i < n; ++i) impl.threads.emplace_back([&impl] { impl.run_io(); });
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
    impl.close_websockets();
    {
        // Asynchronous requests end now with their timeout reply; synchronous ones finish within the grace.
        std::lock_guard lock(impl.mutex);
        for (const auto& st : impl.pending) {
            std::lock_guard slock(st->mutex);
            if (st->wake) st->wake();
        }
    }
    {
        std::unique_lock lock(impl.mutex);
        impl.sessions_changed.wait_for(lock, grace, [&impl] { return impl.sessions.empty(); });
    }
    impl.io.stop();
    for (auto& t : impl.threads) t.join();
    impl.threads.clear();
    {
        // The posted close may not have run before io.stop(): no listener may outlive stop().
        beast::error_code ignored;
        impl.acceptor->close(ignored);
    }
    std::vector<std::function<void()>> callbacks;
    {
        std::lock_guard lock(impl.mutex);
        for (const auto& st : impl.pending) {
            auto cbs = st->end_without_reply();
            for (auto& cb : cbs) callbacks.push_back(std::move(cb));
        }
        impl.pending.clear();
    }
    for (auto& cb : callbacks) cb();
    // A queued call owns its coroutine (the completion handler) and the coroutine owns the call: drop the handler so
    // that both go.
    for (const auto& call : impl.pool.stop()) call->resume.reset();
    for (const auto& hub : impl.hubs) {
        std::lock_guard lock(hub->mutex);
        hub->conns.clear();
        hub->topics.clear();
    }
    std::lock_guard lock(impl.mutex);
    impl.sessions.clear();
}

bool HttpServer::stopping() const { return impl_->stopping.load(); }

void HttpServer::close_idle_connections() { impl_->close_idle(); }

std::uint64_t HttpServer::connections_accepted() const { return impl_->accepted.load(); }

std::uint64_t HttpServer::requests_handled() const { return impl_->handled.load(); }

std::size_t HttpServer::connections_open() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->sessions.size();
}

MetricsRegistry& HttpServer::metrics() { return *impl_->options.metrics; }

HttpHandler metrics_handler(std::shared_ptr<MetricsRegistry> registry) {
    return [registry = std::move(registry)](const ServerRequest&) {
        return HttpResponse{200, {{"Content-Type", std::string(MetricsRegistry::kContentType)}}, registry->render()};
    };
}

HttpHandler health_handler(std::function<HealthReport()> check) {
    return [check = std::move(check)](const ServerRequest&) {
        try {
            auto report = check();
            return HttpResponse::json(report.healthy ? 200 : 503, std::move(report.json_body));
        } catch (...) {
            return HttpResponse::json(503, R"({"status":"error"})");
        }
    };
}

}  // namespace wp::net
