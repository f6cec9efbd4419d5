// The SQLite backend: one connection (the writer, or a read-only reader) with its prepared-statement cache.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "connection.hpp"

namespace wp::store::detail {
namespace {

Failure classify(int rc) {
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Failure::kRetryable;
    return Failure::kOther;
}

class SqliteConnection final : public Connection {
  public:
    SqliteConnection(sqlite3* db, bool writer, std::string db_name, std::size_t cache_limit)
        : Connection(std::move(db_name), cache_limit), db_(db), writer_(writer) {}

    ~SqliteConnection() override {
        clear_cache();
        sqlite3_close_v2(db_);
    }

    Backend backend() const override { return Backend::kSqlite; }
    bool broken() const override { return false; }

    Result<void> begin(bool writable) override {
        if (cache_.size() > cache_limit_) clear_cache();
        if (writable && !writer_) return make_error(fail(Failure::kOther, Errc::kIo, "", "not the writer connection"));
        WP_TRY_VOID(run(writable ? "BEGIN IMMEDIATE" : "BEGIN", {}, nullptr));
        return {};
    }

    Result<void> commit() override {
        WP_TRY_VOID(run("COMMIT", {}, nullptr));
        return {};
    }

    void rollback() override {
        if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }

    Result<std::int64_t> run(std::string_view sql, std::span<const Param> params, ResultData* out) override {
        WP_TRY(sqlite3_stmt * stmt, prepare(sql));
        const int expected = sqlite3_bind_parameter_count(stmt);
        if (static_cast<std::size_t>(expected) != params.size())
            return make_error(
                fail(Failure::kOther, Errc::kInvalidArgument, sql,
                     "expects " + std::to_string(expected) + " parameters, got " + std::to_string(params.size())));
        struct Reset {
            sqlite3_stmt* s;
            ~Reset() {
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
            }
        } reset{stmt};
        for (std::size_t k = 0; k < params.size(); ++k) {
            const Param& p = params[k];
            const int index = static_cast<int>(k + 1);
            int rc = SQLITE_OK;
            switch (p.kind()) {
                case Param::Kind::kNull: rc = sqlite3_bind_null(stmt, index); break;
                case Param::Kind::kInt:
                case Param::Kind::kBool: rc = sqlite3_bind_int64(stmt, index, p.int_value()); break;
                case Param::Kind::kText:
                    rc = sqlite3_bind_text64(stmt, index, p.data().data(), p.data().size(), SQLITE_STATIC, SQLITE_UTF8);
                    break;
                case Param::Kind::kBytes:
                    rc = p.data().empty()
                             ? sqlite3_bind_zeroblob(stmt, index, 0)
                             : sqlite3_bind_blob64(stmt, index, p.data().data(), p.data().size(), SQLITE_STATIC);
                    break;
                case Param::Kind::kInvalid:
                    return make_error(fail(Failure::kOther, Errc::kInvalidArgument, sql,
                                           "parameter $" + std::to_string(k + 1) + ": " + p.data()));
            }
            if (rc != SQLITE_OK)
                return make_error(fail(classify(rc), Errc::kIo, sql,
                                       "binding parameter $" + std::to_string(k + 1) + ": " + sqlite3_errmsg(db_)));
        }
        const int ncols = sqlite3_column_count(stmt);
        if (out != nullptr) {
            out->columns.clear();
            for (int c = 0; c < ncols; ++c) {
                const char* name = sqlite3_column_name(stmt, c);
                out->columns.emplace_back(name != nullptr ? name : "");
            }
        }
        for (;;) {
            const int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return make_error(fail(classify(rc), Errc::kIo, sql, sqlite3_errmsg(db_)));
            if (out == nullptr) continue;
            ++out->rows;
            for (int c = 0; c < ncols; ++c) {
                Cell cell;
                switch (sqlite3_column_type(stmt, c)) {
                    case SQLITE_INTEGER:
                        cell.kind = Cell::Kind::kInt;
                        cell.i = sqlite3_column_int64(stmt, c);
                        break;
                    case SQLITE_FLOAT: {
                        cell.kind = Cell::Kind::kReal;
                        const auto* t = sqlite3_column_text(stmt, c);
                        cell.s.assign(reinterpret_cast<const char*>(t),
                                      static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
                        break;
                    }
                    case SQLITE_TEXT: {
                        cell.kind = Cell::Kind::kText;
                        const auto* t = sqlite3_column_text(stmt, c);
                        cell.s.assign(reinterpret_cast<const char*>(t),
                                      static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
                        break;
                    }
                    case SQLITE_BLOB: {
                        cell.kind = Cell::Kind::kBytes;
                        const void* b = sqlite3_column_blob(stmt, c);
                        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
                        if (b != nullptr) cell.s.assign(static_cast<const char*>(b), size);
                        break;
                    }
                    default: break;
                }
                out->cells.push_back(std::move(cell));
            }
        }
        return sqlite3_stmt_readonly(stmt) != 0 ? 0 : static_cast<std::int64_t>(sqlite3_changes64(db_));
    }

    Result<void> exec_script(std::string_view sql) override {
        WP_TRY(std::string text, rewrite_sql(sql, Backend::kSqlite));
        char* message = nullptr;
        const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
        if (rc != SQLITE_OK) {
            std::string m = message != nullptr ? message : sqlite3_errstr(rc);
            sqlite3_free(message);
            return make_error(fail(classify(rc), Errc::kIo, sql, m));
        }
        return {};
    }

    // Opening: pragmas set and read back on every connection.
    Result<void> configure(const Options& options) {
        sqlite3_extended_result_codes(db_, 1);
        if (writer_) {
            WP_TRY(std::string mode, pragma_text("PRAGMA journal_mode=WAL"));
            if (mode != "wal")
                return make_error(
                    fail(Failure::kOther, Errc::kIo, "", "journal_mode is '" + mode + "', expected 'wal'"));
        }
        const auto busy = options.busy_timeout.count();
        const std::int64_t sync = options.durability == Durability::kFull ? 2 : 1;
        WP_TRY_VOID(exec_script("PRAGMA foreign_keys=ON; PRAGMA busy_timeout=" + std::to_string(busy) +
                                "; PRAGMA synchronous=" + std::to_string(sync)));
        WP_TRY(std::int64_t fk, pragma_int("PRAGMA foreign_keys"));
        if (fk != 1)
            return make_error(fail(Failure::kOther, Errc::kIo, "", "foreign_keys reads back " + std::to_string(fk)));
        WP_TRY(std::int64_t bt, pragma_int("PRAGMA busy_timeout"));
        if (bt != busy)
            return make_error(
                fail(Failure::kOther, Errc::kIo, "",
                     "busy_timeout reads back " + std::to_string(bt) + ", expected " + std::to_string(busy)));
        WP_TRY(std::int64_t sy, pragma_int("PRAGMA synchronous"));
        if (sy != sync)
            return make_error(
                fail(Failure::kOther, Errc::kIo, "",
                     "synchronous reads back " + std::to_string(sy) + ", expected " + std::to_string(sync)));
        WP_TRY(std::string mode, pragma_text("PRAGMA journal_mode"));
        if (mode != "wal")
            return make_error(fail(Failure::kOther, Errc::kIo, "", "journal_mode is '" + mode + "', expected 'wal'"));
        if (writer_) WP_TRY_VOID(exec_script("BEGIN IMMEDIATE; ROLLBACK"));  // creates the -wal and -shm files
        clear_cache();
        return {};
    }

  private:
    Result<sqlite3_stmt*> prepare(std::string_view sql) {
        auto it = cache_.find(std::string(sql));
        if (it != cache_.end()) return it->second;
        WP_TRY(std::string text, rewrite_sql(sql, Backend::kSqlite));
        sqlite3_stmt* stmt = nullptr;
        const char* tail = nullptr;
        const int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size() + 1),
                                          SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(stmt);
            return make_error(fail(classify(rc), Errc::kIo, sql, sqlite3_errmsg(db_)));
        }
        if (stmt == nullptr) return make_error(fail(Failure::kOther, Errc::kInvalidArgument, sql, "no statement"));
        if (tail != nullptr) {
            for (const char* p = tail; *p != '\0'; ++p) {
                if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
                    sqlite3_finalize(stmt);
                    return make_error(fail(Failure::kOther, Errc::kInvalidArgument, sql,
                                           "one statement per call (use exec_script for several)"));
                }
            }
        }
        cache_.emplace(std::string(sql), stmt);
        return stmt;
    }

    Result<ResultData> pragma(std::string_view sql) {
        ResultData data;
        WP_TRY_VOID(run(sql, {}, &data));
        if (data.rows != 1 || data.columns.size() != 1)
            return make_error(fail(Failure::kOther, Errc::kIo, sql, "expected one value"));
        return data;
    }
    Result<std::string> pragma_text(std::string_view sql) {
        WP_TRY(ResultData data, pragma(sql));
        return data.cells[0].s;
    }
    Result<std::int64_t> pragma_int(std::string_view sql) {
        WP_TRY(ResultData data, pragma(sql));
        if (data.cells[0].kind != Cell::Kind::kInt)
            return make_error(fail(Failure::kOther, Errc::kIo, sql, "expected an integer"));
        return data.cells[0].i;
    }

    void clear_cache() {
        for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
        cache_.clear();
    }

    sqlite3* db_;
    bool writer_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<Connection>> open_sqlite(const std::string& path, bool writer, const Options& options,
                                                const std::string& db_name) {
    sqlite3* db = nullptr;
    const int flags = (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    // The writer with synchronous=FULL gathers a commit's WAL frames into one write (Options::sqlite_wal_batching).
    const char* vfs = writer && options.durability == Durability::kFull && options.sqlite_wal_batching
                          ? wal_batching_vfs()
                          : nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
    if (rc != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        return make_error(Errc::kIo, "database " + db_name + ": cannot open " + (writer ? "the writer" : "a reader") +
                                         " connection: " + message);
    }
    auto conn = std::make_unique<SqliteConnection>(db, writer, db_name, options.statement_cache_size);
    WP_TRY_VOID(conn->configure(options));
    return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace wp::store::detail
