// chain_state.hpp on SQLite and PostgreSQL: what the stored facts mean in a complete and in an incomplete mirror
// (a missing row = "none" vs "cold"), the market_sync row (init_market_sync), the lock formulas, and the handler's
// bookkeeping that needs no chain (last_block per batch, a reorg dropping the rows valid at a rolled-back block).
// The cold fetches and every chain event are tested against the real PoCo on anvil
// (tests/anvil/market_sync_anvil_test.cpp).
#include "chain_state.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include <wp/chain/rpc.hpp>
#include <wp/store/backend_test.hpp>

#include "schema.hpp"
#include "sync.hpp"

namespace wp::market {
namespace {

const Address kHub = Address::parse("0xc4b11f41746D3Ad8504da5B383E1aB9aa969AbC7").value();
const Address kOther = Address::parse("0x000000000000000000000000000000000000dEaD").value();
const Address kEntry = Address::parse("0x1111111111111111111111111111111111111111").value();
const Address kOwner = Address::parse("0x2222222222222222222222222222222222222222").value();
constexpr std::uint64_t kChain = 31337;

TEST(LockFormulas, IntegerDivisionFirstAndOverflowIsUncovered) {
    // (7 · 30 / 100) · 10 = 2 · 10 = 20, not 7 · 30 · 10 / 100 = 21 (PoCo's percentage, then the volume).
    EXPECT_EQ(workerpool_order_lock(U256(7), U256(10)), std::optional<U256>(U256(20)));
    EXPECT_EQ(workerpool_order_lock(U256(10), U256(1000)), std::optional<U256>(U256(3000)));
    EXPECT_EQ(workerpool_order_lock(U256(3), U256(1000)), std::optional<U256>(U256(0)));  // 90 / 100 = 0
    const auto max = std::optional<U256>(U256::max());
    EXPECT_EQ(workerpool_order_lock(*max, U256(1)), std::nullopt);
    RequestOrder r;
    r.appmaxprice = U256(5);
    r.datasetmaxprice = U256(2);
    r.workerpoolmaxprice = U256(10);
    EXPECT_EQ(request_order_cost(r, U256(3)), std::optional<U256>(U256(51)));
    r.workerpoolmaxprice = *max;
    EXPECT_EQ(request_order_cost(r, U256(1)), std::nullopt);
}

TEST(SyncStateTest, FactBlockIsTheLastAppliedBlockOrTheOneBeforeTheStart) {
    SyncState s;
    s.start_block = 100;
    EXPECT_EQ(s.fact_block(), 99u);
    s.last_block = 120;
    EXPECT_EQ(s.fact_block(), 120u);
    SyncState zero;
    EXPECT_EQ(zero.fact_block(), 0u);
}

class ChainStateTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("market_chain_state");
        if (HasFatalFailure()) return;
        ASSERT_TRUE(migrate_market_schema(*db_));
    }

    MarketSyncOptions options(bool complete, std::uint64_t start = 1000) const {
        MarketSyncOptions o;
        o.chain_id = kChain;
        o.addresses.hub = kHub;
        o.addresses.app_registry = kEntry;
        o.addresses.dataset_registry = kEntry;
        o.addresses.workerpool_registry = kEntry;
        o.start_block = start;
        o.complete = complete;
        return o;
    }
    void exec(const std::string& sql) {
        auto n = db_->write([&](store::Tx& tx) { return tx.exec(sql); });
        ASSERT_TRUE(n) << n.error().message;
    }
    template <class F>
    auto facts(F&& f) {
        return db_->read([&](store::Tx& tx) -> decltype(f(std::declval<const StoredFacts&>())) {
            WP_TRY(auto stored, StoredFacts::open(tx, kChain));
            return f(stored);
        });
    }
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(ChainStateTest);

TEST_P(ChainStateTest, WithoutSyncRowTheFactsAreAnError) {
    auto r = facts([](const StoredFacts& f) { return f.stake(kOwner); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find("market sync for chain 31337 is not initialised"), std::string::npos)
        << r.error().message;
}

TEST_P(ChainStateTest, InitCreatesTheRowOnceAndRefusesAnotherHub) {
    auto first = init_market_sync(*db_, options(false, 1000));
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->hub, kHub);
    EXPECT_EQ(first->start_block, 1000u);
    EXPECT_FALSE(first->complete);
    EXPECT_EQ(first->last_block, std::nullopt);
    EXPECT_EQ(first->fact_block(), 999u);
    // Again (a restart, even with other options): the stored row is kept.
    auto again = init_market_sync(*db_, options(true, 5));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, *first);
    auto unresolved = options(false);
    unresolved.addresses.workerpool_registry = Address{};
    auto missing = init_market_sync(*db_, unresolved);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("needs the hub and its three registries"), std::string::npos);
    auto other = options(false);
    other.addresses.hub = kOther;
    auto refused = init_market_sync(*db_, other);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("the database follows hub 0xc4b11f41746D3Ad8504da5B383E1aB9aa969AbC7, not "
                                           "0x000000000000000000000000000000000000dEaD"),
              std::string::npos)
        << refused.error().message;
}

TEST_P(ChainStateTest, CompleteMirrorAnswersMissingRowsAsNone) {
    ASSERT_TRUE(init_market_sync(*db_, options(true, 0)));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.owner(Registry::kApp, kEntry); }).value(),
              std::optional<Address>(Address{}));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.stake(kOwner); }).value(), std::optional<U256>(U256(0)));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.consumed(Bytes32{}); }).value(), std::optional<U256>(U256(0)));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.category_exists(U256(0)); }).value(),
              std::optional<bool>(false));
}

TEST_P(ChainStateTest, IncompleteMirrorAnswersMissingRowsAsColdAndStoredRowsAsThemselves) {
    ASSERT_TRUE(init_market_sync(*db_, options(false)));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.owner(Registry::kApp, kEntry); }).value(), std::nullopt);
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.stake(kOwner); }).value(), std::nullopt);
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.consumed(Bytes32{}); }).value(), std::nullopt);
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.category_exists(U256(0)); }).value(), std::nullopt);
    // An id beyond int64 cannot exist (categories are numbered from 0).
    EXPECT_EQ(facts([](const StoredFacts& f) {
                  return f.category_exists(checked_mul(U256(1ULL << 32), U256(1ULL << 32)).value());
              }).value(),
              std::optional<bool>(false));

    auto put = db_->write([&](store::Tx& tx) -> Result<void> {
        WP_TRY_VOID(
            tx.exec("INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) VALUES ($1, "
                    "$2, 1, $3, 5)",
                    kChain, kEntry, kOwner));
        WP_TRY_VOID(
            tx.exec("INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) VALUES ($1, "
                    "$2, 2, $3, 5)",
                    kChain, kOther, Address{}));
        WP_TRY_VOID(
            tx.exec("INSERT INTO market_accounts (chain_id, account, stake, block_number) VALUES ($1, $2, "
                    "$3, 5)",
                    kChain, kOwner, U256(77)));
        WP_TRY_VOID(
            tx.exec("INSERT INTO market_consumed (chain_id, order_hash, consumed, block_number) VALUES ($1, "
                    "$2, $3, 5)",
                    kChain, Bytes32{}, U256(4)));
        WP_TRY_VOID(
            tx.exec("INSERT INTO market_categories (chain_id, catid, name, description, work_clock_time_ref, "
                    "transaction_hash, block_number, block_timestamp_ms) VALUES ($1, 0, 'S', 'd', $2, $3, 5, 0)",
                    kChain, U256(300), Bytes32{}));
        return {};
    });
    ASSERT_TRUE(put) << put.error().message;
    // kEntry is a dataset: its owner as a dataset, and "not an app" (registered elsewhere: known, not cold).
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.owner(Registry::kDataset, kEntry); }).value(),
              std::optional<Address>(kOwner));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.owner(Registry::kApp, kEntry); }).value(),
              std::optional<Address>(Address{}));
    // kOther is a negative row of the workerpool registry: "not a workerpool", but cold as an app.
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.owner(Registry::kWorkerpool, kOther); }).value(),
              std::optional<Address>(Address{}));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.owner(Registry::kApp, kOther); }).value(), std::nullopt);
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.stake(kOwner); }).value(), std::optional<U256>(U256(77)));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.consumed(Bytes32{}); }).value(), std::optional<U256>(U256(4)));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.category_exists(U256(0)); }).value(),
              std::optional<bool>(true));
}

// The handler's bookkeeping that needs no chain: last_block follows the batches; a reorg back to block R sets it to
// R − 1 and drops the rows still valid at a block >= R (cold entries of the abandoned branch), keeping older ones.
TEST_P(ChainStateTest, BatchesMoveLastBlockAndARollbackDropsTheRowsOfTheAbandonedBlocks) {
    ASSERT_TRUE(init_market_sync(*db_, options(false, 10)));
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = "http://127.0.0.1:9"});  // never called here
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, kHub);
    ManualClock clock;
    MarketSyncHandler handler(hub, options(false, 10), &clock);
    chain::FeedBatch batch;
    batch.from_block = 10;
    batch.block_count = 11;
    ASSERT_TRUE(db_->write([&](store::Tx& tx) { return handler.batch_applied(tx, batch); }));
    EXPECT_EQ(facts([](const StoredFacts& f) { return Result<SyncState>(f.sync()); }).value().last_block,
              std::optional<std::uint64_t>(20));
    auto put = db_->write([&](store::Tx& tx) -> Result<void> {
        for (std::int64_t block : {12, 18}) {
            const Address who = block == 12 ? kOwner : kOther;
            WP_TRY_VOID(
                tx.exec("INSERT INTO market_accounts (chain_id, account, stake, block_number) VALUES ($1, "
                        "$2, $3, $4)",
                        kChain, who, U256(1), block));
            WP_TRY_VOID(
                tx.exec("INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) VALUES "
                        "($1, $2, 0, $3, $4)",
                        kChain, who, kOwner, block));
            WP_TRY_VOID(
                tx.exec("INSERT INTO market_consumed (chain_id, order_hash, consumed, block_number) VALUES "
                        "($1, $2, $3, $4)",
                        kChain, U256(static_cast<std::uint64_t>(block)).to_be32(), U256(1), block));
        }
        return {};
    });
    ASSERT_TRUE(put) << put.error().message;
    ASSERT_TRUE(db_->write([&](store::Tx& tx) { return handler.rolled_back(tx, 15); }));
    auto sync = facts([](const StoredFacts& f) { return Result<SyncState>(f.sync()); });
    ASSERT_TRUE(sync);
    EXPECT_EQ(sync->last_block, std::optional<std::uint64_t>(14));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.stake(kOwner); }).value(), std::optional<U256>(U256(1)));
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.stake(kOther); }).value(), std::nullopt);  // cold again
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.owner(Registry::kApp, kOther); }).value(), std::nullopt);
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.consumed(U256(18).to_be32()); }).value(), std::nullopt);
    EXPECT_EQ(facts([](const StoredFacts& f) { return f.consumed(U256(12).to_be32()); }).value(),
              std::optional<U256>(U256(1)));
}

}  // namespace
}  // namespace wp::market
