#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include <wp/codec/rlp.hpp>
#include <wp/core/hex.hpp>

namespace wp {
namespace {

RlpItem str(std::string_view s) { return RlpItem::from_string(s); }
RlpItem list(std::vector<RlpItem> items) { return RlpItem::from_list(std::move(items)); }

Bytes hex(std::string_view h) {
    auto b = from_hex(h);
    EXPECT_TRUE(b) << h;
    return b ? *b : Bytes{};
}

// Encodes `item`, compares with `expected_hex`, and decodes the expected bytes back to `item`.
void expect_round_trip(const RlpItem& item, std::string_view expected_hex) {
    EXPECT_EQ(to_hex(rlp::encode(item)), expected_hex);
    auto decoded = rlp::decode(hex(expected_hex));
    ASSERT_TRUE(decoded) << expected_hex << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, item) << expected_hex;
}

std::string decode_error(std::string_view h) {
    auto r = rlp::decode(hex(h));
    if (r) return "<accepted>";
    EXPECT_EQ(r.error().code, Errc::kDecoding);
    return r.error().message;
}

// Examples of the RLP specification (Ethereum wiki / ethereum.org "RLP" page, Yellow Paper appendix B).
TEST(Rlp, SpecExamples) {
    expect_round_trip(str("dog"), "0x83646f67");
    expect_round_trip(list({str("cat"), str("dog")}), "0xc88363617483646f67");
    expect_round_trip(str(""), "0x80");
    expect_round_trip(list({}), "0xc0");
    expect_round_trip(RlpItem::from_uint(0), "0x80");
    expect_round_trip(RlpItem::from_bytes(Bytes{0x00}), "0x00");
    expect_round_trip(RlpItem::from_bytes(Bytes{0x0f}), "0x0f");
    expect_round_trip(RlpItem::from_uint(15), "0x0f");
    expect_round_trip(RlpItem::from_bytes(Bytes{0x04, 0x00}), "0x820400");
    expect_round_trip(RlpItem::from_uint(1024), "0x820400");
    // The set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ].
    expect_round_trip(list({list({}), list({list({})}), list({list({}), list({list({})})})}), "0xc7c0c1c0c3c0c1c0");
    expect_round_trip(str("Lorem ipsum dolor sit amet, consectetur adipisicing elit"),
                      "0xb8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069"
                      "736963696e6720656c6974");
}

// Further cases in the style of ethereum-tests RLPTests/rlptest.json; expected bytes were checked
// against ethers 6 encodeRlp.
TEST(Rlp, MoreValidCases) {
    expect_round_trip(RlpItem::from_uint(1), "0x01");
    expect_round_trip(RlpItem::from_uint(16), "0x10");
    expect_round_trip(RlpItem::from_uint(79), "0x4f");
    expect_round_trip(RlpItem::from_uint(127), "0x7f");
    expect_round_trip(RlpItem::from_uint(128), "0x8180");
    expect_round_trip(RlpItem::from_uint(1000), "0x8203e8");
    expect_round_trip(RlpItem::from_uint(100000), "0x830186a0");
    expect_round_trip(RlpItem::from_uint(*U256::from_hex("0x102030405060708090a0b0c0d0e0f2")),
                      "0x8f102030405060708090a0b0c0d0e0f2");
    expect_round_trip(RlpItem::from_uint(U256::max()),
                      "0xa0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    expect_round_trip(list({str("dog"), str("god"), str("cat")}), "0xcc83646f6783676f6483636174");
    expect_round_trip(list({str("zw"), list({RlpItem::from_uint(4)}), RlpItem::from_uint(1)}), "0xc6827a77c10401");
    expect_round_trip(list({list({list({}), list({})}), list({})}), "0xc4c2c0c0c0");

    // An 80-byte list payload: long list form 0xf8 0x50.
    std::vector<RlpItem> abc(20, str("abc"));
    std::string expected = "0xf850";
    for (int i = 0; i < 20; ++i) expected += "83616263";
    expect_round_trip(list(abc), expected);

    // A 1024-byte string: two length bytes, 0xb9 0x04 0x00.
    const Bytes big(1024, 0xaa);
    const Bytes enc = rlp::encode_bytes(big);
    ASSERT_EQ(enc.size(), 1027u);
    EXPECT_EQ(enc[0], 0xb9);
    EXPECT_EQ(enc[1], 0x04);
    EXPECT_EQ(enc[2], 0x00);
    EXPECT_EQ(*rlp::decode(enc), RlpItem::from_bytes(big));
}

TEST(Rlp, BoundaryLengths) {
    // 55 bytes is the last short form, 56 the first long form.
    const Bytes b55(55, 0x61);
    const Bytes b56(56, 0x61);
    EXPECT_EQ(rlp::encode_bytes(b55)[0], 0x80 + 55);
    EXPECT_EQ(rlp::encode_bytes(b55).size(), 56u);
    EXPECT_EQ(rlp::encode_bytes(b56)[0], 0xb8);
    EXPECT_EQ(rlp::encode_bytes(b56)[1], 56);
    EXPECT_EQ(rlp::encode_list_payload(b55)[0], 0xc0 + 55);
    EXPECT_EQ(rlp::encode_list_payload(b56)[0], 0xf8);
    EXPECT_EQ(rlp::encode_bytes(Bytes{0x7f}), Bytes{0x7f});
    EXPECT_EQ(rlp::encode_bytes(Bytes{0x80}), (Bytes{0x81, 0x80}));
}

TEST(Rlp, ConvenienceEncoders) {
    EXPECT_EQ(to_hex(rlp::encode_string("dog")), "0x83646f67");
    EXPECT_EQ(to_hex(rlp::encode_uint(std::uint64_t{0})), "0x80");
    EXPECT_EQ(to_hex(rlp::encode_uint(std::uint64_t{15})), "0x0f");
    EXPECT_EQ(to_hex(rlp::encode_uint(std::uint64_t{1024})), "0x820400");
    EXPECT_EQ(to_hex(rlp::encode_uint(std::uint64_t{0xffffffffffffffff})), "0x88ffffffffffffffff");
    EXPECT_EQ(to_hex(rlp::encode_uint(U256(0))), "0x80");
    EXPECT_EQ(to_hex(rlp::encode_uint(U256(1024))), "0x820400");
    const std::vector<Bytes> items{rlp::encode_string("cat"), rlp::encode_string("dog")};
    EXPECT_EQ(to_hex(rlp::encode_list(items)), "0xc88363617483646f67");
    EXPECT_EQ(to_hex(rlp::encode_list(std::vector<Bytes>{})), "0xc0");
    EXPECT_EQ(to_hex(rlp::encode_list_payload(concat(items[0], items[1]))), "0xc88363617483646f67");
}

TEST(Rlp, DecodeHeaderAndPartial) {
    auto h = rlp::decode_header(hex("0xb838aa"));
    ASSERT_FALSE(h);  // payload truncated
    h = rlp::decode_header(hex("0xc88363617483646f67ffff"));
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->is_list);
    EXPECT_EQ(h->header_size, 1u);
    EXPECT_EQ(h->payload_size, 8u);
    h = rlp::decode_header(hex("0x05"));
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->is_list);
    EXPECT_EQ(h->header_size, 0u);
    EXPECT_EQ(h->payload_size, 1u);

    auto p = rlp::decode_partial(hex("0x83646f67c0"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->consumed, 4u);
    EXPECT_EQ(p->item, str("dog"));
}

TEST(Rlp, StrictErrorMessages) {
    EXPECT_EQ(decode_error("0x"), "RLP: unexpected end of input (item expected) at offset 0");
    EXPECT_EQ(decode_error("0x83646f67c0"), "RLP: 1 trailing bytes after the top-level item at offset 4");
    EXPECT_EQ(decode_error("0x8100"),
              "RLP: non-canonical single byte: 0x81 followed by a byte < 0x80 (must be encoded as itself) at offset 0");
    EXPECT_EQ(decode_error("0xb80161"),
              "RLP: non-canonical string length: long form used for a payload of 1 bytes (< 56 uses the short form) "
              "at offset 0");
    EXPECT_EQ(decode_error("0xf800"),
              "RLP: non-canonical list length: leading zero byte in the length at offset 0");
    EXPECT_EQ(decode_error("0x8363"), "RLP: truncated string: payload of 3 bytes but only 1 remain at offset 0");
    EXPECT_EQ(decode_error("0xb9"), "RLP: truncated string length: 2 length bytes expected at offset 0");
    // The error inside a list names the offset of the offending item.
    EXPECT_EQ(decode_error("0xc4c0c28100"),
              "RLP: non-canonical single byte: 0x81 followed by a byte < 0x80 (must be encoded as itself) at offset 3");
    // A child that runs past the end of its list.
    EXPECT_EQ(decode_error("0xc283646f67"), "RLP: truncated string: payload of 3 bytes but only 1 remain at offset 1");
    // Length bytes beyond size_t.
    EXPECT_EQ(decode_error("0xbf01020304050607"), "RLP: truncated string length: 8 length bytes expected at offset 0");
    EXPECT_EQ(decode_error("0xbf010203040506070809"),
              "RLP: truncated string: payload of 72623859790382856 bytes but only 1 remain at offset 0");
}

TEST(Rlp, NestingAndSizeLimits) {
    auto nested = [](std::size_t depth) {
        RlpItem item = RlpItem::from_list({});
        for (std::size_t i = 1; i < depth; ++i) {
            std::vector<RlpItem> wrap;
            wrap.push_back(std::move(item));
            item = RlpItem::from_list(std::move(wrap));
        }
        return rlp::encode(item);
    };
    EXPECT_TRUE(rlp::decode(nested(rlp::kDefaultMaxDepth)));
    auto too_deep = rlp::decode(nested(rlp::kDefaultMaxDepth + 1));
    ASSERT_FALSE(too_deep);
    EXPECT_EQ(too_deep.error().message, "RLP: list nesting deeper than 1024 at offset " +
                                            std::to_string(nested(rlp::kDefaultMaxDepth + 1).size() - 1));
    EXPECT_TRUE(rlp::decode(nested(3), rlp::DecodeLimits{1024, 3}));
    EXPECT_FALSE(rlp::decode(nested(4), rlp::DecodeLimits{1024, 3}));

    const Bytes enc = rlp::encode_bytes(Bytes(100, 1));
    EXPECT_TRUE(rlp::decode(enc, rlp::DecodeLimits{102, 8}));
    auto too_big = rlp::decode(enc, rlp::DecodeLimits{101, 8});
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error().message, "RLP: input of 102 bytes exceeds the limit of 101 at offset 0");
}

TEST(Rlp, DecodeUint) {
    EXPECT_EQ(*rlp::decode_uint(Bytes{}), U256(0));
    EXPECT_EQ(*rlp::decode_uint(Bytes{0x04, 0x00}), U256(1024));
    auto lz = rlp::decode_uint(Bytes{0x00, 0x01});
    ASSERT_FALSE(lz);
    EXPECT_EQ(lz.error().code, Errc::kDecoding);
    EXPECT_EQ(lz.error().message, "RLP integer has a leading zero byte (integers are minimal big-endian)");
    EXPECT_FALSE(rlp::decode_uint(Bytes{0x00}));  // zero must be the empty string
    EXPECT_EQ(*rlp::decode_uint(Bytes(32, 0xff)), U256::max());
    auto big = rlp::decode_uint(Bytes(33, 0xff));
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, Errc::kOverflow);
    EXPECT_FALSE(rlp::decode_uint(RlpItem::from_list({})));
    EXPECT_EQ(*rlp::decode_uint64(RlpItem::from_uint(0xffffffffffffffff)), 0xffffffffffffffffu);
    auto over = rlp::decode_uint64(RlpItem::from_bytes(Bytes{1, 0, 0, 0, 0, 0, 0, 0, 0}));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, Errc::kOverflow);
}

// Every case of the official invalid-RLP fixture must be rejected.
TEST(Rlp, EthereumTestsInvalidRlp) {
    const std::string path = std::string(WP_SHARED_DIR) + "/data/ethereum-tests/RLPTests/invalidRLPTest.json";
    std::ifstream file(path);
    ASSERT_TRUE(file.good()) << "missing fixture: looked for " << path;
    std::stringstream ss;
    ss << file.rdbuf();
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(ss.str(), ec);
    ASSERT_FALSE(ec) << "cannot parse " << path << ": " << ec.message();
    const auto* cases = doc.if_object();
    ASSERT_NE(cases, nullptr);
    std::size_t checked = 0;
    for (const auto& [name, value] : *cases) {
        const auto* obj = value.if_object();
        ASSERT_NE(obj, nullptr) << name;
        const auto* out = obj->if_contains("out");
        ASSERT_TRUE(out && out->is_string()) << name;
        auto bytes = from_hex_lenient_prefix(std::string_view(out->get_string()));
        ASSERT_TRUE(bytes) << name << ": " << bytes.error().message;
        auto decoded = rlp::decode(*bytes);
        EXPECT_FALSE(decoded) << name << " was accepted";
        if (!decoded) {
            EXPECT_EQ(decoded.error().code, Errc::kDecoding) << name;
        }
        ++checked;
    }
    EXPECT_GE(checked, 17u);
}

RlpItem random_item(std::mt19937_64& rng, int depth) {
    std::uniform_int_distribution<int> kind(0, depth > 4 ? 1 : 3);
    if (kind(rng) >= 2) {
        std::vector<RlpItem> children(std::uniform_int_distribution<std::size_t>(0, 5)(rng));
        for (auto& c : children) c = random_item(rng, depth + 1);
        return RlpItem::from_list(std::move(children));
    }
    const std::size_t sizes[] = {0, 1, 1, 2, 55, 56, 57, 255, 256, 300};
    Bytes b(sizes[std::uniform_int_distribution<std::size_t>(0, 9)(rng)]);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return RlpItem::from_bytes(b);
}

TEST(Rlp, RandomTreesRoundTrip) {
    std::mt19937_64 rng(42);
    for (int i = 0; i < 500; ++i) {
        const RlpItem item = random_item(rng, 0);
        const Bytes enc = rlp::encode(item);
        auto dec = rlp::decode(enc);
        ASSERT_TRUE(dec) << dec.error().message;
        ASSERT_EQ(*dec, item);
        // Any strict prefix of a valid encoding is rejected.
        if (enc.size() > 1) {
            EXPECT_FALSE(rlp::decode(ByteView(enc).first(enc.size() - 1)));
        }
    }
}

}  // namespace
}  // namespace wp
