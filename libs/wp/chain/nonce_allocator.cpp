#include "nonce_allocator.hpp"

#include <algorithm>
#include <iterator>

namespace wp::chain {

void NonceAllocator::reset(std::uint64_t next, std::set<std::uint64_t> free, std::set<std::uint64_t> blocked) {
    next_ = next;
    free_ = std::move(free);
    blocked_ = std::move(blocked);
    backoff_state_.clear();
}

std::uint64_t NonceAllocator::take() {
    if (!free_.empty()) {
        const std::uint64_t n = *free_.begin();
        free_.erase(free_.begin());
        return n;
    }
    return next_++;
}

void NonceAllocator::sync(std::uint64_t latest_count) {
    free_.erase(free_.begin(), free_.lower_bound(latest_count));
    blocked_.erase(blocked_.begin(), blocked_.lower_bound(latest_count));
    backoff_state_.erase(backoff_state_.begin(), backoff_state_.lower_bound(latest_count));
    next_ = std::max(next_, latest_count);
}

void NonceAllocator::back_off(std::uint64_t nonce) {
    auto& b = backoff_state_[nonce];
    ++b.failures;
    auto delay = backoff_;
    for (unsigned i = 1; i < b.failures && delay < backoff_max_; ++i) delay *= 2;
    b.not_before = clock_.now() + std::min(delay, backoff_max_);
}

void NonceAllocator::release_filler(std::uint64_t nonce) {
    free_.insert(nonce);
    back_off(nonce);
}

void NonceAllocator::block(std::uint64_t nonce) {
    blocked_.insert(nonce);
    back_off(nonce);
}

void NonceAllocator::trim() {
    while (!free_.empty() && *free_.rbegin() + 1 == next_) {
        free_.erase(std::prev(free_.end()));
        backoff_state_.erase(next_ - 1);
        --next_;
    }
}

std::vector<std::uint64_t> NonceAllocator::due_for_filler() const {
    const auto now = clock_.now();
    std::set<std::uint64_t> due;
    for (const auto* nonces : {&free_, &blocked_}) {
        for (auto n : *nonces) {
            if (auto b = backoff_state_.find(n); b != backoff_state_.end() && now < b->second.not_before) continue;
            due.insert(n);
        }
    }
    return {due.begin(), due.end()};
}

void NonceAllocator::filled(std::uint64_t nonce) {
    free_.erase(nonce);
    blocked_.erase(nonce);
}

}  // namespace wp::chain
