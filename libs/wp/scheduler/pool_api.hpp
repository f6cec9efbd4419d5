#pragma once
// The pool's read-only JSON API for the dashboard (issue 12), on the scheduler's HttpServer. Public reads (like the
// reference's anonymous Grafana), no secrets:
//
//   GET /api/v1/pool/stats
//       {"tasks":{"<STATUS>":n,...},"workers":{"alive":n,"lost":n},"slots":{"used":n,"total":n}}
//   GET /api/v1/pool/workers
//       [{"address","name","version","cpuSlots","usedSlots","gpu","teeFrameworks":[...],"maxTaskSeconds","alive",
//         "lastSeen" (Unix s),"score" (decimal string),"tasks":["0x<taskId>",...] (unfinished replicates)}]
//   GET /api/v1/pool/tasks?status=<STATUS>&limit=N   (limit 1..500, default 100; newest change first)
//       [{"taskId","dealId","index","status","contributionDeadline","finalDeadline","updated" (Unix ms),
//         "failure"?,"resultLink"?,"replicates":[{"worker","status"}]}]
//   GET /api/v1/pool/deals?limit=N                   (newest first)
//       [{"dealId","app","dataset","requester","botFirst","botSize","trust","tag","categorySeconds",
//         "tasks":{"<STATUS>":n,...}}]
// Unknown query parameters and bad values answer 400 naming the parameter.
//
// Thread safety: install() before the server starts.

#include <wp/net/http_server.hpp>

#include "scheduler_store.hpp"

namespace wp::scheduler {

//! Registers the routes on `server`; `store` must outlive it.
void install_pool_api(net::HttpServer& server, SchedulerStore& store);

}  // namespace wp::scheduler
