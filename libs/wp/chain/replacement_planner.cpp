#include "replacement_planner.hpp"

#include <algorithm>

namespace wp::chain {

bool ReplacementPlanner::due(Clock::time_point now, std::uint64_t head, Clock::time_point last_signed,
                             std::uint64_t last_signed_block) const {
    const bool by_time = now - last_signed >= rule_.replace_after;
    const bool by_blocks = rule_.replace_after_blocks > 0 && head >= last_signed_block + rule_.replace_after_blocks;
    return by_time || by_blocks;
}

Result<FeeParams> ReplacementPlanner::fees(std::span<const AttemptFees> attempts,
                                           const std::optional<FeeParams>& current) const {
    if (attempts.empty()) return make_error(Errc::kInvalidArgument, "ReplacementPlanner::fees: no attempts");
    const bool any_accepted =
        std::any_of(attempts.begin(), attempts.end(), [](const AttemptFees& a) { return ever_accepted(a.state); });
    std::optional<FeeParams> base;
    for (const auto& a : attempts) {
        if (any_accepted && !ever_accepted(a.state)) continue;
        if (!base || a.fees.fee_cap() > base->fee_cap()) base = a.fees;
    }
    const std::optional<FeeParams> follow = current && current->type == base->type ? current : std::nullopt;
    return bump_fees(*base, follow, rule_.fees);
}

}  // namespace wp::chain
