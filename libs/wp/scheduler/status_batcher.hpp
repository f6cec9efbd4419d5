#pragma once
// StatusBatcher: group commit for the worker status updates (POST /api/v1/tasks/:taskId/status), the market's
// PublishBatcher pattern. Concurrent updates are queued; ONE writer thread folds what is waiting (up to max_batch
// items) into one write transaction (CoreScheduler::update_status_batch: per-item outcomes, one refused or failing
// item never fails the others). Each item's completion runs only AFTER that transaction committed (durable as the
// database is configured: synchronous=FULL in the daemon), so an answered update survives a kill -9 that follows
// the answer. No waiting for a batch to fill: the writer takes whatever queued while the previous transaction ran,
// so one worker alone sees the latency of a single-item transaction.
//
// Why: with one write transaction per update the scheduler pays one fsync (SQLite FULL) or one commit flush
// (PostgreSQL) per update, ~15 per trust-1 task; a batch pays it once (docs/scheduler.md "Group commit").
//
// After a batch, when `assign_after` is set and an item freed a worker's slot (a status that no longer holds one),
// the writer runs ONE assignment round (CoreScheduler::assign_round, itself one transaction) instead of one per
// update.
//
// Completions (Done) run on the writer thread: they must be short and must not block (the worker API hands the
// answer to net's Responder). They are called exactly once per submit(), also when the batcher stops: items still
// queued are written first; items submitted after stop() complete at once with Errc::kIo "scheduler is stopping".
//
// Thread safety: submit() and stats() from any thread. stop() (and the destructor) join the writer: call them from
// outside any completion.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core_scheduler.hpp"

namespace wp::scheduler {

struct StatusBatcherOptions {
    //! Items per write transaction at most (the writer takes fewer when fewer are waiting). At least 1.
    std::size_t max_batch{256};
    //! One assignment round after a batch in which an update freed a slot.
    bool assign_after{true};
};

struct StatusBatcherStats {
    std::uint64_t batches{0};        //!< write transactions run (update_status_batch calls)
    std::uint64_t items{0};          //!< updates written
    std::uint64_t largest_batch{0};  //!< most updates in one transaction
    std::uint64_t assign_rounds{0};  //!< assignment rounds run after a batch
    std::uint64_t writer_cpu_ns{0};  //!< CPU time of the writer thread (the serial part of an update)
};

class StatusBatcher {
  public:
    using Done = std::function<void(Result<StatusOutcome>)>;

    //! Starts the writer. `core` must outlive the batcher.
    explicit StatusBatcher(CoreScheduler& core, StatusBatcherOptions options = {});
    ~StatusBatcher();
    StatusBatcher(const StatusBatcher&) = delete;
    StatusBatcher& operator=(const StatusBatcher&) = delete;

    //! Queues an update; `done` gets its outcome after the commit (see above).
    void submit(StatusItem item, Done done);
    //! Writes what is queued, joins the writer. Idempotent.
    void stop();

    StatusBatcherStats stats() const;

  private:
    struct Job {
        StatusItem item;
        Done done;
    };
    void writer_loop();

    CoreScheduler& core_;
    StatusBatcherOptions options_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool stopping_{false};
    StatusBatcherStats stats_;
    std::thread writer_;
};

}  // namespace wp::scheduler
