// Test support for wp_cli_test (not installed): a scratch folder per test as the CLI's working directory and home,
// the Environment pointing at it with captured output, and `run` to call the CLI as a user would.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "context.hpp"
#include "iexec_cli.hpp"

namespace wp::cli::test {

//! The whole content of `p` ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

//! Writes `text` to `p` (binary, truncated), creating its parent folders.
inline void write_file(const std::filesystem::path& p, std::string_view text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

//! A fresh folder `<TempDir>/<prefix><pid>_<test name>` (cwd) with `home/` (HOME), removed after the test.
class CliScratchTest : public ::testing::Test {
  protected:
    explicit CliScratchTest(std::string prefix) : prefix_(std::move(prefix)) {}

    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ =
            std::filesystem::path(::testing::TempDir()) / (prefix_ + std::to_string(::getpid()) + "_" + info->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_ / "home");
        env_.cwd = dir_;
        env_.home = dir_ / "home";
        env_.out = &out_;
        env_.err = &err_;
        env_.rpc_timeout = std::chrono::milliseconds(300);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    //! `iexec <args>` with the scratch environment; out_ / err_ hold what this run printed.
    int run(std::vector<std::string> args) {
        out_.str("");
        err_.str("");
        args.insert(args.begin(), "iexec");
        std::vector<const char*> argv;
        for (const auto& a : args) argv.push_back(a.c_str());
        return run_iexec(static_cast<int>(argv.size()), argv.data(), env_);
    }

    std::string prefix_;
    std::filesystem::path dir_;
    Environment env_;
    std::ostringstream out_, err_;
};

}  // namespace wp::cli::test
