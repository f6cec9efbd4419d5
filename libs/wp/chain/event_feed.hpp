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
//     If it changed, it fetches all stored numbers in one JSON-RPC batch, finds the newest block whose hash still
//     matches (the common ancestor A), and returns a rollback notice rollback_from = A + 1: the caller undoes
//     the effects of every event delivered from block A + 1 on. The same poll() then reads forward from A + 1,
//     so the new chain's events are re-delivered in order. If no stored hash matches (a reorg deeper than the K
//     stored blocks), poll() fails with Errc::kUnsupported and the cursor is left unchanged.
//     The first read of a fresh cursor at block s > 0 also stores the hash of block s − 1, so that a reorg of the
//     start block itself is detected and rolled back like any other.
//   - Reading a range [from, to]: eth_getLogs(from, to) with the feed's addresses and topics; if the node refuses
//     the range ("too many results", "block range too large", response size limits: see is_range_error), the
//     range is split in halves and each half is read the same way, down to single blocks. Then JSON-RPC batches
//     (at most 100 calls each) of eth_getBlockByNumber fetch block `from`, the blocks that have logs, and the last K
//     blocks of the range. The batch is accepted only if the headers chain (each stored block's parent hash is the
//     previous stored hash, and block `from` extends the cursor's last block; also: the recent history restarts at the
//     range's last K blocks when the range is longer than K) and every log's blockHash equals its block's hash;
//     otherwise the chain moved during the read, nothing is delivered, the cursor is unchanged, and the next
//     poll() sees the reorg (FeedBatch::retry is set).
//   - Delivered logs are sorted by (block number, log index); logs with removed = true are never delivered.
//     Each log carries its block hash, transaction hash and log index, so consumers can be idempotent.
//
// Threading and blocking: a feed is not thread-safe. poll() never sleeps or waits for new blocks; it blocks only
// for the JSON-RPC calls it makes (at most: eth_blockNumber, one or two getBlockByNumber requests for the
// verification, the eth_getLogs calls of one range (more when the range is split), the getBlockByNumber batches).
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
    std::uint64_t confirmations{0};       //!< only blocks <= head − confirmations are read
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
    bool retry{false};      //!< true when the chain moved during the read and nothing was delivered
    std::uint64_t head{0};  //!< the node's head block number seen by this poll
};

//! True for node errors that mean "ask for a smaller range": JSON-RPC errors (kind kRemote) with code -32005
//! (limit exceeded) or whose message contains (case-insensitive) "too many", "range", "limit", "exceed",
//! "more than", "response size" or "too large"; also Errc::kTooLarge (the response exceeded our size limit).
bool is_range_error(const RpcError& error);

class EventFeed {
  public:
    //! `eth` must outlive the feed. max_block_range and history must be >= 1 (asserted).
    EventFeed(EthClient& eth, FeedOptions options, FeedCursor cursor);

    //! Reads the next range (see the header comment). Errors: the RPC errors of the calls (converted with
    //! RpcError::to_error), a node result that breaks the protocol (Errc::kDecoding: a missing block below the
    //! head, a log outside the requested range), a single block whose logs the node still refuses (the range
    //! error), a reorg deeper than the stored history (Errc::kUnsupported). On error the cursor is unchanged.
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
