#pragma once
// SchedulerStore: the scheduler's rows (schema.hpp) as typed records, and every state change as a compare-and-set.
//
//  - A task changes status only through transition_task(): the next status comes from task_transition() (pure), and
//    the UPDATE is guarded by `WHERE status = <expected> AND version = <expected>`; false means somebody else moved
//    the task first (re-read and decide again). The change, its history row and anything else the caller writes in
//    the same Tx (e.g. the TxManager intent, SqlTxJournal::append_in) commit together.
//  - A replicate changes status only through set_replicate_status(): replicate_transition() (pure) decides whether
//    the edge exists, the UPDATE is guarded by status and version.
//  - Reserving a replicate (create_replicate) checks, in one write transaction, that the worker is alive, has a free
//    slot (count of its replicates holding one < cpu_slots) and has no replicate of the task yet.
//  - Times are Unix milliseconds from the caller's clock (`now_ms`); task deadlines are Unix seconds (chain time).
//
// Methods taking a Tx& run inside the caller's transaction (write() for changes); the others open their own.
// Errors: the store's (Errc::kIo ...), Errc::kDecoding for a row that does not decode, Errc::kInvalidArgument for a
// transition the machines refuse.
//
// Thread safety: as store::Database (any thread).

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/store/store.hpp>
#include <wp/workerapi/messages.hpp>

#include "replicate_machine.hpp"
#include "task_machine.hpp"

namespace wp::scheduler {

struct TaskKey {
    Bytes32 deal_id;
    std::uint64_t index{0};
    friend bool operator==(const TaskKey&, const TaskKey&) = default;
    friend auto operator<=>(const TaskKey&, const TaskKey&) = default;
};

struct DealRecord {
    Bytes32 deal_id;
    Address app, dataset, workerpool, requester, callback;
    std::uint64_t category{0};
    std::uint64_t category_seconds{0};  //!< workClockTimeRef
    Bytes32 tag;
    std::uint64_t trust{1};
    std::uint64_t bot_first{0}, bot_size{0};
    std::int64_t start_time{0};             //!< Unix s
    std::int64_t contribution_deadline{0};  //!< Unix s (start + 7·T)
    std::int64_t final_deadline{0};         //!< Unix s (start + 10·T)
    std::string app_uri;
    Bytes32 app_checksum;
    std::string app_type;
    std::string dataset_uri;
    Bytes32 dataset_checksum;
    std::string iexec_args;
    std::vector<std::string> input_files;
    std::uint64_t block_number{0};
    std::optional<std::string> refusal;  //!< why the deal is not served (its tasks are inserted FAILED)
    friend bool operator==(const DealRecord&, const DealRecord&) = default;
};

struct TaskRecord {
    TaskKey key;
    Bytes32 task_id;
    TaskStatus status{TaskStatus::kReceived};
    std::int64_t version{0};
    std::optional<std::int64_t> due_ms;
    std::int64_t contribution_deadline{0};
    std::int64_t final_deadline{0};
    std::optional<std::int64_t> reveal_deadline;
    Address enclave_challenge;
    std::optional<Bytes32> consensus;
    std::optional<Address> uploader;
    std::optional<std::string> result_link;
    std::optional<Bytes> callback_data;
    std::optional<std::string> initialize_intent, finalize_intent, reopen_intent, claim_intent;
    std::optional<std::string> failure;
    std::int64_t updated_ms{0};
};

//! Columns a transition may set together with the status (absent: unchanged).
struct TaskChange {
    std::optional<std::int64_t> due_ms;
    bool clear_due{false};  //!< due_ms = NULL
    std::optional<std::int64_t> reveal_deadline;
    std::optional<Address> enclave_challenge;
    std::optional<Bytes32> consensus;
    std::optional<Address> uploader;
    std::optional<std::string> result_link;
    std::optional<Bytes> callback_data;
    std::optional<std::string> initialize_intent, finalize_intent, reopen_intent, claim_intent;
    std::optional<std::string> failure;
};

struct WorkerRecord {
    Address address;
    workerapi::WorkerRegistration registration;
    std::int64_t registered_ms{0};
    std::int64_t last_seen_ms{0};
    bool alive{false};
    U256 score;
    std::uint32_t used_slots{0};  //!< replicates holding a slot now
    std::uint64_t last_seq{0};
};

struct ReplicateRecord {
    TaskKey task;
    Address worker;
    ReplicateStatus status{ReplicateStatus::kCreated};
    ReplicateStatus last_relevant{ReplicateStatus::kCreated};
    std::int64_t version{0};
    bool holds_slot{true};
    U256 score;  //!< the worker's score at creation
    std::int64_t created_ms{0};
    std::int64_t updated_ms{0};
    workerapi::StatusDetails details;  //!< the contribution / failure details reported so far (merged)
};

//! What a worker's status update needs to be decided (SchedulerStore::status_context).
struct StatusContext {
    TaskRecord task;
    std::optional<workerapi::StatusAnswer> recorded;  //!< the answer already given to this (worker, status)
    std::optional<ReplicateRecord> replicate;         //!< the worker's replicate of the task
};

class SchedulerStore {
  public:
    //! Write-behind (below) is on with PostgreSQL, off with SQLite (measured: statements are cheap there and the
    //! overlays cost the writer more CPU than they save; docs/scheduler.md "Measured").
    explicit SchedulerStore(store::Database& db) : db_(db), write_behind_(db.backend() == store::Backend::kPostgres) {}

    //! Write-behind on one write transaction (the worker status batch, CoreScheduler::update_status_batch): while a
    //! WriteBehind is open on `tx`, the writes of this store whose result the caller does not read are kept in memory
    //! and sent together by flush():
    //!  - record_answer, the history row of transition_task and the row of append_notification become multi-row
    //!    INSERTs (chunks of 256, 128, …, 1 rows: a few prepared statement shapes);
    //!  - the compare-and-set UPDATEs of transition_task and set_replicate_status return the new record computed in
    //!    memory; the UPDATE itself (`… RETURNING version`) runs at flush, which fails with Errc::kIo "… changed
    //!    concurrently" when it matched no row (the caller's transaction then rolls back, as the immediate
    //!    compare-and-set would have made it do);
    //!  - with PostgreSQL all of it goes in one pipelined round trip (Tx::query_batch) instead of one per statement.
    //! Reads stay consistent with the writes kept: status_context overlays the records and answers written in the
    //! scope (a task or replicate changed twice in one batch, the same update twice); every other method of this
    //! store called with `tx` flushes first (deal() excepted: deals are not written here). Statements the caller runs
    //! on `tx` itself do not see what is kept: flush() before them.
    //! flush() may be called several times; the destructor drops what was not flushed (call it only on a path where
    //! the transaction rolls back). One WriteBehind per transaction, on the thread that runs it (it is found through
    //! a thread-local pointer); not copyable, not movable.
    class WriteBehind {
      public:
        WriteBehind(SchedulerStore& store, store::Tx& tx);
        ~WriteBehind();
        WriteBehind(const WriteBehind&) = delete;
        WriteBehind& operator=(const WriteBehind&) = delete;
        //! Sends what is kept (see above); the overlays are emptied, the scope stays open.
        Result<void> flush();
        //! Reads, in one round trip (three statements per chunk of 256 ids, pipelined), what status_context needs for
        //! each of `task_ids` (the tasks, all their replicates and recorded answers): status_context then answers for
        //! these tasks from memory (plus the scope's own changes) instead of one statement each. Valid until the
        //! next flush (which empties it). Flushes first. Does nothing for fewer tasks than it pays for (2 with
        //! PostgreSQL, 4 with SQLite). Errors: the store's.
        Result<void> prefetch_status_contexts(const std::vector<Bytes32>& task_ids);
        struct State;

      private:
        std::unique_ptr<State> state_;
    };

    store::Database& database() { return db_; }

    //! Whether a WriteBehind defers anything (default: with PostgreSQL only, see the constructor). false makes every
    //! WriteBehind a no-op: each write runs at once, as before write-behind existed (for measuring what it gains). Any
    //! thread; takes effect for the WriteBehind scopes opened after the call.
    void set_write_behind(bool on) { write_behind_.store(on, std::memory_order_relaxed); }

    // ---- Deals and tasks ----
    //! Inserts the deal and one task per index in [bot_first, bot_first + bot_size) (task_id = keccak256(deal ‖ idx)),
    //! status RECEIVED with due_ms = now_ms (FAILED with the refusal when `deal.refusal` is set). Idempotent: a deal
    //! already present changes nothing and returns false.
    Result<bool> insert_deal(const DealRecord& deal, std::int64_t now_ms);
    //! Same, inside the caller's write transaction (the deal intake: the mirror's batch transaction).
    Result<bool> insert_deal(store::Tx& tx, const DealRecord& deal, std::int64_t now_ms);
    Result<std::optional<DealRecord>> deal(const Bytes32& deal_id);
    Result<std::optional<DealRecord>> deal(store::Tx& tx, const Bytes32& deal_id);
    Result<std::optional<TaskRecord>> task(const TaskKey& key);
    Result<std::optional<TaskRecord>> task(store::Tx& tx, const TaskKey& key);
    Result<std::optional<TaskRecord>> task_by_id(const Bytes32& task_id);
    Result<std::optional<TaskRecord>> task_by_id(store::Tx& tx, const Bytes32& task_id);
    //! Tasks whose due_ms ≤ now_ms, earliest first.
    Result<std::vector<TaskRecord>> due_tasks(std::int64_t now_ms, std::size_t limit);
    //! Same, only tasks in one of `statuses` (each timer owner reads its own statuses).
    Result<std::vector<TaskRecord>> due_tasks(std::int64_t now_ms, std::size_t limit,
                                              const std::vector<TaskStatus>& statuses);
    //! INITIALIZED and RUNNING tasks, earliest contribution deadline first.
    Result<std::vector<TaskRecord>> schedulable_tasks(std::size_t limit);
    //! Tasks in one of `statuses`, least recently updated first (the intent owners' work lists).
    Result<std::vector<TaskRecord>> tasks_in(const std::vector<TaskStatus>& statuses, std::size_t limit);
    //! Tasks by status (for metrics and the API).
    Result<std::vector<std::pair<TaskStatus, std::int64_t>>> task_counts();
    //! The most recently changed tasks (optionally of one status), newest first.
    Result<std::vector<TaskRecord>> recent_tasks(std::optional<TaskStatus> status, std::size_t limit);
    //! The most recently received deals, newest first, each with its tasks counted by status.
    Result<std::vector<std::pair<DealRecord, std::vector<std::pair<TaskStatus, std::int64_t>>>>> recent_deals(
        std::size_t limit);

    //! Compare-and-set transition (see the file comment). Returns the new record, or nullopt when the stored status or
    //! version differ from `expected`. The machine refusing the event is an error.
    Result<std::optional<TaskRecord>> transition_task(store::Tx& tx, const TaskRecord& expected, TaskEvent event,
                                                      const TaskChange& change, std::int64_t now_ms);
    //! Same, in its own write transaction.
    Result<std::optional<TaskRecord>> transition_task(const TaskRecord& expected, TaskEvent event,
                                                      const TaskChange& change, std::int64_t now_ms);
    //! Moves the task's due-time without a status change (compare-and-set on the version; nullopt if it moved).
    Result<std::optional<TaskRecord>> reschedule_task(store::Tx& tx, const TaskRecord& expected,
                                                      std::optional<std::int64_t> due_ms, std::int64_t now_ms);

    //! Records the task's enclave challenge (TEE tasks, sim_sms.hpp) while the stored one is still zero; the status
    //! and version are left alone. False when a challenge was already recorded.
    Result<bool> set_enclave_challenge(store::Tx& tx, const TaskKey& task, const Address& challenge);

    // ---- Workers ----
    //! Registers or updates a worker (capacity), marks it alive and seen now. Returns the record.
    Result<WorkerRecord> upsert_worker(const Address& address, const workerapi::WorkerRegistration& registration,
                                       std::int64_t now_ms);
    //! Heartbeat: last_seen = now, alive = true. False when the worker is not registered.
    Result<bool> touch_worker(const Address& address, std::int64_t now_ms);
    Result<std::optional<WorkerRecord>> worker(const Address& address);
    Result<std::vector<WorkerRecord>> workers();
    Result<void> set_worker_score(const Address& address, const U256& score);
    //! The workers' on-chain scores (WorkerScores, worker_scores.hpp), in ONE write transaction: each registered
    //! worker's stored score is replaced (unregistered addresses are skipped). When a score went down, the score
    //! recorded in that worker's replicates that are not final (COMPLETED, FAILED, WORKER_LOST) is lowered to it
    //! where it was higher, so the planner never counts on more weight than the chain gives (a lower weight costs at
    //! most one more replicate; a higher one would leave a task waiting for a consensus that does not come). Returns
    //! the workers whose stored score changed.
    Result<std::vector<Address>> set_worker_scores(const std::vector<std::pair<Address, U256>>& scores);
    //! Alive workers silent since before now_ms − lost_after_ms become not alive, and each of their non-final
    //! replicates becomes WORKER_LOST (releasing its slot). Returns the workers marked lost.
    Result<std::vector<Address>> mark_lost_workers(std::int64_t now_ms, std::int64_t lost_after_ms);

    // ---- Replicates ----
    //! Reserves a replicate (see the file comment) with status CREATED. False when the worker is not alive, has no
    //! free slot, or already has a replicate of this task.
    Result<bool> create_replicate(store::Tx& tx, const TaskKey& task, const Address& worker, const U256& score,
                                  std::int64_t now_ms);
    Result<std::optional<ReplicateRecord>> replicate(const TaskKey& task, const Address& worker);
    Result<std::vector<ReplicateRecord>> replicates_of_task(const TaskKey& task);
    Result<std::vector<ReplicateRecord>> replicates_of_task(store::Tx& tx, const TaskKey& task);
    //! Every replicate of the INITIALIZED and RUNNING tasks (one query: the assignment round's snapshot).
    Result<std::vector<ReplicateRecord>> replicates_of_schedulable_tasks();
    //! The worker's replicates whose status is not final.
    Result<std::vector<ReplicateRecord>> active_replicates_of_worker(const Address& worker);
    //! Compare-and-set on (status, version) after replicate_transition(expected.status — or its last relevant status
    //! after an interruption, for worker updates — , to, who). Non-empty fields of `details` are merged into the
    //! stored ones. Returns the new record or nullopt when the row changed meanwhile.
    Result<std::optional<ReplicateRecord>> set_replicate_status(store::Tx& tx, const ReplicateRecord& expected,
                                                                ReplicateStatus to, Modifier who,
                                                                const workerapi::StatusDetails& details,
                                                                std::int64_t now_ms);

    // ---- Idempotency of worker updates ----
    Result<std::optional<workerapi::StatusAnswer>> recorded_answer(store::Tx& tx, const TaskKey& task,
                                                                   const Address& worker, ReplicateStatus status);
    Result<void> record_answer(store::Tx& tx, const TaskKey& task, const Address& worker, ReplicateStatus status,
                               const workerapi::StatusAnswer& answer, std::int64_t now_ms);
    //! Forgets the answers recorded for (task, worker, s) for each s of `statuses`, so that the worker may report
    //! them again as new updates (a result upload asked again after RESULT_UPLOAD_FAILED). Returns the rows deleted.
    Result<std::int64_t> forget_answers(store::Tx& tx, const TaskKey& task, const Address& worker,
                                        const std::vector<ReplicateStatus>& statuses);
    //! How many times the task went through `event` (its history, sched_task_events).
    Result<std::int64_t> count_task_events(store::Tx& tx, const TaskKey& task, TaskEvent event);

    //! The task `task_id`, the answer recorded for (task, worker, status) and the worker's replicate of the task, in
    //! ONE statement (what recorded_answer(), task_by_id() and replicates_of_task() give in three). nullopt for an
    //! unknown task.
    Result<std::optional<StatusContext>> status_context(store::Tx& tx, const Bytes32& task_id, const Address& worker,
                                                        ReplicateStatus status);

    // ---- Notification inbox ----
    //! Appends `n` (its seq is assigned: the worker's last_seq + 1) and returns it with its seq.
    Result<workerapi::Notification> append_notification(store::Tx& tx, const Address& worker, workerapi::Notification n,
                                                        std::int64_t now_ms);
    //! Notifications with seq > after, oldest first, at most `limit`; last_seq is the worker's current one.
    Result<workerapi::NotificationBatch> notifications_after(const Address& worker, std::uint64_t after,
                                                             std::size_t limit);

  private:
    store::Database& db_;
    std::atomic<bool> write_behind_;
};

}  // namespace wp::scheduler
