#pragma once
// The dashboard's read-only JSON API on the scheduler's HttpServer (docs/scheduler.md "HTTP API of the daemon"),
// serving the documents of dashboard.hpp. Public reads (like the reference's anonymous Grafana), no secrets:
//
//   GET /api/v1/dashboard/summary                                  dashboard_summary()
//   GET /api/v1/dashboard/workers                                  dashboard_workers()
//   GET /api/v1/dashboard/tasks?status=S&deal=0x…&limit=N&offset=N dashboard_tasks() (limit 1..500, default 100)
//   GET /api/v1/dashboard/deals?limit=N                            dashboard_deals() (limit 1..500, default 20)
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

//! Registers the routes on `server`; `store` must outlive it. `context` gives the summary's header (workerpool,
//! chain id, owner, now, intents in flight) at each request.
void install_dashboard_api(net::HttpServer& server, SchedulerStore& store, std::function<SummaryContext()> context);

//! install_dashboard_api() with an empty summary header (tests and tools without a chain).
void install_pool_api(net::HttpServer& server, SchedulerStore& store);

}  // namespace wp::scheduler
