#include "core_service.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/head_watcher.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/mirror.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/chain/rpc_metrics.hpp>
#include <wp/chain/sql_tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/hex.hpp>
#include <wp/crypto/keystore.hpp>
#include <wp/dashboard/dashboard.hpp>
#include <wp/net/http_server.hpp>
#include <wp/net/websocket.hpp>
#include <wp/service/auth_http.hpp>
#include <wp/service/challenge.hpp>
#include <wp/service/health_http.hpp>
#include <wp/service/logging.hpp>
#include <wp/service/token.hpp>
#include <wp/store/store.hpp>
#include <wp/workerapi/messages.hpp>

#include "chain_time.hpp"
#include "core_scheduler.hpp"
#include "dashboard.hpp"
#include "dashboard_chain.hpp"
#include "deal_intake.hpp"
#include "order_publisher.hpp"
#include "orders_api.hpp"
#include "pool_api.hpp"
#include "result_store.hpp"
#include "scheduler_metrics.hpp"
#include "scheduler_store.hpp"
#include "schema.hpp"
#include "task_intents.hpp"
#include "worker_api.hpp"
#include "worker_scores.hpp"

namespace wp::scheduler {
namespace json = boost::json;
using net::HttpError;
using net::HttpResponse;
using net::Reply;
using net::ServerRequest;

struct CoreService::Impl {
    CoreConfig config;
    std::string url_file;
    Clock* clock{nullptr};                        //!< the host clock (or the test's)
    std::unique_ptr<ChainTimeClock> chain_clock;  //!< chain deadlines: `clock` shifted to the latest block's time
    std::unique_ptr<store::Database> db;
    std::unique_ptr<SchedulerStore> store;
    std::optional<PrivateKey> key;
    std::unique_ptr<chain::JsonRpcClient> rpc;
    std::unique_ptr<chain::EthClient> eth;
    std::unique_ptr<chain::Hub> hub;
    std::uint64_t chain_id{0};
    std::shared_ptr<chain::SqlTxJournal> journal;
    std::unique_ptr<chain::TxManager> txm;
    std::unique_ptr<DealIntake> intake;
    std::unique_ptr<chain::ChainMirror> mirror;
    std::unique_ptr<CoreScheduler> core;
    std::unique_ptr<TaskIntents> intents;
    std::unique_ptr<WorkerScores> scores;  //!< the workers' on-chain scores, read on the "scores" loop
    std::optional<ResultStore> results;
    std::optional<service::TokenKeyring> keyring;
    std::unique_ptr<service::TokenService> tokens;
    service::InMemoryChallengeStore challenge_store;
    std::unique_ptr<service::ChallengeAuth> challenges;
    std::unique_ptr<WorkerApi> worker_api;
    std::unique_ptr<net::HttpServer> server;
    std::shared_ptr<net::WebSocketHub> dashboard_ws;
    std::unique_ptr<OrderPublisher> orders;            //!< the order publishing policy (core.orders.enabled)
    std::unique_ptr<MarketOrdersCache> market_orders;  //!< the open orders without the policy (core.market.url)
    std::unique_ptr<DashboardChain> dashboard_chain;
    std::unique_ptr<LatencyHistograms> latencies;
    //! The dashboard's open orders (docs/scheduler.md /orders "orders"): set by the order publishing policy when it
    //! runs (before the components start); empty: none known.
    OpenOrdersSource open_orders;
    const service::ComponentRunner* runner{nullptr};

    std::atomic<bool> caught_up_once{false};
    bool lost_resubmitted{false};                                     // the chain loop's
    std::uint64_t kill_after_intents{0};                              // WP_TEST_KILL_AFTER_INTENTS, until armed
    std::optional<std::chrono::steady_clock::time_point> ready_from;  // the chain loop's
    std::atomic<bool> chain_failing{false};
    std::atomic<std::uint64_t> intents_in_flight{0};

    //! A stoppable loop thread: a round every `period`, or at once after kick() (kicks during a round coalesce into
    //! one more round).
    struct Loop {
        std::mutex mutex;
        std::condition_variable wake;
        bool stop{false};
        bool kicked{false};
        std::thread thread;
        //! Kicked rounds start at least `min_gap` after the previous round's start (a chain mining a block per
        //! transaction would otherwise keep the loop spinning).
        std::chrono::milliseconds min_gap{0};
        void start(std::function<void()> body, std::chrono::milliseconds period) {
            {
                std::lock_guard lock(mutex);
                stop = false;
                kicked = false;
            }
            thread = std::thread([this, body = std::move(body), period] {
                while (true) {
                    const auto started = std::chrono::steady_clock::now();
                    body();
                    std::unique_lock lock(mutex);
                    wake.wait_for(lock, period, [&] { return stop || kicked; });
                    if (stop) return;
                    if (kicked && min_gap.count() > 0 && wake.wait_until(lock, started + min_gap, [&] { return stop; }))
                        return;
                    kicked = false;
                }
            });
        }
        //! Runs the next round now (or right after the running one). Any thread.
        void kick() {
            {
                std::lock_guard lock(mutex);
                kicked = true;
            }
            wake.notify_all();
        }
        void halt() {
            {
                std::lock_guard lock(mutex);
                stop = true;
            }
            wake.notify_all();
            if (thread.joinable()) thread.join();
        }
    };
    Loop chain_loop, due_loop, dashboard_loop, orders_loop, scores_loop;

    //! The workers' on-chain scores (worker_scores.hpp): marked at registration and after finalizes, read here in one
    //! batched call, off the request path and the chain loop (a slow node delays nothing else).
    std::atomic<bool> scores_failing{false};
    void scores_round() {
        if (!scores->pending()) return;
        auto r = scores->refresh();
        if (!r || r->failed > 0) {
            if (!scores_failing.exchange(true))
                service::log_warn("core: worker scores read failed (retrying)",
                                  {{"error", r ? std::to_string(r->failed) + " reads failed" : r.error().message}});
            return;
        }
        if (scores_failing.exchange(false)) service::log_info("core: worker scores read recovered");
    }

    //! The order publishing policy's thread: a round when workers, backlog or pending rows changed (never on a
    //! request thread; the market's answers never hold a database transaction open).
    std::atomic<bool> orders_failing{false};
    std::uint64_t orders_ticks{0};
    void orders_round() {
        if (market_orders) {
            // Without the policy: the dashboard's open orders, re-read every 10 s.
            if (orders_ticks++ % 10 != 0) return;
            if (auto r = market_orders->refresh(); !r) {
                if (!orders_failing.exchange(true))
                    service::log_warn("core: market orders read failed (retrying)", {{"error", r.error().message}});
            } else if (orders_failing.exchange(false)) {
                service::log_info("core: market orders read recovered");
            }
            return;
        }
        if (auto r = orders->tick(); !r) {
            if (!orders_failing.exchange(true))
                service::log_warn("core: orders round failed (retrying)", {{"error", r.error().message}});
        } else if (orders_failing.exchange(false)) {
            service::log_info("core: orders round recovered");
        }
    }

    //! New blocks seen at once (chain/head_watcher.hpp): each new head kicks the chain loop; core.chain.pollInterval
    //! stays the fallback (no WebSocket, a dropped subscription, a node without it). Null: the RPC URL is not
    //! http:// or core.chain.newHeads is off.
    std::unique_ptr<chain::HeadWatcher> head_watcher;

    bool reconciled{false};  //!< chain thread only
    void chain_round() {
        bool behind = true;
        for (int i = 0; i < 50 && behind; ++i) {
            auto step = mirror->poll();
            if (!step) {
                if (!chain_failing.exchange(true))
                    service::log_warn("core: chain sync failed (retrying)", {{"error", step.error().message}});
                return;
            }
            behind = !step->caught_up || step->retry;
        }
        if (chain_failing.exchange(false)) service::log_info("core: chain sync recovered");
        if (!behind && !caught_up_once.exchange(true)) service::log_info("core: chain synced");
        if (auto head = eth->get_block_by_number(chain::BlockTag::latest()); head && *head)
            chain_clock->observe((*head)->timestamp);
        if (!behind && !reconciled) {
            // Once per start: what the chain did while this core was not watching (TaskIntents::reconcile_with_chain).
            if (auto r = intents->reconcile_with_chain(); !r) {
                service::log_warn("core: reconciliation with the chain failed (retrying)",
                                  {{"error", r.error().message}});
            } else {
                reconciled = true;
                if (*r > 0) service::log_info("core: reconciled with the chain", {{"tasks", std::to_string(*r)}});
            }
        }
        auto observations = intake->take_observations();
        std::vector<chain::TxOutcome> outcomes;
        if (txm->in_flight() > 0) {
            auto polled = txm->poll();
            if (!polled) service::log_warn("core: transaction round failed", {{"error", polled.error().message}});
            else outcomes = std::move(*polled);
        }
        if (kill_after_intents != 0) {
            // The crash-test seam is armed once the daemon has answered /ready for a second (a test starting it
            // waits for /ready: a core dying before would look like a start-up failure).
            const auto now = std::chrono::steady_clock::now();
            if (!ready_from && ready().healthy) ready_from = now;
            if (ready_from && now - *ready_from >= std::chrono::seconds(1)) {
                intents->arm_kill_after_intents(kill_after_intents);
                kill_after_intents = 0;
            }
        }
        if (!lost_resubmitted) {
            // Once per start: intents whose key reached a task row but not the journal (a crash in between).
            if (auto r = intents->resubmit_lost(); !r) {
                service::log_warn("core: resubmitting lost intents failed", {{"error", r.error().message}});
            } else {
                lost_resubmitted = true;
                if (*r > 0) service::log_info("core: lost intents resubmitted", {{"tasks", std::to_string(*r)}});
            }
        }
        if (auto r = intents->round(outcomes, observations); !r)
            service::log_warn("core: intents round failed", {{"error", r.error().message}});
        intents_in_flight = txm->in_flight();
    }

    void due_round() {
        if (auto r = core->run_due(); !r) service::log_warn("core: timers failed", {{"error", r.error().message}});
        if (auto r = core->check_liveness(); !r)
            service::log_warn("core: liveness check failed", {{"error", r.error().message}});
        if (auto r = core->assign_round(); !r)
            service::log_warn("core: assignment round failed", {{"error", r.error().message}});
        if (latencies) {
            if (auto r = latencies->update(*store, clock->unix_ms()); !r)
                service::log_warn("core: latency metrics failed", {{"error", r.error().message}});
        }
        // The dashboard's reads only when a dashboard listens (they cost CPU every round otherwise).
        if (dashboard_ws && dashboard_ws->connections() > 0) push_dashboard();
    }

    //! The dashboard's chain side (account cache, fills): its own loop, so a slow RPC delays nothing else.
    void dashboard_round() {
        auto round = dashboard_chain->refresh();
        if (!round) {
            service::log_warn("core: dashboard chain round failed", {{"error", round.error().message}});
            return;
        }
        if (!dashboard_ws) return;
        if (round->account_read) {
            if (auto a = dashboard_account(*store, dashboard_chain->account(), clock->unix_ms()))
                dashboard_ws->publish("dashboard", "account", json::serialize(*a));
        }
        if (round->new_fills > 0) {
            if (auto o = dashboard_orders(*store, config.market_url, std::nullopt, 20))
                dashboard_ws->publish("dashboard", "fills", json::serialize(o->at("fills")));
        }
    }

    //! The dashboard's WebSocket events: "task" for each task whose status changed since the last push (the 100
    //! most recently updated are looked at), "worker" for a worker new or whose liveness changed, then "summary".
    std::map<std::string, std::string> pushed_tasks;  //!< taskId → status last pushed (due thread only)
    std::map<std::string, bool> pushed_workers;       //!< address → alive last pushed
    std::optional<std::int64_t> pushed_failure_ms;    //!< newest failure time pushed (due thread only)
    std::int64_t pushed_minute{-1};                   //!< throughput: minute of the last tick
    std::int64_t pushed_last_hour{-1};                //!< throughput: lastHour total of the last tick
    std::int64_t last_slow_push_ms{0};                //!< failures / throughput: every 5 s at most
    void push_dashboard() {
        const std::int64_t now = clock->unix_ms();
        // The failure and throughput reads cost ~0.4 / 1.5 ms of CPU at 10,000 tasks a day (dashboard_benchmark):
        // they run every 5 s, not every round.
        if (now - last_slow_push_ms >= 5000 || now < last_slow_push_ms) {
            last_slow_push_ms = now;
            push_failures_and_throughput(now);
        }
        push_tasks_workers_summary();
    }
    void push_failures_and_throughput(std::int64_t now) {
        // "failure": each failure newer than the newest pushed (the first round only sets the mark).
        if (auto f = dashboard_failures(*store, 20)) {
            const auto& list = f->at("failures").as_array();
            std::int64_t newest = pushed_failure_ms.value_or(0);
            for (auto it = list.rbegin(); it != list.rend(); ++it) {
                const std::int64_t at = it->at("atMs").as_int64();
                if (pushed_failure_ms && at > *pushed_failure_ms)
                    dashboard_ws->publish("dashboard", "failure", json::serialize(*it));
                newest = std::max(newest, at);
            }
            pushed_failure_ms = newest;
        }
        // "throughput": the per-minute series when the minute turns or a completion lands.
        if (auto t = dashboard_throughput(*store, now, 60, 24)) {
            const std::int64_t last_hour = t->at("total").at("lastHour").as_int64();
            if (now / 60'000 != pushed_minute || last_hour != pushed_last_hour) {
                pushed_minute = now / 60'000;
                pushed_last_hour = last_hour;
                dashboard_ws->publish("dashboard", "throughput", json::serialize(*t));
            }
        }
    }
    void push_tasks_workers_summary() {
        TaskQuery recent;
        recent.limit = 100;
        if (auto tasks = dashboard_tasks(*store, recent)) {
            if (pushed_tasks.size() > 100000) pushed_tasks.clear();
            const auto& list = tasks->at("tasks").as_array();
            for (auto it = list.rbegin(); it != list.rend(); ++it) {
                const auto& t = it->as_object();
                const std::string id(t.at("taskId").as_string());
                const std::string status(t.at("status").as_string());
                auto& last = pushed_tasks[id];
                if (last == status) continue;
                last = status;
                json::object event{{"taskId", t.at("taskId")},
                                   {"dealId", t.at("dealId")},
                                   {"index", t.at("index")},
                                   {"status", t.at("status")},
                                   {"updatedMs", t.at("updatedMs")}};
                dashboard_ws->publish("dashboard", "task", json::serialize(event));
            }
        }
        if (auto workers = dashboard_workers(*store)) {
            for (const auto& w : workers->at("workers").as_array()) {
                const std::string address(w.at("address").as_string());
                const bool alive = w.at("alive").as_bool();
                auto found = pushed_workers.find(address);
                if (found != pushed_workers.end() && found->second == alive) continue;
                pushed_workers[address] = alive;
                dashboard_ws->publish("dashboard", "worker", json::serialize(w));
            }
        }
        if (auto s = dashboard_summary(*store, summary_context()))
            dashboard_ws->publish("dashboard", "summary", json::serialize(*s));
    }

    SummaryContext summary_context() const {
        SummaryContext c;
        c.workerpool = config.workerpool;
        c.chain_id = chain_id;
        c.owner = key->address();
        c.now_ms = clock->unix_ms();
        c.intents_in_flight = intents_in_flight.load();
        return c;
    }

    net::HealthReport ready() const {
        const bool running = runner == nullptr || runner->ready();
        if (running && caught_up_once.load()) return {};
        net::HealthReport r;
        r.healthy = false;
        r.json_body = "{\"status\":\"starting\"}";
        return r;
    }

    void install_routes();
};

namespace {

Reply json_ok(const json::value& v) { return HttpResponse::json(200, json::serialize(v)); }

HttpError failure(const Error& e) {
    service::log_warn("core: request failed", {{"error", e.message}});
    return HttpError::from(e);
}

class LoopComponent final : public service::Component {
  public:
    LoopComponent(std::string name, CoreService::Impl::Loop& loop, std::function<void()> body,
                  std::chrono::milliseconds period)
        : name_(std::move(name)), loop_(loop), body_(std::move(body)), period_(period) {}
    std::string_view name() const override { return name_; }
    Result<void> start() override {
        loop_.start(body_, period_);
        return {};
    }
    void stop(service::StopMode) override { loop_.halt(); }

  private:
    std::string name_;
    CoreService::Impl::Loop& loop_;
    std::function<void()> body_;
    std::chrono::milliseconds period_;
};

class HeadWatcherComponent final : public service::Component {
  public:
    explicit HeadWatcherComponent(CoreService::Impl& impl) : impl_(impl) {}
    std::string_view name() const override { return "heads"; }
    Result<void> start() override {
        impl_.head_watcher->start();
        return {};
    }
    void stop(service::StopMode) override { impl_.head_watcher->stop(); }

  private:
    CoreService::Impl& impl_;
};

class HttpComponent final : public service::Component {
  public:
    explicit HttpComponent(CoreService::Impl& impl) : impl_(impl), inner_(*impl.server, "http") {}
    std::string_view name() const override { return "http"; }
    Result<void> start() override {
        WP_TRY_VOID(inner_.start());
        const std::string url = impl_.server->base_url();
        service::log_info("core: listening", {{"url", url}, {"dashboard", url + "/dashboard/"}});
        if (!impl_.url_file.empty()) {
            const std::string tmp = impl_.url_file + ".tmp";
            {
                std::ofstream f(tmp, std::ios::trunc);
                f << url << "\n";
                if (!f) return make_error(Errc::kIo, "core url file: cannot write " + tmp);
            }
            std::error_code ec;
            std::filesystem::rename(tmp, impl_.url_file, ec);
            if (ec) return make_error(Errc::kIo, "core url file: " + ec.message());
        }
        return {};
    }
    void stop(service::StopMode mode) override { inner_.stop(mode); }

  private:
    CoreService::Impl& impl_;
    service::HttpServerComponent inner_;
};

}  // namespace

void CoreService::Impl::install_routes() {
    net::HttpServer& s = *server;
    worker_api->install(s);
    Impl* self = this;

    // Results: download (public) and upload (the uploader's bearer token, verified against its revealed digest).
    const service::Authenticator bearer =
        service::bearer_authenticator(*tokens, std::string(workerapi::kTokenAudience));
    auto download = [self](const ServerRequest& request) -> Reply {
        auto id = bytes32_from_hex(request.param("taskId").value_or(""));
        if (!id) return tl::unexpected(HttpError::bad_request(id.error().with_context("taskId")));
        auto zip = self->results->get(*id);
        if (!zip) return tl::unexpected(failure(zip.error()));
        if (!*zip) return tl::unexpected(HttpError{404, "no result for task " + to_hex(id->view()), {}});
        HttpResponse r;
        r.status = 200;
        r.body.assign(reinterpret_cast<const char*>((*zip)->data()), (*zip)->size());
        r.headers.push_back({"Content-Type", "application/zip"});
        return r;
    };
    auto upload = [self, bearer](const ServerRequest& request) -> Reply {
        auto who = bearer(request.headers);
        if (!who) {
            service::log_warn("result upload refused", {{"remote", request.remote}, {"reason", who.error().message}});
            return tl::unexpected(HttpError{401, "invalid authorization", {{"WWW-Authenticate", "Bearer"}}});
        }
        auto id = bytes32_from_hex(request.param("taskId").value_or(""));
        if (!id) return tl::unexpected(HttpError::bad_request(id.error().with_context("taskId")));
        auto task = self->store->task_by_id(*id);
        if (!task) return tl::unexpected(failure(task.error()));
        if (!*task) return tl::unexpected(HttpError{404, "unknown task " + to_hex(id->view()), {}});
        auto rep = self->store->replicate((*task)->key, who->address);
        if (!rep) return tl::unexpected(failure(rep.error()));
        // TEE at trust ≤ 1 (TEE SIMULATION): no reveal; the worker that computed the task uploads before its
        // contributeAndFinalize, and the archive is checked against the digest it reported with COMPUTED.
        bool tee_upload = false;
        if ((*task)->status == TaskStatus::kRunning && *rep) {
            auto deal = self->core->deal_of((*task)->key.deal_id);
            if (!deal) return tl::unexpected(failure(deal.error()));
            const ReplicateStatus rs = (*rep)->status;
            tee_upload = needs_enclave(deal->tag) && deal->trust <= 1 &&
                         (rs == ReplicateStatus::kComputed || rs == ReplicateStatus::kContributeAndFinalizeOngoing);
        }
        if (!tee_upload && (*task)->uploader != who->address)
            return tl::unexpected(HttpError{
                403, "worker " + who->address.to_checksum() + " was not asked to upload the result of this task", {}});
        if (!*rep || !(*rep)->details.result_digest)
            return tl::unexpected(HttpError{409, "no revealed digest for this worker", {}});
        const auto* data = reinterpret_cast<const std::uint8_t*>(request.body.data());
        auto sha = self->results->put(*id, ByteView(data, request.body.size()), *(*rep)->details.result_digest);
        if (!sha)
            return tl::unexpected(
                HttpError::from(sha.error()).status == 500
                    ? failure(sha.error())
                    : HttpError{sha.error().code == Errc::kTooLarge ? 413u : 400u, sha.error().message, {}});
        const std::string base = self->config.public_url.empty() ? self->server->base_url() : self->config.public_url;
        return json_ok(json::object{{"sha256", to_hex(sha->view())},
                                    {"resultLink", result_link_json("pool", result_location(base, *id))}});
    };
    for (const std::string prefix : {"/api/v1/results", "/results"}) {
        s.handle("GET", prefix + "/:taskId", download);
        s.handle("PUT", prefix + "/:taskId", upload);
    }

    // The dashboard's JSON API (pool_api.hpp; /api/v1/pool/… are aliases).
    DashboardSources sources;
    sources.context = [self] { return self->summary_context(); };
    sources.intents = [self](const std::string& intent_key) -> std::optional<IntentView> {
        auto found = self->txm->find(intent_key);
        if (!found) return std::nullopt;
        IntentView v;
        v.status = chain::to_string(found->status);
        v.tx_hash = found->hash;
        v.block = found->block;
        if (found->error) v.error = found->error->message;
        return v;
    };
    sources.account = [self] { return self->dashboard_chain->account(); };
    sources.open_orders = [self]() -> std::optional<json::array> {
        if (!self->open_orders) return std::nullopt;
        return self->open_orders();
    };
    sources.market_url = config.market_url;
    install_dashboard_api(s, *store, std::move(sources));
    dashboard_ws = s.websocket("/api/v1/dashboard/ws", net::WebSocketOptions{});

    // Health, readiness, metrics.
    s.route("GET", "/health", net::health_handler([] { return net::HealthReport{}; }));
    s.route("GET", "/ready", net::health_handler([self] { return self->ready(); }));
    s.route("GET", "/metrics", [self](const ServerRequest&) -> HttpResponse {
        auto& registry = self->server->metrics();
        if (auto r = refresh_metrics(*self->store, registry); !r)
            service::log_warn("core: metrics refresh failed", {{"error", r.error().message}});
        registry.gauge("wp_core_intents_in_flight", "transactions of on-chain intents not yet final")
            .set(static_cast<double>(self->intents_in_flight.load()));
        registry.gauge("wp_core_chain_synced", "1 once the chain mirror caught up")
            .set(self->caught_up_once.load() ? 1.0 : 0.0);
        chain::export_rpc_counts(chain::process_rpc_counts(), registry);
        HttpResponse r;
        r.status = 200;
        r.body = registry.render();
        r.headers.push_back({"Content-Type", "text/plain; version=0.0.4"});
        return r;
    });
}

CoreService::CoreService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CoreService::~CoreService() {
    if (!impl_) return;
    impl_->orders_loop.halt();
    impl_->scores_loop.halt();
    impl_->dashboard_loop.halt();
    impl_->due_loop.halt();
    if (impl_->head_watcher) impl_->head_watcher->stop();
    impl_->chain_loop.halt();
    if (impl_->server) impl_->server->stop(std::chrono::milliseconds(500));
}

Result<std::unique_ptr<CoreService>> CoreService::open(const CoreConfig& config, std::string url_file, Clock* clock) {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->url_file = std::move(url_file);
    impl->clock = clock != nullptr ? clock : &system_clock();
    impl->chain_clock = std::make_unique<ChainTimeClock>(*impl->clock);

    // The wallet.
    if (!config.private_key.empty()) {
        auto k = PrivateKey::from_hex(config.private_key);
        if (!k) return make_error(k.error().code, "core.wallet.privateKey: not a private key");
        impl->key.emplace(std::move(*k));
    } else {
        auto read = [](const std::string& path) -> std::optional<std::string> {
            std::ifstream f(path, std::ios::binary);
            if (!f) return std::nullopt;
            std::ostringstream ss;
            ss << f.rdbuf();
            return ss.str();
        };
        auto ks = read(config.keystore);
        if (!ks) return make_error(Errc::kIo, "core.wallet.keystore: cannot read " + config.keystore);
        auto pw = read(config.password_file);
        if (!pw) return make_error(Errc::kIo, "core.wallet.passwordFile: cannot read " + config.password_file);
        while (!pw->empty() && (pw->back() == '\n' || pw->back() == '\r')) pw->pop_back();
        auto k = keystore_decrypt(*ks, *pw);
        if (!k) return make_error(k.error().code, "core.wallet.keystore: " + k.error().message);
        impl->key.emplace(std::move(*k));
    }

    // The database.
    store::Options db_options;
    db_options.durability = store::Durability::kFull;
    auto db = store::Database::open(config.db, db_options);
    if (!db) return make_error(db.error().code, "database " + config.db + ": " + db.error().message);
    impl->db = std::make_unique<store::Database>(std::move(*db));
    if (auto v = migrate_scheduler(*impl->db); !v)
        return make_error(v.error().code, "database " + impl->db->name() + ": " + v.error().message);
    if (auto v = migrate_dashboard(*impl->db); !v)
        return make_error(v.error().code, "database " + impl->db->name() + ": " + v.error().message);
    impl->store = std::make_unique<SchedulerStore>(*impl->db);

    // The chain.
    const std::string where = "chain " + config.rpc;
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = config.rpc;
    impl->rpc = std::make_unique<chain::JsonRpcClient>(rpc_options);
    if (auto ws = chain::HeadWatcher::ws_url_for(config.rpc); config.new_heads && ws) {
        auto* loop = &impl->chain_loop;
        impl->head_watcher = std::make_unique<chain::HeadWatcher>(
            chain::HeadWatcherOptions{.url = *ws}, [loop] { loop->kick(); },
            [url = *ws](bool live, const std::string& reason) {
                if (live) service::log_info("core: new blocks seen by an eth_subscribe(newHeads)", {{"url", url}});
                else
                    service::log_info("core: no newHeads subscription (polling the chain every pollInterval)",
                                      {{"url", url}, {"reason", reason}});
            });
    }
    impl->eth = std::make_unique<chain::EthClient>(*impl->rpc);
    auto id = impl->eth->chain_id();
    if (!id) return make_error(id.error().to_error().code, where + ": " + id.error().to_error().message);
    impl->chain_id = *id;
    auto addresses = chain::Hub(*impl->eth, config.hub).resolve_addresses();
    if (!addresses)
        return make_error(addresses.error().kind, where + ": the PoCo hub " + config.hub.to_checksum() +
                                                      " does not answer: " + addresses.error().message);
    impl->hub = std::make_unique<chain::Hub>(*impl->eth, *addresses);
    auto journal = chain::SqlTxJournal::open(*impl->db, "core");
    if (!journal) return make_error(journal.error().code, "database: tx journal: " + journal.error().message);
    impl->journal = std::shared_ptr<chain::SqlTxJournal>(std::move(*journal));
    auto txm = chain::TxManager::open(*impl->rpc, *impl->key, impl->journal);
    if (!txm) return make_error(txm.error().code, where + ": transactions: " + txm.error().message);
    impl->txm = std::move(*txm);

    // The core's data folder (the token keyring and the simulated SMS secret live beside the results).
    std::filesystem::path data_dir = std::filesystem::path(config.results_dir).parent_path();
    if (data_dir.empty()) data_dir = ".";

    CoreOptions core_options;
    {
        std::error_code ec;
        std::filesystem::create_directories(data_dir, ec);
        auto sms = SimulatedSms::open(data_dir);
        if (!sms) return make_error(sms.error().code, sms.error().message);
        core_options.sms = std::move(*sms);
        service::log_info(
            "core: TEE SIMULATION: TEE tasks (scone, gramine, tdx tags) get enclave keys from a "
            "simulated SMS inside the core, handed to their worker; no enclave, no confidentiality",
            {{"label", kTeeSimulationLabel}, {"secretFile", (data_dir / kSimSmsSecretFile).string()}});
    }
    core_options.workerpool = config.workerpool;
    core_options.chain_id = impl->chain_id;
    core_options.signer = *impl->key;
    core_options.heartbeat = config.heartbeat;
    core_options.lost_after = config.lost_after;
    core_options.upload_timeout = config.upload_timeout;
    core_options.upload_retry = config.upload_retry;
    core_options.upload_attempts = config.upload_attempts;
    const std::string base =
        config.public_url.empty() ? "http://" + config.host + ":" + std::to_string(config.port) : config.public_url;
    core_options.upload_url_base = base + "/api/v1/results";
    core_options.liveness_clock = impl->clock;
    impl->core = std::make_unique<CoreScheduler>(*impl->store, *impl->chain_clock, core_options);

    DealIntakeOptions intake;
    intake.chain_id = impl->chain_id;
    intake.hub = config.hub;
    intake.workerpool = config.workerpool;
    intake.start_block = config.start_block;
    intake.confirmations = config.confirmations;
    impl->intake = std::make_unique<DealIntake>(*impl->hub, *impl->store, *impl->chain_clock, intake);
    auto mirror = chain::ChainMirror::open(*impl->eth, *impl->db, *impl->intake, intake_mirror_options(intake));
    if (!mirror) return make_error(mirror.error().code, where + ": mirror: " + mirror.error().message);
    impl->mirror = std::move(*mirror);

    IntentOptions intent_options;
    intent_options.init_mode = config.init_mode;
    intent_options.init_horizon = config.init_horizon;
    intent_options.initialize_batch = static_cast<std::size_t>(config.initialize_batch);
    if (const char* kill = std::getenv("WP_TEST_KILL_AFTER_INTENTS"); kill != nullptr && *kill != '\0')
        impl->kill_after_intents = std::strtoull(kill, nullptr, 10);  // crash tests only (task_intents.hpp)
    impl->scores = std::make_unique<WorkerScores>(*impl->hub, *impl->store);
    impl->scores->mark_all_stored();  // the chain may have moved while this core was not running
    intent_options.on_completed = [scores_impl = impl.get()](const std::vector<Bytes32>& tasks) {
        scores_impl->scores->mark_tasks(tasks);  // their finalize changed their workers' scores
        scores_impl->scores_loop.kick();
    };
    impl->intents = std::make_unique<TaskIntents>(*impl->store, *impl->core, *impl->hub, *impl->txm, *impl->chain_clock,
                                                  intent_options);

    if (config.orders_enabled) {
        OrderPublisherOptions orders;
        orders.market_url = config.market_url;
        orders.chain_id = impl->chain_id;
        orders.hub = config.hub;
        orders.workerpool = config.workerpool;
        orders.offers = config.offers;
        orders.capacity.safety_periods = config.orders_safety_periods;
        orders.capacity.max_volume = config.orders_max_volume;
        orders.refresh = config.orders_refresh;
        chain::Hub* hub = impl->hub.get();
        auto category_time = [hub](std::uint64_t category) -> Result<std::uint64_t> {
            auto c = hub->view_category(U256(category));
            if (!c) return make_error(c.error().kind, c.error().message);
            if (!c->work_clock_time_ref.fits_u64() || c->work_clock_time_ref.is_zero())
                return make_error(Errc::kOverflow, "category " + std::to_string(category) + ": workClockTimeRef " +
                                                       c->work_clock_time_ref.to_dec() + " unusable");
            return c->work_clock_time_ref.low_u64();
        };
        auto publisher = OrderPublisher::open(*impl->db, *impl->store, *impl->clock, *impl->key,
                                              std::move(category_time), std::move(orders));
        if (!publisher) return tl::unexpected(publisher.error());
        impl->orders = std::move(*publisher);
        OrderPublisher* policy = impl->orders.get();
        impl->open_orders = [policy]() -> std::optional<json::array> {
            json::object view = policy->view();
            if (auto* o = view.if_contains("orders"); o != nullptr && o->is_array()) return o->as_array();
            return json::array{};
        };
    } else if (!config.market_url.empty()) {
        auto cache = MarketOrdersCache::create(config.market_url, impl->chain_id, config.workerpool);
        if (!cache) return tl::unexpected(cache.error());
        impl->market_orders = std::move(*cache);
        MarketOrdersCache* market_orders = impl->market_orders.get();
        impl->open_orders = [market_orders] { return market_orders->get(); };
    }

    DashboardChainOptions dash_options;
    dash_options.owner = impl->key->address();
    dash_options.hub = config.hub;
    impl->dashboard_chain =
        std::make_unique<DashboardChain>(*impl->eth, *impl->hub, *impl->store, *impl->clock, dash_options);

    ResultStoreOptions result_options;
    result_options.dir = config.results_dir;
    result_options.max_bytes = config.results_max_bytes;
    auto results = ResultStore::open(result_options);
    if (!results) return make_error(results.error().code, "results dir: " + results.error().message);
    impl->results.emplace(std::move(*results));

    // Worker login and tokens (the keyring beside the results: tokens survive a restart).
    auto keyring = service::TokenKeyring::load_or_create(data_dir.string());
    if (!keyring) return make_error(keyring.error().code, "token keys: " + keyring.error().message);
    impl->keyring.emplace(std::move(*keyring));
    impl->tokens = std::make_unique<service::TokenService>(*impl->keyring, *impl->clock);
    impl->challenges =
        std::make_unique<service::ChallengeAuth>(impl->challenge_store, *impl->clock, worker_login_options());
    WorkerApiOptions api_options;
    api_options.chain_id = impl->chain_id;
    api_options.allow_list = config.allow_list;
    api_options.assign_on_events = true;
    // A contribution or an uploaded result means work for the chain loop (a consensus to read, a finalize to send):
    // it runs at once instead of after core.chain.pollInterval.
    Impl* self = impl.get();
    api_options.on_status = [self](workerapi::ReplicateStatus s) {
        using R = workerapi::ReplicateStatus;
        if (s == R::kContributed || s == R::kResultUploaded || s == R::kContributeAndFinalizeDone)
            self->chain_loop.kick();
    };
    api_options.on_register = [self](const Address& worker) {
        self->scores->mark(worker);
        self->scores_loop.kick();
    };
    impl->worker_api = std::make_unique<WorkerApi>(*impl->core, *impl->tokens, *impl->challenges, api_options);

    net::HttpServerOptions server_options;
    server_options.bind_address = config.host;
    server_options.port = config.port;
    server_options.max_body_bytes = static_cast<std::size_t>(
        std::min<std::uint64_t>(config.results_max_bytes + 4096, std::numeric_limits<std::size_t>::max() / 2));
    server_options.request_timeout = std::chrono::seconds(120);
    impl->server = std::make_unique<net::HttpServer>(server_options);
    impl->install_routes();
    impl->latencies = std::make_unique<LatencyHistograms>(impl->server->metrics());
    if (auto m = dashboard::mount(*impl->server); !m) return make_error(m.error().code, m.error().message);
    return std::unique_ptr<CoreService>(new CoreService(std::move(impl)));
}

std::vector<service::Component*> CoreService::components() {
    if (components_.empty()) {
        Impl* self = impl_.get();
        // Kicked rounds (new heads, contributions, uploaded results) start at most once per pollInterval: on a
        // chain mining a block per transaction the heads come faster than rounds can be useful, and each round
        // costs the node ~10 calls (docs/scheduler.md "Latency levers": back-to-back rounds loaded the node more
        // than they saved). A kick ends the wait of an idle loop; it never makes rounds more frequent.
        self->chain_loop.min_gap = self->config.poll_interval;
        components_.push_back(std::make_unique<LoopComponent>(
            "chain", self->chain_loop, [self] { self->chain_round(); }, self->config.poll_interval));
        if (self->head_watcher) components_.push_back(std::make_unique<HeadWatcherComponent>(*self));
        components_.push_back(std::make_unique<LoopComponent>(
            "due", self->due_loop, [self] { self->due_round(); }, std::chrono::milliseconds(1000)));
        components_.push_back(std::make_unique<LoopComponent>(
            "scores", self->scores_loop, [self] { self->scores_round(); }, std::chrono::milliseconds(5000)));
        components_.push_back(std::make_unique<LoopComponent>(
            "dashboard", self->dashboard_loop, [self] { self->dashboard_round(); }, std::chrono::milliseconds(2000)));
        if (self->orders || self->market_orders)
            components_.push_back(std::make_unique<LoopComponent>(
                "orders", self->orders_loop, [self] { self->orders_round(); }, std::chrono::milliseconds(1000)));
        components_.push_back(std::make_unique<HttpComponent>(*self));
    }
    std::vector<service::Component*> out;
    for (auto& c : components_) out.push_back(c.get());
    return out;
}

void CoreService::attach(const service::ComponentRunner& runner) { impl_->runner = &runner; }
std::string CoreService::url() const { return impl_->server->base_url(); }
std::uint64_t CoreService::chain_id() const { return impl_->chain_id; }
bool CoreService::synced() const { return impl_->caught_up_once.load(); }
SchedulerStore& CoreService::store() { return *impl_->store; }
OrderPublisher* CoreService::orders() { return impl_->orders.get(); }

}  // namespace wp::scheduler
