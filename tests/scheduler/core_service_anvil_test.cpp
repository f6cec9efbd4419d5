// CoreService (libs/wp/scheduler/core_service.hpp) in-process against the real PoCo 6.1.0 on anvil: a deal matched on
// chain for the pool's workerpool is taken in; a worker registered through the real HTTP API (signed EIP-712 login)
// makes the lazy initialization send initializeArray, and the tasks become ACTIVE on chain and INITIALIZED here; the
// dashboard API, /metrics, /health, /ready and the page answer over real sockets; a restart on the same database
// keeps the deal and the tasks.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <zip.h>

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/hex.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/net/http_client.hpp>
#include <wp/net/websocket.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/scheduler/core_scheduler.hpp>
#include <wp/scheduler/core_service.hpp>
#include <wp/scheduler/result_digest.hpp>
#include <wp/scheduler/scheduler_store.hpp>
#include <wp/workerapi/messages.hpp>

#include "core_service_fixture.hpp"

namespace wp {
namespace {

namespace json = boost::json;
using scheduler::TaskStatus;

//! A zip of (name, content) entries, in memory (libzip).
Bytes make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
    zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &err);
    zip_source_keep(src);
    for (const auto& [name, content] : entries) {
        void* copy = std::malloc(content.size());
        std::memcpy(copy, content.data(), content.size());
        zip_source_t* s = zip_source_buffer(z, copy, content.size(), 1);
        zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    }
    EXPECT_EQ(zip_close(z), 0);
    zip_source_open(src);
    zip_source_seek(src, 0, SEEK_END);
    const auto size = zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    Bytes out(static_cast<std::size_t>(size));
    zip_source_read(src, out.data(), out.size());
    zip_source_close(src);
    zip_source_free(src);
    return out;
}

class CoreServiceAnvil : public test::CoreServiceFixture {
  protected:
    CoreServiceAnvil() : CoreServiceFixture("wp_core_service") {}
    void SetUp() override {
        CoreServiceFixture::SetUp();
        if (HasFatalFailure()) return;
        config_.lost_after = std::chrono::seconds(600);  // the test moves the clock up to a minute at once
    }

    void start() { start_core((dir_ / "core.url").string()); }
    void stop() { stop_core(); }

    json::value get_json(const std::string& path, unsigned expected = 200) {
        auto r = http_.get(core_->url() + path);
        EXPECT_TRUE(r) << path << ": " << r.error().message;
        if (!r) return nullptr;
        EXPECT_EQ(r->status, expected) << path << ": " << r->body;
        return json::parse(r->body);
    }

    TaskStatus status(const Bytes32& deal, std::uint64_t idx) {
        auto t = core_->store().task(scheduler::TaskKey{deal, idx});
        return (t && *t) ? (*t)->status : TaskStatus::kReceived;
    }
    bool stored(const Bytes32& deal, std::uint64_t idx) {
        auto t = core_->store().task(scheduler::TaskKey{deal, idx});
        return t && *t;
    }

    Bytes32 match(const test::Orders& o) {
        auto r = send(hub().match_orders(o.app, o.dataset, o.workerpool, o.request), key(test::kRequester));
        EXPECT_TRUE(r) << r.error().message;
        return deal_id(order_hash(domain(), Order(o.request)), U256(0));
    }
};

TEST_F(CoreServiceAnvil, TakesInADealInitializesItsTasksAndServesTheDashboard) {
    start();
    ASSERT_FALSE(HasFatalFailure());
    std::string ws_url = core_->url() + "/api/v1/dashboard/ws";
    ws_url.replace(0, 4, "ws");
    auto ws = net::WebSocketClient::connect(ws_url);
    ASSERT_TRUE(ws) << ws.error().message;
    ASSERT_TRUE((*ws)->subscribe("dashboard"));
    const Bytes32 deal = match(make_orders(assets_, U256(2), false, 7100));
    ASSERT_TRUE(eventually([&] { return stored(deal, 0) && stored(deal, 1); })) << "the deal was not taken in";
    // Lazy initialization: nothing is sent while no worker has a free slot.
    EXPECT_EQ(status(deal, 0), TaskStatus::kReceived);

    register_worker(key(test::kWorker), 2);
    ASSERT_FALSE(HasFatalFailure());
    auto initialized = [&](std::uint64_t i) {
        const auto s = status(deal, i);
        return s == TaskStatus::kInitialized || s == TaskStatus::kRunning;
    };
    ASSERT_TRUE(eventually([&] { return initialized(0) && initialized(1); }))
        << "status " << to_string(status(deal, 0)) << ", " << to_string(status(deal, 1));
    for (std::uint64_t i = 0; i < 2; ++i) {
        auto on_chain = hub().view_task(task_id(deal, U256(i)));
        ASSERT_TRUE(on_chain) << on_chain.error().message;
        EXPECT_EQ(on_chain->status, wp::TaskStatus::kActive);
    }

    // The dashboard API.
    ASSERT_TRUE(eventually([&] {
        auto r = http_.get(core_->url() + "/ready");
        return r && r->status == 200;
    }));
    const json::value summary = get_json("/api/v1/dashboard/summary");
    ASSERT_TRUE(summary.is_object());
    EXPECT_EQ(summary.at("chainId").to_number<std::uint64_t>(), info().chain_id);
    EXPECT_EQ(summary.at("workerpool").as_string(), assets_.workerpool.to_checksum());
    EXPECT_EQ(summary.at("workers").at("alive").to_number<std::int64_t>(), 1);
    const auto& counts = summary.at("tasks").as_object();
    EXPECT_EQ(counts.at("INITIALIZED").to_number<std::int64_t>() + counts.at("RUNNING").to_number<std::int64_t>(), 2);
    const json::value deals = get_json("/api/v1/dashboard/deals");
    ASSERT_EQ(deals.at("deals").as_array().size(), 1U);
    EXPECT_EQ(deals.at("deals").as_array()[0].at("dealId").as_string(), to_hex(deal.view()));
    const json::value tasks = get_json("/api/v1/dashboard/tasks?deal=" + to_hex(deal.view()));
    EXPECT_EQ(tasks.at("tasks").as_array().size(), 2U);
    const json::value workers = get_json("/api/v1/dashboard/workers");
    ASSERT_EQ(workers.at("workers").as_array().size(), 1U);
    EXPECT_EQ(workers.at("workers").as_array()[0].at("address").as_string(), address(test::kWorker).to_checksum());
    get_json("/api/v1/dashboard/tasks?limit=x", 400);
    // The former pool API routes are aliases of the dashboard's.
    EXPECT_EQ(get_json("/api/v1/pool/deals"), get_json("/api/v1/dashboard/deals"));
    // The chain side (the "dashboard" loop): the owner's SRLC account as the chain has it, and the deal's fill.
    const Address owner = info().accounts.at(test::kScheduler).address;
    auto on_chain = hub().view_account(owner);
    ASSERT_TRUE(on_chain) << on_chain.error().message;
    // Past the account cache's 5 s (the next round reads it again) and into the next minute (a throughput tick).
    clock_.advance(std::chrono::milliseconds(60'000 - clock_.unix_ms() % 60'000 + 6'000));
    ASSERT_TRUE(eventually([&] {
        const json::value a = get_json("/api/v1/dashboard/account");
        return a.at("stake").is_string() && a.at("stake").as_string() == on_chain->stake.to_dec() &&
               a.at("locked").as_string() == on_chain->locked.to_dec();
    })) << json::serialize(get_json("/api/v1/dashboard/account"));
    EXPECT_EQ(get_json("/api/v1/dashboard/account").at("owner").as_string(), owner.to_checksum());
    ASSERT_TRUE(eventually([&] { return get_json("/api/v1/dashboard/orders").at("fills").as_array().size() == 1; }));
    const json::value orders = get_json("/api/v1/dashboard/orders");
    const auto& fill = orders.at("fills").as_array().at(0);
    EXPECT_EQ(fill.at("dealId").as_string(), to_hex(deal.view()));
    EXPECT_EQ(fill.at("volume").to_number<std::int64_t>(), 2);
    EXPECT_EQ(fill.at("orderHash").as_string().size(), 66U);
    EXPECT_FALSE(orders.at("openOrdersKnown").as_bool());
    const json::value one = get_json("/api/v1/dashboard/tasks/" + to_hex(task_id(deal, U256(0)).view()));
    ASSERT_FALSE(one.at("intents").as_array().empty());
    EXPECT_EQ(one.at("intents").as_array().at(0).at("kind").as_string(), "initialize");
    EXPECT_TRUE(one.at("intents").as_array().at(0).at("txHash").is_string());

    // The dashboard's WebSocket: task events for the deal's tasks, a worker event, summaries, the throughput tick and
    // the account read by the "dashboard" loop.
    std::set<std::string> events;
    bool task_event_of_deal = false;
    const auto all_seen = [&] {
        for (const char* e : {"task", "worker", "summary", "throughput", "account"})
            if (!events.count(e)) return false;
        return true;
    };
    for (int i = 0; i < 60 && !all_seen(); ++i) {
        auto msg = (*ws)->receive(std::chrono::seconds(5));
        ASSERT_TRUE(msg) << msg.error().message;
        const json::value v = json::parse(*msg);
        if (!v.as_object().contains("event")) continue;
        const std::string event(v.at("event").as_string());
        events.insert(event);
        if (event == "task" && v.at("data").at("dealId").as_string() == to_hex(deal.view())) task_event_of_deal = true;
    }
    EXPECT_TRUE(all_seen()) << events.size() << " kinds of event seen";
    EXPECT_TRUE(task_event_of_deal);

    // Health, metrics, the page, results.
    auto health = http_.get(core_->url() + "/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200U);
    auto metrics = http_.get(core_->url() + "/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200U);
    EXPECT_NE(metrics->body.find("wp_scheduler_tasks{status=\"INITIALIZED\"}"), std::string::npos);
    EXPECT_NE(metrics->body.find("wp_core_intents_in_flight"), std::string::npos);
    EXPECT_NE(metrics->body.find("# TYPE wp_scheduler_intent_confirmation_seconds histogram"), std::string::npos);
    auto page = http_.get(core_->url() + "/dashboard/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200U);
    EXPECT_NE(page->body.find("/api/v1/dashboard"), std::string::npos);
    auto no_result = http_.get(core_->url() + "/api/v1/results/" + to_hex(task_id(deal, U256(0)).view()));
    ASSERT_TRUE(no_result);
    EXPECT_EQ(no_result->status, 404U);
    net::HttpRequest put;
    put.method = "PUT";
    put.url = core_->url() + "/api/v1/results/" + to_hex(task_id(deal, U256(0)).view());
    put.body = "x";
    auto anonymous_upload = http_.request(put);
    ASSERT_TRUE(anonymous_upload);
    EXPECT_EQ(anonymous_upload->status, 401U);
    // The URL file.
    std::ifstream url_file(dir_ / "core.url");
    std::string written;
    std::getline(url_file, written);
    EXPECT_EQ(written, core_->url());

    // Restart on the same database: the deal and its tasks are still there, nothing is taken in twice.
    const auto before = status(deal, 0);
    stop();
    start();
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_EQ(status(deal, 0), before);
    ASSERT_TRUE(eventually([&] { return core_->synced(); }));
    const json::value again = get_json("/api/v1/dashboard/deals");
    EXPECT_EQ(again.at("deals").as_array().size(), 1U);
}

// The result upload: the worker asked to upload (after a consensus, applied here as the chain mirror would) PUTs its
// zip with its bearer token; it is verified against the digest it revealed, stored, and served by GET.
TEST_F(CoreServiceAnvil, UploadedResultIsVerifiedStoredAndServed) {
    start();
    ASSERT_FALSE(HasFatalFailure());
    const Bytes32 deal = match(make_orders(assets_, U256(1), false, 7200));
    register_worker(key(test::kWorker), 1);
    ASSERT_FALSE(HasFatalFailure());
    const Bytes32 tid = task_id(deal, U256(0));
    const Address worker = address(test::kWorker);
    ASSERT_TRUE(eventually([&] {
        auto r = core_->store().replicate(scheduler::TaskKey{deal, 0}, worker);
        return r && *r;
    })) << "no replicate for the worker; task "
        << to_string(status(deal, 0));

    const std::string status_url = core_->url() + "/api/v1/tasks/" + to_hex(tid.view()) + "/status";
    auto report = [&](workerapi::ReplicateStatus st, workerapi::StatusDetails details = {}) {
        workerapi::StatusUpdate u;
        u.status = st;
        u.details = std::move(details);
        auto r = http_.post(status_url, workerapi::serialize(workerapi::to_json(u)),
                            {{"Authorization", "Bearer " + token_}});
        EXPECT_TRUE(r) << r.error().message;
        if (r) {
            EXPECT_EQ(r->status, 200U) << workerapi::to_string(st) << ": " << r->body;
        }
    };
    using R = workerapi::ReplicateStatus;
    for (auto st : {R::kStarting, R::kStarted, R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading,
                    R::kDataDownloaded, R::kComputing, R::kComputed, R::kContributing})
        report(st);
    const Bytes zip = make_zip({{"computed.json", R"({"deterministic-output-path":"/iexec_out/result.txt"})"},
                                {"result.txt", "42"},
                                {"stdout.txt", "hello from the core test\n"}});
    auto digest = scheduler::result_zip_digest(ByteView(zip.data(), zip.size()));
    ASSERT_TRUE(digest) << digest.error().message;
    Bytes32 result_hash;
    result_hash.bytes.fill(0xab);
    workerapi::StatusDetails contribution;
    contribution.result_hash = result_hash;
    contribution.result_seal = result_hash;
    contribution.result_digest = *digest;
    report(R::kContributed, contribution);
    // The consensus, as the chain side applies it.
    scheduler::CoreOptions o;
    o.workerpool = assets_.workerpool;
    o.chain_id = info().chain_id;
    o.signer = key(test::kScheduler);
    scheduler::CoreScheduler chain_side(core_->store(), clock_, o);
    auto consensus = chain_side.apply_consensus(tid, result_hash, clock_.unix_ms() / 1000 + 3000, 1);
    ASSERT_TRUE(consensus && *consensus);
    report(R::kRevealing);
    workerapi::StatusDetails reveal;
    reveal.result_digest = *digest;
    report(R::kRevealed, reveal);
    ASSERT_EQ(status(deal, 0), TaskStatus::kResultUploading);

    const std::string url = core_->url() + "/api/v1/results/" + to_hex(tid.view());
    net::HttpRequest put;
    put.method = "PUT";
    put.url = url;
    put.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/zip"}};
    put.body = "PK not the revealed zip";
    auto refused = http_.request(put);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400U) << refused->body;
    put.body.assign(reinterpret_cast<const char*>(zip.data()), zip.size());
    auto stored = http_.request(put);
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_EQ(stored->status, 200U) << stored->body;
    const json::value answer = json::parse(stored->body);
    EXPECT_NE(std::string(answer.at("resultLink").as_string()).find(to_hex(tid.view())), std::string::npos);
    auto got = http_.get(url);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->status, 200U);
    EXPECT_EQ(got->header("Content-Type").value_or(""), "application/zip");
    EXPECT_EQ(got->body, put.body);
}

}  // namespace
}  // namespace wp
