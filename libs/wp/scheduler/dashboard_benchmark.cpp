// The dashboard's reads on a busy pool (collected into wp_bench): a SQLite file (durability FULL, as the daemon runs)
// holding `tasks` tasks of 100-task deals, each with its 10 history events over the last day (COMPLETED last) and one
// task in 100 with a reverted initialize; per request:
//  - dashboard/throughput: the per-minute (60) and per-hour (24) completion series (index on status, at_ms);
//  - dashboard/failures: the 50 newest failures of every kind, merged;
//  - dashboard/task: one task with its history, replicates and intents;
//  - dashboard/latency_update: LatencyHistograms::update over 1,000 new completions (per update).

#include <unistd.h>

#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include <wp/net/metrics.hpp>
#include <wp/protocol/ids.hpp>

#include "dashboard.hpp"
#include "dashboard_chain.hpp"
#include "scheduler_metrics.hpp"
#include "schema.hpp"

namespace wp::scheduler {
namespace {

constexpr std::int64_t kNowMs = 1'767'225'600'000;

Bytes32 deal_hash(std::uint64_t n) {
    Bytes32 x;
    for (int i = 0; i < 8; ++i)
        x.bytes[static_cast<std::size_t>(24 + i)] = static_cast<std::uint8_t>(n >> (8 * (7 - i)));
    return x;
}

struct Pool {
    std::filesystem::path dir;
    std::unique_ptr<store::Database> db;
    std::unique_ptr<SchedulerStore> store;
    ~Pool() {
        store.reset();
        db.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

//! The busy pool described in the file comment; nullptr when it cannot be built.
std::unique_ptr<Pool> busy_pool(std::uint64_t tasks, const std::string& tag) {
    auto pool = std::make_unique<Pool>();
    pool->dir = std::filesystem::temp_directory_path() / ("wp_dash_bench_" + tag + std::to_string(::getpid()));
    std::filesystem::remove_all(pool->dir);
    std::filesystem::create_directories(pool->dir);
    store::Options options;
    options.durability = store::Durability::kFull;
    auto db = store::Database::open("sqlite:" + (pool->dir / "core.db").string(), options);
    if (!db || !migrate_scheduler(*db) || !migrate_dashboard(*db)) return nullptr;
    pool->db = std::make_unique<store::Database>(std::move(*db));
    pool->store = std::make_unique<SchedulerStore>(*pool->db);
    const char* names[] = {"initialize submitted", "initialize mined", "replicate started", "consensus reached",
                           "first reveal",         "upload requested", "result uploaded",   "finalize submitted",
                           "finalize mined",       "completed"};
    const TaskStatus statuses[] = {
        TaskStatus::kInitializing,     TaskStatus::kInitialized,        TaskStatus::kRunning,
        TaskStatus::kConsensusReached, TaskStatus::kAtLeastOneRevealed, TaskStatus::kResultUploading,
        TaskStatus::kResultUploaded,   TaskStatus::kFinalizing,         TaskStatus::kFinalized,
        TaskStatus::kCompleted};
    for (std::uint64_t d = 0; d * 100 < tasks; ++d) {
        DealRecord deal;
        deal.deal_id = deal_hash(d);
        deal.bot_size = 100;
        deal.start_time = kNowMs / 1000;
        deal.contribution_deadline = deal.start_time + 2100;
        deal.final_deadline = deal.start_time + 3000;
        if (!pool->store->insert_deal(deal, kNowMs - 86'400'000)) return nullptr;
        std::vector<std::vector<store::Param>> rows;
        for (std::uint64_t i = 0; i < 100; ++i) {
            const auto n = static_cast<std::int64_t>(d * 100 + i);
            const std::int64_t done = kNowMs - (n * 86'400'000 / static_cast<std::int64_t>(tasks));
            for (int e = 0; e < 10; ++e) {
                const bool reverted = n % 100 == 7 && e == 1;
                rows.push_back({deal.deal_id, i,
                                static_cast<std::int64_t>(reverted ? TaskStatus::kInitializeFailed : statuses[e]),
                                std::string(reverted ? "initialize reverted" : names[e]), done - (9 - e) * 1000});
            }
        }
        auto w = pool->db->write([&](store::Tx& tx) -> Result<void> {
            WP_TRY_VOID(
                tx.insert_many("sched_task_events", {"deal_id", "task_index", "status", "event", "at_ms"}, rows));
            return {};
        });
        if (!w) return nullptr;
    }
    return pool;
}

void dashboard_throughput_read(benchmark::State& state) {
    auto pool = busy_pool(static_cast<std::uint64_t>(state.range(0)), "throughput");
    if (!pool) return state.SkipWithError("cannot build the pool");
    for (auto _ : state) {
        auto r = dashboard_throughput(*pool->store, kNowMs, 60, 24);
        if (!r) return state.SkipWithError(r.error().message.c_str());
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(dashboard_throughput_read)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void dashboard_failures_read(benchmark::State& state) {
    auto pool = busy_pool(static_cast<std::uint64_t>(state.range(0)), "failures");
    if (!pool) return state.SkipWithError("cannot build the pool");
    for (auto _ : state) {
        auto r = dashboard_failures(*pool->store, 50);
        if (!r) return state.SkipWithError(r.error().message.c_str());
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(dashboard_failures_read)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void dashboard_task_read(benchmark::State& state) {
    auto pool = busy_pool(static_cast<std::uint64_t>(state.range(0)), "task");
    if (!pool) return state.SkipWithError("cannot build the pool");
    const Bytes32 id = task_id(deal_hash(3), U256(42));
    for (auto _ : state) {
        auto r = dashboard_task(*pool->store, id);
        if (!r || !*r) return state.SkipWithError("no task");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(dashboard_task_read)->Arg(10'000)->Unit(benchmark::kMicrosecond);

void dashboard_latency_update(benchmark::State& state) {
    // Each iteration: the histograms start at an older cursor (the first 1,000 events of the last 1,000 tasks ...):
    // a fresh LatencyHistograms whose first update() marks the stored events, then 1,000 completions added.
    auto pool = busy_pool(1'000, "latency");
    if (!pool) return state.SkipWithError("cannot build the pool");
    std::int64_t round = 0;
    for (auto _ : state) {
        state.PauseTiming();
        net::MetricsRegistry registry;
        LatencyHistograms latencies(registry);
        if (!latencies.update(*pool->store, kNowMs)) return state.SkipWithError("first update");
        std::vector<std::vector<store::Param>> rows;
        ++round;
        for (std::uint64_t i = 0; i < 1000; ++i)
            rows.push_back({deal_hash(i / 100), i % 100, static_cast<std::int64_t>(TaskStatus::kCompleted),
                            std::string("completed"), kNowMs + round});
        auto w = pool->db->write([&](store::Tx& tx) -> Result<void> {
            WP_TRY_VOID(
                tx.insert_many("sched_task_events", {"deal_id", "task_index", "status", "event", "at_ms"}, rows));
            return {};
        });
        if (!w) return state.SkipWithError("insert");
        state.ResumeTiming();
        auto r = latencies.update(*pool->store, kNowMs + round);
        if (!r) return state.SkipWithError(r.error().message.c_str());
    }
    state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(dashboard_latency_update)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace wp::scheduler
