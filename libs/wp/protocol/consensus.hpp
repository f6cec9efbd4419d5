#pragma once
// Consensus arithmetic of PoCo (protocol.md §6.3, §6.5; IexecPoco2Facet.contribute / checkConsensus
// / reopen) and the replication prediction of the reference scheduler (scheduler-worker.md §5.1;
// iexec-core ConsensusHelper / PredictionHelper / ContributionHelper). Pure integer functions.
//
// Vocabulary:
//  - score: the worker's on-chain score (`viewScore`), 0 for a new worker;
//  - w (the "worker weight"): max(score / 3, 3) − 1, so w ≥ 2 (2 for every score < 12);
//  - contribution weight (stored in Contribution.weight, used for reward shares): floor(log2(w));
//  - group[h]: the product of the w of h's contributors; total = 1 + Σ_h group[h].

#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

namespace wp {

//! w = max(score / 3, 3) − 1 ("SCORE POLICY 1/3", k = 3). Never overflows; always ≥ 2.
U256 worker_weight(const U256& score);

//! floor(log2(x)) as OpenZeppelin Math.log2 (0 for x = 0).
unsigned log2_floor(const U256& x) noexcept;

//! The Contribution.weight stored at contribute: log2_floor(worker_weight(score)): 1 for scores
//! 0–14, 2 for 15–26, 3 for 27–50, …
U256 contribution_log_weight(const U256& score);

//! Per-task consensus accumulator (the contract's `m_consensus[taskid]`). `initialize` sets
//! total = 1; an absent group is 0.
struct ConsensusState {
    std::map<Bytes32, U256> group;
    U256 total{1};

    //! group[h], 0 when absent.
    U256 group_of(const Bytes32& result_hash) const;

    friend bool operator==(const ConsensusState&, const ConsensusState&) = default;
};

//! Records one contribution exactly as `contribute` does: w = worker_weight(score),
//! g = group[h], delta = max(g, 1)·w − g, group[h] = g + delta, total += delta.
//! Returns the Contribution.weight to store (floor(log2 w)). Overflow → Errc::kOverflow (panic
//! 0x11 on chain); the state is left unchanged on error.
Result<U256> add_contribution(ConsensusState& state, const Bytes32& result_hash, const U256& score);

//! The consensus inequality of `checkConsensus`: group·trust > total·(trust − 1), with the
//! deal's trust (≥ 1 for every real deal: matchOrders stores max(trust, 1)).
//! trust = 0 → Errc::kOverflow (the contract's `trust − 1` underflows); products overflowing →
//! Errc::kOverflow.
Result<bool> consensus_condition(const U256& group, const U256& total, const U256& trust);
//! consensus_condition(state.group_of(h), state.total, trust).
Result<bool> has_consensus(const ConsensusState& state, const Bytes32& result_hash, const U256& trust);

//! `reopen`: total −= group[consensus]; group[consensus] = 0 (the entry is kept with value 0).
//! total < group → Errc::kOverflow (cannot happen for states built with add_contribution).
Result<void> reopen_consensus(ConsensusState& state, const Bytes32& consensus_value);

//! How many more contributions agreeing on `target` (each from a worker with score
//! `candidate_score`) are needed before `checkConsensus` succeeds on chain, simulating
//! add_contribution + consensus_condition one contribution at a time. 0 when the consensus
//! condition already holds for `target`. When `target` is empty, the target is the largest
//! existing group (ties: the smallest hash), or a new hash when there is none. trust = 0 is
//! treated as the deal's trust, max(trust, 1).
//! Examples with fresh workers (w = 2) and no dissent: trust 1 or 2 → 1, 3–4 → 2, 5–8 → 3,
//! 9–16 → 4, 100 → 7 (protocol.md §6.3 table; in general the least n with 2^n > trust − 1).
//! With dissent the condition is group[h] > (trust − 1)·(1 + Σ other groups) (§6.3).
//! Errors: the simulation overflowing 256 bits (Errc::kOverflow).
Result<std::uint64_t> contributions_to_consensus(const ConsensusState& state, const U256& trust,
                                                 const U256& candidate_score,
                                                 const std::optional<Bytes32>& target = std::nullopt);

//! Fresh workers, no dissent: the least n with 2^n > T − 1, T = max(trust, 1) (§6.3 table).
std::uint64_t fresh_contributions_needed(const U256& trust);

// ---- Off-chain replication prediction (iexec-core 9.x) ------------------------------------------

//! One replicate as the reference scheduler sees it when a worker asks for work.
struct ReplicateView {
    enum class State : std::uint8_t {
        kPending,      //!< created, neither CONTRIBUTED nor FAILED (last relevant status)
        kContributed,  //!< last relevant status CONTRIBUTED (result_hash is its contribution hash)
        kFailed,       //!< last relevant status FAILED
    };
    State state{State::kPending};
    Bytes32 result_hash;                   //!< meaningful when kContributed
    U256 worker_weight;                    //!< w recorded at replicate creation (worker_weight(score)); 0 = ignored
    bool created_within_one_period{true};  //!< created less than one category period (maxExecutionTime) ago
};

//! The numbers the prediction compares (all products of w, iexec-core PredictionHelper):
struct ReplicationPrediction {
    U256 best_contributed;  //!< the largest contributed group product (0 if none)
    U256 pending;           //!< product of the w of pending replicates created < 1 period ago (0 if none)
    U256 best;              //!< best_contributed·pending, or whichever is non-zero, or 0
    U256 others;            //!< Σ of the other contributed groups
    U256 all;               //!< best + others
    bool needs_more{true};  //!< !(best·T > (1 + all)·(T − 1)), T = max(trust, 1)
};

//! iexec-core `ConsensusHelper.doesTaskNeedMoreContributionsForConsensus` (scheduler-worker.md
//! §5.1): a new replicate is given to an asking worker while best·T ≤ (1 + all)·(T − 1), where
//! best assumes every pending replicate joins the best contributed group. Replicates with
//! worker_weight 0 are ignored; FAILED and over-period pending replicates do not count.
//! The Java code uses 32-bit ints; here the arithmetic is exact (Errc::kOverflow past 2^256).
Result<ReplicationPrediction> predict_replication(std::span<const ReplicateView> replicates, const U256& trust);

}  // namespace wp
