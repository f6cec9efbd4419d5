// The dashboard's JSON documents over a real store (both backends): counts with every status, workers with their
// current tasks, task pages with filters and replicates, deals with progress.
#include "dashboard.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/store/backend_test.hpp>

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
        store_.emplace(*db_);
    }
    void TearDown() override {
        store_.reset();
        BackendTest::TearDown();
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

WP_INSTANTIATE_ON_BOTH_BACKENDS(DashboardTest);

}  // namespace
}  // namespace wp::scheduler
