// NonceAllocator: lowest free nonce first, sync with the chain's count, trimming, blocked nonces, filler back-off
// on a ManualClock.
#include <gtest/gtest.h>

#include <wp/chain/nonce_allocator.hpp>

namespace wp::chain {
namespace {

using namespace std::chrono_literals;

TEST(NonceAllocator, LowestFreeNonceFirstThenNext) {
    ManualClock clock;
    NonceAllocator nonces(clock, 1s, 60s);
    nonces.reset(5, {2, 4}, {});
    EXPECT_EQ(nonces.peek(), 2u);
    EXPECT_EQ(nonces.take(), 2u);
    EXPECT_EQ(nonces.take(), 4u);
    EXPECT_EQ(nonces.take(), 5u);
    EXPECT_EQ(nonces.take(), 6u);
    EXPECT_EQ(nonces.next(), 7u);
    nonces.release(3);
    EXPECT_EQ(nonces.take(), 3u);
}

TEST(NonceAllocator, SyncForgetsNoncesUsedOnChainAndRaisesNext) {
    ManualClock clock;
    NonceAllocator nonces(clock, 1s, 60s);
    nonces.reset(6, {1, 3, 5}, {2, 4});
    nonces.sync(4);
    EXPECT_EQ(nonces.free(), (std::set<std::uint64_t>{5}));
    EXPECT_EQ(nonces.blocked(), (std::set<std::uint64_t>{4}));
    nonces.sync(10);
    EXPECT_FALSE(nonces.has_unowned());
    EXPECT_EQ(nonces.next(), 10u);
}

TEST(NonceAllocator, TrimLowersNextOverFreeNoncesAtTheTop) {
    ManualClock clock;
    NonceAllocator nonces(clock, 1s, 60s);
    nonces.reset(6, {2, 4, 5}, {});
    nonces.trim();
    EXPECT_EQ(nonces.next(), 4u);
    EXPECT_EQ(nonces.free(), (std::set<std::uint64_t>{2}));
}

TEST(NonceAllocator, BlockedNoncesAreFilledNeverTaken) {
    ManualClock clock;
    NonceAllocator nonces(clock, 1s, 60s);
    nonces.reset(3, {}, {1});
    EXPECT_EQ(nonces.take(), 3u);
    EXPECT_EQ(nonces.due_for_filler(), (std::vector<std::uint64_t>{1}));
    nonces.filled(1);
    EXPECT_FALSE(nonces.has_unowned());
}

TEST(NonceAllocator, RefusedFillersBackOffExponentiallyUpToTheCap) {
    ManualClock clock;
    NonceAllocator nonces(clock, 1s, 3s);
    nonces.reset(5, {}, {});
    nonces.release_filler(2);  // 1st refusal: 1 s
    EXPECT_TRUE(nonces.due_for_filler().empty());
    clock.advance(999ms);
    EXPECT_TRUE(nonces.due_for_filler().empty());
    clock.advance(1ms);
    EXPECT_EQ(nonces.due_for_filler(), (std::vector<std::uint64_t>{2}));
    nonces.filled(2);
    nonces.release_filler(2);  // 2nd: 2 s
    clock.advance(1999ms);
    EXPECT_TRUE(nonces.due_for_filler().empty());
    clock.advance(1ms);
    EXPECT_EQ(nonces.due_for_filler().size(), 1u);
    nonces.filled(2);
    nonces.block(2);  // 3rd: 4 s, capped at 3 s
    clock.advance(3s);
    EXPECT_EQ(nonces.due_for_filler(), (std::vector<std::uint64_t>{2}));
    nonces.filler_accepted(2);  // the back-off is over
    nonces.release_filler(2);   // counts from 1 again
    clock.advance(1s);
    EXPECT_EQ(nonces.due_for_filler().size(), 1u);
}

}  // namespace
}  // namespace wp::chain
