#include "market_settings.hpp"

#include <wp/net/http.hpp>
#include <wp/service/log_settings.hpp>

namespace wp::market {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

service::SettingsSchema build_schema() {
    service::SettingsSchema s;
    s.section("market", "the orderbook server (iexec-pool market): iexec-market-api 7.1.2 compatible");
    s.add_string("market.listen.host", "127.0.0.1", "address the HTTP server binds");
    s.add_integer("market.listen.port", 3000, 0, 65535, "HTTP port (0: a free port, logged and written to urlFile)");
    s.add_path("market.listen.urlFile", "", "write the market's URL there once it is ready (\"\": do not)");
    s.add_string("market.db", "sqlite:market.db",
                 "database URL: sqlite:FILE (default, embedded) or postgresql://user@host:port/db");
    s.add_enum("market.durability", "full", {"normal", "full"},
               "SQLite synchronous mode: full (default: an acknowledged publish survives power loss; with group "
               "commit one WAL sync per batch) or normal (survives a crash of the process only)");
    s.add_url("market.chain.rpc", "", "JSON-RPC URL of the primary chain").set_required();
    s.add_address("market.chain.hub", "", "PoCo hub address on the primary chain").set_required();
    s.add_string("market.chain.extra", "",
                 "more chains served by this instance: RPC_URL@HUB_ADDRESS entries separated by commas");
    s.add_integer("market.chain.startBlock", 0, 0, std::int64_t{1} << 53,
                  "first block the chain mirror reads (the hub's deployment block; 0 = genesis). A later block "
                  "makes owners, stakes and consumed volumes of older activity 'cold': fetched once from the chain");
    s.add_integer("market.chain.confirmations", 0, 0, 1000,
                  "blocks behind the head the mirror stays (0 on a local chain: depth 0, nothing waits for blocks)");
    s.add_duration("market.chain.pollInterval", seconds(1), milliseconds(50), std::chrono::minutes(10),
                   "how often the chain mirror polls for new blocks");
    s.add_integer("market.chain.blockBatch", 1000, 1, 100'000, "blocks read per mirror batch");
    s.add_integer("market.orders.maxOpenPerWallet", 50, 1, 1'000'000,
                  "open orders of one kind a wallet may have published (the reference's MAX_OPEN_ORDERS_PER_WALLET)");
    s.add_byte_size("market.limits.bodySize", 64 * 1024, 1024, 16 * 1024 * 1024, "largest request body");
    s.add_integer("market.limits.rateLimitMax", 100, 0, 1'000'000,
                  "requests per period per client IP (loopback exempt); 0 disables the limiter");
    s.add_duration("market.limits.rateLimitPeriod", seconds(60), seconds(1), std::chrono::hours(24),
                   "the rate limiter's period");
    s.add_integer("market.limits.maxConnections", 10'000, 1, 1'000'000, "open HTTP connections at most");
    s.add_integer("market.limits.httpThreads", 0, 0, 256, "request handler threads (0: one per core)");
    s.add_integer("market.limits.httpIdleSpinUs", 0, 0, 10'000,
                  "microseconds an idle HTTP thread polls for work before it sleeps (net's idle_spin). 0 (default): "
                  "sleep at once, which left more CPU to the publish writer on 2 shared cores (docs/market.md)");
    s.add_duration("market.auth.challengeTtl", std::chrono::minutes(10), seconds(10), std::chrono::hours(24),
                   "how long a login challenge may be signed and used");
    s.add_enum("market.auth.challengeStore", "memory", {"memory", "database"},
               "where pending login challenges live: memory (default: no database write per login; a challenge "
               "is valid on the instance that issued it and lost on restart) or database (the market_challenges "
               "table: required when several market instances share one database behind a load balancer; costs two "
               "write transactions per login)");
    service::add_log_settings(s, "market");
    return s;
}

}  // namespace

const service::SettingsSchema& market_settings_schema() {
    static const service::SettingsSchema schema = build_schema();
    return schema;
}

Result<std::vector<ChainEndpoint>> parse_chain_list(std::string_view text) {
    std::vector<ChainEndpoint> out;
    std::size_t index = 0;
    while (!text.empty()) {
        const auto comma = text.find(',');
        std::string_view entry = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
        while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
        const std::string where = "market.chain.extra: entry " + std::to_string(++index);
        const auto at = entry.rfind('@');
        if (at == std::string_view::npos)
            return make_error(Errc::kInvalidArgument,
                              where + " must be RPC_URL@HUB_ADDRESS, got '" + std::string(entry) + "'");
        const std::string_view rpc = entry.substr(0, at);
        auto url = net::parse_url(rpc);
        if (!url) return make_error(Errc::kInvalidArgument, where + ": RPC URL: " + url.error().message);
        auto hub = Address::parse(entry.substr(at + 1));
        if (!hub) return make_error(Errc::kInvalidArgument, where + ": hub address: " + hub.error().message);
        out.push_back({std::string(rpc), *hub});
    }
    return out;
}

Result<MarketConfig> market_config(const service::Settings& s) {
    MarketConfig c;
    c.host = s.get_string("market.listen.host");
    c.port = static_cast<std::uint16_t>(s.get_integer("market.listen.port"));
    c.url_file = s.get_string("market.listen.urlFile");
    c.db = s.get_string("market.db");
    c.durability =
        s.get_string("market.durability") == "normal" ? store::Durability::kNormal : store::Durability::kFull;
    c.chains.push_back({s.get_string("market.chain.rpc"), s.get_address("market.chain.hub")});
    WP_TRY(auto extra, parse_chain_list(s.get_string("market.chain.extra")));
    for (auto& e : extra) c.chains.push_back(std::move(e));
    c.start_block = static_cast<std::uint64_t>(s.get_integer("market.chain.startBlock"));
    c.confirmations = static_cast<std::uint64_t>(s.get_integer("market.chain.confirmations"));
    c.poll_interval = s.get_duration("market.chain.pollInterval");
    c.block_batch = static_cast<std::uint64_t>(s.get_integer("market.chain.blockBatch"));
    c.max_open_orders_per_wallet = s.get_integer("market.orders.maxOpenPerWallet");
    c.max_body_bytes = s.get_byte_size("market.limits.bodySize");
    c.rate_limit_max = s.get_integer("market.limits.rateLimitMax");
    c.rate_limit_period = s.get_duration("market.limits.rateLimitPeriod");
    c.max_connections = s.get_integer("market.limits.maxConnections");
    c.http_threads = s.get_integer("market.limits.httpThreads");
    c.http_idle_spin = std::chrono::microseconds(s.get_integer("market.limits.httpIdleSpinUs"));
    c.challenge_ttl = s.get_duration("market.auth.challengeTtl");
    c.challenges_in_database = s.get_string("market.auth.challengeStore") == "database";
    return c;
}

}  // namespace wp::market
