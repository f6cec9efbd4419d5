// The PostgreSQL backend (libpq): one connection with its named prepared statements. Parameters go as text
// (integers, booleans, text) or binary (bytea); results come back as text and are decoded by column type.

#include <libpq-fe.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connection.hpp"

namespace wp::store::detail {
namespace {

// Type OIDs (pg_type.dat; stable across PostgreSQL versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

void ignore_notice(void*, const char*) {}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_int_type(Oid t) { return t == kInt8Oid || t == kInt4Oid || t == kInt2Oid || t == kOidOid || t == kNumericOid; }

struct Prepared {
    std::string name;
    std::vector<Oid> param_types;
};

class PostgresConnection final : public Connection {
  public:
    PostgresConnection(PGconn* conn, std::string db_name, std::size_t cache_limit, bool pipeline)
        : Connection(std::move(db_name), cache_limit), conn_(conn), pipeline_(pipeline) {}
    ~PostgresConnection() override { PQfinish(conn_); }

    Backend backend() const override { return Backend::kPostgres; }
    bool broken() const override { return PQstatus(conn_) != CONNECTION_OK; }

    Result<void> begin(bool writable) override {
        if (cache_.size() > cache_limit_) {
            WP_TRY_VOID(simple("DEALLOCATE ALL"));
            cache_.clear();
        }
        return simple(writable ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                               : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    }
    Result<void> commit() override { return simple("COMMIT"); }
    void rollback() override {
        if (PQstatus(conn_) != CONNECTION_OK) return;
        if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
        ResultPtr r(PQexec(conn_, "ROLLBACK"));
    }

    Result<std::int64_t> run(std::string_view sql, std::span<const Param> params, ResultData* out) override {
        WP_TRY(const Prepared* prepared, prepare(sql));
        Bound b;
        WP_TRY_VOID(bind(sql, *prepared, params, b));
        ResultPtr res(PQexecPrepared(conn_, prepared->name.c_str(), static_cast<int>(params.size()), b.values.data(),
                                     b.lengths.data(), b.formats.data(), 0));
        return take_result(sql, res.get(), out);
    }

    // Pipeline mode (libpq 14+): every statement is sent, then one Sync, then the results are read in order. The
    // statements are prepared first (PQprepare waits for its answer, which pipeline mode does not allow). The
    // connection stays in blocking mode: the statements of a batch and their results are small enough for the
    // socket buffers, so neither side can block the other while the client is still sending.
    Result<void> run_batch(std::span<const Statement> statements, std::span<ResultData> outs) override {
        if (statements.size() <= 1 || !pipeline_) return Connection::run_batch(statements, outs);
        std::vector<const Prepared*> prepared(statements.size());
        std::vector<Bound> bound(statements.size());
        for (std::size_t i = 0; i < statements.size(); ++i) {
            WP_TRY(prepared[i], prepare(statements[i].sql));
            WP_TRY_VOID(bind(statements[i].sql, *prepared[i], statements[i].params, bound[i]));
        }
        if (PQenterPipelineMode(conn_) != 1) return make_error(result_error(statements.front().sql, nullptr));
        std::size_t sent = 0;
        for (; sent < statements.size(); ++sent) {
            const Bound& b = bound[sent];
            if (PQsendQueryPrepared(conn_, prepared[sent]->name.c_str(), static_cast<int>(b.values.size()),
                                    b.values.data(), b.lengths.data(), b.formats.data(), 0) != 1)
                break;
        }
        std::optional<Error> first;
        if (sent < statements.size()) first = result_error(statements[sent].sql, nullptr);
        if (PQpipelineSync(conn_) != 1) {
            // Nothing more can be read: the connection is unusable (reported broken, dropped by the pool).
            if (!first) first = result_error(statements.front().sql, nullptr);
            return make_error(std::move(*first));
        }
        for (std::size_t i = 0; i < sent; ++i) {
            ResultPtr res(PQgetResult(conn_));
            if (!res) {
                if (!first) first = result_error(statements[i].sql, nullptr);
                return make_error(std::move(*first));
            }
            if (PQresultStatus(res.get()) == PGRES_PIPELINE_ABORTED) {
                if (!first) first = result_error(statements[i].sql, res.get());
            } else if (!first) {
                if (auto r = take_result(statements[i].sql, res.get(), &outs[i]); !r) first = r.error();
            }
            ResultPtr end(PQgetResult(conn_));  // NULL: the end of this statement's results
        }
        for (;;) {  // up to the Sync's result, then back to normal mode
            ResultPtr res(PQgetResult(conn_));
            if (!res) {
                if (PQstatus(conn_) != CONNECTION_OK) break;
                continue;
            }
            if (PQresultStatus(res.get()) == PGRES_PIPELINE_SYNC) break;
        }
        if (PQstatus(conn_) == CONNECTION_OK && PQexitPipelineMode(conn_) != 1 && !first)
            first = result_error(statements.front().sql, nullptr);
        if (first) return make_error(std::move(*first));
        return {};
    }

    Result<void> exec_script(std::string_view sql) override {
        WP_TRY(std::string text, rewrite_sql(sql, Backend::kPostgres));
        ResultPtr res(PQexec(conn_, text.c_str()));
        const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return {};
        return make_error(result_error(sql, res.get()));
    }

    Result<void> configure() {
        PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
        return simple("SET bytea_output = 'hex'");
    }

  private:
    // The parameters of one statement as libpq takes them (values point into `ints` or the Params).
    struct Bound {
        std::vector<std::string> ints;
        std::vector<const char*> values;
        std::vector<int> lengths;
        std::vector<int> formats;
    };

    Result<void> bind(std::string_view sql, const Prepared& prepared, std::span<const Param> params, Bound& b) {
        if (prepared.param_types.size() != params.size())
            return make_error(fail(Failure::kOther, Errc::kInvalidArgument, sql,
                                   "expects " + std::to_string(prepared.param_types.size()) + " parameters, got " +
                                       std::to_string(params.size())));
        const std::size_t n = params.size();
        b.ints.assign(n, std::string());
        b.values.assign(n, nullptr);
        b.lengths.assign(n, 0);
        b.formats.assign(n, 0);
        for (std::size_t k = 0; k < n; ++k) {
            const Param& p = params[k];
            const Oid type = prepared.param_types[k];
            auto mismatch = [&](std::string_view what) {
                return make_error(fail(Failure::kOther, Errc::kInvalidArgument, sql,
                                       "parameter $" + std::to_string(k + 1) + ": cannot bind " + std::string(what) +
                                           " to a parameter of type oid " + std::to_string(type)));
            };
            switch (p.kind()) {
                case Param::Kind::kNull: break;
                case Param::Kind::kInt:
                    if (!is_int_type(type)) return mismatch("an integer");
                    b.ints[k] = std::to_string(p.int_value());
                    b.values[k] = b.ints[k].c_str();
                    break;
                case Param::Kind::kBool:
                    if (type != kBoolOid) return mismatch("a bool");
                    b.values[k] = p.int_value() != 0 ? "t" : "f";
                    break;
                case Param::Kind::kText:
                    if (type == kByteaOid || type == kBoolOid || is_int_type(type)) return mismatch("text");
                    if (p.data().find('\0') != std::string::npos)
                        return make_error(fail(Failure::kOther, Errc::kInvalidArgument, sql,
                                               "parameter $" + std::to_string(k + 1) + ": text contains a NUL byte"));
                    b.values[k] = p.data().c_str();
                    break;
                case Param::Kind::kBytes:
                    if (type != kByteaOid) return mismatch("bytes");
                    b.values[k] = p.data().data();
                    b.lengths[k] = static_cast<int>(p.data().size());
                    b.formats[k] = 1;
                    break;
                case Param::Kind::kInvalid:
                    return make_error(fail(Failure::kOther, Errc::kInvalidArgument, sql,
                                           "parameter $" + std::to_string(k + 1) + ": " + p.data()));
            }
        }
        return {};
    }

    // One statement's result: its rows into `out` (when not null) and its changed-row count, or its error.
    Result<std::int64_t> take_result(std::string_view sql, const PGresult* res, ResultData* out) {
        const ExecStatusType status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (status == PGRES_TUPLES_OK) {
            if (out != nullptr) WP_TRY_VOID(materialise(sql, res, *out));
            return parse_count(res);
        }
        if (status == PGRES_COMMAND_OK) return parse_count(res);
        return make_error(result_error(sql, res));
    }

    Result<void> simple(const char* sql) {
        ResultPtr res(PQexec(conn_, sql));
        const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
        return make_error(result_error(sql, res.get()));
    }

    Error result_error(std::string_view sql, const PGresult* res) {
        const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
        const std::string_view sqlstate = state != nullptr ? state : "";
        std::string message = res != nullptr ? PQresultErrorMessage(res) : "";
        if (message.empty()) message = PQerrorMessage(conn_);
        Failure kind = Failure::kOther;
        if (sqlstate == "40001" || sqlstate == "40P01") {
            kind = Failure::kRetryable;
        } else if (PQstatus(conn_) != CONNECTION_OK || sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" ||
                   sqlstate == "57P02" || sqlstate == "57P03") {
            kind = Failure::kConnectionLost;
        }
        if (!sqlstate.empty()) message += " (SQLSTATE " + std::string(sqlstate) + ")";
        return fail(kind, Errc::kIo, sql, message);
    }

    Result<const Prepared*> prepare(std::string_view sql) {
        auto it = cache_.find(std::string(sql));
        if (it != cache_.end()) return &it->second;
        WP_TRY(std::string text, rewrite_sql(sql, Backend::kPostgres));
        Prepared p;
        p.name = "wp_" + std::to_string(++counter_);
        {
            ResultPtr res(PQprepare(conn_, p.name.c_str(), text.c_str(), 0, nullptr));
            if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) return make_error(result_error(sql, res.get()));
        }
        ResultPtr desc(PQdescribePrepared(conn_, p.name.c_str()));
        if (!desc || PQresultStatus(desc.get()) != PGRES_COMMAND_OK) return make_error(result_error(sql, desc.get()));
        const int np = PQnparams(desc.get());
        for (int k = 0; k < np; ++k) p.param_types.push_back(PQparamtype(desc.get(), k));
        auto [pos, inserted] = cache_.emplace(std::string(sql), std::move(p));
        return &pos->second;
    }

    Result<std::int64_t> parse_count(const PGresult* res) {
        const char* t = PQcmdTuples(const_cast<PGresult*>(res));
        if (t == nullptr || *t == '\0') return 0;
        std::int64_t v = 0;
        std::from_chars(t, t + std::strlen(t), v);
        return v;
    }

    Result<void> materialise(std::string_view sql, const PGresult* res, ResultData& out) {
        const int nrows = PQntuples(res);
        const int ncols = PQnfields(res);
        out.columns.clear();
        std::vector<Oid> types;
        for (int c = 0; c < ncols; ++c) {
            out.columns.emplace_back(PQfname(res, c));
            types.push_back(PQftype(res, c));
        }
        out.rows = static_cast<std::size_t>(nrows);
        out.cells.reserve(out.rows * static_cast<std::size_t>(ncols));
        for (int r = 0; r < nrows; ++r) {
            for (int c = 0; c < ncols; ++c) {
                Cell cell;
                if (PQgetisnull(res, r, c) != 0) {
                    out.cells.push_back(std::move(cell));
                    continue;
                }
                const char* v = PQgetvalue(res, r, c);
                const auto len = static_cast<std::size_t>(PQgetlength(res, r, c));
                const Oid t = types[static_cast<std::size_t>(c)];
                if (t == kInt8Oid || t == kInt4Oid || t == kInt2Oid || t == kOidOid) {
                    cell.kind = Cell::Kind::kInt;
                    const auto [p, ec] = std::from_chars(v, v + len, cell.i);
                    if (ec != std::errc() || p != v + len)
                        return make_error(fail(Failure::kOther, Errc::kDecoding, sql,
                                               "bad integer in column " + out.columns[static_cast<std::size_t>(c)]));
                } else if (t == kBoolOid) {
                    cell.kind = Cell::Kind::kBool;
                    cell.i = (len == 1 && v[0] == 't') ? 1 : 0;
                } else if (t == kByteaOid) {
                    cell.kind = Cell::Kind::kBytes;
                    if (len < 2 || v[0] != '\\' || v[1] != 'x' || len % 2 != 0)
                        return make_error(fail(Failure::kOther, Errc::kDecoding, sql,
                                               "bytea column " + out.columns[static_cast<std::size_t>(c)] +
                                                   " is not in hex output format"));
                    cell.s.resize((len - 2) / 2);
                    for (std::size_t k = 0; k < cell.s.size(); ++k) {
                        const int hi = hex_value(v[2 + 2 * k]);
                        const int lo = hex_value(v[3 + 2 * k]);
                        if (hi < 0 || lo < 0)
                            return make_error(fail(Failure::kOther, Errc::kDecoding, sql, "bad bytea hex"));
                        cell.s[k] = static_cast<char>((hi << 4) | lo);
                    }
                } else {
                    cell.kind = t == kNumericOid                       ? Cell::Kind::kNumeric
                                : (t == kFloat4Oid || t == kFloat8Oid) ? Cell::Kind::kReal
                                                                       : Cell::Kind::kText;
                    cell.s.assign(v, len);
                }
                out.cells.push_back(std::move(cell));
            }
        }
        return {};
    }

    PGconn* conn_;
    bool pipeline_;
    std::unordered_map<std::string, Prepared> cache_;
    std::uint64_t counter_{0};
};

}  // namespace

Result<std::unique_ptr<Connection>> open_postgres(const std::string& conninfo, const Options& options,
                                                  const std::string& db_name) {
    const auto secs = std::max<std::int64_t>(1, (options.connect_timeout.count() + 999) / 1000);
    const std::string timeout = std::to_string(secs);
    const char* keywords[] = {"dbname", "connect_timeout", nullptr};
    const char* values[] = {conninfo.c_str(), timeout.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keywords, values, 1);
    if (conn == nullptr) return make_error(Errc::kIo, "database " + db_name + ": cannot connect: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        std::string message = PQerrorMessage(conn);
        PQfinish(conn);
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
        return make_error(Errc::kIo, "database " + db_name + ": cannot connect: " + message);
    }
    auto c = std::make_unique<PostgresConnection>(conn, db_name, options.statement_cache_size, options.pipeline);
    WP_TRY_VOID(c->configure());
    return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace wp::store::detail
