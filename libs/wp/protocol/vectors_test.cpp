// Reproduces every computable value of shared/reference/vectors.json (vectors.md). The file is read at
// test time and iterated: nothing is copied by hand, so new entries are checked automatically, and an
// unknown section or constant fails the test until a rule for it is written here.

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>

#include "ids.hpp"
#include "order.hpp"

namespace wp {
namespace {

namespace json = boost::json;

const std::string kVectorsPath = std::string(WP_SHARED_DIR) + "/reference/vectors.json";

//! The parsed vectors file, or null (with the reason in `load_error`).
struct Vectors {
    json::value doc;
    std::string load_error;

    static const Vectors& get() {
        static const Vectors kVectors = [] {
            Vectors v;
            std::ifstream in(kVectorsPath);
            if (!in) {
                v.load_error = "cannot open the reference vectors: looked for " + kVectorsPath +
                               " (WP_SHARED_DIR=" + WP_SHARED_DIR + ")";
                return v;
            }
            std::stringstream text;
            text << in.rdbuf();
            boost::system::error_code ec;
            v.doc = json::parse(text.str(), ec);
            if (ec) v.load_error = kVectorsPath + " is not valid JSON: " + ec.message();
            return v;
        }();
        return kVectors;
    }
};

#define WP_LOAD_VECTORS(root)                                        \
    const Vectors& vectors_ = Vectors::get();                        \
    ASSERT_TRUE(vectors_.load_error.empty()) << vectors_.load_error; \
    const json::object& root = vectors_.doc.as_object()

std::string str(const json::value& obj, std::string_view key) {
    const json::value* v = obj.as_object().if_contains(key);
    EXPECT_TRUE(v != nullptr && v->is_string()) << "missing string \"" << key << "\" in " << json::serialize(obj);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string hex(const Bytes32& b) { return to_hex(b.view()); }
Bytes32 b32(const std::string& s) {
    auto b = bytes32_from_hex(s);
    EXPECT_TRUE(b) << s;
    return b ? *b : Bytes32{};
}
Address address(const std::string& s) {
    auto a = Address::parse(s);
    EXPECT_TRUE(a) << s;
    return a ? *a : Address{};
}
U256 dec(const std::string& s) {
    auto v = U256::from_dec(s);
    EXPECT_TRUE(v) << s;
    return v ? *v : U256{};
}

const json::object* find_by_id(const json::object& root, std::string_view section, std::string_view id) {
    for (const auto& entry : root.at(section).as_array())
        if (entry.as_object().at("id").as_string() == id) return &entry.as_object();
    ADD_FAILURE() << "no entry with id " << id << " in " << section;
    return nullptr;
}

PrivateKey key_of(const json::object& root, std::string_view id) {
    const json::object* k = find_by_id(root, "keys", id);
    return *PrivateKey::from_hex(k != nullptr ? str(*k, "privateKey") : "0x01");
}

Domain domain_of(const json::object& root, std::string_view id) {
    const json::object* d = find_by_id(root, "domains", id);
    if (d == nullptr) return Domain{};
    Domain domain;
    domain.name = str(*d, "name");
    domain.version = str(*d, "version");
    domain.chain_id = dec(str(*d, "chainId"));
    domain.verifying_contract = address(str(*d, "verifyingContract"));
    return domain;
}

OrderKind kind_of_type(const std::string& type) {
    auto kind = parse_order_kind(type);
    EXPECT_TRUE(kind) << type;
    return kind ? *kind : OrderKind::kApp;
}

Order order_of(const json::object& entry) {
    auto order = order_from_json(kind_of_type(str(entry, "type")), entry.at("fields"));
    EXPECT_TRUE(order) << order.error().message;
    return order ? *order : Order{};
}

TEST(Vectors, EverySectionIsHandled) {
    WP_LOAD_VECTORS(root);
    const std::set<std::string> handled{"keys",    "typehashes", "constants", "anvilDeployment", "domains",
                                        "orders",  "deals",      "workerpoolAuthorizations",     "results",
                                        "marketChallenge"};
    // Descriptive members, nothing to compute. The mnemonic derivation of the anvil keys (BIP-39/32) is
    // not reproduced: the keys are checked from their private keys.
    const std::set<std::string> descriptive{"title", "schemaVersion", "conventions", "provenanceLegend", "notes",
                                            "mnemonic"};
    for (const auto& kv : root) {
        const std::string key(kv.key());
        EXPECT_TRUE(handled.contains(key) || descriptive.contains(key)) << "unhandled vectors.json section " << key;
    }
}

TEST(Vectors, Keys) {
    WP_LOAD_VECTORS(root);
    int checked = 0;
    for (const auto& entry : root.at("keys").as_array()) {
        const auto key = PrivateKey::from_hex(str(entry, "privateKey"));
        ASSERT_TRUE(key) << str(entry, "id");
        EXPECT_EQ(key->address().to_checksum(), str(entry, "address")) << str(entry, "id");
        ++checked;
        if (entry.as_object().contains("publicKey")) {
            EXPECT_EQ(to_hex(key->public_key().uncompressed()), str(entry, "publicKey")) << str(entry, "id");
            ++checked;
        }
    }
    EXPECT_GT(checked, 0);
}

TEST(Vectors, TypeHashes) {
    WP_LOAD_VECTORS(root);
    int checked = 0;
    for (const auto& entry : root.at("typehashes").as_array()) {
        const std::string type = str(entry, "type");
        const std::string type_string = str(entry, "typeString");
        const std::string expected = str(entry, "typehash");
        EXPECT_EQ(hex(keccak256(as_bytes(type_string))), expected) << type;
        // And our constants agree with the file.
        if (type == "EIP712Domain") {
            EXPECT_EQ(type_string, kDomainTypeString);
            EXPECT_EQ(hex(domain_type_hash()), expected);
        } else if (type.ends_with("Operation")) {
            const OrderKind kind = kind_of_type(type.substr(0, type.size() - 9));
            EXPECT_EQ(order_operation_type_string(kind), type_string);
            EXPECT_EQ(hex(order_operation_type_hash(kind)), expected);
        } else {
            const OrderKind kind = kind_of_type(type);
            EXPECT_EQ(order_type_string(kind), type_string);
            EXPECT_EQ(hex(order_type_hash(kind)), expected);
        }
        ++checked;
    }
    EXPECT_GT(checked, 0);
}

TEST(Vectors, Constants) {
    WP_LOAD_VECTORS(root);
    int checked = 0;
    for (const auto& kv : root.at("constants").as_object()) {
        const std::string name(kv.key());
        const json::value& c = kv.value();
        const std::string value = str(c, "value");
        if (name == "kittyAddress") {
            // Top 20 bytes of keccak256("iExecKitty"), minus 1.
            const Bytes32 h = keccak256(as_bytes("iExecKitty"));
            EXPECT_EQ(hex(h), str(c, "keccak256_iExecKitty"));
            Bytes32 top;
            std::copy(h.begin(), h.begin() + 20, top.bytes.begin() + 12);
            const U256 minus_one = *checked_sub(U256::from_be32(top), U256(1));
            EXPECT_EQ(Address::from_word(minus_one.to_be32()).to_checksum(), value);
            checked += 2;
        } else if (name == "pocoStorageSlot") {
            // ERC-7201: keccak256(abi.encode(uint256(keccak256(namespace)) - 1)) & ~0xff.
            const U256 ns = U256::from_be32(keccak256(as_bytes("iexec.poco.storage.PocoStorage")));
            Bytes32 slot = keccak256(checked_sub(ns, U256(1))->to_be32());
            slot[31] = 0;
            EXPECT_EQ(hex(slot), value);
            ++checked;
        } else if (name == "diamondStorageSlot") {
            EXPECT_EQ(hex(keccak256(as_bytes("diamond.standard.diamond.storage"))), value);
            ++checked;
        } else if (name == "libraryLinkPlaceholder") {
            const Bytes32 h = keccak256(as_bytes("contracts/libs/IexecLibOrders_v5.sol:IexecLibOrders_v5"));
            EXPECT_EQ("__$" + to_hex_no_prefix(ByteView(h.data(), 17)) + "$__", value);
            ++checked;
        } else if (name == "registryProxyCodeHash") {
            // keccak256 of the proxy creation code read on chain: not computable without the bytecode.
            EXPECT_TRUE(bytes32_from_hex(value)) << value;
        } else {
            ADD_FAILURE() << "no rule to check constant " << name;
        }
    }
    EXPECT_GT(checked, 0);
}

//! RLP of [address, nonce] (the CREATE preimage), enough for the small nonces of the deployment.
Bytes rlp_sender_nonce(const Address& sender, const U256& nonce) {
    Bytes items;
    items.push_back(0x94);
    append(items, sender.view());
    const Bytes n = nonce.to_be_minimal();
    if (n.empty()) {
        items.push_back(0x80);
    } else if (n.size() == 1 && n[0] < 0x80) {
        items.push_back(n[0]);
    } else {
        items.push_back(static_cast<std::uint8_t>(0x80 + n.size()));
        append(items, n);
    }
    Bytes out{static_cast<std::uint8_t>(0xc0 + items.size())};
    append(out, items);
    return out;
}

TEST(Vectors, AnvilDeploymentAddresses) {
    WP_LOAD_VECTORS(root);
    const json::object& deployment = root.at("anvilDeployment").as_object();
    const Address deployer = key_of(root, str(deployment, "deployer")).address();
    int checked = 0;
    for (const auto& c : deployment.at("contracts").as_array()) {
        const Bytes32 h = keccak256(rlp_sender_nonce(deployer, dec(str(c, "deployerNonce"))));
        EXPECT_EQ(Address::from_word(h).to_checksum(), str(c, "address")) << str(c, "name");
        ++checked;
    }
    EXPECT_GT(checked, 0);
}

TEST(Vectors, Domains) {
    WP_LOAD_VECTORS(root);
    int checked = 0;
    for (const auto& entry : root.at("domains").as_array()) {
        const Domain domain = domain_of(root, str(entry, "id"));
        const std::string expected = str(entry, "separator");
        EXPECT_EQ(hex(domain.separator()), expected) << str(entry, "id");
        // The generic encoder (ethers hashDomain) agrees, from the file's own strings.
        json::object d{{"name", str(entry, "name")},
                       {"version", str(entry, "version")},
                       {"chainId", str(entry, "chainId")},
                       {"verifyingContract", str(entry, "verifyingContract")}};
        auto generic = eip712::hash_domain(d);
        ASSERT_TRUE(generic) << generic.error().message;
        EXPECT_EQ(hex(*generic), expected);
        ++checked;
    }
    EXPECT_GT(checked, 0);
}

TEST(Vectors, Orders) {
    WP_LOAD_VECTORS(root);
    int struct_hashes = 0;
    int order_hashes = 0;
    int signatures = 0;
    for (const auto& entry_v : root.at("orders").as_array()) {
        const json::object& entry = entry_v.as_object();
        const std::string id = str(entry, "id");
        SCOPED_TRACE(id);
        const Order order = order_of(entry);
        const OrderKind kind = kind_of(order);
        // The file's field order is the EIP-712 member order.
        std::vector<std::string> expected_order;
        for (const auto& f : entry.at("fieldOrder").as_array()) expected_order.emplace_back(f.as_string());
        std::vector<std::string> our_order;
        const json::object typed = order_typed_data(Domain{}, order);
        for (const auto& f : typed.at("types").at(order_type_name(kind)).as_array())
            our_order.emplace_back(f.at("name").as_string());
        EXPECT_EQ(our_order, expected_order);

        EXPECT_EQ(hex(struct_hash(order)), str(entry, "structHash"));
        ++struct_hashes;

        const PrivateKey key = key_of(root, str(entry, "signer"));
        EXPECT_EQ(key.address().to_checksum(), str(entry, "signerAddress"));
        for (const auto& sig_v : entry.at("signatures").as_array()) {
            const std::string domain_id = str(sig_v, "domain");
            SCOPED_TRACE(domain_id);
            const Domain domain = domain_of(root, domain_id);
            const std::string expected_hash = str(sig_v, "orderHash");
            EXPECT_EQ(hex(order_hash(domain, order)), expected_hash);
            // Generic EIP-712 over the same document gives the same digest.
            auto td = eip712::parse_typed_data(json::value(order_typed_data(domain, order)));
            ASSERT_TRUE(td) << td.error().message;
            EXPECT_EQ(hex(*eip712::digest(*td)), expected_hash);
            ++order_hashes;

            const std::string expected_sign = str(sig_v, "sign");
            EXPECT_EQ(to_hex(sign_order(domain, order, key)), expected_sign);
            EXPECT_EQ(to_hex(eip712::sign_typed_data(key, *td)->to_bytes65()), expected_sign);
            Order signed_order = order;
            set_order_sign(signed_order, *from_hex(expected_sign));
            auto signer = recover_order_signer(domain, signed_order);
            ASSERT_TRUE(signer) << signer.error().message;
            EXPECT_EQ(signer->to_checksum(), str(entry, "signerAddress"));
            ++signatures;
        }
    }
    EXPECT_GT(struct_hashes, 0);
    EXPECT_GT(order_hashes, 0);
    EXPECT_GT(signatures, 0);
}

TEST(Vectors, Deals) {
    WP_LOAD_VECTORS(root);
    int checked = 0;
    for (const auto& entry : root.at("deals").as_array()) {
        const std::string domain_id = str(entry, "domain");
        SCOPED_TRACE(domain_id);
        // The request order hash is itself derived from the order and the domain.
        const json::object* request = find_by_id(root, "orders", str(entry, "requestOrder"));
        ASSERT_NE(request, nullptr);
        const Bytes32 request_hash = order_hash(domain_of(root, domain_id), order_of(*request));
        EXPECT_EQ(hex(request_hash), str(entry, "requestOrderHash"));
        const Bytes32 deal = deal_id(b32(str(entry, "requestOrderHash")), dec(str(entry, "consumedBefore")));
        EXPECT_EQ(hex(deal), str(entry, "dealid"));
        EXPECT_EQ(hex(task_id(b32(str(entry, "dealid")), dec(str(entry, "taskIndex")))), str(entry, "taskid"));
        checked += 3;
    }
    EXPECT_GT(checked, 0);
}

TEST(Vectors, WorkerpoolAuthorizations) {
    WP_LOAD_VECTORS(root);
    int checked = 0;
    for (const auto& entry : root.at("workerpoolAuthorizations").as_array()) {
        SCOPED_TRACE(str(entry, "domain"));
        const Address worker = address(str(entry, "worker"));
        const Bytes32 task = b32(str(entry, "taskid"));
        const Address enclave = address(str(entry, "enclaveChallenge"));
        const Bytes32 hash = authorization_hash(worker, task, enclave);
        EXPECT_EQ(hex(hash), str(entry, "hash"));
        EXPECT_EQ(hex(eip191_hash(hash)), str(entry, "ethSignedMessageHash"));
        const PrivateKey key = key_of(root, str(entry, "signer"));
        EXPECT_EQ(key.address().to_checksum(), str(entry, "signerAddress"));
        EXPECT_EQ(to_hex(sign_authorization(key, worker, task, enclave)), str(entry, "signature"));
        const auto sig = Signature::parse(*from_hex(str(entry, "signature")));
        ASSERT_TRUE(sig);
        EXPECT_EQ(eip191_recover(hash.view(), *sig)->to_checksum(), str(entry, "signerAddress"));
        checked += 4;
    }
    EXPECT_GT(checked, 0);
}

TEST(Vectors, Results) {
    WP_LOAD_VECTORS(root);
    int checked = 0;
    for (const auto& entry : root.at("results").as_array()) {
        SCOPED_TRACE(str(entry, "domain"));
        const Bytes32 digest = keccak256(as_bytes(str(entry, "resultDigestPreimageUtf8")));
        EXPECT_EQ(hex(digest), str(entry, "resultDigest"));
        const Bytes32 task = b32(str(entry, "taskid"));
        const Address worker = address(str(entry, "worker"));
        EXPECT_EQ(hex(result_hash(task, digest)), str(entry, "resultHash"));
        EXPECT_EQ(hex(result_seal(worker, task, digest)), str(entry, "resultSeal"));
        checked += 3;
    }
    EXPECT_GT(checked, 0);
}

TEST(Vectors, MarketChallenge) {
    WP_LOAD_VECTORS(root);
    const json::object& mc = root.at("marketChallenge").as_object();
    auto td = eip712::parse_typed_data(mc.at("typedData"));
    ASSERT_TRUE(td) << td.error().message;
    int checked = 0;
    const auto check = [&](const std::string& actual, std::string_view key) {
        EXPECT_EQ(actual, str(mc, key)) << key;
        ++checked;
    };
    check(*eip712::encode_type(*td, "EIP712Domain"), "domainTypeString");
    check(hex(*eip712::type_hash(*td, "EIP712Domain")), "domainTypehash");
    check(*eip712::encode_type(*td, td->primary_type), "challengeTypeString");
    check(hex(*eip712::type_hash(*td, td->primary_type)), "challengeTypehash");
    check(hex(*eip712::domain_separator(*td)), "domainSeparator");
    check(hex(*eip712::message_hash(*td)), "structHash");
    check(hex(*eip712::digest(*td)), "hash");
    const PrivateKey key = key_of(root, str(mc, "signer"));
    check(key.address().to_checksum(), "signerAddress");
    const std::string signature = to_hex(eip712::sign_typed_data(key, *td)->to_bytes65());
    check(signature, "signature");
    // Authorization: <challengeHash>_<signature>_<address>
    check(hex(*eip712::digest(*td)) + "_" + signature + "_" + key.address().to_checksum(), "authorizationHeader");
    // The SDK signs with the types minus EIP712Domain: the derived domain type gives the same hash.
    json::value without = mc.at("typedData");
    without.as_object()["types"].as_object().erase("EIP712Domain");
    auto derived = eip712::parse_typed_data(without);
    ASSERT_TRUE(derived) << derived.error().message;
    check(hex(*eip712::digest(*derived)), "hash");
    EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace wp
