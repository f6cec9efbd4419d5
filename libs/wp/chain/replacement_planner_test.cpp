#include "replacement_planner.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace wp::chain {
namespace {

using namespace std::chrono_literals;
using S = AttemptState;

FeeParams type2(std::uint64_t max_fee_gwei, std::uint64_t tip_gwei) {
    FeeParams f;
    f.type = TxType::kDynamicFee;
    f.max_fee_per_gas = U256(max_fee_gwei * kGwei);
    f.max_priority_fee_per_gas = U256(tip_gwei * kGwei);
    return f;
}

FeeParams legacy(std::uint64_t price_gwei) {
    FeeParams f;
    f.type = TxType::kLegacy;
    f.gas_price = U256(price_gwei * kGwei);
    return f;
}

TEST(ReplacementPlanner, DueByTimeOrByBlocks) {
    const Clock::time_point t0{};
    ReplacementPlanner by_time(ReplacementRule{.replace_after = 60s});
    EXPECT_FALSE(by_time.due(t0 + 59s, 1000, t0, 1));
    EXPECT_TRUE(by_time.due(t0 + 60s, 1, t0, 1));
    ReplacementPlanner by_blocks(ReplacementRule{.replace_after = 60s, .replace_after_blocks = 3});
    EXPECT_FALSE(by_blocks.due(t0 + 1s, 12, t0, 10));
    EXPECT_TRUE(by_blocks.due(t0 + 1s, 13, t0, 10));
    EXPECT_TRUE(by_blocks.due(t0 + 60s, 10, t0, 10));
}

TEST(ReplacementPlanner, BumpsTheHighestAcceptedFeesNotARejectedReplacement) {
    ReplacementPlanner planner(ReplacementRule{.fees = FeePolicy{.bump_percent = 10}});
    // The original was accepted at 10/1 gwei; a replacement at 20/2 was refused: the base stays 10/1.
    const std::vector<AttemptFees> attempts = {{type2(10, 1), S::kAccepted}, {type2(20, 2), S::kRejected}};
    auto fees = planner.fees(attempts, std::nullopt);
    ASSERT_TRUE(fees) << fees.error().message;
    EXPECT_EQ(fees->max_fee_per_gas, U256(11 * kGwei));
    EXPECT_EQ(fees->max_priority_fee_per_gas, U256(1'100'000'000));
    // Accepted once, refused later: still the base.
    const std::vector<AttemptFees> refused_later = {{type2(10, 1), S::kRejected},
                                                    {type2(30, 3), S::kRefusedAfterAccept}};
    auto higher = planner.fees(refused_later, std::nullopt);
    ASSERT_TRUE(higher);
    EXPECT_EQ(higher->max_fee_per_gas, U256(33 * kGwei));
}

TEST(ReplacementPlanner, NoneAcceptedBumpsTheHighestOfAll) {
    ReplacementPlanner planner(ReplacementRule{});
    const std::vector<AttemptFees> attempts = {{type2(20, 2), S::kSent}, {type2(10, 1), S::kRejected}};
    auto fees = planner.fees(attempts, std::nullopt);
    ASSERT_TRUE(fees);
    EXPECT_EQ(fees->max_fee_per_gas, U256(22 * kGwei));
}

TEST(ReplacementPlanner, FollowsTheMarketOfTheSameTypeOnly) {
    ReplacementPlanner planner(ReplacementRule{});
    const std::vector<AttemptFees> attempts = {{type2(10, 1), S::kAccepted}};
    auto up = planner.fees(attempts, type2(50, 5));
    ASSERT_TRUE(up);
    EXPECT_EQ(up->max_fee_per_gas, U256(50 * kGwei));
    EXPECT_EQ(up->max_priority_fee_per_gas, U256(5 * kGwei));
    auto ignored = planner.fees(attempts, legacy(50));  // another type: not followed
    ASSERT_TRUE(ignored);
    EXPECT_EQ(ignored->type, TxType::kDynamicFee);
    EXPECT_EQ(ignored->max_fee_per_gas, U256(11 * kGwei));
}

TEST(ReplacementPlanner, FeeCapAndNoAttemptsAreErrors) {
    ReplacementPlanner capped(ReplacementRule{.fees = FeePolicy{.max_fee_cap = U256(10 * kGwei)}});
    const std::vector<AttemptFees> attempts = {{type2(10, 1), S::kAccepted}};
    auto fees = capped.fees(attempts, std::nullopt);
    ASSERT_FALSE(fees);
    EXPECT_NE(fees.error().message.find("fee cap exceeded"), std::string::npos) << fees.error().message;
    auto none = capped.fees({}, std::nullopt);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace wp::chain
