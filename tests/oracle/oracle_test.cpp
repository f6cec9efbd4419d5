// The ethers 6 oracle: tests/oracle/gen.mjs writes >= 1000 random cases per primitive, computed by
// ethers at test time; every one must be reproduced bit for bit here. The C++ side also writes
// keystores of its own, which verify.mjs then decrypts with ethers (both directions checked).
//
// Environment: WP_ORACLE_CASES = the generated file; WP_ORACLE_OUT = where to write C++ keystores.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include <wp/codec/abi.hpp>
#include <wp/codec/eip712.hpp>
#include <wp/codec/rlp.hpp>
#include <wp/codec/transaction.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/crypto/keystore.hpp>
#include <wp/protocol/order.hpp>

namespace wp {
namespace {

namespace json = boost::json;

constexpr std::size_t kMinCases = 1000;

const json::object& cases() {
    static const json::object root = [] {
        const char* path = std::getenv("WP_ORACLE_CASES");
        if (path == nullptr) {
            ADD_FAILURE() << "WP_ORACLE_CASES is not set: run this test through ctest (the oracle.generate "
                             "fixture runs tests/oracle/gen.mjs with ethers first)";
            return json::object{};
        }
        std::ifstream in(path);
        if (!in) {
            ADD_FAILURE() << "cannot read the oracle cases at " << path << " (did oracle.generate fail?)";
            return json::object{};
        }
        std::stringstream buf;
        buf << in.rdbuf();
        std::error_code ec;
        json::value v = json::parse(buf.str(), ec);
        if (ec || !v.is_object()) {
            ADD_FAILURE() << "oracle cases at " << path << " are not a JSON object";
            return json::object{};
        }
        std::cout << "oracle cases: " << json::serialize(v.at("generator")) << ", seed "
                  << json::serialize(v.at("seed")) << " (replay: node tests/oracle/gen.mjs --seed N)\n";
        return std::move(v.as_object());
    }();
    return root;
}

const json::array& section(const char* name) {
    static const json::array empty;
    const auto* v = cases().if_contains(name);
    if (v == nullptr || !v->is_array()) {
        ADD_FAILURE() << "oracle section " << name << " is missing";
        return empty;
    }
    EXPECT_GE(v->as_array().size(), kMinCases) << "too few oracle cases in " << name;
    return v->as_array();
}

std::string str(const json::value& v, const char* key) { return std::string(v.at(key).as_string()); }

Bytes hex(const json::value& v, const char* key) {
    auto b = from_hex(v.at(key).as_string());
    EXPECT_TRUE(b) << key << ": " << b.error().message;
    return b ? *b : Bytes{};
}

// Reports at most a few mismatches per section so a systematic bug stays readable.
class Mismatches {
  public:
    explicit Mismatches(const char* section) : section_(section) {}
    ~Mismatches() { EXPECT_EQ(count_, 0u) << count_ << " mismatches in " << section_; }
    void add(std::size_t index, const std::string& what) {
        if (++count_ <= 5) ADD_FAILURE() << section_ << "[" << index << "]: " << what;
    }
    template <class A, class B>
    void expect_eq(std::size_t index, const A& got, const B& want, const char* what) {
        if (!(got == want)) {
            std::ostringstream s;
            s << what << ": got " << got << ", ethers says " << want;
            add(index, s.str());
        }
    }

  private:
    const char* section_;
    std::size_t count_ = 0;
};

TEST(Oracle, Keccak256) {
    Mismatches bad("keccak");
    const auto& list = section("keccak");
    for (std::size_t i = 0; i < list.size(); ++i)
        bad.expect_eq(i, to_hex(keccak256(hex(list[i], "data"))), str(list[i], "hash"), "keccak256");
}

TEST(Oracle, Eip191) {
    Mismatches bad("eip191");
    const auto& list = section("eip191");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& c = list[i];
        auto key = PrivateKey::from_hex(str(c, "privateKey"));
        ASSERT_TRUE(key);
        bad.expect_eq(i, key->address().to_checksum(), str(c, "address"), "address");
        const Bytes message = hex(c, "message");
        bad.expect_eq(i, to_hex(eip191_hash(message)), str(c, "hash"), "hash");
        const Signature sig = eip191_sign(*key, message);
        bad.expect_eq(i, to_hex(sig.to_bytes65()), str(c, "signature"), "signature");
        bad.expect_eq(i, to_hex(sig.to_compact64()), str(c, "compact"), "EIP-2098 compact signature");
        auto compact = Signature::parse(hex(c, "compact"));
        auto recovered = compact ? eip191_recover(message, *compact) : Result<Address>(make_error(compact.error()));
        bad.expect_eq(i, recovered ? recovered->to_checksum() : recovered.error().message, str(c, "address"),
                      "recover from compact");
    }
}

TEST(Oracle, OrdersEip712) {
    Mismatches bad("orders");
    const auto& list = section("orders");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& c = list[i];
        auto kind = parse_order_kind(str(c, "kind"));
        ASSERT_TRUE(kind) << kind.error().message;
        auto order = order_from_json(*kind, c.at("order"));
        if (!order) {
            bad.add(i, "order_from_json: " + order.error().message);
            continue;
        }
        const auto& d = c.at("domain");
        auto chain_id = U256::from_dec(d.at("chainId").as_string());
        auto hub = Address::parse(d.at("verifyingContract").as_string());
        ASSERT_TRUE(chain_id && hub);
        const Domain domain = Domain::iexec(*chain_id, *hub);
        bad.expect_eq(i, to_hex(domain.separator()), str(c, "domainSeparator"), "domain separator");
        bad.expect_eq(i, to_hex(struct_hash(*order)), str(c, "structHash"), "struct hash");
        bad.expect_eq(i, to_hex(order_hash(domain, *order)), str(c, "orderHash"), "order hash");
        const auto op = static_cast<OrderOperation>(c.at("operation").as_int64());
        bad.expect_eq(i, to_hex(operation_struct_hash(*order, op)), str(c, "operationStructHash"),
                      "operation struct hash");
        auto key = PrivateKey::from_hex(str(c, "privateKey"));
        ASSERT_TRUE(key);
        bad.expect_eq(i, to_hex(sign_order(domain, *order, *key)), str(c, "sign"), "sign");
    }
}

TEST(Oracle, TypedDataGeneric) {
    Mismatches bad("typed");
    const auto& list = section("typed");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& c = list[i];
        auto data = eip712::parse_typed_data(c.at("typedData"));
        if (!data) {
            bad.add(i, "parse_typed_data: " + data.error().message + " in " + json::serialize(c.at("typedData")));
            continue;
        }
        auto type = eip712::encode_type(*data, data->primary_type);
        bad.expect_eq(i, type ? *type : type.error().message, str(c, "encodeType"), "encodeType");
        auto sep = eip712::domain_separator(*data);
        bad.expect_eq(i, sep ? to_hex(*sep) : sep.error().message, str(c, "domainSeparator"), "domain separator");
        auto sh = eip712::message_hash(*data);
        bad.expect_eq(i, sh ? to_hex(*sh) : sh.error().message, str(c, "structHash"), "struct hash");
        auto dg = eip712::digest(*data);
        bad.expect_eq(i, dg ? to_hex(*dg) : dg.error().message, str(c, "digest"), "digest");
    }
}

// Turns the generator's nested arrays of hex strings into an RlpItem.
RlpItem rlp_item_from_json(const json::value& v) {
    if (v.is_array()) {
        std::vector<RlpItem> children;
        for (const auto& child : v.as_array()) children.push_back(rlp_item_from_json(child));
        return RlpItem::from_list(std::move(children));
    }
    return RlpItem::from_bytes(*from_hex(v.as_string()));
}

TEST(Oracle, Rlp) {
    Mismatches bad("rlp");
    const auto& list = section("rlp");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const RlpItem item = rlp_item_from_json(list[i].at("item"));
        const std::string want = str(list[i], "encoded");
        bad.expect_eq(i, to_hex(rlp::encode(item)), want, "encode");
        auto decoded = rlp::decode(*from_hex(want));
        if (!decoded) bad.add(i, "decode: " + decoded.error().message);
        else if (!(*decoded == item)) bad.add(i, "decode gave a different item");
    }
}

TEST(Oracle, Abi) {
    Mismatches bad("abi");
    const auto& list = section("abi");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& c = list[i];
        std::vector<AbiType> types;
        for (const auto& t : c.at("types").as_array()) {
            auto parsed = parse_abi_type(t.as_string());
            ASSERT_TRUE(parsed) << t.as_string() << ": " << parsed.error().message;
            types.push_back(*parsed);
        }
        auto values = values_from_json(types, c.at("values"));
        if (!values) {
            bad.add(i, "values_from_json: " + values.error().message);
            continue;
        }
        auto encoded = abi_encode(types, *values);
        const std::string want = str(c, "encoded");
        bad.expect_eq(i, encoded ? to_hex(*encoded) : encoded.error().message, want, "abi.encode");
        auto decoded = abi_decode(types, *from_hex(want));
        if (!decoded) {
            bad.add(i, "abi_decode: " + decoded.error().message);
            continue;
        }
        auto back = values_to_json(types, *decoded);
        bad.expect_eq(i, back ? json::serialize(*back) : back.error().message,
                      json::serialize(c.at("values")), "decode back to JSON");
    }
}

TEST(Oracle, MatchOrdersCalldata) {
    Mismatches bad("matchOrders");
    const auto& list = section("matchOrders");
    ASSERT_FALSE(list.empty());
    auto sig = parse_abi_signature(list[0].at("signature").as_string());
    ASSERT_TRUE(sig) << sig.error().message;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& c = list[i];
        auto values = values_from_json(sig->inputs, c.at("args"));
        if (!values) {
            bad.add(i, "values_from_json: " + values.error().message);
            continue;
        }
        auto calldata = abi_encode_call(*sig, *values);
        bad.expect_eq(i, calldata ? to_hex(*calldata) : calldata.error().message, str(c, "calldata"), "calldata");
    }
}

Result<Transaction> transaction_from_json(const json::object& t) {
    Transaction tx;
    const auto num = [&](const char* key) -> Result<U256> {
        const auto& v = t.at(key);
        if (v.is_int64()) return U256(static_cast<std::uint64_t>(v.as_int64()));
        return U256::from_dec(v.as_string());
    };
    tx.type = t.at("type").as_int64() == 2 ? TxType::kDynamicFee : TxType::kLegacy;
    WP_TRY(U256 chain_id, num("chainId"));
    tx.chain_id = chain_id.low_u64();
    WP_TRY(U256 nonce, num("nonce"));
    tx.nonce = nonce.low_u64();
    WP_TRY(U256 gas_limit, num("gasLimit"));
    tx.gas_limit = gas_limit.low_u64();
    if (!t.at("to").is_null()) {
        WP_TRY(Address to, Address::parse(t.at("to").as_string()));
        tx.to = to;
    }
    WP_TRY(tx.value, num("value"));
    WP_TRY(tx.data, from_hex(t.at("data").as_string()));
    if (tx.type == TxType::kDynamicFee) {
        WP_TRY(tx.max_priority_fee_per_gas, num("maxPriorityFeePerGas"));
        WP_TRY(tx.max_fee_per_gas, num("maxFeePerGas"));
        for (const auto& e : t.at("accessList").as_array()) {
            AccessListEntry entry;
            WP_TRY(entry.address, Address::parse(e.at("address").as_string()));
            for (const auto& k : e.at("storageKeys").as_array()) {
                WP_TRY(Bytes32 key, bytes32_from_hex(k.as_string()));
                entry.storage_keys.push_back(key);
            }
            tx.access_list.push_back(std::move(entry));
        }
    } else {
        WP_TRY(tx.gas_price, num("gasPrice"));
    }
    return tx;
}

TEST(Oracle, Transactions) {
    Mismatches bad("txs");
    const auto& list = section("txs");
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& c = list[i];
        auto unsigned_tx = transaction_from_json(c.at("tx").as_object());
        if (!unsigned_tx) {
            bad.add(i, "transaction_from_json: " + unsigned_tx.error().message);
            continue;
        }
        auto payload = tx::signing_payload(*unsigned_tx);
        bad.expect_eq(i, payload ? to_hex(*payload) : payload.error().message, str(c, "unsigned"), "unsigned payload");
        auto hash = tx::signing_hash(*unsigned_tx);
        bad.expect_eq(i, hash ? to_hex(*hash) : hash.error().message, str(c, "signingHash"), "signing hash");
        auto key = PrivateKey::from_hex(str(c, "privateKey"));
        ASSERT_TRUE(key);
        auto signed_tx = tx::sign(*unsigned_tx, *key);
        ASSERT_TRUE(signed_tx) << signed_tx.error().message;
        auto raw = tx::encode(*signed_tx);
        const std::string want_raw = str(c, "raw");
        bad.expect_eq(i, raw ? to_hex(*raw) : raw.error().message, want_raw, "raw signed transaction");
        const Bytes ethers_raw = *from_hex(want_raw);
        bad.expect_eq(i, to_hex(tx::tx_hash(ethers_raw)), str(c, "hash"), "transaction hash");
        auto decoded = tx::decode(ethers_raw);
        if (!decoded) {
            bad.add(i, "decode: " + decoded.error().message);
            continue;
        }
        if (!(*decoded == *signed_tx)) bad.add(i, "decode(ethers raw) differs from the transaction we signed");
        auto from = tx::sender(*decoded);
        bad.expect_eq(i, from ? from->to_checksum() : from.error().message, str(c, "from"), "sender");
    }
}

TEST(Oracle, KeystoresBothWays) {
    Mismatches bad("keystores");
    const auto& list = section("keystores");
    json::array ours;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& c = list[i];
        const std::string password = str(c, "password");
        auto key = keystore_decrypt(str(c, "json"), password);
        bad.expect_eq(i, key ? to_hex(key->secret().view()) : key.error().message, str(c, "privateKey"),
                      "decrypted private key");
        if (!key) continue;
        // The other direction: our keystore of the same key, for ethers to decrypt (verify.mjs).
        KeystoreOptions options;
        options.scrypt_n = 1u << (1 + i % 4);
        options.r = 1 + static_cast<std::uint32_t>(i % 8);
        options.p = 1 + static_cast<std::uint32_t>(i % 2);
        ours.push_back(json::object{{"json", keystore_encrypt(*key, password, options)},
                                    {"password", password},
                                    {"privateKey", to_hex(key->secret().view())},
                                    {"address", key->address().to_checksum()}});
    }
    const char* out_path = std::getenv("WP_ORACLE_OUT");
    ASSERT_NE(out_path, nullptr) << "WP_ORACLE_OUT is not set: run this test through ctest";
    std::ofstream out(out_path);
    out << json::serialize(ours);
    ASSERT_TRUE(out.good()) << "cannot write " << out_path;
}

}  // namespace
}  // namespace wp
