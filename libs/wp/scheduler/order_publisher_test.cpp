// OrderPublisher (order_publisher.hpp) against OUR market running in-process on 127.0.0.1 (market_test_support.hpp:
// MarketApi on a scratch SQLite database whose chain-mirror tables are written directly) and the core's
// own scratch SQLite database (scheduler schema: workers and deals written through SchedulerStore). Proves: workers
// joining publish the capacity's volume (signed by the owner: the market recovers the signer); a lost worker and a
// backlog (a fill's tasks) shrink it by unpublish + publish; tick() runs a round only when something changed; a
// restart publishes nothing twice; an intent stored while the market was unreachable (the crash window between the
// commit and the POST) is published later with the SAME hash; an unknown open order of the owner is adopted and
// replaced; a refusal closes the row with the market's message; the dashboard view; MarketOrdersCache (the
// dashboard's open orders without the policy).
#include "order_publisher.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include <wp/core/clock.hpp>
#include <wp/core/hex.hpp>
#include <wp/market/market_test_support.hpp>
#include <wp/marketclient/market_client.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/store/pg_test_support.hpp>

#include "orders_api.hpp"
#include "scheduler_store.hpp"
#include "schema.hpp"

namespace wp::scheduler {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::uint64_t kChain = 65535;
const Address kHub = Address::parse("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f").value();
const Address kPool = Address::parse("0x2222222222222222222222222222222222222222").value();

class OrderPublisherTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto started = market::testing::InProcessMarket::start({.tag = "policy_market", .hub = kHub}, clock_);
        ASSERT_TRUE(started) << started.error().message;
        market_ = std::move(*started);
        auto client = marketclient::MarketClient::create({.url = market_->base_url(), .chain_id = kChain});
        ASSERT_TRUE(client) << client.error().message;
        client_.emplace(std::move(*client));
        ASSERT_TRUE(market_->set_owner(market::Registry::kWorkerpool, kPool, owner_.address()));
        ASSERT_TRUE(market_->set_stake(owner_.address(), U256(1'000'000)));
        ASSERT_TRUE(market_->add_category(0, U256(300)));

        auto core = store::testing::open_scratch(store::Backend::kSqlite, "policy_core", {.pool_size = 2});
        ASSERT_TRUE(core) << core.error().message;
        core_scratch_.emplace(std::move(core->scratch));
        core_db_ = std::move(core->db);
        ASSERT_TRUE(migrate_scheduler(*core_db_));
        store_ = std::make_unique<SchedulerStore>(*core_db_);
    }
    void TearDown() override {
        client_.reset();
        market_.reset();
        store_.reset();
        core_db_.reset();
    }

    static Domain domain() { return Domain::iexec(U256(kChain), kHub); }

    OrderPublisherOptions options(std::string url = {}) {
        OrderPublisherOptions o;
        o.market_url = url.empty() ? market_->base_url() : url;
        o.chain_id = kChain;
        o.hub = kHub;
        o.workerpool = kPool;
        o.offers = parse_offers("category=0,tag=0x0,price=0,trust=1").value();
        o.market_timeout = 2s;
        return o;
    }
    std::unique_ptr<OrderPublisher> open(OrderPublisherOptions o) {
        auto p = OrderPublisher::open(
            *core_db_, *store_, clock_, owner_, [](std::uint64_t c) -> Result<std::uint64_t> { return 300 * (c + 1); },
            std::move(o));
        EXPECT_TRUE(p) << p.error().message;
        return p ? std::move(*p) : nullptr;
    }

    void join(std::uint8_t id, std::uint32_t slots) {
        workerapi::WorkerRegistration reg;
        reg.name = "w" + std::to_string(id);
        reg.version = "1";
        reg.cpu_slots = slots;
        FixedBytes<20> b;
        b.bytes[0] = 0x10;
        b.bytes[19] = id;
        auto w = store_->upsert_worker(Address(b), reg, clock_.unix_ms());
        ASSERT_TRUE(w) << w.error().message;
    }
    Address worker_address(std::uint8_t id) {
        FixedBytes<20> b;
        b.bytes[0] = 0x10;
        b.bytes[19] = id;
        return Address(b);
    }

    //! A deal of our pool with `tasks` tasks RECEIVED (a fill's backlog).
    void fill(std::uint8_t id, std::uint64_t tasks) {
        DealRecord d;
        d.deal_id.bytes[0] = id;
        d.workerpool = kPool;
        d.category = 0;
        d.category_seconds = 300;
        d.trust = 1;
        d.bot_size = tasks;
        d.start_time = clock_.unix_ms() / 1000;
        d.contribution_deadline = d.start_time + 7 * 300;
        d.final_deadline = d.start_time + 10 * 300;
        auto r = store_->insert_deal(d, clock_.unix_ms());
        ASSERT_TRUE(r) << r.error().message;
    }

    //! The workerpool's open orders on the market: hash → remaining.
    std::map<Bytes32, std::uint64_t> open_on_market() {
        marketclient::WorkerpoolOrderbookQuery q;
        q.workerpool = marketclient::AddressOrAny{false, kPool};
        q.page.size = 1000;
        auto page = client_->workerpool_orders(q);
        EXPECT_TRUE(page) << page.error().message;
        std::map<Bytes32, std::uint64_t> out;
        if (page)
            for (const auto& o : page->orders) out[o.order_hash] = o.remaining.low_u64();
        return out;
    }
    std::uint64_t open_volume() {
        std::uint64_t v = 0;
        for (const auto& [h, r] : open_on_market()) v += r;
        return v;
    }

    static std::string view_error(const OrderPublisher& p) {
        const json::object v = p.view();
        return v.at("error").is_string() ? std::string(v.at("error").as_string()) : std::string();
    }
    //! The hash of the single row of the policy's table.
    Bytes32 stored_hash() {
        auto h = core_db_->read([](store::Tx& tx) -> Result<Bytes32> {
            WP_TRY(auto row, tx.query_row("SELECT order_hash FROM core_policy_orders"));
            return row.get<Bytes32>("order_hash");
        });
        EXPECT_TRUE(h) << h.error().message;
        return h ? *h : Bytes32{};
    }

    ManualClock clock_;
    std::unique_ptr<market::testing::InProcessMarket> market_;
    std::optional<store::testing::ScratchDatabase> core_scratch_;
    std::unique_ptr<store::Database> core_db_;
    std::optional<marketclient::MarketClient> client_;
    std::unique_ptr<SchedulerStore> store_;
    const PrivateKey owner_ = PrivateKey::generate();
};

TEST_F(OrderPublisherTest, FollowsWorkersAndBacklogOnTheMarket) {
    auto policy = open(options());
    ASSERT_TRUE(policy);
    // No worker: nothing published.
    auto r = policy->round();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->plans.at(0).volume, 0U);
    EXPECT_TRUE(open_on_market().empty());

    // A worker with 2 slots joins: 2 × (7 − 1) = 12 tasks of category 0 (T = 300 s).
    join(1, 2);
    auto ran = policy->tick();
    ASSERT_TRUE(ran) << ran.error().message;
    EXPECT_TRUE(*ran);
    auto listed = open_on_market();
    ASSERT_EQ(listed.size(), 1U);
    const Bytes32 first = listed.begin()->first;
    EXPECT_EQ(listed.begin()->second, 12U);
    // The stored order is the published one, signed by the owner (the market recovered it).
    auto shown = client_->order(OrderKind::kWorkerpool, first);
    ASSERT_TRUE(shown) << shown.error().message;
    EXPECT_EQ(shown->signer, owner_.address());
    const auto& w = std::get<WorkerpoolOrder>(shown->order);
    EXPECT_EQ(w.volume, U256(12));
    EXPECT_EQ(w.trust, U256(1));
    EXPECT_EQ(w.category, U256(0));
    // Nothing changed: no round.
    ran = policy->tick();
    ASSERT_TRUE(ran);
    EXPECT_FALSE(*ran);

    // A second worker (1 slot): 18, consolidated in one order.
    clock_.advance(10s);
    join(2, 1);
    ASSERT_TRUE(policy->tick().value());
    listed = open_on_market();
    ASSERT_EQ(listed.size(), 1U);
    EXPECT_EQ(listed.begin()->second, 18U);
    EXPECT_FALSE(listed.contains(first));

    // The second worker is lost (silent > 60 s while the first heartbeats): back to 12.
    clock_.advance(50s);
    ASSERT_TRUE(store_->touch_worker(worker_address(1), clock_.unix_ms()));
    clock_.advance(20s);
    auto lost = store_->mark_lost_workers(clock_.unix_ms(), 60'000);
    ASSERT_TRUE(lost);
    ASSERT_EQ(lost->size(), 1U);
    ASSERT_TRUE(policy->tick().value());
    EXPECT_EQ(open_volume(), 12U);
    EXPECT_EQ(open_on_market().size(), 1U);

    // A fill: a deal of 3 tasks taken in → 9 left to offer.
    fill(1, 3);
    ASSERT_TRUE(policy->tick().value());
    EXPECT_EQ(open_volume(), 9U);
    EXPECT_EQ(open_on_market().size(), 1U);

    // The dashboard view: the open order and the plan's terms.
    const json::object view = policy->view();
    EXPECT_EQ(view.at("market").as_string(), market_->base_url());
    ASSERT_EQ(view.at("orders").as_array().size(), 1U);
    const auto& o = view.at("orders").as_array()[0].as_object();
    EXPECT_EQ(o.at("remaining").to_number<std::uint64_t>(), 9U);
    EXPECT_EQ(o.at("price").as_string(), "0");
    EXPECT_EQ(o.at("category").to_number<std::uint64_t>(), 0U);
    EXPECT_EQ(o.at("state").as_string(), "open");
    const auto& plan = view.at("offers").as_array()[0].as_object();
    EXPECT_EQ(plan.at("slots").to_number<std::uint64_t>(), 2U);
    EXPECT_EQ(plan.at("backlog").as_string(), "900");
    EXPECT_EQ(plan.at("volume").to_number<std::uint64_t>(), 9U);

    // Restart: a new publisher on the same database publishes nothing more.
    auto rows_before = policy->rows().value();
    policy.reset();
    auto again = open(options());
    ASSERT_TRUE(again);
    auto report = again->round();
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->published, 0U);
    EXPECT_EQ(report->adopted, 0U);
    EXPECT_EQ(again->rows().value().size(), rows_before.size());
    EXPECT_EQ(open_volume(), 9U);
    EXPECT_EQ(open_on_market().size(), 1U);
}

TEST_F(OrderPublisherTest, AnIntentStoredBeforeACrashIsPublishedOnceWithItsHash) {
    join(1, 1);
    // A "crash" right after the intent's commit: the signed order is stored, not published.
    {
        auto o = options();
        o.stop_after_store = [] { return true; };
        auto crashed = open(std::move(o));
        ASSERT_TRUE(crashed);
        auto r = crashed->round();
        ASSERT_TRUE(r) << r.error().message;
        auto rows = crashed->rows().value();
        ASSERT_EQ(rows.size(), 1U);
        EXPECT_EQ(rows[0].row.state, PolicyOrderState::kPublishing);
        EXPECT_EQ(rows[0].row.volume, 6U);
        EXPECT_TRUE(open_on_market().empty());
    }
    // The market unreachable (nothing listens on port 1): the round fails softly, the row stays pending.
    {
        auto down = open(options("http://127.0.0.1:1"));
        ASSERT_TRUE(down);
        auto r = down->round();
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_TRUE(r->market_failed);
        EXPECT_EQ(view_error(*down), "market unreachable");
        EXPECT_EQ(down->rows().value().at(0).row.state, PolicyOrderState::kPublishing);
    }
    const Bytes32 stored = stored_hash();
    // Restart with the market back: the SAME order is published, and only it.
    auto up = open(options());
    ASSERT_TRUE(up);
    auto r = up->round();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->market_failed);
    auto listed = open_on_market();
    ASSERT_EQ(listed.size(), 1U);
    EXPECT_EQ(listed.begin()->first, stored);
    EXPECT_EQ(listed.begin()->second, 6U);
    auto rows = up->rows().value();
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0].row.state, PolicyOrderState::kOpen);
    // Published again by a second restart's resume (as if the crash came after the POST): "already published" is
    // done, nothing new.
    ASSERT_TRUE(core_db_->write([&](store::Tx& tx) {
        return tx.exec("UPDATE core_policy_orders SET state = 0 WHERE order_hash = $1", stored);
    }));
    auto third = open(options());
    ASSERT_TRUE(third->round());
    EXPECT_EQ(open_on_market().size(), 1U);
    EXPECT_EQ(third->rows().value().at(0).row.state, PolicyOrderState::kOpen);
}

TEST_F(OrderPublisherTest, AdoptsTheOwnersUnknownOrdersAndKeepsWithinCapacity) {
    // A one-off order of the offer published by someone else with the owner's key (e.g. `iexec-pool up`): volume 50.
    WorkerpoolOrder w;
    w.workerpool = kPool;
    w.volume = U256(50);
    w.trust = U256(1);
    w.salt.bytes[31] = 7;
    Order o(w);
    set_order_sign(o, sign_order(domain(), o, owner_));
    auto published = client_->publish(o, owner_);
    ASSERT_TRUE(published) << published.error().message;
    join(1, 1);
    auto policy = open(options());
    auto r = policy->round();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->adopted, 1U);
    EXPECT_EQ(r->unpublished, 1U);
    EXPECT_EQ(r->published, 1U);
    auto listed = open_on_market();
    ASSERT_EQ(listed.size(), 1U);
    EXPECT_NE(listed.begin()->first, published->order_hash);
    EXPECT_EQ(listed.begin()->second, 6U);
}

TEST_F(OrderPublisherTest, ARefusalClosesTheRowWithTheMarketsMessage) {
    auto o = options();
    o.offers = parse_offers("category=3,tag=0x0,price=0,trust=1").value();  // no category 3 on this market
    join(1, 1);
    auto policy = open(std::move(o));
    auto r = policy->round();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->closed, 1U);
    auto rows = policy->rows().value();
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0].row.state, PolicyOrderState::kClosed);
    EXPECT_EQ(rows[0].note.rfind("publish refused: API error: ", 0), 0U) << rows[0].note;
    EXPECT_TRUE(open_on_market().empty());
}

TEST_F(OrderPublisherTest, MarketOrdersCacheReadsTheOpenOrdersWithoutThePolicy) {
    auto cache = MarketOrdersCache::create(market_->base_url(), kChain, kPool);
    ASSERT_TRUE(cache) << cache.error().message;
    EXPECT_FALSE((*cache)->get());  // nothing read yet: "openOrdersKnown": false
    ASSERT_TRUE((*cache)->refresh());
    ASSERT_TRUE((*cache)->get());
    EXPECT_TRUE((*cache)->get()->empty());
    WorkerpoolOrder w;
    w.workerpool = kPool;
    w.workerpoolprice = U256(7);
    w.volume = U256(5);
    w.salt.bytes[31] = 9;
    Order o(w);
    set_order_sign(o, sign_order(domain(), o, owner_));
    auto published = client_->publish(o, owner_);
    ASSERT_TRUE(published) << published.error().message;
    ASSERT_TRUE((*cache)->refresh());
    auto orders = (*cache)->get();
    ASSERT_TRUE(orders);
    ASSERT_EQ(orders->size(), 1U);
    const auto& first = (*orders)[0].as_object();
    EXPECT_EQ(first.at("orderHash").as_string(), to_hex(published->order_hash.view()));
    EXPECT_EQ(first.at("remaining").to_number<std::uint64_t>(), 5U);
    EXPECT_EQ(first.at("price").as_string(), "7");
    EXPECT_EQ(first.at("state").as_string(), "open");
    // A market gone: the error is returned, the last list kept.
    auto down = MarketOrdersCache::create("http://127.0.0.1:1", kChain, kPool);
    ASSERT_TRUE(down);
    auto failed = (*down)->refresh();
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Errc::kNetwork);
    EXPECT_FALSE((*down)->get());
    auto bad = MarketOrdersCache::create("not a url", kChain, kPool);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.rfind("core.market.url: ", 0), 0U) << bad.error().message;
}

TEST_F(OrderPublisherTest, OpenChecksItsOptions) {
    auto o = options();
    o.market_url.clear();
    auto p = OrderPublisher::open(*core_db_, *store_, clock_, owner_, {}, o);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message, "core.market.url: required when core.orders.enabled is true");
    o = options();
    o.offers.clear();
    p = OrderPublisher::open(*core_db_, *store_, clock_, owner_, {}, o);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().message, "core.orders.offers: at least one offer when core.orders.enabled is true");
}

}  // namespace
}  // namespace wp::scheduler
