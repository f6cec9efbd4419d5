// Verified publishes per second through the real market API on 127.0.0.1, on SQLite and PostgreSQL, against the
// crypto ceiling measured in the same run (issue 8's benchmark goal: ≥ 5,000 publishes/s on 2 cores).
//
// One publish = what `iexec order publish` does: GET /challenge, the client's EIP-712 signature of it, POST
// /workerpoolorders with `Authorization` (the server verifies the challenge signature, consumes the challenge,
// computes the order hash, recovers the order signature, reads owner / stake / category from the mirrored tables,
// writes the order and its outbox event, and answers only after the commit).
//
//   ./build/bin/wp_bench --benchmark_filter=market_publish
//
// market_publish/<backend>[_sqlchallenge]/clients:C — C concurrent clients (a keep-alive connection each, one publish
// at a time; each client has wallets of 50 orders — the default max-open-orders rule holds — and a workerpool per
// wallet), driven asynchronously from one client I/O thread in this process (the client's work — the challenge
// signature, JSON — competes for the same cores, as a local load test does). The server is assembled as
// market_service does it (2 I/O threads, 2 handler threads on 2 cores, SQLite synchronous=FULL, group commit).
// `_sqlchallenge`: challenges in the market_challenges table (the multi-instance setting) instead of memory.
// WP_BENCH_DURABILITY=normal runs SQLite with synchronous=NORMAL (default FULL, as the market);
// WP_BENCH_WAL_AUTOCHECKPOINT=N sets the writer's wal_autocheckpoint (SQLite's default: 1000 pages);
// WP_BENCH_SQLITE_PRAGMAS="a=1;b=2" runs `PRAGMA a=1`, `PRAGMA b=2` on the writer connection.
// WP_BENCH_WAL_BATCHING=0 lets SQLite write each WAL frame with its own two pwrite calls (default: one per commit);
// WP_BENCH_INLINE=1 runs GET /challenge and the POST on the server's I/O threads instead of its handler pool
// (MarketApiOptions::inline_auth_routes, off by default: round 5 measured it slower on a shared machine);
// WP_BENCH_PG_PIPELINE=0 runs a batch's lookups one statement at a time on PostgreSQL (default: one pipeline).
// WP_BENCH_IDLE_SPIN_US overrides the server's HttpServerOptions::idle_spin (default 150 us). Counters:
//   publishes_per_s   verified publishes answered 200 per second of wall time
//   p50_ms / p99_ms   latency of one publish (GET /challenge sent → POST answered)
//   ceiling_per_s     the crypto ceiling: 1 / (2 × one signature recovery) on one core, measured right before and
//                     right after the load (their mean: the machine may be shared)
//   ratio             publishes_per_s / ceiling_per_s
//   cpu_us_per_publish  CPU time of this process per publish (PostgreSQL's own processes not included), split into
//                     client_cpu_us_per_publish (the client's I/O thread) and server_cpu_us_per_publish (the rest);
//                     writer_cpu_us_per_publish is the batcher's writer thread (the serial part)
//   items_per_tx      publishes per write transaction (group commit); db_retries: the store's retried attempts
// market_publish_crypto_ceiling: the ceiling alone (two recoveries per item).
//
// Orders are signed before the timed part (a publisher signs them once); the challenge signature is client work
// inside it.

#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/net/http_client.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/service/auth_header.hpp>

#include "market_test_support.hpp"

namespace {

namespace json = boost::json;
using namespace wp;
using namespace wp::market;

constexpr std::uint64_t kChain = 65535;

void fail(const std::string& what) {
    std::fprintf(stderr, "market api benchmark: %s\n", what.c_str());
    std::abort();
}

double process_cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

const Address& hub_address() {
    static const Address a = Address::parse("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f").value();
    return a;
}

const Domain& bench_domain() {
    static const Domain d = Domain::iexec(U256(kChain), hub_address());
    return d;
}

// WP_BENCH_DURABILITY=normal: SQLite synchronous=NORMAL (default: full, the market's market.durability default).
store::Durability bench_durability() {
    const char* d = std::getenv("WP_BENCH_DURABILITY");
    return d != nullptr && std::string_view(d) == "normal" ? store::Durability::kNormal : store::Durability::kFull;
}

// The market as market_service assembles it (market_test_support.hpp), with the benchmark's knobs.
struct Market {
    std::unique_ptr<wp::market::testing::InProcessMarket> m;
    std::string base;
    std::string error;

    Market(store::Backend backend, bool sql_challenges) {
        wp::market::testing::InProcessMarketOptions o;
        o.backend = backend;
        o.tag = "market_api_bench";
        o.db = store::Options{};
        o.db.durability = bench_durability();
        // WP_BENCH_PG_PIPELINE=0: the batch's lookups one statement at a time (store::Options::pipeline).
        if (const char* p = std::getenv("WP_BENCH_PG_PIPELINE"); p != nullptr && std::string_view(p) == "0")
            o.db.pipeline = false;
        // WP_BENCH_WAL_BATCHING=0: SQLite writes each WAL frame itself (store::Options::sqlite_wal_batching).
        if (const char* b = std::getenv("WP_BENCH_WAL_BATCHING"); b != nullptr && std::string_view(b) == "0")
            o.db.sqlite_wal_batching = false;
        o.hub = hub_address();
        o.chain_id = kChain;
        o.last_block = 1;
        o.sql_challenges = sql_challenges;
        // WP_BENCH_INLINE=1: GET /challenge and the POST on the I/O threads (MarketApiOptions::inline_auth_routes).
        if (const char* i = std::getenv("WP_BENCH_INLINE"); i != nullptr && std::string_view(i) == "1")
            o.inline_auth_routes = true;
        o.server.threads = 2;  // as market_service on 2 cores
        o.server.worker_threads = 2;
        o.server.idle_spin = std::chrono::microseconds(0);  // market.limits.httpIdleSpinUs' default
        if (const char* spin = std::getenv("WP_BENCH_IDLE_SPIN_US"))
            o.server.idle_spin = std::chrono::microseconds(std::atoi(spin));
        auto started = wp::market::testing::InProcessMarket::start(std::move(o), system_clock());
        if (!started) {
            error = started.error().message;
            return;
        }
        m = std::move(*started);
        base = m->base_url();
        if (const char* pages = std::getenv("WP_BENCH_WAL_AUTOCHECKPOINT");
            pages != nullptr && backend == store::Backend::kSqlite)
            add_fact("PRAGMA wal_autocheckpoint=" + std::to_string(std::atoi(pages)));
        // WP_BENCH_SQLITE_PRAGMAS="cache_size=-65536;mmap_size=0": pragmas run on the writer connection.
        if (const char* pragmas = std::getenv("WP_BENCH_SQLITE_PRAGMAS");
            pragmas != nullptr && backend == store::Backend::kSqlite) {
            std::string_view rest(pragmas);
            while (!rest.empty()) {
                const auto end = rest.find(';');
                const std::string_view one = rest.substr(0, end);
                if (!one.empty()) add_fact("PRAGMA " + std::string(one));
                rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
            }
        }
        if (auto r = m->add_category(0, U256(300)); !r) fail(r.error().message);
    }

    template <class... A>
    void add_fact(std::string_view sql, const A&... args) {
        if (auto r = m->exec(sql, args...); !r) fail(r.error().message);
    }
};

// One client: its wallets (at most kOrdersPerWallet orders each, the market's default max-open-orders rule), each
// with its workerpool deployed and staked in the mirrored tables, and its pre-signed orders, taken in turn from
// each wallet.
constexpr std::size_t kOrdersPerWallet = 50;

struct Wallet {
    PrivateKey key = PrivateKey::generate();
    std::string challenge_url;
};

struct Client {
    std::vector<Wallet> wallets;
    std::vector<std::string> bodies;  // body i is signed by wallets[i % wallets.size()]
    std::string post_url;
    std::size_t next{0};
    std::chrono::steady_clock::time_point started;
};

std::unique_ptr<Client> make_client(Market& m, std::uint64_t& next_pool, std::size_t orders) {
    auto c = std::make_unique<Client>();
    const std::size_t wallets = (orders + kOrdersPerWallet - 1) / kOrdersPerWallet;
    std::vector<Address> pools;
    for (std::size_t w = 0; w < wallets; ++w) {
        Wallet wallet;
        const std::uint64_t pool_id = next_pool++;
        Bytes32 pool_word{};
        for (int i = 0; i < 8; ++i)
            pool_word[static_cast<std::size_t>(31 - i)] = static_cast<std::uint8_t>(pool_id >> (8 * i));
        const Address pool = Address::from_word(pool_word);
        if (auto r = m.m->set_owner(Registry::kWorkerpool, pool, wallet.key.address()); !r) fail(r.error().message);
        if (auto r = m.m->set_stake(wallet.key.address(), U256(1'000'000'000)); !r) fail(r.error().message);
        wallet.challenge_url = m.base + "/challenge?chainId=65535&address=" + wallet.key.address().to_checksum();
        c->wallets.push_back(std::move(wallet));
        pools.push_back(pool);
    }
    c->bodies.reserve(orders);
    for (std::size_t i = 0; i < orders; ++i) {
        const std::size_t w = i % wallets;
        WorkerpoolOrder o;
        o.workerpool = pools[w];
        o.workerpoolprice = 1;
        o.volume = 1;
        o.tag = make_tag(kTagTeeTdx);
        o.trust = 1;
        o.salt = Bytes32{};
        for (int b = 0; b < 8; ++b) o.salt[static_cast<std::size_t>(31 - b)] = static_cast<std::uint8_t>(i >> (8 * b));
        o.sign = sign_order(bench_domain(), Order(o), c->wallets[w].key);
        c->bodies.push_back(json::serialize(json::object{{"order", order_to_json(Order(o))}}));
    }
    c->post_url = m.base + "/workerpoolorders?chainId=65535";
    return c;
}

// The crypto ceiling: publishes per second if a publish cost exactly its two signature recoveries (one core).
double crypto_ceiling_per_s() {
    const PrivateKey key = PrivateKey::generate();
    WorkerpoolOrder o;
    o.workerpool = key.address();
    o.volume = 1;
    o.sign = sign_order(bench_domain(), Order(o), key);
    const Bytes32 hash = order_hash(bench_domain(), Order(o));
    const Signature sig = Signature::parse(o.sign).value();
    constexpr int kRounds = 2000;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) {
        benchmark::DoNotOptimize(recover_address(hash, sig));
        benchmark::DoNotOptimize(recover_address(hash, sig));
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    return kRounds / dt.count();
}

// The load: every client publishes its orders one after the other, all clients at once; returns the latencies.
struct LoadResult {
    std::vector<double> latencies_ms;
    double seconds{0};
    double cpu_seconds{0};
    double client_cpu_seconds{0};  // the client's I/O thread (challenge signatures, JSON, HTTP client)
};

double thread_cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

LoadResult run_load(std::vector<std::unique_ptr<Client>>& clients) {
    net::HttpClientOptions options;
    options.max_idle_per_origin = clients.size() * 2 + 4;
    net::HttpClient http(options);
    std::mutex mu;
    std::condition_variable cv;
    std::size_t running = clients.size();
    LoadResult out;
    std::string failure;

    // Per client: GET /challenge → sign → POST → next order, until its orders are done (callbacks on http's thread).
    std::function<void(Client&)> step;
    double client_cpu_start = 0;
    const auto finish = [&](const std::string& why) {
        std::lock_guard<std::mutex> lock(mu);
        if (!why.empty() && failure.empty()) failure = why;
        if (--running == 0) {
            out.client_cpu_seconds = thread_cpu_seconds() - client_cpu_start;  // on the client's I/O thread
            cv.notify_all();
        }
    };
    step = [&](Client& c) {
        if (c.next == c.bodies.size()) return finish("");
        c.started = std::chrono::steady_clock::now();
        net::HttpRequest get;
        get.url = c.wallets[c.next % c.wallets.size()].challenge_url;
        http.async_request(std::move(get), [&, cp = &c](Result<net::HttpResponse> r) {
            Client& cl = *cp;
            if (!r || r->status != 200) return finish("challenge: " + (r ? r->body : r.error().message));
            auto typed = eip712::parse_typed_data(json::parse(r->body).at("data"));
            if (!typed) return finish("challenge document: " + typed.error().message);
            service::ChallengeAuthorization h;
            h.challenge_hash = eip712::digest(*typed).value();
            const Wallet& wallet = cl.wallets[cl.next % cl.wallets.size()];
            h.signature = sign_hash(wallet.key, h.challenge_hash);  // = sign_typed_data, without a second digest
            h.address = wallet.key.address();
            net::HttpRequest post;
            post.method = "POST";
            post.url = cl.post_url;
            post.body = cl.bodies[cl.next];
            post.headers = {{"Content-Type", "application/json"},
                            {"Authorization", service::format_challenge_authorization(h)}};
            http.async_request(std::move(post), [&, cp2 = &cl](Result<net::HttpResponse> p) {
                Client& c2 = *cp2;
                if (!p || p->status != 200) return finish("publish: " + (p ? p->body : p.error().message));
                const std::chrono::duration<double, std::milli> dt = std::chrono::steady_clock::now() - c2.started;
                {
                    std::lock_guard<std::mutex> lock(mu);
                    out.latencies_ms.push_back(dt.count());
                }
                ++c2.next;
                step(c2);
            });
        });
    };
    const double cpu0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    http.run_after(std::chrono::milliseconds(0), [&] { client_cpu_start = thread_cpu_seconds(); });
    for (auto& c : clients) {
        Client* cp = c.get();
        http.run_after(std::chrono::milliseconds(0), [&step, cp] { step(*cp); });
    }
    {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return running == 0; });
    }
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    out.seconds = dt.count();
    out.cpu_seconds = process_cpu_seconds() - cpu0;
    if (!failure.empty()) fail(failure);
    return out;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    return v[i];
}

void bm_publish(benchmark::State& state, store::Backend backend, bool sql_challenges) {
    const auto client_count = static_cast<std::size_t>(state.range(0));
    const auto total = static_cast<std::size_t>(state.range(1));
    Market m(backend, sql_challenges);
    if (!m.error.empty()) {
        state.SkipWithError(m.error.c_str());
        for (auto _ : state) {}
        return;
    }
    std::vector<std::unique_ptr<Client>> clients;
    std::uint64_t next_pool = 1;
    for (std::size_t i = 0; i < client_count; ++i) clients.push_back(make_client(m, next_pool, total / client_count));
    const double ceiling_before = crypto_ceiling_per_s();
    LoadResult load;
    for (auto _ : state) {
        load = run_load(clients);
        state.SetIterationTime(load.seconds);
    }
    // The machine may be shared: the ceiling is measured right before and right after the load.
    const double ceiling = (ceiling_before + crypto_ceiling_per_s()) / 2;
    const auto n = static_cast<double>(load.latencies_ms.size());
    const double rate = n / load.seconds;
    state.counters["publishes_per_s"] = rate;
    state.counters["p50_ms"] = percentile(load.latencies_ms, 0.50);
    state.counters["p99_ms"] = percentile(load.latencies_ms, 0.99);
    state.counters["ceiling_per_s"] = ceiling;
    state.counters["ratio"] = rate / ceiling;
    state.counters["cpu_us_per_publish"] = load.cpu_seconds * 1e6 / n;
    state.counters["server_cpu_us_per_publish"] = (load.cpu_seconds - load.client_cpu_seconds) * 1e6 / n;
    state.counters["client_cpu_us_per_publish"] = load.client_cpu_seconds * 1e6 / n;
    const auto batches = m.m->api().batch_stats();
    state.counters["writer_cpu_us_per_publish"] = static_cast<double>(batches.writer_cpu_ns) / 1e3 / n;
    state.counters["items_per_tx"] =
        batches.batches == 0 ? 0 : static_cast<double>(batches.items) / static_cast<double>(batches.batches);
    state.counters["db_retries"] = static_cast<double>(m.m->db().stats().retries);
}

void publish_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"clients", "publishes"});
    b->Args({1, 1000})->Args({16, 4000})->Args({64, 6400})->Args({256, 12800});
    b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK_CAPTURE(bm_publish, sqlite, store::Backend::kSqlite, false)
    ->Name("market_publish/sqlite")
    ->Apply(publish_args);
BENCHMARK_CAPTURE(bm_publish, sqlite_sqlchallenge, store::Backend::kSqlite, true)
    ->Name("market_publish/sqlite_sqlchallenge")
    ->Args({16, 4000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_publish, postgres, store::Backend::kPostgres, false)
    ->Name("market_publish/postgres")
    ->Apply(publish_args);

// The ceiling alone: the two signature recoveries each publish needs, on one core.
void bm_publish_crypto_ceiling(benchmark::State& state) {
    const PrivateKey key = PrivateKey::generate();
    WorkerpoolOrder o;
    o.workerpool = key.address();
    o.volume = 1;
    o.sign = sign_order(bench_domain(), Order(o), key);
    const Bytes32 hash = order_hash(bench_domain(), Order(o));
    const Signature sig = Signature::parse(o.sign).value();
    for (auto _ : state) {
        benchmark::DoNotOptimize(recover_address(hash, sig));
        benchmark::DoNotOptimize(recover_address(hash, sig));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_publish_crypto_ceiling)->Name("market_publish_crypto_ceiling");

}  // namespace
