#pragma once
// Tests only (header-only): scratch folders and the outside oracles the worker's tests compare against
// (coreutils sha256sum, ethers 6 through node, GNU tar, Python's zipfile).

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace wp::worker::testing {

//! A fresh folder under /tmp, removed at the end of the test.
class ScratchDir {
  public:
    explicit ScratchDir(const std::string& name) {
        std::string tmpl = (std::filesystem::temp_directory_path() / ("wp-worker-" + name + ".XXXXXX")).string();
        if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
        path_ = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

  private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& p, const std::string& content) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << content;
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

//! Runs a shell command, returns its stdout with the trailing newline removed ("<failed>" when it exits non-zero).
inline std::string shell(const std::string& cmd) {
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return "<failed>";
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int rc = ::pclose(p);
    if (rc != 0) return "<failed>";
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

//! `node` with ethers 6 from tools/devnet/node_modules: runs the script (which prints its answer).
inline std::string ethers(const std::string& script) {
    const std::string modules = std::string(WP_SOURCE_DIR) + "/tools/devnet/node_modules";
    const std::string file =
        (std::filesystem::temp_directory_path() / ("wp-worker-ethers-" + std::to_string(::getpid()) + ".cjs")).string();
    write_file(file, "const ethers = require('" + modules + "/ethers');\n" + script);
    auto out = shell("node " + file);
    std::filesystem::remove(file);
    return out;
}

}  // namespace wp::worker::testing
