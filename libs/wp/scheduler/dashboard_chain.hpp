#pragma once
// The dashboard's chain side (docs/scheduler.md "HTTP API of the daemon"): what the page shows that only the chain
// knows, read in the background and kept in the database, so that no request handler ever waits on the RPC.
//
//  - Tables (component "scheduler_dashboard" of store::migrate, after the scheduler's own; SQLite and PostgreSQL):
//      dash_account_snapshots  (at_ms, stake, locked) of the pool owner: one row when the value changes (and at
//                              most one per `snapshot_every` otherwise), older than 30 days pruned;
//      dash_order_fills        one row per deal of ours: the OrdersMatched event of its match (workerpool order
//                              hash, volume, block, chain timestamp = the deal's start time) or, when the log is not
//                              found in the deal's block, a row with order_hash NULL (not searched again);
//      and an index on sched_task_events (status, at_ms) for the throughput and failure reads.
//  - DashboardChain::refresh() (one thread: the core's "dashboard" loop): when the cached account is older than
//    `account_ttl`, IexecAccessors balanceOf + frozenOf of the owner (one JSON-RPC batch each... two eth_calls), the
//    cache updated and a snapshot stored if it changed; then, for up to `fills_per_round` deals without a fill row,
//    eth_getLogs(hub, OrdersMatched) in the deal's block and the match of that deal id stored.
//    RPC errors are kept (account().error) and retried at the next round; they never fail refresh().
//  - account() is what the HTTP handler reads: a copy under a mutex.
//
// Thread safety: refresh() from one thread at a time; account() from any thread; the free functions as the store.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>

#include "dashboard.hpp"
#include "scheduler_store.hpp"

namespace wp::scheduler {

inline constexpr std::string_view kDashboardSchemaComponent = "scheduler_dashboard";
//! The dashboard's migrations (run after migrate_scheduler: they index one of its tables).
std::span<const store::Migration> dashboard_migrations();
Result<std::int64_t> migrate_dashboard(store::Database& db);

//! One OrdersMatched of our workerpool.
struct OrderFill {
    Bytes32 deal_id;
    std::optional<Bytes32> order_hash;  //!< nullopt: the log was not found in the deal's block
    std::uint64_t volume{0};
    std::uint64_t block_number{0};
    std::int64_t timestamp{0};  //!< chain seconds (the deal's start time: the block of the match)
    std::int64_t seen_ms{0};
};

//! Deals without a fill row (oldest first): (deal id, block number, start time, bot size).
struct DealToFill {
    Bytes32 deal_id;
    std::uint64_t block_number{0};
    std::int64_t start_time{0};
    std::uint64_t bot_size{0};
};
Result<std::vector<DealToFill>> deals_without_fill(SchedulerStore& store, std::size_t limit);
//! Stores the fill (idempotent: a deal already recorded keeps its row).
Result<void> record_fill(SchedulerStore& store, const OrderFill& fill);

//! Stores `s` when it differs from the latest stored snapshot, or when the latest is older than `every_ms`;
//! prunes the rows older than s.at_ms − 30 days. Returns true when a row was written.
Result<bool> record_account_snapshot(SchedulerStore& store, const AccountSnapshot& s, std::int64_t every_ms);
//! The snapshots with at_ms ≥ since_ms, oldest first; at most `max_points` (evenly thinned, the last one kept).
Result<std::vector<AccountSnapshot>> account_snapshots(SchedulerStore& store, std::int64_t since_ms,
                                                       std::size_t max_points);
//! The newest stored snapshot (the account shown before the first chain read after a restart).
Result<std::optional<AccountSnapshot>> latest_account_snapshot(SchedulerStore& store);

struct DashboardChainOptions {
    Address owner;
    Address hub;
    std::chrono::milliseconds account_ttl{std::chrono::seconds(5)};
    std::chrono::milliseconds snapshot_every{std::chrono::hours(1)};
    std::size_t fills_per_round{20};
};

class DashboardChain {
  public:
    DashboardChain(chain::EthClient& eth, chain::Hub& hub, SchedulerStore& store, Clock& clock,
                   DashboardChainOptions options);

    struct Round {
        bool account_read{false};     //!< the account was read from the chain in this round
        bool account_changed{false};  //!< a new value (or the first one) was read
        std::size_t new_fills{0};
    };
    //! One background round (see the file comment). Errors: only the store's.
    Result<Round> refresh();
    //! The cached account (never calls the chain).
    AccountView account() const;

  private:
    chain::EthClient& eth_;
    chain::Hub& hub_;
    SchedulerStore& store_;
    Clock& clock_;
    DashboardChainOptions options_;
    mutable std::mutex mutex_;
    AccountView view_;
    std::optional<std::int64_t> checked_ms_;
    bool loaded_{false};
};

}  // namespace wp::scheduler
