// The worker's TEE SIMULATION against the real PoCo contracts (the shared devnet of poco_fixture.hpp): a task of a
// Scone-tagged (0x3) and of a TDX-tagged (0x9) deal at trust 1 is computed by ReplicateRunner in the bubblewrap
// sandbox, and its digest, enclave challenge and enclave signature go through contributeAndFinalize on the Hub,
// which completes the task with that digest. The authorization is the scheduler's signature over
// (worker, taskid, enclave challenge), as a scheduler that knows the simulated enclave's challenge would sign it.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include <wp/chain/match_facts.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/worker/replicate_runner.hpp>
#include <wp/worker/sandbox_runtime.hpp>

#include "poco_orders.hpp"

namespace wp::test {
namespace {

namespace fs = std::filesystem;

std::string run_shell(const std::string& cmd) {
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[256];
    std::size_t n;
    while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (p) ::pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

class WorkerTeeAnvil : public PocoOrdersFixture {
  protected:
    void SetUp() override {
        PocoOrdersFixture::SetUp();
        if (HasFatalFailure()) return;
        assets_ = create_assets();
        dir_ = fs::temp_directory_path() / ("wp-worker-tee-anvil-" + std::to_string(::getpid()));
        fs::create_directories(dir_ / "app");
        fs::permissions(dir_, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec |
                                  fs::perms::group_read | fs::perms::group_exec);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
        PocoOrdersFixture::TearDown();  // evm_revert: the next test starts from the same chain state
    }

    //! matchOrders with every tag = `tag`, trust 1, volume 1; returns the deal id (predicted from the chain facts).
    Bytes32 match(std::uint64_t tag, std::uint64_t salt) {
        Orders o = make_orders(assets_, U256(1), /*with_dataset=*/false, salt, 1);
        o.app.tag = o.workerpool.tag = o.request.tag = make_tag(tag);
        o = sign_all(o);
        chain::MatchFactsOptions options;
        options.version = PocoVersion::kV6_1;
        auto facts = chain::match_facts_from_chain(hub(), o.app, o.dataset, o.workerpool, o.request, options);
        EXPECT_TRUE(facts) << facts.error().message;
        if (!facts) return {};
        auto predicted = match_orders(o.app, o.dataset, o.workerpool, o.request, *facts);
        EXPECT_TRUE(predicted) << predicted.error().explanation;
        if (!predicted) return {};
        auto receipt = send(hub().match_orders(o.app, o.dataset, o.workerpool, o.request), key(kRequester));
        EXPECT_TRUE(receipt) << receipt.error().message;
        return predicted->deal_id;
    }

    Assets assets_;
    fs::path dir_;
};

TEST_F(WorkerTeeAnvil, SimulatedTeeResultCompletesTheTaskThroughContributeAndFinalize) {
    // The app bundle: writes a result file and computed.json.
    {
        std::ofstream(dir_ / "app/iexec-app.json") << R"({"entrypoint":"run.sh"})";
        std::ofstream(dir_ / "app/run.sh") << "#!/bin/sh\necho \"tee result of $IEXEC_TASK_ID\" > $IEXEC_OUT/r.txt\n"
                                              "echo '{\"deterministic-output-path\":\"/iexec_out/r.txt\"}' > "
                                              "$IEXEC_OUT/computed.json\n";
        fs::permissions(dir_ / "app/run.sh", fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec |
                                                 fs::perms::group_read | fs::perms::group_exec);
        ASSERT_EQ(run_shell("tar -czf " + (dir_ / "app.tar.gz").string() + " -C " + (dir_ / "app").string() +
                            " . && echo ok"),
                  "ok");
    }
    const auto checksum =
        bytes32_from_hex("0x" + run_shell("sha256sum " + (dir_ / "app.tar.gz").string() + " | cut -d' ' -f1"));
    ASSERT_TRUE(checksum);
    worker::ReplicateRunner runner(worker::RunnerOptions{.work_dir = dir_ / "work"}, address(kWorker),
                                   std::make_shared<worker::SandboxRuntime>());

    std::uint64_t salt = 9100;
    for (const std::uint64_t tag : {std::uint64_t{0x3}, std::uint64_t{0x9}}) {
        SCOPED_TRACE("tag " + std::to_string(tag));
        const Bytes32 deal_id = match(tag, salt += 10);
        ASSERT_FALSE(deal_id == Bytes32{});
        ASSERT_TRUE(send(hub().initialize(deal_id, U256(0)), key(kScheduler)));
        const Bytes32 task = task_id(deal_id, U256(0));
        const Deal deal = hub().view_deal(deal_id).value();

        worker::ReplicateRequest req;
        req.task.task_id = task;
        req.task.deal_id = deal_id;
        req.task.task_index = U256(0);
        req.task.bot_size = deal.bot_size;
        req.task.bot_first = deal.bot_first;
        req.app_url = "file://" + (dir_ / "app.tar.gz").string();
        req.app_checksum = *checksum;
        req.tag = deal.tag;
        req.max_time = std::chrono::seconds(30);
        req.memory_bytes = 256ull << 20;
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
