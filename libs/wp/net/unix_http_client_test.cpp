// UnixHttpClient against a real Unix-socket server (plain POSIX sockets in a thread, scripted answers).

#include "unix_http_client.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wp::net {
namespace {

using namespace std::chrono_literals;

// Accepts connections one after the other; for each, reads the request head (and a Content-Length body), records
// it, then calls the script with a function that writes bytes to the client. The script may loop until the write
// fails (the client went away) or until the server stops.
class UnixServer {
  public:
    using Send = std::function<bool(std::string_view)>;
    //! `fd` is the connection, for scripts that wait for the client to leave (recv returns 0).
    using Script = std::function<void(const std::string& request, const Send& send, int fd)>;

    explicit UnixServer(Script script) : script_(std::move(script)) {
        dir_ = std::filesystem::temp_directory_path() /
               ("wp-unix-http-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / "s.sock").string();
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0)
            throw std::runtime_error("test server: cannot listen on " + path_);
        thread_ = std::thread([this] { serve(); });
    }
    ~UnixServer() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        {
            std::lock_guard lock(mutex_);
            if (client_ >= 0) ::shutdown(client_, SHUT_RDWR);
        }
        thread_.join();
        ::close(fd_);
        std::filesystem::remove_all(dir_);
    }
    const std::string& path() const { return path_; }
    std::vector<std::string> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    bool stopping() const { return stop_; }

  private:
    void serve() {
        while (!stop_) {
            const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            {
                std::lock_guard lock(mutex_);
                client_ = c;
            }
            std::string request = read_request(c);
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(request);
            }
            script_(
                request,
                [c](std::string_view bytes) {
                    while (!bytes.empty()) {
                        const ssize_t n = ::send(c, bytes.data(), bytes.size(), MSG_NOSIGNAL);
                        if (n <= 0) return false;
                        bytes.remove_prefix(static_cast<std::size_t>(n));
                    }
                    return true;
                },
                c);
            {
                std::lock_guard lock(mutex_);
                client_ = -1;
            }
            ::close(c);
        }
    }
    static std::string read_request(int c) {
        std::string data;
        char buf[4096];
        std::size_t need = std::string::npos;
        while (true) {
            const auto head_end = data.find("\r\n\r\n");
            if (head_end != std::string::npos && need == std::string::npos) {
                need = head_end + 4;
                const auto cl = data.find("Content-Length: ");
                if (cl != std::string::npos && cl < head_end) need += std::stoul(data.substr(cl + 16));
            }
            if (need != std::string::npos && data.size() >= need) return data;
            const ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) return data;
            data.append(buf, static_cast<std::size_t>(n));
        }
    }

    static inline std::atomic<int> counter_{0};
    Script script_;
    std::filesystem::path dir_;
    std::string path_;
    int fd_{-1};
    std::thread thread_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    int client_{-1};
    std::vector<std::string> requests_;
};

// One chunk of the chunked transfer coding.
std::string chunk(const std::string& piece) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    return size + piece + "\r\n";
}

std::string chunked(const std::vector<std::string>& pieces) {
    std::string out;
    for (const auto& p : pieces) out += chunk(p);
    return out + "0\r\n\r\n";
}

void wait_for_client_to_leave(int fd) {
    char b[256];
    while (::recv(fd, b, sizeof b, 0) > 0) {}
}

TEST(UnixHttpClient, GetAndPostReachTheServerAndReturnTheResponse) {
    UnixServer server([](const std::string& request, const UnixServer::Send& send, int) {
        const std::string body = request.rfind("POST", 0) == 0 ? R"({"Id":"abc"})" : "OK";
        send("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
    });
    UnixHttpClient client({.socket_path = server.path(), .host = "docker"});

    auto r = client.get("/v1.41/_ping");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 201u);
    EXPECT_EQ(r->body, "OK");
    EXPECT_EQ(r->header("api-version").value_or(""), "1.41");

    r = client.post_json("/v1.41/containers/create?name=x", R"({"Image":"busybox"})");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, R"({"Id":"abc"})");

    const auto seen = server.requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].substr(0, seen[0].find("\r\n")), "GET /v1.41/_ping HTTP/1.1");
    EXPECT_NE(seen[0].find("Host: docker\r\n"), std::string::npos) << seen[0];
    EXPECT_NE(seen[0].find("Connection: close\r\n"), std::string::npos) << seen[0];
    EXPECT_EQ(seen[1].substr(0, seen[1].find("\r\n")), "POST /v1.41/containers/create?name=x HTTP/1.1");
    EXPECT_NE(seen[1].find("Content-Type: application/json\r\n"), std::string::npos);
    EXPECT_EQ(seen[1].substr(seen[1].find("\r\n\r\n") + 4), R"({"Image":"busybox"})");

    // An empty POST says Content-Length: 0 (Docker's start / kill endpoints).
    r = client.post_json("/v1.41/containers/abc/start");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_NE(server.requests().back().find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(UnixHttpClient, ChunkedBodyIsDecodedAndStreamedInOrder) {
    std::string expected;
    std::vector<std::string> pieces;
    for (int i = 0; i < 200; ++i) {
        pieces.push_back(std::string(static_cast<std::size_t>(100 + i), static_cast<char>('a' + i % 26)));
        expected += pieces.back();
    }
    UnixServer server([&](const std::string&, const UnixServer::Send& send, int) {
        send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        // Sent in several writes so that the client reads the body in more than one piece.
        const std::string body = chunked(pieces);
        for (std::size_t at = 0; at < body.size(); at += 1000) send(std::string_view(body).substr(at, 1000));
    });
    UnixHttpClient client({.socket_path = server.path()});

    auto whole = client.get("/logs");
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ(whole->body, expected);

    std::string streamed;
    int calls = 0;
    auto r = client.request_streaming(HttpRequest{.url = "/logs"}, [&](std::string_view chunk) {
        EXPECT_FALSE(chunk.empty());
        streamed.append(chunk);
        ++calls;
        return true;
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_TRUE(r->body.empty());
    EXPECT_EQ(streamed, expected);
    EXPECT_GE(calls, 1);
}

TEST(UnixHttpClient, ABodyOverTheLimitIsTooLargeBufferedOrStreamed) {
    UnixServer server([](const std::string& request, const UnixServer::Send& send, int) {
        if (request.find("/fixed") != std::string::npos)
            send("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'x'));
        else
            send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                 chunked({std::string(600, 'y'), std::string(600, 'z')}));
    });
    UnixHttpClient client({.socket_path = server.path(), .max_response_bytes = 1000});
    for (const char* target : {"/fixed", "/chunked"}) {
        auto r = client.get(target);
        ASSERT_FALSE(r) << target;
        EXPECT_EQ(r.error().code, Errc::kTooLarge);
        EXPECT_NE(r.error().message.find("response body larger than 1000 bytes"), std::string::npos)
            << r.error().message;
        EXPECT_NE(r.error().message.find(std::string("GET unix:") + server.path() + target), std::string::npos)
            << r.error().message;
        std::size_t streamed = 0;
        r = client.request_streaming(HttpRequest{.url = target}, [&](std::string_view c) {
            streamed += c.size();
            return true;
        });
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Errc::kTooLarge);
        EXPECT_LE(streamed, 1000u);
    }
    // The per-request limit overrides the client's.
    auto r = client.request(HttpRequest{.url = "/fixed", .max_response_bytes = 4000});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body.size(), 2000u);
}

TEST(UnixHttpClient, TheSinkCanStopAnEndlessStream) {
    UnixServer server([](const std::string&, const UnixServer::Send& send, int) {
        if (!send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) return;
        // Never ends by itself: only the client going away (or the server stopping) ends it.
        for (int i = 0; i < 10000000; ++i)
            if (!send(chunk("line " + std::to_string(i) + "\n"))) return;
    });
    UnixHttpClient client({.socket_path = server.path()});
    std::string seen;
    auto r = client.request_streaming(HttpRequest{.url = "/follow"}, [&](std::string_view c) {
        seen.append(c);
        return seen.size() < 100;
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_GE(seen.size(), 100u);
    EXPECT_EQ(seen.rfind("line 0\n", 0), 0u) << seen;
}

TEST(UnixHttpClient, ASilentServerTimesOut) {
    // A server that closes the connection without answering: an I/O error, not a timeout.
    UnixServer closing([](const std::string&, const UnixServer::Send&, int) {});
    UnixHttpClient client({.socket_path = closing.path(), .request_timeout = 200ms});
    auto closed = client.get("/x");
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error().code, Errc::kNetwork) << closed.error().message;

    // Servers that keep the connection open without answering, or without finishing the body: the deadline ends
    // the request.
    for (const std::string head : {"", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}) {
        UnixServer slow([&](const std::string&, const UnixServer::Send& send, int fd) {
            send(head);
            wait_for_client_to_leave(fd);
        });
        UnixHttpClient slow_client({.socket_path = slow.path(), .request_timeout = 200ms});
        auto r = slow_client.get("/slow");
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Errc::kTimeout) << r.error().message;
        EXPECT_NE(r.error().message.find("timed out (limit 200 ms)"), std::string::npos) << r.error().message;
    }
}

TEST(UnixHttpClient, ConnectFailuresAndBadInputsAreErrorsNamingTheCause) {
    const auto missing = (std::filesystem::temp_directory_path() / "wp-no-such-dir" / "docker.sock").string();
    UnixHttpClient client({.socket_path = missing});
    auto r = client.get("/_ping");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
    EXPECT_NE(r.error().message.find("GET unix:" + missing + "/_ping: connect: "), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("No such file or directory"), std::string::npos) << r.error().message;

    UnixHttpClient fine({.socket_path = "/tmp/x.sock"});
    r = fine.get("v1.41/_ping");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find("target must start with '/'"), std::string::npos);
    r = fine.get("/a b");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);

    UnixHttpClient empty({});
    r = empty.get("/_ping");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("socket path is empty"), std::string::npos);
    UnixHttpClient too_long({.socket_path = "/tmp/" + std::string(200, 'a')});
    r = too_long.get("/_ping");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("socket path longer than 107 bytes"), std::string::npos) << r.error().message;

    UnixServer server([](const std::string&, const UnixServer::Send& send, int) { send("HTTP/1.1 200 OK\r\n\r\n"); });
    UnixHttpClient bad_method({.socket_path = server.path()});
    r = bad_method.request(HttpRequest{.method = "FROB", .url = "/"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find("unknown HTTP method"), std::string::npos);
}

TEST(UnixHttpClient, MalformedResponsesAreNetworkErrors) {
    UnixServer server([](const std::string& request, const UnixServer::Send& send, int) {
        if (request.find("/garbage") != std::string::npos) send("NOT HTTP AT ALL\r\n\r\n");
        else send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
    });
    UnixHttpClient client({.socket_path = server.path()});
    for (const char* target : {"/garbage", "/bad-chunk"}) {
        auto r = client.get(target);
        ASSERT_FALSE(r) << target;
        EXPECT_EQ(r.error().code, Errc::kNetwork) << r.error().message;
        EXPECT_NE(r.error().message.find(": read: "), std::string::npos) << r.error().message;
    }
}

TEST(UnixHttpClient, ManyThreadsShareOneClient) {
    UnixServer server([](const std::string& request, const UnixServer::Send& send, int) {
        const auto target = request.substr(4, request.find(' ', 4) - 4);
        send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(target.size()) + "\r\n\r\n" + target);
    });
    UnixHttpClient client({.socket_path = server.path()});
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                const std::string target = "/t" + std::to_string(t) + "/" + std::to_string(i);
                auto r = client.get(target);
                if (r && r->body == target) ++ok;
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 100);
}

}  // namespace
}  // namespace wp::net
