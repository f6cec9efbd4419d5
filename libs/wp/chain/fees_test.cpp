// Fee policy, fee bumps, gas limits and transaction signing (chain/fees.hpp, chain/signing.hpp).
#include <gtest/gtest.h>

#include <limits>

#include <wp/chain/fees.hpp>
#include <wp/chain/signing.hpp>
#include <wp/core/hex.hpp>

namespace wp::chain {
namespace {

U256 u(std::string_view dec) { return U256::from_dec(dec).value(); }

TEST(Fees, Eip1559WhenTheBlockHasABaseFee) {
    // maxFee = 2 * baseFee + tip (the rule ethers 6 uses in getFeeData).
    auto fees = compute_fees({.base_fee = u("875000000"), .priority_fee = u("1000000000"), .gas_price = u("1")});
    ASSERT_TRUE(fees) << fees.error().message;
    EXPECT_EQ(fees->type, TxType::kDynamicFee);
    EXPECT_EQ(fees->max_priority_fee_per_gas, u("1000000000"));
    EXPECT_EQ(fees->max_fee_per_gas, u("2750000000"));
    EXPECT_EQ(fees->fee_cap(), u("2750000000"));
    EXPECT_EQ(fees->to_string(), "type 2, maxFee 2750000000 wei, tip 1 gwei");
}

TEST(Fees, TipFallsBackWhenTheNodeHasNoPriorityFeeMethod) {
    auto fees = compute_fees({.base_fee = u("7"), .priority_fee = std::nullopt, .gas_price = std::nullopt});
    ASSERT_TRUE(fees);
    EXPECT_EQ(fees->max_priority_fee_per_gas, U256(kGwei));
    EXPECT_EQ(fees->max_fee_per_gas, u("1000000014"));
    FeePolicy policy;
    policy.default_priority_fee = u("5");
    policy.base_fee_multiplier = 3;
    fees = compute_fees({.base_fee = u("7"), .priority_fee = std::nullopt, .gas_price = std::nullopt}, policy);
    ASSERT_TRUE(fees);
    EXPECT_EQ(fees->max_fee_per_gas, u("26"));
}

TEST(Fees, LegacyWithoutBaseFeeOrWhenForced) {
    auto fees = compute_fees({.base_fee = std::nullopt, .priority_fee = u("1"), .gas_price = u("20000000000")});
    ASSERT_TRUE(fees);
    EXPECT_EQ(fees->type, TxType::kLegacy);
    EXPECT_EQ(fees->gas_price, u("20000000000"));
    EXPECT_EQ(fees->to_string(), "legacy, gasPrice 20 gwei");
    FeePolicy legacy;
    legacy.force_legacy = true;
    fees = compute_fees({.base_fee = u("100"), .priority_fee = u("1"), .gas_price = u("300")}, legacy);
    ASSERT_TRUE(fees);
    EXPECT_EQ(fees->type, TxType::kLegacy);
    EXPECT_EQ(fees->gas_price, u("300"));
    auto missing = compute_fees({.base_fee = std::nullopt, .priority_fee = std::nullopt, .gas_price = std::nullopt});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "legacy fees: no gas price from the node");
}

TEST(Fees, CapsAreErrorsNotOverpayment) {
    FeePolicy policy;
    policy.max_fee_cap = u("2000000000");
    auto fees = compute_fees({.base_fee = u("1000000000"), .priority_fee = u("1000000000"), .gas_price = {}}, policy);
    ASSERT_FALSE(fees);
    EXPECT_EQ(fees.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(fees.error().message,
              "fee cap exceeded: the current market needs maxFeePerGas 3 gwei, above the cap of 2 gwei");
    policy.max_fee_cap = u("3000000000");  // equal to the cap is fine
    EXPECT_TRUE(compute_fees({.base_fee = u("1000000000"), .priority_fee = u("1000000000"), .gas_price = {}}, policy));
    policy.max_priority_fee_cap = u("999999999");
    fees = compute_fees({.base_fee = u("1000000000"), .priority_fee = u("1000000000"), .gas_price = {}}, policy);
    ASSERT_FALSE(fees);
    EXPECT_NE(fees.error().message.find("maxPriorityFeePerGas 1 gwei, above the cap of 999999999 wei"),
              std::string::npos);
    FeePolicy legacy_cap;
    legacy_cap.max_fee_cap = u("10");
    fees = compute_fees({.base_fee = {}, .priority_fee = {}, .gas_price = u("11")}, legacy_cap);
    ASSERT_FALSE(fees);
    EXPECT_NE(fees.error().message.find("gasPrice 11 wei"), std::string::npos);
}

TEST(Fees, BumpValueIsCeilingOfTenPercentAndStrictlyHigher) {
    // geth legacypool: a replacement needs new >= old * (100 + 10) / 100 on both fields, and strictly higher.
    EXPECT_EQ(bump_value(u("1000000000"), 10), u("1100000000"));
    EXPECT_EQ(bump_value(u("2000000001"), 10), u("2200000002"));  // 2200000001.1 rounded up
    EXPECT_EQ(bump_value(u("0"), 10), u("1"));                    // 0 -> strictly higher
    EXPECT_EQ(bump_value(u("5"), 10), u("6"));                    // 5.5 -> 6
    EXPECT_EQ(bump_value(u("9"), 0), u("10"));                    // +0 % still strictly higher
    EXPECT_EQ(bump_value(u("100"), 25), u("125"));
}

TEST(Fees, BumpValueNeverWraps) {
    const U256 max = ~U256();
    // 2^256 - 1 and values whose +10 % does not fit saturate instead of wrapping to a small number.
    EXPECT_EQ(bump_value(max, 10), max);
    const U256 big = U256::from_hex("0xf000000000000000000000000000000000000000000000000000000000000000").value();
    EXPECT_EQ(bump_value(big, 10), max);
    // Large values are exact: ceil(v * 110 / 100) = (v * 110 + 99) / 100.
    const U256 large = checked_div(max, U256(200u)).value();
    const U256 expected =
        checked_div(checked_add(checked_mul(large, U256(110u)).value(), U256(99u)).value(), U256(100u)).value();
    EXPECT_EQ(bump_value(large, 10), expected);
    EXPECT_GT(expected, large);
    // 100 + percent does not wrap in unsigned arithmetic: UINT_MAX % is a huge bump, not a -99 % one.
    EXPECT_EQ(bump_value(u("100"), std::numeric_limits<unsigned>::max()),
              checked_add(U256(100u), U256(std::numeric_limits<unsigned>::max())).value());
    // A fee already at 2^256 - 1 cannot be bumped: an error, not a "replacement" with the same fee.
    FeeParams top{.type = TxType::kLegacy, .gas_price = max, .max_fee_per_gas = {}, .max_priority_fee_per_gas = {}};
    auto bumped = bump_fees(top, std::nullopt);
    ASSERT_FALSE(bumped);
    EXPECT_EQ(bumped.error().code, Errc::kInvalidArgument);
}

TEST(Fees, BumpFollowsTheMarketAndRespectsTheCap) {
    FeeParams old{.type = TxType::kDynamicFee,
                  .gas_price = {},
                  .max_fee_per_gas = u("3000000000"),
                  .max_priority_fee_per_gas = u("1000000000")};
    auto bumped = bump_fees(old, std::nullopt);
    ASSERT_TRUE(bumped);
    EXPECT_EQ(bumped->max_fee_per_gas, u("3300000000"));
    EXPECT_EQ(bumped->max_priority_fee_per_gas, u("1100000000"));
    // The market moved above the bump: follow it (field by field).
    FeeParams market{.type = TxType::kDynamicFee,
                     .gas_price = {},
                     .max_fee_per_gas = u("5000000000"),
                     .max_priority_fee_per_gas = u("1000000000")};
    bumped = bump_fees(old, market);
    ASSERT_TRUE(bumped);
    EXPECT_EQ(bumped->max_fee_per_gas, u("5000000000"));
    EXPECT_EQ(bumped->max_priority_fee_per_gas, u("1100000000"));
    FeePolicy capped;
    capped.max_fee_cap = u("3200000000");
    bumped = bump_fees(old, std::nullopt, capped);
    ASSERT_FALSE(bumped);
    EXPECT_EQ(bumped.error().message,
              "fee cap exceeded: replacement needs maxFeePerGas 3300000000 wei, above the cap of 3200000000 wei");
    FeeParams legacy{
        .type = TxType::kLegacy, .gas_price = u("20000000000"), .max_fee_per_gas = {}, .max_priority_fee_per_gas = {}};
    bumped = bump_fees(legacy, std::nullopt);
    ASSERT_TRUE(bumped);
    EXPECT_EQ(bumped->gas_price, u("22000000000"));
    EXPECT_FALSE(bump_fees(legacy, old));  // type mismatch
}

TEST(Gas, MarginCapAndBlockLimit) {
    EXPECT_EQ(gas_limit_for(21000, 30'000'000, {}, "x").value(), 25200u);
    EXPECT_EQ(gas_limit_for(100001, 30'000'000, {}, "x").value(), 120002u);  // 120001.2 rounded up
    GasPolicy policy{.margin_percent = 150, .max_gas = 1'000'000};
    EXPECT_EQ(gas_limit_for(600'000, 30'000'000, policy, "x").value(), 900'000u);
    EXPECT_EQ(gas_limit_for(900'000, 30'000'000, policy, "x").value(), 1'000'000u);  // margin clipped at the cap
    auto over = gas_limit_for(1'000'001, 30'000'000, policy, "matchOrders");
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().message, "matchOrders: needs 1000001 gas, above the cap of 1000000");
    EXPECT_EQ(gas_limit_for(29'000'000, 30'000'000, {}, "x").value(), 30'000'000u);  // never above the block
    EXPECT_FALSE(gas_limit_for(31'000'000, 30'000'000, {}, "x"));
    GasPolicy no_margin{.margin_percent = 50, .max_gas = std::nullopt};  // below 100 % means 100 %
    EXPECT_EQ(gas_limit_for(50'000, 30'000'000, no_margin, "x").value(), 50'000u);
}

TEST(Gas, DescribeRevert) {
    DecodedRevert reason;
    reason.kind = DecodedRevert::Kind::kErrorString;
    reason.reason = "iExecV5-matchOrders-0x60";
    EXPECT_EQ(describe_revert("matchOrders", "gas estimation reverted", reason),
              "matchOrders: gas estimation reverted: iExecV5-matchOrders-0x60");
    DecodedRevert empty;
    EXPECT_EQ(describe_revert("contribute", "reverted", empty), "contribute: reverted: reverted without data");
}

TEST(Signing, Eip155ExampleTransaction) {
    // The example of https://eips.ethereum.org/EIPS/eip-155 (chain id 1, nonce 9, 20 gwei, key 0x4646...46).
    auto key = PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646").value();
    TxRequest request{Address::parse("0x3535353535353535353535353535353535353535").value(),
                      {},
                      u("1000000000000000000"),
                      21000,
                      "eip155"};
    FeeParams fees{
        .type = TxType::kLegacy, .gas_price = u("20000000000"), .max_fee_per_gas = {}, .max_priority_fee_per_gas = {}};
    auto signed_tx = sign_transaction(request, key, 1, 9, fees);
    ASSERT_TRUE(signed_tx) << signed_tx.error().message;
    EXPECT_EQ(to_hex(signed_tx->raw),
              "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340b"
              "d939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc6421"
              "4b297fb1966a3b6d83");
    EXPECT_EQ(signed_tx->nonce, 9u);
    EXPECT_EQ(signed_tx->description, "eip155");
    EXPECT_EQ(signed_tx->hash, tx::tx_hash(signed_tx->raw));
    auto decoded = tx::decode(signed_tx->raw).value();
    EXPECT_EQ(fees_of(decoded), fees);
}

TEST(Signing, DynamicFeeFieldsAndSender) {
    auto key = PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
    FeeParams fees{.type = TxType::kDynamicFee,
                   .gas_price = {},
                   .max_fee_per_gas = u("3000000000"),
                   .max_priority_fee_per_gas = u("1000000000")};
    TxRequest request{std::nullopt, Bytes{0x60, 0x00}, U256(), 60000, "create"};
    auto signed_tx = sign_transaction(request, key, 31337, 4, fees).value();
    EXPECT_EQ(signed_tx.raw.front(), 0x02);
    auto decoded = tx::decode(signed_tx.raw).value();
    EXPECT_EQ(decoded.nonce, 4u);
    EXPECT_EQ(decoded.chain_id, 31337u);
    EXPECT_EQ(decoded.gas_limit, 60000u);
    EXPECT_FALSE(decoded.to.has_value());
    EXPECT_EQ(fees_of(decoded), fees);
    EXPECT_EQ(tx::sender(decoded).value().to_checksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
}

}  // namespace
}  // namespace wp::chain
