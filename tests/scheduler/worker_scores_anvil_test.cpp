// The workers' on-chain scores (libs/wp/scheduler/worker_scores.hpp) against the real PoCo 6.1.0 on anvil, with the
// in-process core (CoreScheduler, TaskIntents, the real TxManager): a trust-5 task gets 3 replicates from fresh
// workers (score 0, weight 2 each); once a worker's score is raised on chain (m_workerScores written with
// anvil_setStorageAt, read through viewScore) and read after a finalize of a task it worked on, the next trust-5
// task is given to that worker alone (score 30, weight 9: 9·5 > (1 + 9)·4); when its score drops again, its open
// replicate is weighed at the lower score and the planner adds the replicates the consensus then needs.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wp/chain/sql_tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/scheduler/core_scheduler.hpp>
#include <wp/scheduler/task_intents.hpp>
#include <wp/scheduler/worker_scores.hpp>

#include "core_chain_fixture.hpp"

namespace wp {
namespace {

using scheduler::TaskStatus;

// PocoStorageLib.POCO_STORAGE_LOCATION (erc7201:iexec.poco.storage.PocoStorage); m_workerScores is member 18
// (as tests/anvil/poco2_anvil_test.cpp).
const U256 kPocoStorage = U256::from_hex("0x5862653c6982c162832160cf30593645e8487b257e44d77cdd6b51eee2651b00").value();
constexpr std::uint64_t kWorkerScoresMember = 18;

Address worker_address(std::uint8_t b) {
    FixedBytes<20> f;
    f.bytes.fill(b);
    return Address(f);
}

class WorkerScoresAnvil : public test::CoreChainFixture {
  protected:
    WorkerScoresAnvil() : CoreChainFixture("core_scores") {}

    void SetUp() override {
        CoreChainFixture::SetUp();
        if (HasFatalFailure()) return;
        core_ = make_core();
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
        scores_ = std::make_unique<scheduler::WorkerScores>(hub(), *store_);
        workerapi::WorkerRegistration reg;
        reg.name = "w";
        reg.version = "1";
        reg.cpu_slots = 4;
        for (const Address& w : workers_) {
            ASSERT_TRUE(core_->register_worker(w, reg));
            scores_->mark(w);  // what the daemon's WorkerApiOptions::on_register does
        }
    }
    void TearDown() override {
        scores_.reset();
        intents_.reset();
        txm_.reset();
        journal_.reset();
        close_intake();
        core_.reset();
        CoreChainFixture::TearDown();
    }

    //! m_workerScores[worker] = score on chain (checked through viewScore).
    static void set_score(const Address& worker, const U256& score) {
        Bytes preimage = concat(worker.to_word().view(),
                                checked_add(kPocoStorage, U256(kWorkerScoresMember)).value().to_be32().view());
        const Bytes32 slot = keccak256(preimage);
        auto r = rpc().call("anvil_setStorageAt",
                            {boost::json::value(info().hub.to_checksum()), boost::json::value(to_hex(slot.view())),
                             boost::json::value(to_hex(score.to_be32().view()))});
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_EQ(hub().view_score(worker).value(), score);
    }
    U256 stored_score(const Address& worker) {
        auto w = store_->worker(worker);
        EXPECT_TRUE(w && *w);
        return (w && *w) ? (*w)->score : U256(999);
    }
    //! A one-task trust-5 deal, initialized on chain (INITIALIZED here).
    scheduler::TaskKey initialized_trust5_task(std::uint64_t salt) {
        const Bytes32 deal = match(make_orders(assets_, U256(1), false, salt, 5));
        sync();
        auto n = intents_->initialize_ready();
        EXPECT_TRUE(n) << n.error().message;
        std::vector<chain::TxOutcome> outcomes;
        for (int i = 0; i < 2000 && txm_->in_flight() > 0; ++i) {
            auto round = txm_->poll();
            EXPECT_TRUE(round) << round.error().message;
            if (!round) break;
            for (auto& o : *round) outcomes.push_back(std::move(o));
        }
        auto applied = intents_->apply_outcomes(outcomes);
        EXPECT_TRUE(applied) << applied.error().message;
        EXPECT_EQ(status(deal, 0), TaskStatus::kInitialized);
        return scheduler::TaskKey{deal, 0};
    }
    std::set<Address> workers_of(const scheduler::TaskKey& task) {
        std::set<Address> out;
        auto reps = store_->replicates_of_task(task);
        EXPECT_TRUE(reps);
        if (reps)
            for (const auto& r : *reps) out.insert(r.worker);
        return out;
    }

    const std::vector<Address> workers_{worker_address(0xa1), worker_address(0xa2), worker_address(0xa3)};
    std::unique_ptr<scheduler::CoreScheduler> core_;
    std::shared_ptr<chain::SqlTxJournal> journal_;
    std::unique_ptr<chain::TxManager> txm_;
    std::unique_ptr<scheduler::TaskIntents> intents_;
    std::unique_ptr<scheduler::WorkerScores> scores_;
};

TEST_F(WorkerScoresAnvil, AWorkerWhoseScoreRoseOnChainTakesATrust5TaskAlone) {
    const Address heavy = workers_[0];
    // Registration: every worker read once (fresh on chain: score 0, nothing changes).
    ASSERT_TRUE(scores_->pending());
    auto first = scores_->refresh();
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->read, 3U);
    EXPECT_EQ(first->changed, 0U);
    EXPECT_FALSE(scores_->pending());

    // Fresh workers weigh 2 each: consensus at trust 5 needs three of them (2·2·2 = 8 > 4).
    const scheduler::TaskKey t1 = initialized_trust5_task(9801);
    auto created = core_->assign_round();
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(*created, 3U);
    EXPECT_EQ(workers_of(t1), std::set<Address>(workers_.begin(), workers_.end()));

    // The chain raises the heavy worker's score (as finalizes do); the core reads it after the finalize of a task
    // the worker had a replicate of (the daemon's IntentOptions::on_completed).
    set_score(heavy, U256(30));
    EXPECT_EQ(stored_score(heavy), U256(0));
    scores_->mark_tasks({task_id(t1.deal_id, U256(0))});
    auto after = scores_->refresh();
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_EQ(after->read, 3U);  // the three workers of t1
    EXPECT_EQ(after->changed, 1U);
    EXPECT_EQ(stored_score(heavy), U256(30));

    // The next trust-5 task goes to the heavy worker alone (weight 9: 9·5 > (1 + 9)·4): one replicate, not three.
    const scheduler::TaskKey t2 = initialized_trust5_task(9802);
    created = core_->assign_round();
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(*created, 1U);
    EXPECT_EQ(workers_of(t2), std::set<Address>{heavy});

    // The score drops on chain (a lost consensus): the open replicate is weighed at the new score and the planner
    // adds what consensus then needs (weights 2 · 2 · 2).
    set_score(heavy, U256(3));
    scores_->mark(heavy);
    auto dropped = scores_->refresh();
    ASSERT_TRUE(dropped) << dropped.error().message;
    EXPECT_EQ(dropped->changed, 1U);
    auto rep = store_->replicate(t2, heavy);
    ASSERT_TRUE(rep && *rep);
    EXPECT_EQ((*rep)->score, U256(3));
    created = core_->assign_round();
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(*created, 2U);
    EXPECT_EQ(workers_of(t2), std::set<Address>(workers_.begin(), workers_.end()));
}

TEST_F(WorkerScoresAnvil, UnregisteredWorkersAreSkippedAndStoredWorkersAreReadOncePerStart) {
    // A worker the store does not know (its registration not committed yet) is read but not stored.
    const Address stranger = worker_address(0xb7);
    set_score(stranger, U256(40));
    scores_->mark(stranger);
    auto r = scores_->refresh();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->read, 4U);
    EXPECT_EQ(r->changed, 0U);
    auto w = store_->worker(stranger);
    ASSERT_TRUE(w);
    EXPECT_FALSE(*w);
    // Every stored worker once per start.
    set_score(workers_[1], U256(12));
    scores_->mark_all_stored();
    r = scores_->refresh();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->read, 3U);
    EXPECT_EQ(r->changed, 1U);
    EXPECT_EQ(stored_score(workers_[1]), U256(12));
}

TEST_F(WorkerScoresAnvil, ATeeTaskFinalizedByItsWorkerHasThatWorkersScoreRead) {
    // contributeAndFinalize changes the worker's score as a finalize does. A TEE (tee+tdx) trust-1 task is stored by
    // hand (the devnet's app is not a TEE app): RUNNING with a replicate of a TDX worker that reported
    // CONTRIBUTE_AND_FINALIZE_DONE; the chain's TaskFinalize observed through TaskIntents must complete it AND mark
    // its worker for a score read (IntentOptions::on_completed, as the daemon wires it).
    ASSERT_TRUE(scores_->refresh());  // the registrations' reads
    ASSERT_FALSE(scores_->pending());
    std::vector<Bytes32> completed;
    scheduler::IntentOptions o;
    o.on_completed = [&](const std::vector<Bytes32>& ids) {
        completed.insert(completed.end(), ids.begin(), ids.end());
        scores_->mark_tasks(ids);
    };
    scheduler::TaskIntents intents(*store_, *core_, hub(), *txm_, clock_, o);

    const Address tee_worker = workers_[0];
    workerapi::WorkerRegistration reg;
    reg.name = "tdx";
    reg.version = "1";
    reg.cpu_slots = 1;
    reg.tee_frameworks = {workerapi::TeeFramework::kTdx};
    ASSERT_TRUE(core_->register_worker(tee_worker, reg));
    scheduler::DealRecord d;
    d.deal_id = keccak256(test::bytes_of("tee deal"));
    d.app = assets_.app;
    d.workerpool = assets_.workerpool;
    d.requester = address(test::kRequester);
    d.category_seconds = 300;
    d.tag = make_tag(0x9);  // tee + tdx
    d.trust = 1;
    d.bot_size = 1;
    d.start_time = clock_.unix_ms() / 1000;
    d.contribution_deadline = d.start_time + 7 * 300;
    d.final_deadline = d.start_time + 10 * 300;
    d.app_uri = "file:///apps/echo.tar.gz";
    d.app_type = "BUNDLE";
    ASSERT_TRUE(store_->insert_deal(d, clock_.unix_ms()));
    const scheduler::TaskKey key{d.deal_id, 0};
    auto t = store_->task(key);
    ASSERT_TRUE(t && *t);
    auto submitted = store_->transition_task(**t, scheduler::TaskEvent::kInitializeSubmitted, {}, clock_.unix_ms());
    ASSERT_TRUE(submitted && *submitted);
    ASSERT_TRUE(store_->transition_task(**submitted, scheduler::TaskEvent::kInitializeMined, {}, clock_.unix_ms()));
    auto created = core_->assign_round();
    ASSERT_TRUE(created) << created.error().message;
    ASSERT_EQ(workers_of(key), std::set<Address>{tee_worker});
    const Bytes32 task = task_id(d.deal_id, U256(0));
    using R = workerapi::ReplicateStatus;
    for (R s :
         {R::kStarting, R::kStarted, R::kAppDownloading, R::kAppDownloaded, R::kDataDownloading, R::kDataDownloaded,
          R::kComputing, R::kComputed, R::kContributeAndFinalizeOngoing, R::kContributeAndFinalizeDone}) {
        workerapi::StatusUpdate u;
        u.status = s;
        if (s == R::kContributeAndFinalizeDone) {
            u.details.result_hash = keccak256(test::bytes_of("hash"));
            u.details.result_seal = keccak256(test::bytes_of("seal"));
            u.details.result_link = R"({"storage":"pool","location":"tee"})";
        }
        auto a = core_->update_status(tee_worker, task, u);
        ASSERT_TRUE(a) << a.error().message;
        ASSERT_EQ(a->http_status, 200U) << workerapi::to_string(s);
    }
    ASSERT_EQ(status(d.deal_id, 0), TaskStatus::kFinalized);

    set_score(tee_worker, U256(17));  // what the contributeAndFinalize did on chain
    const std::string link = R"({"storage":"pool","location":"tee"})";
    std::vector<scheduler::TaskObservation> seen{
        scheduler::TaskObservation{chain::events::TaskFinalize{task, Bytes(link.begin(), link.end())}, 1}};
    auto applied = intents.apply_observations(seen);
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_EQ(*applied, 1U);
    EXPECT_EQ(status(d.deal_id, 0), TaskStatus::kCompleted);
    EXPECT_EQ(completed, std::vector<Bytes32>{task});
    ASSERT_TRUE(scores_->pending());
    auto read = scores_->refresh();
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->changed, 1U);
    EXPECT_EQ(stored_score(tee_worker), U256(17));
}

}  // namespace
}  // namespace wp
