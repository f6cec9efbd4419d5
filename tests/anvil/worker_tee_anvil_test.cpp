// The worker's TEE SIMULATION against the real PoCo contracts (the shared devnet of poco_fixture.hpp): a task of a
// Scone-tagged (0x3) and of a TDX-tagged (0x9) deal at trust 1 is computed by ReplicateRunner in the bubblewrap
// sandbox, and its digest, enclave challenge and enclave signature go through contributeAndFinalize on the Hub,
// which completes the task with that digest. The authorization is the scheduler's signature over
// (worker, taskid, enclave challenge), as a scheduler that knows the simulated enclave's challenge would sign it.
// (Deal setup: worker_deal_fixture.hpp.)

#include <memory>

#include <gtest/gtest.h>

#include <wp/worker/sandbox_runtime.hpp>

#include "worker_deal_fixture.hpp"

namespace wp::test {
namespace {

class WorkerTeeAnvil : public WorkerDealAnvil {};

TEST_F(WorkerTeeAnvil, SimulatedTeeResultCompletesTheTaskThroughContributeAndFinalize) {
    // The app bundle: writes a result file and computed.json.
    const Bytes32 checksum = write_bundle(
        "echo \"tee result of $IEXEC_TASK_ID\" > $IEXEC_OUT/r.txt\n"
        "echo '{\"deterministic-output-path\":\"/iexec_out/r.txt\"}' > "
        "$IEXEC_OUT/computed.json\n");
    worker::ReplicateRunner runner(worker::RunnerOptions{.work_dir = dir_ / "work"}, address(kWorker),
                                   std::make_shared<worker::SandboxRuntime>());

    std::uint64_t salt = 9100;
    for (const std::uint64_t tag : {std::uint64_t{0x3}, std::uint64_t{0x9}}) {
        SCOPED_TRACE("tag " + std::to_string(tag));
        const WorkerTask t = deal_task(tag, salt += 10);
        ASSERT_FALSE(t.deal_id == Bytes32{});
        const Bytes32 task = t.task_id;
        const worker::ReplicateRequest req = request_for(t, checksum);
        std::atomic<bool> cancel{false};
        auto res = runner.run(req, cancel);
        ASSERT_TRUE(res) << res.error().message;
        ASSERT_FALSE(res->failure) << res->failure_detail;
        EXPECT_EQ(res->runtime, "tee-sim(sandbox)");
        ASSERT_TRUE(res->enclave_challenge && res->enclave_signature);

        const Bytes authorization =
            sign_authorization(key(kScheduler), address(kWorker), task, *res->enclave_challenge);
        const Bytes results = bytes_of(R"({"storage":"ipfs","location":"/ipfs/simulated"})");
        auto receipt = send(hub().contribute_and_finalize(task, res->digest, results, Bytes{}, *res->enclave_challenge,
                                                          *res->enclave_signature, authorization),
                            key(kWorker));
        ASSERT_TRUE(receipt) << receipt.error().message;
        const Task on_chain = hub().view_task(task).value();
        EXPECT_EQ(on_chain.status, TaskStatus::kCompleted);
        EXPECT_EQ(on_chain.result_digest, res->digest);
        EXPECT_EQ(hub().view_contribution(task, address(kWorker)).value().enclave_challenge, *res->enclave_challenge);
        EXPECT_EQ(hub().view_contribution(task, address(kWorker)).value().result_hash, res->result_hash);
        ASSERT_TRUE(runner.cleanup(task));
    }
}

}  // namespace
}  // namespace wp::test
