#pragma once
// The settings of `iexec-pool market` (service/settings.hpp: one JSON format, WP_MARKET_* environment, --set and
// flags), and the typed view the service assembles from. `iexec-pool market --describe-config` prints the
// reference of every key; `--print-sample-config` a config file with every default.
//
// Chains: one primary chain (market.chain.rpc + market.chain.hub) and optionally more in market.chain.extra
// ("RPC_URL@HUB_ADDRESS" entries separated by commas): one market instance serves every listed chain, selected by
// the `chainId` query parameter as in the reference. The chain id of each is read from its node at startup.
//
// Thread safety: pure functions; MarketConfig is a plain value.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/service/settings.hpp>
#include <wp/store/store.hpp>

namespace wp::market {

//! One served chain.
struct ChainEndpoint {
    std::string rpc;  //!< http(s) JSON-RPC URL
    Address hub;      //!< the PoCo hub (diamond)
};

struct MarketConfig {
    std::string host{"127.0.0.1"};
    std::uint16_t port{3000};  //!< 0: a free port (logged, and written to url_file)
    std::string url_file;      //!< when set, "http://host:port\n" is written there once the market is ready
    std::string db{"sqlite:market.db"};
    store::Durability durability{store::Durability::kFull};  //!< market.durability (default full)
    std::vector<ChainEndpoint> chains;                       //!< primary first
    std::uint64_t start_block{0};    //!< where the chain mirror starts (the hub's deployment block; 0 = genesis)
    std::uint64_t confirmations{0};  //!< blocks behind the head the mirror stays (reorg depth it avoids)
    std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
    std::uint64_t block_batch{1000};  //!< blocks per mirror batch (the reference's BLOCKS_BATCH_SIZE)
    std::int64_t max_open_orders_per_wallet{50};
    std::uint64_t max_body_bytes{64 * 1024};
    std::int64_t rate_limit_max{100};  //!< requests per period per IP; 0 disables the limiter
    std::chrono::milliseconds rate_limit_period{std::chrono::seconds(60)};
    std::int64_t max_connections{10'000};
    std::chrono::milliseconds challenge_ttl{std::chrono::minutes(10)};
    //! market.auth.challengeStore: false = memory (default), true = the market_challenges table (several instances).
    bool challenges_in_database{false};
    std::int64_t http_threads{0};  //!< handler pool size; 0 = one per core
    //! net::HttpServerOptions::idle_spin of the market's server (market.limits.httpIdleSpinUs; 0 = sleep at once).
    std::chrono::microseconds http_idle_spin{0};
};

//! The schema (section "market", with market.log.* from service/log_settings.hpp).
const service::SettingsSchema& market_settings_schema();

//! The typed view of loaded settings. Errc::kInvalidArgument naming the key for values the schema cannot express
//! (a malformed market.chain.extra entry).
Result<MarketConfig> market_config(const service::Settings& settings);

//! Parses market.chain.extra: "" → none; "URL@0xHUB[,URL@0xHUB...]" (spaces around entries allowed).
Result<std::vector<ChainEndpoint>> parse_chain_list(std::string_view text);

}  // namespace wp::market
