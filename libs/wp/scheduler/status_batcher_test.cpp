// Group commit of worker status updates over a real database (both backends): CoreScheduler::update_status_batch
// applies a batch in ONE write transaction (counted by the store) with per-item outcomes (unknown task, refused
// edge, duplicate, missing details beside successful items), and a batch whose transaction fails is applied item by
// item; StatusBatcher answers every submit exactly once, after the commit, runs one assignment round after a batch
// that freed slots, and refuses submits after stop().

#include "status_batcher.hpp"

#include <future>
#include <string>

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

// ---- Write-behind (SchedulerStore::WriteBehind): the batch's writes sent together at the end
// --------------------------

//! One item's outcome as text (the same for both write modes).
std::string outcome_text(const Result<StatusOutcome>& o) {
    if (!o) return "error " + std::to_string(static_cast<int>(o.error().code));
    std::string t = std::to_string(o->http_status) + " " + std::to_string(static_cast<int>(o->answer.action));
    if (o->answer.abort_cause) t += " cause " + std::to_string(static_cast<int>(*o->answer.abort_cause));
    if (o->answer.duplicate) t += " duplicate";
    return t;
}

//! What the database holds of task `i` of `d` (its row, its replicate, its history, its answers, its notifications),
//! as text without the deal id or the worker (they differ between the two runs compared).
std::string task_rows(store::Database& db, SchedulerStore& store, const DealRecord& d, std::uint64_t i) {
    const TaskKey k{d.deal_id, i};
    std::string t;
    const auto opt = [](const auto& v) { return v ? std::string("set") : std::string("-"); };
    auto task = **store.task(k);
    t += "task " + std::to_string(i) + ": " + std::to_string(static_cast<int>(task.status)) + " v" +
         std::to_string(task.version) + " due " + (task.due_ms ? std::to_string(*task.due_ms) : "-") + " upd " +
         std::to_string(task.updated_ms) + " uploader " + opt(task.uploader) + " link " +
         task.result_link.value_or("-") + " consensus " + opt(task.consensus) + "\n";
    const auto reps = store.replicates_of_task(k);
    EXPECT_TRUE(reps);
    for (const auto& r : reps.value_or(std::vector<ReplicateRecord>{})) {
        t += "  replicate " + std::to_string(static_cast<int>(r.status)) + " last " +
             std::to_string(static_cast<int>(r.last_relevant)) + " v" + std::to_string(r.version) + " slot " +
             std::to_string(r.holds_slot) + " upd " + std::to_string(r.updated_ms) + " hash " +
             opt(r.details.result_hash) + " seal " + opt(r.details.result_seal) + " link " +
             r.details.result_link.value_or("-") + "\n";
    }
    auto rows = db.read([&](store::Tx& tx) -> Result<std::string> {
        std::string out;
        WP_TRY(auto events, tx.query("SELECT status, event, at_ms FROM sched_task_events WHERE deal_id = $1 AND"
                                     " task_index = $2 ORDER BY id",
                                     d.deal_id, i));
        for (const auto& e : events)
            out += "  event " + std::to_string(*e.get<std::int64_t>("status")) + " " + *e.get<std::string>("event") +
                   " " + std::to_string(*e.get<std::int64_t>("at_ms")) + "\n";
        WP_TRY(auto answers, tx.query("SELECT status, action, abort_cause, at_ms FROM sched_replicate_updates WHERE"
                                      " deal_id = $1 AND task_index = $2 ORDER BY status",
                                      d.deal_id, i));
        for (const auto& a : answers)
            out += "  answer " + std::to_string(*a.get<std::int64_t>("status")) + " " +
                   std::to_string(*a.get<std::int64_t>("action")) + " " +
                   (a.is_null("abort_cause") ? "-" : std::to_string(*a.get<std::int64_t>("abort_cause"))) + "\n";
        WP_TRY(auto notes, tx.query("SELECT action, payload FROM sched_notifications WHERE task_id = $1 ORDER BY seq",
                                    task_id(d.deal_id, U256(i))));
        for (const auto& n : notes) out += "  notification " + std::to_string(*n.get<std::int64_t>("action")) + "\n";
        return out;
    });
    EXPECT_TRUE(rows) << rows.error().message;
    return t + rows.value_or("");
}

class WriteBehindTest : public StatusBatchTest {
  protected:
    struct Run {
        std::string transcript;          //!< every outcome, then every task's rows
        std::uint64_t statements{0};     //!< store::Stats::statements of the status batches
        std::uint64_t write_commits{0};  //!< of the status batches
    };

    //! A trust-1 deal `id` of `n` tasks on 10 workers, through the whole replicate lifecycle in a few
    //! update_status_batch calls, with write-behind on or off. `mixed` adds to the batches: the same update twice,
    //! an edge the machine refuses, two successive statuses of one replicate in one batch. Not `whole`: only the
    //! STARTING and STARTED batches (the tasks become RUNNING).
    Run lifecycle(std::uint8_t id, std::uint64_t n, bool write_behind, bool mixed, bool whole = true) {
        store_->set_write_behind(write_behind);
        const DealRecord d = testing::test_deal(id, 1, n, kTagStandard, clock_.unix_ms() / 1000);
        insert_initialized(d, false);
        workerapi::WorkerRegistration reg;
        reg.name = "w";
        reg.version = "1";
        reg.cpu_slots = static_cast<std::uint32_t>(2 * ((n + 9) / 10));  // room for both runs' RUNNING tasks
        for (std::uint8_t w = 0; w < 10; ++w) EXPECT_TRUE(core_->register_worker(key(0x20 + w).address(), reg));
        auto assigned = core_->assign_round();
        EXPECT_TRUE(assigned && *assigned == n);
        std::vector<Address> worker(n);
        for (std::uint64_t i = 0; i < n; ++i) worker[i] = worker_of(d, i);
        const auto item = [&](std::uint64_t i, R s) {
            StatusItem it{worker[i], task_id(d.deal_id, U256(i)), {s, {}}};
            if (s == R::kContributed) {
                it.update.details.result_hash = h(0x61);
                it.update.details.result_seal = h(static_cast<std::uint8_t>(0x62 + i % 100));
            }
            if (s == R::kResultUploaded) it.update.details.result_link = R"({"storage":"ipfs","location":"/ipfs/x"})";
            return it;
        };
        const auto all = [&](std::initializer_list<R> statuses) {
            std::vector<StatusItem> items;
            for (std::uint64_t i = 0; i < n; ++i)
                for (R s : statuses) items.push_back(item(i, s));
            return items;
        };
        std::vector<std::vector<StatusItem>> batches;
        batches.push_back(all({R::kStarting}));
        if (mixed) {
            batches.back().push_back(item(0, R::kStarting));             // the same update twice in one batch
            if (n > 1) batches.back().push_back(item(1, R::kRevealed));  // refused: 409, not recorded
        }
        batches.push_back(mixed ? all({R::kStarted, R::kAppDownloading}) : all({R::kStarted}));
        if (!mixed && whole) batches.push_back(all({R::kAppDownloading}));
        if (whole)
            batches.push_back(all({R::kAppDownloaded, R::kDataDownloading, R::kDataDownloaded, R::kComputing,
                                   R::kComputed, R::kContributing}));
        if (whole) batches.push_back(all({R::kContributed}));
        Run run;
        const auto apply = [&](const std::vector<StatusItem>& items) {
            const auto stats0 = db_->stats();
            const auto out = core_->update_status_batch(items);
            const auto stats1 = db_->stats();
            run.statements += stats1.statements - stats0.statements;
            run.write_commits += stats1.write_commits - stats0.write_commits;
            for (const auto& o : out) run.transcript += outcome_text(o) + "\n";
        };
        for (const auto& b : batches) apply(b);
        if (!whole) {
            for (std::uint64_t i = 0; i < n; ++i) run.transcript += task_rows(*db_, *store_, d, i);
            return run;
        }
        // The chain's consensus: the contributors are asked to reveal.
        std::vector<ConsensusItem> consensus;
        for (std::uint64_t i = 0; i < n; ++i)
            consensus.push_back(ConsensusItem{task_id(d.deal_id, U256(i)), h(0x61), clock_.unix_ms() / 1000 + 900, 9});
        auto applied = core_->apply_consensus_batch(consensus);
        EXPECT_TRUE(applied) << applied.error().message;
        auto revealed = all({R::kRevealed});
        if (mixed) revealed.push_back(item(0, R::kRevealed));
        apply(revealed);  // the upload request (a notification) follows each answer
        apply(all({R::kResultUploaded}));
        for (std::uint64_t i = 0; i < n; ++i) run.transcript += task_rows(*db_, *store_, d, i);
        return run;
    }
};

TEST_P(WriteBehindTest, SameOutcomesAndRowsAsImmediateWritesInFewerStatements) {
    // A mixed batch of 8 tasks: duplicates, a refused edge, a replicate changed twice in one batch.
    const Run on = lifecycle(0x31, 8, true, true);
    const Run off = lifecycle(0x32, 8, false, true);
    EXPECT_EQ(on.transcript, off.transcript);
    EXPECT_NE(on.transcript.find("409"), std::string::npos);
    EXPECT_NE(on.transcript.find("duplicate"), std::string::npos);
    EXPECT_EQ(on.write_commits, off.write_commits) << "one transaction per batch either way";
    EXPECT_LT(on.statements, off.statements);
}

TEST_P(WriteBehindTest, BatchOfOne) {
    const Run on = lifecycle(0x33, 1, true, false);
    const Run off = lifecycle(0x34, 1, false, false);
    EXPECT_EQ(on.transcript, off.transcript);
    EXPECT_EQ(on.transcript.find("error"), std::string::npos) << on.transcript;
    EXPECT_LE(on.statements, off.statements);
}

TEST_P(WriteBehindTest, BatchOf300) {
    // 300 answers and history rows: multi-row INSERTs of 256 + 32 + 8 + 4 rows (STARTING, STARTED: the tasks become
    // RUNNING; the whole lifecycle with immediate writes takes a minute on a loaded PostgreSQL).
    const Run on = lifecycle(0x35, 300, true, false, false);
    const Run off = lifecycle(0x36, 300, false, false, false);
    EXPECT_EQ(on.transcript, off.transcript);
    EXPECT_EQ(on.transcript.find("error"), std::string::npos);
    // Each answer, history row and notification is no longer a statement of its own (the compare-and-set UPDATEs
    // still are: with PostgreSQL they share one round trip, which store::Stats does not count).
    EXPECT_LT(on.statements * 4, off.statements * 3) << on.statements << " vs " << off.statements;
}

WP_INSTANTIATE_ON_BOTH_BACKENDS(StatusBatchTest);
WP_INSTANTIATE_ON_BOTH_BACKENDS(WriteBehindTest);

}  // namespace
}  // namespace wp::scheduler
