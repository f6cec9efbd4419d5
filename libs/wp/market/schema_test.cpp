// The market schema on SQLite and PostgreSQL: the migration applies, is idempotent, and the tag words support the
// exact bit filters the search uses (docs/market.md).
#include "schema.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include <wp/protocol/tag.hpp>
#include <wp/store/backend_test.hpp>

namespace wp::market {
namespace {

TEST(TagWords, SplitTheTagIntoFourLittleEndianWordsOfBits) {
    const auto words = tag_words(make_tag(0x109));
    EXPECT_EQ(words.w[0], 0x109);
    EXPECT_EQ(words.w[1], 0);
    Bytes32 high{};
    high[0] = 0x80;  // bit 255
    high[31] = 0x01;
    const auto hw = tag_words(high);
    EXPECT_EQ(hw.w[0], 1);
    EXPECT_EQ(hw.w[3], std::numeric_limits<std::int64_t>::min());
}

class MarketSchemaTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("market_schema");
        if (HasFatalFailure()) return;
    }
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(MarketSchemaTest);

TEST_P(MarketSchemaTest, MigratesOnceAndTagBitFiltersAreExactInSql) {
    auto v = migrate_market_schema(*db_);
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(*v, 2);
    auto again = migrate_market_schema(*db_);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, 2);

    // A tag with bit 63 set (negative int64 word) and bit 0: the SQL bit tests must treat the words as bit patterns.
    Bytes32 tag{};
    tag[24] = 0x80;
    tag[31] = 0x01;
    const auto w = tag_words(tag);
    auto n = db_->write([&](store::Tx& tx) -> Result<std::int64_t> {
        WP_TRY_VOID(tx.exec("CREATE TABLE t (w BIGINT NOT NULL)"));
        WP_TRY_VOID(tx.exec("INSERT INTO t (w) VALUES ($1)", w.w[0]));
        // minTag 0x1: all its bits present; maxTag 0x…01 (bit 63 missing): a bit outside it.
        WP_TRY(auto has_min, tx.query_row("SELECT COUNT(*) FROM t WHERE (w & $1) = $1", std::int64_t{1}));
        WP_TRY(auto outside, tx.query_row("SELECT COUNT(*) FROM t WHERE (w & $1) <> 0", ~std::int64_t{1}));
        WP_TRY(auto a, has_min.get<std::int64_t>(0));
        WP_TRY(auto b, outside.get<std::int64_t>(0));
        return a * 10 + b;
    });
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 11);
}

}  // namespace
}  // namespace wp::market
