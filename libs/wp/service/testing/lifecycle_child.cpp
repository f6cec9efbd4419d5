// A tiny daemon for lifecycle_test: real signals, a real HttpServer, two components.
//
//   wp_service_lifecycle_child <port-file>
//
// Components, in start order: "http" (the HttpServer with /health, /ready and two test routes; writes its port to
// <port-file> once listening) and "worker", whose start() waits for POST /test/release-start and whose graceful
// stop() waits for POST /test/release-stop or a force_stop() (second signal). Each event is printed on stdout as
// one line ("start http", "stop worker graceful", "force worker", ...). Exit code 0 after a clean stop.

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>

#include <wp/net/http_server.hpp>
#include <wp/service/health_http.hpp>
#include <wp/service/lifecycle.hpp>
#include <wp/service/logging.hpp>

namespace {

using wp::service::Component;
using wp::service::StopMode;

void event(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

class Gate {
  public:
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return open_; });
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_{false};
};

class HttpComponent final : public Component {
  public:
    HttpComponent(wp::net::HttpServer& server, std::string port_file)
        : inner_(server), port_file_(std::move(port_file)), server_(server) {}
    std::string_view name() const override { return "http"; }
    wp::Result<void> start() override {
        WP_TRY_VOID(inner_.start());
        std::ofstream(port_file_ + ".tmp") << server_.port() << "\n";
        std::rename((port_file_ + ".tmp").c_str(), port_file_.c_str());
        event("start http");
        return {};
    }
    void stop(StopMode mode) override {
        event(std::string("stop http ") + wp::service::to_string(mode));
        inner_.stop(mode);
    }

  private:
    wp::service::HttpServerComponent inner_;
    std::string port_file_;
    wp::net::HttpServer& server_;
};

class WorkerComponent final : public Component {
  public:
    Gate started, stopped;
    std::string_view name() const override { return "worker"; }
    wp::Result<void> start() override {
        started.wait();
        event("start worker");
        return {};
    }
    void stop(StopMode mode) override {
        event(std::string("stop worker ") + wp::service::to_string(mode));
        if (mode == StopMode::kGraceful) stopped.wait();
        event("worker stopped");
    }
    void force_stop() override {
        event("force worker");
        stopped.open();
    }
    wp::service::HealthReport health() const override { return {wp::service::Health::kDegraded, "warming up"}; }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <port-file>\n", argv[0]);
        return 2;
    }
    if (!wp::service::SignalWatcher::block_in_this_thread()) return 3;
    wp::service::ComponentRunner runner;
    wp::service::SignalWatcher signals;
    if (!signals.start([&](int, unsigned) { runner.request_stop(); })) return 4;

    wp::net::HttpServer server;
    WorkerComponent worker;
    wp::service::add_health_routes(server, runner);
    server.route("POST", "/test/release-start", [&](const wp::net::ServerRequest&) {
        worker.started.open();
        return wp::net::HttpResponse::json(200, "{}");
    });
    server.route("POST", "/test/release-stop", [&](const wp::net::ServerRequest&) {
        worker.stopped.open();
        return wp::net::HttpResponse::json(200, "{}");
    });
    HttpComponent http(server, argv[1]);
    runner.add(http);
    runner.add(worker);
    auto ran = runner.run();
    signals.stop();
    if (!ran) {
        std::fprintf(stderr, "%s\n", ran.error().message.c_str());
        return 1;
    }
    event("exit");
    return 0;
}
