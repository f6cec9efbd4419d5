#include "filler_planner.hpp"

namespace wp::chain {

std::vector<std::uint64_t> FillerPlanner::due(NonceAllocator& nonces, const SlotMap& slots) {
    nonces.trim();
    std::vector<std::uint64_t> out;
    if (!nonces.has_unowned()) return out;
    for (const std::uint64_t nonce : nonces.due_for_filler()) {
        if (!slots.contains(nonce)) out.push_back(nonce);
    }
    return out;
}

}  // namespace wp::chain
