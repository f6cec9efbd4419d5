// SchedulerStore on both backends: idempotent deal intake keyed by (deal, index), compare-and-set transitions,
// slot-checked replicate reservation, lost workers, idempotent update answers, the notification inbox; write-behind
// (multi-row answers at flush, status_context's overlay, a kept compare-and-set that misses fails the transaction).

#include "scheduler_store.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/store/backend_test.hpp>

#include "scheduler_test_support.hpp"
#include "schema.hpp"

namespace wp::scheduler {
namespace {

Address addr(std::uint8_t b) {
    FixedBytes<20> f;
    f.bytes.fill(b);
    return Address(f);
}
using testing::h;

constexpr std::int64_t kNowMs = 1'767'225'600'000;

DealRecord sample_deal(std::uint8_t id, std::uint64_t bot_size = 3) {
    DealRecord d;
    d.deal_id = h(id);
    d.app = addr(1);
    d.workerpool = addr(2);
    d.requester = addr(3);
    d.category = 0;
    d.category_seconds = 300;
    d.trust = 1;
    d.bot_first = 10;
    d.bot_size = bot_size;
    d.start_time = kNowMs / 1000;
    d.contribution_deadline = d.start_time + 7 * 300;
    d.final_deadline = d.start_time + 10 * 300;
    d.app_uri = "file:///apps/echo.tar.gz";
    d.app_type = "BUNDLE";
    d.iexec_args = "hello";
    d.input_files = {"https://example.com/a"};
    d.block_number = 7;
    return d;
}

workerapi::WorkerRegistration registration(std::uint32_t slots) {
    workerapi::WorkerRegistration r;
    r.name = "w";
    r.version = "1";
    r.cpu_slots = slots;
    r.tee_frameworks = {workerapi::TeeFramework::kTdx};
    return r;
}

class SchedulerStoreTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("scheduler_store");
        if (HasFatalFailure()) return;
        auto v = migrate_scheduler(*db_);
        ASSERT_TRUE(v) << v.error().message;
        store_.emplace(*db_);
    }
    void TearDown() override {
        store_.reset();
        BackendTest::TearDown();
    }
    std::optional<SchedulerStore> store_;
};

TEST_P(SchedulerStoreTest, DealIntakeIsIdempotentAndKeyedByDealAndIndex) {
    const DealRecord d = sample_deal(9);
    auto first = store_->insert_deal(d, kNowMs);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_TRUE(*first);
    auto again = store_->insert_deal(d, kNowMs + 1);
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);

    auto back = store_->deal(d.deal_id);
    ASSERT_TRUE(back && *back);
    EXPECT_EQ(**back, d);

    auto t = store_->task(TaskKey{d.deal_id, 11});
    ASSERT_TRUE(t && *t) << (t ? "missing" : t.error().message);
    EXPECT_EQ((*t)->task_id, task_id(d.deal_id, U256(11)));
    EXPECT_EQ((*t)->status, TaskStatus::kReceived);
    EXPECT_EQ((*t)->due_ms, kNowMs);
    EXPECT_FALSE(store_->task(TaskKey{d.deal_id, 13})->has_value());  // outside [10, 13)
    auto by_id = store_->task_by_id(task_id(d.deal_id, U256(12)));
    ASSERT_TRUE(by_id && *by_id);
    EXPECT_EQ((*by_id)->key.index, 12u);
    EXPECT_EQ(store_->due_tasks(kNowMs, 100)->size(), 3u);
    EXPECT_TRUE(store_->due_tasks(kNowMs - 1, 100)->empty());

    auto recent = store_->recent_deals(10);
    ASSERT_TRUE(recent) << recent.error().message;
    ASSERT_EQ(recent->size(), 1u);
    EXPECT_EQ((*recent)[0].first, d);
    ASSERT_EQ((*recent)[0].second.size(), 1u);
    EXPECT_EQ((*recent)[0].second[0], std::make_pair(TaskStatus::kReceived, std::int64_t{3}));
    auto received = store_->recent_tasks(TaskStatus::kReceived, 2);
    ASSERT_TRUE(received) << received.error().message;
    EXPECT_EQ(received->size(), 2u);
    EXPECT_TRUE(store_->recent_tasks(TaskStatus::kRunning, 2)->empty());
    EXPECT_EQ(store_->recent_tasks(std::nullopt, 10)->size(), 3u);

    DealRecord refused = sample_deal(8, 1);
    refused.refusal = "TEE deal with trust 3";
    ASSERT_TRUE(*store_->insert_deal(refused, kNowMs));
    auto rt = store_->task(TaskKey{refused.deal_id, 10});
    EXPECT_EQ((*rt)->status, TaskStatus::kFailed);
    EXPECT_EQ((*rt)->failure, "TEE deal with trust 3");
}

TEST_P(SchedulerStoreTest, TransitionsAreCompareAndSet) {
    ASSERT_TRUE(store_->insert_deal(sample_deal(9), kNowMs));
    const TaskRecord t0 = **store_->task(TaskKey{h(9), 10});
    TaskChange c;
    c.initialize_intent = "task:" + to_hex(t0.task_id.view()) + ":initialize";
    c.due_ms = kNowMs + 30'000;
    auto t1 = store_->transition_task(t0, TaskEvent::kInitializeSubmitted, c, kNowMs + 1);
    ASSERT_TRUE(t1) << t1.error().message;
    ASSERT_TRUE(*t1);
    EXPECT_EQ((*t1)->status, TaskStatus::kInitializing);
    EXPECT_EQ((*t1)->version, 1);
    EXPECT_EQ((*t1)->initialize_intent, c.initialize_intent);
    EXPECT_EQ((*t1)->due_ms, kNowMs + 30'000);

    // A second writer holding the stale record loses: nothing changes.
    auto stale = store_->transition_task(t0, TaskEvent::kInitializeSubmitted, {}, kNowMs + 2);
    ASSERT_TRUE(stale);
    EXPECT_FALSE(*stale);
    // The machine refuses an event that has no edge.
    auto refused = store_->transition_task(**t1, TaskEvent::kFinalizeMined, {}, kNowMs + 2);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "task: event 'finalize mined' not allowed in status INITIALIZING");

    TaskChange clear;
    clear.clear_due = true;
    auto t2 = store_->transition_task(**t1, TaskEvent::kInitializeMined, clear, kNowMs + 3);
    ASSERT_TRUE(t2 && *t2);
    EXPECT_EQ((*t2)->status, TaskStatus::kInitialized);
    EXPECT_FALSE((*t2)->due_ms);
    auto schedulable = store_->schedulable_tasks(10);
    ASSERT_TRUE(schedulable);
    ASSERT_EQ(schedulable->size(), 1u);
    EXPECT_EQ((*schedulable)[0].key.index, 10u);
    auto counts = store_->task_counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->size(), 2u);  // RECEIVED 2, INITIALIZED 1
}

TEST_P(SchedulerStoreTest, ReplicateReservationChecksSlotsAndUniqueness) {
    ASSERT_TRUE(store_->insert_deal(sample_deal(9), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(5), registration(1), kNowMs));
    auto reserve = [&](std::uint64_t index, const Address& w) {
        return db_->write([&](store::Tx& tx) {
            return store_->create_replicate(tx, TaskKey{h(9), index}, w, 0, kNowMs);
        });
    };
    EXPECT_TRUE(*reserve(10, addr(5)));
    EXPECT_FALSE(*reserve(11, addr(5)));  // one slot only
    EXPECT_FALSE(*reserve(10, addr(6)));  // unknown worker
    auto w = store_->worker(addr(5));
    ASSERT_TRUE(w && *w);
    EXPECT_EQ((*w)->used_slots, 1u);

    // The replicate computes: its slot is freed; a second replicate of the same task is still refused.
    auto r = **store_->replicate(TaskKey{h(9), 10}, addr(5));
    for (auto s : {ReplicateStatus::kStarting, ReplicateStatus::kStarted, ReplicateStatus::kAppDownloading,
                   ReplicateStatus::kAppDownloaded, ReplicateStatus::kDataDownloading, ReplicateStatus::kDataDownloaded,
                   ReplicateStatus::kComputing, ReplicateStatus::kComputed}) {
        auto next = db_->write(
            [&](store::Tx& tx) { return store_->set_replicate_status(tx, r, s, Modifier::kWorker, {}, kNowMs); });
        ASSERT_TRUE(next) << next.error().message;
        ASSERT_TRUE(*next);
        r = **next;
    }
    EXPECT_FALSE(r.holds_slot);
    EXPECT_EQ((*store_->worker(addr(5)))->used_slots, 0u);
    EXPECT_FALSE(*reserve(10, addr(5)));
    EXPECT_TRUE(*reserve(11, addr(5)));

    // A stale record loses the compare-and-set; a refused edge is an error.
    workerapi::StatusDetails d;
    d.result_hash = h(0xaa);
    auto contributed = db_->write([&](store::Tx& tx) {
        return store_->set_replicate_status(tx, r, ReplicateStatus::kContributing, Modifier::kWorker, d, kNowMs);
    });
    ASSERT_TRUE(contributed && *contributed);
    EXPECT_EQ((*contributed)->details.result_hash, h(0xaa));
    auto stale = db_->write([&](store::Tx& tx) {
        return store_->set_replicate_status(tx, r, ReplicateStatus::kContributing, Modifier::kWorker, {}, kNowMs);
    });
    ASSERT_TRUE(stale);
    EXPECT_FALSE(*stale);
    auto bad = db_->write([&](store::Tx& tx) {
        return store_->set_replicate_status(tx, **contributed, ReplicateStatus::kRevealed, Modifier::kWorker, {},
                                            kNowMs);
    });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "replicate: CONTRIBUTING → REVEALED is not allowed");
}

TEST_P(SchedulerStoreTest, SilentWorkersAreLostAndTheirReplicatesFreed) {
    ASSERT_TRUE(store_->insert_deal(sample_deal(9), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(5), registration(2), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(6), registration(2), kNowMs));
    ASSERT_TRUE(db_->write([&](store::Tx& tx) {
        return store_->create_replicate(tx, TaskKey{h(9), 10}, addr(5), 0, kNowMs);
    }));
    EXPECT_TRUE(*store_->touch_worker(addr(6), kNowMs + 50'000));
    EXPECT_FALSE(*store_->touch_worker(addr(7), kNowMs + 50'000));

    auto lost = store_->mark_lost_workers(kNowMs + 60'000, 60'000);
    ASSERT_TRUE(lost) << lost.error().message;
    ASSERT_EQ(lost->size(), 1u);
    EXPECT_EQ((*lost)[0], addr(5));
    auto r = store_->replicate(TaskKey{h(9), 10}, addr(5));
    EXPECT_EQ((*r)->status, ReplicateStatus::kWorkerLost);
    EXPECT_EQ((*r)->last_relevant, ReplicateStatus::kCreated);
    EXPECT_FALSE((*r)->holds_slot);
    EXPECT_FALSE((*store_->worker(addr(5)))->alive);
    EXPECT_TRUE(store_->mark_lost_workers(kNowMs + 60'000, 60'000)->empty());  // already lost
    // Coming back: alive again.
    EXPECT_TRUE(*store_->touch_worker(addr(5), kNowMs + 70'000));
    EXPECT_TRUE((*store_->worker(addr(5)))->alive);
}

TEST_P(SchedulerStoreTest, WorkerScoresAreStoredAndALowerScoreLowersTheOpenReplicates) {
    ASSERT_TRUE(store_->insert_deal(sample_deal(9), kNowMs));
    ASSERT_TRUE(store_->insert_deal(sample_deal(10), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(5), registration(4), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(6), registration(4), kNowMs));
    // Scores read from the chain: the unregistered addr(7) is skipped, an unchanged score is not reported.
    auto changed = store_->set_worker_scores({{addr(5), U256(30)}, {addr(6), U256(0)}, {addr(7), U256(9)}});
    ASSERT_TRUE(changed) << changed.error().message;
    EXPECT_EQ(*changed, std::vector<Address>{addr(5)});
    EXPECT_EQ((*store_->worker(addr(5)))->score, U256(30));
    EXPECT_FALSE(*store_->worker(addr(7)));
    // A re-registration keeps the score.
    ASSERT_TRUE(store_->upsert_worker(addr(5), registration(4), kNowMs + 1));
    EXPECT_EQ((*store_->worker(addr(5)))->score, U256(30));
    // Replicates created at 30 (two open, one lost) and at 6.
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
        for (std::uint64_t i = 10; i < 13; ++i) {
            WP_TRY(bool ok, store_->create_replicate(tx, TaskKey{h(9), i}, addr(5), U256(30), kNowMs));
            if (!ok) return make_error(Errc::kIo, "replicate not created");
        }
        return {};
    }));
    ASSERT_TRUE(store_->mark_lost_workers(kNowMs + 1, 0));   // every replicate of addr(5) is WORKER_LOST ...
    ASSERT_TRUE(store_->touch_worker(addr(5), kNowMs + 2));  // ... the worker back: two new replicates, one at 6
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
        WP_TRY(bool a, store_->create_replicate(tx, TaskKey{h(10), 10}, addr(5), U256(30), kNowMs));
        WP_TRY(bool b, store_->create_replicate(tx, TaskKey{h(10), 11}, addr(5), U256(6), kNowMs));
        if (!a || !b) return make_error(Errc::kIo, "replicate not created");
        return {};
    }));
    // The score drops to 12: the open replicate at 30 is lowered, the one at 6 and the lost ones are left alone.
    changed = store_->set_worker_scores({{addr(5), U256(12)}});
    ASSERT_TRUE(changed) << changed.error().message;
    EXPECT_EQ(changed->size(), 1U);
    EXPECT_EQ((*store_->replicate(TaskKey{h(10), 10}, addr(5)))->score, U256(12));
    EXPECT_EQ((*store_->replicate(TaskKey{h(10), 11}, addr(5)))->score, U256(6));
    EXPECT_EQ((*store_->replicate(TaskKey{h(9), 10}, addr(5)))->score, U256(30));
    // A rise changes no replicate.
    ASSERT_TRUE(store_->set_worker_scores({{addr(5), U256(40)}}));
    EXPECT_EQ((*store_->replicate(TaskKey{h(10), 11}, addr(5)))->score, U256(6));
    EXPECT_EQ((*store_->worker(addr(5)))->score, U256(40));
}

TEST_P(SchedulerStoreTest, AnswersAndInbox) {
    ASSERT_TRUE(store_->insert_deal(sample_deal(9), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(5), registration(2), kNowMs));
    const TaskKey key{h(9), 10};
    auto none =
        db_->read([&](store::Tx& tx) { return store_->recorded_answer(tx, key, addr(5), ReplicateStatus::kComputed); });
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    workerapi::StatusAnswer answer{Action::kAbort, AbortCause::kConsensusReached, false};
    ASSERT_TRUE(db_->write([&](store::Tx& tx) {
        return store_->record_answer(tx, key, addr(5), ReplicateStatus::kComputed, answer, kNowMs);
    }));
    auto again =
        db_->read([&](store::Tx& tx) { return store_->recorded_answer(tx, key, addr(5), ReplicateStatus::kComputed); });
    ASSERT_TRUE(again && *again);
    EXPECT_EQ((*again)->action, Action::kAbort);
    EXPECT_EQ((*again)->abort_cause, AbortCause::kConsensusReached);
    EXPECT_TRUE((*again)->duplicate);

    const Bytes32 tid = task_id(h(9), U256(10));
    for (int i = 0; i < 3; ++i) {
        workerapi::Notification n;
        n.task_id = tid;
        n.action = Action::kReveal;
        n.block_number = static_cast<std::uint64_t>(100 + i);
        auto appended = db_->write([&](store::Tx& tx) { return store_->append_notification(tx, addr(5), n, kNowMs); });
        ASSERT_TRUE(appended) << appended.error().message;
        EXPECT_EQ(appended->seq, static_cast<std::uint64_t>(i + 1));
    }
    auto batch = store_->notifications_after(addr(5), 1, 10);
    ASSERT_TRUE(batch) << batch.error().message;
    ASSERT_EQ(batch->notifications.size(), 2u);
    EXPECT_EQ(batch->notifications[0].seq, 2u);
    EXPECT_EQ(batch->notifications[1].block_number, 102u);
    EXPECT_EQ(batch->last_seq, 3u);
    auto unknown = db_->write(
        [&](store::Tx& tx) { return store_->append_notification(tx, addr(6), workerapi::Notification{}, kNowMs); });
    EXPECT_FALSE(unknown);
}

// ---- Write-behind ---------------------------------------------------------------------------------------------------

TEST_P(SchedulerStoreTest, WriteBehindSendsAnswersAsMultiRowInsertsAtFlush) {
    store_->set_write_behind(true);  // the default with PostgreSQL only
    // 300 tasks, one worker: 300 answers kept, then sent as INSERTs of 256 + 32 + 8 + 4 rows; a batch of 1 as one.
    ASSERT_TRUE(store_->insert_deal(sample_deal(9, 301), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(5), registration(1), kNowMs));
    const workerapi::StatusAnswer answer{Action::kContinue, std::nullopt, false};
    const auto record = [&](std::uint64_t first, std::uint64_t count) -> Result<std::uint64_t> {
        return db_->write([&](store::Tx& tx) -> Result<std::uint64_t> {
            SchedulerStore::WriteBehind behind(*store_, tx);
            for (std::uint64_t i = first; i < first + count; ++i)
                WP_TRY_VOID(
                    store_->record_answer(tx, TaskKey{h(9), i}, addr(5), ReplicateStatus::kStarting, answer, kNowMs));
            const auto before = db_->stats().statements;
            WP_TRY_VOID(behind.flush());
            return db_->stats().statements - before;
        });
    };
    const auto before = db_->stats().statements;
    auto sent = record(10, 300);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(*sent, 4u) << "256 + 32 + 8 + 4 rows";
    EXPECT_EQ(db_->stats().statements - before, 4u) << "nothing ran before the flush";
    auto one = record(310, 1);
    ASSERT_TRUE(one) << one.error().message;
    EXPECT_EQ(*one, 1u);
    for (std::uint64_t i = 10; i < 311; ++i) {
        auto a = db_->read([&](store::Tx& tx) {
            return store_->recorded_answer(tx, {h(9), i}, addr(5), ReplicateStatus::kStarting);
        });
        ASSERT_TRUE(a && *a) << i;
        EXPECT_EQ((*a)->action, Action::kContinue);
    }
    // The same answer again in a later batch: ON CONFLICT DO NOTHING keeps the first.
    auto again = record(10, 2);
    ASSERT_TRUE(again) << again.error().message;

    // Write-behind off: the same calls write at once.
    store_->set_write_behind(false);
    ASSERT_TRUE(store_->insert_deal(sample_deal(8, 4), kNowMs));
    auto direct = db_->write([&](store::Tx& tx) -> Result<std::uint64_t> {
        SchedulerStore::WriteBehind behind(*store_, tx);
        const auto s0 = db_->stats().statements;
        for (std::uint64_t i = 10; i < 14; ++i)
            WP_TRY_VOID(
                store_->record_answer(tx, TaskKey{h(8), i}, addr(5), ReplicateStatus::kStarting, answer, kNowMs));
        const auto s1 = db_->stats().statements;
        WP_TRY_VOID(behind.flush());
        EXPECT_EQ(db_->stats().statements, s1) << "nothing left to send";
        return s1 - s0;
    });
    ASSERT_TRUE(direct) << direct.error().message;
    EXPECT_EQ(*direct, 4u);
}

TEST_P(SchedulerStoreTest, WriteBehindOverlaysStatusContextAndFlushesBeforeOtherReads) {
    store_->set_write_behind(true);  // the default with PostgreSQL only
    ASSERT_TRUE(store_->insert_deal(sample_deal(9), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(5), registration(2), kNowMs));
    const TaskKey key{h(9), 10};
    const Bytes32 tid = task_id(h(9), U256(10));
    ASSERT_TRUE(*db_->write([&](store::Tx& tx) { return store_->create_replicate(tx, key, addr(5), 0, kNowMs); }));
    auto task0 = **store_->task(key);
    auto r0 = **store_->replicate(key, addr(5));

    ReplicateRecord kept;
    TaskRecord kept_task;
    auto done = db_->write([&](store::Tx& tx) -> Result<bool> {
        SchedulerStore::WriteBehind behind(*store_, tx);
        const auto s0 = db_->stats().statements;
        WP_TRY(auto r1,
               store_->set_replicate_status(tx, r0, ReplicateStatus::kStarting, Modifier::kWorker, {}, kNowMs + 1));
        EXPECT_TRUE(r1);
        WP_TRY(auto r2,
               store_->set_replicate_status(tx, *r1, ReplicateStatus::kStarted, Modifier::kWorker, {}, kNowMs + 2));
        EXPECT_TRUE(r2);
        // A stale record loses against what the scope already changed, as it would against the database.
        WP_TRY(auto stale,
               store_->set_replicate_status(tx, *r1, ReplicateStatus::kStarted, Modifier::kWorker, {}, kNowMs + 3));
        EXPECT_FALSE(stale);
        WP_TRY(auto t1, store_->transition_task(tx, task0, TaskEvent::kInitializeSubmitted, {}, kNowMs + 2));
        EXPECT_TRUE(t1);
        WP_TRY_VOID(store_->record_answer(tx, key, addr(5), ReplicateStatus::kStarted,
                                          {Action::kContinue, std::nullopt, false}, kNowMs + 2));
        EXPECT_EQ(db_->stats().statements, s0) << "nothing sent yet";
        // status_context sees the scope's records and answer.
        WP_TRY(auto ctx, store_->status_context(tx, tid, addr(5), ReplicateStatus::kStarted));
        EXPECT_TRUE(ctx && ctx->replicate && ctx->recorded);
        if (ctx && ctx->replicate && ctx->recorded) {
            EXPECT_EQ(ctx->replicate->status, ReplicateStatus::kStarted);
            EXPECT_EQ(ctx->replicate->version, 2);
            EXPECT_EQ(ctx->task.status, TaskStatus::kInitializing);
            EXPECT_TRUE(ctx->recorded->duplicate);
        }
        EXPECT_EQ(db_->stats().statements, s0 + 1) << "one read";
        // Another read of the store sends what is kept first (2 updates, 1 task update, 2 inserts), then reads.
        WP_TRY(auto reps, store_->replicates_of_task(tx, key));
        EXPECT_EQ(db_->stats().statements, s0 + 1 + 5 + 1);
        EXPECT_EQ(reps.size(), 1u);
        if (!reps.empty()) {
            EXPECT_EQ(reps[0].status, ReplicateStatus::kStarted);
        }
        kept = *r2;
        kept_task = *t1;
        WP_TRY_VOID(behind.flush());
        EXPECT_EQ(db_->stats().statements, s0 + 7) << "already sent";
        return true;
    });
    ASSERT_TRUE(done) << done.error().message;
    // What the scope computed in memory is what the database holds.
    const auto stored = **store_->replicate(key, addr(5));
    EXPECT_EQ(stored.status, kept.status);
    EXPECT_EQ(stored.last_relevant, kept.last_relevant);
    EXPECT_EQ(stored.version, kept.version);
    EXPECT_EQ(stored.holds_slot, kept.holds_slot);
    EXPECT_EQ(stored.updated_ms, kept.updated_ms);
    EXPECT_EQ(stored.details, kept.details);
    const auto stored_task = **store_->task(key);
    EXPECT_EQ(stored_task.status, kept_task.status);
    EXPECT_EQ(stored_task.version, kept_task.version);
    EXPECT_EQ(stored_task.updated_ms, kept_task.updated_ms);
    EXPECT_EQ(stored_task.due_ms, kept_task.due_ms);

    // Prefetched: the same contexts from memory, no statement per lookup (an unknown task, a worker without a
    // replicate included).
    auto prefetched = db_->write([&](store::Tx& tx) -> Result<bool> {
        SchedulerStore::WriteBehind behind(*store_, tx);
        WP_TRY_VOID(behind.prefetch_status_contexts({tid, h(0xee), h(0xef), h(0xf0), tid}));
        const auto s0 = db_->stats().statements;
        WP_TRY(auto ctx, store_->status_context(tx, tid, addr(5), ReplicateStatus::kStarted));
        WP_TRY(auto unknown, store_->status_context(tx, h(0xee), addr(5), ReplicateStatus::kStarted));
        WP_TRY(auto other, store_->status_context(tx, tid, addr(6), ReplicateStatus::kStarted));
        EXPECT_EQ(db_->stats().statements, s0);
        EXPECT_TRUE(ctx && ctx->replicate && ctx->recorded);
        if (ctx && ctx->replicate && ctx->recorded) {
            EXPECT_EQ(ctx->replicate->status, ReplicateStatus::kStarted);
            EXPECT_EQ(ctx->replicate->version, 2);
            EXPECT_EQ(ctx->replicate->details, kept.details);
            EXPECT_EQ(ctx->task.status, TaskStatus::kInitializing);
            EXPECT_EQ(ctx->task.version, kept_task.version);
            EXPECT_TRUE(ctx->recorded->duplicate);
            EXPECT_EQ(ctx->recorded->action, Action::kContinue);
        }
        EXPECT_FALSE(unknown);
        EXPECT_TRUE(other && !other->replicate && !other->recorded);
        // The scope's own change shows over what was prefetched.
        if (ctx && ctx->replicate) {
            WP_TRY(auto r3, store_->set_replicate_status(tx, *ctx->replicate, ReplicateStatus::kAppDownloading,
                                                         Modifier::kWorker, {}, kNowMs + 4));
            EXPECT_TRUE(r3);
            WP_TRY(auto again, store_->status_context(tx, tid, addr(5), ReplicateStatus::kAppDownloading));
            EXPECT_TRUE(again && again->replicate && again->replicate->version == 3 && !again->recorded);
        }
        WP_TRY_VOID(behind.flush());
        return true;
    });
    ASSERT_TRUE(prefetched) << prefetched.error().message;
    EXPECT_EQ((**store_->replicate(key, addr(5))).status, ReplicateStatus::kAppDownloading);
}

TEST_P(SchedulerStoreTest, WriteBehindFailsTheTransactionWhenAKeptCompareAndSetMissesAtFlush) {
    store_->set_write_behind(true);  // the default with PostgreSQL only
    ASSERT_TRUE(store_->insert_deal(sample_deal(9), kNowMs));
    ASSERT_TRUE(store_->upsert_worker(addr(5), registration(2), kNowMs));
    const TaskKey key{h(9), 10};
    ASSERT_TRUE(*db_->write([&](store::Tx& tx) { return store_->create_replicate(tx, key, addr(5), 0, kNowMs); }));
    const auto r0 = **store_->replicate(key, addr(5));
    // Somebody moves the replicate first: r0 is stale.
    auto moved = db_->write([&](store::Tx& tx) {
        return store_->set_replicate_status(tx, r0, ReplicateStatus::kStarting, Modifier::kWorker, {}, kNowMs);
    });
    ASSERT_TRUE(moved && *moved);
    workerapi::StatusDetails details;
    details.message = "kept";
    auto failed = db_->write([&](store::Tx& tx) -> Result<bool> {
        SchedulerStore::WriteBehind behind(*store_, tx);
        WP_TRY(auto r1,
               store_->set_replicate_status(tx, r0, ReplicateStatus::kStarting, Modifier::kWorker, details, kNowMs));
        EXPECT_TRUE(r1) << "not known before the flush";
        WP_TRY_VOID(store_->record_answer(tx, key, addr(5), ReplicateStatus::kStarting,
                                          {Action::kContinue, std::nullopt, false}, kNowMs));
        WP_TRY_VOID(behind.flush());
        return true;
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Errc::kIo);
    EXPECT_NE(failed.error().message.find("changed concurrently"), std::string::npos) << failed.error().message;
    // Rolled back: neither the update nor the answer.
    const auto stored = **store_->replicate(key, addr(5));
    EXPECT_EQ(stored.version, 1);
    EXPECT_FALSE(stored.details.message);
    auto answer =
        db_->read([&](store::Tx& tx) { return store_->recorded_answer(tx, key, addr(5), ReplicateStatus::kStarting); });
    ASSERT_TRUE(answer);
    EXPECT_FALSE(*answer);
}

WP_INSTANTIATE_ON_BOTH_BACKENDS(SchedulerStoreTest);

}  // namespace
}  // namespace wp::scheduler
