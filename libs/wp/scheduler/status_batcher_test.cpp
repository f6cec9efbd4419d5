// Group commit of worker status updates over a real database (both backends): CoreScheduler::update_status_batch
// applies a batch in ONE write transaction (counted by the store) with per-item outcomes (unknown task, refused
// edge, duplicate, missing details beside successful items), and a batch whose transaction fails is applied item by
// item; StatusBatcher answers every submit exactly once, after the commit, runs one assignment round after a batch
// that freed slots, and refuses submits after stop().

#include "status_batcher.hpp"

#include <future>

#include <gtest/gtest.h>

#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/store/backend_test.hpp>

#include "scheduler_test_support.hpp"

namespace wp::scheduler {
namespace {

using workerapi::Action;
using R = ReplicateStatus;

using testing::h;
using testing::key;

class StatusBatchTest : public testing::CoreFixture {
  protected:
    void SetUp() override { open_core("status_batch"); }

    //! A trust-1 deal of `size` initialized tasks, `workers` workers of `slots` slots, one assignment round.
    DealRecord setup(std::uint64_t size, std::uint8_t workers, std::uint32_t slots) {
        const DealRecord d = testing::test_deal(0x0d, 1, size, kTagStandard, clock_.unix_ms() / 1000);
        insert_initialized(d, false);
        workerapi::WorkerRegistration r;
        r.name = "w";
        r.version = "1";
        r.cpu_slots = slots;
        for (std::uint8_t w = 0; w < workers; ++w) EXPECT_TRUE(core_->register_worker(key(0x20 + w).address(), r));
        return d;
    }

    Address worker_of(const DealRecord& d, std::uint64_t index) {
        auto reps = store_->replicates_of_task(TaskKey{d.deal_id, index});
        EXPECT_TRUE(reps && reps->size() == 1);
        return (*reps)[0].worker;
    }
};

TEST_P(StatusBatchTest, OneTransactionPerBatchWithPerItemOutcomes) {
    const DealRecord d = setup(8, 2, 4);
    auto assigned = core_->assign_round();
    ASSERT_TRUE(assigned) << assigned.error().message;
    EXPECT_EQ(*assigned, 8u);

    std::vector<StatusItem> items;
    for (std::uint64_t i = 0; i < 8; ++i)
        items.push_back(StatusItem{worker_of(d, i), task_id(d.deal_id, U256(i)), {R::kStarting, {}}});
    // The same update twice in one batch: the second is answered from the first's recorded answer.
    items.push_back(items[0]);
    // A task nobody knows, a worker without a replicate, an edge the machine refuses, details missing.
    items.push_back(StatusItem{worker_of(d, 0), h(0xee), {R::kStarting, {}}});
    items.push_back(StatusItem{key(0x55).address(), task_id(d.deal_id, U256(1)), {R::kStarting, {}}});
    items.push_back(StatusItem{worker_of(d, 2), task_id(d.deal_id, U256(2)), {R::kRevealed, {}}});
    items.push_back(StatusItem{worker_of(d, 3), task_id(d.deal_id, U256(3)), {R::kContributed, {}}});

    const auto before = db_->stats().write_commits;
    auto out = core_->update_status_batch(items);
    EXPECT_EQ(db_->stats().write_commits - before, 1u) << "one write transaction for the whole batch";
    ASSERT_EQ(out.size(), items.size());
    for (std::size_t i = 0; i < 9; ++i) {
        ASSERT_TRUE(out[i]) << i << ": " << out[i].error().message;
        EXPECT_EQ(out[i]->http_status, 200u);
        EXPECT_EQ(out[i]->answer.action, Action::kContinue) << i;
    }
    ASSERT_FALSE(out[9]);
    EXPECT_EQ(out[9].error().code, Errc::kInvalidArgument);
    EXPECT_NE(out[9].error().message.find("unknown task"), std::string::npos);
    ASSERT_FALSE(out[10]);
    EXPECT_NE(out[10].error().message.find("no replicate of worker"), std::string::npos);
    ASSERT_TRUE(out[11]);
    EXPECT_EQ(out[11]->http_status, 409u);
    ASSERT_FALSE(out[12]);
    EXPECT_EQ(out[12].error().code, Errc::kDecoding);
    // Every accepted update is stored.
    for (std::uint64_t i = 0; i < 8; ++i) {
        auto rep = store_->replicate(TaskKey{d.deal_id, i}, worker_of(d, i));
        ASSERT_TRUE(rep && *rep);
        EXPECT_EQ((*rep)->status, R::kStarting) << i;
    }

    // The next step of every task, one transaction again; STARTED moves the tasks to RUNNING in it.
    std::vector<StatusItem> started;
    for (std::uint64_t i = 0; i < 8; ++i)
        started.push_back(StatusItem{worker_of(d, i), task_id(d.deal_id, U256(i)), {R::kStarted, {}}});
    const auto before2 = db_->stats().write_commits;
    for (const auto& o : core_->update_status_batch(started)) ASSERT_TRUE(o && o->http_status == 200);
    EXPECT_EQ(db_->stats().write_commits - before2, 1u);
    for (std::uint64_t i = 0; i < 8; ++i)
        EXPECT_EQ((*store_->task(TaskKey{d.deal_id, i}))->status, TaskStatus::kRunning);
}

TEST_P(StatusBatchTest, BatcherAnswersAfterCommitAndAssignsOncePerBatch) {
    // 6 tasks, one worker with 3 slots: 3 assigned; when they compute, the freed slots get the 3 others.
    const DealRecord d = setup(6, 1, 3);
    ASSERT_EQ(*core_->assign_round(), 3u);
    StatusBatcher batcher(*core_, StatusBatcherOptions{64, true});
    std::vector<std::uint64_t> held;
    for (std::uint64_t i = 0; i < 6; ++i)
        if (store_->replicates_of_task(TaskKey{d.deal_id, i})->size() == 1) held.push_back(i);
    ASSERT_EQ(held.size(), 3u);
    const Address w = key(0x20).address();
    for (R s : {R::kStarting, R::kStarted, R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading,
                R::kDataDownloaded, R::kComputing, R::kComputed}) {
        std::vector<std::future<Result<StatusOutcome>>> answers;
        for (std::uint64_t i : held) {
            auto p = std::make_shared<std::promise<Result<StatusOutcome>>>();
            answers.push_back(p->get_future());
            batcher.submit(StatusItem{w, task_id(d.deal_id, U256(i)), {s, {}}},
                           [this, p, d, i, w, s](Result<StatusOutcome> o) {
                               // Answered after the commit: the stored replicate already shows the update.
                               auto rep = store_->replicate(TaskKey{d.deal_id, i}, w);
                               EXPECT_TRUE(rep && *rep && (*rep)->status == s);
                               p->set_value(std::move(o));
                           });
        }
        for (auto& a : answers) {
            auto o = a.get();
            ASSERT_TRUE(o) << o.error().message;
            EXPECT_EQ(o->http_status, 200u);
        }
    }
    batcher.stop();
    const auto stats = batcher.stats();
    EXPECT_EQ(stats.items, 24u);
    EXPECT_LE(stats.batches, 24u);
    EXPECT_GE(stats.assign_rounds, 1u);
    std::size_t with_replicate = 0;
    for (std::uint64_t i = 0; i < 6; ++i) with_replicate += store_->replicates_of_task(TaskKey{d.deal_id, i})->size();
    EXPECT_EQ(with_replicate, 6u) << "the slots freed by COMPUTED went to the other tasks";

    std::promise<Result<StatusOutcome>> late;
    batcher.submit(StatusItem{w, task_id(d.deal_id, U256(0)), {R::kContributing, {}}},
                   [&late](Result<StatusOutcome> o) { late.set_value(std::move(o)); });
    auto o = late.get_future().get();
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().message.find("stopping"), std::string::npos);
}

WP_INSTANTIATE_ON_BOTH_BACKENDS(StatusBatchTest);

}  // namespace
}  // namespace wp::scheduler
