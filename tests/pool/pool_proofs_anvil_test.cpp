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

// Trust 3: two fresh workers (weight 2 each) reach the PoCo condition (2^2 > 3 - 1); three run, so the scheduler
// picks two per task.
TEST_F(PoolProofs, Trust3DealCompletesWithTheReplicatesConsensusNeeds) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    for (int i = 0; i < 3; ++i) add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const App echo = deploy_demo_app("echo");
    const Bytes32 deal =
        create_deal({.app = echo, .volume = 2, .trust = 3, .params = R"({"iexec_args":"trust three"})"});
    const DealTasks done = wait_deal_done(deal, 2, 240s);
    expect_replicated_deal(deal, done, 2, "trust three\n", 2);
}

// Trust 5: three fresh workers (2^3 > 5 - 1).
TEST_F(PoolProofs, Trust5DealCompletesWithTheReplicatesConsensusNeeds) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    for (int i = 0; i < 4; ++i) add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const App echo = deploy_demo_app("echo");
    const Bytes32 deal =
        create_deal({.app = echo, .volume = 2, .trust = 5, .params = R"({"iexec_args":"trust five"})"});
    const DealTasks done = wait_deal_done(deal, 2, 240s);
    expect_replicated_deal(deal, done, 2, "trust five\n", 3);
}

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

}  // namespace
}  // namespace wp::test
