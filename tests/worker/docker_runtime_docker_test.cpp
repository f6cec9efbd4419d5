// DockerRuntime against a real dockerd (Debian docker.io) started by this process (dockerd_fixture.hpp) with a
// busybox image imported from Debian busybox-static. One daemon for the whole binary (a gtest Environment), so the
// ctest entry runs the binary as one test (tests/worker/CMakeLists.txt). A daemon that cannot start FAILS every
// test with dockerd's own message.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <wp/net/unix_http_client.hpp>
#include <wp/worker/docker_runtime.hpp>

#include "dockerd_fixture.hpp"

namespace wp::worker {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kImage = "wp-test/busybox:1";

class DockerdEnvironment : public ::testing::Environment {
  public:
    void SetUp() override {
        auto d = testing::Dockerd::start();
        if (!d) {
            error_ = d.error().message;
            return;
        }
        daemon_ = std::move(*d);
        auto image = daemon_->import_busybox_image(kImage);
        if (!image) error_ = "import of the test image failed: " + image.error().message;
    }
    void TearDown() override {
        if (!daemon_) return;
        auto stopped = daemon_->stop();
        EXPECT_TRUE(stopped) << stopped.error().message;
        daemon_.reset();
    }
    static DockerdEnvironment* instance;
    std::unique_ptr<testing::Dockerd> daemon_;
    std::string error_;
};
DockerdEnvironment* DockerdEnvironment::instance = nullptr;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class DockerRuntimeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto* env = DockerdEnvironment::instance;
        ASSERT_TRUE(env != nullptr && env->daemon_ != nullptr && env->error_.empty())
            << "dockerd is not available: " << (env != nullptr ? env->error_ : "no environment");
        socket_ = env->daemon_->socket_path();
        work_ = fs::path(env->daemon_->root()) / ("task-" + std::to_string(counter_++));
        fs::create_directories(work_ / "in");
        fs::create_directories(work_ / "out");
        runtime_ = std::make_unique<DockerRuntime>(options());
    }
    void TearDown() override {
        if (runtime_) {
            // Every test leaves no container behind.
            auto left = runtime_->own_containers();
            ASSERT_TRUE(left) << left.error().message;
            EXPECT_TRUE(left->empty()) << left->size() << " container(s) left";
        }
        std::error_code ec;
        fs::remove_all(work_, ec);
    }
    DockerRuntimeOptions options(std::string instance = "test") const {
        DockerRuntimeOptions o;
        o.socket_path = socket_;
        o.create.instance = std::move(instance);
        return o;
    }
    RunSpec spec(std::string script) const {
        RunSpec s;
        s.app = kImage;
        s.args = {"sh", "-c", std::move(script)};
        s.env = {{"IEXEC_IN", "/iexec_in"}, {"IEXEC_OUT", "/iexec_out"}};
        s.in_dir = work_ / "in";
        s.out_dir = work_ / "out";
        s.max_time = 60s;
        s.memory_bytes = 256 << 20;
        return s;
    }
    RunOutcome run_ok(const RunSpec& s) {
        std::atomic<bool> cancel{false};
        auto r = runtime_->run(s, cancel);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : RunOutcome{};
    }
    // Every container of the daemon, whoever created it.
    std::size_t all_containers() const {
        net::UnixHttpClient c({.socket_path = socket_});
        auto r = c.get("/v1.41/containers/json?all=true");
        if (!r) return 999;
        auto list = docker::parse_container_list(r->body);
        return list ? list->size() : 999;
    }

    static inline int counter_ = 0;
    std::string socket_;
    fs::path work_;
    std::unique_ptr<DockerRuntime> runtime_;
};

TEST_F(DockerRuntimeTest, AppWritesAFile) {
    auto out = run_ok(spec(
        R"(printf 'hello iexec' > $IEXEC_OUT/result.txt && )"
        R"(printf '{"deterministic-output-path":"/iexec_out/result.txt"}' > $IEXEC_OUT/computed.json && echo done)"));
    EXPECT_TRUE(out.success()) << out.log_tail;
    EXPECT_EQ(out.exit_code, 0);
    EXPECT_EQ(read_file(work_ / "out" / "result.txt"), "hello iexec");
    EXPECT_EQ(read_file(work_ / "out" / "computed.json"), R"({"deterministic-output-path":"/iexec_out/result.txt"})");
    EXPECT_EQ(out.log_tail, "done\n");
    EXPECT_EQ(all_containers(), 0u);
}

TEST_F(DockerRuntimeTest, AppWritesADirectory) {
    auto out = run_ok(spec(R"(mkdir $IEXEC_OUT/res && echo a > $IEXEC_OUT/res/a.txt && echo b > $IEXEC_OUT/res/b.txt)"
                           R"( && mkdir $IEXEC_OUT/res/sub && echo c > $IEXEC_OUT/res/sub/c.txt)"));
    EXPECT_TRUE(out.success()) << out.log_tail;
    EXPECT_EQ(read_file(work_ / "out" / "res" / "a.txt"), "a\n");
    EXPECT_EQ(read_file(work_ / "out" / "res" / "b.txt"), "b\n");
    EXPECT_EQ(read_file(work_ / "out" / "res" / "sub" / "c.txt"), "c\n");
}

TEST_F(DockerRuntimeTest, FailingAppIsAnOutcomeWithItsExitCodeAndLogs) {
    auto out = run_ok(spec("echo to-stdout; echo to-stderr >&2; exit 3"));
    EXPECT_FALSE(out.success());
    EXPECT_EQ(out.exit_code, 3);
    EXPECT_FALSE(out.timed_out);
    EXPECT_FALSE(out.out_of_memory);
    EXPECT_NE(out.log_tail.find("to-stdout\n"), std::string::npos) << out.log_tail;
    EXPECT_NE(out.log_tail.find("to-stderr\n"), std::string::npos) << out.log_tail;
}

TEST_F(DockerRuntimeTest, TheLogTailIsBounded) {
    auto o = options();
    o.log_tail_bytes = 64;
    runtime_ = std::make_unique<DockerRuntime>(o);
    auto out = run_ok(spec("i=0; while [ $i -lt 500 ]; do echo line-$i; i=$((i+1)); done"));
    EXPECT_TRUE(out.success());
    EXPECT_EQ(out.log_tail.size(), 64u);
    EXPECT_EQ(out.log_tail.substr(out.log_tail.size() - 9), "line-499\n");
}

TEST_F(DockerRuntimeTest, AppPastItsTimeIsKilled) {
    auto s = spec("echo started; sleep 30");
    s.max_time = 2s;
    auto out = run_ok(s);
    EXPECT_TRUE(out.timed_out);
    EXPECT_EQ(out.exit_code, -1);
    EXPECT_FALSE(out.success());
    EXPECT_EQ(out.log_tail, "started\n");
    EXPECT_EQ(all_containers(), 0u);
}

TEST_F(DockerRuntimeTest, AppWritingTooMuchIsKilled) {
    auto s = spec(
        "while :; do echo 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde; done"
        " > $IEXEC_OUT/big");
    s.max_output_bytes = 1 << 20;
    auto out = run_ok(s);
    EXPECT_TRUE(out.output_too_large);
    EXPECT_EQ(out.exit_code, -1);
    EXPECT_FALSE(out.timed_out);
    EXPECT_GT(fs::file_size(work_ / "out" / "big"), 1u << 20);
}

TEST_F(DockerRuntimeTest, OutputOverTheLimitAtExitIsCaughtToo) {
    // Written in one go and exits at once: usually before the first size check.
    auto s = spec("dd if=/dev/zero of=$IEXEC_OUT/big bs=1048576 count=3 2>/dev/null");
    s.max_output_bytes = 1 << 20;
    auto out = run_ok(s);
    EXPECT_TRUE(out.output_too_large);
    EXPECT_FALSE(out.success());
}

TEST_F(DockerRuntimeTest, MemoryBombIsKilledForMemory) {
    auto s = spec("dd if=/dev/zero of=/dev/null bs=512M count=1");
    s.memory_bytes = 32 << 20;
    auto out = run_ok(s);
    EXPECT_TRUE(out.out_of_memory) << out.log_tail;
    EXPECT_EQ(out.exit_code, -1);
    EXPECT_FALSE(out.success());
}

TEST_F(DockerRuntimeTest, ForkBombHitsThePidsLimit) {
    auto s = spec("cat /sys/fs/cgroup/pids/pids.max; for i in $(seq 1 40); do sleep 30 & done; echo looped");
    s.max_pids = 8;
    s.max_time = 10s;
    auto out = run_ok(s);
    EXPECT_EQ(out.log_tail.rfind("8\n", 0), 0u) << out.log_tail;
    EXPECT_NE(out.log_tail.find("can't fork"), std::string::npos) << out.log_tail;
    EXPECT_EQ(all_containers(), 0u);
}

TEST_F(DockerRuntimeTest, CpuAndMemoryLimitsReachTheCgroups) {
    auto o = options();
    o.create.nano_cpus = 1500000000;
    runtime_ = std::make_unique<DockerRuntime>(o);
    auto s = spec("cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us "
                  "/sys/fs/cgroup/memory/memory.limit_in_bytes");
    s.memory_bytes = 48 << 20;
    auto out = run_ok(s);
    EXPECT_TRUE(out.success()) << out.log_tail;
    EXPECT_EQ(out.log_tail, "150000\n100000\n" + std::to_string(48 << 20) + "\n");
}

TEST_F(DockerRuntimeTest, NoNetworkInside) {
    // A TCP listener on the host, on every interface: a networked container could reach it via the host address.
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 8), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const auto port = std::to_string(ntohs(addr.sin_port));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{listener};
    auto out =
        run_ok(spec("cat /proc/net/dev > $IEXEC_OUT/dev; ip -o addr > $IEXEC_OUT/addr 2>&1; "
                    "for h in 127.0.0.1 172.17.0.1 10.0.2.2; do "
                    "  if nc -w 2 $h " +
                    port + " </dev/null; then echo reached $h; fi; done; echo end"));
    EXPECT_EQ(out.log_tail.find("reached"), std::string::npos) << out.log_tail;
    EXPECT_NE(out.log_tail.find("end"), std::string::npos) << out.log_tail;
    // Only the loopback interface exists.
    std::istringstream dev(read_file(work_ / "out" / "dev"));
    std::set<std::string> interfaces;
    for (std::string line; std::getline(dev, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos || line.find('|') != std::string::npos) continue;
        auto name = line.substr(0, colon);
        name.erase(0, name.find_first_not_of(' '));
        interfaces.insert(name);
    }
    EXPECT_EQ(interfaces, (std::set<std::string>{"lo"})) << read_file(work_ / "out" / "dev");
}

TEST_F(DockerRuntimeTest, InputIsReadOnlyAndOnlyOutputIsWritable) {
    { std::ofstream(work_ / "in" / "data.txt") << "input-data"; }
    auto out =
        run_ok(spec("cat $IEXEC_IN/data.txt > $IEXEC_OUT/copy.txt; "
                    "if echo x > $IEXEC_IN/new 2>/dev/null; then echo in-writable; fi; "
                    "if rm $IEXEC_IN/data.txt 2>/dev/null; then echo in-deletable; fi; "
                    "if touch /etc/x 2>/dev/null; then echo root-writable; fi; "
                    "if touch /bin/x 2>/dev/null; then echo bin-writable; fi; "
                    "if echo t > /tmp/t && cat /tmp/t >/dev/null; then echo tmp-ok; fi; "
                    "grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status; echo end"));
    EXPECT_TRUE(out.success()) << out.log_tail;
    EXPECT_EQ(read_file(work_ / "out" / "copy.txt"), "input-data");
    EXPECT_EQ(out.log_tail.find("-writable"), std::string::npos) << out.log_tail;
    EXPECT_EQ(out.log_tail.find("in-deletable"), std::string::npos) << out.log_tail;
    EXPECT_NE(out.log_tail.find("tmp-ok"), std::string::npos) << out.log_tail;
    EXPECT_NE(out.log_tail.find("CapEff:\t0000000000000000"), std::string::npos) << out.log_tail;
    EXPECT_NE(out.log_tail.find("NoNewPrivs:\t1"), std::string::npos) << out.log_tail;
    EXPECT_FALSE(fs::exists(work_ / "in" / "new"));
    EXPECT_TRUE(fs::exists(work_ / "in" / "data.txt"));
}

TEST_F(DockerRuntimeTest, EnvironmentIsPassedExactly) {
    ::setenv("WP_TEST_WORKER_SECRET", "must-not-leak", 1);
    // `env` itself, not through a shell (a shell adds PWD and SHLVL).
    auto s = spec("");
    s.args = {"env"};
    s.env = {{"IEXEC_IN", "/iexec_in"},
             {"IEXEC_OUT", "/iexec_out"},
             {"IEXEC_TASK_ID", "0x" + std::string(64, 'c')},
             {"IEXEC_INPUT_FILES_NUMBER", "0"},
             {"WITH_SPACES", "a b  c"},
             {"WITH_EQUALS", "k=v=w"},
             {"EMPTY", ""}};
    auto out = run_ok(s);
    ::unsetenv("WP_TEST_WORKER_SECRET");
    ASSERT_TRUE(out.success()) << out.log_tail;
    std::istringstream in(out.log_tail);
    std::set<std::string> seen;
    std::set<std::string> extra_names;
    std::set<std::string> expected;
    for (const auto& [k, v] : s.env) expected.insert(k + "=" + v);
    for (std::string line; std::getline(in, line);) {
        if (expected.count(line)) seen.insert(line);
        else extra_names.insert(line.substr(0, line.find('=')));
    }
    EXPECT_EQ(seen, expected);
    // What Docker itself adds to every container; nothing comes from the worker's own environment.
    for (const auto& name : extra_names)
        EXPECT_TRUE(name == "PATH" || name == "HOSTNAME" || name == "HOME") << "unexpected variable " << name;
}

TEST_F(DockerRuntimeTest, ArgumentsReachTheAppVerbatim) {
    auto s = spec("");
    s.args = {"sh", "-c", "for a in \"$@\"; do printf '[%s]' \"$a\"; done", "argv0", "one two", "", "$HOME", "'q'"};
    auto out = run_ok(s);
    EXPECT_EQ(out.log_tail, "[one two][][$HOME]['q']");
}

TEST_F(DockerRuntimeTest, CancelStopsTheAppAndRemovesIt) {
    std::atomic<bool> cancel{false};
    Result<RunOutcome> result = make_error(Errc::kIo, "not run");
    std::thread t([&] { result = runtime_->run(spec("sleep 60"), cancel); });
    // Cancel once the container runs.
    DockerRuntime observer(options());
    for (int i = 0; i < 600; ++i) {
        auto own = observer.own_containers();
        if (own && !own->empty()) break;
        std::this_thread::sleep_for(50ms);  // waiting on dockerd: no clock seam
    }
    cancel = true;
    t.join();
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_TRUE(result->canceled);
    EXPECT_EQ(result->exit_code, -1);
    EXPECT_EQ(all_containers(), 0u);
}

TEST_F(DockerRuntimeTest, RunsInParallelOnOneRuntime) {
    std::vector<fs::path> outs;
    for (int i = 0; i < 3; ++i) {
        outs.push_back(work_ / ("out" + std::to_string(i)));
        fs::create_directories(outs.back());
    }
    std::vector<Result<RunOutcome>> results(3, make_error(Errc::kIo, "not run"));
    std::vector<std::thread> threads;
    std::atomic<bool> cancel{false};
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&, i] {
            auto s = spec("echo run-" + std::to_string(i) + " > $IEXEC_OUT/id");
            s.out_dir = outs[static_cast<std::size_t>(i)];
            results[static_cast<std::size_t>(i)] = runtime_->run(s, cancel);
        });
    for (auto& t : threads) t.join();
    for (int i = 0; i < 3; ++i) {
        const auto& r = results[static_cast<std::size_t>(i)];
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_TRUE(r->success());
        EXPECT_EQ(read_file(outs[static_cast<std::size_t>(i)] / "id"), "run-" + std::to_string(i) + "\n");
    }
}

TEST_F(DockerRuntimeTest, MissingImageIsAClearError) {
    auto s = spec("true");
    s.app = "wp-test/does-not-exist:1";
    std::atomic<bool> cancel{false};
    auto r = runtime_->run(s, cancel);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kRemote);
    EXPECT_EQ(r.error().message,
              "docker: image 'wp-test/does-not-exist:1' not found on the daemon (pulling is disabled)");

    // A missing mount source is the daemon's error, and nothing is left behind.
    s = spec("true");
    s.in_dir = work_ / "no-such-folder";
    r = runtime_->run(s, cancel);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("docker: create container: HTTP 400"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("no-such-folder"), std::string::npos) << r.error().message;
    EXPECT_EQ(all_containers(), 0u);
}

TEST_F(DockerRuntimeTest, PullWithoutARegistryFailsWithTheDaemonsReason) {
    auto o = options();
    o.pull_missing = true;
    o.pull_timeout = 60s;
    DockerRuntime pulling(o);
    std::atomic<bool> cancel{false};
    auto r = pulling.ensure_image("wp-test/unreachable-registry-image:1", cancel);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("docker: pull wp-test/unreachable-registry-image:1"), std::string::npos)
        << r.error().message;
}

TEST_F(DockerRuntimeTest, UnreachableDaemonIsAnError) {
    auto o = options();
    o.socket_path = work_.string() + "/nothing.sock";
    DockerRuntime nowhere(o);
    EXPECT_FALSE(nowhere.ping());
    std::atomic<bool> cancel{false};
    auto r = nowhere.run(spec("true"), cancel);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
    EXPECT_EQ(r.error().message.rfind("docker: inspect image: GET unix:" + o.socket_path, 0), 0u) << r.error().message;
    EXPECT_TRUE(runtime_->ping());
}

TEST_F(DockerRuntimeTest, CleanupRemovesOnlyThisInstancesOrphans) {
    // A previous life of this worker left a running container and a stopped one; another worker has one too.
    net::UnixHttpClient c({.socket_path = socket_});
    const auto create = [&](const std::string& instance, bool start) {
        auto body = docker::build_create_body(spec("sleep 300"), docker::CreateOptions{.instance = instance});
        EXPECT_TRUE(body);
        auto r = c.post_json("/v1.41/containers/create", *body);
        EXPECT_TRUE(r && r->status == 201) << (r ? r->body : r.error().message);
        auto created = docker::parse_create_answer(r->body);
        EXPECT_TRUE(created);
        if (start) {
            auto s = c.post_json("/v1.41/containers/" + created->id + "/start");
            EXPECT_TRUE(s && s->status == 204);
        }
        return created->id;
    };
    create("test", true);
    create("test", false);
    const auto other = create("other-worker", true);
    ASSERT_EQ(all_containers(), 3u);

    auto own = runtime_->own_containers();
    ASSERT_TRUE(own);
    EXPECT_EQ(own->size(), 2u);
    auto removed = runtime_->cleanup_orphans();
    ASSERT_TRUE(removed) << removed.error().message;
    EXPECT_EQ(*removed, 2u);
    EXPECT_EQ(all_containers(), 1u);
    auto again = runtime_->cleanup_orphans();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0u);

    DockerRuntime other_runtime(options("other-worker"));
    auto others = other_runtime.cleanup_orphans();
    ASSERT_TRUE(others);
    EXPECT_EQ(*others, 1u);
    EXPECT_EQ(all_containers(), 0u);
    (void)other;
}

}  // namespace
}  // namespace wp::worker

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    auto* env = new wp::worker::DockerdEnvironment();
    wp::worker::DockerdEnvironment::instance = env;
    ::testing::AddGlobalTestEnvironment(env);
    return RUN_ALL_TESTS();
}
