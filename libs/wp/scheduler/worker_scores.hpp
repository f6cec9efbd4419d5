#pragma once
// WorkerScores: the workers' on-chain scores (PoCo m_workerScores, read with Hub::view_scores) copied into the
// scheduler's store (sched_workers.score), which the planner weighs (planner.hpp: w = worker_weight(score); for
// trust > 1 a heavier worker reaches consensus with fewer replicates, so the planner asks for fewer).
//
// A score changes on chain only when a task the worker contributed to is finalized (the consensus' contributors
// gain, the others lose). So a worker is read:
//  - when it registers (mark(): the daemon's WorkerApiOptions::on_register), and every stored worker once per start
//    (mark_all_stored(): a core restarted after the chain moved);
//  - after a finalize, for every worker with a replicate of the task (mark_tasks(): the daemon's
//    IntentOptions::on_completed; the task ids are resolved to workers from the store in refresh()).
// refresh() reads every marked worker in ONE batched call (view_scores at "latest") and writes the scores in one
// transaction (SchedulerStore::set_worker_scores: a lowered score also lowers the worker's open replicates). It does
// network I/O: the daemon runs it on a loop thread of its own, never on a request thread. Workers whose read failed
// stay marked for the next refresh.
//
// Thread safety: mark*() and pending() from any thread (no I/O, a mutex); refresh() from one thread at a time.

#include <cstddef>
#include <mutex>
#include <set>
#include <vector>

#include <wp/chain/hub.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "scheduler_store.hpp"

namespace wp::scheduler {

struct ScoreRound {
    std::size_t read{0};     //!< workers whose score was read
    std::size_t changed{0};  //!< workers whose stored score changed
    std::size_t failed{0};   //!< reads that failed (still marked)
};

class WorkerScores {
  public:
    //! `max_per_refresh`: workers read per refresh() at most (the rest stay marked).
    WorkerScores(chain::Hub& hub, SchedulerStore& store, std::size_t max_per_refresh = 1000);

    void mark(const Address& worker);
    //! The workers of these tasks' replicates (after their finalize), resolved in the next refresh().
    void mark_tasks(const std::vector<Bytes32>& task_ids);
    //! Every worker in the store, resolved in the next refresh().
    void mark_all_stored();
    //! True when a refresh() has something to do.
    bool pending() const;

    //! Reads the marked workers' scores and stores them (see the file comment). Errors: the store's (the marks are
    //! kept); a failed chain read is not an error of the round (ScoreRound::failed, retried next time).
    Result<ScoreRound> refresh();

  private:
    chain::Hub& hub_;
    SchedulerStore& store_;
    std::size_t max_per_refresh_;
    mutable std::mutex mutex_;
    std::set<Address> workers_;
    std::vector<Bytes32> tasks_;
    bool all_stored_{false};
};

}  // namespace wp::scheduler
