// HttpServer's service features against the real server on 127.0.0.1: router, errors, filters, CORS, the handler
// pool, asynchronous handlers, connection limits and timeouts, accept back-off, metrics and health.

#include "http_server.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/json/value.hpp>

#include <wp/net/test_support.hpp>
#include "http_client.hpp"
#include "json_body.hpp"
#include "rate_limiter.hpp"

namespace wp::net {
namespace {

using namespace std::chrono_literals;

using wp::net::testing::eventually;

// A raw TCP client for what HttpClient cannot do (HEAD, half-sent headers, watching a close).
class RawConn {
  public:
    explicit RawConn(std::uint16_t port, bool connect_now = true) : port_(port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{10, 0};  // a safety net against a hang, not a measured duration
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect_now) connect();
    }
    //! Connects the socket made by the constructor (needs no new file descriptor).
    void connect() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port_);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~RawConn() { close(); }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    bool connected() const { return connected_; }
    void send(std::string_view s) {
        while (!s.empty()) {
            const auto n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            s.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    //! Reads until the peer closes (or the 10 s safety net): everything received.
    std::string read_to_close() {
        std::string out;
        char buf[4096];
        for (;;) {
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                eof_ = n == 0;
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    //! Reads one response head (up to the blank line).
    std::string read_head() {
        std::string out;
        char c;
        while (out.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) out.push_back(c);
        return out;
    }
    //! True when the peer closed the connection (EOF seen by read_to_close).
    bool eof() const { return eof_; }
    //! True when nothing is readable now and the connection is not closed.
    bool open_and_quiet() const {
        char c;
        const auto n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

  private:
    std::uint16_t port_;
    int fd_{-1};
    bool connected_{false};
    bool eof_{false};
};

TEST(Router, ParamsPrecedenceAndErrorShape) {
    HttpServer server({.error_formatter = ok_false_error_formatter()});
    server.handle("GET", "/workerpoolorders/:orderHash", [](const ServerRequest& r) -> Reply {
        return HttpResponse::json(200, "{\"hash\":" + json_quote(*r.param("orderHash")) + "}");
    });
    server.handle("GET", "/workerpoolorders/count",
                  [](const ServerRequest&) -> Reply { return HttpResponse::json(200, "{\"count\":3}"); });
    server.handle("GET", "/tasks/:id/replicates/:wallet", [](const ServerRequest& r) -> Reply {
        return HttpResponse::text(200, std::string(*r.param("id")) + "|" + std::string(*r.param("wallet")));
    });
    server.handle("POST", "/tasks/:id/replicates/:wallet",
                  [](const ServerRequest&) -> Reply { return HttpResponse::text(201, "created"); });
    ASSERT_TRUE(server.start());
    const auto base = server.base_url();
    HttpClient client;

    auto r = client.get(base + "/workerpoolorders/0xabc");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, R"({"hash":"0xabc"})");
    EXPECT_EQ(client.get(base + "/workerpoolorders/count")->body, R"({"count":3})");
    EXPECT_EQ(client.get(base + "/tasks/7/replicates/a%20b%2Fc")->body,
              "7|a b/c");  // decoded, %2F stays in one segment

    r = client.get(base + "/tasks/7/replicates/%zz");
    EXPECT_EQ(r->status, 400u);
    EXPECT_EQ(r->body, R"({"ok":false,"error":"path parameter 'wallet': malformed percent escape at offset 0"})");
    r = client.get(base + "/nope");
    EXPECT_EQ(r->status, 404u);
    EXPECT_EQ(r->body, R"({"ok":false,"error":"not found"})");
    EXPECT_EQ(r->header("content-type"), "application/json");
    r = client.request({.method = "DELETE", .url = base + "/tasks/1/replicates/2"});
    EXPECT_EQ(r->status, 405u);
    EXPECT_EQ(r->body, R"({"ok":false,"error":"method not allowed"})");
    EXPECT_EQ(r->header("allow"), "GET, HEAD, OPTIONS, POST");
    r = client.request({.method = "OPTIONS", .url = base + "/tasks/1/replicates/2"});
    EXPECT_EQ(r->status, 204u);
    EXPECT_EQ(r->header("allow"), "GET, HEAD, OPTIONS, POST");

    // HEAD: the GET handler's headers and Content-Length, no body.
    RawConn raw(server.port());
    raw.send("HEAD /workerpoolorders/count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto all = raw.read_to_close();
    EXPECT_NE(all.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << all;
    EXPECT_NE(all.find("Content-Length: 11\r\n"), std::string::npos) << all;
    EXPECT_EQ(all.substr(all.size() - 4), "\r\n\r\n") << all;  // nothing after the head
}

TEST(Router, TypedQueryJsonBodiesAndHandlerErrors) {
    HttpServer server({.max_body_bytes = 1024, .error_formatter = ok_false_error_formatter()});
    server.handle("GET", "/orders", [](const ServerRequest& r) -> Reply {
        auto q = r.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        auto size = q->u64_or("pageSize", 20, 10, 1000);
        if (!size) return tl::unexpected(HttpError::bad_request(size.error()));
        auto wp = q->address("workerpool");
        if (!wp) return tl::unexpected(HttpError::from(wp.error()));
        return HttpResponse::json(200, "{\"pageSize\":" + std::to_string(*size) + "}");
    });
    server.handle("POST", "/orders", [](const ServerRequest& r) -> Reply {
        auto body = parse_json_strict(r.body, {.max_bytes = 512, .max_depth = 8});
        if (!body) return tl::unexpected(HttpError::from(body.error()));
        if (!body->is_object()) return tl::unexpected(HttpError{422, "body: must be an object", {}});
        return HttpResponse::json(200, R"({"ok":true})");
    });
    server.handle("GET", "/boom", [](const ServerRequest&) -> Reply {
        return tl::unexpected(HttpError::from(Error{Errc::kIo, "disk /secret/path failed"}));
    });
    ASSERT_TRUE(server.start());
    const auto base = server.base_url();
    HttpClient client;
    EXPECT_EQ(client.get(base + "/orders")->body, R"({"pageSize":20})");
    EXPECT_EQ(client.get(base + "/orders?pageSize=1000")->body, R"({"pageSize":1000})");
    auto r = client.get(base + "/orders?pageSize=5");
    EXPECT_EQ(r->status, 400u);
    EXPECT_EQ(r->body,
              R"({"ok":false,"error":"query parameter 'pageSize': must be an integer between 10 and 1000, got '5'"})");
    r = client.get(base + "/orders?pageSize=10&pageSize=20");
    EXPECT_EQ(r->body, R"({"ok":false,"error":"query parameter 'pageSize': given twice"})");
    r = client.get(base + "/orders?workerpool=0x12");
    EXPECT_EQ(r->status, 400u);
    EXPECT_NE(r->body.find("query parameter 'workerpool': must be a 0x-prefixed 20-byte address"), std::string::npos);

    EXPECT_EQ(client.post(base + "/orders", R"({"a":1})")->status, 200u);
    r = client.post(base + "/orders", R"({"a":1,"a":2})");
    EXPECT_EQ(r->status, 400u);
    EXPECT_EQ(r->body, R"({"ok":false,"error":"JSON body: duplicate key \"a\""})");
    r = client.post(base + "/orders", std::string(600, ' ') + "{}");
    EXPECT_EQ(r->status, 413u);
    EXPECT_EQ(r->body, R"({"ok":false,"error":"JSON body: larger than 512 bytes"})");
    EXPECT_EQ(client.post(base + "/orders", "[[[[[[[[[[1]]]]]]]]]]")->status, 400u);
    EXPECT_EQ(client.post(base + "/orders", "[1]")->status, 422u);
    r = client.post(base + "/orders", std::string(2000, ' '));  // above the server's max_body_bytes
    EXPECT_EQ(r->status, 413u);
    EXPECT_EQ(r->body, R"({"ok":false,"error":"request body larger than 1024 bytes"})");
    r = client.get(base + "/boom");
    EXPECT_EQ(r->status, 500u);
    EXPECT_EQ(r->body, R"({"ok":false,"error":"internal error"})");  // the detail is not exposed
}

TEST(Filters, GlobalThenRouteFiltersAndAttributes) {
    HttpServer server;
    std::vector<std::string> order;
    std::mutex m;
    server.use([&](ServerRequest& r) -> std::optional<Reply> {
        std::lock_guard lock(m);
        order.push_back("global " + r.path);
        return std::nullopt;
    });
    const Filter auth = [&](ServerRequest& r) -> std::optional<Reply> {
        {
            std::lock_guard lock(m);
            order.push_back("auth");
        }
        auto h = r.header("authorization");
        if (!h || *h != "Bearer good") return Reply(tl::unexpected(HttpError{401, "invalid authorization", {}}));
        r.attributes["auth.address"] = std::string("0xf39f");
        return std::nullopt;
    };
    server.handle("GET", "/me",
                  [](const ServerRequest& r) -> Reply {
                      const auto* who = r.attribute<std::string>("auth.address");
                      return HttpResponse::text(200, who ? *who : "nobody");
                  },
                  {.filters = {auth}});
    server.handle("GET", "/public", [](const ServerRequest& r) -> Reply {
        return HttpResponse::text(200, r.attribute<std::string>("auth.address") ? "leak" : "public");
    });
    ASSERT_TRUE(server.start());
    HttpClient client;
    auto r = client.get(server.base_url() + "/me");
    EXPECT_EQ(r->status, 401u);
    EXPECT_EQ(r->body, R"({"error":"invalid authorization"})");
    r = client.get(server.base_url() + "/me", {{"Authorization", "Bearer good"}});
    EXPECT_EQ(r->body, "0xf39f");
    EXPECT_EQ(client.get(server.base_url() + "/public")->body, "public");
    EXPECT_EQ(client.get(server.base_url() + "/missing")->status, 404u);
    std::lock_guard lock(m);
    EXPECT_EQ(order, (std::vector<std::string>{"global /me", "auth", "global /me", "auth", "global /public",
                                               "global /missing"}));
}

TEST(RateLimit, FilterAnswers429UntilTheClockRefills) {
    ManualClock clock;
    RateLimiter limiter({.capacity = 2, .period = 10s, .exempt_loopback = false}, clock);
    HttpServer server({.error_formatter = ok_false_error_formatter()});
    auto& refused = server.metrics().counter("wp_http_rate_limited_total", "Requests refused by the rate limiter");
    server.use(limiter.filter(&refused));
    server.route("GET", "/x", [](const ServerRequest&) { return HttpResponse::text(200, "x"); });
    ASSERT_TRUE(server.start());
    HttpClient client;
    EXPECT_EQ(client.get(server.base_url() + "/x")->status, 200u);
    EXPECT_EQ(client.get(server.base_url() + "/nope")->status, 404u);  // 404s cost a token too
    auto r = client.get(server.base_url() + "/x");
    EXPECT_EQ(r->status, 429u);
    EXPECT_EQ(r->body, R"({"ok":false,"error":"Rate limit exceeded"})");
    EXPECT_EQ(r->header("retry-after"), "5");
    clock.advance(5s);
    EXPECT_EQ(client.get(server.base_url() + "/x")->status, 200u);
    EXPECT_EQ(refused.value(), 1u);
    // Loopback is exempt by default.
    RateLimiter lax({.capacity = 1, .period = 10s}, clock);
    HttpServer open_server;
    open_server.use(lax.filter());
    open_server.route("GET", "/x", [](const ServerRequest&) { return HttpResponse::text(200, "x"); });
    ASSERT_TRUE(open_server.start());
    for (int i = 0; i < 5; ++i) EXPECT_EQ(client.get(open_server.base_url() + "/x")->status, 200u);
}

TEST(Cors, HeadersOnEveryResponseAndPreflight) {
    HttpServer server({.cors = {.allowed_origins = {"https://app.example", "https://b.example"}}});
    server.route("GET", "/x", [](const ServerRequest&) { return HttpResponse::text(200, "x"); });
    server.route("POST", "/x", [](const ServerRequest&) { return HttpResponse::text(200, "x"); });
    ASSERT_TRUE(server.start());
    HttpClient client;
    auto r = client.get(server.base_url() + "/x", {{"Origin", "https://app.example"}});
    EXPECT_EQ(r->header("access-control-allow-origin"), "https://app.example");
    EXPECT_EQ(r->header("vary"), "Origin");
    r = client.get(server.base_url() + "/missing", {{"Origin", "https://b.example"}});
    EXPECT_EQ(r->status, 404u);
    EXPECT_EQ(r->header("access-control-allow-origin"), "https://b.example");
    r = client.get(server.base_url() + "/x", {{"Origin", "https://evil.example"}});
    EXPECT_FALSE(r->header("access-control-allow-origin"));
    r = client.request({.method = "OPTIONS",
                        .url = server.base_url() + "/x",
                        .headers = {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}}});
    EXPECT_EQ(r->status, 204u);
    EXPECT_EQ(r->header("access-control-allow-origin"), "https://app.example");
    EXPECT_EQ(r->header("access-control-allow-methods"), "GET, HEAD, OPTIONS, POST");
    EXPECT_EQ(r->header("access-control-allow-headers"), "Authorization, Content-Type");
    EXPECT_EQ(r->header("access-control-max-age"), "600");

    HttpServer any({.cors = {.allowed_origins = {"*"}}});
    any.route("GET", "/x", [](const ServerRequest&) { return HttpResponse::text(200, "x"); });
    ASSERT_TRUE(any.start());
    r = client.get(any.base_url() + "/x", {{"Origin", "https://whoever.example"}});
    EXPECT_EQ(r->header("access-control-allow-origin"), "*");
    EXPECT_FALSE(r->header("vary"));
    EXPECT_FALSE(client.get(any.base_url() + "/x")->header("access-control-allow-origin"));  // no Origin, no CORS
}

// A gate: handlers wait on it; the test sees them enter and decides when they finish.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    int entered{0};
    bool open{false};
    void pass() {
        std::unique_lock lock(m);
        ++entered;
        cv.notify_all();
        cv.wait(lock, [this] { return open; });
    }
    void wait_entered(int n) {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return entered >= n; });
    }
    void release() {
        std::lock_guard lock(m);
        open = true;
        cv.notify_all();
    }
};

TEST(HandlerPool, BlockingHandlersDoNotBlockTheIoThread) {
    auto gate = std::make_shared<Gate>();
    HttpServer server({.threads = 1, .worker_threads = 3});
    server.route("GET", "/block", [gate](const ServerRequest&) {
        gate->pass();
        return HttpResponse::text(200, "unblocked");
    });
    server.route("GET", "/fast", [](const ServerRequest&) { return HttpResponse::text(200, "fast"); });
    ASSERT_TRUE(server.start());
    HttpClient client;
    auto a = client.request_future({.url = server.base_url() + "/block"});
    auto b = client.request_future({.url = server.base_url() + "/block"});
    gate->wait_entered(2);
    // Two handlers are blocked, the only I/O thread is free: a third request is answered.
    auto fast = client.get(server.base_url() + "/fast");
    ASSERT_TRUE(fast) << fast.error().message;
    EXPECT_EQ(fast->body, "fast");
    gate->release();
    EXPECT_EQ(a.get()->body, "unblocked");
    EXPECT_EQ(b.get()->body, "unblocked");
}

TEST(HandlerPool, SlowSyncHandlerTimesOut) {
    auto gate = std::make_shared<Gate>();
    HttpServer server;
    server.handle("GET", "/slow",
                  [gate](const ServerRequest&) -> Reply {
                      gate->pass();
                      return HttpResponse::text(200, "late");
                  },
                  {.timeout = 30ms});
    ASSERT_TRUE(server.start());
    HttpClient client;
    auto r = client.get(server.base_url() + "/slow");
    gate->release();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 503u);
    EXPECT_EQ(r->body, R"({"error":"request timed out"})");
    EXPECT_EQ(client.get(server.base_url() + "/slow")->body, "late");  // the gate is open now
}

// A long-poll event source: waiters are answered by publish() or by their timeout.
class LongPoll {
  public:
    void wait(Responder r) {
        r.on_close([this] {  // outside the lock: runs at once when the request already ended
            std::lock_guard lock(m_);
            ++closed_;
            cv_.notify_all();
        });
        std::lock_guard lock(m_);
        waiters_.push_back(r);
        cv_.notify_all();
    }
    std::size_t publish(const std::string& event) {
        std::vector<Responder> ws;
        {
            std::lock_guard lock(m_);
            ws.swap(waiters_);
        }
        std::size_t n = 0;
        for (auto& w : ws) n += w.reply(HttpResponse::json(200, "{\"events\":[" + json_quote(event) + "]}")) ? 1u : 0u;
        return n;
    }
    void wait_waiters(std::size_t n) {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return waiters_.size() >= n; });
    }
    void wait_closed(int n) {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return closed_ >= n; });
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<Responder> waiters_;
    int closed_{0};
};

TEST(AsyncHandlers, LongPollEventTimeoutAndClientGone) {
    LongPoll feed;
    HttpServer server;
    server.handle_async("GET", "/events", [&](const ServerRequest&, Responder r) { feed.wait(r); });
    server.handle_async(
        "GET", "/events/short", [&](const ServerRequest&, Responder r) { feed.wait(r); },
        {.timeout = 20ms, .on_timeout = [] { return Reply(HttpResponse::json(200, R"({"events":[]})")); }});
    ASSERT_TRUE(server.start());
    HttpClient client;

    // An event completes the waiting request (from this thread).
    auto pending = client.request_future({.url = server.base_url() + "/events"});
    feed.wait_waiters(1);
    EXPECT_EQ(feed.publish("deal_created"), 1u);
    auto r = pending.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, R"({"events":["deal_created"]})");

    // The route's timeout answers with its on_timeout reply and runs on_close.
    r = client.get(server.base_url() + "/events/short");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, R"({"events":[]})");
    feed.wait_closed(1);
    EXPECT_EQ(feed.publish("late"), 0u);  // the timed-out responder refuses the reply

    // A client that goes away is noticed: on_close runs, the server forgets the connection.
    const auto before = server.connections_open();  // the HttpClient's pooled connection
    {
        RawConn raw(server.port());
        raw.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
        feed.wait_waiters(1);
    }
    feed.wait_closed(2);
    EXPECT_TRUE(eventually([&] { return server.connections_open() == before; }));
    EXPECT_EQ(feed.publish("nobody"), 0u);
}

TEST(AsyncHandlers, ALongPollLongerThanTheIdleTimeoutIsNotCutByIt) {
    LongPoll feed;
    HttpServer server({.idle_timeout = 30ms});
    server.handle_async(
        "GET", "/events", [&](const ServerRequest&, Responder r) { feed.wait(r); },
        {.timeout = 150ms, .on_timeout = [] { return Reply(HttpResponse::json(200, R"({"events":[]})")); }});
    ASSERT_TRUE(server.start());
    HttpClient client;
    auto r = client.get(server.base_url() + "/events");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, R"({"events":[]})");  // the route's timeout answered, the idle timeout did not close
}

TEST(AsyncHandlers, StopAnswersPendingLongPollsAtOnce) {
    LongPoll feed;
    auto server = std::make_unique<HttpServer>();
    server->handle_async("GET", "/events", [&](const ServerRequest&, Responder r) { feed.wait(r); },
                         {.on_timeout = [] { return Reply(HttpResponse::json(200, R"({"events":[]})")); }});
    ASSERT_TRUE(server->start());
    HttpClient client;
    auto pending = client.request_future({.url = server->base_url() + "/events"});
    feed.wait_waiters(1);
    server->stop(30s);  // returns as soon as the long-poll is answered, not after the grace
    auto r = pending.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, R"({"events":[]})");
    EXPECT_EQ(r->header("connection"), "close");
}

// run_inline on an asynchronous route: the handler runs on the I/O thread (so it is served while every pool worker is
// blocked), its filters, its reply from another thread and its timeout work as on the pool.
TEST(AsyncHandlers, InlineRoutesRunOnTheIoThreadWithFiltersRepliesAndTimeout) {
    LongPoll feed;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> blocking{false};
    HttpServer server({.worker_threads = 1});
    server.handle("GET", "/block", [&](const ServerRequest&) -> Reply {
        blocking = true;
        released.wait();
        return HttpResponse::text(200, "unblocked");
    });
    const Filter deny = [](ServerRequest& r) -> std::optional<Reply> {
        if (r.header("x-deny")) return Reply(tl::unexpected(HttpError{403, "denied", {}}));
        return std::nullopt;
    };
    server.handle_async("GET", "/now",
                        [](const ServerRequest&, Responder r) { r.reply(HttpResponse::text(200, "now")); },
                        {.filters = {deny}, .run_inline = true});
    server.handle_async("GET", "/later", [&](const ServerRequest&, Responder r) { feed.wait(r); },
                        {.timeout = 30ms,
                         .on_timeout = [] { return Reply(HttpResponse::json(200, R"({"events":[]})")); },
                         .run_inline = true});
    ASSERT_TRUE(server.start());
    HttpClient client;
    auto blocked = client.request_future({.url = server.base_url() + "/block"});
    ASSERT_TRUE(eventually([&] { return blocking.load(); }));  // the only pool worker is taken

    auto r = client.get(server.base_url() + "/now");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, "now");
    r = client.request({.url = server.base_url() + "/now", .headers = {{"X-Deny", "1"}}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 403u);
    EXPECT_EQ(r->body, R"({"error":"denied"})");

    auto pending = client.request_future({.url = server.base_url() + "/later"});
    feed.wait_waiters(1);
    EXPECT_EQ(feed.publish("deal_created"), 1u);  // answered from this thread
    r = pending.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, R"({"events":["deal_created"]})");
    r = client.get(server.base_url() + "/later");  // nobody answers: the route's timeout does
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, R"({"events":[]})");
    feed.wait_closed(1);

    release.set_value();
    auto b = blocked.get();
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->body, "unblocked");
}

TEST(Limits, ConnectionCapAnswers503AndClosesExtraConnectionsAndCountsThem) {
    HttpServer server({.max_connections = 2, .error_formatter = ok_false_error_formatter()});
    server.route("GET", "/x", [](const ServerRequest&) { return HttpResponse::text(200, "x"); });
    ASSERT_TRUE(server.start());
    RawConn a(server.port()), b(server.port());
    ASSERT_TRUE(eventually([&] { return server.connections_open() == 2; }));
    RawConn c(server.port());
    c.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto answer = c.read_to_close();  // answered (the formatter's body, Connection: close), then closed
    EXPECT_TRUE(c.eof()) << answer;
    EXPECT_EQ(answer.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << answer;
    EXPECT_NE(answer.find("\r\nConnection: close\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << answer;
    const auto body = std::string(R"({"ok":false,"error":"too many open connections"})");
    EXPECT_EQ(answer.substr(answer.find("\r\n\r\n") + 4), body) << answer;
    // A client that connects and waits (sends nothing) gets the same answer at once.
    RawConn d(server.port());
    const auto quiet = d.read_to_close();
    EXPECT_TRUE(d.eof()) << quiet;
    EXPECT_EQ(quiet.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << quiet;
    EXPECT_EQ(
        server.metrics().counter("wp_http_connections_rejected_total", "", {{"reason", "max_connections"}}).value(),
        2u);
    EXPECT_EQ(server.connections_open(), 2u);  // the rejected connections never counted as open
    a.send("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(a.read_to_close().find("200 OK"), std::string::npos);
    ASSERT_TRUE(eventually([&] { return server.connections_open() == 1; }));
    HttpClient client;  // a slot is free again
    EXPECT_EQ(client.get(server.base_url() + "/x")->body, "x");
}

TEST(Limits, SlowHeadersAreCutByTheHeaderTimeoutNotTheIdleTimeout) {
    HttpServer server({.idle_timeout = 60s, .header_timeout = 50ms});
    server.route("GET", "/x", [](const ServerRequest&) { return HttpResponse::text(200, "x"); });
    ASSERT_TRUE(server.start());
    RawConn idle(server.port());
    RawConn slow(server.port());
    slow.send("GET /x HTTP/1.1\r\nHost: x\r\nX-Slow: 1");  // headers never finish
    EXPECT_EQ(slow.read_to_close(), "");
    EXPECT_TRUE(slow.eof());
    auto& cut = server.metrics().counter("wp_http_connections_rejected_total", "", {{"reason", "header_timeout"}});
    EXPECT_TRUE(eventually([&] { return cut.value() == 1; }));  // the stream closes the socket before counting
    EXPECT_TRUE(idle.open_and_quiet());  // an idle keep-alive connection is under the idle timeout only
    idle.send("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(idle.read_to_close().find("200 OK"), std::string::npos);
}

TEST(Limits, AStalledBodyAndAStalledReaderAreCutByTheRequestTimeout) {
    HttpServer server({.request_timeout = 100ms});
    server.route("POST", "/echo", [](const ServerRequest& r) { return HttpResponse::text(200, r.body); });
    const auto big = std::make_shared<const std::string>(std::size_t{16} << 20, 'x');  // above the socket buffers
    server.handle("GET", "/big", [big](const ServerRequest&) -> Reply { return HttpResponse::text(200, *big); },
                  {.run_inline = true});  // no handler deadline: only the write can time out
    ASSERT_TRUE(server.start());
    // A body that never finishes.
    RawConn body(server.port());
    body.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten..");
    EXPECT_EQ(body.read_to_close(), "");
    EXPECT_TRUE(body.eof());
    // A client that asks for 16 MiB and never reads: the write cannot finish, the connection is closed.
    RawConn reader(server.port());
    reader.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(eventually([&] { return server.connections_open() == 0; }));
}

TEST(Limits, AcceptErrorsBackOffInsteadOfSpinning) {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::chrono::milliseconds> backoffs;
    std::string first_error;
    HttpServer server({.accept_backoff_initial = 2ms,
                       .accept_backoff_max = 16ms,
                       .on_accept_error = [&](const std::string& e, std::chrono::milliseconds b) {
                           std::lock_guard lock(m);
                           if (first_error.empty()) first_error = e;
                           backoffs.push_back(b);
                           cv.notify_all();
                       }});
    server.route("GET", "/x", [](const ServerRequest&) { return HttpResponse::text(200, "x"); });
    ASSERT_TRUE(server.start());

    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    // The client socket exists before the fds run out; it connects after, and waits in the listen backlog.
    RawConn client(server.port(), false);
    std::vector<int> fillers;
    {
        const int probe = ::dup(0);
        ASSERT_GE(probe, 0);
        ::close(probe);
        rlimit low = saved;
        low.rlim_cur = static_cast<rlim_t>(probe + 64);
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
        for (int fd; (fd = ::dup(0)) >= 0;) fillers.push_back(fd);
    }
    client.connect();
    bool saw_errors = false;
    {
        std::unique_lock lock(m);
        saw_errors = cv.wait_for(lock, 20s, [&] { return backoffs.size() >= 6; });
    }
    for (int fd : fillers) ::close(fd);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(saw_errors);
    {
        std::lock_guard lock(m);
        EXPECT_NE(first_error.find("open files"), std::string::npos) << first_error;
        // Exponential back-off, capped: 2, 4, 8, 16, 16, ... ms.
        EXPECT_EQ(backoffs[0], 2ms);
        EXPECT_EQ(backoffs[1], 4ms);
        EXPECT_EQ(backoffs[2], 8ms);
        EXPECT_EQ(backoffs[3], 16ms);
        EXPECT_EQ(backoffs[5], 16ms);
    }
    // Once fds are back, the waiting connection is accepted and served.
    client.send("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(client.read_to_close().find("200 OK"), std::string::npos);
    EXPECT_GE(server.metrics().counter("wp_http_accept_errors_total", "").value(), 6u);
}

TEST(Observability, MetricsAndHealthEndpoints) {
    auto registry = std::make_shared<MetricsRegistry>();
    std::atomic<bool> healthy{true};
    HttpServer server({.metrics = registry});
    server.route("GET", "/metrics", metrics_handler(registry));
    server.route("GET", "/health", health_handler([&] {
                     return healthy ? HealthReport{} : HealthReport{false, R"({"status":"chain unreachable"})"};
                 }));
    server.route("GET", "/throws", health_handler([]() -> HealthReport { throw std::runtime_error("x"); }));
    ASSERT_TRUE(server.start());
    HttpClient client;
    auto h = client.get(server.base_url() + "/health");
    EXPECT_EQ(h->status, 200u);
    EXPECT_EQ(h->body, R"({"status":"ok"})");
    healthy = false;
    h = client.get(server.base_url() + "/health");
    EXPECT_EQ(h->status, 503u);
    EXPECT_EQ(h->body, R"({"status":"chain unreachable"})");
    EXPECT_EQ(client.get(server.base_url() + "/throws")->status, 503u);
    EXPECT_EQ(client.get(server.base_url() + "/nope")->status, 404u);
    auto m = client.get(server.base_url() + "/metrics");
    EXPECT_EQ(m->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    // Five answers before this one: 1 x 200, 2 x 503, 1 x 404 (the /metrics answer is counted after rendering).
    EXPECT_NE(m->body.find("wp_http_requests_total{code=\"2xx\"} 1\n"), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("wp_http_requests_total{code=\"4xx\"} 1\n"), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("wp_http_requests_total{code=\"5xx\"} 2\n"), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("wp_http_connections_total 1\n"), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("wp_http_connections_open 1\n"), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("# TYPE wp_http_request_duration_seconds histogram\n"), std::string::npos);
    EXPECT_NE(m->body.find("wp_http_request_duration_seconds_count 4\n"), std::string::npos) << m->body;
}

}  // namespace
}  // namespace wp::net
