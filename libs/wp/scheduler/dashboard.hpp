#pragma once
// The dashboard's JSON documents (docs/scheduler.md "HTTP API of the daemon"), built from the scheduler's store:
// the daemon serves them under /api/v1/dashboard/… (read-only). Shapes: addresses checksummed, 32-byte values
// 0x-lowercase, times in Unix ms (…Ms) or chain seconds (deadlines), every task status present in counts.
//
// Errors: the store's. Thread safety: as the store (any thread).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "scheduler_store.hpp"

namespace wp::scheduler {

struct SummaryContext {
    Address workerpool;
    std::uint64_t chain_id{0};
    Address owner;
    std::int64_t now_ms{0};
    std::uint64_t intents_in_flight{0};
};

//! GET /api/v1/dashboard/summary.
Result<boost::json::object> dashboard_summary(SchedulerStore& store, const SummaryContext& context);
//! GET /api/v1/dashboard/workers.
Result<boost::json::object> dashboard_workers(SchedulerStore& store);

struct TaskQuery {
    std::optional<TaskStatus> status;
    std::optional<Bytes32> deal;
    std::size_t limit{100};  //!< clamped to 1..500
    std::size_t offset{0};
};
//! GET /api/v1/dashboard/tasks?status=&deal=&limit=&offset= (most recently updated first).
Result<boost::json::object> dashboard_tasks(SchedulerStore& store, const TaskQuery& query);
//! GET /api/v1/dashboard/deals?limit= (most recent first).
Result<boost::json::object> dashboard_deals(SchedulerStore& store, std::size_t limit);

// ---- One task ----

//! What the core's transaction manager knows about an intent key (TxManager::find), for dashboard_task.
struct IntentView {
    std::string status;  //!< "queued", "pending", "mined", "confirmed", "reverted", "failed"
    std::optional<Bytes32> tx_hash;
    std::optional<std::uint64_t> block;
    std::optional<std::string> error;
};
//! Looks an intent key up (nullopt: unknown to the transaction manager, e.g. compacted away).
using IntentLookup = std::function<std::optional<IntentView>(const std::string& key)>;

//! GET /api/v1/dashboard/tasks/:taskId: the task as in dashboard_tasks plus "dueMs", "uploader", its "events"
//! (status history, oldest first), its deal's app / requester / trust / category, its "intents" (one per on-chain
//! action the task has: kind, key, and what `intents` knows: status, txHash, block, error), and each replicate with
//! its "history" (the statuses the worker reported, with times), createdMs, txHash, cause and message.
//! nullopt when the task is unknown.
Result<std::optional<boost::json::object>> dashboard_task(SchedulerStore& store, const Bytes32& task_id,
                                                          const IntentLookup& intents = {});

// ---- Failures, throughput ----

//! GET /api/v1/dashboard/failures?limit= (1..200): recent failures, newest first, at most `limit`, from four sources:
//!   "replicate"  a replicate in a failure status (…_FAILED, FAILED, ABORTED, WORKER_LOST): its cause / message;
//!   "intent"     a task event INITIALIZE_FAILED / REOPEN_FAILED / FINALIZE_FAILED (the transaction reverted);
//!   "timeout"    CONTRIBUTION_TIMEOUT, RESULT_UPLOAD_TIMEOUT, FINAL_DEADLINE_REACHED;
//!   "claim"      the task was claimed (FAILED after the claim), "task" any other move to FAILED;
//!   "deal"       a refused deal (its refusal; its tasks are not listed one by one).
//! Each {"kind","taskId"|null,"dealId","index"|null,"worker"|null,"status","reason","atMs"}.
Result<boost::json::object> dashboard_failures(SchedulerStore& store, std::size_t limit);

//! GET /api/v1/dashboard/throughput?minutes=&hours=: tasks reaching COMPLETED (their stored completion events) per
//! minute over the last `minutes` (1..1440, default 60) and per hour over the last `hours` (1..168, default 24),
//! buckets aligned on the minute / hour, oldest first, the last one holding now_ms, empty buckets included:
//! {"nowMs","bucketMs":60000,"completed":[{"atMs","count"}…],"hourly":{"bucketMs":3600000,"completed":[…]},
//!  "total":{"lastHour":N,"lastDay":N}} (lastHour / lastDay: the sums of the two series).
Result<boost::json::object> dashboard_throughput(SchedulerStore& store, std::int64_t now_ms, std::size_t minutes = 60,
                                                 std::size_t hours = 24);

// ---- Account and orders (the chain side: dashboard_chain.hpp) ----

//! One sample of the pool owner's SRLC account (IexecAccessors balanceOf / frozenOf).
struct AccountSnapshot {
    std::int64_t at_ms{0};
    U256 stake;   //!< balanceOf
    U256 locked;  //!< frozenOf
    friend bool operator==(const AccountSnapshot&, const AccountSnapshot&) = default;
};
//! The cached account of the owner (DashboardChain::account()).
struct AccountView {
    Address owner;
    std::optional<AccountSnapshot> latest;  //!< nullopt until the first successful read
    std::optional<std::string> error;       //!< the last read's error (the cached value is then stale)
};
//! GET /api/v1/dashboard/account: {"owner","stake":"nRLC"|null,"locked":"nRLC"|null,"total":"nRLC"|null,
//! "updatedMs":N|null,"error":"…"|null,"earnings":[{"atMs","total":"nRLC"}…],"earned":"±nRLC"}.
//! Earnings over time are the stored snapshots (dash_account_snapshots: stake + locked, one row per change) of the last
//! `window_ms` (default 7 days, at most 500 points, oldest first); "earned" is the last total minus the first
//! (rewards minus seized stakes; a deposit or withdrawal by the owner shows too: the pool's rewards land in the same
//! account).
Result<boost::json::object> dashboard_account(SchedulerStore& store, const AccountView& account, std::int64_t now_ms,
                                              std::int64_t window_ms = 7LL * 24 * 3600 * 1000);

//! GET /api/v1/dashboard/orders?limit= (1..500, default 50):
//! {"market":"url"|null,
//!  "orders":[…] — OPEN ORDERS: the pool's workerpool orders open on the market. Filled in by the order publishing
//!               policy (OpenOrdersSource below); [] while the core runs none, with "openOrdersKnown": false.
//!               Each {"orderHash","remaining":N,"volume":N,"price":"nRLC","tag","category":N,"trust":N,
//!               "publicationTimestamp"} (docs/scheduler.md),
//!  "openOrdersKnown": bool,
//!  "fills":[{"orderHash","dealId","volume":N,"blockNumber":N,"timestamp":N (chain s),"seenMs":N}…] — the
//!               OrdersMatched events of our deals seen on chain (dash_order_fills), newest first}.
//! `open_orders` nullopt: no source.
Result<boost::json::object> dashboard_orders(SchedulerStore& store, const std::string& market_url,
                                             std::optional<boost::json::array> open_orders, std::size_t limit);

//! Where the dashboard's open orders come from: the publishing policy's view (h-policy), called per request; must
//! not block on the network (answer from a cache). Empty function: no source.
using OpenOrdersSource = std::function<std::optional<boost::json::array>()>;

}  // namespace wp::scheduler
