#include "schema.hpp"

#include <array>

namespace wp::scheduler {
namespace {

constexpr const char* kV1 =
    "CREATE TABLE sched_deals ("
    "  deal_id ${blob} NOT NULL PRIMARY KEY,"
    "  app ${blob} NOT NULL, dataset ${blob} NOT NULL, workerpool ${blob} NOT NULL, requester ${blob} NOT NULL,"
    "  callback ${blob} NOT NULL,"
    "  category BIGINT NOT NULL, category_seconds BIGINT NOT NULL,"
    "  tag ${blob} NOT NULL, trust BIGINT NOT NULL,"
    "  bot_first BIGINT NOT NULL, bot_size BIGINT NOT NULL,"
    "  start_time BIGINT NOT NULL, contribution_deadline BIGINT NOT NULL, final_deadline BIGINT NOT NULL,"
    "  app_uri TEXT NOT NULL, app_checksum ${blob} NOT NULL, app_type TEXT NOT NULL,"
    "  dataset_uri TEXT NOT NULL, dataset_checksum ${blob} NOT NULL,"
    "  iexec_args TEXT NOT NULL, input_files TEXT NOT NULL,"
    "  block_number BIGINT NOT NULL, received_ms BIGINT NOT NULL,"
    "  refusal TEXT);"
    "CREATE TABLE sched_tasks ("
    "  deal_id ${blob} NOT NULL, task_index BIGINT NOT NULL,"
    "  task_id ${blob} NOT NULL,"
    "  status SMALLINT NOT NULL, version BIGINT NOT NULL,"
    "  due_ms BIGINT,"
    "  contribution_deadline BIGINT NOT NULL, final_deadline BIGINT NOT NULL, reveal_deadline BIGINT,"
    "  enclave_challenge ${blob} NOT NULL,"
    "  consensus ${blob}, uploader ${blob}, result_link TEXT, callback_data ${blob},"
    "  initialize_intent TEXT, finalize_intent TEXT, reopen_intent TEXT, claim_intent TEXT,"
    "  failure TEXT,"
    "  updated_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (deal_id, task_index));"
    "CREATE UNIQUE INDEX sched_tasks_task_id ON sched_tasks (task_id);"
    "CREATE INDEX sched_tasks_due ON sched_tasks (due_ms);"
    "CREATE INDEX sched_tasks_schedulable ON sched_tasks (status, contribution_deadline, deal_id, task_index);"
    "CREATE TABLE sched_task_events ("
    "  id ${id},"
    "  deal_id ${blob} NOT NULL, task_index BIGINT NOT NULL,"
    "  status SMALLINT NOT NULL, event TEXT NOT NULL, at_ms BIGINT NOT NULL);"
    "CREATE INDEX sched_task_events_task ON sched_task_events (deal_id, task_index, id);"
    "CREATE TABLE sched_workers ("
    "  address ${blob} NOT NULL PRIMARY KEY,"
    "  name TEXT NOT NULL, version TEXT NOT NULL,"
    "  cpu_slots BIGINT NOT NULL, memory_mb BIGINT NOT NULL, gpu BOOLEAN NOT NULL,"
    "  tee_frameworks BIGINT NOT NULL, max_task_seconds BIGINT NOT NULL,"
    "  registered_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL, alive BOOLEAN NOT NULL,"
    "  score ${blob} NOT NULL,"
    "  last_seq BIGINT NOT NULL);"
    "CREATE TABLE sched_replicates ("
    "  deal_id ${blob} NOT NULL, task_index BIGINT NOT NULL, worker ${blob} NOT NULL,"
    "  status SMALLINT NOT NULL, last_relevant SMALLINT NOT NULL, version BIGINT NOT NULL,"
    "  holds_slot BOOLEAN NOT NULL,"
    "  score ${blob} NOT NULL,"
    "  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,"
    "  result_digest ${blob}, result_hash ${blob}, result_seal ${blob}, tx_hash ${blob}, block_number BIGINT,"
    "  result_link TEXT, callback_data ${blob}, cause SMALLINT, message TEXT,"
    "  PRIMARY KEY (deal_id, task_index, worker));"
    "CREATE INDEX sched_replicates_worker ON sched_replicates (worker, holds_slot);"
    "CREATE TABLE sched_replicate_updates ("
    "  deal_id ${blob} NOT NULL, task_index BIGINT NOT NULL, worker ${blob} NOT NULL, status SMALLINT NOT NULL,"
    "  action SMALLINT NOT NULL, abort_cause SMALLINT, at_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (deal_id, task_index, worker, status));"
    "CREATE TABLE sched_notifications ("
    "  worker ${blob} NOT NULL, seq BIGINT NOT NULL,"
    "  task_id ${blob} NOT NULL, action SMALLINT NOT NULL, payload TEXT NOT NULL, created_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (worker, seq));";

const std::array<store::Migration, 1> kMigrations = {
    store::Migration{1, "deals, tasks, workers, replicates, notifications", kV1},
};

}  // namespace

std::span<const store::Migration> scheduler_migrations() { return kMigrations; }

Result<std::int64_t> migrate_scheduler(store::Database& db) {
    return store::migrate(db, kSchemaComponent, scheduler_migrations());
}

}  // namespace wp::scheduler
