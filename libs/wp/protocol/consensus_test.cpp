#include "consensus.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace wp {
namespace {

Bytes32 hash_of(std::uint8_t b) {
    Bytes32 h{};
    h[0] = b;
    return h;
}

TEST(PocoConsensus, WorkerWeightTable) {
    // §6.3 "Score → weight": w = max(score/3, 3) − 1; weight = floor(log2 w).
    // 0–11 → w 2 (score/3 ≤ 3), 12–14 → 3, 15–26 → 4..7, 27–29 → 8.
    for (std::uint64_t s = 0; s <= 11; ++s) EXPECT_EQ(worker_weight(s), U256(2)) << s;
    EXPECT_EQ(worker_weight(12), U256(3));
    EXPECT_EQ(worker_weight(14), U256(3));
    EXPECT_EQ(worker_weight(15), U256(4));
    EXPECT_EQ(worker_weight(26), U256(7));
    EXPECT_EQ(worker_weight(27), U256(8));
    EXPECT_EQ(worker_weight(29), U256(8));
    EXPECT_EQ(worker_weight(30), U256(9));
    EXPECT_EQ(contribution_log_weight(0), U256(1));
    EXPECT_EQ(contribution_log_weight(14), U256(1));  // log2 3 = 1
    EXPECT_EQ(contribution_log_weight(15), U256(2));  // log2 4
    EXPECT_EQ(contribution_log_weight(26), U256(2));  // log2 7
    EXPECT_EQ(contribution_log_weight(27), U256(3));  // log2 8
    EXPECT_EQ(contribution_log_weight(50), U256(3));  // 50/3 − 1 = 15
    EXPECT_EQ(contribution_log_weight(51), U256(4));  // 51/3 − 1 = 16
    // Huge scores do not overflow: w = (2^256−1)/3 − 1 = 0x5555…5554, just under 2^255 → log2 = 254.
    EXPECT_EQ(contribution_log_weight(U256::max()), U256(254));
    EXPECT_EQ(log2_floor(0), 0u);
    EXPECT_EQ(log2_floor(1), 0u);
    EXPECT_EQ(log2_floor(U256::max()), 255u);
}

TEST(PocoConsensus, GroupIsProductAndTotalOnePlusSum) {
    // §6.3: group[h] = product of the weights of h's contributors, total = 1 + Σ groups.
    ConsensusState s;
    EXPECT_EQ(s.total, U256(1));
    EXPECT_EQ(*add_contribution(s, hash_of(1), 0), U256(1));   // w 2: g 0 → 2, total 3
    EXPECT_EQ(*add_contribution(s, hash_of(1), 15), U256(2));  // w 4: g 2 → 8, total 9
    EXPECT_EQ(*add_contribution(s, hash_of(2), 12), U256(1));  // w 3: g 0 → 3, total 12
    EXPECT_EQ(s.group_of(hash_of(1)), U256(8));
    EXPECT_EQ(s.group_of(hash_of(2)), U256(3));
    EXPECT_EQ(s.group_of(hash_of(3)), U256(0));
    EXPECT_EQ(s.total, U256(12));
}

// Contributes fresh workers (score 0) in sequence; returns the 1-based index at which the
// consensus condition first holds for the contributed hash, or 0.
std::size_t consensus_index(const std::vector<std::uint8_t>& sequence, std::uint64_t trust) {
    ConsensusState s;
    for (std::size_t i = 0; i < sequence.size(); ++i) {
        EXPECT_TRUE(add_contribution(s, hash_of(sequence[i]), 0));
        if (*has_consensus(s, hash_of(sequence[i]), trust)) return i + 1;
    }
    return 0;
}

TEST(PocoConsensus, AnvilVerifiedTrust3Sequences) {
    // §6.3, verified on anvil with trust 3: A, A → consensus on the 2nd (g 4·3 = 12 > 5·2 = 10;
    // after one: 2·3 = 6 > 3·2 = 6 fails); A, B, A, A → on the 4th (gA 8·3 = 24 > 11·2 = 22;
    // after the 3rd: 4·3 = 12 > 7·2 = 14 fails).
    EXPECT_EQ(consensus_index({1, 1}, 3), 2u);
    EXPECT_EQ(consensus_index({1, 2, 1, 1}, 3), 4u);
}

TEST(PocoConsensus, Trust1And5) {
    // Trust 1: group·1 > total·0 holds on the first contribution.
    EXPECT_EQ(consensus_index({1}, 1), 1u);
    // Trust 5: g 4 → 20 > 5·4 = 20 fails; g 8 → 40 > 9·4 = 36 holds: 3 contributions.
    EXPECT_EQ(consensus_index({1, 1, 1}, 5), 3u);
    // With one dissenting contribution first, trust 5 needs group > 4·(1 + 2) = 12: 16 (4 agreeing).
    EXPECT_EQ(consensus_index({2, 1, 1, 1, 1}, 5), 5u);
}

TEST(PocoConsensus, ConditionEdgeCases) {
    EXPECT_TRUE(*consensus_condition(2, 3, 2));   // 4 > 3
    EXPECT_FALSE(*consensus_condition(2, 3, 3));  // 6 > 6 fails (strict)
}

TEST(PocoConsensus, ConditionStrictAndErrors) {
    EXPECT_FALSE(*consensus_condition(0, 1, 1));                            // 0 > 0 is false
    EXPECT_EQ(consensus_condition(1, 1, 0).error().code, Errc::kOverflow);  // trust − 1 underflows
    EXPECT_EQ(consensus_condition(U256::max(), 1, 2).error().code, Errc::kOverflow);
    EXPECT_EQ(consensus_condition(1, U256::max(), 3).error().code, Errc::kOverflow);
}

TEST(PocoConsensus, Reopen) {
    // §6.5: total −= group[consensus]; group[consensus] = 0.
    ConsensusState s;
    ASSERT_TRUE(add_contribution(s, hash_of(1), 0));
    ASSERT_TRUE(add_contribution(s, hash_of(2), 0));
    ASSERT_TRUE(add_contribution(s, hash_of(2), 0));  // gB 4, total 1 + 2 + 4 = 7
    ASSERT_TRUE(reopen_consensus(s, hash_of(2)));
    EXPECT_EQ(s.total, U256(3));
    EXPECT_EQ(s.group_of(hash_of(2)), U256(0));
    // After a reopen the rejected group starts again from 0 (its old workers cannot contribute).
    ASSERT_TRUE(add_contribution(s, hash_of(2), 0));
    EXPECT_EQ(s.group_of(hash_of(2)), U256(2));
    EXPECT_EQ(s.total, U256(5));
}

TEST(PocoConsensus, FreshContributionsTable) {
    // §6.3 table: trust 0/1 → 1, 2 → 1, 3–4 → 2, 5–8 → 3, 9–16 → 4, 100 → 7.
    const std::pair<std::uint64_t, std::uint64_t> table[] = {{0, 1}, {1, 1}, {2, 1},  {3, 2},  {4, 2},  {5, 3},
                                                             {8, 3}, {9, 4}, {16, 4}, {17, 5}, {100, 7}};
    for (auto [trust, n] : table) {
        EXPECT_EQ(fresh_contributions_needed(trust), n) << "trust " << trust;
        EXPECT_EQ(*contributions_to_consensus(ConsensusState{}, trust, 0), n) << "trust " << trust;
    }
    // The closed form agrees with the on-chain simulation for every trust up to 300.
    for (std::uint64_t t = 1; t <= 300; ++t)
        EXPECT_EQ(fresh_contributions_needed(t), *contributions_to_consensus(ConsensusState{}, t, 0)) << t;
}

TEST(PocoConsensus, ContributionsToConsensusWithScoresAndDissent) {
    // Score 15 (w 4) and trust 5: one contribution g 4 → 4·5 = 20 > 5·4 = 20 fails; two: g 16,
    // total 17 → 80 > 68 holds.
    EXPECT_EQ(*contributions_to_consensus(ConsensusState{}, 5, 15), 2u);
    // One fresh contribution on A (g 2, total 3), candidate score 30 (w 9): g 18, total 19 →
    // 90 > 76: one more.
    ConsensusState s;
    ASSERT_TRUE(add_contribution(s, hash_of(1), 0));
    EXPECT_EQ(*contributions_to_consensus(s, 5, 30), 1u);
    // Trust 3, A and B contributed (gA 2, gB 2, total 5): +1 fresh on A → 4·3 = 12 > 7·2 = 14
    // fails; +2 → 8·3 = 24 > 11·2 = 22 holds.
    ASSERT_TRUE(add_contribution(s, hash_of(2), 0));
    EXPECT_EQ(*contributions_to_consensus(s, 3, 0, hash_of(1)), 2u);
    // Default target = the largest group (ties → the smallest hash, here A).
    EXPECT_EQ(*contributions_to_consensus(s, 3, 0), 2u);
    // Already reached → 0.
    ASSERT_TRUE(add_contribution(s, hash_of(1), 0));
    ASSERT_TRUE(add_contribution(s, hash_of(1), 0));
    EXPECT_EQ(*contributions_to_consensus(s, 3, 0, hash_of(1)), 0u);
}

TEST(PocoConsensus, ContributionsToConsensusOverflow) {
    // trust 2^255: 2^n > 2^255 − 1 needs n = 255 fresh contributions; total then exceeds 2^256.
    U256 big = 1;
    for (int i = 0; i < 255; ++i) big = *checked_add(big, big);
    EXPECT_EQ(contributions_to_consensus(ConsensusState{}, big, 0).error().code, Errc::kOverflow);
}

ReplicateView pending(std::uint64_t w = 2, bool recent = true) {
    return {ReplicateView::State::kPending, Bytes32{}, U256(w), recent};
}
ReplicateView contributed(std::uint8_t h, std::uint64_t w = 2) {
    return {ReplicateView::State::kContributed, hash_of(h), U256(w), true};
}
ReplicateView failed() { return {ReplicateView::State::kFailed, Bytes32{}, U256(2), true}; }

bool needs_more(const std::vector<ReplicateView>& r, std::uint64_t trust) {
    auto p = predict_replication(r, trust);
    EXPECT_TRUE(p);
    return p->needs_more;
}

TEST(PocoReplication, FreshWorkersMatchTheSchedulerTable) {
    // scheduler-worker.md §5.1: replicates with fresh workers (w 2) for trust 0/1 → 1, 2 → 1,
    // 3 → 2, 5 → 3, 10 → 4, 100 → 7. The k-th replicate is handed out while best·T ≤ (1 + all)·(T − 1)
    // with best = all = 2^(k−1) pending.
    const std::pair<std::uint64_t, std::size_t> table[] = {{0, 1}, {1, 1}, {2, 1}, {3, 2}, {5, 3}, {10, 4}, {100, 7}};
    for (auto [trust, n] : table) {
        std::vector<ReplicateView> replicates;
        while (needs_more(replicates, trust)) replicates.push_back(pending());
        EXPECT_EQ(replicates.size(), n) << "trust " << trust;
    }
}

TEST(PocoReplication, Trust1) {
    // No replicate: best 0 → 0·1 > 1·0 fails → one is needed; one pending w 2: 2 > 0 → enough.
    EXPECT_TRUE(needs_more({}, 1));
    EXPECT_FALSE(needs_more({pending()}, 1));
    // A failed replicate does not count, an over-period pending one neither.
    EXPECT_TRUE(needs_more({failed()}, 1));
    EXPECT_TRUE(needs_more({pending(2, false)}, 1));
    // Weight 0 is ignored.
    EXPECT_TRUE(needs_more({pending(0)}, 1));
}

TEST(PocoReplication, Trust3WithDissent) {
    // A (w 2) and B (w 2) contributed: best_contributed 2, others 2, best 2, all 4 →
    // 2·3 = 6 > 5·2 = 10 fails.
    auto p = predict_replication(std::vector<ReplicateView>{contributed(1), contributed(2)}, 3);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->best_contributed, U256(2));
    EXPECT_EQ(p->others, U256(2));
    EXPECT_EQ(p->pending, U256(0));
    EXPECT_EQ(p->best, U256(2));
    EXPECT_EQ(p->all, U256(4));
    EXPECT_TRUE(p->needs_more);
    // + one pending: best 4, all 6 → 12 > 14 fails; + two pending: best 8, all 10 → 24 > 22.
    EXPECT_TRUE(needs_more({contributed(1), contributed(2), pending()}, 3));
    EXPECT_FALSE(needs_more({contributed(1), contributed(2), pending(), pending()}, 3));
    // A contributed + one pending (trust 3): best 2·2 = 4, all 4 → 12 > 10.
    EXPECT_FALSE(needs_more({contributed(1), pending()}, 3));
}

TEST(PocoReplication, Trust5WithScores) {
    // Trust 5 fresh: 2 pending → best 4, 20 > 5·4 = 20 fails; 3 → 40 > 36.
    EXPECT_TRUE(needs_more({pending(), pending()}, 5));
    EXPECT_FALSE(needs_more({pending(), pending(), pending()}, 5));
    // One w-9 worker (score 30): 9·5 = 45 > 10·4 = 40 → one is enough.
    EXPECT_FALSE(needs_more({pending(9)}, 5));
    // Contributed groups multiply within a hash: A by w 2 and w 3 → 6; B by w 2.
    auto p = predict_replication(std::vector<ReplicateView>{contributed(1, 2), contributed(1, 3), contributed(2)}, 5);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->best_contributed, U256(6));
    EXPECT_EQ(p->others, U256(2));
    EXPECT_TRUE(p->needs_more);  // 6·5 = 30 > 9·4 = 36 fails
}

}  // namespace
}  // namespace wp
