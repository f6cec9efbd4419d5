#pragma once
// StallDetector: the timing half of TxManager's out-of-order stall rule (tx_manager.hpp, step 6). Each round the
// manager says which nonce is stalled (the lowest unmined nonce, ours, accepted, with nothing ready — or nullopt
// when the condition does not hold); once the same nonce has been stalled for `stall_after`, observe() answers true
// (kick: broadcast it again, call stall_kick_method) and the timer starts again for that nonce. A round where the
// condition does not hold, or a different nonce, restarts the timer. Escalation: when `kicks_before_replace` kicks
// (> 0) did not move the nonce, the next due action is a replacement instead (a fee-bumped transaction is NEW to the
// node's pool: anvil can keep a transaction queued through re-broadcasts, "already imported", and evm_mine), and the
// kick count starts again. Pure: the caller passes the time.
//
// Thread safety: none (TxManager calls it under its state lock).

#include <chrono>
#include <cstdint>
#include <optional>

#include <wp/core/clock.hpp>

namespace wp::chain {

enum class StallAction {
    kNone,     //!< nothing to do this round
    kKick,     //!< broadcast the stalled transaction again and call stall_kick_method
    kReplace,  //!< replace the stalled transaction now (fee bump), whatever replace_after says
};

class StallDetector {
  public:
    explicit StallDetector(std::chrono::milliseconds stall_after, unsigned kicks_before_replace = 0)
        : stall_after_(stall_after), kicks_before_replace_(kicks_before_replace) {}

    //! One round's observation; the action due now (header comment).
    StallAction observe(std::optional<std::uint64_t> stalled_nonce, Clock::time_point now);

  private:
    struct Stall {
        std::uint64_t nonce{0};
        Clock::time_point since{};
        unsigned kicks{0};
    };
    std::chrono::milliseconds stall_after_;
    unsigned kicks_before_replace_;
    std::optional<Stall> stall_;
};

}  // namespace wp::chain
