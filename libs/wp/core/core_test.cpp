#include <gtest/gtest.h>

#include <wp/core/address.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/core/uint256.hpp>

namespace wp {
namespace {

TEST(Hex, RoundTrip) {
    EXPECT_EQ(to_hex(Bytes{}), "0x");
    EXPECT_EQ(to_hex(Bytes{0x00, 0xab, 0xff}), "0x00abff");
    EXPECT_EQ(*from_hex("0x00ABff"), (Bytes{0x00, 0xab, 0xff}));
    EXPECT_EQ(*from_hex("0x"), Bytes{});
}

TEST(Hex, StrictErrors) {
    auto e = from_hex("abcd");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, Errc::kInvalidHex);
    EXPECT_EQ(e.error().message, "missing 0x prefix");
    e = from_hex("0xabc");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().message, "odd number of hex digits (3)");
    e = from_hex("0xabzd");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().message, "invalid hex digit 'z' at position 4");
    EXPECT_FALSE(from_hex("0X12"));
    EXPECT_FALSE(from_hex(" 0x12"));
    EXPECT_FALSE(from_hex("0x12 "));
    EXPECT_TRUE(from_hex_lenient_prefix("abcd"));
    EXPECT_FALSE(bytes32_from_hex("0x1234"));
    EXPECT_EQ(bytes32_from_hex("0x1234").error().code, Errc::kInvalidLength);
}

TEST(Keccak, KnownValues) {
    EXPECT_EQ(to_hex(keccak256(Bytes{})), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    EXPECT_EQ(to_hex(keccak256(as_bytes("iExecKitty"))),
              "0x99c2268479b93fde36232351229815df80837e247066f0acfcf087b5d9321d3d");
    Keccak256 inc;
    inc.update(as_bytes("iExec")).update(as_bytes("Kitty"));
    EXPECT_EQ(inc.finalize(), keccak256(as_bytes("iExecKitty")));
    // Crosses the 136-byte rate boundary.
    std::string big(1000, 'a');
    Keccak256 inc2;
    for (char c : big) inc2.update(as_bytes(std::string_view(&c, 1)));
    EXPECT_EQ(inc2.finalize(), keccak256(as_bytes(big)));
}

TEST(U256, ParseDecimal) {
    EXPECT_EQ(U256::from_dec("0")->to_dec(), "0");
    EXPECT_EQ(U256::from_dec("1000000000")->to_dec(), "1000000000");
    const std::string max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    EXPECT_EQ(U256::from_dec(max)->to_dec(), max);
    EXPECT_EQ(*U256::from_dec(max), U256::max());
    auto over = U256::from_dec("115792089237316195423570985008687907853269984665640564039457584007913129639936");
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, Errc::kOverflow);
    EXPECT_FALSE(U256::from_dec(""));
    EXPECT_FALSE(U256::from_dec("-1"));
    EXPECT_FALSE(U256::from_dec("1e9"));
    EXPECT_FALSE(U256::from_dec(" 1"));
    EXPECT_FALSE(U256::from_dec("1.5"));
}

TEST(U256, ParseHex) {
    EXPECT_EQ(U256::from_hex("0x0")->to_dec(), "0");
    EXPECT_EQ(U256::from_hex("0xff")->to_dec(), "255");
    EXPECT_EQ(*U256::from_hex("0x" + std::string(64, 'f')), U256::max());
    EXPECT_FALSE(U256::from_hex("0x1" + std::string(64, '0')));
    EXPECT_FALSE(U256::from_hex("0x"));
    EXPECT_FALSE(U256::from_hex("ff"));
    EXPECT_EQ(U256(255).to_hex_quantity(), "0xff");
    EXPECT_EQ(U256(0).to_hex_quantity(), "0x0");
    EXPECT_EQ(U256(256).to_hex_quantity(), "0x100");
}

TEST(U256, CheckedArithmetic) {
    EXPECT_EQ(*checked_add(U256(2), U256(3)), U256(5));
    EXPECT_EQ(checked_add(U256::max(), U256(1)).error().code, Errc::kOverflow);
    EXPECT_EQ(checked_sub(U256(2), U256(3)).error().code, Errc::kOverflow);
    EXPECT_EQ(*checked_sub(U256(3), U256(3)), U256(0));
    EXPECT_EQ(*checked_mul(U256(7), U256(6)), U256(42));
    EXPECT_FALSE(checked_mul(U256::max(), U256(2)));
    EXPECT_TRUE(checked_mul(U256::max(), U256(1)));
    EXPECT_EQ(*checked_div(U256(7), U256(2)), U256(3));
    EXPECT_FALSE(checked_div(U256(7), U256(0)));
    EXPECT_EQ(*checked_mod(U256(7), U256(4)), U256(3));
}

TEST(U256, Bytes) {
    EXPECT_EQ(U256(0).to_be_minimal(), Bytes{});
    EXPECT_EQ(U256(0x0100).to_be_minimal(), (Bytes{0x01, 0x00}));
    EXPECT_EQ(U256::from_be32(U256(12345).to_be32()), U256(12345));
    EXPECT_FALSE(U256::from_be(Bytes(33, 1)));
    EXPECT_EQ(U256(1).bit_length(), 1u);
    EXPECT_EQ(U256::max().bit_length(), 256u);
}

TEST(Address, Eip55) {
    // EIP-55 examples.
    for (const char* s : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                          "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
        auto a = Address::parse(s);
        ASSERT_TRUE(a) << s;
        EXPECT_EQ(a->to_checksum(), s);
    }
    EXPECT_TRUE(Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
    EXPECT_TRUE(Address::parse("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"));
    auto bad = Address::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidChecksum);
    EXPECT_FALSE(Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"));
    EXPECT_FALSE(Address::parse("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
    const auto a = *Address::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    EXPECT_EQ(Address::from_word(a.to_word()), a);
}

}  // namespace
}  // namespace wp
