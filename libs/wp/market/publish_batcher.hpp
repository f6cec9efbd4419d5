#pragma once
// PublishBatcher: group commit for POST /<kind>orders. Concurrent publishes are queued and ONE writer thread folds
// what is waiting (up to max_batch items) into one write transaction (Publisher::write_batch, publish.hpp "Batches":
// the rules per item in queue order, per-item outcomes, one refused item never fails the others, duplicates and the
// max-open-orders rule hold across the batch). Each item's completion runs only after that transaction COMMITTED
// (durable as the database is configured), so an acknowledged order survives a kill -9 that follows the reply.
//
// Why: with one write transaction per publish the market is bound by the database's single writer (SQLite's one
// BEGIN IMMEDIATE connection; a PostgreSQL commit flush): ~0.65 ms per order. A batch pays the transaction (BEGIN,
// COMMIT, the WAL write or the PostgreSQL flush) once. No waiting for a batch to fill: the writer takes whatever
// queued while the previous transaction ran, so one client alone sees the latency of a single-item transaction.
//
// Items whose facts are cold (an incomplete mirror) or whose signature needs hub.verifySignature come back from the
// transaction with needs_fact: the fact is fetched on the "slow lane" (a few threads of the batcher, never the
// writer: an RPC must not stall the other publishers) and the item is queued again (at most 8 rounds, then
// kInternal "publish: chain facts kept changing"). post_slow() runs other slow work there (the API's catch-up on
// demand, which waits for the chain mirror).
//
// Completions (Done) run on the writer thread (or a slow-lane thread): they must be short and must not block (the
// API builds the JSON answer and hands it to net's Responder). They are called exactly once per submit(), also when
// the batcher stops: items still queued are written first; items submitted after stop() complete at once with
// kInternal "market is stopping".
//
// Thread safety: submit() and post_slow() from any thread. stop() (and the destructor) join the threads: call them
// from outside any completion.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "publish.hpp"

namespace wp::market {

struct PublishBatcherOptions {
    //! Items per write transaction at most (the writer takes fewer when fewer are waiting).
    std::size_t max_batch{256};
    //! Threads of the slow lane (cold-fact fetches, post_slow work). At least 1.
    unsigned slow_threads{2};
};

struct PublishBatcherStats {
    std::uint64_t batches{0};         //!< write transactions run (write_batch calls)
    std::uint64_t items{0};           //!< items written (each attempt counts)
    std::uint64_t largest_batch{0};   //!< most items in one transaction
    std::uint64_t fact_fetches{0};    //!< items sent to the slow lane for a missing chain fact
    std::uint64_t writer_busy_ns{0};  //!< wall time the writer spent in transactions and completions
    std::uint64_t writer_cpu_ns{0};   //!< CPU time of the writer thread (the serial part of a publish)
};

class PublishBatcher {
  public:
    //! The outcome, and when published the HTTP answer (BatchItemOutcome::reply_json).
    using Done = std::function<void(PublishResult<OrderRecord> result, std::string reply_json)>;

    //! Starts the writer and the slow lane. `publisher` must outlive the batcher.
    explicit PublishBatcher(Publisher& publisher, PublishBatcherOptions options = {});
    ~PublishBatcher();
    PublishBatcher(const PublishBatcher&) = delete;
    PublishBatcher& operator=(const PublishBatcher&) = delete;

    //! Queues a prepared publish (Publisher::prepare); `done` gets its outcome after the commit (see above).
    void submit(PreparedPublish item, Done done);
    //! Runs `fn` on a slow-lane thread (work that waits: RPC, the chain mirror). After stop(): run at once, here.
    void post_slow(std::function<void()> fn);
    //! Writes what is queued, finishes the slow lane, joins the threads. Idempotent.
    void stop();

    PublishBatcherStats stats() const;

  private:
    struct Job {
        PreparedPublish item;
        Done done;
        int rounds{0};  // fact fetches so far
    };
    void writer_loop();
    void slow_loop();
    void enqueue(Job job);

    Publisher& publisher_;
    PublishBatcherOptions options_;
    mutable std::mutex mu_;
    std::condition_variable writer_cv_;
    std::condition_variable slow_cv_;
    std::deque<Job> queue_;
    std::deque<std::function<void()>> slow_queue_;
    std::size_t slow_busy_{0};
    bool stopping_{false};     // no new submit / post_slow
    bool writer_done_{false};  // the writer exited
    PublishBatcherStats stats_;
    std::thread writer_;
    std::vector<std::thread> slow_;
};

}  // namespace wp::market
