// The market's settings: defaults, the flags' keys, environment overrides and the messages of bad values.
#include "market_settings.hpp"

#include <gtest/gtest.h>

namespace wp::market {
namespace {

Result<MarketConfig> load(std::string config, std::vector<std::pair<std::string, std::string>> env = {}) {
    service::SettingsSources sources;
    sources.config_text = std::move(config);
    sources.config_name = "market.json";
    sources.environment = std::move(env);
    WP_TRY(auto settings, service::Settings::load(market_settings_schema(), sources));
    return market_config(settings);
}

constexpr const char* kMinimal =
    R"({"market":{"chain":{"rpc":"http://127.0.0.1:8545","hub":"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"}}})";

TEST(MarketSettings, DefaultsAreTheReferencesKnobs) {
    auto c = load(kMinimal);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->port, 3000);
    EXPECT_EQ(c->host, "127.0.0.1");
    EXPECT_EQ(c->db, "sqlite:market.db");
    EXPECT_EQ(c->max_open_orders_per_wallet, 50);
    EXPECT_EQ(c->rate_limit_max, 100);
    EXPECT_EQ(c->rate_limit_period, std::chrono::seconds(60));
    EXPECT_EQ(c->block_batch, 1000u);
    ASSERT_EQ(c->chains.size(), 1u);
    EXPECT_EQ(c->chains[0].rpc, "http://127.0.0.1:8545");
    EXPECT_TRUE(c->url_file.empty());
    EXPECT_EQ(c->durability, store::Durability::kFull) << "an acknowledged publish survives power loss";
}

TEST(MarketSettings, ChallengesLiveInMemoryUnlessTheDatabaseIsAsked) {
    auto c = load(kMinimal);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_FALSE(c->challenges_in_database);
    auto shared = load(kMinimal, {{"WP_MARKET_AUTH_CHALLENGE_STORE", "database"}});
    ASSERT_TRUE(shared) << shared.error().message;
    EXPECT_TRUE(shared->challenges_in_database);
    auto bad = load(kMinimal, {{"WP_MARKET_AUTH_CHALLENGE_STORE", "redis"}});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("market.auth.challengeStore"), std::string::npos) << bad.error().message;
}

TEST(MarketSettings, IdleHttpThreadsSleepAtOnceUnlessASpinIsAsked) {
    auto c = load(kMinimal);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->http_idle_spin, std::chrono::microseconds(0));
    auto spin = load(kMinimal, {{"WP_MARKET_LIMITS_HTTP_IDLE_SPIN_US", "150"}});
    ASSERT_TRUE(spin) << spin.error().message;
    EXPECT_EQ(spin->http_idle_spin, std::chrono::microseconds(150));
    auto bad = load(kMinimal, {{"WP_MARKET_LIMITS_HTTP_IDLE_SPIN_US", "20000"}});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("market.limits.httpIdleSpinUs"), std::string::npos) << bad.error().message;
}

TEST(MarketSettings, TheChainIsRequiredAndNamed) {
    auto c = load("{}");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("market.chain.rpc"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("market.chain.hub"), std::string::npos) << c.error().message;
}

TEST(MarketSettings, EnvironmentOverridesTheFileAndBadValuesNameTheKey) {
    auto c = load(kMinimal, {{"WP_MARKET_ORDERS_MAX_OPEN_PER_WALLET", "7"}});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->max_open_orders_per_wallet, 7);
    auto bad = load(kMinimal, {{"WP_MARKET_LISTEN_PORT", "70000"}});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("market.listen.port: must be an integer between 0 and 65535"), std::string::npos)
        << bad.error().message;
}

TEST(MarketSettings, ExtraChainsAreParsedStrictly) {
    auto list = parse_chain_list(
        " http://a:1@0x5FC8d32690cc91D4c39d9d3abcBD16989F875707 ,http://b:2/rpc@"
        "0x0000000000000000000000000000000000000001");
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[1].rpc, "http://b:2/rpc");
    auto none = parse_chain_list("");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    auto bad = parse_chain_list("http://a:1");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "market.chain.extra: entry 1 must be RPC_URL@HUB_ADDRESS, got 'http://a:1'");
    auto bad_hub = parse_chain_list("http://a:1@0x12");
    ASSERT_FALSE(bad_hub);
    EXPECT_NE(bad_hub.error().message.find("market.chain.extra: entry 1: hub address"), std::string::npos);
}

}  // namespace
}  // namespace wp::market
