#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>

namespace wp {
namespace {

// Expected encodings below were produced with ethers 6.17.0 (AbiCoder.defaultAbiCoder().encode,
// Interface.encodeFunctionData, solidityPacked) in a scratch sandbox; the four spec examples (baz, sam, f, g)
// are also the worked examples of the Solidity ABI specification.

// ethers: new Interface([`function matchOrders(${A} appOrder, ${D} datasetOrder, ${W} workerpoolOrder,
// ${R} requestOrder) returns (bytes32)`]).encodeFunctionData("matchOrders", [app, dataset, workerpool, request])
// with the vectors.json orders anvil-app / anvil-workerpool / anvil-request (fields + their anvil-31337 `sign`)
// and an empty dataset order (zero address, zero numbers and bytes32, sign "0x").
const std::string kMatchOrdersCalldata =
    "0x156194d4"
    "0000000000000000000000000000000000000000000000000000000000000080"
    "0000000000000000000000000000000000000000000000000000000000000220"
    "0000000000000000000000000000000000000000000000000000000000000360"
    "0000000000000000000000000000000000000000000000000000000000000540"
    "0000000000000000000000001111111111111111111111111111111111111111"
    "0000000000000000000000000000000000000000000000000000000000000005"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000009"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000120"
    "0000000000000000000000000000000000000000000000000000000000000041"
    "fe3eb626e7aad80d68d49718e769c6135c2284d5700f7cb066c3e15bf0dcbaf1"
    "5e82aa680fdd1f5830ccdc07bb95ca1c5a8f6621ed39d2989456bee264298ab1"
    "1b00000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000120"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000002222222222222222222222222222222222222222"
    "000000000000000000000000000000000000000000000000000000000000000a"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000009"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000160"
    "0000000000000000000000000000000000000000000000000000000000000041"
    "ff85f16206fe3009c663ae813ec3fa7f6b5a8bb082cccaf540bbec3306c204b5"
    "3c4c092fed72c33990a715e55ae0e78c4e4ba7557718fc806f0f9406567400cd"
    "1c00000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000001111111111111111111111111111111111111111"
    "0000000000000000000000000000000000000000000000000000000000000005"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000002222222222222222222222222222222222222222"
    "000000000000000000000000000000000000000000000000000000000000000a"
    "00000000000000000000000015d34aaf54267db7d7c367839aaf71a00a2c6a65"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000009"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "00000000000000000000000015d34aaf54267db7d7c367839aaf71a00a2c6a65"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000200"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "0000000000000000000000000000000000000000000000000000000000000240"
    "0000000000000000000000000000000000000000000000000000000000000016"
    "7b2269657865635f61726773223a2268656c6c6f227d00000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000041"
    "689f01d6f42346c6bc308110e3450fe6fa5f123650a9cbb35ab926f848d4ed00"
    "7435d386cdf19f4a02ca9557f6c8416274d9978c9f6d1b89d5624d9027f3f125"
    "1b00000000000000000000000000000000000000000000000000000000000000";
const std::string kNestedEncoding =
    "0x"
    "0000000000000000000000000000000000000000000000000000000000000080"
    "0000000000000000000000000000000000000000000000000000000000000300"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80"
    "0000000000000000000000000000000000000000000000000000000000000007"
    "0000000000000000000000000000000000000000000000000000000000000060"
    "0000000000000000000000000000000000000000000000000000000000000200"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000100"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000080"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "6100000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000080"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "6263000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "000000000000000000000000000000000000000000000000000000000000012c"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff8000"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "0000000000000000000000000000000000000000000000000000000000000060"
    "00000000000000000000000000000000000000000000000000000000000000e0"
    "0000000000000000000000000000000000000000000000000000000000000100"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "7800000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000060"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "7979000000000000000000000000000000000000000000000000000000000000";
const std::string kSpecG =
    "0x2289b18c"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000140"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "00000000000000000000000000000000000000000000000000000000000000a0"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "0000000000000000000000000000000000000000000000000000000000000060"
    "00000000000000000000000000000000000000000000000000000000000000a0"
    "00000000000000000000000000000000000000000000000000000000000000e0"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "6f6e650000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "74776f0000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000005"
    "7468726565000000000000000000000000000000000000000000000000000000";
const std::string kPacked =
    "0x"
    "fffffe111111111111111111111111111111111111111101abcdef0102686900"
    "0000000000000000000000000000000000000000000000000000000000000100"
    "00000000000000000000000000000000000000000000000000000000000002ff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff00"
    "0000000000000000000000000000000000000000000000000000000000000100"
    "0000000000000000000000000000000000000000000000000000000000000100"
    "00000000000000000000002222222222222222222222222222222222222222aa"
    "bb000000000000000000000000000000000000000000000000000000000000";
const std::string kIntExtremes =
    "0x"
    "8000000000000000000000000000000000000000000000000000000000000000"
    "ffffffffffffffffffffffffffffffff80000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000007f"
    "0000000000000000000000000000000000000000000000000000000000000000";
// ethers: defaultAbiCoder().encode(["string[2][]","bytes[][3]","(uint16,bytes2)[2]","(bool,address)"],
//   [[["a","b"],["","ccc"]], [["0x01"],[],["0x","0x0203"]], [[1,"0xaabb"],[65535,"0x0000"]], [false, "0x3333…"]])
const std::string kFixedArraysOfDynamic =
    "0x0000000000000000000000000000000000000000000000000000000000000100"
    "00000000000000000000000000000000000000000000000000000000000002c0"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "aabb000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000ffff"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000003333333333333333333333333333333333333333"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000100"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000080"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "6100000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "6200000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000060"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "6363630000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000060"
    "00000000000000000000000000000000000000000000000000000000000000e0"
    "0000000000000000000000000000000000000000000000000000000000000100"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "0100000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0000000000000000000000000000000000000000000000000000000000000040"
    "0000000000000000000000000000000000000000000000000000000000000060"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000002"
    "0203000000000000000000000000000000000000000000000000000000000000";

// ethers: defaultAbiCoder().encode(["(uint8,(string,bytes32[])[2],int16[])", "string[][]", "int256", "int8"],
//   [[7, [["a", [ZeroHash]], ["bc", []]], [-1, 300, -32768]], [["x"], [], ["", "yy"]], -1n, -128])
// (kNestedEncoding, above)
// ethers: solidityPacked(["uint8","int16","address","bool","bytes3","bytes","string","uint16[]","int8[2]","bool[]",
//   "address[]","bytes2[]"], [255, -2, "0x1111…", true, "0xabcdef", "0x0102", "hi", [1,2], [-1,1], [true],
//   ["0x2222…"], ["0xaabb"]]) (kPacked); defaultAbiCoder().encode(["int256","int128","int8","uint8"],
//   [-(2n**255n), -(2n**127n), 127, 0]) (kIntExtremes).

const char* const kA =
    "(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,"
    "address requesterrestrict,bytes32 salt,bytes sign)";
const char* const kD =
    "(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address workerpoolrestrict,"
    "address requesterrestrict,bytes32 salt,bytes sign)";
const char* const kW =
    "(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,"
    "address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt,bytes sign)";
const char* const kR =
    "(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,"
    "uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,"
    "address beneficiary,address callback,string params,bytes32 salt,bytes sign)";

std::string match_orders_signature() {
    return std::string("matchOrders(") + kA + " appOrder, " + kD + " datasetOrder, " + kW + " workerpoolOrder, " + kR +
           " requestOrder) returns (bytes32)";
}

Bytes hex(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b) << s;
    return b ? *b : Bytes{};
}

std::string word(std::string_view hex_digits) {
    std::string w(64 - hex_digits.size(), '0');
    return w + std::string(hex_digits);
}

AbiType type(std::string_view s) {
    auto t = parse_abi_type(s);
    EXPECT_TRUE(t) << s << ": " << (t ? "" : t.error().message);
    return t ? *t : AbiType{};
}

std::vector<AbiType> types(std::string_view s) {
    auto t = parse_abi_type_list(s);
    EXPECT_TRUE(t) << s << ": " << (t ? "" : t.error().message);
    return t ? *t : std::vector<AbiType>{};
}

AbiValue u(std::uint64_t v) { return AbiValue::uint_(U256(v)); }
AbiValue str(std::string s) { return AbiValue::string(std::move(s)); }
AbiValue list(AbiValue::List l) { return AbiValue::list(std::move(l)); }

boost::json::value json(std::string_view s) {
    boost::system::error_code ec;
    auto v = boost::json::parse(s, ec);
    EXPECT_FALSE(ec) << s;
    return v;
}

boost::json::value load_vectors() {
    std::ifstream in(std::string(WP_SHARED_DIR) + "/reference/vectors.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return json(ss.str());
}

std::string error_of(const auto& result) { return result ? std::string("<ok>") : result.error().message; }

// ---------------------------------------------------------------------------------------------------------
// Types

TEST(AbiType, ParsesElementaryAndAliases) {
    EXPECT_EQ(type("uint").canonical(), "uint256");
    EXPECT_EQ(type("int").canonical(), "int256");
    EXPECT_EQ(type("uint8").bits(), 8u);
    EXPECT_EQ(type("int136").bits(), 136u);
    EXPECT_EQ(type("bytes1").byte_size(), 1u);
    EXPECT_EQ(type("bytes32").byte_size(), 32u);
    EXPECT_EQ(type("address").kind(), AbiType::Kind::kAddress);
    EXPECT_EQ(type("bool").kind(), AbiType::Kind::kBool);
    EXPECT_TRUE(type("bytes").is_dynamic());
    EXPECT_TRUE(type("string").is_dynamic());
    EXPECT_FALSE(type("bytes32").is_dynamic());
    EXPECT_EQ(type("uint[]").canonical(), "uint256[]");
    EXPECT_EQ(type("uint256[2][]").canonical(), "uint256[2][]");
    EXPECT_EQ(type("uint256[2][]").element().canonical(), "uint256[2]");
    EXPECT_EQ(type("uint256[2][]").element().length(), 2u);
}

TEST(AbiType, TuplesNamesAndSizes) {
    const AbiType a = type(kA);
    EXPECT_EQ(a.canonical(), "(address,uint256,uint256,bytes32,address,address,address,bytes32,bytes)");
    EXPECT_EQ(a.to_string(), kA);
    ASSERT_EQ(a.components().size(), 9u);
    EXPECT_EQ(a.components()[0].name(), "app");
    EXPECT_EQ(a.components()[8].name(), "sign");
    EXPECT_TRUE(a.has_component_names());
    EXPECT_TRUE(a.is_dynamic());
    EXPECT_EQ(a.head_size(), 32u);

    // "[ ]" is not an array suffix (ethers tokenizes brackets compactly).
    EXPECT_FALSE(parse_abi_type(" tuple( uint a , string[ ] b )[2] [] memory  x "));
    const AbiType t2 = type(" tuple( uint a , string[] b )[2] [] memory  x ");
    EXPECT_EQ(t2.canonical(), "(uint256,string[])[2][]");
    EXPECT_EQ(t2.name(), "x");
    EXPECT_EQ(t2.element().element().components()[1].name(), "b");

    const AbiType s = type("(uint8,bytes32,(address,bool)[3])");
    EXPECT_FALSE(s.is_dynamic());
    EXPECT_EQ(s.head_size(), 32u * (2 + 3 * 2));
    EXPECT_EQ(s.depth(), 3u);
    EXPECT_FALSE(type("(uint8,bool)").has_component_names());
    EXPECT_FALSE(type("(uint8 a,bool a)").has_component_names());
    EXPECT_EQ(type("address payable to").canonical(), "address");
    EXPECT_EQ(type("(uint8 a,bool b)"), AbiType::tuple({AbiType::uint_(8).named("a"), AbiType::bool_().named("b")}));
    EXPECT_EQ(type("string[][3]"), AbiType::fixed_array(AbiType::array(AbiType::string()), 3));
    EXPECT_TRUE(type("string[][3]").is_dynamic());
}

TEST(AbiType, RejectsInvalidTypes) {
    for (const char* bad : {"",           "uint7",       "uint264",  "uint0",      "uint08",
                            "int257",     "bytes0",      "bytes33",  "bytes01",    "()",
                            "tuple()",    "uint256[0]",  "(uint256", "uint256)",   "uint256[",
                            "uint256[x]", "uint256[-1]", "foo",      "tuple",      "uint256 a b",
                            "(uint256,)", "(,uint256)",  "uint256,", "uint256[]]", "address indexed a",
                            "Uint256",    "uint256[01]"}) {
        auto r = parse_abi_type(bad);
        EXPECT_FALSE(r) << "accepted: '" << bad << "'";
        if (!r) {
            EXPECT_NE(r.error().message.find("ABI type"), std::string::npos) << r.error().message;
        }
    }
    EXPECT_EQ(error_of(parse_abi_type("uint7")),
              "ABI type: invalid integer size in 'uint7' (8..256, multiple of 8) at position 0");
    EXPECT_EQ(error_of(parse_abi_type("(address,foo)")), "ABI type: unknown type 'foo' at position 9");
    EXPECT_EQ(parse_abi_type("function").error().code, Errc::kUnsupported);
    EXPECT_EQ(parse_abi_type("fixed128x18").error().code, Errc::kUnsupported);
    // Depth limit: 32 levels are accepted, 33 are not (arrays and tuples alike).
    std::string deep = "uint8";
    for (int i = 0; i < 32; ++i)
        deep += "[]";
    EXPECT_TRUE(parse_abi_type(deep));
    EXPECT_FALSE(parse_abi_type(deep + "[]"));
    std::string tup = "uint8";
    for (int i = 0; i < 32; ++i)
        tup = "(" + tup + ")";
    EXPECT_TRUE(parse_abi_type(tup));
    EXPECT_FALSE(parse_abi_type("(" + tup + ")"));
    std::string open(100000, '(');
    EXPECT_FALSE(parse_abi_type(open));  // no stack exhaustion
    // Static size limit.
    EXPECT_FALSE(parse_abi_type("uint256[4294967296]"));
    EXPECT_TRUE(parse_abi_type("uint256[1000]"));
}

TEST(AbiType, TypeLists) {
    EXPECT_TRUE(types("").empty());
    EXPECT_TRUE(types("  ").empty());
    const auto l = types("address to, uint256 amount ,bytes");
    ASSERT_EQ(l.size(), 3u);
    EXPECT_EQ(l[0].name(), "to");
    EXPECT_EQ(l[2].canonical(), "bytes");
    EXPECT_FALSE(parse_abi_type_list("uint256,"));
    EXPECT_FALSE(parse_abi_type_list(",uint256"));
}

// ---------------------------------------------------------------------------------------------------------
// Signatures

TEST(AbiSignature, SelectorsAndTopics) {
    EXPECT_EQ(to_hex(*function_selector("transfer(address,uint256)")), "0xa9059cbb");
    EXPECT_EQ(to_hex(*function_selector("function transfer(address to, uint amount) external returns (bool)")),
              "0xa9059cbb");
    EXPECT_EQ(to_hex(*event_topic("Transfer(address,address,uint256)")),
              "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    auto ev = parse_abi_signature("event Transfer(address indexed from, address indexed to, uint256 value)");
    ASSERT_TRUE(ev) << ev.error().message;
    EXPECT_EQ(to_hex(ev->topic()), "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    EXPECT_EQ(ev->indexed, (std::vector<bool>{true, true, false}));
    EXPECT_EQ(ev->inputs[2].name(), "value");
    // The Solidity ABI spec examples.
    EXPECT_EQ(to_hex(*function_selector("baz(uint32,bool)")), "0xcdcd77c0");
    EXPECT_EQ(to_hex(*function_selector("sam(bytes,bool,uint256[])")), "0xa5643bf2");
    EXPECT_EQ(to_hex(*function_selector("f(uint256,uint32[],bytes10,bytes)")), "0x8be65246");
    EXPECT_EQ(to_hex(*function_selector("g(uint256[][],string[])")), "0x2289b18c");
}

TEST(AbiSignature, PocoSelectors) {
    // protocol.md §2.3 (named tuples) and §11.1 (selectors, full canonical matchOrders signature).
    auto sig = parse_abi_signature(match_orders_signature());
    ASSERT_TRUE(sig) << sig.error().message;
    EXPECT_EQ(sig->name, "matchOrders");
    EXPECT_EQ(sig->canonical(),
              "matchOrders((address,uint256,uint256,bytes32,address,address,address,bytes32,bytes),(address,uint256,"
              "uint256,bytes32,address,address,address,bytes32,bytes),(address,uint256,uint256,bytes32,uint256,uint256,"
              "address,address,address,bytes32,bytes),(address,uint256,address,uint256,address,uint256,address,uint256,"
              "bytes32,uint256,uint256,address,address,string,bytes32,bytes))");
    EXPECT_EQ(to_hex(sig->selector()), "0x156194d4");
    ASSERT_EQ(sig->outputs.size(), 1u);
    EXPECT_EQ(sig->outputs[0].canonical(), "bytes32");
    EXPECT_EQ(sig->inputs[3].name(), "requestOrder");

    const std::string a = kA;
    const std::string w = kW;
    const std::string r = kR;
    EXPECT_EQ(to_hex(*function_selector("sponsorMatchOrders(" + a + "," + a + "," + w + "," + r + ")")), "0x2f391533");
    EXPECT_EQ(to_hex(*function_selector("computeDealVolume(" + a + "," + a + "," + w + "," + r + ")")), "0x66517ca6");
    EXPECT_EQ(to_hex(*function_selector("manageAppOrder((" + a + ",uint8,bytes))")), "0xb2b07e66");
    EXPECT_EQ(to_hex(*function_selector("manageRequestOrder((" + r + ",uint8,bytes))")), "0x8dd971d5");
    EXPECT_EQ(to_hex(*function_selector("broadcastWorkerpoolOrder(" + w + ")")), "0x947f5178");
    EXPECT_EQ(to_hex(*function_selector("verifySignature(address,bytes32,bytes)")), "0x01751998");
    EXPECT_EQ(to_hex(*function_selector("assertDatasetDealCompatibility(" + a + ",bytes32)")), "0x80f03425");
}

TEST(AbiSignature, CanonicalAndErrors) {
    EXPECT_EQ(*canonical_signature("  foo ( uint a , (bool x, bytes[] y)[] z ) view returns (uint)"),
              "foo(uint256,(bool,bytes[])[])");
    EXPECT_EQ(*canonical_signature("noArgs()"), "noArgs()");
    EXPECT_EQ(*canonical_signature("function error(string)"), "error(string)");
    for (const char* bad : {"", "foo", "foo(", "foo(uint256", "foo(uint7)", "foo(uint256) bar", "(uint256)",
                            "foo(uint256) returns", "foo(uint256)(bool)", "1foo()", "foo(uint256,)"}) {
        EXPECT_FALSE(parse_abi_signature(bad)) << "accepted: '" << bad << "'";
    }
    EXPECT_EQ(error_of(parse_abi_signature("foo(uint256) bar")), "ABI signature: unexpected 'bar' at position 13");
}

// ---------------------------------------------------------------------------------------------------------
// Encoding: the Solidity ABI specification's worked examples, byte for byte.

TEST(AbiEncode, SpecBaz) {
    auto out = abi_encode_call("baz(uint32,bool)", {u(69), AbiValue::bool_(true)});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(to_hex(*out), "0xcdcd77c0" + word("45") + word("1"));
}

TEST(AbiEncode, SpecSam) {
    auto out = abi_encode_call("sam(bytes,bool,uint256[])",
                               {AbiValue::bytes(to_bytes("dave")), AbiValue::bool_(true), list({u(1), u(2), u(3)})});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(to_hex(*out), "0xa5643bf2" + word("60") + word("1") + word("a0") + word("4") +
                                "6461766500000000000000000000000000000000000000000000000000000000" + word("3") +
                                word("1") + word("2") + word("3"));
}

TEST(AbiEncode, SpecF) {
    auto out = abi_encode_call("f(uint256,uint32[],bytes10,bytes)",
                               {u(0x123), list({u(0x456), u(0x789)}), AbiValue::fixed_bytes(as_bytes("1234567890")),
                                AbiValue::bytes(to_bytes("Hello, world!"))});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(to_hex(*out), "0x8be65246" + word("123") + word("80") +
                                "3132333435363738393000000000000000000000000000000000000000000000" + word("e0") +
                                word("2") + word("456") + word("789") + word("d") +
                                "48656c6c6f2c20776f726c642100000000000000000000000000000000000000");
}

TEST(AbiEncode, SpecG) {
    auto out = abi_encode_call("g(uint256[][],string[])", {list({list({u(1), u(2)}), list({u(3)})}),
                                                           list({str("one"), str("two"), str("three")})});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(to_hex(*out), kSpecG);
    // Decoding gives the arguments back.
    auto sig = *parse_abi_signature("g(uint256[][],string[])");
    auto back = abi_decode_call(sig, *out);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ((*back)[1], list({str("one"), str("two"), str("three")}));
    EXPECT_EQ((*back)[0], list({list({u(1), u(2)}), list({u(3)})}));
}

TEST(AbiEncode, NestedDynamicTuplesAgainstEthers) {
    const auto ts = types("(uint8,(string,bytes32[])[2],int16[]), string[][], int256, int8");
    const std::vector<AbiValue> vs{
        list({u(7), list({list({str("a"), list({AbiValue::fixed_bytes(Bytes32{})})}), list({str("bc"), list({})})}),
              list({AbiValue::int_(-1), AbiValue::int_(300), AbiValue::int_(-32768)})}),
        list({list({str("x")}), list({}), list({str(""), str("yy")})}),
        AbiValue::int_(-1),
        AbiValue::int_(-128),
    };
    auto out = abi_encode(ts, vs);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(to_hex(*out), kNestedEncoding);
    auto back = abi_decode(ts, *out);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, vs);
    auto j = values_to_json(ts, *back);
    ASSERT_TRUE(j);
    EXPECT_EQ(boost::json::serialize(*j),
              R"([["7",[["a",["0x0000000000000000000000000000000000000000000000000000000000000000"]],["bc",[]]],)"
              R"(["-1","300","-32768"]],[["x"],[],["","yy"]],"-1","-128"])");
    auto from_j = values_from_json(ts, *j);
    ASSERT_TRUE(from_j) << from_j.error().message;
    EXPECT_EQ(*from_j, vs);
}

TEST(AbiEncode, FixedArraysOfDynamicTypesAgainstEthers) {
    const auto ts = types("string[2][],bytes[][3],(uint16,bytes2)[2],(bool,address)");
    const std::vector<AbiValue> vs{
        list({list({str("a"), str("b")}), list({str(""), str("ccc")})}),
        list({list({AbiValue::bytes({0x01})}), list({}), list({AbiValue::bytes({}), AbiValue::bytes({0x02, 0x03})})}),
        list({list({u(1), AbiValue::fixed_bytes(Bytes{0xaa, 0xbb})}),
              list({u(65535), AbiValue::fixed_bytes(Bytes{0, 0})})}),
        list(
            {AbiValue::bool_(false), AbiValue::address(*Address::parse("0x3333333333333333333333333333333333333333"))}),
    };
    auto out = abi_encode(ts, vs);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(to_hex(*out), kFixedArraysOfDynamic);
    auto back = abi_decode(ts, *out);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, vs);
    EXPECT_EQ(ts[2].head_size(), 128u);
    EXPECT_FALSE(ts[2].is_dynamic());
    EXPECT_TRUE(ts[1].is_dynamic());
}

TEST(AbiEncode, IntegerExtremes) {
    const auto ts = types("int256,int128,int8,uint8");
    auto min256 = AbiInt::parse("-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    ASSERT_TRUE(min256);
    EXPECT_TRUE(min256->is_negative());
    EXPECT_EQ(min256->to_dec(), "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
    auto min128 = AbiInt::parse("-0x80000000000000000000000000000000");
    ASSERT_TRUE(min128);
    const std::vector<AbiValue> vs{AbiValue::int_(*min256), AbiValue::int_(*min128), AbiValue::int_(127), u(0)};
    auto out = abi_encode(ts, vs);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(to_hex(*out), kIntExtremes);
    auto back = abi_decode(ts, *out);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, vs);

    EXPECT_FALSE(AbiInt::parse("-57896044618658097711785492504343953926634992332820282019728792003956564819969"));
    EXPECT_FALSE(AbiInt::parse("57896044618658097711785492504343953926634992332820282019728792003956564819968"));
    EXPECT_TRUE(AbiInt::parse("57896044618658097711785492504343953926634992332820282019728792003956564819967"));
    EXPECT_EQ(AbiInt::parse("-0")->word, U256(0));
    EXPECT_EQ(AbiInt::from_i64(INT64_MIN).to_dec(), "-9223372036854775808");
    EXPECT_EQ(AbiInt::from_i64(-5).magnitude(), U256(5));
    EXPECT_TRUE(AbiInt::from_i64(-128).fits_bits(8));
    EXPECT_FALSE(AbiInt::from_i64(-129).fits_bits(8));
    EXPECT_TRUE(AbiInt::from_i64(127).fits_bits(8));
    EXPECT_FALSE(AbiInt::from_i64(128).fits_bits(8));
    EXPECT_FALSE(AbiInt::parse("--1"));
    EXPECT_FALSE(AbiInt::parse("-"));
    EXPECT_FALSE(AbiInt::parse(""));
}

TEST(AbiEncode, RejectsMismatchedValues) {
    EXPECT_EQ(error_of(abi_encode(types("uint8"), {u(256)})), "ABI encode: arg 0: value 256 does not fit in uint8");
    EXPECT_EQ(error_of(abi_encode(types("int8"), {AbiValue::int_(-129)})),
              "ABI encode: arg 0: value -129 does not fit in int8");
    EXPECT_EQ(error_of(abi_encode(types("uint8,bool"), {u(1)})), "ABI encode: expected 2 values, got 1");
    EXPECT_EQ(error_of(abi_encode(types("bool"), {u(1)})),
              "ABI encode: arg 0: expected a value for bool, got a uint value");
    EXPECT_EQ(error_of(abi_encode(types("bytes32"), {AbiValue::fixed_bytes(Bytes(31, 0))})),
              "ABI encode: arg 0: bytes32 needs 32 bytes, got 31");
    EXPECT_EQ(error_of(abi_encode(types("uint8[2]"), {list({u(1)})})),
              "ABI encode: arg 0: uint8[2] needs 2 values, got 1");
    EXPECT_EQ(error_of(abi_encode(types("(uint8 a,string[] b)[]"), {list({list({u(1), list({u(2)})})})})),
              "ABI encode: arg 0[0].b[0]: expected a value for string, got a uint value");
    EXPECT_EQ(error_of(abi_encode(types("string"), {str("\xff")})), "ABI encode: arg 0: string is not valid UTF-8");
    EXPECT_EQ(error_of(abi_encode(types("uint256"), {AbiValue::int_(1)})),
              "ABI encode: arg 0: expected a value for uint256, got a int value");
    EXPECT_TRUE(abi_encode({}, {}));
    EXPECT_TRUE(abi_encode({}, {})->empty());
}

// ---------------------------------------------------------------------------------------------------------
// Strict decoding

class AbiDecodeSam : public ::testing::Test {
  protected:
    // abi.encode(bytes "dave", bool true, uint256[] [1,2,3]) (spec example sam without the selector)
    std::vector<AbiType> ts = types("bytes,bool,uint256[]");
    Bytes good = hex("0x" + word("60") + word("1") + word("a0") + word("4") +
                     "6461766500000000000000000000000000000000000000000000000000000000" + word("3") + word("1") +
                     word("2") + word("3"));

    Bytes with_word(std::size_t index, std::string_view hex_digits) const {
        Bytes b = good;
        const Bytes w = *from_hex("0x" + word(hex_digits));
        std::copy(w.begin(), w.end(), b.begin() + static_cast<std::ptrdiff_t>(32 * index));
        return b;
    }
    std::string strict_error(const Bytes& b) const { return error_of(abi_decode(ts, b)); }
    std::string lenient_error(const Bytes& b) const {
        return error_of(abi_decode(ts, b, {.strictness = AbiStrictness::kLenient}));
    }
};

TEST_F(AbiDecodeSam, AcceptsCanonical) {
    auto v = abi_decode(ts, good);
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ((*v)[0], AbiValue::bytes(to_bytes("dave")));
    EXPECT_EQ((*v)[1], AbiValue::bool_(true));
    EXPECT_EQ((*v)[2], list({u(1), u(2), u(3)}));
    EXPECT_EQ(*abi_encode(ts, *v), good);
}

TEST_F(AbiDecodeSam, Offsets) {
    EXPECT_EQ(strict_error(with_word(0, "61")), "ABI decode: arg 0: non-canonical offset 0x61 (expected 0x60)");
    EXPECT_EQ(strict_error(with_word(0, "20")),
              "ABI decode: arg 0: offset 0x20 points into the head (head is 0x60 bytes)");
    EXPECT_EQ(lenient_error(with_word(0, "20")),
              "ABI decode: arg 0: offset 0x20 points into the head (head is 0x60 bytes)");
    EXPECT_EQ(strict_error(with_word(2, "1e0")),
              "ABI decode: arg 2: offset 0x1e0 out of bounds (0x120 bytes available from 0x0)");
    EXPECT_EQ(lenient_error(with_word(2, "1e0")),
              "ABI decode: arg 2: offset 0x1e0 out of bounds (0x120 bytes available from 0x0)");
    EXPECT_EQ(strict_error(with_word(0, "10000000000000000")),
              "ABI decode: arg 0: offset 0x" + word("10000000000000000") + " at 0x0 does not fit in 64 bits");
    EXPECT_EQ(strict_error(with_word(2, "ffffffffffffffff")),
              "ABI decode: arg 2: offset 0xffffffffffffffff out of bounds (0x120 bytes available from 0x0)");
    // Aliasing: the array offset points at the bytes tail. Strict rejects it; lenient reads it as
    // [0x6461766500..., 3, 1, 2] of length 4 (the words are all in bounds).
    EXPECT_EQ(strict_error(with_word(2, "60")), "ABI decode: arg 2: non-canonical offset 0x60 (expected 0xa0)");
    auto aliased = abi_decode(ts, with_word(2, "60"), {.strictness = AbiStrictness::kLenient});
    ASSERT_TRUE(aliased) << aliased.error().message;
    EXPECT_EQ((*aliased)[2], list({AbiValue::uint_(U256::from_be32(*bytes32_from_hex(
                                       "0x6461766500000000000000000000000000000000000000000000000000000000"))),
                                   u(3), u(1), u(2)}));
}

TEST_F(AbiDecodeSam, NonCanonicalButValidLayoutIsLenientOnly) {
    // Tails swapped: the uint256[] first, then the bytes.
    const Bytes swapped =
        hex("0x" + word("e0") + word("1") + word("60") + word("3") + word("1") + word("2") + word("3") + word("4") +
            "6461766500000000000000000000000000000000000000000000000000000000");
    EXPECT_EQ(strict_error(swapped), "ABI decode: arg 0: non-canonical offset 0xe0 (expected 0x60)");
    auto v = abi_decode(ts, swapped, {.strictness = AbiStrictness::kLenient});
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(*v, *abi_decode(ts, good));
    // A gap between head and tail.
    Bytes gap = hex("0x" + word("80") + word("1") + word("c0") + word("0") + word("4") +
                    "6461766500000000000000000000000000000000000000000000000000000000" + word("3") + word("1") +
                    word("2") + word("3"));
    EXPECT_EQ(strict_error(gap), "ABI decode: arg 0: non-canonical offset 0x80 (expected 0x60)");
    EXPECT_TRUE(abi_decode(ts, gap, {.strictness = AbiStrictness::kLenient}));
}

TEST_F(AbiDecodeSam, TrailingData) {
    Bytes more = good;
    more.insert(more.end(), 32, 0);
    EXPECT_EQ(strict_error(more), "ABI decode: 32 trailing bytes after the encoding (at 0x120)");
    EXPECT_EQ(lenient_error(more), "<ok>");
    more.pop_back();
    EXPECT_EQ(strict_error(more), "ABI decode: 31 trailing bytes after the encoding (at 0x120)");
}

TEST_F(AbiDecodeSam, Truncation) {
    for (std::size_t n = 0; n < good.size(); ++n) {
        const Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_FALSE(abi_decode(ts, cut)) << n;
        EXPECT_FALSE(abi_decode(ts, cut, {.strictness = AbiStrictness::kLenient})) << n;
    }
    EXPECT_EQ(strict_error(Bytes(good.begin(), good.begin() + 64)),
              "ABI decode: data too short: the head needs more than the 0x40 bytes available at 0x0");
}

TEST_F(AbiDecodeSam, Lengths) {
    EXPECT_EQ(strict_error(with_word(3, "1000")),
              "ABI decode: arg 0: length 4096 at 0x60 exceeds the 160 bytes available");
    EXPECT_EQ(strict_error(with_word(3, "ffffffffffffffff")),
              "ABI decode: arg 0: length 18446744073709551615 at 0x60 exceeds the 160 bytes available");
    EXPECT_EQ(strict_error(with_word(3, "8000000000000000000000000000000000000000000000000000000000000000")),
              "ABI decode: arg 0: length 0x8000000000000000000000000000000000000000000000000000000000000000 at 0x60 "
              "does not fit in 64 bits");
    // Array lengths: a huge count fails before any allocation.
    EXPECT_EQ(strict_error(with_word(5, "ffffffffffffffff")),
              "ABI decode: arg 2: array length 18446744073709551615 at 0xa0 exceeds the remaining 0x60 bytes");
    EXPECT_EQ(strict_error(with_word(5, "4")),
              "ABI decode: arg 2: array length 4 at 0xa0 exceeds the remaining 0x60 bytes");
    EXPECT_EQ(strict_error(with_word(5, "2")), "ABI decode: 32 trailing bytes after the encoding (at 0x100)");
    EXPECT_EQ(lenient_error(with_word(5, "2")), "<ok>");
    // bytes length 5: "dave\0" is then data, and the padding is fine; re-encode differs only by that byte.
    auto five = abi_decode(ts, with_word(3, "5"));
    ASSERT_TRUE(five);
    EXPECT_EQ((*five)[0], AbiValue::bytes(Bytes{'d', 'a', 'v', 'e', 0}));
    // bytes length 0x21 spans two padded words: the second one is the array length word (...03), whose low byte
    // lands in the padding.
    EXPECT_EQ(strict_error(with_word(3, "21")), "ABI decode: arg 0: non-zero padding after bytes data at 0x60");
}

TEST_F(AbiDecodeSam, Padding) {
    Bytes dirty = good;
    dirty[32 * 4 + 31] = 1;  // last padding byte after "dave"
    EXPECT_EQ(strict_error(dirty), "ABI decode: arg 0: non-zero padding after bytes data at 0x60");
    EXPECT_EQ(lenient_error(dirty), "ABI decode: arg 0: non-zero padding after bytes data at 0x60");
    EXPECT_EQ(strict_error(with_word(1, "2")), "ABI decode: arg 1: invalid bool 0x" + word("2") + " at 0x20");
    EXPECT_EQ(strict_error(with_word(1, "100000000000000000000000000000000000000000000000000000000000001")),
              "ABI decode: arg 1: invalid bool 0x" +
                  word("100000000000000000000000000000000000000000000000000000000000001") + " at 0x20");
}

TEST(AbiDecode, ElementaryPadding) {
    const auto strict = [](std::string_view t, std::string_view w) {
        return error_of(abi_decode(types(t), hex("0x" + std::string(w))));
    };
    EXPECT_EQ(strict("uint32", word("ffffffff")), "<ok>");
    EXPECT_EQ(strict("uint32", word("1ffffffff")), "ABI decode: arg 0: dirty high bits for uint32 at 0x0");
    EXPECT_EQ(strict("uint256", std::string(64, 'f')), "<ok>");
    EXPECT_EQ(strict("int8", word("7f")), "<ok>");
    EXPECT_EQ(strict("int8", word("80")), "ABI decode: arg 0: bad sign extension for int8 at 0x0");
    EXPECT_EQ(strict("int8", std::string(62, 'f') + "80"), "<ok>");
    EXPECT_EQ(strict("int8", std::string(62, 'f') + "7f"), "ABI decode: arg 0: bad sign extension for int8 at 0x0");
    EXPECT_EQ(strict("int8", "7" + std::string(61, 'f') + "80"),
              "ABI decode: arg 0: bad sign extension for int8 at 0x0");
    EXPECT_EQ(strict("int256", "8" + std::string(63, '0')), "<ok>");
    EXPECT_EQ(strict("address", word("1111111111111111111111111111111111111111")), "<ok>");
    EXPECT_EQ(strict("address", word("011111111111111111111111111111111111111111")),
              "ABI decode: arg 0: dirty high bytes for address at 0x0");
    EXPECT_EQ(strict("bytes10", "31323334353637383930" + std::string(44, '0')), "<ok>");
    EXPECT_EQ(strict("bytes10", "3132333435363738393000" + std::string(41, '0') + "1"),
              "ABI decode: arg 0: dirty padding for bytes10 at 0x0");
    EXPECT_EQ(strict("bytes32", std::string(64, 'e')), "<ok>");
    EXPECT_EQ(strict("bool", word("0")), "<ok>");
    // Strings must be valid UTF-8 (as ethers requires).
    EXPECT_EQ(strict("string", word("20") + word("2") + "c3a9" + std::string(60, '0')), "<ok>");
    EXPECT_EQ(strict("string", word("20") + word("2") + "c0af" + std::string(60, '0')),
              "ABI decode: arg 0: string is not valid UTF-8");
    EXPECT_EQ(strict("string", word("20") + word("3") + "eda080" + std::string(58, '0')),
              "ABI decode: arg 0: string is not valid UTF-8");
    // Missing padding after bytes data.
    EXPECT_EQ(strict("bytes", word("20") + word("2") + "abcd"),
              "ABI decode: arg 0: missing padding after bytes data at 0x20");
    // Empty input for an empty list is fine; for a non-empty list it is too short.
    EXPECT_TRUE(abi_decode({}, Bytes{}));
    EXPECT_FALSE(abi_decode({}, Bytes(32, 0)));
    EXPECT_TRUE(abi_decode({}, Bytes(32, 0), {.strictness = AbiStrictness::kLenient}));
    EXPECT_EQ(error_of(abi_decode(types("uint8"), Bytes{})),
              "ABI decode: data too short: the head needs more than the 0x0 bytes available at 0x0");
}

TEST(AbiDecode, PathsInErrors) {
    const auto ts = types("(uint8,(string,bytes32[])[2],int16[]), string[][], int256, int8");
    Bytes enc = hex(kNestedEncoding);
    // The int16[] of arg 0 holds [-1, 300, -32768]; make 300 (word ...012c) badly sign-extended.
    const Bytes w300 = hex("0x" + word("12c"));
    auto it = std::search(enc.begin(), enc.end(), w300.begin(), w300.end());
    ASSERT_NE(it, enc.end());
    *it = 0x80;
    EXPECT_EQ(error_of(abi_decode(ts, enc)), "ABI decode: arg 0.2[1]: bad sign extension for int16 at " +
                                                 U256(static_cast<std::uint64_t>(it - enc.begin())).to_hex_quantity());
}

TEST(AbiDecode, DepthAndWorkLimits) {
    const auto nested = types("uint256[][]");
    // [[1,2],[3]] canonically.
    const Bytes enc = *abi_encode(nested, {list({list({u(1), u(2)}), list({u(3)})})});
    EXPECT_TRUE(abi_decode(nested, enc));
    EXPECT_EQ(error_of(abi_decode(nested, enc, {.max_depth = 1})),
              "ABI decode: type uint256[][] is nested deeper than 1");
    EXPECT_EQ(error_of(abi_decode(nested, enc, {.max_input_size = 100})),
              "ABI decode: input of 288 bytes exceeds the limit of 100");

    // Aliasing in lenient mode: n outer offsets all pointing at one inner array of m elements.
    const auto aliased = [](std::size_t n, std::size_t m) {
        std::string h = "0x" + word("20") + word(to_hex_no_prefix(U256(n).to_be_minimal()));
        for (std::size_t i = 0; i < n; ++i)
            h += word(to_hex_no_prefix(U256(32 * n).to_be_minimal()));
        h += word(to_hex_no_prefix(U256(m).to_be_minimal()));
        for (std::size_t i = 0; i < m; ++i)
            h += word("7");
        return *from_hex(h);
    };
    const AbiDecodeOptions lenient{.strictness = AbiStrictness::kLenient};
    auto small = abi_decode(nested, aliased(2, 2), lenient);
    ASSERT_TRUE(small) << small.error().message;
    EXPECT_EQ((*small)[0], list({list({u(7), u(7)}), list({u(7), u(7)})}));
    EXPECT_FALSE(abi_decode(nested, aliased(2, 2)));  // strict: second offset is non-canonical
    auto big = abi_decode(nested, aliased(200, 200), lenient);
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message.find("decoding work limit exceeded"), std::string::npos) << big.error().message;

    // A huge claimed array length fails fast (no allocation): 2^64-1 elements of a 3-word static tuple.
    const auto tup = types("(uint256,uint256,uint256)[]");
    const Bytes huge = hex("0x" + word("20") + word("ffffffffffffffff"));
    EXPECT_EQ(error_of(abi_decode(tup, huge)),
              "ABI decode: arg 0: array length 18446744073709551615 at 0x20 exceeds the remaining 0x0 bytes");
    // Fixed arrays of dynamic elements larger than the data fail on the head size.
    EXPECT_FALSE(abi_decode(types("string[100000]"), hex("0x" + word("20"))));
}

TEST(AbiDecode, Call) {
    auto sig = *parse_abi_signature("transfer(address,uint256)");
    const Bytes call =
        *abi_encode_call(sig, {AbiValue::address(*Address::parse("0x1111111111111111111111111111111111111111")), u(5)});
    EXPECT_EQ(to_hex(call), "0xa9059cbb" + word("1111111111111111111111111111111111111111") + word("5"));
    EXPECT_TRUE(abi_decode_call(sig, call));
    Bytes other = call;
    other[0] = 0;
    EXPECT_EQ(error_of(abi_decode_call(sig, other)),
              "ABI decode: selector 0x00059cbb does not match 0xa9059cbb (transfer(address,uint256))");
    EXPECT_FALSE(abi_decode_call(sig, Bytes{0xa9, 0x05}));
}

// ---------------------------------------------------------------------------------------------------------
// matchOrders calldata (the CLI path: signature + JSON args -> calldata)

boost::json::object order_with_sign(const boost::json::value& vectors, std::string_view id) {
    for (const auto& o : vectors.at("orders").as_array()) {
        if (o.at("id").as_string() != id) continue;
        boost::json::object fields = o.at("fields").as_object();
        for (const auto& s : o.at("signatures").as_array()) {
            if (s.at("domain").as_string() == "anvil-31337") fields["sign"] = s.at("sign");
        }
        return fields;
    }
    ADD_FAILURE() << "order " << id << " not in vectors.json";
    return {};
}

TEST(AbiMatchOrders, CalldataFromJsonMatchesEthers) {
    const boost::json::value vectors = load_vectors();
    const boost::json::object app = order_with_sign(vectors, "anvil-app");
    const boost::json::object workerpool = order_with_sign(vectors, "anvil-workerpool");
    const boost::json::object request = order_with_sign(vectors, "anvil-request");
    const boost::json::value dataset = json(R"({"dataset":"0x0000000000000000000000000000000000000000",
        "datasetprice":0,"volume":"0","tag":"0x0000000000000000000000000000000000000000000000000000000000000000",
        "apprestrict":"0x0000000000000000000000000000000000000000",
        "workerpoolrestrict":"0x0000000000000000000000000000000000000000",
        "requesterrestrict":"0x0000000000000000000000000000000000000000",
        "salt":"0x0000000000000000000000000000000000000000000000000000000000000000","sign":"0x"})");
    const boost::json::array args{app, dataset, workerpool, request};

    auto sig = parse_abi_signature(match_orders_signature());
    ASSERT_TRUE(sig) << sig.error().message;
    auto values = values_from_json(sig->inputs, args);
    ASSERT_TRUE(values) << values.error().message;
    auto call = abi_encode_call(*sig, *values);
    ASSERT_TRUE(call) << call.error().message;
    EXPECT_EQ(to_hex(*call), kMatchOrdersCalldata);

    // The same values given positionally (JSON arrays for the tuples) encode identically.
    boost::json::array positional;
    for (std::size_t i = 0; i < 4; ++i) {
        auto j = value_to_json(sig->inputs[i], (*values)[i]);
        ASSERT_TRUE(j);
        positional.push_back(*j);
    }
    auto values2 = values_from_json(sig->inputs, positional);
    ASSERT_TRUE(values2) << values2.error().message;
    EXPECT_EQ(*values2, *values);

    // Strict decode of the calldata gives the orders back; JSON objects reproduce the vectors' fields.
    auto decoded = abi_decode_call(*sig, *call);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, *values);
    auto out = values_to_json(sig->inputs, *decoded, AbiJsonTuples::kObjectWhenNamed);
    ASSERT_TRUE(out);
    EXPECT_EQ((*out)[0].as_object(), app);
    EXPECT_EQ((*out)[3].as_object(), request);  // requester / beneficiary are EIP-55 checksummed in both
    EXPECT_EQ((*out)[1].at("sign"), "0x");
    EXPECT_EQ((*out)[1].at("datasetprice"), "0");

    // A dirty byte in the workerpool order's signature padding is reported with its path.
    Bytes dirty = *call;
    const Bytes wsign = *from_hex(std::string(workerpool.at("sign").as_string()));
    auto it = std::search(dirty.begin(), dirty.end(), wsign.begin(), wsign.end());
    ASSERT_NE(it, dirty.end());
    *(it + 65 + 3) = 0x01;
    auto bad = abi_decode_call(*sig, dirty);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kDecoding);
    EXPECT_NE(bad.error().message.find("arg 2.sign: non-zero padding after bytes data"), std::string::npos)
        << bad.error().message;
}

// ---------------------------------------------------------------------------------------------------------
// JSON bridge

TEST(AbiJson, Numbers) {
    const auto t8 = type("uint8");
    const auto t256 = type("uint256");
    EXPECT_EQ(*value_from_json(t8, json("255")), u(255));
    EXPECT_EQ(*value_from_json(t8, json(R"("0xff")")), u(255));
    EXPECT_EQ(*value_from_json(t256, json("18446744073709551615")), AbiValue::uint_(U256(~std::uint64_t{0})));
    EXPECT_EQ(*value_from_json(
                  t256, json(R"("115792089237316195423570985008687907853269984665640564039457584007913129639935")")),
              AbiValue::uint_(U256::max()));
    EXPECT_EQ(error_of(value_from_json(t8, json("256"))), "ABI JSON: value 256 does not fit in uint8");
    EXPECT_EQ(error_of(value_from_json(t8, json("-1"))), "ABI JSON: negative value -1 for uint8");
    EXPECT_EQ(error_of(value_from_json(t8, json("1.5"))),
              "ABI JSON: number is not an integer or is too large for JSON; pass it as a decimal string");
    EXPECT_FALSE(value_from_json(t8, json("1e2")));
    EXPECT_FALSE(value_from_json(t8, json("1.0")));
    EXPECT_FALSE(value_from_json(t256, json("18446744073709551616")));  // parsed as a double by JSON
    EXPECT_FALSE(value_from_json(t8, json(R"("1.5")")));
    EXPECT_FALSE(value_from_json(t8, json(R"("-1")")));
    EXPECT_FALSE(value_from_json(t8, json(R"(" 1")")));
    EXPECT_FALSE(value_from_json(t8, json(R"("")")));
    EXPECT_FALSE(value_from_json(t8, json("true")));
    EXPECT_FALSE(value_from_json(t8, json("null")));
    const auto i8 = type("int8");
    EXPECT_EQ(*value_from_json(i8, json("-128")), AbiValue::int_(-128));
    EXPECT_EQ(*value_from_json(i8, json(R"("-0x80")")), AbiValue::int_(-128));
    EXPECT_EQ(*value_from_json(i8, json(R"("127")")), AbiValue::int_(127));
    EXPECT_EQ(error_of(value_from_json(i8, json("-129"))), "ABI JSON: value -129 does not fit in int8");
    EXPECT_FALSE(value_from_json(i8, json("128")));
    EXPECT_FALSE(value_from_json(i8, json("-1.0")));
}

TEST(AbiJson, AddressesBytesBoolStrings) {
    const auto addr = type("address");
    EXPECT_TRUE(value_from_json(addr, json(R"("0x15d34aaf54267db7d7c367839aaf71a00a2c6a65")")));
    EXPECT_TRUE(value_from_json(addr, json(R"("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65")")));
    auto bad_sum = value_from_json(addr, json(R"("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A66")"));
    ASSERT_FALSE(bad_sum);
    EXPECT_EQ(bad_sum.error().code, Errc::kInvalidChecksum);
    EXPECT_FALSE(value_from_json(addr, json(R"("0x15d34aaf54267db7d7c367839aaf71a00a2c6a")")));
    EXPECT_FALSE(value_from_json(addr, json("0")));
    EXPECT_EQ(*value_from_json(type("bool"), json("true")), AbiValue::bool_(true));
    EXPECT_FALSE(value_from_json(type("bool"), json(R"("true")")));
    EXPECT_FALSE(value_from_json(type("bool"), json("1")));
    EXPECT_EQ(*value_from_json(type("bytes"), json(R"("0x")")), AbiValue::bytes({}));
    EXPECT_EQ(*value_from_json(type("bytes2"), json(R"("0xABcd")")), AbiValue::fixed_bytes(Bytes{0xab, 0xcd}));
    EXPECT_EQ(error_of(value_from_json(type("bytes32"), json(R"("0x01")"))), "ABI JSON: bytes32 needs 32 bytes, got 1");
    EXPECT_FALSE(value_from_json(type("bytes"), json(R"("abcd")")));
    EXPECT_FALSE(value_from_json(type("bytes"), json(R"("0xabc")")));
    EXPECT_EQ(*value_from_json(type("string"), json(R"("h\u00e9")")), str("h\xc3\xa9"));
    EXPECT_FALSE(value_from_json(type("string"), json("1")));
}

TEST(AbiJson, ArraysAndTuples) {
    EXPECT_EQ(*value_from_json(type("uint8[2]"), json("[1,\"2\"]")), list({u(1), u(2)}));
    EXPECT_EQ(error_of(value_from_json(type("uint8[2]"), json("[1]"))), "ABI JSON: uint8[2] needs 2 elements, got 1");
    EXPECT_EQ(error_of(value_from_json(type("uint8[]"), json("[1,-2]"))), "ABI JSON: [1]: negative value -2 for uint8");
    const auto named = type("(address app,uint256 appprice,bytes sign)");
    const auto expected = list({AbiValue::address(*Address::parse("0x1111111111111111111111111111111111111111")), u(5),
                                AbiValue::bytes({0xab})});
    EXPECT_EQ(*value_from_json(named, json(R"({"sign":"0xab","appprice":"5",
        "app":"0x1111111111111111111111111111111111111111"})")),
              expected);
    EXPECT_EQ(*value_from_json(named, json(R"(["0x1111111111111111111111111111111111111111",5,"0xab"])")), expected);
    EXPECT_EQ(error_of(value_from_json(named, json(R"({"app":"0x1111111111111111111111111111111111111111",
        "appprice":"5"})"))),
              "ABI JSON: missing key 'sign'");
    EXPECT_EQ(error_of(value_from_json(named, json(R"({"app":"0x1111111111111111111111111111111111111111",
        "appprice":"5","sign":"0x","extra":1})"))),
              "ABI JSON: unknown key 'extra'");
    EXPECT_EQ(error_of(value_from_json(named, json(R"({"app":"0x1111111111111111111111111111111111111111",
        "appprice":"5","sign":"0xzz"})")))
                  .substr(0, 16),
              "ABI JSON: .sign:");
    EXPECT_EQ(error_of(value_from_json(named, json("[1,2]"))), "ABI JSON: tuple needs 3 components, got 2");
    EXPECT_FALSE(value_from_json(type("(uint8,bool)"), json(R"({"0":1,"1":true})")));
    EXPECT_EQ(error_of(values_from_json(types("uint8,bool"), json("[1]"))), "ABI JSON: expected 2 arguments, got 1");
    EXPECT_EQ(error_of(values_from_json(types("uint8"), json("{}"))),
              "ABI JSON: expected a JSON array of 1 arguments, got an object");
    EXPECT_EQ(error_of(values_from_json(types("(uint8 a,bool b)[]"), json(R"([[{"a":1,"b":2}]])"))),
              "ABI JSON: arg 0[0].b: expected true or false for bool, got an integer");

    auto j = value_to_json(named, expected, AbiJsonTuples::kObjectWhenNamed);
    ASSERT_TRUE(j);
    EXPECT_EQ(boost::json::serialize(*j),
              R"({"app":"0x1111111111111111111111111111111111111111","appprice":"5","sign":"0xab"})");
    EXPECT_EQ(boost::json::serialize(*value_to_json(named, expected)),
              R"(["0x1111111111111111111111111111111111111111","5","0xab"])");
    EXPECT_EQ(boost::json::serialize(*value_to_json(
                  type("address"), AbiValue::address(*Address::parse("0x15d34aaf54267db7d7c367839aaf71a00a2c6a65")))),
              R"("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65")");
    EXPECT_FALSE(value_to_json(type("uint8"), AbiValue::bool_(true)));
    EXPECT_FALSE(value_to_json(type("uint8[2]"), list({u(1)})));
}

// ---------------------------------------------------------------------------------------------------------
// Packed encoding

TEST(AbiPacked, MatchesEthersSolidityPacked) {
    const auto ts = types("uint8,int16,address,bool,bytes3,bytes,string,uint16[],int8[2],bool[],address[],bytes2[]");
    const std::vector<AbiValue> vs{
        u(255),
        AbiValue::int_(-2),
        AbiValue::address(*Address::parse("0x1111111111111111111111111111111111111111")),
        AbiValue::bool_(true),
        AbiValue::fixed_bytes(Bytes{0xab, 0xcd, 0xef}),
        AbiValue::bytes({0x01, 0x02}),
        str("hi"),
        list({u(1), u(2)}),
        list({AbiValue::int_(-1), AbiValue::int_(1)}),
        list({AbiValue::bool_(true)}),
        list({AbiValue::address(*Address::parse("0x2222222222222222222222222222222222222222"))}),
        list({AbiValue::fixed_bytes(Bytes{0xaa, 0xbb})}),
    };
    auto out = abi_encode_packed(ts, vs);
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(to_hex(*out), kPacked);
    EXPECT_EQ(error_of(abi_encode_packed(types("(uint8,bool)"), {list({u(1), AbiValue::bool_(true)})})),
              "ABI encodePacked: arg 0: tuples cannot be packed");
    EXPECT_EQ(error_of(abi_encode_packed(types("uint8"), {u(256)})),
              "ABI encodePacked: arg 0: value 256 does not fit in uint8");
    EXPECT_FALSE(abi_encode_packed(types("uint8"), {}));
}

}  // namespace
}  // namespace wp
