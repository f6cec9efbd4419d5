#include "receipt_tracker.hpp"

#include <gtest/gtest.h>

#include "tx_part_test_support.hpp"

namespace wp::chain {
namespace {

using namespace wp::chain::testing;
using Kind = ReceiptTracker::Finding::Kind;

TEST(ReceiptTracker, AsksForEveryHashOfEveryUnminedNonceBelowTheCount) {
    SlotMap slots;
    slots[3] = slot_with(10, 3, {1, 2});  // original + replacement
    slots[4] = slot_with(11, 4, {3});
    slots[4].receipt = Receipt{};      // already mined: not asked again
    slots[5] = slot_with(12, 5, {4});  // at the count: not asked
    const auto q = ReceiptTracker::plan(slots, 5);
    ASSERT_EQ(q.calls.size(), 2u);
    EXPECT_EQ(q.calls[0].method, "eth_getTransactionReceipt");
    EXPECT_EQ(q.calls[0].params.at(0).as_string(), to_hex(hash_of(1)));
    EXPECT_EQ(q.calls[1].params.at(0).as_string(), to_hex(hash_of(2)));
    EXPECT_EQ(q.owner[0], (SlotRef{3, 10}));
    EXPECT_EQ(q.owner[1], (SlotRef{3, 10}));
    EXPECT_TRUE(ReceiptTracker::plan(slots, 3).empty());
}

TEST(ReceiptTracker, WhicheverHashWasMinedWinsAndFailuresOnlyDelay) {
    SlotMap slots;
    slots[0] = slot_with(1, 0, {1, 2});  // the replacement was mined
    slots[1] = slot_with(2, 1, {3, 4});  // one answer failed, the other is null: no conclusion
    slots[2] = slot_with(3, 2, {5});     // null: no receipt
    slots[3] = slot_with(4, 3, {6, 7});  // first answer failed, second mined: mined
    slots[4] = slot_with(5, 4, {8});     // unparsable receipt: no conclusion
    const auto q = ReceiptTracker::plan(slots, 10);
    ASSERT_EQ(q.calls.size(), 8u);
    std::vector<RpcResult<boost::json::value>> answers;
    answers.emplace_back(nullptr);
    answers.emplace_back(receipt_json(hash_of(2), 7, true));
    answers.emplace_back(tl::unexpected(timeout_error()));
    answers.emplace_back(nullptr);
    answers.emplace_back(nullptr);
    answers.emplace_back(tl::unexpected(timeout_error()));
    answers.emplace_back(receipt_json(hash_of(7), 8, false));
    answers.emplace_back(boost::json::object{{"transactionHash", "0x12"}});
    const auto findings = ReceiptTracker::read(q, answers);
    ASSERT_EQ(findings.size(), 5u);
    EXPECT_EQ(findings[0].slot, (SlotRef{0, 1}));
    EXPECT_EQ(findings[0].kind, Kind::kMined);
    EXPECT_EQ(findings[0].receipt->transaction_hash, hash_of(2));
    EXPECT_EQ(findings[0].receipt->block_number, 7u);
    EXPECT_EQ(findings[1].kind, Kind::kUnknown);
    EXPECT_EQ(findings[1].error, "timeout");
    EXPECT_EQ(findings[2].kind, Kind::kNoReceipt);
    EXPECT_EQ(findings[3].kind, Kind::kMined);
    EXPECT_FALSE(findings[3].receipt->status);
    EXPECT_EQ(findings[4].kind, Kind::kUnknown);
    EXPECT_NE(findings[4].error.find("eth_getTransactionReceipt"), std::string::npos) << findings[4].error;
}

TEST(ReceiptTracker, MissingAnswersAreUnknownNotAbsent) {
    SlotMap slots;
    slots[0] = slot_with(1, 0, {1, 2});
    const auto q = ReceiptTracker::plan(slots, 1);
    std::vector<RpcResult<boost::json::value>> answers;
    answers.emplace_back(nullptr);  // the second answer is missing
    const auto findings = ReceiptTracker::read(q, answers);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].kind, Kind::kUnknown);
}

TEST(SlotRef, ALateFindingForASlotThatLeftIsDropped) {
    SlotMap slots;
    slots[3] = slot_with(10, 3, {1});
    EXPECT_NE(find_slot(slots, SlotRef{3, 10}), nullptr);
    EXPECT_EQ(find_slot(slots, SlotRef{3, 11}), nullptr);  // the nonce has another owner now
    EXPECT_EQ(find_slot(slots, SlotRef{4, 10}), nullptr);
    slots.erase(3);
    EXPECT_EQ(find_slot(slots, SlotRef{3, 10}), nullptr);
}

}  // namespace
}  // namespace wp::chain
