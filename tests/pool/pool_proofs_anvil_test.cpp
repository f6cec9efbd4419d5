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

class PoolProofs : public PoolFixture {};

//! keccak256(taskId ‖ digest): the result hash a contribution carries and the consensus value of the task.
Bytes32 consensus_value(const Bytes32& task, const Bytes32& digest) {
    Bytes packed(task.bytes.begin(), task.bytes.end());
    packed.insert(packed.end(), digest.bytes.begin(), digest.bytes.end());
    return keccak256(ByteView(packed.data(), packed.size()));
}

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

}  // namespace
}  // namespace wp::test
