// The proofs of issues 10 (core) and 11 (worker) with REAL processes (pool_fixture.hpp): `iexec-pool core` and
// `iexec-pool worker` children on a devnet with the real PoCo. Every assertion reads the chain directly (viewTask,
// viewContribution, viewAccount, viewScore) and digests are computed here with sha256sum, not by our daemons' code.
#include <algorithm>
#include <csignal>
#include <map>

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/protocol/ids.hpp>

#include "pool_fixture.hpp"

namespace wp::test {
namespace {

using namespace std::chrono_literals;

//! keccak256(taskId ‖ digest): the result hash a contribution carries and the consensus value of the task.
Bytes32 consensus_value(const Bytes32& task, const Bytes32& digest) {
    Bytes packed(task.bytes.begin(), task.bytes.end());
    packed.insert(packed.end(), digest.bytes.begin(), digest.bytes.end());
    return keccak256(ByteView(packed.data(), packed.size()));
}

class PoolProofs : public PoolFixture {
  protected:
    //! A replicated deal (trust > 1) on honest workers: every task COMPLETED with the consensus the PoCo
    //! condition needs — at least `min_contributors` contributions, all of the expected result hash, every winner
    //! revealed (PROVED) and the revealed digest = sha256 of the expected result file.
    void expect_replicated_deal(const Bytes32& deal, const DealTasks& done, std::uint64_t volume,
                                const std::string& expected_file, std::size_t min_contributors) {
        ASSERT_EQ(done.completed, volume) << done.summary();
        const Bytes32 digest = PoolFixture::sha256_of(expected_file);
        for (std::uint64_t i = 0; i < volume; ++i) {
            const Task& t = done.tasks[i];
            const Bytes32 tid = task_id(deal, U256(i));
            EXPECT_EQ(t.result_digest, digest) << "task " << i;
            EXPECT_EQ(t.consensus_value, consensus_value(tid, digest)) << "task " << i;
            EXPECT_GE(t.contributors.size(), min_contributors) << "task " << i;
            EXPECT_EQ(t.winner_counter, U256(t.contributors.size())) << "task " << i;
            EXPECT_EQ(t.reveal_counter, t.winner_counter) << "task " << i;
            auto contributions = hub().view_contributions(tid, t.contributors);
            for (std::size_t c = 0; c < contributions.size(); ++c) {
                ASSERT_TRUE(contributions[c]) << contributions[c].error().message;
                EXPECT_EQ(contributions[c]->status, ContributionStatus::kProved)
                    << "task " << i << " contributor " << t.contributors[c].to_checksum();
                EXPECT_EQ(contributions[c]->result_hash, consensus_value(tid, digest));
            }
        }
    }
};

TEST_F(PoolProofs, Trust1DealCompletes) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    add_worker();
    add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const App echo = deploy_demo_app("echo");
    const Bytes32 deal = create_deal({.app = echo, .volume = 3, .trust = 1, .params = R"({"iexec_args":"one trust"})"});
    const DealTasks done = wait_deal_done(deal, 3, 180s);
    ASSERT_EQ(done.completed, 3U) << done.summary();
    const Bytes32 digest = sha256_of("one trust\n");
    for (std::uint64_t i = 0; i < 3; ++i) {
        const Task& t = done.tasks[i];
        const Bytes32 tid = task_id(deal, U256(i));
        EXPECT_EQ(t.result_digest, digest) << "task " << i;
        EXPECT_EQ(t.consensus_value, consensus_value(tid, digest)) << "task " << i;
        EXPECT_EQ(t.contributors.size(), 1U) << "task " << i;
        EXPECT_FALSE(t.results.empty()) << "task " << i << ": no result link";
    }
}

// A replicated deal on fresh workers: `workers` run, the scheduler picks as many per task as the PoCo condition needs
// (each fresh worker weighs 2): trust 3 → two (2^2 > 3 − 1) of three; trust 5 → three (2^3 > 5 − 1) of four.
struct ReplicatedCase {
    std::uint64_t trust;
    int workers;
    std::size_t min_contributors;
    std::string args;  //!< the echo app's argument (its result.txt is args + "\n")
};

class PoolReplicated : public PoolProofs, public ::testing::WithParamInterface<ReplicatedCase> {};

TEST_P(PoolReplicated, DealCompletesWithTheReplicatesConsensusNeeds) {
    const ReplicatedCase& c = GetParam();
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    for (int i = 0; i < c.workers; ++i) add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const App echo = deploy_demo_app("echo");
    const Bytes32 deal =
        create_deal({.app = echo, .volume = 2, .trust = c.trust, .params = R"({"iexec_args":")" + c.args + R"("})"});
    const DealTasks done = wait_deal_done(deal, 2, 240s);
    expect_replicated_deal(deal, done, 2, c.args + "\n", c.min_contributors);
}

INSTANTIATE_TEST_SUITE_P(PoolProofs, PoolReplicated,
                         ::testing::Values(ReplicatedCase{3, 3, 2, "trust three"},
                                           ReplicatedCase{5, 4, 3, "trust five"}),
                         [](const ::testing::TestParamInfo<ReplicatedCase>& p) {
                             return "Trust" + std::to_string(p.param.trust);
                         });

// A dissenting worker (testing.faults.wrongResult) contributes first, with one honest worker; two more honest workers
// join once its contribution is on chain. The honest result wins: the dissenter's contribution is REJECTED, its stake
// (30 % of the workerpool price) is seized and its score does not rise; the honest workers are PROVED, paid, scored.
TEST_F(PoolProofs, DissentingWorkerLosesConsensusAndStake) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    const std::size_t dissenter = add_worker({{"worker.testing.faults.wrongResult", true}});
    add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const App echo = deploy_demo_app("echo");
    std::vector<Address> who;
    for (std::size_t i = 0; i < 4; ++i) who.push_back(address(std::vector<std::size_t>{3, 6, 7, 8}[i]));
    const auto before = accounts(who);
    std::map<Address, U256> scores_before;
    for (const auto& a : who) scores_before[a] = hub().view_score(a).value();

    const DealSpec spec{.app = echo, .volume = 1, .trust = 3, .params = R"({"iexec_args":"honest answer"})"};
    const Bytes32 deal = create_deal(spec);
    const Bytes32 tid = task_id(deal, U256(0));
    ASSERT_TRUE(wait_until(
        [&] {
            auto c = hub().view_contribution(tid, worker_address(dissenter));
            return c && c->status == ContributionStatus::kContributed;
        },
        120s, "the dissenter's contribution on chain"));
    add_worker();
    add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const DealTasks done = wait_deal_done(deal, 1, 240s);
    ASSERT_EQ(done.completed, 1U) << done.summary();
    const Task& t = done.tasks[0];
    const Bytes32 digest = sha256_of("honest answer\n");
    EXPECT_EQ(t.result_digest, digest);
    EXPECT_EQ(t.consensus_value, consensus_value(tid, digest));

    const std::uint64_t worker_stake = spec.workerpool_price.low_u64() * 30 / 100;
    const auto after = accounts(who);
    for (const auto& contributor : t.contributors) {
        auto c = hub().view_contribution(tid, contributor);
        ASSERT_TRUE(c) << c.error().message;
        const U256 score = hub().view_score(contributor).value();
        if (contributor == worker_address(dissenter)) {
            EXPECT_NE(c->status, ContributionStatus::kProved) << "PoCo leaves a losing contribution CONTRIBUTED";
            EXPECT_NE(c->result_hash, t.consensus_value);
            EXPECT_EQ(after.at(contributor).stake.low_u64() + worker_stake, before.at(contributor).stake.low_u64())
                << "the dissenter's stake is seized";
            EXPECT_EQ(after.at(contributor).locked, before.at(contributor).locked);
            EXPECT_LE(score, scores_before.at(contributor)) << "the dissenter's score did not rise";
        } else {
            EXPECT_EQ(c->status, ContributionStatus::kProved) << contributor.to_checksum();
            EXPECT_GT(after.at(contributor).stake, before.at(contributor).stake) << "an honest worker is paid";
            EXPECT_GT(score, scores_before.at(contributor)) << "an honest worker's score rises";
        }
    }
    EXPECT_NE(std::find(t.contributors.begin(), t.contributors.end(), worker_address(dissenter)), t.contributors.end());
    EXPECT_GE(t.contributors.size(), 4U) << "the dissenter and three honest workers (2^3·3 > (2·3 + 2)·2)";
}

// A worker SIGKILLed while it computes is replaced: the core finds it silent (core.timeouts.lostAfter 5 s), gives
// the replicate to the other worker, and the task completes before its contribution deadline.
TEST_F(PoolProofs, WorkerKilledMidTaskIsReplaced) {
    start_core({{"core.timeouts.lostAfter", "5s"}});
    ASSERT_FALSE(HasFatalFailure());
    add_worker();
    add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const App slow = deploy_script_app("slow",
                                       "sleep 6\nprintf 'slow %s\\n' \"$*\" > \"$IEXEC_OUT/result.txt\"\n"
                                       "printf '{\"deterministic-output-path\":\"%s/result.txt\"}' "
                                       "\"$IEXEC_OUT\" > \"$IEXEC_OUT/computed.json\"\n");
    const Bytes32 deal = create_deal({.app = slow, .volume = 1, .trust = 1, .params = R"({"iexec_args":"done"})"});
    // The worker running the app, from the core's dashboard (the worker reports APP_DOWNLOADING, then fetches, runs
    // and collects in one step).
    std::string holder;
    ASSERT_TRUE(wait_until(
        [&] {
            const auto tasks = dashboard("tasks?deal=" + to_hex(deal.view()));
            if (!tasks.is_object()) return false;
            for (const auto& t : tasks.at("tasks").as_array())
                for (const auto& r : t.at("replicates").as_array())
                    if (r.at("status").as_string() == "APP_DOWNLOADING" || r.at("status").as_string() == "COMPUTING")
                        holder = std::string(r.at("worker").as_string());
            return !holder.empty();
        },
        120s, "a worker computing the task"));
    const std::size_t victim = holder == worker_address(0).to_checksum() ? 0 : 1;
    kill_worker(victim, SIGKILL);
    const DealTasks done = wait_deal_done(deal, 1, 240s);
    ASSERT_EQ(done.completed, 1U) << done.summary();
    const Task& t = done.tasks[0];
    ASSERT_EQ(t.contributors.size(), 1U);
    EXPECT_EQ(t.contributors[0], worker_address(1 - victim)) << "the other worker contributed";
    EXPECT_EQ(t.result_digest, sha256_of("slow done\n"));
    auto now = block_timestamp();
    ASSERT_TRUE(now);
    EXPECT_LT(U256(*now), t.contribution_deadline) << "completed before the contribution deadline";
}

// Nobody reveals: the only worker (testing.faults.skipReveal) contributes and ignores PLEASE_REVEAL. The chain moves
// past the reveal deadline (evm_increaseTime); the core sends reopen (the task is ACTIVE again on chain, without a
// consensus), an honest worker joins and the task completes; the silent contributor is not PROVED and loses its stake.
TEST_F(PoolProofs, NobodyRevealsReopenThenCompleted) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    const std::size_t silent = add_worker({{"worker.testing.faults.skipReveal", true}});
    ASSERT_FALSE(HasFatalFailure());
    const App echo = deploy_demo_app("echo");
    const Address silent_address = worker_address(silent);
    const auto before = accounts({silent_address});
    const Bytes32 deal = create_deal({.app = echo, .volume = 1, .trust = 1, .params = R"({"iexec_args":"reopened"})"});
    const Bytes32 tid = task_id(deal, U256(0));
    Task revealing;
    ASSERT_TRUE(wait_until(
        [&] {
            auto t = hub().view_task(tid);
            if (t && t->status == TaskStatus::kRevealing) revealing = *t;
            return t && t->status == TaskStatus::kRevealing;
        },
        120s, "the consensus of the silent worker on chain"));
    ASSERT_EQ(revealing.contributors, std::vector<Address>{silent_address});
    auto now = block_timestamp();
    ASSERT_TRUE(now);
    const std::uint64_t reveal_deadline = revealing.reveal_deadline.low_u64();
    ASSERT_GT(reveal_deadline, *now);
    ASSERT_TRUE(advance_time(reveal_deadline - *now + 5));
    ASSERT_TRUE(wait_until(
        [&] {
            auto t = hub().view_task(tid);
            return t && t->status == TaskStatus::kActive && t->consensus_value.is_zero();
        },
        120s, "reopen on chain (the task ACTIVE again, no consensus)"));
    add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const DealTasks done = wait_deal_done(deal, 1, 180s);
    ASSERT_EQ(done.completed, 1U) << done.summary();
    const Task& t = done.tasks[0];
    EXPECT_EQ(t.result_digest, sha256_of("reopened\n"));
    EXPECT_EQ(t.consensus_value, consensus_value(tid, t.result_digest));
    auto honest = hub().view_contribution(tid, worker_address(1));
    ASSERT_TRUE(honest);
    EXPECT_EQ(honest->status, ContributionStatus::kProved);
    auto lost = hub().view_contribution(tid, silent_address);
    ASSERT_TRUE(lost);
    EXPECT_NE(lost->status, ContributionStatus::kProved);
    const auto after = accounts({silent_address});
    EXPECT_LT(after.at(silent_address).stake.low_u64(), before.at(silent_address).stake.low_u64())
        << "the contributor that never revealed lost its stake";
}

// Final deadline → claim → the requester refunded. Two tasks: the only worker is SIGKILLed while running the first
// (initialized on chain), the second is never initialized (lazy initialization: no free slot). The chain moves past
// the final deadline; the core claims both (claim, and initializeAndClaimArray) and the requester's escrow is back to
// what it was before the deal (viewAccount: stake and locked).
TEST_F(PoolProofs, FinalDeadlineClaimRefundsTheRequester) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    const std::size_t only = add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const App slow = deploy_script_app("slow", "sleep 30\n");
    const auto before = accounts({address(kRequester)});
    const Bytes32 deal = create_deal({.app = slow, .volume = 2, .trust = 1});
    const auto locked = accounts({address(kRequester)});
    EXPECT_GT(locked.at(address(kRequester)).locked.low_u64(), before.at(address(kRequester)).locked.low_u64());
    ASSERT_TRUE(wait_until(
        [&] {
            auto t = hub().view_task(task_id(deal, U256(0)));
            auto t1 = hub().view_task(task_id(deal, U256(1)));
            return (t && t->status == TaskStatus::kActive) || (t1 && t1->status == TaskStatus::kActive);
        },
        120s, "one task initialized on chain"));
    ASSERT_TRUE(wait_until(
        [&] {
            const auto tasks = dashboard("tasks?deal=" + to_hex(deal.view()));
            if (!tasks.is_object()) return false;
            for (const auto& t : tasks.at("tasks").as_array())
                if (!t.at("replicates").as_array().empty()) return true;
            return false;
        },
        60s, "the worker holding a replicate"));
    kill_worker(only, SIGKILL);
    const DealTasks running = view_deal_tasks(deal, 2);
    std::uint64_t final_deadline = 0;
    for (const auto& t : running.tasks) final_deadline = std::max(final_deadline, t.final_deadline.low_u64());
    auto deal_view = hub().view_deal(deal);
    ASSERT_TRUE(deal_view) << deal_view.error().message;
    auto now = block_timestamp();
    ASSERT_TRUE(now);
    ASSERT_GT(final_deadline, *now);
    ASSERT_TRUE(advance_time(final_deadline - *now + 5));
    const DealTasks done = wait_deal_done(deal, 2, 180s);
    EXPECT_EQ(done.failed, 2U) << done.summary();
    const auto after = accounts({address(kRequester)});
    EXPECT_EQ(after.at(address(kRequester)).stake, before.at(address(kRequester)).stake) << "the requester refunded";
    EXPECT_EQ(after.at(address(kRequester)).locked, before.at(address(kRequester)).locked);
}

// The core SIGKILLed in the middle of a replicated deal and restarted on the same database and port: the workers
// keep their tokens and resend what was not answered, the core rebuilds from its database and the chain, and every
// task completes, each with exactly the contributions its consensus needed (no task contributed twice by a worker:
// PoCo would refuse it).
TEST_F(PoolProofs, CoreKilledMidDealRestartsAndEveryTaskCompletes) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    for (int i = 0; i < 3; ++i) add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const App echo = deploy_demo_app("echo");
    const Bytes32 deal = create_deal({.app = echo, .volume = 4, .trust = 3, .params = R"({"iexec_args":"restarted"})"});
    ASSERT_TRUE(wait_until(
        [&] {
            const DealTasks v = view_deal_tasks(deal, 4);
            for (const auto& t : v.tasks)
                if (!t.contributors.empty()) return true;
            return false;
        },
        120s, "a first contribution on chain"));
    kill_core(SIGKILL);
    ASSERT_FALSE(HasFatalFailure());
    pause(std::chrono::milliseconds(1500));
    restart_core();
    ASSERT_FALSE(HasFatalFailure());
    const DealTasks done = wait_deal_done(deal, 4, 240s);
    expect_replicated_deal(deal, done, 4, "restarted\n", 2);
}

}  // namespace
}  // namespace wp::test
