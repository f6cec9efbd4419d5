#pragma once
// The core scheduler's tables (component "scheduler" of store::migrate), the same on SQLite and PostgreSQL.
//
//   sched_deals          one row per accepted (or refused) deal: what every task of it needs (app, dataset, category
//                        time, tag, trust, bag bounds, deadlines), the block it was seen in
//   sched_tasks          one row per task, keyed by (deal_id, task_index) — not by the task hash — with task_id unique;
//                        status + version (compare-and-set on both), due_ms: the durable due-time of the task's next
//                        timer (BOINC's transition_time: the earliest of its deadlines, retries and upload timeouts;
//                        NULL when nothing is due), one column per on-chain action holding its TxManager intent key
//                        (initialize_intent, finalize_intent, reopen_intent, claim_intent), consensus, deadlines,
//                        uploader, result link, failure reason
//   sched_task_events    the task's history: (deal, index, status, event, time) appended by every transition
//   sched_workers        registered workers: capacity, last heartbeat, alive flag, on-chain score cache, and last_seq,
//                        the sequence of the worker's notification inbox
//   sched_replicates     one row per (task, worker): status, last relevant status, version, holds_slot (the replicate
//                        occupies one of the worker's CPU slots), the contribution details the worker reported
//   sched_replicate_updates  the answer given to each accepted (task, worker, status) update: a retried update gets
//                        the same answer (idempotency)
//   sched_notifications  each worker's inbox (worker, seq) → the notification JSON, delivered by WebSocket and
//                        long-poll
//
// Enum columns hold the numbers of TaskStatus / ReplicateStatus / Action (never renumbered).

#include <span>

#include <wp/core/result.hpp>
#include <wp/store/store.hpp>

namespace wp::scheduler {

inline constexpr std::string_view kSchemaComponent = "scheduler";

//! The migrations, oldest first.
std::span<const store::Migration> scheduler_migrations();

//! store::migrate(db, "scheduler", scheduler_migrations()).
Result<std::int64_t> migrate_scheduler(store::Database& db);

}  // namespace wp::scheduler
