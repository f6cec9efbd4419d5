#include "iexec_cli.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "parse.hpp"
#include "version.hpp"

namespace wp::cli {

int run_iexec(int argc, const char* const* argv, const Environment& environment) {
    CLI::App app{"iexec: the iExec workerpool and marketplace command line", "iexec"};
    app.require_subcommand(1);
    app.set_version_flag("-V,--version", version());

    int exit_code = 0;
    Registry registry(environment, exit_code);
    auto group = [&](const char* name, const char* description) {
        CLI::App* g = app.add_subcommand(name, description);
        g->require_subcommand(1);
        return g;
    };
    Groups groups{};
    groups.root = &app;
    groups.wallet = group("wallet", "manage your wallet: create, import, show, send-ether, send-RLC, sweep");
    groups.account = group("account", "manage your iExec account: deposit, withdraw, show, approve, allowance, revoke");
    groups.workerpool = group("workerpool", "manage your workerpools");
    groups.app = group("app", "manage your apps");
    groups.dataset = group("dataset", "manage your datasets");
    groups.category = group("category", "show and create categories");
    groups.deal = group("deal", "show and claim deals");
    groups.task = group("task", "show and claim tasks");
    groups.order = group("order", "manage your orders");
    groups.orderbook = group("orderbook", "show the market's orderbooks");
    groups.utils = group("utils", "low-level helpers: hashes, signatures, orders, transactions, ABI");
    groups.storage = group("storage", "manage your remote storage (needs the SMS)");
    groups.result = group("result", "manage your results encryption (needs the SMS)");
    groups.requester = group("requester", "manage your requester secrets (needs the SMS)");

    add_init_commands(registry, groups);
    add_wallet_commands(registry, groups);
    add_account_commands(registry, groups);
    add_workerpool_commands(registry, groups);
    add_category_commands(registry, groups);
    add_deal_commands(registry, groups);
    add_app_commands(registry, groups);
    add_dataset_commands(registry, groups);
    add_secrets_commands(registry, groups);
    add_utils_commands(registry, groups);
    add_order_commands(registry, groups);
    add_orderbook_commands(registry, groups);
    add_app_run_command(registry, groups);

    if (auto done = parse_or_exit(app, argc, argv, *environment.out, *environment.err)) return *done;
    return exit_code;
}

int run_iexec(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    Environment env = process_environment();
    env.out = &out;
    env.err = &err;
    return run_iexec(argc, argv, env);
}

int run_iexec(int argc, char** argv) { return run_iexec(argc, argv, std::cout, std::cerr); }

}  // namespace wp::cli
