// CoreScheduler over a real database (both backends), on a ManualClock: assignment with signed authorizations,
// replicate updates validated and answered, consensus → reveal → upload, TEE contributeAndFinalize, lost workers
// replaced, recovery.

#include "core_scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/store/backend_test.hpp>

#include "scheduler_metrics.hpp"
#include "scheduler_test_support.hpp"
#include "schema.hpp"

namespace wp::scheduler {
namespace {

using workerapi::Action;
using R = ReplicateStatus;

using testing::h;
using testing::key;

class CoreSchedulerTest : public testing::CoreFixture {
  protected:
    void SetUp() override {
        CoreOptions o;
        o.lost_after = std::chrono::seconds(60);
        o.sms = sms_;
        open_core("core_scheduler", o);
        if (HasFatalFailure()) return;
        core_->set_notifier([this](const Address& w, const workerapi::Notification& n) { pushed_.emplace_back(w, n); });
    }

    //! A deal of `size` tasks starting now, initialized on chain (the intake is the next session's work).
    DealRecord add_deal(std::uint8_t id, std::uint64_t trust, std::uint64_t size = 1,
                        std::uint64_t tag = kTagStandard) {
        DealRecord d = testing::test_deal(id, trust, size, tag, clock_.unix_ms() / 1000);
        d.app_checksum = h(0xcc);
        d.iexec_args = "hello";
        insert_initialized(d, true);
        return d;
    }

    Address add_worker(std::uint8_t id, std::uint32_t slots, std::vector<workerapi::TeeFramework> tee = {}) {
        workerapi::WorkerRegistration r;
        r.name = "worker" + std::to_string(id);
        r.version = "1";
        r.cpu_slots = slots;
        r.tee_frameworks = std::move(tee);
        const Address a = key(id).address();
        auto answer = core_->register_worker(a, r);
        EXPECT_TRUE(answer) << answer.error().message;
        EXPECT_EQ(answer->workerpool, key(0x70).address());
        return a;
    }

    StatusOutcome report(const Address& w, const Bytes32& task, R status, workerapi::StatusDetails d = {}) {
        auto r = core_->update_status(w, task, workerapi::StatusUpdate{status, d});
        EXPECT_TRUE(r) << workerapi::to_string(status) << ": " << r.error().message;
        return r ? *r : StatusOutcome{};
    }

    void walk_to_computed(const Address& w, const Bytes32& task) {
        for (auto s : {R::kStarting, R::kStarted, R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading,
                       R::kDataDownloaded, R::kComputing, R::kComputed})
            EXPECT_EQ(report(w, task, s).http_status, 200u) << workerapi::to_string(s);
    }

    //! `w` computes `t` and contributes result hash 0xab…ab (seal 0x5e…5e).
    void contribute_ab(const Address& w, const Bytes32& t) {
        walk_to_computed(w, t);
        report(w, t, R::kContributing);
        workerapi::StatusDetails det;
        det.result_hash = h(0xab);
        det.result_seal = h(0x5e);
        report(w, t, R::kContributed, det);
    }

    //! The trust-1 task `t` assigned to `w` (its only worker), contributed, consensus, revealed: RESULT_UPLOADING with
    //! `w` asked to upload (one PLEASE_UPLOAD).
    void bring_to_upload(const Address& w, const Bytes32& t) {
        ASSERT_EQ(*core_->assign_round(), 1u);
        contribute_ab(w, t);
        ASSERT_TRUE(*core_->apply_consensus(t, h(0xab), clock_.unix_ms() / 1000 + 600, 5));
        report(w, t, R::kRevealing);
        report(w, t, R::kRevealed);
        ASSERT_EQ((*store_->task_by_id(t))->status, TaskStatus::kResultUploading);
    }

    SimulatedSms sms_ = SimulatedSms::from_secret(h(0x99));
    std::vector<std::pair<Address, workerapi::Notification>> pushed_;
};

TEST_P(CoreSchedulerTest, TrustOneFromAssignmentToUploadedResult) {
    const DealRecord d = add_deal(1, 1);
    const Address w = add_worker(0x21, 2);
    auto created = core_->assign_round();
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(*created, 1u);
    EXPECT_EQ(*core_->assign_round(), 0u);  // one replicate is enough for trust 1

    // The worker's inbox holds PLEASE_START with the assignment; the authorization recovers to the pool signer.
    auto inbox = core_->notifications(w, 0);
    ASSERT_TRUE(inbox);
    ASSERT_EQ(inbox->notifications.size(), 1u);
    const auto& start = inbox->notifications[0];
    EXPECT_EQ(start.action, Action::kStart);
    ASSERT_TRUE(start.assignment);
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    EXPECT_EQ(start.task_id, tid);
    EXPECT_EQ(start.assignment->app.resource.uri, d.app_uri);
    EXPECT_EQ(start.assignment->iexec_args, "hello");
    const auto& auth = start.assignment->authorization;
    EXPECT_EQ(auth.worker, w);
    auto sig = Signature::parse(auth.signature);
    ASSERT_TRUE(sig);
    auto signer = eip191_recover(authorization_hash(w, tid, Address{}).view(), *sig);
    ASSERT_TRUE(signer);
    EXPECT_EQ(*signer, key(0x71).address());
    ASSERT_EQ(pushed_.size(), 1u);  // handed to the notifier after the commit

    // STARTED moves the task to RUNNING; the answers follow the replicate workflow.
    EXPECT_EQ(report(w, tid, R::kStarting).answer.action, Action::kContinue);
    EXPECT_EQ(report(w, tid, R::kStarted).answer.action, Action::kDownloadApp);
    EXPECT_EQ((*store_->task_by_id(tid))->status, TaskStatus::kRunning);
    EXPECT_EQ(report(w, tid, R::kAppDownloading).answer.action, Action::kContinue);
    EXPECT_EQ(report(w, tid, R::kAppDownloaded).answer.action, Action::kDownloadData);
    EXPECT_EQ(report(w, tid, R::kDataDownloading).answer.action, Action::kContinue);
    EXPECT_EQ(report(w, tid, R::kDataDownloaded).answer.action, Action::kCompute);
    EXPECT_EQ(report(w, tid, R::kComputing).answer.action, Action::kContinue);
    const auto computed = report(w, tid, R::kComputed);
    EXPECT_EQ(computed.answer.action, Action::kContribute);
    EXPECT_FALSE(computed.answer.duplicate);
    // A retry of the same update is harmless: same answer, marked duplicate.
    const auto retry = report(w, tid, R::kComputed);
    EXPECT_EQ(retry.http_status, 200u);
    EXPECT_EQ(retry.answer.action, Action::kContribute);
    EXPECT_TRUE(retry.answer.duplicate);

    EXPECT_EQ(report(w, tid, R::kContributing).answer.action, Action::kContinue);
    workerapi::StatusDetails contribution;
    contribution.result_hash = h(0xab);
    contribution.result_seal = h(0xac);
    contribution.tx_hash = h(0xad);
    EXPECT_EQ(report(w, tid, R::kContributed, contribution).answer.action, Action::kWait);

    // Consensus seen on chain: the contributor is asked to reveal.
    auto consensus = core_->apply_consensus(tid, h(0xab), d.start_time + 3000, 42);
    ASSERT_TRUE(consensus) << consensus.error().message;
    EXPECT_TRUE(*consensus);
    EXPECT_FALSE(*core_->apply_consensus(tid, h(0xab), d.start_time + 3000, 42));  // already applied
    inbox = core_->notifications(w, 1);
    ASSERT_EQ(inbox->notifications.size(), 1u);
    EXPECT_EQ(inbox->notifications[0].action, Action::kReveal);
    EXPECT_EQ(inbox->notifications[0].block_number, 42u);

    EXPECT_EQ(report(w, tid, R::kRevealing).answer.action, Action::kContinue);
    EXPECT_EQ(report(w, tid, R::kRevealed).answer.action, Action::kWait);
    auto task = **store_->task_by_id(tid);
    EXPECT_EQ(task.status, TaskStatus::kResultUploading);
    EXPECT_EQ(task.uploader, w);
    inbox = core_->notifications(w, 2);
    ASSERT_EQ(inbox->notifications.size(), 1u);
    EXPECT_EQ(inbox->notifications[0].action, Action::kUpload);
    EXPECT_EQ(inbox->notifications[0].upload_url, "http://127.0.0.1/api/v1/results/" + to_hex(tid.view()));

    EXPECT_EQ(report(w, tid, R::kResultUploading).answer.action, Action::kContinue);
    workerapi::StatusDetails link;
    link.result_link = R"({"storage":"ipfs","location":"/ipfs/Qm"})";
    EXPECT_EQ(report(w, tid, R::kResultUploaded, link).answer.action, Action::kWait);
    task = **store_->task_by_id(tid);
    EXPECT_EQ(task.status, TaskStatus::kResultUploaded);
    EXPECT_EQ(task.result_link, link.result_link);
}

// The chain mirror can see TaskConsensus before the contributor's CONTRIBUTED arrives: the replicate still
// CONTRIBUTING is left alone by apply_consensus, and its late CONTRIBUTED gets the reveal request (same hash); once
// finalized, notify_completed sends PLEASE_COMPLETE and COMPLETING is answered PLEASE_CONTINUE.
TEST_P(CoreSchedulerTest, ContributedAfterTheConsensusIsAskedToRevealThenToComplete) {
    const DealRecord d = add_deal(2, 1);
    const Address w = add_worker(0x22, 1);
    ASSERT_EQ(*core_->assign_round(), 1u);
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    walk_to_computed(w, tid);
    EXPECT_EQ(report(w, tid, R::kContributing).answer.action, Action::kContinue);
    ASSERT_TRUE(*core_->apply_consensus(tid, h(0xab), d.start_time + 3000, 9));
    auto inbox = core_->notifications(w, 1);
    ASSERT_TRUE(inbox);
    EXPECT_TRUE(inbox->notifications.empty()) << "no abort for a replicate still contributing";
    workerapi::StatusDetails contribution;
    contribution.result_hash = h(0xab);
    contribution.result_seal = h(0xac);
    EXPECT_EQ(report(w, tid, R::kContributed, contribution).answer.action, Action::kWait);
    inbox = core_->notifications(w, 1);
    ASSERT_EQ(inbox->notifications.size(), 1u);
    EXPECT_EQ(inbox->notifications[0].action, Action::kReveal);

    EXPECT_EQ(report(w, tid, R::kRevealing).answer.action, Action::kContinue);
    EXPECT_EQ(report(w, tid, R::kRevealed).answer.action, Action::kWait);
    auto sent = core_->notify_completed(tid);
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(*sent, 1u);
    inbox = core_->notifications(w, 3);  // 2 PLEASE_REVEAL, 3 PLEASE_UPLOAD
    ASSERT_EQ(inbox->notifications.size(), 1u);
    EXPECT_EQ(inbox->notifications[0].action, Action::kComplete);
    EXPECT_EQ(*core_->notify_completed(h(0x99)), 0u);  // an unknown task
}

// Another contributor's late CONTRIBUTED with a hash that lost: answered ABORT CONSENSUS_REACHED.
TEST_P(CoreSchedulerTest, ContributedAfterAnotherConsensusIsAborted) {
    const DealRecord d = add_deal(3, 1);
    const Address w = add_worker(0x23, 1);
    ASSERT_EQ(*core_->assign_round(), 1u);
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    walk_to_computed(w, tid);
    EXPECT_EQ(report(w, tid, R::kContributing).answer.action, Action::kContinue);
    ASSERT_TRUE(*core_->apply_consensus(tid, h(0xab), d.start_time + 3000, 9));
    workerapi::StatusDetails contribution;
    contribution.result_hash = h(0xee);
    contribution.result_seal = h(0xef);
    const auto answer = report(w, tid, R::kContributed, contribution).answer;  // the answer stops it
    EXPECT_EQ(answer.action, Action::kAbort);
    EXPECT_EQ(answer.abort_cause, workerapi::AbortCause::kConsensusReached);
    auto inbox = core_->notifications(w, 1);
    ASSERT_TRUE(inbox);
    EXPECT_TRUE(inbox->notifications.empty());  // nothing more to push
}

TEST_P(CoreSchedulerTest, RefusedUpdatesAndUnknownTasks) {
    const DealRecord d = add_deal(1, 1);
    const Address w = add_worker(0x21, 1);
    ASSERT_EQ(*core_->assign_round(), 1u);
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    const auto refused = report(w, tid, R::kComputed);  // CREATED → COMPUTED
    EXPECT_EQ(refused.http_status, 409u);
    EXPECT_EQ(refused.answer.action, Action::kAbort);
    EXPECT_EQ(refused.answer.abort_cause, workerapi::AbortCause::kRefused);
    EXPECT_EQ(report(w, tid, R::kStarting).http_status, 200u);  // a legal update still works afterwards

    workerapi::StatusDetails no_link;
    auto uploaded = core_->update_status(w, tid, workerapi::StatusUpdate{R::kResultUploaded, no_link});
    ASSERT_FALSE(uploaded);
    EXPECT_EQ(uploaded.error().message,
              "statusUpdate.details: resultLink or callbackData is required with RESULT_UPLOADED");
    auto unknown = core_->update_status(w, h(0x99), workerapi::StatusUpdate{R::kStarting, {}});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message.substr(0, 12), "unknown task");
    auto stranger = core_->update_status(key(0x22).address(), tid, workerapi::StatusUpdate{R::kStarting, {}});
    ASSERT_FALSE(stranger);
    EXPECT_EQ(stranger.error().message.substr(0, 15), "no replicate of");
}

TEST_P(CoreSchedulerTest, TrustFiveDissentAndConsensus) {
    const DealRecord d = add_deal(1, 5);
    const Address a = add_worker(0x21, 1), b = add_worker(0x22, 1), c = add_worker(0x23, 1);
    add_worker(0x24, 1);
    ASSERT_EQ(*core_->assign_round(), 3u);  // 2^3 > 4 with fresh workers
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    std::vector<Address> chosen;
    const auto reps = store_->replicates_of_task(TaskKey{d.deal_id, 0});
    ASSERT_TRUE(reps);
    for (const auto& r : *reps) chosen.push_back(r.worker);
    ASSERT_EQ(chosen.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        walk_to_computed(chosen[i], tid);
        report(chosen[i], tid, R::kContributing);
        workerapi::StatusDetails det;
        det.result_hash = i == 2 ? h(0xee) : h(0xab);  // the third dissents
        det.result_seal = h(0x5e);
        report(chosen[i], tid, R::kContributed, det);
    }
    // A dissent needs more replicates: the fourth worker gets one.
    EXPECT_EQ(*core_->assign_round(), 1u);
    ASSERT_TRUE(*core_->apply_consensus(tid, h(0xab), d.start_time + 3000, 7));
    std::map<Address, Action> last;
    for (const auto& [w, n] : pushed_) last[w] = n.action;
    EXPECT_EQ(last[chosen[0]], Action::kReveal);
    EXPECT_EQ(last[chosen[1]], Action::kReveal);
    EXPECT_EQ(last[chosen[2]], Action::kAbort);
    (void)a;
    (void)b;
    (void)c;
}

TEST_P(CoreSchedulerTest, TeeTrustOneContributesAndFinalizes) {
    const DealRecord d = add_deal(1, 1, 1, kTagTeeTdx);
    const Address plain = add_worker(0x21, 4);
    EXPECT_EQ(*core_->assign_round(), 0u);  // no TDX worker yet
    const Address tdx = add_worker(0x22, 1, {workerapi::TeeFramework::kTdx});
    ASSERT_EQ(*core_->assign_round(), 1u);
    EXPECT_TRUE(core_->notifications(plain, 0)->notifications.empty());
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    for (auto s : {R::kStarting, R::kStarted, R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading,
                   R::kDataDownloaded, R::kComputing})
        report(tdx, tid, s);
    EXPECT_EQ(report(tdx, tid, R::kComputed).answer.action, Action::kContributeAndFinalize);
    EXPECT_EQ(report(tdx, tid, R::kContributeAndFinalizeOngoing).answer.action, Action::kContinue);
    workerapi::StatusDetails det;
    det.result_link = R"({"storage":"ipfs","location":"/ipfs/Qm"})";
    auto incomplete = core_->update_status(tdx, tid, workerapi::StatusUpdate{R::kContributeAndFinalizeDone, det});
    ASSERT_FALSE(incomplete);
    EXPECT_EQ(incomplete.error().code, Errc::kDecoding);
    EXPECT_EQ(incomplete.error().message,
              "statusUpdate.details: resultHash and resultSeal are required with CONTRIBUTE_AND_FINALIZE_DONE");
    det.result_hash = h(0xab);
    det.result_seal = h(0x5e);
    EXPECT_EQ(report(tdx, tid, R::kContributeAndFinalizeDone, det).answer.action, Action::kWait);
    EXPECT_EQ((*store_->task_by_id(tid))->status, TaskStatus::kFinalized);
    // The chain's TaskFinalize completes it (no reveal, no finalize intent) and the worker is told PLEASE_COMPLETE.
    pushed_.clear();
    ASSERT_TRUE(*core_->apply_finalized(tid, std::string(R"({"storage":"pool","location":"x"})")));
    EXPECT_EQ((*store_->task_by_id(tid))->status, TaskStatus::kCompleted);
    EXPECT_EQ((*store_->task_by_id(tid))->result_link, det.result_link);  // the worker's report came first
    ASSERT_EQ(pushed_.size(), 1u);
    EXPECT_EQ(pushed_[0].first, tdx);
    EXPECT_EQ(pushed_[0].second.action, Action::kComplete);
    EXPECT_FALSE(*core_->apply_finalized(tid, std::nullopt));  // at least once: a repeat changes nothing
    EXPECT_EQ(report(tdx, tid, R::kCompleting).answer.action, Action::kContinue);
}

TEST_P(CoreSchedulerTest, ConsensusSeenBeforeTheContributedReport) {
    // The chain is often seen first: the contribution made consensus while the worker's CONTRIBUTED report was on
    // its way. The contributor is not aborted; its report then gets PLEASE_REVEAL if it agrees, PLEASE_ABORT if not.
    const DealRecord d = add_deal(1, 1, 2);
    const Address w = add_worker(0x21, 2);
    ASSERT_EQ(*core_->assign_round(), 2u);
    const Bytes32 t0 = task_id(d.deal_id, U256(0));
    const Bytes32 t1 = task_id(d.deal_id, U256(1));
    for (const Bytes32& t : {t0, t1}) {
        walk_to_computed(w, t);
        EXPECT_EQ(report(w, t, R::kContributing).answer.action, Action::kContinue);
    }
    ASSERT_TRUE(*core_->apply_consensus(t0, h(0xab), d.start_time + 3000, 42));
    ASSERT_TRUE(*core_->apply_consensus(t1, h(0xab), d.start_time + 3000, 42));
    auto inbox = core_->notifications(w, 2);  // after the two PLEASE_STARTs: nothing yet
    ASSERT_TRUE(inbox);
    EXPECT_TRUE(inbox->notifications.empty());
    workerapi::StatusDetails agree;
    agree.result_hash = h(0xab);
    agree.result_seal = h(0xac);
    EXPECT_EQ(report(w, t0, R::kContributed, agree).answer.action, Action::kWait);
    inbox = core_->notifications(w, 2);
    ASSERT_EQ(inbox->notifications.size(), 1u);
    EXPECT_EQ(inbox->notifications[0].task_id, t0);
    EXPECT_EQ(inbox->notifications[0].action, Action::kReveal);
    workerapi::StatusDetails disagree = agree;
    disagree.result_hash = h(0xee);
    const auto answer = report(w, t1, R::kContributed, disagree).answer;
    EXPECT_EQ(answer.action, Action::kAbort);
    EXPECT_EQ(answer.abort_cause, AbortCause::kConsensusReached);
    EXPECT_EQ(report(w, t0, R::kRevealing).answer.action, Action::kContinue);
}

TEST_P(CoreSchedulerTest, TeeTaskGetsTheSimulatedSmsEnclaveKey) {
    const DealRecord d = add_deal(1, 1, 1, kTagTeeScone);
    const Address scone = add_worker(0x22, 1, {workerapi::TeeFramework::kScone});
    ASSERT_EQ(*core_->assign_round(), 1u);
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    const Address challenge = sms_.enclave_challenge(tid);
    // The push carries the key; its address is the authorization's enclave challenge, which the owner signed.
    ASSERT_EQ(pushed_.size(), 1u);
    ASSERT_TRUE(pushed_[0].second.assignment);
    const workerapi::Assignment& a = *pushed_[0].second.assignment;
    EXPECT_EQ(a.authorization.enclave_challenge, challenge);
    EXPECT_FALSE(challenge.is_zero());
    ASSERT_TRUE(a.tee_simulation);
    EXPECT_EQ(a.tee_simulation->version, workerapi::kTeeSimulationVersion);
    EXPECT_EQ((*PrivateKey::from_bytes(a.tee_simulation->enclave_key.view())).address(), challenge);
    auto sig = Signature::parse(ByteView(a.authorization.signature));
    ASSERT_TRUE(sig);
    EXPECT_EQ(*eip191_recover(authorization_hash(scone, tid, challenge).view(), *sig), key(0x71).address());
    // The challenge is recorded in the task row; the inbox row holds no key, the long-poll delivery adds it.
    EXPECT_EQ((*store_->task_by_id(tid))->enclave_challenge, challenge);
    auto stored = store_->notifications_after(scone, 0, 10);
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->notifications.size(), 1u);
    EXPECT_FALSE(stored->notifications[0].assignment->tee_simulation.has_value());
    auto polled = core_->notifications(scone, 0);
    ASSERT_TRUE(polled);
    ASSERT_EQ(polled->notifications.size(), 1u);
    EXPECT_EQ(polled->notifications[0].assignment->tee_simulation, a.tee_simulation);
    // Recovery hands it again (same challenge: derived, not random).
    auto rec = core_->recovery(scone);
    ASSERT_TRUE(rec);
    ASSERT_EQ(rec->items.size(), 1u);
    EXPECT_EQ(rec->items[0].assignment.authorization.enclave_challenge, challenge);
    EXPECT_EQ(rec->items[0].assignment.tee_simulation, a.tee_simulation);
    // A core restarted with the same secret signs the same challenge; one whose secret changed refuses the task.
    CoreOptions same = core_->options();
    CoreScheduler again(*store_, clock_, same);
    auto deal = *store_->deal(d.deal_id);
    auto task = **store_->task_by_id(tid);
    auto rebuilt = again.build_assignment(*deal, task, scone);
    ASSERT_TRUE(rebuilt) << rebuilt.error().message;
    EXPECT_EQ(rebuilt->authorization.enclave_challenge, challenge);
    CoreOptions other = core_->options();
    other.sms = SimulatedSms::from_secret(h(0x98));
    CoreScheduler replaced(*store_, clock_, other);
    auto refused = replaced.build_assignment(*deal, task, scone);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("differs from the simulated SMS's"), std::string::npos)
        << refused.error().message;
    // A standard task: zero challenge, no key.
    const DealRecord plain = add_deal(2, 1);
    auto plain_task = **store_->task_by_id(task_id(plain.deal_id, U256(0)));
    auto std_assignment = core_->build_assignment(**store_->deal(plain.deal_id), plain_task, scone);
    ASSERT_TRUE(std_assignment);
    EXPECT_TRUE(std_assignment->authorization.enclave_challenge.is_zero());
    EXPECT_FALSE(core_->with_enclave_key(*std_assignment).tee_simulation.has_value());
}

TEST_P(CoreSchedulerTest, TeeFinalizedOnChainBeforeTheWorkersReport) {
    const DealRecord d = add_deal(1, 1, 1, kTagTeeTdx);
    const Address tdx = add_worker(0x22, 1, {workerapi::TeeFramework::kTdx});
    const Address plain = add_worker(0x23, 4);
    ASSERT_EQ(*core_->assign_round(), 1u);
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    walk_to_computed(tdx, tid);
    EXPECT_EQ(report(tdx, tid, R::kContributeAndFinalizeOngoing).answer.action, Action::kContinue);
    // contributeAndFinalize emits TaskConsensus too: ignored for a TEE trust-1 task.
    EXPECT_FALSE(*core_->apply_consensus(tid, h(0xab), d.start_time + 3000, 7));
    EXPECT_EQ((*store_->task_by_id(tid))->status, TaskStatus::kRunning);
    // TaskFinalize seen while the task is RUNNING: FINALIZED then COMPLETED, the link from the event.
    ASSERT_TRUE(*core_->apply_finalized(tid, std::string(R"({"storage":"pool","location":"y"})")));
    auto t = **store_->task_by_id(tid);
    EXPECT_EQ(t.status, TaskStatus::kCompleted);
    EXPECT_EQ(t.result_link, std::string(R"({"storage":"pool","location":"y"})"));
    workerapi::StatusDetails det;
    det.result_link = R"({"storage":"pool","location":"y"})";
    det.result_hash = h(0xab);
    det.result_seal = h(0x5e);
    EXPECT_EQ(report(tdx, tid, R::kContributeAndFinalizeDone, det).answer.action, Action::kComplete);
    // A standard task is completed by its finalize intent, never by the observation.
    const DealRecord std_deal = add_deal(2, 1);
    ASSERT_EQ(*core_->assign_round(), 1u);
    const Bytes32 std_tid = task_id(std_deal.deal_id, U256(0));
    walk_to_computed(plain, std_tid);
    EXPECT_FALSE(*core_->apply_finalized(std_tid, std::nullopt));
    EXPECT_EQ((*store_->task_by_id(std_tid))->status, TaskStatus::kRunning);
    EXPECT_FALSE(*core_->apply_finalized(h(0x42), std::nullopt));  // not ours
}

TEST_P(CoreSchedulerTest, SilentWorkerIsLostReplacedAndRecovers) {
    const DealRecord d = add_deal(1, 1);
    const Address first = add_worker(0x21, 1);
    ASSERT_EQ(*core_->assign_round(), 1u);
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    report(first, tid, R::kStarting);
    const Address second = add_worker(0x22, 1);
    EXPECT_EQ(*core_->assign_round(), 0u);  // the first replicate still counts

    clock_.advance(std::chrono::seconds(30));
    ASSERT_TRUE(core_->heartbeat(second, {}));
    EXPECT_TRUE(core_->check_liveness()->empty());
    clock_.advance(std::chrono::seconds(31));  // first: silent 61 s; second: 31 s
    auto lost = core_->check_liveness();
    ASSERT_TRUE(lost) << lost.error().message;
    ASSERT_EQ(lost->size(), 1u);
    EXPECT_EQ((*lost)[0], first);
    EXPECT_EQ((*store_->replicate(TaskKey{d.deal_id, 0}, first))->status, R::kWorkerLost);
    // The lost replicate no longer counts: the task goes to the second worker.
    EXPECT_EQ(*core_->assign_round(), 1u);
    EXPECT_EQ(core_->notifications(second, 0)->notifications.size(), 1u);

    // The first worker comes back: heartbeat says it is known; recovery hands it back with a fresh authorization.
    auto hb = core_->heartbeat(first, {});
    ASSERT_TRUE(hb);
    EXPECT_FALSE(hb->reregister);
    auto rec = core_->recovery(first);
    ASSERT_TRUE(rec) << rec.error().message;
    ASSERT_EQ(rec->items.size(), 1u);
    EXPECT_EQ(rec->items[0].task_id, tid);
    EXPECT_EQ(rec->items[0].last_status, R::kStarting);
    EXPECT_EQ(rec->items[0].action, Action::kContribute);
    EXPECT_EQ(rec->items[0].assignment.authorization.worker, first);
    EXPECT_EQ((*store_->replicate(TaskKey{d.deal_id, 0}, first))->status, R::kRecovering);
    // An unknown worker is told to register.
    EXPECT_TRUE(core_->heartbeat(key(0x33).address(), {})->reregister);
}

std::vector<workerapi::Notification> inbox_of(CoreScheduler& core, const Address& w) {
    auto b = core.notifications(w, 0);
    EXPECT_TRUE(b) << b.error().message;
    return b ? b->notifications : std::vector<workerapi::Notification>{};
}

TEST_P(CoreSchedulerTest, ContributionThenFinalDeadlineTimers) {
    const DealRecord d = add_deal(1, 1);
    const Address w = add_worker(0x21, 1);
    ASSERT_EQ(*core_->assign_round(), 1u);
    const Bytes32 tid = task_id(d.deal_id, U256(0));
    report(w, tid, R::kStarting);
    report(w, tid, R::kStarted);
    EXPECT_EQ(*core_->run_due(), 0u);  // nothing due yet
    clock_.advance(std::chrono::seconds(7 * 300 - 1));
    EXPECT_EQ(*core_->run_due(), 0u);
    clock_.advance(std::chrono::seconds(1));  // the contribution deadline
    EXPECT_EQ(*core_->run_due(), 1u);
    auto t = **store_->task_by_id(tid);
    EXPECT_EQ(t.status, TaskStatus::kContributionTimeout);
    EXPECT_EQ(t.due_ms, d.final_deadline * 1000);
    auto inbox = inbox_of(*core_, w);
    ASSERT_EQ(inbox.size(), 2u);
    EXPECT_EQ(inbox[1].action, Action::kAbort);
    EXPECT_EQ(inbox[1].abort_cause, workerapi::AbortCause::kContributionTimeout);
    // A late COMPUTED is told to stop.
    for (auto s : {R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading, R::kDataDownloaded, R::kComputing})
        report(w, tid, s);
    EXPECT_EQ(report(w, tid, R::kComputed).answer.action, Action::kAbort);

    clock_.advance(std::chrono::seconds(3 * 300));  // the final deadline
    EXPECT_EQ(*core_->run_due(), 1u);
    t = **store_->task_by_id(tid);
    EXPECT_EQ(t.status, TaskStatus::kFinalDeadlineReached);
    EXPECT_FALSE(t.due_ms);
    EXPECT_EQ(inbox_of(*core_, w).back().abort_cause, workerapi::AbortCause::kFinalDeadline);
    EXPECT_EQ(*core_->run_due(), 0u);
}

TEST_P(CoreSchedulerTest, RevealTimeoutReopensAndUploadTimeoutAsksAnother) {
    // Task 0: consensus, nobody reveals → REOPENING. Task 1 (trust 3, two agreeing workers): the first uploader is
    // silent → the second is asked → then nobody: RESULT_UPLOAD_TIMEOUT.
    const DealRecord d = add_deal(1, 3, 2);
    const Address a = add_worker(0x21, 2), b = add_worker(0x22, 2);
    ASSERT_EQ(*core_->assign_round(), 4u);  // 2 replicates per task
    const Bytes32 t0 = task_id(d.deal_id, U256(0)), t1 = task_id(d.deal_id, U256(1));
    for (const Bytes32& t : {t0, t1})
        for (const Address& w : {a, b}) contribute_ab(w, t);
    const std::int64_t reveal_deadline = clock_.unix_ms() / 1000 + 600;
    ASSERT_TRUE(*core_->apply_consensus(t0, h(0xab), reveal_deadline, 5));
    ASSERT_TRUE(*core_->apply_consensus(t1, h(0xab), reveal_deadline, 5));
    for (const Address& w : {a, b}) {
        report(w, t1, R::kRevealing);
        report(w, t1, R::kRevealed);
    }
    auto task1 = **store_->task_by_id(t1);
    ASSERT_EQ(task1.status, TaskStatus::kResultUploading);
    const Address first = *task1.uploader;
    const Address second = first == a ? b : a;

    clock_.advance(std::chrono::seconds(120));  // the upload timeout
    EXPECT_EQ(*core_->run_due(), 1u);
    task1 = **store_->task_by_id(t1);
    EXPECT_EQ(task1.uploader, second);
    EXPECT_EQ(inbox_of(*core_, second).back().action, Action::kUpload);
    EXPECT_EQ((*store_->replicate(TaskKey{d.deal_id, 1}, second))->status, R::kResultUploadRequested);

    clock_.advance(std::chrono::seconds(480));  // the reveal deadline of task 0, the second upload timeout of task 1
    EXPECT_EQ(*core_->run_due(), 2u);
    EXPECT_EQ((*store_->task_by_id(t0))->status, TaskStatus::kReopening);
    EXPECT_EQ((*store_->replicate(TaskKey{d.deal_id, 0}, a))->status, R::kFailed);
    EXPECT_EQ(inbox_of(*core_, a).back().abort_cause, workerapi::AbortCause::kTaskFailed);
    // Nobody else revealed: the silent second uploader is asked again (3rd request), and again (4th: upload_attempts),
    // then the task gives up.
    EXPECT_EQ((*store_->task_by_id(t1))->status, TaskStatus::kResultUploading);
    EXPECT_EQ((*store_->task_by_id(t1))->uploader, second);
    const auto uploads_of_t1 = [&] {
        const auto inbox = inbox_of(*core_, second);
        return std::count_if(inbox.begin(), inbox.end(),
                             [&](const auto& n) { return n.task_id == t1 && n.action == Action::kUpload; });
    };
    EXPECT_EQ(uploads_of_t1(), 2);
    clock_.advance(std::chrono::seconds(120));
    EXPECT_EQ(*core_->run_due(), 1u);
    EXPECT_EQ((*store_->task_by_id(t1))->status, TaskStatus::kResultUploading);
    EXPECT_EQ(uploads_of_t1(), 3);
    clock_.advance(std::chrono::seconds(120));
    EXPECT_EQ(*core_->run_due(), 1u);
    EXPECT_EQ((*store_->task_by_id(t1))->status, TaskStatus::kResultUploadTimeout);
}

TEST_P(CoreSchedulerTest, AFailedUploadIsAskedAgainAfterABackOffAndSucceeds) {
    const DealRecord d = add_deal(1, 1);
    const Address w = add_worker(0x21, 2);
    const Bytes32 t = task_id(d.deal_id, U256(0));
    ASSERT_NO_FATAL_FAILURE(bring_to_upload(w, t));

    // The upload fails: the worker is told to wait (it keeps its result), asked again 5 s later (upload_retry).
    EXPECT_EQ(report(w, t, R::kResultUploading).answer.action, Action::kContinue);
    workerapi::StatusDetails failed;
    failed.cause = workerapi::FailureCause::kUploadFailed;
    const auto answer = report(w, t, R::kResultUploadFailed, failed);
    EXPECT_EQ(answer.http_status, 200u);
    EXPECT_EQ(answer.answer.action, Action::kWait);
    EXPECT_EQ((*store_->task_by_id(t))->due_ms, clock_.unix_ms() + 5000);  // a durable due-time
    clock_.advance(std::chrono::milliseconds(4999));
    EXPECT_EQ(*core_->run_due(), 0u);
    clock_.advance(std::chrono::milliseconds(1));
    EXPECT_EQ(*core_->run_due(), 1u);
    EXPECT_EQ((*store_->replicate(TaskKey{d.deal_id, 0}, w))->status, R::kResultUploadRequested);
    EXPECT_EQ(inbox_of(*core_, w).back().action, Action::kUpload);

    // The second attempt is a new report (not the first attempt's recorded answer) and succeeds.
    const auto again = report(w, t, R::kResultUploading);
    EXPECT_EQ(again.answer.action, Action::kContinue);
    EXPECT_FALSE(again.answer.duplicate);
    workerapi::StatusDetails link;
    link.result_link = R"({"storage":"pool","location":"again"})";
    EXPECT_EQ(report(w, t, R::kResultUploaded, link).answer.action, Action::kWait);
    const auto task = **store_->task_by_id(t);
    EXPECT_EQ(task.status, TaskStatus::kResultUploaded);
    EXPECT_EQ(task.result_link, link.result_link);
}

TEST_P(CoreSchedulerTest, AnUploaderThatKeepsFailingIsAskedUploadAttemptsTimesWithGrowingBackOff) {
    const DealRecord d = add_deal(1, 1);
    const Address w = add_worker(0x21, 2);
    const Bytes32 t = task_id(d.deal_id, U256(0));
    ASSERT_NO_FATAL_FAILURE(bring_to_upload(w, t));
    // Back-offs 5, 10, 20 s after the 1st, 2nd and 3rd request; the 4th failure (upload_attempts = 4) is final.
    for (std::int64_t backoff_s : {5, 10, 20}) {
        report(w, t, R::kResultUploading);
        EXPECT_EQ(report(w, t, R::kResultUploadFailed).answer.action, Action::kWait);
        EXPECT_EQ((*store_->task_by_id(t))->due_ms, clock_.unix_ms() + backoff_s * 1000);
        clock_.advance(std::chrono::seconds(backoff_s));
        EXPECT_EQ(*core_->run_due(), 1u);
        EXPECT_EQ(inbox_of(*core_, w).back().action, Action::kUpload);
    }
    report(w, t, R::kResultUploading);
    const auto last = report(w, t, R::kResultUploadFailed);
    EXPECT_EQ(last.answer.action, Action::kAbort);
    EXPECT_EQ(*core_->run_due(), 1u);  // due at once: nobody else revealed
    const auto task = **store_->task_by_id(t);
    EXPECT_EQ(task.status, TaskStatus::kResultUploadTimeout);
    EXPECT_EQ(task.failure, "no revealed worker uploaded the result");
}

TEST_P(CoreSchedulerTest, ConcurrentSchedulersNeverOverfillSlots) {
    // Two scheduler instances on one database (as after a botched fail-over) run rounds at once: the slot-checked
    // reservation keeps every worker within its slots and gives a worker at most one replicate per task.
    add_deal(1, 1, 40);
    for (std::uint8_t w = 0; w < 6; ++w) add_worker(static_cast<std::uint8_t>(0x40 + w), 3);
    CoreOptions o;
    o.signer = key(0x71);
    CoreScheduler other(*store_, clock_, o);
    std::atomic<std::size_t> created{0};
    std::vector<std::thread> threads;
    for (CoreScheduler* c : {&*core_, &other})
        threads.emplace_back([&, c] {
            for (int i = 0; i < 5; ++i) {
                auto n = c->assign_round();
                ASSERT_TRUE(n) << n.error().message;
                created += *n;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(created.load(), 18u);  // 6 workers × 3 slots
    auto workers = store_->workers();
    ASSERT_TRUE(workers);
    for (const auto& w : *workers) EXPECT_EQ(w.used_slots, 3u) << w.address.to_checksum();
    std::map<std::pair<std::uint64_t, Address>, int> pairs;
    for (std::uint64_t i = 0; i < 40; ++i) {
        auto reps = store_->replicates_of_task(TaskKey{h(1), i});
        ASSERT_TRUE(reps);
        for (const auto& r : *reps) EXPECT_EQ(++pairs[std::make_pair(i, r.worker)], 1);
    }
}

TEST_P(CoreSchedulerTest, MetricsReportReplicationAndCapacity) {
    add_deal(1, 5);
    for (std::uint8_t w = 0; w < 4; ++w) add_worker(static_cast<std::uint8_t>(0x40 + w), 1);
    ASSERT_EQ(*core_->assign_round(), 3u);
    const auto reps = store_->replicates_of_task(TaskKey{h(1), 0});
    ASSERT_TRUE(reps);
    const Address kept = (*reps)[0].worker;  // stays alive; the other three workers go silent
    clock_.advance(std::chrono::seconds(30));
    ASSERT_TRUE(core_->heartbeat(kept, {}));
    clock_.advance(std::chrono::seconds(31));
    ASSERT_EQ(core_->check_liveness()->size(), 3u);
    net::MetricsRegistry registry;
    auto refreshed = refresh_metrics(*store_, registry);
    ASSERT_TRUE(refreshed) << refreshed.error().message;
    const auto gauge = [&](const char* name, net::MetricLabels labels = {}) {
        return registry.gauge(name, "", labels).value();
    };
    EXPECT_EQ(gauge("wp_scheduler_tasks", {{"status", "INITIALIZED"}}), 1.0);
    EXPECT_EQ(gauge("wp_scheduler_tasks", {{"status", "RUNNING"}}), 0.0);
    EXPECT_EQ(gauge("wp_scheduler_replicates_per_task"), 3.0);  // trust 5, fresh workers
    EXPECT_EQ(gauge("wp_scheduler_replicates", {{"status", "WORKER_LOST"}}), 2.0);
    EXPECT_EQ(gauge("wp_scheduler_workers", {{"state", "alive"}}), 1.0);
    EXPECT_EQ(gauge("wp_scheduler_workers", {{"state", "lost"}}), 3.0);
    EXPECT_EQ(gauge("wp_scheduler_slots", {{"state", "total"}}), 1.0);
    EXPECT_EQ(gauge("wp_scheduler_slots", {{"state", "used"}}), 1.0);
    EXPECT_NE(registry.render().find("wp_scheduler_replicates_per_task 3"), std::string::npos) << registry.render();
}

TEST_P(CoreSchedulerTest, AuthorizationMatchesTheReferenceVector) {
    // vectors.json "workerpoolAuthorizations"[0] (ethers 6.17 and anvil personal_sign): signer anvil-2.
    const std::string path = std::string(WP_SHARED_DIR) + "/reference/vectors.json";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "cannot open the reference vectors: looked for " << path;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const boost::json::value doc = boost::json::parse(text);
    const auto& v = doc.at("workerpoolAuthorizations").at(0);
    const auto str = [&](const char* k) { return std::string(v.at(k).as_string().c_str()); };
    CoreOptions o;
    o.signer = *PrivateKey::from_hex("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
    ASSERT_EQ(o.signer.address().to_checksum(), str("signerAddress"));
    CoreScheduler core(*store_, clock_, o);
    DealRecord deal;
    TaskRecord task;
    task.task_id = *bytes32_from_hex(str("taskid"));
    task.enclave_challenge = *Address::parse(str("enclaveChallenge"));
    const Address worker = *Address::parse(str("worker"));
    auto a = core.build_assignment(deal, task, worker);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(to_hex(ByteView(a->authorization.signature)), str("signature"));
    EXPECT_EQ(to_hex(authorization_hash(worker, task.task_id, task.enclave_challenge).view()), str("hash"));
}

WP_INSTANTIATE_ON_BOTH_BACKENDS(CoreSchedulerTest);

}  // namespace
}  // namespace wp::scheduler
