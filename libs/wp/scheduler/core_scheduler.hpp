#pragma once
// CoreScheduler: the scheduler's decisions over its store, without HTTP (worker_api.hpp serves it).
//
//  - register_worker / heartbeat: capacity and liveness (heartbeats are durable: last_seen_ms in sched_workers);
//  - assign_round(): one assignment cycle, filter → score → reserve → bind (planner.hpp): the pure planner decides on
//    snapshots of the schedulable tasks and the workers; each binding is reserved with a slot-checked insert
//    (SchedulerStore::create_replicate) and bound by signing the WorkerpoolAuthorization (EIP-191 over
//    worker ‖ taskid ‖ enclave challenge, protocol/ids.hpp) — done before the write, outside any transaction — and
//    appending a PLEASE_START notification to the worker's inbox in the same transaction as the reservation;
//  - update_status(): a worker's replicate status update, validated against the replicate machine
//    (scheduler-worker.md §4.4 reworked: idempotent by (task, worker, status); refused edges answer 409 PLEASE_ABORT
//    REFUSED), applied with a compare-and-set, with its effects on the task (STARTED → task RUNNING; REVEALED →
//    AT_LEAST_ONE_REVEALED and an upload request; RESULT_UPLOADED → task RESULT_UPLOADED; CONTRIBUTE_AND_FINALIZE_DONE
//    → FINALIZED) in the same transaction, and the answer of replicate_machine.hpp next_action();
//  - apply_consensus(): the chain side (next session: the mirror) reports consensus; contributors of the consensus
//    get PLEASE_REVEAL, the others PLEASE_ABORT (CONSENSUS_REACHED) — except replicates still CONTRIBUTING (their
//    contribution may be in the consensus block): their CONTRIBUTED report gets PLEASE_REVEAL when it agrees,
//    PLEASE_ABORT (CONSENSUS_REACHED) otherwise;
//  - recovery(): what a returning worker still holds, with fresh authorizations;
//  - check_liveness(): workers silent for lost_after become lost, their replicates WORKER_LOST (the next round
//    replaces them);
//  - TEE tasks (deal tag bit 0; TEE SIMULATION, sim_sms.hpp): the authorization carries the task's enclave challenge
//    from the simulated SMS (recorded in the task row with the first reservation); the enclave key is added to the
//    assignment only when it is delivered to its worker (push, long-poll batch, recovery) — inbox rows never hold it;
//    a TEE trust-1 replicate's CONTRIBUTE_AND_FINALIZE_DONE moves the task RUNNING → FINALIZED, and the chain's
//    TaskFinalize (apply_finalized) moves it to COMPLETED and tells the worker PLEASE_COMPLETE: no reveal, no
//    finalize intent.
// Notifications are committed to the inbox first, then handed to the notifier (WebSocket push, long-poll wake-up).
//
// Thread safety: every member may be called from any thread; assign_round() calls are serialised.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/protocol/types.hpp>
#include <wp/workerapi/messages.hpp>

#include "planner.hpp"
#include "scheduler_store.hpp"
#include "sim_sms.hpp"

namespace wp::scheduler {

struct CoreOptions {
    Address workerpool;
    std::uint64_t chain_id{0};
    //! The workerpool owner's key: signs WorkerpoolAuthorizations.
    PrivateKey signer = PrivateKey::generate();
    std::chrono::seconds heartbeat{10};
    std::chrono::seconds lost_after{60};
    std::size_t max_tasks_per_round{1000};
    //! How long an asked uploader has before another revealed worker is asked (or it is asked again).
    std::chrono::seconds upload_timeout{120};
    //! PLEASE_UPLOAD sent per task at most, counting every worker asked, before a failed (RESULT_UPLOAD_FAILED) or
    //! silent uploader is not asked again (docs/scheduler.md "Results"). Asking another revealed worker is not bound.
    std::uint32_t upload_attempts{4};
    //! After RESULT_UPLOAD_FAILED, the uploader is asked again upload_retry × 2^(k−1) later (k: PLEASE_UPLOADs sent
    //! so far for the task), at most upload_timeout: a durable due-time.
    std::chrono::milliseconds upload_retry{std::chrono::seconds(5)};
    //! PLEASE_UPLOAD carries upload_url_base + "/" + taskId.
    std::string upload_url_base{"http://127.0.0.1/api/v1/results"};
    //! The clock of worker liveness (registration, heartbeats, lost_after); nullptr: the scheduler's clock. The
    //! daemon gives the scheduler chain time (chain_time.hpp) for the deadlines and the host clock here, so a chain
    //! moving ahead does not make every worker look silent.
    Clock* liveness_clock{nullptr};
    //! TEE SIMULATION: the enclave keys of TEE tasks (sim_sms.hpp). The daemon opens it from its data folder; the
    //! default (a random secret) suits an in-memory core.
    SimulatedSms sms = SimulatedSms::random();
};

//! The HTTP status and the answer of a status update.
struct StatusOutcome {
    unsigned http_status{200};
    workerapi::StatusAnswer answer;
};

//! Consensus seen on chain for one task (an item of CoreScheduler::apply_consensus_batch).
struct ConsensusItem {
    Bytes32 task_id;
    Bytes32 consensus;
    std::int64_t reveal_deadline_s{0};
    std::uint64_t block_number{0};
};

//! One worker status update (an item of CoreScheduler::update_status_batch).
struct StatusItem {
    Address worker;
    Bytes32 task_id;
    workerapi::StatusUpdate update;
};

//! What the chain shows of one task (an item of CoreScheduler::reconcile_tasks).
struct ChainTaskView {
    Bytes32 task_id;
    wp::TaskStatus status{wp::TaskStatus::kUnset};  //!< viewTask's status
    Bytes results;                                  //!< viewTask's results (COMPLETED: the result link)
};

//! A contribution seen on chain of a worker whose replicate here gave up before it (an item of
//! CoreScheduler::record_chain_contributions).
struct ChainContribution {
    Bytes32 task_id;
    Address worker;
    Bytes32 result_hash;
    Bytes32 result_seal;
};

class CoreScheduler {
  public:
    using Notifier = std::function<void(const Address& worker, const workerapi::Notification&)>;

    CoreScheduler(SchedulerStore& store, Clock& clock, CoreOptions options);

    //! Called after each committed notification (from the committing thread). Set before serving.
    void set_notifier(Notifier notifier) { notifier_ = std::move(notifier); }
    const CoreOptions& options() const { return options_; }

    Result<workerapi::RegistrationAnswer> register_worker(const Address& worker,
                                                          const workerapi::WorkerRegistration& registration);
    Result<workerapi::HeartbeatAnswer> heartbeat(const Address& worker, const workerapi::Heartbeat& heartbeat);

    //! One assignment cycle; returns the number of replicates created.
    Result<std::size_t> assign_round();

    //! A worker's status update for task `task_id`. Errors: Errc::kInvalidArgument "unknown task …" / "no replicate
    //! of worker …" (HTTP 404); Errc::kDecoding when the details lack what the status requires: resultHash and
    //! resultSeal with CONTRIBUTED and CONTRIBUTE_AND_FINALIZE_DONE, resultLink or callbackData with RESULT_UPLOADED
    //! and CONTRIBUTE_AND_FINALIZE_DONE (HTTP 400); Errc::kIo when the row changed concurrently (HTTP 503, retry).
    //! The outcome carries 200 or 409. (Checking CONTRIBUTED / REVEALED against the chain is the mirror's job, next
    //! session: the chain's view wins over the worker's report.)
    Result<StatusOutcome> update_status(const Address& worker, const Bytes32& task_id,
                                        const workerapi::StatusUpdate& update);

    //! Group commit: the status updates of `items` in ONE write transaction (one fsync), each applied as
    //! update_status() would, in order (a later item sees the effects of the earlier ones: the same update twice is
    //! answered from the recorded answer). Per-item outcomes, with update_status()'s errors: an item's refusal or
    //! error (unknown task, no replicate, missing details, 409) never fails the others. The outcomes are returned
    //! only after the commit, and the notifications are published after it, so an answered update is durable. When
    //! the transaction fails as a whole (a store error, or a row changed under an item after its first write), every
    //! item is applied again alone, in its own transaction.
    std::vector<Result<StatusOutcome>> update_status_batch(const std::vector<StatusItem>& items);

    //! The task is over on chain (finalized): every worker whose replicate of it is not final yet (and not aborted)
    //! gets PLEASE_COMPLETE, so it cleans its task folder up. Returns the workers notified (0 for an unknown task).
    Result<std::size_t> notify_completed(const Bytes32& task_id);
    //! Same for several tasks in one write transaction (a round of finalize outcomes).
    Result<std::size_t> notify_completed(const std::vector<Bytes32>& task_ids);

    //! Consensus seen on chain for the task (REVEALING, consensus hash, reveal deadline, block): RUNNING or INITIALIZED
    //! → CONSENSUS_REACHED, notifications to the contributors. False when the task was not in a state to take it.
    Result<bool> apply_consensus(const Bytes32& task_id, const Bytes32& consensus, std::int64_t reveal_deadline_s,
                                 std::uint64_t block_number);
    //! Group commit of the chain's consensus events (one poll of the mirror): every item as apply_consensus(), in ONE
    //! write transaction; per item, whether it applied. Notifications are published after the commit.
    Result<std::vector<bool>> apply_consensus_batch(const std::vector<ConsensusItem>& items);

    //! The chain shows the task finalized (TaskFinalize). For a TEE task at trust ≤ 1 (contributeAndFinalize):
    //! RUNNING → FINALIZED (when the worker's report has not arrived yet; `result_link` from the event) → COMPLETED,
    //! and PLEASE_COMPLETE to the replicates that reported CONTRIBUTE_AND_FINALIZE_DONE. False when the task is not
    //! ours, not a TEE task, or not in one of those statuses (standard tasks complete through their finalize intent).
    Result<bool> apply_finalized(const Bytes32& task_id, const std::optional<std::string>& result_link);

    //! The restart reconciliation of task statuses (TaskIntents::reconcile_with_chain reads the chain and calls it):
    //! every item's task is re-read and moved to what the chain shows, in ONE write transaction:
    //!  - COMPLETED on chain, not final here (the finalize landed, its outcome was lost; or a TEE task's
    //!    contributeAndFinalize) → FINALIZED (the result link from `results` when the row has none) → COMPLETED, and
    //!    PLEASE_COMPLETE to the replicates as notify_completed();
    //!  - FAILED on chain (claimed, by this core or anybody), not final here → FAILED, PLEASE_ABORT (FINAL_DEADLINE)
    //!    to the replicates not final nor aborted;
    //!  - ACTIVE on chain: RECEIVED / INITIALIZING here → INITIALIZED (due at the contribution deadline);
    //!    CONSENSUS_REACHED / REOPENING / REOPEN_FAILED here (a reopen this core did not see) → REOPENED →
    //!    INITIALIZED (due at the contribution deadline), the contributors that did not reveal FAILED and told
    //!    PLEASE_ABORT (TASK_FAILED) as the reveal timeout does;
    //!  - anything else: unchanged (REVEALING with the task INITIALIZED / RUNNING here is apply_consensus's).
    //! Per item, whether its task moved (false for an unknown task). Notifications are published after the commit.
    //! Thread safety: as the class; meant for the chain thread at start.
    Result<std::vector<bool>> reconcile_tasks(const std::vector<ChainTaskView>& items);
    //! The restart reconciliation of replicates in a failure status (replicate_machine.hpp contribution_repairable:
    //! CONTRIBUTE_FAILED, ABORTED, …) whose contribution IS on chain (the transaction landed after the worker gave up
    //! on it): each is set CONTRIBUTED by the scheduler with the chain's result hash and seal (the task INITIALIZED →
    //! RUNNING as a STARTED report does), in ONE write transaction; from there the consensus and the reveal follow as
    //! for any contributor. Per item, whether its replicate moved (false: unknown task or replicate, or a status that
    //! is not repairable). Nothing is notified here (apply_consensus asks the contributors to reveal).
    Result<std::vector<bool>> record_chain_contributions(const std::vector<ChainContribution>& items);

    //! The timers: every task whose durable due-time has come (SchedulerStore::due_tasks), among the statuses this
    //! class owns, is moved by its deadline, each in its own transaction (docs/scheduler.md "Timers"):
    //!  - final deadline passed (not finalized) → FINAL_DEADLINE_REACHED, PLEASE_ABORT FINAL_DEADLINE to the workers
    //!    (the claim intent is the next session's);
    //!  - INITIALIZED / RUNNING past the contribution deadline → CONTRIBUTION_TIMEOUT, PLEASE_ABORT
    //!    CONTRIBUTION_TIMEOUT, due at the final deadline;
    //!  - CONSENSUS_REACHED past the reveal deadline (nobody revealed) → REOPENING, the unrevealed contributors FAILED
    //!    and told PLEASE_ABORT (the reopen intent is the next session's), due at the final deadline;
    //!  - RESULT_UPLOADING past its due-time (the upload timeout, or the back-off after RESULT_UPLOAD_FAILED) → another
    //!    REVEALED worker is asked (PLEASE_UPLOAD); else the uploader again (from RESULT_UPLOAD_FAILED, or still
    //!    RESULT_UPLOAD_REQUESTED / RESULT_UPLOADING and silent) while the task's PLEASE_UPLOADs are fewer than
    //!    upload_attempts; else RESULT_UPLOAD_TIMEOUT;
    //!  - otherwise the due-time moves to the task's next deadline.
    //! Returns the number of tasks changed. A task moved concurrently is left to the next run.
    Result<std::size_t> run_due(std::size_t limit = 1000);

    Result<workerapi::Recovery> recovery(const Address& worker);
    Result<std::vector<Address>> check_liveness();
    Result<workerapi::NotificationBatch> notifications(const Address& worker, std::uint64_t after,
                                                       std::size_t limit = 100);

    //! The assignment of `worker` for the task (with a freshly signed authorization; a TEE task's names its enclave
    //! challenge). Without the enclave key: see with_enclave_key(). Errc::kInvalidArgument when the task's recorded
    //! challenge differs from the simulated SMS's (its secret was replaced).
    Result<workerapi::Assignment> build_assignment(const DealRecord& deal, const TaskRecord& task,
                                                   const Address& worker) const;
    //! TEE SIMULATION: adds the enclave key (Assignment::tee_simulation) to an assignment of a TEE task, for delivery
    //! to the worker its authorization names. Other assignments are returned unchanged.
    workerapi::Assignment with_enclave_key(workerapi::Assignment assignment) const;
    //! The deal of a task (cached: deal rows never change).
    Result<DealRecord> deal_of(const Bytes32& deal_id);

    //! The measured time a replicate holds its worker's slot: from its creation to the worker's first report of a
    //! status that frees it (COMPUTED, a failure, ABORTED), as an exponential moving average (weight 1/8) over this
    //! process's reports, in seconds; nullopt before the first. It sizes TaskIntents' initialize look-ahead
    //! (planner.hpp initialize_budget). Thread safety: any thread.
    std::optional<double> slot_seconds() const;

  private:
    struct Pending {
        Address worker;
        workerapi::Notification notification;
    };
    void publish(const std::vector<Pending>& committed);
    //! The one shape of every change here: ONE write transaction running `body(tx, pending)` (the store may run it
    //! again after a retryable failure: `pending` is cleared before each attempt), then the notifications it queued
    //! published after the commit (none on an error). Returns what `body` returned.
    template <class Body>
    auto write_then_publish(Body&& body) -> std::invoke_result_t<Body&, store::Tx&, std::vector<Pending>&>;
    //! write_then_publish over `items`: `apply(tx, item, now, pending) -> Result<bool>` for each, in order, in the same
    //! transaction; per item, whether it applied.
    template <class Item, class Apply>
    Result<std::vector<bool>> apply_each(const std::vector<Item>& items, Apply&& apply);
    Result<bool> apply_consensus_item(store::Tx& tx, const ConsensusItem& item, std::int64_t now,
                                      std::vector<Pending>& out);
    //! An item's own outcome (refusal or item error), or its error in `error` — kept apart from the transaction's
    //! error (the Result), which rolls the whole batch back.
    struct Applied {
        std::optional<Error> error;
        StatusOutcome outcome;
    };
    Result<Applied> apply_status(store::Tx& tx, const StatusItem& item, std::int64_t now, std::vector<Pending>& out);
    Result<DealRecord> deal_of(store::Tx& tx, const Bytes32& deal_id);
    Result<bool> fire_due(store::Tx& tx, const TaskRecord& task, std::vector<Pending>& out);
    //! The uploader asked again (RESULT_UPLOAD_FAILED → RESULT_UPLOAD_REQUESTED, PLEASE_UPLOAD, the upload timeout).
    Result<bool> ask_upload_again(store::Tx& tx, const TaskRecord& task, const ReplicateRecord& uploader,
                                  std::vector<Pending>& out);
    //! The back-off before the uploader is asked again after `asked` upload requests (CoreOptions::upload_retry).
    std::int64_t upload_backoff_ms(std::int64_t asked) const;
    Result<bool> reconcile_task(store::Tx& tx, const ChainTaskView& view, std::int64_t now, std::vector<Pending>& out);
    Result<workerapi::Notification> notify(store::Tx& tx, const Address& worker, workerapi::Notification n,
                                           std::vector<Pending>& out);
    std::int64_t now_ms() const { return clock_.unix_ms(); }
    std::int64_t liveness_ms() const {
        return options_.liveness_clock != nullptr ? options_.liveness_clock->unix_ms() : now_ms();
    }

    SchedulerStore& store_;
    Clock& clock_;
    CoreOptions options_;
    Notifier notifier_;
    std::mutex assign_mutex_;
    std::mutex deals_mutex_;
    std::map<Bytes32, DealRecord> deals_;
    void observe_slot_hold(std::int64_t held_ms);
    mutable std::mutex slot_mutex_;
    std::optional<double> slot_seconds_;
};

}  // namespace wp::scheduler
