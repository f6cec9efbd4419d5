// Verified publishes per second through the real market API on 127.0.0.1 (GET /challenge, the client's EIP-712
// signature, POST /workerpoolorders: challenge verified, order hash, owner and stake from the mirrored tables, the
// order signature recovered, the order and its outbox event written in one transaction), on SQLite (synchronous =
// NORMAL, as the market opens it) — and, against it in the same run, the crypto ceiling: two signature recoveries
// per publish (the challenge's and the order's) on one core.
//
//   ./build/bin/wp_bench --benchmark_filter=market_publish
//
// Orders are signed before the timed loop (a publisher signs them once); the challenge signature is client work done
// inside the loop, on the same machine. Each benchmark thread is one client with its own wallet and workerpool.

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/codec/eip712.hpp>
#include <wp/net/http_client.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/service/auth_header.hpp>

#include "api.hpp"
#include "chain_state.hpp"
#include "challenge_store.hpp"
#include "schema.hpp"

namespace {

namespace json = boost::json;
using namespace wp;
using namespace wp::market;

constexpr std::uint64_t kChain = 65535;

void fail(const std::string& what) {
    std::fprintf(stderr, "market api benchmark: %s\n", what.c_str());
    std::abort();
}

struct Market {
    std::filesystem::path dir;
    std::unique_ptr<store::Database> db;
    std::unique_ptr<chain::JsonRpcClient> rpc;
    std::unique_ptr<chain::EthClient> eth;
    std::unique_ptr<chain::Hub> hub;
    std::unique_ptr<ChainState> state;
    std::unique_ptr<SqlChallengeStore> challenges;
    std::unique_ptr<service::ChallengeAuth> auth;
    std::unique_ptr<MarketApi> api;
    std::unique_ptr<net::HttpServer> server;
    Address hub_address = Address::parse("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f").value();
    Domain domain = Domain::iexec(U256(kChain), hub_address);
    std::string base;

    Market() {
        dir = std::filesystem::temp_directory_path() / ("wp_market_bench_" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        auto d = store::Database::open("sqlite:" + (dir / "market.db").string(),
                                       {.durability = store::Durability::kNormal, .pool_size = 4});
        if (!d) fail(d.error().message);
        db = std::make_unique<store::Database>(std::move(*d));
        if (!migrate_market_schema(*db)) fail("migrate");
        auto r = db->write([&](store::Tx& tx) {
            return tx.exec(
                "INSERT INTO market_sync (chain_id, hub, start_block, complete, last_block, last_block_ms) "
                "VALUES ($1, $2, 0, 1, 1, 0)",
                kChain, hub_address);
        });
        if (!r) fail(r.error().message);
        add_fact(
            "INSERT INTO market_categories (chain_id, catid, name, description, work_clock_time_ref, "
            "transaction_hash, block_number, block_timestamp_ms) VALUES (65535, 0, 'S', 's', $1, $2, 1, 0)",
            U256(300), Bytes32{});
        rpc = std::make_unique<chain::JsonRpcClient>(chain::JsonRpcOptions{.url = "http://127.0.0.1:1"});
        eth = std::make_unique<chain::EthClient>(*rpc);
        hub = std::make_unique<chain::Hub>(*eth, hub_address);
        state = std::make_unique<ChainState>(*db, *hub, kChain);
        challenges = std::make_unique<SqlChallengeStore>(*db);
        auth = std::make_unique<service::ChallengeAuth>(*challenges, system_clock());
        MarketApiOptions options;
        options.publish.max_open_orders_per_wallet = 1'000'000'000;
        options.rate_limit.reset();
        MarketApiDeps deps;
        deps.db = db.get();
        deps.chains.push_back(ChainContext{kChain, domain, state.get(), nullptr});
        deps.auth = auth.get();
        deps.clock = &system_clock();
        api = std::make_unique<MarketApi>(std::move(deps), options);
        net::HttpServerOptions server_options;
        server_options.worker_threads = 4;
        server = std::make_unique<net::HttpServer>(MarketApi::server_options(server_options, options));
        api->install(*server);
        if (!server->start()) fail("server start");
        base = server->base_url();
    }
    ~Market() {
        server.reset();
        api.reset();
        db.reset();
        std::filesystem::remove_all(dir);
    }

    template <class... A>
    void add_fact(std::string_view sql, const A&... args) {
        auto r = db->write([&](store::Tx& tx) { return tx.exec(sql, args...); });
        if (!r) fail(r.error().message);
    }
};

Market& market() {
    static Market m;
    return m;
}

std::atomic<std::uint64_t> next_pool{1};

void bm_publish(benchmark::State& state) {
    Market& m = market();
    // One wallet and one workerpool per client thread, deployed and staked in the mirrored tables.
    const PrivateKey key = PrivateKey::generate();
    Bytes32 pool_word{};
    const std::uint64_t pool_id = next_pool.fetch_add(1);
    for (int i = 0; i < 8; ++i)
        pool_word[static_cast<std::size_t>(31 - i)] = static_cast<std::uint8_t>(pool_id >> (8 * i));
    const Address pool = Address::from_word(pool_word);
    m.add_fact(
        "INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) VALUES (65535, $1, 2, $2, 1)", pool,
        key.address());
    m.add_fact("INSERT INTO market_accounts (chain_id, account, stake, block_number) VALUES (65535, $1, $2, 1)",
               key.address(), U256(1'000'000'000));
    const auto iterations = static_cast<std::size_t>(state.max_iterations);
    std::vector<std::string> bodies;
    bodies.reserve(iterations);
    for (std::size_t i = 0; i < iterations; ++i) {
        WorkerpoolOrder o;
        o.workerpool = pool;
        o.workerpoolprice = 1;
        o.volume = 1;
        o.tag = make_tag(kTagTeeTdx);
        o.salt = Bytes32{};
        for (int b = 0; b < 8; ++b) o.salt[static_cast<std::size_t>(31 - b)] = static_cast<std::uint8_t>(i >> (8 * b));
        o.sign = sign_order(m.domain, Order(o), key);
        bodies.push_back(json::serialize(json::object{{"order", order_to_json(Order(o))}}));
    }
    net::HttpClient client;
    const std::string challenge_url = m.base + "/challenge?chainId=65535&address=" + key.address().to_checksum();
    const std::string post_url = m.base + "/workerpoolorders?chainId=65535";
    std::size_t i = 0;
    for (auto _ : state) {
        auto c = client.get(challenge_url);
        if (!c || c->status != 200) fail("challenge");
        const auto doc = json::parse(c->body);
        auto typed = eip712::parse_typed_data(doc.at("data")).value();
        service::ChallengeAuthorization h;
        h.challenge_hash = eip712::digest(typed).value();
        h.signature = eip712::sign_typed_data(key, typed).value();
        h.address = key.address();
        auto p = client.post(
            post_url, bodies[i++],
            {{"Content-Type", "application/json"}, {"Authorization", service::format_challenge_authorization(h)}});
        if (!p || p->status != 200) fail("publish: " + (p ? p->body : p.error().message));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_publish)->Name("market_publish_verified")->Iterations(400)->Threads(1)->UseRealTime();
BENCHMARK(bm_publish)->Name("market_publish_verified")->Iterations(300)->Threads(4)->UseRealTime();

// The ceiling: the two signature recoveries each publish needs, on one core.
void bm_publish_crypto_ceiling(benchmark::State& state) {
    const PrivateKey key = PrivateKey::generate();
    const Domain domain = market().domain;
    WorkerpoolOrder o;
    o.workerpool = key.address();
    o.volume = 1;
    o.sign = sign_order(domain, Order(o), key);
    const Bytes32 hash = order_hash(domain, Order(o));
    const Signature sig = Signature::parse(o.sign).value();
    for (auto _ : state) {
        benchmark::DoNotOptimize(recover_address(hash, sig));
        benchmark::DoNotOptimize(recover_address(hash, sig));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_publish_crypto_ceiling)->Name("market_publish_crypto_ceiling");

}  // namespace
