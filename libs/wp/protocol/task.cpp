#include "task.hpp"

#include <string>

namespace wp {

namespace {

Result<U256> deadline(const U256& base, const U256& timeref, std::uint64_t ratio, const char* what) {
    auto span = checked_mul(timeref, U256(ratio));
    if (!span)
        return make_error(Errc::kOverflow, std::string(what) + ": timeref·" + std::to_string(ratio) + " overflows");
    auto sum = checked_add(base, *span);
    if (!sum)
        return make_error(Errc::kOverflow,
                          std::string(what) + ": time + timeref·" + std::to_string(ratio) + " overflows");
    return *sum;
}

}  // namespace

Result<U256> contribution_deadline(const U256& start_time, const U256& timeref) {
    return deadline(start_time, timeref, kContributionDeadlineRatio, "contributionDeadline");
}

Result<U256> final_deadline(const U256& start_time, const U256& timeref) {
    return deadline(start_time, timeref, kFinalDeadlineRatio, "finalDeadline");
}

Result<U256> reveal_deadline(const U256& consensus_time, const U256& timeref) {
    return deadline(consensus_time, timeref, kRevealDeadlineRatio, "revealDeadline");
}

Result<Task> initialize_task(const Deal& deal, const Bytes32& deal_id, const U256& idx, const U256& timeref) {
    if (idx < deal.bot_first)
        return make_error(Errc::kInvalidArgument, "initialize: idx " + idx.to_dec() + " is below the deal's botFirst " +
                                                      deal.bot_first.to_dec());
    auto end = checked_add(deal.bot_first, deal.bot_size);
    if (!end) return make_error(Errc::kOverflow, "initialize: botFirst + botSize overflows");
    if (!(idx < *end))
        return make_error(Errc::kInvalidArgument,
                          "initialize: idx " + idx.to_dec() + " is not below botFirst + botSize = " + end->to_dec());
    Task task;
    task.status = TaskStatus::kActive;
    task.deal_id = deal_id;
    task.idx = idx;
    task.timeref = timeref;
    WP_TRY(task.contribution_deadline, contribution_deadline(deal.start_time, timeref));
    WP_TRY(task.final_deadline, final_deadline(deal.start_time, timeref));
    return task;
}

}  // namespace wp
