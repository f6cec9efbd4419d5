#pragma once
// The settings of `iexec-pool core` (service/settings.hpp: one JSON object {"core":{…}}, WP_CORE_* environment,
// --set and flags) and their typed view; the keys and defaults are those of docs/scheduler.md "The daemon".
// The wallet is core.wallet.privateKey (secret, for local chains) or core.wallet.keystore + core.wallet.passwordFile
// (exactly one of the two forms; Errc::kInvalidArgument naming the keys otherwise). core.orders.offers is parsed
// (order_policy.hpp parse_offers: errors name the key, the offer and the rule) and, with core.orders.enabled, needs
// core.market.url and at least one offer.
//
// Thread safety: pure functions; CoreConfig is a plain value.

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/service/settings.hpp>
#include <wp/store/store.hpp>

#include "order_policy.hpp"
#include "planner.hpp"

namespace wp::scheduler {

struct CoreConfig {
    std::string rpc{"http://127.0.0.1:8545"};
    Address hub;
    std::uint64_t confirmations{0};
    std::uint64_t start_block{0};
    std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
    bool new_heads{true};  //!< core.chain.newHeads: a chain round per announced block too (core_service.cpp)
    Address workerpool;
    std::string private_key;  //!< hex, or empty when the keystore form is used (never logged)
    std::string keystore;
    std::string password_file;
    std::string db{"sqlite:core.db"};
    std::string host{"127.0.0.1"};
    std::uint16_t port{13000};
    std::string results_dir{"results"};
    std::uint64_t results_max_bytes{100ULL * 1024 * 1024};
    std::string public_url;               //!< "" → http://host:port
    InitMode init_mode{InitMode::kLazy};  //!< core.init.mode (planner.hpp initialize_budget)
    std::chrono::milliseconds init_horizon{std::chrono::seconds(5)};  //!< core.init.horizon (mode ahead)
    std::uint64_t initialize_batch{32};
    std::chrono::seconds lost_after{60};
    std::chrono::seconds heartbeat{10};
    std::chrono::seconds upload_timeout{120};
    std::chrono::milliseconds upload_retry{std::chrono::seconds(5)};  //!< core.timeouts.uploadRetry
    std::uint32_t upload_attempts{4};                                 //!< core.results.uploadAttempts
    std::set<Address> allow_list;
    std::string market_url;
    //! The order publishing policy (core.orders.*, docs/scheduler.md "Order publishing policy"; off by default).
    bool orders_enabled{false};
    std::vector<Offer> offers;
    std::uint64_t orders_safety_periods{1};
    std::uint64_t orders_max_volume{1000};
    std::chrono::milliseconds orders_refresh{std::chrono::seconds(30)};
};

//! The schema (section "core", with core.log.* from service/log_settings.hpp).
const service::SettingsSchema& core_settings_schema();

//! The typed view of loaded settings (errors name the key).
Result<CoreConfig> core_config(const service::Settings& settings);

}  // namespace wp::scheduler
