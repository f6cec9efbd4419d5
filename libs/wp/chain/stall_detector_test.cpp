#include "stall_detector.hpp"

#include <gtest/gtest.h>

namespace wp::chain {
namespace {

using namespace std::chrono_literals;

TEST(StallDetector, KicksOnceTheSameNonceStalledForStallAfterThenStartsAgain) {
    const Clock::time_point t0{};
    StallDetector d(300ms);
    EXPECT_EQ(StallAction::kNone, d.observe(7, t0));          // first seen: the timer starts
    EXPECT_EQ(StallAction::kNone, d.observe(7, t0 + 299ms));  // not long enough
    EXPECT_EQ(StallAction::kKick, d.observe(7, t0 + 300ms));  // kick
    EXPECT_EQ(StallAction::kNone, d.observe(7, t0 + 500ms));  // the timer started again at the kick
    EXPECT_EQ(StallAction::kKick, d.observe(7, t0 + 600ms));
}

TEST(StallDetector, AnotherNonceOrNoStallRestartsTheTimer) {
    const Clock::time_point t0{};
    StallDetector d(300ms);
    EXPECT_EQ(StallAction::kNone, d.observe(7, t0));
    EXPECT_EQ(StallAction::kNone, d.observe(8, t0 + 300ms));  // nonce 7 was mined meanwhile: 8 starts its own timer
    EXPECT_EQ(StallAction::kNone, d.observe(std::nullopt, t0 + 600ms));
    EXPECT_EQ(StallAction::kNone, d.observe(8, t0 + 700ms));  // the condition broke: from scratch
    EXPECT_EQ(StallAction::kNone, d.observe(8, t0 + 999ms));
    EXPECT_EQ(StallAction::kKick, d.observe(8, t0 + 1000ms));
}

TEST(StallDetector, EscalatesToAReplacementWhenKicksDoNotMoveTheNonce) {
    const Clock::time_point t0{};
    StallDetector d(300ms, 2);
    EXPECT_EQ(StallAction::kNone, d.observe(7, t0));
    EXPECT_EQ(StallAction::kKick, d.observe(7, t0 + 300ms));
    EXPECT_EQ(StallAction::kKick, d.observe(7, t0 + 600ms));
    EXPECT_EQ(StallAction::kReplace, d.observe(7, t0 + 900ms));  // two kicks did not help
    EXPECT_EQ(StallAction::kNone, d.observe(7, t0 + 1000ms));
    EXPECT_EQ(StallAction::kKick, d.observe(7, t0 + 1200ms));  // the count starts again after the replacement
    // A new nonce starts with no kicks.
    EXPECT_EQ(StallAction::kNone, d.observe(8, t0 + 1300ms));
    EXPECT_EQ(StallAction::kKick, d.observe(8, t0 + 1600ms));
    EXPECT_EQ(StallAction::kKick, d.observe(8, t0 + 1900ms));
    EXPECT_EQ(StallAction::kReplace, d.observe(8, t0 + 2200ms));
}

TEST(StallDetector, NeverEscalatesWithZeroKicksBeforeReplace) {
    const Clock::time_point t0{};
    StallDetector d(300ms, 0);
    EXPECT_EQ(StallAction::kNone, d.observe(7, t0));
    for (int i = 1; i <= 10; ++i) EXPECT_EQ(StallAction::kKick, d.observe(7, t0 + i * 300ms));
}

}  // namespace
}  // namespace wp::chain
