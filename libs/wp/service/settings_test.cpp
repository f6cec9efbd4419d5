#include "settings.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>

namespace wp::service {
namespace {

using namespace std::chrono_literals;

SettingsSchema test_schema() {
    SettingsSchema s;
    s.section("core", "The core scheduler.");
    s.section("market", "The market API.");
    s.add_string("core.listen.host", "127.0.0.1", "Address to bind.");
    s.add_integer("core.listen.port", 7000, 1, 65535, "TCP port of the worker API.");
    s.add_bool("core.eagerInit", false, "Initialize tasks as soon as deals arrive.");
    s.add_duration("core.heartbeatTimeout", 30s, 1s, 1h, "A worker silent this long is lost.");
    s.add_byte_size("core.maxBody", 1 << 20, 1024, std::uint64_t{1} << 30, "Largest request body.");
    s.add_enum("core.logFormat", "text", {"text", "json"}, "Log line format.");
    s.add_url("core.chain.rpc", "http://127.0.0.1:8545", "JSON-RPC endpoint of the chain.");
    s.add_address("core.workerpool", "", "The workerpool contract.");
    s.add_path("core.dataDir", "/var/lib/wp-core", "Data directory.");
    s.add_string("core.wallet.password", "", "Password of the wallet file.").set_secret();
    s.add_integer("market.limits.pageSize", 20, 1, 1000, "Orders per page.");
    s.add_integer("market.limits.maxOpenOrders", 100, 1, 100000, "Open orders per wallet.");
    return s;
}

Result<Settings> load_text(const SettingsSchema& schema, std::string text,
                           std::vector<std::pair<std::string, std::string>> env = {},
                           std::vector<std::string> sets = {}) {
    SettingsSources src;
    src.config_text = std::move(text);
    src.config_name = "core.json";
    src.environment = std::move(env);
    for (auto& s : sets) src.assignments.emplace_back(std::move(s), "");
    return Settings::load(schema, src);
}

TEST(Settings, EnvNames) {
    EXPECT_EQ(env_name("core.listen.port"), "WP_CORE_LISTEN_PORT");
    EXPECT_EQ(env_name("market.limits.pageSize"), "WP_MARKET_LIMITS_PAGE_SIZE");
    EXPECT_EQ(env_name("core.eagerInit"), "WP_CORE_EAGER_INIT");
}

TEST(Settings, DefaultsWhenNothingIsGiven) {
    auto schema = test_schema();
    auto s = Settings::load(schema, {});
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->get_integer("core.listen.port"), 7000);
    EXPECT_EQ(s->get_string("core.listen.host"), "127.0.0.1");
    EXPECT_FALSE(s->get_bool("core.eagerInit"));
    EXPECT_EQ(s->get_duration("core.heartbeatTimeout"), 30s);
    EXPECT_EQ(s->get_byte_size("core.maxBody"), 1u << 20);
    EXPECT_EQ(s->origin("core.listen.port").kind, SettingOrigin::Kind::kDefault);
}

TEST(Settings, LayersOverrideInOrder) {
    auto schema = test_schema();
    auto s = load_text(schema,
                       R"({"core": {"listen": {"port": 7100, "host": "0.0.0.0"}, "eagerInit": true,
                           "heartbeatTimeout": "2m", "maxBody": "64KiB"},
                           "market": {"limits": {"pageSize": 50}}})",
                       {{"WP_CORE_LISTEN_PORT", "7200"}, {"WP_MARKET_LIMITS_PAGE_SIZE", "60"}, {"WP_OTHER_X", "1"}},
                       {"core.listen.port=7300"});
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->get_integer("core.listen.port"), 7300);  // flag > env > file
    EXPECT_EQ(s->origin("core.listen.port").to_string(), "flag --set core.listen.port=7300");
    EXPECT_EQ(s->get_integer("market.limits.pageSize"), 60);  // env > file
    EXPECT_EQ(s->origin("market.limits.pageSize").to_string(), "environment WP_MARKET_LIMITS_PAGE_SIZE");
    EXPECT_EQ(s->get_string("core.listen.host"), "0.0.0.0");  // file > default
    EXPECT_EQ(s->origin("core.listen.host").to_string(), "file core.json");
    EXPECT_TRUE(s->get_bool("core.eagerInit"));
    EXPECT_EQ(s->get_duration("core.heartbeatTimeout"), 2min);
    EXPECT_EQ(s->get_byte_size("core.maxBody"), 64u * 1024);
    EXPECT_EQ(s->get_integer("market.limits.maxOpenOrders"), 100);
}

TEST(Settings, OutOfRangeNamesKeyAndRule) {
    auto schema = test_schema();
    auto s = load_text(schema, R"({"core": {"listen": {"port": 70000}}})");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message,
              "core.listen.port: must be an integer between 1 and 65535, got 70000 (file core.json)");

    s = load_text(schema, "{}", {{"WP_CORE_LISTEN_PORT", "0"}});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message,
              "core.listen.port: must be an integer between 1 and 65535, got 0 (environment WP_CORE_LISTEN_PORT)");

    s = load_text(schema, "{}", {}, {"core.heartbeatTimeout=2h"});
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "core.heartbeatTimeout: must be a duration");
    WP_EXPECT_CONTAINS(s.error().message, "between 1s and 1h, got '2h'");
}

TEST(Settings, UnknownKeysFail) {
    auto schema = test_schema();
    auto s = load_text(schema, R"({"market": {"limits": {"pageSzie": 10}}})");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message, "market.limits: unknown key 'pageSzie' (file core.json)");

    s = load_text(schema, R"({"markte": {}})");
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "config: unknown section 'markte'");

    s = load_text(schema, "{}", {{"WP_CORE_LISTEN_PROT", "1"}});
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "WP_CORE_LISTEN_PROT: unknown setting in section 'core'");

    s = load_text(schema, "{}", {}, {"core.listen.prot=1"});
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "core.listen.prot: unknown key");

    s = load_text(schema, "{}", {}, {"core.listen.port"});
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "expected key=value");
}

TEST(Settings, EveryErrorIsReported) {
    auto schema = test_schema();
    auto s = load_text(schema, R"({"core": {"listen": {"port": "7000"}, "eagerInit": 1, "logFormat": "xml"}})");
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message,
                       "core.listen.port: must be an integer between 1 and 65535, got the string '7000'");
    WP_EXPECT_CONTAINS(s.error().message, "core.eagerInit: must be true or false, got 1");
    WP_EXPECT_CONTAINS(s.error().message, "core.logFormat: must be one of text, json, got 'xml'");
}

TEST(Settings, WrongJsonTypes) {
    auto schema = test_schema();
    for (const char* bad : {R"({"core": {"listen": {"port": 7000.0}}})", R"({"core": {"listen": {"port": true}}})",
                            R"({"core": {"listen": {"port": null}}})", R"({"core": {"listen": 5}})",
                            R"({"core": {"heartbeatTimeout": 30}})", R"({"core": {"maxBody": 1024}})",
                            R"({"core": {"listen": {"host": 1}}})"}) {
        auto s = load_text(schema, bad);
        EXPECT_FALSE(s) << bad;
    }
    auto s = load_text(schema, R"({"core": {"listen": 5}})");
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "core.listen: must be an object, got 5");
}

TEST(Settings, DuplicateKeysAreErrors) {
    auto schema = test_schema();
    auto s = load_text(schema, R"({"core": {"listen": {"port": 1, "port": 2}}})");
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "duplicate key 'port' in core.listen");
    s = load_text(schema, R"({"core": {}, "core": {}})");
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "duplicate key 'core' in the top level");
}

TEST(Settings, MalformedDocuments) {
    auto schema = test_schema();
    WP_EXPECT_CONTAINS(load_text(schema, "[]").error().message, "the top level must be a JSON object");
    WP_EXPECT_CONTAINS(load_text(schema, "7").error().message, "the top level must be a JSON object");
    WP_EXPECT_CONTAINS(load_text(schema, R"({"core": )").error().message, "invalid JSON at offset");
    WP_EXPECT_CONTAINS(load_text(schema, "{} {}").error().message, "invalid JSON");
    std::string deep = R"({"core":)";
    for (int i = 0; i < 20; ++i) deep += R"({"a":)";
    deep += "1" + std::string(21, '}');
    WP_EXPECT_CONTAINS(load_text(schema, deep).error().message, "nesting deeper than 16");
    WP_EXPECT_CONTAINS(load_text(schema, std::string(kMaxConfigBytes + 1, ' ')).error().message, "larger than 1MiB");
}

TEST(Settings, TypedValueRules) {
    auto schema = test_schema();
    EXPECT_FALSE(load_text(schema, R"({"core": {"chain": {"rpc": "ftp://x"}}})"));
    EXPECT_TRUE(load_text(schema, R"({"core": {"chain": {"rpc": "https://arb.example:443/rpc"}}})"));
    // EIP-55: a mixed-case address with a wrong checksum is refused, lowercase and checksummed accepted.
    auto bad = load_text(schema, R"({"core": {"workerpool": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267"}})");
    ASSERT_FALSE(bad);
    WP_EXPECT_CONTAINS(bad.error().message, "core.workerpool: must be a 0x-prefixed 20-byte address");
    EXPECT_FALSE(load_text(schema, R"({"core": {"workerpool": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"}})")
                     ->get_string("core.workerpool")
                     .empty());
    auto ok = load_text(schema, R"({"core": {"workerpool": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"}})");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->get_address("core.workerpool").to_checksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    EXPECT_FALSE(load_text(schema, "{}", {}, {"core.dataDir=a\nb"}));
    EXPECT_FALSE(load_text(schema, "{}", {}, {"core.eagerInit=yes"}));
    EXPECT_FALSE(load_text(schema, "{}", {}, {"core.listen.port=+5"}));
    EXPECT_FALSE(load_text(schema, "{}", {}, {"core.listen.port=05"}));
    EXPECT_FALSE(load_text(schema, "{}", {}, {"core.listen.port= 5"}));
    EXPECT_TRUE(load_text(schema, "{}", {}, {"core.eagerInit=true"})->get_bool("core.eagerInit"));
    // text values (environment, flags) must be UTF-8 like the JSON file, so print-config can be read back
    for (const char* invalid : {"/\xff", "a\xc0\x80", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"}) {
        auto r = load_text(schema, "{}", {{"WP_CORE_LISTEN_HOST", invalid}});
        ASSERT_FALSE(r) << invalid;
        EXPECT_EQ(r.error().message, "core.listen.host: must be valid UTF-8 text (environment WP_CORE_LISTEN_HOST)");
    }
    EXPECT_EQ(load_text(schema, "{}", {}, {"core.listen.host=h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"})
                  ->get_string("core.listen.host"),
              "h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(Settings, DurationsAndByteSizes) {
    EXPECT_EQ(*parse_duration("250ms"), 250ms);
    EXPECT_EQ(*parse_duration("5s"), 5s);
    EXPECT_EQ(*parse_duration("2m"), 2min);
    EXPECT_EQ(*parse_duration("1h"), 1h);
    EXPECT_EQ(*parse_duration("0s"), 0ms);
    for (const char* bad :
         {"", "5", "s", "5 s", " 5s", "05s", "1.5s", "-1s", "5S", "5sec", "5d", "99999999999999999h"}) {
        EXPECT_FALSE(parse_duration(bad)) << bad;
    }
    EXPECT_EQ(format_duration(250ms), "250ms");
    EXPECT_EQ(format_duration(1500ms), "1500ms");
    EXPECT_EQ(format_duration(120s), "2m");
    EXPECT_EQ(format_duration(0ms), "0s");
    EXPECT_EQ(*parse_byte_size("64KiB"), 65536u);
    EXPECT_EQ(*parse_byte_size("1MiB"), 1u << 20);
    EXPECT_EQ(*parse_byte_size("512B"), 512u);
    EXPECT_EQ(*parse_byte_size("2GiB"), std::uint64_t{2} << 30);
    for (const char* bad : {"64", "64kb", "64KB", "64 KiB", "064KiB", "KiB", "99999999999999999999GiB"}) {
        EXPECT_FALSE(parse_byte_size(bad)) << bad;
    }
    EXPECT_EQ(format_byte_size(65536), "64KiB");
    EXPECT_EQ(format_byte_size(1000), "1000B");
}

TEST(Settings, ARequiredKeyWithAnInvalidValueIsReportedOnceByItsRule) {
    SettingsSchema schema;
    schema.add_address("market.chain.hub", "", "Hub.").set_required();
    for (const bool as_flag : {false, true}) {
        SettingsSources src;
        if (as_flag) src.assignments = {{"market.chain.hub=0x12", "--hub 0x12"}};
        else src.config_text = R"({"market":{"chain":{"hub":"0x12"}}})";
        auto s = Settings::load(schema, src);
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().message.find("required"), std::string::npos) << s.error().message;
        EXPECT_EQ(s.error().message.find("market.chain.hub: must be"), 0u) << s.error().message;
    }
}

TEST(Settings, RequiredKeys) {
    SettingsSchema schema;
    schema.add_url("worker.scheduler", "", "Scheduler URL.").set_required();
    schema.add_integer("worker.slots", 1, 1, 64, "Parallel tasks.");
    auto s = Settings::load(schema, {});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message,
              "worker.scheduler: required, set it in the config file, with WP_WORKER_SCHEDULER or with --set "
              "worker.scheduler=...");
    SettingsSources src;
    src.environment = {{"WP_WORKER_SCHEDULER", "http://127.0.0.1:7000"}};
    s = Settings::load(schema, src);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->get_string("worker.scheduler"), "http://127.0.0.1:7000");
    src.environment = {{"WP_WORKER_SCHEDULER", ""}};
    EXPECT_FALSE(Settings::load(schema, src));
}

TEST(Settings, SecretsAreNeverPrinted) {
    auto schema = test_schema();
    auto s = load_text(schema, R"({"core": {"wallet": {"password": "correct horse battery"}}})");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->get_string("core.wallet.password"), "correct horse battery");
    const auto printed = s->to_json();
    EXPECT_EQ(printed.find("correct horse"), std::string::npos);
    WP_EXPECT_CONTAINS(printed, "\"password\": \"<secret>\"");
    WP_EXPECT_CONTAINS(s->to_json(true), "correct horse battery");
    EXPECT_EQ(s->secret_values(), std::vector<std::string>{"correct horse battery"});
    EXPECT_EQ(schema.describe().find("correct horse"), std::string::npos);
}

TEST(Settings, SampleConfigRoundTripsToDefaults) {
    auto schema = test_schema();
    const auto sample = schema.sample_json();
    WP_EXPECT_CONTAINS(sample, "\"heartbeatTimeout\": \"30s\"");
    WP_EXPECT_CONTAINS(sample, "\"maxBody\": \"1MiB\"");
    auto loaded = load_text(schema, sample);
    ASSERT_TRUE(loaded) << loaded.error().message;
    auto defaults = Settings::load(schema, {});
    EXPECT_EQ(loaded->to_json(true), defaults->to_json(true));
    // print-config of a loaded config reloads to the same values.
    auto custom = load_text(schema, R"({"core": {"listen": {"port": 9}, "heartbeatTimeout": "1500ms"}})");
    ASSERT_TRUE(custom);
    auto again = load_text(schema, custom->to_json(true));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->to_json(true), custom->to_json(true));

    const auto doc = schema.describe();
    WP_EXPECT_CONTAINS(doc, "## core");
    WP_EXPECT_CONTAINS(doc,
                       "| `core.listen.port` | integer | an integer between 1 and 65535 | `7000` | "
                       "`WP_CORE_LISTEN_PORT` | TCP port of the worker API. |");
    WP_EXPECT_CONTAINS(doc, "(secret)");
}

TEST(Settings, ConfigFileFromDisk) {
    auto schema = test_schema();
    const auto path = testing_support::fresh_test_dir("settings") / "core.json";
    {
        std::ofstream out(path);
        out << R"({"core": {"listen": {"port": 8100}}})";
    }
    SettingsSources src;
    src.config_file = path.string();
    auto s = Settings::load(schema, src);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->get_integer("core.listen.port"), 8100);
    EXPECT_EQ(s->origin("core.listen.port").to_string(), "file " + path.string());
    {
        std::ofstream out(path);
        out << R"({"core": {"listen": {"port": 0}}})";
    }
    s = Settings::load(schema, src);
    ASSERT_FALSE(s);
    WP_EXPECT_CONTAINS(s.error().message, "(file " + path.string() + ")");
    std::filesystem::remove(path);
    s = Settings::load(schema, src);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::kIo);
}

TEST(Settings, ProcessEnvironmentIsFilteredToWpVariables) {
    ::setenv("WP_SETTINGS_TEST_X", "1", 1);
    auto env = process_environment();
    bool found = false;
    for (const auto& [k, v] : env) {
        EXPECT_EQ(k.rfind("WP_", 0), 0u);
        if (k == "WP_SETTINGS_TEST_X") found = v == "1";
    }
    EXPECT_TRUE(found);
    ::unsetenv("WP_SETTINGS_TEST_X");
}

}  // namespace
}  // namespace wp::service
