#include "confirmer.hpp"

#include <gtest/gtest.h>

#include "tx_part_test_support.hpp"

namespace wp::chain {
namespace {

using namespace wp::chain::testing;
using RecheckKind = Confirmer::Recheck::Kind;

// Error(string) "bad": what a node returns as the revert data of a require(false, "bad").
constexpr const char* kBadRevert =
    "0x08c379a0"
    "0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "6261640000000000000000000000000000000000000000000000000000000000";

Receipt receipt_at(const Bytes32& tx, std::uint64_t block, bool status, std::uint8_t block_tag = 0xbb) {
    return parse_receipt(receipt_json(tx, block, status, block_tag)).value();
}

Confirmer::Item item(std::uint64_t confirmations, bool status, SlotKind kind = SlotKind::kCall) {
    Confirmer::Item i;
    i.slot = SlotRef{4, 9};
    i.description = "initialize";
    i.kind = kind;
    i.confirmations = confirmations;
    i.request = TxRequest{Address::parse("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").value(), Bytes{0x12, 0x34},
                          U256(), 100'000, "initialize"};
    i.receipt = receipt_at(hash_of(1), 10, status);
    return i;
}

TEST(Confirmer, DueAtTheConfirmationDepthOnly) {
    SlotMap slots;
    slots[1] = slot_with(1, 1, {1});
    slots[1].receipt = receipt_at(hash_of(1), 10, true);  // 1 confirmation: due at head 10
    slots[2] = slot_with(2, 2, {2});
    slots[2].confirmations = 3;
    slots[2].receipt = receipt_at(hash_of(2), 10, true);  // due at head 12
    slots[3] = slot_with(3, 3, {3});                      // no receipt
    auto due = Confirmer::due(slots, 9);
    EXPECT_TRUE(due.empty());
    due = Confirmer::due(slots, 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].slot, (SlotRef{1, 1}));
    EXPECT_FALSE(due[0].needs_recheck());
    due = Confirmer::due(slots, 12);
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[1].slot, (SlotRef{2, 2}));
    EXPECT_TRUE(due[1].needs_recheck());
    EXPECT_EQ(due[1].receipt.transaction_hash, hash_of(2));
}

TEST(Confirmer, RecheckSeesTheSameBlockAMoveOrAReorg) {
    const auto i = item(3, true);
    const auto call = Confirmer::recheck_call(i);
    EXPECT_EQ(call.method, "eth_getTransactionReceipt");
    EXPECT_EQ(call.params.at(0).as_string(), to_hex(hash_of(1)));

    EXPECT_EQ(Confirmer::read_recheck(i, receipt_json(hash_of(1), 10, true)).kind, RecheckKind::kSame);
    const auto moved = Confirmer::read_recheck(i, receipt_json(hash_of(1), 11, true, 0xcc));
    EXPECT_EQ(moved.kind, RecheckKind::kMoved);
    EXPECT_EQ(moved.receipt->block_number, 11u);
    EXPECT_FALSE(Confirmer::at_depth(*moved.receipt, 3, 12));
    EXPECT_TRUE(Confirmer::at_depth(*moved.receipt, 3, 13));
    EXPECT_EQ(Confirmer::read_recheck(i, boost::json::value(nullptr)).kind, RecheckKind::kGone);
    const auto failed = Confirmer::read_recheck(i, tl::unexpected(timeout_error()));
    EXPECT_EQ(failed.kind, RecheckKind::kUnknown);
    EXPECT_EQ(failed.error, "timeout");
    EXPECT_EQ(Confirmer::read_recheck(i, boost::json::value("0x1")).kind, RecheckKind::kUnknown);
}

TEST(Confirmer, ReplayOfARevertedCallAtItsBlock) {
    const auto reverted = item(1, false);
    EXPECT_TRUE(reverted.needs_replay());
    EXPECT_FALSE(item(1, true).needs_replay());
    EXPECT_FALSE(item(1, false, SlotKind::kFiller).needs_replay());
    const auto from = Address::parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").value();
    const auto call = Confirmer::replay_call(reverted, from);
    EXPECT_EQ(call.method, "eth_call");
    EXPECT_EQ(call.params.at(1).as_string(), "0xa");  // the receipt's block
    const auto& tx = call.params.at(0).as_object();
    EXPECT_EQ(tx.at("data").as_string(), "0x1234");
    EXPECT_EQ(tx.at("gas").as_string(), "0x186a0");
    EXPECT_FALSE(tx.contains("value"));  // 0 is omitted

    const auto& decoder = default_revert_decoder();
    auto bad =
        Confirmer::read_replay(reverted, tl::unexpected(rpc_error(3, "execution reverted: bad", kBadRevert)), decoder);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->kind, DecodedRevert::Kind::kErrorString);
    EXPECT_EQ(bad->reason, "bad");
    EXPECT_EQ(Confirmer::revert_message(reverted, *bad),
              "initialize: reverted: bad (nonce 4, tx " + to_hex(hash_of(1)) + ")");

    // A transport error: no conclusion, replayed again next round.
    EXPECT_FALSE(Confirmer::read_replay(reverted, tl::unexpected(timeout_error()), decoder));

    // The replay did not revert (the state changed since): what we know.
    auto unknown = Confirmer::read_replay(reverted, boost::json::value("0x"), decoder);
    ASSERT_TRUE(unknown);
    EXPECT_EQ(Confirmer::revert_message(reverted, *unknown),
              "initialize: reverted: unknown reason (the replay at block 10 did not revert) (nonce 4, tx " +
                  to_hex(hash_of(1)) + ")");
    auto out_of_gas = item(1, false);
    out_of_gas.receipt.gas_used = out_of_gas.request.gas_limit;
    auto oog = Confirmer::read_replay(out_of_gas, boost::json::value("0x"), decoder);
    ASSERT_TRUE(oog);
    EXPECT_EQ(oog->reason, "out of gas (gas limit 100000)");
}

}  // namespace
}  // namespace wp::chain
