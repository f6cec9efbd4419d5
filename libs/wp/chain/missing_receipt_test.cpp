#include "missing_receipt.hpp"

#include <gtest/gtest.h>

namespace wp::chain {
namespace {

TEST(MissingReceiptWatch, NeedsThreeRoundsAndTheBlocks) {
    MissingReceiptWatch w;
    EXPECT_FALSE(w.missing(100, 3));
    EXPECT_FALSE(w.missing(105, 3));  // blocks passed, but only 2 rounds
    EXPECT_TRUE(w.missing(105, 3));
}

TEST(MissingReceiptWatch, RoundsAloneAreNotEnough) {
    MissingReceiptWatch slow;
    EXPECT_FALSE(slow.missing(100, 3));
    EXPECT_FALSE(slow.missing(101, 3));
    EXPECT_FALSE(slow.missing(102, 3));  // 3 rounds, 2 blocks
    EXPECT_TRUE(slow.missing(103, 3));
}

TEST(MissingReceiptWatch, AReceiptResetsTheWatch) {
    MissingReceiptWatch w;
    EXPECT_FALSE(w.missing(100, 0));
    EXPECT_FALSE(w.missing(100, 0));
    w.found();  // e.g. a reorg made the receipt reappear
    EXPECT_EQ(w.rounds(), 0u);
    EXPECT_FALSE(w.missing(200, 0));
    EXPECT_FALSE(w.missing(200, 0));
    EXPECT_TRUE(w.missing(200, 0));
}

}  // namespace
}  // namespace wp::chain
