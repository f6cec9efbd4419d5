#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include <wp/sys/process.hpp>
#include <wp/sys/tcp.hpp>

namespace wp::sys {
namespace {

std::string temp_path(const char* name) { return testing::TempDir() + "wp_sys_" + name; }

TEST(Process, CapturesStdoutAndExitCode) {
    const auto out = temp_path("out.txt");
    auto p = Process::spawn({.argv = {"sh", "-c", "echo hello $WP_X; echo oops >&2; exit 3"},
                             .env = {"WP_X=world"},
                             .stdout_path = out,
                             .stderr_path = temp_path("err.txt")});
    ASSERT_TRUE(p) << p.error().message;
    auto s = p->wait_for(std::chrono::seconds(10));
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(s->exited);
    EXPECT_EQ(s->code, 3);
    EXPECT_EQ(s->to_string(), "exit code 3");
    EXPECT_EQ(read_text_file(out).value(), "hello world\n");
    EXPECT_EQ(read_text_file(temp_path("err.txt")).value(), "oops\n");
}

TEST(Process, MergedOutputAndCleanEnvironment) {
    const auto out = temp_path("merged.txt");
    auto p = Process::spawn({.argv = {"/bin/sh", "-c", "echo a; echo b >&2; echo \"[$HOME]\""},
                             .env = {"PATH=/bin:/usr/bin"},
                             .inherit_env = false,
                             .stdout_path = out,
                             .stderr_path = out});
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->wait_for(std::chrono::seconds(10))->success());
    EXPECT_EQ(read_text_file(out).value(), "a\nb\n[]\n");
}

TEST(Process, WaitTimeoutThenTerminate) {
    auto p = Process::spawn({.argv = {"sleep", "30"}});
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->running());
    auto w = p->wait_for(std::chrono::milliseconds(50));
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().code, Errc::kTimeout);
    auto t = p->terminate();
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_FALSE(t->exited);
    EXPECT_EQ(t->signal, SIGTERM);
    EXPECT_FALSE(p->running());
}

TEST(Process, SigkillAfterGraceWhenSigtermIgnored) {
    auto p = Process::spawn({.argv = {"sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"}});
    ASSERT_TRUE(p);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the shell install its trap
    auto t = p->terminate(std::chrono::milliseconds(100));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->signal, SIGKILL);
}

TEST(Process, SpawnErrors) {
    auto p = Process::spawn({.argv = {"/nonexistent/program"}});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, Errc::kIo);
    EXPECT_NE(p.error().message.find("/nonexistent/program"), std::string::npos);
    EXPECT_EQ(Process::spawn({}).error().code, Errc::kInvalidArgument);
}

//! True when `pid` no longer runs: gone, or a zombie waiting for its new parent to reap it.
bool process_gone(pid_t pid) {
    std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (f == nullptr) return true;
    char state = '?';
    const int n = std::fscanf(f, "%*d (%*[^)]) %c", &state);
    std::fclose(f);
    return n == 1 && (state == 'Z' || state == 'X');
}

TEST(Process, DieWithParentKillsTheChildWhenItsParentIsKilled) {
    // A forked intermediate process spawns `sleep 30` with die_with_parent, reports its pid, then is SIGKILLed.
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t middle = ::fork();
    ASSERT_GE(middle, 0);
    if (middle == 0) {
        ::close(fds[0]);
        auto p = Process::spawn({.argv = {"sleep", "30"}, .die_with_parent = true});
        const pid_t grandchild = p ? p->pid() : -1;
        ssize_t w = ::write(fds[1], &grandchild, sizeof grandchild);
        (void)w;
        ::pause();
        ::_exit(0);
    }
    ::close(fds[1]);
    pid_t grandchild = 0;
    ASSERT_EQ(::read(fds[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
    ::close(fds[0]);
    ASSERT_GT(grandchild, 0);
    EXPECT_FALSE(process_gone(grandchild));
    ::kill(middle, SIGKILL);
    int raw = 0;
    ASSERT_EQ(::waitpid(middle, &raw, 0), middle);
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {  // up to 5 s; normally immediate
        gone = process_gone(grandchild);
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(gone) << "the grandchild " << grandchild << " survived its parent";
    if (!gone) ::kill(grandchild, SIGKILL);
}

TEST(Tcp, FreePortAndWait) {
    auto port = find_free_tcp_port();
    ASSERT_TRUE(port) << port.error().message;
    EXPECT_GT(*port, 0);
    auto w = wait_for_tcp_port("127.0.0.1", *port, std::chrono::milliseconds(60));
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().code, Errc::kTimeout);
    EXPECT_EQ(wait_for_tcp_port("localhost", *port, std::chrono::milliseconds(1)).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace wp::sys
