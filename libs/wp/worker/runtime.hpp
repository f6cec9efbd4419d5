#pragma once
// The one interface every app runtime implements (sandboxed process, Docker Engine API, TEE simulation on top of
// either). The worker's replicate pipeline prepares IEXEC_IN / IEXEC_OUT and the environment, calls run(), then
// reads IEXEC_OUT (computed.json, the result) whatever the outcome.
//
// Contract shared by all runtimes:
//   - run() blocks until the app ends, the time limit passes, or `cancel` is set (checked at least every 100 ms);
//     it always cleans up what it started (process tree, container) before returning.
//   - An app that runs and fails (non-zero exit, killed for memory, too much output, time limit) is NOT an error:
//     it is a RunOutcome with the matching flag set. Errors (Result's error side) are reserved for the runtime
//     itself failing: the sandbox cannot start, the Docker daemon is unreachable, the image is missing, ...;
//     their message names the runtime and the cause ("docker: create container: image 'x' not found").
//   - Only `in_dir` is readable and only `out_dir` writable by the app; the app has no network unless
//     `network` is true.
// Thread safety: a runtime object may be used by several threads at once (one run() per replicate).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <wp/core/result.hpp>

namespace wp::worker {

//! What to run and within which limits.
struct RunSpec {
    //! Runtime-specific reference of the app: for the sandbox, the unpacked bundle folder; for Docker, the image
    //! ("name:tag" or "sha256:..."), already present on the daemon.
    std::string app;
    //! Command-line arguments after the app's own entrypoint (the deal's iexec_args, split shell-like).
    std::vector<std::string> args;
    //! Environment of the app, exactly (IEXEC_TASK_ID, IEXEC_IN, ...): nothing is inherited from the worker.
    std::vector<std::pair<std::string, std::string>> env;
    //! Host folders mounted as IEXEC_IN (read-only) and IEXEC_OUT (read-write) inside the app.
    std::filesystem::path in_dir;
    std::filesystem::path out_dir;
    //! Paths the app sees for the two folders (the values of IEXEC_IN / IEXEC_OUT in `env`).
    std::string in_mount = "/iexec_in";
    std::string out_mount = "/iexec_out";
    //! Wall-clock limit (the category's maximum execution time, capped by the worker's own limit).
    std::chrono::milliseconds max_time{std::chrono::minutes(10)};
    //! Memory limit of the app in bytes (0: no limit beyond the worker's).
    std::uint64_t memory_bytes = 0;
    //! Largest total size the app may write into out_dir.
    std::uint64_t max_output_bytes = 100ull << 20;
    //! Largest number of processes / threads the app may have at once (0: runtime default).
    std::uint32_t max_pids = 64;
    //! Give the app a network (never for the sandbox default; a worker setting may allow it for Docker).
    bool network = false;
};

//! How the app ended.
struct RunOutcome {
    int exit_code = -1;             //!< the app's exit code (-1 when killed)
    bool timed_out = false;         //!< killed at max_time
    bool out_of_memory = false;     //!< killed for memory_bytes
    bool output_too_large = false;  //!< wrote more than max_output_bytes
    bool canceled = false;          //!< stopped because `cancel` was set
    std::string log_tail;           //!< the last few KiB of stdout + stderr (for the replicate's status)
    std::chrono::milliseconds elapsed{0};

    bool success() const { return exit_code == 0 && !timed_out && !out_of_memory && !output_too_large && !canceled; }
};

class AppRuntime {
  public:
    virtual ~AppRuntime() = default;
    //! Short name used in logs and the replicate status: "sandbox", "docker", "tee-sim(sandbox)".
    virtual std::string name() const = 0;
    //! Runs the app to its end (see the contract above).
    virtual Result<RunOutcome> run(const RunSpec& spec, const std::atomic<bool>& cancel) = 0;
};

}  // namespace wp::worker
