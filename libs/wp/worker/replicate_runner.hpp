#pragma once
// ReplicateRunner: everything a worker does for one replicate between "assigned" and "contribute", with no
// scheduler and no chain in sight: prepare the task folder, fetch the app bundle (checksum), the dataset
// (checksum) and the input files, run the app through an AppRuntime, apply the result contract (result.hpp),
// zip the output, and compute {digest, resultHash, resultSeal} — plus, for a TEE deal (tag bit 0), the enclave
// challenge and signature of the TEE SIMULATION (tee_sim.hpp).
//
// Folders (all created 0755 so the sandbox's unprivileged uid can reach them):
//   <work_dir>/bundles/<app checksum>/        the bundle cache
//   <work_dir>/tasks/<taskid>/input/          IEXEC_IN (dataset as <address>, input files as 0x<sha256(url)>)
//   <work_dir>/tasks/<taskid>/output/iexec_out/      IEXEC_OUT
//   <work_dir>/tasks/<taskid>/output/iexec_out.zip   the result archive (result_zip.hpp)
//   <work_dir>/tasks/<taskid>/output/computed.json   a copy of the final computed.json
//
// Failures the task owns (bad app checksum, download failures, the app failing / timing out / writing too much,
// a missing or invalid computed.json) are NOT errors: the deterministic error result is produced and returned
// with `failure` set, so the replicate can still be contributed (as the reference worker does). Errors (Result's
// error side) are the worker's own: the runtime cannot start, the disk quota is reached ("work folder: N bytes
// used, quota Q"), I/O failures, or `cancel` was set (Errc::kTimeout, "replicate canceled").
//
// Disk quota: before a replicate starts, the work folder's size (bundles + tasks) must leave at least
// max_output_bytes + max_dataset_bytes under `disk_quota_bytes`. The size is an upper bound kept between
// measurements: the last measured size plus what every replicate started since may write; the folder is walked
// again when that bound would not leave room, and at least every `kQuotaRemeasureRuns` runs (walking it for every
// task cost a worker more CPU than its result archive).
// Thread safety: run() for different tasks may be called concurrently; run() and cleanup() of the same task must
// not overlap.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "app_env.hpp"
#include "bundle.hpp"
#include "result.hpp"
#include "runtime.hpp"
#include "tee_sim.hpp"

namespace wp::worker {

struct RunnerOptions {
    std::filesystem::path work_dir;
    std::uint64_t disk_quota_bytes{std::uint64_t{10} << 30};
    BundleLimits bundle{};
    std::uint64_t max_dataset_bytes{std::uint64_t{1} << 30};
    std::uint64_t max_input_file_bytes{std::uint64_t{256} << 20};
};

struct ReplicateRequest {
    TaskFacts task;
    std::string app_url;  //!< the app's multiaddr (file:// or http(s):// bundle)
    Bytes32 app_checksum;
    //! For image-based runtimes (Docker): the image reference given to the runtime as RunSpec::app; the bundle
    //! fetch (app_url, app_checksum) is then skipped — pulling and checking the image is the runtime's job.
    std::optional<std::string> image;
    std::optional<std::string> dataset_url;  //!< with task.dataset
    Bytes32 dataset_checksum;
    std::string iexec_args;
    bool callback_deal{false};  //!< deal.callback ≠ 0
    Bytes32 tag;                //!< deal.tag: bit 0 set → TEE (simulation)
    std::chrono::milliseconds max_time{std::chrono::minutes(10)};
    std::uint64_t memory_bytes{std::uint64_t{2} << 30};
    std::uint64_t max_output_bytes{std::uint64_t{100} << 20};
    std::uint32_t max_pids{64};
};

struct ReplicateResult {
    Bytes32 digest;
    Bytes32 result_hash;
    Bytes32 result_seal;
    std::filesystem::path zip_path;
    std::filesystem::path computed_json_path;
    std::optional<Bytes> callback_data;
    //! TEE deals only (simulation): the enclave challenge and its signature over keccak256(resultHash ‖ resultSeal).
    std::optional<Address> enclave_challenge;
    std::optional<Bytes> enclave_signature;
    TeeFramework tee{TeeFramework::kNone};
    std::optional<FailureCause> failure;  //!< set when this is the error result
    std::string failure_detail;
    std::optional<RunOutcome> outcome;  //!< set when the app ran
    std::string runtime;                //!< the runtime's name ("sandbox", "tee-sim(sandbox)")
};

class ReplicateRunner {
  public:
    ReplicateRunner(RunnerOptions options, Address worker, std::shared_ptr<AppRuntime> runtime);

    //! Runs one replicate. For a TEE deal, `enclave` is the task's simulated enclave (generated when null).
    Result<ReplicateResult> run(const ReplicateRequest& request, const std::atomic<bool>& cancel,
                                const SimulatedEnclave* enclave = nullptr);

    //! The task's folder.
    std::filesystem::path task_dir(const Bytes32& task_id) const;
    //! Deletes the task's folder (done, aborted or abandoned).
    Result<void> cleanup(const Bytes32& task_id);
    //! Task ids whose folder holds a result archive (what a restarted worker may resume).
    std::vector<Bytes32> results_on_disk() const;
    //! Bytes used under work_dir.
    std::uint64_t disk_usage() const;
    BundleCache& bundles() { return bundles_; }

    static constexpr unsigned kQuotaRemeasureRuns = 16;

  private:
    Result<void> reserve_disk(std::uint64_t needed);

    RunnerOptions options_;
    Address worker_;
    std::shared_ptr<AppRuntime> runtime_;
    Fetcher fetcher_;
    BundleCache bundles_;
    std::mutex quota_mu_;
    std::uint64_t usage_bound_{0};                      // bytes: measured size + what the runs started since may write
    unsigned runs_since_measure_{kQuotaRemeasureRuns};  // ≥ kQuotaRemeasureRuns: measure at the next run
};

}  // namespace wp::worker
