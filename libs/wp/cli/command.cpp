#include "command.hpp"

namespace wp::cli {
namespace {

std::string full_name(const CLI::App* app) {
    std::string name = app->get_name();
    for (const CLI::App* p = app->get_parent(); p != nullptr; p = p->get_parent()) name = p->get_name() + " " + name;
    return name;
}

}  // namespace

CLI::App* Registry::leaf(CLI::App* parent, const std::string& name, const std::string& description, unsigned options) {
    CLI::App* cmd = parent->add_subcommand(name, description);
    cmd->add_flag("--raw", options_.raw, "print one line of JSON");
    cmd->add_flag("--quiet", options_.quiet, "accepted for compatibility (no update check)");
    if ((options & kChainOption) != 0) cmd->add_option("--chain", options_.chain, "chain name or id from chain.json");
    if ((options & kWalletOptions) != 0) {
        cmd->add_option("--wallet-file", options_.wallet_file, "wallet file name in the keystore directory");
        cmd->add_option("--wallet-address", options_.wallet_address, "use the wallet file of this address");
        cmd->add_option("--keystoredir", options_.keystoredir, "global | local | <path> (default: global)");
        cmd->add_option("--password", options_.password, "password of the wallet (unsafe: prefer the prompt)");
    }
    if ((options & kForceOption) != 0) cmd->add_flag("--force", options_.force, "do not ask for confirmation");
    if ((options & kTxOptions) != 0)
        cmd->add_option("--confirms", options_.confirms, "blocks to wait for after the transaction is mined")
            ->check(CLI::PositiveNumber);
    return cmd;
}

void Registry::action(CLI::App* leaf, std::function<Result<Reply>(Context&)> fn) {
    leaf->callback([this, leaf, fn = std::move(fn)] {
        Context ctx(options_, environment_, full_name(leaf));
        auto result = fn(ctx);
        exit_code_ = result ? ctx.printer().success(*result) : ctx.printer().failure(ctx.command(), result.error());
    });
}

void Registry::action_with_exit(CLI::App* leaf, std::function<Result<int>(Context&)> fn) {
    leaf->callback([this, leaf, fn = std::move(fn)] {
        Context ctx(options_, environment_, full_name(leaf));
        auto result = fn(ctx);
        exit_code_ = result ? *result : ctx.printer().failure(ctx.command(), result.error());
    });
}

}  // namespace wp::cli
