#include "pool_fixture.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <wp/core/hex.hpp>
#include <wp/crypto/keystore.hpp>
#include <wp/net/http_client.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/order.hpp>

#include "../support/test_ports.hpp"

namespace wp::test {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

//! The worker accounts, in the order add_worker() takes them.
constexpr std::size_t kWorkerAccounts[] = {kWorker, 6, 7, 8, 9};

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_all(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

//! stdout of `sh -c command`, trailing newlines removed.
std::string shell(const std::string& command) {
    std::string out;
    FILE* f = ::popen(command.c_str(), "r");
    if (f == nullptr) return out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    ::pclose(f);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

void set_dotted(json::object& root, const std::string& key, const json::value& value) {
    json::object* o = &root;
    std::size_t start = 0;
    for (;;) {
        const auto dot = key.find('.', start);
        if (dot == std::string::npos) {
            (*o)[key.substr(start)] = value;
            return;
        }
        json::value& next = (*o)[key.substr(start, dot - start)];
        if (!next.is_object()) next = json::object();
        o = &next.as_object();
        start = dot + 1;
    }
}

}  // namespace

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
    dir_ = fs::temp_directory_path() /
           ("wp-pool-" + std::to_string(::getpid()) + "-" + test->test_suite_name() + "." + test->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    core_port_ = pick_free_ports(1);
    ASSERT_NE(core_port_, 0) << "no free port for the core";
    chain::WorkerpoolParams pool{address(kScheduler), std::string("pool fixture ") + test->name()};
    auto predicted = hub().predict_workerpool(pool);
    ASSERT_TRUE(predicted) << predicted.error().message;
    auto created = send(hub().create_workerpool(pool), key(kScheduler));
    ASSERT_TRUE(created) << created.error().message;
    workerpool_ = *predicted;
    auto head = eth().block_number();
    ASSERT_TRUE(head) << head.error().message;
    start_block_ = *head;
}

void PoolFixture::TearDown() {
    for (auto& w : workers_)
        if (w->process.running()) (void)w->process.terminate(3s);
    if (core_ && core_->process.running()) (void)core_->process.terminate(5s);
    if (HasFailure() || std::getenv("WP_POOL_KEEP") != nullptr) {
        if (HasFailure()) print_logs();
        std::cout << "[pool] the test folder is kept: " << dir_.string() << std::endl;
    } else {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    PocoOrdersFixture::TearDown();
}

void PoolFixture::print_logs(std::size_t bytes) const {
    auto show = [&](const Daemon& d) {
        for (const auto& log : d.logs) {
            const std::string text = read_all(log);
            std::cout << "----- " << log.string() << " (" << text.size() << " bytes"
                      << (text.size() > bytes ? ", the end" : "") << ") -----\n"
                      << (text.size() > bytes ? text.substr(text.size() - bytes) : text) << "\n";
        }
    };
    if (core_) show(*core_);
    for (const auto& w : workers_) show(*w);
    std::cout << std::flush;
}

void PoolFixture::spawn(Daemon& d) {
    ++d.starts;
    d.log = dir_ / (d.name + "." + std::to_string(d.starts) + ".log");
    d.logs.push_back(d.log);
    sys::SpawnOptions o;
    o.argv = {WP_IEXEC_POOL_BIN, d.name.rfind("worker", 0) == 0 ? "worker" : "core", "--config", d.config.string()};
    if (d.name == "core") {
        o.argv.push_back("--url-file");
        o.argv.push_back((dir_ / "core.url").string());
    }
    o.stdout_path = d.log.string();
    o.stderr_path = d.log.string();
    o.die_with_parent = true;
    auto p = sys::Process::spawn(o);
    ASSERT_TRUE(p) << d.name << ": " << p.error().message;
    d.process = std::move(*p);
}

void PoolFixture::write_config(const fs::path& path, json::object config, const ConfigOverrides& overrides) {
    for (const auto& [k, v] : overrides) set_dotted(config, k, v);
    write_all(path, json::serialize(config) + "\n");
}

std::string PoolFixture::core_url() const { return "http://127.0.0.1:" + std::to_string(core_port_); }

void PoolFixture::start_core(const ConfigOverrides& overrides) {
    ASSERT_FALSE(core_) << "start_core: already started (restart_core)";
    core_ = std::make_unique<Daemon>();
    core_->name = "core";
    core_->config = dir_ / "core.json";
    json::object core{
        {"chain", json::object{{"rpc", info().rpc},
                               {"hub", info().hub.to_checksum()},
                               {"confirmations", 0},
                               {"startBlock", start_block_},
                               {"pollInterval", "200ms"}}},
        {"listen", json::object{{"host", "127.0.0.1"}, {"port", core_port_}}},
        {"db", "sqlite:" + (dir_ / "core.db").string()},
        {"workerpool", workerpool_.to_checksum()},
        {"wallet", json::object{{"privateKey", to_hex(info().accounts.at(kScheduler).private_key.view())}}},
        {"results", json::object{{"dir", (dir_ / "results").string()}, {"publicUrl", core_url()}}},
        {"timeouts", json::object{{"heartbeat", "1s"}}}};
    write_config(core_->config, json::object{{"core", core}}, overrides);
    spawn(*core_);
    if (HasFatalFailure()) return;
    wait_core_ready();
}

void PoolFixture::wait_core_ready() {
    net::HttpClient http;
    const auto end = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < end) {
        auto ended = core_->process.try_wait();
        ASSERT_TRUE(ended && !*ended) << "the core ended while starting: "
                                      << (ended ? (*ended)->to_string() : ended.error().message);
        auto r = http.get(core_url() + "/ready");
        if (r && r->status == 200) return;
        pause(100ms);
    }
    FAIL() << "the core is not ready at " << core_url() << "/ready after 60 s";
}

void PoolFixture::kill_core(int signal_number) {
    ASSERT_TRUE(core_ && core_->process.running()) << "kill_core: the core is not running";
    ASSERT_TRUE(core_->process.kill(signal_number));
    auto st = core_->process.wait_for(30s);
    ASSERT_TRUE(st) << "the core did not end after signal " << signal_number;
}

void PoolFixture::restart_core() {
    ASSERT_TRUE(core_) << "restart_core: start_core first";
    if (core_->process.running()) kill_core(SIGTERM);
    spawn(*core_);
    if (HasFatalFailure()) return;
    wait_core_ready();
}

json::value PoolFixture::dashboard(const std::string& path) {
    net::HttpClient http;
    auto r = http.get(core_url() + "/api/v1/dashboard/" + path);
    EXPECT_TRUE(r) << path << ": " << r.error().message;
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 200U) << path << ": " << r->body;
    if (r->status != 200) return nullptr;
    boost::system::error_code ec;
    auto v = json::parse(r->body, ec);
    EXPECT_FALSE(ec) << path << ": not JSON: " << r->body;
    return ec ? json::value(nullptr) : v;
}

Address PoolFixture::worker_address(std::size_t i) const { return address(worker_accounts_.at(i)); }

std::size_t PoolFixture::add_worker(const ConfigOverrides& overrides) {
    const std::size_t i = workers_.size();
    if (i >= std::size(kWorkerAccounts)) {
        ADD_FAILURE() << "add_worker: at most " << std::size(kWorkerAccounts) << " workers";
        return i;
    }
    const std::size_t account = kWorkerAccounts[i];
    const std::string name = "worker-" + std::to_string(i);
    const fs::path keystore = dir_ / (name + ".keystore.json");
    const fs::path password = dir_ / (name + ".password");
    KeystoreOptions light;
    light.scrypt_n = 1024;
    write_all(password, "pool-fixture-" + name + "\n");
    fs::permissions(password, fs::perms::owner_read | fs::perms::owner_write);
    write_all(keystore, keystore_encrypt(key(account), "pool-fixture-" + name, light));
    auto d = std::make_unique<Daemon>();
    d->name = name;
    d->config = dir_ / (name + ".json");
    workers_.push_back(std::move(d));
    worker_accounts_.push_back(account);
    worker_overrides_.push_back(overrides);
    restart_worker(i);
    return i;
}

void PoolFixture::kill_worker(std::size_t i, int signal_number) {
    Daemon& d = *workers_.at(i);
    ASSERT_TRUE(d.process.running()) << "kill_worker: " << d.name << " is not running";
    ASSERT_TRUE(d.process.kill(signal_number));
    auto st = d.process.wait_for(60s);
    ASSERT_TRUE(st) << d.name << " did not end after signal " << signal_number;
}

void PoolFixture::restart_worker(std::size_t i, const ConfigOverrides& overrides) {
    Daemon& d = *workers_.at(i);
    if (d.process.running()) kill_worker(i, SIGKILL);
    for (const auto& o : overrides) worker_overrides_.at(i).push_back(o);
    json::object worker{{"name", d.name},
                        {"scheduler", json::object{{"url", core_url()}}},
                        {"chain", json::object{{"rpc", info().rpc}, {"hub", info().hub.to_checksum()}}},
                        {"wallet", json::object{{"keystore", (dir_ / (d.name + ".keystore.json")).string()},
                                                {"passwordFile", (dir_ / (d.name + ".password")).string()}}},
                        {"workDir", (dir_ / d.name).string()},
                        {"runtime", "sandbox"},
                        {"capacity", json::object{{"cpuSlots", 1}}}};
    write_config(d.config, json::object{{"worker", worker}}, worker_overrides_.at(i));
    spawn(d);
    if (HasFatalFailure()) return;
    wait_worker_alive(i);
}

void PoolFixture::wait_worker_alive(std::size_t i) {
    const std::string who = worker_address(i).to_checksum();
    Daemon& d = *workers_.at(i);
    net::HttpClient http;
    const auto end = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < end) {
        auto ended = d.process.try_wait();
        ASSERT_TRUE(ended && !*ended) << d.name << " ended while starting: "
                                      << (ended ? (*ended)->to_string() : ended.error().message);
        auto r = http.get(core_url() + "/api/v1/dashboard/workers");
        if (r && r->status == 200) {
            boost::system::error_code ec;
            auto v = json::parse(r->body, ec);
            if (!ec && v.is_object() && v.as_object().contains("workers")) {
                for (const auto& w : v.at("workers").as_array()) {
                    if (w.at("address").as_string() == who && w.at("alive").as_bool()) return;
                }
            }
        }
        pause(200ms);
    }
    FAIL() << d.name << " (" << who << ") is not listed alive by the core after 60 s";
}

App PoolFixture::deploy_demo_app(const std::string& name) {
    App app;
    app.bundle = fs::path(WP_DEMO_APPS_DIR) / (name + ".tar.gz");
    std::string sum = read_all(app.bundle.string() + ".sha256");
    while (!sum.empty() && (sum.back() == '\n' || sum.back() == '\r')) sum.pop_back();
    auto checksum = bytes32_from_hex(sum);
    EXPECT_TRUE(checksum) << app.bundle.string() << ".sha256: " << sum;
    if (!checksum) return app;
    app.checksum = *checksum;
    chain::AppParams params;
    params.owner = address(kAppOwner);
    params.name = "pool fixture " + name + " " + std::to_string(salt_++);
    params.multiaddr = bytes_of("file://" + app.bundle.string());
    params.checksum = app.checksum;
    auto predicted = hub().predict_app(params);
    EXPECT_TRUE(predicted) << predicted.error().message;
    auto created = send(hub().create_app(params), key(kAppOwner));
    EXPECT_TRUE(created) << created.error().message;
    if (predicted) app.address = *predicted;
    return app;
}

App PoolFixture::deploy_script_app(const std::string& name, const std::string& script) {
    const fs::path src = dir_ / ("app-src-" + name);
    write_all(src / "iexec-app.json", R"({"entrypoint":"app.sh"})");
    write_all(src / "app.sh", "#!/bin/sh\n" + script);
    const fs::path out = dir_ / "apps" / (name + ".tar.gz");
    const std::string built =
        shell("sh " WP_SOURCE_DIR "/apps/demo/build_bundle.sh " + src.string() + " " + out.string() + " && echo built");
    EXPECT_EQ(built, "built");
    App app;
    app.bundle = out;
    std::string sum = read_all(out.string() + ".sha256");
    while (!sum.empty() && (sum.back() == '\n' || sum.back() == '\r')) sum.pop_back();
    auto checksum = bytes32_from_hex(sum);
    EXPECT_TRUE(checksum) << out.string() << ".sha256: " << sum;
    if (!checksum) return app;
    app.checksum = *checksum;
    chain::AppParams params;
    params.owner = address(kAppOwner);
    params.name = "pool fixture " + name + " " + std::to_string(salt_++);
    params.multiaddr = bytes_of("file://" + out.string());
    params.checksum = app.checksum;
    auto predicted = hub().predict_app(params);
    EXPECT_TRUE(predicted) << predicted.error().message;
    auto created = send(hub().create_app(params), key(kAppOwner));
    EXPECT_TRUE(created) << created.error().message;
    if (predicted) app.address = *predicted;
    return app;
}

Bytes32 PoolFixture::create_deal(const DealSpec& spec) {
    const std::uint64_t salt = 1'000'000 + 10 * salt_++;
    Bytes32 tag;
    const U256 tag_value(spec.tag);
    tag = tag_value.to_be32();
    AppOrder app;
    app.app = spec.app.address;
    app.appprice = spec.app_price;
    app.volume = U256(spec.volume);
    app.tag = tag;
    app.salt = U256(salt).to_be32();
    WorkerpoolOrder pool;
    pool.workerpool = workerpool_;
    pool.workerpoolprice = spec.workerpool_price;
    pool.volume = U256(spec.volume);
    pool.tag = tag;
    pool.category = U256(spec.category);
    pool.trust = U256(spec.trust);
    pool.salt = U256(salt + 1).to_be32();
    RequestOrder request;
    request.app = spec.app.address;
    request.appmaxprice = spec.app_price;
    request.workerpool = workerpool_;
    request.workerpoolmaxprice = spec.workerpool_price;
    request.requester = address(kRequester);
    request.volume = U256(spec.volume);
    request.tag = tag;
    request.category = U256(spec.category);
    request.trust = U256(spec.trust);
    request.beneficiary = address(kRequester);
    request.params = spec.params;
    request.salt = U256(salt + 2).to_be32();
    app.sign = sign_order(domain(), Order(app), key(kAppOwner));
    pool.sign = sign_order(domain(), Order(pool), key(kScheduler));
    request.sign = sign_order(domain(), Order(request), key(kRequester));
    auto matched = send(hub().match_orders(app, DatasetOrder{}, pool, request), key(kRequester));
    EXPECT_TRUE(matched) << "matchOrders: " << matched.error().message;
    return deal_id(order_hash(domain(), Order(request)), U256(0));
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
    write_all(path, content);
    const std::string hex = shell(std::string("sha256sum ") + path + " | cut -c1-64");
    ::unlink(path);
    auto b = bytes32_from_hex("0x" + hex);
    EXPECT_TRUE(b) << hex;
    return b ? *b : Bytes32{};
}

}  // namespace wp::test
