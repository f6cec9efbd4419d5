// The browser test's server: the dashboard mounted on a real net::HttpServer, with a scripted pool behind the core's
// dashboard routes (GET /api/v1/dashboard/summary, workers, …; WebSocket /api/v1/dashboard/ws, topic "dashboard",
// events "summary" and "task"). Every `step` the pool moves
// on: workers register, tasks of a 20-task deal go RUNNING then COMPLETED, the order's remaining volume drops, the
// owner's earnings grow, one task fails. It stands in for the core (which serves the same snapshot) so the page's
// live behaviour is tested on its own.
//   wp_dashboard_live_server <url file> [step ms]   (prints nothing; writes "http://127.0.0.1:<port>" to the file;
//                                                    runs until SIGTERM / SIGINT)
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
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

// The scripted pool at `step`, in the core's shapes (docs/scheduler.md, the dashboard's JSON API).
struct Pool {
    int workers, completed, running, failed;
    explicit Pool(int step)
        : workers(std::min(step, 4)),
          completed(std::max(0, std::min(20, (step - 2) * 3))),
          running(completed < 20 && workers > 0 ? std::min(4, 20 - completed) : 0),
          failed(step >= 4 ? 1 : 0) {}
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string answer(const std::string& what, int step) {
    namespace json = boost::json;
    const Pool p(step);
    const auto now = now_ms();
    if (what == "summary") {
        json::object tasks{{"COMPLETED", p.completed}, {"RUNNING", p.running}, {"FAILED", p.failed}, {"RECEIVED", 0}};
        return json::serialize(json::object{{"workerpool", hex_id(0x9001, 40)},
                                            {"chainId", 31337},
                                            {"owner", hex_id(0x0e0, 40)},
                                            {"nowMs", now},
                                            {"tasks", tasks},
                                            {"workers", json::object{{"alive", p.workers}, {"lost", 0}}}});
    }
    if (what == "workers") {
        json::array ws;
        for (int i = 0; i < p.workers; ++i) {
            json::array tasks;
            if (p.running > i) tasks.emplace_back(hex_id(0x1000 + p.completed + i, 64));
            ws.emplace_back(json::object{{"address", hex_id(0xa0 + i, 40)},
                                         {"alive", true},
                                         {"cpuSlots", 2},
                                         {"usedSlots", p.running > i ? 1 : 0},
                                         {"teeFrameworks", json::array{"sim"}},
                                         {"score", std::to_string(p.completed / 4 + i)},
                                         {"lastSeenMs", now},
                                         {"currentTasks", tasks}});
        }
        return json::serialize(json::object{{"workers", ws}});
    }
    if (what == "deals") {
        json::array deals;
        if (step >= 2)
            deals.emplace_back(json::object{{"dealId", hex_id(0xdea1, 64)},
                                            {"app", hex_id(0xecc0, 40)},
                                            {"category", 0},
                                            {"botSize", 20},
                                            {"completed", p.completed},
                                            {"failed", p.failed},
                                            {"refusal", nullptr}});
        return json::serialize(json::object{{"deals", deals}});
    }
    if (what == "orders") {
        json::array orders{json::object{{"orderHash", hex_id(0x0bd, 64)},
                                        {"remaining", step >= 2 ? 980 : 1000},
                                        {"volume", 1000},
                                        {"price", "0"},
                                        {"tag", hex_id(0, 64)},
                                        {"category", 0},
                                        {"trust", 0}}};
        return json::serialize(json::object{{"market", "http://127.0.0.1:1"}, {"orders", orders}});
    }
    if (what == "account")
        return json::serialize(json::object{{"owner", hex_id(0x0e0, 40)},
                                            {"stake", std::to_string(1000000000000LL + step * 1500000000LL)},
                                            {"locked", "40000000000"}});
    if (what == "failures") {
        json::array failures;
        if (p.failed)
            failures.emplace_back(json::object{{"taskId", hex_id(0xbad, 64)},
                                               {"failure", "app exited with code 1 <script>alert(1)</script>"},
                                               {"atMs", now}});
        return json::serialize(json::object{{"failures", failures}});
    }
    json::array completed;  // throughput
    for (int i = 3; i <= step; ++i)
        completed.emplace_back(json::object{{"atMs", now - (step - i) * 60000}, {"count", 3}});
    return json::serialize(json::object{{"bucketMs", 60000}, {"completed", completed}});
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
    for (const char* what : {"summary", "workers", "deals", "orders", "account", "failures", "throughput"}) {
        const std::string name = what;
        server.route("GET", std::string("/api/v1/dashboard/") + what, [&step, name](const wp::net::ServerRequest&) {
            return wp::net::HttpResponse::json(200, answer(name, step.load()));
        });
    }
    auto hub = server.websocket("/api/v1/dashboard/ws", wp::net::WebSocketOptions{});
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
        hub->publish("dashboard", "summary", answer("summary", next));
        hub->publish("dashboard", "task",
                     "{\"taskId\":\"" + hex_id(0x1000 + next, 64) + "\",\"status\":\"COMPLETED\"}");
    }
    server.stop();
    return 0;
}
