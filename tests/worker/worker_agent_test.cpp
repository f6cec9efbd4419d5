// The worker agent end to end with the real core scheduler in-process: SQLite file, CoreScheduler, WorkerApi on a real
// socket (127.0.0.1), the worker's SchedulerSession (signed login, register, WebSocket stream + long-poll catch-up),
// WorkerAgent and ReplicateRunner running real bundles in the bubblewrap sandbox. Seven apps, each ending as
// specified, with digests computed here independently (sha256sum, ethers' keccak256), not by the worker's code:
// a file, a directory, callback data, a failing app, one past its time, one writing too much, one whose bundle does
// not match its checksum; a Scone- and a TDX-tagged deal at trust 1 end CONTRIBUTE_AND_FINALIZE_DONE (TEE simulation).
// Then consensus → PLEASE_REVEAL → REVEALED, and a drain on stop that hands back what is held.
//
// The chain side here is a ledger (LedgerChain below) because these deals exist only in the scheduler's database;
// the real PocoChainPort (stake check, durable contribute / reveal never sent twice) is tested on the PoCo devnet in
// tests/anvil/worker_chain_anvil_test.cpp.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/scheduler/result_store.hpp>
#include <wp/scheduler/schema.hpp>
#include <wp/scheduler/worker_api.hpp>
#include <wp/worker/agent.hpp>
#include <wp/worker/sandbox_runtime.hpp>
#include <wp/worker/test_support.hpp>

namespace wp::worker {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::shell;
using testing::write_file;
using workerapi::ReplicateStatus;

PrivateKey key(std::uint8_t b) {
    Bytes32 s;
    s.bytes.fill(b);
    return *PrivateKey::from_bytes(s.view());
}
Bytes32 h(std::uint8_t b) {
    Bytes32 x;
    x.bytes.fill(b);
    return x;
}
constexpr std::uint64_t kChainId = 31337;

//! A stand-in for the chain: records what the worker would send (see the file comment).
class LedgerChain final : public ChainPort {
  public:
    //! The scheduler below signs authorizations with key(0x71): the owner unless a test says otherwise.
    ChainResult<Address> workerpool_owner(const workerapi::Assignment&) override {
        std::lock_guard lock(m);
        ++owner_reads;
        return owner;
    }
    ChainResult<void> check_stake(const workerapi::Assignment&) override { return {}; }
    ChainResult<ChainReceipt> contribute(const workerapi::Assignment& a, const ReplicateResult& r) override {
        std::lock_guard lock(m);
        ++contribute_calls[a.task_id];
        contributed[a.task_id] = r.digest;
        return ChainReceipt{h(0xc0), 7, false};
    }
    ChainResult<ChainReceipt> reveal(const Bytes32& task, const Bytes32& digest) override {
        std::lock_guard lock(m);
        revealed[task] = digest;
        return ChainReceipt{h(0xc1), 8, false};
    }
    ChainResult<ChainReceipt> contribute_and_finalize(const workerapi::Assignment& a, const ReplicateResult& r,
                                                      const std::string&) override {
        std::lock_guard lock(m);
        finalized[a.task_id] = r.digest;
        return ChainReceipt{h(0xc2), 9, false};
    }
    std::mutex m;
    Address owner = key(0x71).address();
    int owner_reads = 0;
    std::map<Bytes32, Bytes32> contributed, revealed, finalized;
    std::map<Bytes32, int> contribute_calls;
};

struct Scheduler {
    //! `routes`: extra routes on the scheduler's own server (installed before it starts).
    Scheduler(const fs::path& dir, const std::string& upload_base,
              const std::function<void(net::HttpServer&)>& routes = {})
        : db(*store::Database::open("sqlite:" + (dir / "core.db").string())),
          keyring(*service::TokenKeyring::load_or_create(dir.string())),
          tokens(keyring, system_clock()),
          challenges(challenge_store, system_clock(), scheduler::worker_login_options()) {
        EXPECT_TRUE(scheduler::migrate_scheduler(db));
        store.emplace(db);
        scheduler::CoreOptions o;
        o.workerpool = key(0x70).address();
        o.chain_id = kChainId;
        o.signer = key(0x71);
        o.upload_url_base = upload_base;
        core.emplace(*store, system_clock(), o);
        scheduler::WorkerApiOptions wo;
        wo.chain_id = kChainId;
        wo.long_poll = 2s;
        api.emplace(*core, tokens, challenges, wo);
        api->install(server);
        if (routes) routes(server);
        auto started = server.start();
        EXPECT_TRUE(started) << started.error().message;
    }
    ~Scheduler() { server.stop(200ms); }

    store::Database db;
    std::optional<scheduler::SchedulerStore> store;
    service::TokenKeyring keyring;
    service::TokenService tokens;
    service::InMemoryChallengeStore challenge_store;
    service::ChallengeAuth challenges;
    std::optional<scheduler::CoreScheduler> core;
    net::HttpServer server;
    std::optional<scheduler::WorkerApi> api;
};

//! An agent's run() on its own thread; leaving the scope stops the agent (no drain) and joins, unless join() ran.
class AgentLoop {
  public:
    explicit AgentLoop(WorkerAgent& agent) : agent_(agent), thread_([&agent] { agent.run(); }) {}
    ~AgentLoop() {
        if (thread_.joinable()) {
            agent_.stop(false);
            thread_.join();
        }
    }
    AgentLoop(const AgentLoop&) = delete;
    AgentLoop& operator=(const AgentLoop&) = delete;
    //! Waits for run() to return (after a stop() or halt() of the test's).
    void join() { thread_.join(); }

  private:
    WorkerAgent& agent_;
    std::thread thread_;
};

struct App {
    std::string url;
    Bytes32 checksum;
};

//! A bundle (.tar.gz with iexec-app.json naming run.sh) whose run.sh is `script`.
App make_bundle(const fs::path& dir, const std::string& name, const std::string& script) {
    const fs::path src = dir / ("src-" + name);
    write_file(src / "iexec-app.json", R"({"entrypoint":"run.sh"})");
    write_file(src / "run.sh", "#!/bin/sh\n" + script);
    fs::permissions(src / "run.sh", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
    const fs::path tgz = dir / (name + ".tar.gz");
    EXPECT_EQ(shell("tar -czf " + tgz.string() + " -C " + src.string() + " . && echo ok"), "ok");
    return App{"file://" + tgz.string(),
               *bytes32_from_hex("0x" + shell("sha256sum " + tgz.string() + " | cut -c1-64"))};
}

Bytes32 add_deal(scheduler::SchedulerStore& store, std::uint8_t id, const App& app, std::uint64_t seconds,
                 const Address& callback = {}, std::uint64_t tag = kTagStandard) {
    Clock& clock = system_clock();
    scheduler::DealRecord d;
    d.deal_id = h(id);
    d.app = key(0x10).address();
    d.workerpool = key(0x70).address();
    d.requester = key(0x11).address();
    d.callback = callback;
    d.category_seconds = seconds;
    d.tag = make_tag(tag);
    d.trust = 1;
    d.bot_size = 1;
    d.start_time = clock.unix_ms() / 1000;
    d.contribution_deadline = d.start_time + 7 * 300;
    d.final_deadline = d.start_time + 10 * 300;
    d.app_uri = app.url;
    d.app_checksum = app.checksum;
    d.app_type = "BUNDLE";
    EXPECT_TRUE(*store.insert_deal(d, clock.unix_ms()));
    auto t = **store.task(scheduler::TaskKey{d.deal_id, 0});
    t = **store.transition_task(t, scheduler::TaskEvent::kInitializeSubmitted, {}, clock.unix_ms());
    EXPECT_TRUE(*store.transition_task(t, scheduler::TaskEvent::kInitializeMined, {}, clock.unix_ms()));
    return task_id(d.deal_id, U256(0));
}

Bytes32 sha256_of_text(const std::string& text) {
    return *bytes32_from_hex("0x" + shell("printf '%s' '" + text + "' | sha256sum | cut -c1-64"));
}
std::string error_txt(const std::string& status, const std::string& cause) {
    return "[IEXEC] Error occurred while computing the task [error:" + status + ", cause:" + cause + "]";
}

//! Waits (bounded) until `done` holds; the worker runs real processes, so this polls real time.
template <class F>
bool eventually(F done, std::chrono::seconds limit = 60s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return done();
}

TEST(WorkerAgent, SevenAppsEndAsSpecifiedThenRevealAndDrain) {
    testing::ScratchDir dir("agent");
    // The sandboxed app reads its bundle from here.
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    // The core's ResultStore behind a PUT route (the core daemon's route is the next session's): it recomputes the
    // result digest from the uploaded zip with the reference's rule and refuses it unless it equals the revealed one.
    auto store = scheduler::ResultStore::open({.dir = dir / "results"});
    ASSERT_TRUE(store) << store.error().message;
    std::mutex uploads_mutex;
    std::map<std::string, std::string> uploads;
    std::map<Bytes32, Bytes32> revealed_digest;  // filled before consensus
    net::HttpServer results;
    const auto put_result = [&](const net::ServerRequest& req) {
        std::lock_guard lock(uploads_mutex);
        const std::string id(*req.param("taskId"));
        const Bytes32 task = *bytes32_from_hex(id);
        auto put = store->put(task, ByteView(reinterpret_cast<const std::uint8_t*>(req.body.data()), req.body.size()),
                              revealed_digest[task]);
        if (!put) return net::HttpResponse::json(400, R"({"error":"refused"})");
        uploads[id] = req.body;
        const std::string link = scheduler::result_link_json("pool", "http://pool/results/" + id);
        return net::HttpResponse::json(200, workerapi::serialize(boost::json::object{{"resultLink", link}}));
    };
    results.route("PUT", "/results/:taskId", put_result);
    ASSERT_TRUE(results.start());
    // TEE trust-1 replicates upload to the scheduler's own /api/v1/results before contributeAndFinalize.
    Scheduler s(dir.path(), results.base_url() + "/results",
                [&](net::HttpServer& server) { server.route("PUT", "/api/v1/results/:taskId", put_result); });

    // The apps.
    const App file_app = make_bundle(dir.path(), "file",
                                     "printf 'hello %s' \"$IEXEC_TASK_INDEX\" > $IEXEC_OUT/r.txt\n"
                                     "echo '{\"deterministic-output-path\":\"/iexec_out/r.txt\"}' > "
                                     "$IEXEC_OUT/computed.json\n");
    const App dir_app = make_bundle(dir.path(), "dir",
                                    "mkdir $IEXEC_OUT/res && printf 'b' > $IEXEC_OUT/res/b.txt && printf 'a' > "
                                    "$IEXEC_OUT/res/a.txt\n"
                                    "echo '{\"deterministic-output-path\":\"/iexec_out/res\"}' > "
                                    "$IEXEC_OUT/computed.json\n");
    const App callback_app = make_bundle(dir.path(), "cb",
                                         "echo '{\"deterministic-output-path\":\"/iexec_out\",\"callback-data\":"
                                         "\"0x0000000000000000000000000000000000000000000000000000000000000042\"}' > "
                                         "$IEXEC_OUT/computed.json\n");
    const App failing_app = make_bundle(dir.path(), "fail", "echo boom >&2\nexit 3\n");
    const App slow_app = make_bundle(dir.path(), "slow", "sleep 30\n");
    const App big_app = make_bundle(dir.path(), "big",
                                    "head -c 3000000 /dev/zero > $IEXEC_OUT/big.bin\n"
                                    "echo '{\"deterministic-output-path\":\"/iexec_out/big.bin\"}' > "
                                    "$IEXEC_OUT/computed.json\n");
    App bad_checksum_app = file_app;
    bad_checksum_app.checksum = h(0x99);

    const Bytes32 t_file = add_deal(*s.store, 1, file_app, 300);
    const Bytes32 t_dir = add_deal(*s.store, 2, dir_app, 300);
    const Bytes32 t_cb = add_deal(*s.store, 3, callback_app, 300, key(0x33).address());
    const Bytes32 t_fail = add_deal(*s.store, 4, failing_app, 300);
    const Bytes32 t_slow = add_deal(*s.store, 5, slow_app, 1);
    const Bytes32 t_big = add_deal(*s.store, 6, big_app, 300);
    const Bytes32 t_bad = add_deal(*s.store, 7, bad_checksum_app, 300);
    // TEE SIMULATION at trust 1: Scone- and TDX-tagged deals go through contributeAndFinalize.
    const Bytes32 t_scone = add_deal(*s.store, 8, file_app, 300, {}, 0x3);
    const Bytes32 t_tdx = add_deal(*s.store, 9, file_app, 300, {}, 0x9);
    {
        std::lock_guard lock(uploads_mutex);
        revealed_digest[t_scone] = revealed_digest[t_tdx] = sha256_of_text("hello 0");  // what COMPUTED reports
    }

    // Independently computed digests.
    std::map<Bytes32, Bytes32> expected;
    expected[t_file] = sha256_of_text("hello 0");
    {
        const std::string sa = shell("printf 'a' | sha256sum | cut -c1-64");
        const std::string sb = shell("printf 'b' | sha256sum | cut -c1-64");
        expected[t_dir] = *bytes32_from_hex(testing::ethers("console.log(ethers.keccak256('0x" + sa + sb + "'))"));
    }
    expected[t_cb] = *bytes32_from_hex(testing::ethers(
        "console.log(ethers.keccak256('0x0000000000000000000000000000000000000000000000000000000000000042'))"));
    expected[t_fail] = sha256_of_text(error_txt("COMPUTE_FAILED", "APP_COMPUTE_FAILED"));
    expected[t_slow] = sha256_of_text(error_txt("COMPUTE_FAILED", "APP_COMPUTE_TIMEOUT"));
    expected[t_big] = sha256_of_text(error_txt("COMPUTE_FAILED", "APP_OUTPUT_TOO_LARGE"));
    expected[t_bad] = sha256_of_text(error_txt("APP_DOWNLOAD_FAILED", "APP_IMAGE_DOWNLOAD_FAILED"));

    SessionOptions so;
    so.scheduler_url = s.server.base_url();
    so.ws_poll = 200ms;
    so.backoff_initial = 20ms;
    so.backoff_max = 500ms;
    const PrivateKey wallet = key(0x21);
    SchedulerSession session(so, wallet);
    ReplicateRunner runner(RunnerOptions{.work_dir = dir / "work"}, wallet.address(),
                           std::make_shared<SandboxRuntime>());
    LedgerChain chain;
    AgentOptions ao;
    ao.registration.name = "w1";
    ao.registration.version = "0.1.0";
    ao.registration.cpu_slots = 9;
    ao.registration.tee_frameworks = {workerapi::TeeFramework::kScone, workerapi::TeeFramework::kTdx};
    ao.memory_bytes_per_task = 256ull << 20;
    ao.max_output_bytes = 1ull << 20;
    ao.drain_timeout = 1s;
    WorkerAgent agent(session, runner, chain, ao);
    ASSERT_TRUE(agent.start());
    AgentLoop loop(agent);

    const bool all = eventually([&] {
        const auto recs = agent.records();
        for (const auto& [task, digest] : expected) {
            auto it = recs.find(task);
            if (it == recs.end() || it->second.last_status != ReplicateStatus::kContributed) return false;
        }
        for (const Bytes32& tee : {t_scone, t_tdx}) {
            auto it = recs.find(tee);
            if (it == recs.end() || it->second.last_status != ReplicateStatus::kContributeAndFinalizeDone) return false;
        }
        return true;
    });
    EXPECT_TRUE(all);
    {
        std::lock_guard lock(chain.m);
        EXPECT_EQ(chain.finalized[t_scone], sha256_of_text("hello 0"));
        EXPECT_EQ(chain.finalized[t_tdx], sha256_of_text("hello 0"));
        EXPECT_EQ(chain.contribute_calls.count(t_scone), 0u);  // never a plain contribute for them
    }
    {
        // Their results reached the store before contributeAndFinalize (TEE: no reveal, no PLEASE_UPLOAD).
        std::lock_guard lock(uploads_mutex);
        EXPECT_EQ(uploads.count(to_hex(t_scone.view())), 1u);
        EXPECT_EQ(uploads.count(to_hex(t_tdx.view())), 1u);
    }
    {
        std::lock_guard lock(chain.m);
        for (const auto& [task, digest] : expected) {
            SCOPED_TRACE(to_hex(task.view()));
            ASSERT_TRUE(chain.contributed.count(task));
            EXPECT_EQ(chain.contributed[task], digest);
            EXPECT_EQ(chain.contribute_calls[task], 1);
        }
    }
    EXPECT_TRUE(session.logins() >= 1u);
    EXPECT_TRUE(session.ws_connects() >= 1u);  // the stream was pushed over the WebSocket

    {
        std::lock_guard lock(uploads_mutex);
        revealed_digest[t_file] = expected[t_file];
    }
    // Consensus on the file task → PLEASE_REVEAL → reveal with the digest.
    const auto t_rec = **s.store->task(scheduler::TaskKey{h(1), 0});
    ASSERT_TRUE(s.core->apply_consensus(t_file,
                                        make_contribution(wallet.address(), t_file, expected[t_file]).result_hash,
                                        system_clock().unix_ms() / 1000 + 600, 1));
    (void)t_rec;
    // Revealed, then asked to upload (the only revealer): the archive reaches the result store.
    EXPECT_TRUE(eventually([&] { return agent.records()[t_file].last_status == ReplicateStatus::kResultUploaded; }));
    {
        std::lock_guard lock(chain.m);
        EXPECT_EQ(chain.revealed[t_file], expected[t_file]);
    }
    {
        std::lock_guard lock(uploads_mutex);
        ASSERT_EQ(uploads.count(to_hex(t_file.view())), 1u);
        const std::string& zip = uploads[to_hex(t_file.view())];
        ASSERT_GT(zip.size(), 4u);
        EXPECT_EQ(zip.substr(0, 2), "PK");
    }

    // Drain: the replicates held (waiting for consensus) are handed back after the drain timeout.
    agent.stop(/*drain=*/true);
    loop.join();
    EXPECT_EQ(agent.active(), 0u);
    for (const auto& [task, rec] : agent.records()) EXPECT_TRUE(rec.finished) << to_hex(task.view());
    EXPECT_TRUE(runner.results_on_disk().empty());
    results.stop(200ms);
}

TEST(WorkerAgent, RestartResumesResultsOnDiskAndAbandonsTheOthersNeverContributingTwice) {
    testing::ScratchDir dir("agent-restart");
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    net::HttpServer results;
    std::atomic<int> uploads{0};
    results.route("PUT", "/results/:taskId", [&](const net::ServerRequest&) {
        ++uploads;
        return net::HttpResponse::json(200, "{}");
    });
    ASSERT_TRUE(results.start());
    Scheduler s(dir.path(), results.base_url() + "/results");
    const App app = make_bundle(dir.path(), "file",
                                "printf 'kept %s' \"$IEXEC_DEAL_ID\" > $IEXEC_OUT/r.txt\n"
                                "echo '{\"deterministic-output-path\":\"/iexec_out/r.txt\"}' > "
                                "$IEXEC_OUT/computed.json\n");
    const Bytes32 kept = add_deal(*s.store, 1, app, 300);
    const Bytes32 lost = add_deal(*s.store, 2, app, 300);
    const Bytes32 kept_digest = sha256_of_text("kept " + to_hex(h(1).view()));

    SessionOptions so;
    so.scheduler_url = s.server.base_url();
    so.ws_poll = 200ms;
    so.backoff_initial = 20ms;
    const PrivateKey wallet = key(0x22);
    ReplicateRunner runner(RunnerOptions{.work_dir = dir / "work"}, wallet.address(),
                           std::make_shared<SandboxRuntime>());
    LedgerChain chain;
    AgentOptions ao;
    ao.registration.name = "w2";
    ao.registration.version = "0.1.0";
    ao.registration.cpu_slots = 2;
    ao.memory_bytes_per_task = 256ull << 20;
    ao.drain_timeout = 1s;
    {
        SchedulerSession session(so, wallet);
        WorkerAgent first(session, runner, chain, ao);
        ASSERT_TRUE(first.start());
        AgentLoop loop(first);
        EXPECT_TRUE(eventually([&] {
            auto recs = first.records();
            return recs[kept].last_status == ReplicateStatus::kContributed &&
                   recs[lost].last_status == ReplicateStatus::kContributed;
        }));
        first.halt();  // a crash: nothing reported, folders left
        loop.join();
    }
    ASSERT_EQ(runner.results_on_disk().size(), 2u);
    ASSERT_TRUE(runner.cleanup(lost));  // this result is lost with its disk

    SchedulerSession session(so, wallet);
    WorkerAgent second(session, runner, chain, ao);
    ASSERT_TRUE(second.start());
    AgentLoop loop(second);
    // The lost one is abandoned cleanly; the kept one is held, waiting for consensus.
    EXPECT_TRUE(eventually([&] {
        auto recs = second.records();
        return recs[lost].last_status == ReplicateStatus::kAborted && recs[lost].finished;
    }));
    EXPECT_EQ(second.active(), 1u);
    ASSERT_TRUE(s.core->apply_consensus(kept, make_contribution(wallet.address(), kept, kept_digest).result_hash,
                                        system_clock().unix_ms() / 1000 + 600, 1));
    EXPECT_TRUE(eventually([&] { return second.records()[kept].last_status == ReplicateStatus::kResultUploaded; }));
    {
        std::lock_guard lock(chain.m);
        EXPECT_EQ(chain.revealed[kept], kept_digest);  // the digest re-read from the files on disk
        EXPECT_EQ(chain.contribute_calls[kept], 1);
        EXPECT_EQ(chain.contribute_calls[lost], 1);
    }
    EXPECT_EQ(uploads.load(), 1);
    second.stop(true);
    loop.join();
}

TEST(WorkerAgent, AnAuthorizationNotSignedByTheWorkerpoolOwnerIsRefusedBeforeAnythingRuns) {
    testing::ScratchDir dir("agent-auth");
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    Scheduler s(dir.path(), "http://127.0.0.1:1/results");
    const App app = make_bundle(dir.path(), "file",
                                "echo x > $IEXEC_OUT/r.txt\n"
                                "echo '{\"deterministic-output-path\":\"/iexec_out/r.txt\"}' > "
                                "$IEXEC_OUT/computed.json\n");
    const Bytes32 task = add_deal(*s.store, 1, app, 300);

    SessionOptions so;
    so.scheduler_url = s.server.base_url();
    so.ws_poll = 200ms;
    so.backoff_initial = 20ms;
    const PrivateKey wallet = key(0x23);
    SchedulerSession session(so, wallet);
    ReplicateRunner runner(RunnerOptions{.work_dir = dir / "work"}, wallet.address(),
                           std::make_shared<SandboxRuntime>());
    LedgerChain chain;
    chain.owner = key(0x72).address();  // the chain says the pool belongs to someone else than the signer
    AgentOptions ao;
    ao.registration.name = "w3";
    ao.registration.version = "0.1.0";
    ao.registration.cpu_slots = 1;
    ao.memory_bytes_per_task = 256ull << 20;
    WorkerAgent agent(session, runner, chain, ao);
    ASSERT_TRUE(agent.start());
    AgentLoop loop(agent);
    EXPECT_TRUE(eventually([&] {
        auto recs = agent.records();
        return recs.count(task) && recs[task].finished && recs[task].last_status == ReplicateStatus::kAborted;
    }));
    const auto rec = agent.records()[task];
    EXPECT_EQ(rec.failure_message, "authorization: signed by " + key(0x71).address().to_checksum() +
                                       ", the workerpool owner is " + key(0x72).address().to_checksum() +
                                       " (refused: nothing is run or sent)");
    EXPECT_FALSE(rec.digest);  // never computed
    {
        std::lock_guard lock(chain.m);
        EXPECT_EQ(chain.contribute_calls.count(task), 0u);
        EXPECT_GE(chain.owner_reads, 1);
    }
    // The scheduler recorded the refusal with its reason.
    auto replicates = s.store->replicates_of_task(scheduler::TaskKey{h(1), 0});
    ASSERT_TRUE(replicates) << replicates.error().message;
    ASSERT_EQ(replicates->size(), 1u);
    EXPECT_NE(replicates->front().details.message.value_or("").find(rec.failure_message), std::string::npos)
        << replicates->front().details.message.value_or("");
    EXPECT_FALSE(fs::exists(runner.task_dir(task) / "output" / "iexec_out.zip"));
}

}  // namespace
}  // namespace wp::worker
