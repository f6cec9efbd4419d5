#include "health_http.hpp"

#include <gtest/gtest.h>

#include <wp/net/http_client.hpp>

namespace wp::service {
namespace {

class Fake final : public Component {
  public:
    explicit Fake(std::string name) : name_(std::move(name)) {}
    std::string_view name() const override { return name_; }
    Result<void> start() override { return {}; }
    void stop(StopMode) override {}
    HealthReport health() const override { return health_; }
    HealthReport health_{};

  private:
    std::string name_;
};

TEST(HealthHttp, HealthAndReadyAnswers) {
    Fake a("store");
    ComponentRunner runner;
    runner.add(a);
    net::HttpServer server;
    add_health_routes(server, runner);
    ASSERT_TRUE(server.start());
    net::HttpClient client;
    auto ready = client.get(server.base_url() + "/ready");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 503u);
    EXPECT_EQ(ready->body, R"({"ready":false,"state":"created"})");
    ASSERT_TRUE(runner.start_all());
    ready = client.get(server.base_url() + "/ready");
    EXPECT_EQ(ready->status, 200u);
    EXPECT_EQ(ready->body, R"({"ready":true,"state":"running"})");
    auto health = client.get(server.base_url() + "/health");
    EXPECT_EQ(health->status, 200u);
    EXPECT_EQ(health->body, R"({"status":"ok","state":"running","components":{"store":{"health":"ok"}}})");
    a.health_ = {Health::kFatal, "disk full"};
    health = client.get(server.base_url() + "/health");
    EXPECT_EQ(health->status, 500u);
    EXPECT_EQ(health->body, R"({"status":"fatal","state":"running","detail":"store: disk full",)"
                            R"("components":{"store":{"health":"fatal","detail":"disk full"}}})");
    runner.request_stop();
    ready = client.get(server.base_url() + "/ready");
    EXPECT_EQ(ready->status, 503u);
    EXPECT_EQ(ready->body, R"({"ready":false,"state":"draining"})");
    runner.stop_all();
}

TEST(HealthHttp, ServerComponentStartsAndStops) {
    net::HttpServer server;
    server.route("GET", "/x", [](const net::ServerRequest&) { return net::HttpResponse::text(200, "x"); });
    HttpServerComponent http(server);
    EXPECT_EQ(http.name(), "http");
    ASSERT_TRUE(http.start());
    net::HttpClient client;
    auto r = client.get(server.base_url() + "/x");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "x");
    http.stop(StopMode::kFast);
    EXPECT_FALSE(client.get(server.base_url() + "/x"));
}

}  // namespace
}  // namespace wp::service
