#include "tee_sim.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/poco2.hpp>

#include "result.hpp"
#include "test_support.hpp"

namespace wp::worker {
namespace {

Bytes32 tag(std::uint8_t low) {
    Bytes32 t;
    t[31] = low;
    return t;
}

TEST(TeeSimulation, FrameworkFromTag) {
    EXPECT_EQ(tee_framework(tag(0x0)), TeeFramework::kNone);
    EXPECT_EQ(tee_framework(tag(0x8)), TeeFramework::kNone);  // tdx without tee: not a TEE deal for PoCo
    EXPECT_EQ(tee_framework(tag(0x1)), TeeFramework::kAgnostic);
    EXPECT_EQ(tee_framework(tag(0x3)), TeeFramework::kScone);
    EXPECT_EQ(tee_framework(tag(0x5)), TeeFramework::kGramine);
    EXPECT_EQ(tee_framework(tag(0x9)), TeeFramework::kTdx);
    EXPECT_EQ(to_string(TeeFramework::kTdx), "tdx");
}

TEST(TeeSimulation, EnclaveFromTheAssignmentMustMatchTheChallenge) {
    const auto key = *PrivateKey::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    workerapi::Assignment a;
    a.task_id = *bytes32_from_hex("0x1111111111111111111111111111111111111111111111111111111111111111");
    a.tag = tag(0x9);
    a.authorization.enclave_challenge = key.address();
    auto missing = enclave_from_assignment(a);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("carries no enclave key"), std::string::npos) << missing.error().message;

    a.tee_simulation = workerapi::TeeSimulation{1, key.secret()};
    auto ok = enclave_from_assignment(a);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->challenge(), key.address());

    a.authorization.enclave_challenge = PrivateKey::generate().address();
    auto other = enclave_from_assignment(a);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().message, "tee-simulation: the enclave key's address " + key.address().to_checksum() +
                                         " differs from the authorization's enclave challenge " +
                                         a.authorization.enclave_challenge.to_checksum());
    EXPECT_EQ(other.error().message.find(to_hex_no_prefix(key.secret().view())), std::string::npos);  // never the key

    a.tee_simulation->enclave_key = Bytes32{};  // zero is not a secp256k1 secret
    auto zero = enclave_from_assignment(a);
    ASSERT_FALSE(zero);
    EXPECT_EQ(zero.error().message, "tee-simulation: the enclave key is not a secp256k1 secret key");
}

TEST(TeeSimulation, SignatureIsWhatEthersPersonalSignGives) {
    const auto key = *PrivateKey::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    const auto enclave = SimulatedEnclave::from_key(key);
    const auto rh = *bytes32_from_hex("0x1111111111111111111111111111111111111111111111111111111111111111");
    const auto rs = *bytes32_from_hex("0x2222222222222222222222222222222222222222222222222222222222222222");
    const std::string want = testing::ethers("const w = new ethers.Wallet('" + to_hex(key.secret().view()) +
                                             "');\nconst h = ethers.solidityPackedKeccak256(['bytes32','bytes32'],['" +
                                             to_hex(rh.view()) + "','" + to_hex(rs.view()) +
                                             "']);\nw.signMessage(ethers.getBytes(h)).then(s => console.log(s));");
    EXPECT_EQ(to_hex(enclave.sign_result(rh, rs)), want);
    EXPECT_EQ(enclave.challenge(), key.address());
    EXPECT_NE(SimulatedEnclave::generate().challenge(), SimulatedEnclave::generate().challenge());
}

// The contribution a simulated TEE worker produces passes PoCo's contributeAndFinalize and contribute checks
// (protocol/poco2, itself checked against the real contracts on anvil in tests/anvil/poco2_anvil_test.cpp).
TEST(TeeSimulation, AcceptedByPocoChecksForSconeAndTdxDeals) {
    const auto scheduler = *PrivateKey::from_hex("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
    const auto worker = *PrivateKey::from_hex("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6");
    for (const std::uint8_t low : {std::uint8_t{0x3}, std::uint8_t{0x9}}) {
        const auto enclave = SimulatedEnclave::generate();
        ContributeAndFinalizeFacts f;
        f.task_id = *bytes32_from_hex("0x00000000000000000000000000000000000000000000000000000000000000aa");
        f.result_digest = sha256(as_bytes("hello"));
        f.results = to_bytes(R"({"storage":"ipfs","location":"/ipfs/x"})");
        f.caller = worker.address();
        f.now = U256(1000);
        f.deal.trust = U256(1);
        f.deal.tag = tag(low);
        f.deal.workerpool.owner = scheduler.address();
        f.record.task.status = TaskStatus::kActive;
        f.record.task.contribution_deadline = U256(2000);
        f.enclave_challenge = enclave.challenge();
        f.authorization_sign = sign_authorization(scheduler, worker.address(), f.task_id, enclave.challenge());
        const auto c = make_contribution(worker.address(), f.task_id, f.result_digest);
        f.enclave_sign = enclave.sign_result(c.result_hash, c.result_seal);
        auto ok = check_contribute_and_finalize(f);
        EXPECT_TRUE(ok) << "tag " << int(low) << ": " << (ok ? "" : ok.error().explanation);

        // Signed by another key: refused by the enclave check.
        auto other = f;
        other.enclave_sign = SimulatedEnclave::generate().sign_result(c.result_hash, c.result_seal);
        auto bad = check_contribute_and_finalize(other);
        ASSERT_FALSE(bad);
        EXPECT_EQ(bad.error().check, TaskCheck::kFastEnclaveSignature);

        // The same values through contribute (trust > 1 path).
        ContributeFacts cf;
        cf.task_id = f.task_id;
        cf.result_hash = c.result_hash;
        cf.result_seal = c.result_seal;
        cf.enclave_challenge = f.enclave_challenge;
        cf.enclave_sign = f.enclave_sign;
        cf.authorization_sign = f.authorization_sign;
        cf.caller = f.caller;
        cf.now = f.now;
        cf.deal = f.deal;
        cf.deal.trust = U256(3);
        cf.record = f.record;
        auto contributed = check_contribute(cf);
        EXPECT_TRUE(contributed) << (contributed ? "" : contributed.error().explanation);
    }
}

}  // namespace
}  // namespace wp::worker
