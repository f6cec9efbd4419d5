#include "log_settings.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wp::service {
namespace {

TEST(LogSettings, DeclaredReadAndApplied) {
    SettingsSchema schema;
    add_log_settings(schema, "market");
    schema.add_string("market.db.password", "", "Database password.").set_secret();
    SettingsSources src;
    src.assignments = {
        {"market.log.level=debug", ""}, {"market.log.format=json", ""}, {"market.db.password=short", ""}};
    auto s = Settings::load(schema, src);
    ASSERT_TRUE(s) << s.error().message;
    const auto o = log_options(*s, "market");
    EXPECT_EQ(o.level, LogLevel::kDebug);
    EXPECT_EQ(o.format, LogFormat::kJson);
    EXPECT_EQ(o.file, "");
    auto r = register_secret_settings(*s);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "secret settings too short to be masked in logs (at least 8 characters): market.db.password");
    EXPECT_EQ(r.error().message.find("short,"), std::string::npos);
    src.assignments = {{"market.log.level=loud", ""}};
    auto bad = Settings::load(schema, src);
    ASSERT_FALSE(bad);
    WP_EXPECT_CONTAINS(bad.error().message,
                       "market.log.level: must be one of trace, debug, info, warn, error, critical, off, got 'loud'");
    clear_registered_secrets();
}

TEST(LogSettings, SecretSettingsAreRegistered) {
    clear_registered_secrets();
    SettingsSchema schema;
    schema.add_string("worker.wallet.password", "", "Wallet password.").set_secret();
    SettingsSources src;
    src.environment = {{"WP_WORKER_WALLET_PASSWORD", "correct horse battery"}};
    auto s = Settings::load(schema, src);
    ASSERT_TRUE(s);
    ASSERT_TRUE(register_secret_settings(*s));
    EXPECT_EQ(redact("pw=correct horse battery!"), "pw=<redacted>!");
    clear_registered_secrets();
}

}  // namespace
}  // namespace wp::service
