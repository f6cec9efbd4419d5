#pragma once
// DealIntake: the core's chain::MirrorHandler (chain/mirror.hpp) — SchedulerNotice events of our workerpool become
// deals and tasks in the scheduler's store, exactly once, with reorg rollback (docs/scheduler.md "Deal intake").
//
//  - The mirror (name "core:<chainId>:<hub>:<workerpool>", a cursor in the same database, start block from the
//    settings) reads the hub's logs `confirmations` blocks behind the head; SchedulerNotice's indexed workerpool
//    is filtered in the log query (topic 1), the task events of the hub (TaskInitialize … TaskClaimed) come too
//    and are handed to the daemon after the commit (observations(), consumed by ChainSide).
//  - prepare(): for the batch's new deals, one batched viewDeal (JSON-RPC batch), then the app, dataset and
//    category of each (cached: registry entries and categories never change) — no transaction is open meanwhile.
//  - apply(): SchedulerNotice(workerpool = ours) → deal_record() → SchedulerStore::insert_deal(tx, …) in the
//    mirror's transaction (idempotent: a deal already stored changes nothing), with undo statements that delete
//    the deal and its tasks if the block is rolled back.
//  - Refusals (the deal's tasks are stored FAILED with the reason, so the dashboard shows them and nothing is
//    sent for them): a TEE deal (tag bit 0) with trust > 1 ("TEE deal with trust N > 1"), a deal already past its
//    contribution deadline ("contribution deadline passed"), a category time of 0.
//
// Thread safety: one thread (the mirror's) calls the handler; observations are taken under a mutex.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <wp/chain/hub.hpp>
#include <wp/chain/mirror.hpp>
#include <wp/core/address.hpp>
#include <wp/core/clock.hpp>
#include <wp/protocol/types.hpp>

#include "scheduler_store.hpp"

namespace wp::scheduler {

struct DealIntakeOptions {
    std::uint64_t chain_id{0};
    Address hub;
    Address workerpool;
    std::uint64_t start_block{0};
    std::uint64_t confirmations{0};
    std::uint64_t max_block_range{1000};
};

//! The mirror options of the intake (name, hub address, topics: SchedulerNotice for `workerpool` and the task events).
chain::MirrorOptions intake_mirror_options(const DealIntakeOptions& options);

//! The deal row of a deal read on chain (pure): deadlines start + 7·T and start + 10·T (PoCo ratios), params'
//! iexec_args / iexec_input_files, multiaddrs as text, and the refusal when the rules above refuse it.
DealRecord deal_record(const Bytes32& deal_id, const Deal& deal, const AppInfo& app,
                       const std::optional<DatasetInfo>& dataset, const Category& category, std::int64_t now_s,
                       std::uint64_t block_number);

//! A task event seen on chain (after its batch committed), for the chain side of the task machine.
struct TaskObservation {
    chain::PocoEvent event;
    std::uint64_t block{0};
};

class DealIntake final : public chain::MirrorHandler {
  public:
    DealIntake(chain::Hub& hub, SchedulerStore& store, Clock& clock, DealIntakeOptions options);

    Result<void> prepare(const chain::FeedBatch& batch) override;
    Result<void> apply(chain::MirrorContext& ctx, const chain::Log& log, const chain::PocoEvent* event) override;
    Result<void> batch_applied(store::Tx& tx, const chain::FeedBatch& batch) override;

    //! The task events of the applied batches since the last call (call after ChainMirror::poll() succeeded). At
    //! least once: a batch whose commit failed is read again, so consumers must be idempotent.
    std::vector<TaskObservation> take_observations();
    //! The deals inserted since the start (new ones, not the idempotent repeats).
    std::uint64_t deals_received() const { return deals_received_; }

  private:
    chain::Hub& hub_;
    SchedulerStore& store_;
    Clock& clock_;
    DealIntakeOptions options_;
    std::map<Bytes32, DealRecord> prepared_;
    std::map<Address, AppInfo> apps_;
    std::map<Address, DatasetInfo> datasets_;
    std::map<std::uint64_t, Category> categories_;
    std::vector<TaskObservation> batch_observations_;
    std::mutex observations_mutex_;
    std::vector<TaskObservation> observations_;
    std::uint64_t deals_received_{0};
};

}  // namespace wp::scheduler
