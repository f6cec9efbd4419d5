#include "core_settings.hpp"

#include <wp/service/log_settings.hpp>

namespace wp::scheduler {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

service::SettingsSchema build_schema() {
    service::SettingsSchema s;
    s.section("core", "the core scheduler (iexec-pool core): deals of one workerpool scheduled among its workers");
    s.add_url("core.chain.rpc", "http://127.0.0.1:8545", "JSON-RPC URL of the chain");
    s.add_address("core.chain.hub", "", "PoCo hub address").set_required();
    s.add_integer("core.chain.confirmations", 0, 0, 1000,
                  "blocks behind the head the deal intake stays (0 on a local chain: nothing waits for blocks)");
    s.add_integer("core.chain.startBlock", 0, 0, std::int64_t{1} << 53,
                  "first block the deal intake reads the first time (then its stored cursor)");
    s.add_duration("core.chain.pollInterval", seconds(1), milliseconds(50), std::chrono::minutes(10),
                   "how often the deal intake and the transaction manager poll the chain");
    s.add_bool("core.chain.newHeads", true,
               "also run a chain round when the node announces a block (eth_subscribe newHeads over ws:// on the "
               "rpc's host and port; pollInterval stays the fallback)");
    s.add_address("core.workerpool", "", "the workerpool this core serves").set_required();
    s.add_string("core.wallet.privateKey", "", "the workerpool owner's private key (local chains; secret)")
        .set_secret();
    s.add_path("core.wallet.keystore", "", "the workerpool owner's keystore file (Web3 Secret Storage v3)");
    s.add_path("core.wallet.passwordFile", "", "the keystore's password file");
    s.add_string("core.db", "sqlite:core.db", "database URL: sqlite:FILE (default) or postgresql://user@host:port/db");
    s.add_string("core.listen.host", "127.0.0.1", "address the HTTP server binds");
    s.add_integer("core.listen.port", 13000, 0, 65535, "HTTP port: worker API, dashboard API, results, metrics");
    s.add_path("core.results.dir", "results", "the result store's folder");
    s.add_byte_size("core.results.maxBytes", 100ULL * 1024 * 1024, 1024, 64ULL * 1024 * 1024 * 1024,
                    "largest result archive accepted");
    s.add_url("core.results.publicUrl", "", "base URL of the result links (\"\": http://host:port)");
    s.add_enum("core.init.mode", "lazy", {"lazy", "eager", "ahead"},
               "initialize tasks when a worker can take them (lazy), as soon as their deal is seen (eager), or ahead "
               "of the free slots by what the alive slots take within core.init.horizon (ahead)");
    s.add_duration("core.init.horizon", seconds(5), std::chrono::milliseconds(100), std::chrono::hours(1),
                   "mode ahead: initialize the tasks the alive workers' slots will take within this time");
    s.add_integer("core.init.batch", 32, 1, 500, "tasks per initializeArray transaction");
    s.add_duration("core.timeouts.lostAfter", seconds(60), seconds(5), std::chrono::hours(24),
                   "a worker silent this long is lost (its replicates are given to others)");
    s.add_duration("core.timeouts.heartbeat", seconds(10), seconds(1), std::chrono::hours(1),
                   "the heartbeat period asked of the workers");
    s.add_duration("core.timeouts.upload", seconds(120), seconds(5), std::chrono::hours(24),
                   "how long an asked uploader has before another revealed worker is asked");
    s.add_duration("core.timeouts.uploadRetry", seconds(5), std::chrono::milliseconds(100), std::chrono::hours(1),
                   "after a failed upload the uploader is asked again this long later, doubled each time");
    s.add_integer("core.results.uploadAttempts", 4, 1, 100,
                  "upload requests per task at most before a failed or silent uploader is not asked again");
    s.add_string("core.workers.allowList", "", "worker addresses allowed to log in, comma-separated (\"\": anybody)");
    s.add_url("core.market.url", "",
              "the market where the order policy publishes and whose orders the dashboard shows (\"\": none)");
    s.add_bool("core.orders.enabled", false,
               "keep workerpool orders published on core.market.url within the alive workers' capacity");
    s.add_string("core.orders.offers", "",
                 "what the policy offers: 'category=C,tag=T,price=P,trust=R' per category and tag, ';'-separated "
                 "(tag 0x0, 0x9, names joined by '+'; price in nRLC per task)");
    s.add_integer("core.orders.safetyPeriods", 1, 0, 6,
                  "category periods of the 7-period contribution window kept aside (capacity = 7 - this per slot)");
    s.add_integer("core.orders.maxVolume", 1000, 1, 1000000000, "largest volume of one published order");
    s.add_duration("core.orders.refresh", seconds(30), seconds(1), std::chrono::hours(1),
                   "the policy re-reads the market at least this often (and at once on worker or backlog changes)");
    service::add_log_settings(s, "core");
    return s;
}

}  // namespace

const service::SettingsSchema& core_settings_schema() {
    static const service::SettingsSchema schema = build_schema();
    return schema;
}

Result<CoreConfig> core_config(const service::Settings& s) {
    CoreConfig c;
    c.rpc = s.get_string("core.chain.rpc");
    c.hub = s.get_address("core.chain.hub");
    c.confirmations = static_cast<std::uint64_t>(s.get_integer("core.chain.confirmations"));
    c.start_block = static_cast<std::uint64_t>(s.get_integer("core.chain.startBlock"));
    c.poll_interval = s.get_duration("core.chain.pollInterval");
    c.new_heads = s.get_bool("core.chain.newHeads");
    c.workerpool = s.get_address("core.workerpool");
    c.private_key = s.get_string("core.wallet.privateKey");
    c.keystore = s.get_string("core.wallet.keystore");
    c.password_file = s.get_string("core.wallet.passwordFile");
    const bool key = !c.private_key.empty();
    const bool store = !c.keystore.empty() || !c.password_file.empty();
    if (key == store)
        return make_error(Errc::kInvalidArgument,
                          "core.wallet: set either core.wallet.privateKey or core.wallet.keystore + "
                          "core.wallet.passwordFile");
    if (store && (c.keystore.empty() || c.password_file.empty()))
        return make_error(Errc::kInvalidArgument,
                          "core.wallet: core.wallet.keystore and core.wallet.passwordFile go together");
    c.db = s.get_string("core.db");
    c.host = s.get_string("core.listen.host");
    c.port = static_cast<std::uint16_t>(s.get_integer("core.listen.port"));
    c.results_dir = s.get_string("core.results.dir");
    c.results_max_bytes = s.get_byte_size("core.results.maxBytes");
    c.public_url = s.get_string("core.results.publicUrl");
    WP_TRY(c.init_mode, parse_init_mode(s.get_string("core.init.mode")));
    c.init_horizon = std::chrono::duration_cast<std::chrono::milliseconds>(s.get_duration("core.init.horizon"));
    c.initialize_batch = static_cast<std::uint64_t>(s.get_integer("core.init.batch"));
    c.lost_after = std::chrono::duration_cast<seconds>(s.get_duration("core.timeouts.lostAfter"));
    c.heartbeat = std::chrono::duration_cast<seconds>(s.get_duration("core.timeouts.heartbeat"));
    c.upload_timeout = std::chrono::duration_cast<seconds>(s.get_duration("core.timeouts.upload"));
    c.upload_retry = std::chrono::duration_cast<std::chrono::milliseconds>(s.get_duration("core.timeouts.uploadRetry"));
    c.upload_attempts = static_cast<std::uint32_t>(s.get_integer("core.results.uploadAttempts"));
    std::string_view list = s.get_string("core.workers.allowList");
    std::size_t index = 0;
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view entry = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
        while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
        ++index;
        if (entry.empty()) continue;
        auto a = Address::parse(entry);
        if (!a)
            return make_error(Errc::kInvalidArgument,
                              "core.workers.allowList: entry " + std::to_string(index) + ": " + a.error().message);
        c.allow_list.insert(*a);
    }
    c.market_url = s.get_string("core.market.url");
    c.orders_enabled = s.get_bool("core.orders.enabled");
    WP_TRY(c.offers, parse_offers(s.get_string("core.orders.offers")));
    c.orders_safety_periods = static_cast<std::uint64_t>(s.get_integer("core.orders.safetyPeriods"));
    c.orders_max_volume = static_cast<std::uint64_t>(s.get_integer("core.orders.maxVolume"));
    c.orders_refresh = s.get_duration("core.orders.refresh");
    if (c.orders_enabled && c.market_url.empty())
        return make_error(Errc::kInvalidArgument, "core.market.url: required when core.orders.enabled is true");
    if (c.orders_enabled && c.offers.empty())
        return make_error(Errc::kInvalidArgument,
                          "core.orders.offers: at least one offer when core.orders.enabled is true");
    return c;
}

}  // namespace wp::scheduler
