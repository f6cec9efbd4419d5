#include "pool_api.hpp"

#include <string>
#include <utility>

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
    auto summary = [&store, context = std::move(context)](const ServerRequest&) -> Reply {
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
    for (const std::string p : {"/api/v1/dashboard", "/api/v1/pool"}) {
        server.handle("GET", p + (p == "/api/v1/pool" ? "/stats" : "/summary"), summary);
        server.handle("GET", p + "/workers", workers);
        server.handle("GET", p + "/tasks", tasks);
        server.handle("GET", p + "/deals", deals);
    }
}

void install_pool_api(net::HttpServer& server, SchedulerStore& store) { install_dashboard_api(server, store, {}); }

}  // namespace wp::scheduler
