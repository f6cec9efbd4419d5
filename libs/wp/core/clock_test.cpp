#include "clock.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace wp {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, AdvanceMovesBothClocks) {
    ManualClock clock;
    const auto t0 = clock.now();
    const auto w0 = clock.wall_now();
    EXPECT_EQ(clock.unix_ms(), 1767225600000);
    clock.advance(1500ms);
    EXPECT_EQ(clock.now() - t0, 1500ms);
    EXPECT_EQ(clock.wall_now() - w0, 1500ms);
    EXPECT_EQ(clock.unix_ms(), 1767225601500);
}

TEST(ManualClock, AutoAdvanceSleepMovesTimeWithoutBlocking) {
    ManualClock clock;
    const auto t0 = clock.now();
    clock.sleep_for(10min);
    EXPECT_EQ(clock.now() - t0, 10min);
    clock.sleep_until(t0);  // in the past: no change
    EXPECT_EQ(clock.now() - t0, 10min);
}

TEST(ManualClock, BlockingSleepWakesWhenAdvancedPastDeadline) {
    ManualClock clock(false);
    const auto t0 = clock.now();
    bool woke = false;
    std::thread sleeper([&] {
        clock.sleep_until(t0 + 5s);
        woke = true;
    });
    while (clock.sleepers() == 0) std::this_thread::yield();
    clock.advance(4s);
    EXPECT_EQ(clock.sleepers(), 1u);  // 4 s < 5 s: still asleep
    clock.advance(1s);
    sleeper.join();
    EXPECT_TRUE(woke);
    EXPECT_EQ(clock.sleepers(), 0u);
}

TEST(ManualClock, InterruptWakesSleepers) {
    ManualClock clock(false);
    std::thread sleeper([&] { clock.sleep_for(1h); });
    while (clock.sleepers() == 0) std::this_thread::yield();
    clock.interrupt_sleepers();
    sleeper.join();
    EXPECT_EQ(clock.sleepers(), 0u);
}

TEST(SystemClock, IsMonotonicAndNearTheSystemTime) {
    auto& clock = system_clock();
    const auto a = clock.now();
    const auto b = clock.now();
    EXPECT_LE(a, b);
    const auto diff = clock.wall_now() - std::chrono::system_clock::now();
    EXPECT_LT(std::chrono::abs(diff), 1min);
}

}  // namespace
}  // namespace wp
