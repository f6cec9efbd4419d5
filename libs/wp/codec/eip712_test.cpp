#include "eip712.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

namespace wp::eip712 {
namespace {

namespace json = boost::json;

std::string hex(const Bytes32& b) { return to_hex(b.view()); }

// The example of the EIP-712 specification (https://eips.ethereum.org/EIPS/eip-712, Example.js).
constexpr std::string_view kMail = R"({
  "types": {
    "EIP712Domain": [
      {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
      {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
    ],
    "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
    "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"}, {"name": "contents", "type": "string"}]
  },
  "primaryType": "Mail",
  "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
             "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
  "message": {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!"
  }
})";

TEST(Eip712, SpecMailExample) {
    auto td = parse_typed_data(kMail);
    ASSERT_TRUE(td) << td.error().message;
    EXPECT_EQ(td->primary_type, "Mail");
    EXPECT_EQ(*encode_type(*td, "Mail"), "Mail(Person from,Person to,string contents)Person(string name,address wallet)");
    EXPECT_EQ(hex(*type_hash(*td, "Mail")), "0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2");
    EXPECT_EQ(hex(*domain_separator(*td)), "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
    EXPECT_EQ(hex(*message_hash(*td)), "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
    EXPECT_EQ(hex(*digest(*td)), "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");

    const auto key = PrivateKey::from_hex(to_hex(keccak256(as_bytes("cow")).view()));
    ASSERT_TRUE(key);
    EXPECT_EQ(key->address().to_checksum(), "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
    const auto sig = sign_typed_data(*key, *td);
    ASSERT_TRUE(sig);
    // Spec: v = 28, r = 0x4355c47d..., s = 0x07299936...
    EXPECT_EQ(to_hex(sig->to_bytes65()),
              "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"
              "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c");

    // Without types.EIP712Domain and without primaryType: derived as ethers does, same hashes.
    json::value doc = json::parse(kMail);
    doc.as_object()["types"].as_object().erase("EIP712Domain");
    doc.as_object().erase("primaryType");
    auto derived = parse_typed_data(doc);
    ASSERT_TRUE(derived) << derived.error().message;
    EXPECT_EQ(derived->primary_type, "Mail");
    EXPECT_EQ(hex(*digest(*derived)), "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
    EXPECT_EQ(hex(*hash_domain(derived->domain)),
              "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
}

TEST(Eip712, MarketChallenge) {
    // vectors.md §6 (also checked from vectors.json by the protocol vectors test).
    constexpr std::string_view kChallenge = R"({
      "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                 {"name": "chainId", "type": "uint256"}],
                "Challenge": [{"name": "challenge", "type": "string"}]},
      "domain": {"name": "iExec Gateway", "version": "1", "chainId": "65535"},
      "primaryType": "Challenge",
      "message": {"challenge": "Sign this message to log into iExec Gateway: abcdefghijklmnopqrstuvwxyz012345"}})";
    auto td = parse_typed_data(kChallenge);
    ASSERT_TRUE(td) << td.error().message;
    EXPECT_EQ(*encode_type(*td, "EIP712Domain"), "EIP712Domain(string name,string version,uint256 chainId)");
    EXPECT_EQ(hex(*type_hash(*td, "EIP712Domain")), "0xc2f8787176b8ac6bf7215b4adcc1e069bf4ab82d9ab1df05a57a91d425935b6e");
    EXPECT_EQ(hex(*type_hash(*td, "Challenge")), "0x3818ad0e2e53380d5cc27b183abf69ef5810394e55d03a38acc020defda20d50");
    EXPECT_EQ(hex(*domain_separator(*td)), "0xe7df15a4aa41218172dd2f54ee8275a9ff742fd20d5a58ca7a0f276df5d900fc");
    EXPECT_EQ(hex(*message_hash(*td)), "0x9b1cb553f8c5d2b6833282f50897cd2f4b94dabf471211ffa75c294dba48f34a");
    EXPECT_EQ(hex(*digest(*td)), "0x15831618c45169acb3c7038bd28fbefdddaefd5046fd7b34fbbee8bdad0921fb");
    const auto key = *PrivateKey::from_hex("0x0101010101010101010101010101010101010101010101010101010101010101");
    EXPECT_EQ(to_hex(sign_typed_data(key, *td)->to_bytes65()),
              "0x425475bc1aea31f4453121a5419dd14875bdf76e5a659d337f6bf578382e664914c9a78bb897da3968584370e02b23bd"
              "ca2ccf9892ef1c461d8c94ec3303596a1c");
}

// Arrays, nested structs, every atomic type. Expected values produced with ethers 6.17.0:
//   const enc = TypedDataEncoder.from(types); enc.encodeType(t); enc.hashStruct(t, v); enc.hash(message);
//   TypedDataEncoder.hashDomain(domain); TypedDataEncoder.hash(domain, types, message);
//   new Wallet("0x" + "01".repeat(32)).signTypedData(domain, types, message)
// with exactly the types / domain / message below (no EIP712Domain in types, as ethers takes them).
constexpr std::string_view kNested = R"({
  "types": {
    "Group": [{"name": "name", "type": "string"}, {"name": "members", "type": "Person[]"},
              {"name": "scores", "type": "int16[3]"}, {"name": "matrix", "type": "uint8[2][]"},
              {"name": "tags", "type": "bytes4[]"}, {"name": "blobs", "type": "bytes[]"},
              {"name": "notes", "type": "string[]"}, {"name": "flag", "type": "bool"},
              {"name": "owner", "type": "Person"}, {"name": "id", "type": "bytes32"},
              {"name": "neg", "type": "int256"}, {"name": "big", "type": "uint256"}, {"name": "short", "type": "bytes1"}],
    "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"},
               {"name": "pet", "type": "Animal"}],
    "Animal": [{"name": "kind", "type": "string"}, {"name": "age", "type": "uint8"}]
  },
  "primaryType": "Group",
  "domain": {"name": "Nested Test", "version": "2", "chainId": "65535",
             "verifyingContract": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
             "salt": "0xabababababababababababababababababababababababababababababababab"},
  "message": {
    "name": "Team \u2713",
    "members": [
      {"name": "Alice", "wallets": ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", "0xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"],
       "pet": {"kind": "cat", "age": 3}},
      {"name": "Bob", "wallets": [], "pet": {"kind": "dog", "age": "255"}}
    ],
    "scores": [-5, "0x7fff", "-32768"],
    "matrix": [[1, 2], ["3", "0x04"]],
    "tags": ["0x01020304", "0xA0B0C0D0"],
    "blobs": ["0x", "0x00", "0xdeadbeef"],
    "notes": ["", "hello"],
    "flag": true,
    "owner": {"name": "Owner", "wallets": ["0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1"], "pet": {"kind": "fish", "age": 0}},
    "id": "0x1111111111111111111111111111111111111111111111111111111111111111",
    "neg": "-1",
    "big": "115792089237316195423570985008687907853269984665640564039457584007913129639935",
    "short": "0xff"
  }
})";

TEST(Eip712, NestedArraysMatchEthers) {
    auto td = parse_typed_data(kNested);
    ASSERT_TRUE(td) << td.error().message;
    EXPECT_EQ(*encode_type(*td, "Group"),
              "Group(string name,Person[] members,int16[3] scores,uint8[2][] matrix,bytes4[] tags,bytes[] blobs,"
              "string[] notes,bool flag,Person owner,bytes32 id,int256 neg,uint256 big,bytes1 short)"
              "Animal(string kind,uint8 age)Person(string name,address[] wallets,Animal pet)");
    EXPECT_EQ(*encode_type(*td, "Person"), "Person(string name,address[] wallets,Animal pet)Animal(string kind,uint8 age)");
    EXPECT_EQ(hex(*type_hash(*td, "Group")), "0x051c2528187759a2241d434335bb1c1e9f0514b57e32905f24ac95f07f9956fd");
    EXPECT_EQ(hex(*type_hash(*td, "Person")), "0xbb89282409e6e2f652d72d1a25ca400ddd5c7602440618fffa305afffadc3ee2");
    EXPECT_EQ(hex(*type_hash(*td, "Animal")), "0xa3a7b52ffdbf89d0612570eda1fb1efb60b100c4e063d5c5de81988da90334d9");
    EXPECT_EQ(hex(*hash_struct(*td, "Animal", json::parse(R"({"kind":"cat","age":3})"))),
              "0xb8a750ef60d087847a91a1539b1d9e6593565a12124924684745f6da4c7fefd2");
    EXPECT_EQ(hex(*hash_struct(*td, "Person", td->message.at("members").at(0))),
              "0x24ccd58e9e4f3e4d0b28ee4b6c27159a7685881d237691fbb49681941f9c62e1");
    EXPECT_EQ(hex(*message_hash(*td)), "0x552ec061dda0b6e820ba74b43116711a7028e08cad53333c277f49c6da11abba");
    EXPECT_EQ(hex(*domain_separator(*td)), "0x2c9af6b377ba99fd638c2cfc6b3593242fcb9f0118394b1ec787c7279573447a");
    EXPECT_EQ(hex(*digest(*td)), "0xfe66bf5d8311b4a159d779712b56948781124308165577b60d1e3daefe847872");
    const auto key = *PrivateKey::from_hex("0x0101010101010101010101010101010101010101010101010101010101010101");
    EXPECT_EQ(to_hex(sign_typed_data(key, *td)->to_bytes65()),
              "0x1741333094274967e0084d47401123a0952e17170d9481134081eea7ef19d99c253e4490a13c30d944aba8fca88022a4"
              "aaa5a82b87d6e5d521e36b30d823e4611b");
    // The derived EIP712Domain has all five members in the canonical order.
    EXPECT_EQ(*encode_type(*td, "EIP712Domain"),
              "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)");
}

TEST(Eip712, HashDomainMatchesEthers) {
    // TypedDataEncoder.hashDomain(...) with ethers 6.17.0.
    struct Case {
        const char* domain;
        const char* separator;
    };
    const Case cases[] = {
        {R"({"name":"iExec Gateway","version":"1","chainId":"65535"})",
         "0xe7df15a4aa41218172dd2f54ee8275a9ff742fd20d5a58ca7a0f276df5d900fc"},
        {R"({"name":"X","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
             "salt":"0x0000000000000000000000000000000000000000000000000000000000000001"})",
         "0x790e4a256b591805fcb0078b95ca147db0d8f18124c5f1dff26919f7af8018ec"},
        {R"({"salt":"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"})",
         "0xf3d9ebc35345f163c45e1fec645b3882d275804e850725e5ceaf629e17cc4247"},
        {R"({})", "0x6192106f129ce05c9075d319c1fa6ea9b3ae37cbd0c1ef92e2be7137bb07baa1"},
        // key order in the object does not matter
        {R"({"chainId":"65535","version":"1","name":"iExec Gateway"})",
         "0xe7df15a4aa41218172dd2f54ee8275a9ff742fd20d5a58ca7a0f276df5d900fc"},
    };
    for (const auto& c : cases) {
        auto sep = hash_domain(json::parse(c.domain).as_object());
        ASSERT_TRUE(sep) << c.domain << ": " << sep.error().message;
        EXPECT_EQ(hex(*sep), c.separator) << c.domain;
    }
    auto bad = hash_domain(json::parse(R"({"name":"x","foo":1})").as_object());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "invalid typed-data domain key: \"foo\"");
    EXPECT_FALSE(hash_domain(json::parse(R"({"salt":"0x01"})").as_object()));
    EXPECT_FALSE(hash_domain(json::parse(R"({"chainId":"abc"})").as_object()));
    EXPECT_FALSE(hash_domain(json::parse(R"({"name":1})").as_object()));
}

// Encodes a single field value: encodeData("A", {x: value}) for A(type x).
Result<Bytes> encode_one(const std::string& type, const std::string& value_json) {
    TypeMap map{{"A", {{"x", type}}}};
    WP_TRY(const Types types, Types::create(map));
    json::object obj;
    obj["x"] = json::parse(value_json);
    return types.encode_data("A", obj);
}

std::string word_of(const Result<Bytes>& encoded) {
    if (!encoded) return "error: " + encoded.error().message;
    return to_hex(ByteView(*encoded).subspan(32));
}

TEST(Eip712, AtomicValuesMatchEthers) {
    // Second word of TypedDataEncoder.from({A:[{name:"x",type}]}).encodeData("A", {x}) (ethers 6.17.0).
    EXPECT_EQ(word_of(encode_one("int8", "-128")), "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80");
    EXPECT_EQ(word_of(encode_one("int8", "127")), "0x000000000000000000000000000000000000000000000000000000000000007f");
    EXPECT_EQ(word_of(encode_one("int256", R"("-57896044618658097711785492504343953926634992332820282019728792003956564819968")")),
              "0x8000000000000000000000000000000000000000000000000000000000000000");
    EXPECT_EQ(word_of(encode_one("uint256", R"("0x1F")")),
              "0x000000000000000000000000000000000000000000000000000000000000001f");
    EXPECT_EQ(word_of(encode_one("uint256", "12")), "0x000000000000000000000000000000000000000000000000000000000000000c");
    EXPECT_EQ(word_of(encode_one("uint256", "1e3")), "0x00000000000000000000000000000000000000000000000000000000000003e8");
    EXPECT_EQ(word_of(encode_one("address", R"("0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826")")),
              "0x000000000000000000000000cd2a3d9f938e13cd947ec05abc7fe734df8dd826");
    EXPECT_EQ(word_of(encode_one("bool", "false")), "0x0000000000000000000000000000000000000000000000000000000000000000");
    EXPECT_EQ(word_of(encode_one("bool", "true")), "0x0000000000000000000000000000000000000000000000000000000000000001");
    EXPECT_EQ(word_of(encode_one("bytes2", R"("0xABcd")")),
              "0xabcd000000000000000000000000000000000000000000000000000000000000");
    EXPECT_EQ(word_of(encode_one("bytes", R"("0x")")), to_hex(keccak256(ByteView{}).view()));
    EXPECT_EQ(word_of(encode_one("string", R"("")")), to_hex(keccak256(ByteView{}).view()));
    // uint / int aliases are normalised in encodeType as ethers does.
    auto t = Types::create(TypeMap{{"A", {{"x", "uint"}, {"y", "int[]"}}}});
    ASSERT_TRUE(t);
    EXPECT_EQ(*t->encode_type("A"), "A(uint256 x,int256[] y)");
    // The type hash of the empty domain and of an empty struct (ethers: hashDomain({}), from({Empty:[]}).hash({})).
    EXPECT_EQ(hex(*hash_domain(json::object{})), "0x6192106f129ce05c9075d319c1fa6ea9b3ae37cbd0c1ef92e2be7137bb07baa1");
    auto empty = Types::create(TypeMap{{"Empty", {}}});
    EXPECT_EQ(hex(*empty->hash_struct("Empty", json::object{})),
              "0xd0c9221139d8bc1ad93339974972c312c9a1cd07c8ec56131879b77cf140602b");
}

std::string error_of(const Result<Bytes>& r) { return r ? std::string("ok") : r.error().message; }

TEST(Eip712, ValueErrors) {
    EXPECT_EQ(error_of(encode_one("int8", "-129")), "message.x: value out-of-bounds for int8");
    EXPECT_EQ(error_of(encode_one("int8", "128")), "message.x: value out-of-bounds for int8");
    EXPECT_EQ(error_of(encode_one("uint8", "256")), "message.x: value out-of-bounds for uint8");
    EXPECT_EQ(error_of(encode_one("uint256", R"("-1")")), "message.x: value out-of-bounds for uint256");
    EXPECT_EQ(error_of(encode_one("uint256", R"("-0")")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", R"("")")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", R"(" 12")")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", R"("0b11")")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", R"("1e3")")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", "12.5")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", "9007199254740992")), "ok");  // 2^53: unsafe JSON number
    EXPECT_EQ(error_of(encode_one("uint256", "9007199254740991")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", "true")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", "null")), "ok");
    EXPECT_NE(error_of(encode_one("uint256", R"("0x1)" + std::string(64, '0') + "\"")), "ok");  // 2^256
    EXPECT_NE(error_of(encode_one("bool", R"("false")")), "ok");
    EXPECT_NE(error_of(encode_one("bool", "0")), "ok");
    EXPECT_EQ(error_of(encode_one("bytes4", R"("0x010203")")), "message.x: invalid length for bytes4 (got 3 bytes)");
    EXPECT_NE(error_of(encode_one("bytes", R"("0x123")")), "ok");
    EXPECT_NE(error_of(encode_one("bytes", R"("1234")")), "ok");
    EXPECT_NE(error_of(encode_one("address", R"("0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD827")")), "ok");  // checksum
    EXPECT_NE(error_of(encode_one("address", R"("0x1234")")), "ok");
    EXPECT_NE(error_of(encode_one("string", "1")), "ok");
    EXPECT_EQ(error_of(encode_one("uint8[2]", "[1]")), "message.x: array length mismatch; expected length 2, got 1");
    EXPECT_EQ(error_of(encode_one("uint8[2][]", "[[1,2],[3,300]]")), "message.x[1][1]: value out-of-bounds for uint8");
    EXPECT_NE(error_of(encode_one("uint8[]", "{}")), "ok");

    auto td = parse_typed_data(kMail);
    ASSERT_TRUE(td);
    auto missing = td->types.hash_struct("Mail", json::parse(R"({"from":{"name":"a","wallet":"0x0000000000000000000000000000000000000000"},"contents":"x"})"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "message.to: missing field \"to\" (Mail)");
    // Extra keys are ignored like ethers does, unless asked otherwise.
    json::value extra = json::parse(kMail);
    extra.as_object()["message"].as_object()["extra"] = 1;
    auto with_extra = parse_typed_data(extra);
    ASSERT_TRUE(with_extra);
    EXPECT_EQ(hex(*digest(*with_extra)), "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
    Options strict;
    strict.reject_unknown_fields = true;
    auto rejected = parse_typed_data(extra, strict);
    ASSERT_FALSE(rejected);
    EXPECT_EQ(rejected.error().message, "message: unknown field \"extra\" for struct Mail");
}

TEST(Eip712, TypeErrors) {
    const auto err = [](TypeMap map) {
        auto t = Types::create(std::move(map));
        return t ? std::string("ok") : t.error().message;
    };
    EXPECT_EQ(err({{"A", {{"x", "B"}}}, {"B", {{"y", "A"}}}}), "circular type reference to \"A\"");
    EXPECT_EQ(err({{"A", {{"x", "A[]"}}}}), "circular type reference to \"A\"");
    EXPECT_EQ(err({{"A", {{"x", "C"}}}}), "unknown type \"C\" in field A.x");
    EXPECT_EQ(err({{"A", {{"x", "uint8"}, {"x", "uint8"}}}}), "duplicate variable name \"x\" in \"A\"");
    EXPECT_EQ(err({{"A", {{"x", "uint7"}}}}), "field A.x: invalid numeric width in type uint7");
    EXPECT_EQ(err({{"A", {{"x", "int08"}}}}), "field A.x: invalid numeric width in type int08");
    EXPECT_EQ(err({{"A", {{"x", "bytes33"}}}}), "field A.x: invalid bytes width in type bytes33");
    EXPECT_EQ(err({{"A", {{"x", "bytes0"}}}}), "field A.x: invalid bytes width in type bytes0");
    EXPECT_NE(err({{"A", {{"x", "uint8[01]"}}}}), "ok");
    EXPECT_NE(err({{"A", {{"x", "uint8]"}}}}), "ok");
    EXPECT_NE(err({{"A", {{"x", "uint8[[]"}}}}), "ok");
    EXPECT_NE(err({{"A B", {{"x", "uint8"}}}}), "ok");
    EXPECT_NE(err({{"uint256", {{"x", "uint8"}}}}), "ok");
    EXPECT_NE(err({{"A", {{"x y", "uint8"}}}}), "ok");
    EXPECT_NE(err({{"A", {{"x", ""}}}}), "ok");
    EXPECT_NE(err({{"A", {{"x", "uint8[][][][][][][][][]"}}}}), "ok");  // > 8 dimensions
    EXPECT_EQ(err({{"A", {{"x", "uint8[][][][][][][][]"}}}}), "ok");

    auto two_roots = Types::create(TypeMap{{"A", {{"x", "uint8"}}}, {"B", {{"x", "uint8"}}}});
    ASSERT_TRUE(two_roots);
    EXPECT_EQ(two_roots->primary_type().error().message, "ambiguous primary types or unused types: \"A\", \"B\"");
}

TEST(Eip712, DocumentErrors) {
    const auto err = [](std::string_view text) {
        auto t = parse_typed_data(text);
        return t ? std::string("ok") : t.error().message;
    };
    EXPECT_NE(err("not json"), "ok");
    EXPECT_NE(err("[]"), "ok");
    EXPECT_EQ(err(R"({"types":{"A":[]},"domain":{},"message":{},"foo":1})"), "typed data: unexpected key \"foo\"");
    EXPECT_EQ(err(R"({"types":{"A":[]},"domain":{},"message":{}})"), "ok");
    EXPECT_NE(err(R"({"types":{"A":[]},"message":{}})"), "ok");
    EXPECT_NE(err(R"({"types":{"A":[]},"domain":{}})"), "ok");
    EXPECT_EQ(err(R"({"types":{"A":[]},"domain":{"foo":1},"message":{}})"), "invalid typed-data domain key: \"foo\"");
    EXPECT_EQ(err(R"({"types":{"A":[]},"primaryType":"B","domain":{},"message":{}})"),
              "typed data: primaryType \"B\" is not in types");
    EXPECT_NE(err(R"({"types":{"A":[]},"primaryType":"EIP712Domain","domain":{},"message":{}})"), "ok");
    // explicit EIP712Domain must agree with the domain object
    EXPECT_EQ(err(R"({"types":{"EIP712Domain":[{"name":"name","type":"string"}],"A":[]},"domain":{},"message":{}})"),
              "domain: missing \"name\" declared in types.EIP712Domain");
    EXPECT_EQ(err(R"({"types":{"EIP712Domain":[],"A":[]},"domain":{"name":"x"},"message":{}})"),
              "domain: key \"name\" is not declared in types.EIP712Domain");
    EXPECT_NE(err(R"({"types":{"EIP712Domain":[{"name":"foo","type":"string"}],"A":[]},"domain":{"foo":"x"},"message":{}})"),
              "ok");
    EXPECT_NE(err(R"({"types":{"EIP712Domain":[{"name":"chainId","type":"string"}],"A":[]},"domain":{"chainId":"1"},"message":{}})"),
              "ok");
    EXPECT_NE(err(R"({"types":{"A":[{"name":"d","type":"EIP712Domain"}]},"domain":{},"message":{"d":{}}})"), "ok");
    EXPECT_NE(err(R"({"types":{"A":[{"name":"x"}]},"domain":{},"message":{}})"), "ok");
    EXPECT_NE(err(R"({"types":{"A":[{"name":"x","type":"uint8","extra":1}]},"domain":{},"message":{"x":1}})"), "ok");
    EXPECT_EQ(err(R"({"types":{"A":[{"name":"x","type":"uint8"}]},"domain":{},"message":{"x":1000}})"),
              "message.x: value out-of-bounds for uint8");
    EXPECT_EQ(err(R"({"types":{"A":[]},"domain":{"chainId":-1},"message":{}})"),
              "domain.chainId: value out-of-bounds for uint256");
    // Unused types: ethers rejects them when it has to deduce the primary type ...
    EXPECT_EQ(err(R"({"types":{"A":[],"B":[]},"domain":{},"message":{}})"),
              "ambiguous primary types or unused types: \"A\", \"B\"");
    // ... while an explicit primaryType tolerates them (eth_signTypedData_v4).
    EXPECT_EQ(err(R"({"types":{"A":[],"B":[]},"primaryType":"B","domain":{},"message":{}})"), "ok");
}

TEST(Eip712, Limits) {
    // Deep nesting of arrays inside one value is bounded.
    Options options;
    options.limits.max_depth = 4;
    auto deep = parse_typed_data(
        R"({"types":{"A":[{"name":"x","type":"uint8[][][][][]"}]},"domain":{},"message":{"x":[[[[[1]]]]]}})", options);
    ASSERT_FALSE(deep);
    EXPECT_EQ(deep.error().code, Errc::kUnsupported);
    options.limits.max_depth = 48;
    options.limits.max_values = 3;
    auto many = parse_typed_data(R"({"types":{"A":[{"name":"x","type":"uint8[]"}]},"domain":{},"message":{"x":[1,2,3,4]}})",
                                 options);
    ASSERT_FALSE(many);
    EXPECT_EQ(many.error().code, Errc::kUnsupported);
    // A long chain of struct types is fine within the type limit.
    json::object types;
    json::object message;
    json::value* cursor = nullptr;
    const auto type_name = [](int i) {
        std::string name(1, 'T');
        name += std::to_string(i);
        return name;
    };
    for (int i = 0; i < 40; ++i) {
        json::array fields;
        if (i < 39) fields.push_back(json::object{{"name", "next"}, {"type", type_name(i + 1)}});
        types[type_name(i)] = fields;
    }
    json::value msg = json::object{};
    cursor = &msg;
    for (int i = 0; i < 39; ++i) {
        cursor->as_object()["next"] = json::object{};
        cursor = &cursor->as_object()["next"];
    }
    auto chain = parse_typed_data(json::value{{"types", types}, {"domain", json::object{}}, {"message", msg}});
    ASSERT_TRUE(chain) << chain.error().message;
    EXPECT_EQ(chain->primary_type, "T0");
    // Exactly max_types message types (plus the derived EIP712Domain) is accepted; one more is not.
    options = Options{};
    options.limits.max_types = 40;
    EXPECT_TRUE(parse_typed_data(json::value{{"types", types}, {"domain", json::object{}}, {"message", msg}}, options));
    options.limits.max_types = 39;
    auto too_many =
        parse_typed_data(json::value{{"types", types}, {"domain", json::object{}}, {"message", msg}}, options);
    ASSERT_FALSE(too_many);
    EXPECT_EQ(too_many.error().code, Errc::kUnsupported);
}

}  // namespace
}  // namespace wp::eip712
