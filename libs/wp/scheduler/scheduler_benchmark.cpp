// Scheduler costs (collected into wp_bench):
//  - scheduler/assign_pure: one pure assignment decision over snapshots (tasks × workers), per binding;
//  - scheduler/task_cycle_sqlite: the scheduler's whole share of a trust-1 task on a SQLite file (durability FULL, as
//    the daemon runs): reservation + signed assignment, 15 worker status updates, consensus, upload request — per
//    task. No chain: this is the scheduler's own ceiling, to set against the chain's in the end-to-end benchmark.
//    Each update is its own write transaction (one fsync at FULL): batching updates into group commits is the lever.

#include <unistd.h>

#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include <wp/core/clock.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>

#include "core_scheduler.hpp"
#include "planner.hpp"
#include "schema.hpp"

namespace wp::scheduler {
namespace {

Bytes32 deal_hash(std::uint64_t n) {
    Bytes32 x;
    for (int i = 0; i < 8; ++i)
        x.bytes[static_cast<std::size_t>(24 + i)] = static_cast<std::uint8_t>(n >> (8 * (7 - i)));
    return x;
}

Address worker_address(std::uint64_t n) {
    FixedBytes<20> f;
    for (int i = 0; i < 8; ++i)
        f.bytes[static_cast<std::size_t>(12 + i)] = static_cast<std::uint8_t>(n >> (8 * (7 - i)));
    return Address(f);
}

void assign_pure(benchmark::State& state) {
    const auto n_tasks = static_cast<std::size_t>(state.range(0));
    const auto n_workers = static_cast<std::size_t>(state.range(1));
    std::vector<TaskSnapshot> tasks(n_tasks);
    for (std::size_t i = 0; i < n_tasks; ++i) {
        tasks[i].deal_id = deal_hash(i / 100);
        tasks[i].index = i % 100;
        tasks[i].tag = make_tag(kTagStandard);
        tasks[i].trust = 1;
        tasks[i].category_seconds = 300;
        tasks[i].contribution_deadline_s = 1'000'000 + static_cast<std::int64_t>(i);
    }
    std::vector<WorkerSnapshot> workers(n_workers);
    for (std::size_t i = 0; i < n_workers; ++i) {
        workers[i].address = worker_address(i);
        workers[i].free_slots = static_cast<std::uint32_t>(n_tasks / n_workers + 1);
    }
    std::size_t bound = 0;
    for (auto _ : state) {
        auto r = assign(tasks, workers, 0);
        if (!r) state.SkipWithError(r.error().message.c_str());
        bound += r->bindings.size();
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(bound));
}
BENCHMARK(assign_pure)
    ->Name("scheduler/assign_pure")
    ->Args({1000, 10})
    ->Args({1000, 100})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void task_cycle_sqlite(benchmark::State& state) {
    const auto bag = static_cast<std::uint64_t>(state.range(0));
    store::Options db_options;
    db_options.durability = state.range(1) != 0 ? store::Durability::kFull : store::Durability::kNormal;
    const auto dir = std::filesystem::temp_directory_path() / ("wp_sched_bench_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto db = store::Database::open("sqlite:" + (dir / "core.db").string(), db_options);
    if (!db || !migrate_scheduler(*db)) {
        state.SkipWithError("cannot open the database");
        return;
    }
    SchedulerStore store(*db);
    ManualClock clock;
    CoreOptions options;
    CoreScheduler core(store, clock, options);
    constexpr std::uint64_t kWorkers = 8;
    workerapi::WorkerRegistration reg;
    reg.name = "w";
    reg.version = "1";
    reg.cpu_slots = 1024;
    for (std::uint64_t w = 0; w < kWorkers; ++w) (void)core.register_worker(worker_address(w), reg);
    using R = ReplicateStatus;
    const R path[] = {R::kStarting,       R::kStarted,   R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading,
                      R::kDataDownloaded, R::kComputing, R::kComputed,       R::kContributing,  R::kContributed};
    std::uint64_t deal_no = 0;
    std::int64_t tasks_done = 0;
    for (auto _ : state) {
        state.PauseTiming();
        DealRecord d;
        d.deal_id = deal_hash(++deal_no);
        d.category_seconds = 300;
        d.trust = 1;
        d.bot_size = bag;
        d.start_time = clock.unix_ms() / 1000;
        d.contribution_deadline = d.start_time + 2100;
        d.final_deadline = d.start_time + 3000;
        d.app_uri = "file:///apps/echo.tar.gz";
        d.app_type = "BUNDLE";
        (void)store.insert_deal(d, clock.unix_ms());
        for (std::uint64_t i = 0; i < bag; ++i) {
            auto t = **store.task(TaskKey{d.deal_id, i});
            t = **store.transition_task(t, TaskEvent::kInitializeSubmitted, {}, clock.unix_ms());
            (void)store.transition_task(t, TaskEvent::kInitializeMined, {}, clock.unix_ms());
        }
        state.ResumeTiming();

        auto created = core.assign_round();
        if (!created || *created != bag) {
            state.SkipWithError("assignment failed");
            break;
        }
        for (std::uint64_t i = 0; i < bag; ++i) {
            const Bytes32 tid = task_id(d.deal_id, U256(i));
            auto reps = store.replicates_of_task(TaskKey{d.deal_id, i});
            const Address w = (*reps)[0].worker;
            workerapi::StatusDetails none;
            workerapi::StatusDetails contribution;
            contribution.result_hash = tid;
            contribution.result_seal = tid;
            for (R s : path) (void)core.update_status(w, tid, {s, s == R::kContributed ? contribution : none});
            (void)core.apply_consensus(tid, tid, d.start_time + 3000, 1);
            for (R s : {R::kRevealing, R::kRevealed, R::kResultUploading}) (void)core.update_status(w, tid, {s, none});
            workerapi::StatusDetails link;
            link.result_link = R"({"storage":"ipfs","location":"/ipfs/Qm"})";
            auto done = core.update_status(w, tid, {R::kResultUploaded, link});
            if (!done || done->http_status != 200) {
                state.SkipWithError("status update failed");
                break;
            }
        }
        tasks_done += static_cast<std::int64_t>(bag);
    }
    state.SetItemsProcessed(tasks_done);
    std::filesystem::remove_all(dir);
}
// Second argument: 1 = synchronous FULL (the daemon's setting), 0 = NORMAL (shows what the fsyncs cost).
BENCHMARK(task_cycle_sqlite)
    ->Name("scheduler/task_cycle_sqlite")
    ->Args({50, 1})
    ->Args({50, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wp::scheduler
