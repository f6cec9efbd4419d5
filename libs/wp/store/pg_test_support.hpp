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
//
// ScratchDatabase: a fresh, empty database for one test on either backend — a SQLite file in its own temporary
// folder, or a PostgreSQL schema of its own on the cluster above (the URL selects it with search_path) — removed
// by the destructor. Every suite that runs on both backends (store, chain mirror, SQL journal, market, core) uses
// it, with test names ending in /Sqlite and /Postgres (wp_postgres_tests() in cmake/wp_postgres_tests.cmake gives
// the /Postgres ones the shared ctest fixture).

#include <stdlib.h>  // mkdtemp
#include <unistd.h>  // getpid

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <wp/core/result.hpp>
#include <wp/store/store.hpp>
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

//! "Sqlite" / "Postgres": the suffix of parameterised test names (INSTANTIATE_TEST_SUITE_P name generator).
inline std::string backend_test_name(Backend backend) { return backend == Backend::kSqlite ? "Sqlite" : "Postgres"; }

class ScratchDatabase {
  public:
    //! `tag` (any text; reduced to [a-z0-9_]) names the folder / schema together with the pid and a counter.
    static Result<ScratchDatabase> create(Backend backend, std::string_view tag) {
        static std::atomic<int> counter{0};
        std::string name = "t_";
        for (char c : tag.substr(0, 40))
            name += std::isalnum(static_cast<unsigned char>(c))
                        ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                        : '_';
        // Appended piecewise: gcc 12 -O3 reports a false -Wrestrict on `"_" + std::to_string(...)` here.
        name += '_';
        name += std::to_string(::getpid());
        name += '_';
        name += std::to_string(counter++);
        ScratchDatabase out;
        if (backend == Backend::kSqlite) {
            out.dir_ = std::filesystem::temp_directory_path() / name;
            std::error_code ec;
            std::filesystem::remove_all(out.dir_, ec);
            std::filesystem::create_directories(out.dir_, ec);
            if (ec) return make_error(Errc::kIo, "scratch database: cannot create " + out.dir_.string());
            out.url_ = "sqlite:" + (out.dir_ / "test.db").string();
            return out;
        }
        WP_TRY(std::string base, test_postgres_url());
        auto admin = Database::open(base);
        if (!admin) return make_error(admin.error());
        WP_TRY_VOID(admin->write([&](Tx& tx) { return tx.exec_script("CREATE SCHEMA " + name); }));
        out.schema_ = name;
        out.base_url_ = base;
        out.url_ = base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name;
        return out;
    }

    ScratchDatabase(ScratchDatabase&& other) noexcept { *this = std::move(other); }
    ScratchDatabase& operator=(ScratchDatabase&& other) noexcept {
        std::swap(dir_, other.dir_);
        std::swap(schema_, other.schema_);
        std::swap(base_url_, other.base_url_);
        std::swap(url_, other.url_);
        return *this;
    }
    ~ScratchDatabase() {
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
        if (!schema_.empty()) {
            if (auto admin = Database::open(base_url_))
                (void)admin->write([&](Tx& tx) { return tx.exec_script("DROP SCHEMA " + schema_ + " CASCADE"); });
        }
    }

    //! The URL to open (sqlite:… or postgresql://…?options=-csearch_path%3D<schema>).
    const std::string& url() const { return url_; }

  private:
    ScratchDatabase() = default;
    std::filesystem::path dir_;
    std::string schema_;
    std::string base_url_;
    std::string url_;
};

//! A scratch database and the Database opened on it: what a backend-parameterised suite keeps per test.
struct OpenedScratch {
    ScratchDatabase scratch;
    std::unique_ptr<Database> db;
};

//! ScratchDatabase::create(backend, tag), then Database::open(url, options). Errors: either step's.
inline Result<OpenedScratch> open_scratch(Backend backend, std::string_view tag, const Options& options = {}) {
    WP_TRY(auto scratch, ScratchDatabase::create(backend, tag));
    WP_TRY(auto db, Database::open(scratch.url(), options));
    return OpenedScratch{std::move(scratch), std::make_unique<Database>(std::move(db))};
}

}  // namespace wp::store::testing
