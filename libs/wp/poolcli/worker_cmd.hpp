#pragma once
// `iexec-pool worker`: a workerpool worker (libs/wp/worker, docs/worker.md). CLI glue only: the settings come from
// service/settings_cli (--config, --set, WP_WORKER_* environment, the flags below mapped to keys; keys in
// worker/worker_settings.hpp), the daemon is worker::WorkerAgent over a SchedulerSession, a ReplicateRunner and a
// PocoChainPort (TxManager journal in the work folder).
//
//   iexec-pool worker --config FILE [--scheduler URL] [--rpc URL] [--hub ADDRESS] [--keystore FILE]
//                     [--password-file FILE] [--slots N] [--work-dir DIR] [--runtime sandbox|docker]
//                     [--set key=value]… [--print-config | --print-sample-config | --describe-config | --validate]
//
// SIGTERM / SIGINT: drain (no new replicate; held ones finish within worker.drainTimeout, then are handed back);
// a second signal hands back at once. Exit codes: 0 clean stop, 1 start-up failure, 2 bad settings.

namespace CLI {
class App;
}

namespace wp::poolcli {

//! Adds the `worker` subcommand to `app`; its callback stores the exit code in `code`.
void add_worker_command(CLI::App& app, int& code);

}  // namespace wp::poolcli
