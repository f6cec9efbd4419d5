#include "task_machine.hpp"

#include <array>
#include <string>

namespace wp::scheduler {
namespace {

constexpr std::array<std::string_view, kTaskStatusCount> kNames = {
    "RECEIVED",
    "INITIALIZING",
    "INITIALIZED",
    "INITIALIZE_FAILED",
    "RUNNING",
    "RUNNING_FAILED",
    "CONTRIBUTION_TIMEOUT",
    "CONSENSUS_REACHED",
    "REOPENING",
    "REOPENED",
    "REOPEN_FAILED",
    "AT_LEAST_ONE_REVEALED",
    "RESULT_UPLOADING",
    "RESULT_UPLOADED",
    "RESULT_UPLOAD_TIMEOUT",
    "FINALIZING",
    "FINALIZED",
    "FINALIZE_FAILED",
    "FINAL_DEADLINE_REACHED",
    "COMPLETED",
    "FAILED",
    "CLAIMING",
};

constexpr std::array<std::string_view, 30> kEventNames = {
    "refused",
    "initialize submitted",
    "initialize mined",
    "initialize reverted",
    "replicate started",
    "all replicates failed",
    "consensus reached",
    "contribute-and-finalized",
    "contribution deadline",
    "first reveal",
    "reveal timeout without reveal",
    "reopen submitted",
    "reopen mined",
    "reopen reverted",
    "rescheduled",
    "upload requested",
    "result uploaded",
    "upload timeout",
    "finalize submitted",
    "finalize mined",
    "finalize reverted",
    "completed",
    "final deadline",
    "claim submitted",
    "claim mined",
    "claim reverted",
    "abandoned",
    "finalized on chain",
    "claimed on chain",
    "reopened on chain",
};

using S = TaskStatus;
using E = TaskEvent;

std::optional<TaskStatus> edge(TaskStatus from, TaskEvent e) {
    // The final deadline applies to every non-final status that has not finished on chain.
    if (e == E::kFinalDeadline) {
        switch (from) {
            case S::kCompleted:
            case S::kFailed:
            case S::kFinalized:
            case S::kFinalDeadlineReached:
            case S::kClaiming: return std::nullopt;
            default: return S::kFinalDeadlineReached;
        }
    }
    if (e == E::kClaimedOnChain) return is_final(from) ? std::nullopt : std::optional<TaskStatus>(S::kFailed);
    if (e == E::kFinalizedOnChain) {
        if (is_final(from) || from == S::kFinalized) return std::nullopt;
        return S::kFinalized;
    }
    if (e == E::kReopenedOnChain) {
        if (from == S::kConsensusReached || from == S::kReopening || from == S::kReopenFailed) return S::kReopened;
        return std::nullopt;
    }
    switch (from) {
        case S::kReceived:
            if (e == E::kInitializeSubmitted) return S::kInitializing;
            if (e == E::kInitializeMined) return S::kInitialized;  // found ACTIVE on chain (restart, another sender)
            if (e == E::kRefused) return S::kFailed;
            break;
        case S::kInitializing:
            if (e == E::kInitializeMined) return S::kInitialized;
            if (e == E::kInitializeReverted) return S::kInitializeFailed;
            break;
        case S::kInitializeFailed:
            if (e == E::kAbandoned) return S::kFailed;
            break;
        case S::kInitialized:
            if (e == E::kReplicateStarted) return S::kRunning;
            if (e == E::kContributionDeadline) return S::kContributionTimeout;
            if (e == E::kConsensusReached) return S::kConsensusReached;  // missed the start reports
            break;
        case S::kRunning:
            if (e == E::kConsensusReached) return S::kConsensusReached;
            if (e == E::kContributeAndFinalized) return S::kFinalized;
            if (e == E::kContributionDeadline) return S::kContributionTimeout;
            if (e == E::kAllReplicatesFailed) return S::kRunningFailed;
            break;
        case S::kConsensusReached:
            if (e == E::kFirstReveal) return S::kAtLeastOneRevealed;
            if (e == E::kRevealTimeoutNoReveal) return S::kReopening;
            break;
        case S::kReopening:
            if (e == E::kReopenSubmitted) return S::kReopening;  // the intent key is recorded with the status
            if (e == E::kReopenMined) return S::kReopened;
            if (e == E::kReopenReverted) return S::kReopenFailed;
            break;
        case S::kReopened:
            if (e == E::kRescheduled) return S::kInitialized;
            break;
        case S::kAtLeastOneRevealed:
            if (e == E::kUploadRequested) return S::kResultUploading;
            break;
        case S::kResultUploading:
            if (e == E::kUploadRequested) return S::kResultUploading;  // another uploader asked
            if (e == E::kResultUploaded) return S::kResultUploaded;
            if (e == E::kUploadTimeout) return S::kResultUploadTimeout;
            break;
        case S::kResultUploaded:
            if (e == E::kFinalizeSubmitted) return S::kFinalizing;
            break;
        case S::kFinalizing:
            if (e == E::kFinalizeMined) return S::kFinalized;
            if (e == E::kFinalizeReverted) return S::kFinalizeFailed;
            break;
        case S::kFinalizeFailed:
            if (e == E::kFinalizeSubmitted) return S::kFinalizing;  // retried with a new intent key
            break;
        case S::kFinalized:
            if (e == E::kCompleted) return S::kCompleted;
            break;
        case S::kFinalDeadlineReached:
            if (e == E::kClaimSubmitted) return S::kClaiming;
            if (e == E::kAbandoned) return S::kFailed;
            break;
        case S::kClaiming:
            if (e == E::kClaimMined) return S::kFailed;
            if (e == E::kClaimReverted) return S::kClaiming;
            break;
        case S::kRunningFailed:
        case S::kContributionTimeout:
        case S::kReopenFailed:
        case S::kResultUploadTimeout:
            // Waiting for the final deadline (then claim): PoCo refunds only through claim.
            break;
        case S::kCompleted:
        case S::kFailed: break;
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_string(TaskStatus s) noexcept {
    const auto i = static_cast<std::size_t>(s);
    return i < kNames.size() ? kNames[i] : std::string_view("INVALID");
}

std::string_view to_string(TaskEvent e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < kEventNames.size() ? kEventNames[i] : std::string_view("invalid event");
}

Result<TaskStatus> parse_task_status(std::string_view s) {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == s) return static_cast<TaskStatus>(i);
    return make_error(Errc::kInvalidArgument, "unknown task status \"" + std::string(s.substr(0, 64)) + "\"");
}

Result<TaskStatus> task_status_from_int(std::int64_t v) {
    if (v < 0 || v >= kTaskStatusCount)
        return make_error(Errc::kDecoding, "task status " + std::to_string(v) + " out of range");
    return static_cast<TaskStatus>(v);
}

bool is_final(TaskStatus s) noexcept { return s == S::kCompleted || s == S::kFailed; }

bool is_schedulable(TaskStatus s) noexcept { return s == S::kInitialized || s == S::kRunning; }

Result<TaskStatus> task_transition(TaskStatus from, TaskEvent event) {
    if (auto to = edge(from, event)) return *to;
    return make_error(Errc::kInvalidArgument, "task: event '" + std::string(to_string(event)) +
                                                  "' not allowed in status " + std::string(to_string(from)));
}

}  // namespace wp::scheduler
