#include "worker_scores.hpp"

#include <utility>

namespace wp::scheduler {

WorkerScores::WorkerScores(chain::Hub& hub, SchedulerStore& store, std::size_t max_per_refresh)
    : hub_(hub), store_(store), max_per_refresh_(max_per_refresh == 0 ? 1 : max_per_refresh) {}

void WorkerScores::mark(const Address& worker) {
    std::lock_guard lock(mutex_);
    workers_.insert(worker);
}

void WorkerScores::mark_tasks(const std::vector<Bytes32>& task_ids) {
    std::lock_guard lock(mutex_);
    tasks_.insert(tasks_.end(), task_ids.begin(), task_ids.end());
}

void WorkerScores::mark_all_stored() {
    std::lock_guard lock(mutex_);
    all_stored_ = true;
}

bool WorkerScores::pending() const {
    std::lock_guard lock(mutex_);
    return all_stored_ || !workers_.empty() || !tasks_.empty();
}

Result<ScoreRound> WorkerScores::refresh() {
    std::vector<Bytes32> tasks;
    bool all_stored = false;
    {
        std::lock_guard lock(mutex_);
        tasks.swap(tasks_);
        all_stored = std::exchange(all_stored_, false);
    }
    // Resolve the task and "all" marks to workers from the store (on failure the marks are put back).
    std::set<Address> resolved;
    auto resolve = [&]() -> Result<void> {
        if (all_stored) {
            WP_TRY(auto stored, store_.workers());
            for (const auto& w : stored) resolved.insert(w.address);
        }
        for (const Bytes32& id : tasks) {
            WP_TRY(auto task, store_.task_by_id(id));
            if (!task) continue;
            WP_TRY(auto reps, store_.replicates_of_task(task->key));
            for (const auto& r : reps) resolved.insert(r.worker);
        }
        return {};
    };
    if (auto r = resolve(); !r) {
        std::lock_guard lock(mutex_);
        tasks_.insert(tasks_.end(), tasks.begin(), tasks.end());
        all_stored_ = all_stored_ || all_stored;
        return tl::unexpected(r.error());
    }
    std::vector<Address> batch;
    {
        std::lock_guard lock(mutex_);
        workers_.insert(resolved.begin(), resolved.end());
        while (!workers_.empty() && batch.size() < max_per_refresh_) {
            batch.push_back(*workers_.begin());
            workers_.erase(workers_.begin());
        }
    }
    ScoreRound round;
    if (batch.empty()) return round;
    auto scores = hub_.view_scores(batch);
    std::vector<std::pair<Address, U256>> read;
    std::vector<Address> failed;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (i < scores.size() && scores[i]) read.emplace_back(batch[i], *scores[i]);
        else failed.push_back(batch[i]);
    }
    round.read = read.size();
    round.failed = failed.size();
    auto changed = read.empty() ? Result<std::vector<Address>>{} : store_.set_worker_scores(read);
    {
        std::lock_guard lock(mutex_);
        workers_.insert(failed.begin(), failed.end());
        if (!changed)
            for (const auto& [a, s] : read) workers_.insert(a);
    }
    if (!changed) return tl::unexpected(changed.error());
    round.changed = changed->size();
    return round;
}

}  // namespace wp::scheduler
