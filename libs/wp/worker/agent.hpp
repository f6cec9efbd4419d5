#pragma once
// WorkerAgent: the worker daemon's core. It holds a SchedulerSession, a ReplicateRunner and a ChainPort and drives
// each replicate through the protocol (docs/worker_protocol.md, "Status updates"):
//
//   PLEASE_START      STARTING → (the WorkerpoolAuthorization is checked: signed by the deal's workerpool owner, read
//                     from the chain, for this worker and task; otherwise START_FAILED with the reason, then
//                     ABORTED: nothing is run, nothing contributed) → STARTED → APP_DOWNLOADING →
//                     (ReplicateRunner::run: fetch, run, collect, zip) → APP_DOWNLOADED | APP_DOWNLOAD_FAILED →
//                     DATA_DOWNLOADING → DATA_DOWNLOADED | DATA_DOWNLOAD_FAILED → COMPUTING → COMPUTED (exit code; the
//                     error result when the app failed); a failure of the worker itself (runtime cannot start, disk
//                     quota) → APP_DOWNLOAD_FAILED with cause UNKNOWN and the message, which the scheduler answers
//                     PLEASE_ABORT
//   PLEASE_CONTRIBUTE the authorization is checked again (a recovered replicate carries a fresh one); the stake is
//                     checked (CONTRIBUTE_FAILED STAKE_TOO_LOW with a clear message when too low),
//                     CONTRIBUTING → contribute (durable intent "worker:<task>:contribute") → CONTRIBUTED | _FAILED
//   PLEASE_CONTRIBUTE_AND_FINALIZE (TEE, trust ≤ 1) ONGOING → PUT the result zip to the core's result store
//                     (SchedulerSession::result_upload_url; not for callback deals) → contributeAndFinalize with
//                     that result link → DONE | FAILED (UPLOAD_FAILED when the upload was refused)
//   TEE tasks (TEE SIMULATION, tee_sim.hpp): before anything runs, the enclave key of the assignment must match the
//                     authorization's enclave challenge (else APP_DOWNLOAD_FAILED with cause TEE_FAILED, aborted)
//   PLEASE_REVEAL     REVEALING → reveal(digest) → REVEALED | REVEAL_FAILED
//   PLEASE_UPLOAD     RESULT_UPLOADING → PUT the result zip to the upload URL → RESULT_UPLOADED | _FAILED; a callback
//                     task reports RESULT_UPLOADED with its callbackData instead (what finalize sends on chain)
//   PLEASE_ABORT      cancel the run, ABORTED, clean up;  PLEASE_COMPLETE: COMPLETING → COMPLETED, clean up
//
// The runner fetches and runs in one call, so the download statuses are reported when it returns, in protocol
// order, with the failure (if any) on the step it belongs to.
//
// Each replicate has its own thread consuming its notifications in order; the main loop (run()) only dispatches,
// sends heartbeats and enforces capacity (at most cpu_slots replicates running).
//
// Recovery (start()): after login + register, GET /recovery; a replicate whose result is still on disk
// (ReplicateRunner::results_on_disk) is resumed at the action the scheduler gives (contribute, reveal, upload,
// wait); one without its result is abandoned (ABORTED, folder removed); result folders the scheduler no longer
// knows are removed. Contributions never happen twice: PocoChainPort checks its journal and the chain first, and the
// result (digest) is re-read from computed.json on disk.
//
// Drain (stop(drain=true), SIGTERM): no new replicate is started (a PLEASE_START arriving is answered
// START_FAILED so the scheduler gives it to another worker); running ones are finished until `drain_timeout`, then
// canceled and handed back (ABORTED). stop(false) cancels at once.
//
// Thread safety: start(), run() from one thread; stop() from any thread (e.g. a signal watcher).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/workerapi/messages.hpp>

#include "chain_port.hpp"
#include "replicate_runner.hpp"
#include "session.hpp"
#include "tee_sim.hpp"

namespace wp::worker {

struct AgentOptions {
    workerapi::WorkerRegistration registration;
    std::uint64_t memory_bytes_per_task{std::uint64_t{2} << 30};
    std::uint64_t max_output_bytes{std::uint64_t{100} << 20};
    std::uint32_t max_pids{64};
    //! Run apps from images (Docker runtime): the app's uri is then the image reference.
    bool image_apps{false};
    std::chrono::milliseconds drain_timeout{std::chrono::minutes(5)};
    //! The simulated enclave of a TEE task, given the assignment (its authorization names the enclave challenge);
    //! nullopt: the TEE task fails with TEE_FAILED. Unset (the daemon): the key the core's simulated SMS handed
    //! over in the assignment (enclave_from_assignment: its address must equal the authorization's challenge).
    std::function<std::optional<SimulatedEnclave>(const workerapi::Assignment&)> enclave_for{};
    Clock* clock{nullptr};
    //! TEST-ONLY fault injection (worker.testing.faults.*, accepted by the daemon on dev chains only): the proofs of
    //! the devnet tests (tests/pool) need a worker that dissents or never reveals. Each use is logged as a fault.
    struct Faults {
        bool wrong_result{false};  //!< contribute keccak256(digest) instead of the digest (loses the consensus)
        bool skip_reveal{false};   //!< ignore PLEASE_REVEAL (the task's reveal deadline passes without this reveal)
    } faults{};
};

//! What happened to a replicate (tests and logs).
struct ReplicateRecord {
    Bytes32 task_id;
    workerapi::ReplicateStatus last_status{workerapi::ReplicateStatus::kCreated};
    std::optional<workerapi::FailureCause> failure;
    std::optional<Bytes32> digest;
    std::string failure_message;  //!< why the worker refused or failed (authorization, stake, chain), when it did
    bool finished{false};
};

class WorkerAgent {
  public:
    WorkerAgent(SchedulerSession& session, ReplicateRunner& runner, ChainPort& chain, AgentOptions options);
    ~WorkerAgent();
    WorkerAgent(const WorkerAgent&) = delete;
    WorkerAgent& operator=(const WorkerAgent&) = delete;

    //! Login, register, recovery. Errors: the scheduler refused or is unreachable.
    Result<void> start();
    //! Dispatches notifications and sends heartbeats until stop(); returns when every replicate thread ended.
    void run();
    void stop(bool drain);
    //! Stops every thread without reporting anything nor cleaning up: what a crash leaves behind (result folders,
    //! replicates the scheduler still counts as held). For tests of recovery; run() returns soon.
    void halt();

    //! Replicates currently held.
    std::size_t active() const;
    //! Every replicate seen since start (last status reported).
    std::map<Bytes32, ReplicateRecord> records() const;

  private:
    struct Replicate;
    void dispatch(const workerapi::Notification& n);
    void spawn(const workerapi::Assignment& a, std::deque<workerapi::Notification> first);
    void replicate_loop(const std::shared_ptr<Replicate>& r);
    void handle(Replicate& r, workerapi::Action action, const workerapi::Notification& n);
    bool start_and_compute(Replicate& r);
    //! The WorkerpoolAuthorization against the deal's workerpool owner (authorization.hpp); the refusal, if any.
    std::optional<ChainFailure> check_authorization(Replicate& r);
    bool report(Replicate& r, workerapi::ReplicateStatus s, workerapi::StatusDetails d = {});
    void follow(Replicate& r);
    void contribute(Replicate& r, bool finalize);
    void reveal(Replicate& r);
    void upload(Replicate& r, const std::string& url);
    void abort(Replicate& r);
    void complete(Replicate& r);
    bool load_result_from_disk(Replicate& r);
    Result<SimulatedEnclave> enclave_of(const workerapi::Assignment& a) const;
    void send_heartbeat();
    void reap();

    SchedulerSession& session_;
    ReplicateRunner& runner_;
    ChainPort& chain_;
    AgentOptions options_;
    Clock& clock_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> draining_{false};
    std::atomic<bool> halted_{false};
    std::chrono::steady_clock::time_point drain_deadline_{};
    std::atomic<std::int64_t> heartbeat_seconds_{10};
    mutable std::mutex mutex_;
    std::map<Bytes32, std::shared_ptr<Replicate>> replicates_;
    std::map<Bytes32, ReplicateRecord> records_;
};

}  // namespace wp::worker
