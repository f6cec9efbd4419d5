#pragma once
// PoolProcesses: a workerpool made of REAL `iexec-pool core` and `iexec-pool worker` child processes, without gtest,
// shared by the devnet proofs (pool_fixture.hpp, a gtest fixture over it) and the end-to-end benchmark
// (bench/e2e/e2e_anvil.cpp, wp_e2e_bench). The chain (an anvil with the real PoCo) and the workerpool exist already:
// the caller gives their coordinates in PoolProcessesOptions.
//
//   PoolProcesses pool(options);                        // nothing runs yet
//   pool.start_core({{"core.timeouts.lostAfter", "5s"}}); // writes <dir>/core.json, spawns the core, waits for /ready
//   pool.add_worker(key);                                // keystore + password file, <dir>/worker-<i>.json, spawns it,
//                                                        // waits until the core's dashboard lists it alive
//   pool.kill_worker(0); pool.restart_worker(0); pool.kill_core(); pool.restart_core(); pool.stop_all();
//
// Processes: each daemon is a child (sys::Process, posix_spawn, die_with_parent: nothing outlives the parent),
// stdout + stderr captured to <dir>/<name>.<start>.log (one file per start). Config overrides are dotted keys
// ("worker.capacity.cpuSlots") set in the generated JSON before it is written; they are kept across restarts.
//
// Also here: the four orders of a deal on the pool (DealSpec → make_deal_orders) and the app of a demo bundle
// (bundle_app_params), so that the proofs and the benchmark create the same deals.
//
// Errors: every operation returns a Result whose message names the daemon and what failed (the log's path when a
// daemon ends while starting). Thread safety: none; one thread drives a PoolProcesses.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include <wp/chain/hub.hpp>
#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/protocol/order.hpp>
#include <wp/protocol/types.hpp>
#include <wp/sys/process.hpp>

namespace wp::test {

//! The dev accounts that run workers, in the order the proofs take them (local-chain.md §3: 3 is "the" worker;
//! 6-9 are free; each starts with 100,000 RLC deposited in the hub: its stake).
inline constexpr std::size_t kPoolWorkerAccounts[] = {3, 6, 7, 8, 9};

//! Dotted config keys and their values, applied in order ("core.timeouts.lostAfter" → {"core":{"timeouts":{...}}}).
using ConfigOverrides = std::vector<std::pair<std::string, boost::json::value>>;

//! A daemon child process.
struct Daemon {
    std::string name;  //!< "core", "worker-0", …
    std::filesystem::path config;
    std::filesystem::path log;                //!< the current start's log
    std::vector<std::filesystem::path> logs;  //!< every start's log, in order
    sys::Process process;
    unsigned starts{0};
};

//! An app deployed on chain from a bundle.
struct App {
    Address address;
    std::filesystem::path bundle;
    Bytes32 checksum;  //!< sha256 of the bundle = the app's on-chain checksum
};

//! What a deal matches: the four orders (no dataset).
struct DealSpec {
    App app;
    std::uint64_t volume{1};
    std::uint64_t trust{1};
    std::uint64_t tag{0};       //!< low 64 bits of the tag (protocol/tag.hpp kTag…)
    std::uint64_t category{0};  //!< the devnet's category 0: workClockTimeRef 300 s
    std::string params{R"({"iexec_args":"hello pool"})"};
    U256 workerpool_price{100};  //!< nRLC per task; the worker stake is 30 % of it (the workerpool's policy)
    U256 app_price{0};
};

//! The signed orders of a deal; the deal id is deal_id(order_hash(request), 0).
struct DealOrders {
    AppOrder app;
    WorkerpoolOrder workerpool;
    RequestOrder request;
};

//! The orders of `spec` on `workerpool`, salts salt, salt + 1, salt + 2, each signed by its owner's key.
DealOrders make_deal_orders(const Domain& domain, const DealSpec& spec, const Address& workerpool, std::uint64_t salt,
                            const PrivateKey& app_owner, const PrivateKey& scheduler, const PrivateKey& requester);

//! The app of a bundle (a .tar.gz with a .sha256 file beside it): multiaddr file://<bundle>, checksum = the sha256.
//! `app` gets the bundle and the checksum (not the address). Errors: the .sha256 file missing or not 32 bytes.
Result<chain::AppParams> bundle_app_params(const std::filesystem::path& bundle, const Address& owner,
                                           const std::string& name, App& app);

//! The whole file, or "" when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);
//! Writes `text` (creating the parent folders), replacing the file.
void write_text_file(const std::filesystem::path& path, const std::string& text);
//! stdout of `sh -c command`, trailing newlines removed ("" when it cannot run).
std::string shell_output(const std::string& command);

//! Where the pool runs.
struct PoolProcessesOptions {
    std::filesystem::path dir;      //!< configs, logs, database, work dirs (created)
    std::filesystem::path binary;   //!< iexec-pool
    std::string rpc;                //!< the chain's JSON-RPC URL
    Address hub;                    //!< the PoCo hub
    Address workerpool;             //!< the core's workerpool (owned by `scheduler`)
    std::string scheduler_key_hex;  //!< the workerpool owner's private key, 0x-hex (the core's wallet; never logged)
    std::uint64_t start_block{0};   //!< core.chain.startBlock
    std::uint16_t core_port{0};     //!< free, on 127.0.0.1
    std::chrono::seconds ready_timeout{60};  //!< for /ready and for a worker to be listed alive
};

class PoolProcesses {
  public:
    explicit PoolProcesses(PoolProcessesOptions options);
    PoolProcesses(const PoolProcesses&) = delete;
    PoolProcesses& operator=(const PoolProcesses&) = delete;
    //! stop_all().
    ~PoolProcesses();

    // ---- the core --------------------------------------------------------------------------------------------------

    //! Writes <dir>/core.json (chain rpc / hub, confirmations 0, startBlock, pollInterval 200ms, the workerpool, the
    //! scheduler's key, sqlite:<dir>/core.db, 127.0.0.1:<port>, results in <dir>/results, heartbeat 1s) with
    //! `overrides` applied, starts the core and waits for GET /ready = 200. Errors: already started, spawn failure,
    //! the core ended while starting, not ready in time.
    Result<void> start_core(const ConfigOverrides& overrides = {});
    //! Signal (default SIGKILL) and reap the core (30 s).
    Result<void> kill_core(int signal_number = SIGKILL);
    //! Starts the core again on the same config, database and port (SIGTERM first if it runs); waits for /ready.
    Result<void> restart_core();
    //! "http://127.0.0.1:<port>".
    std::string core_url() const;
    //! GET <core>/api/v1/dashboard/<path> parsed. Errors: transport, a status other than 200, not JSON.
    Result<boost::json::value> dashboard(const std::string& path) const;
    //! Errors: start_core() not called.
    Daemon& core_daemon() { return *core_; }
    bool has_core() const { return core_ != nullptr; }

    // ---- workers ---------------------------------------------------------------------------------------------------

    //! Creates and starts worker i = worker_count() with `key`: a keystore (light scrypt) + password file,
    //! <dir>/worker-<i>.json with name worker-<i>, the core's URL, the chain, <dir>/worker-<i>/ as work dir,
    //! runtime sandbox, 1 CPU slot, `overrides` applied. Waits until the core's dashboard lists it alive. Returns i.
    Result<std::size_t> add_worker(const PrivateKey& key, const ConfigOverrides& overrides = {});
    Result<void> kill_worker(std::size_t i, int signal_number = SIGKILL);
    //! Starts worker i again (same config, work dir and wallet; `overrides` replace / extend its overrides);
    //! waits until the core lists it alive.
    Result<void> restart_worker(std::size_t i, const ConfigOverrides& overrides = {});
    Address worker_address(std::size_t i) const { return worker_keys_.at(i).address(); }
    Daemon& worker(std::size_t i) { return *workers_.at(i); }
    std::size_t worker_count() const { return workers_.size(); }

    //! Stops the workers (SIGTERM, 3 s) then the core (SIGTERM, 5 s).
    void stop_all();
    //! The last `bytes` of every daemon's logs, each under a header line.
    std::string logs_tail(std::size_t bytes = 6000) const;
    const PoolProcessesOptions& options() const { return options_; }

  private:
    Result<void> spawn(Daemon& d);
    Result<void> wait_core_ready();
    Result<void> wait_worker_alive(std::size_t i);

    PoolProcessesOptions options_;
    std::unique_ptr<Daemon> core_;
    std::vector<std::unique_ptr<Daemon>> workers_;
    std::vector<PrivateKey> worker_keys_;
    std::vector<ConfigOverrides> worker_overrides_;
};

}  // namespace wp::test
