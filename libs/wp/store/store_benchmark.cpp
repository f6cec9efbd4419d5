// Store insert throughput: one row per transaction against 1,000 rows per transaction (insert_many, and the same
// INSERT run 1,000 times in one transaction through the statement cache), on SQLite (synchronous FULL and NORMAL,
// a file in the temporary directory) and on PostgreSQL (the server named by WP_PG_URL, e.g. one started with
// tests/store/pg_cluster.sh start DIR; without it the PostgreSQL benchmarks report an error and do not run).
// items_per_second is rows inserted per second of wall time (UseRealTime: the cost is I/O, fsync and the server).
//
//   ./build/bin/wp_bench --benchmark_filter=BM_store_

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <wp/store/store.hpp>

namespace {

using wp::Result;
using wp::store::Database;
using wp::store::Param;
using wp::store::Tx;

constexpr std::int64_t kBatch = 1000;

struct Target {
    std::string url;
    std::filesystem::path dir;  // SQLite only
    std::string table;
};

// Returns false (after SkipWithError) when the backend is not available.
bool make_target(benchmark::State& state, bool postgres, Target& t) {
    static std::atomic<int> counter{0};
    const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(counter++);
    t.table = "bench_" + tag;
    if (postgres) {
        const char* url = std::getenv("WP_PG_URL");
        if (url == nullptr || *url == '\0') {
            state.SkipWithError(
                "WP_PG_URL is not set: start a server (tests/store/pg_cluster.sh start DIR) and export "
                "WP_PG_URL=$(cat DIR/url)");
            return false;
        }
        t.url = url;
    } else {
        t.dir = std::filesystem::temp_directory_path() / ("wp-store-bench-" + tag);
        std::filesystem::create_directories(t.dir);
        t.url = "sqlite:" + (t.dir / "bench.db").string();
    }
    return true;
}

void drop_target(Database& db, const Target& t) {
    (void)db.write([&](Tx& tx) { return tx.exec_script("DROP TABLE IF EXISTS " + t.table); });
}

std::vector<Param> row(std::int64_t id) {
    return {id, wp::U256(static_cast<std::uint64_t>(id) * 1000000007ULL), wp::Address{}, "order"};
}

// mode 0: one row per transaction; 1: insert_many of kBatch rows; 2: kBatch single-row exec in one transaction.
void run(benchmark::State& state, bool postgres, wp::store::Durability durability, int mode) {
    Target t;
    if (!make_target(state, postgres, t)) return;
    wp::store::Options options;
    options.durability = durability;
    auto opened = Database::open(t.url, options);
    if (!opened) {
        state.SkipWithError(opened.error().message.c_str());
        return;
    }
    Database db = std::move(*opened);
    auto created = db.write([&](Tx& tx) {
        return tx.exec_script("CREATE TABLE " + t.table +
                              " (id BIGINT PRIMARY KEY, price ${blob} NOT NULL, owner ${blob}, note TEXT)");
    });
    if (!created) {
        state.SkipWithError(created.error().message.c_str());
        return;
    }
    const std::string insert = "INSERT INTO " + t.table + " (id, price, owner, note) VALUES ($1, $2, $3, $4)";
    const std::vector<std::string> columns = {"id", "price", "owner", "note"};
    std::int64_t next = 0;
    std::vector<std::vector<Param>> rows;
    for (auto _ : state) {
        Result<void> r;
        if (mode == 0) {
            const auto params = row(next++);
            r = db.write([&](Tx& tx) -> Result<void> {
                WP_TRY_VOID(tx.exec_params(insert, params));
                return {};
            });
        } else if (mode == 1) {
            state.PauseTiming();
            rows.clear();
            for (std::int64_t i = 0; i < kBatch; ++i) rows.push_back(row(next++));
            state.ResumeTiming();
            r = db.write([&](Tx& tx) -> Result<void> {
                WP_TRY_VOID(tx.insert_many(t.table, columns, rows));
                return {};
            });
        } else {
            const std::int64_t first = next;
            next += kBatch;
            r = db.write([&](Tx& tx) -> Result<void> {
                for (std::int64_t i = 0; i < kBatch; ++i) WP_TRY_VOID(tx.exec_params(insert, row(first + i)));
                return {};
            });
        }
        if (!r) {
            state.SkipWithError(r.error().message.c_str());
            break;
        }
    }
    state.SetItemsProcessed(next);
    drop_target(db, t);
    if (!t.dir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(t.dir, ec);
    }
}

using wp::store::Durability;

void BM_store_sqlite_full_single(benchmark::State& s) { run(s, false, Durability::kFull, 0); }
void BM_store_sqlite_full_batch1000(benchmark::State& s) { run(s, false, Durability::kFull, 1); }
void BM_store_sqlite_full_loop1000(benchmark::State& s) { run(s, false, Durability::kFull, 2); }
void BM_store_sqlite_normal_single(benchmark::State& s) { run(s, false, Durability::kNormal, 0); }
void BM_store_sqlite_normal_batch1000(benchmark::State& s) { run(s, false, Durability::kNormal, 1); }
void BM_store_sqlite_normal_loop1000(benchmark::State& s) { run(s, false, Durability::kNormal, 2); }
void BM_store_postgres_single(benchmark::State& s) { run(s, true, Durability::kFull, 0); }
void BM_store_postgres_batch1000(benchmark::State& s) { run(s, true, Durability::kFull, 1); }
void BM_store_postgres_loop1000(benchmark::State& s) { run(s, true, Durability::kFull, 2); }

BENCHMARK(BM_store_sqlite_full_single)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_store_sqlite_full_batch1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_store_sqlite_full_loop1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_store_sqlite_normal_single)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_store_sqlite_normal_batch1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_store_sqlite_normal_loop1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_store_postgres_single)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_store_postgres_batch1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_store_postgres_loop1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
