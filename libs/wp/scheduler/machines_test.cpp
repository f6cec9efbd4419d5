// The task and replicate state machines (task_machine.hpp, replicate_machine.hpp): tables of edges taken from
// scheduler-worker.md §3–4 and docs/scheduler.md.

#include <gtest/gtest.h>

#include "replicate_machine.hpp"
#include "task_intents.hpp"
#include "task_machine.hpp"

namespace wp::scheduler {
namespace {

using E = TaskEvent;
using S = TaskStatus;
using R = ReplicateStatus;

TEST(TaskMachine, HappyPathToCompleted) {
    const std::pair<E, S> path[] = {
        {E::kInitializeSubmitted, S::kInitializing}, {E::kInitializeMined, S::kInitialized},
        {E::kReplicateStarted, S::kRunning},         {E::kConsensusReached, S::kConsensusReached},
        {E::kFirstReveal, S::kAtLeastOneRevealed},   {E::kUploadRequested, S::kResultUploading},
        {E::kResultUploaded, S::kResultUploaded},    {E::kFinalizeSubmitted, S::kFinalizing},
        {E::kFinalizeMined, S::kFinalized},          {E::kCompleted, S::kCompleted},
    };
    S s = S::kReceived;
    for (const auto& [event, expected] : path) {
        auto next = task_transition(s, event);
        ASSERT_TRUE(next) << next.error().message;
        EXPECT_EQ(*next, expected) << to_string(event);
        s = *next;
    }
    EXPECT_TRUE(is_final(s));
}

TEST(TaskMachine, FailurePaths) {
    struct Case {
        S from;
        E event;
        S to;
    };
    const Case cases[] = {
        {S::kReceived, E::kRefused, S::kFailed},
        {S::kReceived, E::kInitializeMined, S::kInitialized},  // found ACTIVE on chain
        {S::kInitializing, E::kInitializeReverted, S::kInitializeFailed},
        {S::kInitializeFailed, E::kAbandoned, S::kFailed},
        {S::kInitialized, E::kContributionDeadline, S::kContributionTimeout},
        {S::kRunning, E::kContributionDeadline, S::kContributionTimeout},
        {S::kRunning, E::kContributeAndFinalized, S::kFinalized},
        {S::kRunning, E::kAllReplicatesFailed, S::kRunningFailed},
        {S::kConsensusReached, E::kRevealTimeoutNoReveal, S::kReopening},
        {S::kReopening, E::kReopenSubmitted, S::kReopening},
        {S::kReopening, E::kReopenMined, S::kReopened},
        {S::kReopening, E::kReopenReverted, S::kReopenFailed},
        {S::kReopened, E::kRescheduled, S::kInitialized},
        {S::kResultUploading, E::kUploadRequested, S::kResultUploading},
        {S::kResultUploading, E::kUploadTimeout, S::kResultUploadTimeout},
        {S::kFinalizing, E::kFinalizeReverted, S::kFinalizeFailed},
        {S::kFinalizeFailed, E::kFinalizeSubmitted, S::kFinalizing},
        {S::kContributionTimeout, E::kFinalDeadline, S::kFinalDeadlineReached},
        {S::kRunning, E::kFinalDeadline, S::kFinalDeadlineReached},
        {S::kFinalDeadlineReached, E::kClaimSubmitted, S::kClaiming},
        {S::kClaiming, E::kClaimReverted, S::kClaiming},
        {S::kClaiming, E::kClaimMined, S::kFailed},
        // The restart reconciliation: what the chain did while the core was not watching.
        {S::kResultUploaded, E::kFinalizedOnChain, S::kFinalized},
        {S::kFinalizing, E::kFinalizedOnChain, S::kFinalized},
        {S::kRunning, E::kClaimedOnChain, S::kFailed},
        {S::kFinalDeadlineReached, E::kClaimedOnChain, S::kFailed},
        {S::kConsensusReached, E::kReopenedOnChain, S::kReopened},
        {S::kReopening, E::kReopenedOnChain, S::kReopened},
        {S::kReopenFailed, E::kReopenedOnChain, S::kReopened},
    };
    for (const auto& c : cases) {
        auto next = task_transition(c.from, c.event);
        ASSERT_TRUE(next) << to_string(c.from) << " + " << to_string(c.event) << ": " << next.error().message;
        EXPECT_EQ(*next, c.to) << to_string(c.from) << " + " << to_string(c.event);
    }
}

TEST(TaskMachine, RefusedEdgesNameTheEventAndStatus) {
    auto r = task_transition(S::kReceived, E::kFinalizeMined);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "task: event 'finalize mined' not allowed in status RECEIVED");
    EXPECT_FALSE(task_transition(S::kCompleted, E::kFinalDeadline));
    EXPECT_FALSE(task_transition(S::kFinalized, E::kFinalDeadline));  // finalized on chain: nothing to claim
    EXPECT_FALSE(task_transition(S::kFailed, E::kRefused));
    EXPECT_FALSE(task_transition(S::kConsensusReached, E::kReplicateStarted));
    EXPECT_FALSE(task_transition(S::kFinalized, E::kFinalizedOnChain));
    EXPECT_FALSE(task_transition(S::kRunning, E::kReopenedOnChain));
    // Every status: no event leaves a final status.
    for (std::uint8_t s = 0; s < kTaskStatusCount; ++s) {
        const auto status = static_cast<S>(s);
        EXPECT_EQ(*parse_task_status(to_string(status)), status);
        EXPECT_EQ(*task_status_from_int(s), status);
        if (!is_final(status)) continue;
        for (std::uint8_t e = 0; e <= static_cast<std::uint8_t>(E::kReopenedOnChain); ++e)
            EXPECT_FALSE(task_transition(status, static_cast<E>(e))) << to_string(status);
    }
    EXPECT_FALSE(task_status_from_int(kTaskStatusCount));
}

TEST(ReplicateMachine, WorkerMainPath) {
    const R path[] = {R::kCreated,         R::kStarting,       R::kStarted,   R::kAppDownloading, R::kAppDownloaded,
                      R::kDataDownloading, R::kDataDownloaded, R::kComputing, R::kComputed,       R::kContributing,
                      R::kContributed,     R::kRevealing,      R::kRevealed,  R::kCompleting,     R::kCompleted};
    for (std::size_t i = 1; i < std::size(path); ++i) {
        auto ok = replicate_transition(path[i - 1], path[i], Modifier::kWorker);
        EXPECT_TRUE(ok) << ok.error().message;
    }
}

TEST(ReplicateMachine, TableOfEdges) {
    struct Case {
        R from, to;
        Modifier who;
        bool ok;
    };
    const auto W = Modifier::kWorker;
    const auto P = Modifier::kScheduler;
    const Case cases[] = {
        {R::kAppDownloadFailed, R::kContributing, W, true},  // the failure is contributed
        {R::kDataDownloadFailed, R::kContributing, W, true},
        {R::kComputed, R::kContributeAndFinalizeOngoing, W, true},
        {R::kAppDownloadFailed, R::kContributeAndFinalizeOngoing, W, true},
        {R::kDataDownloadFailed, R::kContributeAndFinalizeOngoing, W, true},
        {R::kContributing, R::kContributeFailed, W, true},  // accepted, unlike the reference
        {R::kRevealing, R::kRevealFailed, W, true},
        {R::kRevealed, R::kResultUploadRequested, P, true},
        {R::kRevealed, R::kResultUploadRequested, W, false},
        {R::kResultUploadRequested, R::kResultUploading, W, true},
        {R::kResultUploading, R::kResultUploaded, W, true},
        {R::kComputing, R::kAborted, W, true},
        {R::kAborted, R::kCompleted, W, true},
        {R::kCompleted, R::kAborted, W, false},
        {R::kComputed, R::kRevealed, W, false},
        {R::kCreated, R::kComputing, W, false},
        {R::kComputing, R::kWorkerLost, P, true},
        {R::kComputing, R::kWorkerLost, W, false},
        {R::kWorkerLost, R::kWorkerLost, P, false},
        {R::kWorkerLost, R::kRecovering, P, true},
        {R::kWorkerLost, R::kFailed, P, true},
        {R::kContributed, R::kFailed, P, true},  // reveal timeout
        {R::kRevealed, R::kFailed, P, false},    // a revealed replicate is not failable
        {R::kCompleted, R::kWorkerLost, P, false},
        {R::kComputing, R::kCreated, P, false},
        {R::kComputing, R::kFailed, W, false},             // FAILED is the scheduler's
        {R::kContributeFailed, R::kContributed, P, true},  // the contribution found on chain after all
        {R::kAborted, R::kContributed, P, true},
        {R::kComputeFailed, R::kContributed, P, true},
        {R::kContributeFailed, R::kContributed, W, false},  // never on the worker's word
        {R::kRevealFailed, R::kContributed, P, false},
        {R::kFailed, R::kContributed, P, false},
    };
    for (const auto& c : cases) {
        auto r = replicate_transition(c.from, c.to, c.who);
        EXPECT_EQ(static_cast<bool>(r), c.ok) << workerapi::to_string(c.from) << " → " << workerapi::to_string(c.to)
                                              << (c.who == W ? " (worker)" : " (scheduler)");
    }
    auto refused = replicate_transition(R::kComputed, R::kRevealed, W);
    EXPECT_EQ(refused.error().message, "replicate: COMPUTED → REVEALED is not allowed");
    auto pool_only = replicate_transition(R::kComputing, R::kWorkerLost, W);
    EXPECT_EQ(pool_only.error().message, "replicate: WORKER_LOST is set by the scheduler only");
}

TEST(ReplicateMachine, NextActions) {
    TaskFacts running;  // RUNNING, standard, trust 1, deadlines ahead
    TaskFacts tee = running;
    tee.tee = true;
    TaskFacts tee_trust3 = tee;
    tee_trust3.trust = 3;
    TaskFacts late = running;
    late.contribution_open = false;
    TaskFacts consensus = running;
    consensus.status = TaskStatus::kConsensusReached;
    TaskFacts dead = running;
    dead.before_final = false;
    TaskFacts failed = running;
    failed.status = TaskStatus::kFailed;
    TaskFacts completed = running;
    completed.status = TaskStatus::kCompleted;
    TaskFacts tee_finalized = tee;
    tee_finalized.status = TaskStatus::kFinalized;
    TaskFacts tee_completed = tee;
    tee_completed.status = TaskStatus::kCompleted;

    struct Case {
        R reported;
        std::optional<FailureCause> cause;
        TaskFacts task;
        NextAction expected;
    };
    const auto act = [](Action a) { return NextAction{a, std::nullopt}; };
    const auto abort = [](AbortCause c) { return NextAction{Action::kAbort, c}; };
    const Case cases[] = {
        {R::kStarting, std::nullopt, running, act(Action::kContinue)},
        {R::kStarted, std::nullopt, running, act(Action::kDownloadApp)},
        {R::kAppDownloaded, std::nullopt, running, act(Action::kDownloadData)},
        {R::kDataDownloaded, std::nullopt, running, act(Action::kCompute)},
        {R::kComputed, std::nullopt, running, act(Action::kContribute)},
        {R::kComputed, std::nullopt, tee, act(Action::kContributeAndFinalize)},
        {R::kComputed, std::nullopt, tee_trust3, act(Action::kContribute)},
        {R::kComputed, std::nullopt, late, abort(AbortCause::kContributionTimeout)},
        {R::kComputed, std::nullopt, consensus, abort(AbortCause::kConsensusReached)},
        {R::kAppDownloadFailed, FailureCause::kAppImageDownloadFailed, running, act(Action::kContribute)},
        {R::kAppDownloadFailed, FailureCause::kUnknown, running, abort(AbortCause::kTaskFailed)},
        {R::kDataDownloadFailed, FailureCause::kDatasetFileBadChecksum, running, act(Action::kContribute)},
        {R::kComputeFailed, std::nullopt, running, abort(AbortCause::kTaskFailed)},
        {R::kContributed, std::nullopt, running, act(Action::kWait)},
        {R::kRevealed, std::nullopt, consensus, act(Action::kWait)},
        {R::kContributed, std::nullopt, dead, abort(AbortCause::kFinalDeadline)},
        {R::kComputing, std::nullopt, failed, abort(AbortCause::kTaskFailed)},
        {R::kAborted, std::nullopt, failed, act(Action::kComplete)},
        {R::kCompleting, std::nullopt, completed, act(Action::kContinue)},  // after PLEASE_COMPLETE
        // TEE at trust 1: the error result goes through contributeAndFinalize too; DONE waits for the chain's
        // TaskFinalize, or completes when it came first.
        {R::kAppDownloadFailed, FailureCause::kAppImageDownloadFailed, tee, act(Action::kContributeAndFinalize)},
        {R::kDataDownloadFailed, FailureCause::kInputFilesDownloadFailed, tee, act(Action::kContributeAndFinalize)},
        {R::kContributeAndFinalizeDone, std::nullopt, tee_finalized, act(Action::kWait)},
        {R::kContributeAndFinalizeDone, std::nullopt, tee_completed, act(Action::kComplete)},
        {R::kComputed, std::nullopt, tee_completed, abort(AbortCause::kTaskFailed)},
    };
    for (const auto& c : cases)
        EXPECT_EQ(next_action(c.reported, c.cause, c.task), c.expected) << workerapi::to_string(c.reported);
}

TEST(ReplicateMachine, SlotsAndContributions) {
    EXPECT_TRUE(holds_slot(R::kCreated));
    EXPECT_TRUE(holds_slot(R::kComputing));
    EXPECT_FALSE(holds_slot(R::kComputed));
    EXPECT_FALSE(holds_slot(R::kComputeFailed));
    EXPECT_FALSE(holds_slot(R::kWorkerLost));
    EXPECT_TRUE(has_contributed(R::kRevealing));
    EXPECT_FALSE(has_contributed(R::kContributing));
}

// The restart reconciliation's walks (task_intents.hpp reconcile_path): each step one the worker may report.
TEST(ReplicateMachine, ReconcilePathWalksTheWorkersMainPath) {
    EXPECT_EQ(reconcile_path(R::kCreated, R::kContributed),
              (std::vector<R>{R::kStarting, R::kStarted, R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading,
                              R::kDataDownloaded, R::kComputing, R::kComputed, R::kContributing, R::kContributed}));
    EXPECT_EQ(reconcile_path(R::kComputed, R::kRevealed),
              (std::vector<R>{R::kContributing, R::kContributed, R::kRevealing, R::kRevealed}));
    EXPECT_EQ(reconcile_path(R::kContributed, R::kRevealed), (std::vector<R>{R::kRevealing, R::kRevealed}));
    // A download failure is contributed as the error result.
    EXPECT_EQ(reconcile_path(R::kAppDownloadFailed, R::kContributed),
              (std::vector<R>{R::kContributing, R::kContributed}));
    // Already there or past it; or no walk (a failure the chain cannot undo, aborted, final).
    EXPECT_TRUE(reconcile_path(R::kContributed, R::kContributed).empty());
    EXPECT_TRUE(reconcile_path(R::kRevealed, R::kContributed).empty());
    EXPECT_TRUE(reconcile_path(R::kResultUploaded, R::kRevealed).empty());
    EXPECT_TRUE(reconcile_path(R::kComputeFailed, R::kContributed).empty());
    EXPECT_TRUE(reconcile_path(R::kAborted, R::kContributed).empty());
    EXPECT_TRUE(reconcile_path(R::kCompleted, R::kRevealed).empty());
    EXPECT_TRUE(reconcile_path(R::kCreated, R::kCompleted).empty());  // not a reconciliation target
}

}  // namespace
}  // namespace wp::scheduler
