// Differential tests of protocol/poco2.hpp (IexecPoco2Facet as pure functions) against the real PoCo 6.1.0 on anvil.
//
// Every step: the facts are read from the chain through the Hub's views (deal, task, contributions, scores, balances,
// kitty, teebroker; only the consensus groups m_consensus, which no view exposes, are carried over from the previous
// predicted outcome), block.timestamp is pinned with evm_setNextBlockTimestamp, apply_X predicts, the transaction is
// sent, and the chain after it must equal the prediction: viewTask, viewContribution of every worker, viewAccount of
// everyone involved (the prediction's escrow movements applied to the accounts read before), viewScore of every
// worker, and the hub's logs of the receipt decoded one by one (kind and every field, in emission order).
// Every reachable revert: check_X predicts which require fails, and the dry run (Hub::simulate) reverts the same way.
//
// The money figures are those of poco2_test.cpp's worked scenario (app 5 RLC, workerpool 10 RLC, trust 3, workers
// A, B, A, A, the dissenter with score 10, a kitty of 3 RLC): the dissenter's score is set with anvil_setStorageAt in
// m_workerScores (ERC-7201 slot of PocoStorageLib + 18), the kitty is filled by a claimed task.
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wp/chain/match_facts.hpp>
#include <wp/codec/abi.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/match.hpp>
#include <wp/protocol/poco2.hpp>
#include <wp/protocol/tag.hpp>

#include "poco_orders.hpp"

namespace wp::test {
namespace {

constexpr std::uint64_t kG = 1'000'000'000;  // 1 RLC in nRLC
constexpr std::size_t kW1 = kWorker;         // A
constexpr std::size_t kW2 = 6;               // B, the dissenter
constexpr std::size_t kW3 = 7;               // A
constexpr std::size_t kW4 = 8;               // A
constexpr std::size_t kStranger = 9;

const Bytes32 kDigestA = keccak256(as_bytes("result A"));
const Bytes32 kDigestB = keccak256(as_bytes("result B"));

// PocoStorageLib.POCO_STORAGE_LOCATION (erc7201:iexec.poco.storage.PocoStorage); m_workerScores is member 18.
const U256 kPocoStorage = U256::from_hex("0x5862653c6982c162832160cf30593645e8487b257e44d77cdd6b51eee2651b00").value();
constexpr std::uint64_t kWorkerScoresMember = 18;

std::string hex(const Bytes32& b) { return to_hex(b); }

std::string describe(const TaskEvent& e) {
    std::ostringstream s;
    s << to_string(e.kind) << "(account " << e.account.to_checksum() << ", to " << e.to.to_checksum() << ", amount "
      << e.amount.to_dec() << ", task " << hex(e.task_id) << ", value " << hex(e.value) << ", data " << to_hex(e.data)
      << ")";
    return s.str();
}

std::vector<std::string> describe(const std::vector<TaskEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(describe(e));
    return out;
}

std::string describe(const Task& t) {
    std::ostringstream s;
    s << "status " << to_string(t.status) << ", deal " << hex(t.deal_id) << ", idx " << t.idx.to_dec() << ", timeref "
      << t.timeref.to_dec() << ", deadlines " << t.contribution_deadline.to_dec() << "/" << t.reveal_deadline.to_dec()
      << "/" << t.final_deadline.to_dec() << ", consensus " << hex(t.consensus_value) << ", reveals "
      << t.reveal_counter.to_dec() << "/" << t.winner_counter.to_dec() << ", contributors [";
    for (const auto& c : t.contributors) s << c.to_checksum() << " ";
    s << "], digest " << hex(t.result_digest) << ", results " << to_hex(t.results) << ", results timestamp "
      << t.results_timestamp.to_dec() << ", callback " << to_hex(t.results_callback);
    return s.str();
}

std::string describe(const Contribution& c) {
    std::ostringstream s;
    s << to_string(c.status) << " " << hex(c.result_hash) << " " << hex(c.result_seal) << " "
      << c.enclave_challenge.to_checksum() << " w" << c.weight.to_dec();
    return s.str();
}

Bytes32 word_at(const Bytes& data, std::size_t i) {
    Bytes32 w;
    if (data.size() >= 32 * (i + 1)) w = U256::load_be32(data.data() + 32 * i).to_be32();
    return w;
}
U256 uint_at(const Bytes& data, std::size_t i) { return U256::from_be32(word_at(data, i)); }
Address address_at(const Bytes& data, std::size_t i) { return Address::from_word(word_at(data, i)); }

//! The hub's logs of a receipt as TaskEvents (the event set of poco2.hpp, signatures of the 6.1.0 sources). A log of
//! another signature is reported in `unknown`.
std::vector<TaskEvent> decode_hub_events(const chain::Receipt& receipt, const Address& hub,
                                         std::vector<std::string>& unknown) {
    struct Sig {
        TaskEventKind kind;
        Bytes32 topic;
    };
    auto topic = [](std::string_view s) { return keccak256(as_bytes(s)); };
    static const std::vector<Sig> sigs{
        {TaskEventKind::kTransfer, topic("Transfer(address,address,uint256)")},
        {TaskEventKind::kLock, topic("Lock(address,uint256)")},
        {TaskEventKind::kUnlock, topic("Unlock(address,uint256)")},
        {TaskEventKind::kReward, topic("Reward(address,uint256,bytes32)")},
        {TaskEventKind::kSeize, topic("Seize(address,uint256,bytes32)")},
        {TaskEventKind::kTaskInitialize, topic("TaskInitialize(bytes32,address)")},
        {TaskEventKind::kTaskContribute, topic("TaskContribute(bytes32,address,bytes32)")},
        {TaskEventKind::kTaskConsensus, topic("TaskConsensus(bytes32,bytes32)")},
        {TaskEventKind::kTaskReveal, topic("TaskReveal(bytes32,address,bytes32)")},
        {TaskEventKind::kTaskReopen, topic("TaskReopen(bytes32)")},
        {TaskEventKind::kTaskFinalize, topic("TaskFinalize(bytes32,bytes)")},
        {TaskEventKind::kTaskClaimed, topic("TaskClaimed(bytes32)")},
        {TaskEventKind::kAccurateContribution, topic("AccurateContribution(address,bytes32)")},
        {TaskEventKind::kFaultyContribution, topic("FaultyContribution(address,bytes32)")},
    };
    std::vector<TaskEvent> out;
    for (const auto& log : receipt.logs) {
        if (log.address != hub || log.topics.empty()) {
            unknown.push_back("log of " + log.address.to_checksum());
            continue;
        }
        const Sig* sig = nullptr;
        for (const auto& s : sigs) {
            if (s.topic == log.topics[0]) sig = &s;
        }
        if (sig == nullptr) {
            unknown.push_back("topic0 " + hex(log.topics[0]));
            continue;
        }
        auto t = [&](std::size_t i) { return i < log.topics.size() ? log.topics[i] : Bytes32{}; };
        TaskEvent e;
        e.kind = sig->kind;
        switch (sig->kind) {
            case TaskEventKind::kTransfer:
                e.account = Address::from_word(t(1));
                e.to = Address::from_word(t(2));
                e.amount = uint_at(log.data, 0);
                break;
            case TaskEventKind::kLock:
            case TaskEventKind::kUnlock:
                e.account = address_at(log.data, 0);
                e.amount = uint_at(log.data, 1);
                break;
            case TaskEventKind::kReward:
            case TaskEventKind::kSeize:
                e.account = address_at(log.data, 0);
                e.amount = uint_at(log.data, 1);
                e.task_id = word_at(log.data, 2);
                break;
            case TaskEventKind::kTaskInitialize:
                e.task_id = t(1);
                e.account = Address::from_word(t(2));
                break;
            case TaskEventKind::kTaskContribute:
            case TaskEventKind::kTaskReveal:
                e.task_id = t(1);
                e.account = Address::from_word(t(2));
                e.value = word_at(log.data, 0);
                break;
            case TaskEventKind::kTaskConsensus:
                e.task_id = t(1);
                e.value = word_at(log.data, 0);
                break;
            case TaskEventKind::kTaskReopen:
            case TaskEventKind::kTaskClaimed: e.task_id = t(1); break;
            case TaskEventKind::kTaskFinalize: {
                e.task_id = t(1);
                const U256 offset = uint_at(log.data, 0);
                if (offset.fits_u64() && offset.low_u64() % 32 == 0) {
                    const std::size_t at = static_cast<std::size_t>(offset.low_u64() / 32);
                    const U256 length = uint_at(log.data, at);
                    const std::size_t begin = 32 * (at + 1);
                    if (length.fits_u64() && begin + length.low_u64() <= log.data.size()) {
                        e.data.assign(log.data.begin() + static_cast<std::ptrdiff_t>(begin),
                                      log.data.begin() + static_cast<std::ptrdiff_t>(begin + length.low_u64()));
                    }
                }
                break;
            }
            case TaskEventKind::kAccurateContribution:
            case TaskEventKind::kFaultyContribution:
                e.account = Address::from_word(t(1));
                e.task_id = t(2);
                break;
        }
        out.push_back(std::move(e));
    }
    return out;
}

std::string explain(const TaskRevert& r) {
    return std::string(to_string(r.check)) + " (" + r.reason + "): " + r.explanation;
}

struct DealOnChain {
    Orders orders;
    Bytes32 deal_id;
    Deal deal;
};

class Poco2Anvil : public PocoOrdersFixture {
  protected:
    static std::vector<std::size_t> workers() { return {kW1, kW2, kW3, kW4, kStranger}; }
    static std::vector<Address> everyone() {
        std::vector<Address> out{address(kRequester), address(kScheduler), address(kAppOwner), kitty_address(),
                                 info().hub};
        for (auto w : workers()) out.push_back(address(w));
        return out;
    }

    //! Orders with the prices of poco2_test.cpp (app 5 RLC, workerpool 10 RLC, no dataset), `tweak`ed, signed.
    Orders deal_orders(std::uint64_t trust, std::uint64_t volume, std::uint64_t salt,
                       const std::function<void(Orders&)>& tweak = {}) {
        Orders o = make_orders(assets_, U256(volume), /*with_dataset=*/false, salt, trust);
        o.app.appprice = o.request.appmaxprice = U256(5 * kG);
        o.workerpool.workerpoolprice = o.request.workerpoolmaxprice = U256(10 * kG);
        if (tweak) tweak(o);
        return sign_all(o);
    }

    //! matchOrders as predicted by match_orders from the chain facts; the deal as viewDeal shows it.
    static DealOnChain match_on_chain(const Orders& orders) {
        DealOnChain d;
        d.orders = orders;
        chain::MatchFactsOptions options;
        options.version = PocoVersion::kV6_1;
        auto facts = chain::match_facts_from_chain(hub(), d.orders.app, d.orders.dataset, d.orders.workerpool,
                                                   d.orders.request, options);
        EXPECT_TRUE(facts) << facts.error().message;
        if (!facts) return d;
        auto predicted = match_orders(d.orders.app, d.orders.dataset, d.orders.workerpool, d.orders.request, *facts);
        EXPECT_TRUE(predicted) << predicted.error().explanation;
        if (!predicted) return d;
        auto receipt = send(hub().match_orders(d.orders.app, d.orders.dataset, d.orders.workerpool, d.orders.request),
                            key(kRequester));
        EXPECT_TRUE(receipt) << receipt.error().message;
        d.deal_id = predicted->deal_id;
        d.deal = hub().view_deal(d.deal_id).value();
        EXPECT_EQ(d.deal.worker_stake, U256(3 * kG));
        return d;
    }

    DealOnChain match_deal(std::uint64_t trust, std::uint64_t volume, std::uint64_t salt,
                           const std::function<void(Orders&)>& tweak = {}) {
        return match_on_chain(deal_orders(trust, volume, salt, tweak));
    }

    //! evm_setNextBlockTimestamp(latest + 1 + extra): the block.timestamp of the next transaction.
    static U256 pin_now(std::uint64_t extra = 0) {
        const std::uint64_t t = block_timestamp().value() + 1 + extra;
        auto r = rpc().call("evm_setNextBlockTimestamp", {boost::json::value(t)});
        EXPECT_TRUE(r) << r.error().message;
        return U256(t);
    }
    //! The timestamp a dry run is evaluated at, give or take a second (the checks below stay away from boundaries).
    static U256 dry_now() { return U256(block_timestamp().value() + 1); }

    //! Moves the chain to `t` + 1 (a block mined after `t`).
    static void advance_past(const U256& t) {
        const std::uint64_t now = block_timestamp().value();
        ASSERT_TRUE(t.fits_u64());
        if (t.low_u64() >= now) {
            ASSERT_TRUE(advance_time(t.low_u64() - now + 1));
        }
        ASSERT_GT(block_timestamp().value(), t.low_u64());
    }

    //! m_workerScores[worker] = score (storage write; checked through viewScore).
    static void set_score(const Address& worker, const U256& score) {
        Bytes preimage = concat(worker.to_word().view(),
                                checked_add(kPocoStorage, U256(kWorkerScoresMember)).value().to_be32().view());
        const Bytes32 slot = keccak256(preimage);
        auto r =
            rpc().call("anvil_setStorageAt", {boost::json::value(info().hub.to_checksum()),
                                              boost::json::value(hex(slot)), boost::json::value(hex(score.to_be32()))});
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_EQ(hub().view_score(worker).value(), score);
    }

    //! The task's storage as the views show it; the consensus groups (not exposed) come from the model.
    static TaskRecord record_from_chain(const Bytes32& task, const ConsensusState& consensus) {
        TaskRecord r;
        r.task = hub().view_task(task).value();
        r.consensus = consensus;
        for (const auto& w : r.task.contributors) r.contributions[w] = hub().view_contribution(task, w).value();
        return r;
    }

    // ---- facts from the chain ----

    static InitializeFacts initialize_facts(const Bytes32& deal_id, std::uint64_t idx) {
        InitializeFacts f;
        f.deal_id = deal_id;
        f.idx = U256(idx);
        f.deal = hub().view_deal(deal_id).value();
        f.task_status = hub().view_task(task_id(deal_id, U256(idx))).value().status;
        f.category_exists = f.deal.category < hub().count_category().value();
        if (f.category_exists) f.timeref = hub().view_category(f.deal.category).value().work_clock_time_ref;
        return f;
    }

    static ContributeFacts contribute_facts(const Bytes32& task, const Address& worker, const Bytes32& digest,
                                            const U256& now, const ConsensusState& consensus) {
        ContributeFacts f;
        f.task_id = task;
        f.result_hash = result_hash(task, digest);
        f.result_seal = result_seal(worker, task, digest);
        f.authorization_sign = sign_authorization(key(kScheduler), worker, task, Address{});
        f.caller = worker;
        f.now = now;
        f.record = record_from_chain(task, consensus);
        f.deal = hub().view_deal(f.record.task.deal_id).value();
        f.caller_score = hub().view_score(worker).value();
        f.caller_balance = hub().balance_of(worker).value();
        f.teebroker = hub().teebroker().value();
        f.hub = info().hub;
        return f;
    }
    static chain::HubResult<chain::ContractCall> contribute_call(const ContributeFacts& f) {
        return hub().contribute(f.task_id, f.result_hash, f.result_seal, f.enclave_challenge, f.enclave_sign,
                                f.authorization_sign);
    }
    //! contributeAndFinalize facts of `worker` on `task` (no enclave, no callback), everything else read from the chain.
    static ContributeAndFinalizeFacts fast_facts(const Bytes32& task, const Address& worker, const Bytes32& digest,
                                                 std::string_view results, const U256& now,
                                                 const ConsensusState& consensus) {
        ContributeAndFinalizeFacts f;
        f.task_id = task;
        f.result_digest = digest;
        f.results = bytes_of(results);
        f.authorization_sign = sign_authorization(key(kScheduler), worker, task, Address{});
        f.caller = worker;
        f.now = now;
        f.record = record_from_chain(task, consensus);
        f.deal = hub().view_deal(f.record.task.deal_id).value();
        f.kitty = hub().frozen_of(kitty_address()).value();
        f.teebroker = hub().teebroker().value();
        f.hub = info().hub;
        return f;
    }
    static chain::HubResult<chain::ContractCall> fast_call(const ContributeAndFinalizeFacts& f) {
        return hub().contribute_and_finalize(f.task_id, f.result_digest, f.results, f.results_callback,
                                             f.enclave_challenge, f.enclave_sign, f.authorization_sign);
    }

    static RevealFacts reveal_facts(const Bytes32& task, const Address& worker, const Bytes32& digest, const U256& now,
                                    const ConsensusState& consensus) {
        return RevealFacts{task, digest, worker, now, record_from_chain(task, consensus)};
    }

    static FinalizeFacts finalize_facts(const Bytes32& task, const Address& caller, const Bytes& results,
                                        const U256& now, const ConsensusState& consensus) {
        FinalizeFacts f;
        f.task_id = task;
        f.results = results;
        f.caller = caller;
        f.now = now;
        f.record = record_from_chain(task, consensus);
        f.deal = hub().view_deal(f.record.task.deal_id).value();
        f.kitty = hub().frozen_of(kitty_address()).value();
        for (const auto& w : f.record.task.contributors) f.scores[w] = hub().view_score(w).value();
        f.hub = info().hub;
        return f;
    }

    static ReopenFacts reopen_facts(const Bytes32& task, const Address& caller, const U256& now,
                                    const ConsensusState& consensus) {
        ReopenFacts f;
        f.task_id = task;
        f.caller = caller;
        f.now = now;
        f.record = record_from_chain(task, consensus);
        f.deal = hub().view_deal(f.record.task.deal_id).value();
        return f;
    }

    static ClaimFacts claim_facts(const Bytes32& task, const U256& now, const ConsensusState& consensus) {
        ClaimFacts f;
        f.task_id = task;
        f.now = now;
        f.record = record_from_chain(task, consensus);
        f.deal = hub().view_deal(f.record.task.deal_id).value();
        f.hub = info().hub;
        return f;
    }

    // ---- the two comparisons ----

    //! Sends `call` from `signer` at the pinned `now` and compares the chain after it with `predicted`.
    static TaskOutcome step(const std::string& label, const TaskResult<TaskOutcome>& predicted,
                            const chain::HubResult<chain::ContractCall>& call, std::size_t signer, const U256& now) {
        if (!predicted) {
            ADD_FAILURE() << label << ": predicted a revert: " << explain(predicted.error());
            return {};
        }
        step_all(label, {*predicted}, call, signer, now);
        return *predicted;
    }

    //! step() of a call that runs several task operations (initializeArray, claimArray...): the events of the
    //! outcomes concatenated, their movements applied in order, each task's record compared.
    static void step_all(const std::string& label, const std::vector<TaskOutcome>& outcomes,
                         const chain::HubResult<chain::ContractCall>& call, std::size_t signer, const U256& now) {
        SCOPED_TRACE(label);
        const auto who = everyone();
        EscrowBook book;
        book.hub = info().hub;
        book.accounts = accounts(who);
        std::map<Address, U256> scores;
        for (auto w : workers()) scores[address(w)] = hub().view_score(address(w)).value();

        auto receipt = send(call, key(signer));
        ASSERT_TRUE(receipt) << receipt.error().message;
        EXPECT_EQ(U256(block_timestamp(chain::BlockTag::number(receipt->block_number)).value()), now)
            << "the pinned timestamp was not used";

        // Logs.
        std::vector<std::string> unknown;
        const auto events = decode_hub_events(*receipt, info().hub, unknown);
        EXPECT_TRUE(unknown.empty()) << unknown.front();
        std::vector<TaskEvent> predicted_events;
        for (const auto& o : outcomes)
            predicted_events.insert(predicted_events.end(), o.events.begin(), o.events.end());
        EXPECT_EQ(describe(events), describe(predicted_events));
        for (const auto& predicted : outcomes) {
            // Storage.
            const Bytes32 task = predicted.task_id;
            EXPECT_EQ(describe(hub().view_task(task).value()), describe(predicted.record.task));
            for (auto w : workers()) {
                EXPECT_EQ(describe(hub().view_contribution(task, address(w)).value()),
                          describe(predicted.record.contribution_of(address(w))))
                    << "worker account " << w;
            }
            // Balances: the accounts before plus the predicted escrow movements (the hub's own balance included).
            auto applied = apply_escrow_movements(book, predicted.movements);
            EXPECT_TRUE(applied) << (applied ? "" : explain(applied.error()));
            for (const auto& u : predicted.scores) {
                EXPECT_EQ(scores[u.worker], u.old_score) << u.worker.to_checksum();
                scores[u.worker] = u.new_score;
            }
        }
        const auto after = accounts(who);
        for (const auto& a : who) {
            EXPECT_EQ(after.at(a), book.account(a))
                << a.to_checksum() << ": chain {" << after.at(a).stake.to_dec() << ", " << after.at(a).locked.to_dec()
                << "} predicted {" << book.account(a).stake.to_dec() << ", " << book.account(a).locked.to_dec() << "}";
        }
        for (auto w : workers()) {
            EXPECT_EQ(hub().view_score(address(w)).value(), scores[address(w)]) << "score of worker account " << w;
        }
    }

    //! check_X predicted `check`; the dry run from `from` reverts exactly as predicted.
    static void expect_revert(const std::string& label, const TaskResult<void>& predicted, TaskCheck check,
                              const chain::HubResult<chain::ContractCall>& call, const Address& from) {
        SCOPED_TRACE(label);
        ASSERT_FALSE(predicted) << "predicted success, expected " << to_string(check);
        EXPECT_EQ(to_string(predicted.error().check), to_string(check)) << predicted.error().explanation;
        ASSERT_TRUE(call) << call.error().message;
        auto dry = hub().simulate(*call, from);
        ASSERT_FALSE(dry) << "the chain accepted it; predicted " << explain(predicted.error());
        const auto chain_revert = as_chain_revert(dry.error());
        ASSERT_TRUE(chain_revert) << dry.error().message;
        EXPECT_EQ(*chain_revert, as_chain_revert(predicted.error())) << dry.error().message;
    }

    void SetUp() override {
        PocoOrdersFixture::SetUp();
        if (HasFatalFailure()) return;
        assets_ = create_assets();
    }

    Assets assets_;
};

// (a) trust 3, workers A, B, A, A; the dissenter B has score 10; the kitty holds 3 RLC from a claimed task.
TEST_F(Poco2Anvil, Trust3WithADissenterStepByStep) {
    // The kitty: a trust-1 task claimed after its final deadline (claim without contributors).
    {
        const DealOnChain k = match_deal(1, 1, 100);
        ASSERT_FALSE(k.deal_id == Bytes32{});
        U256 now = pin_now();
        const auto init = step("kitty initialize", apply_initialize(initialize_facts(k.deal_id, 0)),
                               hub().initialize(k.deal_id, U256(0)), kScheduler, now);
        ASSERT_NO_FATAL_FAILURE(advance_past(init.record.task.final_deadline));
        now = pin_now();
        step("kitty claim", apply_claim(claim_facts(init.task_id, now, init.record.consensus)),
             hub().claim(init.task_id), kStranger, now);
        ASSERT_EQ(hub().frozen_of(kitty_address()).value(), U256(3 * kG));
    }
    ASSERT_NO_FATAL_FAILURE(set_score(address(kW2), 10));

    const DealOnChain d = match_deal(3, 1, 200);
    ASSERT_FALSE(d.deal_id == Bytes32{});
    const Bytes32 task = task_id(d.deal_id, U256(0));
    U256 now = pin_now();
    TaskOutcome out = step("initialize", apply_initialize(initialize_facts(d.deal_id, 0)),
                           hub().initialize(d.deal_id, U256(0)), kScheduler, now);
    ConsensusState consensus = out.record.consensus;

    // Reverts while ACTIVE without contributions.
    expect_revert("initialize twice", check_initialize(initialize_facts(d.deal_id, 0)), TaskCheck::kInitializeNotUnset,
                  hub().initialize(d.deal_id, U256(0)), address(kScheduler));
    expect_revert("initialize idx = botSize", check_initialize(initialize_facts(d.deal_id, 1)),
                  TaskCheck::kInitializeIdxPastEnd, hub().initialize(d.deal_id, U256(1)), address(kScheduler));
    expect_revert("reveal while ACTIVE", check_reveal(reveal_facts(task, address(kW1), kDigestA, dry_now(), consensus)),
                  TaskCheck::kRevealNotRevealing, hub().reveal(task, kDigestA), address(kW1));
    expect_revert("finalize while ACTIVE",
                  check_finalize(finalize_facts(task, address(kScheduler), bytes_of("r"), dry_now(), consensus)),
                  TaskCheck::kFinalizeNotRevealing, hub().finalize(task, bytes_of("r"), {}), address(kScheduler));
    expect_revert("claim too early", check_claim(claim_facts(task, dry_now(), consensus)),
                  TaskCheck::kClaimBeforeFinalDeadline, hub().claim(task), address(kStranger));
    {
        const auto f = fast_facts(task, address(kW1), kDigestA, "fast", dry_now(), consensus);
        expect_revert("contributeAndFinalize at trust 3", check_contribute_and_finalize(f), TaskCheck::kFastTrustNotOne,
                      fast_call(f), address(kW1));
    }

    // W1 A.
    now = pin_now();
    auto f1 = contribute_facts(task, address(kW1), kDigestA, now, consensus);
    out = step("W1 contributes A", apply_contribute(f1), contribute_call(f1), kW1, now);
    consensus = out.record.consensus;
    EXPECT_FALSE(out.consensus_reached);

    // Contribution reverts.
    {
        auto again = contribute_facts(task, address(kW1), kDigestA, dry_now(), consensus);
        expect_revert("W1 twice", check_contribute(again), TaskCheck::kContributeAlreadyDone, contribute_call(again),
                      address(kW1));
        auto self_signed = contribute_facts(task, address(kW2), kDigestB, dry_now(), consensus);
        self_signed.authorization_sign = sign_authorization(key(kW2), address(kW2), task, Address{});
        expect_revert("authorization signed by the worker", check_contribute(self_signed),
                      TaskCheck::kContributeAuthorization, contribute_call(self_signed), address(kW2));
        auto other_task = contribute_facts(task, address(kW2), kDigestB, dry_now(), consensus);
        other_task.authorization_sign = sign_authorization(key(kScheduler), address(kW3), task, Address{});
        expect_revert("authorization for another worker", check_contribute(other_task),
                      TaskCheck::kContributeAuthorization, contribute_call(other_task), address(kW2));
        auto short_sign = contribute_facts(task, address(kW2), kDigestB, dry_now(), consensus);
        short_sign.authorization_sign = Bytes(12, 0x01);
        expect_revert("authorization of 12 bytes", check_contribute(short_sign), TaskCheck::kContributeAuthorization,
                      contribute_call(short_sign), address(kW2));
        // A worker without SRLC (a fresh address, authorized): the stake lock fails.
        const Address broke = PrivateKey::generate().address();
        auto no_stake = contribute_facts(task, broke, kDigestA, dry_now(), consensus);
        expect_revert("worker without stake", check_contribute(no_stake), TaskCheck::kContributeStakeLock,
                      contribute_call(no_stake), broke);
    }

    // W2 B (the dissenter), W3 A, W4 A (consensus).
    const std::pair<std::size_t, Bytes32> rest[] = {{kW2, kDigestB}, {kW3, kDigestA}, {kW4, kDigestA}};
    for (const auto& [w, digest] : rest) {
        now = pin_now();
        auto f = contribute_facts(task, address(w), digest, now, consensus);
        out = step("contribute of account " + std::to_string(w), apply_contribute(f), contribute_call(f), w, now);
        consensus = out.record.consensus;
    }
    ASSERT_TRUE(out.consensus_reached);
    EXPECT_EQ(out.record.task.winner_counter, U256(3));
    EXPECT_EQ(consensus.group_of(result_hash(task, kDigestA)), U256(8));
    EXPECT_EQ(consensus.total, U256(11));

    // Reverts while REVEALING.
    {
        auto late = contribute_facts(task, address(kStranger), kDigestA, dry_now(), consensus);
        expect_revert("contribute after consensus", check_contribute(late), TaskCheck::kContributeNotActive,
                      contribute_call(late), address(kStranger));
        expect_revert("the dissenter reveals",
                      check_reveal(reveal_facts(task, address(kW2), kDigestB, dry_now(), consensus)),
                      TaskCheck::kRevealNotConsensus, hub().reveal(task, kDigestB), address(kW2));
        expect_revert("reveal of a wrong digest",
                      check_reveal(reveal_facts(task, address(kW1), kDigestB, dry_now(), consensus)),
                      TaskCheck::kRevealResultHash, hub().reveal(task, kDigestB), address(kW1));
        expect_revert("reveal without contribution",
                      check_reveal(reveal_facts(task, address(kStranger), kDigestA, dry_now(), consensus)),
                      TaskCheck::kRevealNotContributed, hub().reveal(task, kDigestA), address(kStranger));
        expect_revert("reopen too early", check_reopen(reopen_facts(task, address(kScheduler), dry_now(), consensus)),
                      TaskCheck::kReopenRevealNotFailed, hub().reopen(task), address(kScheduler));
        expect_revert("finalize by a worker",
                      check_finalize(finalize_facts(task, address(kW1), bytes_of("r"), dry_now(), consensus)),
                      TaskCheck::kFinalizeNotScheduler, hub().finalize(task, bytes_of("r"), {}), address(kW1));
        expect_revert("finalize before any reveal",
                      check_finalize(finalize_facts(task, address(kScheduler), bytes_of("r"), dry_now(), consensus)),
                      TaskCheck::kFinalizeRevealsIncomplete, hub().finalize(task, bytes_of("r"), {}),
                      address(kScheduler));
    }

    // Reveals of the three winners; after the first, finalize is still refused.
    for (auto w : {kW1, kW3, kW4}) {
        now = pin_now();
        out = step("reveal of account " + std::to_string(w),
                   apply_reveal(reveal_facts(task, address(w), kDigestA, now, consensus)), hub().reveal(task, kDigestA),
                   w, now);
        if (w == kW1) {
            expect_revert(
                "finalize after 1 of 3 reveals",
                check_finalize(finalize_facts(task, address(kScheduler), bytes_of("r"), dry_now(), consensus)),
                TaskCheck::kFinalizeRevealsIncomplete, hub().finalize(task, bytes_of("r"), {}), address(kScheduler));
        }
    }

    // finalize: 3 winners, the dissenter's stake seized and its score 10 → 6, the kitty pays 1 RLC.
    now = pin_now();
    const Bytes results = bytes_of("ipfs://QmTrust3");
    out = step("finalize", apply_finalize(finalize_facts(task, address(kScheduler), results, now, consensus)),
               hub().finalize(task, results, {}), kScheduler, now);
    EXPECT_EQ(hub().view_score(address(kW2)).value(), U256(6));
    EXPECT_EQ(hub().view_score(address(kW1)).value(), U256(1));
    EXPECT_EQ(hub().frozen_of(kitty_address()).value(), U256(2 * kG));
    EXPECT_EQ(hub().view_account(address(kW2)).value().locked, U256(0));
}

// (b) nobody reveals: reopen after the reveal deadline, then a new consensus among the other workers.
TEST_F(Poco2Anvil, ReopenThenANewConsensus) {
    const DealOnChain d = match_deal(3, 1, 300);
    ASSERT_FALSE(d.deal_id == Bytes32{});
    const Bytes32 task = task_id(d.deal_id, U256(0));
    U256 now = pin_now();
    TaskOutcome out = step("initialize", apply_initialize(initialize_facts(d.deal_id, 0)),
                           hub().initialize(d.deal_id, U256(0)), kScheduler, now);
    ConsensusState consensus = out.record.consensus;
    for (auto w : {kW1, kW2}) {
        now = pin_now();
        auto f = contribute_facts(task, address(w), kDigestA, now, consensus);
        out = step("contribute A of account " + std::to_string(w), apply_contribute(f), contribute_call(f), w, now);
        consensus = out.record.consensus;
    }
    ASSERT_TRUE(out.consensus_reached);
    expect_revert("reopen before the reveal deadline",
                  check_reopen(reopen_facts(task, address(kScheduler), dry_now(), consensus)),
                  TaskCheck::kReopenRevealNotFailed, hub().reopen(task), address(kScheduler));
    ASSERT_NO_FATAL_FAILURE(advance_past(out.record.task.reveal_deadline));
    expect_revert("reveal after the deadline",
                  check_reveal(reveal_facts(task, address(kW1), kDigestA, dry_now(), consensus)),
                  TaskCheck::kRevealDeadline, hub().reveal(task, kDigestA), address(kW1));
    expect_revert("finalize without reveals",
                  check_finalize(finalize_facts(task, address(kScheduler), bytes_of("r"), dry_now(), consensus)),
                  TaskCheck::kFinalizeRevealsIncomplete, hub().finalize(task, bytes_of("r"), {}), address(kScheduler));
    expect_revert("reopen by a worker", check_reopen(reopen_facts(task, address(kW1), dry_now(), consensus)),
                  TaskCheck::kReopenNotScheduler, hub().reopen(task), address(kW1));

    now = pin_now();
    out = step("reopen", apply_reopen(reopen_facts(task, address(kScheduler), now, consensus)), hub().reopen(task),
               kScheduler, now);
    consensus = out.record.consensus;
    {
        auto again = contribute_facts(task, address(kW1), kDigestB, dry_now(), consensus);
        expect_revert("a REJECTED worker contributes again", check_contribute(again), TaskCheck::kContributeAlreadyDone,
                      contribute_call(again), address(kW1));
    }
    for (auto w : {kW3, kW4}) {
        now = pin_now();
        auto f = contribute_facts(task, address(w), kDigestB, now, consensus);
        out = step("contribute B of account " + std::to_string(w), apply_contribute(f), contribute_call(f), w, now);
        consensus = out.record.consensus;
    }
    ASSERT_TRUE(out.consensus_reached);
    now = pin_now();
    out = step("W3 reveals B", apply_reveal(reveal_facts(task, address(kW3), kDigestB, now, consensus)),
               hub().reveal(task, kDigestB), kW3, now);
    expect_revert("finalize with 1 of 2 reveals before the deadline",
                  check_finalize(finalize_facts(task, address(kScheduler), bytes_of("r"), dry_now(), consensus)),
                  TaskCheck::kFinalizeRevealsIncomplete, hub().finalize(task, bytes_of("r"), {}), address(kScheduler));
    ASSERT_NO_FATAL_FAILURE(advance_past(out.record.task.reveal_deadline));
    now = pin_now();
    const Bytes results = bytes_of("ipfs://QmReopened");
    out = step("finalize after the reveal deadline",
               apply_finalize(finalize_facts(task, address(kScheduler), results, now, consensus)),
               hub().finalize(task, results, {}), kScheduler, now);
    EXPECT_EQ(hub().view_task(task).value().status, TaskStatus::kCompleted);
}

// (c) claim after the final deadline of a task with contributors (no consensus).
TEST_F(Poco2Anvil, ClaimAfterTheFinalDeadlineWithContributors) {
    const DealOnChain d = match_deal(3, 2, 400);
    ASSERT_FALSE(d.deal_id == Bytes32{});
    const Bytes32 task = task_id(d.deal_id, U256(1));
    U256 now = pin_now();
    TaskOutcome out = step("initialize idx 1", apply_initialize(initialize_facts(d.deal_id, 1)),
                           hub().initialize(d.deal_id, U256(1)), kScheduler, now);
    ConsensusState consensus = out.record.consensus;
    const std::pair<std::size_t, Bytes32> contributions[] = {{kW1, kDigestA}, {kW2, kDigestB}};
    for (const auto& [w, digest] : contributions) {
        now = pin_now();
        auto f = contribute_facts(task, address(w), digest, now, consensus);
        out = step("contribute of account " + std::to_string(w), apply_contribute(f), contribute_call(f), w, now);
        consensus = out.record.consensus;
    }
    ASSERT_FALSE(out.consensus_reached);
    ASSERT_NO_FATAL_FAILURE(advance_past(out.record.task.contribution_deadline));
    {
        auto late = contribute_facts(task, address(kW3), kDigestA, dry_now(), consensus);
        expect_revert("contribute after the contribution deadline", check_contribute(late),
                      TaskCheck::kContributeDeadline, contribute_call(late), address(kW3));
    }
    expect_revert("claim before the final deadline", check_claim(claim_facts(task, dry_now(), consensus)),
                  TaskCheck::kClaimBeforeFinalDeadline, hub().claim(task), address(kStranger));
    ASSERT_NO_FATAL_FAILURE(advance_past(out.record.task.final_deadline));
    now = pin_now();
    out = step("claim", apply_claim(claim_facts(task, now, consensus)), hub().claim(task), kStranger, now);
    expect_revert("claim twice", check_claim(claim_facts(task, dry_now(), consensus)),
                  TaskCheck::kClaimNotActiveOrRevealing, hub().claim(task), address(kStranger));
    // initialize after the final deadline is allowed (no time condition) and claim follows.
    now = pin_now();
    out = step("initialize idx 0 late", apply_initialize(initialize_facts(d.deal_id, 0)),
               hub().initialize(d.deal_id, U256(0)), kScheduler, now);
    now = pin_now();
    step("claim idx 0", apply_claim(claim_facts(out.task_id, now, out.record.consensus)), hub().claim(out.task_id),
         kStranger, now);
    EXPECT_EQ(hub().view_account(address(kRequester)).value().locked, U256(0));
}

// contributeAndFinalize and finalize with a callback (deal.callback ≠ 0: resultsCallback must hash to the digest).
TEST_F(Poco2Anvil, FastPathAndCallbacks) {
    const Address callback = address(kDatasetOwner);  // an EOA: the call succeeds and does nothing
    const DealOnChain d = match_deal(1, 2, 500, [&](Orders& o) { o.request.callback = callback; });
    ASSERT_FALSE(d.deal_id == Bytes32{});
    ASSERT_EQ(d.deal.callback, callback);
    const Bytes callback_data = bytes_of("callback data of task 0");
    const Bytes32 digest = keccak256(callback_data);

    // Task 0, fast path.
    U256 now = pin_now();
    TaskOutcome out = step("initialize 0", apply_initialize(initialize_facts(d.deal_id, 0)),
                           hub().initialize(d.deal_id, U256(0)), kScheduler, now);
    auto fast = [&](const Bytes& results_callback, const U256& at) {
        auto f = fast_facts(out.task_id, address(kW1), digest, "ipfs://fast", at, out.record.consensus);
        f.results_callback = results_callback;
        return f;
    };
    {
        auto wrong = fast(bytes_of("not the digest preimage"), dry_now());
        expect_revert("fast path, wrong callback data", check_contribute_and_finalize(wrong), TaskCheck::kFastCallback,
                      fast_call(wrong), address(kW1));
        auto none = fast({}, dry_now());
        expect_revert("fast path, no callback data", check_contribute_and_finalize(none), TaskCheck::kFastCallback,
                      fast_call(none), address(kW1));
        auto unauthorized = fast(callback_data, dry_now());
        unauthorized.authorization_sign = sign_authorization(key(kW1), address(kW1), out.task_id, Address{});
        expect_revert("fast path, self-signed authorization", check_contribute_and_finalize(unauthorized),
                      TaskCheck::kFastAuthorization, fast_call(unauthorized), address(kW1));
    }
    now = pin_now();
    auto ok = fast(callback_data, now);
    const TaskOutcome done = step("contributeAndFinalize", apply_contribute_and_finalize(ok), fast_call(ok), kW1, now);
    EXPECT_EQ(done.callback, std::optional<Address>(callback));
    EXPECT_EQ(hub().result_for(done.task_id).value(), callback_data);
    {
        auto again = fast(callback_data, dry_now());
        expect_revert("fast path twice", check_contribute_and_finalize(again), TaskCheck::kFastNotActive,
                      fast_call(again), address(kW1));
    }

    // Task 1, classic path: finalize needs the callback data too.
    now = pin_now();
    out = step("initialize 1", apply_initialize(initialize_facts(d.deal_id, 1)), hub().initialize(d.deal_id, U256(1)),
               kScheduler, now);
    const Bytes32 task = out.task_id;
    now = pin_now();
    auto f = contribute_facts(task, address(kW2), digest, now, out.record.consensus);
    out = step("contribute 1", apply_contribute(f), contribute_call(f), kW2, now);
    now = pin_now();
    out = step("reveal 1", apply_reveal(reveal_facts(task, address(kW2), digest, now, out.record.consensus)),
               hub().reveal(task, digest), kW2, now);
    const Bytes results = bytes_of("ipfs://classic");
    expect_revert("finalize without callback data",
                  check_finalize(finalize_facts(task, address(kScheduler), results, dry_now(), out.record.consensus)),
                  TaskCheck::kFinalizeCallback, hub().finalize(task, results, {}), address(kScheduler));
    {
        auto wrong = finalize_facts(task, address(kScheduler), results, dry_now(), out.record.consensus);
        wrong.results_callback = bytes_of("wrong");
        expect_revert("finalize with wrong callback data", check_finalize(wrong), TaskCheck::kFinalizeCallback,
                      hub().finalize(task, results, wrong.results_callback), address(kScheduler));
    }
    now = pin_now();
    auto fin = finalize_facts(task, address(kScheduler), results, now, out.record.consensus);
    fin.results_callback = callback_data;
    out = step("finalize with callback", apply_finalize(fin), hub().finalize(task, results, callback_data), kScheduler,
               now);
    EXPECT_EQ(out.callback, std::optional<Address>(callback));
}

// A TEE deal (tag 0x1): contributions need an enclave challenge and its signature; and a deal whose botFirst > 0.
TEST_F(Poco2Anvil, TeeContributionsAndBotFirst) {
    const DealOnChain d =
        match_deal(1, 1, 600, [](Orders& o) { o.app.tag = o.workerpool.tag = o.request.tag = make_tag(0x1); });
    ASSERT_FALSE(d.deal_id == Bytes32{});
    U256 now = pin_now();
    TaskOutcome out = step("initialize TEE", apply_initialize(initialize_facts(d.deal_id, 0)),
                           hub().initialize(d.deal_id, U256(0)), kScheduler, now);
    const Bytes32 task = out.task_id;
    const PrivateKey enclave = PrivateKey::generate();
    auto tee = [&](const U256& at) {
        auto f = contribute_facts(task, address(kW1), kDigestA, at, out.record.consensus);
        f.enclave_challenge = enclave.address();
        f.authorization_sign = sign_authorization(key(kScheduler), address(kW1), task, enclave.address());
        f.enclave_sign = eip191_sign(enclave, enclave_message_hash(f.result_hash, f.result_seal).view()).to_bytes65();
        return f;
    };
    {
        auto no_enclave = contribute_facts(task, address(kW1), kDigestA, dry_now(), out.record.consensus);
        expect_revert("TEE without enclave", check_contribute(no_enclave), TaskCheck::kContributeTeeNeedsEnclave,
                      contribute_call(no_enclave), address(kW1));
        auto bad_enclave_sign = tee(dry_now());
        bad_enclave_sign.enclave_sign = eip191_sign(key(kW1), bad_enclave_sign.result_hash.view()).to_bytes65();
        expect_revert("TEE, enclave signature by someone else", check_contribute(bad_enclave_sign),
                      TaskCheck::kContributeEnclaveSignature, contribute_call(bad_enclave_sign), address(kW1));
        auto auth_without_enclave = tee(dry_now());
        auth_without_enclave.authorization_sign = sign_authorization(key(kScheduler), address(kW1), task, Address{});
        expect_revert("TEE, authorization for enclave 0", check_contribute(auth_without_enclave),
                      TaskCheck::kContributeAuthorization, contribute_call(auth_without_enclave), address(kW1));
        // The fast path has the same two TEE checks (L213, L227).
        auto fast = fast_facts(task, address(kW1), kDigestA, "ipfs://tee", dry_now(), out.record.consensus);
        expect_revert("TEE fast path without enclave", check_contribute_and_finalize(fast),
                      TaskCheck::kFastTeeNeedsEnclave, fast_call(fast), address(kW1));
        fast.enclave_challenge = enclave.address();
        fast.authorization_sign = sign_authorization(key(kScheduler), address(kW1), task, enclave.address());
        fast.enclave_sign = eip191_sign(key(kW1), kDigestA.view()).to_bytes65();
        expect_revert("TEE fast path, enclave signature by someone else", check_contribute_and_finalize(fast),
                      TaskCheck::kFastEnclaveSignature, fast_call(fast), address(kW1));
    }
    now = pin_now();
    auto f = tee(now);
    out = step("TEE contribute", apply_contribute(f), contribute_call(f), kW1, now);
    EXPECT_EQ(hub().view_contribution(task, address(kW1)).value().enclave_challenge, enclave.address());

    // botFirst: a request of volume 3 matched first with a workerpool order of volume 1, then of volume 2.
    const Orders first = deal_orders(1, 3, 700, [](Orders& o) { o.workerpool.volume = U256(1); });
    const DealOnChain d1 = match_on_chain(first);
    Orders second = first;
    second.workerpool.volume = U256(2);
    second.workerpool.salt = U256(701).to_be32();
    second.workerpool.sign = sign_order(domain(), Order(second.workerpool), key(kScheduler));
    const DealOnChain d2 = match_on_chain(second);
    ASSERT_EQ(d1.deal.bot_size, U256(1));
    ASSERT_EQ(d2.deal.bot_first, U256(1));
    ASSERT_EQ(d2.deal.bot_size, U256(2));
    expect_revert("initialize idx < botFirst", check_initialize(initialize_facts(d2.deal_id, 0)),
                  TaskCheck::kInitializeIdxBelowFirst, hub().initialize(d2.deal_id, U256(0)), address(kScheduler));
    expect_revert("initialize idx = botFirst + botSize", check_initialize(initialize_facts(d2.deal_id, 3)),
                  TaskCheck::kInitializeIdxPastEnd, hub().initialize(d2.deal_id, U256(3)), address(kScheduler));
    expect_revert("initialize of an unknown deal", check_initialize(initialize_facts(keccak256(as_bytes("no")), 0)),
                  TaskCheck::kInitializeIdxPastEnd, hub().initialize(keccak256(as_bytes("no")), U256(0)),
                  address(kScheduler));
    now = pin_now();
    step("initialize idx 2 of the second deal", apply_initialize(initialize_facts(d2.deal_id, 2)),
         hub().initialize(d2.deal_id, U256(2)), kScheduler, now);
}

// initializeArray, claimArray and initializeAndClaimArray (one transaction, several tasks).
TEST_F(Poco2Anvil, ArrayCalls) {
    const DealOnChain d = match_deal(1, 4, 800);
    ASSERT_FALSE(d.deal_id == Bytes32{});
    // Unequal lengths (calldata built by hand: the Hub's builder refuses it).
    {
        const InitializeFacts one = initialize_facts(d.deal_id, 0);
        const std::vector<InitializeFacts> items{one};
        auto predicted = apply_initialize_array(items, 2);
        ASSERT_FALSE(predicted);
        const auto data = abi_encode_call(chain::hub_signature(chain::HubFn::kInitializeArray),
                                          {AbiValue::list({AbiValue::fixed_bytes(d.deal_id.view())}),
                                           AbiValue::list({AbiValue::uint_(U256(0)), AbiValue::uint_(U256(1))})});
        ASSERT_TRUE(data);
        chain::HubResult<chain::ContractCall> call = chain::ContractCall{info().hub, *data, U256(), "initializeArray"};
        expect_revert("initializeArray lengths", tl::unexpected(predicted.error()), TaskCheck::kArrayLengths, call,
                      address(kScheduler));
    }
    // The same task twice in one array: the second initialize reverts, so does the whole call.
    {
        const std::vector<InitializeFacts> items{initialize_facts(d.deal_id, 0), initialize_facts(d.deal_id, 0)};
        auto predicted = apply_initialize_array(items, 2);
        ASSERT_FALSE(predicted);
        const std::vector<Bytes32> deals{d.deal_id, d.deal_id};
        const std::vector<U256> idxs{U256(0), U256(0)};
        expect_revert("initializeArray twice the same task", tl::unexpected(predicted.error()),
                      TaskCheck::kInitializeNotUnset, hub().initialize_array(deals, idxs), address(kScheduler));
    }
    U256 now = pin_now();
    const std::vector<InitializeFacts> items{initialize_facts(d.deal_id, 0), initialize_facts(d.deal_id, 1)};
    auto initialized = apply_initialize_array(items, 2);
    ASSERT_TRUE(initialized) << explain(initialized.error());
    {
        const std::vector<Bytes32> deals{d.deal_id, d.deal_id};
        const std::vector<U256> idxs{U256(0), U256(1)};
        step_all("initializeArray", *initialized, hub().initialize_array(deals, idxs), kScheduler, now);
    }
    // One contribution on task 1, so its claim unlocks a worker stake too.
    now = pin_now();
    auto f =
        contribute_facts(initialized->at(1).task_id, address(kW1), kDigestA, now, initialized->at(1).record.consensus);
    ASSERT_NO_FATAL_FAILURE(step("contribute", apply_contribute(f), contribute_call(f), kW1, now));
    ASSERT_NO_FATAL_FAILURE(advance_past(initialized->at(0).record.task.final_deadline));

    now = pin_now();
    const std::vector<ClaimFacts> claims{claim_facts(initialized->at(0).task_id, now, {}),
                                         claim_facts(initialized->at(1).task_id, now, {})};
    auto claimed = apply_claim_array(claims);
    ASSERT_TRUE(claimed) << explain(claimed.error());
    const std::vector<Bytes32> tasks{initialized->at(0).task_id, initialized->at(1).task_id};
    step_all("claimArray", *claimed, hub().claim_array(tasks), kStranger, now);

    now = pin_now();
    const std::vector<InitializeFacts> late{initialize_facts(d.deal_id, 2), initialize_facts(d.deal_id, 3)};
    auto both = apply_initialize_and_claim_array(late, 2, now, info().hub);
    ASSERT_TRUE(both) << explain(both.error());
    const std::vector<Bytes32> deals{d.deal_id, d.deal_id};
    const std::vector<U256> idxs{U256(2), U256(3)};
    step_all("initializeAndClaimArray", *both, hub().initialize_and_claim_array(deals, idxs), kStranger, now);
    EXPECT_EQ(hub().view_account(address(kRequester)).value().locked, U256(0));
}

// The remaining reachable requires: a wrong seal, reopen of an ACTIVE task, the fast path on a reopened task, and the
// final deadline for finalize, reopen and the fast path.
TEST_F(Poco2Anvil, SealReopenAndFinalDeadlineReverts) {
    const DealOnChain d = match_deal(1, 2, 900);
    ASSERT_FALSE(d.deal_id == Bytes32{});
    U256 now = pin_now();
    TaskOutcome out = step("initialize 0", apply_initialize(initialize_facts(d.deal_id, 0)),
                           hub().initialize(d.deal_id, U256(0)), kScheduler, now);
    const Bytes32 task = out.task_id;
    // W1 contributes the seal of W2: accepted (the seal is only checked at reveal), consensus at trust 1.
    now = pin_now();
    auto f = contribute_facts(task, address(kW1), kDigestA, now, out.record.consensus);
    f.result_seal = result_seal(address(kW2), task, kDigestA);
    out = step("contribute with W2's seal", apply_contribute(f), contribute_call(f), kW1, now);
    ASSERT_TRUE(out.consensus_reached);
    expect_revert("reveal with a wrong seal",
                  check_reveal(reveal_facts(task, address(kW1), kDigestA, dry_now(), out.record.consensus)),
                  TaskCheck::kRevealResultSeal, hub().reveal(task, kDigestA), address(kW1));
    ASSERT_NO_FATAL_FAILURE(advance_past(out.record.task.reveal_deadline));
    now = pin_now();
    out = step("reopen", apply_reopen(reopen_facts(task, address(kScheduler), now, out.record.consensus)),
               hub().reopen(task), kScheduler, now);
    expect_revert("reopen an ACTIVE task",
                  check_reopen(reopen_facts(task, address(kScheduler), dry_now(), out.record.consensus)),
                  TaskCheck::kReopenNotRevealing, hub().reopen(task), address(kScheduler));
    {
        const auto fast = fast_facts(task, address(kW2), kDigestB, "ipfs://fast", dry_now(), out.record.consensus);
        expect_revert("fast path on a task with (rejected) contributors", check_contribute_and_finalize(fast),
                      TaskCheck::kFastHasContributors, fast_call(fast), address(kW2));
    }
    // W2 contributes B and reveals; then the final deadline passes before finalize.
    now = pin_now();
    f = contribute_facts(task, address(kW2), kDigestB, now, out.record.consensus);
    out = step("W2 contributes B", apply_contribute(f), contribute_call(f), kW2, now);
    now = pin_now();
    out = step("W2 reveals B", apply_reveal(reveal_facts(task, address(kW2), kDigestB, now, out.record.consensus)),
               hub().reveal(task, kDigestB), kW2, now);
    ASSERT_NO_FATAL_FAILURE(advance_past(out.record.task.final_deadline));
    expect_revert(
        "finalize after the final deadline",
        check_finalize(finalize_facts(task, address(kScheduler), bytes_of("r"), dry_now(), out.record.consensus)),
        TaskCheck::kFinalizeFinalDeadline, hub().finalize(task, bytes_of("r"), {}), address(kScheduler));
    expect_revert("reopen after the final deadline",
                  check_reopen(reopen_facts(task, address(kScheduler), dry_now(), out.record.consensus)),
                  TaskCheck::kReopenFinalDeadline, hub().reopen(task), address(kScheduler));
    // Task 1 initialized after its deadlines: the fast path is too late.
    now = pin_now();
    out = step("initialize 1 late", apply_initialize(initialize_facts(d.deal_id, 1)),
               hub().initialize(d.deal_id, U256(1)), kScheduler, now);
    {
        const auto fast =
            fast_facts(out.task_id, address(kW3), kDigestA, "ipfs://late", dry_now(), out.record.consensus);
        expect_revert("fast path after the contribution deadline", check_contribute_and_finalize(fast),
                      TaskCheck::kFastDeadline, fast_call(fast), address(kW3));
    }
    // The claim of the REVEALING task 0 after its final deadline (a revealed contribution, never finalized).
    now = pin_now();
    step("claim the revealed task", apply_claim(claim_facts(task, now, {})), hub().claim(task), kStranger, now);
}

// Scores near 2^256 (storage write): checkConsensus overflows at trust 4 (Panic 0x11); at trust 3 one worker reaches
// the consensus alone with weight floor(log2((2^256 − 1)/3 − 1)) = 254.
TEST_F(Poco2Anvil, HugeScores) {
    ASSERT_NO_FATAL_FAILURE(set_score(address(kW1), U256::max()));
    const DealOnChain d4 = match_deal(4, 1, 1000);
    ASSERT_FALSE(d4.deal_id == Bytes32{});
    U256 now = pin_now();
    TaskOutcome out = step("initialize trust 4", apply_initialize(initialize_facts(d4.deal_id, 0)),
                           hub().initialize(d4.deal_id, U256(0)), kScheduler, now);
    {
        auto f = contribute_facts(out.task_id, address(kW1), kDigestA, dry_now(), out.record.consensus);
        expect_revert("trust 4, score 2^256 − 1", check_contribute(f), TaskCheck::kArithmetic, contribute_call(f),
                      address(kW1));
    }
    const DealOnChain d3 = match_deal(3, 1, 1100);
    ASSERT_FALSE(d3.deal_id == Bytes32{});
    now = pin_now();
    out = step("initialize trust 3", apply_initialize(initialize_facts(d3.deal_id, 0)),
               hub().initialize(d3.deal_id, U256(0)), kScheduler, now);
    const Bytes32 task = out.task_id;
    now = pin_now();
    auto f = contribute_facts(task, address(kW1), kDigestA, now, out.record.consensus);
    out = step("trust 3, one huge worker", apply_contribute(f), contribute_call(f), kW1, now);
    EXPECT_TRUE(out.consensus_reached);
    EXPECT_EQ(hub().view_contribution(task, address(kW1)).value().weight, U256(254));
    now = pin_now();
    out = step("reveal", apply_reveal(reveal_facts(task, address(kW1), kDigestA, now, out.record.consensus)),
               hub().reveal(task, kDigestA), kW1, now);
    now = pin_now();
    step("finalize",
         apply_finalize(finalize_facts(task, address(kScheduler), bytes_of("r"), now, out.record.consensus)),
         hub().finalize(task, bytes_of("r"), {}), kScheduler, now);
}

}  // namespace
}  // namespace wp::test
