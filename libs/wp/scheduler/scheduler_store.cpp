#include "scheduler_store.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::scheduler {
namespace {

namespace json = boost::json;
using store::Param;
using store::Row;
using store::Tx;

constexpr const char* kTaskColumns =
    "deal_id, task_index, task_id, status, version, due_ms, contribution_deadline, final_deadline, reveal_deadline, "
    "enclave_challenge, consensus, uploader, result_link, callback_data, initialize_intent, finalize_intent, "
    "reopen_intent, claim_intent, failure, updated_ms";

constexpr const char* kReplicateColumns =
    "deal_id, task_index, worker, status, last_relevant, version, holds_slot, score, created_ms, updated_ms, "
    "result_digest, result_hash, result_seal, tx_hash, block_number, result_link, callback_data, cause, message";

constexpr const char* kWorkerColumns =
    "w.address, w.name, w.version, w.cpu_slots, w.memory_mb, w.gpu, w.tee_frameworks, w.max_task_seconds, "
    "w.registered_ms, w.last_seen_ms, w.alive, w.score, w.last_seq, "
    "(SELECT COUNT(*) FROM sched_replicates r WHERE r.worker = w.address AND r.holds_slot) AS used_slots";

std::int64_t to_i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }

Result<TaskRecord> task_from_row(const Row& row) {
    TaskRecord t;
    WP_TRY(t.key.deal_id, row.get<Bytes32>("deal_id"));
    WP_TRY(t.key.index, row.get<std::uint64_t>("task_index"));
    WP_TRY(t.task_id, row.get<Bytes32>("task_id"));
    WP_TRY(std::int64_t status, row.get<std::int64_t>("status"));
    WP_TRY(t.status, task_status_from_int(status));
    WP_TRY(t.version, row.get<std::int64_t>("version"));
    WP_TRY(t.due_ms, row.get<std::optional<std::int64_t>>("due_ms"));
    WP_TRY(t.contribution_deadline, row.get<std::int64_t>("contribution_deadline"));
    WP_TRY(t.final_deadline, row.get<std::int64_t>("final_deadline"));
    WP_TRY(t.reveal_deadline, row.get<std::optional<std::int64_t>>("reveal_deadline"));
    WP_TRY(t.enclave_challenge, row.get<Address>("enclave_challenge"));
    WP_TRY(t.consensus, row.get<std::optional<Bytes32>>("consensus"));
    WP_TRY(t.uploader, row.get<std::optional<Address>>("uploader"));
    WP_TRY(t.result_link, row.get<std::optional<std::string>>("result_link"));
    WP_TRY(t.callback_data, row.get<std::optional<Bytes>>("callback_data"));
    WP_TRY(t.initialize_intent, row.get<std::optional<std::string>>("initialize_intent"));
    WP_TRY(t.finalize_intent, row.get<std::optional<std::string>>("finalize_intent"));
    WP_TRY(t.reopen_intent, row.get<std::optional<std::string>>("reopen_intent"));
    WP_TRY(t.claim_intent, row.get<std::optional<std::string>>("claim_intent"));
    WP_TRY(t.failure, row.get<std::optional<std::string>>("failure"));
    WP_TRY(t.updated_ms, row.get<std::int64_t>("updated_ms"));
    return t;
}

//! A replicate from its columns, named `<prefix><column>` (prefix "" for a plain SELECT of kReplicateColumns).
Result<ReplicateRecord> replicate_from_row(const Row& row, std::string_view prefix = {}) {
    std::string name_buf;
    const auto col = [&](std::string_view c) -> std::string_view {
        if (prefix.empty()) return c;
        name_buf.assign(prefix);
        name_buf += c;
        return name_buf;
    };
    ReplicateRecord r;
    WP_TRY(r.task.deal_id, row.get<Bytes32>(col("deal_id")));
    WP_TRY(r.task.index, row.get<std::uint64_t>(col("task_index")));
    WP_TRY(r.worker, row.get<Address>(col("worker")));
    WP_TRY(std::int64_t status, row.get<std::int64_t>(col("status")));
    WP_TRY(r.status, workerapi::replicate_status_from_int(status));
    WP_TRY(std::int64_t relevant, row.get<std::int64_t>(col("last_relevant")));
    WP_TRY(r.last_relevant, workerapi::replicate_status_from_int(relevant));
    WP_TRY(r.version, row.get<std::int64_t>(col("version")));
    WP_TRY(r.holds_slot, row.get<bool>(col("holds_slot")));
    WP_TRY(r.score, row.get<U256>(col("score")));
    WP_TRY(r.created_ms, row.get<std::int64_t>(col("created_ms")));
    WP_TRY(r.updated_ms, row.get<std::int64_t>(col("updated_ms")));
    auto& d = r.details;
    WP_TRY(d.result_digest, row.get<std::optional<Bytes32>>(col("result_digest")));
    WP_TRY(d.result_hash, row.get<std::optional<Bytes32>>(col("result_hash")));
    WP_TRY(d.result_seal, row.get<std::optional<Bytes32>>(col("result_seal")));
    WP_TRY(d.tx_hash, row.get<std::optional<Bytes32>>(col("tx_hash")));
    WP_TRY(auto block, row.get<std::optional<std::uint64_t>>(col("block_number")));
    d.block_number = block;
    WP_TRY(d.result_link, row.get<std::optional<std::string>>(col("result_link")));
    WP_TRY(d.callback_data, row.get<std::optional<Bytes>>(col("callback_data")));
    WP_TRY(auto cause, row.get<std::optional<std::int64_t>>(col("cause")));
    if (cause) {
        if (*cause < 0 || *cause > static_cast<std::int64_t>(workerapi::FailureCause::kAbortedByScheduler))
            return make_error(Errc::kDecoding, "sched_replicates.cause: " + std::to_string(*cause) + " out of range");
        d.cause = static_cast<workerapi::FailureCause>(*cause);
    }
    WP_TRY(d.message, row.get<std::optional<std::string>>(col("message")));
    return r;
}

//! A recorded answer (sched_replicate_updates.action, abort_cause), marked duplicate.
Result<workerapi::StatusAnswer> answer_from(std::int64_t action, const Result<std::optional<std::int64_t>>& cause_col) {
    WP_TRY(auto cause, cause_col);
    if (action < 0 || action > static_cast<std::int64_t>(Action::kAbort))
        return make_error(Errc::kDecoding, "sched_replicate_updates.action out of range");
    workerapi::StatusAnswer a;
    a.action = static_cast<Action>(action);
    if (cause) {
        if (*cause < 0 || *cause > static_cast<std::int64_t>(AbortCause::kRefused))
            return make_error(Errc::kDecoding, "sched_replicate_updates.abort_cause out of range");
        a.abort_cause = static_cast<AbortCause>(*cause);
    }
    a.duplicate = true;
    return a;
}

std::int64_t tee_mask(const std::vector<workerapi::TeeFramework>& f) {
    std::int64_t m = 0;
    for (auto x : f) m |= std::int64_t{1} << static_cast<unsigned>(x);
    return m;
}

std::vector<workerapi::TeeFramework> tee_list(std::int64_t m) {
    std::vector<workerapi::TeeFramework> out;
    for (auto f : {workerapi::TeeFramework::kScone, workerapi::TeeFramework::kGramine, workerapi::TeeFramework::kTdx})
        if ((m >> static_cast<unsigned>(f)) & 1) out.push_back(f);
    return out;
}

Result<WorkerRecord> worker_from_row(const Row& row) {
    WorkerRecord w;
    WP_TRY(w.address, row.get<Address>("address"));
    WP_TRY(w.registration.name, row.get<std::string>("name"));
    WP_TRY(w.registration.version, row.get<std::string>("version"));
    WP_TRY(std::uint64_t slots, row.get<std::uint64_t>("cpu_slots"));
    w.registration.cpu_slots = static_cast<std::uint32_t>(std::min<std::uint64_t>(slots, 1024));
    WP_TRY(w.registration.memory_mb, row.get<std::uint64_t>("memory_mb"));
    WP_TRY(w.registration.gpu, row.get<bool>("gpu"));
    WP_TRY(std::int64_t tee, row.get<std::int64_t>("tee_frameworks"));
    w.registration.tee_frameworks = tee_list(tee);
    WP_TRY(w.registration.max_task_seconds, row.get<std::uint64_t>("max_task_seconds"));
    WP_TRY(w.registered_ms, row.get<std::int64_t>("registered_ms"));
    WP_TRY(w.last_seen_ms, row.get<std::int64_t>("last_seen_ms"));
    WP_TRY(w.alive, row.get<bool>("alive"));
    WP_TRY(w.score, row.get<U256>("score"));
    WP_TRY(w.last_seq, row.get<std::uint64_t>("last_seq"));
    WP_TRY(std::uint64_t used, row.get<std::uint64_t>("used_slots"));
    w.used_slots = static_cast<std::uint32_t>(std::min<std::uint64_t>(used, 1u << 20));
    return w;
}

Result<std::vector<ReplicateRecord>> replicates_where(Tx& tx, const TaskKey& key) {
    WP_TRY(auto rows, tx.query(std::string("SELECT ") + kReplicateColumns +
                                   " FROM sched_replicates WHERE deal_id = $1 AND task_index = $2 ORDER BY created_ms,"
                                   " worker",
                               key.deal_id, key.index));
    std::vector<ReplicateRecord> out;
    for (const Row& row : rows) {
        WP_TRY(auto r, replicate_from_row(row));
        out.push_back(std::move(r));
    }
    return out;
}

// A small builder for "SET a = $n, b = $m" lists.
struct SetList {
    std::string sql;
    std::vector<Param> params;
    void add(const char* column, Param p) {
        if (!sql.empty()) sql += ", ";
        params.push_back(std::move(p));
        sql += column;
        sql += " = $";
        sql += std::to_string(params.size());
    }
    void add_null(const char* column) {
        if (!sql.empty()) sql += ", ";
        sql += column;
        sql += " = NULL";
    }
    std::string next() const {
        std::string s = "$";
        s += std::to_string(params.size() + 1);
        return s;
    }
};

//! The task after transition_task's UPDATE (the same columns, computed in memory for the write-behind).
TaskRecord task_after(TaskRecord t, TaskStatus next, const TaskChange& c, std::int64_t now_ms) {
    t.status = next;
    t.version += 1;
    t.updated_ms = now_ms;
    if (c.clear_due) t.due_ms.reset();
    if (c.due_ms) t.due_ms = c.due_ms;
    if (c.reveal_deadline) t.reveal_deadline = c.reveal_deadline;
    if (c.enclave_challenge) t.enclave_challenge = *c.enclave_challenge;
    if (c.consensus) t.consensus = c.consensus;
    if (c.uploader) t.uploader = c.uploader;
    if (c.result_link) t.result_link = c.result_link;
    if (c.callback_data) t.callback_data = c.callback_data;
    if (c.initialize_intent) t.initialize_intent = c.initialize_intent;
    if (c.finalize_intent) t.finalize_intent = c.finalize_intent;
    if (c.reopen_intent) t.reopen_intent = c.reopen_intent;
    if (c.claim_intent) t.claim_intent = c.claim_intent;
    if (c.failure) t.failure = c.failure;
    return t;
}

//! The replicate after set_replicate_status's UPDATE (computed in memory for the write-behind).
ReplicateRecord replicate_after(ReplicateRecord r, ReplicateStatus to, bool slot, const workerapi::StatusDetails& d,
                                std::int64_t now_ms) {
    r.status = to;
    if (!is_interruption(to)) r.last_relevant = to;
    r.version += 1;
    r.holds_slot = slot;
    r.updated_ms = now_ms;
    auto& x = r.details;
    if (d.result_digest) x.result_digest = d.result_digest;
    if (d.result_hash) x.result_hash = d.result_hash;
    if (d.result_seal) x.result_seal = d.result_seal;
    if (d.tx_hash) x.tx_hash = d.tx_hash;
    if (d.block_number) x.block_number = d.block_number;
    if (d.result_link) x.result_link = d.result_link;
    if (d.callback_data) x.callback_data = d.callback_data;
    if (d.cause) x.cause = d.cause;
    if (d.message) x.message = d.message;
    return r;
}

Result<DealRecord> deal_from_row(const Row& r) {
    DealRecord d;
    WP_TRY(d.deal_id, r.get<Bytes32>("deal_id"));
    WP_TRY(d.app, r.get<Address>("app"));
    WP_TRY(d.dataset, r.get<Address>("dataset"));
    WP_TRY(d.workerpool, r.get<Address>("workerpool"));
    WP_TRY(d.requester, r.get<Address>("requester"));
    WP_TRY(d.callback, r.get<Address>("callback"));
    WP_TRY(d.category, r.get<std::uint64_t>("category"));
    WP_TRY(d.category_seconds, r.get<std::uint64_t>("category_seconds"));
    WP_TRY(d.tag, r.get<Bytes32>("tag"));
    WP_TRY(d.trust, r.get<std::uint64_t>("trust"));
    WP_TRY(d.bot_first, r.get<std::uint64_t>("bot_first"));
    WP_TRY(d.bot_size, r.get<std::uint64_t>("bot_size"));
    WP_TRY(d.start_time, r.get<std::int64_t>("start_time"));
    WP_TRY(d.contribution_deadline, r.get<std::int64_t>("contribution_deadline"));
    WP_TRY(d.final_deadline, r.get<std::int64_t>("final_deadline"));
    WP_TRY(d.app_uri, r.get<std::string>("app_uri"));
    WP_TRY(d.app_checksum, r.get<Bytes32>("app_checksum"));
    WP_TRY(d.app_type, r.get<std::string>("app_type"));
    WP_TRY(d.dataset_uri, r.get<std::string>("dataset_uri"));
    WP_TRY(d.dataset_checksum, r.get<Bytes32>("dataset_checksum"));
    WP_TRY(d.iexec_args, r.get<std::string>("iexec_args"));
    WP_TRY(std::string files, r.get<std::string>("input_files"));
    boost::system::error_code ec;
    const json::value fv = json::parse(files, ec);
    if (ec || !fv.is_array()) return make_error(Errc::kDecoding, "sched_deals.input_files: not a JSON array");
    for (const auto& f : fv.as_array()) {
        if (!f.is_string()) return make_error(Errc::kDecoding, "sched_deals.input_files: not a string");
        d.input_files.emplace_back(f.as_string().c_str());
    }
    WP_TRY(d.block_number, r.get<std::uint64_t>("block_number"));
    WP_TRY(d.refusal, r.get<std::optional<std::string>>("refusal"));
    return d;
}

}  // namespace

// ---- Write-behind (SchedulerStore::WriteBehind) ---------------------------------------------------------------------

struct SchedulerStore::WriteBehind::State {
    const SchedulerStore* store{nullptr};
    Tx* tx{nullptr};
    State* outer{nullptr};  //!< the thread's previous scope (another store's), restored at the end
    //! A compare-and-set UPDATE … RETURNING version, and the version it must return.
    struct Cas {
        store::Statement statement;
        std::int64_t version{0};
        std::string what;
    };
    std::vector<Cas> updates;
    std::vector<std::vector<Param>> answers, events, notifications;  //!< rows of the multi-row INSERTs
    // What the kept writes changed, for status_context.
    std::map<TaskKey, TaskRecord> tasks;
    std::map<std::pair<TaskKey, Address>, ReplicateRecord> replicates;
    std::map<std::tuple<TaskKey, Address, std::int64_t>, workerapi::StatusAnswer> answered;
    // What prefetch_status_contexts read (valid until the next flush): the tasks asked for (found or not), every
    // replicate and recorded answer of the tasks found.
    std::set<Bytes32> prefetched;
    std::map<Bytes32, TaskRecord> pf_tasks;
    std::map<std::pair<TaskKey, Address>, ReplicateRecord> pf_replicates;
    std::map<std::tuple<TaskKey, Address, std::int64_t>, workerapi::StatusAnswer> pf_answers;
};

namespace {

using WriteBehindState = SchedulerStore::WriteBehind::State;

thread_local WriteBehindState* t_write_behind = nullptr;

//! `list` (comma-separated column names) as "<table>.<col> AS <prefix><col>, …" for a SELECT over a join.
std::string qualified_columns(std::string_view list, std::string_view table, std::string_view prefix = {}) {
    std::string out;
    for (std::string_view rest = list; !rest.empty();) {
        const auto comma = rest.find(',');
        std::string_view col = rest.substr(0, comma);
        while (!col.empty() && col.front() == ' ') col.remove_prefix(1);
        if (!out.empty()) out += ", ";
        out.append(table).append(".").append(col).append(" AS ").append(prefix).append(col);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return out;
}

//! The write-behind scope open on `tx` for `store` on this thread, if any.
WriteBehindState* behind(const SchedulerStore* store, const Tx& tx) {
    for (WriteBehindState* s = t_write_behind; s != nullptr; s = s->outer)
        if (s->store == store && s->tx == &tx) return s;
    return nullptr;
}

constexpr std::size_t kMaxRowsPerInsert = 256;
constexpr std::size_t kStatementsPerRoundTrip = 128;

//! `rows` as INSERT INTO table (columns) VALUES (…), … [suffix] statements of 256, 128, …, 1 rows (largest first):
//! a handful of statement shapes, each prepared once per connection.
void append_inserts(std::vector<store::Statement>& out, std::string_view table, std::string_view columns,
                    std::size_t column_count, std::vector<std::vector<Param>>& rows, std::string_view suffix) {
    for (std::size_t i = 0; i < rows.size();) {
        std::size_t n = kMaxRowsPerInsert;
        while (n > rows.size() - i) n /= 2;
        store::Statement st;
        st.sql.reserve(64 + n * column_count * 5);
        st.sql += "INSERT INTO ";
        st.sql += table;
        st.sql += " (";
        st.sql += columns;
        st.sql += ") VALUES ";
        st.params.reserve(n * column_count);
        for (std::size_t r = 0; r < n; ++r) {
            st.sql += r == 0 ? "(" : ", (";
            for (std::size_t c = 0; c < column_count; ++c) {
                st.params.push_back(std::move(rows[i + r][c]));
                if (c > 0) st.sql += ", ";
                st.sql += '$';
                st.sql += std::to_string(st.params.size());
            }
            st.sql += ')';
        }
        st.sql += suffix;
        out.push_back(std::move(st));
        i += n;
    }
}

Result<void> flush_state(WriteBehindState& st) {
    st.prefetched.clear();
    st.pf_tasks.clear();
    st.pf_replicates.clear();
    st.pf_answers.clear();
    if (st.updates.empty() && st.answers.empty() && st.events.empty() && st.notifications.empty()) {
        st.tasks.clear();
        st.replicates.clear();
        st.answered.clear();
        return {};
    }
    std::vector<store::Statement> statements;
    statements.reserve(st.updates.size() + 8);
    for (auto& u : st.updates) statements.push_back(std::move(u.statement));
    append_inserts(statements, "sched_replicate_updates",
                   "deal_id, task_index, worker, status, action, abort_cause, at_ms", 7, st.answers,
                   " ON CONFLICT (deal_id, task_index, worker, status) DO NOTHING");
    append_inserts(statements, "sched_task_events", "deal_id, task_index, status, event, at_ms", 5, st.events, "");
    append_inserts(statements, "sched_notifications", "worker, seq, task_id, action, payload, created_ms", 6,
                   st.notifications, "");
    // Updates first, in the order they were made (a row changed twice sees its versions in order), then the inserts.
    const std::vector<WriteBehindState::Cas> updates = std::move(st.updates);
    st.updates.clear();
    st.answers.clear();
    st.events.clear();
    st.notifications.clear();
    st.tasks.clear();
    st.replicates.clear();
    st.answered.clear();
    for (std::size_t first = 0; first < statements.size(); first += kStatementsPerRoundTrip) {
        const std::size_t n = std::min(kStatementsPerRoundTrip, statements.size() - first);
        WP_TRY(auto results, st.tx->query_batch(std::span<const store::Statement>(statements).subspan(first, n)));
        for (std::size_t i = 0; i < n && first + i < updates.size(); ++i) {
            const auto& u = updates[first + i];
            const store::Rows& rows = results[i];
            if (rows.size() != 1) return make_error(Errc::kIo, u.what + " changed concurrently; retry the update");
            WP_TRY(std::int64_t version, rows[0].get<std::int64_t>("version"));
            if (version != u.version)
                return make_error(Errc::kIo, u.what + ": stored version " + std::to_string(version) + ", expected " +
                                                 std::to_string(u.version));
        }
    }
    return {};
}

//! Before a statement of `tx` that reads or writes what a write-behind scope may keep: send it.
Result<void> settle(const SchedulerStore* store, Tx& tx) {
    if (WriteBehindState* s = behind(store, tx)) return flush_state(*s);
    return {};
}

std::string task_what(const TaskKey& key) {
    return "task " + to_hex(key.deal_id.view()) + "#" + std::to_string(key.index);
}

}  // namespace

SchedulerStore::WriteBehind::WriteBehind(SchedulerStore& store, store::Tx& tx) {
    if (!store.write_behind_.load(std::memory_order_relaxed)) return;  // every write at once
    state_ = std::make_unique<State>();
    state_->store = &store;
    state_->tx = &tx;
    state_->outer = t_write_behind;
    t_write_behind = state_.get();
}

SchedulerStore::WriteBehind::~WriteBehind() {
    // Scopes end in reverse order of their start (they live on the stack of the transaction's function).
    if (state_ && t_write_behind == state_.get()) t_write_behind = state_->outer;
}

Result<void> SchedulerStore::WriteBehind::prefetch_status_contexts(const std::vector<Bytes32>& task_ids) {
    if (!state_) return {};
    State& st = *state_;
    WP_TRY_VOID(flush_state(st));
    const std::set<Bytes32> unique(task_ids.begin(), task_ids.end());
    // Only where it saves statements: 3 per chunk instead of 1 per task (PostgreSQL: 1 round trip instead of 1 per
    // task).
    if (unique.size() < (st.tx->backend() == store::Backend::kPostgres ? 2u : 4u)) return {};
    const std::vector<Bytes32> ids(unique.begin(), unique.end());
    static const std::string replicate_columns = qualified_columns(kReplicateColumns, "r");
    // Per chunk of ids (256, 128, …, 1: a few statement shapes): the tasks, their replicates, their answers.
    std::vector<store::Statement> statements;
    for (std::size_t i = 0; i < ids.size();) {
        std::size_t n = kMaxRowsPerInsert;
        while (n > ids.size() - i) n /= 2;
        std::string in;
        std::vector<Param> params;
        for (std::size_t k = 0; k < n; ++k) {
            in += k == 0 ? "$" : ", $";
            in += std::to_string(k + 1);
            params.emplace_back(ids[i + k]);
        }
        statements.push_back(
            {std::string("SELECT ") + kTaskColumns + " FROM sched_tasks WHERE task_id IN (" + in + ")", params});
        statements.push_back({"SELECT " + replicate_columns +
                                  " FROM sched_replicates r JOIN sched_tasks t ON t.deal_id = r.deal_id AND"
                                  " t.task_index = r.task_index WHERE t.task_id IN (" +
                                  in + ")",
                              params});
        statements.push_back(
            {"SELECT u.deal_id AS deal_id, u.task_index AS task_index, u.worker AS worker,"
             " u.status AS status, u.action AS action, u.abort_cause AS abort_cause"
             " FROM sched_replicate_updates u JOIN sched_tasks t ON t.deal_id = u.deal_id AND"
             " t.task_index = u.task_index WHERE t.task_id IN (" +
                 in + ")",
             std::move(params)});
        i += n;
    }
    for (std::size_t first = 0; first < statements.size(); first += kStatementsPerRoundTrip - 2) {
        const std::size_t n = std::min(kStatementsPerRoundTrip - 2, statements.size() - first);  // multiple of 3
        WP_TRY(auto results, st.tx->query_batch(std::span<const store::Statement>(statements).subspan(first, n)));
        for (std::size_t k = 0; k + 2 < results.size(); k += 3) {
            for (const Row& row : results[k]) {
                WP_TRY(auto t, task_from_row(row));
                st.pf_tasks.emplace(t.task_id, std::move(t));
            }
            for (const Row& row : results[k + 1]) {
                WP_TRY(auto r, replicate_from_row(row));
                st.pf_replicates.emplace(std::make_pair(r.task, r.worker), std::move(r));
            }
            for (const Row& row : results[k + 2]) {
                TaskKey key;
                WP_TRY(key.deal_id, row.get<Bytes32>("deal_id"));
                WP_TRY(key.index, row.get<std::uint64_t>("task_index"));
                WP_TRY(Address worker, row.get<Address>("worker"));
                WP_TRY(std::int64_t status, row.get<std::int64_t>("status"));
                WP_TRY(std::int64_t action, row.get<std::int64_t>("action"));
                WP_TRY(auto answer, answer_from(action, row.get<std::optional<std::int64_t>>("abort_cause")));
                st.pf_answers.emplace(std::make_tuple(key, worker, status), answer);
            }
        }
    }
    st.prefetched = unique;
    return {};
}

Result<void> SchedulerStore::WriteBehind::flush() {
    if (!state_) return {};
    return flush_state(*state_);
}

// ---- Deals and tasks ------------------------------------------------------------------------------------------------

Result<bool> SchedulerStore::insert_deal(const DealRecord& d, std::int64_t now_ms) {
    return db_.write([&](Tx& tx) -> Result<bool> { return insert_deal(tx, d, now_ms); });
}

Result<bool> SchedulerStore::insert_deal(Tx& tx, const DealRecord& d, std::int64_t now_ms) {
    WP_TRY_VOID(settle(this, tx));
    if (d.bot_size == 0 || d.bot_size > 1'000'000)
        return make_error(Errc::kInvalidArgument, "deal.botSize: must be between 1 and 1000000");
    json::array files;
    for (const auto& f : d.input_files) files.emplace_back(f);
    const std::string files_json = json::serialize(files);
    {
        WP_TRY(std::int64_t inserted,
               tx.exec("INSERT INTO sched_deals (deal_id, app, dataset, workerpool, requester, callback, category,"
                       " category_seconds, tag, trust, bot_first, bot_size, start_time, contribution_deadline,"
                       " final_deadline, app_uri, app_checksum, app_type, dataset_uri, dataset_checksum, iexec_args,"
                       " input_files, block_number, received_ms, refusal) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                       " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
                       " ON CONFLICT (deal_id) DO NOTHING",
                       d.deal_id, d.app, d.dataset, d.workerpool, d.requester, d.callback, d.category,
                       d.category_seconds, d.tag, d.trust, d.bot_first, d.bot_size, d.start_time,
                       d.contribution_deadline, d.final_deadline, d.app_uri, d.app_checksum, d.app_type, d.dataset_uri,
                       d.dataset_checksum, d.iexec_args, files_json, d.block_number, now_ms, d.refusal));
        if (inserted == 0) return false;
        const auto status = static_cast<std::int64_t>(d.refusal ? TaskStatus::kFailed : TaskStatus::kReceived);
        std::vector<std::vector<Param>> rows;
        rows.reserve(d.bot_size);
        for (std::uint64_t i = d.bot_first; i < d.bot_first + d.bot_size; ++i) {
            const Bytes32 tid = task_id(d.deal_id, U256(i));
            rows.push_back({d.deal_id, i, tid, status, std::int64_t{0}, d.refusal ? Param(nullptr) : Param(now_ms),
                            d.contribution_deadline, d.final_deadline, Address{}, now_ms,
                            d.refusal ? Param(*d.refusal) : Param(nullptr)});
        }
        WP_TRY_VOID(
            tx.insert_many("sched_tasks",
                           {"deal_id", "task_index", "task_id", "status", "version", "due_ms", "contribution_deadline",
                            "final_deadline", "enclave_challenge", "updated_ms", "failure"},
                           rows));
        return true;
    }
}

Result<std::optional<DealRecord>> SchedulerStore::deal(const Bytes32& deal_id) {
    return db_.read([&](Tx& tx) { return deal(tx, deal_id); });
}

Result<std::optional<DealRecord>> SchedulerStore::deal(Tx& tx, const Bytes32& deal_id) {
    WP_TRY(auto row, tx.query_opt("SELECT * FROM sched_deals WHERE deal_id = $1", deal_id));
    if (!row) return std::optional<DealRecord>{};
    WP_TRY(auto d, deal_from_row(*row));
    return std::optional<DealRecord>(std::move(d));
}

Result<std::vector<TaskRecord>> SchedulerStore::recent_tasks(std::optional<TaskStatus> status, std::size_t limit) {
    return db_.read([&](Tx& tx) -> Result<std::vector<TaskRecord>> {
        store::Rows rows;
        if (status) {
            WP_TRY(rows, tx.query(std::string("SELECT ") + kTaskColumns +
                                      " FROM sched_tasks WHERE status = $1 ORDER BY updated_ms DESC, deal_id,"
                                      " task_index LIMIT $2",
                                  static_cast<std::int64_t>(*status), limit));
        } else {
            WP_TRY(rows, tx.query(std::string("SELECT ") + kTaskColumns +
                                      " FROM sched_tasks ORDER BY updated_ms DESC, deal_id, task_index LIMIT $1",
                                  limit));
        }
        std::vector<TaskRecord> out;
        for (const Row& row : rows) {
            WP_TRY(auto t, task_from_row(row));
            out.push_back(std::move(t));
        }
        return out;
    });
}

Result<std::vector<std::pair<DealRecord, std::vector<std::pair<TaskStatus, std::int64_t>>>>>
SchedulerStore::recent_deals(std::size_t limit) {
    using Out = std::vector<std::pair<DealRecord, std::vector<std::pair<TaskStatus, std::int64_t>>>>;
    return db_.read([&](Tx& tx) -> Result<Out> {
        WP_TRY(auto rows, tx.query("SELECT * FROM sched_deals ORDER BY received_ms DESC, deal_id LIMIT $1", limit));
        Out out;
        for (const Row& row : rows) {
            WP_TRY(auto d, deal_from_row(row));
            WP_TRY(auto counts, tx.query("SELECT status, COUNT(*) AS n FROM sched_tasks WHERE deal_id = $1 GROUP BY"
                                         " status ORDER BY status",
                                         d.deal_id));
            std::vector<std::pair<TaskStatus, std::int64_t>> c;
            for (const Row& cr : counts) {
                WP_TRY(std::int64_t st, cr.get<std::int64_t>("status"));
                WP_TRY(TaskStatus ts, task_status_from_int(st));
                WP_TRY(std::int64_t n, cr.get<std::int64_t>("n"));
                c.emplace_back(ts, n);
            }
            out.emplace_back(std::move(d), std::move(c));
        }
        return out;
    });
}

Result<std::optional<TaskRecord>> SchedulerStore::task(Tx& tx, const TaskKey& key) {
    WP_TRY_VOID(settle(this, tx));
    WP_TRY(auto row, tx.query_opt(std::string("SELECT ") + kTaskColumns +
                                      " FROM sched_tasks WHERE deal_id = $1 AND task_index = $2",
                                  key.deal_id, key.index));
    if (!row) return std::optional<TaskRecord>{};
    WP_TRY(auto t, task_from_row(*row));
    return std::optional<TaskRecord>(std::move(t));
}

Result<std::optional<TaskRecord>> SchedulerStore::task(const TaskKey& key) {
    return db_.read([&](Tx& tx) { return task(tx, key); });
}

Result<std::optional<TaskRecord>> SchedulerStore::task_by_id(const Bytes32& id) {
    return db_.read([&](Tx& tx) { return task_by_id(tx, id); });
}

Result<std::optional<TaskRecord>> SchedulerStore::task_by_id(Tx& tx, const Bytes32& id) {
    WP_TRY_VOID(settle(this, tx));
    static const std::string sql = std::string("SELECT ") + kTaskColumns + " FROM sched_tasks WHERE task_id = $1";
    WP_TRY(auto row, tx.query_opt(sql, id));
    if (!row) return std::optional<TaskRecord>{};
    WP_TRY(auto t, task_from_row(*row));
    return std::optional<TaskRecord>(std::move(t));
}

Result<std::vector<TaskRecord>> SchedulerStore::due_tasks(std::int64_t now_ms, std::size_t limit) {
    return db_.read([&](Tx& tx) -> Result<std::vector<TaskRecord>> {
        WP_TRY(auto rows, tx.query(std::string("SELECT ") + kTaskColumns +
                                       " FROM sched_tasks WHERE due_ms IS NOT NULL AND due_ms <= $1"
                                       " ORDER BY due_ms, deal_id, task_index LIMIT $2",
                                   now_ms, limit));
        std::vector<TaskRecord> out;
        for (const Row& row : rows) {
            WP_TRY(auto t, task_from_row(row));
            out.push_back(std::move(t));
        }
        return out;
    });
}

Result<std::vector<TaskRecord>> SchedulerStore::due_tasks(std::int64_t now_ms, std::size_t limit,
                                                          const std::vector<TaskStatus>& statuses) {
    if (statuses.empty()) return std::vector<TaskRecord>{};
    std::vector<Param> params{Param(now_ms), Param(limit)};
    std::string in;
    for (TaskStatus st : statuses) {
        params.emplace_back(static_cast<std::int64_t>(st));
        if (!in.empty()) in += ", ";
        in += '$';
        in += std::to_string(params.size());
    }
    const std::string sql = std::string("SELECT ") + kTaskColumns +
                            " FROM sched_tasks WHERE due_ms IS NOT NULL AND due_ms <= $1 AND status IN (" + in +
                            ") ORDER BY due_ms, deal_id, task_index LIMIT $2";
    return db_.read([&](Tx& tx) -> Result<std::vector<TaskRecord>> {
        WP_TRY(auto rows, tx.query_params(sql, params));
        std::vector<TaskRecord> out;
        for (const Row& row : rows) {
            WP_TRY(auto t, task_from_row(row));
            out.push_back(std::move(t));
        }
        return out;
    });
}

Result<std::vector<TaskRecord>> SchedulerStore::tasks_in(const std::vector<TaskStatus>& statuses, std::size_t limit) {
    if (statuses.empty()) return std::vector<TaskRecord>{};
    std::string sql = std::string("SELECT ") + kTaskColumns + " FROM sched_tasks WHERE status IN (";
    std::vector<Param> params;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        sql += (i ? ", $" : "$") + std::to_string(i + 1);
        params.emplace_back(static_cast<std::int64_t>(statuses[i]));
    }
    sql += ") ORDER BY updated_ms, deal_id, task_index LIMIT $" + std::to_string(statuses.size() + 1);
    params.emplace_back(static_cast<std::int64_t>(limit));
    return db_.read([&](Tx& tx) -> Result<std::vector<TaskRecord>> {
        WP_TRY(auto rows, tx.query_params(sql, params));
        std::vector<TaskRecord> out;
        for (const Row& row : rows) {
            WP_TRY(auto t, task_from_row(row));
            out.push_back(std::move(t));
        }
        return out;
    });
}

Result<std::vector<TaskRecord>> SchedulerStore::schedulable_tasks(std::size_t limit) {
    return db_.read([&](Tx& tx) -> Result<std::vector<TaskRecord>> {
        WP_TRY(auto rows, tx.query(std::string("SELECT ") + kTaskColumns +
                                       " FROM sched_tasks WHERE status IN ($1, $2)"
                                       " ORDER BY contribution_deadline, deal_id, task_index LIMIT $3",
                                   static_cast<std::int64_t>(TaskStatus::kInitialized),
                                   static_cast<std::int64_t>(TaskStatus::kRunning), limit));
        std::vector<TaskRecord> out;
        for (const Row& row : rows) {
            WP_TRY(auto t, task_from_row(row));
            out.push_back(std::move(t));
        }
        return out;
    });
}

Result<std::vector<std::pair<TaskStatus, std::int64_t>>> SchedulerStore::task_counts() {
    return db_.read([&](Tx& tx) -> Result<std::vector<std::pair<TaskStatus, std::int64_t>>> {
        WP_TRY(auto rows, tx.query("SELECT status, COUNT(*) AS n FROM sched_tasks GROUP BY status ORDER BY status"));
        std::vector<std::pair<TaskStatus, std::int64_t>> out;
        for (const Row& row : rows) {
            WP_TRY(std::int64_t s, row.get<std::int64_t>("status"));
            WP_TRY(TaskStatus status, task_status_from_int(s));
            WP_TRY(std::int64_t n, row.get<std::int64_t>("n"));
            out.emplace_back(status, n);
        }
        return out;
    });
}

Result<std::optional<TaskRecord>> SchedulerStore::transition_task(Tx& tx, const TaskRecord& expected, TaskEvent event,
                                                                  const TaskChange& c, std::int64_t now_ms) {
    WP_TRY(TaskStatus next, task_transition(expected.status, event));
    SetList set;
    set.add("status", static_cast<std::int64_t>(next));
    set.add("version", expected.version + 1);
    set.add("updated_ms", now_ms);
    if (c.clear_due) set.add_null("due_ms");
    if (c.due_ms) set.add("due_ms", *c.due_ms);
    if (c.reveal_deadline) set.add("reveal_deadline", *c.reveal_deadline);
    if (c.enclave_challenge) set.add("enclave_challenge", *c.enclave_challenge);
    if (c.consensus) set.add("consensus", *c.consensus);
    if (c.uploader) set.add("uploader", *c.uploader);
    if (c.result_link) set.add("result_link", *c.result_link);
    if (c.callback_data) set.add("callback_data", *c.callback_data);
    if (c.initialize_intent) set.add("initialize_intent", *c.initialize_intent);
    if (c.finalize_intent) set.add("finalize_intent", *c.finalize_intent);
    if (c.reopen_intent) set.add("reopen_intent", *c.reopen_intent);
    if (c.claim_intent) set.add("claim_intent", *c.claim_intent);
    if (c.failure) set.add("failure", *c.failure);
    std::string sql = "UPDATE sched_tasks SET " + set.sql + " WHERE deal_id = ";
    sql += set.next();
    set.params.emplace_back(expected.key.deal_id);
    sql += " AND task_index = " + set.next();
    set.params.emplace_back(expected.key.index);
    sql += " AND status = " + set.next();
    set.params.emplace_back(static_cast<std::int64_t>(expected.status));
    sql += " AND version = " + set.next();
    set.params.emplace_back(expected.version);
    if (WriteBehindState* wb = behind(this, tx)) {
        if (auto it = wb->tasks.find(expected.key);
            it != wb->tasks.end() && (it->second.status != expected.status || it->second.version != expected.version))
            return std::optional<TaskRecord>{};
        TaskRecord updated = task_after(expected, next, c, now_ms);
        wb->updates.push_back({store::Statement{sql + " RETURNING version", std::move(set.params)}, updated.version,
                               task_what(expected.key)});
        wb->events.push_back({expected.key.deal_id, expected.key.index, static_cast<std::int64_t>(next),
                              std::string(to_string(event)), now_ms});
        wb->tasks[expected.key] = updated;
        return std::optional<TaskRecord>(std::move(updated));
    }
    sql += std::string(" RETURNING ") + kTaskColumns;
    WP_TRY(auto rows, tx.query_params(sql, set.params));
    if (rows.empty()) return std::optional<TaskRecord>{};
    WP_TRY(TaskRecord updated, task_from_row(rows[0]));
    WP_TRY_VOID(
        tx.exec("INSERT INTO sched_task_events (deal_id, task_index, status, event, at_ms) VALUES ($1, $2, $3,"
                " $4, $5)",
                expected.key.deal_id, expected.key.index, static_cast<std::int64_t>(next),
                std::string(to_string(event)), now_ms));
    return std::optional<TaskRecord>(std::move(updated));
}

Result<std::optional<TaskRecord>> SchedulerStore::transition_task(const TaskRecord& expected, TaskEvent event,
                                                                  const TaskChange& change, std::int64_t now_ms) {
    return db_.write([&](Tx& tx) { return transition_task(tx, expected, event, change, now_ms); });
}

Result<std::optional<TaskRecord>> SchedulerStore::reschedule_task(Tx& tx, const TaskRecord& expected,
                                                                  std::optional<std::int64_t> due_ms,
                                                                  std::int64_t now_ms) {
    WP_TRY_VOID(settle(this, tx));
    WP_TRY(auto rows, tx.query(std::string("UPDATE sched_tasks SET due_ms = $1, version = version + 1, updated_ms = $2"
                                           " WHERE deal_id = $3 AND task_index = $4 AND status = $5 AND version = $6"
                                           " RETURNING ") +
                                   kTaskColumns,
                               due_ms, now_ms, expected.key.deal_id, expected.key.index,
                               static_cast<std::int64_t>(expected.status), expected.version));
    if (rows.empty()) return std::optional<TaskRecord>{};
    WP_TRY(auto t, task_from_row(rows[0]));
    return std::optional<TaskRecord>(std::move(t));
}

Result<bool> SchedulerStore::set_enclave_challenge(Tx& tx, const TaskKey& task, const Address& challenge) {
    WP_TRY_VOID(settle(this, tx));
    WP_TRY(auto rows, tx.query("UPDATE sched_tasks SET enclave_challenge = $1 WHERE deal_id = $2 AND task_index = $3"
                               " AND enclave_challenge = $4 RETURNING task_index",
                               challenge, task.deal_id, task.index, Address{}));
    return !rows.empty();
}

// ---- Workers --------------------------------------------------------------------------------------------------------

Result<WorkerRecord> SchedulerStore::upsert_worker(const Address& address, const workerapi::WorkerRegistration& r,
                                                   std::int64_t now_ms) {
    return db_.write([&](Tx& tx) -> Result<WorkerRecord> {
        WP_TRY_VOID(tx.exec(
            "INSERT INTO sched_workers (address, name, version, cpu_slots, memory_mb, gpu, tee_frameworks,"
            " max_task_seconds, registered_ms, last_seen_ms, alive, score, last_seq) VALUES ($1, $2, $3, $4, $5, $6,"
            " $7, $8, $9, $9, TRUE, $10, 0) ON CONFLICT (address) DO UPDATE SET name = excluded.name,"
            " version = excluded.version, cpu_slots = excluded.cpu_slots, memory_mb = excluded.memory_mb,"
            " gpu = excluded.gpu, tee_frameworks = excluded.tee_frameworks,"
            " max_task_seconds = excluded.max_task_seconds, last_seen_ms = excluded.last_seen_ms, alive = TRUE",
            address, r.name, r.version, std::int64_t{r.cpu_slots}, to_i64(r.memory_mb), r.gpu,
            tee_mask(r.tee_frameworks), to_i64(r.max_task_seconds), now_ms, U256(0)));
        WP_TRY(auto row,
               tx.query_row(std::string("SELECT ") + kWorkerColumns + " FROM sched_workers w WHERE w.address = $1",
                            address));
        return worker_from_row(row);
    });
}

Result<bool> SchedulerStore::touch_worker(const Address& address, std::int64_t now_ms) {
    return db_.write([&](Tx& tx) -> Result<bool> {
        WP_TRY(std::int64_t n,
               tx.exec("UPDATE sched_workers SET last_seen_ms = $1, alive = TRUE WHERE address = $2", now_ms, address));
        return n > 0;
    });
}

Result<std::optional<WorkerRecord>> SchedulerStore::worker(const Address& address) {
    return db_.read([&](Tx& tx) -> Result<std::optional<WorkerRecord>> {
        WP_TRY(auto row,
               tx.query_opt(std::string("SELECT ") + kWorkerColumns + " FROM sched_workers w WHERE w.address = $1",
                            address));
        if (!row) return std::optional<WorkerRecord>{};
        WP_TRY(auto w, worker_from_row(*row));
        return std::optional<WorkerRecord>(std::move(w));
    });
}

Result<std::vector<WorkerRecord>> SchedulerStore::workers() {
    return db_.read([&](Tx& tx) -> Result<std::vector<WorkerRecord>> {
        WP_TRY(auto rows,
               tx.query(std::string("SELECT ") + kWorkerColumns + " FROM sched_workers w ORDER BY w.address"));
        std::vector<WorkerRecord> out;
        for (const Row& row : rows) {
            WP_TRY(auto w, worker_from_row(row));
            out.push_back(std::move(w));
        }
        return out;
    });
}

Result<void> SchedulerStore::set_worker_score(const Address& address, const U256& score) {
    return db_.write([&](Tx& tx) -> Result<void> {
        WP_TRY_VOID(tx.exec("UPDATE sched_workers SET score = $1 WHERE address = $2", score, address));
        return {};
    });
}

Result<std::vector<Address>> SchedulerStore::set_worker_scores(const std::vector<std::pair<Address, U256>>& scores) {
    return db_.write([&](Tx& tx) -> Result<std::vector<Address>> {
        std::vector<Address> changed;
        for (const auto& [address, score] : scores) {
            WP_TRY(auto row, tx.query_opt("SELECT score FROM sched_workers WHERE address = $1", address));
            if (!row) continue;  // not registered
            WP_TRY(U256 before, row->get<U256>("score"));
            if (before == score) continue;
            WP_TRY_VOID(tx.exec("UPDATE sched_workers SET score = $1 WHERE address = $2", score, address));
            changed.push_back(address);
            if (!(score < before)) continue;
            WP_TRY(auto reps, tx.query(std::string("SELECT ") + kReplicateColumns +
                                           " FROM sched_replicates WHERE worker = $1 AND status NOT IN ($2, $3, $4)",
                                       address, static_cast<std::int64_t>(ReplicateStatus::kCompleted),
                                       static_cast<std::int64_t>(ReplicateStatus::kFailed),
                                       static_cast<std::int64_t>(ReplicateStatus::kWorkerLost)));
            for (const Row& rr : reps) {
                WP_TRY(ReplicateRecord r, replicate_from_row(rr));
                if (!(score < r.score)) continue;
                WP_TRY_VOID(
                    tx.exec("UPDATE sched_replicates SET score = $1 WHERE deal_id = $2 AND task_index = $3"
                            " AND worker = $4",
                            score, r.task.deal_id, r.task.index, address));
            }
        }
        return changed;
    });
}

Result<std::vector<Address>> SchedulerStore::mark_lost_workers(std::int64_t now_ms, std::int64_t lost_after_ms) {
    return db_.write([&](Tx& tx) -> Result<std::vector<Address>> {
        WP_TRY(auto rows, tx.query("UPDATE sched_workers SET alive = FALSE WHERE alive AND last_seen_ms <= $1"
                                   " RETURNING address",
                                   now_ms - lost_after_ms));
        std::vector<Address> lost;
        for (const Row& row : rows) {
            WP_TRY(Address a, row.get<Address>("address"));
            lost.push_back(a);
            WP_TRY(auto reps, tx.query(std::string("SELECT ") + kReplicateColumns +
                                           " FROM sched_replicates WHERE worker = $1 AND status NOT IN ($2, $3, $4)",
                                       a, static_cast<std::int64_t>(ReplicateStatus::kCompleted),
                                       static_cast<std::int64_t>(ReplicateStatus::kFailed),
                                       static_cast<std::int64_t>(ReplicateStatus::kWorkerLost)));
            for (const Row& rr : reps) {
                WP_TRY(ReplicateRecord r, replicate_from_row(rr));
                WP_TRY(auto updated,
                       set_replicate_status(tx, r, ReplicateStatus::kWorkerLost, Modifier::kScheduler, {}, now_ms));
                if (!updated) return make_error(Errc::kIo, "replicate changed during the lost-worker transaction");
            }
        }
        return lost;
    });
}

// ---- Replicates -----------------------------------------------------------------------------------------------------

Result<bool> SchedulerStore::create_replicate(Tx& tx, const TaskKey& task, const Address& worker, const U256& score,
                                              std::int64_t now_ms) {
    WP_TRY_VOID(settle(this, tx));
    WP_TRY(auto w, tx.query_opt(std::string("SELECT ") + kWorkerColumns + " FROM sched_workers w WHERE w.address = $1",
                                worker));
    if (!w) return false;
    WP_TRY(WorkerRecord rec, worker_from_row(*w));
    if (!rec.alive || rec.used_slots >= rec.registration.cpu_slots) return false;
    WP_TRY(
        std::int64_t n,
        tx.exec("INSERT INTO sched_replicates (deal_id, task_index, worker, status, last_relevant, version,"
                " holds_slot, score, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $4, 0, TRUE, $5, $6, $6)"
                " ON CONFLICT (deal_id, task_index, worker) DO NOTHING",
                task.deal_id, task.index, worker, static_cast<std::int64_t>(ReplicateStatus::kCreated), score, now_ms));
    return n > 0;
}

Result<std::optional<ReplicateRecord>> SchedulerStore::replicate(const TaskKey& task, const Address& worker) {
    return db_.read([&](Tx& tx) -> Result<std::optional<ReplicateRecord>> {
        WP_TRY(auto row,
               tx.query_opt(std::string("SELECT ") + kReplicateColumns +
                                " FROM sched_replicates WHERE deal_id = $1 AND task_index = $2 AND worker = $3",
                            task.deal_id, task.index, worker));
        if (!row) return std::optional<ReplicateRecord>{};
        WP_TRY(auto r, replicate_from_row(*row));
        return std::optional<ReplicateRecord>(std::move(r));
    });
}

Result<std::vector<ReplicateRecord>> SchedulerStore::replicates_of_task(const TaskKey& task) {
    return db_.read([&](Tx& tx) { return replicates_where(tx, task); });
}

Result<std::vector<ReplicateRecord>> SchedulerStore::replicates_of_task(Tx& tx, const TaskKey& task) {
    WP_TRY_VOID(settle(this, tx));
    return replicates_where(tx, task);
}

Result<std::vector<ReplicateRecord>> SchedulerStore::replicates_of_schedulable_tasks() {
    static const std::string sql = "SELECT " + qualified_columns(kReplicateColumns, "r") +
                                   " FROM sched_replicates r JOIN sched_tasks t ON t.deal_id = r.deal_id AND"
                                   " t.task_index = r.task_index WHERE t.status IN ($1, $2)";
    return db_.read([&](Tx& tx) -> Result<std::vector<ReplicateRecord>> {
        WP_TRY(auto rows, tx.query(sql, static_cast<std::int64_t>(TaskStatus::kInitialized),
                                   static_cast<std::int64_t>(TaskStatus::kRunning)));
        std::vector<ReplicateRecord> out;
        out.reserve(rows.size());
        for (const Row& row : rows) {
            WP_TRY(auto r, replicate_from_row(row));
            out.push_back(std::move(r));
        }
        return out;
    });
}

Result<std::vector<ReplicateRecord>> SchedulerStore::active_replicates_of_worker(const Address& worker) {
    return db_.read([&](Tx& tx) -> Result<std::vector<ReplicateRecord>> {
        WP_TRY(auto rows, tx.query(std::string("SELECT ") + kReplicateColumns +
                                       " FROM sched_replicates WHERE worker = $1 AND status NOT IN ($2, $3)"
                                       " ORDER BY created_ms, deal_id, task_index",
                                   worker, static_cast<std::int64_t>(ReplicateStatus::kCompleted),
                                   static_cast<std::int64_t>(ReplicateStatus::kFailed)));
        std::vector<ReplicateRecord> out;
        for (const Row& row : rows) {
            WP_TRY(auto r, replicate_from_row(row));
            out.push_back(std::move(r));
        }
        return out;
    });
}

Result<std::optional<ReplicateRecord>> SchedulerStore::set_replicate_status(Tx& tx, const ReplicateRecord& expected,
                                                                            ReplicateStatus to, Modifier who,
                                                                            const workerapi::StatusDetails& d,
                                                                            std::int64_t now_ms) {
    const ReplicateStatus from =
        who == Modifier::kWorker && is_interruption(expected.status) ? expected.last_relevant : expected.status;
    WP_TRY_VOID(replicate_transition(from, to, who));
    SetList set;
    set.add("status", static_cast<std::int64_t>(to));
    if (!is_interruption(to)) set.add("last_relevant", static_cast<std::int64_t>(to));
    set.add("version", expected.version + 1);
    // An interruption keeps the slot state of the last relevant status until the worker is back; WORKER_LOST frees it.
    const bool slot = to == ReplicateStatus::kRecovering ? holds_slot(expected.last_relevant) : holds_slot(to);
    set.add("holds_slot", slot);
    set.add("updated_ms", now_ms);
    if (d.result_digest) set.add("result_digest", *d.result_digest);
    if (d.result_hash) set.add("result_hash", *d.result_hash);
    if (d.result_seal) set.add("result_seal", *d.result_seal);
    if (d.tx_hash) set.add("tx_hash", *d.tx_hash);
    if (d.block_number) set.add("block_number", *d.block_number);
    if (d.result_link) set.add("result_link", *d.result_link);
    if (d.callback_data) set.add("callback_data", *d.callback_data);
    if (d.cause) set.add("cause", static_cast<std::int64_t>(*d.cause));
    if (d.message) set.add("message", *d.message);
    std::string sql = "UPDATE sched_replicates SET " + set.sql + " WHERE deal_id = " + set.next();
    set.params.emplace_back(expected.task.deal_id);
    sql += " AND task_index = " + set.next();
    set.params.emplace_back(expected.task.index);
    sql += " AND worker = " + set.next();
    set.params.emplace_back(expected.worker);
    sql += " AND status = " + set.next();
    set.params.emplace_back(static_cast<std::int64_t>(expected.status));
    sql += " AND version = " + set.next();
    set.params.emplace_back(expected.version);
    if (WriteBehindState* wb = behind(this, tx)) {
        const auto key = std::make_pair(expected.task, expected.worker);
        if (auto it = wb->replicates.find(key); it != wb->replicates.end() && (it->second.status != expected.status ||
                                                                               it->second.version != expected.version))
            return std::optional<ReplicateRecord>{};
        ReplicateRecord updated = replicate_after(expected, to, slot, d, now_ms);
        wb->updates.push_back(
            {store::Statement{sql + " RETURNING version", std::move(set.params)}, updated.version,
             "replicate of worker " + expected.worker.to_checksum() + " for " + task_what(expected.task)});
        wb->replicates[key] = updated;
        return std::optional<ReplicateRecord>(std::move(updated));
    }
    sql += std::string(" RETURNING ") + kReplicateColumns;
    WP_TRY(auto rows, tx.query_params(sql, set.params));
    if (rows.empty()) return std::optional<ReplicateRecord>{};
    WP_TRY(auto r, replicate_from_row(rows[0]));
    return std::optional<ReplicateRecord>(std::move(r));
}

// ---- Idempotency ----------------------------------------------------------------------------------------------------

Result<std::optional<workerapi::StatusAnswer>> SchedulerStore::recorded_answer(Tx& tx, const TaskKey& task,
                                                                               const Address& worker,
                                                                               ReplicateStatus status) {
    WP_TRY_VOID(settle(this, tx));
    WP_TRY(auto row, tx.query_opt("SELECT action, abort_cause FROM sched_replicate_updates WHERE deal_id = $1 AND"
                                  " task_index = $2 AND worker = $3 AND status = $4",
                                  task.deal_id, task.index, worker, static_cast<std::int64_t>(status)));
    if (!row) return std::optional<workerapi::StatusAnswer>{};
    WP_TRY(std::int64_t action, row->get<std::int64_t>("action"));
    WP_TRY(auto a, answer_from(action, row->get<std::optional<std::int64_t>>("abort_cause")));
    return std::optional<workerapi::StatusAnswer>(a);
}

Result<std::int64_t> SchedulerStore::forget_answers(Tx& tx, const TaskKey& task, const Address& worker,
                                                    const std::vector<ReplicateStatus>& statuses) {
    std::int64_t n = 0;
    for (ReplicateStatus s : statuses) {
        WP_TRY(auto deleted, tx.exec("DELETE FROM sched_replicate_updates WHERE deal_id = $1 AND task_index = $2 AND"
                                     " worker = $3 AND status = $4",
                                     task.deal_id, task.index, worker, static_cast<std::int64_t>(s)));
        n += static_cast<std::int64_t>(deleted);
    }
    return n;
}

Result<std::int64_t> SchedulerStore::count_task_events(Tx& tx, const TaskKey& task, TaskEvent event) {
    WP_TRY(auto row, tx.query_row("SELECT COUNT(*) FROM sched_task_events WHERE deal_id = $1 AND task_index = $2 AND"
                                  " event = $3",
                                  task.deal_id, task.index, std::string(to_string(event))));
    return row.get<std::int64_t>(0);
}

Result<void> SchedulerStore::record_answer(Tx& tx, const TaskKey& task, const Address& worker, ReplicateStatus status,
                                           const workerapi::StatusAnswer& answer, std::int64_t now_ms) {
    if (WriteBehindState* wb = behind(this, tx)) {
        // ON CONFLICT DO NOTHING: the first answer recorded stays.
        if (wb->answered.emplace(std::make_tuple(task, worker, static_cast<std::int64_t>(status)), answer).second)
            wb->answers.push_back(
                {task.deal_id, task.index, worker, static_cast<std::int64_t>(status),
                 static_cast<std::int64_t>(answer.action),
                 answer.abort_cause ? Param(static_cast<std::int64_t>(*answer.abort_cause)) : Param(nullptr), now_ms});
        return {};
    }
    WP_TRY_VOID(tx.exec(
        "INSERT INTO sched_replicate_updates (deal_id, task_index, worker, status, action, abort_cause,"
        " at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (deal_id, task_index, worker, status)"
        " DO NOTHING",
        task.deal_id, task.index, worker, static_cast<std::int64_t>(status), static_cast<std::int64_t>(answer.action),
        answer.abort_cause ? Param(static_cast<std::int64_t>(*answer.abort_cause)) : Param(nullptr), now_ms));
    return {};
}

// ---- A status update's context in one statement ---------------------------------------------------------------------

Result<std::optional<StatusContext>> SchedulerStore::status_context(Tx& tx, const Bytes32& task_id,
                                                                    const Address& worker, ReplicateStatus status) {
    // The task, the answer recorded for (task, worker, status) and the worker's replicate: one round trip instead of
    // three (docs/scheduler.md "Where the time goes": PostgreSQL pays per statement).
    static const std::string sql = [] {
        return "SELECT " + qualified_columns(kTaskColumns, "t") +
               ", u.action AS u_action, u.abort_cause AS u_abort_cause, " +
               qualified_columns(kReplicateColumns, "r", "r_") +
               " FROM sched_tasks t"
               " LEFT JOIN sched_replicate_updates u ON u.deal_id = t.deal_id AND u.task_index = t.task_index AND"
               " u.worker = $2 AND u.status = $3"
               " LEFT JOIN sched_replicates r ON r.deal_id = t.deal_id AND r.task_index = t.task_index AND"
               " r.worker = $2"
               " WHERE t.task_id = $1";
    }();
    StatusContext out;
    const WriteBehindState* wb = behind(this, tx);
    if (wb != nullptr && wb->prefetched.count(task_id) > 0) {
        // Read at the start of the batch (prefetch_status_contexts), then the scope's own changes below.
        const auto t = wb->pf_tasks.find(task_id);
        if (t == wb->pf_tasks.end()) return std::optional<StatusContext>{};
        out.task = t->second;
        if (auto r = wb->pf_replicates.find({out.task.key, worker}); r != wb->pf_replicates.end())
            out.replicate = r->second;
        if (auto a = wb->pf_answers.find({out.task.key, worker, static_cast<std::int64_t>(status)});
            a != wb->pf_answers.end())
            out.recorded = a->second;
    } else {
        WP_TRY(auto row, tx.query_opt(sql, task_id, worker, static_cast<std::int64_t>(status)));
        if (!row) return std::optional<StatusContext>{};
        WP_TRY(out.task, task_from_row(*row));
        WP_TRY(auto action, row->get<std::optional<std::int64_t>>("u_action"));
        if (action) {
            WP_TRY(auto answer, answer_from(*action, row->get<std::optional<std::int64_t>>("u_abort_cause")));
            out.recorded = answer;
        }
        if (!row->is_null("r_worker")) {
            WP_TRY(auto rep, replicate_from_row(*row, "r_"));
            out.replicate = std::move(rep);
        }
    }
    if (wb != nullptr) {
        // What this scope changed and has not sent yet.
        if (auto it = wb->tasks.find(out.task.key); it != wb->tasks.end()) out.task = it->second;
        if (auto it = wb->replicates.find({out.task.key, worker}); it != wb->replicates.end())
            out.replicate = it->second;
        if (!out.recorded) {
            if (auto it = wb->answered.find({out.task.key, worker, static_cast<std::int64_t>(status)});
                it != wb->answered.end()) {
                out.recorded = it->second;
                out.recorded->duplicate = true;
            }
        }
    }
    return std::optional<StatusContext>(std::move(out));
}

// ---- Notifications --------------------------------------------------------------------------------------------------

Result<workerapi::Notification> SchedulerStore::append_notification(Tx& tx, const Address& worker,
                                                                    workerapi::Notification n, std::int64_t now_ms) {
    WP_TRY(auto row, tx.query_opt("UPDATE sched_workers SET last_seq = last_seq + 1 WHERE address = $1 RETURNING"
                                  " last_seq",
                                  worker));
    if (!row) return make_error(Errc::kInvalidArgument, "notification for an unknown worker " + worker.to_checksum());
    WP_TRY(n.seq, row->get<std::uint64_t>("last_seq"));
    if (WriteBehindState* wb = behind(this, tx)) {
        wb->notifications.push_back({worker, n.seq, n.task_id, static_cast<std::int64_t>(n.action),
                                     workerapi::serialize(workerapi::to_json(n)), now_ms});
        return n;
    }
    WP_TRY_VOID(
        tx.exec("INSERT INTO sched_notifications (worker, seq, task_id, action, payload, created_ms) VALUES"
                " ($1, $2, $3, $4, $5, $6)",
                worker, n.seq, n.task_id, static_cast<std::int64_t>(n.action),
                workerapi::serialize(workerapi::to_json(n)), now_ms));
    return n;
}

Result<workerapi::NotificationBatch> SchedulerStore::notifications_after(const Address& worker, std::uint64_t after,
                                                                         std::size_t limit) {
    return db_.read([&](Tx& tx) -> Result<workerapi::NotificationBatch> {
        workerapi::NotificationBatch out;
        WP_TRY(auto w, tx.query_opt("SELECT last_seq FROM sched_workers WHERE address = $1", worker));
        if (!w) return out;
        WP_TRY(out.last_seq, w->get<std::uint64_t>("last_seq"));
        WP_TRY(auto rows, tx.query("SELECT payload FROM sched_notifications WHERE worker = $1 AND seq > $2 ORDER BY"
                                   " seq LIMIT $3",
                                   worker, after, limit));
        for (const Row& row : rows) {
            WP_TRY(std::string payload, row.get<std::string>("payload"));
            boost::system::error_code ec;
            const json::value v = json::parse(payload, ec);
            if (ec) return make_error(Errc::kDecoding, "sched_notifications.payload: not JSON");
            WP_TRY(auto n, workerapi::notification_from_json(v));
            out.notifications.push_back(std::move(n));
        }
        return out;
    });
}

}  // namespace wp::scheduler
