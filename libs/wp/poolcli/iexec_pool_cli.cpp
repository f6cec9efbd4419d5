#include "iexec_pool_cli.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include <wp/cli/parse.hpp>
#include <wp/cli/version.hpp>

#include "core_cmd.hpp"
#include "devnet_cmd.hpp"
#include "market_cmd.hpp"
#include "up_cmd.hpp"
#include "worker_cmd.hpp"

namespace wp::poolcli {

int run_iexec_pool(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"iexec-pool: run an iExec workerpool (chain, market, scheduler, workers, dashboard)", "iexec-pool"};
    app.set_version_flag("-V,--version", cli::version());
    app.require_subcommand(0, 1);
    int code = 0;

    DeployPocoArgs deploy;
    deploy.poco_package = default_poco_dir();
    CLI::App* deploy_cmd =
        app.add_subcommand("deploy-poco", "deploy PoCo v6.1.0 (token mode) on a chain with deterministic addresses");
    deploy_cmd->add_option("--rpc", deploy.rpc, "JSON-RPC URL")->required();
    deploy_cmd->add_option("--poco-package", deploy.poco_package, "unpacked @iexec/poco@6.1.0 package")
        ->required(deploy.poco_package.empty());
    deploy_cmd->add_option("--deployer-key", deploy.deployer_key, "deployer private key (default: anvil account 0)");
    deploy_cmd->add_option("--info-file", deploy.info_file, "write the deployment info JSON there");
    deploy_cmd->callback([&] { code = run_deploy_poco(deploy, out, err); });

    // `devnet` (anvil automines: one block per transaction) and `chain` (the chain of `up` as its own process: a
    // block per transaction and one per second, so daemons waiting for confirmations never wait forever).
    DevnetArgs chains[2];
    const char* names[2] = {"devnet", "chain"};
    const char* descriptions[2] = {
        "start anvil on 127.0.0.1, deploy PoCo, fund the dev accounts; Ctrl-C stops it",
        "the local chain of `up` as its own process: devnet mining a block per transaction and one per second "
        "(--block-time 1 --mixed-mining); Ctrl-C stops it"};
    chains[1].anvil_args = up_chain_anvil_args();
    for (int i = 0; i < 2; ++i) {
        DevnetArgs& devnet = chains[i];
        devnet.anvil = default_anvil_bin();
        devnet.poco_package = default_poco_dir();
        CLI::App* devnet_cmd = app.add_subcommand(names[i], descriptions[i]);
        devnet_cmd->add_option("--port", devnet.port, "RPC port")->capture_default_str();
        devnet_cmd->add_option("--data-dir", devnet.data_dir, "directory for anvil.log");
        devnet_cmd->add_option("--info-file", devnet.info_file, "write the deployment info JSON there");
        devnet_cmd->add_option("--state", devnet.state_file,
                               "keep the chain in this file: loaded at start when it exists (no new deployment), "
                               "saved every 5 s and on Ctrl-C");
        devnet_cmd->add_option("--anvil", devnet.anvil, "anvil binary")->required(devnet.anvil.empty());
        devnet_cmd->add_option("--poco-package", devnet.poco_package, "unpacked @iexec/poco@6.1.0 package")
            ->required(devnet.poco_package.empty());
        devnet_cmd->callback([&code, &devnet, &out, &err] { code = run_devnet(devnet, out, err); });
    }

    add_market_command(app, code);
    add_core_command(app, code);
    add_worker_command(app, code);
    add_up_command(app, code);  // last: it looks for the core and worker commands

    // A command line that does not parse (unknown option, a value of the wrong type) is a bad argument: exit 2, as
    // the commands' own checks of their values (parse_or_exit answers 1, the SDK's code, for the `iexec` CLI).
    if (auto done = cli::parse_or_exit(app, argc, argv, out, err)) return *done == 0 ? 0 : 2;
    if (app.get_subcommands().empty()) {
        out << app.help();
    }
    return code;
}

int run_iexec_pool(int argc, char** argv) { return run_iexec_pool(argc, argv, std::cout, std::cerr); }

}  // namespace wp::poolcli
