#include "worker_cmd.hpp"

#include <condition_variable>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/head_watcher.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/chain/rpc_metrics.hpp>
#include <wp/chain/tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/crypto/keystore.hpp>
#include <wp/service/lifecycle.hpp>
#include <wp/service/log_settings.hpp>
#include <wp/service/logging.hpp>
#include <wp/service/settings_cli.hpp>
#include <wp/worker/agent.hpp>
#include <wp/worker/chain_port.hpp>
#include <wp/worker/docker_runtime.hpp>
#include <wp/worker/sandbox_runtime.hpp>
#include <wp/worker/worker_settings.hpp>

namespace wp::poolcli {
namespace {

Result<std::string> read_text(const std::filesystem::path& p, std::string_view what) {
    std::ifstream f(p, std::ios::binary);
    if (!f) return make_error(Errc::kIo, std::string(what) + ": cannot read " + p.string());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

//! The worker's metrics as a Prometheus text file, <workDir>/metrics.prom (the node_exporter textfile-collector
//! pattern: the worker serves no HTTP), rewritten atomically every `period` and once more at stop().
class MetricsFile {
  public:
    MetricsFile(std::filesystem::path path, std::function<void(net::MetricsRegistry&)> fill)
        : path_(std::move(path)), fill_(std::move(fill)) {}
    ~MetricsFile() {
        if (thread_.joinable()) stop();
    }
    MetricsFile(const MetricsFile&) = delete;
    MetricsFile& operator=(const MetricsFile&) = delete;
    void start(std::chrono::milliseconds period) {
        thread_ = std::thread([this, period] {
            std::unique_lock lock(mutex_);
            while (!cv_.wait_for(lock, period, [this] { return stop_; })) write();
        });
    }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
        write();
    }

  private:
    void write() {
        fill_(registry_);
        const auto tmp = path_.string() + ".tmp";
        {
            std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
            f << registry_.render();
            if (!f) return;
        }
        std::error_code ec;
        std::filesystem::rename(tmp, path_, ec);
    }
    std::filesystem::path path_;
    std::function<void(net::MetricsRegistry&)> fill_;
    net::MetricsRegistry registry_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_{false};
    std::thread thread_;
};

int fail(int code, const std::string& message) {
    std::cerr << "iexec-pool worker: " << message << "\n";
    return code;
}

int run_worker(const service::SettingsCommandLine& cl) {
    // --validate goes further than the schema: the cross-key rules and the wallet (keystore decrypted with the
    // password file) are checked too.
    service::SettingsCommandLine effective = cl;
    const bool validate_only = effective.validate;
    effective.validate = false;
    auto outcome =
        service::resolve_settings(worker::worker_settings_schema(), effective, service::process_environment());
    if (outcome.exit_code) {
        (*outcome.exit_code == 0 ? std::cout : std::cerr) << outcome.output;
        return *outcome.exit_code;
    }
    const service::Settings& settings = *outcome.settings;
    auto config = worker::worker_config(settings);
    if (!config) return fail(2, config.error().message);

    auto keystore = read_text(config->keystore, "worker.wallet.keystore");
    if (!keystore) return fail(2, keystore.error().message);
    auto password = read_text(config->password_file, "worker.wallet.passwordFile");
    if (!password) return fail(2, password.error().message);
    if (auto nl = password->find_first_of("\r\n"); nl != std::string::npos) password->resize(nl);
    auto wallet = keystore_decrypt(*keystore, *password);
    if (!wallet) return fail(2, "worker.wallet.keystore: " + wallet.error().message);
    if (validate_only) {
        std::cout << "config OK (wallet " << wallet->address().to_checksum() << ")\n";
        return 0;
    }
    if (auto logs = service::setup_logging(service::log_options(settings, "worker")); !logs)
        return fail(2, logs.error().message);

    if (auto blocked = service::SignalWatcher::block_in_this_thread(); !blocked)
        return fail(1, blocked.error().message);

    std::error_code ec;
    std::filesystem::create_directories(config->work_dir, ec);
    if (ec) return fail(1, "worker.workDir: " + config->work_dir.string() + ": " + ec.message());

    chain::JsonRpcOptions rpc_options;
    rpc_options.url = config->chain_rpc;
    chain::JsonRpcClient rpc(rpc_options);
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, config->hub);
    auto journal = chain::FileTxJournal::open(config->work_dir / "tx-journal");
    if (!journal) return fail(1, "transaction journal: " + journal.error().message);
    if (config->has_faults()) {
        // Fault injection exists for the devnet proofs (tests/pool); never on a real chain.
        auto chain_id = eth.chain_id();
        if (!chain_id) return fail(1, "chain: " + chain_id.error().message);
        if (*chain_id != 31337 && *chain_id != 65535)
            return fail(2, "worker.testing.faults.*: refused on chain " + std::to_string(*chain_id) +
                               " (fault injection is for dev chains only: 31337, 65535)");
        service::log_warn("worker: FAULT INJECTION ENABLED (testing only): this worker misbehaves on purpose",
                          {{"wrongResult", config->fault_wrong_result ? "true" : "false"},
                           {"skipReveal", config->fault_skip_reveal ? "true" : "false"},
                           {"chainId", std::to_string(*chain_id)}});
    }
    auto tx = chain::TxManager::open(rpc, *wallet, std::shared_ptr<chain::TxJournal>(std::move(*journal)));
    if (!tx) return fail(1, "chain: " + tx.error().message);
    worker::PocoChainPortOptions port_options;
    port_options.contribute_gas = config->gas_contribute;
    port_options.reveal_gas = config->gas_reveal;
    port_options.contribute_and_finalize_gas = config->gas_contribute_and_finalize;
    worker::PocoChainPort chain_port(hub, **tx, port_options);
    // New blocks wake the TxManager's receipt waits (one subscription for all the worker's tasks); polling every
    // 100 ms while there is none.
    std::unique_ptr<chain::HeadWatcher> heads;
    if (auto ws = chain::HeadWatcher::ws_url_for(config->chain_rpc); config->new_heads && ws) {
        chain::TxManager* txm = tx->get();
        heads = std::make_unique<chain::HeadWatcher>(
            chain::HeadWatcherOptions{.url = *ws}, [txm] { txm->notify_new_head(); },
            [txm, url = *ws](bool live, const std::string& reason) {
                txm->set_heads_live(live);
                if (live) service::log_info("worker: new blocks seen by an eth_subscribe(newHeads)", {{"url", url}});
                else
                    service::log_info("worker: no newHeads subscription (polling for receipts)",
                                      {{"url", url}, {"reason", reason}});
            });
        heads->start();
    }

    std::shared_ptr<worker::AppRuntime> runtime;
    if (config->runtime == "docker") {
        worker::DockerRuntimeOptions o;
        o.socket_path = config->docker_socket;
        runtime = std::make_shared<worker::DockerRuntime>(o);
    } else {
        runtime = std::make_shared<worker::SandboxRuntime>();
    }
    worker::RunnerOptions ro;
    ro.work_dir = config->work_dir / "replicates";
    ro.disk_quota_bytes = config->disk_quota_bytes;
    worker::ReplicateRunner runner(ro, wallet->address(), runtime);

    worker::SessionOptions so;
    so.scheduler_url = config->scheduler_url;
    so.websocket = config->websocket;
    worker::SchedulerSession session(so, *wallet);

    worker::AgentOptions ao;
    ao.registration = config->registration();
    ao.memory_bytes_per_task = config->memory_bytes / config->cpu_slots;
    ao.max_output_bytes = config->max_output_bytes;
    ao.image_apps = config->runtime == "docker";
    ao.drain_timeout = config->drain_timeout;
    ao.faults.wrong_result = config->fault_wrong_result;
    ao.faults.skip_reveal = config->fault_skip_reveal;
    worker::WorkerAgent agent(session, runner, chain_port, ao);

    service::log_info("worker: starting", {{"wallet", wallet->address().to_checksum()},
                                           {"scheduler", config->scheduler_url},
                                           {"runtime", runtime->name()}});
    if (auto started = agent.start(); !started) {
        service::log_error("worker: cannot start", {{"error", started.error().message}});
        return fail(1, started.error().message);
    }
    MetricsFile metrics(config->work_dir / "metrics.prom", [&](net::MetricsRegistry& m) {
        chain::export_rpc_counts(chain::process_rpc_counts(), m);
        const auto st = (*tx)->stats();
        m.gauge("wp_worker_tx_rounds", "transaction manager rounds").set(static_cast<double>(st.rounds));
        m.gauge("wp_worker_head_probes", "receipt probes after a new head").set(static_cast<double>(st.head_probes));
        m.gauge("wp_worker_heads", "new heads seen").set(heads ? static_cast<double>(heads->heads()) : 0.0);
        m.gauge("wp_worker_replicates_active", "replicates held").set(static_cast<double>(agent.active()));
    });
    metrics.start(std::chrono::seconds(5));
    service::SignalWatcher signals;
    auto started = signals.start([&](int, unsigned count) { agent.stop(/*drain=*/count == 1); });
    if (!started) return fail(1, started.error().message);
    agent.run();
    signals.stop();
    metrics.stop();
    if (heads) heads->stop();
    service::log_info("worker: stopped");
    service::flush_logs();
    return 0;
}

}  // namespace

void add_worker_command(CLI::App& app, int& code) {
    auto cl = std::make_shared<service::SettingsCommandLine>();
    CLI::App* cmd = app.add_subcommand(
        "worker", "run a worker: takes tasks from the core scheduler, runs the apps, contributes and reveals");
    service::add_settings_options(*cmd, *cl);
    service::map_flag(*cmd, *cl, "--scheduler", "worker.scheduler.url", "base URL of the core scheduler");
    service::map_flag(*cmd, *cl, "--rpc", "worker.chain.rpc", "JSON-RPC URL of the chain");
    service::map_flag(*cmd, *cl, "--hub", "worker.chain.hub", "PoCo hub address");
    service::map_flag(*cmd, *cl, "--keystore", "worker.wallet.keystore", "v3 keystore of the worker's wallet");
    service::map_flag(*cmd, *cl, "--password-file", "worker.wallet.passwordFile", "file with the keystore password");
    service::map_flag(*cmd, *cl, "--slots", "worker.capacity.cpuSlots", "replicates run at once (default 1)");
    service::map_flag(*cmd, *cl, "--work-dir", "worker.workDir", "work folder (default worker-data)");
    service::map_flag(*cmd, *cl, "--runtime", "worker.runtime", "sandbox (default) or docker");
    cmd->callback([cl, &code] { code = run_worker(*cl); });
}

}  // namespace wp::poolcli
