// The order publishing policy end to end on the real PoCo 6.1.0 (anvil): OUR market (market::MarketService, its chain
// mirror on the devnet) and the real core (scheduler::CoreService with core.orders enabled) in-process, workers
// registered through the core's HTTP API (signed EIP-712 login). Proves, reading the market as a requester would:
// workers join → one workerpool order with the capacity's volume appears (2 + 1 slots × (7 − 1) = 18 for category 0);
// a worker is lost → the open volume shrinks to 12; a requester fills 3 of it on chain (matchOrders with the order
// read from the market) → the deal is taken in and the open volume is the remaining 9; a restart of the core on the
// same database publishes nothing (same rows, same open orders); the dashboard's orders document shows the open
// order and the fill.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/hex.hpp>
#include <wp/market/market_service.hpp>
#include <wp/marketclient/market_client.hpp>
#include <wp/net/http_client.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/scheduler/core_service.hpp>
#include <wp/scheduler/order_publisher.hpp>
#include <wp/scheduler/scheduler_store.hpp>
#include <wp/workerapi/messages.hpp>

#include "core_service_fixture.hpp"

namespace wp {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class OrdersPolicyAnvil : public test::CoreServiceFixture {
  protected:
    OrdersPolicyAnvil() : CoreServiceFixture("wp_orders_policy") {}
    void SetUp() override {
        CoreServiceFixture::SetUp();
        if (HasFatalFailure()) return;
        market::MarketConfig m;
        m.port = 0;
        m.db = "sqlite:" + (dir_ / "market.db").string();
        m.chains.push_back(market::ChainEndpoint{info().rpc, info().hub});
        m.start_block = head_;
        m.poll_interval = 100ms;
        m.rate_limit_max = 0;
        auto opened = market::MarketService::open(m);
        ASSERT_TRUE(opened) << opened.error().message;
        market_ = std::move(*opened);
        for (auto* c : market_->components()) {
            auto started = c->start();
            ASSERT_TRUE(started) << c->name() << ": " << started.error().message;
            market_started_.push_back(c);
        }
        ASSERT_TRUE(eventually([&] { return market_->synced(); })) << "the market did not sync";
        auto client = marketclient::MarketClient::create({.url = market_->url(), .chain_id = info().chain_id});
        ASSERT_TRUE(client) << client.error().message;
        client_.emplace(std::move(*client));
        config_.market_url = market_->url();
        config_.orders_enabled = true;
        config_.offers = scheduler::parse_offers("category=0,tag=0x0,price=0,trust=1").value();
    }
    void TearDown() override {
        stop_core();  // before the market it publishes to
        for (auto it = market_started_.rbegin(); it != market_started_.rend(); ++it)
            (*it)->stop(service::StopMode::kGraceful);
        market_started_.clear();
        market_.reset();
        CoreServiceFixture::TearDown();
    }
    void register_worker(const PrivateKey& wallet, std::uint32_t slots) {
        CoreServiceFixture::register_worker(wallet, slots, "policy-worker");
    }

    //! The workerpool's open orders on the market (what a requester sees): hash → remaining.
    std::map<Bytes32, std::uint64_t> open_orders() {
        marketclient::WorkerpoolOrderbookQuery q;
        q.workerpool = marketclient::AddressOrAny{false, assets_.workerpool};
        q.page.size = 1000;
        auto page = client_->workerpool_orders(q);
        std::map<Bytes32, std::uint64_t> out;
        if (page)
            for (const auto& o : page->orders) out[o.order_hash] = o.remaining.low_u64();
        return out;
    }
    //! Waits until the market shows exactly one open order of the pool with `remaining`.
    bool market_shows(std::uint64_t remaining) {
        return eventually([&] {
            auto o = open_orders();
            return o.size() == 1 && o.begin()->second == remaining;
        });
    }
    std::string market_state() {
        std::string s;
        for (const auto& [h, r] : open_orders()) s += to_hex(h.view()).substr(0, 10) + "=" + std::to_string(r) + " ";
        return s;
    }

    std::unique_ptr<market::MarketService> market_;
    std::vector<service::Component*> market_started_;
    std::optional<marketclient::MarketClient> client_;
};

TEST_F(OrdersPolicyAnvil, OpenVolumeFollowsWorkersFillsAndSurvivesARestart) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_NE(core_->orders(), nullptr);
    // No worker yet: nothing on the market.
    ASSERT_TRUE(eventually([&] { return core_->orders()->view().at("refreshedMs").to_number<std::int64_t>() > 0; }));
    EXPECT_TRUE(open_orders().empty());

    // Workers join: 2 + 1 slots, category 0 (XS, 300 s), safety 1 → 3 × 6 = 18.
    register_worker(key(test::kWorker), 2);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_TRUE(market_shows(12)) << market_state();
    const PrivateKey second = PrivateKey::generate();
    register_worker(second, 1);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_TRUE(market_shows(18)) << market_state();

    // The second worker is lost (silent > 60 s while the first registers again): back to 2 × 6 = 12.
    clock_.advance(40s);
    register_worker(key(test::kWorker), 2);
    ASSERT_FALSE(HasFatalFailure());
    clock_.advance(25s);
    ASSERT_TRUE(market_shows(12)) << market_state();

    // A requester fills 3 with the order read from the market.
    const auto listed = open_orders();
    ASSERT_EQ(listed.size(), 1U);
    const Bytes32 pool_hash = listed.begin()->first;
    auto published = client_->order(OrderKind::kWorkerpool, pool_hash);
    ASSERT_TRUE(published) << published.error().message;
    const auto pool_order = std::get<WorkerpoolOrder>(published->order);
    EXPECT_EQ(pool_order.volume, U256(12));
    EXPECT_EQ(published->signer, address(test::kScheduler));
    test::Orders o = make_orders(assets_, U256(3), false, 7300, 1);
    auto matched = send(hub().match_orders(o.app, o.dataset, pool_order, o.request), key(test::kRequester));
    ASSERT_TRUE(matched) << matched.error().message;
    const Bytes32 deal = deal_id(order_hash(domain(), Order(o.request)), U256(0));
    ASSERT_TRUE(eventually([&] {
        auto t = core_->store().task(scheduler::TaskKey{deal, 2});
        return t && *t;
    })) << "the deal was not taken in";
    // The remaining volume: 12 − 3 = 9 open (the filled order itself or its replacement).
    ASSERT_TRUE(market_shows(9)) << market_state();

    // The dashboard's orders document: the open order (the policy's view) and the fill (OrdersMatched on chain).
    json::value v;
    ASSERT_TRUE(eventually([&] {
        auto doc = http_.get(core_->url() + "/api/v1/dashboard/orders");
        if (!doc || doc->status != 200) return false;
        v = json::parse(doc->body);
        const auto& orders = v.at("orders").as_array();
        return orders.size() == 1 && orders[0].at("remaining").to_number<std::uint64_t>() == 9 &&
               !v.at("fills").as_array().empty();
    })) << json::serialize(v);
    EXPECT_EQ(v.at("market").as_string(), market_->url());
    EXPECT_TRUE(v.at("openOrdersKnown").as_bool());
    EXPECT_EQ(v.at("orders").as_array()[0].at("category").to_number<std::uint64_t>(), 0U);
    EXPECT_EQ(v.at("orders").as_array()[0].at("price").as_string(), "0");
    EXPECT_EQ(v.at("fills").as_array()[0].at("dealId").as_string(), to_hex(deal.view()));
    EXPECT_EQ(v.at("fills").as_array()[0].at("volume").to_number<std::uint64_t>(), 3U);

    // Restart on the same database: the same rows, the same open order; nothing published twice.
    const auto rows_before = core_->orders()->rows().value();
    const auto open_before = open_orders();
    stop_core();
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    const std::int64_t restarted_ms = clock_.unix_ms();
    ASSERT_TRUE(eventually([&] {
        return core_->orders()->view().at("refreshedMs").to_number<std::int64_t>() >= restarted_ms &&
               core_->orders()->view().at("error").is_null();
    }));
    // A refresh round later (the clock moved past core.orders.refresh), still nothing new.
    clock_.advance(31s);
    const std::int64_t later_ms = clock_.unix_ms();
    ASSERT_TRUE(
        eventually([&] { return core_->orders()->view().at("refreshedMs").to_number<std::int64_t>() >= later_ms; }));
    EXPECT_EQ(core_->orders()->rows().value().size(), rows_before.size());
    EXPECT_EQ(open_orders(), open_before);
}

}  // namespace
}  // namespace wp
