#include "pool_api.hpp"

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
