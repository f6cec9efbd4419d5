#pragma once
// The settings of `iexec-pool worker` (service/settings.hpp schema: every key has a default or is required; a config
// file, WP_WORKER_* environment variables, --set and the command's flags override in that order) and their
// validated form.
//
//   worker.name                    "worker"          name shown by the scheduler
//   worker.scheduler.url           (required)        the core's base URL, e.g. http://127.0.0.1:13000
//   worker.scheduler.websocket     true              push over the WebSocket (false: HTTP long-poll only)
//   worker.wallet.keystore         (required)        v3 keystore file of the worker's wallet
//   worker.wallet.passwordFile     (required)        file holding the keystore password (first line)
//   worker.capacity.cpuSlots       1                 replicates run at once
//   worker.capacity.memory         2GiB              memory for apps, shared by the slots
//   worker.capacity.gpu            false
//   worker.capacity.teeFrameworks  ""                comma list among scone, gramine, tdx (TEE SIMULATION)
//   worker.capacity.maxTaskTime    0s                longest category the worker accepts (0: no limit)
//   worker.workDir                 "worker-data"     bundles, task folders, the transaction journal
//   worker.diskQuota               10GiB             work folder quota
//   worker.maxOutput               100MiB            per task output limit
//   worker.runtime                 sandbox           sandbox (bubblewrap) | docker
//   worker.docker.socket           /var/run/docker.sock
//   worker.chain.rpc               (required)        JSON-RPC URL
//   worker.chain.hub               (required)        PoCo hub address
//   worker.chain.newHeads          true              receipt waits woken by eth_subscribe(newHeads) over ws:// on the
//                                                    rpc's host and port (polling stays the fallback)
//   worker.chain.gas.contribute    600000            fixed gas limits of the worker's transactions (no
//   worker.chain.gas.reveal        200000            eth_estimateGas); 0: estimate (docs/worker.md "Chain traffic")
//   worker.chain.gas.contributeAndFinalize 0
//   worker.drainTimeout            5m                on SIGTERM: finish held replicates this long, then hand back
//   worker.testing.faults.wrongResult  false     TEST ONLY: contribute a wrong result hash (a dissenting worker)
//   worker.testing.faults.skipReveal   false     TEST ONLY: ignore PLEASE_REVEAL
//                                                 (both refused by the daemon unless the chain id is 31337 or 65535)
//   worker.log.*                                      (service/log_settings.hpp)
// Thread safety: the schema is built once (thread-safe static); worker_config is a pure function.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/service/settings.hpp>
#include <wp/workerapi/messages.hpp>

namespace wp::worker {

//! The default fixed gas limits (worker.chain.gas.*; docs/worker.md "Chain traffic"): PoCo 6.1's contribute used at
//! most 390,771 gas and its reveal 93,455 on the devnet (wp_e2e_bench, 200 tasks at trust 1; the contribute that
//! reaches the consensus is the costliest): about 1.5 and 2 times that.
inline constexpr std::int64_t kDefaultContributeGas = 600'000;
inline constexpr std::int64_t kDefaultRevealGas = 200'000;

struct WorkerConfig {
    std::string name;
    std::string scheduler_url;
    bool websocket{true};
    std::filesystem::path keystore;
    std::filesystem::path password_file;
    std::uint32_t cpu_slots{1};
    std::uint64_t memory_bytes{0};
    bool gpu{false};
    std::vector<workerapi::TeeFramework> tee_frameworks;
    std::chrono::seconds max_task_time{0};
    std::filesystem::path work_dir;
    std::uint64_t disk_quota_bytes{0};
    std::uint64_t max_output_bytes{0};
    std::string runtime;  //!< "sandbox" | "docker"
    std::string docker_socket;
    std::string chain_rpc;
    Address hub;
    bool new_heads{true};
    std::uint64_t gas_contribute{0};  //!< 0: estimated
    std::uint64_t gas_reveal{0};
    std::uint64_t gas_contribute_and_finalize{0};
    std::chrono::milliseconds drain_timeout{0};
    bool fault_wrong_result{false};  //!< worker.testing.faults.wrongResult (dev chains only)
    bool fault_skip_reveal{false};   //!< worker.testing.faults.skipReveal (dev chains only)

    //! True when a testing.faults key is set.
    bool has_faults() const { return fault_wrong_result || fault_skip_reveal; }

    //! The registration sent to the scheduler.
    workerapi::WorkerRegistration registration() const;
};

const service::SettingsSchema& worker_settings_schema();
//! Validated config; errors name the key ("worker.capacity.teeFrameworks: unknown framework \"sgx\"").
Result<WorkerConfig> worker_config(const service::Settings& settings);

}  // namespace wp::worker
