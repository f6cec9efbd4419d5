#pragma once
// /health and /ready on an HttpServer, and the HttpServer as a lifecycle Component.
//
//  GET /health  200 {"status":"ok"|"degraded","state":"running",...,"components":{"name":{"health":"ok"}}}
//               500 with "status":"fatal" when a component is fatal (userver's /ping rule).
//  GET /ready   200 {"ready":true,"state":"running"} only when every component has started and no stop was
//               requested; 503 {"ready":false,"state":"starting"|"draining"|...} otherwise (Envoy's rule).
//
// Only net's public HttpServer API is used (route(method, exact path, handler)); no Asio / Beast here.
// Thread safety: the handlers read the runner's thread-safe accessors.

#include <chrono>
#include <string>

#include <wp/net/http_server.hpp>

#include "lifecycle.hpp"

namespace wp::service {

//! Registers GET `health_path` and GET `ready_path` on `server` (before server.start()). `runner` must outlive
//! the server.
void add_health_routes(net::HttpServer& server, const ComponentRunner& runner, std::string health_path = "/health",
                       std::string ready_path = "/ready");

//! An HttpServer as a Component: start() binds and listens, stop() stops it (kGraceful: waits up to `grace` for
//! the requests in hand; kFast: no grace). Add it first to the runner when /ready must answer 503 during the
//! startup of the others, last when nothing must be served before everything is up.
class HttpServerComponent final : public Component {
  public:
    HttpServerComponent(net::HttpServer& server, std::string name = "http",
                        std::chrono::milliseconds grace = std::chrono::seconds(5))
        : server_(server), name_(std::move(name)), grace_(grace) {}

    std::string_view name() const override { return name_; }
    Result<void> start() override;
    void stop(StopMode mode) override;

  private:
    net::HttpServer& server_;
    std::string name_;
    std::chrono::milliseconds grace_;
};

}  // namespace wp::service
