// Database: connection pools, the transaction / retry loop, Tx, and the typed getters of Row.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "connection.hpp"
#include "store.hpp"

namespace wp::store {

// ---------------------------------------------------------------------------------------------------------------
// Rows / Row

Rows::Rows() : data_(std::make_shared<detail::ResultData>()) {}
std::size_t Rows::size() const { return data_->rows; }
const std::vector<std::string>& Rows::columns() const { return data_->columns; }

std::size_t Row::size() const { return data_->columns.size(); }

namespace {

using detail::Cell;

const char* kind_name(Cell::Kind k) {
    switch (k) {
        case Cell::Kind::kNull: return "NULL";
        case Cell::Kind::kInt: return "integer";
        case Cell::Kind::kBool: return "bool";
        case Cell::Kind::kText: return "text";
        case Cell::Kind::kBytes: return "bytes";
        case Cell::Kind::kReal: return "floating-point";
        case Cell::Kind::kNumeric: return "numeric";
    }
    return "?";
}

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {
    using Inner = T;
};

struct ColumnRef {
    const Cell* cell;
    std::string label;  // "column 'price' (1)"
};

Error type_error(const ColumnRef& c, std::string_view expected) {
    return Error{Errc::kDecoding, c.label + ": expected " + std::string(expected) + ", got " + kind_name(c.cell->kind)};
}

Result<std::int64_t> to_i64(const ColumnRef& c) {
    if (c.cell->kind == Cell::Kind::kInt) return c.cell->i;
    if (c.cell->kind == Cell::Kind::kNumeric) {  // PostgreSQL SUM(bigint), COUNT casts: exact integers only
        const std::string& s = c.cell->s;
        std::int64_t v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size()) return v;
        return make_error(Errc::kDecoding, c.label + ": numeric value is not an int64 integer");
    }
    return make_error(type_error(c, "an integer"));
}

template <class T>
Result<T> convert(const ColumnRef& c) {
    if constexpr (std::is_same_v<T, std::int64_t>) {
        return to_i64(c);
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        WP_TRY(std::int64_t v, to_i64(c));
        if (v < 0) return make_error(Errc::kDecoding, c.label + ": negative value for an unsigned integer");
        return static_cast<std::uint64_t>(v);
    } else if constexpr (std::is_same_v<T, bool>) {
        if (c.cell->kind == Cell::Kind::kBool) return c.cell->i != 0;
        if (c.cell->kind == Cell::Kind::kInt && (c.cell->i == 0 || c.cell->i == 1)) return c.cell->i == 1;
        if (c.cell->kind == Cell::Kind::kInt)
            return make_error(Errc::kDecoding,
                              c.label + ": expected a bool (0 or 1), got " + std::to_string(c.cell->i));
        return make_error(type_error(c, "a bool"));
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (c.cell->kind == Cell::Kind::kText) return c.cell->s;
        return make_error(type_error(c, "text"));
    } else {
        if (c.cell->kind != Cell::Kind::kBytes) return make_error(type_error(c, "bytes"));
        const ByteView view(reinterpret_cast<const std::uint8_t*>(c.cell->s.data()), c.cell->s.size());
        if constexpr (std::is_same_v<T, Bytes>) {
            return Bytes(view.begin(), view.end());
        } else {
            constexpr std::size_t kSize = std::is_same_v<T, Address> ? 20 : 32;
            if (view.size() != kSize)
                return make_error(Errc::kDecoding, c.label + ": expected " + std::to_string(kSize) + " bytes, got " +
                                                       std::to_string(view.size()));
            if constexpr (std::is_same_v<T, U256>) {
                return U256::load_be32(view.data());
            } else if constexpr (std::is_same_v<T, Address>) {
                return Address::from_view(view);
            } else {
                static_assert(std::is_same_v<T, Bytes32>, "unsupported column type");
                return Bytes32::from_view(view);
            }
        }
    }
}

template <class T>
Result<T> get_cell(const ColumnRef& c) {
    if constexpr (IsOptional<T>::value) {
        if (c.cell->kind == Cell::Kind::kNull) return T(std::nullopt);
        WP_TRY(auto v, convert<typename IsOptional<T>::Inner>(c));
        return T(std::move(v));
    } else {
        if (c.cell->kind == Cell::Kind::kNull) return make_error(Errc::kDecoding, c.label + ": is NULL");
        return convert<T>(c);
    }
}

Result<ColumnRef> column_at(const detail::ResultData& d, std::size_t row, std::size_t col) {
    if (col >= d.columns.size())
        return make_error(Errc::kInvalidArgument, "column index " + std::to_string(col) + " out of range (" +
                                                      std::to_string(d.columns.size()) + " columns)");
    return ColumnRef{&d.cells[row * d.columns.size() + col],
                     "column '" + d.columns[col] + "' (" + std::to_string(col) + ")"};
}

Result<std::size_t> column_index(const detail::ResultData& d, std::string_view name) {
    for (std::size_t i = 0; i < d.columns.size(); ++i)
        if (d.columns[i] == name) return i;
    return make_error(Errc::kInvalidArgument, "no column named '" + std::string(name) + "'");
}

}  // namespace

template <class T>
Result<T> Row::get(std::size_t column) const {
    WP_TRY(ColumnRef c, column_at(*data_, index_, column));
    return get_cell<T>(c);
}

template <class T>
Result<T> Row::get(std::string_view column) const {
    WP_TRY(std::size_t i, column_index(*data_, column));
    return get<T>(i);
}

bool Row::is_null(std::size_t column) const {
    if (column >= data_->columns.size()) return false;
    return data_->cells[index_ * data_->columns.size() + column].kind == Cell::Kind::kNull;
}
bool Row::is_null(std::string_view column) const {
    auto i = column_index(*data_, column);
    return i ? is_null(*i) : false;
}

#define WP_STORE_INSTANTIATE(T)                                                      \
    template Result<T> Row::get<T>(std::size_t) const;                               \
    template Result<T> Row::get<T>(std::string_view) const;                          \
    template Result<std::optional<T>> Row::get<std::optional<T>>(std::size_t) const; \
    template Result<std::optional<T>> Row::get<std::optional<T>>(std::string_view) const;
WP_STORE_INSTANTIATE(std::int64_t)
WP_STORE_INSTANTIATE(std::uint64_t)
WP_STORE_INSTANTIATE(bool)
WP_STORE_INSTANTIATE(std::string)
WP_STORE_INSTANTIATE(Bytes)
WP_STORE_INSTANTIATE(U256)
WP_STORE_INSTANTIATE(Address)
WP_STORE_INSTANTIATE(Bytes32)
#undef WP_STORE_INSTANTIATE

// ---------------------------------------------------------------------------------------------------------------
// Tx

namespace {

Result<void> check_not_doomed(const detail::Connection& c) {
    if (c.failure() == detail::Failure::kRetryable || c.failure() == detail::Failure::kConnectionLost)
        return make_error(Errc::kIo, "database " + c.db_name() +
                                         ": transaction attempt already failed with a retryable error (it is retried)");
    return {};
}

}  // namespace

Backend Tx::backend() const { return conn_->backend(); }

Result<std::int64_t> Tx::exec_params(std::string_view sql, std::span<const Param> params) {
    WP_TRY_VOID(check_not_doomed(*conn_));
    statements_->fetch_add(1, std::memory_order_relaxed);
    return conn_->run(sql, params, nullptr);
}

Result<Rows> Tx::query_params(std::string_view sql, std::span<const Param> params) {
    WP_TRY_VOID(check_not_doomed(*conn_));
    auto data = std::make_shared<detail::ResultData>();
    statements_->fetch_add(1, std::memory_order_relaxed);
    WP_TRY_VOID(conn_->run(sql, params, data.get()));
    return detail::Connection::make_rows(std::move(data));
}

Result<std::vector<Rows>> Tx::query_batch(std::span<const Statement> statements) {
    WP_TRY_VOID(check_not_doomed(*conn_));
    std::vector<detail::ResultData> data(statements.size());
    statements_->fetch_add(statements.size(), std::memory_order_relaxed);
    WP_TRY_VOID(conn_->run_batch(statements, data));
    std::vector<Rows> out;
    out.reserve(data.size());
    for (auto& d : data)
        out.push_back(detail::Connection::make_rows(std::make_shared<detail::ResultData>(std::move(d))));
    return out;
}

Result<Row> Tx::query_row_params(std::string_view sql, std::span<const Param> params) {
    WP_TRY(Rows rows, query_params(sql, params));
    if (rows.size() != 1)
        return make_error(Errc::kInvalidArgument, "database " + conn_->db_name() + ": " +
                                                      detail::describe_statement(sql) + ": expected one row, got " +
                                                      std::to_string(rows.size()));
    return rows[0];
}

Result<std::optional<Row>> Tx::query_opt_params(std::string_view sql, std::span<const Param> params) {
    WP_TRY(Rows rows, query_params(sql, params));
    if (rows.size() > 1)
        return make_error(Errc::kInvalidArgument, "database " + conn_->db_name() + ": " +
                                                      detail::describe_statement(sql) +
                                                      ": expected at most one row, got " + std::to_string(rows.size()));
    if (rows.empty()) return std::optional<Row>();
    return std::optional<Row>(rows[0]);
}

Result<std::int64_t> Tx::insert_many(std::string_view table, const std::vector<std::string>& columns,
                                     std::span<const std::vector<Param>> rows, std::string_view suffix) {
    const std::string what = "insert_many " + std::string(table);
    if (!detail::is_identifier(table))
        return make_error(Errc::kInvalidArgument, "insert_many: table name '" + std::string(table) +
                                                      "' is not an identifier [A-Za-z_][A-Za-z0-9_]*");
    if (columns.empty()) return make_error(Errc::kInvalidArgument, what + ": no column");
    for (const auto& c : columns)
        if (!detail::is_identifier(c))
            return make_error(Errc::kInvalidArgument,
                              what + ": column name '" + c + "' is not an identifier [A-Za-z_][A-Za-z0-9_]*");
    for (std::size_t r = 0; r < rows.size(); ++r)
        if (rows[r].size() != columns.size())
            return make_error(Errc::kInvalidArgument, what + ": row " + std::to_string(r) + " has " +
                                                          std::to_string(rows[r].size()) + " values, expected " +
                                                          std::to_string(columns.size()));
    // SQLite allows 32,766 variables per statement, PostgreSQL 65,535.
    const std::size_t chunk = std::max<std::size_t>(1, std::min<std::size_t>(500, 32000 / columns.size()));
    std::string head = "INSERT INTO " + std::string(table) + " (";
    for (std::size_t c = 0; c < columns.size(); ++c) {
        if (c != 0) head += ", ";
        head += columns[c];
    }
    head += ") VALUES ";
    std::int64_t total = 0;
    std::vector<Param> flat;
    for (std::size_t start = 0; start < rows.size(); start += chunk) {
        const std::size_t count = std::min(chunk, rows.size() - start);
        std::string sql = head;
        std::size_t index = 1;
        for (std::size_t r = 0; r < count; ++r) {
            sql += r != 0 ? ", (" : "(";
            for (std::size_t c = 0; c < columns.size(); ++c) {
                sql += c != 0 ? ", $" : "$";
                sql += std::to_string(index++);
            }
            sql += ")";
        }
        if (!suffix.empty()) sql += " " + std::string(suffix);
        flat.clear();
        flat.reserve(count * columns.size());
        for (std::size_t r = 0; r < count; ++r)
            for (const Param& p : rows[start + r]) flat.push_back(p);
        WP_TRY(std::int64_t n, exec_params(sql, flat));
        total += n;
    }
    return total;
}

Result<void> Tx::exec_script(std::string_view sql) {
    WP_TRY_VOID(check_not_doomed(*conn_));
    statements_->fetch_add(1, std::memory_order_relaxed);
    return conn_->exec_script(sql);
}

// ---------------------------------------------------------------------------------------------------------------
// Pools and the transaction loop

namespace detail {

//! A bounded pool of connections; `factory` (may be empty) opens a new one when none is idle and the pool is not
//! full. Thread-safe.
class Pool {
  public:
    using Factory = std::function<Result<std::unique_ptr<Connection>>()>;
    Pool(std::size_t max, Factory factory) : max_(max), factory_(std::move(factory)) {}

    void add(std::unique_ptr<Connection> c) {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(c));
        ++open_;
    }

    Result<std::unique_ptr<Connection>> acquire(std::chrono::milliseconds timeout, const std::string& db_name,
                                                std::atomic<std::uint64_t>& reconnects) {
        std::unique_lock lock(mutex_);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            while (!idle_.empty()) {
                auto c = std::move(idle_.back());
                idle_.pop_back();
                if (!c->broken()) return c;
                --open_;  // dropped by the server while idle: replaced below
                ++reconnects;
            }
            if (open_ < max_ && factory_) {
                ++open_;
                lock.unlock();
                auto c = factory_();
                if (!c) {
                    lock.lock();
                    --open_;
                    cv_.notify_one();
                    return make_error(std::move(c).error());
                }
                return std::move(*c);
            }
            if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
                !(open_ < max_ && factory_))
                return make_error(Errc::kTimeout, "database " + db_name + ": no free connection after " +
                                                      std::to_string(timeout.count()) + " ms (pool of " +
                                                      std::to_string(max_) + ")");
        }
    }

    void release(std::unique_ptr<Connection> c, bool discard) {
        {
            std::lock_guard lock(mutex_);
            if (discard) {
                --open_;
                c.reset();
            } else {
                idle_.push_back(std::move(c));
            }
        }
        cv_.notify_one();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_{0};
    std::size_t max_;
    Factory factory_;
};

class DatabaseImpl {
  public:
    DatabaseImpl(DatabaseUrl url, const Options& options) : url_(std::move(url)), options_(options) {
        if (options_.clock == nullptr) options_.clock = &system_clock();
    }

    Result<void> open() {
        if (options_.pool_size == 0)
            return make_error(Errc::kInvalidArgument, "database options: pool_size must be >= 1");
        if (options_.max_attempts < 1)
            return make_error(Errc::kInvalidArgument, "database options: max_attempts must be >= 1");
        if (url_.backend == Backend::kSqlite) {
            writer_ = std::make_unique<Pool>(1, Pool::Factory{});
            readers_ = std::make_unique<Pool>(options_.pool_size, Pool::Factory{});
            WP_TRY(auto w, open_sqlite(url_.sqlite_path, true, options_, url_.redacted));
            writer_->add(std::move(w));
            for (std::size_t i = 0; i < options_.pool_size; ++i) {
                WP_TRY(auto r, open_sqlite(url_.sqlite_path, false, options_, url_.redacted));
                readers_->add(std::move(r));
            }
        } else {
            auto factory = [this]() { return open_postgres(url_.conninfo, options_, url_.redacted); };
            WP_TRY(auto first, factory());
            readers_ = std::make_unique<Pool>(options_.pool_size, factory);
            readers_->add(std::move(first));
        }
        return {};
    }

    Result<void> run(Database& db, bool writable, const std::function<Result<void>(Tx&)>& fn) {
        (void)db;
        Pool& pool = (writable && writer_) ? *writer_ : *readers_;
        Error last;
        for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
            if (attempt > 1) {
                ++retries_;
                options_.clock->sleep_for(backoff(attempt));
            }
            WP_TRY(std::unique_ptr<Connection> conn, pool.acquire(options_.pool_timeout, url_.redacted, reconnects_));
            conn->clear_failure();
            auto begun = conn->begin(writable);
            if (!begun) {
                const Failure f = conn->failure();
                const bool lost = f == Failure::kConnectionLost || conn->broken();
                if (lost) ++reconnects_;
                pool.release(std::move(conn), lost);
                if (f == Failure::kRetryable || lost) {
                    last = std::move(begun).error();
                    continue;
                }
                return begun;
            }
            Tx tx(*conn, writable, statements_);
            std::optional<Result<void>> outcome;
            try {
                outcome.emplace(fn(tx));
            } catch (...) {  // fn must not throw; if it does, the connection still goes back to its pool
                conn->rollback();
                const bool broken = conn->broken();
                pool.release(std::move(conn), broken);
                throw;
            }
            auto result = std::move(*outcome);
            ++transactions_;
            if (!result) {
                const Failure f = conn->failure();
                conn->rollback();
                const bool lost = f == Failure::kConnectionLost || conn->broken();
                if (lost) ++reconnects_;
                pool.release(std::move(conn), lost);
                if (f == Failure::kRetryable || f == Failure::kConnectionLost) {
                    last = std::move(result).error();
                    continue;
                }
                return result;
            }
            auto committed = conn->commit();
            if (!committed) {
                const Failure f = conn->failure();
                const bool lost = f == Failure::kConnectionLost || conn->broken();
                if (!lost) conn->rollback();
                if (lost) ++reconnects_;
                pool.release(std::move(conn), lost);
                if (f == Failure::kRetryable) {
                    last = std::move(committed).error();
                    continue;
                }
                if (lost && writable)
                    return make_error(Errc::kIo, committed.error().message +
                                                     " (connection lost during COMMIT: commit outcome unknown)");
                if (!writable) return {};  // the snapshot was read completely; ending it is not part of the result
                return committed;
            }
            if (writable) ++write_commits_;
            pool.release(std::move(conn), false);
            return {};
        }
        return make_error(last.code, "database " + url_.redacted + ": gave up after " +
                                         std::to_string(options_.max_attempts) + " attempts: " + last.message);
    }

    Clock::duration backoff(int attempt) {
        const auto base = options_.retry_base_delay.count();
        const int shift = std::min(attempt - 2, 20);
        const auto raw = std::min<std::int64_t>(base << shift, options_.retry_max_delay.count());
        thread_local std::minstd_rand rng(std::random_device{}());
        std::uniform_int_distribution<std::int64_t> jitter(raw * 500, std::max<std::int64_t>(raw * 1000, raw * 500));
        return std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(jitter(rng)));
    }

    DatabaseUrl url_;
    Options options_;
    std::unique_ptr<Pool> writer_;   // SQLite only
    std::unique_ptr<Pool> readers_;  // SQLite: read-only connections; PostgreSQL: every connection
    std::atomic<std::uint64_t> transactions_{0};
    std::atomic<std::uint64_t> write_commits_{0};
    std::atomic<std::uint64_t> retries_{0};
    std::atomic<std::uint64_t> reconnects_{0};
    std::atomic<std::uint64_t> statements_{0};
};

}  // namespace detail

// ---------------------------------------------------------------------------------------------------------------
// Database

Database::Database(std::unique_ptr<detail::DatabaseImpl> impl) : impl_(std::move(impl)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(std::string_view url, const Options& options) {
    WP_TRY(DatabaseUrl parsed, parse_database_url(url));
    auto impl = std::make_unique<detail::DatabaseImpl>(std::move(parsed), options);
    WP_TRY_VOID(impl->open());
    return Database(std::move(impl));
}

Result<void> Database::run(bool writable, const std::function<Result<void>(Tx&)>& attempt) {
    return impl_->run(*this, writable, attempt);
}

Backend Database::backend() const { return impl_->url_.backend; }
const std::string& Database::name() const { return impl_->url_.redacted; }
const Options& Database::options() const { return impl_->options_; }
Stats Database::stats() const {
    return Stats{impl_->transactions_.load(), impl_->retries_.load(), impl_->reconnects_.load(),
                 impl_->write_commits_.load(), impl_->statements_.load()};
}

}  // namespace wp::store
