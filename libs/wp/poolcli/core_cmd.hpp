#pragma once
// `iexec-pool core`: the workerpool's scheduler daemon (libs/wp/scheduler, docs/scheduler.md). CLI glue only: the
// settings come from service/settings_cli (--config, --set, WP_CORE_* environment, the flags below mapped to keys),
// the daemon from scheduler::CoreService.
//
//   iexec-pool core [--config FILE] [--set key=value]… [--rpc URL] [--hub ADDRESS] [--workerpool ADDRESS]
//                   [--port P] [--host H] [--db sqlite:FILE|postgresql://…] [--url-file FILE]
//                   [--print-config | --print-sample-config | --describe-config | --validate]
//
// Runs until SIGINT / SIGTERM. Logs its URL once listening and writes it to --url-file when given.
// Exit codes: 0 clean stop, 1 start-up failure, 2 bad settings.

namespace CLI {
class App;
}

namespace wp::poolcli {

//! Adds the `core` subcommand to `app`; its callback stores the exit code in `code`.
void add_core_command(CLI::App& app, int& code);

}  // namespace wp::poolcli
