#include "scheduler_metrics.hpp"

#include <array>
#include <string>

namespace wp::scheduler {

Result<void> refresh_metrics(SchedulerStore& store, net::MetricsRegistry& registry) {
    struct Counts {
        std::array<std::int64_t, kTaskStatusCount> tasks{};
        std::array<std::int64_t, workerapi::kReplicateStatusCount> replicates{};
        std::int64_t tasks_with_replicates{0};
        std::int64_t alive{0}, lost{0}, used{0}, total{0};
    };
    WP_TRY(Counts c, store.database().read([](store::Tx& tx) -> Result<Counts> {
        Counts out;
        WP_TRY(auto tasks, tx.query("SELECT status, COUNT(*) AS n FROM sched_tasks GROUP BY status"));
        for (const auto& row : tasks) {
            WP_TRY(std::int64_t s, row.get<std::int64_t>("status"));
            WP_TRY(TaskStatus status, task_status_from_int(s));
            WP_TRY(out.tasks[static_cast<std::size_t>(status)], row.get<std::int64_t>("n"));
        }
        WP_TRY(auto reps, tx.query("SELECT status, COUNT(*) AS n FROM sched_replicates GROUP BY status"));
        for (const auto& row : reps) {
            WP_TRY(std::int64_t s, row.get<std::int64_t>("status"));
            WP_TRY(ReplicateStatus status, workerapi::replicate_status_from_int(s));
            WP_TRY(out.replicates[static_cast<std::size_t>(status)], row.get<std::int64_t>("n"));
        }
        WP_TRY(auto with, tx.query_row("SELECT COUNT(*) AS n FROM (SELECT DISTINCT deal_id, task_index FROM"
                                       " sched_replicates) AS t"));
        WP_TRY(out.tasks_with_replicates, with.get<std::int64_t>("n"));
        WP_TRY(auto workers, tx.query("SELECT alive, COUNT(*) AS n, SUM(cpu_slots) AS slots FROM sched_workers GROUP BY"
                                      " alive"));
        for (const auto& row : workers) {
            WP_TRY(bool alive, row.get<bool>("alive"));
            WP_TRY(std::int64_t n, row.get<std::int64_t>("n"));
            WP_TRY(std::int64_t slots, row.get<std::int64_t>("slots"));
            (alive ? out.alive : out.lost) = n;
            if (alive) out.total = slots;
        }
        WP_TRY(auto used, tx.query_row("SELECT COUNT(*) AS n FROM sched_replicates r JOIN sched_workers w ON"
                                       " w.address = r.worker WHERE r.holds_slot AND w.alive"));
        WP_TRY(out.used, used.get<std::int64_t>("n"));
        return out;
    }));
    for (std::uint8_t s = 0; s < kTaskStatusCount; ++s)
        registry
            .gauge("wp_scheduler_tasks", "Tasks per status",
                   {{"status", std::string(to_string(static_cast<TaskStatus>(s)))}})
            .set(static_cast<double>(c.tasks[s]));
    std::int64_t replicates = 0;
    for (std::uint8_t s = 0; s < workerapi::kReplicateStatusCount; ++s) {
        replicates += c.replicates[s];
        registry
            .gauge("wp_scheduler_replicates", "Replicates per status",
                   {{"status", std::string(workerapi::to_string(static_cast<ReplicateStatus>(s)))}})
            .set(static_cast<double>(c.replicates[s]));
    }
    registry.gauge("wp_scheduler_replicates_per_task", "Replicates per task that has at least one")
        .set(c.tasks_with_replicates == 0
                 ? 0.0
                 : static_cast<double>(replicates) / static_cast<double>(c.tasks_with_replicates));
    registry.gauge("wp_scheduler_workers", "Registered workers", {{"state", "alive"}})
        .set(static_cast<double>(c.alive));
    registry.gauge("wp_scheduler_workers", "Registered workers", {{"state", "lost"}}).set(static_cast<double>(c.lost));
    registry.gauge("wp_scheduler_slots", "CPU slots of the alive workers", {{"state", "used"}})
        .set(static_cast<double>(c.used));
    registry.gauge("wp_scheduler_slots", "CPU slots of the alive workers", {{"state", "total"}})
        .set(static_cast<double>(c.total));
    return {};
}

}  // namespace wp::scheduler
