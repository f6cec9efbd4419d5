#pragma once
// The replicate state machine (one worker's participation in one task; docs/scheduler.md draws it,
// docs/worker_protocol.md gives the worker's view; scheduler-worker.md §4 is the reference it follows). Pure.
//
// Main path (reported by the worker):
//   CREATED → STARTING → STARTED → APP_DOWNLOADING → APP_DOWNLOADED → DATA_DOWNLOADING → DATA_DOWNLOADED → COMPUTING
//   → COMPUTED → CONTRIBUTING → CONTRIBUTED → REVEALING → REVEALED → [RESULT_UPLOAD_REQUESTED (scheduler) →
//   RESULT_UPLOADING → RESULT_UPLOADED] → COMPLETING → COMPLETED
//   TEE, trust 1: COMPUTED → CONTRIBUTE_AND_FINALIZE_ONGOING → CONTRIBUTE_AND_FINALIZE_DONE → COMPLETING → COMPLETED
// Failures: STARTING → START_FAILED; APP_DOWNLOADING → APP_DOWNLOAD_FAILED → CONTRIBUTING (the failure is contributed
//   as a deterministic result); DATA_DOWNLOADING → DATA_DOWNLOAD_FAILED → CONTRIBUTING; COMPUTING → COMPUTE_FAILED;
//   CONTRIBUTING → CONTRIBUTE_FAILED; REVEALING → REVEAL_FAILED; RESULT_UPLOADING → RESULT_UPLOAD_FAILED → COMPLETING;
//   CONTRIBUTE_AND_FINALIZE_ONGOING → CONTRIBUTE_AND_FINALIZE_FAILED; COMPLETING → COMPLETE_FAILED.
//   Unlike the reference, CONTRIBUTE_FAILED and REVEAL_FAILED ARE accepted from workers (they are real failures).
// Any non-final status → ABORTED (worker, after PLEASE_ABORT); ABORTED → COMPLETED | FAILED.
// Scheduler only: CREATED (insert), RESULT_UPLOAD_REQUESTED, WORKER_LOST (any non-final, RECOVERING, ABORTED),
//   RECOVERING (recoverable statuses and WORKER_LOST), FAILED (from failable statuses: reveal timeout, task failed).
// WORKER_LOST and RECOVERING are "interruptions": a worker update after them is checked against the last RELEVANT
// status (the last one that is not WORKER_LOST / RECOVERING), so a returning worker resumes where it was.

#include <cstdint>
#include <optional>

#include <wp/core/result.hpp>
#include <wp/workerapi/messages.hpp>

#include "task_machine.hpp"

namespace wp::scheduler {

using workerapi::AbortCause;
using workerapi::Action;
using workerapi::FailureCause;
using workerapi::ReplicateStatus;

enum class Modifier : std::uint8_t { kWorker, kScheduler };

//! COMPLETED or FAILED.
bool is_final(ReplicateStatus s) noexcept;
//! WORKER_LOST or RECOVERING.
bool is_interruption(ReplicateStatus s) noexcept;
//! A status a worker may report (everything except CREATED, RESULT_UPLOAD_REQUESTED, WORKER_LOST, RECOVERING, FAILED).
bool worker_may_report(ReplicateStatus s) noexcept;
//! The replicate holds one of its worker's CPU slots (CREATED up to COMPUTING, and CONTRIBUTE_AND_FINALIZE_ONGOING's
//! predecessors): the slot is freed at COMPUTED, at any failure before it, and at ABORTED / WORKER_LOST / FAILED.
bool holds_slot(ReplicateStatus s) noexcept;
//! Contributed on chain (CONTRIBUTED and every later status of the contribute path).
bool has_contributed(ReplicateStatus s) noexcept;

//! A failure before the contribution (START_FAILED, APP_DOWNLOAD_FAILED, DATA_DOWNLOAD_FAILED, COMPUTE_FAILED,
//! CONTRIBUTE_FAILED) or ABORTED: the scheduler may still set CONTRIBUTED when the chain shows the contribution (the
//! worker's transaction landed after it gave up waiting for it; the restart reconciliation, task_intents.hpp).
bool contribution_repairable(ReplicateStatus s) noexcept;

//! Whether `to` may follow `from` when set by `who` (`from` is the CURRENT status; for worker updates after an
//! interruption, pass the last relevant status, see the file comment). Errc::kInvalidArgument
//! "replicate: COMPUTED → REVEALED is not allowed" / "replicate: WORKER_LOST is set by the scheduler only".
Result<void> replicate_transition(ReplicateStatus from, ReplicateStatus to, Modifier who);

//! What the scheduler knows of the task when it answers a replicate update.
struct TaskFacts {
    TaskStatus status{TaskStatus::kRunning};
    bool tee{false};               //!< tag bit 0
    std::uint64_t trust{1};        //!< deal trust
    bool contribution_open{true};  //!< now < contribution deadline
    bool before_final{true};       //!< now < final deadline
};

//! The answer to a worker's update that was accepted (scheduler-worker.md §4.1), adjusted to the task:
//!  - "-ING" statuses → PLEASE_CONTINUE; STARTED → PLEASE_DOWNLOAD_APP; APP_DOWNLOADED → PLEASE_DOWNLOAD_DATA;
//!    DATA_DOWNLOADED → PLEASE_COMPUTE;
//!  - COMPUTED → PLEASE_CONTRIBUTE_AND_FINALIZE when tee and trust ≤ 1, else PLEASE_CONTRIBUTE; APP_DOWNLOAD_FAILED
//!    (cause APP_IMAGE_DOWNLOAD_FAILED) and DATA_DOWNLOAD_FAILED (dataset / input-file causes) → PLEASE_CONTRIBUTE
//!    (the error result; _AND_FINALIZE when tee and trust ≤ 1);
//!    but PLEASE_ABORT (CONTRIBUTION_TIMEOUT) when the contribution deadline passed, PLEASE_ABORT (CONSENSUS_REACHED)
//!    when the task is past RUNNING;
//!  - other *_FAILED → PLEASE_ABORT (TASK_FAILED); CONTRIBUTED, REVEALED, RESULT_UPLOADED, CONTRIBUTE_AND_FINALIZE_DONE
//!    → PLEASE_WAIT (CONTRIBUTE_AND_FINALIZE_DONE on a task already COMPLETED → PLEASE_COMPLETE); COMPLETED, FAILED,
//!    ABORTED → PLEASE_COMPLETE (nothing more to do);
//!  - any status when the task is final or past its final deadline → PLEASE_ABORT (FINAL_DEADLINE or TASK_FAILED).
//! Returns the action and, with PLEASE_ABORT, the cause.
struct NextAction {
    Action action{Action::kWait};
    std::optional<AbortCause> abort_cause;
    friend bool operator==(const NextAction&, const NextAction&) = default;
};
NextAction next_action(ReplicateStatus reported, std::optional<FailureCause> cause, const TaskFacts& task);

}  // namespace wp::scheduler
