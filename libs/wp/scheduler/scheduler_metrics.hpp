#pragma once
// Prometheus gauges of the scheduler's state, refreshed from its database (one read transaction):
//   wp_scheduler_tasks{status="RUNNING"}            tasks per status (every status, 0 included)
//   wp_scheduler_replicates{status="COMPUTED"}      replicates per status (every status, 0 included)
//   wp_scheduler_replicates_per_task                 replicates / tasks that have at least one (how much replication
//                                                    consensus costs; 1.0 at trust 1)
//   wp_scheduler_workers{state="alive"|"lost"}
//   wp_scheduler_slots{state="used"|"total"}         CPU slots of the alive workers
// The daemon calls refresh_metrics() before rendering /metrics (or on a timer).
//
// Thread safety: as the registry and the store (any thread).

#include <wp/core/result.hpp>
#include <wp/net/metrics.hpp>

#include "scheduler_store.hpp"

namespace wp::scheduler {

Result<void> refresh_metrics(SchedulerStore& store, net::MetricsRegistry& registry);

}  // namespace wp::scheduler
