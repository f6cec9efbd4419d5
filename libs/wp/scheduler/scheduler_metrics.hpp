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

//! Latency histograms (Prometheus histogram type, seconds), observed from what the store recorded since the previous
//! update() (the task events after the last seen id; the replicates created since the last update), so that the
//! scheduler's decision code needs no hook:
//!   wp_scheduler_assignment_latency_seconds        a task's first replicate: created_ms − the task's last entry
//!                                                  into INITIALIZED (schedulable → assigned)
//!   wp_scheduler_deal_to_completion_seconds        a task reaching COMPLETED: its time − the deal's intake time
//!   wp_scheduler_intent_confirmation_seconds{action="initialize"|"finalize"|"reopen"|"claim"}
//!                                                  "<action> mined" − the task's latest "<action> submitted"
//! Histograms count from the process start: the first update() starts at what is stored then (nothing older is
//! observed). Replicates are read up to now_ms − 2 s (a write committed late is not missed).
//!
//! Thread safety: update() from one thread at a time (the core's due loop); the histograms are the registry's.
class LatencyHistograms {
  public:
    explicit LatencyHistograms(net::MetricsRegistry& registry);
    Result<void> update(SchedulerStore& store, std::int64_t now_ms);

    //! The bucket bounds (seconds) of the three families.
    static std::vector<double> assignment_buckets();
    static std::vector<double> completion_buckets();
    static std::vector<double> confirmation_buckets();

  private:
    net::MetricsRegistry& registry_;
    bool started_{false};
    std::int64_t event_cursor_{0};    //!< last sched_task_events.id observed
    std::int64_t replica_cursor_{0};  //!< replicates with created_ms ≤ this were observed
};

}  // namespace wp::scheduler
