#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>

#include <wp/codec/rlp.hpp>
#include <wp/codec/transaction.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

namespace wp {
namespace {

Bytes hex(std::string_view h) {
    auto b = from_hex(h);
    EXPECT_TRUE(b) << h;
    return b ? *b : Bytes{};
}

Address addr(std::string_view s) { return *Address::parse(s); }
U256 gwei(std::uint64_t n) { return U256(n * 1000000000ull); }

// The example of EIP-155 itself (eips.ethereum.org/EIPS/eip-155, "Example").
TEST(Transaction, Eip155Example) {
    const auto key = *PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646");
    Transaction t;
    t.type = TxType::kLegacy;
    t.chain_id = 1;
    t.nonce = 9;
    t.gas_price = gwei(20);
    t.gas_limit = 21000;
    t.to = addr("0x3535353535353535353535353535353535353535");
    t.value = *U256::from_dec("1000000000000000000");

    EXPECT_EQ(to_hex(*tx::signing_payload(t)),
              "0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080");
    EXPECT_EQ(to_hex(*tx::signing_hash(t)), "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");

    const auto signed_tx = *tx::sign(t, key);
    ASSERT_TRUE(signed_tx.signature);
    EXPECT_EQ(U256::from_be32(signed_tx.signature->r).to_dec(),
              "18515461264373351373200002665853028612451056578545711640558177340181847433846");
    EXPECT_EQ(U256::from_be32(signed_tx.signature->s).to_dec(),
              "46948507304638947509940763649030358759909902576025900602547168820602576006531");
    const std::string raw =
        "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc21"
        "95fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";
    EXPECT_EQ(to_hex(*tx::encode(signed_tx)), raw);  // v = 37 = 1 * 2 + 35 + 0

    auto decoded = tx::decode(hex(raw));
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, signed_tx);
    EXPECT_EQ(*tx::sender(*decoded), key.address());
    EXPECT_EQ(tx::sender(*decoded)->to_checksum(), "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
    EXPECT_EQ(tx::tx_hash(hex(raw)), keccak256(hex(raw)));
}

struct Vector {
    const char* name;
    Transaction tx;
    const char* unsigned_payload;
    const char* signing_hash;
    const char* raw;
    const char* hash;
    std::uint8_t y_parity;
};

// Produced with ethers 6.17.0: `await new Wallet(key).signTransaction(tx)`, then
// Transaction.from(raw) for .hash, .unsignedHash and .unsignedSerialized. Key: anvil account #0
// (0xac0974be...ff80, address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266), except the pre-EIP-155
// legacy case which uses the EIP-155 example key 0x4646...46.
std::vector<Vector> ethers_vectors() {
    std::vector<Vector> v;
    {
        Transaction t;
        t.type = TxType::kDynamicFee;
        t.chain_id = 1;
        t.nonce = 0;
        t.max_priority_fee_per_gas = gwei(2);
        t.max_fee_per_gas = gwei(100);
        t.gas_limit = 21000;
        t.to = addr("0x3535353535353535353535353535353535353535");
        t.value = *U256::from_dec("1000000000000000000");
        v.push_back({"type2 transfer", t,
                     "0x02f00180847735940085174876e800825208943535353535353535353535353535353535353535880de0b6b3a76400"
                     "0080c0",
                     "0x0b90ec27784b0b819f9413e83d1eab4c84f1eda3150059f1881f867fb010f1d1",
                     "0x02f8730180847735940085174876e800825208943535353535353535353535353535353535353535880de0b6b3a7640"
                     "00080c080a0371bdccd75cb0e7a59b972ad684290fd25be024b8c2d5a40611d024294ebe315a0011d9c0c731781ecabb8"
                     "fd239a7da220c3cc3ed91efba1cfe470edc6fb5cb96f",
                     "0xa179be373099e4d1399a865f3bf87bd9e52d3c17f31fe35f590617d9b07959f5", 0});
    }
    {
        Transaction t;
        t.type = TxType::kDynamicFee;
        t.chain_id = 31337;
        t.nonce = 42;
        t.max_priority_fee_per_gas = U256(1000000000);
        t.max_fee_per_gas = U256(3000000000);
        t.gas_limit = 500000;
        t.to = addr("0x5FbDB2315678afecb367f032d93F642f64180aa3");
        t.data = hex(
            "0xa9059cbb00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8000000000000000000000000000000"
            "0000000000000000000de0b6b3a7640000");
        t.access_list = {
            {addr("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
             {*bytes32_from_hex("0x0000000000000000000000000000000000000000000000000000000000000000"),
              *bytes32_from_hex("0x0000000000000000000000000000000000000000000000000000000000000001")}},
            {addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), {}},
        };
        v.push_back({"type2 call with access list", t,
                     "0x02f8e2827a692a843b9aca0084b2d05e008307a120945fbdb2315678afecb367f032d93f642f64180aa380b844a9059c"
                     "bb00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c800000000000000000000000000000000"
                     "00000000000000000de0b6b3a7640000f872f859945fbdb2315678afecb367f032d93f642f64180aa3f842a00000000000"
                     "000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000"
                     "0000000000000000000001d69470997970c51812dc3a010c7d01b50e0d17dc79c8c0",
                     "0x1af7ce985ed5705b8569bc1224901e1f794cdc6e8d86e6a3c0fd0fe2c837290a",
                     "0x02f90125827a692a843b9aca0084b2d05e008307a120945fbdb2315678afecb367f032d93f642f64180aa380b844a9059c"
                     "bb00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c800000000000000000000000000000000"
                     "00000000000000000de0b6b3a7640000f872f859945fbdb2315678afecb367f032d93f642f64180aa3f842a00000000000"
                     "000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000"
                     "0000000000000000000001d69470997970c51812dc3a010c7d01b50e0d17dc79c8c001a0f7659c6bfbdf5828af9e7aa9cb"
                     "ea453dfeb941ba699f39b227fb1e264a75c739a07b47d1e0fc4f68ac9c5df3d0dd8ebfbd48d298c1f089c59050cad5a759"
                     "9ab0fa",
                     "0x069bf5c53ba7f7a46fab9e20d12e035ece2ea797d468d999d97eb7a921dc6a68", 1});
    }
    {
        Transaction t;
        t.type = TxType::kDynamicFee;
        t.chain_id = 134;
        t.nonce = 7;
        t.gas_limit = 3000000;
        t.to = std::nullopt;
        t.data = hex(
            "0x6080604052348015600f57600080fd5b50603f80601d6000396000f3fe6080604052600080fdfea164736f6c6343000813000a");
        v.push_back({"type2 contract creation", t,
                     "0x02f8408186078080832dc6c08080b36080604052348015600f57600080fd5b50603f80601d6000396000f3fe608060"
                     "4052600080fdfea164736f6c6343000813000ac0",
                     "0x318fea288967f5f76874a4a02faf8ba909d046dadf3ca70cd9f85b72dbabb998",
                     "0x02f8838186078080832dc6c08080b36080604052348015600f57600080fd5b50603f80601d6000396000f3fe608060"
                     "4052600080fdfea164736f6c6343000813000ac001a0837c6200739eb2afb65e06ed928066a796b787f4080b2a31ee412b"
                     "516e3450a5a0309a01b07315249b5778a922e3e28d04b209730e28ed0566f1ea52c827664228",
                     "0x1cde7da6891d50f3f1c8fcc48386b29e9d3e1d2684083247c819b7aecf1374d1", 1});
    }
    {
        Transaction t;
        t.type = TxType::kAccessList;
        t.chain_id = 31337;
        t.nonce = 3;
        t.gas_price = gwei(1);
        t.gas_limit = 60000;
        t.to = addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        t.value = U256(12345);
        t.access_list = {{addr("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
                          {*bytes32_from_hex("0xabababababababababababababababababababababababababababababababab")}}};
        v.push_back({"type1 access list", t,
                     "0x01f85f827a6903843b9aca0082ea609470997970c51812dc3a010c7d01b50e0d17dc79c882303980f838f7945fbdb231"
                     "5678afecb367f032d93f642f64180aa3e1a0abababababababababababababababababababababababababababababab"
                     "abab",
                     "0x071846bac4b12e60d175b8e94bfecbc90841d102535b5e6f75f5d3526f01f5ea",
                     "0x01f8a2827a6903843b9aca0082ea609470997970c51812dc3a010c7d01b50e0d17dc79c882303980f838f7945fbdb231"
                     "5678afecb367f032d93f642f64180aa3e1a0abababababababababababababababababababababababababababababab"
                     "abab80a022065272493bcb6ea89258db3cf529e8ec7464859b474b87e762236ce74dd461a00569150fb9f5aaa0d25e1d39"
                     "2e241ff2cb290e5f4e378ba2ce5cc138ff6f7266",
                     "0x4672139c9a83a91fa12307614350db0e085ce817969f1fd89bf8f7a9d2c54942", 0});
    }
    {
        Transaction t;
        t.type = TxType::kLegacy;
        t.chain_id = 31337;
        t.nonce = 1;
        t.gas_price = gwei(2);
        t.gas_limit = 21000;
        t.to = addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        t.value = *U256::from_dec("500000000000000000");
        v.push_back({"legacy EIP-155 chain 31337", t,
                     "0xed0184773594008252089470997970c51812dc3a010c7d01b50e0d17dc79c88806f05b59d3b2000080827a698080",
                     "0x94c4d21e12205e7963f48eb72505287f1d189b1c88ccd39e9300b83ea33a9d0e",
                     "0xf86d0184773594008252089470997970c51812dc3a010c7d01b50e0d17dc79c88806f05b59d3b200008082f4f6a0cf40"
                     "45871e1e49f704cb08a805d6206b034824926f77b6c3fb21eeba5c928c36a0640623edfff041bedb64e5ff128a274a9de9"
                     "29cdf787caacb79e0ae74c583687",
                     "0x5ac9108bb794bc63f482aa209db5660e2a91fe75ada6a8983a0cc889a3d901a9", 1});
    }
    {
        // Pre-EIP-155 (chainId 0 in ethers): v = 27 and a 31-byte r (RLP prefix 0x9f).
        Transaction t;
        t.type = TxType::kLegacy;
        t.chain_id = 0;
        t.nonce = 0;
        t.gas_price = gwei(20);
        t.gas_limit = 21000;
        t.to = addr("0x3535353535353535353535353535353535353535");
        t.value = U256(1);
        v.push_back({"legacy pre-EIP-155", t, "0xe1808504a817c8008252089435353535353535353535353535353535353535350180",
                     "0x29a357c0a8b7a7e4706ad60107602c5c7da02e2ac7bb02d54ff161d2cd45f858",
                     "0xf863808504a817c800825208943535353535353535353535353535353535353535018"
                     "01b9fe62f281bcf123651cd5b54c00fc951b75510c85ec7ed53bd1a5c7ac5956f8ca01bb62b1861b33ceb7a08adee5413"
                     "ba322525af77cc57a4c0d51b020ffbbffb9c",
                     "0x4fe0ae10199d493bd3c341db5516f63ec42fd941d1d08056fd408c653322fd9b", 0});
    }
    return v;
}

TEST(Transaction, EthersVectors) {
    const auto anvil0 = *PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const auto key46 = *PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646");
    for (const auto& vec : ethers_vectors()) {
        SCOPED_TRACE(vec.name);
        const auto& key = vec.tx.type == TxType::kLegacy && vec.tx.chain_id == 0 ? key46 : anvil0;
        EXPECT_EQ(to_hex(*tx::signing_payload(vec.tx)), vec.unsigned_payload);
        EXPECT_EQ(to_hex(*tx::signing_hash(vec.tx)), vec.signing_hash);
        const auto signed_tx = *tx::sign(vec.tx, key);
        EXPECT_EQ(signed_tx.signature->y_parity, vec.y_parity);
        const Bytes raw = *tx::encode(signed_tx);
        EXPECT_EQ(to_hex(raw), vec.raw);
        EXPECT_EQ(to_hex(tx::tx_hash(raw)), vec.hash);

        auto decoded = tx::decode(hex(vec.raw));
        ASSERT_TRUE(decoded) << decoded.error().message;
        EXPECT_EQ(*decoded, signed_tx);
        EXPECT_EQ(*tx::sender(*decoded), key.address());
    }
}

TEST(Transaction, RandomRoundTrips) {
    std::mt19937_64 rng(7);
    const auto key = *PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    for (int i = 0; i < 60; ++i) {
        Transaction t;
        t.type = static_cast<TxType>(i % 3);
        t.chain_id = i % 5 == 0 && t.type == TxType::kLegacy ? 0 : rng() >> (rng() % 64);
        t.nonce = rng() >> (rng() % 64);
        t.gas_limit = rng() >> (rng() % 64);
        if (t.type == TxType::kDynamicFee) {
            t.max_fee_per_gas = U256(rng());
            t.max_priority_fee_per_gas = U256(rng() >> 8);
        } else {
            t.gas_price = U256(rng() >> (rng() % 64));
        }
        if (i % 4 != 0) {
            FixedBytes<20> a;
            for (auto& b : a.bytes) b = static_cast<std::uint8_t>(rng());
            t.to = Address(a);
        }
        t.value = i % 7 == 0 ? U256::max() : U256(rng());
        t.data = Bytes(static_cast<std::size_t>(rng() % 200), static_cast<std::uint8_t>(i));
        if (t.type != TxType::kLegacy && i % 2 == 0) {
            t.access_list.push_back({key.address(), {Bytes32{}, *bytes32_from_hex(
                                                                   "0x00000000000000000000000000000000000000000000000000"
                                                                   "000000000000ff")}});
            t.access_list.push_back({Address{}, {}});
        }
        const auto signed_tx = *tx::sign(t, key);
        const Bytes raw = *tx::encode(signed_tx);
        auto decoded = tx::decode(raw);
        ASSERT_TRUE(decoded) << i << ": " << decoded.error().message;
        EXPECT_EQ(*decoded, signed_tx) << i;
        EXPECT_EQ(*tx::encode(*decoded), raw) << i;
        EXPECT_EQ(*tx::sender(*decoded), key.address()) << i;
    }
}

// A valid raw transaction re-encoded after editing its top-level RLP list.
Bytes edit_raw(std::string_view raw_hex, const std::function<void(RlpItem&)>& edit) {
    Bytes raw = hex(raw_hex);
    const bool typed = raw[0] < 0x80;
    auto root = *rlp::decode(typed ? ByteView(raw).subspan(1) : ByteView(raw));
    edit(root);
    Bytes out;
    if (typed) out.push_back(raw[0]);
    append(out, rlp::encode(root));
    return out;
}

std::string decode_error(ByteView raw) {
    auto r = tx::decode(raw);
    if (r) return "<accepted>";
    EXPECT_EQ(r.error().code, Errc::kDecoding);
    return r.error().message;
}

TEST(Transaction, MalformedRejected) {
    const auto vectors = ethers_vectors();
    const std::string type2 = vectors[1].raw;
    const std::string legacy = vectors[4].raw;

    EXPECT_EQ(decode_error(Bytes{}), "transaction: empty input");
    Bytes trailing = hex(type2);
    trailing.push_back(0x00);
    EXPECT_EQ(decode_error(trailing),
              "transaction: type 2 payload (offsets after the type byte): RLP: 1 trailing bytes after the top-level "
              "item at offset 296");
    trailing = hex(legacy);
    trailing.push_back(0xc0);
    EXPECT_EQ(decode_error(trailing),
              "transaction: legacy transaction: RLP: 1 trailing bytes after the top-level item at offset 111");

    Bytes bad_type = hex(type2);
    bad_type[0] = 0x03;
    EXPECT_EQ(decode_error(bad_type), "transaction: unsupported transaction type 0x03");
    bad_type[0] = 0x00;
    EXPECT_EQ(decode_error(bad_type), "transaction: unsupported transaction type 0x00");
    bad_type[0] = 0x7f;
    EXPECT_EQ(decode_error(bad_type), "transaction: unsupported transaction type 0x7f");
    EXPECT_EQ(decode_error(hex("0x83646f67")),
              "transaction: expected a type byte (< 0x80) or an RLP list (>= 0xc0), got an RLP string prefix 0x83");
    EXPECT_EQ(decode_error(hex("0x0283646f67")),
              "transaction: type 2 payload must be an RLP list, got a byte string");
    // A type 1 body under a type 2 byte: wrong field count.
    Bytes swapped = hex(vectors[3].raw);
    swapped[0] = 0x02;
    EXPECT_EQ(decode_error(swapped), "transaction: type 2 transaction must have 12 fields, got 11");

    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items.pop_back(); })),
              "transaction: type 2 transaction must have 12 fields, got 11");
    EXPECT_EQ(decode_error(edit_raw(legacy, [](RlpItem& r) { r.items.push_back(RlpItem::from_uint(0)); })),
              "transaction: legacy transaction must have 9 fields, got 10");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[1].bytes.insert(r.items[1].bytes.begin(), 0); })),
              "transaction: field 1 (nonce): RLP integer has a leading zero byte (integers are minimal big-endian)");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[1] = RlpItem::from_bytes(Bytes(9, 1)); })),
              "transaction: field 1 (nonce): RLP integer exceeds 64 bits");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[5].bytes.pop_back(); })),
              "transaction: field 5 (to): expected 20 bytes or empty (contract creation), got 19 bytes");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[7] = RlpItem::from_list({}); })),
              "transaction: field 7 (data): expected a byte string, got a list");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[9] = RlpItem::from_uint(2); })),
              "transaction: field 9 (yParity): must be 0 or 1, got 2");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[10] = RlpItem::from_uint(0); })),
              "transaction: field 10 (r): signature value is zero (unsigned transaction)");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[11] = RlpItem::from_bytes(Bytes(33, 1)); })),
              "transaction: field 11 (s): RLP integer of 33 bytes exceeds 256 bits");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[8].items[0].items.pop_back(); })),
              "transaction: field 8 (accessList) entry 0: expected a list [address, storageKeys]");
    EXPECT_EQ(decode_error(edit_raw(type2, [](RlpItem& r) { r.items[8].items[0].items[1].items[0].bytes.pop_back(); })),
              "transaction: field 8 (accessList) entry 0 storage key 0: must be a 32-byte string");
    EXPECT_EQ(decode_error(edit_raw(legacy, [](RlpItem& r) { r.items[6] = RlpItem::from_uint(35); })),
              "transaction: field 6 (v): invalid value 35 (must be 27, 28 or chainId * 2 + 35 + yParity with chainId > "
              "0)");
    EXPECT_EQ(decode_error(edit_raw(legacy, [](RlpItem& r) { r.items[6] = RlpItem::from_uint(0); })),
              "transaction: field 6 (v): invalid value 0 (must be 27, 28 or chainId * 2 + 35 + yParity with chainId > "
              "0)");
    // Non-canonical RLP inside a transaction: the nonce 1 written as 0x8101 instead of 0x01.
    ASSERT_EQ(legacy.substr(0, 8), "0xf86d01");
    EXPECT_EQ(decode_error(hex("0xf86e8101" + legacy.substr(8))),
              "transaction: legacy transaction: RLP: non-canonical single byte: 0x81 followed by a byte < 0x80 (must be "
              "encoded as itself) at offset 2");
}

TEST(Transaction, EncodeAndSenderErrors) {
    Transaction t;
    t.type = TxType::kDynamicFee;
    t.chain_id = 1;
    auto unsigned_raw = tx::encode(t);
    ASSERT_FALSE(unsigned_raw);
    EXPECT_EQ(unsigned_raw.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(unsigned_raw.error().message, "transaction: cannot encode an unsigned transaction (sign it first)");
    auto no_sig = tx::sender(t);
    ASSERT_FALSE(no_sig);
    EXPECT_EQ(no_sig.error().code, Errc::kCrypto);

    t.gas_price = U256(1);
    EXPECT_FALSE(tx::signing_hash(t));
    t.gas_price = U256(0);
    t.type = TxType::kLegacy;
    t.access_list.push_back({});
    auto legacy_al = tx::signing_payload(t);
    ASSERT_FALSE(legacy_al);
    EXPECT_EQ(legacy_al.error().message, "transaction: a legacy transaction has no access list");
    t.access_list.clear();
    t.max_fee_per_gas = U256(1);
    EXPECT_FALSE(tx::signing_payload(t));

    // EIP-2: a high-s signature (s' = n - s, parity flipped) recovers to some key but is rejected.
    const auto vectors = ethers_vectors();
    auto good = *tx::decode(hex(vectors[0].raw));
    const U256 n = *U256::from_hex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    Transaction high = good;
    high.signature->s = checked_sub(n, U256::from_be32(good.signature->s))->to_be32();
    high.signature->y_parity ^= 1;
    auto high_sender = tx::sender(high);
    ASSERT_FALSE(high_sender);
    EXPECT_EQ(high_sender.error().message, "transaction: signature s is in the upper half of the curve order (EIP-2)");
    // It still decodes (shape is valid) and re-encodes exactly.
    const Bytes high_raw = *tx::encode(high);
    EXPECT_EQ(*tx::decode(high_raw), high);
}

}  // namespace
}  // namespace wp
