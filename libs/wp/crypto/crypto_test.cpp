#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp {
namespace {

TEST(Secp256k1, AnvilKeys) {
    auto key = PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    ASSERT_TRUE(key);
    EXPECT_EQ(key->address().to_checksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    auto k1 = PrivateKey::from_hex("0x0101010101010101010101010101010101010101010101010101010101010101");
    EXPECT_EQ(to_hex(k1->public_key().uncompressed()),
              "0x041b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f70beaf8f588b541507fed6a642c5ab42dfdf8120a7f639de5122d47a69a8e8d1");
}

TEST(Secp256k1, InvalidKeys) {
    EXPECT_FALSE(PrivateKey::from_hex("0x" + std::string(64, '0')));
    EXPECT_FALSE(PrivateKey::from_hex("0x" + std::string(64, 'f')));
    EXPECT_FALSE(PrivateKey::from_hex("0x1234"));
}

TEST(Secp256k1, AuthorizationVector) {
    // vectors.json workerpoolAuthorizations[anvil-31337]
    auto key = *PrivateKey::from_hex("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
    const auto hash = *bytes32_from_hex("0xd318407fba0162b67a8d9525c9c61e7e5e852f08d54acf5a8eace7ab9adb9a17");
    EXPECT_EQ(to_hex(eip191_hash(hash)), "0xc07a23c0ef9cd4e31153f18261305503cd605e1b302e1f9265cf2c92f7ffd8e3");
    const Signature sig = eip191_sign(key, hash.view());
    EXPECT_EQ(to_hex(sig.to_bytes65()),
              "0x048fb42183cdb6dbbcc86f6ca163f52910aa1bc2b484b39dfbb06965ea42bc423a9b0a908d5b43b149f43b03fc0740219abcfe81504ae68845c18f9443d6b25c1c");
    EXPECT_EQ(eip191_recover(hash.view(), sig)->to_checksum(), "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
}

TEST(Signature, Formats) {
    auto key = PrivateKey::generate();
    const Bytes32 digest = keccak256(as_bytes("hello"));
    const Signature sig = sign_hash(key, digest);
    auto from65 = Signature::parse(sig.to_bytes65());
    ASSERT_TRUE(from65);
    EXPECT_EQ(*from65, sig);
    auto from64 = Signature::parse(sig.to_compact64());
    ASSERT_TRUE(from64);
    EXPECT_EQ(*from64, sig);
    EXPECT_TRUE(verify_signature(key.address(), digest, sig));
    EXPECT_FALSE(verify_signature(key.address(), keccak256(as_bytes("other")), sig));

    Bytes v01 = sig.to_bytes65();
    v01[64] = sig.y_parity;
    EXPECT_FALSE(Signature::parse(v01));
    EXPECT_TRUE(Signature::parse(v01, Signature::Format::kLenient));
    EXPECT_FALSE(Signature::parse(Bytes{}));
    EXPECT_FALSE(Signature::parse(Bytes(66, 1)));
}

}  // namespace
}  // namespace wp
