// The worker's chain actions (worker/chain_port.hpp, PocoChainPort: Hub + TxManager) against the real PoCo contracts
// on the shared devnet: a standard task at trust 1 computed by ReplicateRunner in the bubblewrap sandbox is
// contributed (the stake checked first) and revealed; a second worker process (a new TxManager on the same journal
// file, i.e. a restart) asked to contribute again finds the journaled intent and sends nothing; a worker whose
// journal is lost finds its contribution on chain and sends nothing either; a wallet without stake gets
// STAKE_TOO_LOW with the amounts in the message; the workerpool owner read from the deal verifies the scheduler's
// WorkerpoolAuthorization and refuses one signed by someone else. (Deal setup: worker_deal_fixture.hpp.)

#include <memory>

#include <gtest/gtest.h>

#include <wp/chain/tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/worker/authorization.hpp>
#include <wp/worker/chain_port.hpp>
#include <wp/worker/sandbox_runtime.hpp>

#include "worker_deal_fixture.hpp"

namespace wp::test {
namespace {

namespace fs = std::filesystem;

class WorkerChainAnvil : public WorkerDealAnvil {
  protected:
    std::unique_ptr<chain::TxManager> manager(const PrivateKey& k, const fs::path& journal_file) {
        auto journal = chain::FileTxJournal::open(journal_file);
        EXPECT_TRUE(journal) << journal.error().message;
        chain::TxManagerOptions o;
        o.stall_kick_method = "evm_mine";
        auto m = chain::TxManager::open(rpc(), k, std::shared_ptr<chain::TxJournal>(std::move(*journal)), o);
        EXPECT_TRUE(m) << m.error().message;
        return m ? std::move(*m) : nullptr;
    }
};

TEST_F(WorkerChainAnvil, ContributesOnceAcrossRestartsRevealsAndChecksTheStake) {
    const Bytes32 checksum = write_bundle(
        "echo \"standard result\" > $IEXEC_OUT/r.txt\n"
        "echo '{\"deterministic-output-path\":\"/iexec_out/r.txt\"}' > "
        "$IEXEC_OUT/computed.json\n");
    const WorkerTask t = deal_task(0, 9300);
    ASSERT_FALSE(t.deal_id == Bytes32{});
    const Bytes32 deal_id = t.deal_id;
    const Bytes32 task = t.task_id;
    const Deal& deal = t.deal;
    ASSERT_TRUE(U256(0) < deal.worker_stake) << "the stake check needs a deal with a worker stake";

    worker::ReplicateRunner runner(worker::RunnerOptions{.work_dir = dir_ / "work"}, address(kWorker),
                                   std::make_shared<worker::SandboxRuntime>());
    const worker::ReplicateRequest req = request_for(t, checksum);
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
        // The authorization's signer must be the deal's workerpool owner, as the contract checks it.
        auto owner = port.workerpool_owner(a);
        ASSERT_TRUE(owner) << owner.error().message;
        EXPECT_EQ(*owner, address(kScheduler));
        EXPECT_TRUE(worker::verify_authorization(a.authorization, address(kWorker), task, *owner));
        auto forged = a;
        forged.authorization.signature = sign_authorization(key(kRequester), address(kWorker), task, Address{});
        EXPECT_FALSE(worker::verify_authorization(forged.authorization, address(kWorker), task, *owner));
        auto no_deal = a;
        no_deal.deal_id = b32("0x00000000000000000000000000000000000000000000000000000000000000aa");
        auto missing = port.workerpool_owner(no_deal);
        ASSERT_FALSE(missing);
        EXPECT_EQ(missing.error().cause, workerapi::FailureCause::kTaskNotActive) << missing.error().message;
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
