#include "pool_processes.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <wp/core/hex.hpp>
#include <wp/crypto/keystore.hpp>
#include <wp/net/http_client.hpp>

namespace wp::test {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

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

void write_config(const fs::path& path, json::object config, const ConfigOverrides& overrides) {
    for (const auto& [k, v] : overrides) set_dotted(config, k, v);
    write_text_file(path, json::serialize(config) + "\n");
}

void pause(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

//! How a child ended, for an error message ("running" when it still runs).
std::string ended_text(Daemon& d) {
    auto ended = d.process.try_wait();
    if (!ended) return ended.error().message;
    return *ended ? (*ended)->to_string() : std::string("running");
}

}  // namespace

std::string read_text_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_text_file(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::string shell_output(const std::string& command) {
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

DealOrders make_deal_orders(const Domain& domain, const DealSpec& spec, const Address& workerpool, std::uint64_t salt,
                            const PrivateKey& app_owner, const PrivateKey& scheduler, const PrivateKey& requester) {
    const Bytes32 tag = U256(spec.tag).to_be32();
    DealOrders o;
    o.app.app = spec.app.address;
    o.app.appprice = spec.app_price;
    o.app.volume = U256(spec.volume);
    o.app.tag = tag;
    o.app.salt = U256(salt).to_be32();
    o.workerpool.workerpool = workerpool;
    o.workerpool.workerpoolprice = spec.workerpool_price;
    o.workerpool.volume = U256(spec.volume);
    o.workerpool.tag = tag;
    o.workerpool.category = U256(spec.category);
    o.workerpool.trust = U256(spec.trust);
    o.workerpool.salt = U256(salt + 1).to_be32();
    o.request.app = spec.app.address;
    o.request.appmaxprice = spec.app_price;
    o.request.workerpool = workerpool;
    o.request.workerpoolmaxprice = spec.workerpool_price;
    o.request.requester = requester.address();
    o.request.volume = U256(spec.volume);
    o.request.tag = tag;
    o.request.category = U256(spec.category);
    o.request.trust = U256(spec.trust);
    o.request.beneficiary = requester.address();
    o.request.params = spec.params;
    o.request.salt = U256(salt + 2).to_be32();
    o.app.sign = sign_order(domain, Order(o.app), app_owner);
    o.workerpool.sign = sign_order(domain, Order(o.workerpool), scheduler);
    o.request.sign = sign_order(domain, Order(o.request), requester);
    return o;
}

Result<chain::AppParams> bundle_app_params(const fs::path& bundle, const Address& owner, const std::string& name,
                                           App& app) {
    std::string sum = read_text_file(bundle.string() + ".sha256");
    while (!sum.empty() && (sum.back() == '\n' || sum.back() == '\r' || sum.back() == ' ')) sum.pop_back();
    auto checksum = bytes32_from_hex(sum);
    if (!checksum) {
        return make_error(Errc::kInvalidArgument,
                          bundle.string() + ".sha256: not a 32-byte hex digest (\"" + sum.substr(0, 80) + "\")");
    }
    app.bundle = bundle;
    app.checksum = *checksum;
    chain::AppParams params;
    params.owner = owner;
    params.name = name;
    const std::string multiaddr = "file://" + bundle.string();
    params.multiaddr = Bytes(as_bytes(multiaddr).begin(), as_bytes(multiaddr).end());
    params.checksum = app.checksum;
    return params;
}

PoolProcesses::PoolProcesses(PoolProcessesOptions options) : options_(std::move(options)) {
    fs::create_directories(options_.dir);
}

PoolProcesses::~PoolProcesses() { stop_all(); }

void PoolProcesses::stop_all() {
    for (auto& w : workers_)
        if (w->process.running()) (void)w->process.terminate(3s);
    if (core_ && core_->process.running()) (void)core_->process.terminate(5s);
}

std::string PoolProcesses::logs_tail(std::size_t bytes) const {
    std::string out;
    auto show = [&](const Daemon& d) {
        for (const auto& log : d.logs) {
            const std::string text = read_text_file(log);
            out += "----- " + log.string() + " (" + std::to_string(text.size()) + " bytes" +
                   (text.size() > bytes ? ", the end" : "") + ") -----\n" +
                   (text.size() > bytes ? text.substr(text.size() - bytes) : text) + "\n";
        }
    };
    if (core_) show(*core_);
    for (const auto& w : workers_) show(*w);
    return out;
}

Result<void> PoolProcesses::spawn(Daemon& d) {
    ++d.starts;
    d.log = options_.dir / (d.name + "." + std::to_string(d.starts) + ".log");
    d.logs.push_back(d.log);
    sys::SpawnOptions o;
    o.argv = {options_.binary.string(), d.name.rfind("worker", 0) == 0 ? "worker" : "core", "--config",
              d.config.string()};
    if (d.name == "core") {
        o.argv.push_back("--url-file");
        o.argv.push_back((options_.dir / "core.url").string());
    }
    o.stdout_path = d.log.string();
    o.stderr_path = d.log.string();
    o.die_with_parent = true;
    auto p = sys::Process::spawn(o);
    if (!p) return make_error(Errc::kIo, d.name + ": " + p.error().message);
    d.process = std::move(*p);
    return {};
}

std::string PoolProcesses::core_url() const { return "http://127.0.0.1:" + std::to_string(options_.core_port); }

Result<void> PoolProcesses::start_core(const ConfigOverrides& overrides) {
    if (core_) return make_error(Errc::kInvalidArgument, "start_core: already started (restart_core)");
    core_ = std::make_unique<Daemon>();
    core_->name = "core";
    core_->config = options_.dir / "core.json";
    json::object core{
        {"chain", json::object{{"rpc", options_.rpc},
                               {"hub", options_.hub.to_checksum()},
                               {"confirmations", 0},
                               {"startBlock", options_.start_block},
                               {"pollInterval", "200ms"}}},
        {"listen", json::object{{"host", "127.0.0.1"}, {"port", options_.core_port}}},
        {"db", "sqlite:" + (options_.dir / "core.db").string()},
        {"workerpool", options_.workerpool.to_checksum()},
        {"wallet", json::object{{"privateKey", options_.scheduler_key_hex}}},
        {"results", json::object{{"dir", (options_.dir / "results").string()}, {"publicUrl", core_url()}}},
        {"timeouts", json::object{{"heartbeat", "1s"}}}};
    write_config(core_->config, json::object{{"core", core}}, overrides);
    WP_TRY_VOID(spawn(*core_));
    return wait_core_ready();
}

Result<void> PoolProcesses::wait_core_ready() {
    net::HttpClient http;
    const auto end = std::chrono::steady_clock::now() + options_.ready_timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (!core_->process.running()) {
            return make_error(Errc::kIo, "the core ended while starting: " + ended_text(*core_) + " (log " +
                                             core_->log.string() + ")");
        }
        auto r = http.get(core_url() + "/ready");
        if (r && r->status == 200) return {};
        pause(100ms);
    }
    return make_error(Errc::kTimeout, "the core is not ready at " + core_url() + "/ready after " +
                                          std::to_string(options_.ready_timeout.count()) + " s");
}

Result<void> PoolProcesses::kill_core(int signal_number) {
    if (!core_ || !core_->process.running()) return make_error(Errc::kInvalidArgument, "kill_core: not running");
    WP_TRY_VOID(core_->process.kill(signal_number));
    auto st = core_->process.wait_for(30s);
    if (!st) return make_error(Errc::kTimeout, "the core did not end after signal " + std::to_string(signal_number));
    return {};
}

Result<void> PoolProcesses::restart_core() {
    if (!core_) return make_error(Errc::kInvalidArgument, "restart_core: start_core first");
    if (core_->process.running()) WP_TRY_VOID(kill_core(SIGTERM));
    WP_TRY_VOID(spawn(*core_));
    return wait_core_ready();
}

Result<json::value> PoolProcesses::dashboard(const std::string& path) const {
    net::HttpClient http;
    auto r = http.get(core_url() + "/api/v1/dashboard/" + path);
    if (!r) return make_error(Errc::kIo, path + ": " + r.error().message);
    if (r->status != 200) {
        return make_error(Errc::kRemote, path + ": status " + std::to_string(r->status) + ": " + r->body);
    }
    boost::system::error_code ec;
    auto v = json::parse(r->body, ec);
    if (ec) return make_error(Errc::kDecoding, path + ": not JSON: " + r->body.substr(0, 200));
    return v;
}

Result<std::size_t> PoolProcesses::add_worker(const PrivateKey& key, const ConfigOverrides& overrides) {
    const std::size_t i = workers_.size();
    const std::string name = "worker-" + std::to_string(i);
    const fs::path keystore = options_.dir / (name + ".keystore.json");
    const fs::path password = options_.dir / (name + ".password");
    KeystoreOptions light;
    light.scrypt_n = 1024;
    write_text_file(password, "pool-fixture-" + name + "\n");
    fs::permissions(password, fs::perms::owner_read | fs::perms::owner_write);
    write_text_file(keystore, keystore_encrypt(key, "pool-fixture-" + name, light));
    auto d = std::make_unique<Daemon>();
    d->name = name;
    d->config = options_.dir / (name + ".json");
    workers_.push_back(std::move(d));
    worker_keys_.push_back(key);
    worker_overrides_.push_back(overrides);
    WP_TRY_VOID(restart_worker(i));
    return i;
}

Result<void> PoolProcesses::kill_worker(std::size_t i, int signal_number) {
    Daemon& d = *workers_.at(i);
    if (!d.process.running()) return make_error(Errc::kInvalidArgument, "kill_worker: " + d.name + " is not running");
    WP_TRY_VOID(d.process.kill(signal_number));
    auto st = d.process.wait_for(60s);
    if (!st) return make_error(Errc::kTimeout, d.name + " did not end after signal " + std::to_string(signal_number));
    return {};
}

Result<void> PoolProcesses::restart_worker(std::size_t i, const ConfigOverrides& overrides) {
    Daemon& d = *workers_.at(i);
    if (d.process.running()) WP_TRY_VOID(kill_worker(i, SIGKILL));
    for (const auto& o : overrides) worker_overrides_.at(i).push_back(o);
    const fs::path& dir = options_.dir;
    json::object worker{{"name", d.name},
                        {"scheduler", json::object{{"url", core_url()}}},
                        {"chain", json::object{{"rpc", options_.rpc}, {"hub", options_.hub.to_checksum()}}},
                        {"wallet", json::object{{"keystore", (dir / (d.name + ".keystore.json")).string()},
                                                {"passwordFile", (dir / (d.name + ".password")).string()}}},
                        {"workDir", (dir / d.name).string()},
                        {"runtime", "sandbox"},
                        {"capacity", json::object{{"cpuSlots", 1}}}};
    write_config(d.config, json::object{{"worker", worker}}, worker_overrides_.at(i));
    WP_TRY_VOID(spawn(d));
    return wait_worker_alive(i);
}

Result<void> PoolProcesses::wait_worker_alive(std::size_t i) {
    const std::string who = worker_address(i).to_checksum();
    Daemon& d = *workers_.at(i);
    net::HttpClient http;
    const auto end = std::chrono::steady_clock::now() + options_.ready_timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (!d.process.running()) {
            return make_error(Errc::kIo,
                              d.name + " ended while starting: " + ended_text(d) + " (log " + d.log.string() + ")");
        }
        auto r = http.get(core_url() + "/api/v1/dashboard/workers");
        if (r && r->status == 200) {
            boost::system::error_code ec;
            auto v = json::parse(r->body, ec);
            if (!ec && v.is_object() && v.as_object().contains("workers")) {
                for (const auto& w : v.at("workers").as_array()) {
                    if (w.at("address").as_string() == who && w.at("alive").as_bool()) return {};
                }
            }
        }
        pause(200ms);
    }
    return make_error(Errc::kTimeout, d.name + " (" + who + ") is not listed alive by the core after " +
                                          std::to_string(options_.ready_timeout.count()) + " s");
}

}  // namespace wp::test
