#pragma once
// `iexec-pool market`: the orderbook server (libs/wp/market, docs/market.md). CLI glue only: the settings come from
// service/settings_cli (--config, --set, WP_MARKET_* environment, the flags below mapped to keys), the daemon from
// market::MarketService.
//
//   iexec-pool market --rpc URL --hub ADDRESS [--port P] [--host H] [--db sqlite:FILE|postgresql://…]
//                     [--url-file FILE] [--start-block N] [--config FILE] [--set key=value]…
//                     [--print-config | --print-sample-config | --describe-config | --validate]
//
// Runs until SIGINT / SIGTERM (a second signal stops at once). Exit codes: 0 clean stop, 1 start-up failure,
// 2 bad settings.

namespace CLI {
class App;
}

namespace wp::poolcli {

//! Adds the `market` subcommand to `app`; its callback stores the exit code in `code`.
void add_market_command(CLI::App& app, int& code);

}  // namespace wp::poolcli
