// Amounts as the SDK 9.0.1 reads and prints them (validator.js nRlcAmountSchema, ethers parseUnits / formatUnits);
// the expected values and messages are the SDK's (sdk-cli-and-market.md §1 "Values").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amount.hpp"

namespace wp::cli {
namespace {

std::string parsed(std::string_view text) {
    auto v = parse_nrlc_amount(text);
    return v ? v->to_dec() : "error: " + v.error().message;
}

TEST(Amount, ParsesTheSdkForms) {
    EXPECT_EQ(parsed("5"), "5");
    EXPECT_EQ(parsed("5 nRLC"), "5");
    EXPECT_EQ(parsed("5 RLC"), "5000000000");
    EXPECT_EQ(parsed("1.5 RLC"), "1500000000");
    EXPECT_EQ(parsed("0.5 RLC"), "500000000");
    EXPECT_EQ(parsed(".5 RLC"), "500000000");
    EXPECT_EQ(parsed("007"), "7");
    EXPECT_EQ(parsed("0"), "0");
    EXPECT_EQ(parsed("5.000 nRLC"), "5");
    EXPECT_EQ(parsed("1.000000001 RLC"), "1000000001");
    const std::vector<std::string> two{"1.5", "RLC"};
    EXPECT_EQ(parse_nrlc_amount(two)->to_dec(), "1500000000");
    const std::vector<std::string> one{"42"};
    EXPECT_EQ(parse_nrlc_amount(one)->to_dec(), "42");
    EXPECT_EQ(parse_nrlc_amount("2", "RLC")->to_dec(), "2000000000");
}

TEST(Amount, RefusesWithTheSdkMessage) {
    EXPECT_EQ(parsed("0.5"), "error: 0.5 is not a valid amount");
    EXPECT_EQ(parsed("1 ETH"), "error: 1 ETH is not a valid amount");
    EXPECT_EQ(parsed("1.0000000001 RLC"), "error: 1.0000000001 RLC is not a valid amount");
    EXPECT_EQ(parsed("-1"), "error: -1 is not a valid amount");
    EXPECT_EQ(parsed("abc"), "error: abc is not a valid amount");
    EXPECT_EQ(parsed(""), "0");  // the SDK too: leading zeros stripped, then "" -> "0"
    EXPECT_EQ(parsed("."), "error: . is not a valid amount");
    EXPECT_EQ(parsed("1 RLC x"), "error: 1 RLC x is not a valid amount");
    EXPECT_EQ(parsed("1e3"), "error: 1e3 is not a valid amount");
    const std::vector<std::string> three{"1", "RLC", "x"};
    EXPECT_EQ(parse_nrlc_amount(three).error().message, "1 RLC x is not a valid amount");
    // 2^256 nRLC does not fit.
    EXPECT_FALSE(parse_nrlc_amount("115792089237316195423570985008687907853269984665640564039457584007913129639936"));
}

std::string wei(std::vector<std::string> args, std::string_view default_unit = "ether") {
    auto v = parse_wei_amount(args, default_unit);
    return v ? v->to_dec() : "error: " + v.error().message;
}

TEST(Amount, ParsesWeiAmountsWithTheEthersUnits) {
    EXPECT_EQ(wei({"1"}), "1000000000000000000");
    EXPECT_EQ(wei({"1000", "wei"}), "1000");
    EXPECT_EQ(wei({"1.5", "gwei"}), "1500000000");
    EXPECT_EQ(wei({"2 finney"}), "2000000000000000");
    EXPECT_EQ(wei({"0.5", "eth"}), "500000000000000000");
    EXPECT_EQ(wei({"3", ""}, "wei"), "3");
    EXPECT_EQ(wei({"1", "RLC"}), "error: 1 RLC is not a valid amount");
    EXPECT_EQ(wei({"0.5", "wei"}), "error: 0.5 wei is not a valid amount");
    EXPECT_EQ(wei({"1", "wei", "x"}), "error: 1 wei x is not a valid amount");
    EXPECT_EQ(wei({"abc"}), "error: abc is not a valid amount");
}

TEST(Amount, FormatsLikeEthersFormatUnits) {
    EXPECT_EQ(format_rlc(U256(5'000'000'000)), "5.0");
    EXPECT_EQ(format_rlc(U256(1'500'000'000)), "1.5");
    EXPECT_EQ(format_rlc(U256(1)), "0.000000001");
    EXPECT_EQ(format_rlc(U256(0)), "0.0");
    EXPECT_EQ(format_rlc(U256(900000000000000)), "900000.0");
    // Observed with the SDK 9.0.1 (wallet show): 999999999917186846803012 wei.
    EXPECT_EQ(format_eth(*U256::from_dec("999999999917186846803012")), "999999.999917186846803012");
    EXPECT_EQ(format_units(U256(7), 0), "7.0");
}

}  // namespace
}  // namespace wp::cli
