#pragma once
// The dashboard's JSON documents (docs/scheduler.md "HTTP API of the daemon"), built from the scheduler's store:
// the daemon serves them under /api/v1/dashboard/… (read-only). Shapes: addresses checksummed, 32-byte values
// 0x-lowercase, times in Unix ms (…Ms) or chain seconds (deadlines), every task status present in counts.
//
// Errors: the store's. Thread safety: as the store (any thread).

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>

#include "scheduler_store.hpp"

namespace wp::scheduler {

struct SummaryContext {
    Address workerpool;
    std::uint64_t chain_id{0};
    Address owner;
    std::int64_t now_ms{0};
    std::uint64_t intents_in_flight{0};
};

//! GET /api/v1/dashboard/summary.
Result<boost::json::object> dashboard_summary(SchedulerStore& store, const SummaryContext& context);
//! GET /api/v1/dashboard/workers.
Result<boost::json::object> dashboard_workers(SchedulerStore& store);

struct TaskQuery {
    std::optional<TaskStatus> status;
    std::optional<Bytes32> deal;
    std::size_t limit{100};  //!< clamped to 1..500
    std::size_t offset{0};
};
//! GET /api/v1/dashboard/tasks?status=&deal=&limit=&offset= (most recently updated first).
Result<boost::json::object> dashboard_tasks(SchedulerStore& store, const TaskQuery& query);
//! GET /api/v1/dashboard/deals?limit= (most recent first).
Result<boost::json::object> dashboard_deals(SchedulerStore& store, std::size_t limit);

}  // namespace wp::scheduler
