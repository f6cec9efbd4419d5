// The per-invocation Context and the commands that need no chain, in a scratch directory with string streams and
// no terminal: files (missing, malformed, never half-changed), confirmations, the wallet loading order, passwords,
// and the fail-fast RPC connection (a closed port, a node that never answers).
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>

#include <wp/crypto/keystore.hpp>

#include "cli_test_support.hpp"
#include "context.hpp"
#include "iexec_cli.hpp"

namespace wp::cli {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::write_file;

// vectors: anvil accounts 1 and 2 (public test keys).
constexpr const char* kKey1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
constexpr const char* kKey2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

class ContextTest : public test::CliScratchTest {
  protected:
    ContextTest() : CliScratchTest("wp_cli_") {}

    void SetUp() override {
        CliScratchTest::SetUp();
        env_.keystore_scrypt_n = 1024;
    }
    std::unique_ptr<Context> context(GlobalOptions options = {}) {
        return std::make_unique<Context>(std::move(options), env_, "iexec test");
    }
    // A keystore file with cheap scrypt parameters (the format does not depend on them).
    std::string keystore(const char* key_hex, const std::string& password, const std::string& stamp,
                         const fs::path& where) {
        auto key = PrivateKey::from_hex(key_hex);
        const std::string name = "UTC--" + stamp + "--" + key->address().to_checksum().substr(2);
        write_file(where / name, keystore_encrypt(*key, password, KeystoreOptions{1024, 8, 1}));
        return name;
    }
};

TEST_F(ContextTest, InitWritesTheFilesAndNeverOverwritesWithoutConsent) {
    ASSERT_EQ(run({"init", "--skip-wallet", "--raw"}), 0) << err_.str();
    EXPECT_EQ(out_.str(), "{\"ok\":true,\"configFile\":\"iexec.json\",\"chainConfigFile\":\"chain.json\"}\n");
    EXPECT_EQ(read_file(dir_ / "chain.json").substr(0, 39), "{\n  \"default\": \"arbitrum-sepolia-testne");
    write_file(dir_ / "iexec.json", "{\"mine\":1}");
    // No terminal to ask and no --force: refused, the file is unchanged.
    EXPECT_EQ(run({"init", "--skip-wallet"}), 1);
    EXPECT_NE(err_.str().find("\"iexec.json\" already exists, replace it with new one? (no terminal to confirm: use "
                              "--force)"),
              std::string::npos)
        << err_.str();
    EXPECT_EQ(read_file(dir_ / "iexec.json"), "{\"mine\":1}");
    // A terminal answering no: refused too.
    env_.ask = [](std::string_view, bool) { return std::optional<std::string>("n"); };
    EXPECT_EQ(run({"init", "--skip-wallet"}), 1);
    EXPECT_EQ(read_file(dir_ / "iexec.json"), "{\"mine\":1}");
    env_.ask = [](std::string_view, bool) { return std::optional<std::string>("y"); };
    EXPECT_EQ(run({"init", "--skip-wallet"}), 0) << err_.str();
    EXPECT_NE(read_file(dir_ / "iexec.json"), "{\"mine\":1}");
    // Human mode: the SDK's lines.
    EXPECT_NE(out_.str().find("\u2714 iExec project is ready"), std::string::npos) << out_.str();
    // No temporary file is left behind.
    for (const auto& e : fs::directory_iterator(dir_))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST_F(ContextTest, InitWithAWalletUsesThePasswordAndTheKeystoreDirectory) {
    ASSERT_EQ(run({"init", "--password", "pw", "--keystoredir", "local", "--raw"}), 0) << err_.str();
    auto line = boost::json::parse(out_.str()).as_object();
    const std::string file(line["walletFile"].as_string());
    EXPECT_EQ(file.rfind("UTC--", 0), 0u) << file;
    auto key = keystore_decrypt(read_file(dir_ / file), "pw");
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->address().to_checksum(), std::string(line["walletAddress"].as_string()));
    // Global keystore: <home>/.ethereum/keystore, reported with its full path.
    ASSERT_EQ(run({"wallet", "create", "--password", "pw", "--raw"}), 0) << err_.str();
    line = boost::json::parse(out_.str()).as_object();
    EXPECT_EQ(fs::path(std::string(line["fileName"].as_string())).parent_path(), env_.home / ".ethereum" / "keystore");
    // Without --password and without a terminal: the SDK's message; nothing written.
    fs::remove_all(env_.home);
    EXPECT_EQ(run({"wallet", "create", "--raw"}), 1);
    EXPECT_NE(err_.str().find("Missing wallet password"), std::string::npos) << err_.str();
    EXPECT_FALSE(fs::exists(env_.home / ".ethereum"));
}

TEST_F(ContextTest, MissingAndMalformedFilesAreReportedAndUntouched) {
    EXPECT_EQ(run({"workerpool", "init", "--raw"}), 1);
    EXPECT_NE(err_.str().find("Missing \\\"iexec.json\\\" file, did you forget to run \\\"iexec init\\\"?"),
              std::string::npos)
        << err_.str();
    write_file(dir_ / "iexec.json", "{\"workerpool\": {");
    EXPECT_EQ(run({"workerpool", "init", "--raw"}), 1);
    EXPECT_NE(err_.str().find("SyntaxError: "), std::string::npos) << err_.str();
    EXPECT_EQ(read_file(dir_ / "iexec.json"), "{\"workerpool\": {");
    // A valid iexec.json gets the section, other keys kept.
    write_file(dir_ / "iexec.json", "{\"keep\":\"me\"}");
    ASSERT_EQ(run({"workerpool", "init", "--raw"}), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "{\"ok\":true,\"workerpool\":{\"owner\":\"0x0000000000000000000000000000000000000000\","
              "\"description\":\"my-workerpool\"}}\n");
    EXPECT_EQ(read_file(dir_ / "iexec.json"),
              "{\n  \"keep\": \"me\",\n  \"workerpool\": {\n    \"owner\": "
              "\"0x0000000000000000000000000000000000000000\",\n    \"description\": "
              "\"my-workerpool\"\n  }\n}");
    // chain.json problems come before any connection.
    write_file(dir_ / "chain.json", R"({"chains":{"dev":{"id":"1","host":"http://127.0.0.1:1","native":true}}})");
    EXPECT_EQ(run({"info", "--raw"}), 1);
    EXPECT_NE(err_.str().find("ValidationError: Unknown key \\\"native\\\" in chain.json"), std::string::npos)
        << err_.str();
    write_file(dir_ / "chain.json", R"({"default":"dev","chains":{"dev":{"id":"1","host":"http://127.0.0.1:1"}}})");
    EXPECT_EQ(run({"info", "--chain", "nope", "--raw"}), 1);
    EXPECT_NE(err_.str().find("Missing \\\"nope\\\" chain in \\\"chain.json\\\""), std::string::npos) << err_.str();
}

TEST_F(ContextTest, WalletLoadingOrderIsTheSdks) {
    GlobalOptions local;
    local.keystoredir = "local";
    EXPECT_EQ(context(local)->wallet_address().error().message,
              "Missing option --wallet-address or --wallet-file and no wallet.json found in working directory");
    const std::string older = keystore(kKey1, "pw", "2026-01-01T00-00-00.000000000Z", dir_);
    const std::string newer = keystore(kKey2, "pw", "2026-02-01T00-00-00.000000000Z", dir_);
    // The most recent UTC-- file, read without decrypting.
    EXPECT_EQ(context(local)->wallet_address()->to_checksum(), "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    // --wallet-address: the matching file, any case, with or without 0x.
    GlobalOptions by_address = local;
    by_address.wallet_address = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    EXPECT_EQ(context(by_address)->wallet_address()->to_checksum(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    by_address.wallet_address = "0x0000000000000000000000000000000000000001";
    EXPECT_EQ(context(by_address)->wallet_address().error().message,
              "No wallet file matching address 0x0000000000000000000000000000000000000001 found in " + dir_.string());
    GlobalOptions missing_dir;
    missing_dir.keystoredir = (dir_ / "nowhere").string();
    missing_dir.wallet_address = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    EXPECT_EQ(context(missing_dir)->wallet_address().error().message,
              "Missing keystore directory " + (dir_ / "nowhere").string() +
                  ", did you forget to run \"iexec wallet create\" ?");
    // --wallet-file: that file.
    GlobalOptions by_file = local;
    by_file.wallet_file = older;
    EXPECT_EQ(context(by_file)->wallet_address()->to_checksum(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    // ./wallet.json (unencrypted) comes before the keystore files.
    write_file(dir_ / "wallet.json", std::string("{\"privateKey\":\"") + kKey1 + "\"}");
    auto ctx = context(local);
    EXPECT_EQ(ctx->wallet_address()->to_checksum(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    ASSERT_TRUE(ctx->wallet());
    (void)newer;
}

TEST_F(ContextTest, PasswordsComeFromTheOptionOrTheTerminal) {
    GlobalOptions options;
    options.keystoredir = "local";
    const std::string name = keystore(kKey2, "right", "2026-01-01T00-00-00.000000000Z", dir_);
    auto no_terminal = context(options)->wallet();
    ASSERT_FALSE(no_terminal);
    EXPECT_EQ(no_terminal.error().message,
              "Missing wallet password: use --password <password> (no terminal to ask it for wallet " + name + ")");
    options.password = "wrong";
    auto wrong = context(options)->wallet();
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Errc::kWrongPassword);
    EXPECT_EQ(wrong.error().message, "incorrect password (wallet " + name + ")");
    options.password.reset();
    std::string asked;
    env_.ask = [&asked](std::string_view question, bool secret) {
        asked = std::string(question) + (secret ? " [secret]" : "");
        return std::optional<std::string>("right");
    };
    auto ctx = context(options);
    auto key = ctx->wallet();
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ((*key)->address().to_checksum(), "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    EXPECT_EQ(asked, "Using wallet " + name + "\nPlease enter your password to unlock your wallet [secret]");
}

TEST_F(ContextTest, ConfirmationNeedsForceRawOrATerminal) {
    GlobalOptions options;
    EXPECT_FALSE(context(options)->confirm("Go?"));
    options.force = true;
    EXPECT_TRUE(*context(options)->confirm("Go?"));
    options.force = false;
    options.raw = true;
    EXPECT_TRUE(*context(options)->confirm("Go?"));
    options.raw = false;
    env_.ask = [](std::string_view q, bool) { return std::optional<std::string>(q == "Go? [y/N]" ? "yes" : "n"); };
    EXPECT_TRUE(*context(options)->confirm("Go?"));
    EXPECT_FALSE(*context(options)->confirm("Stop?"));
}

TEST_F(ContextTest, AnUnreachableNodeFailsFastWithItsAddress) {
    // A port nobody listens on: refused at once.
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const std::string port = std::to_string(ntohs(a.sin_port));
    write_file(dir_ / "chain.json", R"({"default":"dev","chains":{"dev":{"id":"31337","host":"http://127.0.0.1:)" +
                                        port + R"(","hub":"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"}}})");
    EXPECT_EQ(run({"category", "count", "--raw"}), 1);
    EXPECT_NE(err_.str().find("Cannot reach the JSON-RPC node at http://127.0.0.1:" + port + " (chain dev)"),
              std::string::npos)
        << err_.str();
    // A node that accepts connections and never answers: the timeout ends it (the SDK would wait forever).
    ASSERT_EQ(::listen(s, 8), 0);
    auto rpc = context()->rpc();
    ASSERT_FALSE(rpc);
    EXPECT_EQ(rpc.error().code, Errc::kTimeout) << rpc.error().message;
    EXPECT_EQ(rpc.error().message.rfind("Cannot reach the JSON-RPC node at http://127.0.0.1:" + port, 0), 0u)
        << rpc.error().message;
    ::close(s);
}

TEST_F(ContextTest, RawModePrintsOnlyTheJsonLine) {
    Printer p{true, &out_, &err_, true};
    p.info("x");
    p.warn("y");
    p.start_spinner("z");
    EXPECT_EQ(p.success(Reply{{{"a", 1}}, ""}), 0);
    EXPECT_EQ(out_.str(), "{\"ok\":true,\"a\":1}\n");
    EXPECT_EQ(err_.str(), "");
    EXPECT_EQ(p.failure("iexec deal show", Error{Errc::kInvalidArgument, "No deal found for id 0x1 on chain 1"}), 1);
    EXPECT_EQ(err_.str(),
              "{\"ok\":false,\"command\":\"iexec deal show\",\"error\":{\"name\":\"ObjectNotFoundError\","
              "\"message\":\"No deal found for id 0x1 on chain 1\"}}\n");
    err_.str("");
    EXPECT_EQ(p.partial_failure({{"apporder", 1}}, {"workerpoolorder: bad"}, "", "Failed to sign"), 0);
    EXPECT_EQ(err_.str(), "{\"ok\":false,\"apporder\":1,\"fail\":[\"workerpoolorder: bad\"]}\n");
}

TEST(Output, HumanRenderingIsAlignedAndNested) {
    boost::json::object o{{"stake", "5.0"},
                          {"locked", "0.0"},
                          {"nested", boost::json::object{{"a", 1}, {"bb", "x"}}},
                          {"empty", boost::json::object{}},
                          {"list", boost::json::array{"p", "q"}}};
    EXPECT_EQ(render_human(o), "stake:  5.0\nlocked: 0.0\nnested:\n  a:  1\n  bb: x\nempty:\nlist:\n  - p\n  - q");
}

}  // namespace
}  // namespace wp::cli
