#include "task.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

#include "types.hpp"

namespace wp {
namespace {

TEST(PocoTypes, Constants) {
    // protocol.md §1 table.
    EXPECT_EQ(kContributionDeadlineRatio, 7u);
    EXPECT_EQ(kRevealDeadlineRatio, 2u);
    EXPECT_EQ(kFinalDeadlineRatio, 10u);
    EXPECT_EQ(kWorkerpoolStakeRatio, 30u);
    EXPECT_EQ(kKittyRatio, 10u);
    EXPECT_EQ(kKittyMin, 1'000'000'000u);
    EXPECT_EQ(kGroupMemberPurpose, 4u);
    EXPECT_EQ(kDefaultWorkerStakeRatioPolicy, 30u);
    EXPECT_EQ(kDefaultSchedulerRewardRatioPolicy, 1u);
}

TEST(PocoTypes, KittyAddressIsTheLiteral) {
    // §1: the literal is the top 20 bytes of keccak256("iExecKitty") minus 1
    // (keccak = 0x99c2…80837e24 7066…; top 20 bytes end in …7e24, literal ends in …7e23).
    EXPECT_EQ(kitty_address().to_checksum(), "0x99c2268479b93fDe36232351229815DF80837e23");
    const Bytes32 k = keccak256(as_bytes("iExecKitty"));
    EXPECT_EQ(to_hex(k), "0x99c2268479b93fde36232351229815df80837e247066f0acfcf087b5d9321d3d");
    FixedBytes<20> top;
    std::copy(k.begin(), k.begin() + 20, top.bytes.begin());
    top[19] = static_cast<std::uint8_t>(top[19] - 1);  // 0x24 - 1 = 0x23, no borrow
    EXPECT_EQ(Address(top), kitty_address());
}

TEST(PocoTypes, EnumValuesAndNames) {
    // §2.2 enums.
    EXPECT_EQ(static_cast<int>(TaskStatus::kUnset), 0);
    EXPECT_EQ(static_cast<int>(TaskStatus::kActive), 1);
    EXPECT_EQ(static_cast<int>(TaskStatus::kRevealing), 2);
    EXPECT_EQ(static_cast<int>(TaskStatus::kCompleted), 3);
    EXPECT_EQ(static_cast<int>(TaskStatus::kFailed), 4);
    EXPECT_EQ(static_cast<int>(ContributionStatus::kUnset), 0);
    EXPECT_EQ(static_cast<int>(ContributionStatus::kContributed), 1);
    EXPECT_EQ(static_cast<int>(ContributionStatus::kProved), 2);
    EXPECT_EQ(static_cast<int>(ContributionStatus::kRejected), 3);
    EXPECT_EQ(to_string(TaskStatus::kRevealing), "REVEALING");
    EXPECT_EQ(to_string(ContributionStatus::kRejected), "REJECTED");
    EXPECT_EQ(WorkerpoolInfo{}.worker_stake_ratio_policy, U256(30));
    EXPECT_EQ(WorkerpoolInfo{}.scheduler_reward_ratio_policy, U256(1));
}

TEST(PocoTask, DeadlinesCategoryXs) {
    // §6.1: category XS (workClockTimeRef 300 s) gives deltas 2100 s (7·300) and 3000 s (10·300)
    // from the deal's start time; the reveal deadline is consensus time + 2·300 = +600 s.
    EXPECT_EQ(*contribution_deadline(1'700'000'000, 300), U256(1'700'002'100));
    EXPECT_EQ(*final_deadline(1'700'000'000, 300), U256(1'700'003'000));
    EXPECT_EQ(*reveal_deadline(1'700'000'500, 300), U256(1'700'001'100));
    EXPECT_EQ(*contribution_deadline(0, 0), U256(0));
}

TEST(PocoTask, DeadlineOverflow) {
    EXPECT_EQ(contribution_deadline(U256::max(), 1).error().code, Errc::kOverflow);
    EXPECT_EQ(final_deadline(0, U256::max()).error().code, Errc::kOverflow);
    // 7·timeref fits but the sum does not.
    EXPECT_EQ(reveal_deadline(U256::max(), 1).error().code, Errc::kOverflow);
}

TEST(PocoTask, InitializeRange) {
    Deal deal;
    deal.start_time = 1000;
    deal.bot_first = 5;
    deal.bot_size = 3;
    Bytes32 id{};
    id[31] = 0x42;
    // botFirst ≤ idx < botFirst + botSize: 5, 6, 7 are valid; 4 and 8 are not.
    EXPECT_FALSE(initialize_task(deal, id, 4, 60));
    EXPECT_NE(initialize_task(deal, id, 4, 60).error().message.find("botFirst"), std::string::npos);
    EXPECT_FALSE(initialize_task(deal, id, 8, 60));
    for (std::uint64_t idx : {5u, 6u, 7u}) {
        auto task = initialize_task(deal, id, idx, 60);
        ASSERT_TRUE(task) << task.error().message;
        EXPECT_EQ(task->status, TaskStatus::kActive);
        EXPECT_EQ(task->deal_id, id);
        EXPECT_EQ(task->idx, U256(idx));
        EXPECT_EQ(task->timeref, U256(60));
        EXPECT_EQ(task->contribution_deadline, U256(1000 + 420));  // 1000 + 7·60
        EXPECT_EQ(task->final_deadline, U256(1000 + 600));         // 1000 + 10·60
        EXPECT_EQ(task->reveal_deadline, U256(0));
        EXPECT_TRUE(task->contributors.empty());
    }
    // A missing deal (botSize 0) always fails.
    EXPECT_FALSE(initialize_task(Deal{}, id, 0, 60));
    // botFirst + botSize overflowing is a panic (checked only once idx ≥ botFirst).
    deal.bot_first = U256::max();
    deal.bot_size = 1;
    EXPECT_EQ(initialize_task(deal, id, U256::max(), 60).error().code, Errc::kOverflow);
    EXPECT_EQ(initialize_task(deal, id, 0, 60).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace wp
