// LivePump on SQLite and PostgreSQL, with a real HttpServer WebSocket endpoint on 127.0.0.1: committed outbox rows
// reach the subscribers of "<chainId>:<topic>" once, in seq order; a rolled-back row is never sent; a late-committing
// lower seq is still sent once; a permanent gap is skipped after gap_timeout (ManualClock); compact keeps the newest.
#include "live.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <wp/net/http_server.hpp>
#include <wp/net/websocket.hpp>
#include <wp/store/backend_test.hpp>

#include "schema.hpp"

namespace wp::market {
namespace {

using namespace std::chrono_literals;

class LivePumpTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("market_live");
        if (HasFatalFailure()) return;
        ASSERT_TRUE(migrate_market_schema(*db_));
        server_ = std::make_unique<net::HttpServer>();
        hub_ = server_->websocket("/ws", {});
        ASSERT_TRUE(server_->start());
        auto c = net::WebSocketClient::connect("ws://127.0.0.1:" + std::to_string(server_->port()) + "/ws");
        ASSERT_TRUE(c) << c.error().message;
        client_ = std::move(*c);
        ASSERT_TRUE(client_->subscribe("65535:orders"));
    }
    void TearDown() override {
        client_.reset();
        server_.reset();
        db_.reset();
    }

    void insert_event(std::optional<std::int64_t> seq, std::string_view event, std::string_view payload,
                      std::int64_t created_ms = 0, std::string_view topic = "orders", std::uint64_t chain = 65535) {
        auto r = db_->write([&](store::Tx& tx) -> Result<std::int64_t> {
            if (seq)
                return tx.exec(
                    "INSERT INTO market_events (seq, chain_id, topic, event, payload, created_ms) VALUES "
                    "($1, $2, $3, $4, $5, $6)",
                    *seq, chain, topic, event, payload, created_ms);
            return tx.exec(
                "INSERT INTO market_events (chain_id, topic, event, payload, created_ms) VALUES "
                "($1, $2, $3, $4, $5)",
                chain, topic, event, payload, created_ms);
        });
        ASSERT_TRUE(r) << r.error().message;
    }

    std::string next() {
        auto m = client_->receive(5s);
        EXPECT_TRUE(m) << m.error().message;
        return m ? *m : std::string();
    }
    void expect_silence() {
        auto m = client_->receive(50ms);
        EXPECT_FALSE(m) << "unexpected message: " << *m;
    }

    std::unique_ptr<net::HttpServer> server_;
    std::shared_ptr<net::WebSocketHub> hub_;
    std::unique_ptr<net::WebSocketClient> client_;
    ManualClock clock_;
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(LivePumpTest);

TEST(LiveTopic, ChainAndTopic) { EXPECT_EQ(live_topic(65535, "orders"), "65535:orders"); }

TEST_P(LivePumpTest, PublishesCommittedRowsOnceInOrderAndNotOlderOnes) {
    insert_event(std::nullopt, "workerpoolorder_published", R"({"old":true})");  // before start(): not sent
    LivePump pump(*db_, hub_, clock_);
    ASSERT_TRUE(pump.start());
    insert_event(std::nullopt, "workerpoolorder_published", R"({"orderHash":"0x1"})");
    insert_event(std::nullopt, "workerpoolorder_unpublished", R"("0x1")");
    insert_event(std::nullopt, "deal_created", R"({"dealid":"0x2"})", 0, "deals");
    insert_event(std::nullopt, "apporder_published", R"({"x":1})", 0, "orders", 1);  // another chain
    // A rolled-back row is never visible.
    auto rolled = db_->write([&](store::Tx& tx) -> Result<int> {
        WP_TRY_VOID(
            tx.exec("INSERT INTO market_events (chain_id, topic, event, payload, created_ms) VALUES "
                    "(65535, 'orders', 'rolled_back', '{}', 0)"));
        return make_error(Errc::kInvalidArgument, "roll back");
    });
    ASSERT_FALSE(rolled);
    auto n = pump.pump_once();
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 4u);
    EXPECT_EQ(next(), R"({"topic":"65535:orders","event":"workerpoolorder_published","data":{"orderHash":"0x1"}})");
    EXPECT_EQ(next(), R"({"topic":"65535:orders","event":"workerpoolorder_unpublished","data":"0x1"})");
    expect_silence();                         // deals and chain 1 are other topics
    EXPECT_EQ(pump.pump_once().value(), 0u);  // exactly once
    expect_silence();
    EXPECT_EQ(pump.stats().published, 4u);
    EXPECT_EQ(pump.stats().delivered, 2u);
}

TEST_P(LivePumpTest, LateLowerSeqIsSentOnceAndAPermanentGapIsSkippedAfterTheTimeout) {
    LivePump pump(*db_, hub_, clock_, {.gap_timeout = 2s});
    ASSERT_TRUE(pump.start());
    insert_event(1, "e1", "1");
    insert_event(3, "e3", "3");  // seq 2 "still running"
    EXPECT_EQ(pump.pump_once().value(), 2u);
    EXPECT_EQ(next(), R"({"topic":"65535:orders","event":"e1","data":1})");
    EXPECT_EQ(next(), R"({"topic":"65535:orders","event":"e3","data":3})");
    EXPECT_EQ(pump.stats().watermark, 1);
    insert_event(2, "e2", "2");  // commits late
    EXPECT_EQ(pump.pump_once().value(), 1u);
    EXPECT_EQ(next(), R"({"topic":"65535:orders","event":"e2","data":2})");
    EXPECT_EQ(pump.stats().watermark, 3);

    insert_event(6, "e6", "6");  // 4 and 5 never come
    EXPECT_EQ(pump.pump_once().value(), 1u);
    EXPECT_EQ(next(), R"({"topic":"65535:orders","event":"e6","data":6})");
    EXPECT_EQ(pump.stats().watermark, 3);
    clock_.advance(1s);
    EXPECT_EQ(pump.pump_once().value(), 0u);
    EXPECT_EQ(pump.stats().watermark, 3);
    clock_.advance(1s);
    EXPECT_EQ(pump.pump_once().value(), 0u);
    EXPECT_EQ(pump.stats().watermark, 6);
    EXPECT_EQ(pump.stats().gaps_skipped, 2u);
    expect_silence();
}

TEST_P(LivePumpTest, ManyRowsInSeveralBatchesAndCompactKeepsTheNewest) {
    LivePump pump(*db_, hub_, clock_, {.batch = 7, .retention = 1min});
    ASSERT_TRUE(pump.start());
    const std::int64_t old_ms = clock_.unix_ms() - 120'000;
    for (int i = 0; i < 20; ++i) insert_event(std::nullopt, "e", std::to_string(i), old_ms);
    EXPECT_EQ(pump.pump_once().value(), 20u);
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(next(), R"({"topic":"65535:orders","event":"e","data":)" + std::to_string(i) + "}");
    auto deleted = pump.compact();
    ASSERT_TRUE(deleted) << deleted.error().message;
    EXPECT_EQ(*deleted, 19u);  // the newest row stays (SQLite would reuse its seq)
    insert_event(std::nullopt, "after", "21");
    EXPECT_EQ(pump.pump_once().value(), 1u);
    EXPECT_EQ(next(), R"({"topic":"65535:orders","event":"after","data":21})");
}

}  // namespace
}  // namespace wp::market
