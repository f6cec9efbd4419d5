// Deal intake (libs/wp/scheduler/deal_intake.hpp) against the real PoCo 6.1.0 on anvil: a deal matched for our
// workerpool becomes one task per index with the deal's app, params and deadlines; a deal of another pool is
// ignored; a TEE deal at trust 3 is stored refused; a restart of the mirror takes nothing twice; a reorg
// (evm_snapshot / evm_revert, then a longer branch) removes the deal and its tasks.
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <wp/chain/mirror.hpp>
#include <wp/core/clock.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/scheduler/deal_intake.hpp>
#include <wp/scheduler/scheduler_store.hpp>
#include <wp/scheduler/schema.hpp>
#include <wp/store/pg_test_support.hpp>

#include "core_chain_fixture.hpp"

namespace wp {
namespace {

using scheduler::TaskStatus;

class DealIntakeAnvil : public test::CoreChainFixture {
  protected:
    DealIntakeAnvil() : CoreChainFixture("deal_intake") {}
    void open_mirror() { open_intake(); }
};

TEST_F(DealIntakeAnvil, TakesOurDealOnceWithOneTaskPerIndex) {
    open_mirror();
    const auto orders = make_orders(assets_, U256(3), /*with_dataset=*/true, 9100);
    const Bytes32 deal_id = match(orders);
    sync();
    auto deal = store_->deal(deal_id);
    ASSERT_TRUE(deal && *deal);
    EXPECT_EQ((*deal)->app, assets_.app);
    EXPECT_EQ((*deal)->dataset, assets_.dataset);
    EXPECT_EQ((*deal)->app_uri, "docker.io/iexechub/hello:1.0.0");
    EXPECT_EQ((*deal)->dataset_uri, "ipfs://QmHelloDataset");
    EXPECT_EQ((*deal)->iexec_args, "hello");
    EXPECT_EQ((*deal)->bot_size, 3U);
    EXPECT_FALSE((*deal)->refusal);
    auto chain_deal = hub().view_deal(deal_id);
    ASSERT_TRUE(chain_deal);
    auto category = hub().view_category(chain_deal->category);
    ASSERT_TRUE(category);
    const auto t = static_cast<std::int64_t>(category->work_clock_time_ref.low_u64());
    EXPECT_EQ((*deal)->contribution_deadline, static_cast<std::int64_t>(chain_deal->start_time.low_u64()) + 7 * t);
    EXPECT_EQ((*deal)->final_deadline, static_cast<std::int64_t>(chain_deal->start_time.low_u64()) + 10 * t);
    for (std::uint64_t i = 0; i < 3; ++i) {
        auto task = store_->task(scheduler::TaskKey{deal_id, i});
        ASSERT_TRUE(task && *task);
        EXPECT_EQ((*task)->status, TaskStatus::kReceived);
        EXPECT_EQ((*task)->task_id, task_id(deal_id, U256(i)));
    }
    EXPECT_EQ(task_count(), 3U);
    EXPECT_EQ(intake_->deals_received(), 1U);

    // A restart from the stored cursor, and a second deal: nothing taken twice.
    open_mirror();
    const auto more = make_orders(assets_, U256(2), false, 9200);
    const Bytes32 second = match(more);
    sync();
    EXPECT_EQ(task_count(), 5U);
    EXPECT_EQ(intake_->deals_received(), 1U);
    auto s = store_->task(scheduler::TaskKey{second, 0});
    ASSERT_TRUE(s && *s);
}

TEST_F(DealIntakeAnvil, IgnoresOtherPoolsAndRefusesTeeDealsAboveTrustOne) {
    // Another pool's deal: ignored.
    open_mirror();
    intake_options_.workerpool = address(9);  // the mirror above serves assets_.workerpool; this intake another address
    scheduler::DealIntake other(hub(), *store_, clock_, intake_options_);
    auto mirror = chain::ChainMirror::open(eth(), *db_, other, scheduler::intake_mirror_options(intake_options_));
    ASSERT_TRUE(mirror);
    auto o = make_orders(assets_, U256(1), false, 9300, /*trust=*/3);
    o.workerpool.tag = test::b32("0x0000000000000000000000000000000000000000000000000000000000000001");
    o.request.tag = o.workerpool.tag;
    o.app.tag = o.workerpool.tag;  // PoCo: a TEE deal needs a TEE app order (0x07)
    o = sign_all(o);
    const Bytes32 deal_id = match(o);
    for (int i = 0; i < 50; ++i) {
        auto step = (*mirror)->poll();
        ASSERT_TRUE(step) << step.error().message;
        if (step->caught_up) break;
    }
    EXPECT_EQ(other.deals_received(), 0U);
    EXPECT_EQ(task_count(), 0U);

    // Ours: a TEE deal at trust 3 is stored refused, its task FAILED.
    sync();
    auto deal = store_->deal(deal_id);
    ASSERT_TRUE(deal && *deal);
    ASSERT_TRUE((*deal)->refusal);
    EXPECT_EQ(*(*deal)->refusal, "TEE deal with trust 3 > 1");
    auto task = store_->task(scheduler::TaskKey{deal_id, 0});
    ASSERT_TRUE(task && *task);
    EXPECT_EQ((*task)->status, TaskStatus::kFailed);
    EXPECT_FALSE((*task)->due_ms);
}

TEST_F(DealIntakeAnvil, ADealPastItsContributionDeadlineIsRefused) {
    open_mirror();
    const Bytes32 deal_id = match(make_orders(assets_, U256(1), false, 9400));
    clock_.advance(std::chrono::hours(24 * 30));  // the core reads the deal long after its deadlines
    sync();
    auto deal = store_->deal(deal_id);
    ASSERT_TRUE(deal && *deal);
    ASSERT_TRUE((*deal)->refusal);
    EXPECT_EQ(*(*deal)->refusal, "contribution deadline passed");
}

TEST_F(DealIntakeAnvil, AReorgRemovesTheDealAndItsTasks) {
    open_mirror();
    auto snapshot = rpc().call("evm_snapshot");
    ASSERT_TRUE(snapshot && snapshot->is_string());
    const Bytes32 deal_id = match(make_orders(assets_, U256(2), false, 9500));
    sync();
    EXPECT_EQ(task_count(), 2U);
    // The deal's block disappears; the new branch is longer.
    auto reverted = rpc().call("evm_revert", {*snapshot});
    ASSERT_TRUE(reverted && reverted->is_bool() && reverted->get_bool());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(rpc().call("evm_mine"));
    EXPECT_TRUE(sync());
    EXPECT_EQ(task_count(), 0U);
    auto deal = store_->deal(deal_id);
    ASSERT_TRUE(deal);
    EXPECT_FALSE(*deal);
}

}  // namespace
}  // namespace wp
