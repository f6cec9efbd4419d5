#include "devnet_cmd.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <ostream>
#include <thread>

#include <wp/chain/rpc.hpp>
#include <wp/devnet/dev_accounts.hpp>
#include <wp/devnet/devnet.hpp>

#ifndef WP_DEFAULT_ANVIL_BIN
#define WP_DEFAULT_ANVIL_BIN ""
#endif
#ifndef WP_DEFAULT_POCO_DIR
#define WP_DEFAULT_POCO_DIR ""
#endif

namespace wp::poolcli {

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int signal_number) { g_stop_signal = signal_number; }

//! Installs SIGINT / SIGTERM handlers for its lifetime.
class StopSignals {
  public:
    StopSignals() {
        g_stop_signal = 0;
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
    }
    ~StopSignals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;
    static int received() { return static_cast<int>(g_stop_signal); }

  private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value && *value ? std::string(value) : std::string(fallback);
}

void print_addresses(std::ostream& out, const DeploymentInfo& info) {
    out << "chainId            " << info.chain_id << "\n"
        << "rpc                " << info.rpc << "\n"
        << "hub                " << info.hub.to_checksum() << "\n"
        << "token (RLC)        " << info.token.to_checksum() << "\n"
        << "appRegistry        " << info.app_registry.to_checksum() << "\n"
        << "datasetRegistry    " << info.dataset_registry.to_checksum() << "\n"
        << "workerpoolRegistry " << info.workerpool_registry.to_checksum() << "\n";
}

}  // namespace

std::string default_anvil_bin() { return env_or("WP_ANVIL_BIN", WP_DEFAULT_ANVIL_BIN); }
std::string default_poco_dir() { return env_or("WP_POCO_DIR", WP_DEFAULT_POCO_DIR); }

int run_deploy_poco(const DeployPocoArgs& args, std::ostream& out, std::ostream& err) {
    const std::string key_hex =
        args.deployer_key.empty() ? std::string(devnet::dev_private_key_hex(0)) : args.deployer_key;
    auto key = PrivateKey::from_hex(key_hex);
    if (!key) {
        err << "deploy-poco: invalid --deployer-key: " << key.error().message << "\n";
        return 1;
    }
    auto artifacts = load_poco_artifacts(args.poco_package);
    if (!artifacts) {
        err << "deploy-poco: PoCo package " << args.poco_package << ": " << artifacts.error().message << "\n";
        return 1;
    }
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = args.rpc;
    chain::JsonRpcClient rpc(rpc_options);
    auto deployment =
        devnet::deploy_poco(rpc, *artifacts, *key, {}, [&](std::string_view line) { out << line << std::endl; });
    if (!deployment) {
        err << "deploy-poco: " << deployment.error().message << "\n";
        return 1;
    }
    DeploymentInfo info = deployment->info;
    info.accounts = {DeploymentAccount{key->address(), key->secret()}};
    out << "PoCo deployed in " << deployment->elapsed.count() << " ms (" << deployment->gas_used << " gas)\n";
    print_addresses(out, info);
    if (!args.info_file.empty()) {
        if (auto written = devnet::write_file_atomically(args.info_file, to_json_text(info)); !written) {
            err << "deploy-poco: " << written.error().message << "\n";
            return 1;
        }
        out << "info file          " << args.info_file << "\n";
    }
    out.flush();
    return 0;
}

int run_devnet(const DevnetArgs& args, std::ostream& out, std::ostream& err) {
    StopSignals signals;
    devnet::DevnetOptions options;
    options.anvil.binary = args.anvil;
    options.anvil.port = args.port;
    options.anvil.data_dir = args.data_dir;
    options.anvil.extra_args = args.anvil_args;
    options.poco_dir = args.poco_package;
    options.state_file = args.state_file;
    if (options.anvil.binary.empty()) {
        err << "devnet: no anvil binary (--anvil or WP_ANVIL_BIN; scripts/install-deps.sh installs one)\n";
        return 1;
    }
    auto devnet = devnet::start_devnet(options, [&](std::string_view line) { out << line << std::endl; });
    if (!devnet) {
        err << "devnet: " << devnet.error().message << "\n";
        return 1;
    }
    if (StopSignals::received() != 0) {
        out << "interrupted: stopping anvil" << std::endl;
        auto status = devnet->node.stop();
        return status ? 130 : 1;
    }
    if (!devnet->resumed)
        out << "PoCo deployed in " << devnet->deploy_time.count() << " ms (" << devnet->deployment.gas_used
            << " gas); accounts 1-9 funded in " << devnet->fund_time.count() << " ms\n";
    print_addresses(out, devnet->info);
    out << "accounts (public test keys, never use them elsewhere):\n";
    for (std::size_t i = 0; i < devnet->info.accounts.size(); ++i) {
        out << "  " << i << " " << devnet->info.accounts[i].address.to_checksum() << " "
            << devnet::dev_private_key_hex(i) << "\n";
    }
    out << "chain.json:\n" << devnet::sdk_chain_json(devnet->info.chain_id, devnet->info.rpc, devnet->info.hub);
    if (!args.info_file.empty()) {
        if (auto written = devnet::write_file_atomically(args.info_file, to_json_text(devnet->info)); !written) {
            err << "devnet: " << written.error().message << "\n";
            return 1;
        }
        out << "info file: " << args.info_file << "\n";
    }
    out << "devnet ready on " << devnet->info.rpc << " (Ctrl-C to stop)" << std::endl;

    int code = 0;
    while (StopSignals::received() == 0) {
        auto ended = devnet->node.process().try_wait();
        if (!ended || *ended) {
            err << "devnet: anvil stopped unexpectedly (" << (ended ? (*ended)->to_string() : ended.error().message)
                << ")\n";
            code = 1;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (code == 0) {
        out << "stopping anvil (signal " << StopSignals::received() << ")" << std::endl;
        auto status = devnet->node.stop();
        if (!status) {
            err << "devnet: stopping anvil: " << status.error().message << "\n";
            return 1;
        }
        out << "anvil stopped (" << status->to_string() << ")" << std::endl;
    }
    return code;
}

}  // namespace wp::poolcli
