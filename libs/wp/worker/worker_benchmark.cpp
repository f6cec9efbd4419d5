// Worker overhead per task for a trivial app, against a bare bubblewrap start measured in the same run:
//
//   worker/bare_bwrap_true        `bwrap` with the same namespaces running busybox `true` (fork + exec + wait):
//                                 the floor any sandboxed start pays
//   worker/trivial_task           one task through the worker's own path: SandboxRuntime::run of an app that writes
//                                 a file and computed.json, then collect_result (digest), zip_folder, the
//                                 contribution hashes and the contribute transaction (Hub calldata + signature, what
//                                 PocoChainPort hands to the TxManager; sending it is the chain's time, not the
//                                 worker's)
//   worker/overhead_ratio         both measured in alternating rounds; counters ratio_{min,med,max} =
//                                 trivial_task time / bare bwrap time, and task_ms / bare_ms medians; and the CPU
//                                 of each (user + system, this process and its reaped children — bwrap, the app —
//                                 from getrusage): task_cpu_ms / bare_cpu_ms medians. The benchmark process keeps
//                                 8 idle threads, as a worker has (its HTTP, heartbeat and replicate threads): a
//                                 start that copies the address space (fork) pays for them
//
// Needs /usr/bin/bwrap and /bin/busybox (scripts/install-deps.sh); skipped with an error message otherwise.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spawn.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/chain/signing.hpp>
#include <wp/worker/result.hpp>
#include <wp/worker/result_zip.hpp>
#include <wp/worker/sandbox_runtime.hpp>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// CPU time (user + system) of this process and its reaped children, in ms.
double cpu_ms() {
    auto ms = [](const rusage& u) {
        return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
               static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
    };
    rusage self{}, children{};
    ::getrusage(RUSAGE_SELF, &self);
    ::getrusage(RUSAGE_CHILDREN, &children);
    return ms(self) + ms(children);
}

// Threads that only wait, as the worker's (a multithreaded process is what the sandbox start runs from).
struct IdleThreads {
    std::mutex m;
    std::condition_variable cv;
    bool stop = false;
    std::vector<std::thread> threads;
    explicit IdleThreads(int n) {
        for (int i = 0; i < n; ++i)
            threads.emplace_back([this] {
                std::unique_lock lock(m);
                cv.wait(lock, [this] { return stop; });
            });
    }
    ~IdleThreads() {
        {
            std::lock_guard lock(m);
            stop = true;
        }
        cv.notify_all();
        for (auto& t : threads) t.join();
    }
};

bool tools_present() { return ::access("/usr/bin/bwrap", X_OK) == 0 && ::access("/bin/busybox", X_OK) == 0; }

bool bare_bwrap_true() {
    std::vector<std::string> args = {"/usr/bin/bwrap", "--unshare-all", "--unshare-user", "--die-with-parent",
                                     "--new-session",  "--ro-bind",     "/bin/busybox",   "/bin/true",
                                     "--proc",         "/proc",         "--dev",          "/dev",
                                     "/bin/true"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return false;
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct TaskFixture {
    fs::path root;
    wp::worker::SandboxRuntime runtime;
    wp::worker::RunSpec spec;
    int n = 0;
    // Never contacted: the Hub only builds calldata here.
    wp::chain::JsonRpcClient rpc{wp::chain::JsonRpcOptions{.url = "http://127.0.0.1:1"}};
    wp::chain::EthClient eth{rpc};
    wp::chain::Hub hub{eth, wp::PrivateKey::generate().address()};
    wp::PrivateKey wallet = wp::PrivateKey::generate();

    TaskFixture() {
        std::string name = "wp-worker-bench-";
        name += std::to_string(::getpid());
        root = fs::temp_directory_path() / name;
        fs::create_directories(root / "app");
        fs::permissions(root, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec |
                                  fs::perms::group_read | fs::perms::group_exec);
        std::ofstream(root / "app/iexec-app.json") << R"({"entrypoint":"run.sh"})";
        std::ofstream(root / "app/run.sh")
            << "#!/bin/sh\necho 42 > $IEXEC_OUT/result.txt\n"
               "echo '{\"deterministic-output-path\":\"/iexec_out/result.txt\"}' > $IEXEC_OUT/computed.json\n";
        fs::permissions(root / "app/run.sh", fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec |
                                                 fs::perms::group_read | fs::perms::group_exec);
        fs::create_directories(root / "in");
        spec.app = (root / "app").string();
        spec.in_dir = root / "in";
        spec.env = {{"PATH", "/bin"}, {"IEXEC_IN", "/iexec_in"}, {"IEXEC_OUT", "/iexec_out"}};
        spec.memory_bytes = 256ull << 20;
    }
    ~TaskFixture() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }

    bool one_task() {
        std::string name = "t";
        name += std::to_string(n++);
        const fs::path task = root / name;
        spec.out_dir = task / "iexec_out";
        fs::create_directories(spec.out_dir);
        std::atomic<bool> cancel{false};
        auto outcome = runtime.run(spec, cancel);
        if (!outcome || !outcome->success()) return false;
        auto collected = wp::worker::collect_result(spec.out_dir, false, std::nullopt);
        if (!collected || collected->failure) return false;
        if (!wp::worker::zip_folder(spec.out_dir, task / "iexec_out.zip")) return false;
        wp::Bytes32 task_id;
        task_id.bytes[0] = static_cast<std::uint8_t>(n);
        const auto c = wp::worker::make_contribution(wallet.address(), task_id, collected->digest);
        auto call =
            hub.contribute(task_id, c.result_hash, c.result_seal, wp::Address{}, wp::Bytes(65, 0), wp::Bytes(65, 1));
        if (!call) return false;
        wp::chain::TxRequest req{call->to, call->data, call->value, 400'000, "contribute"};
        wp::chain::FeeParams fees;
        fees.max_fee_per_gas = wp::U256(2'000'000'000);
        fees.max_priority_fee_per_gas = wp::U256(1'000'000'000);
        auto tx = wp::chain::sign_transaction(req, wallet, 31337, static_cast<std::uint64_t>(n), fees);
        if (!tx) return false;
        benchmark::DoNotOptimize(tx->hash);
        std::error_code ec;
        fs::remove_all(task, ec);
        return true;
    }
};

void bm_bare(benchmark::State& state) {
    if (!tools_present()) return state.SkipWithError("bwrap or busybox missing");
    for (auto _ : state)
        if (!bare_bwrap_true()) return state.SkipWithError("bare bwrap failed");
}
BENCHMARK(bm_bare)->Name("worker/bare_bwrap_true")->UseRealTime()->Unit(benchmark::kMillisecond);

void bm_task(benchmark::State& state) {
    if (!tools_present()) return state.SkipWithError("bwrap or busybox missing");
    TaskFixture fx;
    for (auto _ : state)
        if (!fx.one_task()) return state.SkipWithError("trivial task failed");
}
BENCHMARK(bm_task)->Name("worker/trivial_task")->UseRealTime()->Unit(benchmark::kMillisecond);

void bm_ratio(benchmark::State& state) {
    if (!tools_present()) return state.SkipWithError("bwrap or busybox missing");
    TaskFixture fx;
    IdleThreads idle(8);
    constexpr int kRound = 5;
    std::vector<double> ratios, bare_ms, task_ms, bare_cpu, task_cpu;
    for (auto _ : state) {
        double b = 0, t = 0, bc = 0, tc = 0;
        for (int pass = 0; pass < 2; ++pass) {
            const bool bare_first = (ratios.size() + static_cast<std::size_t>(pass)) % 2 == 0;
            for (int which = 0; which < 2; ++which) {
                const bool bare = (which == 0) == bare_first;
                const auto t0 = Clock::now();
                const double c0 = cpu_ms();
                for (int i = 0; i < kRound; ++i) {
                    const bool ok = bare ? bare_bwrap_true() : fx.one_task();
                    if (!ok) return state.SkipWithError("a run failed");
                }
                const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / kRound;
                (bare ? b : t) += ms / 2;
                (bare ? bc : tc) += (cpu_ms() - c0) / kRound / 2;
            }
        }
        bare_ms.push_back(b);
        task_ms.push_back(t);
        bare_cpu.push_back(bc);
        task_cpu.push_back(tc);
        ratios.push_back(t / b);
    }
    auto med = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    std::vector<double> sorted = ratios;
    std::sort(sorted.begin(), sorted.end());
    state.counters["ratio_min"] = sorted.front();
    state.counters["ratio_med"] = sorted[sorted.size() / 2];
    state.counters["ratio_max"] = sorted.back();
    state.counters["bare_ms"] = med(bare_ms);
    state.counters["task_ms"] = med(task_ms);
    state.counters["bare_cpu_ms"] = med(bare_cpu);
    state.counters["task_cpu_ms"] = med(task_cpu);
}
BENCHMARK(bm_ratio)->Name("worker/overhead_ratio")->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(6);

}  // namespace
