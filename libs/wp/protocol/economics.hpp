#pragma once
// PoCo money: prices, stakes and locks at match time (protocol.md §5.4, §5.5), and the escrow
// movements of finalize, contributeAndFinalize and claim (§6.6–§6.8, §7.5), with the contracts'
// exact evaluation order of every floor division (§13). Amounts are nRLC. Arithmetic is checked
// like Solidity 0.8: an overflow is Errc::kOverflow (the contracts panic 0x11), never a wrap.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "types.hpp"

namespace wp {

//! floor(a·b / c) with a 512-bit intermediate (OpenZeppelin Math.mulDiv): never overflows unless
//! the quotient does. c = 0 → Errc::kInvalidArgument (the contract panics 0x12).
Result<U256> mul_div(const U256& a, const U256& b, const U256& c);

// ---- Prices and stakes ---------------------------------------------------------------------------

//! Price of one task: app.price + dataset.price + workerpool.price (what the sponsor pays per task;
//! the deal's prices are the ORDERS' prices, not the request's max prices).
Result<U256> task_price(const U256& app_price, const U256& dataset_price, const U256& workerpool_price);
Result<U256> task_price(const Deal& deal);
//! Locked from the sponsor at match: task_price · volume (§5.5 lock 1).
Result<U256> sponsor_lock(const U256& task_price, const U256& volume);
//! The scheduler's stake per task: workerpool.price · 30 / 100 (floor), unlocked on success and
//! seized into the kitty on failure.
Result<U256> scheduler_stake(const U256& workerpool_price);
//! Locked from the workerpool owner at match: (price·30/100)·volume, the floor applied per task
//! BEFORE multiplying (§5.5 lock 2; e.g. price 5, volume 10 → 1·10 = 10, not 15).
Result<U256> scheduler_lock(const U256& workerpool_price, const U256& volume);
//! deal.workerStake = workerpool.price · workerStakeRatioPolicy / 100 (§5.4), locked from each
//! contributing worker.
Result<U256> worker_stake(const U256& workerpool_price, const U256& worker_stake_ratio_policy);
//! The kitty payout of a successful task: 0 when kitty = 0, else
//! min(max(kitty·10/100, 10^9), kitty) (§6.6 successWork step 5).
Result<U256> kitty_payout(const U256& kitty);

// ---- Scores (§6.6) -----------------------------------------------------------------------------

//! A winner's score when the task had more than one contributor ("SCORE POLICY 2/3"): score + 1.
Result<U256> score_after_success(const U256& score);
//! A loser's score ("SCORE POLICY 3/3"): mulDiv(score, 2, 3), i.e. floor(2·score/3).
U256 score_after_failure(const U256& score);

// ---- Escrow movements ----------------------------------------------------------------------------

//! The four escrow primitives (§7.5): lock(a, v): free → frozen; unlock(a, v): frozen → free;
//! reward(a, v, ref): the hub's balance → a's free balance; seize(a, v, ref): frozen[a] −= v only.
enum class EscrowOp : std::uint8_t { kLock, kUnlock, kReward, kSeize };
//! "lock", "unlock", "reward", "seize".
std::string_view to_string(EscrowOp op) noexcept;

//! One primitive call, in emission order. ref is the taskid for reward and seize (the event's
//! ref), zero for lock and unlock (their events carry none).
struct BalanceMovement {
    EscrowOp op{EscrowOp::kLock};
    Address account;
    U256 amount;
    Bytes32 ref;

    friend bool operator==(const BalanceMovement&, const BalanceMovement&) = default;
};

//! The two locks of matchOrders, in order: lock(sponsor, task_price·volume), then
//! lock(workerpool.owner, scheduler_stake·volume). Balance checks are the ledger's job.
Result<std::vector<BalanceMovement>> match_locks(const Deal& deal, const U256& volume);

//! `successWork` (§6.6), given the kitty (frozen[KITTY_ADDRESS]) before the call:
//!  seize(sponsor, P); reward(app.owner, app.price) if app.price > 0;
//!  reward(dataset.owner, dataset.price) if dataset.price > 0 and dataset.pointer ≠ 0;
//!  unlock(workerpool.owner, price·30/100); if kitty > 0: seize(KITTY, x), reward(workerpool.owner, x)
//!  with x = kitty_payout(kitty).
Result<std::vector<BalanceMovement>> success_work(const Deal& deal, const Bytes32& task_id, const U256& kitty);

//! `failedWork` (§6.8): unlock(sponsor, P); seize(workerpool.owner, price·30/100); then the kitty's
//! rewardAndLock, listed as reward(KITTY, stake) followed by lock(KITTY, stake) (the events
//! Reward, Lock; the net effect is frozen[KITTY] += stake).
Result<std::vector<BalanceMovement>> failed_work(const Deal& deal, const Bytes32& task_id);

//! One entry of task.contributors, with its contribution and the worker's score before finalize.
struct ContributorState {
    Address worker;
    ContributionStatus status{ContributionStatus::kContributed};
    U256 weight;  //!< Contribution.weight (floor(log2 w))
    U256 score;   //!< the worker's current score

    friend bool operator==(const ContributorState&, const ContributorState&) = default;
};

//! A score change of distributeRewards: `accurate` ⇒ AccurateContribution (score + 1), else
//! FaultyContribution (floor(2·score/3)).
struct ScoreUpdate {
    Address worker;
    U256 old_score;
    U256 new_score;
    bool accurate{false};

    friend bool operator==(const ScoreUpdate&, const ScoreUpdate&) = default;
};

struct RewardDistribution {
    std::vector<BalanceMovement> movements;  //!< in emission order
    std::vector<ScoreUpdate> scores;         //!< in contributor order
    U256 total_reward;                       //!< workerpool.price + workerStake·#(non-PROVED contributors)
    U256 total_log_weight;                   //!< Σ weight of the PROVED contributors
    U256 workers_reward;                     //!< total_reward·(100 − schedulerRewardRatio)/100
    U256 scheduler_reward;                   //!< what is left for the workerpool owner (rounding dust included)
};

//! `distributeRewards` (§6.6), contributors in push order:
//!  total = workerpool.price + workerStake·#(status ≠ PROVED); logW = Σ weight(PROVED);
//!  workers = total·(100 − ratio)/100;
//!  PROVED: r = mulDiv(workers, weight, logW); total −= r; unlock(worker, workerStake);
//!          reward(worker, r); if contributors > 1: score + 1 (AccurateContribution);
//!  others (CONTRIBUTED = did not reveal, REJECTED): seize(worker, workerStake);
//!          score = floor(2·score/3) (FaultyContribution);
//!  finally reward(workerpool.owner, total).
//! Errors: schedulerRewardRatio > 100 (the subtraction underflows on chain) or any overflow →
//! Errc::kOverflow; a PROVED contributor while logW = 0 → Errc::kInvalidArgument (mulDiv by 0).
Result<RewardDistribution> distribute_rewards(const Deal& deal, const Bytes32& task_id,
                                              std::span<const ContributorState> contributors);

//! `distributeRewardsFast` (contributeAndFinalize, §6.7): reward(worker, price·(100 − ratio)/100),
//! then reward(workerpool.owner, price − that). No stake, no score change.
Result<RewardDistribution> distribute_rewards_fast(const Deal& deal, const Bytes32& task_id, const Address& worker);

//! Every movement of `finalize` (§6.6): success_work then distribute_rewards.
Result<RewardDistribution> finalize_rewards(const Deal& deal, const Bytes32& task_id, const U256& kitty,
                                            std::span<const ContributorState> contributors);
//! Every movement of `contributeAndFinalize` (§6.7): success_work then distribute_rewards_fast.
Result<RewardDistribution> contribute_and_finalize_rewards(const Deal& deal, const Bytes32& task_id, const U256& kitty,
                                                           const Address& worker);
//! Every movement of `claim` (§6.8): failed_work, then unlock(worker, workerStake) for EVERY
//! contributor (whatever its status; no seizure, no score change).
Result<std::vector<BalanceMovement>> claim_movements(const Deal& deal, const Bytes32& task_id,
                                                     std::span<const Address> contributors);

}  // namespace wp
