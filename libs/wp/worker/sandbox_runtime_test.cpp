#include "sandbox_runtime.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "test_support.hpp"

namespace wp::worker {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::ScratchDir;
using testing::shell;
using testing::write_file;

// A bundle folder whose entrypoint is the given shell script.
fs::path make_app(const ScratchDir& d, const std::string& script) {
    fs::permissions(d.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
    const fs::path app = d / "app";
    write_file(app / "iexec-app.json", R"({"entrypoint":"run.sh","args":["default-arg"]})");
    write_file(app / "run.sh", "#!/bin/sh\n" + script + "\n");
    fs::permissions(app / "run.sh", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
    fs::create_directories(d / "in");
    fs::create_directories(d / "out");
    return app;
}

RunSpec spec_for(const ScratchDir& d, const fs::path& app) {
    RunSpec s;
    s.app = app.string();
    s.in_dir = d / "in";
    s.out_dir = d / "out";
    s.env = {{"PATH", "/bin"}, {"IEXEC_IN", "/iexec_in"}, {"IEXEC_OUT", "/iexec_out"}, {"IEXEC_TASK_ID", "0xabc"}};
    s.max_time = std::chrono::seconds(20);
    s.memory_bytes = 256ull << 20;
    return s;
}

RunOutcome run_ok(SandboxRuntime& rt, const RunSpec& spec) {
    std::atomic<bool> cancel{false};
    auto r = rt.run(spec, cancel);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : RunOutcome{};
}

TEST(Sandbox, RunsTheEntrypointWithArgsEnvAndMounts) {
    ScratchDir d("sb-hello");
    const auto app = make_app(d, R"(echo "args:$#:$1:$2" > $IEXEC_OUT/args.txt
env | sort > $IEXEC_OUT/env.txt
cat $IEXEC_IN/input.txt > $IEXEC_OUT/copy.txt
id -u > $IEXEC_OUT/uid.txt
pwd > $IEXEC_OUT/pwd.txt
echo to-stdout; echo to-stderr >&2
exit 3)");
    write_file(d / "in/input.txt", "from input");
    SandboxRuntime rt;
    auto spec = spec_for(d, app);
    spec.args = {"a b", "c"};
    const auto o = run_ok(rt, spec);
    EXPECT_EQ(o.exit_code, 3);
    EXPECT_FALSE(o.success());
    EXPECT_FALSE(o.timed_out);
    EXPECT_EQ(read_file(d / "out/args.txt"), "args:2:a b:c\n");
    EXPECT_EQ(read_file(d / "out/copy.txt"), "from input");
    EXPECT_EQ(read_file(d / "out/uid.txt"), "1000\n");
    EXPECT_EQ(read_file(d / "out/pwd.txt"), "/app\n");
    // Exactly the given environment (plus PWD / SHLVL, which the shell itself sets: level 2 when the RLIMIT_NPROC
    // shell started the app, 1 when the pids cgroup limits it and the entrypoint is exec'd directly).
    const std::string shlvl = rt.pids_cgroup_available() ? "1" : "2";
    EXPECT_EQ(
        read_file(d / "out/env.txt"),
        "IEXEC_IN=/iexec_in\nIEXEC_OUT=/iexec_out\nIEXEC_TASK_ID=0xabc\nPATH=/bin\nPWD=/app\nSHLVL=" + shlvl + "\n");
    EXPECT_NE(o.log_tail.find("to-stdout\n"), std::string::npos);
    EXPECT_NE(o.log_tail.find("to-stderr\n"), std::string::npos);

    // No args: the manifest's default args.
    spec.args.clear();
    const auto o2 = run_ok(rt, spec);
    EXPECT_EQ(read_file(d / "out/args.txt"), "args:1:default-arg:\n");
    EXPECT_EQ(o2.exit_code, 3);
}

// A worker run as root keeps its work folder wherever the operator put it: under /root (0700 on Debian 12) or in a
// `mktemp -d` folder (0700), which the unprivileged sandbox user cannot enter. The app still runs with exactly its
// mounts (the runtime stages them through descriptors) and sees nothing else of that folder.
TEST(Sandbox, RunsFromAFolderTheSandboxUserCannotEnter) {
    ScratchDir d("sb-private");
    const fs::path priv = d / "private";
    fs::create_directories(priv);
    write_file(priv / "secret.txt", "do not read");
    write_file(priv / "app/iexec-app.json", R"({"entrypoint":"run.sh"})");
    write_file(priv / "app/run.sh",
               "#!/bin/sh\necho \"$(cat $IEXEC_IN/input.txt) $(id -u)\" > $IEXEC_OUT/r.txt\n"
               "ls / > $IEXEC_OUT/root.txt\ncat /tmp/wp-app/../secret.txt 2>/dev/null && exit 9\n"
               "exit 0\n");
    fs::permissions(priv / "app/run.sh", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                             fs::perms::others_read | fs::perms::others_exec);
    write_file(priv / "in/input.txt", "from input");
    fs::create_directories(priv / "out");
    fs::permissions(priv, fs::perms::owner_all);  // 0700
    fs::permissions(d.path(), fs::perms::owner_all);
    RunSpec spec;
    spec.app = (priv / "app").string();
    spec.in_dir = priv / "in";
    spec.out_dir = priv / "out";
    spec.env = {{"PATH", "/bin"}, {"IEXEC_IN", "/iexec_in"}, {"IEXEC_OUT", "/iexec_out"}};
    spec.max_time = std::chrono::seconds(20);
    SandboxRuntime rt;
    const auto o = run_ok(rt, spec);
    EXPECT_EQ(o.exit_code, 0) << o.log_tail;
    EXPECT_EQ(read_file(priv / "out/r.txt"), "from input 1000\n");
    const auto root = read_file(priv / "out/root.txt");
    EXPECT_EQ(root.find("tmp"), std::string::npos) << root;  // the staging folder never reaches the app
}

TEST(Sandbox, CannotReadOutsideItsMounts) {
    ScratchDir d("sb-read");
    write_file(d / "secret.txt", "TOP-SECRET");
    const auto app = make_app(d, "cat " + (d / "secret.txt").string() +
                                     " > $IEXEC_OUT/stolen.txt 2>&1\n"
                                     "cat /etc/passwd >> $IEXEC_OUT/stolen.txt 2>&1\n"
                                     "ls / > $IEXEC_OUT/root.txt\n"
                                     "ls /proc | grep -c '^[0-9]' > $IEXEC_OUT/procs.txt\n"
                                     "exit 0");
    SandboxRuntime rt;
    const auto o = run_ok(rt, spec_for(d, app));
    EXPECT_TRUE(o.success()) << o.log_tail;
    const auto stolen = read_file(d / "out/stolen.txt");
    EXPECT_EQ(stolen.find("TOP-SECRET"), std::string::npos) << stolen;
    EXPECT_EQ(stolen.find("root:"), std::string::npos) << stolen;
    EXPECT_NE(stolen.find("No such file or directory"), std::string::npos) << stolen;
    EXPECT_EQ(read_file(d / "out/root.txt"), "app\nbin\ndev\niexec_in\niexec_out\nproc\n");
    // Its own pid namespace: only the sandbox's processes are visible (bwrap's init, sh, ls/grep).
    EXPECT_LE(std::stoi(read_file(d / "out/procs.txt")), 5);
}

TEST(Sandbox, CannotWriteOutsideIexecOut) {
    ScratchDir d("sb-write");
    const auto app = make_app(d, R"(for p in /app/x /iexec_in/x /x /bin/x /dev/x /proc/x /tmp/x; do
  if echo pwned > $p 2>/dev/null; then echo "$p:written"; else echo "$p:refused"; fi
done > $IEXEC_OUT/report.txt
echo fine > $IEXEC_OUT/ok.txt)");
    SandboxRuntime rt;
    const auto o = run_ok(rt, spec_for(d, app));
    EXPECT_TRUE(o.success()) << o.log_tail;
    EXPECT_EQ(read_file(d / "out/report.txt"),
              "/app/x:refused\n/iexec_in/x:refused\n/x:refused\n/bin/x:refused\n/dev/x:refused\n/proc/x:refused\n"
              "/tmp/x:refused\n");
    EXPECT_EQ(read_file(d / "out/ok.txt"), "fine\n");
    EXPECT_FALSE(fs::exists(d / "app/x"));
    EXPECT_FALSE(fs::exists(d / "in/x"));
}

TEST(Sandbox, HasNoNetwork) {
    // A real listener on 127.0.0.1, reachable from the host (checked), not from the sandbox.
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(s, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(s, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    const std::string port = std::to_string(ntohs(addr.sin_port));
    {  // reachable from the host
        const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        EXPECT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        ::close(c);
    }

    ScratchDir d("sb-net");
    const auto app =
        make_app(d, "if nc -w 2 127.0.0.1 " + port +
                        " </dev/null 2>$IEXEC_OUT/err.txt; then echo connected; else echo refused; fi "
                        "> $IEXEC_OUT/net.txt\nip link 2>/dev/null | grep -c '^[0-9]' > $IEXEC_OUT/links.txt");
    SandboxRuntime rt;
    const auto o = run_ok(rt, spec_for(d, app));
    EXPECT_TRUE(o.success()) << o.log_tail;
    EXPECT_EQ(read_file(d / "out/net.txt"), "refused\n") << read_file(d / "out/err.txt");
    EXPECT_EQ(read_file(d / "out/links.txt"), "1\n");  // only its own loopback
    ::close(s);
}

TEST(Sandbox, KilledAtItsTimeLimitWithItsWholeTree) {
    ScratchDir d("sb-time");
    const auto app = make_app(d, "(while true; do echo t >> $IEXEC_OUT/tick.txt; sleep 0.05; done) &\nsleep 60");
    SandboxRuntime rt;
    auto spec = spec_for(d, app);
    spec.max_time = std::chrono::milliseconds(500);
    const auto o = run_ok(rt, spec);
    EXPECT_TRUE(o.timed_out);
    EXPECT_EQ(o.exit_code, -1);
    EXPECT_FALSE(o.success());
    // The background loop died with the sandbox: the file stops growing.
    const auto before = fs::file_size(d / "out/tick.txt");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(fs::file_size(d / "out/tick.txt"), before);
}

TEST(Sandbox, KilledAtTooMuchOutput) {
    ScratchDir d("sb-output");
    // One big file (stopped by the per-file limit) and many files (stopped by the watcher).
    for (const std::string script : {"yes iexec > $IEXEC_OUT/big.txt",
                                     "i=0; while true; do i=$((i+1)); "
                                     "head -c 10000 /dev/zero > $IEXEC_OUT/f$i; done"}) {
        fs::remove_all(d / "out");
        const auto app = make_app(d, script);
        SandboxRuntime rt;
        auto spec = spec_for(d, app);
        spec.max_output_bytes = 1 << 20;
        const auto o = run_ok(rt, spec);
        EXPECT_TRUE(o.output_too_large) << script;
        EXPECT_FALSE(o.timed_out) << script;
        EXPECT_FALSE(o.success());
        fs::remove_all(d / "app");
    }
}

TEST(Sandbox, MemoryBombIsStopped) {
    ScratchDir d("sb-memory");
    const auto app = make_app(d, "x=$(head -c 400000000 /dev/zero | tr '\\000' a)\necho survived > $IEXEC_OUT/x.txt");
    SandboxRuntime rt;
    auto spec = spec_for(d, app);
    spec.memory_bytes = 64ull << 20;
    const auto o = run_ok(rt, spec);
    EXPECT_FALSE(o.success()) << o.log_tail;
    EXPECT_FALSE(fs::exists(d / "out/x.txt"));
    if (rt.memory_cgroup_available()) {
        EXPECT_TRUE(o.out_of_memory) << o.log_tail;
    }
}

// Both ways of limiting processes: the pids cgroup (when the host has one) and the RLIMIT_NPROC shell.
class SandboxPids : public ::testing::TestWithParam<bool> {};

TEST_P(SandboxPids, ForkBombIsStopped) {
    ScratchDir d("sb-fork");
    SandboxRuntime rt({.use_pids_cgroup = GetParam()});
    if (GetParam() && !rt.pids_cgroup_available()) GTEST_SKIP() << "no pids cgroup on this host";
    // First: 100 background processes with a limit of 16; the shell reports that it cannot fork.
    auto app = make_app(d, "i=0; while [ $i -lt 100 ]; do sleep 3 & i=$((i+1)); done; echo started > $IEXEC_OUT/x.txt");
    auto spec = spec_for(d, app);
    spec.max_pids = 16;
    spec.max_time = std::chrono::seconds(10);
    auto o = run_ok(rt, spec);
    EXPECT_NE(o.log_tail.find("can't fork"), std::string::npos) << o.log_tail;
    // Then the classic bomb: it cannot take the machine down and ends at the time limit.
    fs::remove_all(d / "app");
    app = make_app(d, "b() { b | b & }; b; sleep 60");
    spec = spec_for(d, app);
    spec.max_pids = 16;
    spec.max_time = std::chrono::seconds(2);
    o = run_ok(rt, spec);
    EXPECT_FALSE(o.success());
    // A run without a process limit on a pooled group is not held by the previous run's limit.
    fs::remove_all(d / "app");
    app = make_app(d, "i=0; while [ $i -lt 40 ]; do sleep 1 & i=$((i+1)); done; wait; echo done > $IEXEC_OUT/x.txt");
    spec = spec_for(d, app);
    spec.max_pids = 0;
    o = run_ok(rt, spec);
    EXPECT_EQ(o.exit_code, 0) << o.log_tail;
    EXPECT_EQ(read_file(d / "out/x.txt"), "done\n");
}

// An entrypoint the kernel cannot start (its interpreter is missing) is the app's failure (exit 127, as a shell's
// "not found"), not the runtime's.
TEST_P(SandboxPids, AnEntrypointThatCannotStartIsTheAppsFailure) {
    ScratchDir d("sb-noexec");
    SandboxRuntime rt({.use_pids_cgroup = GetParam()});
    const auto app = make_app(d, "exit 0");
    write_file(app / "run.sh", "#!/nonexistent/interpreter\n");
    auto o = run_ok(rt, spec_for(d, app));
    EXPECT_EQ(o.exit_code, 127) << o.log_tail;
    EXPECT_FALSE(o.success());
}

INSTANTIATE_TEST_SUITE_P(Limit, SandboxPids, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "PidsCgroup" : "RlimitShell"; });

// The app is the init of its pid namespace: the run ends with the app's main process, and what it left running in
// the background is killed with the namespace (it writes nothing afterwards).
TEST(Sandbox, TheRunEndsWithTheAppsMainProcess) {
    ScratchDir d("sb-pid1");
    const auto app = make_app(d, "(sleep 30; echo late > $IEXEC_OUT/late.txt) &\necho $$ > $IEXEC_OUT/pid.txt");
    SandboxRuntime rt;
    auto spec = spec_for(d, app);
    spec.max_time = std::chrono::seconds(20);
    const auto o = run_ok(rt, spec);
    EXPECT_EQ(o.exit_code, 0) << o.log_tail;
    EXPECT_FALSE(o.timed_out);
    EXPECT_EQ(read_file(d / "out/pid.txt"), "1\n");
    EXPECT_FALSE(fs::exists(d / "out/late.txt"));
}

TEST(Sandbox, CancelStopsTheApp) {
    ScratchDir d("sb-cancel");
    const auto app = make_app(d, "echo started > $IEXEC_OUT/started.txt\nsleep 60");
    SandboxRuntime rt;
    std::atomic<bool> cancel{false};
    std::thread t([&] {
        while (!fs::exists(d / "out/started.txt")) std::this_thread::yield();
        cancel = true;
    });
    auto r = rt.run(spec_for(d, app), cancel);
    t.join();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->canceled);
    EXPECT_FALSE(r->success());
}

TEST(Sandbox, ParallelRunsAreIndependent) {
    SandboxRuntime rt;  // one runtime, four threads (and its cgroup pool)
    std::vector<std::unique_ptr<ScratchDir>> dirs;
    std::vector<std::thread> threads;
    std::vector<RunOutcome> outcomes(4);
    for (int i = 0; i < 4; ++i) dirs.push_back(std::make_unique<ScratchDir>("sb-par" + std::to_string(i)));
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] {
            const auto app = make_app(*dirs[static_cast<std::size_t>(i)],
                                      "echo $IEXEC_TASK_ID > $IEXEC_OUT/id.txt; exit " + std::to_string(i));
            auto spec = spec_for(*dirs[static_cast<std::size_t>(i)], app);
            spec.env.back().second = "task-" + std::to_string(i);
            outcomes[static_cast<std::size_t>(i)] = run_ok(rt, spec);
        });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < 4; ++i) {
        const auto u = static_cast<std::size_t>(i);
        EXPECT_EQ(outcomes[u].exit_code, i);
        EXPECT_EQ(read_file(*dirs[u] / "out/id.txt"), "task-" + std::to_string(i) + "\n");
    }
}

TEST(Sandbox, RuntimeFailuresAreErrors) {
    ScratchDir d("sb-errors");
    const auto app = make_app(d, "exit 0");
    std::atomic<bool> cancel{false};
    SandboxRuntime missing({.bwrap = "/nonexistent/bwrap"});
    auto r = missing.run(spec_for(d, app), cancel);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "sandbox: bubblewrap not found at /nonexistent/bwrap");
    SandboxRuntime rt;
    auto spec = spec_for(d, app);
    spec.app = (d / "nope").string();
    r = rt.run(spec, cancel);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "sandbox: app bundle: no iexec-app.json at its root");
}

}  // namespace
}  // namespace wp::worker
