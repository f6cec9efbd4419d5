#include "pool_api.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include <wp/core/clock.hpp>

#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/service/logging.hpp>

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
    service::log_warn("dashboard api: request failed", {{"error", e.message}});
    return HttpError::from(e);
}

//! name=N in [min, max] (fallback when absent).
tl::expected<std::size_t, HttpError> size_param(const net::QueryParams& q, std::string_view name, std::size_t fallback,
                                                std::size_t min, std::size_t max) {
    auto text = q.get(name);
    if (!text) return fallback;
    const std::string rule = std::string(name) + ": must be " + std::to_string(min) + " to " + std::to_string(max);
    if (text->empty() || text->size() > 9) return tl::unexpected(HttpError{400, rule, {}});
    std::size_t v = 0;
    for (char ch : *text) {
        if (ch < '0' || ch > '9') return tl::unexpected(HttpError{400, rule, {}});
        v = v * 10 + static_cast<std::size_t>(ch - '0');
    }
    if (v < min || v > max) return tl::unexpected(HttpError{400, rule, {}});
    return v;
}

// Unix milliseconds as ISO 8601 UTC with milliseconds ("2026-01-01T00:00:00.000Z").
std::string iso_date(std::int64_t ms) {
    const std::int64_t days = (ms >= 0 ? ms : ms - 86'399'999) / 86'400'000;
    const std::int64_t rest = ms - days * 86'400'000;
    // days since 1970-01-01 → civil date (Howard Hinnant's algorithm).
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    char buf[128];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                  static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rest / 3'600'000),
                  static_cast<long long>(rest / 60'000 % 60), static_cast<long long>(rest / 1000 % 60),
                  static_cast<long long>(rest % 1000));
    return buf;
}

// The SDK's task document (sdk_task_document in the header) from dashboard_task's and the replicates' exit codes.
json::object sdk_task(const json::object& dash, const std::vector<ReplicateRecord>& records) {
    json::array dates;
    for (const auto& e : dash.at("events").as_array())
        dates.push_back(
            json::object{{"status", e.at("status")}, {"date", iso_date(e.at("atMs").to_number<std::int64_t>())}});
    json::array replicates;
    for (const auto& r : dash.at("replicates").as_array()) {
        json::array updates;
        for (const auto& h : r.at("history").as_array())
            updates.push_back(
                json::object{{"status", h.at("status")}, {"date", iso_date(h.at("atMs").to_number<std::int64_t>())}});
        json::object o{{"walletAddress", r.at("worker")},
                       {"currentStatus", r.at("status")},
                       {"statusUpdateList", std::move(updates)}};
        for (const auto& rec : records)
            if (rec.worker.to_checksum() == r.at("worker").as_string() && rec.details.exit_code)
                o["appExitCode"] = *rec.details.exit_code;
        replicates.push_back(std::move(o));
    }
    return json::object{{"chainTaskId", dash.at("taskId")},   {"chainDealId", dash.at("dealId")},
                        {"taskIndex", dash.at("index")},      {"currentStatus", dash.at("status")},
                        {"dateStatusList", std::move(dates)}, {"replicates", std::move(replicates)}};
}

}  // namespace

void install_dashboard_api(net::HttpServer& server, SchedulerStore& store, std::function<SummaryContext()> context) {
    DashboardSources sources;
    sources.context = std::move(context);
    install_dashboard_api(server, store, std::move(sources));
}

void install_dashboard_api(net::HttpServer& server, SchedulerStore& store, DashboardSources sources) {
    auto shared = std::make_shared<const DashboardSources>(std::move(sources));
    auto context = shared->context;
    auto summary = [&store, context](const ServerRequest&) -> Reply {
        auto r = dashboard_summary(store, context ? context() : SummaryContext{});
        if (!r) return tl::unexpected(failure(r.error()));
        return ok(*r);
    };
    auto workers = [&store](const ServerRequest&) -> Reply {
        auto r = dashboard_workers(store);
        if (!r) return tl::unexpected(failure(r.error()));
        return ok(*r);
    };
    auto tasks = [&store](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto u = q->reject_unknown({"status", "deal", "limit", "offset"}); !u)
            return tl::unexpected(HttpError::bad_request(u.error()));
        TaskQuery query;
        if (auto s = q->get("status")) {
            auto parsed = parse_task_status(*s);
            if (!parsed) return tl::unexpected(HttpError::bad_request(parsed.error().with_context("status")));
            query.status = *parsed;
        }
        if (auto d = q->get("deal")) {
            auto parsed = bytes32_from_hex(*d);
            if (!parsed) return tl::unexpected(HttpError::bad_request(parsed.error().with_context("deal")));
            query.deal = *parsed;
        }
        auto limit = size_param(*q, "limit", 100, 1, 500);
        if (!limit) return tl::unexpected(limit.error());
        auto offset = size_param(*q, "offset", 0, 0, 100'000'000);
        if (!offset) return tl::unexpected(offset.error());
        query.limit = *limit;
        query.offset = *offset;
        auto r = dashboard_tasks(store, query);
        if (!r) return tl::unexpected(failure(r.error()));
        return ok(*r);
    };
    auto deals = [&store](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto u = q->reject_unknown({"limit"}); !u) return tl::unexpected(HttpError::bad_request(u.error()));
        auto limit = size_param(*q, "limit", 20, 1, 500);
        if (!limit) return tl::unexpected(limit.error());
        auto r = dashboard_deals(store, *limit);
        if (!r) return tl::unexpected(failure(r.error()));
        return ok(*r);
    };
    auto one_task = [&store, shared](const ServerRequest& request) -> Reply {
        auto id = bytes32_from_hex(request.param("taskId").value_or(""));
        if (!id) return tl::unexpected(HttpError::bad_request(id.error().with_context("taskId")));
        auto r = dashboard_task(store, *id, shared->intents);
        if (!r) return tl::unexpected(failure(r.error()));
        if (!*r) return tl::unexpected(HttpError{404, "unknown task " + to_hex(id->view()), {}});
        return ok(**r);
    };
    auto sdk_task_route = [&store](const ServerRequest& request) -> Reply {
        auto id = bytes32_from_hex(request.param("taskId").value_or(""));
        if (!id) return tl::unexpected(HttpError::bad_request(id.error().with_context("taskId")));
        auto r = dashboard_task(store, *id);
        if (!r) return tl::unexpected(failure(r.error()));
        if (!*r) return tl::unexpected(HttpError{404, "unknown task " + to_hex(id->view()), {}});
        auto t = store.task_by_id(*id);
        if (!t) return tl::unexpected(failure(t.error()));
        std::vector<ReplicateRecord> records;
        if (*t) {
            auto reps = store.replicates_of_task((*t)->key);
            if (!reps) return tl::unexpected(failure(reps.error()));
            records = std::move(*reps);
        }
        return ok(sdk_task(**r, records));
    };
    auto failures = [&store](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto u = q->reject_unknown({"limit"}); !u) return tl::unexpected(HttpError::bad_request(u.error()));
        auto limit = size_param(*q, "limit", 50, 1, 200);
        if (!limit) return tl::unexpected(limit.error());
        auto r = dashboard_failures(store, *limit);
        if (!r) return tl::unexpected(failure(r.error()));
        return ok(*r);
    };
    auto throughput = [&store, shared](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto u = q->reject_unknown({"minutes", "hours"}); !u)
            return tl::unexpected(HttpError::bad_request(u.error()));
        auto minutes = size_param(*q, "minutes", 60, 1, 1440);
        if (!minutes) return tl::unexpected(minutes.error());
        auto hours = size_param(*q, "hours", 24, 1, 168);
        if (!hours) return tl::unexpected(hours.error());
        const std::int64_t now = shared->context ? shared->context().now_ms : system_clock().unix_ms();
        auto r = dashboard_throughput(store, now, *minutes, *hours);
        if (!r) return tl::unexpected(failure(r.error()));
        return ok(*r);
    };
    auto account = [&store, shared](const ServerRequest&) -> Reply {
        if (!shared->account) return tl::unexpected(HttpError{404, "no account: the core has no chain", {}});
        const std::int64_t now = shared->context ? shared->context().now_ms : system_clock().unix_ms();
        auto r = dashboard_account(store, shared->account(), now);
        if (!r) return tl::unexpected(failure(r.error()));
        return ok(*r);
    };
    auto orders = [&store, shared](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto u = q->reject_unknown({"limit"}); !u) return tl::unexpected(HttpError::bad_request(u.error()));
        auto limit = size_param(*q, "limit", 50, 1, 500);
        if (!limit) return tl::unexpected(limit.error());
        std::optional<json::array> open;
        if (shared->open_orders) open = shared->open_orders();
        auto r = dashboard_orders(store, shared->market_url, std::move(open), *limit);
        if (!r) return tl::unexpected(failure(r.error()));
        return ok(*r);
    };
    server.handle("GET", "/api/v1/dashboard/tasks/:taskId", one_task);
    server.handle("GET", "/tasks/:taskId", sdk_task_route);
    server.handle("GET", "/api/v1/dashboard/failures", failures);
    server.handle("GET", "/api/v1/dashboard/throughput", throughput);
    server.handle("GET", "/api/v1/dashboard/account", account);
    server.handle("GET", "/api/v1/dashboard/orders", orders);
    for (const std::string p : {"/api/v1/dashboard", "/api/v1/pool"}) {
        server.handle("GET", p + (p == "/api/v1/pool" ? "/stats" : "/summary"), summary);
        server.handle("GET", p + "/workers", workers);
        server.handle("GET", p + "/tasks", tasks);
        server.handle("GET", p + "/deals", deals);
    }
}

void install_pool_api(net::HttpServer& server, SchedulerStore& store) {
    install_dashboard_api(server, store, DashboardSources{});
}

}  // namespace wp::scheduler
