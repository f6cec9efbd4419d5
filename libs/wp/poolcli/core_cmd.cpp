#include "core_cmd.hpp"

#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include <wp/scheduler/core_service.hpp>
#include <wp/scheduler/core_settings.hpp>
#include <wp/service/lifecycle.hpp>
#include <wp/service/log_settings.hpp>
#include <wp/service/logging.hpp>
#include <wp/service/settings_cli.hpp>

namespace wp::poolcli {
namespace {

int run_core(const service::SettingsCommandLine& cl, const std::string& url_file) {
    auto outcome = service::resolve_settings(scheduler::core_settings_schema(), cl, service::process_environment());
    if (outcome.exit_code) {
        (*outcome.exit_code == 0 ? std::cout : std::cerr) << outcome.output;
        return *outcome.exit_code;
    }
    const service::Settings& settings = *outcome.settings;
    if (auto logs = service::setup_logging(service::log_options(settings, "core")); !logs) {
        std::cerr << "iexec-pool core: " << logs.error().message << "\n";
        return 2;
    }
    if (auto secrets = service::register_secret_settings(settings); !secrets) {
        std::cerr << "iexec-pool core: " << secrets.error().message << "\n";
        return 2;
    }
    auto config = scheduler::core_config(settings);
    if (!config) {
        std::cerr << "iexec-pool core: " << config.error().message << "\n";
        return 2;
    }
    if (auto blocked = service::SignalWatcher::block_in_this_thread(); !blocked) {
        std::cerr << "iexec-pool core: " << blocked.error().message << "\n";
        return 1;
    }
    auto core = scheduler::CoreService::open(*config, url_file);
    if (!core) {
        service::log_error("core: cannot start", {{"error", core.error().message}});
        std::cerr << "iexec-pool core: " << core.error().message << "\n";
        return 1;
    }
    service::ComponentRunner runner;
    (*core)->attach(runner);
    for (auto* component : (*core)->components()) runner.add(*component);
    service::SignalWatcher signals;
    if (auto started = signals.start([&](int, unsigned) { runner.request_stop(); }); !started) {
        std::cerr << "iexec-pool core: " << started.error().message << "\n";
        return 1;
    }
    auto ran = runner.run();
    signals.stop();
    if (!ran) {
        service::log_error("core: start-up failed", {{"error", ran.error().message}});
        std::cerr << "iexec-pool core: " << ran.error().message << "\n";
        return 1;
    }
    service::log_info("core: stopped");
    service::flush_logs();
    return 0;
}

}  // namespace

void add_core_command(CLI::App& app, int& code) {
    auto cl = std::make_shared<service::SettingsCommandLine>();
    auto url_file = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "core", "run the workerpool scheduler (worker API, deal intake, on-chain intents, results, dashboard)");
    service::add_settings_options(*cmd, *cl);
    service::map_flag(*cmd, *cl, "--rpc", "core.chain.rpc", "JSON-RPC URL of the chain");
    service::map_flag(*cmd, *cl, "--hub", "core.chain.hub", "PoCo hub address");
    service::map_flag(*cmd, *cl, "--workerpool", "core.workerpool", "the workerpool this core serves");
    service::map_flag(*cmd, *cl, "--port", "core.listen.port", "HTTP port (default 13000; 0: a free port)");
    service::map_flag(*cmd, *cl, "--host", "core.listen.host", "bind address (default 127.0.0.1)");
    service::map_flag(*cmd, *cl, "--db", "core.db", "sqlite:FILE (default sqlite:core.db) or postgresql://…");
    cmd->add_option("--url-file", *url_file, "write the URL there once listening");
    cmd->callback([cl, url_file, &code] { code = run_core(*cl, *url_file); });
}

}  // namespace wp::poolcli
