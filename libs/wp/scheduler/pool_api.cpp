#include "pool_api.hpp"

#include <map>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::scheduler {
namespace {

namespace json = boost::json;
using net::HttpError;
using net::HttpResponse;
using net::Reply;
using net::ServerRequest;

Reply ok(const json::value& v) { return HttpResponse::json(200, json::serialize(v)); }

HttpError failure(const Error& e) {
    if (e.code == Errc::kIo || e.code == Errc::kTimeout) return HttpError{503, "busy, retry", {}};
    return HttpError::from(e);
}

std::string h32(const Bytes32& b) { return to_hex(b.view()); }

json::object counts_json(const std::vector<std::pair<TaskStatus, std::int64_t>>& counts) {
    json::object o;
    for (const auto& [s, n] : counts) o[to_string(s)] = n;
    return o;
}

//! limit=N in [1, 500] (default 100).
tl::expected<std::size_t, HttpError> limit_of(const net::QueryParams& q) {
    const auto text = q.get("limit");
    if (!text) return std::size_t{100};
    auto v = U256::from_dec(*text);
    if (!v || *v < U256(1) || *v > U256(500)) return tl::unexpected(HttpError{400, "limit: must be 1 to 500", {}});
    return static_cast<std::size_t>(v->low_u64());
}

}  // namespace

void install_pool_api(net::HttpServer& server, SchedulerStore& store) {
    const std::string p = "/api/v1/pool";

    server.handle("GET", p + "/stats", [&store](const ServerRequest&) -> Reply {
        auto counts = store.task_counts();
        if (!counts) return tl::unexpected(failure(counts.error()));
        auto workers = store.workers();
        if (!workers) return tl::unexpected(failure(workers.error()));
        std::int64_t alive = 0, lost = 0, used = 0, total = 0;
        for (const auto& w : *workers) {
            if (!w.alive) {
                ++lost;
                continue;
            }
            ++alive;
            used += w.used_slots;
            total += w.registration.cpu_slots;
        }
        return ok(json::object{{"tasks", counts_json(*counts)},
                               {"workers", json::object{{"alive", alive}, {"lost", lost}}},
                               {"slots", json::object{{"used", used}, {"total", total}}}});
    });

    server.handle("GET", p + "/workers", [&store](const ServerRequest&) -> Reply {
        auto workers = store.workers();
        if (!workers) return tl::unexpected(failure(workers.error()));
        json::array out;
        for (const auto& w : *workers) {
            auto reps = store.active_replicates_of_worker(w.address);
            if (!reps) return tl::unexpected(failure(reps.error()));
            json::array tasks;
            for (const auto& r : *reps) tasks.emplace_back(h32(task_id(r.task.deal_id, U256(r.task.index))));
            json::array tee;
            for (auto f : w.registration.tee_frameworks) tee.emplace_back(workerapi::to_string(f));
            out.push_back(json::object{{"address", w.address.to_checksum()},
                                       {"name", w.registration.name},
                                       {"version", w.registration.version},
                                       {"cpuSlots", w.registration.cpu_slots},
                                       {"usedSlots", w.used_slots},
                                       {"gpu", w.registration.gpu},
                                       {"teeFrameworks", std::move(tee)},
                                       {"maxTaskSeconds", w.registration.max_task_seconds},
                                       {"alive", w.alive},
                                       {"lastSeen", w.last_seen_ms / 1000},
                                       {"score", w.score.to_dec()},
                                       {"tasks", std::move(tasks)}});
        }
        return ok(out);
    });

    server.handle("GET", p + "/tasks", [&store](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto u = q->reject_unknown({"status", "limit"}); !u)
            return tl::unexpected(HttpError::bad_request(u.error()));
        std::optional<TaskStatus> status;
        if (auto s = q->get("status")) {
            auto parsed = parse_task_status(*s);
            if (!parsed) return tl::unexpected(HttpError::bad_request(parsed.error().with_context("status")));
            status = *parsed;
        }
        auto limit = limit_of(*q);
        if (!limit) return tl::unexpected(limit.error());
        auto tasks = store.recent_tasks(status, *limit);
        if (!tasks) return tl::unexpected(failure(tasks.error()));
        json::array out;
        for (const auto& t : *tasks) {
            auto reps = store.replicates_of_task(t.key);
            if (!reps) return tl::unexpected(failure(reps.error()));
            json::array rs;
            for (const auto& r : *reps)
                rs.push_back(
                    json::object{{"worker", r.worker.to_checksum()}, {"status", workerapi::to_string(r.status)}});
            json::object o{{"taskId", h32(t.task_id)},
                           {"dealId", h32(t.key.deal_id)},
                           {"index", t.key.index},
                           {"status", to_string(t.status)},
                           {"contributionDeadline", t.contribution_deadline},
                           {"finalDeadline", t.final_deadline},
                           {"updated", t.updated_ms},
                           {"replicates", std::move(rs)}};
            if (t.failure) o["failure"] = *t.failure;
            if (t.result_link) o["resultLink"] = *t.result_link;
            out.push_back(std::move(o));
        }
        return ok(out);
    });

    server.handle("GET", p + "/deals", [&store](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto u = q->reject_unknown({"limit"}); !u) return tl::unexpected(HttpError::bad_request(u.error()));
        auto limit = limit_of(*q);
        if (!limit) return tl::unexpected(limit.error());
        auto deals = store.recent_deals(*limit);
        if (!deals) return tl::unexpected(failure(deals.error()));
        json::array out;
        for (const auto& [d, counts] : *deals)
            out.push_back(json::object{{"dealId", h32(d.deal_id)},
                                       {"app", d.app.to_checksum()},
                                       {"dataset", d.dataset.to_checksum()},
                                       {"requester", d.requester.to_checksum()},
                                       {"botFirst", d.bot_first},
                                       {"botSize", d.bot_size},
                                       {"trust", d.trust},
                                       {"tag", h32(d.tag)},
                                       {"categorySeconds", d.category_seconds},
                                       {"tasks", counts_json(counts)}});
        return ok(out);
    });
}

}  // namespace wp::scheduler
