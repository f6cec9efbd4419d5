#include "ids.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>

namespace wp {
namespace {

std::string hex(const Bytes32& b) { return to_hex(b.view()); }
Bytes32 b32(std::string_view s) { return *bytes32_from_hex(s); }
Address addr(std::string_view s) { return *Address::parse(s); }

// The anvil-31337 vectors (deal/task/authorization/result) are checked from vectors.json by vectors_test.cpp.
// The values below extend them; produced with ethers 6.17.0:
//   solidityPackedKeccak256(["bytes32","uint256"], [requestHash, 7n])
//   keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32","uint256"], [dealid, 2n ** 255n]))
//   solidityPackedKeccak256(["address","bytes32","address"], [worker, taskid, enclave]),
//   new Wallet(anvil-2).signMessage(getBytes(hash)), enclave = new Wallet("0x" + "02".repeat(32)).address
//   solidityPackedKeccak256(["bytes32","bytes32"], [resultHash, resultSeal]), signed by the enclave key.

TEST(Ids, DealAndTaskIds) {
    const Bytes32 request = b32("0xedaea3ae064e265f21e9984ed00a0695cf93320bedf56cd39c674d27cccb5849");
    EXPECT_EQ(hex(deal_id(request, 0)), "0xeadb0575415418909f62d96c71193c2f34c5b5f98c4c5852316ae8175dc8fd26");
    const Bytes32 deal = deal_id(request, 7);
    EXPECT_EQ(hex(deal), "0xe7adfccaab4588186fb4c7f7708c8ccc91ba151f52698d2101e9ed2b2e94f7cd");
    U256 big = 1;
    for (int i = 0; i < 255; ++i) big = *checked_add(big, big);
    EXPECT_EQ(hex(task_id(deal, big)), "0x5861784710f7e18718ff2a4c0d39f7cac01b45b6fb80e07c71b7a38c8e081348");
}

TEST(Ids, AuthorizationWithEnclave) {
    const auto scheduler = *PrivateKey::from_hex("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
    const auto enclave_key = *PrivateKey::from_hex("0x0202020202020202020202020202020202020202020202020202020202020202");
    const Address worker = addr("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    const Bytes32 task = b32("0xf27d5702c383de9c347cb22339aeba0fc820c438fff6c7db142c985e76104d7c");
    EXPECT_EQ(enclave_key.address().to_checksum(), "0x5050A4F4b3f9338C3472dcC01A87C76A144b3c9c");
    const Bytes32 hash = authorization_hash(worker, task, enclave_key.address());
    EXPECT_EQ(hex(hash), "0x7003195e684378e4aeec378ecbc08a29258b56b11fab02bc48ed836244726b0c");
    const Bytes sig = sign_authorization(scheduler, worker, task, enclave_key.address());
    EXPECT_EQ(to_hex(sig),
              "0xf113f7df14f24847d8b88ad4532ef8620b1219dcde0ab082e7220cae47e01b17048a8a83ca718d9fa2e9ffd03e68d493076630ae"
              "5325a902cfdc2cdd5fc59c0e1b");
    EXPECT_EQ(*eip191_recover(hash.view(), *Signature::parse(sig)), scheduler.address());
}

TEST(Ids, ResultAndEnclaveMessage) {
    const Address worker = addr("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    const Bytes32 task = b32("0xf27d5702c383de9c347cb22339aeba0fc820c438fff6c7db142c985e76104d7c");
    const Bytes32 digest = keccak256(as_bytes("result-of-hello"));
    const Bytes32 rh = result_hash(task, digest);
    const Bytes32 rs = result_seal(worker, task, digest);
    EXPECT_EQ(hex(rh), "0x7fbc4f218ae7bf42fd1cd6d45de6363153e9286325d8543ba59b57f457cd71a6");
    EXPECT_EQ(hex(rs), "0x4740c17b26210205ec88288f1981d6691d7af6b10971c68e4f34e85d6498de25");
    const Bytes32 message = enclave_message_hash(rh, rs);
    EXPECT_EQ(hex(message), "0x8a8457b8e40698dbbd08d5a0ee40a2e018dddee17daf46299e9eb82cab8cb528");
    const auto enclave_key = *PrivateKey::from_hex("0x0202020202020202020202020202020202020202020202020202020202020202");
    EXPECT_EQ(to_hex(eip191_sign(enclave_key, message.view()).to_bytes65()),
              "0xaad191fbac9d40312355acb6496ed44139f9fcf3882ef2bc96c34edb51ac05c84947f46dd3ea31e7fb7a210e325701026ae6ad"
              "c0eeb8933484c5c019185f74a61c");
}

}  // namespace
}  // namespace wp
