#include "outcome_queue.hpp"

namespace wp::chain {

void OutcomeQueue::add(std::uint64_t id, TxStatus status, bool waited) {
    std::lock_guard lock(mutex_);
    statuses_[id] = status;
    if (waited) waited_.insert(id);
}

void OutcomeQueue::set(std::uint64_t id, TxStatus status) {
    std::lock_guard lock(mutex_);
    if (auto it = statuses_.find(id); it != statuses_.end()) it->second = status;
}

std::optional<TxStatus> OutcomeQueue::status(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = statuses_.find(id);
    if (it == statuses_.end()) return std::nullopt;
    return it->second;
}

bool OutcomeQueue::register_waiter(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    if (!statuses_.contains(id)) return false;
    waited_.insert(id);
    return true;
}

void OutcomeQueue::unregister_waiter(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    waited_.erase(id);
}

void OutcomeQueue::push(TxOutcome outcome) {
    std::lock_guard lock(mutex_);
    statuses_[outcome.handle.id] = outcome.status;
    ready_.push_back(std::move(outcome));
}

std::optional<TxOutcome> OutcomeQueue::take(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    for (auto it = ready_.begin(); it != ready_.end(); ++it) {
        if (it->handle.id == id) {
            TxOutcome outcome = std::move(*it);
            ready_.erase(it);
            waited_.erase(id);
            statuses_.erase(id);
            return outcome;
        }
    }
    return std::nullopt;
}

std::vector<TxOutcome> OutcomeQueue::take_unwaited() {
    std::lock_guard lock(mutex_);
    std::vector<TxOutcome> out;
    for (auto it = ready_.begin(); it != ready_.end();) {
        if (waited_.contains(it->handle.id)) {
            ++it;
        } else {
            statuses_.erase(it->handle.id);
            out.push_back(std::move(*it));
            it = ready_.erase(it);
        }
    }
    return out;
}

void OutcomeQueue::round_finished() {
    {
        std::lock_guard lock(mutex_);
        ++rounds_;
    }
    round_cv_.notify_all();
}

std::uint64_t OutcomeQueue::rounds() const {
    std::lock_guard lock(mutex_);
    return rounds_;
}

void OutcomeQueue::wait_for_round(std::uint64_t seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    round_cv_.wait_for(lock, timeout, [&] { return rounds_ != seen; });
}

void OutcomeQueue::head() {
    {
        std::lock_guard lock(mutex_);
        ++heads_;
    }
    round_cv_.notify_all();
}

std::uint64_t OutcomeQueue::heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
}

void OutcomeQueue::wait_for_round_or_head(std::uint64_t seen_rounds, std::uint64_t seen_heads,
                                          std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    round_cv_.wait_for(lock, timeout, [&] { return rounds_ != seen_rounds || heads_ != seen_heads; });
}

}  // namespace wp::chain
