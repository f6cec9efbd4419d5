#pragma once
// The dashboard's read-only JSON API on the scheduler's HttpServer (docs/scheduler.md "HTTP API of the daemon"),
// serving the documents of dashboard.hpp. Public reads (like the reference's anonymous Grafana), no secrets:
//
//   GET /api/v1/dashboard/summary                                  dashboard_summary()
//   GET /api/v1/dashboard/workers                                  dashboard_workers()
//   GET /api/v1/dashboard/tasks?status=S&deal=0x…&limit=N&offset=N dashboard_tasks() (limit 1..500, default 100)
//   GET /api/v1/dashboard/deals?limit=N                            dashboard_deals() (limit 1..500, default 20)
//   GET /api/v1/dashboard/tasks/:taskId                            dashboard_task() (404 for an unknown task)
//   GET /api/v1/dashboard/failures?limit=N                         dashboard_failures() (limit 1..200, default 50)
//   GET /api/v1/dashboard/throughput?minutes=N&hours=N             dashboard_throughput() (1..1440 / 1..168)
//   GET /api/v1/dashboard/account                                  dashboard_account() (404 without an account source)
//   GET /api/v1/dashboard/orders?limit=N                           dashboard_orders() (limit 1..500, default 50)
//   GET /tasks/:taskId                                             the task as the iExec SDK's `iexec task debug`
//       reads it from a workerpool API (at the server root: the SDK resolves "/tasks/<id>" against the API URL):
//       {"chainTaskId","chainDealId","taskIndex","currentStatus","dateStatusList":[{"status","date"}…],
//        "replicates":[{"walletAddress","currentStatus","statusUpdateList":[{"status","date"}…],"appExitCode"?}…]}
//       (dates ISO 8601 UTC with milliseconds; 404 for an unknown task)
// None of them calls the chain or the market: the account comes from DashboardChain's cache, open orders from the
// policy's view.
//
// The former /api/v1/pool/{stats,workers,tasks,deals} routes (branch h-sched) are kept as ALIASES of
// summary / workers / tasks / deals: same handlers, same (dashboard) documents.
// Unknown query parameters and bad values answer 400 naming the parameter; a busy database 503 "busy, retry".
//
// Thread safety: install before the server starts; the handlers run on any thread (the store is thread-safe), the
// context callback is called from them.

#include <functional>

#include <wp/net/http_server.hpp>

#include "dashboard.hpp"
#include "scheduler_store.hpp"

namespace wp::scheduler {

//! What the routes read besides the store (every member optional).
struct DashboardSources {
    //! The summary's header (workerpool, chain id, owner, now, intents in flight) at each request; its now_ms is
    //! also the throughput's "now" (empty: the system clock).
    std::function<SummaryContext()> context;
    //! tasks/:taskId's intents (TxManager::find).
    IntentLookup intents;
    //! The owner's cached account (DashboardChain::account); empty: /account answers 404.
    std::function<AccountView()> account;
    //! The open orders of /orders (the publishing policy); empty: "orders": [] and "openOrdersKnown": false.
    OpenOrdersSource open_orders;
    //! /orders' "market".
    std::string market_url;
};

//! Registers the routes on `server`; `store` must outlive it.
void install_dashboard_api(net::HttpServer& server, SchedulerStore& store, DashboardSources sources);
//! Same with only the summary's header.
void install_dashboard_api(net::HttpServer& server, SchedulerStore& store, std::function<SummaryContext()> context);

//! install_dashboard_api() with an empty summary header (tests and tools without a chain).
void install_pool_api(net::HttpServer& server, SchedulerStore& store);

}  // namespace wp::scheduler
