#pragma once
// `iexec-pool up`: the whole workerpool on one machine, supervised from one command (issue 12).
//
//   iexec-pool up [--workers N] [--data-dir DIR] [--port-base P] [--info-file FILE]
//
// What runs (ports from P, default 8545):
//   chain    anvil on 127.0.0.1:P with the real PoCo 6.1.0 (libs/wp/devnet), run by `up` itself; its state is kept
//            in DIR/chain-state.json (saved every 5 s and on stop), so a second run resumes the same chain;
//   market   `iexec-pool market --config DIR/market.json` on P+1 (SQLite DIR/market.db);
//   core     `iexec-pool core --config DIR/core.json` on P+2 (the dashboard at /dashboard/), when this binary has
//            the `core` command;
//   workers  N x `iexec-pool worker --config DIR/worker-<i>.json` (TEE simulation enabled, labelled as such), when
//            this binary has the `worker` command.
// Every service is a child process of the same binary with a generated config file in DIR (the same format as when
// it runs on its own), its output in DIR/logs/<name>.log (the previous start's in <name>.log.previous; every start
// is recorded in DIR/logs/up.log). A child that ends on its own is restarted (back-off 1 s,
// doubling up to 30 s). SIGINT / SIGTERM stop the services in reverse order (SIGTERM, 10 s grace, SIGKILL), then
// the chain (which saves its state).
//
// The chain never leaves anyone waiting for a block that does not come: anvil runs with --block-time 1
// --mixed-mining (a block for each transaction AND one every second), so a confirmation depth > 0 and ethers'
// tx.wait() (whose block watcher may start after the transaction's block) both complete; on top of that the
// daemons `up` configures read the local chain at confirmation depth 0 (no reorg on a local chain). `--block-time S`
// mines a block every S seconds instead (and no block per transaction): see UpArgs::block_time.
//
// First run only (recorded in DIR/up.json, read back on the next runs: no redeploy): dev account 1 creates the
// workerpool, dev account 2 deploys the demo apps (echo, dir, callback, cpu: sandbox bundles, multiaddr
// file://DIR/apps/<name>.tar.gz, checksum = the bundle's sha256); dev account 3 is the requester; dev accounts 4..
// 3+N are the workers (all funded with RLC and an escrow deposit by the devnet, so N <= 6).
// When everything is ready `up` prints the URLs, DIR/chain.json and the next command to try, and writes the info
// file (--info-file): one JSON object with chainId, rpc, hub, token, market, core, dashboard, workerpool,
// workerpoolOwner, appOwner, requester ({"address","privateKey"}: public dev keys of the local chain only),
// workers (addresses), apps (name -> address), chainJson (path).
//
// Exit codes: 0 after a clean stop, 1 when a step of the start fails (the message names the step), 2 bad arguments.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace wp::poolcli {

struct UpArgs {
    unsigned workers{4};
    std::string data_dir{".iexec-pool"};
    std::uint16_t port_base{8545};
    std::string info_file;      //!< empty: none
    std::string anvil;          //!< anvil binary
    std::string poco_package;   //!< unpacked @iexec/poco@6.1.0
    std::string demo_apps_dir;  //!< the built bundles (<name>.tar.gz + .sha256)
    //! 0: a block per transaction and one every second (anvil --block-time 1 --mixed-mining). > 0: blocks on this
    //! interval only (0.1-60 s), many transactions per block: anvil recomputes the storage root of every account a
    //! block touches from all of its slots, and PoCo's storage grows with every task, so on a long-lived or busy devnet
    //! a block per transaction costs more and more CPU (README "A long-lived local chain").
    double block_time{0};
    std::string self;          //!< this binary (children are `self market|core|worker …`); empty: /proc/self/exe
    bool with_core{false};     //!< start `iexec-pool core` (set when the binary has the command)
    bool with_workers{false};  //!< start `iexec-pool worker` (same)
};

//! The anvil arguments `up` adds for its chain: {"--block-time", "1", "--mixed-mining"} for block_time 0, else
//! {"--block-time", "<block_time>"} (interval mining only; see UpArgs::block_time).
std::vector<std::string> up_chain_anvil_args(double block_time = 0);

//! The demo apps `up` deploys, in order.
std::vector<std::string> demo_app_names();

//! The default demo bundles folder: $WP_DEMO_APPS_DIR, else the build's demo-apps folder.
std::string default_demo_apps_dir();

//! Runs `up` until SIGINT / SIGTERM (see above). Returns the exit code.
int run_up(const UpArgs& args, std::ostream& out, std::ostream& err);

//! Adds the `up` subcommand to `app`; its callback stores the exit code in `code`. Register it last: it looks for
//! the `core` and `worker` commands of the same app when it runs.
void add_up_command(CLI::App& app, int& code);

}  // namespace wp::poolcli
