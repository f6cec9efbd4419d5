#pragma once
// ChainMirror: applies chain events to a daemon's database exactly once, reorgs included.
//
// It glues an EventFeed (event_feed.hpp), the typed PoCo decoders (poco_events.hpp) and the store (wp::store):
//
//   poll():
//     1. EventFeed::poll() reads the next bounded block range (JSON-RPC; no database transaction is open), then
//        MirrorHandler::prepare(batch) may read the chain for the whole batch (still no transaction open);
//     2. ONE write transaction: checks that the cursor stored under the mirror's name is still the one this mirror
//        started the batch from (else another instance moved it: Errc::kInvalidArgument, nothing applied), then
//          a. on a reorg (FeedBatch::rollback_from = B): runs the undo actions recorded for blocks >= B, newest
//             first, deletes them, and calls MirrorHandler::rolled_back(tx, B);
//          b. for each log of the batch, in (block, log index) order: MirrorHandler::apply(ctx, log, event),
//             where event is the decoded PoCo event (nullptr for a log that is not a PoCo event); after the last
//             log of each transaction, MirrorHandler::transaction_applied(ctx) with that log's context;
//          c. MirrorHandler::batch_applied(tx, batch); the test hook before_commit;
//          d. stores the new cursor and forgets the undo actions of blocks that can no longer be rolled back
//             (older than the cursor's block-hash history);
//        and commits. Effects and cursor are one atomic commit: a crash (kill -9) anywhere leaves either the
//        batch fully applied with its cursor, or nothing of it; after a restart the mirror resumes from the stored
//        cursor, so no event is applied twice and none is skipped.
//     3. if the transaction failed, the feed is reset to the stored cursor (the batch is read again next time).
//
// Undo (how effects are rolled back on a reorg): while applying a log, a handler records the compensating
// statements of what it changes with MirrorContext::undo(sql, params...) — e.g. before
//   UPDATE orders SET remaining = $1 WHERE hash = $2      it records
//   ctx.undo("UPDATE orders SET remaining = $1 WHERE hash = $2", old_remaining, hash).
// Undo actions are stored in the same transaction (table chain_mirror_undo, with their block number) and run in
// reverse order when their block is rolled back. Handlers that keep per-block data of their own may instead do
// their rollback in rolled_back(). Events of blocks deeper than FeedOptions::history cannot be rolled back (the
// feed fails with Errc::kUnsupported, the mirror stops: the operator must rebuild from the chain).
//
// Tables (component "chain_mirror", created by open() through wp::store::migrate):
//   chain_mirror_cursor(name TEXT PRIMARY KEY, cursor TEXT (FeedCursor JSON), updated_at BIGINT unix ms)
//   chain_mirror_undo(name, block, seq, sql TEXT, params TEXT (JSON), PRIMARY KEY (name, block, seq))
// Several mirrors (different names) may share one database.
//
// Threading: a ChainMirror is not thread-safe; one thread calls poll(). The database may be used by other threads
// (their writes serialise with the mirror's through the store).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/result.hpp>
#include <wp/store/store.hpp>

#include "eth.hpp"
#include "event_feed.hpp"
#include "poco_events.hpp"

namespace wp::chain {

//! What a handler sees while applying one log.
class MirrorContext {
  public:
    store::Tx& tx() { return tx_; }
    const Log& log() const { return log_; }
    std::uint64_t block() const { return log_.block_number; }

    //! Records a compensating statement for the change being made, run if this log's block is rolled back by a
    //! reorg (in reverse order of recording, inside that rollback's transaction). Parameters as in store::Tx.
    template <class... A>
    Result<void> undo(std::string_view sql, const A&... args) {
        const std::vector<store::Param> params{store::Param(args)...};
        return undo_params(sql, params);
    }
    Result<void> undo_params(std::string_view sql, std::span<const store::Param> params);

  private:
    friend class ChainMirror;
    MirrorContext(store::Tx& tx, const Log& log, std::string_view name, std::int64_t& seq)
        : tx_(tx), log_(log), name_(name), seq_(seq) {}
    store::Tx& tx_;
    const Log& log_;
    std::string_view name_;
    std::int64_t& seq_;
};

//! The daemon's side: turns events into rows. Every method runs inside the batch's write transaction and must only
//! change the database through it (it may run again after a retry or a crash: no other side effects, except
//! idempotent ones such as reading the chain). An error rolls the whole batch back; the mirror then returns it.
class MirrorHandler {
  public:
    virtual ~MirrorHandler() = default;
    //! One log, in chain order. `event` is the decoded PoCo event, nullptr when the log is not one (unknown
    //! topic0); a log with a known topic0 that does not decode fails the batch (ChainMirror::poll's error).
    virtual Result<void> apply(MirrorContext& ctx, const Log& log, const PocoEvent* event) = 0;
    //! Before the batch's write transaction, outside any database transaction: the handler may read the chain for
    //! the whole batch at once (e.g. one batched request for every deal it creates) and keep the answers for
    //! apply(), so that no RPC runs while the transaction holds the database's write lock. It must not write the
    //! database. Called for every batch that is applied (new blocks, logs or a rollback), again when a batch is read
    //! again after a failure. An error fails the poll: nothing is applied, the next poll() reads the same blocks again.
    virtual Result<void> prepare(const FeedBatch& batch) {
        (void)batch;
        return {};
    }
    //! After the last log of each transaction (the logs of one transaction are consecutive in a batch: same block,
    //! same transaction hash), with the context of that last log: undo actions are recorded for its block. For
    //! effects that depend on all of a transaction's events together (e.g. a balance checked once every transfer
    //! of the transaction was applied).
    virtual Result<void> transaction_applied(MirrorContext& ctx) {
        (void)ctx;
        return {};
    }
    //! After a reorg's undo actions ran: every effect of blocks >= from_block must now be gone.
    virtual Result<void> rolled_back(store::Tx& tx, std::uint64_t from_block) {
        (void)tx;
        (void)from_block;
        return {};
    }
    //! After the batch's logs, before the cursor is stored (e.g. to record the last block seen).
    virtual Result<void> batch_applied(store::Tx& tx, const FeedBatch& batch) {
        (void)tx;
        (void)batch;
        return {};
    }
};

struct MirrorOptions {
    //! Identifies the cursor and undo rows: e.g. "market:31337:0x…hub". [A-Za-z0-9_.:-], 1–200 characters.
    std::string name;
    FeedOptions feed;
    //! Where a mirror without a stored cursor starts (the first block that may hold relevant events).
    std::uint64_t start_block{0};
    //! Tests only (fault injection): called inside the transaction after the batch was applied, before the cursor
    //! is stored and the transaction commits (e.g. to kill the process there).
    std::function<void(const FeedBatch&)> before_commit{};
};

//! One poll() result.
struct MirrorStep {
    std::optional<std::uint64_t> rolled_back_from;  //!< a reorg was undone from this block
    std::size_t undone{0};                          //!< undo actions run
    std::size_t applied{0};                         //!< logs applied
    std::uint64_t from_block{0};                    //!< blocks read: from_block … from_block + block_count − 1
    std::uint64_t block_count{0};
    bool caught_up{false};  //!< the cursor reached the confirmed head: poll again later
    bool retry{false};      //!< the chain moved during the read (or the node is behind): nothing applied
    std::uint64_t head{0};
};

class ChainMirror {
  public:
    //! Creates the tables if needed (migration "chain_mirror"), loads the cursor stored under options.name (or starts
    //! at options.start_block). `eth`, `db` and `handler` must outlive the mirror. Errors: a bad name
    //! (Errc::kInvalidArgument), store errors, a stored cursor that does not parse (Errc::kDecoding naming the name).
    static Result<std::unique_ptr<ChainMirror>> open(EthClient& eth, store::Database& db, MirrorHandler& handler,
                                                     MirrorOptions options);

    //! One feed poll + one transaction (header comment). On error nothing is applied and the next poll() reads the
    //! same blocks again: RPC errors, handler errors, a log that does not decode, store errors, a cursor moved by
    //! another instance.
    Result<MirrorStep> poll();

    //! The cursor of the last committed batch.
    const FeedCursor& cursor() const { return cursor_; }
    const MirrorOptions& options() const { return options_; }

  private:
    ChainMirror(EthClient& eth, store::Database& db, MirrorHandler& handler, MirrorOptions options, FeedCursor cursor);
    Result<std::size_t> run_undo(store::Tx& tx, std::uint64_t from_block);

    store::Database& db_;
    MirrorHandler& handler_;
    MirrorOptions options_;
    FeedCursor cursor_;
    EventFeed feed_;
};

//! The undo parameters' JSON text (exposed for tests): [{"n":null} | {"i":"-12"} | {"b":true} | {"t":"text"} |
//! {"x":"0x…"}, …]; integers as decimal strings (int64 exact).
std::string undo_params_to_json(std::span<const store::Param> params);
//! Strict inverse of undo_params_to_json (Errc::kDecoding naming the element).
Result<std::vector<store::Param>> undo_params_from_json(std::string_view text);

}  // namespace wp::chain
