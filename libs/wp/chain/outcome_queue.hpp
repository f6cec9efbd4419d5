#pragma once
// OutcomeQueue: where TxManager (tx_manager.hpp) keeps the state of every call not yet delivered and its final
// outcome until someone takes it — a waiter registered for that call (wait / send_and_wait), else the next poll().
// Each outcome is taken exactly once. It also counts finished rounds so that waiters wait for the running round
// instead of running their own.
//
// Thread safety: every member function may be called from any thread; one internal mutex, never held while the
// caller does I/O.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "tx_manager_types.hpp"

namespace wp::chain {

class OutcomeQueue {
  public:
    //! A call entered the manager with `status`; `waited`: a waiter is registered for it at once.
    void add(std::uint64_t id, TxStatus status, bool waited);
    //! The new state of a call still in flight (no effect for an unknown or delivered call).
    void set(std::uint64_t id, TxStatus status);
    //! nullopt for an unknown call, or one whose outcome was taken.
    std::optional<TxStatus> status(std::uint64_t id) const;
    //! Registers a waiter: its outcome goes to take(id) only. False when the call is not in flight.
    bool register_waiter(std::uint64_t id);
    void unregister_waiter(std::uint64_t id);
    //! A final outcome (its status becomes outcome.status until it is taken).
    void push(TxOutcome outcome);
    //! The outcome of `id` when it is ready (then forgotten).
    std::optional<TxOutcome> take(std::uint64_t id);
    //! Every ready outcome that no waiter waits for, in completion order (then forgotten).
    std::vector<TxOutcome> take_unwaited();
    //! The end of a round: wakes wait_for_round().
    void round_finished();
    std::uint64_t rounds() const;
    //! Blocks until a round ends after `seen` rounds, or `timeout` passes (a bound on a waiter's loop step).
    void wait_for_round(std::uint64_t seen, std::chrono::milliseconds timeout);
    //! A new block was announced (TxManager::notify_new_head): wakes wait_for_round_or_head().
    void head();
    std::uint64_t heads() const;
    //! Blocks until a round ends after `seen_rounds`, a head comes after `seen_heads`, or `timeout` passes.
    void wait_for_round_or_head(std::uint64_t seen_rounds, std::uint64_t seen_heads, std::chrono::milliseconds timeout);

  private:
    mutable std::mutex mutex_;
    std::condition_variable round_cv_;
    std::uint64_t rounds_{0};
    std::uint64_t heads_{0};
    std::deque<TxOutcome> ready_;
    std::set<std::uint64_t> waited_;
    std::map<std::uint64_t, TxStatus> statuses_;
};

}  // namespace wp::chain
