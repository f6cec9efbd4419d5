#include "mirror.hpp"

#include <charconv>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>

#include "store_names.hpp"

namespace wp::chain {
namespace {

namespace json = boost::json;

const store::Migration kMigrations[] = {
    {1, "cursor and undo log",
     "CREATE TABLE IF NOT EXISTS chain_mirror_cursor ("
     "  name TEXT PRIMARY KEY,"
     "  cursor TEXT NOT NULL,"
     "  updated_at BIGINT NOT NULL);"
     "CREATE TABLE IF NOT EXISTS chain_mirror_undo ("
     "  name TEXT NOT NULL,"
     "  block BIGINT NOT NULL,"
     "  seq BIGINT NOT NULL,"
     "  sql TEXT NOT NULL,"
     "  params TEXT NOT NULL,"
     "  PRIMARY KEY (name, block, seq));"},
};

Result<std::optional<FeedCursor>> load_cursor(store::Tx& tx, const std::string& name) {
    WP_TRY(auto row, tx.query_opt("SELECT cursor FROM chain_mirror_cursor WHERE name = $1", name));
    if (!row) return std::optional<FeedCursor>{};
    WP_TRY(std::string text, row->get<std::string>(0));
    auto cursor = FeedCursor::from_json_text(text);
    if (!cursor) return make_error(cursor.error().with_context("chain mirror '" + name + "': stored cursor"));
    return std::optional<FeedCursor>(std::move(*cursor));
}

Result<std::int64_t> to_db_block(std::uint64_t block) {
    if (block > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return make_error(Errc::kOverflow, "chain mirror: block number " + std::to_string(block) + " too large");
    return static_cast<std::int64_t>(block);
}

}  // namespace

std::string undo_params_to_json(std::span<const store::Param> params) {
    json::array out;
    out.reserve(params.size());
    for (const auto& p : params) {
        json::object o;
        switch (p.kind()) {
            case store::Param::Kind::kNull: o["n"] = nullptr; break;
            case store::Param::Kind::kInt: o["i"] = std::to_string(p.int_value()); break;
            case store::Param::Kind::kBool: o["b"] = p.int_value() != 0; break;
            case store::Param::Kind::kText: o["t"] = p.data(); break;
            case store::Param::Kind::kBytes: {
                const auto& d = p.data();
                o["x"] = to_hex(ByteView(reinterpret_cast<const std::uint8_t*>(d.data()), d.size()));
                break;
            }
            case store::Param::Kind::kInvalid:
                // Kept as an invalid value: running the undo statement fails with the same message.
                o["e"] = p.data();
                break;
        }
        out.push_back(std::move(o));
    }
    return json::serialize(out);
}

Result<std::vector<store::Param>> undo_params_from_json(std::string_view text) {
    std::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return make_error(Errc::kDecoding, "undo params: not JSON: " + ec.message());
    const auto* arr = v.if_array();
    if (arr == nullptr) return make_error(Errc::kDecoding, "undo params: expected an array");
    std::vector<store::Param> out;
    out.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string where = "undo params[" + std::to_string(i) + "]";
        const auto* o = (*arr)[i].if_object();
        if (o == nullptr || o->size() != 1)
            return make_error(Errc::kDecoding, where + ": expected an object with one key");
        const auto& [key, value] = *o->begin();
        if (key == "n" && value.is_null()) {
            out.emplace_back(nullptr);
        } else if (key == "i" && value.is_string()) {
            const auto& s = value.get_string();
            std::int64_t n = 0;
            const auto* end = s.data() + s.size();
            const auto [ptr, err] = std::from_chars(s.data(), end, n);
            if (err != std::errc() || ptr != end || s.empty())
                return make_error(Errc::kDecoding, where + ": \"i\" must be a decimal int64 string");
            out.emplace_back(n);
        } else if (key == "b" && value.is_bool()) {
            out.emplace_back(value.get_bool());
        } else if (key == "t" && value.is_string()) {
            out.emplace_back(std::string(value.get_string()));
        } else if (key == "x" && value.is_string()) {
            auto b = from_hex(value.get_string());
            if (!b) return make_error(b.error().with_context(where));
            out.emplace_back(*b);
        } else if (key == "e" && value.is_string()) {
            // An invalid parameter recorded as such: rebuild one that fails the same way.
            out.emplace_back(std::numeric_limits<std::uint64_t>::max());
        } else {
            return make_error(Errc::kDecoding,
                              where + ": unknown key or wrong value type for '" + std::string(key) + "'");
        }
    }
    return out;
}

Result<void> MirrorContext::undo_params(std::string_view sql, std::span<const store::Param> params) {
    WP_TRY(std::int64_t block, to_db_block(log_.block_number));
    const std::int64_t seq = seq_++;
    WP_TRY(auto n, tx_.exec("INSERT INTO chain_mirror_undo (name, block, seq, sql, params) VALUES ($1, $2, $3, $4, $5)",
                            name_, block, seq, sql, undo_params_to_json(params)));
    (void)n;
    return {};
}

ChainMirror::ChainMirror(EthClient& eth, store::Database& db, MirrorHandler& handler, MirrorOptions options,
                         FeedCursor cursor)
    : db_(db),
      handler_(handler),
      options_(std::move(options)),
      cursor_(cursor),
      feed_(eth, options_.feed, std::move(cursor)) {}

Result<std::unique_ptr<ChainMirror>> ChainMirror::open(EthClient& eth, store::Database& db, MirrorHandler& handler,
                                                       MirrorOptions options) {
    if (!is_valid_store_name(options.name))
        return make_error(Errc::kInvalidArgument,
                          "chain mirror: name '" + options.name + "' must be 1 to 200 characters of [A-Za-z0-9_.:-]");
    if (options.feed.max_block_range == 0 || options.feed.history == 0)
        return make_error(Errc::kInvalidArgument, "chain mirror: feed max_block_range and history must be >= 1");
    WP_TRY(auto version, store::migrate(db, "chain_mirror", kMigrations));
    (void)version;
    const std::string name = options.name;
    WP_TRY(auto stored, db.read([&](store::Tx& tx) { return load_cursor(tx, name); }));
    FeedCursor cursor = stored ? std::move(*stored) : FeedCursor::at(options.start_block);
    return std::unique_ptr<ChainMirror>(new ChainMirror(eth, db, handler, std::move(options), std::move(cursor)));
}

Result<std::size_t> ChainMirror::run_undo(store::Tx& tx, std::uint64_t from_block) {
    WP_TRY(std::int64_t from, to_db_block(from_block));
    WP_TRY(auto rows, tx.query("SELECT block, seq, sql, params FROM chain_mirror_undo WHERE name = $1 AND block >= $2 "
                               "ORDER BY block DESC, seq DESC",
                               options_.name, from));
    for (const auto& row : rows) {
        WP_TRY(std::int64_t block, row.get<std::int64_t>(0));
        WP_TRY(std::int64_t seq, row.get<std::int64_t>(1));
        WP_TRY(std::string sql, row.get<std::string>(2));
        WP_TRY(std::string params_text, row.get<std::string>(3));
        const std::string where = "chain mirror '" + options_.name + "': undo action (block " + std::to_string(block) +
                                  ", #" + std::to_string(seq) + ")";
        auto params = undo_params_from_json(params_text);
        if (!params) return make_error(params.error().with_context(where));
        auto done = tx.exec_params(sql, *params);
        if (!done) return make_error(done.error().with_context(where));
    }
    WP_TRY(auto deleted, tx.exec("DELETE FROM chain_mirror_undo WHERE name = $1 AND block >= $2", options_.name, from));
    (void)deleted;
    return rows.size();
}

Result<MirrorStep> ChainMirror::poll() {
    const FeedCursor before = cursor_;
    auto polled = feed_.poll();
    if (!polled) return make_error(polled.error());  // EventFeed leaves its cursor unchanged on error
    FeedBatch batch = std::move(*polled);
    MirrorStep step;
    step.rolled_back_from = batch.rollback_from;
    step.from_block = batch.from_block;
    step.block_count = batch.block_count;
    step.caught_up = batch.caught_up;
    step.retry = batch.retry;
    step.head = batch.head;
    if (batch.cursor == before && !batch.rollback_from && batch.logs.empty()) return step;

    // Decode outside the transaction (pure); a known topic that does not decode fails the batch.
    std::vector<std::optional<PocoEvent>> events;
    events.reserve(batch.logs.size());
    for (const auto& log : batch.logs) {
        auto event = decode_poco_event(log);
        if (event) {
            events.emplace_back(std::move(*event));
        } else if (event.error().code == Errc::kUnsupported) {
            events.emplace_back(std::nullopt);
        } else {
            feed_.reset(before);
            return make_error(event.error().with_context("chain mirror '" + options_.name + "': block " +
                                                         std::to_string(log.block_number) + " log " +
                                                         std::to_string(log.log_index)));
        }
    }

    if (auto prepared = handler_.prepare(batch); !prepared) {
        feed_.reset(before);
        return make_error(prepared.error().with_context("chain mirror '" + options_.name + "': prepare"));
    }

    const std::string cursor_text = batch.cursor.to_json_text();
    const std::uint64_t keep_from =
        batch.cursor.next_block > options_.feed.history ? batch.cursor.next_block - options_.feed.history : 0;
    std::size_t undone = 0;
    auto committed = db_.write([&](store::Tx& tx) -> Result<void> {
        undone = 0;
        WP_TRY(auto stored, load_cursor(tx, options_.name));
        const bool matches = stored ? *stored == before : before == FeedCursor::at(options_.start_block);
        if (!matches)
            return make_error(Errc::kInvalidArgument,
                              "chain mirror '" + options_.name +
                                  "': the stored cursor moved (another instance is applying events to this database)");
        if (batch.rollback_from) {
            WP_TRY(undone, run_undo(tx, *batch.rollback_from));
            WP_TRY_VOID(handler_.rolled_back(tx, *batch.rollback_from));
        }
        std::int64_t seq = 0;
        if (!batch.logs.empty()) {
            // Undo sequence numbers continue after those already recorded for the batch's first block.
            WP_TRY(std::int64_t first, to_db_block(batch.logs.front().block_number));
            WP_TRY(auto row, tx.query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM chain_mirror_undo WHERE name = $1 "
                                          "AND block >= $2",
                                          options_.name, first));
            WP_TRY(seq, row.get<std::int64_t>(0));
        }
        for (std::size_t i = 0; i < batch.logs.size(); ++i) {
            const Log& log = batch.logs[i];
            MirrorContext ctx(tx, log, options_.name, seq);
            const PocoEvent* event = events[i] ? &*events[i] : nullptr;
            auto applied = handler_.apply(ctx, log, event);
            if (!applied)
                return make_error(applied.error().with_context("chain mirror '" + options_.name + "': block " +
                                                               std::to_string(log.block_number) + " log " +
                                                               std::to_string(log.log_index)));
            const bool last_of_transaction = i + 1 == batch.logs.size() ||
                                             batch.logs[i + 1].block_number != log.block_number ||
                                             batch.logs[i + 1].transaction_hash != log.transaction_hash;
            if (last_of_transaction) {
                auto done = handler_.transaction_applied(ctx);
                if (!done)
                    return make_error(done.error().with_context("chain mirror '" + options_.name + "': block " +
                                                                std::to_string(log.block_number) + " transaction " +
                                                                to_hex(log.transaction_hash.view())));
            }
        }
        WP_TRY_VOID(handler_.batch_applied(tx, batch));
        if (options_.before_commit) options_.before_commit(batch);
        WP_TRY(std::int64_t keep, to_db_block(keep_from));
        WP_TRY(auto pruned,
               tx.exec("DELETE FROM chain_mirror_undo WHERE name = $1 AND block < $2", options_.name, keep));
        (void)pruned;
        const std::int64_t now =
            db_.options().clock != nullptr ? db_.options().clock->unix_ms() : system_clock().unix_ms();
        WP_TRY(auto n,
               tx.exec("INSERT INTO chain_mirror_cursor (name, cursor, updated_at) VALUES ($1, $2, $3) "
                       "ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                       options_.name, cursor_text, now));
        (void)n;
        return {};
    });
    if (!committed) {
        feed_.reset(before);
        return make_error(committed.error());
    }
    cursor_ = batch.cursor;
    step.undone = undone;
    step.applied = batch.logs.size();
    return step;
}

}  // namespace wp::chain
