#include "up_cmd.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/cli/market_client.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/keystore.hpp>
#include <wp/devnet/dev_accounts.hpp>
#include <wp/devnet/devnet.hpp>
#include <wp/devnet/tx_sender.hpp>
#include <wp/net/http_client.hpp>
#include <wp/protocol/order.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/sys/process.hpp>

#include "devnet_cmd.hpp"

#ifndef WP_DEFAULT_DEMO_APPS_DIR
#define WP_DEFAULT_DEMO_APPS_DIR ""
#endif

namespace wp::poolcli {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

volatile std::sig_atomic_t g_up_signal = 0;
void on_up_signal(int signal_number) { g_up_signal = signal_number; }

class UpSignals {
  public:
    UpSignals() {
        g_up_signal = 0;
        struct sigaction action {};
        action.sa_handler = on_up_signal;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
    }
    ~UpSignals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    UpSignals(const UpSignals&) = delete;
    UpSignals& operator=(const UpSignals&) = delete;
    static bool received() { return g_up_signal != 0; }

  private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

// Dev accounts (libs/wp/devnet: 1..9 are funded with RLC and an escrow deposit).
constexpr std::size_t kPoolOwner = 1;
constexpr std::size_t kAppOwner = 2;
constexpr std::size_t kRequester = 3;
constexpr std::size_t kFirstWorker = 4;
constexpr unsigned kMaxWorkers = 6;

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value && *value ? std::string(value) : std::string(fallback);
}

Result<std::string> read_text(const fs::path& p) { return sys::read_text_file(p.string()); }

std::string self_exe() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

// ---- supervised children -----------------------------------------------------------------------------------------

struct Child {
    std::string name;
    std::vector<std::string> argv;
    fs::path log;
    std::string ready_url;  //!< GET answering 200 once it is up ("": ready when spawned)
    sys::Process proc;
    unsigned restarts{0};
    std::chrono::milliseconds backoff{1000};
    std::optional<std::chrono::steady_clock::time_point> restart_at;
};

Child make_child(std::string name, std::vector<std::string> argv, fs::path log, std::string ready_url) {
    Child c;
    c.name = std::move(name);
    c.argv = std::move(argv);
    c.log = std::move(log);
    c.ready_url = std::move(ready_url);
    return c;
}

Result<void> spawn_child(Child& c) {
    sys::SpawnOptions o;
    o.argv = c.argv;
    o.stdout_path = c.log.string();
    o.stderr_path = c.log.string();
    o.die_with_parent = true;
    // Each start truncates the service's log; the previous one is kept as <log>.previous (what it said before
    // it crashed), and DIR/logs/up.log records every start.
    std::error_code ec;
    if (fs::exists(c.log, ec)) fs::rename(c.log, c.log.string() + ".previous", ec);
    {
        std::ofstream events(c.log.parent_path() / "up.log", std::ios::app);
        events << "starting " << c.name << " (start " << (c.restarts + 1) << ")\n";
    }
    auto p = sys::Process::spawn(o);
    if (!p) return tl::unexpected(p.error().with_context(c.name));
    c.proc = std::move(*p);
    return {};
}

std::string log_tail(const fs::path& log) {
    auto text = read_text(log);
    if (!text) return "";
    const std::size_t keep = 1500;
    return text->size() > keep ? text->substr(text->size() - keep) : *text;
}

//! Waits until c.ready_url answers 200 (or the child ends, or a signal, or `limit`).
Result<void> wait_ready(Child& c, std::chrono::milliseconds limit) {
    if (c.ready_url.empty()) return {};
    net::HttpClient http;
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (UpSignals::received()) return make_error(Errc::kTimeout, c.name + ": interrupted while starting");
        auto ended = c.proc.try_wait();
        if (!ended || *ended) {
            return make_error(Errc::kIo, c.name + ": ended while starting (" +
                                             (ended ? (*ended)->to_string() : ended.error().message) + "); log " +
                                             c.log.string() + ":\n" + log_tail(c.log));
        }
        auto r = http.get(c.ready_url);
        if (r && r->status == 200) return {};
        std::this_thread::sleep_for(100ms);
    }
    return make_error(Errc::kTimeout, c.name + ": not ready at " + c.ready_url + " after " +
                                          std::to_string(limit.count() / 1000) + " s; log " + c.log.string());
}

// ---- what the first run provisions (DIR/up.json) -----------------------------------------------------------------

struct Provisioned {
    Address workerpool;
    std::vector<std::pair<std::string, Address>> apps;  //!< name -> address, in demo_app_names() order
};

std::string to_json_text(const Provisioned& p) {
    boost::json::object apps;
    for (const auto& [name, address] : p.apps) apps[name] = address.to_checksum();
    boost::json::object o;
    o["workerpool"] = p.workerpool.to_checksum();
    o["apps"] = std::move(apps);
    return boost::json::serialize(o) + "\n";
}

Result<Provisioned> provisioned_from_json(std::string_view text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return make_error(Errc::kDecoding, "up.json: not a JSON object");
    const auto& o = v.as_object();
    Provisioned p;
    const auto* pool = o.if_contains("workerpool");
    if (!pool || !pool->is_string()) return make_error(Errc::kDecoding, "up.json: workerpool: missing or not a string");
    auto pool_address = Address::parse(std::string_view(pool->as_string()));
    if (!pool_address) return tl::unexpected(pool_address.error().with_context("up.json: workerpool"));
    p.workerpool = *pool_address;
    const auto* apps = o.if_contains("apps");
    if (!apps || !apps->is_object()) return make_error(Errc::kDecoding, "up.json: apps: missing or not an object");
    for (const auto& name : demo_app_names()) {
        const auto* a = apps->as_object().if_contains(name);
        if (!a || !a->is_string()) return make_error(Errc::kDecoding, "up.json: apps." + name + ": missing");
        auto address = Address::parse(std::string_view(a->as_string()));
        if (!address) return tl::unexpected(address.error().with_context("up.json: apps." + name));
        p.apps.emplace_back(name, *address);
    }
    return p;
}

Result<Bytes32> bundle_checksum(const fs::path& bundle) {
    WP_TRY(auto text, read_text(bundle.string() + ".sha256"));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    auto sum = bytes32_from_hex(text);
    if (!sum) return tl::unexpected(sum.error().with_context(bundle.string() + ".sha256"));
    return *sum;
}

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

//! Creates the workerpool and the demo apps (first run). The bundles are copied to DIR/apps/.
Result<Provisioned> provision(chain::JsonRpcClient& rpc, const DeploymentInfo& info, const UpArgs& args,
                              const fs::path& dir, std::ostream& out) {
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, info.hub);
    if (auto resolved = hub.resolve_addresses(); !resolved)
        return make_error(resolved.error().kind, "hub: " + resolved.error().message);
    auto keys = devnet::dev_keys();
    const PrivateKey& pool_owner = keys.at(kPoolOwner);
    const PrivateKey& app_owner = keys.at(kAppOwner);

    Provisioned p;
    std::vector<devnet::CallToSend> calls;
    chain::WorkerpoolParams pool{pool_owner.address(), "iexec-pool up: local workerpool"};
    auto predicted_pool = hub.predict_workerpool(pool);
    if (!predicted_pool) return make_error(predicted_pool.error().kind, predicted_pool.error().message);
    p.workerpool = *predicted_pool;
    auto create_pool = hub.create_workerpool(pool);
    if (!create_pool) return make_error(create_pool.error().kind, create_pool.error().message);
    calls.push_back({&pool_owner, *create_pool, 2'000'000});

    std::error_code ec;
    fs::create_directories(dir / "apps", ec);
    for (const auto& name : demo_app_names()) {
        const fs::path built = fs::path(args.demo_apps_dir) / (name + ".tar.gz");
        const fs::path kept = fs::absolute(dir / "apps" / (name + ".tar.gz"));
        WP_TRY(auto checksum, bundle_checksum(built));
        fs::copy_file(built, kept, fs::copy_options::overwrite_existing, ec);
        if (ec) return make_error(Errc::kIo, "apps: copy " + built.string() + ": " + ec.message());
        fs::copy_file(built.string() + ".sha256", kept.string() + ".sha256", fs::copy_options::overwrite_existing, ec);
        chain::AppParams app{app_owner.address(), name, "DOCKER", to_bytes("file://" + kept.string()), checksum, {}};
        auto predicted = hub.predict_app(app);
        if (!predicted) return make_error(predicted.error().kind, predicted.error().message);
        auto create = hub.create_app(app);
        if (!create) return make_error(create.error().kind, create.error().message);
        calls.push_back({&app_owner, *create, 3'000'000});
        p.apps.emplace_back(name, *predicted);
    }
    auto sent = devnet::send_calls(rpc, std::move(calls), 60s,
                                   [&](std::size_t i, std::size_t n, const std::string& what, const chain::Receipt&) {
                                       out << "  " << i << "/" << n << " " << what << std::endl;
                                   });
    if (!sent) return tl::unexpected(sent.error().with_context("provision"));
    return p;
}

//! Signs and publishes orders of the dev accounts through the market. Salts are derived from the names, so
//! publishing again after a crash gives the same orders (the market answers "order already published", which counts
//! as done).
class UpPublisher {
  public:
    static Result<UpPublisher> create(const DeploymentInfo& info, const std::string& market_url, std::ostream& out) {
        auto market = cli::MarketClient::create({market_url, info.chain_id});
        if (!market) return tl::unexpected(market.error());
        return UpPublisher(std::move(*market), Domain::iexec(U256(info.chain_id), info.hub), out);
    }
    static Bytes32 salt(std::string_view what) {
        const std::string text = "iexec-pool up: " + std::string(what);
        return keccak256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    Result<void> publish(Order order, const PrivateKey& key, const std::string& what) {
        set_order_sign(order, sign_order(domain_, order, key));
        auto published = market_.publish(order, key);
        if (!published) {
            if (published.error().message.find("already published") != std::string::npos) return {};
            return tl::unexpected(published.error().with_context("publish " + what));
        }
        out_ << "  published " << what << " " << to_hex(published->order_hash) << std::endl;
        return {};
    }

  private:
    UpPublisher(cli::MarketClient market, Domain domain, std::ostream& out)
        : market_(std::move(market)), domain_(domain), out_(out) {}
    cli::MarketClient market_;
    Domain domain_;
    std::ostream& out_;
};

//! Publishes one app order per demo app (free, volume 1,000,000, tag 0, no restriction; by the app owner) and the
//! standard workerpool order (free, volume 1,000, category 0, trust 0, tag 0; by the pool owner).
Result<void> publish_orders(const DeploymentInfo& info, const Provisioned& p, const std::string& market_url,
                            std::ostream& out) {
    WP_TRY(UpPublisher publisher, UpPublisher::create(info, market_url, out));
    auto keys = devnet::dev_keys();
    for (const auto& [name, address] : p.apps) {
        AppOrder o;
        o.app = address;
        o.volume = U256(1'000'000);
        o.salt = UpPublisher::salt("apporder " + name);
        WP_TRY_VOID(publisher.publish(Order{o}, keys.at(kAppOwner), "apporder " + name));
    }
    WorkerpoolOrder w;
    w.workerpool = p.workerpool;
    w.volume = U256(1'000);
    w.salt = UpPublisher::salt("workerpoolorder");
    WP_TRY_VOID(publisher.publish(Order{w}, keys.at(kPoolOwner), "workerpoolorder (category 0, price 0, tag 0x0)"));
    return {};
}

//! TEE SIMULATION orders (published after the standard ones, under their own marker so an older data folder gets
//! them on resume): for each TEE framework (tee+tdx 0x9 — what every order of the real SDK 9.0.1 carries —,
//! tee+scone 0x3, tee+gramine 0x5) one workerpool order (free, volume 1,000, category 0, trust 1: PoCo counts trust
//! 0 as 1 and the core serves TEE deals at trust ≤ 1 only) and, per demo app, one app order with the same tag (PoCo
//! requires the deal's TEE bit on the app order, check 0x07). The workers run the TEE tasks in the simulation.
Result<void> publish_tee_orders(const DeploymentInfo& info, const Provisioned& p, const std::string& market_url,
                                std::ostream& out) {
    WP_TRY(UpPublisher publisher, UpPublisher::create(info, market_url, out));
    auto keys = devnet::dev_keys();
    const std::pair<const char*, std::uint64_t> frameworks[] = {
        {"tdx", kTagTeeTdx}, {"scone", kTagTeeScone}, {"gramine", kTagTeeGramine}};
    for (const auto& [name, bits] : frameworks) {
        const std::string label = std::string(name) + " tag " + to_hex(make_tag(bits).view()).substr(62);
        WorkerpoolOrder w;
        w.workerpool = p.workerpool;
        w.volume = U256(1'000);
        w.trust = U256(1);
        w.tag = make_tag(bits);
        w.salt = UpPublisher::salt(std::string("workerpoolorder tee ") + name);
        WP_TRY_VOID(publisher.publish(Order{w}, keys.at(kPoolOwner),
                                      "workerpoolorder (TEE simulation, " + label + ", category 0, trust 1)"));
        for (const auto& [app_name, address] : p.apps) {
            AppOrder o;
            o.app = address;
            o.volume = U256(1'000'000);
            o.tag = make_tag(bits);
            o.salt = UpPublisher::salt("apporder " + app_name + " tee " + name);
            WP_TRY_VOID(publisher.publish(Order{o}, keys.at(kAppOwner), "apporder " + app_name + " (" + label + ")"));
        }
    }
    return {};
}

// ---- generated config files --------------------------------------------------------------------------------------

std::string market_config(const DeploymentInfo& info, std::uint16_t port, const fs::path& dir) {
    boost::json::object chain{{"rpc", info.rpc}, {"hub", info.hub.to_checksum()}, {"confirmations", 0}};
    boost::json::object market{{"chain", chain},
                               {"listen", boost::json::object{{"host", "127.0.0.1"}, {"port", port}}},
                               {"db", "sqlite:" + fs::absolute(dir / "market.db").string()}};
    return boost::json::serialize(boost::json::object{{"market", market}}) + "\n";
}

// The core's and the worker's configs follow the same schema style (service/settings: nested JSON, one top-level
// object per daemon); the keys are those of `iexec-pool core|worker --describe-config`.
std::string core_config(const DeploymentInfo& info, const Provisioned& p, std::uint16_t port,
                        const std::string& market_url, const fs::path& dir) {
    auto keys = devnet::dev_keys();
    boost::json::object chain{{"rpc", info.rpc}, {"hub", info.hub.to_checksum()}, {"confirmations", 0}};
    boost::json::object core{
        {"chain", chain},
        {"listen", boost::json::object{{"host", "127.0.0.1"}, {"port", port}}},
        {"db", "sqlite:" + fs::absolute(dir / "core.db").string()},
        {"workerpool", p.workerpool.to_checksum()},
        {"wallet", boost::json::object{{"privateKey", to_hex(keys.at(kPoolOwner).secret())}}},
        {"market", boost::json::object{{"url", market_url}}},
        {"results", boost::json::object{{"dir", fs::absolute(dir / "results").string()},
                                        {"publicUrl", "http://127.0.0.1:" + std::to_string(port)}}}};
    return boost::json::serialize(boost::json::object{{"core", core}}) + "\n";
}

// The worker's settings (h-worker2's worker_settings: worker.scheduler.url, worker.wallet.keystore + passwordFile,
// worker.chain.*, worker.workDir, worker.capacity.*, worker.runtime). Its wallet is a keystore written next to the
// config (the dev key of the local chain, a light scrypt cost: these keys are public anyway), the password file 0600.
Result<std::string> worker_config(const DeploymentInfo& info, std::size_t index, const std::string& core_url,
                                  const fs::path& dir) {
    auto keys = devnet::dev_keys();
    const fs::path keystore = fs::absolute(dir / ("worker-" + std::to_string(index) + ".keystore.json"));
    const fs::path password = fs::absolute(dir / ("worker-" + std::to_string(index) + ".password"));
    if (!fs::exists(keystore)) {
        const std::string pass = "up-worker-" + std::to_string(index);
        KeystoreOptions light;
        light.scrypt_n = 4096;
        WP_TRY_VOID(devnet::write_file_atomically(password, pass + "\n"));
        std::error_code ec;
        fs::permissions(password, fs::perms::owner_read | fs::perms::owner_write, ec);
        WP_TRY_VOID(
            devnet::write_file_atomically(keystore, keystore_encrypt(keys.at(kFirstWorker + index), pass, light)));
    }
    boost::json::object chain{{"rpc", info.rpc}, {"hub", info.hub.to_checksum()}};
    boost::json::object worker{
        {"name", "up-worker-" + std::to_string(index)},
        {"scheduler", boost::json::object{{"url", core_url}}},
        {"chain", chain},
        {"wallet", boost::json::object{{"keystore", keystore.string()}, {"passwordFile", password.string()}}},
        {"workDir", fs::absolute(dir / ("worker-" + std::to_string(index))).string()},
        {"runtime", "sandbox"},
        // TEE SIMULATION (no enclave): the worker offers every TEE framework and signs with the enclave key the
        // core's simulated SMS hands over.
        {"capacity", boost::json::object{{"cpuSlots", 2}, {"teeFrameworks", "scone,gramine,tdx"}}}};
    return boost::json::serialize(boost::json::object{{"worker", worker}}) + "\n";
}

boost::json::object account_json(std::size_t index) {
    auto keys = devnet::dev_keys();
    return boost::json::object{{"address", keys.at(index).address().to_checksum()},
                               {"privateKey", std::string(devnet::dev_private_key_hex(index))}};
}

}  // namespace

std::vector<std::string> up_chain_anvil_args(double block_time) {
    if (block_time <= 0) return {"--block-time", "1", "--mixed-mining"};
    char text[32];
    std::snprintf(text, sizeof text, "%g", block_time);
    return {"--block-time", text};
}

std::vector<std::string> demo_app_names() { return {"echo", "dir", "callback", "cpu"}; }

std::string default_demo_apps_dir() { return env_or("WP_DEMO_APPS_DIR", WP_DEFAULT_DEMO_APPS_DIR); }

int run_up(const UpArgs& args, std::ostream& out, std::ostream& err) {
    if (args.workers > kMaxWorkers) {
        err << "up: --workers: at most " << kMaxWorkers << " (dev accounts 4-9 are the funded workers)\n";
        return 2;
    }
    if (args.port_base > 65535 - 3 - args.workers) {
        err << "up: --port-base: too high (up uses P to P+" << (2 + args.workers) << ")\n";
        return 2;
    }
    if (!(args.block_time == 0 || (args.block_time >= 0.1 && args.block_time <= 60))) {
        err << "up: --block-time: 0 (a block per transaction and one per second) or 0.1 to 60 seconds (blocks on "
               "that interval only), got "
            << args.block_time << "\n";
        return 2;
    }
    if (args.anvil.empty() || args.poco_package.empty()) {
        err << "up: no anvil binary or PoCo package (WP_ANVIL_BIN / WP_POCO_DIR; scripts/install-deps.sh installs "
               "them)\n";
        return 1;
    }
    UpSignals signals;
    const fs::path dir = fs::absolute(args.data_dir);
    std::error_code ec;
    fs::create_directories(dir / "logs", ec);
    if (ec) {
        err << "up: --data-dir " << dir.string() << ": " << ec.message() << "\n";
        return 1;
    }
    const std::string self = args.self.empty() ? self_exe() : args.self;
    const auto port = [&](unsigned offset) { return static_cast<std::uint16_t>(args.port_base + offset); };

    // 1. The chain.
    out << "[1/4] chain: anvil on 127.0.0.1:" << args.port_base;
    if (args.block_time == 0) out << " (one block per transaction and one per second)" << std::endl;
    else out << " (a block every " << args.block_time << " s)" << std::endl;
    devnet::DevnetOptions chain_options;
    chain_options.anvil.binary = args.anvil;
    chain_options.anvil.port = args.port_base;
    chain_options.anvil.data_dir = dir / "logs";
    chain_options.anvil.extra_args = up_chain_anvil_args(args.block_time);
    chain_options.poco_dir = args.poco_package;
    chain_options.state_file = dir / "chain-state.json";
    auto chain = devnet::start_devnet(chain_options, [&](std::string_view line) { out << "  " << line << std::endl; });
    if (!chain) {
        err << "up: chain: " << chain.error().message << "\n";
        return 1;
    }
    const DeploymentInfo& info = chain->info;
    const fs::path chain_json = dir / "chain.json";
    const std::string market_url = "http://127.0.0.1:" + std::to_string(port(1));
    const std::string core_url = "http://127.0.0.1:" + std::to_string(port(2));
    // The SDK's chain.json for this chain, with the market as its iexecGateway (what `iexec app run` and
    // `iexec order publish` talk to).
    boost::json::object dev_chain{{"id", std::to_string(info.chain_id)},
                                  {"host", info.rpc},
                                  {"hub", info.hub.to_checksum()},
                                  {"iexecGateway", market_url}};
    const std::string chain_json_text = boost::json::serialize(boost::json::object{
                                            {"default", "dev"}, {"chains", boost::json::object{{"dev", dev_chain}}}}) +
                                        "\n";
    if (auto w = devnet::write_file_atomically(chain_json, chain_json_text); !w) {
        err << "up: " << w.error().message << "\n";
        return 1;
    }

    // 2. The workerpool and the demo apps (first run only).
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = info.rpc;
    chain::JsonRpcClient rpc(rpc_options);
    const fs::path state_path = dir / "up.json";
    Provisioned provisioned;
    if (auto saved = read_text(state_path); saved && chain->resumed) {
        auto parsed = provisioned_from_json(*saved);
        if (!parsed) {
            err << "up: " << parsed.error().message << "\n";
            return 1;
        }
        provisioned = *parsed;
        out << "[2/4] workerpool and demo apps: already deployed (" << state_path.string() << ")" << std::endl;
    } else {
        out << "[2/4] workerpool and demo apps: deploying" << std::endl;
        auto p = provision(rpc, info, args, dir, out);
        if (!p) {
            err << "up: " << p.error().message << "\n";
            return 1;
        }
        provisioned = *p;
        if (auto w = devnet::write_file_atomically(state_path, to_json_text(provisioned)); !w) {
            err << "up: " << w.error().message << "\n";
            return 1;
        }
    }

    // 3. The services.
    std::vector<Child> children;
    {
        const fs::path cfg = dir / "market.json";
        if (auto w = devnet::write_file_atomically(cfg, market_config(info, port(1), dir)); !w) {
            err << "up: " << w.error().message << "\n";
            return 1;
        }
        children.push_back(make_child("market", {self, "market", "--config", cfg.string()}, dir / "logs" / "market.log",
                                      market_url + "/version"));
    }
    if (args.with_core) {
        const fs::path cfg = dir / "core.json";
        if (auto w = devnet::write_file_atomically(cfg, core_config(info, provisioned, port(2), market_url, dir)); !w) {
            err << "up: " << w.error().message << "\n";
            return 1;
        }
        children.push_back(make_child("core", {self, "core", "--config", cfg.string()}, dir / "logs" / "core.log",
                                      core_url + "/health"));
    }
    if (args.with_workers) {
        for (unsigned i = 0; i < args.workers; ++i) {
            const fs::path cfg = dir / ("worker-" + std::to_string(i) + ".json");
            auto text = worker_config(info, i, core_url, dir);
            if (!text) {
                err << "up: worker " << i << ": " << text.error().message << "\n";
                return 1;
            }
            if (auto w = devnet::write_file_atomically(cfg, *text); !w) {
                err << "up: " << w.error().message << "\n";
                return 1;
            }
            children.push_back(make_child("worker-" + std::to_string(i), {self, "worker", "--config", cfg.string()},
                                          dir / "logs" / ("worker-" + std::to_string(i) + ".log"), ""));
        }
    }
    out << "[3/4] services:";
    for (const auto& c : children) out << " " << c.name;
    out << std::endl;

    int code = 0;
    auto stop_all = [&]() {
        for (auto it = children.rbegin(); it != children.rend(); ++it) {
            if (it->proc.pid() == 0) continue;
            auto ended = it->proc.terminate(10s);
            out << "stopped " << it->name << " (" << (ended ? ended->to_string() : ended.error().message) << ")"
                << std::endl;
        }
        auto status = chain->node.stop();
        out << "stopped the chain (" << (status ? status->to_string() : status.error().message) << "), state saved in "
            << chain_options.state_file.string() << std::endl;
    };
    for (auto& c : children) {
        if (auto s = spawn_child(c); !s) {
            err << "up: " << s.error().message << "\n";
            stop_all();
            return 1;
        }
        if (auto ready = wait_ready(c, 60s); !ready) {
            err << "up: " << ready.error().message << "\n";
            stop_all();
            return UpSignals::received() ? 130 : 1;
        }
    }

    const fs::path published_marker = dir / "orders-published";
    if (!fs::exists(published_marker, ec)) {
        if (auto published = publish_orders(info, provisioned, market_url, out); !published) {
            err << "up: " << published.error().message << "\n";
            stop_all();
            return 1;
        }
        if (auto w = devnet::write_file_atomically(published_marker, "yes\n"); !w) {
            err << "up: " << w.error().message << "\n";
            stop_all();
            return 1;
        }
    }
    const fs::path tee_marker = dir / "tee-orders-published";
    if (!fs::exists(tee_marker, ec)) {
        if (auto published = publish_tee_orders(info, provisioned, market_url, out); !published) {
            err << "up: " << published.error().message << "\n";
            stop_all();
            return 1;
        }
        if (auto w = devnet::write_file_atomically(tee_marker, "yes\n"); !w) {
            err << "up: " << w.error().message << "\n";
            stop_all();
            return 1;
        }
    }

    // 4. Ready: the summary and the info file.
    auto keys = devnet::dev_keys();
    boost::json::array workers;
    for (unsigned i = 0; i < args.workers; ++i) workers.emplace_back(keys.at(kFirstWorker + i).address().to_checksum());
    boost::json::object apps;
    for (const auto& [name, address] : provisioned.apps) apps[name] = address.to_checksum();
    boost::json::object summary{{"chainId", info.chain_id},
                                {"rpc", info.rpc},
                                {"hub", info.hub.to_checksum()},
                                {"token", info.token.to_checksum()},
                                {"market", market_url},
                                {"core", core_url},
                                {"dashboard", core_url + "/dashboard/"},
                                {"workerpool", provisioned.workerpool.to_checksum()},
                                {"workerpoolOwner", account_json(kPoolOwner)},
                                {"appOwner", account_json(kAppOwner)},
                                {"requester", account_json(kRequester)},
                                {"workers", workers},
                                {"apps", apps},
                                {"chainJson", chain_json.string()}};
    out << "[4/4] ready\n"
        << "  chain       " << info.rpc << " (chainId " << info.chain_id << ", hub " << info.hub.to_checksum() << ")\n"
        << "  market      " << market_url << "\n"
        << "  core        " << core_url << (args.with_core ? "" : "  (not started: this binary has no `core` command)")
        << "\n"
        << "  dashboard   " << core_url << "/dashboard/\n"
        << "  workerpool  " << provisioned.workerpool.to_checksum() << "\n";
    for (const auto& [name, address] : provisioned.apps)
        out << "  app " << name << std::string(8 - std::min<std::size_t>(name.size(), 7), ' ') << address.to_checksum()
            << "\n";
    out << "  workers     " << args.workers << (args.with_workers ? " (TEE simulation enabled)" : " (not started)")
        << "\n"
        << "  chain.json  " << chain_json.string() << "\n"
        << "  logs        " << (dir / "logs").string() << "\n"
        << "next: in an empty folder, with " << chain_json.string() << " copied there and the requester's key:\n"
        << "  iexec app run " << provisioned.apps.front().second.to_checksum() << " --workerpool "
        << provisioned.workerpool.to_checksum() << " --args \"hello world\" --watch\n"
        << "Ctrl-C stops everything; running `iexec-pool up` again resumes the same chain and state." << std::endl;
    if (!args.info_file.empty()) {
        if (auto w = devnet::write_file_atomically(args.info_file, boost::json::serialize(summary) + "\n"); !w) {
            err << "up: " << w.error().message << "\n";
            stop_all();
            return 1;
        }
    }

    // Supervise until a signal.
    while (!UpSignals::received()) {
        auto ended = chain->node.process().try_wait();
        if (!ended || *ended) {
            err << "up: the chain (anvil) stopped unexpectedly ("
                << (ended ? (*ended)->to_string() : ended.error().message) << "); see "
                << chain->node.log_path().string() << "\n";
            code = 1;
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        for (auto& c : children) {
            if (c.restart_at) {
                if (now < *c.restart_at) continue;
                c.restart_at.reset();
                ++c.restarts;
                out << "restarting " << c.name << " (restart " << c.restarts << ")" << std::endl;
                if (auto s = spawn_child(c); !s) {
                    err << "up: " << s.error().message << "\n";
                    c.restart_at = now + c.backoff;
                }
                continue;
            }
            auto status = c.proc.try_wait();
            if (status && !*status) continue;
            if (UpSignals::received()) break;  // it got the terminal's Ctrl-C too
            err << "up: " << c.name << " ended (" << (status ? (*status)->to_string() : status.error().message)
                << "), restarting in " << c.backoff.count() / 1000 << " s; log " << c.log.string() << "\n";
            c.restart_at = now + c.backoff;
            c.backoff = std::min<std::chrono::milliseconds>(c.backoff * 2, 30s);
        }
        std::this_thread::sleep_for(100ms);
    }
    if (UpSignals::received()) out << "stopping (signal " << static_cast<int>(g_up_signal) << ")" << std::endl;
    stop_all();
    return code;
}

void add_up_command(CLI::App& app, int& code) {
    auto args = std::make_shared<UpArgs>();
    args->anvil = default_anvil_bin();
    args->poco_package = default_poco_dir();
    args->demo_apps_dir = default_demo_apps_dir();
    CLI::App* cmd = app.add_subcommand(
        "up",
        "the whole workerpool on this machine (chain, market, core + dashboard, workers, demo apps); Ctrl-C stops");
    cmd->add_option("--workers", args->workers, "number of local workers (at most 6)")->capture_default_str();
    cmd->add_option("--data-dir", args->data_dir, "where the chain state, databases, configs and logs live")
        ->capture_default_str();
    cmd->add_option("--port-base", args->port_base, "chain on P, market on P+1, core and dashboard on P+2")
        ->capture_default_str();
    cmd->add_option("--info-file", args->info_file, "write the addresses, URLs and dev keys there once ready");
    cmd->add_option("--block-time", args->block_time,
                    "0: a block per transaction and one per second; 0.1-60: blocks on that interval only (a "
                    "long-lived or busy chain: anvil's cost per block grows with PoCo's storage)")
        ->capture_default_str();
    cmd->add_option("--anvil", args->anvil, "anvil binary")->capture_default_str();
    cmd->add_option("--poco-package", args->poco_package, "unpacked @iexec/poco@6.1.0 package")->capture_default_str();
    cmd->add_option("--demo-apps", args->demo_apps_dir, "folder of the built demo app bundles")->capture_default_str();
    CLI::App* root = &app;
    cmd->callback([args, root, &code] {
        auto has = [&](const char* name) {
            try {
                return root->get_subcommand(name) != nullptr;
            } catch (const CLI::Error&) {
                return false;
            }
        };
        args->with_core = has("core");
        args->with_workers = has("worker");
        code = run_up(*args, std::cout, std::cerr);
    });
}

}  // namespace wp::poolcli
