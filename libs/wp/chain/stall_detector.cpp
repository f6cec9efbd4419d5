#include "stall_detector.hpp"

namespace wp::chain {

StallAction StallDetector::observe(std::optional<std::uint64_t> stalled_nonce, Clock::time_point now) {
    if (!stalled_nonce) {
        stall_.reset();
        return StallAction::kNone;
    }
    if (!stall_ || stall_->nonce != *stalled_nonce) {
        stall_ = Stall{*stalled_nonce, now, 0};
        return StallAction::kNone;
    }
    if (now - stall_->since < stall_after_) return StallAction::kNone;
    stall_->since = now;
    if (kicks_before_replace_ > 0 && stall_->kicks >= kicks_before_replace_) {
        stall_->kicks = 0;
        return StallAction::kReplace;
    }
    ++stall_->kicks;
    return StallAction::kKick;
}

}  // namespace wp::chain
