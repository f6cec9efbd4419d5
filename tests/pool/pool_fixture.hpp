#pragma once
// PoolFixture: a workerpool made of REAL processes on a devnet, for end-to-end proofs of `iexec-pool core` and
// `iexec-pool worker` (issues 10 and 11). Built on PocoOrdersFixture (tests/anvil/poco_orders.hpp, poco_fixture.hpp):
// one anvil + the real PoCo 6.1.0 per test process, evm_snapshot / evm_revert around each test.
//
// The chain: the test binary is NOT attached to the shared ctest fixture poco_devnet; its first test starts its own
// devnet in-process (poco_fixture.hpp) with anvil's mining as `iexec-pool up` runs it (--block-time 1 --mixed-mining,
// compile definition WP_POCO_FIXTURE_ANVIL_ARGS): a block per transaction AND one per second, so nothing waits for
// a block that never comes; the core's config has confirmation depth 0. Several ctest entries of the same binary
// (gtest filters) therefore run in parallel, each on its own chain. Deadline tests move the chain's time with
// advance_time() (evm_increaseTime + evm_mine).
//
// Per test (SetUp): a temporary folder (kept and its logs printed when the test fails), a workerpool created by the
// scheduler account (dev account 2) and a port for the core (bind-checked, below the ephemeral range:
// tests/support/test_ports.hpp). Nothing runs until the test asks:
//
//   start_core({{"core.timeouts.lostAfter", "5s"}});   // writes <dir>/core.json, spawns `iexec-pool core --config`,
//                                                       // waits for /ready
//   const std::size_t w = add_worker();                 // next free funded dev account (3, 6, 7, 8, 9): keystore +
//                                                       // password file, <dir>/worker-<w>/ as work dir, config
//                                                       // overrides as for the core; waits until the core lists it
//   const App echo = deploy_demo_app("echo");           // apps/demo bundle by file:// URL, checksum = its sha256
//   const Bytes32 deal = create_deal({.app = echo, .volume = 2, .trust = 3});   // orders signed, matchOrders
//   wait_deal_done(deal, 2, 180s);                      // every task COMPLETED or FAILED on chain (viewTask)
//   kill_worker(w); restart_worker(w); kill_core(); restart_core();
//   dashboard("summary");                               // the core's dashboard API, parsed
//
// Processes: pool_processes.hpp (PoolProcesses, shared with bench/e2e's wp_e2e_bench) launches them; this fixture
// turns its errors into fatal test failures. TearDown stops the workers then the core (SIGTERM, then SIGKILL), prints
// the tail of every log when the test failed, then reverts the chain.
//
// Accounts (poco_fixture.hpp): 1 app owner, 2 scheduler = workerpool owner (the core's wallet), 4 requester; workers
// take 3, 6, 7, 8, 9 in that order (each starts with 100,000 RLC deposited in the hub: its stake).
//
// Thread safety: none; one test thread drives the fixture. Needs the compile definitions WP_ANVIL_BIN, WP_POCO_DIR,
// WP_IEXEC_POOL_BIN, WP_DEMO_APPS_DIR and WP_SOURCE_DIR (tests/pool/CMakeLists.txt).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include <wp/core/address.hpp>
#include <wp/protocol/types.hpp>
#include <wp/sys/process.hpp>

#include "poco_orders.hpp"
#include "pool_processes.hpp"

namespace wp::test {

//! One viewTask per task of a deal.
struct DealTasks {
    std::vector<Task> tasks;
    std::size_t completed{0};
    std::size_t failed{0};
    std::string summary() const;  //!< "3/5 COMPLETED, 1 FAILED, others: ACTIVE REVEALING"
};

class PoolFixture : public PocoOrdersFixture {
  protected:
    void SetUp() override;
    void TearDown() override;

    // ---- the core --------------------------------------------------------------------------------------------------

    //! Writes <dir>/core.json (chain rpc / hub, confirmations 0, startBlock = the head at SetUp, pollInterval
    //! 200ms, the workerpool, the scheduler account's key, sqlite:<dir>/core.db, 127.0.0.1:<port>, results in
    //! <dir>/results, heartbeat 1s) with `overrides` applied, starts the core and waits (60 s) for GET /ready = 200.
    //! Fails the test (fatal) otherwise, with the log's tail.
    void start_core(const ConfigOverrides& overrides = {});
    //! Signal (default SIGKILL) and reap the core.
    void kill_core(int signal_number = SIGKILL);
    //! Starts the core again on the same config, database and port; waits for /ready.
    void restart_core();
    //! "http://127.0.0.1:<port>".
    std::string core_url() const;
    //! GET <core>/api/v1/dashboard/<path> parsed (null and a test failure on error or a status other than 200).
    boost::json::value dashboard(const std::string& path);

    // ---- workers ---------------------------------------------------------------------------------------------------

    //! Creates and starts a worker on the next free account (at most 5): a keystore (light scrypt) + password file,
    //! <dir>/worker-<i>.json with name worker-<i>, the core's URL, the chain, <dir>/worker-<i>/ as work dir,
    //! runtime sandbox, 1 CPU slot, `overrides` applied. Waits (60 s) until the core's dashboard lists it alive.
    //! Returns its index i.
    std::size_t add_worker(const ConfigOverrides& overrides = {});
    void kill_worker(std::size_t i, int signal_number = SIGKILL);
    //! Starts worker i again (same config, work dir and wallet; `overrides` replace / extend its overrides);
    //! waits until the core lists it alive.
    void restart_worker(std::size_t i, const ConfigOverrides& overrides = {});
    Address worker_address(std::size_t i) const;
    Daemon& worker(std::size_t i) { return pool_->worker(i); }
    std::size_t worker_count() const { return pool_->worker_count(); }
    Daemon& core_daemon() { return pool_->core_daemon(); }

    // ---- apps, deals -----------------------------------------------------------------------------------------------

    //! Creates an app (owner: the app owner account) whose multiaddr is file://<bundle> and checksum the bundle's
    //! sha256 (the .sha256 file beside it), for a bundle of WP_DEMO_APPS_DIR ("echo", "dir", "callback", "cpu").
    App deploy_demo_app(const std::string& name);
    //! Same for a bundle built here from `script` (the app.sh body after "#!/bin/sh") with apps/demo/build_bundle.sh.
    App deploy_script_app(const std::string& name, const std::string& script);
    //! Signs the four orders of `spec` (fresh salts) and sends matchOrders from the requester; returns the deal id.
    Bytes32 create_deal(const DealSpec& spec);
    //! viewTask of tasks 0..volume-1 of `deal`.
    DealTasks view_deal_tasks(const Bytes32& deal, std::uint64_t volume);
    //! Polls (every 500 ms) until every task of the deal is COMPLETED or FAILED on chain; prints a progress line when
    //! it changes (and every 10 s). Returns the last view; a test failure when `limit` passes first (the caller
    //! checks HasFailure()).
    DealTasks wait_deal_done(const Bytes32& deal, std::uint64_t volume, std::chrono::seconds limit);
    //! Polls `done` every 200 ms for at most `limit`; prints `what` on timeout. Returns done().
    template <class F>
    bool wait_until(F done, std::chrono::seconds limit, const std::string& what) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (done()) return true;
            pause(std::chrono::milliseconds(200));
        }
        if (done()) return true;
        ADD_FAILURE() << "timed out after " << limit.count() << " s: " << what;
        return false;
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    //! sha256 of `content` (the digest of a single-file result), computed with sha256sum (not our code).
    static Bytes32 sha256_of(const std::string& content);
    //! The test's folder.
    const std::filesystem::path& dir() const { return pool_->options().dir; }
    //! The workerpool SetUp created.
    const Address& workerpool() const { return pool_->options().workerpool; }
    //! Prints the last `bytes` of every daemon's logs.
    void print_logs(std::size_t bytes = 6000) const;
    static void pause(std::chrono::milliseconds d);

  private:
    App deploy_bundle(const std::filesystem::path& bundle, const std::string& name);
    std::unique_ptr<PoolProcesses> pool_;
    std::vector<std::size_t> worker_accounts_;
    std::uint64_t salt_{1};
};

}  // namespace wp::test
