// Scheduler costs (collected into wp_bench):
//  - scheduler/assign_pure: one pure assignment decision over snapshots (tasks × workers), per binding;
//  - scheduler/task_cycle/<backend>: the scheduler's whole share of a trust-1 task called in-process, one caller:
//    the assignment round, 14 worker status updates (each its own transaction: a lone caller gets no group commit),
//    consensus, the upload request — per task. No chain, no HTTP: the database's part;
//  - scheduler/status_reads/<backend>/folded:F: what one status update reads before it decides, the three statements
//    of before (folded:0) against SchedulerStore::status_context's one (folded:1), one read transaction each;
//  - scheduler/worker_api_cycle/<backend>/batch:B/clients:C/wb:W: the same trust-1 lifecycle through the REAL worker
//  API
//    on 127.0.0.1 (HttpServer + WorkerApi + CoreScheduler + SchedulerStore; bearer tokens, JSON, keep-alive), C
//    worker clients (threads, one request at a time each, like C worker processes), status updates answered only
//    after their commit. batch:0 is the behaviour before group commit (each update its own write transaction on the
//    handler thread); batch:256 the StatusBatcher (status_batcher.hpp). Consensus is applied in-process after a
//    client's CONTRIBUTED updates, one apply_consensus_batch per client (a mirror poll; the chain's part). wb:1 is
//    SchedulerStore's write-behind (a status transaction's writes sent together at its end: multi-row INSERTs, one
//    pipelined round trip with PostgreSQL), wb:0 every write at once (the behaviour before).
// Both run as the daemon does: SQLite synchronous=FULL (one fsync per commit), PostgreSQL synchronous_commit on
// (its private cluster from store/pg_test_support.hpp). Counters, per task (one task = one replicate at trust 1):
//   tasks_per_s        tasks through the whole scheduler share per second of wall time
//   commits_per_task   committed write transactions (each one fsync / commit flush)
//   statements_per_task  statements run (store::Stats::statements: with PostgreSQL each one round trip)
//   cpu_ms_per_task    CPU of this process (server AND clients: they share the 2 cores, as on a real host)
//   items_per_tx       status updates per status transaction (worker_api_cycle with group commit)
//   writer_cpu_ms_per_task  CPU of the StatusBatcher's writer thread (the serial part of the updates)
//
//   ./build/bin/wp_bench --benchmark_filter=scheduler/

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>

#include <wp/core/clock.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/service/challenge.hpp>
#include <wp/service/token.hpp>
#include <wp/store/pg_test_support.hpp>

#include "core_scheduler.hpp"
#include "planner.hpp"
#include "schema.hpp"
#include "worker_api.hpp"

namespace wp::scheduler {
namespace {

using R = ReplicateStatus;

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

double process_cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
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

//! A scheduler database on either backend, durability as the daemon runs it.
struct Db {
    std::optional<store::testing::ScratchDatabase> scratch;
    std::optional<store::Database> db;
    std::optional<SchedulerStore> store;
    std::string error;

    explicit Db(store::Backend backend) {
        auto s = store::testing::ScratchDatabase::create(backend, "sched_bench");
        if (!s) {
            error = s.error().message;
            return;
        }
        scratch.emplace(std::move(*s));
        store::Options o;
        o.durability = store::Durability::kFull;
        auto d = store::Database::open(scratch->url(), o);
        if (!d) {
            error = d.error().message;
            return;
        }
        db.emplace(std::move(*d));
        if (auto m = migrate_scheduler(*db); !m) {
            error = m.error().message;
            return;
        }
        store.emplace(*db);
    }
};

//! A trust-1 deal of `bag` tasks, initialized (the initializer's part is the chain's).
DealRecord add_deal(SchedulerStore& store, Clock& clock, std::uint64_t n, std::uint64_t bag) {
    DealRecord d;
    d.deal_id = deal_hash(n);
    d.category_seconds = 300;
    d.trust = 1;
    d.bot_size = bag;
    d.start_time = clock.unix_ms() / 1000;
    d.contribution_deadline = d.start_time + 2100;
    d.final_deadline = d.start_time + 3000;
    d.app_uri = "file:///apps/echo.tar.gz";
    d.app_type = "BUNDLE";
    (void)store.insert_deal(d, clock.unix_ms());
    (void)store.database().write([&](store::Tx& tx) -> Result<void> {
        for (std::uint64_t i = 0; i < bag; ++i) {
            WP_TRY(auto t, store.task(tx, TaskKey{d.deal_id, i}));
            WP_TRY(auto s, store.transition_task(tx, *t, TaskEvent::kInitializeSubmitted, {}, clock.unix_ms()));
            WP_TRY(auto m, store.transition_task(tx, *s, TaskEvent::kInitializeMined, {}, clock.unix_ms()));
            (void)m;
        }
        return {};
    });
    return d;
}

const R kToContributed[] = {R::kStarting,        R::kStarted,        R::kAppDownloading, R::kAppDownloaded,
                            R::kDataDownloading, R::kDataDownloaded, R::kComputing,      R::kComputed,
                            R::kContributing,    R::kContributed};
const R kToUploaded[] = {R::kRevealing, R::kRevealed, R::kResultUploading, R::kResultUploaded};

workerapi::StatusDetails details_for(R s, const Bytes32& tid) {
    workerapi::StatusDetails d;
    if (s == R::kContributed) {
        d.result_hash = tid;
        d.result_seal = tid;
    }
    if (s == R::kResultUploaded) d.result_link = R"({"storage":"ipfs","location":"/ipfs/Qm"})";
    return d;
}

//! What a status update reads before it decides: the three statements of before (task_by_id, recorded_answer,
//! replicates_of_task) against SchedulerStore::status_context's one, in one read transaction per update, on a task
//! with one replicate. `folded:0` is the path before, `folded:1` the path now; same run, same database.
void status_reads(benchmark::State& state) {
    const auto backend = state.range(0) == 0 ? store::Backend::kSqlite : store::Backend::kPostgres;
    const bool folded = state.range(1) != 0;
    Db db(backend);
    if (!db.error.empty()) {
        state.SkipWithError(db.error.c_str());
        return;
    }
    ManualClock clock;
    CoreScheduler core(*db.store, clock, CoreOptions{});
    workerapi::WorkerRegistration reg;
    reg.name = "w";
    reg.version = "1";
    reg.cpu_slots = 64;
    const Address w = worker_address(1);
    (void)core.register_worker(w, reg);
    constexpr std::uint64_t kBag = 32;
    const DealRecord d = add_deal(*db.store, clock, 1, kBag);
    if (auto created = core.assign_round(); !created || *created != kBag) {
        state.SkipWithError("assignment failed");
        return;
    }
    const auto statements_from = db.db->stats().statements;
    std::int64_t reads = 0;
    for (auto _ : state) {
        const std::uint64_t i = static_cast<std::uint64_t>(reads) % kBag;
        const Bytes32 tid = task_id(d.deal_id, U256(i));
        auto r = db.db->read([&](store::Tx& tx) -> Result<bool> {
            if (folded) {
                WP_TRY(auto c, db.store->status_context(tx, tid, w, R::kStarted));
                return c && c->replicate.has_value();
            }
            WP_TRY(auto t, db.store->task_by_id(tx, tid));
            if (!t) return false;
            WP_TRY(auto recorded, db.store->recorded_answer(tx, t->key, w, R::kStarted));
            WP_TRY(auto reps, db.store->replicates_of_task(tx, t->key));
            return !recorded && !reps.empty();
        });
        if (!r || !*r) {
            state.SkipWithError("status read failed");
            break;
        }
        ++reads;
    }
    state.SetItemsProcessed(reads);
    state.counters["statements_per_update"] = static_cast<double>(db.db->stats().statements - statements_from) /
                                              static_cast<double>(std::max<std::int64_t>(reads, 1));
}
BENCHMARK(status_reads)
    ->Name("scheduler/status_reads")
    ->ArgNames({"pg", "folded"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Args({1, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void task_cycle(benchmark::State& state) {
    const auto backend = state.range(0) == 0 ? store::Backend::kSqlite : store::Backend::kPostgres;
    const auto bag = static_cast<std::uint64_t>(state.range(1));
    Db db(backend);
    if (!db.error.empty()) {
        state.SkipWithError(db.error.c_str());
        return;
    }
    ManualClock clock;
    CoreScheduler core(*db.store, clock, CoreOptions{});
    constexpr std::uint64_t kWorkers = 8;
    workerapi::WorkerRegistration reg;
    reg.name = "w";
    reg.version = "1";
    reg.cpu_slots = 1024;
    for (std::uint64_t w = 0; w < kWorkers; ++w) (void)core.register_worker(worker_address(w), reg);
    std::uint64_t deal_no = 0;
    std::int64_t tasks_done = 0;
    std::uint64_t commits = 0;
    std::uint64_t statements = 0;
    double cpu = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const DealRecord d = add_deal(*db.store, clock, ++deal_no, bag);
        const auto commits_from = db.db->stats().write_commits;
        const auto statements_from = db.db->stats().statements;
        const double cpu_from = process_cpu_seconds();
        state.ResumeTiming();

        auto created = core.assign_round();
        if (!created || *created != bag) {
            state.SkipWithError("assignment failed");
            break;
        }
        for (std::uint64_t i = 0; i < bag; ++i) {
            const Bytes32 tid = task_id(d.deal_id, U256(i));
            auto reps = db.store->replicates_of_task(TaskKey{d.deal_id, i});
            const Address w = (*reps)[0].worker;
            for (R s : kToContributed) (void)core.update_status(w, tid, {s, details_for(s, tid)});
            (void)core.apply_consensus(tid, tid, d.start_time + 3000, 1);
            Result<StatusOutcome> last;
            for (R s : kToUploaded) last = core.update_status(w, tid, {s, details_for(s, tid)});
            if (!last || last->http_status != 200) {
                state.SkipWithError("status update failed");
                break;
            }
        }
        state.PauseTiming();
        cpu += process_cpu_seconds() - cpu_from;
        commits += db.db->stats().write_commits - commits_from;
        statements += db.db->stats().statements - statements_from;
        tasks_done += static_cast<std::int64_t>(bag);
        state.ResumeTiming();
    }
    state.SetItemsProcessed(tasks_done);
    const double n = static_cast<double>(std::max<std::int64_t>(tasks_done, 1));
    state.counters["tasks_per_s"] = benchmark::Counter(static_cast<double>(tasks_done), benchmark::Counter::kIsRate);
    state.counters["commits_per_task"] = static_cast<double>(commits) / n;
    state.counters["statements_per_task"] = static_cast<double>(statements) / n;
    state.counters["cpu_ms_per_task"] = cpu * 1000.0 / n;
}
BENCHMARK(task_cycle)
    ->Name("scheduler/task_cycle")
    ->ArgNames({"pg", "bag"})
    ->Args({0, 50})
    ->Args({1, 50})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void worker_api_cycle(benchmark::State& state) {
    const auto backend = state.range(0) == 0 ? store::Backend::kSqlite : store::Backend::kPostgres;
    const auto batch = static_cast<std::size_t>(state.range(1));
    const auto clients = static_cast<std::uint64_t>(state.range(2));
    const bool write_behind = state.range(3) != 0;
    constexpr std::uint64_t kTasksPerClient = 8;
    const std::uint64_t bag = clients * kTasksPerClient;
    Db db(backend);
    if (!db.error.empty()) {
        state.SkipWithError(db.error.c_str());
        return;
    }
    const auto dir = std::filesystem::temp_directory_path() / ("wp_sched_api_bench_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    ManualClock clock;
    auto keyring = service::TokenKeyring::load_or_create(dir.string());
    if (!keyring) {
        state.SkipWithError(keyring.error().message.c_str());
        return;
    }
    service::TokenService tokens(*keyring, clock);
    service::InMemoryChallengeStore challenge_store;
    service::ChallengeAuth challenges(challenge_store, clock, worker_login_options());
    db.store->set_write_behind(write_behind);
    CoreScheduler core(*db.store, clock, CoreOptions{});
    WorkerApiOptions api_options;
    api_options.status_batch = batch;
    api_options.assign_on_events = false;  // one assignment round per deal, below
    std::optional<WorkerApi> api;
    api.emplace(core, tokens, challenges, api_options);
    net::HttpServer server;  // the daemon's defaults
    api->install(server);
    if (auto started = server.start(); !started) {
        state.SkipWithError(started.error().message.c_str());
        return;
    }
    const std::string base = server.base_url() + "/api/v1";

    workerapi::WorkerRegistration reg;
    reg.name = "w";
    reg.version = "1";
    reg.cpu_slots = static_cast<std::uint32_t>(kTasksPerClient);
    std::vector<std::string> auth(clients);
    for (std::uint64_t w = 0; w < clients; ++w) {
        (void)core.register_worker(worker_address(w), reg);
        auth[w] = "Bearer " + *tokens.issue(worker_address(w), workerapi::kTokenAudience, std::chrono::hours(1));
    }
    std::vector<std::unique_ptr<net::HttpClient>> http;
    for (std::uint64_t w = 0; w < clients; ++w) http.push_back(std::make_unique<net::HttpClient>());

    std::uint64_t deal_no = 0;
    std::int64_t tasks_done = 0;
    std::uint64_t commits = 0;
    std::uint64_t statements = 0;
    double cpu = 0;
    std::atomic<bool> failed{false};
    std::string failure;
    std::mutex failure_mu;
    const auto stats_from = api->status_stats();
    for (auto _ : state) {
        state.PauseTiming();
        const DealRecord d = add_deal(*db.store, clock, ++deal_no, bag);
        const auto commits_from = db.db->stats().write_commits;
        const auto statements_from = db.db->stats().statements;
        const double cpu_from = process_cpu_seconds();
        state.ResumeTiming();

        auto created = core.assign_round();
        if (!created || *created != bag) {
            state.SkipWithError("assignment failed");
            break;
        }
        // Each client: its tasks (the replicates of its worker), one request at a time.
        std::vector<std::vector<Bytes32>> mine(clients);
        for (std::uint64_t i = 0; i < bag; ++i) {
            auto reps = db.store->replicates_of_task(TaskKey{d.deal_id, i});
            for (std::uint64_t w = 0; w < clients; ++w)
                if ((*reps)[0].worker == worker_address(w)) mine[w].push_back(task_id(d.deal_id, U256(i)));
        }
        std::vector<std::thread> threads;
        for (std::uint64_t w = 0; w < clients; ++w) {
            threads.emplace_back([&, w] {
                const auto post = [&](const Bytes32& tid, R s) {
                    const std::string body =
                        workerapi::serialize(workerapi::to_json(workerapi::StatusUpdate{s, details_for(s, tid)}));
                    auto r = http[w]->post(base + "/tasks/" + to_hex(tid.view()) + "/status", body,
                                           {{"Authorization", auth[w]}});
                    if (!r || r->status != 200) {
                        std::lock_guard lock(failure_mu);
                        failure = std::string(workerapi::to_string(s)) + ": " + (r ? r->body : r.error().message);
                        failed = true;
                    }
                };
                // The worker runs its tasks in parallel (one per slot): interleave their updates.
                for (R s : kToContributed)
                    for (const auto& tid : mine[w]) post(tid, s);
                // The chain's part: one poll of the mirror sees the consensus of this worker's tasks.
                std::vector<ConsensusItem> seen;
                for (const auto& tid : mine[w]) seen.push_back(ConsensusItem{tid, tid, d.start_time + 3000, 1});
                // (Retried like the daemon's next chain round: PostgreSQL may give up on a serialization conflict.)
                auto applied = core.apply_consensus_batch(seen);
                for (int attempt = 1; attempt < 20 && !applied; ++attempt) applied = core.apply_consensus_batch(seen);
                if (!applied) {
                    std::lock_guard lock(failure_mu);
                    failure = "apply_consensus_batch failed 20 times: " + applied.error().message;
                    failed = true;
                    return;
                }
                for (R s : kToUploaded)
                    for (const auto& tid : mine[w]) post(tid, s);
            });
        }
        for (auto& t : threads) t.join();
        if (failed) {
            state.SkipWithError(failure.c_str());
            break;
        }
        state.PauseTiming();
        cpu += process_cpu_seconds() - cpu_from;
        commits += db.db->stats().write_commits - commits_from;
        statements += db.db->stats().statements - statements_from;
        tasks_done += static_cast<std::int64_t>(bag);
        state.ResumeTiming();
    }
    const auto stats = api->status_stats();
    server.stop(std::chrono::milliseconds(200));
    api.reset();
    std::filesystem::remove_all(dir);
    state.SetItemsProcessed(tasks_done);
    const double n = static_cast<double>(std::max<std::int64_t>(tasks_done, 1));
    state.counters["tasks_per_s"] = benchmark::Counter(static_cast<double>(tasks_done), benchmark::Counter::kIsRate);
    state.counters["commits_per_task"] = static_cast<double>(commits) / n;
    state.counters["statements_per_task"] = static_cast<double>(statements) / n;
    state.counters["cpu_ms_per_task"] = cpu * 1000.0 / n;
    if (stats.batches > 0)
        state.counters["writer_cpu_ms_per_task"] = static_cast<double>(stats.writer_cpu_ns) / 1e6 / n;
    if (stats.batches > stats_from.batches)
        state.counters["items_per_tx"] = static_cast<double>(stats.items - stats_from.items) /
                                         static_cast<double>(stats.batches - stats_from.batches);
}
BENCHMARK(worker_api_cycle)
    ->Name("scheduler/worker_api_cycle")
    ->ArgNames({"pg", "batch", "clients", "wb"})
    ->Args({0, 0, 16, 0})
    ->Args({0, 0, 16, 1})
    ->Args({0, 256, 16, 0})
    ->Args({0, 256, 16, 1})
    ->Args({0, 256, 64, 0})
    ->Args({0, 256, 64, 1})
    ->Args({1, 0, 16, 0})
    ->Args({1, 0, 16, 1})
    ->Args({1, 256, 16, 0})
    ->Args({1, 256, 16, 1})
    ->Args({1, 256, 64, 0})
    ->Args({1, 256, 64, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wp::scheduler
