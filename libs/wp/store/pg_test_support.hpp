#pragma once
// Tests only (header-only; link wp_sys): the PostgreSQL server a test suite runs against.
//
// test_postgres_url() returns, in this order:
//   1. $WP_PG_URL when set (any server the caller provides);
//   2. the URL written by the ctest fixture into the file $WP_PG_URL_FILE (tests/store/pg_cluster.sh start, run by
//      the fixture test store_pg.cluster_start; an error when the file is missing: the fixture failed);
//   3. otherwise a private throwaway cluster started once per process with tests/store/pg_cluster.sh (initdb into a
//      temporary directory, 127.0.0.1 and a free port, an unprivileged user when run as root), stopped and removed
//      when the process exits normally (a crashed test process leaves it: /tmp/wp-pg.*).
// Errors (Errc::kIo) carry the script's output, which names the Debian package to install when PostgreSQL is
// missing: a test suite calls it and FAILS on error (never skips).
// Thread safety: call it from the test thread (the first call starts the cluster).

#include <stdlib.h>  // mkdtemp

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <wp/core/result.hpp>
#include <wp/sys/process.hpp>

namespace wp::store::testing {

class PrivatePostgres {
  public:
    explicit PrivatePostgres(std::string script) : script_(std::move(script)) {}
    PrivatePostgres(const PrivatePostgres&) = delete;
    PrivatePostgres& operator=(const PrivatePostgres&) = delete;
    ~PrivatePostgres() {
        if (dir_.empty()) return;
        sys::SpawnOptions o;
        o.argv = {script_, "stop", dir_};
        if (auto p = sys::Process::spawn(o)) (void)p->wait_for(std::chrono::seconds(60));
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    Result<std::string> start() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "wp-pg-fixture.XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) return make_error(Errc::kIo, "PostgreSQL test cluster: mkdtemp failed");
        dir_ = tmpl;
        sys::SpawnOptions o;
        o.argv = {script_, "start", dir_};
        o.stdout_path = dir_ + "/start.log";
        o.stderr_path = dir_ + "/start.log";
        auto p = sys::Process::spawn(o);
        if (!p) return make_error(Errc::kIo, "PostgreSQL test cluster: " + p.error().message);
        auto status = p->wait_for(std::chrono::seconds(180));
        const auto log = sys::read_text_file(dir_ + "/start.log");
        if (!status || !status->success())
            return make_error(Errc::kIo, "PostgreSQL test cluster: " + script_ +
                                             " start failed: " + (log ? *log : std::string("(no output)")));
        auto url = sys::read_text_file(dir_ + "/url");
        if (!url) return make_error(Errc::kIo, "PostgreSQL test cluster: no url file: " + url.error().message);
        std::string u = *url;
        while (!u.empty() && (u.back() == '\n' || u.back() == ' ')) u.pop_back();
        return u;
    }

  private:
    std::string script_;
    std::string dir_;
};

#ifdef WP_SOURCE_DIR
inline Result<std::string> test_postgres_url(std::string script = WP_SOURCE_DIR "/tests/store/pg_cluster.sh") {
#else
inline Result<std::string> test_postgres_url(std::string script) {
#endif
    if (const char* url = std::getenv("WP_PG_URL"); url != nullptr && *url != '\0') return std::string(url);
    if (const char* file = std::getenv("WP_PG_URL_FILE"); file != nullptr && *file != '\0') {
        auto text = sys::read_text_file(file);
        if (!text)
            return make_error(Errc::kIo,
                              std::string("WP_PG_URL_FILE=") + file +
                                  " cannot be read: the ctest fixture store_pg.cluster_start failed (see its "
                                  "output; PostgreSQL comes from the Debian package 'postgresql')");
        std::string u = *text;
        while (!u.empty() && (u.back() == '\n' || u.back() == ' ')) u.pop_back();
        return u;
    }
    static std::unique_ptr<PrivatePostgres> cluster;
    static Result<std::string> url = make_error(Errc::kIo, "not started");
    if (!cluster) {
        cluster = std::make_unique<PrivatePostgres>(std::move(script));
        url = cluster->start();
    }
    return url;
}

}  // namespace wp::store::testing
