#include "filler_planner.hpp"

#include <gtest/gtest.h>

#include "tx_part_test_support.hpp"

namespace wp::chain {
namespace {

using namespace std::chrono_literals;
using namespace wp::chain::testing;

TEST(FillerPlanner, FillsFreeAndBlockedNoncesNoSlotHolds) {
    ManualClock clock;
    NonceAllocator nonces(clock, 1s, 60s);
    nonces.reset(10, {3, 5}, {7});  // free 3 and 5, blocked 7, next 10
    SlotMap slots;
    slots[5] = slot_with(1, 5, {1});  // 5 got a slot meanwhile (e.g. a filler of an earlier round)
    EXPECT_EQ(FillerPlanner::due(nonces, slots), (std::vector<std::uint64_t>{3, 7}));
}

TEST(FillerPlanner, AFreeNonceAtTheTopLowersTheNextNonceInsteadOfAFiller) {
    ManualClock clock;
    NonceAllocator nonces(clock, 1s, 60s);
    nonces.reset(10, {8, 9}, {});  // nothing above them in flight
    EXPECT_TRUE(FillerPlanner::due(nonces, SlotMap{}).empty());
    EXPECT_EQ(nonces.next(), 8u);
}

TEST(FillerPlanner, ARefusedFillerWaitsForItsBackOff) {
    ManualClock clock;
    NonceAllocator nonces(clock, 1s, 60s);
    nonces.reset(10, {4}, {});
    ASSERT_EQ(FillerPlanner::due(nonces, SlotMap{}), (std::vector<std::uint64_t>{4}));
    nonces.filled(4);
    nonces.release_filler(4);  // the filler was refused
    EXPECT_TRUE(FillerPlanner::due(nonces, SlotMap{}).empty());
    clock.advance(1s);
    EXPECT_EQ(FillerPlanner::due(nonces, SlotMap{}), (std::vector<std::uint64_t>{4}));
}

TEST(FillerPlanner, TheFillerIsAZeroValueSelfTransfer) {
    const auto self = Address::parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").value();
    const auto r = FillerPlanner::request(self);
    EXPECT_EQ(r.to, self);
    EXPECT_TRUE(r.data.empty());
    EXPECT_EQ(r.value, U256());
    EXPECT_EQ(r.gas_limit, 21000u);
    EXPECT_EQ(r.description, "nonce filler");
}

}  // namespace
}  // namespace wp::chain
