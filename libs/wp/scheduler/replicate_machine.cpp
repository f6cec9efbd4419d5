#include "replicate_machine.hpp"

#include <string>

namespace wp::scheduler {
namespace {

using R = ReplicateStatus;

// The workflow edges (worker-reported targets, plus RESULT_UPLOAD_REQUESTED set by the scheduler).
bool workflow_edge(R from, R to) {
    switch (from) {
        case R::kCreated: return to == R::kStarting;
        case R::kStarting: return to == R::kStarted || to == R::kStartFailed;
        case R::kStarted: return to == R::kAppDownloading;
        case R::kAppDownloading: return to == R::kAppDownloaded || to == R::kAppDownloadFailed;
        case R::kAppDownloadFailed: return to == R::kContributing || to == R::kContributeAndFinalizeOngoing;
        case R::kAppDownloaded: return to == R::kDataDownloading;
        case R::kDataDownloading: return to == R::kDataDownloaded || to == R::kDataDownloadFailed;
        case R::kDataDownloadFailed: return to == R::kContributing || to == R::kContributeAndFinalizeOngoing;
        case R::kDataDownloaded: return to == R::kComputing;
        case R::kComputing: return to == R::kComputed || to == R::kComputeFailed;
        case R::kComputed: return to == R::kContributing || to == R::kContributeAndFinalizeOngoing;
        case R::kContributing: return to == R::kContributed || to == R::kContributeFailed;
        case R::kContributed: return to == R::kRevealing;
        case R::kRevealing: return to == R::kRevealed || to == R::kRevealFailed;
        case R::kRevealed: return to == R::kResultUploadRequested || to == R::kCompleting;
        case R::kResultUploadRequested: return to == R::kResultUploading;
        case R::kResultUploading: return to == R::kResultUploaded || to == R::kResultUploadFailed;
        case R::kResultUploaded:
        case R::kResultUploadFailed: return to == R::kCompleting;
        case R::kContributeAndFinalizeOngoing:
            return to == R::kContributeAndFinalizeDone || to == R::kContributeAndFinalizeFailed;
        case R::kContributeAndFinalizeDone: return to == R::kCompleting;
        case R::kCompleting: return to == R::kCompleted || to == R::kCompleteFailed;
        case R::kAborted: return to == R::kCompleted;
        default: return false;
    }
}

bool failable(R s) {
    const auto v = static_cast<std::uint8_t>(s);
    return v <= static_cast<std::uint8_t>(R::kRevealFailed) || s == R::kContributeAndFinalizeOngoing ||
           s == R::kContributeAndFinalizeFailed || s == R::kCompleteFailed || s == R::kAborted || s == R::kWorkerLost ||
           s == R::kRecovering || s == R::kResultUploadFailed;
}

bool recoverable(R s) { return !is_final(s) && s != R::kRecovering; }

Result<void> refuse(R from, R to) {
    return make_error(Errc::kInvalidArgument, "replicate: " + std::string(workerapi::to_string(from)) + " → " +
                                                  std::string(workerapi::to_string(to)) + " is not allowed");
}

}  // namespace

bool is_final(ReplicateStatus s) noexcept { return s == R::kCompleted || s == R::kFailed; }

bool is_interruption(ReplicateStatus s) noexcept { return s == R::kWorkerLost || s == R::kRecovering; }

bool worker_may_report(ReplicateStatus s) noexcept {
    return s != R::kCreated && s != R::kResultUploadRequested && s != R::kWorkerLost && s != R::kRecovering &&
           s != R::kFailed;
}

bool holds_slot(ReplicateStatus s) noexcept {
    switch (s) {
        case R::kCreated:
        case R::kStarting:
        case R::kStarted:
        case R::kAppDownloading:
        case R::kAppDownloaded:
        case R::kDataDownloading:
        case R::kDataDownloaded:
        case R::kComputing: return true;
        default: return false;
    }
}

bool contribution_repairable(ReplicateStatus s) noexcept {
    switch (s) {
        case R::kStartFailed:
        case R::kAppDownloadFailed:
        case R::kDataDownloadFailed:
        case R::kComputeFailed:
        case R::kContributeFailed:
        case R::kAborted: return true;
        default: return false;
    }
}

bool has_contributed(ReplicateStatus s) noexcept {
    switch (s) {
        case R::kContributed:
        case R::kRevealing:
        case R::kRevealFailed:
        case R::kRevealed:
        case R::kResultUploadRequested:
        case R::kResultUploading:
        case R::kResultUploadFailed:
        case R::kResultUploaded:
        case R::kContributeAndFinalizeDone: return true;
        default: return false;
    }
}

Result<void> replicate_transition(ReplicateStatus from, ReplicateStatus to, Modifier who) {
    if (who == Modifier::kWorker) {
        if (!worker_may_report(to))
            return make_error(Errc::kInvalidArgument,
                              "replicate: " + std::string(workerapi::to_string(to)) + " is set by the scheduler only");
        if (is_final(from)) return refuse(from, to);
        if (to == R::kAborted) return {};  // after PLEASE_ABORT, from any non-final status
        if (to == R::kResultUploadRequested) return refuse(from, to);
        if (workflow_edge(from, to)) return {};
        return refuse(from, to);
    }
    switch (to) {
        case R::kCreated: return refuse(from, to);  // only by insertion
        case R::kResultUploadRequested:
            if (from == R::kRevealed || from == R::kResultUploadFailed) return {};
            return refuse(from, to);
        case R::kWorkerLost:
            if (!is_final(from) && from != R::kWorkerLost) return {};
            return refuse(from, to);
        case R::kRecovering:
            if (recoverable(from)) return {};
            return refuse(from, to);
        case R::kFailed:
            if (failable(from)) return {};
            return refuse(from, to);
        default:
            // The scheduler may also record what it saw on chain first (CONTRIBUTED, REVEALED, ...), a contribution
            // on chain after a failure included.
            if (workflow_edge(from, to) || (is_interruption(from) && !is_final(to))) return {};
            if (to == R::kContributed && contribution_repairable(from)) return {};
            return refuse(from, to);
    }
}

NextAction next_action(ReplicateStatus reported, std::optional<FailureCause> cause, const TaskFacts& task) {
    const auto abort = [](AbortCause c) { return NextAction{Action::kAbort, c}; };
    if (reported == R::kCompleted || reported == R::kFailed || reported == R::kAborted)
        return NextAction{Action::kComplete, std::nullopt};
    if (reported == R::kContributeAndFinalizeDone && task.status == TaskStatus::kCompleted)
        return NextAction{Action::kComplete, std::nullopt};  // the chain's TaskFinalize came first
    // COMPLETING follows PLEASE_COMPLETE, sent once the task is over: go on (not PLEASE_ABORT TASK_FAILED).
    if (reported == R::kCompleting) return NextAction{Action::kContinue, std::nullopt};
    if (is_final(task.status)) return abort(AbortCause::kTaskFailed);
    if (!task.before_final) return abort(AbortCause::kFinalDeadline);
    const bool past_running = task.status != TaskStatus::kInitialized && task.status != TaskStatus::kRunning;

    const auto contribute = [&](Action a) {
        if (past_running) return abort(AbortCause::kConsensusReached);
        if (!task.contribution_open) return abort(AbortCause::kContributionTimeout);
        return NextAction{a, std::nullopt};
    };

    // TEE at trust ≤ 1 contributes and finalizes in one transaction (the error result too).
    const Action kind = task.tee && task.trust <= 1 ? Action::kContributeAndFinalize : Action::kContribute;
    switch (reported) {
        case R::kStarting:
        case R::kAppDownloading:
        case R::kDataDownloading:
        case R::kComputing:
        case R::kContributing:
        case R::kRevealing:
        case R::kResultUploading:
        case R::kContributeAndFinalizeOngoing:
        case R::kCompleting: return NextAction{Action::kContinue, std::nullopt};
        case R::kStarted:
            if (past_running) return abort(AbortCause::kConsensusReached);
            return NextAction{Action::kDownloadApp, std::nullopt};
        case R::kAppDownloaded:
            if (past_running) return abort(AbortCause::kConsensusReached);
            return NextAction{Action::kDownloadData, std::nullopt};
        case R::kDataDownloaded:
            if (past_running) return abort(AbortCause::kConsensusReached);
            return NextAction{Action::kCompute, std::nullopt};
        case R::kComputed: return contribute(kind);
        case R::kAppDownloadFailed:
            if (cause == FailureCause::kAppImageDownloadFailed) return contribute(kind);
            return abort(AbortCause::kTaskFailed);
        case R::kDataDownloadFailed:
            if (cause == FailureCause::kDatasetFileDownloadFailed || cause == FailureCause::kDatasetFileBadChecksum ||
                cause == FailureCause::kInputFilesDownloadFailed)
                return contribute(kind);
            return abort(AbortCause::kTaskFailed);
        case R::kContributed:
        case R::kRevealed:
        case R::kResultUploaded:
        case R::kContributeAndFinalizeDone: return NextAction{Action::kWait, std::nullopt};
        default:
            // START_FAILED, COMPUTE_FAILED, CONTRIBUTE_FAILED, REVEAL_FAILED, RESULT_UPLOAD_FAILED,
            // CONTRIBUTE_AND_FINALIZE_FAILED, COMPLETE_FAILED.
            return abort(AbortCause::kTaskFailed);
    }
}

}  // namespace wp::scheduler
