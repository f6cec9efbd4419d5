#pragma once
// NonceAllocator: the nonce bookkeeping of one TxManager wallet (tx_manager.hpp, "Nonce rules"), without I/O.
//
//   next        the nonce the next new call gets when no nonce is free;
//   free        nonces below `next` given up by their call (journaled kReleased first): the lowest goes to the
//               next call; while no call takes it, it is filled by a 0-value self-transfer (a "nonce filler");
//   blocked     nonces held in the node's pool by a foreign transaction: never given to a call, only filled;
//   back-off    after a refused filler (release_filler) or a block, that nonce is not filled again before
//               backoff * 2^(failures - 1) (at most backoff_max), on the given Clock.
// sync(latest) forgets every free / blocked nonce below the account's latest transaction count (used on chain) and
// raises `next` to at least that count; trim() lowers `next` over free nonces at its top (nothing above them in
// flight, so no filler is needed).
//
// Thread safety: none (the manager calls it under its state lock).

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include <wp/core/clock.hpp>

namespace wp::chain {

class NonceAllocator {
  public:
    NonceAllocator(Clock& clock, std::chrono::milliseconds backoff, std::chrono::milliseconds backoff_max)
        : clock_(clock), backoff_(backoff), backoff_max_(backoff_max) {}

    //! The state found in the journal at a restart.
    void reset(std::uint64_t next, std::set<std::uint64_t> free, std::set<std::uint64_t> blocked);
    //! The lowest free nonce, else `next` (then incremented).
    std::uint64_t take();
    //! What take() would return, without taking it.
    std::uint64_t peek() const { return free_.empty() ? next_ : *free_.begin(); }
    std::uint64_t next() const { return next_; }
    void sync(std::uint64_t latest_count);
    //! A nonce given back by a call (its release is journaled): free again.
    void release(std::uint64_t nonce) { free_.insert(nonce); }
    //! A nonce given back by a refused filler: free again, with a back-off before the next filler.
    void release_filler(std::uint64_t nonce);
    //! A nonce held by a foreign transaction: blocked (fillers only), with a back-off.
    void block(std::uint64_t nonce);
    //! A filler of `nonce` was accepted by the node: its back-off is over.
    void filler_accepted(std::uint64_t nonce) { backoff_state_.erase(nonce); }
    //! Lowers `next` over the free nonces at its top.
    void trim();
    //! The free and blocked nonces whose back-off has passed (candidates for a filler), in order.
    std::vector<std::uint64_t> due_for_filler() const;
    //! A filler was signed for `nonce`: it is neither free nor blocked any more (the filler owns it).
    void filled(std::uint64_t nonce);
    bool has_unowned() const { return !free_.empty() || !blocked_.empty(); }
    const std::set<std::uint64_t>& free() const { return free_; }
    const std::set<std::uint64_t>& blocked() const { return blocked_; }

  private:
    struct Backoff {
        Clock::time_point not_before{};
        unsigned failures{0};
    };
    void back_off(std::uint64_t nonce);

    Clock& clock_;
    std::chrono::milliseconds backoff_;
    std::chrono::milliseconds backoff_max_;
    std::uint64_t next_{0};
    std::set<std::uint64_t> free_;
    std::set<std::uint64_t> blocked_;
    std::map<std::uint64_t, Backoff> backoff_state_;
};

}  // namespace wp::chain
