#include <gtest/gtest.h>
#include <unistd.h>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <wp/net/http.hpp>
#include <wp/net/http_client.hpp>
#include <wp/net/http_server.hpp>
#include <wp/sys/process.hpp>
#include <wp/sys/tcp.hpp>
#include <wp/net/test_support.hpp>

namespace wp::net {
namespace {

using namespace std::chrono_literals;

TEST(Url, ParsesAbsoluteUrls) {
    auto u = parse_url("HTTP://Example.COM:8545/rpc/v1?x=1&y=2");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->scheme, "http");
    EXPECT_EQ(u->host, "example.com");
    EXPECT_EQ(u->port, 8545);
    EXPECT_EQ(u->target, "/rpc/v1?x=1&y=2");
    EXPECT_EQ(u->origin(), "http://example.com:8545");
    EXPECT_EQ(u->host_header(), "example.com:8545");

    u = parse_url("https://arbitrum.example");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->tls());
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->host_header(), "arbitrum.example");

    u = parse_url("http://[::1]:8080?q");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->target, "/?q");
    EXPECT_EQ(u->origin(), "http://[::1]:8080");
    EXPECT_EQ(parse_url("http://127.0.0.1")->host_header(), "127.0.0.1");
}

TEST(Url, RejectsWithTheOffendingPart) {
    auto expect_error = [](std::string_view url, std::string_view fragment) {
        auto u = parse_url(url);
        ASSERT_FALSE(u) << url;
        EXPECT_EQ(u.error().code, Errc::kInvalidArgument);
        EXPECT_NE(u.error().message.find(fragment), std::string::npos) << u.error().message;
        EXPECT_NE(u.error().message.find(std::string(url)), std::string::npos) << u.error().message;
    };
    expect_error("ftp://x", "scheme must be http or https");
    expect_error("localhost:8545", "missing scheme");
    expect_error("http://", "empty host");
    expect_error("http://:80/", "empty host");
    expect_error("http://a b/", "whitespace");
    expect_error("http://user:pw@host/", "userinfo");
    expect_error("http://host/#frag", "fragments");
    expect_error("http://host:0/", "port must be 1 to 65535");
    expect_error("http://host:65536/", "port must be 1 to 65535");
    expect_error("http://host:8a/", "port must be decimal digits");
    expect_error("http://host:/", "port must be 1 to 65535");
    expect_error("http://ho_st/", "invalid character '_' in host");
    expect_error("http://[::1/", "unterminated IPv6");
}

TEST(Headers, CaseInsensitiveLookup) {
    HttpHeaders h{{"Content-Type", "application/json"}, {"X-A", "1"}, {"x-a", "2"}};
    EXPECT_EQ(find_header(h, "content-type"), "application/json");
    EXPECT_EQ(find_header(h, "X-a"), "1");
    EXPECT_FALSE(find_header(h, "missing"));
}

// A gate the /slow handler waits on (no sleeps): the test sees when a request entered and decides when it may finish.
class Gate {
  public:
    void pass() {
        std::unique_lock lock(mutex_);
        ++entered_;
        cv_.notify_all();
        cv_.wait(lock, [this] { return open_; });
    }
    void wait_entered(int n = 1) {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return entered_ >= n; });
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        cv_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    int entered_{0};
    bool open_{false};
};

using wp::net::testing::eventually;

class HttpTest : public ::testing::Test {
  protected:
    void SetUp() override { start_server({}); }
    void TearDown() override { gate_->open(); }

    void start_server(HttpServerOptions options) {
        if (server_) gate_->open();
        server_.reset();
        gate_ = std::make_shared<Gate>();
        server_ = std::make_unique<HttpServer>(options);
        server_->route("POST", "/echo", [](const ServerRequest& r) {
            auto res = HttpResponse::json(200, r.body);
            res.headers.emplace_back("X-Method", r.method);
            res.headers.emplace_back("X-Query", r.query);
            if (auto ct = r.header("content-type")) res.headers.emplace_back("X-Content-Type", std::string(*ct));
            return res;
        });
        server_->route("GET", "/hello", [](const ServerRequest&) { return HttpResponse::text(200, "hello"); });
        server_->route("GET", "/slow", [gate = gate_](const ServerRequest&) {
            gate->pass();
            return HttpResponse::text(200, "slow");
        });
        server_->route("GET", "/big",
                       [](const ServerRequest&) { return HttpResponse::text(200, std::string(5000, 'x')); });
        server_->route("GET", "/throw", [](const ServerRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
        ASSERT_TRUE(server_->start());
        base_ = server_->base_url();
    }

    std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
    std::unique_ptr<HttpServer> server_;
    std::string base_;
};

TEST_F(HttpTest, GetPostAndRouting) {
    HttpClient client;
    auto r = client.get(base_ + "/hello");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, "hello");
    EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");

    r = client.post(base_ + "/echo?a=b", R"({"x":1})");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, R"({"x":1})");
    EXPECT_EQ(r->header("X-Method"), "POST");
    EXPECT_EQ(r->header("X-Query"), "a=b");
    EXPECT_EQ(r->header("X-Content-Type"), "application/json");

    r = client.get(base_ + "/nope");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404u);
    r = client.get(base_ + "/echo");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405u);
    EXPECT_EQ(r->header("Allow"), "OPTIONS, POST");
    r = client.get(base_ + "/throw");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500u);
    EXPECT_EQ(r->body, R"({"error":"internal error"})");
}

TEST_F(HttpTest, KeepAliveReusesOneConnection) {
    HttpClient client;
    for (int i = 0; i < 10; ++i) {
        auto r = client.post(base_ + "/echo", std::to_string(i));
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->body, std::to_string(i));
    }
    EXPECT_EQ(server_->connections_accepted(), 1u);
    EXPECT_EQ(client.stats().connections_opened, 1u);
    EXPECT_EQ(client.stats().requests, 10u);
    EXPECT_EQ(server_->requests_handled(), 10u);
}

TEST_F(HttpTest, ManyRequestsInFlight) {
    HttpClient client;
    std::vector<std::future<Result<HttpResponse>>> futures;
    for (int i = 0; i < 16; ++i)
        futures.push_back(client.request_future({.method = "POST", .url = base_ + "/echo", .body = std::to_string(i)}));
    for (int i = 0; i < 16; ++i) {
        auto r = futures[static_cast<std::size_t>(i)].get();
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->body, std::to_string(i));
    }
    EXPECT_LE(client.stats().connections_opened, 16u);
    // The pooled connections are reused afterwards.
    const auto opened = client.stats().connections_opened;
    ASSERT_TRUE(client.get(base_ + "/hello"));
    EXPECT_EQ(client.stats().connections_opened, opened);
}

TEST_F(HttpTest, AsyncCallbackRunsOnIoThread) {
    HttpClient client;
    std::promise<std::string> result;
    client.async_request({.url = base_ + "/hello"}, [&](Result<HttpResponse> r) {
        // A synchronous request from the I/O thread is refused instead of deadlocking.
        auto nested = client.get(base_ + "/hello");
        result.set_value(std::string(client.in_io_thread() ? "io:" : "other:") + (r ? r->body : "error") +
                         (nested ? ":nested-ok" : ":nested-refused"));
    });
    EXPECT_EQ(result.get_future().get(), "io:hello:nested-refused");
}

TEST_F(HttpTest, RequestTimeout) {
    HttpClient client(HttpClientOptions{.request_timeout = 50ms});
    auto r = client.get(base_ + "/slow");  // the gate stays closed: the client's deadline passes
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTimeout) << r.error().message;
    EXPECT_NE(r.error().message.find("GET " + base_ + "/slow: "), std::string::npos) << r.error().message;
    gate_->open();
    // Per-request override.
    r = client.request({.url = base_ + "/slow", .timeout = 5s});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "slow");
}

TEST_F(HttpTest, ReconnectsWhenServerClosedIdleConnection) {
    HttpClient client;
    ASSERT_TRUE(client.get(base_ + "/hello"));
    EXPECT_EQ(server_->connections_accepted(), 1u);
    server_->close_idle_connections();
    ASSERT_TRUE(eventually([&] { return server_->connections_open() == 0; }));
    auto r = client.post(base_ + "/echo", "again");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "again");
    EXPECT_EQ(server_->connections_accepted(), 2u);
    EXPECT_EQ(client.stats().connections_opened, 2u);
    EXPECT_EQ(client.stats().reconnects, 1u);
}

TEST_F(HttpTest, ReconnectsAfterServerIdleTimeout) {
    server_.reset();
    start_server({.idle_timeout = 100ms});
    HttpClient client;
    ASSERT_TRUE(client.get(base_ + "/hello"));
    ASSERT_TRUE(eventually([&] { return server_->connections_open() == 0; }));  // closed by the idle timeout
    auto r = client.get(base_ + "/hello");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(server_->connections_accepted(), 2u);
}

TEST_F(HttpTest, ResponseSizeLimit) {
    HttpClient client(HttpClientOptions{.max_response_bytes = 4096});
    auto r = client.get(base_ + "/big");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTooLarge) << r.error().message;
    EXPECT_NE(r.error().message.find("larger than 4096 bytes"), std::string::npos) << r.error().message;
    r = client.request({.url = base_ + "/big", .max_response_bytes = 5000});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body.size(), 5000u);
}

TEST_F(HttpTest, ServerBodyLimit) {
    server_.reset();
    start_server({.max_body_bytes = 100});
    HttpClient client;
    auto r = client.post(base_ + "/echo", std::string(101, 'a'));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 413u);
    r = client.post(base_ + "/echo", std::string(100, 'a'));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
}

TEST_F(HttpTest, GracefulStopFinishesInFlightRequests) {
    HttpClient client;
    auto slow = client.request_future({.url = base_ + "/slow"});
    gate_->wait_entered();
    std::thread stopper([&] { server_->stop(); });
    ASSERT_TRUE(eventually([&] { return server_->stopping(); }));
    gate_->open();
    stopper.join();
    auto r = slow.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "slow");
    EXPECT_EQ(r->header("connection"), "close");
    auto after = client.get(base_ + "/hello");
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code, Errc::kNetwork);
}

TEST_F(HttpTest, DestroyingClientCompletesInFlightRequests) {
    std::future<Result<HttpResponse>> pending;
    {
        HttpClient client;
        pending = client.request_future({.url = base_ + "/slow"});
        gate_->wait_entered();
    }
    auto r = pending.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
}

TEST(HttpClientErrors, ConnectionRefusedAndBadInput) {
    auto port = sys::find_free_tcp_port();
    ASSERT_TRUE(port);
    HttpClient client;
    auto r = client.get("http://127.0.0.1:" + std::to_string(*port) + "/");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
    EXPECT_NE(r.error().message.find("connect"), std::string::npos) << r.error().message;

    r = client.get("htp://x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find("scheme"), std::string::npos);

    r = client.request({.method = "FROB", .url = "http://127.0.0.1:" + std::to_string(*port) + "/"});
    ASSERT_FALSE(r);
}

TEST(HttpServerErrors, BindFailure) {
    HttpServer a;
    ASSERT_TRUE(a.start());
    HttpServer b(HttpServerOptions{.port = a.port()});
    auto r = b.start();
    // SO_REUSEADDR does not allow two listeners on one port on Linux.
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
    EXPECT_EQ(HttpServer(HttpServerOptions{.bind_address = "not-an-ip"}).start().error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace wp::net

namespace wp::net {
namespace {

TEST_F(HttpTest, HttpsToPlainServerFailsHandshake) {
    HttpClient client;
    auto url = base_;
    url.replace(0, 4, "https");
    auto r = client.get(url + "/hello");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
    EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
}

// A real TLS server: `openssl s_server -WWW` serving files over HTTPS with a self-signed certificate made at test
// time (openssl is part of the OpenSSL package the project builds against).
class TlsServer {
  public:
    //! `san`: the certificate's subjectAltName, e.g. "DNS:localhost,IP:127.0.0.1".
    static std::unique_ptr<TlsServer> start(const std::string& name, const std::string& san) {
        auto s = std::unique_ptr<TlsServer>(new TlsServer);
        s->dir_ = std::filesystem::path(::testing::TempDir()) / ("wp_net_tls_" + name + "_" + std::to_string(::getpid()));
        std::filesystem::create_directories(s->dir_);
        auto keygen = sys::Process::spawn(
            {.argv = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                      "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=wp-test", "-addext",
                      "subjectAltName=" + san},
             .working_dir = s->dir_.string()});
        if (!keygen) throw std::runtime_error("openssl is missing: " + keygen.error().message);
        auto done = keygen->wait_for(std::chrono::seconds(20));
        if (!done || !done->success()) throw std::runtime_error("openssl req failed");
        std::ofstream(s->dir_ / "hello.txt") << "hello over tls";
        auto port = sys::find_free_tcp_port();
        if (!port) throw std::runtime_error(port.error().message);
        s->port_ = *port;
        auto server =
            sys::Process::spawn({.argv = {"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(*port),
                                          "-cert", "cert.pem", "-key", "key.pem", "-WWW", "-quiet"},
                                 .working_dir = s->dir_.string(),
                                 .die_with_parent = true});
        if (!server) throw std::runtime_error(server.error().message);
        s->process_ = std::move(*server);
        if (!sys::wait_for_tcp_port("127.0.0.1", *port, std::chrono::seconds(10)))
            throw std::runtime_error("openssl s_server did not start");
        return s;
    }
    ~TlsServer() {
        (void)process_.terminate(std::chrono::milliseconds(500));
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::string url(const std::string& host) const {
        return "https://" + host + ":" + std::to_string(port_) + "/hello.txt";
    }
    std::string ca_file() const { return (dir_ / "cert.pem").string(); }

  private:
    TlsServer() = default;
    std::filesystem::path dir_;
    std::uint16_t port_{0};
    sys::Process process_;
};

TEST(Https, VerifiesTheServerWithACaFileByNameAndByIp) {
    auto server = TlsServer::start("ok", "DNS:localhost,IP:127.0.0.1");
    HttpClient client(HttpClientOptions{.ca_file = server->ca_file()});
    for (const char* host : {"localhost", "127.0.0.1"}) {
        auto r = client.get(server->url(host));
        ASSERT_TRUE(r) << host << ": " << r.error().message;
        EXPECT_EQ(r->status, 200u);
        EXPECT_EQ(r->body, "hello over tls");
    }
}

TEST(Https, RejectsAnUntrustedCertificateUnlessVerificationIsOff) {
    auto server = TlsServer::start("untrusted", "DNS:localhost,IP:127.0.0.1");
    HttpClient strict;
    auto r = strict.get(server->url("localhost"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
    EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;

    HttpClient lax(HttpClientOptions{.verify_tls = false});
    auto ok = lax.get(server->url("localhost"));
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->body, "hello over tls");
}

TEST(Https, RejectsACertificateForAnotherName) {
    auto server = TlsServer::start("wrong_name", "DNS:wrong.example");
    HttpClient client(HttpClientOptions{.ca_file = server->ca_file()});
    for (const char* host : {"localhost", "127.0.0.1"}) {
        auto r = client.get(server->url(host));
        ASSERT_FALSE(r) << host;
        EXPECT_EQ(r.error().code, Errc::kNetwork);
        EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
    }
}

TEST(Https, AnUnreadableCaFileFailsEveryHttpsRequestAndNamesTheFile) {
    HttpClient client(HttpClientOptions{.ca_file = "/nonexistent/ca.pem"});
    auto r = client.get("https://127.0.0.1:1/x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find("/nonexistent/ca.pem"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace wp::net
