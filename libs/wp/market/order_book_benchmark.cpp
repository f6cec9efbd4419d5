// Order book speed (issue 8 goal: search p99 < 10 ms with 100,000 open workerpool orders on 2 cores).
//
// BM_market_search/<backend>/<shape>: one GET /workerpoolorders as the API runs it — search_workerpoolorders in a
// read transaction, then every order document serialized — against a book of kMarketBenchOrders (100,000; env
// WP_MARKET_BENCH_ORDERS overrides) open workerpool orders: 2,000 workerpools of 50 orders, prices spread over
// 0..10^9, categories 0..4, 70 % tag 0x0 / 20 % 0x3 / 10 % 0x103, 80 % public, 10 % app-restricted, 10 %
// requester-restricted. Counters p50_ms / p99_ms are the per-request latency percentiles over all iterations.
// Shapes:
//   default     `iexec orderbook workerpool` without options: public orders of every pool, pageSize 20 (the count
//               covers ~80,000 orders);
//   app_run     what `iexec app run` asks: category 0, app X, requester Y, minTag 0x3, pageSize 20;
//   one_pool    `iexec orderbook workerpool <address>`: one pool's orders;
//   page_1000   default with pageSize 1000 (the largest page: the document cost dominates).
// BM_market_publish_batch/<backend>: insert_order of 1,000 new orders per write transaction (items_per_second =
//   orders inserted per second).
// Backends: SQLite (a file in the temporary directory) and PostgreSQL (WP_PG_URL, else a private throwaway cluster
//   started by store::testing — tests/store/pg_cluster.sh; when it cannot start, the PostgreSQL runs report an error).
//
//   ./build/bin/wp_bench --benchmark_filter=BM_market_

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>

#include <wp/market/documents.hpp>
#include <wp/market/order_book.hpp>
#include <wp/market/schema.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/store/pg_test_support.hpp>

namespace {

using namespace wp;
using namespace wp::market;

constexpr std::uint64_t kChain = 134;
constexpr std::size_t kOrdersPerPool = 50;

std::size_t book_size() {
    if (const char* env = std::getenv("WP_MARKET_BENCH_ORDERS"); env != nullptr && *env != '\0') {
        const auto n = std::strtoull(env, nullptr, 10);
        if (n > 0) return static_cast<std::size_t>(n);
    }
    return 100000;
}

Address addr(std::uint32_t n, std::uint8_t family) {
    FixedBytes<20> b{};
    b[0] = family;
    b[16] = static_cast<std::uint8_t>(n >> 24);
    b[17] = static_cast<std::uint8_t>(n >> 16);
    b[18] = static_cast<std::uint8_t>(n >> 8);
    b[19] = static_cast<std::uint8_t>(n);
    return Address(b);
}

const Domain& domain() {
    static const Domain d = Domain::iexec(U256(kChain), addr(1, 0x3e));
    return d;
}

// Order i of the book (deterministic).
OrderRecord book_order(std::uint64_t i, std::mt19937_64& rng) {
    const auto pool = static_cast<std::uint32_t>(i / kOrdersPerPool);
    WorkerpoolOrder o;
    o.workerpool = addr(pool, 0xb0);
    o.workerpoolprice = U256(rng() % 1000000001ULL);
    o.volume = U256(1 + rng() % 1000);
    o.category = U256(rng() % 5);
    o.trust = U256(rng() % 2);
    const auto t = rng() % 10;
    o.tag = make_tag(t < 7 ? 0x0 : (t < 9 ? 0x3 : 0x103));
    const auto r = rng() % 10;
    if (r == 8) o.apprestrict = addr(static_cast<std::uint32_t>(rng() % 100), 0xa0);
    if (r == 9) o.requesterrestrict = addr(static_cast<std::uint32_t>(rng() % 100), 0xe0);
    Bytes32 salt{};
    for (std::size_t k = 0; k < 8; ++k) salt[24 + k] = static_cast<std::uint8_t>(i >> (8 * (7 - k)));
    salt[0] = 0x5a;
    o.salt = salt;
    o.sign = Bytes(65, static_cast<std::uint8_t>(i));
    OrderRecord rec;
    rec.chain_id = kChain;
    rec.order = o;
    rec.order_hash = order_hash(domain(), rec.order);
    rec.remaining = o.volume;
    rec.signer = addr(pool, 0xf0);
    rec.published_ms = 1700000000000 + static_cast<std::int64_t>(i);
    return rec;
}

struct Book {
    std::optional<store::testing::ScratchDatabase> scratch;
    std::unique_ptr<store::Database> db;
    std::string error;
    std::uint64_t next_index{0};
};

std::unique_ptr<Book> open_book(bool postgres, std::string_view tag) {
    auto book = std::make_unique<Book>();
    auto scratch =
        store::testing::ScratchDatabase::create(postgres ? store::Backend::kPostgres : store::Backend::kSqlite, tag);
    if (!scratch) {
        book->error = "database: " + scratch.error().message;
        return book;
    }
    book->scratch.emplace(std::move(*scratch));
    auto db = store::Database::open(book->scratch->url());
    if (!db) {
        book->error = db.error().message;
        return book;
    }
    book->db = std::make_unique<store::Database>(std::move(*db));
    if (auto v = migrate_market_schema(*book->db); !v) book->error = v.error().message;
    return book;
}

Result<void> insert_batch(Book& book, std::size_t count) {
    std::mt19937_64 rng(book.next_index * 7919 + 1);
    std::vector<OrderRecord> batch;
    batch.reserve(count);
    for (std::size_t k = 0; k < count; ++k) batch.push_back(book_order(book.next_index + k, rng));
    auto r = book.db->write([&](store::Tx& tx) -> Result<int> {
        for (const auto& rec : batch) WP_TRY_VOID(insert_order(tx, rec));
        return 0;
    });
    if (!r) return make_error(r.error());
    book.next_index += count;
    return {};
}

// The populated search book of each backend, built once per process.
Book& search_book(bool postgres) {
    static std::map<bool, std::unique_ptr<Book>> books;
    auto& slot = books[postgres];
    if (slot) return *slot;
    slot = open_book(postgres, "market_bench_search");
    if (!slot->error.empty()) return *slot;
    const std::size_t n = book_size();
    for (std::size_t done = 0; done < n;) {
        const std::size_t step = std::min<std::size_t>(1000, n - done);
        if (auto r = insert_batch(*slot, step); !r) {
            slot->error = r.error().message;
            break;
        }
        done += step;
    }
    if (slot->error.empty()) {
        // Fresh statistics for the PostgreSQL planner (autovacuum may not have run yet). SQLite gets none: the
        // market never runs ANALYZE, and the search chooses its plan itself (order_book.cpp).
        (void)slot->db->write([](store::Tx& tx) -> Result<int> {
            if (tx.backend() == store::Backend::kPostgres) {
                WP_TRY_VOID(tx.exec("ANALYZE market_orders"));
                WP_TRY_VOID(tx.exec("ANALYZE market_order_counts"));
            }
            return 0;
        });
    }
    return *slot;
}

WorkerpoolorderFilters shape_filters(int shape) {
    WorkerpoolorderFilters f;
    switch (shape) {
        case 1:  // app_run
            f.category = U256(0);
            f.app = RestrictFilter{AddressOrAny::of(addr(7, 0xa0)), false};
            f.requester = RestrictFilter{AddressOrAny::of(addr(9, 0xe0)), false};
            f.min_tag = make_tag(0x3);
            f.paging.page_index = 0;
            f.paging.page_size = 20;
            break;
        case 2:  // one_pool
            f.workerpool = AddressOrAny::of(addr(1234, 0xb0));
            f.paging.page_index = 0;
            f.paging.page_size = 20;
            break;
        case 3:  // page_1000
            f.paging.page_index = 0;
            f.paging.page_size = 1000;
            break;
        default:
            f.paging.page_index = 0;
            f.paging.page_size = 20;
            break;
    }
    return f;
}

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(idx, v.size() - 1)];
}

void BM_market_search(benchmark::State& state, bool postgres, int shape) {
    Book& book = search_book(postgres);
    if (!book.error.empty()) {
        state.SkipWithError(book.error.c_str());
        return;
    }
    const WorkerpoolorderFilters filters = shape_filters(shape);
    std::vector<double> ms;
    std::uint64_t count = 0;
    std::size_t returned = 0;
    std::size_t bytes = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        auto page = book.db->read([&](store::Tx& tx) { return search_workerpoolorders(tx, kChain, filters); });
        if (!page) {
            state.SkipWithError(page.error().message.c_str());
            return;
        }
        boost::json::array orders;
        orders.reserve(page->orders.size());
        for (const auto& rec : page->orders) orders.emplace_back(order_document(rec));
        const std::string body = boost::json::serialize(orders);
        const auto t1 = std::chrono::steady_clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        count = page->count;
        returned = page->orders.size();
        bytes = body.size();
        benchmark::DoNotOptimize(body.data());
    }
    state.counters["p50_ms"] = percentile(ms, 0.50);
    state.counters["p99_ms"] = percentile(ms, 0.99);
    state.counters["count"] = static_cast<double>(count);
    state.counters["returned"] = static_cast<double>(returned);
    state.counters["body_bytes"] = static_cast<double>(bytes);
    state.counters["book"] = static_cast<double>(book.next_index);
}

void BM_market_publish_batch(benchmark::State& state, bool postgres) {
    auto book = open_book(postgres, "market_bench_publish");
    if (!book->error.empty()) {
        state.SkipWithError(book->error.c_str());
        return;
    }
    book->next_index = 10000000;  // other hashes than the search book's
    for (auto _ : state) {
        if (auto r = insert_batch(*book, 1000); !r) {
            state.SkipWithError(r.error().message.c_str());
            return;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
}

BENCHMARK_CAPTURE(BM_market_search, sqlite_default, false, 0)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_search, sqlite_app_run, false, 1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_search, sqlite_one_pool, false, 2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_search, sqlite_page_1000, false, 3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_search, postgres_default, true, 0)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_search, postgres_app_run, true, 1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_search, postgres_one_pool, true, 2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_search, postgres_page_1000, true, 3)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_publish_batch, sqlite, false)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_market_publish_batch, postgres, true)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
