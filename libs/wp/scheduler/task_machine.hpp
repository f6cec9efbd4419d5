#pragma once
// The task state machine of the core scheduler (docs/scheduler.md, drawn there; scheduler-worker.md §3 for the
// reference it follows and fixes). Pure: a status and an event give the next status or an error. Persistence is a
// compare-and-set on the stored status (SchedulerStore::transition_task): UPDATE ... WHERE status = <expected>.
//
//   RECEIVED ──initialize submitted──► INITIALIZING ──mined──► INITIALIZED ──replicate started──► RUNNING
//      │ refused                          │ reverted                │                                │
//      ▼                                  ▼                         │ contribution deadline          │ consensus on
//      chain
//    FAILED                        INITIALIZE_FAILED ─► FAILED      ▼                                ▼
//                                                      CONTRIBUTION_TIMEOUT            CONSENSUS_REACHED ──first
//                                                      reveal──►
//   AT_LEAST_ONE_REVEALED ──upload requested──► RESULT_UPLOADING ──uploaded──► RESULT_UPLOADED ──finalize submitted──►
//   FINALIZING ──mined──► FINALIZED ──► COMPLETED        (reverted: FINALIZE_FAILED ──retry──► FINALIZING)
//   CONSENSUS_REACHED ──reveal deadline, no reveal──► REOPENING ──mined──► REOPENED ──► INITIALIZED (scheduled again)
//   RUNNING ──contributeAndFinalize done (TEE, trust 1)──► FINALIZED
//   any non-final ──final deadline──► FINAL_DEADLINE_REACHED ──claim submitted──► CLAIMING ──mined──► FAILED
//
// Every on-chain action (initialize, finalize, reopen, claim) is a durable TxManager intent whose key is stored on the
// task row in the same transaction as the status change (…_SUBMITTED events); the outcome comes back as …_MINED or
// …_REVERTED.
//
// The numbers are persisted: never renumber, only append.

#include <cstdint>
#include <optional>
#include <string_view>

#include <wp/core/result.hpp>

namespace wp::scheduler {

enum class TaskStatus : std::uint8_t {
    kReceived = 0,
    kInitializing = 1,
    kInitialized = 2,
    kInitializeFailed = 3,
    kRunning = 4,
    kRunningFailed = 5,
    kContributionTimeout = 6,
    kConsensusReached = 7,
    kReopening = 8,
    kReopened = 9,
    kReopenFailed = 10,
    kAtLeastOneRevealed = 11,
    kResultUploading = 12,
    kResultUploaded = 13,
    kResultUploadTimeout = 14,
    kFinalizing = 15,
    kFinalized = 16,
    kFinalizeFailed = 17,
    kFinalDeadlineReached = 18,
    kCompleted = 19,
    kFailed = 20,
    kClaiming = 21,
};
inline constexpr std::uint8_t kTaskStatusCount = 22;

enum class TaskEvent : std::uint8_t {
    kRefused,                 //!< the deal cannot be served (TEE with trust > 1, past its contribution deadline, ...)
    kInitializeSubmitted,     //!< the initialize intent is journaled
    kInitializeMined,         //!< initialize succeeded on chain (or the task was found ACTIVE)
    kInitializeReverted,      //!< initialize reverted
    kReplicateStarted,        //!< a replicate reported STARTED (or later)
    kAllReplicatesFailed,     //!< TEE task: every replicate failed before COMPUTED and no worker is left
    kConsensusReached,        //!< the task is REVEALING on chain
    kContributeAndFinalized,  //!< a TEE trust-1 replicate reported CONTRIBUTE_AND_FINALIZE_DONE
    kContributionDeadline,    //!< now ≥ contribution deadline without consensus
    kFirstReveal,             //!< a replicate reported REVEALED
    kRevealTimeoutNoReveal,   //!< reveal deadline passed with no reveal: reopen
    kReopenSubmitted,         //!< the reopen intent is journaled
    kReopenMined,             //!< reopen succeeded
    kReopenReverted,          //!< reopen reverted
    kRescheduled,             //!< a reopened task goes back to the schedulable pool
    kUploadRequested,         //!< a revealed worker was asked to upload (also: asked another one)
    kResultUploaded,          //!< the result is in the result store (or the callback data is known)
    kUploadTimeout,           //!< no revealed worker could upload
    kFinalizeSubmitted,       //!< the finalize intent is journaled
    kFinalizeMined,           //!< finalize succeeded
    kFinalizeReverted,        //!< finalize reverted
    kCompleted,               //!< bookkeeping after FINALIZED (workers told PLEASE_COMPLETE)
    kFinalDeadline,           //!< now ≥ final deadline and the task is not finalized
    kClaimSubmitted,          //!< the claim intent is journaled
    kClaimMined,              //!< claim succeeded (or the task was found FAILED on chain)
    kClaimReverted,           //!< claim reverted: stays CLAIMING, retried
    kAbandoned,               //!< cannot be claimed (never initialized) or a terminal failure
    // The restart reconciliation (TaskIntents::reconcile_with_chain): the chain moved while the core missed it.
    kFinalizedOnChain,  //!< the task is COMPLETED on chain (any status before FINALIZED) → FINALIZED
    kClaimedOnChain,    //!< the task is FAILED on chain (claimed; any non-final status) → FAILED
    kReopenedOnChain,  //!< the task is ACTIVE again on chain (CONSENSUS_REACHED, REOPENING, REOPEN_FAILED) → REOPENED
};

std::string_view to_string(TaskStatus s) noexcept;
std::string_view to_string(TaskEvent e) noexcept;
//! Name → status (the names of to_string). Errc::kInvalidArgument.
Result<TaskStatus> parse_task_status(std::string_view s);
//! A persisted number → status. Errc::kDecoding when out of range.
Result<TaskStatus> task_status_from_int(std::int64_t v);

//! COMPLETED or FAILED.
bool is_final(TaskStatus s) noexcept;
//! INITIALIZED or RUNNING: the task can take new replicates.
bool is_schedulable(TaskStatus s) noexcept;

//! The next status for `event` in `from`. Errc::kInvalidArgument "task: event X not allowed in status Y" when the
//! machine has no such edge (the caller then re-reads the task: somebody else moved it).
Result<TaskStatus> task_transition(TaskStatus from, TaskEvent event);

}  // namespace wp::scheduler
