#include "sql_tx_journal.hpp"

#include <algorithm>

#include "store_names.hpp"

namespace wp::chain {
namespace {

const store::Migration kMigrations[] = {
    {1, "journal records",
     "CREATE TABLE IF NOT EXISTS tx_journal ("
     "  seq ${id},"
     "  journal TEXT NOT NULL,"
     "  chain_id BIGINT NOT NULL,"
     "  from_address ${blob} NOT NULL,"
     "  call_id BIGINT NOT NULL,"
     "  nonce BIGINT NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  record TEXT NOT NULL);"
     "CREATE INDEX IF NOT EXISTS tx_journal_call ON tx_journal (journal, chain_id, from_address, call_id);"},
};

}  // namespace

Result<std::unique_ptr<SqlTxJournal>> SqlTxJournal::open(store::Database& db, std::string journal) {
    if (!is_valid_store_name(journal))
        return make_error(Errc::kInvalidArgument,
                          "SQL journal: name '" + journal + "' must be 1 to 200 characters of [A-Za-z0-9_.:-]");
    WP_TRY(auto version, store::migrate(db, "tx_journal", kMigrations));
    (void)version;
    return std::unique_ptr<SqlTxJournal>(new SqlTxJournal(db, std::move(journal)));
}

std::string SqlTxJournal::name() const { return "journal " + journal_ + " in database " + db_.name(); }

Result<void> SqlTxJournal::append_in(store::Tx& tx, std::span<const JournalRecord> records) {
    if (records.empty()) return {};
    std::vector<std::vector<store::Param>> rows;
    rows.reserve(records.size());
    for (const auto& r : records) {
        rows.push_back({journal_, r.chain_id, r.from, r.id, r.nonce, to_string(r.kind), to_json_line(r)});
    }
    auto n = tx.insert_many("tx_journal", {"journal", "chain_id", "from_address", "call_id", "nonce", "kind", "record"},
                            rows);
    if (!n) return make_error(n.error().with_context(name()));
    return {};
}

Result<void> SqlTxJournal::append(std::span<const JournalRecord> records) {
    if (records.empty()) return {};
    return db_.write([&](store::Tx& tx) { return append_in(tx, records); });
}

Result<std::vector<JournalRecord>> SqlTxJournal::load() {
    WP_TRY(auto rows, db_.read([&](store::Tx& tx) {
        return tx.query("SELECT seq, record FROM tx_journal WHERE journal = $1 ORDER BY seq", journal_);
    }));
    std::vector<JournalRecord> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        WP_TRY(std::int64_t seq, row.get<std::int64_t>(0));
        WP_TRY(std::string line, row.get<std::string>(1));
        auto record = parse_journal_record(line);
        if (!record) return make_error(record.error().with_context(name() + " seq " + std::to_string(seq)));
        out.push_back(std::move(*record));
    }
    return out;
}

Result<void> SqlTxJournal::compact(const std::function<bool(const JournalRecord&)>& keep) {
    return db_.write([&](store::Tx& tx) -> Result<void> {
        WP_TRY(auto rows, tx.query("SELECT seq, record FROM tx_journal WHERE journal = $1 ORDER BY seq", journal_));
        std::vector<store::Param> dropped;
        for (const auto& row : rows) {
            WP_TRY(std::int64_t seq, row.get<std::int64_t>(0));
            WP_TRY(std::string line, row.get<std::string>(1));
            auto record = parse_journal_record(line);
            if (!record) return make_error(record.error().with_context(name() + " seq " + std::to_string(seq)));
            if (!keep(*record)) dropped.emplace_back(seq);
        }
        // In statements of at most 500 seqs (one round trip each on PostgreSQL, not one per record).
        constexpr std::size_t kChunk = 500;
        for (std::size_t begin = 0; begin < dropped.size(); begin += kChunk) {
            const std::size_t n = std::min(kChunk, dropped.size() - begin);
            std::string sql = "DELETE FROM tx_journal WHERE seq IN (";
            for (std::size_t i = 0; i < n; ++i) sql += (i == 0 ? "$" : ", $") + std::to_string(i + 1);
            sql += ")";
            WP_TRY(auto deleted, tx.exec_params(sql, std::span(dropped).subspan(begin, n)));
            (void)deleted;
        }
        return {};
    });
}

Result<std::size_t> SqlTxJournal::size() {
    WP_TRY(auto n, db_.read([&](store::Tx& tx) -> Result<std::int64_t> {
        WP_TRY(auto row, tx.query_row("SELECT COUNT(*) FROM tx_journal WHERE journal = $1", journal_));
        return row.get<std::int64_t>(0);
    }));
    return static_cast<std::size_t>(n);
}

}  // namespace wp::chain
