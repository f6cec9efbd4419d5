// The browser test's server: the dashboard mounted on a real net::HttpServer, with a scripted pool behind
// GET /api/dashboard and the WebSocket /api/ws (topic "dashboard", event "snapshot"). Every `step` the pool moves
// on: workers register, tasks of a 20-task deal go RUNNING then COMPLETED, the order's remaining volume drops, the
// owner's earnings grow, one task fails. It stands in for the core (which serves the same snapshot) so the page's
// live behaviour is tested on its own.
//   wp_dashboard_live_server <url file> [step ms]   (prints nothing; writes "http://127.0.0.1:<port>" to the file;
//                                                    runs until SIGTERM / SIGINT)
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include <boost/json.hpp>

#include <wp/dashboard/dashboard.hpp>
#include <wp/net/http_server.hpp>
#include <wp/net/websocket.hpp>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::string hex_id(int n, int width) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "0x%0*x", width, n);
    return buf;
}

std::string snapshot(int step) {
    namespace json = boost::json;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const int workers = std::min(step, 4);
    const int completed = std::max(0, std::min(20, (step - 2) * 3));
    const int running = completed < 20 ? std::min(4, 20 - completed) * (workers > 0 ? 1 : 0) : 0;
    json::array ws;
    for (int i = 0; i < workers; ++i) {
        json::array tasks;
        if (running > i) tasks.emplace_back(hex_id(0x1000 + completed + i, 64));
        ws.emplace_back(json::object{{"address", hex_id(0xa0 + i, 40)},
                                     {"alive", true},
                                     {"slots", 2},
                                     {"running", running > i ? 1 : 0},
                                     {"tasks", tasks},
                                     {"lastSeen", now},
                                     {"score", completed / 4 + i},
                                     {"tee", true}});
    }
    json::object by_status;
    if (completed > 0) by_status["COMPLETED"] = completed;
    if (running > 0) by_status["RUNNING"] = running;
    if (step >= 4) by_status["FAILED"] = 1;
    json::array throughput;
    for (int i = 3; i <= step; ++i) throughput.emplace_back(json::object{{"time", now - (step - i)}, {"completed", 3}});
    json::array earnings;
    for (int i = 0; i <= step; ++i)
        earnings.emplace_back(json::object{{"time", now - (step - i)}, {"total", std::to_string(i * 1500000000LL)}});
    json::array deals;
    if (step >= 2)
        deals.emplace_back(json::object{{"dealid", hex_id(0xdea1, 64)},
                                        {"app", hex_id(0xecc0, 40)},
                                        {"appName", "echo"},
                                        {"category", 0},
                                        {"botSize", 20},
                                        {"completed", completed},
                                        {"failed", step >= 4 ? 1 : 0},
                                        {"status", completed >= 20 ? "COMPLETED" : "RUNNING"}});
    json::array fills;
    if (step >= 2) fills.emplace_back(json::object{{"dealid", hex_id(0xdea1, 64)}, {"volume", 20}, {"time", now}});
    json::array orders{json::object{{"orderHash", hex_id(0x0bd, 64)},
                                    {"remaining", step >= 2 ? 980 : 1000},
                                    {"volume", 1000},
                                    {"price", "0"},
                                    {"tag", hex_id(0, 64)},
                                    {"category", 0},
                                    {"fills", fills}}};
    json::array failures;
    if (step >= 4)
        failures.emplace_back(json::object{{"time", now},
                                           {"taskid", hex_id(0xbad, 64)},
                                           {"reason", "app exited with code 1 <script>alert(1)</script>"}});
    json::object o{
        {"pool",
         json::object{
             {"address", hex_id(0x9001, 40)}, {"owner", hex_id(0x0e0, 40)}, {"description", "browser test pool"}}},
        {"account", json::object{{"stake", "1000000000000"}, {"locked", "40000000000"}, {"earnings", earnings}}},
        {"workers", ws},
        {"tasks", json::object{{"byStatus", by_status}, {"throughput", throughput}}},
        {"deals", deals},
        {"orders", orders},
        {"failures", failures}};
    return json::serialize(o);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: wp_dashboard_live_server <url file> [step ms]\n");
        return 2;
    }
    const int step_ms = argc > 2 ? std::atoi(argv[2]) : 700;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    wp::net::HttpServer server;
    std::atomic<int> step{0};
    if (auto m = wp::dashboard::mount(server, {}); !m) {
        std::fprintf(stderr, "%s\n", m.error().message.c_str());
        return 1;
    }
    server.route("GET", "/api/dashboard", [&](const wp::net::ServerRequest&) {
        return wp::net::HttpResponse::json(200, snapshot(step.load()));
    });
    auto hub = server.websocket("/api/ws", wp::net::WebSocketOptions{});
    if (auto s = server.start(); !s) {
        std::fprintf(stderr, "%s\n", s.error().message.c_str());
        return 1;
    }
    {
        std::ofstream f(std::string(argv[1]) + ".tmp");
        f << server.base_url() << "\n";
    }
    std::rename((std::string(argv[1]) + ".tmp").c_str(), argv[1]);
    while (g_stop == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
        const int next = step.load() + 1;
        step.store(next);
        hub->publish("dashboard", "snapshot", snapshot(next));
    }
    server.stop();
    return 0;
}
