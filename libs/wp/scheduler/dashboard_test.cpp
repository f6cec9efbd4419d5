// The dashboard's JSON documents over a real store (both backends): counts with every status, workers with their
// current tasks, task pages with filters and replicates, deals with progress.
#include "dashboard.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/store/backend_test.hpp>

#include <wp/net/metrics.hpp>

#include "dashboard_chain.hpp"
#include "scheduler_metrics.hpp"
#include "schema.hpp"

namespace wp::scheduler {
namespace {
namespace json = boost::json;

constexpr std::int64_t kNowMs = 1'767'225'600'000;

Address addr(std::uint8_t b) {
    FixedBytes<20> f;
    f.bytes.fill(b);
    return Address(f);
}

DealRecord deal(std::uint8_t id, std::uint64_t size) {
    DealRecord d;
    d.deal_id.bytes.fill(id);
    d.app = addr(1);
    d.workerpool = addr(2);
    d.requester = addr(3);
    d.category_seconds = 300;
    d.bot_size = size;
    d.start_time = kNowMs / 1000;
    d.contribution_deadline = d.start_time + 2100;
    d.final_deadline = d.start_time + 3000;
    return d;
}

class DashboardTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("dashboard");
        if (HasFatalFailure()) return;
        ASSERT_TRUE(migrate_scheduler(*db_));
        ASSERT_TRUE(migrate_dashboard(*db_));
        store_.emplace(*db_);
    }
    void TearDown() override {
        store_.reset();
        BackendTest::TearDown();
    }
    //! A replicate of `key` for `worker` (registered with 2 slots), task moved to INITIALIZED first.
    void initialized_with_replicate(const TaskKey& key, const Address& worker, std::int64_t at) {
        workerapi::WorkerRegistration reg;
        reg.name = "w";
        reg.version = "1";
        reg.cpu_slots = 2;
        ASSERT_TRUE(store_->upsert_worker(worker, reg, at));
        auto t = store_->task(key);
        ASSERT_TRUE(t && *t);
        auto init = store_->transition_task(**t, TaskEvent::kInitializeMined, TaskChange{}, at);
        ASSERT_TRUE(init && *init);
        ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
            WP_TRY(bool ok, store_->create_replicate(tx, key, worker, U256(0), at + 40));
            if (!ok) return make_error(Errc::kInvalidArgument, "not reserved");
            return {};
        }));
    }
    //! A stored task event (what transition_task appends), for reads over stored times.
    void event(const TaskKey& key, TaskStatus status, std::string_view name, std::int64_t at) {
        ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
            WP_TRY_VOID(
                tx.exec("INSERT INTO sched_task_events (deal_id, task_index, status, event, at_ms) VALUES ($1,"
                        " $2, $3, $4, $5)",
                        key.deal_id, key.index, static_cast<std::int64_t>(status), std::string(name), at));
            return {};
        }));
    }
    std::optional<SchedulerStore> store_;
};

TEST_P(DashboardTest, SummaryWorkersTasksAndDeals) {
    const DealRecord d = deal(7, 3);
    ASSERT_TRUE(store_->insert_deal(d, kNowMs));
    DealRecord refused = deal(8, 1);
    refused.refusal = "contribution deadline passed";
    ASSERT_TRUE(store_->insert_deal(refused, kNowMs + 1));
    workerapi::WorkerRegistration reg;
    reg.name = "w1";
    reg.version = "1";
    reg.cpu_slots = 2;
    ASSERT_TRUE(store_->upsert_worker(addr(9), reg, kNowMs));
    // Task 0 initialized and given to the worker.
    auto t0 = store_->task(TaskKey{d.deal_id, 0});
    ASSERT_TRUE(t0 && *t0);
    auto init = store_->transition_task(**t0, TaskEvent::kInitializeMined, TaskChange{}, kNowMs + 2);
    ASSERT_TRUE(init && *init);
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
        WP_TRY(bool ok, store_->create_replicate(tx, TaskKey{d.deal_id, 0}, addr(9), U256(0), kNowMs + 3));
        if (!ok) return make_error(Errc::kInvalidArgument, "not reserved");
        return {};
    }));

    auto summary = dashboard_summary(*store_, {addr(2), 31337, addr(4), kNowMs + 10, 5});
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(summary->at("tasks").as_object().size(), kTaskStatusCount);
    EXPECT_EQ(summary->at("tasks").at("RECEIVED").as_int64(), 2);
    EXPECT_EQ(summary->at("tasks").at("INITIALIZED").as_int64(), 1);
    EXPECT_EQ(summary->at("tasks").at("FAILED").as_int64(), 1);
    EXPECT_EQ(summary->at("replicates").at("CREATED").as_int64(), 1);
    EXPECT_EQ(summary->at("workers").at("alive").as_int64(), 1);
    EXPECT_EQ(summary->at("slots").at("used").as_int64(), 1);
    EXPECT_EQ(summary->at("slots").at("total").as_int64(), 2);
    EXPECT_EQ(summary->at("intentsInFlight").as_uint64(), 5U);
    EXPECT_EQ(summary->at("chainId").as_uint64(), 31337U);
    EXPECT_EQ(summary->at("tee").as_string(), "simulation");

    auto workers = dashboard_workers(*store_);
    ASSERT_TRUE(workers) << workers.error().message;
    const auto& w = workers->at("workers").as_array().at(0).as_object();
    EXPECT_EQ(w.at("address").as_string(), addr(9).to_checksum());
    EXPECT_EQ(w.at("currentTasks").as_array().at(0).as_string(), to_hex(task_id(d.deal_id, U256(0)).view()));

    auto page = dashboard_tasks(*store_, TaskQuery{TaskStatus::kReceived, d.deal_id, 1, 0});
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->at("total").as_int64(), 2);
    EXPECT_EQ(page->at("tasks").as_array().size(), 1U);
    auto all = dashboard_tasks(*store_, TaskQuery{});
    ASSERT_TRUE(all);
    EXPECT_EQ(all->at("total").as_int64(), 4);
    const auto& first = all->at("tasks").as_array().at(0).as_object();  // the most recently updated
    EXPECT_EQ(first.at("status").as_string(), "INITIALIZED");
    EXPECT_EQ(first.at("replicates").as_array().at(0).at("status").as_string(), "CREATED");

    auto deals = dashboard_deals(*store_, 10);
    ASSERT_TRUE(deals) << deals.error().message;
    const auto& list = deals->at("deals").as_array();
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(list.at(0).at("refusal").as_string(), "contribution deadline passed");  // the latest first
    EXPECT_EQ(list.at(0).at("failed").as_int64(), 1);
    EXPECT_EQ(list.at(1).at("tasks").at("RECEIVED").as_int64(), 2);
    EXPECT_TRUE(list.at(1).at("refusal").is_null());
}

TEST_P(DashboardTest, OneTaskWithHistoryReplicatesAndIntents) {
    const DealRecord d = deal(7, 2);
    ASSERT_TRUE(store_->insert_deal(d, kNowMs));
    const TaskKey key{d.deal_id, 1};
    auto t = store_->task(key);
    ASSERT_TRUE(t && *t);
    TaskChange submitted;
    submitted.initialize_intent = "init:7:1";
    auto init = store_->transition_task(**t, TaskEvent::kInitializeSubmitted, submitted, kNowMs + 10);
    ASSERT_TRUE(init && *init);
    auto mined = store_->transition_task(**init, TaskEvent::kInitializeMined, TaskChange{}, kNowMs + 20);
    ASSERT_TRUE(mined && *mined);
    workerapi::WorkerRegistration reg;
    reg.name = "w";
    reg.version = "1";
    reg.cpu_slots = 1;
    ASSERT_TRUE(store_->upsert_worker(addr(9), reg, kNowMs));
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
        WP_TRY(bool ok, store_->create_replicate(tx, key, addr(9), U256(0), kNowMs + 30));
        if (!ok) return make_error(Errc::kInvalidArgument, "not reserved");
        return {};
    }));
    // The worker reports STARTING then STARTED (the answers recorded: the replicate's history).
    const std::pair<ReplicateStatus, std::int64_t> reports[] = {{ReplicateStatus::kStarting, kNowMs + 40},
                                                                {ReplicateStatus::kStarted, kNowMs + 50}};
    for (const auto& [status, at] : reports) {
        auto rep = store_->replicate(key, addr(9));
        ASSERT_TRUE(rep && *rep);
        ASSERT_TRUE(db_->write([&, status = status, at = at](store::Tx& tx) -> Result<void> {
            WP_TRY(auto moved, store_->set_replicate_status(tx, **rep, status, Modifier::kWorker, {}, at));
            if (!moved) return make_error(Errc::kInvalidArgument, "not moved");
            return store_->record_answer(tx, key, addr(9), status, workerapi::StatusAnswer{}, at);
        }));
    }
    const Bytes32 id = task_id(d.deal_id, U256(1));
    IntentLookup lookup = [](const std::string& k) -> std::optional<IntentView> {
        if (k != "init:7:1") return std::nullopt;
        IntentView v;
        v.status = "confirmed";
        v.tx_hash = Bytes32{};
        v.tx_hash->bytes.fill(0xab);
        v.block = 12;
        return v;
    };
    auto doc = dashboard_task(*store_, id, lookup);
    ASSERT_TRUE(doc) << doc.error().message;
    ASSERT_TRUE(doc->has_value());
    const auto& o = **doc;
    EXPECT_EQ(o.at("taskId").as_string(), to_hex(id.view()));
    EXPECT_EQ(o.at("status").as_string(), "INITIALIZED");
    EXPECT_EQ(o.at("finalDeadline").as_int64(), d.final_deadline);
    const auto& events = o.at("events").as_array();
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events.at(0).at("status").as_string(), "INITIALIZING");
    EXPECT_EQ(events.at(0).at("event").as_string(), "initialize submitted");
    EXPECT_EQ(events.at(1).at("atMs").as_int64(), kNowMs + 20);
    const auto& rep = o.at("replicates").as_array().at(0).as_object();
    EXPECT_EQ(rep.at("worker").as_string(), addr(9).to_checksum());
    EXPECT_EQ(rep.at("status").as_string(), "STARTED");
    const auto& history = rep.at("history").as_array();
    ASSERT_EQ(history.size(), 3U);
    EXPECT_EQ(history.at(0).at("status").as_string(), "CREATED");
    EXPECT_EQ(history.at(1).at("status").as_string(), "STARTING");
    EXPECT_EQ(history.at(2).at("atMs").as_int64(), kNowMs + 50);
    const auto& intents = o.at("intents").as_array();
    ASSERT_EQ(intents.size(), 1U);
    EXPECT_EQ(intents.at(0).at("kind").as_string(), "initialize");
    EXPECT_EQ(intents.at(0).at("status").as_string(), "confirmed");
    std::string ab = "0x";
    for (int i = 0; i < 32; ++i) ab += "ab";
    EXPECT_EQ(intents.at(0).at("txHash").as_string(), ab);
    EXPECT_EQ(intents.at(0).at("block").as_uint64(), 12U);
    EXPECT_EQ(o.at("deal").at("app").as_string(), addr(1).to_checksum());

    auto unknown = dashboard_task(*store_, Bytes32{}, lookup);
    ASSERT_TRUE(unknown);
    EXPECT_FALSE(unknown->has_value());
}

TEST_P(DashboardTest, FailuresFromEverySourceNewestFirstAndBounded) {
    const DealRecord d = deal(7, 3);
    ASSERT_TRUE(store_->insert_deal(d, kNowMs));
    DealRecord refused = deal(8, 2);
    refused.refusal = "TEE deal with trust 3 > 1";
    ASSERT_TRUE(store_->insert_deal(refused, kNowMs + 100));
    // A reverted initialize (task 0).
    auto t0 = store_->task(TaskKey{d.deal_id, 0});
    ASSERT_TRUE(t0 && *t0);
    TaskChange submitted;
    submitted.initialize_intent = "k0";
    auto s0 = store_->transition_task(**t0, TaskEvent::kInitializeSubmitted, submitted, kNowMs + 200);
    ASSERT_TRUE(s0 && *s0);
    TaskChange why;
    why.failure = "initialize reverted: iExecV5-initialize-0x03";
    auto f0 = store_->transition_task(**s0, TaskEvent::kInitializeReverted, why, kNowMs + 300);
    ASSERT_TRUE(f0 && *f0);
    // A replicate lost with its worker (task 1).
    initialized_with_replicate(TaskKey{d.deal_id, 1}, addr(9), kNowMs + 400);
    auto lost = store_->mark_lost_workers(kNowMs + 1'000'000, 60'000);
    ASSERT_TRUE(lost) << lost.error().message;
    ASSERT_EQ(lost->size(), 1U);

    auto doc = dashboard_failures(*store_, 50);
    ASSERT_TRUE(doc) << doc.error().message;
    const auto& list = doc->at("failures").as_array();
    ASSERT_EQ(list.size(), 3U);  // the refused deal once, not its two FAILED tasks
    EXPECT_EQ(list.at(0).at("kind").as_string(), "replicate");
    EXPECT_EQ(list.at(0).at("status").as_string(), "WORKER_LOST");
    EXPECT_EQ(list.at(0).at("worker").as_string(), addr(9).to_checksum());
    EXPECT_EQ(list.at(0).at("atMs").as_int64(), kNowMs + 1'000'000);
    EXPECT_EQ(list.at(1).at("kind").as_string(), "intent");
    EXPECT_EQ(list.at(1).at("status").as_string(), "INITIALIZE_FAILED");
    EXPECT_NE(std::string(list.at(1).at("reason").as_string()).find("iExecV5-initialize-0x03"), std::string::npos);
    EXPECT_EQ(list.at(1).at("taskId").as_string(), to_hex(task_id(d.deal_id, U256(0)).view()));
    EXPECT_EQ(list.at(2).at("kind").as_string(), "deal");
    EXPECT_EQ(list.at(2).at("reason").as_string(), "TEE deal with trust 3 > 1");
    EXPECT_TRUE(list.at(2).at("taskId").is_null());

    auto one = dashboard_failures(*store_, 1);
    ASSERT_TRUE(one);
    ASSERT_EQ(one->at("failures").as_array().size(), 1U);
    EXPECT_EQ(one->at("failures").as_array().at(0).at("kind").as_string(), "replicate");
}

TEST_P(DashboardTest, ThroughputBucketsStoredCompletionTimes) {
    const DealRecord d = deal(7, 5);
    ASSERT_TRUE(store_->insert_deal(d, kNowMs));
    // now = 12:34:56.789 of some day; completions 10 s ago (this minute), 70 s ago (the previous one), twice 2 h ago,
    // and one 2 days ago (outside both windows). A non-completion event is not counted.
    const std::int64_t now = kNowMs + 12 * 3'600'000 + 34 * 60'000 + 56'789;
    event(TaskKey{d.deal_id, 0}, TaskStatus::kCompleted, "completed", now - 10'000);
    event(TaskKey{d.deal_id, 1}, TaskStatus::kCompleted, "completed", now - 70'000);
    event(TaskKey{d.deal_id, 2}, TaskStatus::kCompleted, "completed", now - 7'200'000);
    event(TaskKey{d.deal_id, 3}, TaskStatus::kCompleted, "completed", now - 7'200'001);
    event(TaskKey{d.deal_id, 4}, TaskStatus::kCompleted, "completed", now - 2 * 86'400'000);
    event(TaskKey{d.deal_id, 4}, TaskStatus::kFinalized, "finalize mined", now - 5'000);
    auto doc = dashboard_throughput(*store_, now, 60, 24);
    ASSERT_TRUE(doc) << doc.error().message;
    const auto& minutes = doc->at("completed").as_array();
    ASSERT_EQ(minutes.size(), 60U);
    EXPECT_EQ(doc->at("bucketMs").as_int64(), 60'000);
    EXPECT_EQ(minutes.at(59).at("atMs").as_int64(), now / 60'000 * 60'000);
    EXPECT_EQ(minutes.at(59).at("count").as_int64(), 1);
    EXPECT_EQ(minutes.at(58).at("count").as_int64(), 1);
    EXPECT_EQ(minutes.at(0).at("atMs").as_int64(), (now / 60'000 - 59) * 60'000);
    const auto& hours = doc->at("hourly").at("completed").as_array();
    ASSERT_EQ(hours.size(), 24U);
    EXPECT_EQ(hours.at(23).at("count").as_int64(), 2);  // 10 s and 70 s ago: both in this hour (12:34)
    EXPECT_EQ(hours.at(21).at("count").as_int64(), 2);  // 10:34:46 and 10:34:46.788
    EXPECT_EQ(doc->at("total").at("lastHour").as_int64(), 2);
    EXPECT_EQ(doc->at("total").at("lastDay").as_int64(), 4);
    auto small = dashboard_throughput(*store_, now, 1, 1);
    ASSERT_TRUE(small);
    EXPECT_EQ(small->at("completed").as_array().size(), 1U);
}

TEST_P(DashboardTest, AccountSnapshotsOnChangeAndEarnings) {
    const std::int64_t hour = 3'600'000;
    AccountSnapshot a{kNowMs, U256(1000), U256(0)};
    auto w = record_account_snapshot(*store_, a, hour);
    ASSERT_TRUE(w) << w.error().message;
    EXPECT_TRUE(*w);
    // Same value soon after: not stored; same value an hour later: stored (the curve keeps a point per hour).
    EXPECT_FALSE(*record_account_snapshot(*store_, AccountSnapshot{kNowMs + 5000, U256(1000), U256(0)}, hour));
    EXPECT_TRUE(*record_account_snapshot(*store_, AccountSnapshot{kNowMs + hour, U256(1000), U256(0)}, hour));
    // A reward lands, some stake is locked.
    EXPECT_TRUE(*record_account_snapshot(*store_, AccountSnapshot{kNowMs + hour + 1, U256(1300), U256(200)}, hour));
    auto latest = latest_account_snapshot(*store_);
    ASSERT_TRUE(latest && *latest);
    EXPECT_EQ((*latest)->stake, U256(1300));

    AccountView view;
    view.owner = addr(4);
    view.latest = **latest;
    auto doc = dashboard_account(*store_, view, kNowMs + hour + 10);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_EQ(doc->at("owner").as_string(), addr(4).to_checksum());
    EXPECT_EQ(doc->at("stake").as_string(), "1300");
    EXPECT_EQ(doc->at("locked").as_string(), "200");
    EXPECT_EQ(doc->at("total").as_string(), "1500");
    EXPECT_TRUE(doc->at("error").is_null());
    const auto& earnings = doc->at("earnings").as_array();
    ASSERT_EQ(earnings.size(), 3U);
    EXPECT_EQ(earnings.at(0).at("total").as_string(), "1000");
    EXPECT_EQ(earnings.at(2).at("total").as_string(), "1500");
    EXPECT_EQ(doc->at("earned").as_string(), "500");
    // A window that starts after the first sample; thinning keeps the last point.
    auto recent = dashboard_account(*store_, view, kNowMs + hour + 10, 9);
    ASSERT_TRUE(recent);
    EXPECT_EQ(recent->at("earnings").as_array().size(), 1U);
    auto thin = account_snapshots(*store_, 0, 2);
    ASSERT_TRUE(thin);
    ASSERT_EQ(thin->size(), 2U);
    EXPECT_EQ(thin->back().stake, U256(1300));
    // Before any read: nulls, and the error of the last read.
    AccountView none;
    none.owner = addr(4);
    none.error = "balanceOf: connection refused";
    auto empty = dashboard_account(*store_, none, kNowMs);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->at("stake").is_null());
    EXPECT_EQ(empty->at("error").as_string(), "balanceOf: connection refused");
}

TEST_P(DashboardTest, OrdersFillsAndTheOpenOrdersField) {
    const DealRecord d1 = deal(7, 3), d2 = deal(8, 5);
    ASSERT_TRUE(store_->insert_deal(d1, kNowMs));
    ASSERT_TRUE(store_->insert_deal(d2, kNowMs + 1));
    auto todo = deals_without_fill(*store_, 10);
    ASSERT_TRUE(todo) << todo.error().message;
    ASSERT_EQ(todo->size(), 2U);
    EXPECT_EQ(todo->at(0).deal_id, d1.deal_id);
    EXPECT_EQ(todo->at(1).bot_size, 5U);
    OrderFill f;
    f.deal_id = d1.deal_id;
    f.order_hash = Bytes32{};
    f.order_hash->bytes.fill(0x11);
    f.volume = 3;
    f.block_number = 42;
    f.timestamp = d1.start_time;
    f.seen_ms = kNowMs + 5;
    ASSERT_TRUE(record_fill(*store_, f));
    ASSERT_TRUE(record_fill(*store_, f));  // idempotent
    OrderFill not_found;
    not_found.deal_id = d2.deal_id;
    not_found.block_number = 43;
    ASSERT_TRUE(record_fill(*store_, not_found));
    todo = deals_without_fill(*store_, 10);
    ASSERT_TRUE(todo);
    EXPECT_TRUE(todo->empty());  // the deal whose log was not found is not searched again

    auto doc = dashboard_orders(*store_, "", std::nullopt, 50);
    ASSERT_TRUE(doc) << doc.error().message;
    EXPECT_TRUE(doc->at("market").is_null());
    EXPECT_FALSE(doc->at("openOrdersKnown").as_bool());
    EXPECT_TRUE(doc->at("orders").as_array().empty());
    const auto& fills = doc->at("fills").as_array();
    ASSERT_EQ(fills.size(), 1U);
    EXPECT_EQ(fills.at(0).at("dealId").as_string(), to_hex(d1.deal_id.view()));
    EXPECT_EQ(fills.at(0).at("orderHash").as_string(), to_hex(f.order_hash->view()));
    EXPECT_EQ(fills.at(0).at("volume").as_int64(), 3);
    EXPECT_EQ(fills.at(0).at("blockNumber").as_int64(), 42);

    json::array open{json::object{{"orderHash", "0x22"}, {"remaining", 7}, {"volume", 10}}};
    auto with = dashboard_orders(*store_, "http://127.0.0.1:3000", open, 50);
    ASSERT_TRUE(with);
    EXPECT_EQ(with->at("market").as_string(), "http://127.0.0.1:3000");
    EXPECT_TRUE(with->at("openOrdersKnown").as_bool());
    EXPECT_EQ(with->at("orders").as_array().at(0).at("remaining").as_int64(), 7);
}

TEST_P(DashboardTest, LatencyHistogramsFromStoredTimes) {
    net::MetricsRegistry registry;
    LatencyHistograms latencies(registry);
    const DealRecord d = deal(7, 2);
    ASSERT_TRUE(store_->insert_deal(d, kNowMs));  // the deal's intake: kNowMs
    // What was stored before the first update is not observed.
    ASSERT_TRUE(latencies.update(*store_, kNowMs));
    // Task 0: initialize submitted at +1 s, mined at +3.5 s; INITIALIZED at +3.5 s, first replicate at +3.54 s;
    // completed at +20 s.
    const TaskKey k0{d.deal_id, 0};
    event(k0, TaskStatus::kInitializing, "initialize submitted", kNowMs + 1000);
    initialized_with_replicate(k0, addr(9), kNowMs + 3500);  // INITIALIZED event at +3.5 s, replicate at +3.54 s
    event(k0, TaskStatus::kCompleted, "completed", kNowMs + 20'000);
    ASSERT_TRUE(latencies.update(*store_, kNowMs + 60'000)) << "update";
    auto& assignment =
        registry.histogram("wp_scheduler_assignment_latency_seconds", "", LatencyHistograms::assignment_buckets());
    auto& completion =
        registry.histogram("wp_scheduler_deal_to_completion_seconds", "", LatencyHistograms::completion_buckets());
    auto& confirm = registry.histogram("wp_scheduler_intent_confirmation_seconds", "",
                                       LatencyHistograms::confirmation_buckets(), {{"action", "initialize"}});
    EXPECT_EQ(assignment.count(), 1U);
    EXPECT_NEAR(assignment.sum(), 0.04, 1e-9);
    EXPECT_EQ(completion.count(), 1U);
    EXPECT_NEAR(completion.sum(), 20.0, 1e-9);
    EXPECT_EQ(confirm.count(), 1U);
    EXPECT_NEAR(confirm.sum(), 2.5, 1e-9);
    // Nothing new: nothing observed twice.
    ASSERT_TRUE(latencies.update(*store_, kNowMs + 120'000));
    EXPECT_EQ(assignment.count(), 1U);
    EXPECT_EQ(completion.count(), 1U);
    const std::string text = registry.render();
    EXPECT_NE(text.find("# TYPE wp_scheduler_assignment_latency_seconds histogram"), std::string::npos);
    EXPECT_NE(text.find("wp_scheduler_intent_confirmation_seconds_count{action=\"finalize\"} 0"), std::string::npos);
}

WP_INSTANTIATE_ON_BOTH_BACKENDS(DashboardTest);

}  // namespace
}  // namespace wp::scheduler
