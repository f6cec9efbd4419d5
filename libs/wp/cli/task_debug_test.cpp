// task debug's off-chain part against our core's pool API in-process (a real HttpServer on 127.0.0.1 over a real
// SQLite scheduler store) and a compass on another real server: the SDK's URL resolution (origins only), the
// document mapping, and every SDK message (no compass, a compass that knows no apiUrl, unreachable compass / core,
// unknown task). The whole command on a devnet is compared with the SDK in tests/cli/sdk_cli_golden.sh.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/net/http_server.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/scheduler/dashboard_chain.hpp>
#include <wp/scheduler/pool_api.hpp>
#include <wp/scheduler/scheduler_store.hpp>
#include <wp/scheduler/schema.hpp>
#include <wp/store/store.hpp>

#include "task_debug.hpp"

namespace wp::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::int64_t kNowMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

class TaskDebugTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(::testing::TempDir()) / ("wp_cli_debug_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        auto db = store::Database::open("sqlite:" + (dir_ / "core.db").string());
        ASSERT_TRUE(db) << db.error().message;
        db_.emplace(std::move(*db));
        ASSERT_TRUE(scheduler::migrate_scheduler(*db_));
        ASSERT_TRUE(scheduler::migrate_dashboard(*db_));
        store_.emplace(*db_);
        scheduler::DealRecord d;
        d.deal_id.bytes.fill(7);
        d.workerpool = workerpool_;
        d.bot_size = 1;
        d.start_time = kNowMs / 1000;
        d.contribution_deadline = d.start_time + 2100;
        d.final_deadline = d.start_time + 3000;
        ASSERT_TRUE(store_->insert_deal(d, kNowMs));
        task_ = task_id(d.deal_id, U256(0));
        // A worker holding a replicate of the task.
        workerapi::WorkerRegistration reg;
        reg.name = "w";
        reg.version = "1";
        reg.cpu_slots = 1;
        ASSERT_TRUE(store_->upsert_worker(worker_, reg, kNowMs));
        const scheduler::TaskKey key{d.deal_id, 0};
        auto t = store_->task(key);
        ASSERT_TRUE(t && *t);
        ASSERT_TRUE(store_->transition_task(**t, scheduler::TaskEvent::kInitializeMined, {}, kNowMs + 1000));
        ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
            WP_TRY(bool reserved, store_->create_replicate(tx, key, worker_, U256(0), kNowMs + 2000));
            if (!reserved) return make_error(Errc::kInvalidArgument, "not reserved");
            return {};
        }));

        core_.emplace(net::HttpServerOptions{});
        scheduler::install_pool_api(*core_, *store_);
        ASSERT_TRUE(core_->start());
        // The compass: knows our workerpool (its apiUrl carries a path the SDK ignores), 404 for the others.
        compass_.emplace(net::HttpServerOptions{});
        const std::string api = core_->base_url() + "/ignored/path";
        const std::string known = "/31337/workerpools/" + workerpool_.to_checksum();
        compass_->handle("GET", "/:chain/workerpools/:address",
                         [api, known](const net::ServerRequest& r) -> net::Reply {
                             if (r.path != known)
                                 return tl::unexpected(net::HttpError{404, "workerpool not found", {}});
                             return net::HttpResponse::json(200, json::serialize(json::object{{"apiUrl", api}}));
                         });
        ASSERT_TRUE(compass_->start());
    }
    void TearDown() override {
        if (compass_) compass_->stop();
        if (core_) core_->stop();
        compass_.reset();
        core_.reset();
        store_.reset();
        db_.reset();
        fs::remove_all(dir_);
    }

    fs::path dir_;
    std::optional<store::Database> db_;
    std::optional<scheduler::SchedulerStore> store_;
    std::optional<net::HttpServer> core_, compass_;
    Address workerpool_ = *Address::parse("0x" + std::string(40, '5'));
    Address worker_ = *Address::parse("0x" + std::string(40, '9'));
    Bytes32 task_;
};

TEST_F(TaskDebugTest, ReadsTheCoreThroughTheCompassAsTheSdk) {
    auto api = workerpool_api_url(compass_->base_url() + "/some/prefix", 31337, workerpool_, 5s);
    ASSERT_TRUE(api) << api.error().message;
    EXPECT_EQ(*api, core_->base_url() + "/ignored/path");
    auto off = fetch_task_offchain(*api, task_, 5s);
    ASSERT_TRUE(off) << off.error().message;
    const json::object& task = off->at("task").as_object();
    EXPECT_EQ(task.at("status").as_string(), "INITIALIZED");
    EXPECT_EQ(task.at("statusHistory").as_array().back().at("date").as_string(), "2026-01-01T00:00:01.000Z");
    const json::array& reps = off->at("replicates").as_array();
    ASSERT_EQ(reps.size(), 1U);
    EXPECT_EQ(reps[0].at("worker").as_string(), worker_.to_checksum());
    EXPECT_EQ(reps[0].at("status").as_string(), "CREATED");
    EXPECT_FALSE(reps[0].as_object().contains("exitCode"));  // none reported yet: omitted, as the SDK's undefined
    EXPECT_EQ(reps[0].at("statusHistory").as_array().at(0).at("status").as_string(), "CREATED");
}

TEST_F(TaskDebugTest, EveryFailureHasTheSdkMessage) {
    const std::string impossible = "Impossible to resolve API url for workerpool " + workerpool_.to_checksum();
    auto no_compass = workerpool_api_url(std::nullopt, 31337, workerpool_, 5s);
    ASSERT_FALSE(no_compass);
    EXPECT_EQ(no_compass.error().message, impossible);
    // The compass does not know the workerpool (404): no apiUrl.
    auto unknown = workerpool_api_url(compass_->base_url(), 1, workerpool_, 5s);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "Impossible to resolve API url for workerpool " + workerpool_.to_checksum());
    // Unreachable compass and core: fail (no hang) with the SDK's texts.
    auto closed = workerpool_api_url(std::string("http://127.0.0.1:1"), 31337, workerpool_, 2s);
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error().message,
              "Compass API error: Connection to http://127.0.0.1:1 failed with a network error");
    auto down = fetch_task_offchain("http://127.0.0.1:1/api", task_, 2s);
    ASSERT_FALSE(down);
    EXPECT_EQ(down.error().message,
              "Workerpool API error: Connection to http://127.0.0.1:1/api failed with a network error");
    // The core does not know the task.
    auto missing = fetch_task_offchain(core_->base_url(), Bytes32{}, 5s);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().message.starts_with("API error: ")) << missing.error().message;
    // A server that is not a workerpool API (the compass: no /tasks route): an error, never a bogus document.
    auto text = fetch_task_offchain(compass_->base_url(), task_, 5s);
    ASSERT_FALSE(text);
    EXPECT_TRUE(text.error().message == "The http response is not of JSON type" ||
                text.error().message.starts_with("API error: "))
        << text.error().message;
}

}  // namespace
}  // namespace wp::cli
