#include "stall_detector.hpp"

namespace wp::chain {

bool StallDetector::observe(std::optional<std::uint64_t> stalled_nonce, Clock::time_point now) {
    if (!stalled_nonce) {
        stall_.reset();
        return false;
    }
    if (!stall_ || stall_->nonce != *stalled_nonce) {
        stall_ = Stall{*stalled_nonce, now};
        return false;
    }
    if (now - stall_->since < stall_after_) return false;
    stall_ = Stall{*stalled_nonce, now};
    return true;
}

}  // namespace wp::chain
