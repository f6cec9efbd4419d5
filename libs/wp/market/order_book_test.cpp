// The order book on SQLite and PostgreSQL (real databases, store::testing::ScratchDatabase): publication and
// re-publication, every search filter of the reference (restrict semantics, exact 256-bit tag bits, trust, volume,
// owners, category, bulk), sort and ties, paging edges, selections for unpublish, state updates returning the
// previous state, the events outbox, deals (filters, sort, ohlc) and categories.
#include "order_book.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <wp/protocol/tag.hpp>
#include <wp/store/backend_test.hpp>

#include "schema.hpp"

// Filters are written with designated initializers naming only the fields a case sets (the rest keep their defaults).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace wp::market {
namespace {

constexpr std::uint64_t kChain = 134;

Address addr(std::uint8_t n, std::uint8_t family = 0xa0) {
    FixedBytes<20> b{};
    b[0] = family;
    b[19] = n;
    return Address(b);
}

Bytes32 salt_of(std::uint32_t n) {
    Bytes32 s{};
    s[28] = static_cast<std::uint8_t>(n >> 24);
    s[29] = static_cast<std::uint8_t>(n >> 16);
    s[30] = static_cast<std::uint8_t>(n >> 8);
    s[31] = static_cast<std::uint8_t>(n);
    return s;
}

Bytes32 hash_of(std::uint32_t n, std::uint8_t high = 0) {
    Bytes32 h = salt_of(n);
    h[0] = high;
    return h;
}

U256 pow2(unsigned bits) {
    U256 v(1);
    for (unsigned i = 0; i < bits; ++i) v = *checked_mul(v, U256(2));
    return v;
}

const Domain& domain() {
    static const Domain d = Domain::iexec(U256(kChain), addr(0x99, 0x3e));
    return d;
}

WorkerpoolOrder workerpool_order(std::uint32_t salt) {
    WorkerpoolOrder o;
    o.workerpool = addr(1, 0xb0);
    o.workerpoolprice = U256(10);
    o.volume = U256(100);
    o.category = U256(0);
    o.trust = U256(0);
    o.salt = salt_of(salt);
    o.sign = Bytes{0x01, 0x02};
    return o;
}

AppOrder app_order(std::uint32_t salt) {
    AppOrder o;
    o.app = addr(2, 0xc0);
    o.appprice = U256(3);
    o.volume = U256(1000);
    o.salt = salt_of(salt);
    return o;
}

DatasetOrder dataset_order(std::uint32_t salt) {
    DatasetOrder o;
    o.dataset = addr(3, 0xd0);
    o.datasetprice = U256(5);
    o.volume = U256(10);
    o.salt = salt_of(salt);
    return o;
}

RequestOrder request_order(std::uint32_t salt) {
    RequestOrder o;
    o.app = addr(2, 0xc0);
    o.appmaxprice = U256(3);
    o.workerpoolmaxprice = U256(10);
    o.requester = addr(7, 0xe0);
    o.beneficiary = addr(8, 0xe0);
    o.volume = U256(1);
    o.params = R"({"iexec_args":"x"})";
    o.salt = salt_of(salt);
    return o;
}

OrderRecord record_of(const Order& order, std::int64_t published_ms, const Address& signer = addr(9, 0xf0)) {
    OrderRecord r;
    r.chain_id = kChain;
    r.order = order;
    r.order_hash = order_hash(domain(), order);
    r.status = OrderStatus::kOpen;
    r.remaining = order_volume(order);
    r.signer = signer;
    r.published_ms = published_ms;
    return r;
}

std::set<Bytes32> hashes(const OrderPage& page) {
    std::set<Bytes32> out;
    for (const auto& r : page.orders) out.insert(r.order_hash);
    return out;
}

class OrderBookTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("market_book");
        if (HasFatalFailure()) return;
        auto v = migrate_market_schema(*db_);
        ASSERT_TRUE(v) << v.error().message;
    }

    template <class F>
    auto write(F&& fn) {
        return db_->write(std::forward<F>(fn));
    }
    template <class F>
    auto read(F&& fn) {
        return db_->read(std::forward<F>(fn));
    }

    //! Inserts the records; returns their hashes in insertion order.
    std::vector<Bytes32> insert(const std::vector<OrderRecord>& records) {
        auto r = write([&](store::Tx& tx) -> Result<std::vector<Bytes32>> {
            std::vector<Bytes32> out;
            for (const auto& rec : records) {
                WP_TRY(auto stored, insert_order(tx, rec));
                out.push_back(stored.order_hash);
            }
            return out;
        });
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : std::vector<Bytes32>{};
    }

    OrderPage workerpool_search(const WorkerpoolorderFilters& f) {
        auto r = read([&](store::Tx& tx) { return search_workerpoolorders(tx, kChain, f); });
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : OrderPage{};
    }
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(OrderBookTest);

// ---- paging arithmetic (no database) --------------------------------------------------------------------------------

TEST(Paging, ResolvesPageIndexPageSizeAndTheLegacyRawSkip) {
    EXPECT_EQ(resolve_page({}), (PageWindow{20, 0}));
    EXPECT_EQ(resolve_page({.page = 40}), (PageWindow{20, 40}));
    EXPECT_EQ(resolve_page({.page = 7}), (PageWindow{20, 7}));  // a raw offset, not a page number
    EXPECT_EQ(resolve_page({.page_index = 2}), (PageWindow{20, 40}));
    EXPECT_EQ(resolve_page({.page_size = 10}), (PageWindow{10, 0}));
    EXPECT_EQ(resolve_page({.page = 500, .page_index = 3, .page_size = 25}), (PageWindow{25, 75}));  // page ignored
    EXPECT_EQ(resolve_page({.page_index = 9007199254740990ULL, .page_size = 1000}).skip, 9007199254740990000ULL);
    const auto huge = resolve_page({.page = std::numeric_limits<std::uint64_t>::max()});  // saturates
    EXPECT_EQ(huge.skip, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    const auto product = resolve_page({.page_index = std::numeric_limits<std::uint64_t>::max(), .page_size = 10});
    EXPECT_EQ(product.skip, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    EXPECT_EQ(next_page(PageWindow{20, 40}, 20), std::optional<std::uint64_t>(60));
    EXPECT_EQ(next_page(PageWindow{20, 40}, 19), std::nullopt);
    EXPECT_EQ(next_page(PageWindow{20, 40}, 0), std::nullopt);
}

TEST(BulkDatasetorder, IsFreeWithTheInfiniteVolume) {
    DatasetOrder d = dataset_order(1);
    EXPECT_FALSE(is_bulk_datasetorder(d));
    d.datasetprice = U256(0);
    d.volume = U256(kDatasetInfiniteVolume);
    EXPECT_TRUE(is_bulk_datasetorder(d));
    d.datasetprice = U256(1);
    EXPECT_FALSE(is_bulk_datasetorder(d));
}

// ---- publication ----------------------------------------------------------------------------------------------------

TEST_P(OrderBookTest, InsertFindAndRepublishADeadOrderKeepingItsPublicationTime) {
    WorkerpoolOrder o = workerpool_order(1);
    o.workerpoolprice = pow2(200);  // far above 2^53 and 2^64: exact round trip
    o.volume = *checked_add(pow2(100), U256(5));
    o.tag = make_tag(0x103);
    o.tag[0] = 0x80;  // bit 255
    OrderRecord rec = record_of(o, 1000);
    rec.remaining = pow2(100);
    ASSERT_EQ(insert({rec}).size(), 1u);

    auto found = read([&](store::Tx& tx) { return find_order(tx, kChain, rec.order_hash); });
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ(**found, rec);

    // The kind must match when given; other chains do not see it.
    auto wrong_kind = read([&](store::Tx& tx) { return find_order(tx, kChain, rec.order_hash, OrderKind::kApp); });
    ASSERT_TRUE(wrong_kind);
    EXPECT_FALSE(wrong_kind->has_value());
    auto right_kind =
        read([&](store::Tx& tx) { return find_order(tx, kChain, rec.order_hash, OrderKind::kWorkerpool); });
    ASSERT_TRUE(right_kind);
    EXPECT_TRUE(right_kind->has_value());
    auto other_chain = read([&](store::Tx& tx) { return find_order(tx, kChain + 1, rec.order_hash); });
    ASSERT_TRUE(other_chain);
    EXPECT_FALSE(other_chain->has_value());

    // Published again while open / filled: refused.
    for (OrderStatus s : {OrderStatus::kOpen, OrderStatus::kFilled, OrderStatus::kCanceled}) {
        auto st = write([&](store::Tx& tx) { return set_order_status(tx, kChain, rec.order_hash, s, 1500); });
        ASSERT_TRUE(st) << st.error().message;
        auto again = write([&](store::Tx& tx) { return insert_order(tx, rec); });
        ASSERT_FALSE(again);
        EXPECT_EQ(again.error().code, Errc::kInvalidArgument);
        EXPECT_EQ(again.error().message, "order already published");
    }

    // Dead: re-publication replaces the row (new remaining, status, signer) but keeps the publication time.
    ASSERT_TRUE(
        write([&](store::Tx& tx) { return set_order_status(tx, kChain, rec.order_hash, OrderStatus::kDead, 2000); }));
    OrderRecord again = rec;
    again.published_ms = 5000;
    again.remaining = U256(3);
    again.signer = addr(10, 0xf0);
    auto stored = write([&](store::Tx& tx) { return insert_order(tx, again); });
    ASSERT_TRUE(stored) << stored.error().message;
    EXPECT_EQ(stored->published_ms, 1000);
    auto after = read([&](store::Tx& tx) { return find_order(tx, kChain, rec.order_hash); });
    ASSERT_TRUE(after && after->has_value());
    EXPECT_EQ((*after)->status, OrderStatus::kOpen);
    EXPECT_EQ((*after)->remaining, U256(3));
    EXPECT_EQ((*after)->signer, addr(10, 0xf0));
    EXPECT_EQ((*after)->published_ms, 1000);
}

TEST_P(OrderBookTest, EveryKindRoundTripsThroughTheStore) {
    DatasetOrder d = dataset_order(2);
    d.apprestrict = addr(4);
    RequestOrder rq = request_order(3);
    rq.dataset = addr(3, 0xd0);
    rq.datasetmaxprice = pow2(60);
    rq.callback = addr(5);
    const std::vector<OrderRecord> records{record_of(app_order(1), 10), record_of(d, 11), record_of(rq, 12),
                                           record_of(workerpool_order(4), 13)};
    insert(records);
    for (const auto& rec : records) {
        auto found = read([&](store::Tx& tx) { return find_order(tx, kChain, rec.order_hash, kind_of(rec.order)); });
        ASSERT_TRUE(found) << found.error().message;
        ASSERT_TRUE(found->has_value());
        EXPECT_EQ(**found, rec);
    }
}

// ---- restrict semantics ---------------------------------------------------------------------------------------------

TEST_P(OrderBookTest, RestrictSemanticsOmittedAnyAddressAndStrict) {
    const Address a = addr(0x41), b = addr(0x42);
    // For each restrict field: one public order, one restricted to a, one restricted to b.
    struct Case {
        const char* name;
        void (*set)(WorkerpoolOrder&, const Address&);
        RestrictFilter WorkerpoolorderFilters::*filter;
    };
    const Case cases[] = {
        {"app", [](WorkerpoolOrder& o, const Address& x) { o.apprestrict = x; }, &WorkerpoolorderFilters::app},
        {"dataset", [](WorkerpoolOrder& o, const Address& x) { o.datasetrestrict = x; },
         &WorkerpoolorderFilters::dataset},
        {"requester", [](WorkerpoolOrder& o, const Address& x) { o.requesterrestrict = x; },
         &WorkerpoolorderFilters::requester},
    };
    std::uint32_t salt = 100;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        ASSERT_TRUE(write([&](store::Tx& tx) -> Result<std::int64_t> { return tx.exec("DELETE FROM market_orders"); }));
        WorkerpoolOrder pub = workerpool_order(++salt), to_a = workerpool_order(++salt),
                        to_b = workerpool_order(++salt);
        c.set(to_a, a);
        c.set(to_b, b);
        const auto h = insert({record_of(pub, 1), record_of(to_a, 2), record_of(to_b, 3)});
        ASSERT_EQ(h.size(), 3u);

        const auto run = [&](std::optional<AddressOrAny> value, bool strict) {
            WorkerpoolorderFilters f;
            f.*(c.filter) = RestrictFilter{value, strict};
            return hashes(workerpool_search(f));
        };
        EXPECT_EQ(run(std::nullopt, false), (std::set<Bytes32>{h[0]}));  // public only
        EXPECT_EQ(run(std::nullopt, true), (std::set<Bytes32>{h[0]}));   // strict alone changes nothing
        EXPECT_EQ(run(AddressOrAny::any_value(), false), (std::set<Bytes32>{h[0], h[1], h[2]}));
        EXPECT_EQ(run(AddressOrAny::any_value(), true), (std::set<Bytes32>{h[0], h[1], h[2]}));
        EXPECT_EQ(run(AddressOrAny::of(a), false), (std::set<Bytes32>{h[0], h[1]}));
        EXPECT_EQ(run(AddressOrAny::of(a), true), (std::set<Bytes32>{h[1]}));
        EXPECT_EQ(run(AddressOrAny::of(addr(0x43)), true), (std::set<Bytes32>{}));
    }
}

TEST_P(OrderBookTest, AppAndDatasetOrdersApplyTheRestrictFiltersOfTheirKind) {
    AppOrder pub = app_order(1), wp_only = app_order(2);
    wp_only.workerpoolrestrict = addr(0x51);
    DatasetOrder dpub = dataset_order(3), app_only = dataset_order(4);
    app_only.apprestrict = addr(0x52);
    const auto h = insert({record_of(pub, 1), record_of(wp_only, 2), record_of(dpub, 3), record_of(app_only, 4)});
    auto r = read([&](store::Tx& tx) -> Result<std::vector<std::set<Bytes32>>> {
        std::vector<std::set<Bytes32>> out;
        ApporderFilters af;
        WP_TRY(auto p0, search_apporders(tx, kChain, af));
        out.push_back(hashes(p0));
        af.workerpool = RestrictFilter{AddressOrAny::of(addr(0x51)), false};
        WP_TRY(auto p1, search_apporders(tx, kChain, af));
        out.push_back(hashes(p1));
        af.app = AddressOrAny::of(addr(0x77));  // another app: nothing
        WP_TRY(auto p2, search_apporders(tx, kChain, af));
        out.push_back(hashes(p2));
        DatasetorderFilters df;
        df.app = RestrictFilter{AddressOrAny::of(addr(0x52)), true};
        WP_TRY(auto p3, search_datasetorders(tx, kChain, df));
        out.push_back(hashes(p3));
        df.dataset = AddressOrAny::of(addr(3, 0xd0));
        df.app = RestrictFilter{AddressOrAny::any_value(), false};
        WP_TRY(auto p4, search_datasetorders(tx, kChain, df));
        out.push_back(hashes(p4));
        return out;
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)[0], (std::set<Bytes32>{h[0]}));
    EXPECT_EQ((*r)[1], (std::set<Bytes32>{h[0], h[1]}));
    EXPECT_EQ((*r)[2], (std::set<Bytes32>{}));
    EXPECT_EQ((*r)[3], (std::set<Bytes32>{h[3]}));
    EXPECT_EQ((*r)[4], (std::set<Bytes32>{h[2], h[3]}));
}

TEST_P(OrderBookTest, RequestOrdersFilterTheWorkerpoolWithRestrictSemanticsAndTheRestExactly) {
    RequestOrder any_pool = request_order(1), pool_a = request_order(2), other_app = request_order(3);
    pool_a.workerpool = addr(0x61);
    other_app.app = addr(0x62);
    other_app.trust = U256(5);
    other_app.category = U256(2);
    const auto h = insert({record_of(any_pool, 1), record_of(pool_a, 2), record_of(other_app, 3)});
    const auto run = [&](const RequestorderFilters& f) {
        auto r = read([&](store::Tx& tx) { return search_requestorders(tx, kChain, f); });
        EXPECT_TRUE(r) << r.error().message;
        return r ? hashes(*r) : std::set<Bytes32>{};
    };
    EXPECT_EQ(run({}), (std::set<Bytes32>{h[0], h[2]}));
    EXPECT_EQ(run({.workerpool = {AddressOrAny::of(addr(0x61)), false}}), (std::set<Bytes32>{h[0], h[1], h[2]}));
    EXPECT_EQ(run({.workerpool = {AddressOrAny::of(addr(0x61)), true}}), (std::set<Bytes32>{h[1]}));
    EXPECT_EQ(run({.workerpool = {AddressOrAny::any_value(), false}}), (std::set<Bytes32>{h[0], h[1], h[2]}));
    EXPECT_EQ(run({.app = AddressOrAny::of(addr(0x62))}), (std::set<Bytes32>{h[2]}));
    EXPECT_EQ(run({.app = AddressOrAny::any_value()}), (std::set<Bytes32>{h[0], h[2]}));
    EXPECT_EQ(run({.requester = AddressOrAny::of(addr(7, 0xe0))}), (std::set<Bytes32>{h[0], h[2]}));
    EXPECT_EQ(run({.beneficiary = AddressOrAny::of(addr(1))}), (std::set<Bytes32>{}));
    EXPECT_EQ(run({.category = U256(2)}), (std::set<Bytes32>{h[2]}));
    EXPECT_EQ(run({.max_trust = U256(0)}), (std::set<Bytes32>{h[0]}));  // maxTrust 0 is applied
    EXPECT_EQ(run({.max_trust = U256(5)}), (std::set<Bytes32>{h[0], h[2]}));
}

// ---- tags, trust, volume, owners, category, bulk --------------------------------------------------------------------

TEST_P(OrderBookTest, TagFiltersAreExactOnAll256Bits) {
    const auto tag_with = [](std::initializer_list<unsigned> bits) {
        Bytes32 t{};
        for (unsigned b : bits) t[31 - b / 8] |= static_cast<std::uint8_t>(1u << (b % 8));
        return t;
    };
    std::vector<OrderRecord> recs;
    const std::vector<Bytes32> tags{tag_with({}),    tag_with({0, 1}),   tag_with({0, 1, 8}),     tag_with({63}),
                                    tag_with({255}), tag_with({0, 255}), tag_with({64, 127, 128})};
    for (std::size_t i = 0; i < tags.size(); ++i) {
        WorkerpoolOrder o = workerpool_order(static_cast<std::uint32_t>(200 + i));
        o.tag = tags[i];
        recs.push_back(record_of(o, static_cast<std::int64_t>(i)));
    }
    const auto h = insert(recs);
    const auto run = [&](std::optional<Bytes32> min_tag, std::optional<Bytes32> max_tag) {
        WorkerpoolorderFilters f;
        f.min_tag = min_tag;
        f.max_tag = max_tag;
        return hashes(workerpool_search(f));
    };
    EXPECT_EQ(run(tag_with({}), std::nullopt).size(), tags.size());  // minTag 0: no filter
    EXPECT_EQ(run(tag_with({0, 1}), std::nullopt), (std::set<Bytes32>{h[1], h[2]}));
    EXPECT_EQ(run(tag_with({255}), std::nullopt), (std::set<Bytes32>{h[4], h[5]}));
    EXPECT_EQ(run(tag_with({63}), std::nullopt), (std::set<Bytes32>{h[3]}));  // bit 63: the int64 sign bit
    EXPECT_EQ(run(tag_with({64, 128}), std::nullopt), (std::set<Bytes32>{h[6]}));
    // maxTag 0 is applied: only the zero tag.
    EXPECT_EQ(run(std::nullopt, tag_with({})), (std::set<Bytes32>{h[0]}));
    EXPECT_EQ(run(std::nullopt, tag_with({0, 1})), (std::set<Bytes32>{h[0], h[1]}));
    EXPECT_EQ(run(std::nullopt, tag_with({0, 255})), (std::set<Bytes32>{h[0], h[4], h[5]}));
    EXPECT_EQ(run(std::nullopt, tag_with({63})), (std::set<Bytes32>{h[0], h[3]}));
    Bytes32 all{};
    std::fill(all.bytes.begin(), all.bytes.end(), 0xff);
    EXPECT_EQ(run(std::nullopt, all).size(), tags.size());
    EXPECT_EQ(run(tag_with({0}), tag_with({0, 1, 255})), (std::set<Bytes32>{h[1], h[5]}));
}

TEST_P(OrderBookTest, TrustVolumeOwnerCategoryAndWorkerpoolFilters) {
    WorkerpoolOrder t0 = workerpool_order(1), t1 = workerpool_order(2), t5 = workerpool_order(3),
                    big = workerpool_order(4), cat = workerpool_order(5), pool = workerpool_order(6);
    t1.trust = U256(1);
    t5.trust = U256(5);
    big.trust = pow2(70);
    cat.category = U256(3);
    pool.workerpool = addr(0x71, 0xb0);
    OrderRecord rbig = record_of(big, 4);
    rbig.remaining = pow2(90);
    OrderRecord rpool = record_of(pool, 6, addr(0x72, 0xf0));
    const auto h = insert({record_of(t0, 1), record_of(t1, 2), record_of(t5, 3), rbig, record_of(cat, 5), rpool});
    const std::set<Bytes32> all(h.begin(), h.end());
    EXPECT_EQ(hashes(workerpool_search({})), all);
    // minTrust is applied only above 1.
    EXPECT_EQ(hashes(workerpool_search({.min_trust = U256(0)})), all);
    EXPECT_EQ(hashes(workerpool_search({.min_trust = U256(1)})), all);
    EXPECT_EQ(hashes(workerpool_search({.min_trust = U256(2)})), (std::set<Bytes32>{h[2], h[3]}));
    EXPECT_EQ(hashes(workerpool_search({.min_trust = pow2(70)})), (std::set<Bytes32>{h[3]}));
    // minVolume on remaining, exact above 2^64.
    EXPECT_EQ(hashes(workerpool_search({.min_volume = U256(101)})), (std::set<Bytes32>{h[3]}));
    EXPECT_EQ(hashes(workerpool_search({.min_volume = pow2(90)})), (std::set<Bytes32>{h[3]}));
    EXPECT_EQ(hashes(workerpool_search({.min_volume = *checked_add(pow2(90), U256(1))})), (std::set<Bytes32>{}));
    EXPECT_EQ(hashes(workerpool_search({.min_volume = U256(100)})), all);
    EXPECT_EQ(hashes(workerpool_search({.category = U256(3)})), (std::set<Bytes32>{h[4]}));
    EXPECT_EQ(hashes(workerpool_search({.category = U256(0)})).size(), 5u);
    EXPECT_EQ(hashes(workerpool_search({.workerpool = AddressOrAny::of(addr(0x71, 0xb0))})), (std::set<Bytes32>{h[5]}));
    EXPECT_EQ(hashes(workerpool_search({.workerpool = AddressOrAny::any_value()})), all);
    EXPECT_EQ(hashes(workerpool_search({.workerpool_owner = addr(0x72, 0xf0)})), (std::set<Bytes32>{h[5]}));
    // Only open orders are searched.
    ASSERT_TRUE(write([&](store::Tx& tx) { return set_order_status(tx, kChain, h[0], OrderStatus::kFilled, 9); }));
    ASSERT_TRUE(write([&](store::Tx& tx) { return set_order_status(tx, kChain, h[1], OrderStatus::kDead, 9); }));
    EXPECT_EQ(workerpool_search({}).count, 4u);
}

TEST_P(OrderBookTest, DatasetOrdersBulkOnlyAndOwner) {
    DatasetOrder bulk = dataset_order(1), paid = dataset_order(2);
    bulk.datasetprice = U256(0);
    bulk.volume = U256(kDatasetInfiniteVolume);
    const auto h = insert({record_of(bulk, 1, addr(0x31)), record_of(paid, 2, addr(0x32))});
    auto r = read([&](store::Tx& tx) -> Result<std::vector<std::set<Bytes32>>> {
        std::vector<std::set<Bytes32>> out;
        WP_TRY(auto all, search_datasetorders(tx, kChain, {}));
        out.push_back(hashes(all));
        WP_TRY(auto only, search_datasetorders(tx, kChain, {.bulk_only = true}));
        out.push_back(hashes(only));
        WP_TRY(auto owner, search_datasetorders(tx, kChain, {.dataset_owner = addr(0x32)}));
        out.push_back(hashes(owner));
        return out;
    });
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)[0], (std::set<Bytes32>{h[0], h[1]}));
    EXPECT_EQ((*r)[1], (std::set<Bytes32>{h[0]}));
    EXPECT_EQ((*r)[2], (std::set<Bytes32>{h[1]}));
}

// ---- sort and paging ------------------------------------------------------------------------------------------------

TEST_P(OrderBookTest, SortByPriceThenTimeThenHashWithExactBigPrices) {
    // Prices around 2^53, 2^64 and 2^255; ties on price and time are broken by the hash.
    const std::vector<U256> prices{pow2(255), U256(0), pow2(64), U256(7), pow2(53), U256(7), U256(7)};
    const std::vector<std::int64_t> times{1, 1, 1, 5, 1, 3, 3};
    std::vector<OrderRecord> recs;
    for (std::size_t i = 0; i < prices.size(); ++i) {
        WorkerpoolOrder o = workerpool_order(static_cast<std::uint32_t>(300 + i));
        o.workerpoolprice = prices[i];
        recs.push_back(record_of(o, times[i]));
    }
    insert(recs);
    auto expected = recs;
    std::sort(expected.begin(), expected.end(), [](const OrderRecord& a, const OrderRecord& b) {
        const auto& pa = std::get<WorkerpoolOrder>(a.order).workerpoolprice;
        const auto& pb = std::get<WorkerpoolOrder>(b.order).workerpoolprice;
        if (pa != pb) return pa < pb;
        if (a.published_ms != b.published_ms) return a.published_ms < b.published_ms;
        return a.order_hash < b.order_hash;
    });
    const OrderPage page = workerpool_search({});
    ASSERT_EQ(page.orders.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(page.orders[i].order_hash, expected[i].order_hash) << i;
    EXPECT_EQ(std::get<WorkerpoolOrder>(page.orders.back().order).workerpoolprice, pow2(255));

    // Request orders: workerpoolmaxprice descending, then time and hash ascending.
    std::vector<OrderRecord> reqs;
    const std::vector<U256> max_prices{U256(1), pow2(80), U256(1), U256(9)};
    for (std::size_t i = 0; i < max_prices.size(); ++i) {
        RequestOrder o = request_order(static_cast<std::uint32_t>(400 + i));
        o.workerpoolmaxprice = max_prices[i];
        reqs.push_back(record_of(o, 1));
    }
    insert(reqs);
    auto r = read([&](store::Tx& tx) { return search_requestorders(tx, kChain, {}); });
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->orders.size(), 4u);
    EXPECT_EQ(r->orders[0].order_hash, reqs[1].order_hash);
    EXPECT_EQ(r->orders[1].order_hash, reqs[3].order_hash);
    const auto lo = std::min(reqs[0].order_hash, reqs[2].order_hash);
    EXPECT_EQ(r->orders[2].order_hash, lo);
}

TEST_P(OrderBookTest, PagingEdges) {
    std::vector<OrderRecord> recs;
    for (std::uint32_t i = 0; i < 45; ++i) {
        WorkerpoolOrder o = workerpool_order(500 + i);
        o.workerpoolprice = U256(i);
        recs.push_back(record_of(o, 1));
    }
    insert(recs);
    const auto price_of = [](const OrderRecord& r) { return std::get<WorkerpoolOrder>(r.order).workerpoolprice; };

    OrderPage p = workerpool_search({});  // default: 20 from 0
    EXPECT_EQ(p.count, 45u);
    ASSERT_EQ(p.orders.size(), 20u);
    EXPECT_EQ(p.next_page, std::optional<std::uint64_t>(20));
    p = workerpool_search({.paging = {.page = 20}});
    ASSERT_EQ(p.orders.size(), 20u);
    EXPECT_EQ(price_of(p.orders[0]), U256(20));
    EXPECT_EQ(p.next_page, std::optional<std::uint64_t>(40));
    p = workerpool_search({.paging = {.page = 40}});  // last partial page: no nextPage
    EXPECT_EQ(p.orders.size(), 5u);
    EXPECT_EQ(p.next_page, std::nullopt);
    p = workerpool_search({.paging = {.page = 7}});  // legacy page is a raw skip
    EXPECT_EQ(price_of(p.orders[0]), U256(7));
    p = workerpool_search({.paging = {.page_index = 1, .page_size = 15}});
    ASSERT_EQ(p.orders.size(), 15u);
    EXPECT_EQ(price_of(p.orders[0]), U256(15));
    EXPECT_EQ(p.next_page, std::optional<std::uint64_t>(30));
    p = workerpool_search({.paging = {.page_index = 2, .page_size = 15}});  // exactly full: nextPage present
    ASSERT_EQ(p.orders.size(), 15u);
    EXPECT_EQ(p.next_page, std::optional<std::uint64_t>(45));
    p = workerpool_search({.paging = {.page_index = 3, .page_size = 15}});  // past the end
    EXPECT_EQ(p.orders.size(), 0u);
    EXPECT_EQ(p.count, 45u);
    EXPECT_EQ(p.next_page, std::nullopt);
    p = workerpool_search({.paging = {.page_index = 9007199254740990ULL, .page_size = 1000}});  // saturated skip
    EXPECT_EQ(p.orders.size(), 0u);
    EXPECT_EQ(p.count, 45u);
    p = workerpool_search({.paging = {.page_size = 1000}});
    EXPECT_EQ(p.orders.size(), 45u);
    EXPECT_EQ(p.next_page, std::nullopt);
    p = workerpool_search({.paging = {.page = 1000, .page_size = 10}});  // pageSize given: page is ignored
    EXPECT_EQ(p.orders.size(), 10u);
    EXPECT_EQ(price_of(p.orders[0]), U256(0));
}

// ---- unpublish selections, deletes, counts, states ------------------------------------------------------------------

TEST_P(OrderBookTest, SelectOrdersNewestFirstForUnpublishLastAndAll) {
    const Address owner = addr(0x81, 0xf0), other = addr(0x82, 0xf0);
    WorkerpoolOrder o1 = workerpool_order(1), o2 = workerpool_order(2), o3 = workerpool_order(3),
                    o4 = workerpool_order(4), o5 = workerpool_order(5);
    o5.workerpool = addr(0x83, 0xb0);
    const auto h = insert({record_of(o1, 100, owner), record_of(o2, 300, owner), record_of(o3, 200, owner),
                           record_of(o4, 400, other), record_of(o5, 500, owner)});
    ASSERT_TRUE(write([&](store::Tx& tx) { return set_order_status(tx, kChain, h[2], OrderStatus::kDead, 1); }));

    OrderSelection sel{
        .kind = OrderKind::kWorkerpool, .status = OrderStatus::kOpen, .signer = owner, .resource = addr(1, 0xb0)};
    auto all = read([&](store::Tx& tx) { return select_orders(tx, kChain, sel); });
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].order_hash, h[1]);  // newest first
    EXPECT_EQ((*all)[1].order_hash, h[0]);
    sel.limit = 1;
    auto last = read([&](store::Tx& tx) { return select_orders(tx, kChain, sel); });
    ASSERT_TRUE(last);
    ASSERT_EQ(last->size(), 1u);
    EXPECT_EQ((*last)[0].order_hash, h[1]);
    sel.limit.reset();
    sel.status.reset();
    auto any_status = read([&](store::Tx& tx) { return select_orders(tx, kChain, sel); });
    ASSERT_TRUE(any_status);
    EXPECT_EQ(any_status->size(), 3u);

    // Request orders: the resource is the requester; app / dataset select dependants.
    RequestOrder r1 = request_order(10), r2 = request_order(11);
    r2.dataset = addr(0x84, 0xd0);
    const auto rh = insert({record_of(r1, 1, addr(7, 0xe0)), record_of(r2, 2, addr(7, 0xe0))});
    auto reqs = read([&](store::Tx& tx) {
        return select_orders(tx, kChain, {.kind = OrderKind::kRequest, .resource = addr(7, 0xe0)});
    });
    ASSERT_TRUE(reqs);
    ASSERT_EQ(reqs->size(), 2u);
    EXPECT_EQ((*reqs)[0].order_hash, rh[1]);
    auto dep = read([&](store::Tx& tx) {
        return select_orders(tx, kChain, {.kind = OrderKind::kRequest, .dataset = addr(0x84, 0xd0)});
    });
    ASSERT_TRUE(dep);
    ASSERT_EQ(dep->size(), 1u);
    EXPECT_EQ((*dep)[0].order_hash, rh[1]);
    auto bad =
        read([&](store::Tx& tx) { return select_orders(tx, kChain, {.kind = OrderKind::kApp, .app = addr(1)}); });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);

    // Counts and deletes.
    auto counts = read([&](store::Tx& tx) -> Result<std::pair<std::uint64_t, OpenOrderCounts>> {
        WP_TRY(auto n, count_open_orders(tx, kChain, OrderKind::kWorkerpool, owner));
        WP_TRY(auto by_kind, count_open_orders_by_kind(tx, kChain));
        return std::make_pair(n, by_kind);
    });
    ASSERT_TRUE(counts) << counts.error().message;
    EXPECT_EQ(counts->first, 3u);
    EXPECT_EQ(counts->second, (OpenOrderCounts{0, 0, 4, 2}));
    const std::vector<Bytes32> gone{h[0], h[1], hash_of(999)};
    auto deleted = write([&](store::Tx& tx) { return delete_orders(tx, kChain, gone); });
    ASSERT_TRUE(deleted);
    EXPECT_EQ(*deleted, 2u);
    auto missing = read([&](store::Tx& tx) { return find_order(tx, kChain, h[0]); });
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing->has_value());
}

TEST_P(OrderBookTest, StateUpdatesReturnThePreviousState) {
    const auto h = insert({record_of(workerpool_order(1), 1)});
    auto prev = write([&](store::Tx& tx) {
        return set_order_state(tx, kChain, h[0], OrderState{OrderStatus::kOpen, U256(40)}, 10);
    });
    ASSERT_TRUE(prev) << prev.error().message;
    EXPECT_EQ(*prev, (std::optional<OrderState>(OrderState{OrderStatus::kOpen, U256(100)})));
    prev = write([&](store::Tx& tx) { return set_order_remaining(tx, kChain, h[0], U256(0), 11); });
    ASSERT_TRUE(prev);
    EXPECT_EQ(*prev, (std::optional<OrderState>(OrderState{OrderStatus::kOpen, U256(40)})));
    prev = write([&](store::Tx& tx) { return set_order_status(tx, kChain, h[0], OrderStatus::kFilled, 12); });
    ASSERT_TRUE(prev);
    EXPECT_EQ(*prev, (std::optional<OrderState>(OrderState{OrderStatus::kOpen, U256(0)})));
    // only_if: no change when the status differs.
    prev = write(
        [&](store::Tx& tx) { return set_order_status(tx, kChain, h[0], OrderStatus::kDead, 13, OrderStatus::kOpen); });
    ASSERT_TRUE(prev);
    EXPECT_EQ(*prev, std::nullopt);
    // Undo with the returned state.
    prev = write([&](store::Tx& tx) {
        return set_order_state(tx, kChain, h[0], OrderState{OrderStatus::kOpen, U256(40)}, 14, OrderStatus::kFilled);
    });
    ASSERT_TRUE(prev);
    EXPECT_EQ(*prev, (std::optional<OrderState>(OrderState{OrderStatus::kFilled, U256(0)})));
    auto found = read([&](store::Tx& tx) { return find_order(tx, kChain, h[0]); });
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->status, OrderStatus::kOpen);
    EXPECT_EQ((*found)->remaining, U256(40));
    // Unknown hash.
    prev = write([&](store::Tx& tx) { return set_order_status(tx, kChain, hash_of(12345), OrderStatus::kDead, 1); });
    ASSERT_TRUE(prev);
    EXPECT_EQ(*prev, std::nullopt);
}

TEST_P(OrderBookTest, SummaryCountsMatchADirectCountThroughEveryChange) {
    // Orders over a few combinations of the counted columns; then every kind of change. A search whose filters are all
    // counted columns takes its count from market_order_counts; adding minVolume = 1 (true for every order here)
    // forces COUNT(*) on market_orders: both must agree after each step, for several filter sets.
    std::vector<OrderRecord> recs;
    for (std::uint32_t i = 0; i < 40; ++i) {
        WorkerpoolOrder o = workerpool_order(700 + i);
        o.category = U256(i % 3);
        if (i % 5 == 0) o.apprestrict = addr(static_cast<std::uint8_t>(0x40 + i % 2));
        if (i % 7 == 0) o.requesterrestrict = addr(0x50);
        o.tag = make_tag(i % 4 == 0 ? 0x3 : (i % 4 == 1 ? 0x103 : 0));
        if (i % 9 == 0) o.tag[0] = 0x80;
        recs.push_back(record_of(o, i));
    }
    RequestOrder rq1 = request_order(800), rq2 = request_order(801);
    rq2.workerpool = addr(0x61);
    recs.push_back(record_of(rq1, 1));
    recs.push_back(record_of(rq2, 2));
    DatasetOrder bulk = dataset_order(900);
    bulk.datasetprice = U256(0);
    bulk.volume = U256(kDatasetInfiniteVolume);
    recs.push_back(record_of(bulk, 3));
    const auto h = insert(recs);

    const std::vector<WorkerpoolorderFilters> wp_filters{
        {},
        {.category = U256(1)},
        {.app = {AddressOrAny::of(addr(0x40)), false}},
        {.app = {AddressOrAny::of(addr(0x41)), true}},
        {.app = {AddressOrAny::any_value(), false}, .requester = {AddressOrAny::any_value(), false}},
        {.category = U256(0), .requester = {AddressOrAny::of(addr(0x50)), false}, .min_tag = make_tag(0x3)},
        {.max_tag = make_tag(0x103)},
    };
    const auto check = [&](const char* step) {
        SCOPED_TRACE(step);
        for (std::size_t i = 0; i < wp_filters.size(); ++i) {
            WorkerpoolorderFilters direct = wp_filters[i];
            direct.min_volume = U256(1);
            EXPECT_EQ(workerpool_search(wp_filters[i]).count, workerpool_search(direct).count) << "filter " << i;
        }
        auto other = read([&](store::Tx& tx) -> Result<std::vector<std::uint64_t>> {
            std::vector<std::uint64_t> out;
            for (const RestrictFilter& w : {RestrictFilter{}, RestrictFilter{AddressOrAny::of(addr(0x61)), true},
                                            RestrictFilter{AddressOrAny::any_value(), false}}) {
                WP_TRY(auto a, search_requestorders(tx, kChain, {.workerpool = w}));
                WP_TRY(auto b, search_requestorders(tx, kChain, {.workerpool = w, .min_volume = U256(1)}));
                out.push_back(a.count * 1000 + b.count);
            }
            WP_TRY(auto c, search_datasetorders(tx, kChain, {.bulk_only = true}));
            WP_TRY(auto d, search_datasetorders(tx, kChain, {.min_volume = U256(1), .bulk_only = true}));
            out.push_back(c.count * 1000 + d.count);
            return out;
        });
        ASSERT_TRUE(other) << other.error().message;
        for (std::uint64_t v : *other) EXPECT_EQ(v / 1000, v % 1000);
    };
    check("inserted");
    EXPECT_EQ(
        workerpool_search({.app = {AddressOrAny::any_value(), false}, .requester = {AddressOrAny::any_value(), false}})
            .count,
        40u);

    ASSERT_TRUE(write([&](store::Tx& tx) -> Result<int> {
        WP_TRY_VOID(set_order_status(tx, kChain, h[0], OrderStatus::kFilled, 1));
        WP_TRY_VOID(set_order_status(tx, kChain, h[5], OrderStatus::kDead, 1));
        WP_TRY_VOID(set_order_status(tx, kChain, h[6], OrderStatus::kCanceled, 1));
        WP_TRY_VOID(set_order_remaining(tx, kChain, h[7], U256(3), 1));             // no status change
        WP_TRY_VOID(set_order_status(tx, kChain, h[8], OrderStatus::kOpen, 1));     // open -> open
        WP_TRY_VOID(set_order_status(tx, kChain, h[40], OrderStatus::kDead, 1));    // a request order
        WP_TRY_VOID(set_order_status(tx, kChain, h[42], OrderStatus::kFilled, 1));  // the bulk dataset order
        return 0;
    }));
    check("status changes");
    ASSERT_TRUE(write([&](store::Tx& tx) -> Result<int> {
        WP_TRY_VOID(set_order_status(tx, kChain, h[5], OrderStatus::kOpen, 2));  // dead -> open again
        WP_TRY_VOID(set_order_status(tx, kChain, h[6], OrderStatus::kDead, 2));  // canceled -> dead: not counted
        const std::vector<Bytes32> gone{h[1], h[0], h[10]};                      // open, filled, open
        WP_TRY_VOID(delete_orders(tx, kChain, gone));
        return 0;
    }));
    check("reopened and deleted");
    OrderRecord again = recs[6];  // dead: re-published
    again.published_ms = 99;
    ASSERT_TRUE(write([&](store::Tx& tx) { return insert_order(tx, again); }));
    check("re-published");
    // Statements that bypass order_book (the chain mirror's undo statements, direct SQL) keep the counts too.
    ASSERT_TRUE(write([&](store::Tx& tx) -> Result<int> {
        WP_TRY_VOID(
            tx.exec("UPDATE market_orders SET status = $1, remaining = $2 WHERE chain_id = $3 AND "
                    "order_hash = $4",
                    std::int64_t{3}, U256(1), kChain, h[3]));
        WP_TRY_VOID(
            tx.exec("UPDATE market_orders SET status = $1, remaining = $2 WHERE chain_id = $3 AND "
                    "order_hash = $4",
                    std::int64_t{0}, U256(1), kChain, h[3]));
        WP_TRY_VOID(
            tx.exec("UPDATE market_orders SET status = 1 WHERE chain_id = $1 AND order_hash = $2", kChain, h[4]));
        WP_TRY_VOID(tx.exec("DELETE FROM market_orders WHERE chain_id = $1 AND order_hash = $2", kChain, h[11]));
        return 0;
    }));
    check("direct statements");
    // A change rolled back leaves the counts as they were.
    auto failed = write([&](store::Tx& tx) -> Result<int> {
        WP_TRY_VOID(set_order_status(tx, kChain, h[2], OrderStatus::kDead, 3));
        return make_error(Errc::kInvalidArgument, "roll back");
    });
    ASSERT_FALSE(failed);
    check("rolled back");
    EXPECT_EQ(
        workerpool_search({.app = {AddressOrAny::any_value(), false}, .requester = {AddressOrAny::any_value(), false}})
            .count,
        35u);  // 40 - filled 0, 4 - canceled 6 - deleted 1, 10, 11 + 6 re-published (5 and 3: closed, then open again)
}

// ---- events outbox --------------------------------------------------------------------------------------------------

TEST_P(OrderBookTest, EventsOutboxAppendsInOrderAndDeletesUpToASeq) {
    auto seqs = write([&](store::Tx& tx) -> Result<std::vector<std::int64_t>> {
        std::vector<std::int64_t> out;
        WP_TRY(auto a,
               append_event(tx, kChain, kTopicOrders, "workerpoolorder_published", R"({"orderHash":"0x1"})", 7));
        WP_TRY(auto b, append_event(tx, kChain, kTopicDeals, "deal_created", R"({"dealid":"0x2"})", 8));
        WP_TRY(auto c, append_event(tx, kChain + 1, kTopicOrders, "apporder_unpublished", R"("0x3")"));
        out = {a, b, c};
        return out;
    });
    ASSERT_TRUE(seqs) << seqs.error().message;
    EXPECT_LT((*seqs)[0], (*seqs)[1]);
    EXPECT_LT((*seqs)[1], (*seqs)[2]);
    auto bad = write([&](store::Tx& tx) { return append_event(tx, kChain, "", "x", "{}"); });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);

    auto events = read([&](store::Tx& tx) { return events_after(tx, 0, 10); });
    ASSERT_TRUE(events) << events.error().message;
    ASSERT_EQ(events->size(), 3u);
    EXPECT_EQ((*events)[0],
              (MarketEvent{(*seqs)[0], kChain, "orders", "workerpoolorder_published", R"({"orderHash":"0x1"})", 7}));
    EXPECT_EQ((*events)[1].topic, "deals");
    EXPECT_EQ((*events)[2].chain_id, kChain + 1);
    EXPECT_GT((*events)[2].created_ms, 1600000000000);  // the system clock
    auto after = read([&](store::Tx& tx) { return events_after(tx, (*seqs)[0], 1); });
    ASSERT_TRUE(after);
    ASSERT_EQ(after->size(), 1u);
    EXPECT_EQ((*after)[0].seq, (*seqs)[1]);
    auto deleted = write([&](store::Tx& tx) { return delete_events_up_to(tx, (*seqs)[1]); });
    ASSERT_TRUE(deleted);
    EXPECT_EQ(*deleted, 2u);
    auto rest = read([&](store::Tx& tx) { return events_after(tx, 0, 10); });
    ASSERT_TRUE(rest);
    ASSERT_EQ(rest->size(), 1u);
    EXPECT_EQ((*rest)[0].seq, (*seqs)[2]);
}

// ---- deals and ohlc -------------------------------------------------------------------------------------------------

DealRecord deal(std::uint32_t id, std::uint64_t block, const U256& price, std::uint64_t category = 0) {
    DealRecord d;
    d.chain_id = kChain;
    d.deal_id = hash_of(id, 0xde);
    d.app = addr(2, 0xc0);
    d.app_owner = addr(0x21, 0xf0);
    d.app_price = U256(1);
    d.workerpool = addr(1, 0xb0);
    d.workerpool_owner = addr(0x22, 0xf0);
    d.workerpool_price = price;
    d.requester = addr(7, 0xe0);
    d.beneficiary = addr(8, 0xe0);
    d.app_hash = hash_of(id, 0xa1);
    d.workerpool_hash = hash_of(id, 0xa3);
    d.request_hash = hash_of(id, 0xa4);
    d.params = "{}";
    d.volume = U256(id);
    d.category = U256(category);
    d.trust = U256(1);
    d.start_time = U256(1700000000);
    d.bot_size = U256(id);
    d.scheduler_reward_ratio = U256(1);
    d.worker_stake = pow2(60);
    d.block_number = block;
    d.block_timestamp_ms = static_cast<std::int64_t>(block) * 1000;
    d.transaction_hash = hash_of(id, 0x7e);
    return d;
}

TEST_P(OrderBookTest, DealsInsertFindSearchSortAndDelete) {
    std::vector<DealRecord> deals{deal(1, 10, U256(5)), deal(2, 12, U256(5)), deal(3, 12, U256(5), 1),
                                  deal(4, 11, pow2(70))};
    deals[3].dataset = addr(3, 0xd0);
    deals[3].dataset_owner = addr(0x23, 0xf0);
    deals[3].dataset_price = U256(2);
    deals[3].dataset_hash = hash_of(4, 0xa2);
    auto inserted = write([&](store::Tx& tx) -> Result<int> {
        int n = 0;
        for (std::size_t i = 0; i < deals.size(); ++i) {
            WP_TRY(bool ok, insert_deal(tx, deals[i], i));
            n += ok ? 1 : 0;
        }
        WP_TRY(bool dup, insert_deal(tx, deals[0], 9));
        n += dup ? 100 : 0;
        return n;
    });
    ASSERT_TRUE(inserted) << inserted.error().message;
    EXPECT_EQ(*inserted, 4);

    auto found = read([&](store::Tx& tx) { return find_deal(tx, kChain, deals[3].deal_id); });
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ(**found, deals[3]);

    const auto ids = [](const DealPage& p) {
        std::vector<Bytes32> out;
        for (const auto& d : p.deals) out.push_back(d.deal_id);
        return out;
    };
    const auto run = [&](const DealFilters& f) {
        auto r = read([&](store::Tx& tx) { return search_deals(tx, kChain, f); });
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : DealPage{};
    };
    DealPage all = run({});
    EXPECT_EQ(all.count, 4u);
    // block descending, then dealid ascending
    const auto first_of_12 = std::min(deals[1].deal_id, deals[2].deal_id);
    const auto second_of_12 = std::max(deals[1].deal_id, deals[2].deal_id);
    EXPECT_EQ(ids(all), (std::vector<Bytes32>{first_of_12, second_of_12, deals[3].deal_id, deals[0].deal_id}));
    EXPECT_EQ(all.next_page, std::nullopt);
    EXPECT_EQ(run({.category = U256(1)}).count, 1u);
    EXPECT_EQ(run({.dataset = addr(3, 0xd0)}).count, 1u);
    EXPECT_EQ(run({.dataset_owner = addr(0x23, 0xf0)}).count, 1u);
    EXPECT_EQ(run({.workerpool_owner = addr(0x22, 0xf0)}).count, 4u);
    EXPECT_EQ(run({.app_owner = addr(0x99)}).count, 0u);
    EXPECT_EQ(run({.requester = addr(7, 0xe0), .beneficiary = addr(8, 0xe0)}).count, 4u);
    EXPECT_EQ(run({.app = addr(2, 0xc0), .workerpool = addr(1, 0xb0)}).count, 4u);
    EXPECT_EQ(ids(run({.apporder_hash = hash_of(2, 0xa1)})), (std::vector<Bytes32>{deals[1].deal_id}));
    EXPECT_EQ(ids(run({.datasetorder_hash = hash_of(4, 0xa2)})), (std::vector<Bytes32>{deals[3].deal_id}));
    EXPECT_EQ(ids(run({.workerpoolorder_hash = hash_of(1, 0xa3)})), (std::vector<Bytes32>{deals[0].deal_id}));
    EXPECT_EQ(ids(run({.requestorder_hash = hash_of(3, 0xa4)})), (std::vector<Bytes32>{deals[2].deal_id}));

    auto removed = write([&](store::Tx& tx) { return delete_deal(tx, kChain, deals[0].deal_id); });
    ASSERT_TRUE(removed);
    EXPECT_TRUE(*removed);
    EXPECT_EQ(run({}).count, 3u);
}

TEST_P(OrderBookTest, OhlcKeepsThe100MostRecentDealsSortedByBlockThenPrice) {
    std::vector<DealRecord> deals;
    for (std::uint32_t i = 0; i < 105; ++i) deals.push_back(deal(i + 1, 1000 + i / 2, U256(200 - i % 7)));
    deals.push_back(deal(500, 5000, U256(1), 9));  // another category
    ASSERT_TRUE(write([&](store::Tx& tx) -> Result<int> {
        for (std::size_t i = 0; i < deals.size(); ++i) WP_TRY_VOID(insert_deal(tx, deals[i], 0));
        return 0;
    }));
    auto ohlc = read([&](store::Tx& tx) { return deal_ohlc(tx, kChain, U256(0)); });
    ASSERT_TRUE(ohlc) << ohlc.error().message;
    ASSERT_EQ(ohlc->size(), 100u);
    std::vector<DealRecord> expected(deals.begin(), deals.begin() + 105);
    std::sort(expected.begin(), expected.end(), [](const DealRecord& a, const DealRecord& b) {
        if (a.block_number != b.block_number) return a.block_number > b.block_number;
        if (a.workerpool_price != b.workerpool_price) return a.workerpool_price < b.workerpool_price;
        return a.deal_id < b.deal_id;
    });
    for (std::size_t i = 0; i < 100; ++i) {
        EXPECT_EQ((*ohlc)[i],
                  (OhlcEntry{expected[i].block_timestamp_ms, expected[i].workerpool_price, expected[i].volume}))
            << i;
    }
    auto other = read([&](store::Tx& tx) { return deal_ohlc(tx, kChain, U256(9)); });
    ASSERT_TRUE(other);
    ASSERT_EQ(other->size(), 1u);
    auto none = read([&](store::Tx& tx) { return deal_ohlc(tx, kChain, U256(4)); });
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

// ---- categories -----------------------------------------------------------------------------------------------------

TEST_P(OrderBookTest, CategoriesInsertFindSearchAndPaging) {
    std::vector<CategoryRecord> cats;
    for (std::uint64_t i = 0; i < 25; ++i) {
        CategoryRecord c;
        c.chain_id = kChain;
        c.catid = i;
        c.name = "cat" + std::to_string(i);
        c.description = "{}";
        c.work_clock_time_ref = i == 24 ? pow2(100) : U256(1000 - i * 10);
        c.transaction_hash = hash_of(static_cast<std::uint32_t>(i), 0x7c);
        c.block_number = 5 + i;
        c.block_timestamp_ms = 1000 * static_cast<std::int64_t>(i);
        cats.push_back(c);
    }
    cats[3].work_clock_time_ref = cats[4].work_clock_time_ref;  // tie: catid ascending
    auto ins = write([&](store::Tx& tx) -> Result<int> {
        int n = 0;
        for (const auto& c : cats) {
            WP_TRY(bool ok, insert_category(tx, c));
            n += ok ? 1 : 0;
        }
        WP_TRY(bool dup, insert_category(tx, cats[0]));
        return n + (dup ? 100 : 0);
    });
    ASSERT_TRUE(ins) << ins.error().message;
    EXPECT_EQ(*ins, 25);
    auto found = read([&](store::Tx& tx) { return find_category(tx, kChain, 24); });
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ(**found, cats[24]);

    const auto run = [&](const CategoryFilters& f) {
        auto r = read([&](store::Tx& tx) { return search_categories(tx, kChain, f); });
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : CategoryPage{};
    };
    CategoryPage p = run({});
    EXPECT_EQ(p.count, 25u);
    ASSERT_EQ(p.categories.size(), 20u);
    EXPECT_EQ(p.next_page, std::optional<std::uint64_t>(20));
    EXPECT_EQ(p.categories[0].catid, 23u);  // the smallest workClockTimeRef
    // ties (3 and 4 share a value): catid ascending
    std::vector<std::uint64_t> order;
    for (const auto& c : p.categories) order.push_back(c.catid);
    const auto pos3 = std::find(order.begin(), order.end(), 3u) - order.begin();
    const auto pos4 = std::find(order.begin(), order.end(), 4u) - order.begin();
    EXPECT_EQ(pos3 + 1, pos4);
    p = run({.paging = {.page = 20}});
    ASSERT_EQ(p.categories.size(), 5u);
    EXPECT_EQ(p.categories.back().catid, 24u);  // 2^100: the largest
    EXPECT_EQ(p.next_page, std::nullopt);
    EXPECT_EQ(run({.min_work_clock_time_ref = U256(900)}).count, 12u);  // 1000..900 (11) and 2^100
    EXPECT_EQ(run({.max_work_clock_time_ref = U256(800)}).count, 4u);   // 800, 790, 780, 770
    EXPECT_EQ(run({.min_work_clock_time_ref = U256(790), .max_work_clock_time_ref = U256(800)}).count, 2u);
    EXPECT_EQ(run({.min_work_clock_time_ref = pow2(100)}).count, 1u);
    auto removed = write([&](store::Tx& tx) { return delete_category(tx, kChain, 24); });
    ASSERT_TRUE(removed);
    EXPECT_TRUE(*removed);
    auto gone = read([&](store::Tx& tx) { return find_category(tx, kChain, 24); });
    ASSERT_TRUE(gone);
    EXPECT_FALSE(gone->has_value());
}

// Schema version 2 counts inserted orders in the inserting statement instead of a trigger. A database that a version-1
// binary filled (orders counted by the insert trigger) upgrades with its counts intact, and from then on every change
// (insert one / many, re-publication of a dead order, status changes both ways, delete) keeps market_order_counts
// equal to a recount of the open rows, with no double count.
class OrderCountsUpgradeTest : public store::testing::BackendTest {
  protected:
    void SetUp() override { open_database("market_counts_upgrade"); }

    // The counted combination of every open row, recounted from market_orders (absent = empty), against the sum of
    // market_order_counts over its shards; both in C++ so that one query text serves both backends.
    using Key = std::vector<std::string>;
    // A blob column as its bytes (NULL: empty, as the counts write absent values), an integer as its decimal.
    static Result<void> append_cell(const store::Row& row, std::size_t c, Key& k) {
        if (auto blob = row.get<std::optional<Bytes>>(c)) {
            k.push_back(*blob ? std::string(reinterpret_cast<const char*>((*blob)->data()), (*blob)->size())
                              : std::string());
            return {};
        }
        WP_TRY(std::int64_t i, row.get<std::int64_t>(c));
        k.push_back(std::to_string(i));
        return {};
    }
    static Result<Key> key_of(const store::Row& row) {
        Key k;
        for (std::size_t c = 0; c < row.size(); ++c) WP_TRY_VOID(append_cell(row, c, k));
        return k;
    }
    std::map<Key, std::int64_t> recount() {
        auto r = db_->read([&](store::Tx& tx) -> Result<std::map<Key, std::int64_t>> {
            std::map<Key, std::int64_t> out;
            WP_TRY(auto rows,
                   tx.query("SELECT chain_id, kind, app_restrict, dataset_restrict, requester_restrict, "
                            "workerpool_restrict, CASE WHEN kind = 3 THEN workerpool ELSE NULL END, category, "
                            "tag_w0, tag_w1, tag_w2, tag_w3, bulk FROM market_orders WHERE status = 0"));
            for (const auto& row : rows) {
                WP_TRY(Key k, key_of(row));
                out[k] += 1;
            }
            return out;
        });
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : std::map<Key, std::int64_t>{};
    }
    std::map<Key, std::int64_t> counted() {
        auto r = db_->read([&](store::Tx& tx) -> Result<std::map<Key, std::int64_t>> {
            std::map<Key, std::int64_t> out;
            WP_TRY(auto rows,
                   tx.query("SELECT chain_id, kind, app_restrict, dataset_restrict, requester_restrict, "
                            "workerpool_restrict, workerpool, category, tag_w0, tag_w1, tag_w2, tag_w3, bulk, "
                            "n FROM market_order_counts"));
            for (const auto& row : rows) {
                Key k;
                for (std::size_t c = 0; c + 1 < row.size(); ++c) WP_TRY_VOID(append_cell(row, c, k));
                WP_TRY(std::int64_t n, row.get<std::int64_t>(row.size() - 1));
                out[k] += n;
            }
            std::erase_if(out, [](const auto& kv) { return kv.second == 0; });
            return out;
        });
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : std::map<Key, std::int64_t>{};
    }
    std::int64_t total(const std::map<Key, std::int64_t>& m) {
        std::int64_t n = 0;
        for (const auto& [k, v] : m) n += v;
        return n;
    }
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(OrderCountsUpgradeTest);

TEST_P(OrderCountsUpgradeTest, AVersionOneDatabaseUpgradesAndEveryChangeKeepsTheCountsExact) {
    auto v1 = migrate_market_schema(*db_, 1);
    ASSERT_TRUE(v1) << v1.error().message;
    ASSERT_EQ(*v1, 1);
    // What a version-1 binary wrote: rows inserted, counted by the insert trigger.
    WorkerpoolOrder restricted = workerpool_order(2);
    restricted.requesterrestrict = addr(5, 0xe0);
    const std::vector<OrderRecord> old_rows{record_of(workerpool_order(1), 1), record_of(restricted, 2),
                                            record_of(app_order(3), 3), record_of(request_order(4), 4)};
    auto raw = db_->write([&](store::Tx& tx) -> Result<void> {
        for (const auto& r : old_rows) {
            const TagWords w = tag_words(order_tag(r.order));
            WP_TRY_VOID(tx.exec(
                "INSERT INTO market_orders (chain_id, order_hash, kind, status, signer, resource, price, volume, "
                "remaining, tag, tag_w0, tag_w1, tag_w2, tag_w3, category, requester_restrict, workerpool, order_json, "
                "published_ms, updated_ms) VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                "$15, $16, '{}', $17, $17)",
                r.chain_id, r.order_hash, kind_code(kind_of(r.order)), r.signer, addr(1, 0xb0), U256(1),
                order_volume(r.order), r.remaining, order_tag(r.order), w.w[0], w.w[1], w.w[2], w.w[3],
                std::holds_alternative<WorkerpoolOrder>(r.order) ? std::optional<U256>(U256(0)) : std::nullopt,
                std::holds_alternative<WorkerpoolOrder>(r.order)
                    ? std::optional<Address>(std::get<WorkerpoolOrder>(r.order).requesterrestrict)
                    : std::nullopt,
                std::holds_alternative<RequestOrder>(r.order)
                    ? std::optional<Address>(std::get<RequestOrder>(r.order).workerpool)
                    : std::nullopt,
                r.published_ms));
        }
        return {};
    });
    ASSERT_TRUE(raw) << raw.error().message;
    EXPECT_EQ(total(counted()), 4);
    EXPECT_EQ(counted(), recount());

    auto v2 = migrate_market_schema(*db_);
    ASSERT_TRUE(v2) << v2.error().message;
    EXPECT_EQ(*v2, 2);
    EXPECT_EQ(counted(), recount()) << "the upgrade keeps the counts";

    // Inserts, one and many: +1 each (the trigger is gone, the code counts; no double count).
    const OrderRecord one = record_of(workerpool_order(10), 10);
    auto r1 = db_->write([&](store::Tx& tx) { return insert_order(tx, one); });
    ASSERT_TRUE(r1) << r1.error().message;
    EXPECT_EQ(total(counted()), 5);
    DatasetOrder bulk = dataset_order(13);
    bulk.datasetprice = U256(0);
    bulk.volume = U256(kDatasetInfiniteVolume);
    const std::vector<OrderRecord> fresh{record_of(workerpool_order(11), 11), record_of(bulk, 13),
                                         record_of(request_order(14), 14)};
    auto rn = db_->write([&](store::Tx& tx) { return insert_new_orders(tx, fresh, 15); });
    ASSERT_TRUE(rn) << rn.error().message;
    EXPECT_EQ(*rn, 3);
    EXPECT_EQ(total(counted()), 8);
    EXPECT_EQ(counted(), recount());

    // Status changes both ways, a dead order published again, deletes (the triggers that remain).
    auto changes = db_->write([&](store::Tx& tx) -> Result<void> {
        WP_TRY_VOID(set_order_status(tx, kChain, one.order_hash, OrderStatus::kDead, 20));
        WP_TRY_VOID(set_order_status(tx, kChain, fresh[0].order_hash, OrderStatus::kFilled, 20));
        WP_TRY_VOID(set_order_status(tx, kChain, old_rows[1].order_hash, OrderStatus::kDead, 20));
        WP_TRY_VOID(set_order_status(tx, kChain, old_rows[1].order_hash, OrderStatus::kOpen, 21));
        return {};
    });
    ASSERT_TRUE(changes) << changes.error().message;
    EXPECT_EQ(total(counted()), 6);
    EXPECT_EQ(counted(), recount());
    auto republished = db_->write([&](store::Tx& tx) { return insert_order(tx, record_of(workerpool_order(10), 30)); });
    ASSERT_TRUE(republished) << republished.error().message;
    EXPECT_EQ(republished->published_ms, 10);
    EXPECT_EQ(total(counted()), 7);
    const std::vector<Bytes32> gone{old_rows[0].order_hash, fresh[1].order_hash, fresh[0].order_hash};
    auto deleted = db_->write([&](store::Tx& tx) { return delete_orders(tx, kChain, gone); });
    ASSERT_TRUE(deleted) << deleted.error().message;
    EXPECT_EQ(total(counted()), 5) << "the filled order was no longer counted";
    EXPECT_EQ(counted(), recount());

    // insert_new_orders with events (orders, counts and events in one query_batch). A hash stored already (the
    // request order 14 is still open): fewer rows inserted, the caller fails the transaction and nothing stays.
    const std::vector<OrderRecord> more{record_of(workerpool_order(16), 40), fresh[2]};
    const std::vector<MarketEvent> events{MarketEvent{0, kChain, "orders", "workerpoolorder_published", "{}", 40}};
    const auto last_seq = [&] {
        auto all = db_->read([&](store::Tx& tx) { return events_after(tx, 0, 100000); });
        EXPECT_TRUE(all) << all.error().message;
        return all && !all->empty() ? all->back().seq : 0;
    };
    const std::int64_t seq_before = last_seq();
    auto partial = db_->write([&](store::Tx& tx) -> Result<std::int64_t> {
        WP_TRY(std::int64_t n, insert_new_orders(tx, more, 41, events));
        EXPECT_EQ(n, 1);
        return make_error(Errc::kIo, "an order of the batch was inserted by another writer");
    });
    ASSERT_FALSE(partial);
    EXPECT_EQ(total(counted()), 5);
    EXPECT_EQ(counted(), recount());
    EXPECT_EQ(last_seq(), seq_before);
    auto inserted = db_->write(
        [&](store::Tx& tx) { return insert_new_orders(tx, std::span<const OrderRecord>(more).first(1), 41, events); });
    ASSERT_TRUE(inserted) << inserted.error().message;
    EXPECT_EQ(*inserted, 1);
    EXPECT_EQ(total(counted()), 6);
    EXPECT_EQ(counted(), recount());
    auto appended = db_->read([&](store::Tx& tx) { return events_after(tx, seq_before, 10); });
    ASSERT_TRUE(appended) << appended.error().message;
    ASSERT_EQ(appended->size(), 1U);
    EXPECT_EQ(appended->front().event, "workerpoolorder_published");
    EXPECT_EQ(appended->front().created_ms, 40);
}

}  // namespace
}  // namespace wp::market
