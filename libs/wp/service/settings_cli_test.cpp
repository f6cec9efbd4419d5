#include "settings_cli.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <CLI/CLI.hpp>

#include "test_support.hpp"

namespace wp::service {
namespace {

SettingsSchema schema() {
    SettingsSchema s;
    s.add_integer("core.listen.port", 7000, 1, 65535, "TCP port.");
    s.add_string("core.wallet.password", "", "Wallet password.").set_secret();
    return s;
}

SettingsOutcome run(const SettingsSchema& s, std::vector<std::string> args,
                    std::vector<std::pair<std::string, std::string>> env = {}) {
    CLI::App app("test");
    SettingsCommandLine cl;
    add_settings_options(app, cl);
    map_flag(app, cl, "--port", "core.listen.port", "TCP port");
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed
    app.parse(args);
    return resolve_settings(s, cl, std::move(env));
}

TEST(SettingsCli, FlagsOverrideSetsOverrideEnvOverrideFile) {
    const auto s = schema();
    const auto file = testing_support::fresh_test_dir("cli") / "core.json";
    std::ofstream(file) << R"({"core": {"listen": {"port": 7100}}})";
    auto o = run(s, {"--config", file.string()});
    ASSERT_TRUE(o.settings) << o.output;
    EXPECT_EQ(o.settings->get_integer("core.listen.port"), 7100);
    o = run(s, {"--config", file.string()}, {{"WP_CORE_LISTEN_PORT", "7200"}});
    EXPECT_EQ(o.settings->get_integer("core.listen.port"), 7200);
    o = run(s, {"--config", file.string(), "--set", "core.listen.port=7300"}, {{"WP_CORE_LISTEN_PORT", "7200"}});
    EXPECT_EQ(o.settings->get_integer("core.listen.port"), 7300);
    o = run(s, {"--port", "7400", "--set", "core.listen.port=7300"});
    ASSERT_TRUE(o.settings) << o.output;
    EXPECT_EQ(o.settings->get_integer("core.listen.port"), 7400);
    EXPECT_EQ(o.settings->origin("core.listen.port").to_string(), "flag --port 7400");
    EXPECT_FALSE(o.exit_code);
    // several --set, the last one of a key wins
    o = run(s, {"--set", "core.listen.port=1", "--set", "core.wallet.password=hunter2hunter2", "--set",
                "core.listen.port=2"});
    ASSERT_TRUE(o.settings) << o.output;
    EXPECT_EQ(o.settings->get_integer("core.listen.port"), 2);
    EXPECT_EQ(o.settings->get_string("core.wallet.password"), "hunter2hunter2");
}

TEST(SettingsCli, ValidatePrintAndErrors) {
    const auto s = schema();
    auto o = run(s, {"--validate"});
    EXPECT_EQ(o.exit_code, 0);
    EXPECT_EQ(o.output, "config OK\n");
    o = run(s, {"--validate", "--port", "70000"});
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_EQ(o.output,
              "invalid settings:\ncore.listen.port: must be an integer between 1 and 65535, got 70000 (flag --port "
              "70000)\n");
    o = run(s, {"--print-config", "--set", "core.wallet.password=hunter2hunter2"});
    EXPECT_EQ(o.exit_code, 0);
    EXPECT_EQ(o.output.find("hunter2"), std::string::npos);
    WP_EXPECT_CONTAINS(o.output, "<secret>");
    o = run(s, {"--print-sample-config"});
    EXPECT_EQ(o.exit_code, 0);
    WP_EXPECT_CONTAINS(o.output, "\"port\": 7000");
    o = run(s, {"--describe-config"});
    WP_EXPECT_CONTAINS(o.output, "WP_CORE_LISTEN_PORT");
    o = run(s, {"--config", "/nonexistent/core.json"});
    EXPECT_EQ(o.exit_code, 2);
    WP_EXPECT_CONTAINS(o.output, "cannot be read");
}

}  // namespace
}  // namespace wp::service
