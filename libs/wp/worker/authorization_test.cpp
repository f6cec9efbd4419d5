#include "authorization.hpp"

#include <gtest/gtest.h>

#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::worker {
namespace {

PrivateKey key(std::uint8_t b) {
    Bytes32 s;
    s.bytes.fill(b);
    return *PrivateKey::from_bytes(s.view());
}
Bytes32 h(std::uint8_t b) {
    Bytes32 x;
    x.bytes.fill(b);
    return x;
}

workerapi::WorkerpoolAuthorization signed_by(const PrivateKey& signer, const Address& worker, const Bytes32& task,
                                             const Address& enclave = Address{}) {
    workerapi::WorkerpoolAuthorization a;
    a.worker = worker;
    a.task_id = task;
    a.enclave_challenge = enclave;
    a.signature = sign_authorization(signer, worker, task, enclave);
    return a;
}

const PrivateKey kOwner = key(0x11);
const PrivateKey kWorker = key(0x22);
const PrivateKey kOther = key(0x33);

TEST(WorkerpoolAuthorization, SignedByTheOwnerIsAccepted) {
    const auto a = signed_by(kOwner, kWorker.address(), h(0x01));
    EXPECT_EQ(authorization_signer(a).value(), kOwner.address());
    EXPECT_TRUE(verify_authorization(a, kWorker.address(), h(0x01), kOwner.address()));
    // TEE: the enclave challenge is part of the signed hash.
    const auto tee = signed_by(kOwner, kWorker.address(), h(0x01), key(0x44).address());
    EXPECT_TRUE(verify_authorization(tee, kWorker.address(), h(0x01), kOwner.address()));
}

TEST(WorkerpoolAuthorization, TheSignatureIsEip191OverWorkerTaskAndEnclave) {
    // Recomputed from the definition, not through sign_authorization: keccak256(worker ‖ task ‖ enclave), then
    // personal-sign.
    const Address worker = kWorker.address();
    const Bytes32 task = h(0x05);
    const Address enclave = key(0x44).address();
    Bytes pre;
    pre.insert(pre.end(), worker.view().begin(), worker.view().end());
    pre.insert(pre.end(), task.bytes.begin(), task.bytes.end());
    pre.insert(pre.end(), enclave.view().begin(), enclave.view().end());
    const Bytes32 digest = keccak256(ByteView(pre.data(), pre.size()));
    workerapi::WorkerpoolAuthorization a{worker, task, enclave, eip191_sign(kOwner, digest.view()).to_bytes65()};
    EXPECT_TRUE(verify_authorization(a, worker, task, kOwner.address()));
}

TEST(WorkerpoolAuthorization, AnotherSignerIsRefusedNamingBoth) {
    const auto a = signed_by(kOther, kWorker.address(), h(0x01));
    auto r = verify_authorization(a, kWorker.address(), h(0x01), kOwner.address());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "authorization: signed by " + kOther.address().to_checksum() +
                                     ", the workerpool owner is " + kOwner.address().to_checksum());
}

TEST(WorkerpoolAuthorization, FieldsChangedAfterSigningAreRefused) {
    {
        auto a = signed_by(kOwner, kWorker.address(), h(0x01));
        a.enclave_challenge = key(0x44).address();  // signed for no enclave: recovers to someone else
        auto r = verify_authorization(a, kWorker.address(), h(0x01), kOwner.address());
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().message.find("authorization: signed by 0x"), std::string::npos) << r.error().message;
    }
    {
        auto a = signed_by(kOwner, kWorker.address(), h(0x01));
        auto r = verify_authorization(a, kOther.address(), h(0x01), kOwner.address());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message, "authorization: worker is " + kWorker.address().to_checksum() +
                                         ", this worker is " + kOther.address().to_checksum());
    }
    {
        auto a = signed_by(kOwner, kWorker.address(), h(0x01));
        auto r = verify_authorization(a, kWorker.address(), h(0x02), kOwner.address());
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().message.find("authorization: taskId is 0x0101"), std::string::npos) << r.error().message;
    }
}

TEST(WorkerpoolAuthorization, MalformedSignaturesAreRefused) {
    auto a = signed_by(kOwner, kWorker.address(), h(0x01));
    {
        auto b = a;
        b.signature.resize(64 + 1 - 2);
        auto r = verify_authorization(b, kWorker.address(), h(0x01), kOwner.address());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message.rfind("authorization: signature: ", 0), 0u) << r.error().message;
    }
    {
        auto b = a;
        b.signature.back() = static_cast<std::uint8_t>(b.signature.back() - 27);  // v 0/1: ethers' form, PoCo refuses
        EXPECT_FALSE(verify_authorization(b, kWorker.address(), h(0x01), kOwner.address()));
    }
    {
        auto b = a;
        b.signature.clear();
        EXPECT_FALSE(verify_authorization(b, kWorker.address(), h(0x01), kOwner.address()));
    }
}

}  // namespace
}  // namespace wp::worker
