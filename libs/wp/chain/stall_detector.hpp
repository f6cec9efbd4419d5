#pragma once
// StallDetector: the timing half of TxManager's out-of-order stall rule (tx_manager.hpp, step 6). Each round the
// manager says which nonce is stalled (the lowest unmined nonce, ours, accepted, with nothing ready — or nullopt
// when the condition does not hold); once the same nonce has been stalled for `stall_after`, observe() answers true
// (kick: broadcast it again, call stall_kick_method) and the timer starts again for that nonce. A round where the
// condition does not hold, or a different nonce, restarts the timer. Pure: the caller passes the time.
//
// Thread safety: none (TxManager calls it under its round lock).

#include <chrono>
#include <cstdint>
#include <optional>

#include <wp/core/clock.hpp>

namespace wp::chain {

class StallDetector {
  public:
    explicit StallDetector(std::chrono::milliseconds stall_after) : stall_after_(stall_after) {}

    //! One round's observation; true when a kick is due now (header comment).
    bool observe(std::optional<std::uint64_t> stalled_nonce, Clock::time_point now);

  private:
    struct Stall {
        std::uint64_t nonce{0};
        Clock::time_point since{};
    };
    std::chrono::milliseconds stall_after_;
    std::optional<Stall> stall_;
};

}  // namespace wp::chain
