// On-chain intents (libs/wp/scheduler/task_intents.hpp) against the real PoCo 6.1.0 on anvil, with the real
// TxManager and its journal in the scheduler's database: initialize in one initializeArray → tasks ACTIVE on chain
// and INITIALIZED here; a crash between the status commit and the submit → resubmitted with the same key, one
// transaction in all; final deadline → claim (initializeAndClaimArray for a task never initialized) → FAILED on
// chain, the requester refunded.
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <wp/chain/mirror.hpp>
#include <wp/chain/sql_tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/clock.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/scheduler/core_scheduler.hpp>
#include <wp/scheduler/deal_intake.hpp>
#include <wp/scheduler/scheduler_store.hpp>
#include <wp/scheduler/schema.hpp>
#include <wp/scheduler/task_intents.hpp>
#include <wp/store/pg_test_support.hpp>

#include "core_chain_fixture.hpp"

namespace wp {
namespace {

using scheduler::TaskStatus;

class IntentsAnvil : public test::CoreChainFixture {
  protected:
    IntentsAnvil() : CoreChainFixture("core_intents") {}

    void SetUp() override {
        CoreChainFixture::SetUp();
        if (HasFatalFailure()) return;
        scheduler::CoreOptions core_options;
        core_options.workerpool = assets_.workerpool;
        core_options.chain_id = info().chain_id;
        core_options.signer = key(test::kScheduler);
        core_ = std::make_unique<scheduler::CoreScheduler>(*store_, clock_, core_options);
        open_core();
    }
    void TearDown() override {
        close_core();
        core_.reset();
        CoreChainFixture::TearDown();
    }

    //! The chain side of a core: intake mirror, TxManager (journal in the same database), intents.
    void open_core() {
        open_intake();
        if (HasFatalFailure()) return;
        auto journal = chain::SqlTxJournal::open(*db_, "core-test");
        ASSERT_TRUE(journal) << journal.error().message;
        journal_ = std::shared_ptr<chain::SqlTxJournal>(std::move(*journal));
        auto txm = chain::TxManager::open(rpc(), key(test::kScheduler), journal_);
        ASSERT_TRUE(txm) << txm.error().message;
        txm_ = std::move(*txm);
        scheduler::IntentOptions o;
        o.eager_initialize = true;
        intents_ = std::make_unique<scheduler::TaskIntents>(*store_, *core_, hub(), *txm_, clock_, o);
    }
    void close_core() {
        intents_.reset();
        txm_.reset();
        journal_.reset();
        close_intake();
    }
    //! TxManager rounds until nothing is in flight, then the outcomes applied.
    void settle() {
        std::vector<chain::TxOutcome> outcomes;
        for (int i = 0; i < 2000 && txm_->in_flight() > 0; ++i) {
            auto round = txm_->poll();
            ASSERT_TRUE(round) << round.error().message;
            for (auto& o : *round) outcomes.push_back(std::move(o));
        }
        ASSERT_EQ(txm_->in_flight(), 0U);
        auto applied = intents_->apply_outcomes(outcomes);
        ASSERT_TRUE(applied) << applied.error().message;
    }
    std::size_t transactions_from(const Address& who) {
        auto n = eth().get_transaction_count(who, chain::BlockTag::latest());
        EXPECT_TRUE(n);
        return n ? static_cast<std::size_t>(*n) : 0;
    }

    std::unique_ptr<scheduler::CoreScheduler> core_;
    std::shared_ptr<chain::SqlTxJournal> journal_;
    std::unique_ptr<chain::TxManager> txm_;
    std::unique_ptr<scheduler::TaskIntents> intents_;
};

TEST_F(IntentsAnvil, InitializesReadyTasksInOneInitializeArray) {
    const Bytes32 deal = match(make_orders(assets_, U256(3), false, 9600));
    sync();
    const auto before = transactions_from(address(test::kScheduler));
    auto n = intents_->initialize_ready();
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 3U);
    for (std::uint64_t i = 0; i < 3; ++i) EXPECT_EQ(status(deal, i), TaskStatus::kInitializing);
    settle();
    EXPECT_EQ(transactions_from(address(test::kScheduler)), before + 1);  // one initializeArray
    for (std::uint64_t i = 0; i < 3; ++i) {
        EXPECT_EQ(status(deal, i), TaskStatus::kInitialized);
        auto onchain = hub().view_task(task_id(deal, U256(i)));
        ASSERT_TRUE(onchain);
        EXPECT_EQ(onchain->status, wp::TaskStatus::kActive);
    }
    // Nothing left to do: no second transaction.
    auto again = intents_->initialize_ready();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0U);
    EXPECT_EQ(transactions_from(address(test::kScheduler)), before + 1);
}

TEST_F(IntentsAnvil, ACrashBetweenTheCommitAndTheSubmitIsResubmittedOnce) {
    const Bytes32 deal = match(make_orders(assets_, U256(1), false, 9700));
    sync();
    // The status change with its key commits, then the process dies before submit_durable.
    auto t = store_->task(scheduler::TaskKey{deal, 0});
    ASSERT_TRUE(t && *t);
    scheduler::TaskChange change;
    change.initialize_intent = "initialize:" + to_hex((*t)->task_id.view());
    change.clear_due = true;
    ASSERT_TRUE(store_->transition_task(**t, scheduler::TaskEvent::kInitializeSubmitted, change, clock_.unix_ms()));
    close_core();
    open_core();
    const auto before = transactions_from(address(test::kScheduler));
    auto lost = intents_->resubmit_lost();
    ASSERT_TRUE(lost) << lost.error().message;
    EXPECT_EQ(*lost, 1U);
    settle();
    EXPECT_EQ(status(deal, 0), TaskStatus::kInitialized);
    // A restart now: the key is known to the journal, nothing is sent again.
    close_core();
    open_core();
    auto none = intents_->resubmit_lost();
    ASSERT_TRUE(none);
    EXPECT_EQ(*none, 0U);
    EXPECT_EQ(transactions_from(address(test::kScheduler)), before + 1);
}

TEST_F(IntentsAnvil, FinalDeadlineClaimsAndRefundsTheRequester) {
    const Address requester = address(test::kRequester);
    const auto start = hub().view_account(requester);
    ASSERT_TRUE(start);
    const Bytes32 deal = match(make_orders(assets_, U256(2), false, 9800));
    sync();
    auto locked = hub().view_account(requester);
    ASSERT_TRUE(locked);
    EXPECT_GT(locked->locked, start->locked);
    // Task 0 initialized, task 1 never (it is claimed with initializeAndClaimArray).
    auto t0 = store_->task(scheduler::TaskKey{deal, 0});
    ASSERT_TRUE(t0 && *t0);
    {
        scheduler::IntentOptions o;
        o.eager_initialize = true;
        o.max_per_round = 1;
        scheduler::TaskIntents one(*store_, *core_, hub(), *txm_, clock_, o);
        auto n = one.initialize_ready();
        ASSERT_TRUE(n) << n.error().message;
        ASSERT_EQ(*n, 1U);
    }
    settle();
    // Past the final deadline on chain and on the core's clock.
    auto d = store_->deal(deal);
    ASSERT_TRUE(d && *d);
    auto now = block_timestamp();
    ASSERT_TRUE(now);
    const auto wait = static_cast<std::uint64_t>((*d)->final_deadline) - *now + 5;
    ASSERT_TRUE(advance_time(wait));
    clock_.advance(std::chrono::seconds(static_cast<std::int64_t>(wait)));
    auto fired = core_->run_due();
    ASSERT_TRUE(fired) << fired.error().message;
    auto claimed = intents_->claim_ready();
    ASSERT_TRUE(claimed) << claimed.error().message;
    EXPECT_EQ(*claimed, 2U);
    settle();
    for (std::uint64_t i = 0; i < 2; ++i) {
        EXPECT_EQ(status(deal, i), TaskStatus::kFailed);
        auto onchain = hub().view_task(task_id(deal, U256(i)));
        ASSERT_TRUE(onchain);
        EXPECT_EQ(onchain->status, wp::TaskStatus::kFailed);
    }
    auto end = hub().view_account(requester);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->locked, start->locked);  // nothing of the deal stays locked
    EXPECT_EQ(end->stake, start->stake);    // the requester got every nRLC back
}

}  // namespace
}  // namespace wp
