#include "economics.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace wp {
namespace {

Address addr(std::string_view s) { return *Address::parse(s); }

const Address kSponsor = addr("0x1000000000000000000000000000000000000001");
const Address kAppOwner = addr("0x2000000000000000000000000000000000000002");
const Address kDatasetOwner = addr("0x3000000000000000000000000000000000000003");
const Address kScheduler = addr("0x4000000000000000000000000000000000000004");
const Address kW1 = addr("0x5000000000000000000000000000000000000005");
const Address kW2 = addr("0x6000000000000000000000000000000000000006");
const Address kW3 = addr("0x7000000000000000000000000000000000000007");
const Address kW4 = addr("0x8000000000000000000000000000000000000008");

constexpr std::uint64_t kRlc = 1'000'000'000;

Bytes32 task_ref() {
    Bytes32 t{};
    t[31] = 0x77;
    return t;
}

// The deal of the §6.6 worked cases: workerpool.price = 10 RLC, workerStake = 3 RLC (policy 30),
// schedulerRewardRatio = 1; app 5 RLC so that the task price is 15 RLC as in the §6.8 claim case.
Deal worked_deal() {
    Deal d;
    d.app = {addr("0x00000000000000000000000000000000000000a1"), kAppOwner, U256(5 * kRlc)};
    d.workerpool = {addr("0x00000000000000000000000000000000000000c1"), kScheduler, U256(10 * kRlc)};
    d.trust = 3;
    d.worker_stake = 3 * kRlc;
    d.scheduler_reward_ratio = 1;
    d.sponsor = kSponsor;
    return d;
}

BalanceMovement mv(EscrowOp op, const Address& a, std::uint64_t v, bool ref = true) {
    return {op, a, U256(v), ref ? task_ref() : Bytes32{}};
}

TEST(PocoEconomics, PricesAndStakes) {
    // §5.4/§5.5: task price = app + dataset + workerpool prices.
    EXPECT_EQ(*task_price(3, 2, 10), U256(15));
    EXPECT_EQ(*task_price(0, 0, 0), U256(0));
    EXPECT_EQ(*sponsor_lock(15, 4), U256(60));
    // Scheduler stake price·30/100: 10 RLC → 3 RLC; 7 → 210/100 = 2; 3 → 90/100 = 0.
    EXPECT_EQ(*scheduler_stake(10 * kRlc), U256(3 * kRlc));
    EXPECT_EQ(*scheduler_stake(7), U256(2));
    EXPECT_EQ(*scheduler_stake(3), U256(0));
    // The floor is per task, then × volume: price 5, volume 10 → (150/100 = 1)·10 = 10, not 15.
    EXPECT_EQ(*scheduler_lock(5, 10), U256(10));
    EXPECT_EQ(*scheduler_lock(10 * kRlc, 2), U256(6 * kRlc));
    // workerStake = price·policy/100: default 30 → 3 RLC of 10; the policy is unbounded (§8.5).
    EXPECT_EQ(*worker_stake(10 * kRlc, 30), U256(3 * kRlc));
    EXPECT_EQ(*worker_stake(10 * kRlc, 150), U256(15 * kRlc));
    EXPECT_EQ(*worker_stake(1, 30), U256(0));
    EXPECT_EQ(*worker_stake(0, 30), U256(0));
}

TEST(PocoEconomics, Overflow) {
    EXPECT_EQ(task_price(U256::max(), 1, 0).error().code, Errc::kOverflow);
    EXPECT_EQ(task_price(1, 0, U256::max()).error().code, Errc::kOverflow);
    EXPECT_EQ(sponsor_lock(U256::max(), 2).error().code, Errc::kOverflow);
    EXPECT_EQ(scheduler_stake(U256::max()).error().code, Errc::kOverflow);
    EXPECT_EQ(worker_stake(U256::max(), 2).error().code, Errc::kOverflow);
    EXPECT_TRUE(sponsor_lock(U256::max(), 1));
    EXPECT_EQ(score_after_success(U256::max()).error().code, Errc::kOverflow);
}

TEST(PocoEconomics, MulDiv) {
    EXPECT_EQ(*mul_div(10, 1, 3), U256(3));
    // 512-bit intermediate: max·max/max = max.
    EXPECT_EQ(*mul_div(U256::max(), U256::max(), U256::max()), U256::max());
    EXPECT_EQ(mul_div(U256::max(), 2, 1).error().code, Errc::kOverflow);
    EXPECT_EQ(mul_div(1, 1, 0).error().code, Errc::kInvalidArgument);
}

TEST(PocoEconomics, KittyPayout) {
    // §6.6: x = min(max(K·10/100, 1e9), K). Anvil-verified: K = 3e9 → 1e9.
    EXPECT_EQ(*kitty_payout(3 * kRlc), U256(kRlc));
    EXPECT_EQ(*kitty_payout(20 * kRlc), U256(2 * kRlc));  // 10 % above the minimum
    EXPECT_EQ(*kitty_payout(kRlc / 2), U256(kRlc / 2));   // capped by the kitty
    EXPECT_EQ(*kitty_payout(15), U256(15));
    EXPECT_EQ(*kitty_payout(10 * kRlc), U256(kRlc));           // exactly the minimum
    EXPECT_EQ(*kitty_payout(10 * kRlc + 19), U256(kRlc + 1));  // floor(10·(1e10+19)/100)
    EXPECT_EQ(*kitty_payout(0), U256(0));
}

TEST(PocoEconomics, Scores) {
    // §6.6: winners +1 (only with > 1 contributor), losers floor(2·score/3).
    EXPECT_EQ(*score_after_success(0), U256(1));
    EXPECT_EQ(score_after_failure(0), U256(0));
    EXPECT_EQ(score_after_failure(1), U256(0));
    EXPECT_EQ(score_after_failure(2), U256(1));
    EXPECT_EQ(score_after_failure(10), U256(6));
    EXPECT_EQ(score_after_failure(30), U256(20));
    // mulDiv does not overflow: floor(2·(2^256 − 1)/3).
    EXPECT_EQ(score_after_failure(U256::max()).to_dec(),
              "77194726158210796949047323339125271902179989777093709359638389338608753093290");
}

TEST(PocoEconomics, MatchLocks) {
    Deal d = worked_deal();
    auto locks = match_locks(d, 2);
    ASSERT_TRUE(locks);
    // lock(sponsor, 15 RLC·2), then lock(scheduler, 3 RLC·2).
    EXPECT_EQ(*locks, (std::vector<BalanceMovement>{mv(EscrowOp::kLock, kSponsor, 30 * kRlc, false),
                                                    mv(EscrowOp::kLock, kScheduler, 6 * kRlc, false)}));
}

TEST(PocoEconomics, SuccessWorkWithKitty) {
    Deal d = worked_deal();
    auto m = success_work(d, task_ref(), 3 * kRlc);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, (std::vector<BalanceMovement>{
                      mv(EscrowOp::kSeize, kSponsor, 15 * kRlc),
                      mv(EscrowOp::kReward, kAppOwner, 5 * kRlc),
                      mv(EscrowOp::kUnlock, kScheduler, 3 * kRlc, false),
                      mv(EscrowOp::kSeize, kitty_address(), kRlc),
                      mv(EscrowOp::kReward, kScheduler, kRlc),
                  }));
}

TEST(PocoEconomics, SuccessWorkDatasetAndZeroPrices) {
    Deal d = worked_deal();
    d.app.price = 0;  // no app reward when free
    d.dataset = {addr("0x00000000000000000000000000000000000000b1"), kDatasetOwner, U256(2)};
    auto m = success_work(d, task_ref(), 0);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, (std::vector<BalanceMovement>{
                      mv(EscrowOp::kSeize, kSponsor, 10 * kRlc + 2),
                      mv(EscrowOp::kReward, kDatasetOwner, 2),
                      mv(EscrowOp::kUnlock, kScheduler, 3 * kRlc, false),
                  }));
    // The dataset reward also requires a dataset pointer.
    d.dataset.pointer = Address{};
    m = success_work(d, task_ref(), 0);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->size(), 2u);
    // Everything free: seize 0 and unlock 0 still happen.
    Deal free;
    free.sponsor = kSponsor;
    free.workerpool.owner = kScheduler;
    m = success_work(free, task_ref(), 0);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, (std::vector<BalanceMovement>{mv(EscrowOp::kSeize, kSponsor, 0),
                                                mv(EscrowOp::kUnlock, kScheduler, 0, false)}));
}

ContributorState proved(const Address& w, std::uint64_t weight = 1, std::uint64_t score = 0) {
    return {w, ContributionStatus::kProved, U256(weight), U256(score)};
}
ContributorState contributed(const Address& w, std::uint64_t score = 0) {
    return {w, ContributionStatus::kContributed, U256(1), U256(score)};
}
ContributorState rejected(const Address& w, std::uint64_t score = 0) {
    return {w, ContributionStatus::kRejected, U256(1), U256(score)};
}

TEST(PocoEconomics, DistributeTwoWinners) {
    // §6.6 worked case (anvil): 2 winners → total 10e9, workers 10e9·99/100 = 9.9e9, each 4.95e9,
    // scheduler 10e9 − 9.9e9 = 0.1e9. Both scores +1 (2 contributors).
    const std::vector<ContributorState> c{proved(kW1), proved(kW2)};
    auto r = distribute_rewards(worked_deal(), task_ref(), c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->total_reward, U256(10 * kRlc));
    EXPECT_EQ(r->total_log_weight, U256(2));
    EXPECT_EQ(r->workers_reward, U256(9'900'000'000));
    EXPECT_EQ(r->scheduler_reward, U256(100'000'000));
    EXPECT_EQ(r->movements, (std::vector<BalanceMovement>{
                                mv(EscrowOp::kUnlock, kW1, 3 * kRlc, false),
                                mv(EscrowOp::kReward, kW1, 4'950'000'000),
                                mv(EscrowOp::kUnlock, kW2, 3 * kRlc, false),
                                mv(EscrowOp::kReward, kW2, 4'950'000'000),
                                mv(EscrowOp::kReward, kScheduler, 100'000'000),
                            }));
    EXPECT_EQ(r->scores, (std::vector<ScoreUpdate>{{kW1, 0, 1, true}, {kW2, 0, 1, true}}));
}

TEST(PocoEconomics, DistributeThreeWinnersOneLoser) {
    // §6.6: total 10e9 + 3e9 (the loser's stake) = 13e9; workers 12.87e9; each 12.87e9/3 = 4.29e9;
    // scheduler 13e9 − 3·4.29e9 = 0.13e9. The loser (score 10) → floor(20/3) = 6.
    const std::vector<ContributorState> c{proved(kW1), contributed(kW4, 10), proved(kW2), proved(kW3)};
    auto r = distribute_rewards(worked_deal(), task_ref(), c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->total_reward, U256(13 * kRlc));
    EXPECT_EQ(r->scheduler_reward, U256(130'000'000));
    EXPECT_EQ(r->movements, (std::vector<BalanceMovement>{
                                mv(EscrowOp::kUnlock, kW1, 3 * kRlc, false),
                                mv(EscrowOp::kReward, kW1, 4'290'000'000),
                                mv(EscrowOp::kSeize, kW4, 3 * kRlc),
                                mv(EscrowOp::kUnlock, kW2, 3 * kRlc, false),
                                mv(EscrowOp::kReward, kW2, 4'290'000'000),
                                mv(EscrowOp::kUnlock, kW3, 3 * kRlc, false),
                                mv(EscrowOp::kReward, kW3, 4'290'000'000),
                                mv(EscrowOp::kReward, kScheduler, 130'000'000),
                            }));
    EXPECT_EQ(r->scores,
              (std::vector<ScoreUpdate>{{kW1, 0, 1, true}, {kW4, 10, 6, false}, {kW2, 0, 1, true}, {kW3, 0, 1, true}}));
}

TEST(PocoEconomics, DistributeOneRevealerAfterReopen) {
    // §6.6: 1 revealer, 2 rejected, 1 non-revealer → total 10e9 + 3·3e9 = 19e9; workers 18.81e9, all
    // to the revealer; scheduler 0.19e9.
    const std::vector<ContributorState> c{rejected(kW1), rejected(kW2), proved(kW3), contributed(kW4)};
    auto r = distribute_rewards(worked_deal(), task_ref(), c);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->total_reward, U256(19 * kRlc));
    EXPECT_EQ(r->movements[3], mv(EscrowOp::kReward, kW3, 18'810'000'000));
    EXPECT_EQ(r->movements.back(), mv(EscrowOp::kReward, kScheduler, 190'000'000));
    EXPECT_EQ(r->scores.size(), 4u);
}

TEST(PocoEconomics, DistributeRoundingAndWeights) {
    Deal d = worked_deal();
    d.workerpool.price = 100;
    d.worker_stake = 0;
    d.scheduler_reward_ratio = 0;
    // Ratio 0, three equal weights: workers 100, each floor(100/3) = 33, scheduler the dust 1.
    auto r = distribute_rewards(d, task_ref(), std::vector<ContributorState>{proved(kW1), proved(kW2), proved(kW3)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->movements[1].amount, U256(33));
    EXPECT_EQ(r->scheduler_reward, U256(1));
    // Price 7, ratio 1: workers = 700·… = floor(7·99/100) = 6; weights 2 and 1 (log weights of
    // scores 15 and 0): 6·2/3 = 4 and 6·1/3 = 2; scheduler 7 − 6 = 1.
    d.workerpool.price = 7;
    d.scheduler_reward_ratio = 1;
    r = distribute_rewards(d, task_ref(), std::vector<ContributorState>{proved(kW1, 2, 15), proved(kW2, 1)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->workers_reward, U256(6));
    EXPECT_EQ(r->movements[1].amount, U256(4));
    EXPECT_EQ(r->movements[3].amount, U256(2));
    EXPECT_EQ(r->scheduler_reward, U256(1));
    EXPECT_EQ(r->scores[0], (ScoreUpdate{kW1, 15, 16, true}));
    // Ratio 100: the scheduler takes everything.
    d.scheduler_reward_ratio = 100;
    r = distribute_rewards(d, task_ref(), std::vector<ContributorState>{proved(kW1)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->movements[1].amount, U256(0));
    EXPECT_EQ(r->scheduler_reward, U256(7));
}

TEST(PocoEconomics, DistributeSingleContributorKeepsScore) {
    // "Only reward if replication happened": one contributor → no score change.
    auto r = distribute_rewards(worked_deal(), task_ref(), std::vector<ContributorState>{proved(kW1, 1, 5)});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->scores.empty());
    EXPECT_EQ(r->movements[1].amount, U256(9'900'000'000));
    EXPECT_EQ(r->scheduler_reward, U256(100'000'000));
}

TEST(PocoEconomics, DistributeErrors) {
    Deal d = worked_deal();
    d.scheduler_reward_ratio = 101;
    EXPECT_EQ(distribute_rewards(d, task_ref(), std::vector<ContributorState>{proved(kW1)}).error().code,
              Errc::kOverflow);
    // A PROVED contributor with weight 0 and nobody else: mulDiv by 0 (the contract panics).
    EXPECT_EQ(distribute_rewards(worked_deal(), task_ref(), std::vector<ContributorState>{proved(kW1, 0)}).error().code,
              Errc::kInvalidArgument);
    // No contributors at all: the scheduler gets the price.
    auto r = distribute_rewards(worked_deal(), task_ref(), std::vector<ContributorState>{});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->movements, (std::vector<BalanceMovement>{mv(EscrowOp::kReward, kScheduler, 10 * kRlc)}));
}

TEST(PocoEconomics, ContributeAndFinalizeFastPath) {
    // §6.7 (anvil): the worker gets 10e9·99/100 = 9.9e9, the scheduler 0.1e9; no stake, no score.
    auto r = contribute_and_finalize_rewards(worked_deal(), task_ref(), 0, kW1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->movements, (std::vector<BalanceMovement>{
                                mv(EscrowOp::kSeize, kSponsor, 15 * kRlc),
                                mv(EscrowOp::kReward, kAppOwner, 5 * kRlc),
                                mv(EscrowOp::kUnlock, kScheduler, 3 * kRlc, false),
                                mv(EscrowOp::kReward, kW1, 9'900'000'000),
                                mv(EscrowOp::kReward, kScheduler, 100'000'000),
                            }));
    EXPECT_TRUE(r->scores.empty());
}

TEST(PocoEconomics, FinalizeConcatenatesSuccessWorkAndRewards) {
    auto r =
        finalize_rewards(worked_deal(), task_ref(), 3 * kRlc, std::vector<ContributorState>{proved(kW1), proved(kW2)});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->movements.size(), 5u + 5u);
    EXPECT_EQ(r->movements[3], mv(EscrowOp::kSeize, kitty_address(), kRlc));
    EXPECT_EQ(r->movements.back(), mv(EscrowOp::kReward, kScheduler, 100'000'000));
}

TEST(PocoEconomics, ClaimRefundsAndFeedsTheKitty) {
    // §6.8 (anvil): requester +15e9 (frozen → free); scheduler frozen −3e9; kitty 3e9; every
    // contributor's stake unlocked whatever its status.
    const std::vector<Address> contributors{kW1, kW2};
    auto m = claim_movements(worked_deal(), task_ref(), contributors);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, (std::vector<BalanceMovement>{
                      mv(EscrowOp::kUnlock, kSponsor, 15 * kRlc, false),
                      mv(EscrowOp::kSeize, kScheduler, 3 * kRlc),
                      mv(EscrowOp::kReward, kitty_address(), 3 * kRlc),
                      mv(EscrowOp::kLock, kitty_address(), 3 * kRlc, false),
                      mv(EscrowOp::kUnlock, kW1, 3 * kRlc, false),
                      mv(EscrowOp::kUnlock, kW2, 3 * kRlc, false),
                  }));
    EXPECT_EQ(to_string(EscrowOp::kSeize), "seize");
}

}  // namespace
}  // namespace wp
