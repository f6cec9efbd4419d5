#include "market_service.hpp"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <wp/chain/event_feed.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/mirror.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/net/http_server.hpp>
#include <wp/service/challenge.hpp>
#include <wp/service/health_http.hpp>
#include <wp/service/logging.hpp>
#include <wp/store/store.hpp>

#include "api.hpp"
#include "chain_state.hpp"
#include "challenge_store.hpp"
#include "live.hpp"
#include "schema.hpp"
#include "sync.hpp"

namespace wp::market {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

//! One served chain: its clients, its mirror and its facts.
struct ChainRuntime {
    std::string rpc_url;
    std::uint64_t chain_id{0};
    Domain domain;
    // The sync thread's clients (mirror + handler) and the HTTP handlers' (ChainState cold lookups, verifySignature).
    std::unique_ptr<chain::JsonRpcClient> sync_rpc, api_rpc;
    std::unique_ptr<chain::EthClient> sync_eth, api_eth;
    std::unique_ptr<chain::Hub> sync_hub, api_hub;
    std::unique_ptr<MarketSyncHandler> handler;
    std::unique_ptr<chain::ChainMirror> mirror;
    std::unique_ptr<ChainState> state;
    std::uint64_t confirmations{0};
    // Progress, read by other threads.
    std::atomic<bool> caught_up_once{false};
    std::atomic<std::uint64_t> applied_through{0};  //!< every block <= it is applied (cursor's last block)
    std::atomic<bool> failing{false};
    std::string last_error;  //!< guarded by Impl::mutex
};

}  // namespace

struct MarketService::Impl {
    MarketConfig config;
    Clock* clock{nullptr};
    std::unique_ptr<store::Database> db;
    std::vector<std::unique_ptr<ChainRuntime>> chains;
    std::unique_ptr<service::ChallengeStore> challenges;
    SqlChallengeStore* sql_challenges{nullptr};  // the database store when configured (purged by the sync loop)
    std::unique_ptr<service::ChallengeAuth> auth;
    std::unique_ptr<MarketApi> api;
    std::unique_ptr<net::HttpServer> server;
    std::shared_ptr<net::WebSocketHub> ws;
    std::unique_ptr<LivePump> pump;
    const service::ComponentRunner* runner{nullptr};

    // The sync thread.
    std::mutex mutex;
    std::condition_variable wake;    // wakes the sync thread (stop, sync_to_head)
    std::condition_variable synced;  // signalled after every poll round
    bool stop{false};
    bool woken{false};
    std::thread thread;

    ChainRuntime* find_chain(std::uint64_t chain_id) {
        for (auto& c : chains)
            if (c->chain_id == chain_id) return c.get();
        return nullptr;
    }

    //! One poll of every mirror; true when some mirror is still behind (poll again at once).
    bool poll_round() {
        bool behind = false;
        for (auto& c : chains) {
            auto step = c->mirror->poll();
            if (!step) {
                if (!c->failing.exchange(true))
                    service::log_warn("market: chain sync failed (retrying)",
                                      {{"chainId", std::to_string(c->chain_id)}, {"error", step.error().message}});
                std::lock_guard lock(mutex);
                c->last_error = step.error().message;
                continue;
            }
            if (c->failing.exchange(false))
                service::log_info("market: chain sync recovered", {{"chainId", std::to_string(c->chain_id)}});
            const auto& cursor = c->mirror->cursor();
            if (cursor.next_block > 0) c->applied_through = cursor.next_block - 1;
            if (step->rolled_back_from)
                service::log_info("market: reorg undone", {{"chainId", std::to_string(c->chain_id)},
                                                           {"fromBlock", std::to_string(*step->rolled_back_from)}});
            if (step->caught_up) {
                if (!c->caught_up_once.exchange(true))
                    service::log_info("market: chain synced", {{"chainId", std::to_string(c->chain_id)},
                                                               {"block", std::to_string(c->applied_through.load())}});
            } else {
                behind = true;
            }
        }
        if (auto n = pump->pump_once(); !n)
            service::log_warn("market: live pump failed", {{"error", n.error().message}});
        { std::lock_guard lock(mutex); }  // a waiter between its predicate check and its wait sees this round
        synced.notify_all();
        return behind;
    }

    void run_sync() {
        auto last_compact = steady_clock::now();
        while (true) {
            const bool behind = poll_round();
            if (steady_clock::now() - last_compact > std::chrono::minutes(1)) {
                last_compact = steady_clock::now();
                if (auto n = pump->compact(); !n)
                    service::log_warn("market: outbox compaction failed", {{"error", n.error().message}});
                if (sql_challenges != nullptr)  // the in-memory store evicts expired entries itself
                    if (auto n = sql_challenges->purge_expired(clock->unix_ms()); !n)
                        service::log_warn("market: challenge purge failed", {{"error", n.error().message}});
            }
            std::unique_lock lock(mutex);
            if (stop) return;
            if (!behind && !woken) wake.wait_for(lock, config.poll_interval, [&] { return stop || woken; });
            woken = false;
            if (stop) return;
        }
    }

    MarketService::CatchUp sync_to_head(std::uint64_t chain_id, std::chrono::milliseconds timeout) {
        ChainRuntime* c = find_chain(chain_id);
        if (c == nullptr) return MarketService::CatchUp::kFailed;
        auto head = c->api_eth->block_number();
        if (!head) return MarketService::CatchUp::kFailed;
        const std::uint64_t target = *head >= c->confirmations ? *head - c->confirmations : 0;
        std::unique_lock lock(mutex);
        if (c->applied_through.load() >= target) return MarketService::CatchUp::kAlreadyThere;
        woken = true;
        wake.notify_all();
        const bool reached =
            synced.wait_for(lock, timeout, [&] { return stop || c->applied_through.load() >= target; });
        return reached && !stop ? MarketService::CatchUp::kCaughtUp : MarketService::CatchUp::kFailed;
    }

    net::HealthReport ready() const {
        const bool running = runner == nullptr || runner->ready();
        bool all_synced = true;
        for (const auto& c : chains) all_synced = all_synced && c->caught_up_once.load();
        if (running && all_synced) return {};
        net::HealthReport r;
        r.healthy = false;
        r.json_body = std::string("{\"status\":\"") + (running ? "syncing" : "not running") + "\"}";
        return r;
    }
};

namespace {

class SyncComponent final : public service::Component {
  public:
    explicit SyncComponent(MarketService::Impl& impl) : impl_(impl) {}
    std::string_view name() const override { return "sync"; }
    Result<void> start() override {
        WP_TRY_VOID(impl_.pump->start());
        {
            std::lock_guard lock(impl_.mutex);
            impl_.stop = false;
        }
        impl_.thread = std::thread([this] { impl_.run_sync(); });
        return {};
    }
    void stop(service::StopMode) override {
        {
            std::lock_guard lock(impl_.mutex);
            impl_.stop = true;
        }
        impl_.wake.notify_all();
        if (impl_.thread.joinable()) impl_.thread.join();
    }
    service::HealthReport health() const override {
        for (const auto& c : impl_.chains)
            if (c->failing.load())
                return {service::Health::kDegraded, "chain " + std::to_string(c->chain_id) + " sync failing"};
        return {};
    }

  private:
    MarketService::Impl& impl_;
};

class HttpComponent final : public service::Component {
  public:
    explicit HttpComponent(MarketService::Impl& impl) : impl_(impl), inner_(*impl.server, "http") {}
    std::string_view name() const override { return "http"; }
    Result<void> start() override {
        WP_TRY_VOID(inner_.start());
        const std::string url = impl_.server->base_url();
        service::log_info("market: listening", {{"url", url}});
        if (!impl_.config.url_file.empty()) {
            const std::string tmp = impl_.config.url_file + ".tmp";
            {
                std::ofstream f(tmp, std::ios::trunc);
                f << url << "\n";
                if (!f) return make_error(Errc::kIo, "market.listen.urlFile: cannot write " + tmp);
            }
            std::error_code ec;
            std::filesystem::rename(tmp, impl_.config.url_file, ec);
            if (ec) return make_error(Errc::kIo, "market.listen.urlFile: " + ec.message());
        }
        return {};
    }
    void stop(service::StopMode mode) override {
        inner_.stop(mode);
        impl_.api->stop();  // the publishes already accepted are written (the server object is still there)
    }

  private:
    MarketService::Impl& impl_;
    service::HttpServerComponent inner_;
};

Result<std::unique_ptr<ChainRuntime>> open_chain(MarketService::Impl& impl, const ChainEndpoint& endpoint) {
    auto c = std::make_unique<ChainRuntime>();
    c->rpc_url = endpoint.rpc;
    c->confirmations = impl.config.confirmations;
    const std::string where = "chain " + endpoint.rpc;
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = endpoint.rpc;
    c->sync_rpc = std::make_unique<chain::JsonRpcClient>(rpc_options);
    c->api_rpc = std::make_unique<chain::JsonRpcClient>(rpc_options);
    c->sync_eth = std::make_unique<chain::EthClient>(*c->sync_rpc);
    c->api_eth = std::make_unique<chain::EthClient>(*c->api_rpc);
    auto id = c->sync_eth->chain_id();
    // RpcError messages start with the method ("eth_chainId: …").
    if (!id) return make_error(id.error().to_error().code, where + ": " + id.error().to_error().message);
    c->chain_id = *id;
    c->sync_hub = std::make_unique<chain::Hub>(*c->sync_eth, endpoint.hub);
    auto addresses = c->sync_hub->resolve_addresses();
    if (!addresses)
        return make_error(addresses.error().kind, where + ": the PoCo hub " + endpoint.hub.to_checksum() +
                                                      " does not answer: " + addresses.error().message);
    c->api_hub = std::make_unique<chain::Hub>(*c->api_eth, *addresses);
    auto domain = c->sync_hub->domain();
    if (!domain) return make_error(domain.error().kind, where + ": domain(): " + domain.error().message);
    c->domain = *domain;

    MarketSyncOptions sync;
    sync.chain_id = c->chain_id;
    sync.addresses = *addresses;
    sync.start_block = impl.config.start_block;
    sync.complete = impl.config.start_block == 0;
    WP_TRY(auto state, init_market_sync(*impl.db, sync));
    (void)state;
    c->handler = std::make_unique<MarketSyncHandler>(*c->sync_hub, sync, impl.clock);
    chain::FeedOptions feed;
    feed.confirmations = impl.config.confirmations;
    feed.max_block_range = impl.config.block_batch;
    WP_TRY(c->mirror, chain::ChainMirror::open(*c->sync_eth, *impl.db, *c->handler, market_mirror_options(sync, feed)));
    if (c->mirror->cursor().next_block > 0) c->applied_through = c->mirror->cursor().next_block - 1;
    c->state = std::make_unique<ChainState>(*impl.db, *c->api_hub, c->chain_id);
    if (!sync.complete) {
        auto loaded = c->state->load_categories();
        if (!loaded) return make_error(loaded.error().code, where + ": categories: " + loaded.error().message);
    }
    return c;
}

}  // namespace

MarketService::MarketService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MarketService::~MarketService() {
    if (impl_ && impl_->thread.joinable()) {
        {
            std::lock_guard lock(impl_->mutex);
            impl_->stop = true;
        }
        impl_->wake.notify_all();
        impl_->thread.join();
    }
    if (impl_ && impl_->server && impl_->api) {
        impl_->server->stop();
        impl_->api->stop();  // before the server (and its metrics) go
    }
}

Result<std::unique_ptr<MarketService>> MarketService::open(const MarketConfig& config, Clock* clock) {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->clock = clock != nullptr ? clock : &system_clock();
    if (config.chains.empty()) return make_error(Errc::kInvalidArgument, "market: no chain to serve");

    store::Options db_options;
    db_options.durability = config.durability;
    auto db = store::Database::open(config.db, db_options);
    if (!db) return make_error(db.error().code, "database " + config.db + ": " + db.error().message);
    impl->db = std::make_unique<store::Database>(std::move(*db));
    auto version = migrate_market_schema(*impl->db);
    if (!version)
        return make_error(version.error().code, "database " + impl->db->name() + ": " + version.error().message);

    for (const auto& endpoint : config.chains) {
        WP_TRY(auto c, open_chain(*impl, endpoint));
        for (const auto& other : impl->chains)
            if (other->chain_id == c->chain_id)
                return make_error(Errc::kInvalidArgument, "market: chain " + std::to_string(c->chain_id) +
                                                              " is listed twice (" + other->rpc_url + ", " +
                                                              c->rpc_url + ")");
        impl->chains.push_back(std::move(c));
    }

    if (config.challenges_in_database) {
        auto sql = std::make_unique<SqlChallengeStore>(*impl->db);
        impl->sql_challenges = sql.get();
        impl->challenges = std::move(sql);
    } else {
        impl->challenges = std::make_unique<service::InMemoryChallengeStore>();
    }
    service::ChallengeAuthOptions auth_options;
    auth_options.ttl = config.challenge_ttl;
    impl->auth = std::make_unique<service::ChallengeAuth>(*impl->challenges, *impl->clock, auth_options);

    MarketApiDeps deps;
    deps.db = impl->db.get();
    deps.auth = impl->auth.get();
    deps.clock = impl->clock;
    for (const auto& c : impl->chains)
        deps.chains.push_back(ChainContext{c->chain_id, c->domain, c->state.get(), c->api_hub.get()});
    MarketApiOptions api_options;
    api_options.publish.max_open_orders_per_wallet = static_cast<std::uint64_t>(config.max_open_orders_per_wallet);
    if (config.rate_limit_max > 0) {
        net::RateLimitOptions limit;
        limit.capacity = static_cast<double>(config.rate_limit_max);
        limit.period = config.rate_limit_period;
        api_options.rate_limit = limit;
    } else {
        api_options.rate_limit.reset();
    }
    api_options.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
    Impl* raw = impl.get();
    api_options.ready = [raw] { return raw->ready(); };
    api_options.sync_to_head = [raw](std::uint64_t chain_id) {
        const bool moved = raw->sync_to_head(chain_id, std::chrono::seconds(3)) == MarketService::CatchUp::kCaughtUp;
        if (moved)
            service::log_info("market: caught up on demand for a refused publish",
                              {{"chainId", std::to_string(chain_id)}});
        return moved;
    };
    impl->api = std::make_unique<MarketApi>(std::move(deps), api_options);

    net::HttpServerOptions server_options;
    server_options.bind_address = config.host;
    server_options.port = config.port;
    server_options.max_connections = static_cast<std::size_t>(config.max_connections);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    server_options.threads = std::min(cores, 4u);
    server_options.worker_threads =
        config.http_threads > 0 ? static_cast<unsigned>(config.http_threads) : std::max(2u, cores);
    server_options.idle_spin = config.http_idle_spin;
    impl->server = std::make_unique<net::HttpServer>(MarketApi::server_options(server_options, api_options));
    impl->ws = impl->api->install(*impl->server);
    impl->pump = std::make_unique<LivePump>(*impl->db, impl->ws, *impl->clock);
    return std::unique_ptr<MarketService>(new MarketService(std::move(impl)));
}

std::vector<service::Component*> MarketService::components() {
    if (components_.empty()) {
        components_.push_back(std::make_unique<SyncComponent>(*impl_));
        components_.push_back(std::make_unique<HttpComponent>(*impl_));
    }
    std::vector<service::Component*> out;
    for (auto& c : components_) out.push_back(c.get());
    return out;
}

void MarketService::attach(const service::ComponentRunner& runner) { impl_->runner = &runner; }

std::string MarketService::url() const { return impl_->server->base_url(); }

std::vector<std::uint64_t> MarketService::chain_ids() const {
    std::vector<std::uint64_t> out;
    for (const auto& c : impl_->chains) out.push_back(c->chain_id);
    return out;
}

bool MarketService::synced() const {
    for (const auto& c : impl_->chains)
        if (!c->caught_up_once.load()) return false;
    return true;
}

MarketService::CatchUp MarketService::sync_to_head(std::uint64_t chain_id, std::chrono::milliseconds timeout) {
    return impl_->sync_to_head(chain_id, timeout);
}

}  // namespace wp::market
