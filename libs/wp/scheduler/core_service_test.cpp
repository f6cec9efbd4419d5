// CoreService::open() before any chain: the wallet forms (a keystore file decrypted with its password file — the
// next step, the database, then the chain, is reached; a wrong password, a missing file and a bad private key
// refused naming the key) and an unreachable chain refused naming the URL, on a real SQLite file. The daemon on a
// devnet is tests/scheduler/core_service_anvil_test.cpp.

#include "core_service.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <wp/crypto/keystore.hpp>

namespace wp::scheduler {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
    auto dir = fs::path(::testing::TempDir()) / ("wp_core_service_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::trunc);
    f << text;
}

CoreConfig offline_config(const fs::path& dir) {
    CoreConfig c;
    c.rpc = "http://127.0.0.1:1";  // nothing listens on port 1
    c.db = "sqlite:" + (dir / "core.db").string();
    c.results_dir = (dir / "results").string();
    c.port = 0;
    return c;
}

TEST(CoreService, KeystoreWalletIsDecryptedThenTheChainIsAskedForItsId) {
    const auto dir = fresh_dir("keystore");
    Bytes32 secret;
    secret.bytes.fill(0x42);
    const auto key = *PrivateKey::from_bytes(secret.view());
    write(dir / "owner.json", keystore_encrypt(key, "s3cret", KeystoreOptions{1024, 8, 1}));
    write(dir / "password", "s3cret\n");
    CoreConfig c = offline_config(dir);
    c.keystore = (dir / "owner.json").string();
    c.password_file = (dir / "password").string();
    auto opened = CoreService::open(c);
    ASSERT_FALSE(opened);
    // Past the wallet and the database: the chain is what fails, named by its URL.
    EXPECT_EQ(opened.error().message.rfind("chain http://127.0.0.1:1: ", 0), 0U) << opened.error().message;
    EXPECT_TRUE(fs::exists(dir / "core.db"));

    write(dir / "password", "wrong\n");
    opened = CoreService::open(c);
    ASSERT_FALSE(opened);
    EXPECT_NE(opened.error().message.find("core.wallet.keystore: keystore: invalid password"), std::string::npos)
        << opened.error().message;

    c.password_file = (dir / "missing").string();
    opened = CoreService::open(c);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().message, "core.wallet.passwordFile: cannot read " + c.password_file);
    fs::remove_all(dir);
}

TEST(CoreService, BadPrivateKeyIsRefusedNamingTheKeyWithoutEchoingIt) {
    const auto dir = fresh_dir("privkey");
    CoreConfig c = offline_config(dir);
    c.private_key = "0x1234deadbeef";
    auto opened = CoreService::open(c);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().message, "core.wallet.privateKey: not a private key");
    fs::remove_all(dir);
}

}  // namespace
}  // namespace wp::scheduler
