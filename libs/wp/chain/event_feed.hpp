#pragma once
// EventFeed: an ordered, reorg-aware stream of contract logs read with eth_getLogs in bounded block ranges.
//
// Model
//   - The feed reads blocks in order up to the confirmed head, head − confirmations, one bounded range per poll().
//   - A FeedCursor says where it is: the next block to read and the hashes of the last K blocks read (a contiguous
//     run ending at next_block − 1). The caller owns the cursor: it persists the cursor returned by each poll() in
//     the same transaction as the effects of that batch's events, and builds a new feed from it after a restart.
//   - Before reading forward, poll() checks that the last stored block hash is still on the chain (one
//     eth_getBlockByNumber; block hashes commit to their parents, so the older stored blocks are then unchanged).
//     Only a DIFFERENT hash at that height is a reorg. A node that does not have that block (its head is below it,
//     or it answers null: a lagging load-balanced backend, a restarted node) is behind, not reorganised: poll()
//     delivers nothing, rolls nothing back, leaves the cursor unchanged and sets caught_up and retry (poll again
//     later). Consequence: a reorg to a chain SHORTER than the cursor (anvil evm_revert) is seen only once the new
//     chain has grown back past the cursor's last block.
//     If the hash changed, poll() fetches all stored numbers in one JSON-RPC batch, finds the newest block whose
//     hash still matches (the common ancestor A), and returns a rollback notice rollback_from = A + 1: the caller
//     undoes the effects of every event delivered from block A + 1 on. The same poll() then reads forward from
//     A + 1, so the new chain's events are re-delivered in order. If no stored hash matches (a reorg deeper than
//     the K stored blocks), poll() fails with Errc::kUnsupported and the cursor is left unchanged.
//     The first read of a fresh cursor at block s > 0 also stores the hash of block s − 1, so that a reorg of the
//     start block itself is detected and rolled back like any other.
//   - Reading a range [from, to], in this order:
//     1. headers BEFORE the logs (JSON-RPC batches of at most 100 eth_getBlockByNumber calls): block `from` (and
//        s − 1 for a fresh cursor) and the last K blocks of the range, ending at `to`. They must all exist and
//        chain: block `from` extends the cursor's last block, each tail block's parent hash is the previous one's
//        hash (the recent history restarts at the range's last K blocks when the range is longer than K);
//     2. eth_getLogs(from, to) with the feed's addresses and topics; if the node refuses the range ("too many
//        results", "block range too large", response size limits: see is_range_error), the range is split in
//        halves and each half is read the same way, down to single blocks. A rate limit (is_rate_limit_error)
//        is not split: poll() returns the error;
//     3. headers AFTER the logs: block `to` must still have the hash read in step 1 (so, hashes committing to
//        parents, every block of the range is the one of step 1: the logs answer cannot come from a fork the
//        headers do not describe, e.g. a fork switch between the two reads), and every log's blockHash must be the
//        hash of its block (blocks below the tail are fetched again here).
//     If any check fails, the chain moved during the read: nothing is delivered, the cursor is unchanged, and
//     FeedBatch::retry is set (the next poll() sees the reorg, if any). Limit: a load balancer whose eth_getLogs
//     backend lags behind the header backends and silently clamps toBlock to its own head can still hide the
//     logs of the blocks it lacks; use a node (or a sticky backend) that answers all calls from one chain view.
//   - Delivered logs are sorted by (block number, log index); logs with removed = true are never delivered.
//     Each log carries its block hash, transaction hash and log index, so consumers can be idempotent.
//
// Threading and blocking: a feed is not thread-safe. poll() never sleeps or waits for new blocks; it blocks only
// for the JSON-RPC calls it makes (at most: eth_blockNumber, one or two getBlockByNumber requests for the
// verification, the getBlockByNumber batches before and after the logs, the eth_getLogs calls of one range (more
// when the range is split)).
// A caller loops on poll() while FeedBatch::caught_up is false, and sleeps between polls when it is true.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "eth.hpp"

namespace wp::chain {

//! Where a feed is: the next block to read and the hashes of the last blocks read.
struct FeedCursor {
    std::uint64_t next_block{0};
    //! Hashes of blocks next_block − recent_hashes.size() … next_block − 1, oldest first (so the last one is the
    //! hash of block next_block − 1). At most FeedOptions::history entries; empty before the first read.
    std::vector<Bytes32> recent_hashes;

    //! A fresh cursor: start reading at `block`, nothing read yet.
    static FeedCursor at(std::uint64_t block) { return FeedCursor{block, {}}; }

    //! {"nextBlock": 123, "recentHashes": ["0x…", …]} (nextBlock a JSON number).
    boost::json::object to_json() const;
    std::string to_json_text() const;
    //! Strict: exactly those two keys, nextBlock a non-negative integer, recentHashes 0x + 64 hex digits each, at
    //! most next_block of them. Errors (Errc::kDecoding / the hex parser's code) name the field
    //! ("cursor.recentHashes[3]: …").
    static Result<FeedCursor> from_json(const boost::json::value& json);
    static Result<FeedCursor> from_json_text(std::string_view text);

    friend bool operator==(const FeedCursor&, const FeedCursor&) = default;
};

struct FeedOptions {
    std::vector<Address> addresses{};  //!< emitting contracts (empty: any)
    //! Topic filter per position (LogFilter::topics): nullopt = any, else one of the values.
    std::vector<std::optional<std::vector<Bytes32>>> topics{};
    //! A block is delivered once `confirmations` blocks have been built on top of it: only blocks
    //! <= head − confirmations are read (0 = at once, as soon as the block is the head).
    //! Not TxManager's convention: there, confirmations = 1 means "mined" (block <= head − confirmations + 1);
    //! the same number here waits for one more block.
    std::uint64_t confirmations{0};
    std::uint64_t max_block_range{1000};  //!< blocks per poll() and per eth_getLogs (>= 1)
    std::size_t history{64};              //!< K: block hashes kept in the cursor (>= 1); deeper reorgs are errors
};

//! One poll() result.
struct FeedBatch {
    //! Set after a reorg: the first block whose events the caller must undo (every event delivered from this
    //! block on is no longer on the chain). Applies before `logs`, which start at or after this block.
    std::optional<std::uint64_t> rollback_from;
    std::vector<Log> logs;  //!< in (block number, log index) order, none removed
    //! The blocks read by this poll: from_block … from_block + block_count − 1 (block_count 0: none).
    std::uint64_t from_block{0};
    std::uint64_t block_count{0};
    FeedCursor cursor;      //!< the cursor after this batch (persist it with the batch's effects)
    bool caught_up{false};  //!< true when the cursor reached the confirmed head (poll again later)
    //! True when nothing was delivered because the chain moved during the read, or because the node is behind
    //! the cursor (then caught_up is set too: poll again later).
    bool retry{false};
    std::uint64_t head{0};  //!< the node's head block number seen by this poll
};

//! classify_rpc_error(error) == kRateLimited (rpc.hpp has the rules): "slow down, ask again later", not "ask for a
//! smaller range". The JSON-RPC client already retried such an answer; a rate-limited eth_getLogs is never split:
//! poll() returns the error (cursor unchanged) and the caller polls again after a back-off.
bool is_rate_limit_error(const RpcError& error);

//! classify_rpc_error(error) == kRangeTooLarge (rpc.hpp has the rules): "ask for a smaller range" (the response
//! exceeded our size limit, or the node refused the range: "query returned more than 10000 results", ...).
bool is_range_error(const RpcError& error);

class EventFeed {
  public:
    //! `eth` must outlive the feed. max_block_range and history must be >= 1 (asserted).
    EventFeed(EthClient& eth, FeedOptions options, FeedCursor cursor);

    //! Reads the next range (see the header comment). Errors: the RPC errors of the calls (converted with
    //! RpcError::to_error; a rate-limited eth_getLogs included: back off, then poll again), a node result that
    //! breaks the protocol (Errc::kDecoding: a header of another number than asked, a log outside the requested
    //! range), a single block whose logs the node still refuses (the range error), a reorg deeper than the stored
    //! history (Errc::kUnsupported). On error the cursor is unchanged. A missing header is never an error nor a
    //! reorg: the batch has retry set (and caught_up when the node is behind the cursor).
    Result<FeedBatch> poll();

    //! The cursor after the last successful poll() (the one given at construction before that).
    const FeedCursor& cursor() const { return cursor_; }
    //! Replaces the cursor (e.g. with the last persisted one when applying a batch failed).
    void reset(FeedCursor cursor) { cursor_ = std::move(cursor); }
    const FeedOptions& options() const { return options_; }

  private:
    Result<std::vector<Log>> read_logs(std::uint64_t from, std::uint64_t to, unsigned depth);

    EthClient& eth_;
    FeedOptions options_;
    FeedCursor cursor_;
};

}  // namespace wp::chain
