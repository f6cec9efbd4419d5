// The dashboard's routes on a real HttpServer (127.0.0.1, kernel-chosen port) over a real store (both backends),
// read by the real HTTP client: the new documents, their parameters' rules and 404s, and the sources' wiring.
#include "pool_api.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>
#include <wp/net/http_server.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/store/backend_test.hpp>

#include "dashboard_chain.hpp"
#include "schema.hpp"

namespace wp::scheduler {
namespace {
namespace json = boost::json;

constexpr std::int64_t kNowMs = 1'767'225'600'000;

class PoolApiTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("pool_api");
        if (HasFatalFailure()) return;
        ASSERT_TRUE(migrate_scheduler(*db_));
        ASSERT_TRUE(migrate_dashboard(*db_));
        store_.emplace(*db_);
        DealRecord d;
        d.deal_id.bytes.fill(7);
        d.bot_size = 2;
        d.start_time = kNowMs / 1000;
        d.contribution_deadline = d.start_time + 2100;
        d.final_deadline = d.start_time + 3000;
        deal_ = d.deal_id;
        ASSERT_TRUE(store_->insert_deal(d, kNowMs));
    }
    void start(DashboardSources sources) {
        server_.emplace(net::HttpServerOptions{});
        install_dashboard_api(*server_, *store_, std::move(sources));
        auto started = server_->start();
        ASSERT_TRUE(started) << started.error().message;
    }
    void TearDown() override {
        if (server_) server_->stop();
        server_.reset();
        store_.reset();
        BackendTest::TearDown();
    }
    std::pair<unsigned, json::value> get(const std::string& path) {
        auto r = client_.get(server_->base_url() + path);
        EXPECT_TRUE(r) << path;
        if (!r) return {0, nullptr};
        boost::system::error_code ec;
        auto v = json::parse(r->body, ec);
        return {r->status, ec ? json::value(r->body) : v};
    }
    std::optional<SchedulerStore> store_;
    std::optional<net::HttpServer> server_;
    net::HttpClient client_;
    Bytes32 deal_;
};

TEST_P(PoolApiTest, TheNewRoutesAnswerFromTheStoreAndTheSources) {
    DashboardSources sources;
    sources.context = [] {
        SummaryContext c;
        c.now_ms = kNowMs + 60'000;
        return c;
    };
    sources.account = [] {
        AccountView v;
        v.latest = AccountSnapshot{kNowMs, U256(5), U256(1)};
        return v;
    };
    sources.open_orders = [] { return std::optional<json::array>(json::array{json::object{{"remaining", 4}}}); };
    sources.market_url = "http://127.0.0.1:1";
    start(std::move(sources));

    const std::string id = to_hex(task_id(deal_, U256(1)).view());
    auto [s1, task] = get("/api/v1/dashboard/tasks/" + id);
    EXPECT_EQ(s1, 200U);
    EXPECT_EQ(task.at("taskId").as_string(), id);
    EXPECT_EQ(task.at("index").as_int64(), 1);
    EXPECT_TRUE(task.at("intents").as_array().empty());
    EXPECT_EQ(get("/api/v1/dashboard/tasks/0x" + std::string(64, '0')).first, 404U);
    EXPECT_EQ(get("/api/v1/dashboard/tasks/nothex").first, 400U);

    auto [s2, failures] = get("/api/v1/dashboard/failures?limit=5");
    EXPECT_EQ(s2, 200U);
    EXPECT_TRUE(failures.at("failures").as_array().empty());
    EXPECT_EQ(get("/api/v1/dashboard/failures?limit=0").first, 400U);
    EXPECT_EQ(get("/api/v1/dashboard/failures?since=1").first, 400U);

    auto [s3, throughput] = get("/api/v1/dashboard/throughput?minutes=5&hours=2");
    EXPECT_EQ(s3, 200U);
    EXPECT_EQ(throughput.at("completed").as_array().size(), 5U);
    EXPECT_EQ(throughput.at("hourly").at("completed").as_array().size(), 2U);
    EXPECT_EQ(throughput.at("nowMs").as_int64(), kNowMs + 60'000);  // the context's clock
    EXPECT_EQ(get("/api/v1/dashboard/throughput?minutes=1441").first, 400U);

    auto [s4, account] = get("/api/v1/dashboard/account");
    EXPECT_EQ(s4, 200U);
    EXPECT_EQ(account.at("stake").as_string(), "5");
    EXPECT_EQ(account.at("total").as_string(), "6");

    auto [s5, orders] = get("/api/v1/dashboard/orders");
    EXPECT_EQ(s5, 200U);
    EXPECT_TRUE(orders.at("openOrdersKnown").as_bool());
    EXPECT_EQ(orders.at("orders").as_array().at(0).at("remaining").as_int64(), 4);
    EXPECT_EQ(orders.at("market").as_string(), "http://127.0.0.1:1");
    EXPECT_TRUE(orders.at("fills").as_array().empty());
}

TEST_P(PoolApiTest, WithoutSourcesAccountIs404AndOpenOrdersUnknown) {
    start(DashboardSources{});
    EXPECT_EQ(get("/api/v1/dashboard/account").first, 404U);
    auto [status, orders] = get("/api/v1/dashboard/orders");
    EXPECT_EQ(status, 200U);
    EXPECT_FALSE(orders.at("openOrdersKnown").as_bool());
    EXPECT_TRUE(orders.at("market").is_null());
    EXPECT_EQ(get("/api/v1/dashboard/summary").first, 200U);
    EXPECT_EQ(get("/api/v1/pool/stats").first, 200U);  // the alias
}

// GET /tasks/:taskId: the document the iExec SDK's `iexec task debug` reads (wp_cli's task debug test reads it too).
TEST_P(PoolApiTest, SdkTaskRouteGivesStatusHistoryAndReplicates) {
    start(DashboardSources{});
    const TaskKey key{deal_, 0};
    const Address worker = *Address::parse("0x" + std::string(40, '9'));
    workerapi::WorkerRegistration reg;
    reg.name = "w";
    reg.version = "1";
    reg.cpu_slots = 2;
    ASSERT_TRUE(store_->upsert_worker(worker, reg, kNowMs));
    auto t = store_->task(key);
    ASSERT_TRUE(t && *t);
    ASSERT_TRUE(store_->transition_task(**t, TaskEvent::kInitializeMined, TaskChange{}, kNowMs + 2));
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
        WP_TRY(bool reserved, store_->create_replicate(tx, key, worker, U256(0), kNowMs + 3));
        if (!reserved) return make_error(Errc::kInvalidArgument, "not reserved");
        return {};
    }));
    const std::string id = to_hex(task_id(deal_, U256(0)).view());
    auto [status, doc] = get("/tasks/" + id);
    ASSERT_EQ(status, 200U) << json::serialize(doc);
    EXPECT_EQ(doc.at("chainTaskId").as_string(), id);
    EXPECT_EQ(doc.at("currentStatus").as_string(), "INITIALIZED");
    const auto& dates = doc.at("dateStatusList").as_array();
    ASSERT_FALSE(dates.empty());
    EXPECT_EQ(dates.back().at("status").as_string(), "INITIALIZED");
    EXPECT_EQ(dates.back().at("date").as_string(), "2026-01-01T00:00:00.002Z");  // kNowMs + 2
    const auto& reps = doc.at("replicates").as_array();
    ASSERT_EQ(reps.size(), 1U);
    EXPECT_EQ(reps[0].at("walletAddress").as_string(), worker.to_checksum());
    EXPECT_EQ(reps[0].at("currentStatus").as_string(), "CREATED");
    EXPECT_EQ(reps[0].at("statusUpdateList").as_array().at(0).at("date").as_string(), "2026-01-01T00:00:00.003Z");
    EXPECT_FALSE(reps[0].as_object().contains("appExitCode"));
    EXPECT_EQ(get("/tasks/0x" + std::string(64, '0')).first, 404U);
    EXPECT_EQ(get("/tasks/nothex").first, 400U);
}

WP_INSTANTIATE_ON_BOTH_BACKENDS(PoolApiTest);

}  // namespace
}  // namespace wp::scheduler
