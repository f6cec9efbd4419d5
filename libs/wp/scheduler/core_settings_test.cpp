// The core's settings: defaults, the wallet forms, the allow-list, bad values naming their key.
#include "core_settings.hpp"

#include <gtest/gtest.h>

namespace wp::scheduler {
namespace {

Result<CoreConfig> load(std::string config, std::vector<std::pair<std::string, std::string>> env = {}) {
    service::SettingsSources sources;
    sources.config_text = std::move(config);
    sources.config_name = "core.json";
    sources.environment = std::move(env);
    WP_TRY(auto settings, service::Settings::load(core_settings_schema(), sources));
    return core_config(settings);
}

constexpr const char* kHub = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707";
constexpr const char* kPool = "0x000000000000000000000000000000000000bEEF";

std::string config(const std::string& extra) {
    return std::string(R"({"core":{"chain":{"hub":")") + kHub + R"("},"workerpool":")" + kPool + "\"" + extra + "}}";
}

TEST(CoreSettings, DefaultsOfTheDocumentedKeys) {
    auto c = load(config(R"(,"wallet":{"privateKey":"0x01"})"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->rpc, "http://127.0.0.1:8545");
    EXPECT_EQ(c->hub, *Address::parse(kHub));
    EXPECT_EQ(c->workerpool, *Address::parse(kPool));
    EXPECT_EQ(c->db, "sqlite:core.db");
    EXPECT_EQ(c->port, 13000);
    EXPECT_EQ(c->confirmations, 0U);
    EXPECT_EQ(c->init_mode, scheduler::InitMode::kLazy);
    EXPECT_EQ(c->init_horizon, std::chrono::seconds(5));
    EXPECT_EQ(c->initialize_batch, 32U);
    EXPECT_EQ(c->lost_after, std::chrono::seconds(60));
    EXPECT_EQ(c->upload_timeout, std::chrono::seconds(120));
    EXPECT_EQ(c->upload_retry, std::chrono::seconds(5));
    EXPECT_EQ(c->upload_attempts, 4U);
    EXPECT_EQ(c->results_max_bytes, 100ULL * 1024 * 1024);
    EXPECT_TRUE(c->allow_list.empty());
}

TEST(CoreSettings, HubAndWorkerpoolAreRequired) {
    auto c = load(R"({"core":{"wallet":{"privateKey":"0x01"}}})");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("core.chain.hub"), std::string::npos) << c.error().message;
}

TEST(CoreSettings, ExactlyOneWalletForm) {
    auto none = load(config(""));
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("core.wallet"), std::string::npos);
    auto both = load(config(R"(,"wallet":{"privateKey":"0x01","keystore":"k.json","passwordFile":"p"})"));
    ASSERT_FALSE(both);
    auto half = load(config(R"(,"wallet":{"keystore":"k.json"})"));
    ASSERT_FALSE(half);
    EXPECT_NE(half.error().message.find("go together"), std::string::npos);
    auto store = load(config(R"(,"wallet":{"keystore":"k.json","passwordFile":"p"})"));
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_EQ(store->keystore, "k.json");
}

TEST(CoreSettings, EnvironmentOverridesAndAllowList) {
    auto c = load(config(R"(,"wallet":{"privateKey":"0x01"},"init":{"mode":"eager"})"),
                  {{"WP_CORE_WORKERS_ALLOW_LIST", " 0x000000000000000000000000000000000000bEEF ,"},
                   {"WP_CORE_LISTEN_PORT", "14000"}});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->init_mode, scheduler::InitMode::kEager);
    EXPECT_EQ(c->port, 14000);
    ASSERT_EQ(c->allow_list.size(), 1U);
    auto bad = load(config(R"(,"wallet":{"privateKey":"0x01"},"workers":{"allowList":"0x12"})"));
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("core.workers.allowList: entry 1"), std::string::npos) << bad.error().message;
    auto mode = load(config(R"(,"wallet":{"privateKey":"0x01"},"init":{"mode":"sometimes"})"));
    ASSERT_FALSE(mode);
    EXPECT_NE(mode.error().message.find("core.init.mode"), std::string::npos) << mode.error().message;
}

TEST(CoreSettings, InitModeAheadAndItsHorizon) {
    auto c = load(config(R"(,"wallet":{"privateKey":"0x01"},"init":{"mode":"ahead","horizon":"8s"})"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->init_mode, InitMode::kAhead);
    EXPECT_EQ(c->init_horizon, std::chrono::seconds(8));
    auto short_horizon = load(config(R"(,"wallet":{"privateKey":"0x01"},"init":{"horizon":"10ms"})"));
    ASSERT_FALSE(short_horizon);
    EXPECT_NE(short_horizon.error().message.find("core.init.horizon"), std::string::npos)
        << short_horizon.error().message;
}

TEST(CoreSettings, OrderPolicyKeysDefaultsAndRules) {
    auto c = load(config(R"(,"wallet":{"privateKey":"0x01"})"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_FALSE(c->orders_enabled);
    EXPECT_TRUE(c->offers.empty());
    EXPECT_EQ(c->orders_safety_periods, 1U);
    EXPECT_EQ(c->orders_max_volume, 1000U);
    EXPECT_EQ(c->orders_refresh, std::chrono::seconds(30));

    c = load(config(R"(,"wallet":{"privateKey":"0x01"},"market":{"url":"http://127.0.0.1:3000"},)"
                    R"("orders":{"enabled":true,"offers":"category=0,tag=0x0,price=5,trust=1","safetyPeriods":2})"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_TRUE(c->orders_enabled);
    ASSERT_EQ(c->offers.size(), 1U);
    EXPECT_EQ(c->offers[0].price, U256(5));
    EXPECT_EQ(c->orders_safety_periods, 2U);

    auto no_market = load(config(R"(,"wallet":{"privateKey":"0x01"},)"
                                 R"("orders":{"enabled":true,"offers":"category=0"})"));
    ASSERT_FALSE(no_market);
    EXPECT_EQ(no_market.error().message, "core.market.url: required when core.orders.enabled is true");
    auto no_offer = load(config(R"(,"wallet":{"privateKey":"0x01"},"market":{"url":"http://127.0.0.1:3000"},)"
                                R"("orders":{"enabled":true})"));
    ASSERT_FALSE(no_offer);
    EXPECT_EQ(no_offer.error().message, "core.orders.offers: at least one offer when core.orders.enabled is true");
    // Offers are checked even while the policy is off.
    auto bad = load(config(R"(,"wallet":{"privateKey":"0x01"},"orders":{"offers":"category=0,colour=blue"})"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.rfind("core.orders.offers: offer 1: unknown field \"colour\"", 0), 0U)
        << bad.error().message;
    auto safety = load(config(R"(,"wallet":{"privateKey":"0x01"},"orders":{"safetyPeriods":7})"));
    ASSERT_FALSE(safety);
    EXPECT_NE(safety.error().message.find("core.orders.safetyPeriods"), std::string::npos) << safety.error().message;
}

}  // namespace
}  // namespace wp::scheduler
