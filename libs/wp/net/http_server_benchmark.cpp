// REST throughput of HttpServer against a bare Beast server measured in the same run, as a ratio:
//
//   baseline/beast_bare_get      a minimal Beast HTTP/1.1 server (one coroutine per connection on a strand, 2 I/O
//                                threads, the handler inline on the I/O thread, no routing)
//   net/server_router_get        HttpServer (2 I/O threads, 2 handler threads): router with a path template, strict
//                                query parsing, the handler on the pool, metrics, CORS off
//   net/server_router_inline_get the same route with RouteOptions::run_inline (the handler on the I/O thread)
//   net/ratio_vs_bare_get        the three servers up at once, measured in alternating rounds (bare, pooled, inline:
//                                2,000 requests each) so that every ratio compares rounds run back to back on the
//                                same (shared, noisy) machine; the order alternates. Counters: pool_ratio_{min,p25,
//                                med,p75,max} and inline_ratio_* over the iterations (--benchmark_min_time=10 gives
//                                ~40 rounds of each), *_cs_per_req (voluntary + involuntary context switches of the
//                                whole process per request) and *_cpu_us_per_req (user + system CPU per request, the
//                                load driver included).
//
// Both answer GET /orders/0x12?pageSize=20 with a small JSON body. The load driver keeps 100 keep-alive connections,
// each sending requests back to back (one in flight per connection), from one client thread; items/s is requests/s.
// net / baseline is the share of the bare server's throughput the service layer keeps (goal: >= 80 %).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <wp/net/http_server.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr int kConnections = 100;
constexpr int kRequestsPerConnection = 20;
const std::string kRequest = "GET /orders/0x12?pageSize=20 HTTP/1.1\r\nHost: bench\r\n\r\n";

// The bare Beast server.
class BareServer {
  public:
    BareServer() : acceptor_(asio::make_strand(io_), {asio::ip::make_address("127.0.0.1"), 0}) {
        asio::co_spawn(acceptor_.get_executor(), accept(), asio::detached);
        for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    }
    ~BareServer() {
        io_.stop();
        for (auto& t : threads_) t.join();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  private:
    asio::awaitable<void> accept() {
        for (;;) {
            tcp::socket s(asio::make_strand(io_));
            auto [ec] = co_await acceptor_.async_accept(s, kTuple);
            if (ec) co_return;
            asio::co_spawn(s.get_executor(), session(std::move(s)), asio::detached);
        }
    }
    static asio::awaitable<void> session(tcp::socket s) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [ec, n] = co_await http::async_read(s, buffer, req, kTuple);
            if (ec) co_return;
            const auto target = req.target();
            const auto id = target.substr(8, target.find('?') - 8);
            http::response<http::string_body> res{http::status::ok, req.version()};
            res.set(http::field::content_type, "application/json");
            res.body() = "{\"id\":\"" + std::string(id) + "\",\"pageSize\":20}";
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            auto [wec, wn] = co_await http::async_write(s, res, kTuple);
            if (wec) co_return;
        }
    }
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::vector<std::thread> threads_;
};

// 100 keep-alive connections driven from the benchmark thread.
class LoadDriver {
  public:
    explicit LoadDriver(std::uint16_t port) {
        const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
        for (int i = 0; i < kConnections; ++i) {
            conns_.emplace_back(io_);
            conns_.back().connect(ep);
        }
    }
    //! Sends kRequestsPerConnection requests on every connection; false if any answer is not 200.
    bool run() {
        failures_ = 0;
        for (auto& c : conns_) asio::co_spawn(io_, worker(c), asio::detached);
        io_.restart();
        io_.run();
        return failures_ == 0;
    }

  private:
    asio::awaitable<void> worker(tcp::socket& s) {
        beast::flat_buffer buffer;
        for (int i = 0; i < kRequestsPerConnection; ++i) {
            auto [wec, wn] = co_await asio::async_write(s, asio::buffer(kRequest), kTuple);
            http::response<http::string_body> res;
            auto [rec, rn] = co_await http::async_read(s, buffer, res, kTuple);
            if (wec || rec || res.result_int() != 200) {
                ++failures_;
                co_return;
            }
        }
    }
    asio::io_context io_;
    std::vector<tcp::socket> conns_;
    int failures_{0};
};

void run_load(benchmark::State& state, std::uint16_t port) {
    LoadDriver load(port);
    for (auto _ : state)
        if (!load.run()) state.SkipWithError("a request failed");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kConnections * kRequestsPerConnection);
}

void bm_beast_bare(benchmark::State& state) {
    BareServer server;
    run_load(state, server.port());
}
BENCHMARK(bm_beast_bare)->Name("baseline/beast_bare_get")->UseRealTime()->Unit(benchmark::kMillisecond);

void add_routes(wp::net::HttpServer& server, bool run_inline) {
    server.handle("GET", "/orders/:id",
                  [](const wp::net::ServerRequest& r) -> wp::net::Reply {
                      auto q = r.query_params();
                      if (!q) return tl::unexpected(wp::net::HttpError::bad_request(q.error()));
                      auto size = q->u64_or("pageSize", 20, 10, 1000);
                      if (!size) return tl::unexpected(wp::net::HttpError::bad_request(size.error()));
                      return wp::net::HttpResponse::json(200, "{\"id\":\"" + std::string(*r.param("id")) +
                                                                  "\",\"pageSize\":" + std::to_string(*size) + "}");
                  },
                  {.run_inline = run_inline});
    server.handle("GET", "/orders/count", [](const wp::net::ServerRequest&) -> wp::net::Reply {
        return wp::net::HttpResponse::json(200, "{}");
    });
}

void bm_server_router(benchmark::State& state, bool run_inline) {
    wp::net::HttpServer server({.threads = 2, .worker_threads = 2});
    add_routes(server, run_inline);
    if (!server.start()) {
        state.SkipWithError("cannot start the server");
        return;
    }
    run_load(state, server.port());
}
BENCHMARK_CAPTURE(bm_server_router, pool, false)
    ->Name("net/server_router_get")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_server_router, inline, true)
    ->Name("net/server_router_inline_get")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// One round of load: requests/s, context switches and CPU microseconds of the whole process.
struct Round {
    double rps{0};
    double cs{0};
    double cpu_us{0};
};

Round measure(LoadDriver& load) {
    rusage before{}, after{};
    ::getrusage(RUSAGE_SELF, &before);
    const auto t0 = std::chrono::steady_clock::now();
    const bool ok = load.run();
    const auto t1 = std::chrono::steady_clock::now();
    ::getrusage(RUSAGE_SELF, &after);
    if (!ok) return {};
    auto us = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e6 + static_cast<double>(tv.tv_usec); };
    Round r;
    r.rps = kConnections * kRequestsPerConnection / std::chrono::duration<double>(t1 - t0).count();
    r.cs = static_cast<double>((after.ru_nvcsw - before.ru_nvcsw) + (after.ru_nivcsw - before.ru_nivcsw));
    r.cpu_us = us(after.ru_utime) - us(before.ru_utime) + us(after.ru_stime) - us(before.ru_stime);
    return r;
}

void bm_ratio(benchmark::State& state) {
    BareServer bare;
    wp::net::HttpServer pooled({.threads = 2, .worker_threads = 2});
    add_routes(pooled, false);
    wp::net::HttpServer inlined({.threads = 2, .worker_threads = 2});
    add_routes(inlined, true);
    if (!pooled.start() || !inlined.start()) {
        state.SkipWithError("cannot start the servers");
        return;
    }
    LoadDriver load_bare(bare.port()), load_pool(pooled.port()), load_inline(inlined.port());
    std::vector<double> pool_ratio, inline_ratio;
    Round sum_bare, sum_pool, sum_inline;
    auto add = [](Round& sum, const Round& r) {
        sum.cs += r.cs;
        sum.cpu_us += r.cpu_us;
    };
    for (auto _ : state) {
        // The order alternates (bare, pooled, inline / inline, pooled, bare) so a drift of the machine's load does not
        // favour one server.
        const bool forward = pool_ratio.size() % 2 == 0;
        Round b, p, i;
        (forward ? b : i) = measure(forward ? load_bare : load_inline);
        p = measure(load_pool);
        (forward ? i : b) = measure(forward ? load_inline : load_bare);
        if (b.rps == 0 || p.rps == 0 || i.rps == 0) {
            state.SkipWithError("a request failed");
            return;
        }
        pool_ratio.push_back(p.rps / b.rps);
        inline_ratio.push_back(i.rps / b.rps);
        add(sum_bare, b);
        add(sum_pool, p);
        add(sum_inline, i);
    }
    const double n = static_cast<double>(pool_ratio.size()) * kConnections * kRequestsPerConnection;
    auto stats = [&](std::vector<double> v, const std::string& name) {
        std::sort(v.begin(), v.end());
        state.counters[name + "_ratio_min"] = v.front();
        state.counters[name + "_ratio_p25"] = v[v.size() / 4];
        state.counters[name + "_ratio_med"] = v[v.size() / 2];
        state.counters[name + "_ratio_p75"] = v[v.size() * 3 / 4];
        state.counters[name + "_ratio_max"] = v.back();
    };
    stats(pool_ratio, "pool");
    stats(inline_ratio, "inline");
    state.counters["bare_cs_per_req"] = sum_bare.cs / n;
    state.counters["pool_cs_per_req"] = sum_pool.cs / n;
    state.counters["inline_cs_per_req"] = sum_inline.cs / n;
    state.counters["bare_cpu_us_per_req"] = sum_bare.cpu_us / n;
    state.counters["pool_cpu_us_per_req"] = sum_pool.cpu_us / n;
    state.counters["inline_cpu_us_per_req"] = sum_inline.cpu_us / n;
    state.SetItemsProcessed(static_cast<std::int64_t>(3 * n));
}
BENCHMARK(bm_ratio)->Name("net/ratio_vs_bare_get")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
