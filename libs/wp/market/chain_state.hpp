#pragma once
// ChainState: the chain facts the publish checks need — the owner of an app / dataset / workerpool, an account's
// stake (free SRLC balance, viewAccount(...).stake), the consumed volume of an order hash, whether a category
// exists — answered from the market's tables (schema.hpp: market_owners, market_accounts, market_consumed,
// market_categories), without an RPC round trip in the common case.
//
// Where the rows come from
//   - The chain mirror's handler (sync.hpp) keeps them current from events: registry ERC-721 Transfer → owners
//     (a mint is a registration), hub ERC-20 Transfer → stakes (every change of a free balance emits one),
//     OrdersMatched → consumed, CreateCategory → categories. Each row carries the block it is valid at
//     (block_number).
//   - When the mirror started at (or before) the hub's deployment (market_sync.complete = 1), the tables hold
//     EVERYTHING: a missing row means "not registered" / stake 0 / consumed 0 / no such category, and no call ever
//     reaches the chain.
//   - Otherwise (complete = 0) a missing row is COLD: the fact predates the mirror's start. ChainState fetches cold
//     entries ONCE, in batches (Hub::simulate_batch / view_accounts), and stores them (owners also when the entry is
//     NOT registered: owner 0x0…0 = "not registered", replaced by the mint event when it comes), so later calls are
//     local. Consumed volumes of hashes that were never matched are the exception worth knowing: a new order's hash
//     has no row, so in an incomplete mirror the first consumed() of each new hash is one eth_call (stored after).
//
// Freshness ("what block is this answer true at")
//   Every answer is the state at the block the mirror has applied (market_sync.last_block; start_block − 1 before
//   its first batch): mirrored rows are current up to it, and cold entries are read at exactly that block (a block
//   NUMBER, never the moving "latest"), so the whole view is one consistent snapshot of the chain at the mirror's
//   position, as fresh as the mirror (which follows head − confirmations).
//   How cold values stay consistent with later events: a cold value read at block L is stored only if the mirror is
//   still at L when the row is written (checked in the inserting transaction; otherwise the value is returned but
//   not stored, and the next call fetches again — at most 3 attempts per call), with block_number = L and
//   INSERT … ON CONFLICT DO NOTHING (a row the mirror wrote meanwhile wins). Every event of a later block (> L) is
//   then applied by the mirror on top of it (stakes and consumed volumes as deltas, owners as values), so no event
//   is counted twice or missed. A reorg that rolls the mirror back to block R deletes the rows still valid at a
//   block >= R after the undo actions ran (cold rows read on the abandoned branch): they become cold again.
//   Limits: cold reads need the node's state at the mirror's block (a pruned node keeps recent blocks only; the
//   market is ready once the mirror caught up, so it normally reads recent state).
//
// Errors: store errors; Errc::kInvalidArgument "market sync for chain N is not initialised" when market_sync has no
// row for the chain (sync.hpp init_market_sync runs first); a cold fetch that fails: the HubError of the item
// (transport, decoding), naming the view ("viewAccount: …"). A revert of ownerOf means "not registered", not an error.
//
// Thread safety: a ChainState may be used from any number of threads (HTTP handlers): it holds no mutable state
// besides atomic counters; Database and Hub are thread-safe. It never holds a database transaction across an RPC.

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <wp/chain/hub.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/store/store.hpp>

namespace wp::market {

//! market_owners.registry codes.
enum class Registry : std::int16_t { kApp = 0, kDataset = 1, kWorkerpool = 2 };

std::string_view to_string(Registry registry) noexcept;  //!< "app" | "dataset" | "workerpool"
chain::RegistryKind registry_kind(Registry registry) noexcept;

//! The market_sync row of one chain.
struct SyncState {
    std::uint64_t chain_id{0};
    Address hub;
    std::uint64_t start_block{0};
    bool complete{false};  //!< the mirror started at or before the hub's deployment: a missing row means "none"
    //! The last block the mirror applied (nullopt before its first batch; stored as start_block − 1).
    std::optional<std::uint64_t> last_block;
    std::int64_t last_block_ms{0};  //!< when that batch was applied (Unix ms, the database clock)

    //! The block the stored facts are true at: last_block, or start_block − 1 (0 for start_block 0) before the
    //! first batch.
    std::uint64_t fact_block() const;

    friend bool operator==(const SyncState&, const SyncState&) = default;
};

//! The market_sync row of `chain_id` (nullopt when there is none).
Result<std::optional<SyncState>> load_sync_state(store::Tx& tx, std::uint64_t chain_id);
//! load_sync_state in two halves, for a Tx::query_batch: the statement (Errc::kInvalidArgument for a chain id
//! above the int64 range), then the state from its rows.
Result<store::Statement> sync_state_statement(std::uint64_t chain_id);
Result<std::optional<SyncState>> sync_state_from(const store::Rows& rows, std::uint64_t chain_id);

//! The stored facts of one chain, read inside the caller's transaction (no RPC): e.g. the publish transaction
//! re-checks what it decided on before writing the order. Each lookup returns nullopt for a COLD entry (no row and
//! an incomplete mirror): ask ChainState (outside the transaction), then run the transaction again.
class StoredFacts {
  public:
    //! Loads market_sync. Errc::kInvalidArgument when the chain has no market_sync row.
    static Result<StoredFacts> open(store::Tx& tx, std::uint64_t chain_id);

    const SyncState& sync() const { return sync_; }

    //! The owner of `entry` in `registry`; Address zero = not registered there. nullopt = cold.
    Result<std::optional<Address>> owner(Registry registry, const Address& entry) const;
    //! The free SRLC balance of `account`. nullopt = cold.
    Result<std::optional<U256>> stake(const Address& account) const;
    //! m_consumed[order_hash]. nullopt = cold.
    Result<std::optional<U256>> consumed(const Bytes32& order_hash) const;
    //! Whether category `catid` exists. nullopt = cold (an incomplete mirror without that row).
    Result<std::optional<bool>> category_exists(const U256& catid) const;

  private:
    StoredFacts(store::Tx& tx, SyncState sync) : tx_(&tx), sync_(std::move(sync)) {}
    store::Tx* tx_;
    SyncState sync_;
};

//! Counters since construction (for tests and metrics).
struct ChainStateStats {
    std::uint64_t local{0};         //!< answers served from the tables only
    std::uint64_t cold_fetches{0};  //!< calls that needed the chain (one RPC exchange or batch series each)
    std::uint64_t cold_entries{0};  //!< cold entries fetched
    std::uint64_t stored{0};        //!< cold entries stored
    std::uint64_t raced{0};         //!< attempts whose values were not stored because the mirror moved meanwhile
};

class ChainState {
  public:
    //! `db` and `hub` must outlive the ChainState. `hub.addresses()` must hold the registries (Hub::resolve_addresses)
    //! for cold owner lookups (else the error of Hub::registry_address).
    ChainState(store::Database& db, chain::Hub& hub, std::uint64_t chain_id)
        : db_(db), hub_(hub), chain_id_(chain_id) {}

    std::uint64_t chain_id() const { return chain_id_; }

    //! The owner of `entry` in `registry` (ERC-721 ownerOf); nullopt when it is not registered there.
    Result<std::optional<Address>> owner(Registry registry, const Address& entry);
    //! owner() of each entry, in order; the cold ones in one batch series.
    Result<std::vector<std::optional<Address>>> owners(Registry registry, std::span<const Address> entries);

    //! viewAccount(account).stake: the free SRLC balance.
    Result<U256> stake(const Address& account);
    Result<std::vector<U256>> stakes(std::span<const Address> accounts);

    //! viewConsumed(order_hash): the volume already matched (remaining = volume − consumed).
    Result<U256> consumed(const Bytes32& order_hash);
    Result<std::vector<U256>> consumed_volumes(std::span<const Bytes32> order_hashes);

    //! Whether category `catid` exists (catid < countCategory()). In an incomplete mirror a missing row costs one
    //! countCategory call and, when the category exists, loads every missing category (load_categories).
    Result<bool> category_exists(const U256& catid);
    //! Incomplete mirror: reads countCategory and every category the table lacks (batched viewCategory) at the
    //! mirror's block and stores them (transaction_hash zero, block_timestamp_ms 0: unknown); returns how many were
    //! stored. Complete mirror: 0, no call. Meant for start-up, so /categories lists the older categories too.
    Result<std::size_t> load_categories();

    ChainStateStats stats() const;

  private:
    store::Database& db_;
    chain::Hub& hub_;
    std::uint64_t chain_id_;
    std::atomic<std::uint64_t> local_{0};
    std::atomic<std::uint64_t> cold_fetches_{0};
    std::atomic<std::uint64_t> cold_entries_{0};
    std::atomic<std::uint64_t> stored_{0};
    std::atomic<std::uint64_t> raced_{0};
};

}  // namespace wp::market
