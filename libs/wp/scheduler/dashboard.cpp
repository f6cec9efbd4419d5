#include "dashboard.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "dashboard_chain.hpp"

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
            // A replicate whose worker did not report its last status yet keeps a finished task: not current.
            if (t && !is_final(t->status)) current.push_back(json::value(to_hex(t->task_id.view())));
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

// ---- One task ----

namespace {

bool is_replicate_failure(ReplicateStatus s) {
    switch (s) {
        case ReplicateStatus::kStartFailed:
        case ReplicateStatus::kAppDownloadFailed:
        case ReplicateStatus::kDataDownloadFailed:
        case ReplicateStatus::kComputeFailed:
        case ReplicateStatus::kContributeFailed:
        case ReplicateStatus::kRevealFailed:
        case ReplicateStatus::kResultUploadFailed:
        case ReplicateStatus::kContributeAndFinalizeFailed:
        case ReplicateStatus::kCompleteFailed:
        case ReplicateStatus::kFailed:
        case ReplicateStatus::kAborted:
        case ReplicateStatus::kWorkerLost: return true;
        default: return false;
    }
}

std::string in_list(const std::vector<std::int64_t>& values) {
    std::string out = "(";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
    return out + ")";
}

std::string sum_dec(const U256& a, const U256& b) {
    auto s = checked_add(a, b);
    return s ? s->to_dec() : std::string("overflow");
}

}  // namespace

Result<std::optional<json::object>> dashboard_task(SchedulerStore& store, const Bytes32& task_id,
                                                   const IntentLookup& intents) {
    WP_TRY(auto found, store.task_by_id(task_id));
    if (!found) return std::optional<json::object>{};
    const TaskRecord& t = *found;
    WP_TRY(auto reps, store.replicates_of_task(t.key));
    json::object o = task_json(t, reps);
    o["dueMs"] = t.due_ms ? json::value(*t.due_ms) : json::value(nullptr);
    o["uploader"] = t.uploader ? json::value(t.uploader->to_checksum()) : json::value(nullptr);

    struct History {
        std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> events;          // status, event, at
        std::map<Address, std::vector<std::pair<std::int64_t, std::int64_t>>> replicate;  // worker → (status, at)
    };
    WP_TRY(History h, store.database().read([&](Tx& tx) -> Result<History> {
        History out;
        WP_TRY(auto rows, tx.query("SELECT status, event, at_ms FROM sched_task_events WHERE deal_id = $1 AND"
                                   " task_index = $2 ORDER BY id",
                                   t.key.deal_id, t.key.index));
        for (const Row& row : rows) {
            WP_TRY(auto s, row.get<std::int64_t>(0));
            WP_TRY(auto e, row.get<std::string>(1));
            WP_TRY(auto at, row.get<std::int64_t>(2));
            out.events.emplace_back(s, std::move(e), at);
        }
        WP_TRY(auto updates, tx.query("SELECT worker, status, at_ms FROM sched_replicate_updates WHERE deal_id = $1"
                                      " AND task_index = $2 ORDER BY at_ms, status",
                                      t.key.deal_id, t.key.index));
        for (const Row& row : updates) {
            WP_TRY(auto w, row.get<Address>(0));
            WP_TRY(auto s, row.get<std::int64_t>(1));
            WP_TRY(auto at, row.get<std::int64_t>(2));
            out.replicate[w].emplace_back(s, at);
        }
        return out;
    }));
    json::array events;
    for (const auto& [s, e, at] : h.events) {
        WP_TRY(auto status, task_status_from_int(s));
        events.push_back(json::object{{"status", to_string(status)}, {"event", e}, {"atMs", at}});
    }
    o["events"] = std::move(events);

    json::array replicates;
    for (const auto& r : reps) {
        json::array history;
        history.push_back(json::object{{"status", "CREATED"}, {"atMs", r.created_ms}});
        for (const auto& [s, at] : h.replicate[r.worker]) {
            WP_TRY(auto status, workerapi::replicate_status_from_int(s));
            history.push_back(json::object{{"status", workerapi::to_string(status)}, {"atMs", at}});
        }
        if (history.back().as_object().at("status").as_string() != workerapi::to_string(r.status))
            history.push_back(json::object{{"status", workerapi::to_string(r.status)}, {"atMs", r.updated_ms}});
        replicates.push_back(json::object{
            {"worker", r.worker.to_checksum()},
            {"status", workerapi::to_string(r.status)},
            {"createdMs", r.created_ms},
            {"updatedMs", r.updated_ms},
            {"txHash", opt_hex(r.details.tx_hash)},
            {"cause", r.details.cause ? json::value(workerapi::to_string(*r.details.cause)) : json::value(nullptr)},
            {"message", r.details.message ? json::value(*r.details.message) : json::value(nullptr)},
            {"history", std::move(history)}});
    }
    o["replicates"] = std::move(replicates);

    json::array intent_list;
    const std::pair<const char*, const std::optional<std::string>*> kinds[] = {{"initialize", &t.initialize_intent},
                                                                               {"finalize", &t.finalize_intent},
                                                                               {"reopen", &t.reopen_intent},
                                                                               {"claim", &t.claim_intent}};
    for (const auto& [kind, key] : kinds) {
        if (!*key) continue;
        json::object i{{"kind", kind},      {"key", **key},     {"status", nullptr},
                       {"txHash", nullptr}, {"block", nullptr}, {"error", nullptr}};
        if (intents) {
            if (auto v = intents(**key)) {
                i["status"] = v->status;
                i["txHash"] = opt_hex(v->tx_hash);
                i["block"] = v->block ? json::value(*v->block) : json::value(nullptr);
                i["error"] = v->error ? json::value(*v->error) : json::value(nullptr);
            }
        }
        intent_list.push_back(std::move(i));
    }
    o["intents"] = std::move(intent_list);

    WP_TRY(auto d, store.deal(t.key.deal_id));
    if (d)
        o["deal"] = json::object{{"app", d->app.to_checksum()},
                                 {"dataset", d->dataset.to_checksum()},
                                 {"requester", d->requester.to_checksum()},
                                 {"category", d->category},
                                 {"trust", d->trust},
                                 {"tag", to_hex(d->tag.view())},
                                 {"iexecArgs", d->iexec_args}};
    else o["deal"] = nullptr;
    return std::optional<json::object>(std::move(o));
}

// ---- Failures ----

Result<json::object> dashboard_failures(SchedulerStore& store, std::size_t limit) {
    limit = std::clamp<std::size_t>(limit, 1, 200);
    const auto n = static_cast<std::int64_t>(limit);
    std::vector<std::int64_t> rep_statuses;
    for (std::uint8_t i = 0; i < workerapi::kReplicateStatusCount; ++i)
        if (is_replicate_failure(static_cast<ReplicateStatus>(i))) rep_statuses.push_back(i);
    using S = TaskStatus;
    const std::vector<std::int64_t> task_statuses = {static_cast<std::int64_t>(S::kInitializeFailed),
                                                     static_cast<std::int64_t>(S::kReopenFailed),
                                                     static_cast<std::int64_t>(S::kFinalizeFailed),
                                                     static_cast<std::int64_t>(S::kContributionTimeout),
                                                     static_cast<std::int64_t>(S::kResultUploadTimeout),
                                                     static_cast<std::int64_t>(S::kFinalDeadlineReached),
                                                     static_cast<std::int64_t>(S::kFailed),
                                                     static_cast<std::int64_t>(S::kRunningFailed)};
    WP_TRY(auto items, store.database().read([&](Tx& tx) -> Result<std::vector<json::object>> {
        std::vector<json::object> out;
        WP_TRY(auto reps, tx.query("SELECT r.deal_id, r.task_index, r.worker, r.status, r.cause, r.message,"
                                   " r.updated_ms, t.task_id FROM sched_replicates r JOIN sched_tasks t ON"
                                   " t.deal_id = r.deal_id AND t.task_index = r.task_index WHERE r.status IN " +
                                       in_list(rep_statuses) + " ORDER BY r.updated_ms DESC LIMIT $1",
                                   n));
        for (const Row& row : reps) {
            WP_TRY(auto deal, row.get<Bytes32>(0));
            WP_TRY(auto index, row.get<std::uint64_t>(1));
            WP_TRY(auto worker, row.get<Address>(2));
            WP_TRY(auto s, row.get<std::int64_t>(3));
            WP_TRY(auto cause, row.get<std::optional<std::int64_t>>(4));
            WP_TRY(auto message, row.get<std::optional<std::string>>(5));
            WP_TRY(auto at, row.get<std::int64_t>(6));
            WP_TRY(auto task, row.get<Bytes32>(7));
            WP_TRY(auto status, workerapi::replicate_status_from_int(s));
            std::string reason;
            if (cause && *cause >= 0 && *cause < 256)
                reason = std::string(workerapi::to_string(static_cast<workerapi::FailureCause>(*cause)));
            if (message && !message->empty()) reason += (reason.empty() ? "" : ": ") + *message;
            if (reason.empty()) reason = std::string(workerapi::to_string(status));
            out.push_back(json::object{{"kind", "replicate"},
                                       {"taskId", to_hex(task.view())},
                                       {"dealId", to_hex(deal.view())},
                                       {"index", index},
                                       {"worker", worker.to_checksum()},
                                       {"status", workerapi::to_string(status)},
                                       {"reason", reason},
                                       {"atMs", at}});
        }
        WP_TRY(auto events, tx.query("SELECT e.deal_id, e.task_index, e.status, e.event, e.at_ms, t.task_id, t.failure"
                                     " FROM sched_task_events e JOIN sched_tasks t ON t.deal_id = e.deal_id AND"
                                     " t.task_index = e.task_index WHERE e.status IN " +
                                         in_list(task_statuses) +
                                         " AND e.event <> 'refused' ORDER BY e.at_ms DESC, e.id DESC LIMIT $1",
                                     n));
        for (const Row& row : events) {
            WP_TRY(auto deal, row.get<Bytes32>(0));
            WP_TRY(auto index, row.get<std::uint64_t>(1));
            WP_TRY(auto s, row.get<std::int64_t>(2));
            WP_TRY(auto event, row.get<std::string>(3));
            WP_TRY(auto at, row.get<std::int64_t>(4));
            WP_TRY(auto task, row.get<Bytes32>(5));
            WP_TRY(auto failure, row.get<std::optional<std::string>>(6));
            WP_TRY(auto status, task_status_from_int(s));
            const char* kind = "task";
            if (status == S::kInitializeFailed || status == S::kReopenFailed || status == S::kFinalizeFailed)
                kind = "intent";
            else if (status == S::kContributionTimeout || status == S::kResultUploadTimeout ||
                     status == S::kFinalDeadlineReached)
                kind = "timeout";
            else if (event == to_string(TaskEvent::kClaimMined)) kind = "claim";
            std::string reason = event;
            if (failure && !failure->empty()) reason += ": " + *failure;
            out.push_back(json::object{{"kind", kind},
                                       {"taskId", to_hex(task.view())},
                                       {"dealId", to_hex(deal.view())},
                                       {"index", index},
                                       {"worker", nullptr},
                                       {"status", to_string(status)},
                                       {"reason", reason},
                                       {"atMs", at}});
        }
        WP_TRY(auto deals, tx.query("SELECT deal_id, refusal, received_ms FROM sched_deals WHERE refusal IS NOT NULL"
                                    " ORDER BY received_ms DESC LIMIT $1",
                                    n));
        for (const Row& row : deals) {
            WP_TRY(auto deal, row.get<Bytes32>(0));
            WP_TRY(auto refusal, row.get<std::string>(1));
            WP_TRY(auto at, row.get<std::int64_t>(2));
            out.push_back(json::object{{"kind", "deal"},
                                       {"taskId", nullptr},
                                       {"dealId", to_hex(deal.view())},
                                       {"index", nullptr},
                                       {"worker", nullptr},
                                       {"status", "REFUSED"},
                                       {"reason", refusal},
                                       {"atMs", at}});
        }
        return out;
    }));
    std::stable_sort(items.begin(), items.end(), [](const json::object& a, const json::object& b) {
        return a.at("atMs").as_int64() > b.at("atMs").as_int64();
    });
    if (items.size() > limit) items.resize(limit);
    json::array list;
    for (auto& i : items) list.push_back(std::move(i));
    return json::object{{"failures", std::move(list)}};
}

// ---- Throughput ----

namespace {

Result<json::array> completion_buckets(Tx& tx, std::int64_t now_ms, std::int64_t bucket_ms, std::size_t count,
                                       std::int64_t& sum) {
    const std::int64_t last = now_ms / bucket_ms;
    const std::int64_t first = last - static_cast<std::int64_t>(count) + 1;
    WP_TRY(auto rows, tx.query("SELECT at_ms / $1 AS k, COUNT(*) FROM sched_task_events WHERE status = $2 AND"
                               " at_ms >= $3 GROUP BY 1",
                               bucket_ms, static_cast<std::int64_t>(TaskStatus::kCompleted), first * bucket_ms));
    std::vector<std::int64_t> counts(count, 0);
    for (const Row& row : rows) {
        WP_TRY(auto k, row.get<std::int64_t>(0));
        WP_TRY(auto c, row.get<std::int64_t>(1));
        if (k >= first && k <= last) counts[static_cast<std::size_t>(k - first)] += c;
    }
    json::array out;
    sum = 0;
    for (std::size_t i = 0; i < count; ++i) {
        sum += counts[i];
        out.push_back(json::object{{"atMs", (first + static_cast<std::int64_t>(i)) * bucket_ms}, {"count", counts[i]}});
    }
    return out;
}

}  // namespace

Result<json::object> dashboard_throughput(SchedulerStore& store, std::int64_t now_ms, std::size_t minutes,
                                          std::size_t hours) {
    minutes = std::clamp<std::size_t>(minutes, 1, 1440);
    hours = std::clamp<std::size_t>(hours, 1, 168);
    return store.database().read([&](Tx& tx) -> Result<json::object> {
        std::int64_t last_hour = 0, last_day = 0;
        WP_TRY(auto by_minute, completion_buckets(tx, now_ms, 60'000, minutes, last_hour));
        WP_TRY(auto by_hour, completion_buckets(tx, now_ms, 3'600'000, hours, last_day));
        return json::object{{"nowMs", now_ms},
                            {"bucketMs", 60'000},
                            {"completed", std::move(by_minute)},
                            {"hourly", json::object{{"bucketMs", 3'600'000}, {"completed", std::move(by_hour)}}},
                            {"total", json::object{{"lastHour", last_hour}, {"lastDay", last_day}}}};
    });
}

// ---- Account ----

Result<json::object> dashboard_account(SchedulerStore& store, const AccountView& account, std::int64_t now_ms,
                                       std::int64_t window_ms) {
    WP_TRY(auto samples, account_snapshots(store, now_ms - window_ms, 500));
    json::object o;
    o["owner"] = account.owner.to_checksum();
    if (account.latest) {
        o["stake"] = account.latest->stake.to_dec();
        o["locked"] = account.latest->locked.to_dec();
        o["total"] = sum_dec(account.latest->stake, account.latest->locked);
        o["updatedMs"] = account.latest->at_ms;
    } else {
        o["stake"] = nullptr;
        o["locked"] = nullptr;
        o["total"] = nullptr;
        o["updatedMs"] = nullptr;
    }
    o["error"] = account.error ? json::value(*account.error) : json::value(nullptr);
    json::array earnings;
    for (const auto& s : samples)
        earnings.push_back(json::object{{"atMs", s.at_ms}, {"total", sum_dec(s.stake, s.locked)}});
    std::string earned = "0";
    if (samples.size() >= 2) {
        auto first = checked_add(samples.front().stake, samples.front().locked);
        auto last = checked_add(samples.back().stake, samples.back().locked);
        if (first && last) {
            if (*last >= *first) {
                auto d = checked_sub(*last, *first);
                earned = d ? d->to_dec() : "0";
            } else {
                auto d = checked_sub(*first, *last);
                earned = d ? "-" + d->to_dec() : "0";
            }
        }
    }
    o["earnings"] = std::move(earnings);
    o["earned"] = earned;
    return o;
}

// ---- Orders ----

Result<json::object> dashboard_orders(SchedulerStore& store, const std::string& market_url,
                                      std::optional<json::array> open_orders, std::size_t limit) {
    limit = std::clamp<std::size_t>(limit, 1, 500);
    WP_TRY(auto fills, store.database().read([&](Tx& tx) -> Result<json::array> {
        WP_TRY(auto rows, tx.query("SELECT deal_id, order_hash, volume, block_number, chain_time, seen_ms FROM"
                                   " dash_order_fills WHERE order_hash IS NOT NULL ORDER BY chain_time DESC,"
                                   " block_number DESC, deal_id LIMIT $1",
                                   static_cast<std::int64_t>(limit)));
        json::array out;
        for (const Row& row : rows) {
            WP_TRY(auto deal, row.get<Bytes32>(0));
            WP_TRY(auto hash, row.get<Bytes32>(1));
            WP_TRY(auto volume, row.get<std::int64_t>(2));
            WP_TRY(auto block, row.get<std::int64_t>(3));
            WP_TRY(auto time, row.get<std::int64_t>(4));
            WP_TRY(auto seen, row.get<std::int64_t>(5));
            out.push_back(json::object{{"orderHash", to_hex(hash.view())},
                                       {"dealId", to_hex(deal.view())},
                                       {"volume", volume},
                                       {"blockNumber", block},
                                       {"timestamp", time},
                                       {"seenMs", seen}});
        }
        return out;
    }));
    json::object o;
    o["market"] = market_url.empty() ? json::value(nullptr) : json::value(market_url);
    o["openOrdersKnown"] = open_orders.has_value();
    o["orders"] = open_orders ? std::move(*open_orders) : json::array{};
    o["fills"] = std::move(fills);
    return o;
}

}  // namespace wp::scheduler
