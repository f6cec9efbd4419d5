#pragma once
// Internal to wp_store: one database connection (SQLite or PostgreSQL), the materialised result of a statement,
// and the SQL rewriting shared by both backends. Not part of the public API.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/result.hpp>

#include "store.hpp"

namespace wp::store::detail {

//! One value of a result set. Bytes and text are both held in `s`.
struct Cell {
    enum class Kind : std::uint8_t { kNull, kInt, kBool, kText, kBytes, kReal, kNumeric };
    Kind kind{Kind::kNull};
    std::int64_t i{0};
    std::string s;
};

struct ResultData {
    std::vector<std::string> columns;
    std::vector<Cell> cells;  // row-major, rows * columns.size()
    std::size_t rows{0};
};

//! How the last failing operation of a connection failed (decides the retry).
enum class Failure : std::uint8_t {
    kNone,
    kOther,           //!< a plain error (constraint, syntax, type): returned to the caller
    kRetryable,       //!< SQLITE_BUSY / SQLITE_LOCKED, PostgreSQL 40001 / 40P01: the whole attempt is retried
    kConnectionLost,  //!< PostgreSQL connection failure: the connection is dropped; retried unless in COMMIT
};

//! The name of the SQLite VFS that writes a transaction's WAL frames with one pwrite at the WAL's sync instead of
//! two per page (sqlite_wal_vfs.cpp), registered on the first call; nullptr when it cannot be (then the default VFS
//! is used). Only for connections with synchronous=FULL (a commit syncs the WAL before its frames become visible).
const char* wal_batching_vfs();

class Connection {
  public:
    Connection(std::string db_name, std::size_t cache_limit)
        : db_name_(std::move(db_name)), cache_limit_(cache_limit) {}
    virtual ~Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    virtual Backend backend() const = 0;
    //! Starts a transaction (and trims the statement cache first when it is over its limit).
    virtual Result<void> begin(bool writable) = 0;
    virtual Result<void> commit() = 0;
    //! Best effort: ends the transaction if one is open.
    virtual void rollback() = 0;
    //! Runs one statement with its parameters; rows go to `out` when not null. Returns the changed-row count.
    virtual Result<std::int64_t> run(std::string_view sql, std::span<const Param> params, ResultData* out) = 0;
    virtual Result<void> exec_script(std::string_view sql) = 0;
    //! Runs statements in order, the rows of statement i into outs[i] (same sizes); stops at the first failure.
    //! Default: one run() each. PostgreSQL overrides it with pipeline mode (one round trip).
    virtual Result<void> run_batch(std::span<const Statement> statements, std::span<ResultData> outs) {
        for (std::size_t i = 0; i < statements.size(); ++i)
            WP_TRY_VOID(run(statements[i].sql, statements[i].params, &outs[i]));
        return {};
    }
    //! True when the connection is unusable (PostgreSQL: dropped by the server).
    virtual bool broken() const = 0;

    Failure failure() const { return failure_; }
    void clear_failure() { failure_ = Failure::kNone; }
    const std::string& db_name() const { return db_name_; }

    static Rows make_rows(std::shared_ptr<const ResultData> data) { return Rows(std::move(data)); }

  protected:
    //! Records a failure (the most severe of the attempt wins) and builds the error.
    Error fail(Failure kind, Errc code, std::string_view sql, std::string_view message);

    std::string db_name_;
    std::size_t cache_limit_;
    Failure failure_{Failure::kNone};
};

//! "statement 'INSERT INTO t ...'" (the first 120 characters, whitespace collapsed).
std::string describe_statement(std::string_view sql);

//! Rewrites $1.. to ?1.. (SQLite only) and the dialect tokens ${blob} / ${id}, outside quotes and comments.
Result<std::string> rewrite_sql(std::string_view sql, Backend backend);

//! True for [A-Za-z_][A-Za-z0-9_]* (at most 63 characters).
bool is_identifier(std::string_view name);

Result<std::unique_ptr<Connection>> open_sqlite(const std::string& path, bool writer, const Options& options,
                                                const std::string& db_name);
Result<std::unique_ptr<Connection>> open_postgres(const std::string& conninfo, const Options& options,
                                                  const std::string& db_name);

}  // namespace wp::store::detail
