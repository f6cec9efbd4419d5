#include "dashboard.hpp"

#include <algorithm>
#include <map>

#include <wp/core/hex.hpp>

namespace wp::scheduler {
namespace json = boost::json;
using store::Param;
using store::Row;
using store::Tx;

namespace {

json::object zero_task_counts() {
    json::object o;
    for (std::uint8_t i = 0; i < kTaskStatusCount; ++i) o[to_string(static_cast<TaskStatus>(i))] = 0;
    return o;
}

json::value opt_hex(const std::optional<Bytes32>& v) {
    return v ? json::value(to_hex(v->view())) : json::value(nullptr);
}

json::object task_json(const TaskRecord& t, const std::vector<ReplicateRecord>& replicates) {
    json::object o;
    o["taskId"] = to_hex(t.task_id.view());
    o["dealId"] = to_hex(t.key.deal_id.view());
    o["index"] = t.key.index;
    o["status"] = to_string(t.status);
    o["updatedMs"] = t.updated_ms;
    o["contributionDeadline"] = t.contribution_deadline;
    o["finalDeadline"] = t.final_deadline;
    o["revealDeadline"] = t.reveal_deadline ? json::value(*t.reveal_deadline) : json::value(nullptr);
    o["consensus"] = opt_hex(t.consensus);
    o["resultLink"] = t.result_link ? json::value(*t.result_link) : json::value(nullptr);
    o["failure"] = t.failure ? json::value(*t.failure) : json::value(nullptr);
    json::array reps;
    for (const auto& r : replicates)
        reps.push_back(json::object{{"worker", r.worker.to_checksum()},
                                    {"status", workerapi::to_string(r.status)},
                                    {"updatedMs", r.updated_ms}});
    o["replicates"] = std::move(reps);
    return o;
}

}  // namespace

Result<json::object> dashboard_summary(SchedulerStore& store, const SummaryContext& c) {
    json::object o;
    o["workerpool"] = c.workerpool.to_checksum();
    o["chainId"] = c.chain_id;
    o["owner"] = c.owner.to_checksum();
    o["nowMs"] = c.now_ms;
    // TEE tasks run under the simulation (sim_sms.hpp): said wherever the pool's status is shown.
    o["tee"] = "simulation";
    json::object tasks = zero_task_counts();
    WP_TRY(auto counts, store.task_counts());
    for (const auto& [status, n] : counts) tasks[to_string(status)] = n;
    o["tasks"] = std::move(tasks);
    WP_TRY(auto reps, store.database().read([](Tx& tx) -> Result<std::map<std::string, std::int64_t>> {
        WP_TRY(auto rows, tx.query("SELECT status, COUNT(*) FROM sched_replicates GROUP BY status"));
        std::map<std::string, std::int64_t> out;
        for (const Row& row : rows) {
            WP_TRY(auto s, row.get<std::int64_t>(0));
            WP_TRY(auto n, row.get<std::int64_t>(1));
            out[std::string(workerapi::to_string(static_cast<workerapi::ReplicateStatus>(s)))] = n;
        }
        return out;
    }));
    json::object replicates;
    for (const auto& [k, n] : reps) replicates[k] = n;
    o["replicates"] = std::move(replicates);
    WP_TRY(auto workers, store.workers());
    std::int64_t alive = 0, lost = 0, used = 0, total = 0;
    for (const auto& w : workers) {
        if (w.alive) {
            ++alive;
            used += w.used_slots;
            total += w.registration.cpu_slots;
        } else {
            ++lost;
        }
    }
    o["workers"] = json::object{{"alive", alive}, {"lost", lost}};
    o["slots"] = json::object{{"used", used}, {"total", total}};
    o["intentsInFlight"] = c.intents_in_flight;
    WP_TRY(auto completed, store.database().read([&](Tx& tx) -> Result<std::int64_t> {
        WP_TRY(auto row, tx.query_row("SELECT COUNT(*) FROM sched_task_events WHERE status = $1 AND at_ms >= $2",
                                      static_cast<std::int64_t>(TaskStatus::kCompleted), c.now_ms - 3'600'000));
        return row.get<std::int64_t>(0);
    }));
    o["completedLastHour"] = completed;
    return o;
}

Result<json::object> dashboard_workers(SchedulerStore& store) {
    WP_TRY(auto workers, store.workers());
    json::array list;
    for (const auto& w : workers) {
        WP_TRY(auto active, store.active_replicates_of_worker(w.address));
        json::array current;
        for (const auto& r : active) {
            WP_TRY(auto t, store.task(r.task));
            if (t) current.push_back(json::value(to_hex(t->task_id.view())));
        }
        json::array tee;
        for (auto f : w.registration.tee_frameworks) tee.push_back(json::value(workerapi::to_string(f)));
        list.push_back(json::object{{"address", w.address.to_checksum()},
                                    {"name", w.registration.name},
                                    {"version", w.registration.version},
                                    {"alive", w.alive},
                                    {"cpuSlots", w.registration.cpu_slots},
                                    {"usedSlots", w.used_slots},
                                    {"memoryMb", w.registration.memory_mb},
                                    {"gpu", w.registration.gpu},
                                    {"teeFrameworks", std::move(tee)},
                                    {"maxTaskSeconds", w.registration.max_task_seconds},
                                    {"score", w.score.to_dec()},
                                    {"registeredMs", w.registered_ms},
                                    {"lastSeenMs", w.last_seen_ms},
                                    {"currentTasks", std::move(current)}});
    }
    return json::object{{"workers", std::move(list)}};
}

Result<json::object> dashboard_tasks(SchedulerStore& store, const TaskQuery& q) {
    const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, 500);
    std::string where = " WHERE 1 = 1";
    std::vector<Param> params;
    if (q.status) {
        params.emplace_back(static_cast<std::int64_t>(*q.status));
        where += " AND status = $" + std::to_string(params.size());
    }
    if (q.deal) {
        params.emplace_back(*q.deal);
        where += " AND deal_id = $" + std::to_string(params.size());
    }
    std::int64_t total = 0;
    std::vector<TaskKey> keys;
    WP_TRY_VOID(store.database().read([&](Tx& tx) -> Result<void> {
        WP_TRY(auto total_row, tx.query_row_params("SELECT COUNT(*) FROM sched_tasks" + where, params));
        WP_TRY(total, total_row.get<std::int64_t>(0));
        auto page_params = params;
        page_params.emplace_back(static_cast<std::int64_t>(limit));
        page_params.emplace_back(static_cast<std::int64_t>(q.offset));
        WP_TRY(auto rows,
               tx.query_params("SELECT deal_id, task_index FROM sched_tasks" + where +
                                   " ORDER BY updated_ms DESC, deal_id, task_index LIMIT $" +
                                   std::to_string(params.size() + 1) + " OFFSET $" + std::to_string(params.size() + 2),
                               page_params));
        for (const Row& row : rows) {
            WP_TRY(auto deal, row.get<Bytes32>(0));
            WP_TRY(auto idx, row.get<std::uint64_t>(1));
            keys.push_back(TaskKey{deal, idx});
        }
        return {};
    }));
    json::array tasks;
    for (const auto& key : keys) {
        WP_TRY(auto t, store.task(key));
        if (!t) continue;
        WP_TRY(auto reps, store.replicates_of_task(key));
        tasks.push_back(task_json(*t, reps));
    }
    return json::object{{"total", total}, {"tasks", std::move(tasks)}};
}

Result<json::object> dashboard_deals(SchedulerStore& store, std::size_t limit) {
    limit = std::clamp<std::size_t>(limit, 1, 500);
    WP_TRY(auto ids, store.database().read([&](Tx& tx) -> Result<std::vector<Bytes32>> {
        WP_TRY(auto rows, tx.query("SELECT deal_id FROM sched_deals ORDER BY received_ms DESC, deal_id LIMIT $1",
                                   static_cast<std::int64_t>(limit)));
        std::vector<Bytes32> out;
        for (const Row& row : rows) {
            WP_TRY(auto id, row.get<Bytes32>(0));
            out.push_back(id);
        }
        return out;
    }));
    json::array deals;
    for (const auto& id : ids) {
        WP_TRY(auto d, store.deal(id));
        if (!d) continue;
        WP_TRY(auto counts,
               store.database().read([&](Tx& tx) -> Result<std::vector<std::pair<std::int64_t, std::int64_t>>> {
                   WP_TRY(auto rows,
                          tx.query("SELECT status, COUNT(*) FROM sched_tasks WHERE deal_id = $1 GROUP BY status", id));
                   std::vector<std::pair<std::int64_t, std::int64_t>> out;
                   for (const Row& row : rows) {
                       WP_TRY(auto s, row.get<std::int64_t>(0));
                       WP_TRY(auto n, row.get<std::int64_t>(1));
                       out.emplace_back(s, n);
                   }
                   return out;
               }));
        json::object tasks = zero_task_counts();
        std::int64_t completed = 0, failed = 0;
        for (const auto& [s, n] : counts) {
            WP_TRY(auto status, task_status_from_int(s));
            tasks[to_string(status)] = n;
            if (status == TaskStatus::kCompleted) completed = n;
            if (status == TaskStatus::kFailed) failed = n;
        }
        deals.push_back(json::object{{"dealId", to_hex(id.view())},
                                     {"app", d->app.to_checksum()},
                                     {"dataset", d->dataset.to_checksum()},
                                     {"requester", d->requester.to_checksum()},
                                     {"category", d->category},
                                     {"tag", to_hex(d->tag.view())},
                                     {"trust", d->trust},
                                     {"botFirst", d->bot_first},
                                     {"botSize", d->bot_size},
                                     {"startTime", d->start_time},
                                     {"contributionDeadline", d->contribution_deadline},
                                     {"finalDeadline", d->final_deadline},
                                     {"refusal", d->refusal ? json::value(*d->refusal) : json::value(nullptr)},
                                     {"tasks", std::move(tasks)},
                                     {"completed", completed},
                                     {"failed", failed}});
    }
    return json::object{{"deals", std::move(deals)}};
}

}  // namespace wp::scheduler
