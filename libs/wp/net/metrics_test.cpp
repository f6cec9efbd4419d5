#include "metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace wp::net {
namespace {

TEST(Metrics, ExactExpositionText) {
    MetricsRegistry r;
    auto& get200 =
        r.counter("http_requests_total", "Requests.\nBy code \\ method", {{"code", "200"}, {"method", "GET"}});
    r.counter("http_requests_total", "ignored", {{"code", "404"}, {"method", "GET"}}).inc(2);
    get200.inc();
    get200.inc(4);
    auto& g = r.gauge("queue_depth", "Items queued", {{"name", "a\"b\\c\nd"}});
    g.set(2.5);
    g.add(-1);
    r.gauge("temperature", "No labels").set(-3);
    auto& h = r.histogram("latency_seconds", "Latency", {0.1, 0.5, 1}, {{"route", "/x"}});
    h.observe(0.05);
    h.observe(0.1);  // on the bound: counted in le="0.1"
    h.observe(0.7);
    h.observe(3);
    EXPECT_EQ(&r.counter("http_requests_total", "x", {{"code", "200"}, {"method", "GET"}}), &get200);
    EXPECT_EQ(r.render(),
              "# HELP http_requests_total Requests.\\nBy code \\\\ method\n"
              "# TYPE http_requests_total counter\n"
              "http_requests_total{code=\"200\",method=\"GET\"} 5\n"
              "http_requests_total{code=\"404\",method=\"GET\"} 2\n"
              "# HELP latency_seconds Latency\n"
              "# TYPE latency_seconds histogram\n"
              "latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
              "latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 2\n"
              "latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
              "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
              "latency_seconds_sum{route=\"/x\"} 3.85\n"
              "latency_seconds_count{route=\"/x\"} 4\n"
              "# HELP queue_depth Items queued\n"
              "# TYPE queue_depth gauge\n"
              "queue_depth{name=\"a\\\"b\\\\c\\nd\"} 1.5\n"
              "# HELP temperature No labels\n"
              "# TYPE temperature gauge\n"
              "temperature -3\n");
}

TEST(Metrics, ValueFormatting) {
    EXPECT_EQ(format_metric_value(0), "0");
    EXPECT_EQ(format_metric_value(1e20), "1e+20");
    EXPECT_EQ(format_metric_value(0.001), "0.001");
    EXPECT_EQ(format_metric_value(INFINITY), "+Inf");
    EXPECT_EQ(format_metric_value(-INFINITY), "-Inf");
    EXPECT_EQ(format_metric_value(NAN), "NaN");
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
    MetricsRegistry r;
    auto& c = r.counter("c_total", "c");
    auto& g = r.gauge("g", "g");
    auto& h = r.histogram("h", "h", {1});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                c.inc();
                g.add(1);
                h.observe(0.5);
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(c.value(), 40000u);
    EXPECT_EQ(g.value(), 40000.0);
    EXPECT_EQ(h.count(), 40000u);
    EXPECT_EQ(h.sum(), 20000.0);
}

}  // namespace
}  // namespace wp::net
