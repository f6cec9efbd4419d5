#pragma once
// TaskIntents: the on-chain side of the task machine (docs/scheduler.md "On-chain intents"): initialize
// (initializeArray for several tasks), finalize, reopen and claim as keyed TxManager calls, their outcomes, and the
// task events seen on chain.
//
// Durable intents: each step first moves the task(s) with a compare-and-set that records the intent key in the
// task row (initialize_intent, finalize_intent, reopen_intent, claim_intent) — the status change and the key commit
// together — then submit_durable(call, key). A crash between the two leaves a task whose key TxManager::find()
// does not know: resubmit_lost() submits it again with the same key (nothing was journaled, so nothing was sent).
// A key TxManager knows is never sent twice (TxManager's keyed calls). Keys:
//   "initialize:<first task id>"          (initializeArray of every task carrying that key, in index order)
//   "finalize:<task id>:<version>"        (a retry after FINALIZE_FAILED gets a new key)
//   "reopen:<task id>:<version>"
//   "claim:<task id>"                      (initializeAndClaimArray when the task was never initialized)
// A key in a task row that TxManager does not know is submitted again only while the chain still needs it: a task the
// chain shows already done (initialized, finalized, reopened, claimed: the journal lost the call) is reconciled
// instead (CoreScheduler::reconcile_tasks), never sent twice.
// Nothing here waits for a receipt: apply_outcomes() takes what TxManager::take_outcomes() returned:
//   initialize mined → INITIALIZED (due at the contribution deadline); reverted → INITIALIZED when the chain shows
//   the task ACTIVE (somebody else initialized it), else INITIALIZE_FAILED;
//   finalize mined → FINALIZED → COMPLETED; reverted → FINALIZE_FAILED (submitted again by the next finalize_ready);
//   reopen mined → REOPENED → INITIALIZED; reverted → REOPEN_FAILED;
//   claim mined → FAILED (the requester refunded); reverted → FAILED when the chain shows the task FAILED (claimed
//   by somebody else), else it stays CLAIMING (reported in the task's failure).
// Initialization (IntentOptions::init_mode, core.init.mode; the sizes are planner.hpp initialize_budget()):
//   lazy:  only as many RECEIVED tasks as the alive workers have free slots, per round;
//   eager: every RECEIVED task;
//   ahead: the free slots plus what the alive slots will take within init_horizon (slots × horizon / the measured
//          slot time, CoreScheduler::slot_seconds(); at most init_max_ahead), refilled in batches once half of it is
//          used, and only tasks the slots can reach before their contribution deadline (initialize_reachable()).
// Whatever the mode, the tasks go out in initializeArray calls of at most initialize_batch tasks.
//
// Thread safety: one thread (the daemon's chain loop) calls the members; the store and TxManager are shared.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <wp/chain/hub.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/clock.hpp>

#include "core_scheduler.hpp"
#include "deal_intake.hpp"
#include "planner.hpp"
#include "scheduler_store.hpp"

namespace wp::scheduler {

struct IntentOptions {
    InitMode init_mode{InitMode::kLazy};
    std::chrono::milliseconds init_horizon{std::chrono::seconds(5)};  //!< kAhead: the look-ahead horizon
    std::size_t init_max_ahead{256};                                  //!< kAhead: tasks beyond the free slots, at most
    std::size_t initialize_batch{32};                                 //!< tasks per initializeArray
    std::size_t max_per_round{1000};
    //! Crash-test seam (0: off): the process kills itself (SIGKILL) right after the Nth intent key counted from now
    //! was committed in its task row and before TxManager journals it — the intent window resubmit_lost() repairs.
    //! `iexec-pool core` arms it from the environment variable WP_TEST_KILL_AFTER_INTENTS once it has been ready for
    //! a second (tests only).
    std::uint64_t kill_after_intents{0};
    //! Called with the tasks a round of outcomes finalized (COMPLETED), and with the TEE tasks a TaskFinalize
    //! observation completed (contributeAndFinalize, apply_observations), after the commit, on the caller's thread;
    //! empty: none. The daemon marks their workers for a read of their on-chain scores (worker_scores.hpp), which the
    //! finalize changed. Must not block.
    std::function<void(const std::vector<Bytes32>&)> on_completed{};
};

struct IntentCounters {
    std::uint64_t submitted{0};
    std::uint64_t confirmed{0};
    std::uint64_t reverted{0};
    std::uint64_t failed{0};
};

//! What one restart reconciliation did (TaskIntents::reconcile_with_chain_counted).
struct ChainReconciliation {
    std::size_t tasks{0};                 //!< tasks moved to the chain's status (CoreScheduler::reconcile_tasks)
    std::size_t replicates{0};            //!< replicates brought up to their contribution / reveal on chain
    std::size_t consensus{0};             //!< tasks that got the consensus seen on chain
    std::size_t task_batches{0};          //!< JSON-RPC batches of viewTask
    std::size_t contribution_batches{0};  //!< JSON-RPC batches of viewContribution
};

//! The worker statuses a replicate at `from` (its last relevant status) walks through to reach `target` (CONTRIBUTED
//! or REVEALED) on the worker's main path, each step one the replicate machine allows a worker; empty when `from`
//! is already there or past it, or when no such walk exists (a failure, ABORTED, a final status). Pure.
std::vector<ReplicateStatus> reconcile_path(ReplicateStatus from, ReplicateStatus target);

class TaskIntents {
  public:
    TaskIntents(SchedulerStore& store, CoreScheduler& core, chain::Hub& hub, chain::TxManager& txm, Clock& clock,
                IntentOptions options);

    //! RECEIVED → INITIALIZING + submit (see the header comment). Returns the tasks submitted.
    Result<std::size_t> initialize_ready();
    //! RESULT_UPLOADED / FINALIZE_FAILED → FINALIZING + finalize(taskid, result link bytes, callback data).
    Result<std::size_t> finalize_ready();
    //! REOPENING without an intent → reopen.
    Result<std::size_t> reopen_ready();
    //! FINAL_DEADLINE_REACHED → CLAIMING + claim (or initializeAndClaimArray).
    Result<std::size_t> claim_ready();
    //! Keys recorded in task rows that TxManager does not know (a crash between the commit and the submit) are
    //! submitted again; keys whose call the journal shows final while the task still waits for it (a crash between
    //! poll() returning the outcome and apply_outcomes() committing it) get their outcome applied again. Returns the
    //! tasks submitted again. The daemon runs it once per start.
    Result<std::size_t> resubmit_lost();
    //! Outcomes of our keyed calls (others are ignored). Returns the tasks moved.
    Result<std::size_t> apply_outcomes(const std::vector<chain::TxOutcome>& outcomes);
    //! Task events seen on chain (DealIntake::take_observations): TaskConsensus → CoreScheduler::apply_consensus with
    //! the reveal deadline read from viewTask; TaskFinalize → CoreScheduler::apply_finalized (a TEE trust-1 task
    //! finalized by its worker's contributeAndFinalize completes); TaskInitialize / TaskReopen / TaskClaimed confirm
    //! what the outcomes say.
    Result<std::size_t> apply_observations(const std::vector<TaskObservation>& observations);
    //! The restart reconciliation (also for a chain event the core missed): every non-final task of this core is read
    //! on chain at one pinned block (viewTask in JSON-RPC batches, docs/scheduler.md "Restart"), then
    //!  1. the task statuses the chain moved: COMPLETED (a finalize that landed while its outcome was lost), FAILED
    //!     (claimed), ACTIVE (initialized, or reopened, unseen) → CoreScheduler::reconcile_tasks, one transaction;
    //!  2. contributions on chain of workers whose reports were lost: the contributors whose replicate here is short of
    //!     its contribution are read (viewContribution of every such (task, worker) in JSON-RPC batches) and their
    //!     missing reports up to CONTRIBUTED applied as the worker would have sent them (update_status_batch, the
    //!     steps of reconcile_path(), the chain's result hash and seal); a replicate in a failure status whose
    //!     contribution IS on chain (contribution_repairable: the worker gave up before its transaction landed) is set
    //!     CONTRIBUTED by the scheduler (CoreScheduler::record_chain_contributions) and goes on like the others;
    //!  3. a task REVEALING on chain and INITIALIZED / RUNNING here gets apply_consensus_batch with the chain's
    //!     consensus value and reveal deadline (a TaskConsensus the core missed);
    //!  4. reveals on chain (contribution PROVED) whose REVEALED report was lost: the same, up to REVEALED (the first
    //!     reveal moves the task to AT_LEAST_ONE_REVEALED and asks that worker to upload).
    //! Nothing is sent on chain. The daemon runs it once after each start, when the mirror has caught up, before
    //! resubmit_lost(). Errors: the chain's reads (nothing applied from a failed read), the store's.
    Result<ChainReconciliation> reconcile_with_chain_counted();
    //! reconcile_with_chain_counted(); returns tasks + replicates + consensus moved.
    Result<std::size_t> reconcile_with_chain();
    //! Everything above once, in order (the chain loop's body, after a mirror poll and a TxManager round).
    Result<void> round(const std::vector<chain::TxOutcome>& outcomes, const std::vector<TaskObservation>& observations);

    IntentCounters counters() const { return counters_; }
    //! Sets IntentOptions::kill_after_intents, counting from now (the caller's thread: the one calling round()).
    void arm_kill_after_intents(std::uint64_t n) {
        options_.kill_after_intents = n;
        intents_written_ = 0;
    }

  private:
    Result<void> submit(const std::string& key, const std::vector<TaskRecord>& tasks, TaskStatus status);
    Result<chain::ContractCall> call_for(const std::string& key, const std::vector<TaskRecord>& tasks);
    Result<std::size_t> move_all(const std::vector<TaskRecord>& tasks, TaskEvent event, const TaskChange& change);
    Result<std::vector<TaskRecord>> tasks_with_key(const std::string& key);
    std::int64_t now_ms() const { return clock_.unix_ms(); }

    SchedulerStore& store_;
    CoreScheduler& core_;
    chain::Hub& hub_;
    chain::TxManager& txm_;
    Clock& clock_;
    IntentOptions options_;
    IntentCounters counters_;
    std::uint64_t intents_written_{0};
};

}  // namespace wp::scheduler
