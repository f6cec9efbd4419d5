// The proofs of issues 10 (core) and 11 (worker) with REAL processes (pool_fixture.hpp): `iexec-pool core` and
// `iexec-pool worker` children on a devnet with the real PoCo. Every assertion reads the chain directly (viewTask,
// viewContribution, viewAccount, viewScore) and digests are computed here with sha256sum, not by our daemons' code.
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

}  // namespace
}  // namespace wp::test
