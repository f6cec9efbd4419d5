#include "lifecycle.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json/parse.hpp>

#include <wp/core/clock.hpp>
#include <wp/net/http_client.hpp>
#include <wp/net/http_server.hpp>
#include <wp/sys/process.hpp>

#include "test_support.hpp"

namespace wp::service {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Records start / stop calls of fake components in one shared journal.
struct Journal {
    std::mutex mutex;
    std::vector<std::string> lines;
    void add(std::string s) {
        std::lock_guard lock(mutex);
        lines.push_back(std::move(s));
    }
};

class Fake final : public Component {
  public:
    Fake(Journal& j, std::string name, bool fail = false) : journal_(j), name_(std::move(name)), fail_(fail) {}
    std::string_view name() const override { return name_; }
    Result<void> start() override {
        journal_.add("start " + name_);
        if (fail_) return make_error(Errc::kIo, "cannot open database");
        return {};
    }
    void stop(StopMode mode) override { journal_.add("stop " + name_ + " " + to_string(mode)); }
    HealthReport health() const override { return health_; }
    HealthReport health_{};

  private:
    Journal& journal_;
    std::string name_;
    bool fail_;
};

TEST(ComponentRunner, StartsInOrderStopsInReverse) {
    Journal j;
    Fake a(j, "store"), b(j, "chain"), c(j, "http");
    ComponentRunner runner;
    runner.add(a);
    runner.add(b);
    runner.add(c);
    EXPECT_EQ(runner.state(), ComponentRunner::State::kCreated);
    EXPECT_FALSE(runner.ready());
    ASSERT_TRUE(runner.start_all());
    EXPECT_TRUE(runner.ready());
    EXPECT_FALSE(runner.start_all());  // only once
    runner.request_stop();
    EXPECT_FALSE(runner.ready());
    EXPECT_EQ(runner.state(), ComponentRunner::State::kDraining);
    runner.stop_all();
    EXPECT_EQ(runner.state(), ComponentRunner::State::kStopped);
    EXPECT_EQ(j.lines, (std::vector<std::string>{"start store", "start chain", "start http", "stop http graceful",
                                                 "stop chain graceful", "stop store graceful"}));
}

TEST(ComponentRunner, FailedStartStopsTheStartedOnes) {
    Journal j;
    Fake a(j, "store"), b(j, "chain", true), c(j, "http");
    ComponentRunner runner;
    runner.add(a);
    runner.add(b);
    runner.add(c);
    auto r = runner.run();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "chain: cannot open database");
    EXPECT_EQ(r.error().code, Errc::kIo);
    EXPECT_EQ(j.lines, (std::vector<std::string>{"start store", "start chain", "stop store graceful"}));
    EXPECT_EQ(runner.state(), ComponentRunner::State::kStopped);
}

TEST(ComponentRunner, SecondStopRequestStopsFast) {
    Journal j;
    Fake a(j, "store"), b(j, "http");
    ComponentRunner runner;
    runner.add(a);
    runner.add(b);
    ASSERT_TRUE(runner.start_all());
    runner.request_stop();
    EXPECT_EQ(runner.stop_mode(), StopMode::kGraceful);
    runner.request_stop();
    EXPECT_EQ(runner.stop_mode(), StopMode::kFast);
    runner.stop_all();
    EXPECT_EQ(j.lines.back(), "stop store fast");
}

TEST(ComponentRunner, RunReturnsAfterStopRequestFromAnotherThread) {
    Journal j;
    Fake a(j, "store");
    ComponentRunner runner;
    runner.add(a);
    std::thread t([&] {
        // wait for the observable state, then ask to stop
        while (!runner.ready()) std::this_thread::yield();
        runner.request_stop();
    });
    ASSERT_TRUE(runner.run());
    t.join();
    EXPECT_EQ(j.lines, (std::vector<std::string>{"start store", "stop store graceful"}));
}

TEST(ComponentRunner, HealthIsTheWorstComponent) {
    Journal j;
    Fake a(j, "store"), b(j, "chain");
    ComponentRunner runner;
    runner.add(a);
    runner.add(b);
    ASSERT_TRUE(runner.start_all());
    EXPECT_EQ(runner.health().health, Health::kOk);
    b.health_ = {Health::kDegraded, "rpc lagging 12 blocks"};
    EXPECT_EQ(runner.health().health, Health::kDegraded);
    EXPECT_EQ(runner.health().detail, "chain: rpc lagging 12 blocks");
    a.health_ = {Health::kFatal, ""};
    EXPECT_EQ(runner.health().health, Health::kFatal);
    EXPECT_EQ(runner.health().detail, "store: fatal; chain: rpc lagging 12 blocks");
    runner.request_stop();
    runner.stop_all();
}

// ---------------------------------------------------------------------------------------------------------------
// A real process receiving real signals (testing/lifecycle_child.cpp).

struct ChildProcess : testing::Test {
    std::filesystem::path dir;
    sys::Process child;
    std::uint16_t port{0};
    net::HttpClient client;

    void SetUp() override {
        dir = testing_support::fresh_test_dir(std::string("lifecycle_") +
                                              testing::UnitTest::GetInstance()->current_test_info()->name());
        auto p = sys::Process::spawn({.argv = {WP_SERVICE_LIFECYCLE_CHILD, (dir / "port").string()},
                                      .stdout_path = (dir / "out.txt").string(),
                                      .stderr_path = (dir / "err.txt").string(),
                                      .die_with_parent = true});
        ASSERT_TRUE(p) << p.error().message;
        child = std::move(*p);
        // wait (with a deadline) for the observable port file
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (!std::filesystem::exists(dir / "port")) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << log();
            ASSERT_TRUE(child.running()) << log();
            std::this_thread::sleep_for(10ms);
        }
        std::ifstream(dir / "port") >> port;
        ASSERT_NE(port, 0);
    }

    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
    }
    std::string log() const {
        return "stdout:\n" + sys::read_text_file((dir / "out.txt").string()).value_or("") + "stderr:\n" +
               sys::read_text_file((dir / "err.txt").string()).value_or("");
    }
    std::pair<unsigned, std::string> get(std::string_view path) {
        auto r = client.get(url(path));
        if (!r) return {0, r.error().message};
        return {r->status, r->body};
    }
    void post(std::string_view path) {
        auto r = client.post(url(path), "{}");
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_EQ(r->status, 200u);
    }
    //! Polls /ready until it answers `body` (observable state, bounded by a deadline).
    void wait_ready_body(const std::string& body) { wait_body("/ready", body); }
    void wait_body(std::string_view path, const std::string& body) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (true) {
            auto [status, got] = get(path);
            if (got == body) return;
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "last /ready: " << status << " " << got << "\n"
                                                                  << log();
            std::this_thread::sleep_for(10ms);
        }
    }
    std::vector<std::string> events() const {
        std::vector<std::string> out;
        std::ifstream in(dir / "out.txt");
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }
};

TEST_F(ChildProcess, SigtermDrainsGracefully) {
    // starting: the http component is up, the worker is not
    auto [status, body] = get("/ready");
    EXPECT_EQ(status, 503u);
    EXPECT_EQ(body, R"({"ready":false,"state":"starting"})");
    // (the port file is written inside http's start(): the runner counts it as started right after)
    wait_body("/health", R"({"status":"ok","state":"starting","components":{"http":{"health":"ok"}}})");
    EXPECT_EQ(get("/health").first, 200u);
    post("/test/release-start");
    wait_ready_body(R"({"ready":true,"state":"running"})");
    auto health = get("/health");
    EXPECT_EQ(health.second,
              R"({"status":"degraded","state":"running","detail":"worker: warming up",)"
              R"("components":{"http":{"health":"ok"},"worker":{"health":"degraded","detail":"warming up"}}})");

    ASSERT_TRUE(child.kill(SIGTERM));
    // draining: the worker is stopping (waiting for release-stop), the server still answers 503
    wait_ready_body(R"({"ready":false,"state":"draining"})");
    EXPECT_EQ(get("/ready").first, 503u);
    post("/test/release-stop");
    auto exit = child.wait_for(30s);
    ASSERT_TRUE(exit) << exit.error().message << log();
    EXPECT_TRUE(exit->success()) << exit->to_string() << log();
    EXPECT_EQ(events(), (std::vector<std::string>{"start http", "start worker", "stop worker graceful",
                                                  "worker stopped", "stop http graceful", "exit"}))
        << log();
    const auto err = sys::read_text_file((dir / "err.txt").string()).value_or("");
    WP_EXPECT_CONTAINS(err, "signal received signal=SIGTERM count=1");
}

TEST_F(ChildProcess, SecondSignalForcesAFastStop) {
    post("/test/release-start");
    wait_ready_body(R"({"ready":true,"state":"running"})");
    ASSERT_TRUE(child.kill(SIGTERM));
    wait_ready_body(R"({"ready":false,"state":"draining"})");
    // wait (with a deadline) until the worker's graceful stop is in progress (and blocked) ...
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    auto graceful_stop_started = [&] {
        const auto e = events();
        return std::find(e.begin(), e.end(), "stop worker graceful") != e.end();
    };
    while (!graceful_stop_started()) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << log();
        std::this_thread::sleep_for(10ms);
    }
    // ... then a second signal (SIGINT this time) hurries it
    ASSERT_TRUE(child.kill(SIGINT));
    auto exit = child.wait_for(30s);
    ASSERT_TRUE(exit) << exit.error().message << log();
    EXPECT_TRUE(exit->success()) << exit->to_string() << log();
    EXPECT_EQ(events(), (std::vector<std::string>{"start http", "start worker", "stop worker graceful", "force worker",
                                                  "worker stopped", "stop http fast", "exit"}))
        << log();
    const auto err = sys::read_text_file((dir / "err.txt").string()).value_or("");
    WP_EXPECT_CONTAINS(err, "signal received signal=SIGINT count=2");
}

TEST_F(ChildProcess, SignalDuringStartupStopsWithoutServing) {
    ASSERT_TRUE(child.kill(SIGINT));
    // wait (with a deadline) until the child has seen the signal, while the worker's start() is still blocked
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (sys::read_text_file((dir / "err.txt").string()).value_or("").find("signal received signal=SIGINT") ==
           std::string::npos) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << log();
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(get("/ready").second, R"({"ready":false,"state":"starting"})");
    post("/test/release-start");
    // never ready: straight from starting to draining
    wait_ready_body(R"({"ready":false,"state":"draining"})");
    post("/test/release-stop");
    auto exit = child.wait_for(30s);
    ASSERT_TRUE(exit) << exit.error().message << log();
    EXPECT_TRUE(exit->success()) << log();
    EXPECT_EQ(events(), (std::vector<std::string>{"start http", "start worker", "stop worker graceful",
                                                  "worker stopped", "stop http graceful", "exit"}))
        << log();
    EXPECT_EQ(log().find(" info ready "), std::string::npos) << log();
}

}  // namespace
}  // namespace wp::service
