// HttpClient's streamed response bodies (request_streaming / async_request_streaming) on real sockets: HttpServer on
// 127.0.0.1 for well-formed bodies, and a scripted TCP server for what HttpServer never sends (an endless chunked
// body, a body that stalls).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <wp/net/http_client.hpp>
#include <wp/net/http_server.hpp>

namespace wp::net {
namespace {

using namespace std::chrono_literals;

//! A TCP server on 127.0.0.1 that answers each connection with a script (one request per connection).
class ScriptedTcpServer {
  public:
    using Send = std::function<bool(std::string_view)>;
    using Script = std::function<void(const Send& send)>;

    explicit ScriptedTcpServer(Script script) : script_(std::move(script)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            throw std::runtime_error("test server: cannot listen");
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedTcpServer() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        {
            std::lock_guard lock(mutex_);
            if (client_ >= 0) ::shutdown(client_, SHUT_RDWR);
        }
        thread_.join();
        ::close(fd_);
    }
    std::string url(std::string_view target) const {
        return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
    }
    std::uint64_t bytes_sent() const { return sent_.load(); }

  private:
    void serve() {
        while (!stop_) {
            const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            {
                std::lock_guard lock(mutex_);
                client_ = c;
            }
            std::string data;
            char buf[4096];
            while (data.find("\r\n\r\n") == std::string::npos) {
                const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                data.append(buf, static_cast<std::size_t>(n));
            }
            script_([this, c](std::string_view bytes) {
                while (!bytes.empty()) {
                    const ssize_t n = ::send(c, bytes.data(), bytes.size(), MSG_NOSIGNAL);
                    if (n <= 0 || stop_) return false;
                    sent_ += static_cast<std::uint64_t>(n);
                    bytes.remove_prefix(static_cast<std::size_t>(n));
                }
                return true;
            });
            {
                std::lock_guard lock(mutex_);
                client_ = -1;
            }
            ::close(c);
        }
    }

    Script script_;
    int fd_{-1};
    std::uint16_t port_{0};
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> sent_{0};
    std::mutex mutex_;
    int client_{-1};
};

std::string chunk(const std::string& piece) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    return size + piece + "\r\n";
}

//! 3 MiB (+ a few bytes) of a pattern that shows any reordering or loss.
std::string large_body() {
    std::string body;
    for (int i = 0; body.size() < (3u << 20) + 7; ++i) body += std::to_string(i) + ",";
    return body;
}

TEST(HttpClientStreaming, ALargeBodyArrivesInOrderInBoundedPiecesAndTheConnectionIsReused) {
    const std::string body = large_body();
    HttpServer server;
    server.route("GET", "/large", [&](const ServerRequest&) { return HttpResponse::text(200, body); });
    ASSERT_TRUE(server.start());
    HttpClient client(HttpClientOptions{.max_response_bytes = 4u << 20});
    std::string streamed;
    std::size_t pieces = 0, largest = 0;
    auto r = client.request_streaming({.url = server.base_url() + "/large"}, [&](std::string_view piece) {
        EXPECT_FALSE(piece.empty());
        EXPECT_TRUE(client.in_io_thread());
        ++pieces;
        largest = std::max(largest, piece.size());
        streamed.append(piece);
        return true;
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_TRUE(r->body.empty());
    EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
    EXPECT_TRUE(streamed == body) << streamed.size() << " bytes streamed";
    EXPECT_GT(pieces, 1u);
    EXPECT_LE(largest, 64u * 1024);
    // The whole message was read: the connection goes back to the pool.
    auto again = client.get(server.base_url() + "/large");
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->body.size(), body.size());
    EXPECT_EQ(client.stats().connections_opened, 1u);
    server.stop(200ms);
}

TEST(HttpClientStreaming, TheSizeLimitStopsAnEndlessBodyWhileReading) {
    std::atomic<bool> ended{false};
    ScriptedTcpServer server([&](const ScriptedTcpServer::Send& send) {
        if (!send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) return;
        const std::string piece = chunk(std::string(10000, 'e'));
        // Up to 1 GiB: only a client that reads it all would take that long; this one leaves after 1 MiB.
        for (int i = 0; i < 100000; ++i)
            if (!send(piece)) break;
        ended = true;
    });
    HttpClient client;
    std::uint64_t received = 0;
    auto r = client.request_streaming({.url = server.url("/endless"), .max_response_bytes = 1u << 20},
                                      [&](std::string_view piece) {
                                          received += piece.size();
                                          return true;
                                      });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTooLarge) << r.error().message;
    EXPECT_EQ(r.error().message, "GET " + server.url("/endless") + ": response body larger than 1048576 bytes");
    EXPECT_LE(received, 1u << 20);
    EXPECT_GT(received, (1u << 20) - 10000);
    // The client closed the connection: the server's writes fail long before its gigabyte is out.
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (!ended && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(ended.load());
    EXPECT_LT(server.bytes_sent(), std::uint64_t{256} << 20);
}

TEST(HttpClientStreaming, ASinkThatStopsEndsTheExchangeAndTheConnectionIsNotReused) {
    const std::string body = large_body();
    HttpServer server;
    server.route("GET", "/large", [&](const ServerRequest&) { return HttpResponse::text(200, body); });
    server.route("GET", "/hello", [](const ServerRequest&) { return HttpResponse::text(200, "hello"); });
    ASSERT_TRUE(server.start());
    HttpClient client(HttpClientOptions{.max_response_bytes = 4u << 20});
    std::size_t calls = 0;
    auto r = client.request_streaming({.url = server.base_url() + "/large"}, [&](std::string_view) {
        ++calls;
        return false;
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(calls, 1u);
    auto next = client.get(server.base_url() + "/hello");
    ASSERT_TRUE(next) << next.error().message;
    EXPECT_EQ(next->body, "hello");
    EXPECT_EQ(client.stats().connections_opened, 2u);
    server.stop(200ms);
}

TEST(HttpClientStreaming, AnErrorStatusIsAResponseWithItsBodyStreamed) {
    HttpServer server;
    ASSERT_TRUE(server.start());
    HttpClient client;
    std::string streamed;
    auto r = client.request_streaming({.url = server.base_url() + "/missing"}, [&](std::string_view piece) {
        streamed.append(piece);
        return true;
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 404u);
    EXPECT_FALSE(streamed.empty());
    server.stop(200ms);
}

TEST(HttpClientStreaming, ABodyThatStallsTimesOutAfterWhatArrived) {
    std::atomic<bool> release{false};
    ScriptedTcpServer server([&](const ScriptedTcpServer::Send& send) {
        send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        while (!release) std::this_thread::sleep_for(5ms);
    });
    HttpClient client;
    std::string streamed;
    auto r = client.request_streaming({.url = server.url("/stall"), .timeout = 300ms}, [&](std::string_view piece) {
        streamed.append(piece);
        return true;
    });
    release = true;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTimeout) << r.error().message;
    EXPECT_EQ(streamed, "0123456789");
}

TEST(HttpClientStreaming, AsyncFormCompletesOnceWithTheResponse) {
    HttpServer server;
    server.route("GET", "/hello", [](const ServerRequest&) { return HttpResponse::text(200, "hello"); });
    ASSERT_TRUE(server.start());
    HttpClient client;
    std::promise<std::string> done;
    std::string streamed;
    client.async_request_streaming(
        {.url = server.base_url() + "/hello"},
        [&](std::string_view piece) {
            streamed.append(piece);
            return true;
        },
        [&](Result<HttpResponse> r) { done.set_value(r ? std::to_string(r->status) + ":" + streamed : "error"); });
    EXPECT_EQ(done.get_future().get(), "200:hello");
    server.stop(200ms);
}

}  // namespace
}  // namespace wp::net
