#include "consensus.hpp"

#include <algorithm>

namespace wp {

namespace {

Error overflow(const char* what) { return Error{Errc::kOverflow, std::string(what) + ": uint256 overflow"}; }

}  // namespace

U256 worker_weight(const U256& score) {
    U256 third(U256::Native(score.native() / 3));
    return U256(U256::Native(std::max(third, U256(3)).native() - 1));
}

unsigned log2_floor(const U256& x) noexcept { return x.is_zero() ? 0 : x.bit_length() - 1; }

U256 contribution_log_weight(const U256& score) { return U256(log2_floor(worker_weight(score))); }

U256 ConsensusState::group_of(const Bytes32& result_hash) const {
    auto it = group.find(result_hash);
    return it == group.end() ? U256(0) : it->second;
}

Result<U256> add_contribution(ConsensusState& state, const Bytes32& result_hash, const U256& score) {
    const U256 w = worker_weight(score);
    const U256 g = state.group_of(result_hash);
    auto product = checked_mul(std::max(g, U256(1)), w);
    if (!product) return make_error(overflow("contribute: max(group, 1)·w"));
    const U256 delta(U256::Native(product->native() - g.native()));  // product ≥ g since w ≥ 2
    auto new_group = checked_add(g, delta);
    auto new_total = checked_add(state.total, delta);
    if (!new_group || !new_total) return make_error(overflow("contribute: group/total + delta"));
    state.group[result_hash] = *new_group;
    state.total = *new_total;
    return U256(log2_floor(w));
}

Result<bool> consensus_condition(const U256& group, const U256& total, const U256& trust) {
    auto lhs = checked_mul(group, trust);
    if (!lhs) return make_error(overflow("checkConsensus: group·trust"));
    if (trust.is_zero()) return make_error(Errc::kOverflow, "checkConsensus: trust − 1 underflows (trust is 0)");
    auto rhs = checked_mul(total, U256(U256::Native(trust.native() - 1)));
    if (!rhs) return make_error(overflow("checkConsensus: total·(trust − 1)"));
    return *lhs > *rhs;
}

Result<bool> has_consensus(const ConsensusState& state, const Bytes32& result_hash, const U256& trust) {
    return consensus_condition(state.group_of(result_hash), state.total, trust);
}

Result<void> reopen_consensus(ConsensusState& state, const Bytes32& consensus_value) {
    const U256 g = state.group_of(consensus_value);
    auto total = checked_sub(state.total, g);
    if (!total) return make_error(Errc::kOverflow, "reopen: total − group underflows");
    state.total = *total;
    state.group[consensus_value] = U256(0);
    return {};
}

Result<std::uint64_t> contributions_to_consensus(const ConsensusState& state, const U256& trust,
                                                 const U256& candidate_score, const std::optional<Bytes32>& target) {
    const U256 t = std::max(trust, U256(1));
    Bytes32 h{};
    if (target) {
        h = *target;
    } else if (!state.group.empty()) {
        auto best = state.group.begin();
        for (auto it = state.group.begin(); it != state.group.end(); ++it)
            if (it->second > best->second) best = it;
        h = best->first;
    } else {
        h.bytes.fill(0xff);  // any hash: there is no group yet
    }
    ConsensusState sim = state;
    std::uint64_t n = 0;
    for (;;) {
        WP_TRY(bool done, has_consensus(sim, h, t));
        if (done) return n;
        // w ≥ 2 doubles the group at least each step: at most ~256 steps before overflow.
        WP_TRY_VOID(add_contribution(sim, h, candidate_score));
        ++n;
    }
}

std::uint64_t fresh_contributions_needed(const U256& trust) {
    const U256 t = std::max(trust, U256(1));
    const U256 limit(U256::Native(t.native() - 1));
    // least n with 2^n > limit: n = bit_length(limit).
    return limit.bit_length() == 0 ? 1 : limit.bit_length();
}

Result<ReplicationPrediction> predict_replication(std::span<const ReplicateView> replicates, const U256& trust) {
    using State = ReplicateView::State;
    // Contributed group products, per hash (ContributionHelper.getContributedWeight).
    std::map<Bytes32, U256> groups;
    U256 pending(0);
    for (const auto& r : replicates) {
        if (r.worker_weight.is_zero()) continue;
        if (r.state == State::kContributed) {
            U256& g = groups[r.result_hash];
            auto p = checked_mul(std::max(g, U256(1)), r.worker_weight);
            if (!p) return make_error(overflow("prediction: contributed group product"));
            g = *p;
        } else if (r.state == State::kPending && r.created_within_one_period) {
            auto p = checked_mul(std::max(pending, U256(1)), r.worker_weight);
            if (!p) return make_error(overflow("prediction: pending product"));
            pending = *p;
        }
    }
    ReplicationPrediction out;
    const Bytes32* best_hash = nullptr;
    for (const auto& [hash, g] : groups) {
        if (best_hash == nullptr || g > out.best_contributed) {
            out.best_contributed = g;
            best_hash = &hash;
        }
    }
    for (const auto& [hash, g] : groups) {
        if (&hash == best_hash) continue;
        WP_TRY(out.others, checked_add(out.others, g));
    }
    if (out.best_contributed.is_zero()) {
        out.best = pending;
    } else if (pending.is_zero()) {
        out.best = out.best_contributed;
    } else {
        WP_TRY(out.best, checked_mul(out.best_contributed, pending));
    }
    out.pending = pending;
    WP_TRY(out.all, checked_add(out.best, out.others));
    const U256 t = std::max(trust, U256(1));
    WP_TRY(U256 lhs, checked_mul(out.best, t));
    WP_TRY(U256 all_plus_one, checked_add(out.all, U256(1)));
    WP_TRY(U256 rhs, checked_mul(all_plus_one, U256(U256::Native(t.native() - 1))));
    out.needs_more = !(lhs > rhs);
    return out;
}

}  // namespace wp
