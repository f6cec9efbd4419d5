#pragma once
// SqlTxJournal: the TxManager journal (tx_journal.hpp) in a wp::store database — the daemon's own database
// (SQLite by default, PostgreSQL), so that transaction intents live next to the state they belong to.
//
// Table (component "tx_journal", created by open() through wp::store::migrate):
//   tx_journal(seq ${id},                 order of appends
//              journal TEXT,              which journal (several managers may share a database: one per wallet)
//              chain_id BIGINT, from_address ${blob}, call_id BIGINT, nonce BIGINT, kind TEXT,
//              record TEXT)               the record's JSON line (to_json_line / parse_journal_record: the same
//                                         strict format as FileTxJournal, so every record kind round-trips)
//   index (journal, chain_id, from_address, call_id)
//
// append(records) writes all records in ONE write transaction and returns once it committed (durable as the
// database's store::Durability says: open the database with Durability::kFull for a journal). append_in(tx, …)
// writes them inside a transaction the caller already has open — the transactional outbox: a daemon records its
// state change and the journal records of the transactions it implies in one commit (daemon-style.md D2).
// load() reads every record of this journal in append order; a stored line that does not parse is corruption
// (Errc::kDecoding naming the journal and the seq).
//
// Compaction: compact(keep) (TxManager decides what to keep, tx_journal.hpp "Compaction") deletes, in ONE write
// transaction, the records for which keep(record) is false: after a crash the journal holds either all the old
// records or exactly the kept ones.
//
// One writer: like FileTxJournal, one TxManager at a time per journal name; open() does not lock (the store has
// no portable advisory lock): the daemon guarantees a single instance (its own database lock / lifecycle).
// Thread safety: as TxJournal (the manager serialises its calls); the Database may be shared with other threads.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <wp/core/result.hpp>
#include <wp/store/store.hpp>

#include "tx_journal.hpp"

namespace wp::chain {

class SqlTxJournal : public TxJournal {
  public:
    //! Creates the table if needed. `db` must outlive the journal. `journal` names this journal inside the
    //! database ([A-Za-z0-9_.:-], 1–200 characters; e.g. "core:0x…wallet"). Errc::kInvalidArgument for a bad name.
    static Result<std::unique_ptr<SqlTxJournal>> open(store::Database& db, std::string journal = "default");

    Result<void> append(std::span<const JournalRecord> records) override;
    Result<std::vector<JournalRecord>> load() override;
    //! "journal <name> in database <db name>".
    std::string name() const override;

    Result<void> compact(const std::function<bool(const JournalRecord&)>& keep) override;

    //! Appends inside the caller's write transaction (the outbox); durable when that transaction commits.
    Result<void> append_in(store::Tx& tx, std::span<const JournalRecord> records);
    //! Number of records stored for this journal.
    Result<std::size_t> size();

  private:
    SqlTxJournal(store::Database& db, std::string journal) : db_(db), journal_(std::move(journal)) {}
    store::Database& db_;
    std::string journal_;
};

}  // namespace wp::chain
