#include "health_http.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "logging.hpp"

namespace wp::service {

namespace json = boost::json;

void add_health_routes(net::HttpServer& server, const ComponentRunner& runner, std::string health_path,
                       std::string ready_path) {
    server.route("GET", std::move(health_path), [&runner](const net::ServerRequest&) {
        const auto overall = runner.health();
        json::object body;
        body["status"] = to_string(overall.health);
        body["state"] = to_string(runner.state());
        if (!overall.detail.empty()) body["detail"] = overall.detail;
        json::object components;
        for (const auto& [name, report] : runner.component_health()) {
            json::object c;
            c["health"] = to_string(report.health);
            if (!report.detail.empty()) c["detail"] = report.detail;
            components[name] = std::move(c);
        }
        body["components"] = std::move(components);
        return net::HttpResponse::json(overall.health == Health::kFatal ? 500 : 200, json::serialize(body));
    });
    server.route("GET", std::move(ready_path), [&runner](const net::ServerRequest&) {
        const bool ready = runner.ready();
        json::object body;
        body["ready"] = ready;
        body["state"] = to_string(runner.state());
        return net::HttpResponse::json(ready ? 200 : 503, json::serialize(body));
    });
}

Result<void> HttpServerComponent::start() {
    WP_TRY_VOID(server_.start());
    log_info("listening", {{"component", name_}, {"url", server_.base_url()}});
    return {};
}

void HttpServerComponent::stop(StopMode mode) {
    server_.stop(mode == StopMode::kGraceful ? grace_ : std::chrono::milliseconds(0));
}

}  // namespace wp::service
