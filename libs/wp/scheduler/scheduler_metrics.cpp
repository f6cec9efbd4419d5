#include "scheduler_metrics.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

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

namespace {

constexpr std::int64_t kReplicateSettleMs = 2000;
constexpr std::int64_t kEventBatch = 5000;

}  // namespace

std::vector<double> LatencyHistograms::assignment_buckets() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
}
std::vector<double> LatencyHistograms::completion_buckets() {
    return {1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600};
}
std::vector<double> LatencyHistograms::confirmation_buckets() {
    return {0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900};
}

LatencyHistograms::LatencyHistograms(net::MetricsRegistry& registry) : registry_(registry) {
    // Register the families at once: /metrics shows them (count 0) before the first observation.
    registry_.histogram("wp_scheduler_assignment_latency_seconds",
                        "Time from a task becoming schedulable (INITIALIZED) to its first replicate",
                        assignment_buckets());
    registry_.histogram("wp_scheduler_deal_to_completion_seconds",
                        "Time from the deal's intake to each of its tasks reaching COMPLETED", completion_buckets());
    for (const char* action : {"initialize", "finalize", "reopen", "claim"})
        registry_.histogram("wp_scheduler_intent_confirmation_seconds",
                            "Time from an on-chain intent's submission to its transaction mined",
                            confirmation_buckets(), {{"action", action}});
}

Result<void> LatencyHistograms::update(SchedulerStore& store, std::int64_t now_ms) {
    if (!started_) {
        WP_TRY(auto cursor, store.database().read([](store::Tx& tx) -> Result<std::int64_t> {
            WP_TRY(auto row, tx.query_row("SELECT COALESCE(MAX(id), 0) FROM sched_task_events"));
            return row.get<std::int64_t>(0);
        }));
        event_cursor_ = cursor;
        replica_cursor_ = now_ms - kReplicateSettleMs;
        started_ = true;
        return {};
    }
    auto& assignment = registry_.histogram("wp_scheduler_assignment_latency_seconds", "", assignment_buckets());
    auto& completion = registry_.histogram("wp_scheduler_deal_to_completion_seconds", "", completion_buckets());
    // Events: completions and mined intents, in id order, batch by batch.
    while (true) {
        struct Seen {
            std::int64_t id;
            std::string event;
            std::int64_t at_ms;
            std::optional<std::int64_t> from_ms;
            std::int64_t status;
        };
        WP_TRY(auto batch, store.database().read([&](store::Tx& tx) -> Result<std::vector<Seen>> {
            WP_TRY(auto rows,
                   tx.query("SELECT e.id, e.event, e.at_ms, e.status,"
                            " CASE WHEN e.status = $2 THEN (SELECT d.received_ms FROM sched_deals d WHERE"
                            "   d.deal_id = e.deal_id)"
                            " ELSE (SELECT MAX(s.at_ms) FROM sched_task_events s WHERE s.deal_id = e.deal_id AND"
                            "   s.task_index = e.task_index AND s.id < e.id AND s.event = CASE e.event"
                            "   WHEN 'initialize mined' THEN 'initialize submitted'"
                            "   WHEN 'finalize mined' THEN 'finalize submitted'"
                            "   WHEN 'reopen mined' THEN 'reopen submitted'"
                            "   ELSE 'claim submitted' END) END AS from_ms"
                            " FROM sched_task_events e WHERE e.id > $1 AND (e.status = $2 OR e.event IN"
                            " ('initialize mined', 'finalize mined', 'reopen mined', 'claim mined'))"
                            " ORDER BY e.id LIMIT $3",
                            event_cursor_, static_cast<std::int64_t>(TaskStatus::kCompleted), kEventBatch));
            std::vector<Seen> out;
            for (const auto& row : rows) {
                Seen s;
                WP_TRY(s.id, row.get<std::int64_t>(0));
                WP_TRY(s.event, row.get<std::string>(1));
                WP_TRY(s.at_ms, row.get<std::int64_t>(2));
                WP_TRY(s.status, row.get<std::int64_t>(3));
                WP_TRY(s.from_ms, row.get<std::optional<std::int64_t>>(4));
                out.push_back(std::move(s));
            }
            // The cursor also moves past the events that are not observed.
            WP_TRY(auto max_row, tx.query_row("SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM sched_task_events"
                                              " WHERE id > $1 ORDER BY id LIMIT $2) AS b",
                                              event_cursor_, kEventBatch));
            WP_TRY(auto max_id, max_row.get<std::int64_t>(0));
            if (max_id > 0) out.push_back(Seen{max_id, "", 0, std::nullopt, -1});
            return out;
        }));
        if (batch.empty()) break;
        for (const auto& s : batch) {
            event_cursor_ = std::max(event_cursor_, s.id);
            if (s.status < 0 || !s.from_ms) continue;
            const double seconds = static_cast<double>(std::max<std::int64_t>(0, s.at_ms - *s.from_ms)) / 1000.0;
            if (s.status == static_cast<std::int64_t>(TaskStatus::kCompleted)) {
                completion.observe(seconds);
            } else {
                const std::string action = s.event.substr(0, s.event.find(' '));
                registry_
                    .histogram("wp_scheduler_intent_confirmation_seconds", "", confirmation_buckets(),
                               {{"action", action}})
                    .observe(seconds);
            }
        }
        if (batch.size() < 2) break;  // only the cursor row: caught up
    }
    // Assignments: the first replicate of each task created in (cursor, now − settle].
    const std::int64_t upto = now_ms - kReplicateSettleMs;
    if (upto > replica_cursor_) {
        WP_TRY(auto latencies, store.database().read([&](store::Tx& tx) -> Result<std::vector<std::int64_t>> {
            WP_TRY(auto rows, tx.query("SELECT r.created_ms, (SELECT MAX(e.at_ms) FROM sched_task_events e WHERE"
                                       " e.deal_id = r.deal_id AND e.task_index = r.task_index AND e.status = $3 AND"
                                       " e.at_ms <= r.created_ms) FROM sched_replicates r WHERE r.created_ms > $1 AND"
                                       " r.created_ms <= $2 AND NOT EXISTS (SELECT 1 FROM sched_replicates o WHERE"
                                       " o.deal_id = r.deal_id AND o.task_index = r.task_index AND (o.created_ms <"
                                       " r.created_ms OR (o.created_ms = r.created_ms AND o.worker < r.worker)))",
                                       replica_cursor_, upto, static_cast<std::int64_t>(TaskStatus::kInitialized)));
            std::vector<std::int64_t> out;
            for (const auto& row : rows) {
                WP_TRY(auto created, row.get<std::int64_t>(0));
                WP_TRY(auto ready, row.get<std::optional<std::int64_t>>(1));
                if (ready) out.push_back(std::max<std::int64_t>(0, created - *ready));
            }
            return out;
        }));
        for (auto ms : latencies) assignment.observe(static_cast<double>(ms) / 1000.0);
        replica_cursor_ = upto;
    }
    return {};
}

}  // namespace wp::scheduler
