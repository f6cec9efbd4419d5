#include "sim_sms.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>

namespace wp::scheduler {
namespace {

namespace fs = std::filesystem;

Bytes32 fill(std::uint8_t b) {
    Bytes32 out;
    for (auto& x : out.bytes) x = b;
    return out;
}

class SimSmsDir : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("wp_sim_sms_" + to_hex_no_prefix(random_bytes(6)));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST(SimulatedSms, KeyIsTheDocumentedHmac) {
    // HMAC-SHA256(0x01 × 32, "iexec-pool simulated-sms enclave-key v1" ‖ 0x11 × 32 ‖ 0x00), computed with Python's
    // hmac module (not by the code under test).
    const auto sms = SimulatedSms::from_secret(fill(0x01));
    EXPECT_EQ(to_hex(sms.enclave_key(fill(0x11)).secret().view()),
              "0xaf9e6aa573b1cea8c35c3aa545556e03be033baff2b176d7a9b205249088282f");
    EXPECT_EQ(sms.enclave_challenge(fill(0x11)), sms.enclave_key(fill(0x11)).address());
}

TEST(SimulatedSms, OneKeyPerTaskAndPerSecret) {
    const auto a = SimulatedSms::from_secret(fill(0x01));
    const auto b = SimulatedSms::from_secret(fill(0x02));
    EXPECT_EQ(a.enclave_challenge(fill(0x11)), a.enclave_challenge(fill(0x11)));
    EXPECT_NE(a.enclave_challenge(fill(0x11)), a.enclave_challenge(fill(0x12)));
    EXPECT_NE(a.enclave_challenge(fill(0x11)), b.enclave_challenge(fill(0x11)));
    EXPECT_FALSE(a.enclave_challenge(fill(0x11)).is_zero());
}

TEST(SimulatedSms, NeedsEnclaveIsTagBitZero) {
    Bytes32 tag;
    EXPECT_FALSE(needs_enclave(tag));
    for (int t : {0x1, 0x3, 0x5, 0x9}) {
        tag.bytes[31] = static_cast<std::uint8_t>(t);
        EXPECT_TRUE(needs_enclave(tag)) << t;
    }
    tag.bytes[31] = 0x08;  // a framework without the TEE bit: not a TEE deal for PoCo
    EXPECT_FALSE(needs_enclave(tag));
}

TEST_F(SimSmsDir, SecretIsCreatedPrivateAndSurvivesARestart) {
    auto first = SimulatedSms::open(dir_);
    ASSERT_TRUE(first) << first.error().message;
    const fs::path file = dir_ / kSimSmsSecretFile;
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto again = SimulatedSms::open(dir_);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(first->enclave_challenge(fill(0x11)), again->enclave_challenge(fill(0x11)));
    // Another folder, another secret.
    const fs::path other = dir_ / "other";
    fs::create_directories(other);
    auto third = SimulatedSms::open(other);
    ASSERT_TRUE(third);
    EXPECT_NE(first->enclave_challenge(fill(0x11)), third->enclave_challenge(fill(0x11)));
}

TEST_F(SimSmsDir, RefusesAReadableOrMalformedSecret) {
    const fs::path file = dir_ / kSimSmsSecretFile;
    {
        std::ofstream f(file);
        f << "0x" << std::string(64, 'a') << "\n";
    }
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    auto loose = SimulatedSms::open(dir_);
    ASSERT_FALSE(loose);
    EXPECT_NE(loose.error().message.find("must not be accessible by group or others"), std::string::npos)
        << loose.error().message;
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    auto fine = SimulatedSms::open(dir_);
    ASSERT_TRUE(fine) << fine.error().message;
    EXPECT_EQ(fine->enclave_challenge(fill(0x11)),
              SimulatedSms::from_secret(*bytes32_from_hex("0x" + std::string(64, 'a'))).enclave_challenge(fill(0x11)));
    {
        std::ofstream f(file, std::ios::trunc);
        f << "not hex\n";
    }
    auto bad = SimulatedSms::open(dir_);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kDecoding);
    EXPECT_NE(bad.error().message.find(kSimSmsSecretFile), std::string::npos);
}

}  // namespace
}  // namespace wp::scheduler
