#include "stall_detector.hpp"

#include <gtest/gtest.h>

namespace wp::chain {
namespace {

using namespace std::chrono_literals;

TEST(StallDetector, KicksOnceTheSameNonceStalledForStallAfterThenStartsAgain) {
    const Clock::time_point t0{};
    StallDetector d(300ms);
    EXPECT_FALSE(d.observe(7, t0));          // first seen: the timer starts
    EXPECT_FALSE(d.observe(7, t0 + 299ms));  // not long enough
    EXPECT_TRUE(d.observe(7, t0 + 300ms));   // kick
    EXPECT_FALSE(d.observe(7, t0 + 500ms));  // the timer started again at the kick
    EXPECT_TRUE(d.observe(7, t0 + 600ms));
}

TEST(StallDetector, AnotherNonceOrNoStallRestartsTheTimer) {
    const Clock::time_point t0{};
    StallDetector d(300ms);
    EXPECT_FALSE(d.observe(7, t0));
    EXPECT_FALSE(d.observe(8, t0 + 300ms));  // nonce 7 was mined meanwhile: 8 starts its own timer
    EXPECT_FALSE(d.observe(std::nullopt, t0 + 600ms));
    EXPECT_FALSE(d.observe(8, t0 + 700ms));  // the condition broke: from scratch
    EXPECT_FALSE(d.observe(8, t0 + 999ms));
    EXPECT_TRUE(d.observe(8, t0 + 1000ms));
}

}  // namespace
}  // namespace wp::chain
