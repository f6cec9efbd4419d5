#pragma once
// How `iexec` commands are declared. iexec_cli.cpp builds the top-level CLI11 app and its groups (Groups), then
// calls add_<group>_commands(Registry&, Groups&) of each cmd_<group>.cpp. A command file declares its leaves with
// Registry::leaf (which adds the shared options the command takes: OptionSet), keeps its argument variables in
// Registry::keep<T>() (alive until the run ends), and sets the action with Registry::action: the action receives
// the Context of the invocation (context.hpp) and returns a Reply or an Error, printed with the SDK conventions
// (output.hpp). Exactly one leaf runs per invocation.
//
// Not thread-safe; one Registry per invocation.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <wp/core/result.hpp>

#include "context.hpp"
#include "output.hpp"

namespace wp::cli {

//! The shared options a leaf takes (--raw and --quiet: always).
enum OptionSet : unsigned {
    kNoOptions = 0,
    kChainOption = 1u << 0,    //!< --chain
    kWalletOptions = 1u << 1,  //!< --wallet-file, --wallet-address, --keystoredir, --password
    kForceOption = 1u << 2,    //!< --force
    kTxOptions = 1u << 3,      //!< --confirms
    //! A command that signs transactions.
    kTransaction = kChainOption | kWalletOptions | kTxOptions,
};

class Registry {
  public:
    //! `environment` is copied into each Context; `exit_code` receives the result of the leaf that runs.
    Registry(Environment environment, int& exit_code) : environment_(std::move(environment)), exit_code_(exit_code) {}

    //! Adds `name` under `parent` with the options of `options` (OptionSet bits); the full name used in messages
    //! is built from the parents ("iexec wallet show").
    CLI::App* leaf(CLI::App* parent, const std::string& name, const std::string& description, unsigned options);

    //! The action of `leaf`: success → Printer::success, error → Printer::failure (exit 1).
    void action(CLI::App* leaf, std::function<Result<Reply>(Context&)> fn);
    //! An action that prints by itself (e.g. Printer::partial_failure) and returns the exit code; an Error return
    //! is printed with Printer::failure.
    void action_with_exit(CLI::App* leaf, std::function<Result<int>(Context&)> fn);

    //! Storage for a leaf's argument variables (CLI11 binds references to them).
    template <class T>
    T& keep() {
        auto p = std::make_shared<T>();
        T& ref = *p;
        kept_.push_back(std::move(p));
        return ref;
    }

    GlobalOptions& options() { return options_; }
    const Environment& environment() const { return environment_; }

  private:
    GlobalOptions options_;
    Environment environment_;
    int& exit_code_;
    std::vector<std::shared_ptr<void>> kept_;
};

//! The command groups, created by iexec_cli.cpp; every pointer is set.
struct Groups {
    CLI::App* root;
    CLI::App* wallet;
    CLI::App* account;
    CLI::App* workerpool;
    CLI::App* app;
    CLI::App* dataset;
    CLI::App* category;
    CLI::App* deal;
    CLI::App* task;
    CLI::App* order;
    CLI::App* orderbook;
    CLI::App* utils;
    CLI::App* storage;
    CLI::App* result;
    CLI::App* requester;
};

// One per cmd_<group>.cpp. `init` and `info` are leaves of the root.
void add_init_commands(Registry& r, Groups& g);        // cmd_init.cpp: init, info
void add_wallet_commands(Registry& r, Groups& g);      // cmd_wallet.cpp
void add_account_commands(Registry& r, Groups& g);     // cmd_account.cpp
void add_workerpool_commands(Registry& r, Groups& g);  // cmd_workerpool.cpp (resource.hpp for the shared)
void add_category_commands(Registry& r, Groups& g);    // cmd_category.cpp
void add_deal_commands(Registry& r, Groups& g);        // cmd_deal.cpp: deal show|claim, task show|claim
void add_app_commands(Registry& r, Groups& g);         // cmd_app.cpp: app * but run (resource.hpp for the shared)
void add_dataset_commands(Registry& r, Groups& g);     // cmd_dataset.cpp
//! cmd_secrets.cpp: storage init|check, result *, requester *, app push-secret|check-secret (the SMS side).
void add_secrets_commands(Registry& r, Groups& g);
void add_utils_commands(Registry& r, Groups& g);  // cmd_utils.cpp
// The order / market side (sibling-owned files):
void add_order_commands(Registry& r, Groups& g);      // cmd_order.cpp: order *
void add_orderbook_commands(Registry& r, Groups& g);  // cmd_orderbook.cpp
void add_app_run_command(Registry& r, Groups& g);     // cmd_app_run.cpp: app run

}  // namespace wp::cli
