#include "logging.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "settings.hpp"
#include "test_support.hpp"

namespace wp::service {
namespace {

namespace json = boost::json;

// anvil-0 (test key only)
constexpr std::string_view kKeyHex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

struct LogFile : testing::Test {
    std::filesystem::path path;
    void SetUp() override {
        clear_registered_secrets();
        path = testing_support::fresh_test_dir(std::string("log_") +
                                               testing::UnitTest::GetInstance()->current_test_info()->name()) /
               "out.log";
    }
    void TearDown() override {
        clear_registered_secrets();
        ASSERT_TRUE(setup_logging({}));  // back to stderr
    }
    std::string contents() {
        flush_logs();
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    static void expect_no_key(const std::string& out) {
        const std::string bare(kKeyHex.substr(2));
        EXPECT_EQ(out.find(bare), std::string::npos) << out;
        EXPECT_EQ(out.find(upper(bare)), std::string::npos) << out;
        EXPECT_EQ(out.find(bare.substr(0, 40)), std::string::npos) << out;
    }
};

TEST_F(LogFile, JsonLinesWithFields) {
    ASSERT_TRUE(setup_logging({.level = LogLevel::kDebug, .format = LogFormat::kJson, .file = path.string()}));
    log_info("deal initialized", {{"dealid", "0xab"}, {"note", "two \"words\"\n"}});
    log_debug("debug line");
    log(LogLevel::kTrace, "not shown");
    const auto out = contents();
    std::istringstream lines(out);
    std::string line;
    std::vector<json::object> parsed;
    while (std::getline(lines, line)) parsed.push_back(json::parse(line).as_object());
    ASSERT_EQ(parsed.size(), 2u) << out;
    EXPECT_EQ(parsed[0].at("level"), "info");
    EXPECT_EQ(parsed[0].at("msg"), "deal initialized");
    EXPECT_EQ(parsed[0].at("dealid"), "0xab");
    EXPECT_EQ(parsed[0].at("note"), "two \"words\"\n");
    EXPECT_EQ(parsed[0].at("ts").as_string().size(), 24u);  // 2026-12-05T06:00:00.123Z
    EXPECT_EQ(parsed[1].at("level"), "debug");
}

TEST_F(LogFile, TextFormatQuotesWhenNeeded) {
    ASSERT_TRUE(setup_logging({.format = LogFormat::kText, .file = path.string()}));
    log_warn("retrying", {{"attempt", "3"}, {"reason", "connection refused"}, {"empty", ""}});
    const auto out = contents();
    WP_EXPECT_CONTAINS(out, " warn retrying attempt=3 reason=\"connection refused\" empty=\"\"\n");
}

TEST_F(LogFile, PrivateKeyNeverReachesTheLog) {
    ASSERT_TRUE(setup_logging({.format = LogFormat::kJson, .file = path.string()}));
    const auto key = PrivateKey::from_hex(kKeyHex).value();
    const std::string hex = to_hex(key.secret());
    ASSERT_EQ(hex, kKeyHex);
    // 1. a field named like a secret is redacted even before the value is registered
    log_info("wallet loaded", {{"privateKey", hex}, {"address", key.address().to_checksum()}});
    log_info("wallet loaded", {{"PRIVATE_KEY", hex}, {"wallet.password", "hunter2hunter2"}});
    // 2. once registered, the value is masked anywhere: message, other fields, upper case, without 0x
    ASSERT_TRUE(register_secret(hex));
    log_error("failed to sign with key " + hex);
    log_error("failed to sign", {{"detail", "key=" + upper(hex.substr(2)) + " rejected"}});
    // 3. also through spdlog directly (a library that logs on its own)
    spdlog::info("raw spdlog line {}", hex);
    const auto out = contents();
    expect_no_key(out);
    EXPECT_EQ(out.find("hunter2"), std::string::npos);
    WP_EXPECT_CONTAINS(out, "\"privateKey\":\"<redacted>\"");
    WP_EXPECT_CONTAINS(out, "\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"");
    WP_EXPECT_CONTAINS(out, "failed to sign with key <redacted>");
    WP_EXPECT_CONTAINS(out, "key=<redacted> rejected");
    WP_EXPECT_CONTAINS(out, "raw spdlog line <redacted>");
}

TEST_F(LogFile, SecretSettingsAreMasked) {
    ASSERT_TRUE(setup_logging({.format = LogFormat::kText, .file = path.string()}));
    SettingsSchema schema;
    schema.add_string("worker.wallet.privateKey", "", "Key of the worker wallet.").set_secret();
    SettingsSources src;
    src.environment = {{"WP_WORKER_WALLET_PRIVATE_KEY", std::string(kKeyHex)}};
    auto settings = Settings::load(schema, src);
    ASSERT_TRUE(settings) << settings.error().message;
    for (const auto& v : settings->secret_values()) ASSERT_TRUE(register_secret(v));
    log_info("effective config: " + settings->to_json());
    log_info("oops: " + settings->to_json(true));  // even the revealing form is masked in the log
    const auto out = contents();
    expect_no_key(out);
    WP_EXPECT_CONTAINS(out, "<secret>");
    WP_EXPECT_CONTAINS(out, "<redacted>");
}

TEST(Logging, SecretFieldNames) {
    for (const char* name :
         {"privateKey", "private_key", "PRIVATE-KEY", "password", "wallet.password", "secret", "clientSecret",
          "mnemonic", "Authorization", "apiKey", "accessToken", "token", "bearer", "passphrase", "cookie"}) {
        EXPECT_TRUE(is_secret_field_name(name)) << name;
    }
    for (const char* name : {"address", "dealid", "publicKey", "tokenAddress", "hub", "status", "key"}) {
        EXPECT_FALSE(is_secret_field_name(name)) << name;
    }
}

TEST(Logging, RedactAndLevels) {
    clear_registered_secrets();
    EXPECT_FALSE(register_secret("short"));
    ASSERT_TRUE(register_secret("wpt1.abcdefgh"));
    ASSERT_TRUE(register_secret("0x0123456789abcdef"));
    EXPECT_EQ(redact("token wpt1.abcdefgh used"), "token <redacted> used");
    EXPECT_EQ(redact("a 0123456789ABCDEF b 0x0123456789abcdef"), "a <redacted> b <redacted>");
    EXPECT_EQ(redact("nothing here"), "nothing here");
    clear_registered_secrets();
    EXPECT_EQ(redact("token wpt1.abcdefgh used"), "token wpt1.abcdefgh used");
    EXPECT_EQ(*parse_log_level("warn"), LogLevel::kWarn);
    EXPECT_FALSE(parse_log_level("WARN"));
    EXPECT_FALSE(parse_log_level("verbose"));
    EXPECT_FALSE(setup_logging({.file = "/nonexistent-dir/x.log"}));
}

}  // namespace
}  // namespace wp::service
