#include "pool_fixture.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/order.hpp>

#include "../support/test_ports.hpp"

namespace wp::test {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::string DealTasks::summary() const {
    std::map<std::string, std::size_t> others;
    for (const auto& t : tasks)
        if (t.status != TaskStatus::kCompleted && t.status != TaskStatus::kFailed)
            ++others[std::string(to_string(t.status))];
    std::string s = std::to_string(completed) + "/" + std::to_string(tasks.size()) + " COMPLETED, " +
                    std::to_string(failed) + " FAILED";
    if (!others.empty()) {
        s += ", others:";
        for (const auto& [name, n] : others) s += " " + name + "×" + std::to_string(n);
    }
    return s;
}

void PoolFixture::pause(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

void PoolFixture::SetUp() {
    PocoOrdersFixture::SetUp();
    if (HasFatalFailure()) return;
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    // gtest's parameterised names carry '/': not in a folder name.
    std::string name = std::string(test->test_suite_name()) + "." + test->name();
    for (char& c : name)
        if (c == '/') c = '_';
    PoolProcessesOptions o;
    o.dir = fs::temp_directory_path() / ("wp-pool-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(o.dir);
    o.binary = WP_IEXEC_POOL_BIN;
    o.rpc = info().rpc;
    o.hub = info().hub;
    o.scheduler_key_hex = to_hex(info().accounts.at(kScheduler).private_key.view());
    o.core_port = pick_free_ports(1);
    ASSERT_NE(o.core_port, 0) << "no free port for the core";
    chain::WorkerpoolParams pool{address(kScheduler), std::string("pool fixture ") + test->name()};
    auto predicted = hub().predict_workerpool(pool);
    ASSERT_TRUE(predicted) << predicted.error().message;
    auto created = send(hub().create_workerpool(pool), key(kScheduler));
    ASSERT_TRUE(created) << created.error().message;
    o.workerpool = *predicted;
    auto head = eth().block_number();
    ASSERT_TRUE(head) << head.error().message;
    o.start_block = *head;
    pool_ = std::make_unique<PoolProcesses>(std::move(o));
}

void PoolFixture::TearDown() {
    if (pool_) {
        pool_->stop_all();
        if (HasFailure() || std::getenv("WP_POOL_KEEP") != nullptr) {
            if (HasFailure()) print_logs();
            std::cout << "[pool] the test folder is kept: " << dir().string() << std::endl;
        } else {
            std::error_code ec;
            fs::remove_all(dir(), ec);
        }
        pool_.reset();
    }
    PocoOrdersFixture::TearDown();
}

void PoolFixture::print_logs(std::size_t bytes) const { std::cout << pool_->logs_tail(bytes) << std::flush; }

std::string PoolFixture::core_url() const { return pool_->core_url(); }

void PoolFixture::start_core(const ConfigOverrides& overrides) {
    auto r = pool_->start_core(overrides);
    ASSERT_TRUE(r) << r.error().message;
}

void PoolFixture::kill_core(int signal_number) {
    auto r = pool_->kill_core(signal_number);
    ASSERT_TRUE(r) << r.error().message;
}

void PoolFixture::restart_core() {
    auto r = pool_->restart_core();
    ASSERT_TRUE(r) << r.error().message;
}

json::value PoolFixture::dashboard(const std::string& path) {
    auto r = pool_->dashboard(path);
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : json::value(nullptr);
}

Address PoolFixture::worker_address(std::size_t i) const { return address(worker_accounts_.at(i)); }

std::size_t PoolFixture::add_worker(const ConfigOverrides& overrides) {
    const std::size_t i = pool_->worker_count();
    if (i >= std::size(kPoolWorkerAccounts)) {
        ADD_FAILURE() << "add_worker: at most " << std::size(kPoolWorkerAccounts) << " workers";
        return i;
    }
    worker_accounts_.push_back(kPoolWorkerAccounts[i]);
    auto r = pool_->add_worker(key(kPoolWorkerAccounts[i]), overrides);
    // Fatal, as the other launch failures (the callers check HasFatalFailure()).
    [&] { ASSERT_TRUE(r) << r.error().message; }();
    return i;
}

void PoolFixture::kill_worker(std::size_t i, int signal_number) {
    auto r = pool_->kill_worker(i, signal_number);
    ASSERT_TRUE(r) << r.error().message;
}

void PoolFixture::restart_worker(std::size_t i, const ConfigOverrides& overrides) {
    auto r = pool_->restart_worker(i, overrides);
    ASSERT_TRUE(r) << r.error().message;
}

App PoolFixture::deploy_demo_app(const std::string& name) {
    return deploy_bundle(fs::path(WP_DEMO_APPS_DIR) / (name + ".tar.gz"), name);
}

App PoolFixture::deploy_script_app(const std::string& name, const std::string& script) {
    const fs::path src = dir() / ("app-src-" + name);
    write_text_file(src / "iexec-app.json", R"({"entrypoint":"app.sh"})");
    write_text_file(src / "app.sh", "#!/bin/sh\n" + script);
    const fs::path out = dir() / "apps" / (name + ".tar.gz");
    const std::string built = shell_output("sh " WP_SOURCE_DIR "/apps/demo/build_bundle.sh " + src.string() + " " +
                                           out.string() + " && echo built");
    EXPECT_EQ(built, "built");
    return deploy_bundle(out, name);
}

App PoolFixture::deploy_bundle(const fs::path& bundle, const std::string& name) {
    App app;
    auto params =
        bundle_app_params(bundle, address(kAppOwner), "pool fixture " + name + " " + std::to_string(salt_++), app);
    EXPECT_TRUE(params) << params.error().message;
    if (!params) return app;
    auto predicted = hub().predict_app(*params);
    EXPECT_TRUE(predicted) << predicted.error().message;
    auto created = send(hub().create_app(*params), key(kAppOwner));
    EXPECT_TRUE(created) << created.error().message;
    if (predicted) app.address = *predicted;
    return app;
}

Bytes32 PoolFixture::create_deal(const DealSpec& spec) {
    const std::uint64_t salt = 1'000'000 + 10 * salt_++;
    const DealOrders o =
        make_deal_orders(domain(), spec, workerpool(), salt, key(kAppOwner), key(kScheduler), key(kRequester));
    auto matched = send(hub().match_orders(o.app, DatasetOrder{}, o.workerpool, o.request), key(kRequester));
    EXPECT_TRUE(matched) << "matchOrders: " << matched.error().message;
    return deal_id(order_hash(domain(), Order(o.request)), U256(0));
}

DealTasks PoolFixture::view_deal_tasks(const Bytes32& deal, std::uint64_t volume) {
    DealTasks out;
    std::vector<Bytes32> ids;
    for (std::uint64_t i = 0; i < volume; ++i) ids.push_back(task_id(deal, U256(i)));
    auto views = hub().view_tasks(ids);
    for (auto& v : views) {
        EXPECT_TRUE(v) << "viewTask: " << v.error().message;
        out.tasks.push_back(v ? *v : Task{});
        if (v && v->status == TaskStatus::kCompleted) ++out.completed;
        if (v && v->status == TaskStatus::kFailed) ++out.failed;
    }
    return out;
}

DealTasks PoolFixture::wait_deal_done(const Bytes32& deal, std::uint64_t volume, std::chrono::seconds limit) {
    const auto started = std::chrono::steady_clock::now();
    const auto end = started + limit;
    std::string last;
    auto printed = started;
    for (;;) {
        DealTasks v = view_deal_tasks(deal, volume);
        const std::string s = v.summary();
        const auto now = std::chrono::steady_clock::now();
        if (s != last || now - printed > 10s) {
            std::cout << "[pool] deal " << to_hex(deal.view()).substr(0, 10) << "…: " << s << " after "
                      << std::chrono::duration_cast<std::chrono::seconds>(now - started).count() << " s" << std::endl;
            last = s;
            printed = now;
        }
        if (v.completed + v.failed == volume) return v;
        if (now > end) {
            ADD_FAILURE() << "deal " << to_hex(deal.view()) << " not done after " << limit.count() << " s: " << s;
            return v;
        }
        // Each look reads every task of the deal from the chain: a big bag is looked at less often, so that the
        // watching does not load the chain it measures (2 s: the end-to-end time is ± 2 s).
        pause(volume > 100 ? 2000ms : 500ms);
    }
}

Bytes32 PoolFixture::sha256_of(const std::string& content) {
    char path[] = "/tmp/wp-pool-sha-XXXXXX";
    const int fd = ::mkstemp(path);
    EXPECT_GE(fd, 0);
    if (fd < 0) return {};
    ::close(fd);
    write_text_file(path, content);
    const std::string hex = shell_output(std::string("sha256sum ") + path + " | cut -c1-64");
    ::unlink(path);
    auto b = bytes32_from_hex("0x" + hex);
    EXPECT_TRUE(b) << hex;
    return b ? *b : Bytes32{};
}

}  // namespace wp::test
