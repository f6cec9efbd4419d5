#include "economics.hpp"

#include <algorithm>
#include <string>

#include <boost/multiprecision/cpp_int.hpp>

namespace wp {

namespace {

Error overflow(const std::string& what) { return Error{Errc::kOverflow, what + ": uint256 overflow"}; }

Result<U256> mul(const U256& a, const U256& b, const char* what) {
    auto r = checked_mul(a, b);
    if (!r) return make_error(overflow(what));
    return *r;
}

Result<U256> add(const U256& a, const U256& b, const char* what) {
    auto r = checked_add(a, b);
    if (!r) return make_error(overflow(what));
    return *r;
}

U256 div100(const U256& a) { return U256(U256::Native(a.native() / 100)); }

BalanceMovement lock(const Address& a, const U256& v) { return {EscrowOp::kLock, a, v, Bytes32{}}; }
BalanceMovement unlock(const Address& a, const U256& v) { return {EscrowOp::kUnlock, a, v, Bytes32{}}; }
BalanceMovement reward(const Address& a, const U256& v, const Bytes32& ref) { return {EscrowOp::kReward, a, v, ref}; }
BalanceMovement seize(const Address& a, const U256& v, const Bytes32& ref) { return {EscrowOp::kSeize, a, v, ref}; }

// (100 − ratio), failing like the contract's checked subtraction when ratio > 100.
Result<U256> workers_share(const U256& ratio) {
    if (ratio > U256(100))
        return make_error(Errc::kOverflow, "schedulerRewardRatio " + ratio.to_dec() + " > 100: 100 − ratio underflows");
    return U256(U256::Native(100 - ratio.low_u64()));
}

}  // namespace

Result<U256> mul_div(const U256& a, const U256& b, const U256& c) {
    if (c.is_zero()) return make_error(Errc::kInvalidArgument, "mulDiv: division by zero");
    using boost::multiprecision::uint512_t;
    const uint512_t q = uint512_t(a.native()) * uint512_t(b.native()) / uint512_t(c.native());
    if (boost::multiprecision::msb(q | 1) >= 256) return make_error(Errc::kOverflow, "mulDiv: result exceeds uint256");
    return U256(U256::Native(q));
}

Result<U256> task_price(const U256& app_price, const U256& dataset_price, const U256& workerpool_price) {
    WP_TRY(U256 s, add(app_price, dataset_price, "task price app + dataset"));
    return add(s, workerpool_price, "task price + workerpool");
}

Result<U256> task_price(const Deal& deal) {
    return task_price(deal.app.price, deal.dataset.price, deal.workerpool.price);
}

Result<U256> sponsor_lock(const U256& price, const U256& volume) {
    return mul(price, volume, "sponsor lock price·volume");
}

Result<U256> scheduler_stake(const U256& workerpool_price) {
    WP_TRY(U256 p, mul(workerpool_price, U256(kWorkerpoolStakeRatio), "scheduler stake price·30"));
    return div100(p);
}

Result<U256> scheduler_lock(const U256& workerpool_price, const U256& volume) {
    WP_TRY(U256 per_task, scheduler_stake(workerpool_price));
    return mul(per_task, volume, "scheduler lock stake·volume");
}

Result<U256> worker_stake(const U256& workerpool_price, const U256& policy) {
    WP_TRY(U256 p, mul(workerpool_price, policy, "worker stake price·policy"));
    return div100(p);
}

Result<U256> kitty_payout(const U256& kitty) {
    if (kitty.is_zero()) return U256(0);
    WP_TRY(U256 p, mul(kitty, U256(kKittyRatio), "kitty·10"));
    return std::min(std::max(div100(p), U256(kKittyMin)), kitty);
}

Result<U256> score_after_success(const U256& score) { return add(score, U256(1), "score + 1"); }

U256 score_after_failure(const U256& score) {
    // floor(2·score/3) computed without overflow, as Math.mulDiv(score, 2, 3).
    using boost::multiprecision::uint512_t;
    return U256(U256::Native(uint512_t(score.native()) * 2 / 3));
}

std::string_view to_string(EscrowOp op) noexcept {
    switch (op) {
        case EscrowOp::kLock: return "lock";
        case EscrowOp::kUnlock: return "unlock";
        case EscrowOp::kReward: return "reward";
        case EscrowOp::kSeize: return "seize";
    }
    return "unknown";
}

Result<std::vector<BalanceMovement>> match_locks(const Deal& deal, const U256& volume) {
    WP_TRY(U256 price, task_price(deal));
    WP_TRY(U256 sponsor_amount, sponsor_lock(price, volume));
    WP_TRY(U256 pool_amount, scheduler_lock(deal.workerpool.price, volume));
    return std::vector<BalanceMovement>{lock(deal.sponsor, sponsor_amount), lock(deal.workerpool.owner, pool_amount)};
}

Result<std::vector<BalanceMovement>> success_work(const Deal& deal, const Bytes32& task_id, const U256& kitty) {
    WP_TRY(U256 price, task_price(deal));
    WP_TRY(U256 pool_stake, scheduler_stake(deal.workerpool.price));
    std::vector<BalanceMovement> out;
    out.push_back(seize(deal.sponsor, price, task_id));
    if (!deal.app.price.is_zero()) out.push_back(reward(deal.app.owner, deal.app.price, task_id));
    if (!deal.dataset.price.is_zero() && !deal.dataset.pointer.is_zero())
        out.push_back(reward(deal.dataset.owner, deal.dataset.price, task_id));
    out.push_back(unlock(deal.workerpool.owner, pool_stake));
    if (!kitty.is_zero()) {
        WP_TRY(U256 x, kitty_payout(kitty));
        out.push_back(seize(kitty_address(), x, task_id));
        out.push_back(reward(deal.workerpool.owner, x, task_id));
    }
    return out;
}

Result<std::vector<BalanceMovement>> failed_work(const Deal& deal, const Bytes32& task_id) {
    WP_TRY(U256 price, task_price(deal));
    WP_TRY(U256 pool_stake, scheduler_stake(deal.workerpool.price));
    return std::vector<BalanceMovement>{
        unlock(deal.sponsor, price),
        seize(deal.workerpool.owner, pool_stake, task_id),
        reward(kitty_address(), pool_stake, task_id),
        lock(kitty_address(), pool_stake),
    };
}

Result<RewardDistribution> distribute_rewards(const Deal& deal, const Bytes32& task_id,
                                              std::span<const ContributorState> contributors) {
    RewardDistribution out;
    U256 total = deal.workerpool.price;
    U256 log_weight(0);
    for (const auto& c : contributors) {
        if (c.status == ContributionStatus::kProved) {
            WP_TRY(log_weight, add(log_weight, c.weight, "totalLogWeight"));
        } else {
            WP_TRY(total, add(total, deal.worker_stake, "totalReward + workerStake"));
        }
    }
    out.total_reward = total;
    out.total_log_weight = log_weight;
    WP_TRY(U256 share, workers_share(deal.scheduler_reward_ratio));
    WP_TRY(U256 workers_product, mul(total, share, "totalReward·(100 − ratio)"));
    out.workers_reward = div100(workers_product);

    for (const auto& c : contributors) {
        if (c.status == ContributionStatus::kProved) {
            auto r = mul_div(out.workers_reward, c.weight, log_weight);
            if (!r) return make_error(r.error().with_context("distributeRewards: worker reward"));
            auto rest = checked_sub(total, *r);
            if (!rest) return make_error(Errc::kOverflow, "distributeRewards: totalReward − workerReward underflows");
            total = *rest;
            out.movements.push_back(unlock(c.worker, deal.worker_stake));
            out.movements.push_back(reward(c.worker, *r, task_id));
            if (contributors.size() > 1) {
                WP_TRY(U256 s, score_after_success(c.score));
                out.scores.push_back({c.worker, c.score, s, true});
            }
        } else {
            out.movements.push_back(seize(c.worker, deal.worker_stake, task_id));
            out.scores.push_back({c.worker, c.score, score_after_failure(c.score), false});
        }
    }
    out.scheduler_reward = total;
    out.movements.push_back(reward(deal.workerpool.owner, total, task_id));
    return out;
}

Result<RewardDistribution> distribute_rewards_fast(const Deal& deal, const Bytes32& task_id, const Address& worker) {
    RewardDistribution out;
    WP_TRY(U256 share, workers_share(deal.scheduler_reward_ratio));
    WP_TRY(U256 product, mul(deal.workerpool.price, share, "workerpool.price·(100 − ratio)"));
    const U256 worker_reward = div100(product);
    const U256 scheduler_reward(U256::Native(deal.workerpool.price.native() - worker_reward.native()));
    out.total_reward = deal.workerpool.price;
    out.workers_reward = worker_reward;
    out.scheduler_reward = scheduler_reward;
    out.movements.push_back(reward(worker, worker_reward, task_id));
    out.movements.push_back(reward(deal.workerpool.owner, scheduler_reward, task_id));
    return out;
}

Result<RewardDistribution> finalize_rewards(const Deal& deal, const Bytes32& task_id, const U256& kitty,
                                            std::span<const ContributorState> contributors) {
    WP_TRY(auto success, success_work(deal, task_id, kitty));
    WP_TRY(auto rewards, distribute_rewards(deal, task_id, contributors));
    success.insert(success.end(), rewards.movements.begin(), rewards.movements.end());
    rewards.movements = std::move(success);
    return rewards;
}

Result<RewardDistribution> contribute_and_finalize_rewards(const Deal& deal, const Bytes32& task_id, const U256& kitty,
                                                           const Address& worker) {
    WP_TRY(auto success, success_work(deal, task_id, kitty));
    WP_TRY(auto rewards, distribute_rewards_fast(deal, task_id, worker));
    success.insert(success.end(), rewards.movements.begin(), rewards.movements.end());
    rewards.movements = std::move(success);
    return rewards;
}

Result<std::vector<BalanceMovement>> claim_movements(const Deal& deal, const Bytes32& task_id,
                                                     std::span<const Address> contributors) {
    WP_TRY(auto out, failed_work(deal, task_id));
    for (const auto& worker : contributors) out.push_back(unlock(worker, deal.worker_stake));
    return out;
}

}  // namespace wp
