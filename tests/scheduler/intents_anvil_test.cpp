// On-chain intents (libs/wp/scheduler/task_intents.hpp) against the real PoCo 6.1.0 on anvil, with the real
// TxManager and its journal in the scheduler's database: initialize in one initializeArray → tasks ACTIVE on chain
// and INITIALIZED here; a crash between the status commit and the submit → resubmitted with the same key, one
// transaction in all; final deadline → claim (initializeAndClaimArray for a task never initialized) → FAILED on
// chain, the requester refunded.
// The restart reconciliation (TaskIntents::reconcile_with_chain, resubmit_lost): the chain is driven by hand to the
// state the lost reports / outcomes would have reported (a worker's contribute and reveal, the owner's finalize,
// reopen or initialize whose outcome the core lost, a claim by the requester), then the core restarts on its
// database and must end in the chain's state, with no transaction of the owner sent by the core
// (owner_transactions.hpp reads the blocks back).
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <wp/chain/mirror.hpp>
#include <wp/chain/sql_tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/clock.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/scheduler/core_scheduler.hpp>
#include <wp/scheduler/deal_intake.hpp>
#include <wp/scheduler/scheduler_store.hpp>
#include <wp/scheduler/schema.hpp>
#include <wp/scheduler/task_intents.hpp>
#include <wp/store/pg_test_support.hpp>

#include "core_chain_fixture.hpp"
#include "owner_transactions.hpp"

namespace wp {
namespace {

using scheduler::TaskStatus;

const Bytes32 kDigest = keccak256(test::bytes_of("reconciled result"));

class IntentsAnvil : public test::CoreChainFixture {
  protected:
    IntentsAnvil() : CoreChainFixture("core_intents") {}

    void SetUp() override {
        CoreChainFixture::SetUp();
        if (HasFatalFailure()) return;
        core_ = make_core();
        open_core();
    }
    void TearDown() override {
        close_core();
        core_.reset();
        CoreChainFixture::TearDown();
    }

    //! The chain side of a core: intake mirror, TxManager (journal in the same database), intents.
    void open_core() {
        open_intake();
        if (HasFatalFailure()) return;
        auto journal = chain::SqlTxJournal::open(*db_, "core-test");
        ASSERT_TRUE(journal) << journal.error().message;
        journal_ = std::shared_ptr<chain::SqlTxJournal>(std::move(*journal));
        auto txm = chain::TxManager::open(rpc(), key(test::kScheduler), journal_);
        ASSERT_TRUE(txm) << txm.error().message;
        txm_ = std::move(*txm);
        scheduler::IntentOptions o;
        o.init_mode = scheduler::InitMode::kEager;
        intents_ = std::make_unique<scheduler::TaskIntents>(*store_, *core_, hub(), *txm_, clock_, o);
    }
    void close_core() {
        intents_.reset();
        txm_.reset();
        journal_.reset();
        close_intake();
    }
    //! TxManager rounds until nothing is in flight, then the outcomes applied.
    void settle() {
        std::vector<chain::TxOutcome> outcomes;
        for (int i = 0; i < 2000 && txm_->in_flight() > 0; ++i) {
            auto round = txm_->poll();
            ASSERT_TRUE(round) << round.error().message;
            for (auto& o : *round) outcomes.push_back(std::move(o));
        }
        ASSERT_EQ(txm_->in_flight(), 0U);
        auto applied = intents_->apply_outcomes(outcomes);
        ASSERT_TRUE(applied) << applied.error().message;
    }
    std::size_t transactions_from(const Address& who) {
        auto n = eth().get_transaction_count(who, chain::BlockTag::latest());
        EXPECT_TRUE(n);
        return n ? static_cast<std::size_t>(*n) : 0;
    }

    // ---- the restart reconciliation ----

    //! A deal of `volume` tasks matched, taken in and initialized (one initializeArray): INITIALIZED here.
    Bytes32 initialized_deal(std::uint64_t salt, std::uint64_t volume = 1) {
        const Bytes32 deal = match(make_orders(assets_, U256(volume), false, salt));
        sync();
        auto n = intents_->initialize_ready();
        EXPECT_TRUE(n) << n.error().message;
        settle();
        for (std::uint64_t i = 0; i < volume; ++i) EXPECT_EQ(status(deal, i), TaskStatus::kInitialized);
        return deal;
    }
    //! The dev worker registered and given the task (a CREATED replicate, its authorization signed by the owner).
    void assign_worker() {
        workerapi::WorkerRegistration r;
        r.name = "reconciled";
        r.version = "1";
        r.cpu_slots = 4;
        auto registered = core_->register_worker(address(test::kWorker), r);
        ASSERT_TRUE(registered) << registered.error().message;
        auto n = core_->assign_round();
        ASSERT_TRUE(n) << n.error().message;
        ASSERT_EQ(*n, 1U);
    }
    //! Task 0 of `deal` moved to INITIALIZING with its initialize intent's key committed, as the core does right
    //! before it submits — but nothing is sent. Use with ASSERT_NO_FATAL_FAILURE.
    void mark_initialize_submitted(const Bytes32& deal) {
        auto t = store_->task(scheduler::TaskKey{deal, 0});
        ASSERT_TRUE(t && *t);
        scheduler::TaskChange change;
        change.initialize_intent = "initialize:" + to_hex((*t)->task_id.view());
        change.clear_due = true;
        ASSERT_TRUE(store_->transition_task(**t, scheduler::TaskEvent::kInitializeSubmitted, change, clock_.unix_ms()));
    }
    //! How far the dev worker went on chain with its task (opened_task()); the core never got the reports.
    enum class OnChain { kAssigned, kContributed, kRevealed };
    struct Opened {
        Bytes32 deal;
        Bytes32 task;
    };
    //! The reconciliation cases' opening: a one-task deal initialized, its task assigned to the dev worker, which then
    //! contributes kDigest (kContributed) and reveals it (kRevealed) on chain. Use with ASSERT_NO_FATAL_FAILURE.
    void opened_task(std::uint64_t salt, OnChain upto, Opened& out) {
        out.deal = initialized_deal(salt);
        ASSERT_NO_FATAL_FAILURE(assign_worker());
        out.task = task_id(out.deal, U256(0));
        if (upto == OnChain::kAssigned) return;
        ASSERT_NO_FATAL_FAILURE(contribute_on_chain(out.task, kDigest));
        if (upto == OnChain::kRevealed) {
            ASSERT_NO_FATAL_FAILURE(reveal_on_chain(out.task, kDigest));
        }
    }
    //! The chain and the core's clock moved past the deal's final deadline.
    void past_final_deadline(const Bytes32& deal) {
        auto d = store_->deal(deal);
        ASSERT_TRUE(d && *d);
        auto now = block_timestamp();
        ASSERT_TRUE(now);
        const auto wait = static_cast<std::uint64_t>((*d)->final_deadline) - *now + 5;
        ASSERT_TRUE(advance_time(wait));
        clock_.advance(std::chrono::seconds(static_cast<std::int64_t>(wait)));
    }
    //! What the worker does on chain and whose report the core never gets.
    void contribute_on_chain(const Bytes32& task, const Bytes32& digest) {
        const Address w = address(test::kWorker);
        const Bytes auth = sign_authorization(key(test::kScheduler), w, task, Address{});
        auto r = send(hub().contribute(task, result_hash(task, digest), result_seal(w, task, digest), Address{},
                                       ByteView{}, auth),
                      key(test::kWorker));
        ASSERT_TRUE(r) << r.error().message;
    }
    void reveal_on_chain(const Bytes32& task, const Bytes32& digest) {
        auto r = send(hub().reveal(task, digest), key(test::kWorker));
        ASSERT_TRUE(r) << r.error().message;
    }
    //! A new process on the same database: the scheduler, its journal, TxManager and mirror opened again.
    void restart() {
        close_core();
        scheduler::CoreOptions o = core_->options();
        core_ = std::make_unique<scheduler::CoreScheduler>(*store_, clock_, o);
        open_core();
        sync();
    }
    scheduler::ChainReconciliation reconcile() {
        auto r = intents_->reconcile_with_chain_counted();
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : scheduler::ChainReconciliation{};
    }
    std::optional<scheduler::ReplicateRecord> replicate_of(const Bytes32& deal, std::uint64_t idx) {
        auto r = store_->replicate(scheduler::TaskKey{deal, idx}, address(test::kWorker));
        EXPECT_TRUE(r);
        return r ? *r : std::nullopt;
    }
    wp::TaskStatus chain_status(const Bytes32& task) {
        auto v = hub().view_task(task);
        EXPECT_TRUE(v);
        return v ? v->status : wp::TaskStatus::kUnset;
    }
    std::uint64_t head() {
        auto h = eth().block_number();
        EXPECT_TRUE(h);
        return h ? *h : 0;
    }
    //! The owner's transactions in blocks (from, head].
    test::OwnerTransactions owner_since(std::uint64_t from) {
        return test::owner_transactions(rpc(), address(test::kScheduler), from, head());
    }
    //! `submitted` (an intents step after the reconciliation) sent nothing, and nothing of the owner was mined since
    //! block `from`.
    void expect_nothing_sent(const Result<std::size_t>& submitted, std::uint64_t from) {
        ASSERT_TRUE(submitted) << submitted.error().message;
        EXPECT_EQ(*submitted, 0U);
        settle();
        EXPECT_EQ(owner_since(from).count, 0U);
    }

    std::unique_ptr<scheduler::CoreScheduler> core_;
    std::shared_ptr<chain::SqlTxJournal> journal_;
    std::unique_ptr<chain::TxManager> txm_;
    std::unique_ptr<scheduler::TaskIntents> intents_;
};

TEST_F(IntentsAnvil, InitializesReadyTasksInOneInitializeArray) {
    const Bytes32 deal = match(make_orders(assets_, U256(3), false, 9600));
    sync();
    const auto before = transactions_from(address(test::kScheduler));
    auto n = intents_->initialize_ready();
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 3U);
    for (std::uint64_t i = 0; i < 3; ++i) EXPECT_EQ(status(deal, i), TaskStatus::kInitializing);
    settle();
    EXPECT_EQ(transactions_from(address(test::kScheduler)), before + 1);  // one initializeArray
    for (std::uint64_t i = 0; i < 3; ++i) {
        EXPECT_EQ(status(deal, i), TaskStatus::kInitialized);
        auto onchain = hub().view_task(task_id(deal, U256(i)));
        ASSERT_TRUE(onchain);
        EXPECT_EQ(onchain->status, wp::TaskStatus::kActive);
    }
    // Nothing left to do: no second transaction.
    auto again = intents_->initialize_ready();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0U);
    EXPECT_EQ(transactions_from(address(test::kScheduler)), before + 1);
}

TEST_F(IntentsAnvil, ACrashBetweenTheCommitAndTheSubmitIsResubmittedOnce) {
    const Bytes32 deal = match(make_orders(assets_, U256(1), false, 9700));
    sync();
    // The status change with its key commits, then the process dies before submit_durable.
    ASSERT_NO_FATAL_FAILURE(mark_initialize_submitted(deal));
    close_core();
    open_core();
    const auto before = transactions_from(address(test::kScheduler));
    auto lost = intents_->resubmit_lost();
    ASSERT_TRUE(lost) << lost.error().message;
    EXPECT_EQ(*lost, 1U);
    settle();
    EXPECT_EQ(status(deal, 0), TaskStatus::kInitialized);
    // A restart now: the key is known to the journal, nothing is sent again.
    close_core();
    open_core();
    auto none = intents_->resubmit_lost();
    ASSERT_TRUE(none);
    EXPECT_EQ(*none, 0U);
    EXPECT_EQ(transactions_from(address(test::kScheduler)), before + 1);
}

TEST_F(IntentsAnvil, FinalDeadlineClaimsAndRefundsTheRequester) {
    const Address requester = address(test::kRequester);
    const auto start = hub().view_account(requester);
    ASSERT_TRUE(start);
    const Bytes32 deal = match(make_orders(assets_, U256(2), false, 9800));
    sync();
    auto locked = hub().view_account(requester);
    ASSERT_TRUE(locked);
    EXPECT_GT(locked->locked, start->locked);
    // Task 0 initialized, task 1 never (it is claimed with initializeAndClaimArray).
    auto t0 = store_->task(scheduler::TaskKey{deal, 0});
    ASSERT_TRUE(t0 && *t0);
    {
        scheduler::IntentOptions o;
        o.init_mode = scheduler::InitMode::kEager;
        o.max_per_round = 1;
        scheduler::TaskIntents one(*store_, *core_, hub(), *txm_, clock_, o);
        auto n = one.initialize_ready();
        ASSERT_TRUE(n) << n.error().message;
        ASSERT_EQ(*n, 1U);
    }
    settle();
    ASSERT_NO_FATAL_FAILURE(past_final_deadline(deal));
    auto fired = core_->run_due();
    ASSERT_TRUE(fired) << fired.error().message;
    auto claimed = intents_->claim_ready();
    ASSERT_TRUE(claimed) << claimed.error().message;
    EXPECT_EQ(*claimed, 2U);
    settle();
    for (std::uint64_t i = 0; i < 2; ++i) {
        EXPECT_EQ(status(deal, i), TaskStatus::kFailed);
        auto onchain = hub().view_task(task_id(deal, U256(i)));
        ASSERT_TRUE(onchain);
        EXPECT_EQ(onchain->status, wp::TaskStatus::kFailed);
    }
    auto end = hub().view_account(requester);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->locked, start->locked);  // nothing of the deal stays locked
    EXPECT_EQ(end->stake, start->stake);    // the requester got every nRLC back
}

TEST_F(IntentsAnvil, ReconcileReadsEveryTaskInBatches) {
    // 250 tasks RECEIVED: one viewTask each, in 3 JSON-RPC batches of at most 100; nothing moves, nothing is sent.
    const Bytes32 deal = match(make_orders(assets_, U256(250), false, 9900));
    sync();
    ASSERT_EQ(task_count(), 250U);
    const std::uint64_t from = head();
    const auto r = reconcile();
    EXPECT_EQ(r.task_batches, 3U);
    EXPECT_EQ(r.tasks + r.replicates + r.consensus, 0U);
    EXPECT_EQ(r.contribution_batches, 0U);
    EXPECT_EQ(status(deal, 249), TaskStatus::kReceived);
    EXPECT_EQ(owner_since(from).count, 0U);
}

TEST_F(IntentsAnvil, ReconcileAppliesAContributionConsensusAndRevealWhoseReportsWereLost) {
    Opened o;
    ASSERT_NO_FATAL_FAILURE(opened_task(10'000, OnChain::kAssigned, o));
    const Bytes32 deal = o.deal, task = o.task;
    const std::uint64_t from = head();
    // The worker contributes (trust 1: the consensus at once, REVEALING on chain); its report and the mirror's
    // TaskConsensus observation are lost with the process.
    ASSERT_NO_FATAL_FAILURE(contribute_on_chain(task, kDigest));
    ASSERT_EQ(chain_status(task), wp::TaskStatus::kRevealing);
    restart();
    auto r = reconcile();
    EXPECT_EQ(r.replicates, 1U);
    EXPECT_EQ(r.consensus, 1U);
    EXPECT_EQ(r.contribution_batches, 1U);
    EXPECT_EQ(status(deal, 0), TaskStatus::kConsensusReached);
    auto rep = replicate_of(deal, 0);
    ASSERT_TRUE(rep);
    EXPECT_EQ(rep->status, workerapi::ReplicateStatus::kContributed);
    EXPECT_EQ(rep->details.result_hash, result_hash(task, kDigest));
    auto t = store_->task_by_id(task);
    ASSERT_TRUE(t && *t);
    EXPECT_EQ((*t)->consensus, result_hash(task, kDigest));
    // The worker reveals; that report is lost too: the first reveal asks it to upload.
    ASSERT_NO_FATAL_FAILURE(reveal_on_chain(task, kDigest));
    restart();
    r = reconcile();
    EXPECT_EQ(r.replicates, 1U);
    EXPECT_EQ(status(deal, 0), TaskStatus::kResultUploading);
    rep = replicate_of(deal, 0);
    ASSERT_TRUE(rep);
    EXPECT_EQ(rep->status, workerapi::ReplicateStatus::kResultUploadRequested);
    t = store_->task_by_id(task);
    ASSERT_TRUE(t && *t);
    EXPECT_EQ((*t)->uploader, address(test::kWorker));
    // The worker repeating a lost report gets the recorded answer (the same as a live report would have had).
    workerapi::StatusUpdate again;
    again.status = workerapi::ReplicateStatus::kContributed;
    again.details.result_hash = result_hash(task, kDigest);
    again.details.result_seal = result_seal(address(test::kWorker), task, kDigest);
    auto answer = core_->update_status(address(test::kWorker), task, again);
    ASSERT_TRUE(answer) << answer.error().message;
    EXPECT_EQ(answer->http_status, 200U);
    // A second pass finds nothing to do; the core sent nothing.
    r = reconcile();
    EXPECT_EQ(r.tasks + r.replicates + r.consensus, 0U);
    EXPECT_EQ(owner_since(from).count, 0U);
}

TEST_F(IntentsAnvil, AFinalizeThatLandedWithItsJournalLostCompletesTheTaskWithoutASecondFinalize) {
    Opened o;
    ASSERT_NO_FATAL_FAILURE(opened_task(10'100, OnChain::kRevealed, o));
    const Bytes32 deal = o.deal, task = o.task;
    restart();
    reconcile();
    ASSERT_EQ(status(deal, 0), TaskStatus::kResultUploading);
    const std::string link = R"({"storage":"pool","location":"reconciled"})";
    for (auto s : {workerapi::ReplicateStatus::kResultUploading, workerapi::ReplicateStatus::kResultUploaded}) {
        workerapi::StatusUpdate u;
        u.status = s;
        if (s == workerapi::ReplicateStatus::kResultUploaded) u.details.result_link = link;
        auto a = core_->update_status(address(test::kWorker), task, u);
        ASSERT_TRUE(a) << a.error().message;
    }
    ASSERT_EQ(status(deal, 0), TaskStatus::kResultUploaded);
    // The finalize intent is in the task row, its call landed on chain, and the journal lost it (another journal).
    auto t = store_->task_by_id(task);
    ASSERT_TRUE(t && *t);
    scheduler::TaskChange change;
    change.finalize_intent = "finalize:" + to_hex(task.view()) + ":" + std::to_string((*t)->version);
    ASSERT_TRUE(store_->transition_task(**t, scheduler::TaskEvent::kFinalizeSubmitted, change, clock_.unix_ms()));
    auto sent = send(hub().finalize(task, test::bytes_of(link), ByteView{}), key(test::kScheduler));
    ASSERT_TRUE(sent) << sent.error().message;
    ASSERT_EQ(chain_status(task), wp::TaskStatus::kCompleted);
    restart();
    const std::uint64_t from = head();
    auto lost = intents_->resubmit_lost();
    ASSERT_TRUE(lost) << lost.error().message;
    EXPECT_EQ(*lost, 0U);
    EXPECT_EQ(status(deal, 0), TaskStatus::kCompleted);
    expect_nothing_sent(intents_->finalize_ready(), from);
}

TEST_F(IntentsAnvil, ATaskCompletedOnChainUnseenIsCompletedByTheReconciliation) {
    // The row lost the FINALIZING step altogether (RESULT_UPLOADED here), the finalize landed on chain.
    Opened o;
    ASSERT_NO_FATAL_FAILURE(opened_task(10'200, OnChain::kRevealed, o));
    const Bytes32 deal = o.deal, task = o.task;
    const std::string link = R"({"storage":"pool","location":"unseen"})";
    auto sent = send(hub().finalize(task, test::bytes_of(link), ByteView{}), key(test::kScheduler));
    ASSERT_TRUE(sent) << sent.error().message;
    restart();
    const std::uint64_t from = head();
    auto r = reconcile();
    EXPECT_EQ(r.tasks, 1U);
    EXPECT_EQ(status(deal, 0), TaskStatus::kCompleted);
    auto t = store_->task_by_id(task);
    ASSERT_TRUE(t && *t);
    EXPECT_EQ((*t)->result_link, link);
    // Nothing left for the intents: no finalize, no claim.
    expect_nothing_sent(intents_->finalize_ready(), from);
    expect_nothing_sent(intents_->claim_ready(), from);
}

TEST_F(IntentsAnvil, ATaskClaimedOnChainBySomebodyElseFailsHereWithoutAClaim) {
    Opened o;
    ASSERT_NO_FATAL_FAILURE(opened_task(10'300, OnChain::kAssigned, o));
    const Bytes32 deal = o.deal, task = o.task;
    ASSERT_NO_FATAL_FAILURE(past_final_deadline(deal));
    auto claimed = send(hub().claim(task), key(test::kRequester));  // anybody may claim past the final deadline
    ASSERT_TRUE(claimed) << claimed.error().message;
    restart();
    const std::uint64_t from = head();
    auto r = reconcile();
    EXPECT_EQ(r.tasks, 1U);
    EXPECT_EQ(status(deal, 0), TaskStatus::kFailed);
    ASSERT_TRUE(core_->run_due());
    expect_nothing_sent(intents_->claim_ready(), from);
}

TEST_F(IntentsAnvil, AReopenTheCoreDidNotSeeSchedulesTheTaskAgain) {
    Opened o;
    ASSERT_NO_FATAL_FAILURE(opened_task(10'400, OnChain::kContributed, o));
    const Bytes32 deal = o.deal, task = o.task;
    reconcile();
    ASSERT_EQ(status(deal, 0), TaskStatus::kConsensusReached);
    // Nobody reveals; past the reveal deadline the owner's reopen lands (its outcome lost with the journal).
    auto v = hub().view_task(task);
    ASSERT_TRUE(v);
    auto now = block_timestamp();
    ASSERT_TRUE(now);
    ASSERT_TRUE(advance_time(v->reveal_deadline.low_u64() - *now + 2));
    auto reopened = send(hub().reopen(task), key(test::kScheduler));
    ASSERT_TRUE(reopened) << reopened.error().message;
    ASSERT_EQ(chain_status(task), wp::TaskStatus::kActive);
    restart();
    const std::uint64_t from = head();
    auto r = reconcile();
    EXPECT_EQ(r.tasks, 1U);
    EXPECT_EQ(status(deal, 0), TaskStatus::kInitialized);
    auto rep = replicate_of(deal, 0);
    ASSERT_TRUE(rep);
    EXPECT_EQ(rep->status, workerapi::ReplicateStatus::kFailed);  // it did not reveal: it may not contribute again
    expect_nothing_sent(intents_->reopen_ready(), from);
}

TEST_F(IntentsAnvil, AnInitializeThatLandedWithItsJournalLostIsNotSentAgain) {
    const Bytes32 deal = match(make_orders(assets_, U256(1), false, 10'500));
    sync();
    ASSERT_NO_FATAL_FAILURE(mark_initialize_submitted(deal));
    auto sent = send(hub().initialize(deal, U256(0)), key(test::kScheduler));
    ASSERT_TRUE(sent) << sent.error().message;
    restart();
    const std::uint64_t from = head();
    auto lost = intents_->resubmit_lost();
    ASSERT_TRUE(lost) << lost.error().message;
    EXPECT_EQ(*lost, 0U);
    EXPECT_EQ(status(deal, 0), TaskStatus::kInitialized);
    settle();
    const auto txs = owner_since(from);
    EXPECT_EQ(txs.count, 0U);
    EXPECT_TRUE(txs.initialized.empty());
}

TEST_F(IntentsAnvil, AheadInitializesTheFreeSlotsPlusWhatTheyTakeWithinTheHorizonInOneInitializeArray) {
    // One worker of 2 slots, a deal of 12 tasks. Lazy would initialize 2 (the free slots); ahead, before any slot time
    // is measured, one more task per alive slot: 2 + 2 = 4, in one initializeArray; then nothing until the waiting
    // tasks fall to the low mark (free 2 + ⌈2 / 2⌉ = 3).
    workerapi::WorkerRegistration r;
    r.name = "ahead";
    r.version = "1";
    r.cpu_slots = 2;
    ASSERT_TRUE(core_->register_worker(address(test::kWorker), r));
    const Bytes32 deal = match(make_orders(assets_, U256(12), false, 10'600));
    sync();
    scheduler::IntentOptions o;
    o.init_mode = scheduler::InitMode::kAhead;
    scheduler::TaskIntents ahead(*store_, *core_, hub(), *txm_, clock_, o);
    const std::uint64_t from = head();
    auto n = ahead.initialize_ready();
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 4U);
    settle();
    const auto txs = owner_since(from);
    EXPECT_EQ(txs.count, 1U);  // one initializeArray
    for (std::uint64_t i = 0; i < 12; ++i)
        EXPECT_EQ(status(deal, i), i < 4 ? TaskStatus::kInitialized : TaskStatus::kReceived) << i;
    auto again = ahead.initialize_ready();
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, 0U);
    // Two of them go to the worker's slots: 0 free, the 4 tasks still INITIALIZED (until STARTED) above the low mark
    // 0 + 1: nothing either.
    ASSERT_EQ(*core_->assign_round(), 2U);
    again = ahead.initialize_ready();
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, 0U);
}

TEST_F(IntentsAnvil, AFailedUploadIsAskedAgainAndTheTaskCompletesOnChainWithOneFinalize) {
    Opened o;
    ASSERT_NO_FATAL_FAILURE(opened_task(10'700, OnChain::kRevealed, o));
    reconcile();  // the contribution, the consensus and the reveal: RESULT_UPLOADING, the worker asked to upload
    ASSERT_EQ(status(o.deal, 0), TaskStatus::kResultUploading);
    const Address w = address(test::kWorker);
    const auto say = [&](workerapi::ReplicateStatus s, std::optional<std::string> link = std::nullopt) {
        workerapi::StatusUpdate u;
        u.status = s;
        u.details.result_link = std::move(link);
        auto a = core_->update_status(w, o.task, u);
        EXPECT_TRUE(a) << a.error().message;
        return a ? a->answer.action : workerapi::Action::kAbort;
    };
    EXPECT_EQ(say(workerapi::ReplicateStatus::kResultUploading), workerapi::Action::kContinue);
    EXPECT_EQ(say(workerapi::ReplicateStatus::kResultUploadFailed), workerapi::Action::kWait);
    clock_.advance(std::chrono::seconds(5));  // core.timeouts.uploadRetry
    auto fired = core_->run_due();
    ASSERT_TRUE(fired) << fired.error().message;
    EXPECT_EQ(*fired, 1U);
    auto inbox = core_->notifications(w, 0);
    ASSERT_TRUE(inbox);
    EXPECT_EQ(inbox->notifications.back().action, workerapi::Action::kUpload);
    const std::string link = R"({"storage":"pool","location":"second attempt"})";
    EXPECT_EQ(say(workerapi::ReplicateStatus::kResultUploading), workerapi::Action::kContinue);
    EXPECT_EQ(say(workerapi::ReplicateStatus::kResultUploaded, link), workerapi::Action::kWait);
    ASSERT_EQ(status(o.deal, 0), TaskStatus::kResultUploaded);
    const std::uint64_t from = head();
    auto sent = intents_->finalize_ready();
    ASSERT_TRUE(sent) << sent.error().message;
    EXPECT_EQ(*sent, 1U);
    settle();
    EXPECT_EQ(status(o.deal, 0), TaskStatus::kCompleted);
    EXPECT_EQ(chain_status(o.task), wp::TaskStatus::kCompleted);
    auto v = hub().view_task(o.task);
    ASSERT_TRUE(v);
    EXPECT_EQ(std::string(v->results.begin(), v->results.end()), link);
    EXPECT_EQ(owner_since(from).count, 1U);  // one finalize
}

TEST_F(IntentsAnvil, AContributionThatLandedAfterTheWorkerGaveUpIsReconciledUpToTheReveal) {
    Opened o;
    ASSERT_NO_FATAL_FAILURE(opened_task(10'800, OnChain::kAssigned, o));
    const Address w = address(test::kWorker);
    // The worker's receipt wait failed: it reported CONTRIBUTE_FAILED, was told to abort and did (ABORTED); its
    // transaction landed all the same, and it revealed (driven by hand: the chain's state the core never heard of).
    using R = workerapi::ReplicateStatus;
    for (R s : {R::kStarting, R::kStarted, R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading,
                R::kDataDownloaded, R::kComputing, R::kComputed, R::kContributing, R::kContributeFailed, R::kAborted}) {
        workerapi::StatusUpdate u;
        u.status = s;
        auto a = core_->update_status(w, o.task, u);
        ASSERT_TRUE(a) << a.error().message;
        ASSERT_EQ(a->http_status, 200U) << workerapi::to_string(s);
    }
    const std::uint64_t from = head();
    const auto worker_before = transactions_from(w);
    ASSERT_NO_FATAL_FAILURE(contribute_on_chain(o.task, kDigest));
    ASSERT_NO_FATAL_FAILURE(reveal_on_chain(o.task, kDigest));
    restart();
    const auto r = reconcile();
    EXPECT_EQ(r.consensus, 1U);
    EXPECT_EQ(r.replicates, 2U);  // CONTRIBUTED (set by the scheduler), then up to REVEALED (the reports)
    EXPECT_EQ(status(o.deal, 0), TaskStatus::kResultUploading);
    auto rep = replicate_of(o.deal, 0);
    ASSERT_TRUE(rep);
    EXPECT_EQ(rep->status, R::kResultUploadRequested);
    EXPECT_EQ(rep->details.result_hash, result_hash(o.task, kDigest));
    auto t = store_->task_by_id(o.task);
    ASSERT_TRUE(t && *t);
    EXPECT_EQ((*t)->consensus, result_hash(o.task, kDigest));
    EXPECT_EQ((*t)->uploader, w);
    // A second pass finds nothing; in the blocks, the owner sent nothing and the worker its two transactions once.
    const auto again = reconcile();
    EXPECT_EQ(again.tasks + again.replicates + again.consensus, 0U);
    EXPECT_EQ(owner_since(from).count, 0U);
    EXPECT_EQ(transactions_from(w), worker_before + 2);
}

}  // namespace
}  // namespace wp
