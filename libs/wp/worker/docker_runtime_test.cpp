// DockerRuntime without a real daemon: directory_size on real folders, and the error paths a healthy dockerd never
// takes (malformed or failing answers mid-run), injected by a scripted server on a real Unix socket. That the
// container is removed on every such path is checked on the requests the server received. (The runtime against a
// real dockerd: tests/worker/.)

#include "docker_runtime.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include <wp/core/clock.hpp>

namespace wp::worker {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kId(64, 'c');

fs::path scratch(const std::string& name) {
    auto p = fs::temp_directory_path() / ("wp-docker-rt-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

// A daemon stand-in: answers each request with script(method, target) -> (status, body), records "METHOD target".
class FakeDaemon {
  public:
    using Script =
        std::function<std::pair<unsigned, std::string>(const std::string& method, const std::string& target)>;

    FakeDaemon(const fs::path& dir, Script script) : script_(std::move(script)) {
        path_ = (dir / "d.sock").string();
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0)
            throw std::runtime_error("fake daemon: cannot listen");
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeDaemon() {
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
    }
    const std::string& path() const { return path_; }
    std::vector<std::string> seen() const {
        std::lock_guard lock(mutex_);
        return seen_;
    }

  private:
    void serve() {
        for (;;) {
            const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            std::string data;
            char buf[4096];
            std::size_t need = std::string::npos;
            while (need == std::string::npos || data.size() < need) {
                const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                data.append(buf, static_cast<std::size_t>(n));
                const auto end = data.find("\r\n\r\n");
                if (end != std::string::npos && need == std::string::npos) {
                    need = end + 4;
                    const auto cl = data.find("Content-Length: ");
                    if (cl != std::string::npos && cl < end) need += std::stoul(data.substr(cl + 16));
                }
            }
            const auto sp1 = data.find(' ');
            const auto sp2 = data.find(' ', sp1 + 1);
            const std::string method = data.substr(0, sp1);
            const std::string target = data.substr(sp1 + 1, sp2 - sp1 - 1);
            {
                std::lock_guard lock(mutex_);
                seen_.push_back(method + " " + target);
            }
            const auto [status, body] = script_(method, target);
            const std::string answer =
                "HTTP/1.1 " + std::to_string(status) +
                " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                body;
            (void)::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
            ::close(c);
        }
    }

    Script script_;
    std::string path_;
    int fd_{-1};
    std::thread thread_;
    mutable std::mutex mutex_;
    std::vector<std::string> seen_;
};

std::string inspect_answer(const std::string& status, bool running, int code = 0) {
    return R"({"Id":")" + kId + R"(","State":{"Status":")" + status + R"(","Running":)" + (running ? "true" : "false") +
           R"(,"OOMKilled":false,"ExitCode":)" + std::to_string(code) + "}}";
}

struct Harness {
    explicit Harness(const std::string& name) : dir(scratch(name)) {
        fs::create_directories(dir / "in");
        fs::create_directories(dir / "out");
    }
    ~Harness() { fs::remove_all(dir); }
    RunSpec spec() const {
        RunSpec s;
        s.app = "wp-test/app:1";
        s.args = {"run"};
        s.in_dir = dir / "in";
        s.out_dir = dir / "out";
        return s;
    }
    DockerRuntime runtime(const FakeDaemon& d) const {
        DockerRuntimeOptions o;
        o.socket_path = d.path();
        o.poll_interval = 1ms;
        return DockerRuntime(o);
    }
    fs::path dir;
};

// The answers of a healthy daemon for everything but what `override` changes.
FakeDaemon::Script daemon_with(
    std::function<std::optional<std::pair<unsigned, std::string>>(const std::string&, const std::string&)> override) {
    return [override](const std::string& method, const std::string& target) -> std::pair<unsigned, std::string> {
        if (auto o = override(method, target)) return *o;
        if (target.find("/images/") != std::string::npos)
            return {200, R"({"Id":"sha256:)" + std::string(64, 'e') + R"("})"};
        if (target.find("/containers/create") != std::string::npos) return {201, R"({"Id":")" + kId + R"("})"};
        if (target.ends_with("/start")) return {204, ""};
        if (target.ends_with("/json")) return {200, inspect_answer("exited", false, 0)};
        if (target.find("/logs") != std::string::npos) return {200, ""};
        if (method == "DELETE") return {204, ""};
        return {500, R"({"message":"unexpected"})"};
    };
}

bool removed(const FakeDaemon& d) {
    for (const auto& r : d.seen())
        if (r.rfind("DELETE /v1.41/containers/" + kId + "?force=true&v=true", 0) == 0) return true;
    return false;
}

TEST(DockerRuntimeErrors, AHealthyRunFollowsTheApiSequence) {
    Harness h("healthy");
    FakeDaemon d(h.dir, daemon_with([](auto&, auto&) { return std::nullopt; }));
    std::atomic<bool> cancel{false};
    auto r = h.runtime(d).run(h.spec(), cancel);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->success());
    const auto seen = d.seen();
    ASSERT_GE(seen.size(), 6u);
    EXPECT_EQ(seen[0], "GET /v1.41/images/wp-test/app:1/json");
    EXPECT_EQ(seen[1].rfind("POST /v1.41/containers/create?name=wp-default-", 0), 0u) << seen[1];
    EXPECT_EQ(seen[2], "POST /v1.41/containers/" + kId + "/start");
    EXPECT_EQ(seen[3], "GET /v1.41/containers/" + kId + "/json");
    EXPECT_EQ(seen[seen.size() - 2], "GET /v1.41/containers/" + kId + "/logs?stdout=true&stderr=true&follow=false");
    EXPECT_EQ(seen.back(), "DELETE /v1.41/containers/" + kId + "?force=true&v=true");
}

TEST(DockerRuntimeErrors, EveryFailureAfterCreateStillRemovesTheContainer) {
    struct Case {
        const char* name;
        std::function<std::optional<std::pair<unsigned, std::string>>(const std::string&, const std::string&)> fault;
        Errc code;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"start refused",
         [](const std::string&, const std::string& t) -> std::optional<std::pair<unsigned, std::string>> {
             if (t.ends_with("/start"))
                 return std::pair{500u, std::string(R"({"message":"OCI runtime create failed"})")};
             return std::nullopt;
         },
         Errc::kRemote, "docker: start container " + kId + ": HTTP 500: OCI runtime create failed"},
        {"malformed inspect",
         [](const std::string&, const std::string& t) -> std::optional<std::pair<unsigned, std::string>> {
             if (t.ends_with(kId + "/json")) return std::pair{200u, std::string(R"({"Id":")" + kId + R"("})")};
             return std::nullopt;
         },
         Errc::kDecoding, "docker: inspect container answer: State: missing"},
        {"inspect fails",
         [](const std::string&, const std::string& t) -> std::optional<std::pair<unsigned, std::string>> {
             if (t.ends_with(kId + "/json")) return std::pair{500u, std::string(R"({"message":"boom"})")};
             return std::nullopt;
         },
         Errc::kRemote, "HTTP 500: boom"},
        {"removal fails",
         [](const std::string& m, const std::string&) -> std::optional<std::pair<unsigned, std::string>> {
             if (m == "DELETE") return std::pair{500u, std::string(R"({"message":"device busy"})")};
             return std::nullopt;
         },
         Errc::kRemote, "docker: remove container " + kId + ": HTTP 500: device busy"},
    };
    for (const auto& c : cases) {
        Harness h(std::string("fault-") + std::to_string(&c - cases.data()));
        FakeDaemon d(h.dir, daemon_with(c.fault));
        std::atomic<bool> cancel{false};
        auto r = h.runtime(d).run(h.spec(), cancel);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message;
        EXPECT_NE(r.error().message.find(c.message), std::string::npos) << c.name << ": " << r.error().message;
        EXPECT_TRUE(removed(d)) << c.name;
    }
}

TEST(DockerRuntimeErrors, AnUnreadableCreateAnswerRemovesTheContainerByName) {
    Harness h("create");
    FakeDaemon d(h.dir, daemon_with([](const std::string&,
                                       const std::string& t) -> std::optional<std::pair<unsigned, std::string>> {
                     if (t.find("/containers/create") != std::string::npos)
                         return std::pair{201u, std::string(R"({"Id":"short"})")};
                     return std::nullopt;
                 }));
    std::atomic<bool> cancel{false};
    auto r = h.runtime(d).run(h.spec(), cancel);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "docker: create container answer: Id: not 64 lowercase hex digits");
    const auto seen = d.seen();
    ASSERT_EQ(seen.size(), 3u);
    const auto name = seen[1].substr(seen[1].find("name=") + 5);
    EXPECT_EQ(name.size(), std::string("wp-default-").size() + 16) << name;
    EXPECT_EQ(seen[2], "DELETE /v1.41/containers/" + name + "?force=true&v=true");
}

TEST(DockerRuntimeErrors, ABadLogStreamIsNotedNotFatal) {
    Harness h("logs");
    FakeDaemon d(h.dir, daemon_with([](const std::string&,
                                       const std::string& t) -> std::optional<std::pair<unsigned, std::string>> {
                     if (t.find("/logs") != std::string::npos) return std::pair{200u, std::string("raw tty text\n")};
                     return std::nullopt;
                 }));
    std::atomic<bool> cancel{false};
    auto r = h.runtime(d).run(h.spec(), cancel);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->success());
    EXPECT_NE(r->log_tail.find("(logs incomplete: docker: log stream: frame at offset 0: stream type 114"),
              std::string::npos)
        << r->log_tail;
}

TEST(DockerRuntimeErrors, AKillThatDoesNotTakeIsAnErrorAfterKillWait) {
    Harness h("stuck");
    FakeDaemon d(h.dir, daemon_with([](const std::string& m,
                                       const std::string& t) -> std::optional<std::pair<unsigned, std::string>> {
                     if (t.ends_with(kId + "/json")) return std::pair{200u, inspect_answer("running", true)};
                     if (m == "POST" && t.find("/kill") != std::string::npos) return std::pair{204u, std::string()};
                     return std::nullopt;
                 }));
    // The time limit, the poll sleeps and the kill wait all run on a ManualClock that jumps to each deadline: the
    // test takes no real time.
    ManualClock clock;
    DockerRuntimeOptions o;
    o.socket_path = d.path();
    o.kill_wait = 2s;
    o.clock = &clock;
    DockerRuntime runtime(o);
    auto s = h.spec();
    s.max_time = 10s;
    std::atomic<bool> cancel{false};
    auto r = runtime.run(s, cancel);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTimeout);
    EXPECT_EQ(r.error().message, "docker: container " + kId + " still running 2000 ms after SIGKILL");
    EXPECT_TRUE(removed(d));
    bool killed = false;
    for (const auto& seen : d.seen()) killed |= seen == "POST /v1.41/containers/" + kId + "/kill?signal=SIGKILL";
    EXPECT_TRUE(killed);
}

TEST(DirectorySize, CountsRegularFilesAndLinksWithoutFollowingThem) {
    const auto dir = scratch("size");
    const auto outside = scratch("size-outside");
    std::ofstream(dir / "a") << std::string(1000, 'a');
    fs::create_directories(dir / "sub" / "deeper");
    std::ofstream(dir / "sub" / "deeper" / "b") << std::string(234, 'b');
    std::ofstream(outside / "big") << std::string(100000, 'x');
    fs::create_symlink(outside / "big", dir / "link-to-big");
    fs::create_directory_symlink(outside, dir / "link-to-dir");
    const auto link_sizes = fs::path(outside / "big").string().size() + outside.string().size();
    auto size = directory_size(dir);
    ASSERT_TRUE(size) << size.error().message;
    EXPECT_EQ(*size, 1000u + 234u + link_sizes);

    auto missing = directory_size(dir / "nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::kIo);
    EXPECT_NE(missing.error().message.find("measure " + (dir / "nope").string() + ": "), std::string::npos);
    fs::remove_all(dir);
    fs::remove_all(outside);
}

}  // namespace
}  // namespace wp::worker
