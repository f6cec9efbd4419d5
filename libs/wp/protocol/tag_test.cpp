#include "tag.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>

namespace wp {
namespace {

namespace json = boost::json;

std::string error_of(const Result<Bytes32>& r) { return r ? tag_to_hex(*r) : "error: " + r.error().message; }
std::string error_of(const Result<void>& r) { return r ? std::string("ok") : r.error().message; }

TEST(Tag, EncodeNames) {
    // sdk-cli-and-market.md §3.2 table.
    EXPECT_EQ(error_of(encode_tag("tee,tdx")), "0x0000000000000000000000000000000000000000000000000000000000000009");
    EXPECT_EQ(error_of(encode_tag("gpu")), "0x0000000000000000000000000000000000000000000000000000000000000100");
    EXPECT_EQ(error_of(encode_tag("tee,tdx,gpu")), "0x0000000000000000000000000000000000000000000000000000000000000109");
    const std::vector<std::string> names{"tee", "scone"};
    EXPECT_EQ(error_of(encode_tag(std::span<const std::string>(names))),
              "0x0000000000000000000000000000000000000000000000000000000000000003");
    EXPECT_EQ(error_of(encode_tag("gramine,tee")), "0x0000000000000000000000000000000000000000000000000000000000000005");
    // Empty entries are ignored; duplicates are harmless.
    EXPECT_EQ(error_of(encode_tag("")), "0x0000000000000000000000000000000000000000000000000000000000000000");
    EXPECT_EQ(error_of(encode_tag("tee,,tdx,tee")), "0x0000000000000000000000000000000000000000000000000000000000000009");
    EXPECT_EQ(error_of(encode_tag("tee,foo")), "error: tee,foo is not a valid tag. Unknown tag foo");
    EXPECT_EQ(error_of(encode_tag("TEE")), "error: TEE is not a valid tag. Unknown tag TEE");
    EXPECT_EQ(error_of(encode_tag("tee, tdx")), "error: tee, tdx is not a valid tag. Unknown tag  tdx");
}

TEST(Tag, Decode) {
    EXPECT_EQ(*decode_tag(make_tag(0x109)), (std::vector<std::string>{"tee", "tdx", "gpu"}));
    EXPECT_EQ(*decode_tag(make_tag(0)), std::vector<std::string>{});
    EXPECT_EQ(*decode_tag(make_tag(0xf)), (std::vector<std::string>{"tee", "scone", "gramine", "tdx"}));
    EXPECT_EQ(decode_tag(make_tag(0x11)).error().message, "Unknown bit 4 in tag");
    Bytes32 top;
    top[0] = 0x80;
    EXPECT_EQ(decode_tag(top).error().message, "Unknown bit 255 in tag");
}

TEST(Tag, Parse) {
    EXPECT_EQ(*parse_tag("0x0000000000000000000000000000000000000000000000000000000000000009"), make_tag(9));
    EXPECT_EQ(*parse_tag("0X00000000000000000000000000000000000000000000000000000000000001A0"), make_tag(0x1a0));
    EXPECT_EQ(error_of(parse_tag("0x9")), "error: 0x9 is not a valid bytes32 hexstring");
    EXPECT_EQ(error_of(parse_tag("0x000000000000000000000000000000000000000000000000000000000000000g")),
              "error: 0x000000000000000000000000000000000000000000000000000000000000000g is not a valid bytes32 hexstring");
    EXPECT_EQ(*parse_tag("tee,tdx"), make_tag(9));
    EXPECT_EQ(*parse_tag(json::parse(R"(["tee","tdx","gpu"])")), make_tag(0x109));
    EXPECT_EQ(*parse_tag(json::parse(R"("gpu")")), make_tag(0x100));
    EXPECT_EQ(error_of(parse_tag(json::parse(R"(["tee","x"])"))), "error: tee,x is not a valid tag. Unknown tag x");
    EXPECT_FALSE(parse_tag(json::parse(R"([1])")));
    EXPECT_FALSE(parse_tag(json::parse(R"(9)")));
    // Unknown bits are accepted as hex (only decode_tag names them).
    EXPECT_TRUE(parse_tag("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
}

TEST(Tag, BitHelpers) {
    EXPECT_TRUE(tag_has_bit(make_tag(0x100), kTagBitGpu));
    EXPECT_FALSE(tag_has_bit(make_tag(0x100), kTagBitTee));
    EXPECT_FALSE(tag_has_bit(make_tag(1), 256));
    EXPECT_EQ(tag_or(make_tag(0x1), make_tag(0x108)), make_tag(0x109));
    EXPECT_EQ(tag_and(make_tag(0x109), make_tag(0x101)), make_tag(0x101));
    EXPECT_EQ(tag_strip_tee_framework(make_tag(0x10f)), make_tag(0x101));
    EXPECT_EQ(tag_missing_bits(make_tag(0x9), make_tag(0x109)), std::vector<unsigned>{8});
    EXPECT_EQ(tag_missing_bits(make_tag(0x109), make_tag(0x9)), std::vector<unsigned>{});
    EXPECT_EQ(make_tag(0x0102030405060708)[24], 0x01);
    ASSERT_EQ(tag_names().size(), 5u);
    EXPECT_EQ(tag_names()[3].name, "tdx");
    EXPECT_EQ(tag_names()[4].bit, 8u);
}

TEST(TagRules, SdkMessages) {
    // Messages and cases of the SDK 9.x tagSchema tests (validator.test.js).
    const TagRules strict{};
    EXPECT_EQ(error_of(validate_tag(make_tag(0x1), strict)), "'tee' tag must be used with a tee framework ('tdx')");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x8), strict)), "'tdx' tag must be used with 'tee' tag");
    EXPECT_EQ(error_of(validate_tag(make_tag(0xb), strict)), "Unsupported legacy TEE framework tag ('scone')");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x3), strict)), "Unsupported legacy TEE framework tag ('scone')");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x5), strict)), "Unsupported legacy TEE framework tag ('gramine')");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x7), strict)), "Unsupported legacy TEE framework tag ('gramine', 'scone')");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x9), strict)), "ok");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x0), strict)), "ok");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x100), strict)), "ok");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x109), strict)), "ok");
    EXPECT_EQ(error_of(validate_tag(make_tag(0x1), TagRules{true, false})), "ok");
}

TEST(TagRules, PerOrderKind) {
    // protocol.md §9: valid app/workerpool tags are 0x0, 0x9, 0x100, 0x109.
    for (OrderKind kind : {OrderKind::kApp, OrderKind::kWorkerpool}) {
        for (std::uint64_t ok : {0x0ull, 0x9ull, 0x100ull, 0x109ull}) EXPECT_TRUE(validate_order_tag(kind, make_tag(ok))) << ok;
        for (std::uint64_t bad : {0x1ull, 0x3ull, 0x5ull, 0x8ull, 0x101ull, 0x2ull}) EXPECT_FALSE(validate_order_tag(kind, make_tag(bad))) << bad;
    }
    // Request orders: agnostic tee allowed, legacy rejected.
    EXPECT_TRUE(validate_order_tag(OrderKind::kRequest, make_tag(0x1)));
    EXPECT_TRUE(validate_order_tag(OrderKind::kRequest, make_tag(0x101)));
    EXPECT_FALSE(validate_order_tag(OrderKind::kRequest, make_tag(0x3)));
    EXPECT_FALSE(validate_order_tag(OrderKind::kRequest, make_tag(0x8)));
    // Dataset orders: agnostic tee allowed, legacy framework bits ignored.
    EXPECT_TRUE(validate_order_tag(OrderKind::kDataset, make_tag(0x1)));
    EXPECT_TRUE(validate_order_tag(OrderKind::kDataset, make_tag(0x3)));
    EXPECT_TRUE(validate_order_tag(OrderKind::kDataset, make_tag(0x5)));
    EXPECT_TRUE(validate_order_tag(OrderKind::kDataset, make_tag(0x2)));
    EXPECT_FALSE(validate_order_tag(OrderKind::kDataset, make_tag(0x8)));
    EXPECT_TRUE(sdk_tag_rules(OrderKind::kDataset).ignore_legacy_tee_framework);
    EXPECT_FALSE(sdk_tag_rules(OrderKind::kWorkerpool).allow_agnostic_tee);
}

TEST(TagRules, WorkerpoolOfferSeedRules) {
    // "Manage a workerpool": standard 0x0, Scone 0x3, Gramine 0x5 (+ TDX 0x9), optional GPU; TEE ⇒ trust 1.
    EXPECT_EQ(error_of(validate_workerpool_offer(make_tag(0x0), 0)), "ok");
    EXPECT_EQ(error_of(validate_workerpool_offer(make_tag(0x0), 5)), "ok");
    EXPECT_EQ(error_of(validate_workerpool_offer(make_tag(0x100), 3)), "ok");
    for (std::uint64_t tee : {0x3ull, 0x5ull, 0x9ull, 0x103ull, 0x105ull, 0x109ull}) {
        EXPECT_EQ(error_of(validate_workerpool_offer(make_tag(tee), 1)), "ok") << tee;
        EXPECT_EQ(error_of(validate_workerpool_offer(make_tag(tee), 0)), "ok") << tee;  // 0 counts as 1
        EXPECT_EQ(error_of(validate_workerpool_offer(make_tag(tee), 2)),
                  "TEE workerpool orders must have trust 1 (0 counts as 1; got 2)");
    }
    EXPECT_EQ(error_of(validate_workerpool_offer(make_tag(0x1), 1)),
              "Unsupported workerpool order tag 0x0000000000000000000000000000000000000000000000000000000000000001; "
              "supported: 0x0, 0x3, 0x5, 0x9, optionally | 0x100");
    EXPECT_FALSE(validate_workerpool_offer(make_tag(0x7), 1));
    EXPECT_FALSE(validate_workerpool_offer(make_tag(0x8), 1));
    EXPECT_FALSE(validate_workerpool_offer(make_tag(0x200), 0));
}

}  // namespace
}  // namespace wp
