#pragma once
// MarketSyncHandler: the market's chain::MirrorHandler for one chain — chain events → the market's rows, with the
// undo of every change (a reorg restores everything) and the reference's live events in the outbox, in the mirror's
// one transaction per batch (chain/mirror.hpp). docs/market.md "Chain → market"; reference behaviour:
// sdk-cli-and-market.md §5.6 (the iexec-market-api watcher).
//
// Events (the feed reads the hub and the three registries, topic0 ∈ {Transfer, OrdersMatched, Closed*Order,
// CreateCategory}: market_mirror_options) and their effects:
//   - OrdersMatched(deal, appHash, datasetHash, workerpoolHash, requestHash, volume) (hub):
//       market_consumed[h] += volume for each hash (dataset hash 0x0 skipped);
//       each PUBLISHED order h: remaining = min(remaining, order.volume − consumed); reaching 0 → status filled;
//       an open order: `<kind>order_updated` (its document without chainId, as the reference watcher sends it)
//       while remaining > 0, `<kind>order_unpublished` (the hash, a JSON string) when filled; a filled app / dataset
//       order cleans its dependent request orders (below); the deal row (viewDeal at that block — owners included — and
//       the block's timestamp, read in prepare() for the whole batch) + `deal_created` (deal document).
//   - ClosedAppOrder / ClosedDatasetOrder / ClosedWorkerpoolOrder / ClosedRequestOrder (hub): market_consumed[h] =
//       the order's volume (PoCo's CLOSE; for an unpublished hash viewConsumed, read in prepare()); a published order
//       → status canceled, remaining 0; `<kind>order_unpublished` when it was open; dependent request orders cleaned.
//   - hub ERC-20 Transfer(from, to, value): market_accounts[from] −= value, [to] += value (mint / burn: address 0
//       skipped). Every change of a free SRLC balance emits one (deposit = mint, withdraw = burn, the escrow's lock /
//       unlock / reward are transfers between the account and the hub: protocol.md §7.5; seize only moves frozen
//       funds), so market_accounts.stake stays EXACTLY viewAccount(account).stake — Lock / Unlock / Reward / Seize
//       themselves need no handling. After the LAST log of each transaction (transaction_applied, so that e.g. a
//       match's lock is judged with the remaining volume the same transaction reduced), for each account whose stake
//       changed: its open orders whose lock is no longer covered → dead (`<kind>order_unpublished`):
//         workerpool orders with price > 0: (price · 30 / 100) · remaining (integer division first, per order);
//         request orders: (appmaxprice + datasetmaxprice + workerpoolmaxprice) · remaining (the reference watcher);
//       and its dead workerpool / request orders that are alive again (alive() below) → open
//       (`<kind>order_published`, document without chainId: the order is back in the book).
//   - registry ERC-721 Transfer(from, to, tokenId) (entry = address(uint160(tokenId))): market_owners[entry] = to
//       (a mint from 0x0 is the registration); from ≠ 0x0: from's open orders of that resource → dead
//       (`<kind>order_unpublished`; app / dataset orders clean their dependent request orders); to's dead orders of
//       that resource that are alive again → open (`<kind>order_published`).
//   - CreateCategory (hub): market_categories row (with the block's timestamp).
//   - each batch: market_sync.last_block = the batch's last block (rolled back to R − 1 by a reorg to R).
// Dependent request orders (the reference's cleanApporderDependantOrders / cleanDatasetorderDependantOrders): when an
//   app (dataset) order leaves `open`, each open request order of that app (dataset) without any other matchable
//   open app (dataset) order — restrictions compatible (restrict 0x0 or equal to the request's workerpool, dataset,
//   requester, app), price ≤ the request's max price, the TEE bit when the request has it (app orders) — → dead.
// alive(order) (our addition: the reference never brings a dead order back): remaining > 0 and
//   app / dataset / workerpool order: the signer still owns the resource (market_owners);
//   workerpool order: also its lock is covered by the signer's stored stake;
//   request order: its total cost is covered by the requester's stored stake and a matchable open app order
//   (and dataset order when it names one) exists.
//   A cold (unknown) owner or stake counts as not alive.
//
// Undo: every row change records its compensating statement with ctx.undo (orders: the previous status and
// remaining; accounts / consumed / owners: the previous row or its deletion; deals and categories: the deletion); a
// user-visible order change also records, as undo, the outbox event that restores the previous view (an order
// filled / canceled / dead by the rolled-back block is announced again as `<kind>order_published`, an updated one as
// `<kind>order_updated` with its previous document). rolled_back(R) then drops the rows still valid at a block >= R
// (chain_state.hpp: cold entries read on the abandoned branch) and sets last_block = R − 1.
//
// Incomplete mirror (market_sync.complete = 0: started after the hub's deployment): an event that changes a stake or
// a consumed volume that has no row is applied only when the market needs it (the account signs stored orders / the
// hash is a published order): the base is read at the block BEFORE the event's block (viewAccount / viewConsumed,
// one eth_call inside the transaction), so the events of that block are applied on top of it exactly once;
// otherwise no row is written (chain_state.hpp reads it later at the mirror's block). Complete mirror: a missing row
// is zero, never an RPC.
//
// Threading: as chain::MirrorHandler — called by the one thread that polls its ChainMirror.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <wp/chain/hub.hpp>
#include <wp/chain/mirror.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/protocol/types.hpp>
#include <wp/store/store.hpp>

#include "chain_state.hpp"

namespace wp::market {

struct MarketSyncOptions {
    std::uint64_t chain_id{0};
    //! The hub and its three registries (Hub::resolve_addresses); the token is not needed.
    chain::PocoAddresses addresses;
    //! The first block the mirror reads (MirrorOptions::start_block).
    std::uint64_t start_block{0};
    //! True when start_block is at or before the hub's deployment (so the tables will hold every owner, stake,
    //! consumed volume and category); start_block 0 always is.
    bool complete{false};
};

//! Creates the market_sync row of the chain (last_block = start_block − 1) or checks the existing one. Errors:
//! Errc::kInvalidArgument when options.addresses lacks the hub or a registry; a different hub is refused
//! (Errc::kInvalidArgument "market sync for chain N: the database follows hub 0x…, not 0x…"); start_block / complete of
//! an existing row are kept (the mirror resumes from its cursor). Returns the stored row.
Result<SyncState> init_market_sync(store::Database& db, const MarketSyncOptions& options);

//! The ChainMirror options of the market: name "market:<chainId>:<hub lowercase hex>", start_block, and the feed
//! filter (addresses: hub + registries; topic0: Transfer, OrdersMatched, the four Closed*Order, CreateCategory).
//! `feed` supplies the other feed settings (confirmations, max_block_range, history); its addresses and topics are
//! replaced.
chain::MirrorOptions market_mirror_options(const MarketSyncOptions& options, chain::FeedOptions feed = {});

//! Lock of a workerpool order on its owner's stake: (price · 30 / 100) · remaining (PoCo's WORKERPOOL_STAKE_RATIO,
//! integer division first); nullopt when it overflows uint256 (then no stake covers it).
std::optional<U256> workerpool_order_lock(const U256& price, const U256& remaining);
//! What a request order costs its requester: (appmaxprice + datasetmaxprice + workerpoolmaxprice) · remaining;
//! nullopt on overflow.
std::optional<U256> request_order_cost(const RequestOrder& order, const U256& remaining);

//! Counters since construction (read by the polling thread, or after it stopped).
struct MarketSyncStats {
    std::uint64_t deals{0};
    std::uint64_t order_updates{0};  //!< status / remaining changes of published orders
    std::uint64_t events{0};         //!< outbox events appended
    std::uint64_t base_fetches{0};   //!< incomplete mirror: eth_calls for a missing stake / consumed base
};

class MarketSyncHandler final : public chain::MirrorHandler {
  public:
    //! `hub` (viewDeal, block headers, incomplete-mirror bases) must outlive the handler; `clock` (updated_ms,
    //! created_ms, last_block_ms) nullptr = system_clock(). The market_sync row must exist (init_market_sync).
    MarketSyncHandler(chain::Hub& hub, MarketSyncOptions options, Clock* clock = nullptr);

    Result<void> prepare(const chain::FeedBatch& batch) override;
    Result<void> apply(chain::MirrorContext& ctx, const chain::Log& log, const chain::PocoEvent* event) override;
    Result<void> transaction_applied(chain::MirrorContext& ctx) override;
    Result<void> rolled_back(store::Tx& tx, std::uint64_t from_block) override;
    Result<void> batch_applied(store::Tx& tx, const chain::FeedBatch& batch) override;

    const MarketSyncOptions& options() const { return options_; }
    MarketSyncStats stats() const { return stats_; }

  private:
    struct Prepared {
        std::map<Bytes32, Deal> deals;
        std::map<std::uint64_t, std::int64_t> block_ms;
        std::map<Bytes32, U256> closed_consumed;  //!< viewConsumed of the batch's closed orders
        std::optional<std::pair<std::uint64_t, std::uint64_t>> first_log;  //!< (block, log index)
    };

    std::int64_t now_ms() const;

    chain::Hub& hub_;
    MarketSyncOptions options_;
    Clock* clock_;
    Prepared prepared_;
    std::optional<bool> complete_;  //!< market_sync.complete, read on first use
    //! Accounts whose stake changed in the transaction being applied (flushed by transaction_applied).
    std::set<Address> touched_;
    MarketSyncStats stats_;
    friend class SyncOps;
};

}  // namespace wp::market
