// The worker API over real sockets (HttpServer on 127.0.0.1, HttpClient, WebSocketClient), real signatures (the
// login challenge signed with eth_signTypedData_v4 semantics by wp::eip712), a real SQLite file, token keys in a 0600
// file: login → register → assignment by long-poll and WebSocket → status updates; allow-list; tokens valid across a
// restart; a silent worker lost on the ManualClock.

#include "worker_api.hpp"

#include <unistd.h>

#include <filesystem>
#include <future>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/hex.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/net/http_client.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>

#include "pool_api.hpp"
#include "scheduler_test_support.hpp"
#include "schema.hpp"

namespace wp::scheduler {
namespace {

namespace json = boost::json;
using workerapi::Action;
using R = ReplicateStatus;

using testing::h;
using testing::key;

constexpr std::uint64_t kChainId = 31337;

std::filesystem::path fresh_dir(const std::string& name) {
    auto dir =
        std::filesystem::path(::testing::TempDir()) / ("wp_sched_api_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

//! One scheduler process: database, core, token keys from `dir`, server on a free port.
struct Scheduler {
    Scheduler(const std::filesystem::path& dir, ManualClock& clock, std::set<Address> allow = {},
              std::chrono::milliseconds long_poll = std::chrono::seconds(10))
        : db(*store::Database::open("sqlite:" + (dir / "core.db").string())),
          keyring(*service::TokenKeyring::load_or_create(dir.string())),
          tokens(keyring, clock),
          challenges(challenge_store, clock, worker_login_options()) {
        EXPECT_TRUE(migrate_scheduler(db));
        store.emplace(db);
        CoreOptions o;
        o.workerpool = key(0x70).address();
        o.chain_id = kChainId;
        o.signer = key(0x71);
        core.emplace(*store, clock, o);
        WorkerApiOptions wo;
        wo.chain_id = kChainId;
        wo.allow_list = std::move(allow);
        wo.long_poll = long_poll;
        api.emplace(*core, tokens, challenges, wo);
        api->install(server);
        install_pool_api(server, *store);
        auto started = server.start();
        EXPECT_TRUE(started) << started.error().message;
        base = server.base_url() + "/api/v1";
    }
    ~Scheduler() { server.stop(std::chrono::milliseconds(200)); }

    store::Database db;
    std::optional<SchedulerStore> store;
    service::TokenKeyring keyring;
    service::TokenService tokens;
    service::InMemoryChallengeStore challenge_store;
    service::ChallengeAuth challenges;
    std::optional<CoreScheduler> core;
    net::HttpServer server;
    std::optional<WorkerApi> api;
    std::string base;
};

//! A worker as a client: what the worker module will do, written from docs/worker_protocol.md.
struct WorkerClient {
    net::HttpClient http;
    PrivateKey wallet;
    std::string base;
    std::string token;

    WorkerClient(std::string base_url, PrivateKey k) : wallet(std::move(k)), base(std::move(base_url)) {}

    Result<net::HttpResponse> login_response() {
        WP_TRY(auto challenge, http.get(base + "/login/challenge?address=" + wallet.address().to_checksum()));
        if (challenge.status != 200) return challenge;
        const json::value doc = json::parse(challenge.body);
        WP_TRY(auto lc, workerapi::login_challenge_from_json(doc));
        WP_TRY(auto typed, eip712::parse_typed_data(json::value(lc.typed_data)));
        WP_TRY(Bytes32 digest, eip712::digest(typed));
        const Signature sig = sign_hash(wallet, digest);
        const std::string header =
            to_hex(digest.view()) + "_" + to_hex(ByteView(sig.to_bytes65())) + "_" + wallet.address().to_checksum();
        return http.post(base + "/login", "", {{"Authorization", header}});
    }
    void login() {
        auto r = login_response();
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_EQ(r->status, 200u) << r->body;
        auto answer = workerapi::login_answer_from_json(json::parse(r->body));
        ASSERT_TRUE(answer) << answer.error().message;
        EXPECT_EQ(answer->worker, wallet.address());
        token = answer->token;
    }
    net::HttpHeaders auth() const { return {{"Authorization", "Bearer " + token}}; }
    Result<net::HttpResponse> post(const std::string& path, const json::value& body) {
        return http.post(base + path, workerapi::serialize(body), auth());
    }
    Result<net::HttpResponse> get(const std::string& path) { return http.get(base + path, auth()); }
};

DealRecord add_initialized_deal(SchedulerStore& store, Clock& clock, std::uint8_t id, std::uint64_t size) {
    DealRecord d;
    d.deal_id = h(id);
    d.app = key(0x10).address();
    d.workerpool = key(0x70).address();
    d.requester = key(0x11).address();
    d.category_seconds = 300;
    d.tag = make_tag(kTagStandard);
    d.trust = 1;
    d.bot_size = size;
    d.start_time = clock.unix_ms() / 1000;
    d.contribution_deadline = d.start_time + 2100;
    d.final_deadline = d.start_time + 3000;
    d.app_uri = "file:///apps/echo.tar.gz";
    d.app_type = "BUNDLE";
    EXPECT_TRUE(*store.insert_deal(d, clock.unix_ms()));
    for (std::uint64_t i = 0; i < size; ++i) {
        auto t = **store.task(TaskKey{d.deal_id, i});
        t = **store.transition_task(t, TaskEvent::kInitializeSubmitted, {}, clock.unix_ms());
        EXPECT_TRUE(*store.transition_task(t, TaskEvent::kInitializeMined, {}, clock.unix_ms()));
    }
    return d;
}

json::value registration(std::uint32_t slots) {
    workerapi::WorkerRegistration r;
    r.name = "w";
    r.version = "0.1.0";
    r.cpu_slots = slots;
    return workerapi::to_json(r);
}

TEST(WorkerApi, LoginRegisterAssignmentAndStatusOverRealSockets) {
    ManualClock clock;
    const auto dir = fresh_dir("flow");
    Scheduler s(dir, clock);
    const DealRecord deal = add_initialized_deal(*s.store, clock, 1, 2);
    WorkerClient w(s.base, key(0x21));
    w.login();
    ASSERT_FALSE(w.token.empty());

    // Without a token: 401; with a bad one: 401.
    auto anonymous = w.http.post(s.base + "/register", workerapi::serialize(registration(1)));
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401u);
    auto forged = w.http.post(s.base + "/heartbeat", R"({"running":[]})", {{"Authorization", "Bearer wp1.AAAA.BBBB"}});
    EXPECT_EQ(forged->status, 401u);

    // A long-poll waiting before anything is assigned is answered by the assignment the registration triggers.
    net::HttpRequest poll{"GET", s.base + "/notifications?after=0", w.auth(), "", std::nullopt, std::nullopt};
    auto pending = w.http.request_future(poll);
    // (The poll may or may not be parked when the registration commits: both orders answer it.)
    auto reg = w.post("/register", registration(1));
    ASSERT_TRUE(reg) << reg.error().message;
    ASSERT_EQ(reg->status, 200u) << reg->body;
    auto answer = workerapi::registration_answer_from_json(json::parse(reg->body));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->workerpool, key(0x70).address());
    EXPECT_EQ(answer->lost_after_seconds, 60u);

    auto polled = pending.get();
    ASSERT_TRUE(polled) << polled.error().message;
    ASSERT_EQ(polled->status, 200u) << polled->body;
    auto batch = workerapi::notification_batch_from_json(json::parse(polled->body));
    ASSERT_TRUE(batch) << batch.error().message;
    ASSERT_EQ(batch->notifications.size(), 1u);  // one slot: one task of the two
    const auto& start = batch->notifications[0];
    EXPECT_EQ(start.action, Action::kStart);
    ASSERT_TRUE(start.assignment);
    const Bytes32 tid = start.task_id;
    EXPECT_EQ(tid, task_id(deal.deal_id, U256(start.assignment->task_index)));
    EXPECT_TRUE(verify_signature(key(0x71).address(),
                                 eip191_hash(authorization_hash(w.wallet.address(), tid, Address{})),
                                 *Signature::parse(start.assignment->authorization.signature)));

    // Status updates through HTTP; a retry is a duplicate with the same answer; a refused edge is 409.
    auto update = [&](R status) {
        auto r =
            w.post("/tasks/" + to_hex(tid.view()) + "/status", workerapi::to_json(workerapi::StatusUpdate{status, {}}));
        EXPECT_TRUE(r) << r.error().message;
        return *r;
    };
    EXPECT_EQ(update(R::kStarting).status, 200u);
    auto refused = update(R::kComputed);
    EXPECT_EQ(refused.status, 409u);
    EXPECT_EQ(workerapi::status_answer_from_json(json::parse(refused.body))->abort_cause,
              workerapi::AbortCause::kRefused);
    auto started = update(R::kStarted);
    ASSERT_EQ(started.status, 200u) << started.body;
    EXPECT_EQ(workerapi::status_answer_from_json(json::parse(started.body))->action, Action::kDownloadApp);
    auto again = update(R::kStarted);
    EXPECT_TRUE(workerapi::status_answer_from_json(json::parse(again.body))->duplicate);
    auto bad_body =
        w.http.post(s.base + "/tasks/" + to_hex(tid.view()) + "/status", R"({"status":"NOPE","details":{}})", w.auth());
    EXPECT_EQ(bad_body->status, 400u);
    EXPECT_NE(bad_body->body.find("unknown replicate status"), std::string::npos) << bad_body->body;
    auto missing = w.post("/tasks/" + to_hex(tid.view()) + "/status",
                          workerapi::to_json(workerapi::StatusUpdate{R::kContributed, {}}));
    EXPECT_EQ(missing->status, 400u);
    EXPECT_NE(missing->body.find("resultHash and resultSeal are required"), std::string::npos) << missing->body;
    auto unknown = w.post("/tasks/" + to_hex(h(0x99).view()) + "/status",
                          workerapi::to_json(workerapi::StatusUpdate{R::kStarting, {}}));
    EXPECT_EQ(unknown->status, 404u);

    // Without waiting, an empty inbox tail answers at once.
    auto tail = w.get("/notifications?after=1&wait=0");
    ASSERT_EQ(tail->status, 200u);
    EXPECT_TRUE(workerapi::notification_batch_from_json(json::parse(tail->body))->notifications.empty());

    // Recovery lists the replicate with a fresh authorization.
    auto rec = w.get("/recovery");
    ASSERT_EQ(rec->status, 200u) << rec->body;
    auto recovery = workerapi::recovery_from_json(json::parse(rec->body));
    ASSERT_TRUE(recovery) << recovery.error().message;
    ASSERT_EQ(recovery->items.size(), 1u);
    EXPECT_EQ(recovery->items[0].last_status, R::kStarted);
}

TEST(WorkerApi, WebSocketPushesTheWorkersOwnNotifications) {
    ManualClock clock;
    Scheduler s(fresh_dir("ws"), clock);
    WorkerClient w(s.base, key(0x21));
    w.login();
    ASSERT_EQ(w.post("/register", registration(2))->status, 200u);
    std::string ws_url = s.base + "/ws";
    ws_url.replace(0, 4, "ws");
    net::WebSocketClientOptions o;
    o.headers = w.auth();
    auto ws = net::WebSocketClient::connect(ws_url, o);
    ASSERT_TRUE(ws) << ws.error().message;
    auto other = (*ws)->subscribe("worker:" + key(0x22).address().to_lower_hex());
    EXPECT_FALSE(other);  // not its topic
    ASSERT_TRUE((*ws)->subscribe(WorkerApi::topic_of(w.wallet.address())));

    add_initialized_deal(*s.store, clock, 2, 1);
    ASSERT_EQ(*s.core->assign_round(), 1u);
    auto msg = (*ws)->receive(std::chrono::seconds(10));
    ASSERT_TRUE(msg) << msg.error().message;
    const json::value v = json::parse(*msg);
    EXPECT_EQ(v.at("event").as_string(), "notification");
    auto n = workerapi::notification_from_json(v.at("data"));
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(n->action, Action::kStart);
    EXPECT_EQ(n->seq, 1u);

    // An unauthenticated upgrade is refused.
    auto anonymous = net::WebSocketClient::connect(ws_url);
    EXPECT_FALSE(anonymous);
}

TEST(WorkerApi, AllowListAndTokensAcrossRestart) {
    ManualClock clock;
    const auto dir = fresh_dir("restart");
    std::string token;
    {
        Scheduler s(dir, clock, {key(0x21).address()});
        WorkerClient stranger(s.base, key(0x22));
        auto refused = stranger.login_response();
        ASSERT_TRUE(refused);
        EXPECT_EQ(refused->status, 403u);
        WorkerClient w(s.base, key(0x21));
        w.login();
        ASSERT_EQ(w.post("/register", registration(1))->status, 200u);
        token = w.token;
    }
    // A new scheduler process on the same data directory accepts the token issued before.
    {
        Scheduler s2(dir, clock, {key(0x21).address()});
        WorkerClient w(s2.base, key(0x21));
        w.token = token;
        auto hb = w.post("/heartbeat", workerapi::to_json(workerapi::Heartbeat{}));
        ASSERT_TRUE(hb);
        ASSERT_EQ(hb->status, 200u) << hb->body;
        auto answer = workerapi::heartbeat_answer_from_json(json::parse(hb->body));
        ASSERT_TRUE(answer);
        EXPECT_FALSE(answer->reregister);  // the registration is in the database
    }
    // Taken off the allow-list: its still valid token is refused.
    {
        Scheduler s3(dir, clock, {key(0x22).address()});
        WorkerClient removed(s3.base, key(0x21));
        removed.token = token;
        EXPECT_EQ(removed.post("/heartbeat", workerapi::to_json(workerapi::Heartbeat{}))->status, 403u);
    }
    // The token expires with its TTL (12 h by default), on the scheduler's clock.
    Scheduler s4(dir, clock);
    WorkerClient w(s4.base, key(0x21));
    w.token = token;
    EXPECT_EQ(w.post("/heartbeat", workerapi::to_json(workerapi::Heartbeat{}))->status, 200u);
    clock.advance(std::chrono::hours(13));
    EXPECT_EQ(w.post("/heartbeat", workerapi::to_json(workerapi::Heartbeat{}))->status, 401u);
}

TEST(WorkerApi, LongPollWithNothingNewEndsWith204) {
    ManualClock clock;
    Scheduler s(fresh_dir("poll"), clock, {}, std::chrono::milliseconds(100));
    WorkerClient w(s.base, key(0x21));
    w.login();
    ASSERT_EQ(w.post("/register", registration(1))->status, 200u);
    auto polled = w.get("/notifications?after=0");
    ASSERT_TRUE(polled) << polled.error().message;
    EXPECT_EQ(polled->status, 204u);
    EXPECT_EQ(w.get("/notifications?after=x")->status, 400u);
}

// pool_api.hpp: the dashboard API (documents of dashboard.hpp) and its /api/v1/pool aliases.
TEST(PoolApi, ReportsWorkersTasksAndDeals) {
    ManualClock clock;
    Scheduler s(fresh_dir("pool"), clock);
    const DealRecord deal = add_initialized_deal(*s.store, clock, 3, 3);
    WorkerClient w(s.base, key(0x21));
    w.login();
    ASSERT_EQ(w.post("/register", registration(2))->status, 200u);  // takes 2 of the 3 tasks
    net::HttpClient http;
    const auto get = [&](const std::string& path) {
        auto r = http.get(s.base + path);
        EXPECT_TRUE(r) << r.error().message;
        return *r;
    };
    auto stats = get("/dashboard/summary");
    ASSERT_EQ(stats.status, 200u) << stats.body;
    const json::value sv = json::parse(stats.body);
    EXPECT_EQ(sv.at("tasks").at("INITIALIZED").to_number<std::int64_t>(), 3);
    EXPECT_EQ(sv.at("workers").at("alive").to_number<std::int64_t>(), 1);
    EXPECT_EQ(sv.at("slots").at("used").to_number<std::int64_t>(), 2);
    EXPECT_EQ(sv.at("slots").at("total").to_number<std::int64_t>(), 2);
    EXPECT_EQ(json::parse(get("/pool/stats").body).at("tasks"), sv.at("tasks"));  // the alias

    auto workers = get("/dashboard/workers");
    const json::value wv = json::parse(workers.body).at("workers");
    ASSERT_EQ(wv.as_array().size(), 1u);
    EXPECT_EQ(wv.at(0).at("address").as_string(), w.wallet.address().to_checksum());
    EXPECT_EQ(wv.at(0).at("currentTasks").as_array().size(), 2u);
    EXPECT_EQ(wv.at(0).at("score").as_string(), "0");
    EXPECT_EQ(json::parse(get("/pool/workers").body).at("workers"), wv);

    auto tasks = get("/dashboard/tasks?status=INITIALIZED&limit=2");
    const json::value tv = json::parse(tasks.body).at("tasks");
    ASSERT_EQ(tv.as_array().size(), 2u);
    EXPECT_EQ(tv.at(0).at("dealId").as_string(), to_hex(deal.deal_id.view()));
    EXPECT_EQ(get("/dashboard/tasks?status=NOPE").status, 400u);
    EXPECT_EQ(get("/dashboard/tasks?limit=0").status, 400u);
    EXPECT_EQ(get("/dashboard/tasks?foo=1").status, 400u);
    EXPECT_EQ(get("/pool/tasks?limit=0").status, 400u);

    auto deals = get("/dashboard/deals");
    const json::value dv = json::parse(deals.body).at("deals");
    ASSERT_EQ(dv.as_array().size(), 1u);
    EXPECT_EQ(dv.at(0).at("botSize").to_number<std::int64_t>(), 3);
    EXPECT_EQ(dv.at(0).at("tasks").at("INITIALIZED").to_number<std::int64_t>(), 3);
    EXPECT_EQ(json::parse(get("/pool/deals").body).at("deals"), dv);
}

TEST(WorkerApi, SilentWorkerIsLostOnTheManualClock) {
    ManualClock clock;
    Scheduler s(fresh_dir("liveness"), clock);
    WorkerClient w(s.base, key(0x21));
    w.login();
    ASSERT_EQ(w.post("/register", registration(1))->status, 200u);
    clock.advance(std::chrono::seconds(59));
    ASSERT_EQ(w.post("/heartbeat", workerapi::to_json(workerapi::Heartbeat{}))->status, 200u);
    clock.advance(std::chrono::seconds(59));
    EXPECT_TRUE(s.core->check_liveness()->empty());  // heard 59 s ago
    clock.advance(std::chrono::seconds(2));
    auto lost = s.core->check_liveness();
    ASSERT_TRUE(lost);
    ASSERT_EQ(lost->size(), 1u);
    EXPECT_EQ((*lost)[0], w.wallet.address());
    EXPECT_FALSE((*s.store->worker(w.wallet.address()))->alive);
    // Its next heartbeat brings it back.
    ASSERT_EQ(w.post("/heartbeat", workerapi::to_json(workerapi::Heartbeat{}))->status, 200u);
    EXPECT_TRUE((*s.store->worker(w.wallet.address()))->alive);
}

}  // namespace
}  // namespace wp::scheduler
