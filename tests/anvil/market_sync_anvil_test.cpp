// The market's chain sync against the real PoCo 6.1.0 on anvil (one shared deployment, poco_fixture.hpp): every
// status transition driven by real chain events — match → remaining / filled + the deal, on-chain cancel → canceled
// (and the dependent request orders), stake withdrawal → dead and deposit → open again, workerpool transfer → dead
// (and back), CreateCategory — the stakes kept EXACTLY equal to viewAccount(...).stake, a restart that catches up
// from the stored cursor, a reorg (evm_snapshot / evm_revert) rolled back and the new branch applied, and an
// incomplete mirror (started after the deployment) whose cold entries are fetched once. Each case on SQLite and
// PostgreSQL (store::testing::ScratchDatabase). The orders are put in the book with order_book.hpp insert_order
// (the API's publish checks are not under test here).
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/chain/mirror.hpp>
#include <wp/market/chain_state.hpp>
#include <wp/market/documents.hpp>
#include <wp/market/order_book.hpp>
#include <wp/market/schema.hpp>
#include <wp/market/sync.hpp>
#include <wp/store/pg_test_support.hpp>

#include "mirror_sync.hpp"
#include "poco_orders.hpp"

namespace wp {
namespace {

namespace json = boost::json;
using market::OrderStatus;

class MarketSyncAnvil : public test::PocoOrdersFixture, public ::testing::WithParamInterface<store::Backend> {
  protected:
    void SetUp() override {
        PocoOrdersFixture::SetUp();
        if (HasFatalFailure()) return;
        auto opened = store::testing::open_scratch(GetParam(), "market_sync");
        ASSERT_TRUE(opened) << opened.error().message;
        scratch_.emplace(std::move(opened->scratch));
        db_ = std::move(opened->db);
        ASSERT_TRUE(market::migrate_market_schema(*db_));
        options_.chain_id = info().chain_id;
        options_.addresses = hub().addresses();
        options_.start_block = 0;
        options_.complete = true;
    }
    void TearDown() override {
        mirror_.reset();
        handler_.reset();
        db_.reset();
        scratch_.reset();
        PocoOrdersFixture::TearDown();
    }

    // ---- the mirror ----

    void open_mirror() {
        mirror_.reset();
        ASSERT_TRUE(market::init_market_sync(*db_, options_));
        handler_ = std::make_unique<market::MarketSyncHandler>(hub(), options_);
        chain::FeedOptions feed;
        feed.max_block_range = 500;
        auto mirror = chain::ChainMirror::open(eth(), *db_, *handler_, market::market_mirror_options(options_, feed));
        ASSERT_TRUE(mirror) << mirror.error().message;
        mirror_ = std::move(*mirror);
    }
    void close_mirror() {
        mirror_.reset();
        handler_.reset();
    }
    //! Polls until the mirror reached the head; returns whether a reorg was rolled back.
    bool sync() { return test::sync_mirror(*mirror_); }

    // ---- the book ----

    Bytes32 publish(const Order& order, const Address& signer, std::optional<U256> remaining = std::nullopt) {
        market::OrderRecord rec;
        rec.chain_id = options_.chain_id;
        rec.order_hash = order_hash(domain(), order);
        rec.order = order;
        rec.status = OrderStatus::kOpen;
        rec.remaining = remaining ? *remaining : order_volume(order);
        rec.signer = signer;
        rec.published_ms = 1'700'000'000'000 + static_cast<std::int64_t>(++published_);
        auto stored = db_->write([&](store::Tx& tx) { return market::insert_order(tx, rec); });
        EXPECT_TRUE(stored) << stored.error().message;
        return rec.order_hash;
    }
    market::OrderState state(const Bytes32& hash) {
        auto found = db_->read([&](store::Tx& tx) { return market::find_order(tx, options_.chain_id, hash); });
        EXPECT_TRUE(found) << found.error().message;
        if (!found || !*found) {
            ADD_FAILURE() << "order " << to_hex(hash.view()) << " not in the book";
            return {};
        }
        return {(*found)->status, (*found)->remaining};
    }
    //! The outbox, as "event payload-hash-or-status" strings, after seq `after`.
    std::vector<market::MarketEvent> events_after(std::int64_t after = 0) {
        auto events = db_->read([&](store::Tx& tx) { return market::events_after(tx, after, 10'000); });
        EXPECT_TRUE(events) << events.error().message;
        return events ? *events : std::vector<market::MarketEvent>{};
    }
    std::int64_t last_seq() {
        auto all = events_after(0);
        return all.empty() ? 0 : all.back().seq;
    }
    //! Whether the outbox after `after` has `event` with the order hash `hash` (as payload or document orderHash).
    bool has_event(std::int64_t after, const std::string& event, const Bytes32& hash) {
        const std::string hex = to_hex(hash.view());
        for (const auto& e : events_after(after)) {
            if (e.event != event) continue;
            std::error_code ec;
            auto v = json::parse(e.payload, ec);
            if (ec) continue;
            if (v.is_string() && v.get_string() == hex) return true;
            if (v.is_object()) {
                const auto* h = v.get_object().if_contains("orderHash");
                const auto* d = v.get_object().if_contains("dealid");
                if ((h && h->is_string() && h->get_string() == hex) || (d && d->is_string() && d->get_string() == hex))
                    return true;
            }
        }
        return false;
    }

    // ---- the chain state ----

    std::uint64_t last_block() {
        auto sync = db_->read([&](store::Tx& tx) { return market::load_sync_state(tx, options_.chain_id); });
        EXPECT_TRUE(sync && *sync);
        return sync && *sync ? (*sync)->fact_block() : 0;
    }
    //! Every stored stake equals viewAccount(account).stake at the mirror's block; in a complete mirror also every
    //! dev account (a missing row = 0). Returns the number of rows compared.
    std::size_t expect_stakes_exact() {
        const std::uint64_t block = last_block();
        auto rows = db_->read([&](store::Tx& tx) {
            return tx.query("SELECT account, stake FROM market_accounts WHERE chain_id = $1", options_.chain_id);
        });
        EXPECT_TRUE(rows) << rows.error().message;
        if (!rows) return 0;
        std::vector<Address> accounts;
        std::map<Address, U256> stored;
        for (const auto& row : *rows) {
            auto a = row.get<Address>(0);
            auto s = row.get<U256>(1);
            EXPECT_TRUE(a && s);
            if (!a || !s) continue;
            accounts.push_back(*a);
            stored[*a] = *s;
        }
        if (options_.complete) {
            for (const auto& dev : info().accounts) {
                if (stored.emplace(dev.address, U256(0)).second) accounts.push_back(dev.address);
            }
        }
        auto chain = hub().view_accounts(accounts, chain::BlockTag::number(block));
        for (std::size_t i = 0; i < accounts.size(); ++i) {
            EXPECT_TRUE(chain[i]) << chain[i].error().message;
            if (chain[i]) {
                EXPECT_EQ(stored[accounts[i]], chain[i]->stake) << accounts[i].to_checksum() << " at block " << block;
            }
        }
        return accounts.size();
    }
    void expect_consumed_exact(const std::vector<Bytes32>& hashes) {
        const std::uint64_t block = last_block();
        for (const auto& h : hashes) {
            auto stored = db_->read([&](store::Tx& tx) -> Result<std::optional<U256>> {
                WP_TRY(auto facts, market::StoredFacts::open(tx, options_.chain_id));
                return facts.consumed(h);
            });
            ASSERT_TRUE(stored) << stored.error().message;
            ASSERT_TRUE(*stored) << "consumed of " << to_hex(h.view()) << " is cold";
            auto chain = hub().view_consumed(h, chain::BlockTag::number(block));
            ASSERT_TRUE(chain) << chain.error().message;
            EXPECT_EQ(**stored, *chain) << to_hex(h.view());
        }
    }
    std::optional<Address> stored_owner(market::Registry registry, const Address& entry) {
        auto owner = db_->read([&](store::Tx& tx) -> Result<std::optional<Address>> {
            WP_TRY(auto facts, market::StoredFacts::open(tx, options_.chain_id));
            return facts.owner(registry, entry);
        });
        EXPECT_TRUE(owner) << owner.error().message;
        return owner ? *owner : std::nullopt;
    }
    std::int64_t count(const std::string& table) {
        auto n = db_->read([&](store::Tx& tx) -> Result<std::int64_t> {
            WP_TRY(auto row, tx.query_row("SELECT COUNT(*) FROM " + table));
            return row.get<std::int64_t>(0);
        });
        EXPECT_TRUE(n) << n.error().message;
        return n ? *n : -1;
    }

    // ---- chain actions ----

    static void match(const test::Orders& o) {
        auto r = send(hub().match_orders(o.app, o.dataset, o.workerpool, o.request), key(test::kRequester));
        ASSERT_TRUE(r) << r.error().message;
    }
    //! ERC-721 transferFrom(from, to, uint160(entry)) on a registry, sent by `from`.
    static void transfer_entry(const Address& registry, std::size_t from, const Address& to, const Address& entry) {
        Bytes data = {0x23, 0xb8, 0x72, 0xdd};  // transferFrom(address,address,uint256)
        for (const Bytes32& word : {address(from).to_word(), to.to_word(), entry.to_word()})
            data.insert(data.end(), word.begin(), word.end());
        chain::ContractCall call{registry, data, U256{}, "transferFrom"};
        auto r = send(call, key(from));
        ASSERT_TRUE(r) << r.error().message;
    }
    static void mine_blocks(int n) {
        for (int i = 0; i < n; ++i) ASSERT_TRUE(rpc().call("evm_mine"));
    }

    market::MarketSyncOptions options_;
    std::optional<store::testing::ScratchDatabase> scratch_;
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<market::MarketSyncHandler> handler_;
    std::unique_ptr<chain::ChainMirror> mirror_;
    std::uint64_t published_ = 0;
};

TEST_P(MarketSyncAnvil, MatchUpdatesRemainingFillsTheRequestAndIndexesTheDeal) {
    const auto assets = create_assets();
    auto o = make_orders(assets, U256(3), true, 100);
    o.request.volume = U256(1);
    o = sign_all(o);
    const Bytes32 app = publish(o.app, address(test::kAppOwner));
    const Bytes32 dataset = publish(o.dataset, address(test::kDatasetOwner));
    const Bytes32 pool = publish(o.workerpool, address(test::kScheduler));
    const Bytes32 request = publish(o.request, address(test::kRequester));
    open_mirror();
    sync();
    const std::int64_t seq = last_seq();
    match(o);
    sync();

    EXPECT_EQ(state(app), (market::OrderState{OrderStatus::kOpen, U256(2)}));
    EXPECT_EQ(state(dataset), (market::OrderState{OrderStatus::kOpen, U256(2)}));
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kOpen, U256(2)}));
    EXPECT_EQ(state(request), (market::OrderState{OrderStatus::kFilled, U256(0)}));
    EXPECT_TRUE(has_event(seq, "apporder_updated", app));
    // The reference's live documents: `_updated` without chainId, `_unpublished` the hash as a JSON string.
    for (const auto& e : events_after(seq)) {
        if (e.event == "workerpoolorder_updated") {
            const auto doc = json::parse(e.payload);
            ASSERT_TRUE(doc.is_object());
            EXPECT_EQ(doc.as_object().if_contains("chainId"), nullptr) << e.payload;
            EXPECT_EQ(json::serialize(doc.as_object().at("remaining")), "2");
            EXPECT_EQ(doc.as_object().at("status").as_string(), "open");
        }
        if (e.event == "requestorder_unpublished") {
            EXPECT_EQ(e.payload, "\"" + to_hex(request.view()) + "\"");
        }
        if (e.event == "deal_created") {
            EXPECT_EQ(e.topic, "deals");
        }
    }
    EXPECT_TRUE(has_event(seq, "datasetorder_updated", dataset));
    EXPECT_TRUE(has_event(seq, "workerpoolorder_updated", pool));
    EXPECT_TRUE(has_event(seq, "requestorder_unpublished", request));
    expect_consumed_exact({app, dataset, pool, request});
    EXPECT_GT(expect_stakes_exact(), 3u);

    auto deals = db_->read([&](store::Tx& tx) {
        market::DealFilters filters;
        filters.requestorder_hash = request;
        return market::search_deals(tx, options_.chain_id, filters);
    });
    ASSERT_TRUE(deals) << deals.error().message;
    ASSERT_EQ(deals->deals.size(), 1u);
    const auto& deal = deals->deals[0];
    auto chain_deal = hub().view_deal(deal.deal_id);
    ASSERT_TRUE(chain_deal) << chain_deal.error().message;
    EXPECT_EQ(deal.app, assets.app);
    EXPECT_EQ(deal.app_owner, chain_deal->app.owner);
    EXPECT_EQ(deal.dataset_owner, address(test::kDatasetOwner));
    EXPECT_EQ(deal.workerpool_owner, address(test::kScheduler));
    EXPECT_EQ(deal.workerpool_price, test::kWorkerpoolPrice);
    EXPECT_EQ(deal.volume, U256(1));
    EXPECT_EQ(deal.bot_first, chain_deal->bot_first);
    EXPECT_EQ(deal.start_time, chain_deal->start_time);
    EXPECT_EQ(deal.params, o.request.params);
    EXPECT_EQ(deal.app_hash, app);
    EXPECT_EQ(deal.workerpool_hash, pool);
    auto ts = block_timestamp(chain::BlockTag::number(deal.block_number));
    ASSERT_TRUE(ts);
    EXPECT_EQ(deal.block_timestamp_ms, static_cast<std::int64_t>(*ts) * 1000);
    EXPECT_TRUE(has_event(seq, "deal_created", deal.deal_id));

    // A second match of the rest fills the three other orders.
    auto rest = o;
    rest.request.volume = U256(2);
    rest.request.salt = U256(999).to_be32();
    rest = sign_all(rest);
    const Bytes32 request2 = publish(rest.request, address(test::kRequester));
    match(rest);
    sync();
    EXPECT_EQ(state(app), (market::OrderState{OrderStatus::kFilled, U256(0)}));
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kFilled, U256(0)}));
    EXPECT_EQ(state(request2), (market::OrderState{OrderStatus::kFilled, U256(0)}));
    EXPECT_TRUE(has_event(seq, "workerpoolorder_unpublished", pool));
    expect_consumed_exact({app, dataset, pool, request, request2});
    expect_stakes_exact();
}

TEST_P(MarketSyncAnvil, OnChainCancelMarksCanceledAndCleansTheDependentRequestOrders) {
    const auto assets = create_assets();
    const auto o = make_orders(assets, U256(5), false, 200);
    const Bytes32 app = publish(o.app, address(test::kAppOwner));
    const Bytes32 pool = publish(o.workerpool, address(test::kScheduler));
    const Bytes32 request = publish(o.request, address(test::kRequester));
    open_mirror();
    sync();
    EXPECT_EQ(state(request).status, OrderStatus::kOpen);
    const std::int64_t seq = last_seq();
    auto r = send(hub().manage_app_order(o.app, OrderOperation::kClose, {}), key(test::kAppOwner));
    ASSERT_TRUE(r) << r.error().message;
    auto r2 = send(hub().manage_workerpool_order(o.workerpool, OrderOperation::kClose, {}), key(test::kScheduler));
    ASSERT_TRUE(r2) << r2.error().message;
    // An order that was never published: its consumed volume is the chain's too.
    auto unpublished = o.workerpool;
    unpublished.salt = U256(299).to_be32();
    unpublished.sign = sign_order(domain(), Order(unpublished), key(test::kScheduler));
    auto r3 = send(hub().manage_workerpool_order(unpublished, OrderOperation::kClose, {}), key(test::kScheduler));
    ASSERT_TRUE(r3) << r3.error().message;
    sync();
    EXPECT_EQ(state(app), (market::OrderState{OrderStatus::kCanceled, U256(0)}));
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kCanceled, U256(0)}));
    EXPECT_TRUE(has_event(seq, "apporder_unpublished", app));
    EXPECT_TRUE(has_event(seq, "workerpoolorder_unpublished", pool));
    // The request order's only app order went away: dead.
    EXPECT_EQ(state(request), (market::OrderState{OrderStatus::kDead, U256(5)}));
    EXPECT_TRUE(has_event(seq, "requestorder_unpublished", request));
    expect_consumed_exact({app, pool, order_hash(domain(), Order(unpublished))});  // CLOSE: m_consumed = volume
}

TEST_P(MarketSyncAnvil, StakeWithdrawalKillsTheWorkerpoolOrderAndTheDepositBringsItBack) {
    const auto assets = create_assets();
    const auto o = make_orders(assets, U256(1000), false, 300);
    const Bytes32 pool = publish(o.workerpool, address(test::kScheduler));
    open_mirror();
    sync();
    const U256 lock = *market::workerpool_order_lock(test::kWorkerpoolPrice, U256(1000));  // 3 · 1000
    EXPECT_EQ(lock, U256(3000));
    auto account = hub().view_account(address(test::kScheduler));
    ASSERT_TRUE(account);
    const std::int64_t seq = last_seq();
    // Leave lock − 1 staked.
    auto w = send(hub().withdraw(checked_add(checked_sub(account->stake, lock).value(), U256(1)).value()),
                  key(test::kScheduler));
    ASSERT_TRUE(w) << w.error().message;
    sync();
    EXPECT_EQ(state(pool).status, OrderStatus::kDead);
    EXPECT_TRUE(has_event(seq, "workerpoolorder_unpublished", pool));
    expect_stakes_exact();
    const std::int64_t seq2 = last_seq();
    auto d = send(hub().deposit_with_approve_and_call(U256(1)), key(test::kScheduler));
    ASSERT_TRUE(d) << d.error().message;
    sync();
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kOpen, U256(1000)}));
    EXPECT_TRUE(has_event(seq2, "workerpoolorder_published", pool));
    expect_stakes_exact();
}

// Request orders: their total cost (appmaxprice + datasetmaxprice + workerpoolmaxprice) · remaining against the
// requester's stake, as the reference watcher; reopened only while a matchable app order is open.
TEST_P(MarketSyncAnvil, RequesterStakeBelowTheTotalCostKillsTheRequestOrder) {
    const auto assets = create_assets();
    const auto o = make_orders(assets, U256(100), false, 310);
    publish(o.app, address(test::kAppOwner));
    const Bytes32 request = publish(o.request, address(test::kRequester));
    open_mirror();
    sync();
    const U256 cost = *market::request_order_cost(o.request, U256(100));  // (5 + 0 + 10) · 100
    EXPECT_EQ(cost, U256(1500));
    auto account = hub().view_account(address(test::kRequester));
    ASSERT_TRUE(account);
    const std::int64_t seq = last_seq();
    auto w = send(hub().withdraw(checked_add(checked_sub(account->stake, cost).value(), U256(1)).value()),
                  key(test::kRequester));
    ASSERT_TRUE(w) << w.error().message;
    sync();
    EXPECT_EQ(state(request), (market::OrderState{OrderStatus::kDead, U256(100)}));
    EXPECT_TRUE(has_event(seq, "requestorder_unpublished", request));
    auto d = send(hub().deposit_with_approve_and_call(U256(1)), key(test::kRequester));
    ASSERT_TRUE(d) << d.error().message;
    sync();
    EXPECT_EQ(state(request), (market::OrderState{OrderStatus::kOpen, U256(100)}));
    expect_stakes_exact();
    // Without a matchable app order a covered stake does not bring it back: cancel the app order (→ dead), then
    // deposit more.
    auto c = send(hub().manage_app_order(o.app, OrderOperation::kClose, {}), key(test::kAppOwner));
    ASSERT_TRUE(c) << c.error().message;
    sync();
    EXPECT_EQ(state(request).status, OrderStatus::kDead);
    auto d2 = send(hub().deposit_with_approve_and_call(U256(1000)), key(test::kRequester));
    ASSERT_TRUE(d2) << d2.error().message;
    sync();
    EXPECT_EQ(state(request).status, OrderStatus::kDead);
    expect_stakes_exact();
}

TEST_P(MarketSyncAnvil, WorkerpoolTransferKillsTheOldOwnersOrdersAndTheReturnRevivesThem) {
    const auto assets = create_assets();
    const auto o = make_orders(assets, U256(4), false, 400);
    const Bytes32 pool = publish(o.workerpool, address(test::kScheduler));
    open_mirror();
    sync();
    EXPECT_EQ(stored_owner(market::Registry::kWorkerpool, assets.workerpool), address(test::kScheduler));
    const std::int64_t seq = last_seq();
    transfer_entry(info().workerpool_registry, test::kScheduler, address(6), assets.workerpool);
    sync();
    EXPECT_EQ(stored_owner(market::Registry::kWorkerpool, assets.workerpool), address(6));
    EXPECT_EQ(state(pool).status, OrderStatus::kDead);
    EXPECT_TRUE(has_event(seq, "workerpoolorder_unpublished", pool));
    transfer_entry(info().workerpool_registry, 6, address(test::kScheduler), assets.workerpool);
    sync();
    EXPECT_EQ(stored_owner(market::Registry::kWorkerpool, assets.workerpool), address(test::kScheduler));
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kOpen, U256(4)}));
}

TEST_P(MarketSyncAnvil, CreateCategoryIsIndexedWithItsBlock) {
    open_mirror();
    sync();
    const std::int64_t before = count("market_categories");
    EXPECT_GT(before, 0);  // the deployment's categories (a complete mirror reads from block 0)
    auto r = send(hub().create_category("sync-test", "{\"d\":1}", U256(1234)), key(test::kAdmin));
    ASSERT_TRUE(r) << r.error().message;
    sync();
    auto found = db_->read([&](store::Tx& tx) {
        return market::find_category(tx, options_.chain_id, static_cast<std::uint64_t>(before));
    });
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(*found);
    EXPECT_EQ((*found)->name, "sync-test");
    EXPECT_EQ((*found)->description, "{\"d\":1}");
    EXPECT_EQ((*found)->work_clock_time_ref, U256(1234));
    EXPECT_EQ((*found)->block_number, r->block_number);
    EXPECT_EQ((*found)->transaction_hash, r->transaction_hash);
    auto ts = block_timestamp(chain::BlockTag::number(r->block_number));
    ASSERT_TRUE(ts);
    EXPECT_EQ((*found)->block_timestamp_ms, static_cast<std::int64_t>(*ts) * 1000);
    market::ChainState state(*db_, hub(), options_.chain_id);
    EXPECT_TRUE(state.category_exists(U256(static_cast<std::uint64_t>(before))).value_or(false));
    EXPECT_FALSE(state.category_exists(U256(static_cast<std::uint64_t>(before + 1))).value_or(true));
    EXPECT_EQ(state.stats().cold_fetches, 0u);  // complete mirror: never the chain
}

TEST_P(MarketSyncAnvil, RestartCatchesUpFromTheStoredCursor) {
    const auto assets = create_assets();
    auto o = make_orders(assets, U256(4), false, 500);
    o.request.volume = U256(1);
    o = sign_all(o);
    const Bytes32 pool = publish(o.workerpool, address(test::kScheduler));
    open_mirror();
    sync();
    close_mirror();
    match(o);  // while the market is down
    auto o2 = o;
    o2.request.salt = U256(501).to_be32();
    o2 = sign_all(o2);
    match(o2);
    open_mirror();
    sync();
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kOpen, U256(2)}));
    EXPECT_EQ(count("market_deals"), 2);
    expect_consumed_exact({order_hash(domain(), Order(o.workerpool))});
    expect_stakes_exact();
    // Polling again applies nothing twice.
    sync();
    EXPECT_EQ(count("market_deals"), 2);
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kOpen, U256(2)}));
}

TEST_P(MarketSyncAnvil, ReorgRollsTheMatchBackAndAppliesTheNewBranch) {
    const auto assets = create_assets();
    auto o = make_orders(assets, U256(3), false, 600);
    o.request.volume = U256(1);
    o = sign_all(o);
    const Bytes32 app = publish(o.app, address(test::kAppOwner));
    const Bytes32 pool = publish(o.workerpool, address(test::kScheduler));
    const Bytes32 request = publish(o.request, address(test::kRequester));
    open_mirror();
    sync();
    auto snapshot = rpc().call("evm_snapshot");
    ASSERT_TRUE(snapshot && snapshot->is_string());
    match(o);
    sync();
    ASSERT_EQ(state(pool), (market::OrderState{OrderStatus::kOpen, U256(2)}));
    ASSERT_EQ(state(request).status, OrderStatus::kFilled);
    ASSERT_EQ(count("market_deals"), 1);
    const std::int64_t seq = last_seq();

    auto reverted = rpc().call("evm_revert", json::array{*snapshot});
    ASSERT_TRUE(reverted && reverted->is_bool() && reverted->get_bool());
    // The new branch: the workerpool order is canceled instead, and the chain grows past the old head.
    auto r = send(hub().manage_workerpool_order(o.workerpool, OrderOperation::kClose, {}), key(test::kScheduler));
    ASSERT_TRUE(r) << r.error().message;
    mine_blocks(3);
    EXPECT_TRUE(sync()) << "no reorg seen";
    EXPECT_EQ(count("market_deals"), 0);
    EXPECT_EQ(state(app), (market::OrderState{OrderStatus::kOpen, U256(3)}));
    EXPECT_EQ(state(request), (market::OrderState{OrderStatus::kOpen, U256(1)}));
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kCanceled, U256(0)}));
    // The rolled-back fill is announced again, and the new branch's cancel too.
    EXPECT_TRUE(has_event(seq, "requestorder_published", request));
    EXPECT_TRUE(has_event(seq, "workerpoolorder_unpublished", pool));
    expect_consumed_exact({pool});
    auto app_consumed = db_->read([&](store::Tx& tx) -> Result<std::optional<U256>> {
        WP_TRY(auto facts, market::StoredFacts::open(tx, options_.chain_id));
        return facts.consumed(app);
    });
    ASSERT_TRUE(app_consumed);
    EXPECT_EQ(*app_consumed, std::optional<U256>(U256(0)));
    expect_stakes_exact();
}

TEST_P(MarketSyncAnvil, IncompleteMirrorFetchesColdEntriesOnceAndStaysExact) {
    const auto assets = create_assets();
    auto o = make_orders(assets, U256(3), false, 700);
    o.request.volume = U256(1);
    o = sign_all(o);
    auto head = eth().block_number();
    ASSERT_TRUE(head);
    options_.start_block = *head + 1;
    options_.complete = false;
    open_mirror();
    sync();
    market::ChainState state_(*db_, hub(), options_.chain_id);
    // Cold: fetched once and stored, then local.
    auto owner = state_.owner(market::Registry::kWorkerpool, assets.workerpool);
    ASSERT_TRUE(owner) << owner.error().message;
    EXPECT_EQ(*owner, std::optional<Address>(address(test::kScheduler)));
    auto nobody = state_.owner(market::Registry::kWorkerpool, address(7));
    ASSERT_TRUE(nobody) << nobody.error().message;
    EXPECT_EQ(*nobody, std::nullopt);
    auto stake = state_.stakes(std::vector<Address>{address(test::kScheduler), address(test::kRequester)});
    ASSERT_TRUE(stake) << stake.error().message;
    const Bytes32 pool_hash = order_hash(domain(), Order(o.workerpool));
    auto consumed = state_.consumed(pool_hash);
    ASSERT_TRUE(consumed) << consumed.error().message;
    EXPECT_EQ(*consumed, U256(0));
    auto category = state_.category_exists(U256(0));
    ASSERT_TRUE(category) << category.error().message;
    EXPECT_TRUE(*category);
    const auto cold = state_.stats();
    EXPECT_GE(cold.cold_fetches, 4u);
    EXPECT_GE(cold.stored, 5u);
    EXPECT_EQ(cold.raced, 0u);
    EXPECT_EQ(state_.owner(market::Registry::kWorkerpool, assets.workerpool).value_or(std::nullopt), *owner);
    EXPECT_EQ(state_.owner(market::Registry::kWorkerpool, address(7)).value_or(address(8)), *nobody);
    EXPECT_EQ(state_.stake(address(test::kScheduler)).value_or(U256(1)), stake->at(0));
    EXPECT_EQ(state_.consumed(pool_hash).value_or(U256(1)), U256(0));
    EXPECT_TRUE(state_.category_exists(U256(0)).value_or(false));
    EXPECT_EQ(state_.stats().cold_fetches, cold.cold_fetches);  // all local now
    EXPECT_EQ(state_.load_categories().value_or(99), 0u);       // every category is stored already

    // Events after the start apply on top of the cold rows: stakes stay exact (the requester's and scheduler's
    // rows move with the match's locks), and the published orders' consumed volumes are based on the chain.
    const Bytes32 pool = publish(o.workerpool, address(test::kScheduler));
    const Bytes32 request = publish(o.request, address(test::kRequester));
    match(o);
    sync();
    EXPECT_EQ(state(pool), (market::OrderState{OrderStatus::kOpen, U256(2)}));
    EXPECT_EQ(state(request).status, OrderStatus::kFilled);
    expect_consumed_exact({pool, request});
    EXPECT_GE(expect_stakes_exact(), 2u);
    EXPECT_EQ(pool, pool_hash);
}

// A cold entry read at a block that a reorg then abandons is dropped with the rollback and read again on the new
// branch (chain_state.hpp "Freshness").
TEST_P(MarketSyncAnvil, ColdEntryReadOnAnAbandonedBranchIsDroppedByTheReorg) {
    auto head = eth().block_number();
    ASSERT_TRUE(head);
    options_.start_block = *head + 1;
    options_.complete = false;
    open_mirror();
    sync();
    auto snapshot = rpc().call("evm_snapshot");
    ASSERT_TRUE(snapshot && snapshot->is_string());
    auto d = send(hub().deposit_with_approve_and_call(U256(777)), key(test::kScheduler));
    ASSERT_TRUE(d) << d.error().message;
    sync();
    market::ChainState cold(*db_, hub(), options_.chain_id);
    auto before = cold.stake(address(test::kScheduler));
    ASSERT_TRUE(before) << before.error().message;
    EXPECT_EQ(cold.stats().stored, 1u);
    EXPECT_EQ(*before, hub().view_account(address(test::kScheduler)).value().stake);  // the deposit included

    auto reverted = rpc().call("evm_revert", json::array{*snapshot});
    ASSERT_TRUE(reverted && reverted->is_bool() && reverted->get_bool());
    mine_blocks(3);
    EXPECT_TRUE(sync()) << "no reorg seen";
    auto stored = db_->read([&](store::Tx& tx) -> Result<std::optional<U256>> {
        WP_TRY(auto facts, market::StoredFacts::open(tx, options_.chain_id));
        return facts.stake(address(test::kScheduler));
    });
    ASSERT_TRUE(stored) << stored.error().message;
    EXPECT_EQ(*stored, std::nullopt);  // cold again
    auto after = cold.stake(address(test::kScheduler));
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_EQ(*after, checked_sub(*before, U256(777)).value());
    EXPECT_EQ(*after, hub().view_account(address(test::kScheduler)).value().stake);
}

INSTANTIATE_TEST_SUITE_P(Backends, MarketSyncAnvil,
                         ::testing::Values(store::Backend::kSqlite, store::Backend::kPostgres),
                         [](const ::testing::TestParamInfo<store::Backend>& p) {
                             return p.param == store::Backend::kSqlite ? std::string("Sqlite")
                                                                       : std::string("Postgres");
                         });

}  // namespace
}  // namespace wp
