#include <gtest/gtest.h>
#include <csignal>
#include <cstdio>
#include <string>

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
