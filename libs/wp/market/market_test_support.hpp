#pragma once
// For tests and benchmarks only (never linked into a daemon): OUR market running in-process on 127.0.0.1 —
// net::HttpServer + MarketApi on a scratch database (pg_test_support.hpp: a SQLite file or a PostgreSQL schema)
// whose chain-mirror tables are written directly (set_owner, set_stake, add_category): no RPC, the mirror is
// complete up to `last_block`. Shared by the market client's tests (marketclient), the core's order publishing
// policy tests (scheduler) and the publish benchmark (api_benchmark.cpp).
//
//   ManualClock clock;
//   auto market = market::testing::InProcessMarket::start({.tag = "my_test"}, clock);
//   ASSERT_TRUE(market) << market.error().message;
//   ASSERT_TRUE((*market)->set_owner(market::Registry::kWorkerpool, pool, owner.address()));
//   auto client = marketclient::MarketClient::create({.url = (*market)->base_url(), .chain_id = 65535});
//
// Thread safety: the fixture itself is used from the test's thread; the server answers on its own threads.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/clock.hpp>
#include <wp/net/http_server.hpp>
#include <wp/store/pg_test_support.hpp>

#include "api.hpp"
#include "chain_state.hpp"
#include "challenge_store.hpp"
#include "schema.hpp"

namespace wp::market::testing {

struct InProcessMarketOptions {
    store::Backend backend{store::Backend::kSqlite};
    //! Names the scratch database (pid and a counter are added).
    std::string tag{"market"};
    store::Options db{.pool_size = 4};
    std::uint64_t chain_id{65535};
    //! The hub of the served chain (the EIP-712 domain's verifyingContract).
    Address hub{Address::parse("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f").value()};
    //! market_sync: the mirror is complete up to this block.
    std::int64_t last_block{120};
    //! Challenges in market_challenges (SqlChallengeStore) instead of memory.
    bool sql_challenges{true};
    //! The API's options; the per-IP rate limit is off unless set here.
    MarketApiOptions api{.rate_limit = std::nullopt};
    //! MarketApiOptions::inline_auth_routes (only with challenges in memory).
    bool inline_auth_routes{false};
    //! The server's options before MarketApi::server_options() (threads, idle_spin).
    net::HttpServerOptions server{};
};

class InProcessMarket {
  public:
    //! Opens the scratch database, migrates the market schema, marks the chain's mirror complete and starts the
    //! server. `clock` must outlive the market. Errors: the database's (e.g. no PostgreSQL here) or the server's.
    static Result<std::unique_ptr<InProcessMarket>> start(InProcessMarketOptions options, Clock& clock) {
        std::unique_ptr<InProcessMarket> m(new InProcessMarket(options));
        WP_TRY(auto opened, store::testing::open_scratch(options.backend, options.tag, options.db));
        m->scratch_.emplace(std::move(opened.scratch));
        m->db_ = std::move(opened.db);
        WP_TRY_VOID(migrate_market_schema(*m->db_));
        WP_TRY_VOID(
            m->exec("INSERT INTO market_sync (chain_id, hub, start_block, complete, last_block, last_block_ms) "
                    "VALUES ($1, $2, 0, 1, $3, 0)",
                    options.chain_id, options.hub, options.last_block));
        m->rpc_ = std::make_unique<chain::JsonRpcClient>(chain::JsonRpcOptions{.url = "http://127.0.0.1:1"});
        m->eth_ = std::make_unique<chain::EthClient>(*m->rpc_);
        m->hub_ = std::make_unique<chain::Hub>(*m->eth_, options.hub);
        m->state_ = std::make_unique<ChainState>(*m->db_, *m->hub_, options.chain_id);
        if (options.sql_challenges) m->challenges_ = std::make_unique<SqlChallengeStore>(*m->db_);
        else m->challenges_ = std::make_unique<service::InMemoryChallengeStore>();
        m->auth_ = std::make_unique<service::ChallengeAuth>(*m->challenges_, clock);
        MarketApiDeps deps;
        deps.db = m->db_.get();
        deps.chains.push_back(ChainContext{options.chain_id, m->domain(), m->state_.get(), nullptr});
        deps.auth = m->auth_.get();
        deps.clock = &clock;
        options.api.inline_auth_routes = options.inline_auth_routes && !options.sql_challenges;
        m->api_ = std::make_unique<MarketApi>(std::move(deps), options.api);
        m->server_ = std::make_unique<net::HttpServer>(MarketApi::server_options(options.server, options.api));
        m->api_->install(*m->server_);
        if (!m->server_->start()) return make_error(Errc::kIo, "in-process market: the HTTP server did not start");
        return m;
    }

    ~InProcessMarket() {
        server_.reset();  // no request in flight past this point
        api_.reset();     // writes and answers what is still queued
        db_.reset();      // before the scratch database is removed
    }
    InProcessMarket(const InProcessMarket&) = delete;
    InProcessMarket& operator=(const InProcessMarket&) = delete;

    //! http://127.0.0.1:<port> (no trailing slash).
    std::string base_url() const { return server_->base_url(); }
    store::Database& db() { return *db_; }
    MarketApi& api() { return *api_; }
    std::uint64_t chain_id() const { return options_.chain_id; }
    const Address& hub() const { return options_.hub; }
    //! The chain's iExec EIP-712 domain (what orders are signed on).
    Domain domain() const { return Domain::iexec(U256(options_.chain_id), options_.hub); }

    //! One statement in a write transaction of its own.
    template <class... A>
    Result<void> exec(std::string_view sql, const A&... args) {
        auto r = db_->write([&](store::Tx& tx) { return tx.exec(sql, args...); });
        if (!r) return make_error(r.error());
        return {};
    }
    //! The mirrored owner of a registry entry (replaces the previous one).
    Result<void> set_owner(Registry registry, const Address& entry, const Address& owner) {
        return exec(
            "INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) VALUES ($1, $2, $3, $4, 1) "
            "ON CONFLICT (chain_id, entry) DO UPDATE SET owner = excluded.owner",
            options_.chain_id, entry, static_cast<std::int64_t>(registry), owner);
    }
    //! The mirrored stake of an account (replaces the previous one).
    Result<void> set_stake(const Address& account, const U256& stake) {
        return exec(
            "INSERT INTO market_accounts (chain_id, account, stake, block_number) VALUES ($1, $2, $3, 1) "
            "ON CONFLICT (chain_id, account) DO UPDATE SET stake = excluded.stake",
            options_.chain_id, account, stake);
    }
    //! A category (name 'S', description 'small').
    Result<void> add_category(std::uint64_t catid, const U256& work_clock_time_ref) {
        return exec(
            "INSERT INTO market_categories (chain_id, catid, name, description, work_clock_time_ref, "
            "transaction_hash, block_number, block_timestamp_ms) VALUES ($1, $2, 'S', 'small', $3, $4, 1, 0)",
            options_.chain_id, catid, work_clock_time_ref, Bytes32{});
    }

  private:
    explicit InProcessMarket(InProcessMarketOptions options) : options_(std::move(options)) {}

    InProcessMarketOptions options_;
    std::optional<store::testing::ScratchDatabase> scratch_;
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<chain::JsonRpcClient> rpc_;
    std::unique_ptr<chain::EthClient> eth_;
    std::unique_ptr<chain::Hub> hub_;
    std::unique_ptr<ChainState> state_;
    std::unique_ptr<service::ChallengeStore> challenges_;
    std::unique_ptr<service::ChallengeAuth> auth_;
    std::unique_ptr<MarketApi> api_;
    std::unique_ptr<net::HttpServer> server_;
};

}  // namespace wp::market::testing
