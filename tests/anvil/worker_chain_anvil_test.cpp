// The worker's chain actions (worker/chain_port.hpp, PocoChainPort: Hub + TxManager) against the real PoCo contracts
// on the shared devnet: a standard task at trust 1 computed by ReplicateRunner in the bubblewrap sandbox is
// contributed (the stake checked first) and revealed; a second worker process (a new TxManager on the same journal
// file, i.e. a restart) asked to contribute again finds the journaled intent and sends nothing; a worker whose
// journal is lost finds its contribution on chain and sends nothing either; a wallet without stake gets
// STAKE_TOO_LOW with the amounts in the message.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include <wp/chain/match_facts.hpp>
#include <wp/chain/tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/worker/chain_port.hpp>
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

class WorkerChainAnvil : public PocoOrdersFixture {
  protected:
    void SetUp() override {
        PocoOrdersFixture::SetUp();
        if (HasFatalFailure()) return;
        assets_ = create_assets();
        dir_ = fs::temp_directory_path() / ("wp-worker-chain-anvil-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "app");
        fs::permissions(dir_, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec |
                                  fs::perms::group_read | fs::perms::group_exec);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
        PocoOrdersFixture::TearDown();  // evm_revert: the next test starts from the same chain state
    }

    Bytes32 match(std::uint64_t salt) {
        Orders o = make_orders(assets_, U256(1), /*with_dataset=*/false, salt, 1);
        o.app.tag = o.workerpool.tag = o.request.tag = make_tag(0);
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

    std::unique_ptr<chain::TxManager> manager(const PrivateKey& k, const fs::path& journal_file) {
        auto journal = chain::FileTxJournal::open(journal_file);
        EXPECT_TRUE(journal) << journal.error().message;
        chain::TxManagerOptions o;
        o.stall_kick_method = "evm_mine";
        auto m = chain::TxManager::open(rpc(), k, std::shared_ptr<chain::TxJournal>(std::move(*journal)), o);
        EXPECT_TRUE(m) << m.error().message;
        return m ? std::move(*m) : nullptr;
    }

    Assets assets_;
    fs::path dir_;
};

TEST_F(WorkerChainAnvil, ContributesOnceAcrossRestartsRevealsAndChecksTheStake) {
    std::ofstream(dir_ / "app/iexec-app.json") << R"({"entrypoint":"run.sh"})";
    std::ofstream(dir_ / "app/run.sh") << "#!/bin/sh\necho \"standard result\" > $IEXEC_OUT/r.txt\n"
                                          "echo '{\"deterministic-output-path\":\"/iexec_out/r.txt\"}' > "
                                          "$IEXEC_OUT/computed.json\n";
    fs::permissions(dir_ / "app/run.sh", fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec |
                                             fs::perms::group_read | fs::perms::group_exec);
    ASSERT_EQ(
        run_shell("tar -czf " + (dir_ / "app.tar.gz").string() + " -C " + (dir_ / "app").string() + " . && echo ok"),
        "ok");
    const auto checksum =
        bytes32_from_hex("0x" + run_shell("sha256sum " + (dir_ / "app.tar.gz").string() + " | cut -d' ' -f1"));
    ASSERT_TRUE(checksum);

    const Bytes32 deal_id = match(9300);
    ASSERT_FALSE(deal_id == Bytes32{});
    ASSERT_TRUE(send(hub().initialize(deal_id, U256(0)), key(kScheduler)));
    const Bytes32 task = task_id(deal_id, U256(0));
    const Deal deal = hub().view_deal(deal_id).value();
    ASSERT_TRUE(U256(0) < deal.worker_stake) << "the stake check needs a deal with a worker stake";

    worker::ReplicateRunner runner(worker::RunnerOptions{.work_dir = dir_ / "work"}, address(kWorker),
                                   std::make_shared<worker::SandboxRuntime>());
    worker::ReplicateRequest req;
    req.task.task_id = task;
    req.task.deal_id = deal_id;
    req.task.bot_size = deal.bot_size;
    req.task.bot_first = deal.bot_first;
    req.app_url = "file://" + (dir_ / "app.tar.gz").string();
    req.app_checksum = *checksum;
    req.max_time = std::chrono::seconds(30);
    req.memory_bytes = 256ull << 20;
    std::atomic<bool> cancel{false};
    auto res = runner.run(req, cancel);
    ASSERT_TRUE(res) << res.error().message;
    ASSERT_FALSE(res->failure) << res->failure_detail;
    // The digest, computed independently: sha256 of the file the app wrote.
    EXPECT_EQ(to_hex(res->digest.view()), "0x" + run_shell("printf 'standard result\\n' | sha256sum | cut -d' ' -f1"));

    workerapi::Assignment a;
    a.task_id = task;
    a.deal_id = deal_id;
    a.authorization.worker = address(kWorker);
    a.authorization.task_id = task;
    a.authorization.signature = sign_authorization(key(kScheduler), address(kWorker), task, Address{});

    const fs::path journal = dir_ / "worker-tx.journal";
    {
        auto tx = manager(key(kWorker), journal);
        ASSERT_TRUE(tx);
        worker::PocoChainPort port(hub(), *tx);
        ASSERT_TRUE(port.check_stake(a)) << port.check_stake(a).error().message;
        auto c = port.contribute(a, *res);
        ASSERT_TRUE(c) << c.error().message;
        EXPECT_FALSE(c->already_done);
        EXPECT_FALSE(c->tx_hash == Bytes32{});
        const auto on_chain = hub().view_contribution(task, address(kWorker)).value();
        EXPECT_EQ(on_chain.status, ContributionStatus::kContributed);
        EXPECT_EQ(on_chain.result_hash, res->result_hash);
        EXPECT_EQ(on_chain.result_seal, res->result_seal);
    }
    const auto nonce_after_contribute = eth().get_transaction_count(address(kWorker)).value();
    {
        // A restarted worker: same journal, new manager. The keyed intent is found; nothing is sent.
        auto tx = manager(key(kWorker), journal);
        ASSERT_TRUE(tx);
        worker::PocoChainPort port(hub(), *tx);
        auto again = port.contribute(a, *res);
        ASSERT_TRUE(again) << again.error().message;
        EXPECT_TRUE(again->already_done);
        EXPECT_EQ(eth().get_transaction_count(address(kWorker)).value(), nonce_after_contribute);

        // Trust 1: consensus at once; the task is revealing. Reveal once.
        EXPECT_EQ(hub().view_task(task).value().status, TaskStatus::kRevealing);
        auto r = port.reveal(task, res->digest);
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(hub().view_task(task).value().reveal_counter, U256(1));
        EXPECT_EQ(hub().view_contribution(task, address(kWorker)).value().status, ContributionStatus::kProved);
    }
    {
        // The journal is lost (new disk): the chain still shows the contribution; nothing is sent.
        auto tx = manager(key(kWorker), dir_ / "fresh.journal");
        ASSERT_TRUE(tx);
        worker::PocoChainPort port(hub(), *tx);
        auto again = port.contribute(a, *res);
        ASSERT_TRUE(again) << again.error().message;
        EXPECT_TRUE(again->already_done);
        EXPECT_EQ(eth().get_transaction_count(address(kWorker)).value(), nonce_after_contribute + 1);  // the reveal
    }
    {
        // A wallet with no stake in the hub: refused before anything is sent, with the amounts.
        const PrivateKey poor = PrivateKey::from_hex("0x" + std::string(63, '0') + "7").value();
        auto tx = manager(poor, dir_ / "poor.journal");
        ASSERT_TRUE(tx);
        worker::PocoChainPort port(hub(), *tx);
        auto stake = port.check_stake(a);
        ASSERT_FALSE(stake);
        EXPECT_EQ(stake.error().cause, workerapi::FailureCause::kStakeTooLow);
        EXPECT_NE(stake.error().message.find("stake too low"), std::string::npos) << stake.error().message;
        EXPECT_NE(stake.error().message.find(deal.worker_stake.to_dec()), std::string::npos) << stake.error().message;
    }
    ASSERT_TRUE(runner.cleanup(task));
}

}  // namespace
}  // namespace wp::test
