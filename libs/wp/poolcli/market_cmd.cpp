#include "market_cmd.hpp"

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include <wp/market/market_service.hpp>
#include <wp/market/market_settings.hpp>
#include <wp/service/lifecycle.hpp>
#include <wp/service/log_settings.hpp>
#include <wp/service/logging.hpp>
#include <wp/service/settings_cli.hpp>

namespace wp::poolcli {
namespace {

int run_market(const service::SettingsCommandLine& cl) {
    auto outcome = service::resolve_settings(market::market_settings_schema(), cl, service::process_environment());
    if (outcome.exit_code) {
        (*outcome.exit_code == 0 ? std::cout : std::cerr) << outcome.output;
        return *outcome.exit_code;
    }
    const service::Settings& settings = *outcome.settings;
    if (auto logs = service::setup_logging(service::log_options(settings, "market")); !logs) {
        std::cerr << "iexec-pool market: " << logs.error().message << "\n";
        return 2;
    }
    if (auto secrets = service::register_secret_settings(settings); !secrets) {
        std::cerr << "iexec-pool market: " << secrets.error().message << "\n";
        return 2;
    }
    auto config = market::market_config(settings);
    if (!config) {
        std::cerr << "iexec-pool market: " << config.error().message << "\n";
        return 2;
    }
    // Signals go to the watcher's thread only: block them before any other thread exists.
    if (auto blocked = service::SignalWatcher::block_in_this_thread(); !blocked) {
        std::cerr << "iexec-pool market: " << blocked.error().message << "\n";
        return 1;
    }
    auto market = market::MarketService::open(*config);
    if (!market) {
        service::log_error("market: cannot start", {{"error", market.error().message}});
        std::cerr << "iexec-pool market: " << market.error().message << "\n";
        return 1;
    }
    service::ComponentRunner runner;
    (*market)->attach(runner);
    for (auto* component : (*market)->components()) runner.add(*component);
    service::SignalWatcher signals;
    if (auto started = signals.start([&](int, unsigned) { runner.request_stop(); }); !started) {
        std::cerr << "iexec-pool market: " << started.error().message << "\n";
        return 1;
    }
    auto ran = runner.run();
    signals.stop();
    if (!ran) {
        service::log_error("market: start-up failed", {{"error", ran.error().message}});
        std::cerr << "iexec-pool market: " << ran.error().message << "\n";
        return 1;
    }
    service::log_info("market: stopped");
    service::flush_logs();
    return 0;
}

}  // namespace

void add_market_command(CLI::App& app, int& code) {
    auto cl = std::make_shared<service::SettingsCommandLine>();
    CLI::App* cmd = app.add_subcommand(
        "market", "run the orderbook server (iexec-market-api 7.1.2 compatible) for a PoCo hub; Ctrl-C stops it");
    service::add_settings_options(*cmd, *cl);
    service::map_flag(*cmd, *cl, "--rpc", "market.chain.rpc", "JSON-RPC URL of the chain");
    service::map_flag(*cmd, *cl, "--hub", "market.chain.hub", "PoCo hub address");
    service::map_flag(*cmd, *cl, "--port", "market.listen.port", "HTTP port (default 3000; 0: a free port)");
    service::map_flag(*cmd, *cl, "--host", "market.listen.host", "bind address (default 127.0.0.1)");
    service::map_flag(*cmd, *cl, "--db", "market.db", "sqlite:FILE (default sqlite:market.db) or postgresql://…");
    service::map_flag(*cmd, *cl, "--url-file", "market.listen.urlFile", "write the URL there once ready");
    service::map_flag(*cmd, *cl, "--start-block", "market.chain.startBlock",
                      "first block to index (the hub's deployment block; default 0)");
    cmd->callback([cl, &code] { code = run_market(*cl); });
}

}  // namespace wp::poolcli
