#pragma once
// CoreChainFixture: the shared body of the scheduler's in-process chain tests (deal_intake_anvil_test.cpp,
// intents_anvil_test.cpp) on the shared PoCo devnet (PocoOrdersFixture: snapshot / revert per test):
//   - a scratch SQLite database with the scheduler schema and a SchedulerStore;
//   - a ManualClock set to the chain's latest block time (the core judges deadlines by it);
//   - the assets of local-chain.md §5 (app, dataset, workerpool) and DealIntakeOptions for that workerpool, starting
//     at the head (nothing of ours before);
//   - open_intake(): a DealIntake + ChainMirror on that database (again: a restart from the stored cursor);
//   - sync(): mirror polls until caught up (true when a reorg was rolled back on the way);
//   - match(): matchOrders from the requester, the deal id; status(), task_count().
// The process-based tests of the whole daemon are tests/pool (pool_fixture.hpp).

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <wp/chain/mirror.hpp>
#include <wp/core/clock.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/scheduler/core_scheduler.hpp>
#include <wp/scheduler/deal_intake.hpp>
#include <wp/scheduler/scheduler_store.hpp>
#include <wp/scheduler/schema.hpp>
#include <wp/store/pg_test_support.hpp>

#include "mirror_sync.hpp"
#include "poco_orders.hpp"

namespace wp::test {

class CoreChainFixture : public PocoOrdersFixture {
  protected:
    //! `scratch_name`: the scratch database's name (one per test group).
    explicit CoreChainFixture(std::string scratch_name) : scratch_name_(std::move(scratch_name)) {}

    void SetUp() override {
        PocoOrdersFixture::SetUp();
        if (HasFatalFailure()) return;
        auto opened = store::testing::open_scratch(store::Backend::kSqlite, scratch_name_);
        ASSERT_TRUE(opened) << opened.error().message;
        scratch_.emplace(std::move(opened->scratch));
        db_ = std::move(opened->db);
        ASSERT_TRUE(scheduler::migrate_scheduler(*db_));
        store_ = std::make_unique<scheduler::SchedulerStore>(*db_);
        auto ts = block_timestamp();
        ASSERT_TRUE(ts);
        clock_.advance(std::chrono::seconds(static_cast<std::int64_t>(*ts) - 1767225600));
        assets_ = create_assets();
        auto head = eth().block_number();
        ASSERT_TRUE(head);
        intake_options_.chain_id = info().chain_id;
        intake_options_.hub = info().hub;
        intake_options_.workerpool = assets_.workerpool;
        intake_options_.start_block = *head;  // nothing of ours before
    }
    void TearDown() override {
        close_intake();
        store_.reset();
        db_.reset();
        scratch_.reset();
        PocoOrdersFixture::TearDown();
    }

    //! A CoreScheduler of the fixture's workerpool on its store and clock, signing with the scheduler account.
    std::unique_ptr<scheduler::CoreScheduler> make_core() {
        scheduler::CoreOptions core_options;
        core_options.workerpool = assets_.workerpool;
        core_options.chain_id = info().chain_id;
        core_options.signer = key(test::kScheduler);
        return std::make_unique<scheduler::CoreScheduler>(*store_, clock_, core_options);
    }

    void open_intake() {
        mirror_.reset();
        intake_ = std::make_unique<scheduler::DealIntake>(hub(), *store_, clock_, intake_options_);
        auto mirror =
            chain::ChainMirror::open(eth(), *db_, *intake_, scheduler::intake_mirror_options(intake_options_));
        ASSERT_TRUE(mirror) << mirror.error().message;
        mirror_ = std::move(*mirror);
    }
    void close_intake() {
        mirror_.reset();
        intake_.reset();
    }
    bool sync() { return sync_mirror(*mirror_); }
    Bytes32 match(const Orders& o) {
        const auto id = deal_id_of(o);
        auto r = send(hub().match_orders(o.app, o.dataset, o.workerpool, o.request), key(kRequester));
        EXPECT_TRUE(r) << r.error().message;
        return id;
    }
    //! Each test uses fresh salts: nothing of the request order was consumed before.
    Bytes32 deal_id_of(const Orders& o) { return deal_id(order_hash(domain(), Order(o.request)), U256(0)); }
    scheduler::TaskStatus status(const Bytes32& deal, std::uint64_t idx) {
        auto t = store_->task(scheduler::TaskKey{deal, idx});
        EXPECT_TRUE(t && *t);
        return (t && *t) ? (*t)->status : scheduler::TaskStatus::kReceived;
    }
    std::size_t task_count() {
        auto n = db_->read([](store::Tx& tx) -> Result<std::int64_t> {
            WP_TRY(auto row, tx.query_row("SELECT COUNT(*) FROM sched_tasks"));
            return row.get<std::int64_t>(0);
        });
        EXPECT_TRUE(n);
        return n ? static_cast<std::size_t>(*n) : 0;
    }

    std::string scratch_name_;
    std::optional<store::testing::ScratchDatabase> scratch_;
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<scheduler::SchedulerStore> store_;
    ManualClock clock_{false};
    Assets assets_;
    scheduler::DealIntakeOptions intake_options_;
    std::unique_ptr<scheduler::DealIntake> intake_;
    std::unique_ptr<chain::ChainMirror> mirror_;
};

}  // namespace wp::test
