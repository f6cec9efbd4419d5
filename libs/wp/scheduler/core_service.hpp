#pragma once
// CoreService: `iexec-pool core` assembled from its parts (docs/scheduler.md "The daemon").
//
//   open():  the database (CoreConfig::db, scheduler schema migrated), the wallet (core.wallet.*), the chain
//            (JSON-RPC client, eth_chainId, Hub, TxManager with its SqlTxJournal in the same database, the
//            ChainMirror with DealIntake), CoreScheduler, TaskIntents, ResultStore, the token keyring (in the
//            results folder's parent: tokens stay valid across restarts), and ONE HttpServer carrying:
//              the worker API (WorkerApi::install, /api/v1/…),
//              PUT /api/v1/results/:taskId (also /results/:taskId): the uploader's result zip (Bearer token of the
//                worker asked to upload), verified by ResultStore::put against the digest that worker revealed,
//              GET /api/v1/results/:taskId (also /results/:taskId): the stored zip (application/zip), 404 otherwise,
//              GET /api/v1/dashboard/{summary,workers,tasks,tasks/:taskId,deals,failures,throughput,account,orders}
//                (dashboard.hpp documents) and the WebSocket /api/v1/dashboard/ws (topic "dashboard": "task",
//                "worker", "failure", "throughput", "summary" after each due-time round; "account" after each read of
//                the owner's account, "fills" when new fills were found),
//              the page (dashboard::mount) at /dashboard/, /health, /ready, /metrics.
//            Nothing is started.
//   components (service::ComponentRunner, start order; stopped in reverse):
//     "chain"  a thread: mirror poll → TaskIntents::round(TxManager round's outcomes, intake observations);
//     "due"    a thread on the service's Clock: run_due, check_liveness, assign_round, latency histograms, the
//              dashboard's WebSocket events;
//     "dashboard" a thread every 2 s: DashboardChain::refresh (the owner's account, the OrdersMatched fills);
//     "orders" a thread, with core.orders.enabled: OrderPublisher::tick() every second (order_publisher.hpp); else with
//              core.market.url: the dashboard's open orders re-read from the market every 10 s (orders_api.hpp);
//     "http"   the server; once it listens its URL is logged and written to url_file (when set).
// GET /ready answers 503 {"status":"starting"} until the mirror caught up once and the runner is running.
//
// Thread safety: open() and the components' start/stop from one thread; the accessors from any thread.

#include <memory>
#include <string>
#include <vector>

#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/service/lifecycle.hpp>

#include "core_settings.hpp"

namespace wp::scheduler {

class SchedulerStore;
class OrderPublisher;

class CoreService {
  public:
    //! Builds everything. Errors name the part: "database sqlite:/x: …", "chain http://…: eth_chainId: …",
    //! "core.wallet: …", "results dir: …".
    static Result<std::unique_ptr<CoreService>> open(const CoreConfig& config, std::string url_file = {},
                                                     Clock* clock = nullptr);
    ~CoreService();
    CoreService(const CoreService&) = delete;
    CoreService& operator=(const CoreService&) = delete;

    //! The components in start order ("chain", "due", ["orders",] "http").
    std::vector<service::Component*> components();
    //! Lets /ready follow the runner's state. Call before start.
    void attach(const service::ComponentRunner& runner);

    //! "http://host:port" once "http" started.
    std::string url() const;
    std::uint64_t chain_id() const;
    //! True once the chain mirror caught up at least once.
    bool synced() const;
    //! The scheduler's store (tests, tools).
    SchedulerStore& store();
    //! The order publishing policy, nullptr unless core.orders.enabled (tests, tools).
    OrderPublisher* orders();

    struct Impl;

  private:
    explicit CoreService(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    std::vector<std::unique_ptr<service::Component>> components_;
};

}  // namespace wp::scheduler
