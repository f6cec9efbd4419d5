// The typed Hub against the real PoCo 6.1.0 on anvil (one deployment per process, snapshot / revert per test;
// poco_fixture.hpp), following shared/reference/local-chain.md §5. Every expected value comes from our protocol
// library (ids.hpp, order.hpp, task.hpp, economics.hpp, match.hpp) or from the reference documents, and is compared
// exactly with what the contracts store, emit and pay.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wp/chain/hub.hpp>
#include <wp/chain/match_facts.hpp>
#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/protocol/economics.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/match.hpp>
#include <wp/protocol/order.hpp>
#include <wp/protocol/task.hpp>
#include <wp/protocol/types.hpp>

#include "poco_orders.hpp"

namespace wp::test {
namespace {

using chain::RegistryKind;

U256 add(const U256& a, const U256& b) { return checked_add(a, b).value(); }
U256 sub(const U256& a, const U256& b) { return checked_sub(a, b).value(); }

constexpr std::string_view kOrdersMatched = "OrdersMatched(bytes32,bytes32,bytes32,bytes32,bytes32,uint256)";
constexpr std::string_view kTaskInitialize = "TaskInitialize(bytes32,address)";
constexpr std::string_view kErc721Transfer = "Transfer(address,address,uint256)";
constexpr std::string_view kClosedWorkerpoolOrder = "ClosedWorkerpoolOrder(bytes32)";

//! Free and frozen SRLC of one account.
struct Balance {
    U256 free;
    U256 frozen;
    friend bool operator==(const Balance&, const Balance&) = default;
};

std::ostream& operator<<(std::ostream& os, const Balance& b) {
    return os << "{free " << b.free.to_dec() << ", frozen " << b.frozen.to_dec() << "}";
}

//! Applies the escrow primitives of economics.hpp to a balance model (§7.5); the hub's own balance is not modelled.
void apply_movements(std::map<Address, Balance>& ledger, const std::vector<BalanceMovement>& movements) {
    for (const auto& m : movements) {
        auto& b = ledger[m.account];
        switch (m.op) {
            case EscrowOp::kLock:
                b.free = sub(b.free, m.amount);
                b.frozen = add(b.frozen, m.amount);
                break;
            case EscrowOp::kUnlock:
                b.frozen = sub(b.frozen, m.amount);
                b.free = add(b.free, m.amount);
                break;
            case EscrowOp::kReward: b.free = add(b.free, m.amount); break;
            case EscrowOp::kSeize: b.frozen = sub(b.frozen, m.amount); break;
        }
    }
}

//! A matched deal as the tests see it.
struct MatchedOnChain {
    Orders orders;
    Bytes32 deal_id;
    Deal deal;
    std::uint64_t match_time{0};
};

class HubAnvil : public PocoOrdersFixture {
  protected:
    //! Everything matchOrders reads, from the chain (chain/match_facts.hpp) with the 6.1.0 rules of the devnet.
    static MatchFacts read_match_facts(const Orders& o) {
        auto facts = chain::match_facts_from_chain(hub(), o.app, o.dataset, o.workerpool, o.request,
                                                   {.version = PocoVersion::kV6_1});
        EXPECT_TRUE(facts) << facts.error().message;
        return facts ? *facts : MatchFacts{};
    }

    //! Predicts with protocol::match_orders, sends matchOrders from the requester, and checks the event, the deal
    //! record and the consumed volumes against the prediction.
    static MatchedOnChain match(const Orders& o) {
        MatchedOnChain out;
        out.orders = o;
        const auto facts = read_match_facts(o);
        auto predicted = match_orders(o.app, o.dataset, o.workerpool, o.request, facts);
        EXPECT_TRUE(predicted) << (predicted ? "" : predicted.error().reason + ": " + predicted.error().explanation);
        if (!predicted) return out;

        // The dry run returns the deal id.
        auto call = hub().match_orders(o.app, o.dataset, o.workerpool, o.request);
        EXPECT_TRUE(call) << call.error().message;
        auto dry = hub().simulate(*call, address(kRequester));
        EXPECT_TRUE(dry) << dry.error().message;
        if (dry) {
            auto outputs = chain::decode_outputs(chain::HubFn::kMatchOrders, *dry);
            EXPECT_TRUE(outputs);
            if (outputs) {
                EXPECT_EQ(to_hex(outputs->at(0).as_fixed_bytes()->bytes), to_hex(predicted->deal_id));
            }
        }

        auto receipt = send(*call, key(kRequester));
        EXPECT_TRUE(receipt) << receipt.error().message;
        if (!receipt) return out;
        out.match_time = block_timestamp(chain::BlockTag::number(receipt->block_number)).value();

        // OrdersMatched(dealid, appHash, datasetHash, workerpoolHash, requestHash, volume): our hashes and ids.
        auto events = logs_of(*receipt, info().hub, kOrdersMatched);
        EXPECT_EQ(events.size(), 1u);
        if (events.size() != 1) return out;
        auto fields =
            abi_decode(parse_abi_type_list("bytes32,bytes32,bytes32,bytes32,bytes32,uint256").value(), events[0].data)
                .value();
        auto word = [&](std::size_t i) { return to_hex(fields[i].as_fixed_bytes()->bytes); };
        const Bytes32 request_hash = order_hash(domain(), Order(o.request));
        EXPECT_EQ(word(0), to_hex(deal_id(request_hash, facts.consumed_request)));
        EXPECT_EQ(word(0), to_hex(predicted->deal_id));
        EXPECT_EQ(word(1), to_hex(order_hash(domain(), Order(o.app))));
        EXPECT_EQ(word(2), to_hex(o.dataset.dataset.is_zero() ? Bytes32{} : order_hash(domain(), Order(o.dataset))));
        EXPECT_EQ(word(3), to_hex(order_hash(domain(), Order(o.workerpool))));
        EXPECT_EQ(word(4), to_hex(request_hash));
        EXPECT_EQ(*fields[5].as_uint(), predicted->volume);
        out.deal_id = predicted->deal_id;

        // viewDeal = the predicted record, with startTime = the block's timestamp.
        auto deal = hub().view_deal(out.deal_id);
        EXPECT_TRUE(deal) << deal.error().message;
        if (!deal) return out;
        Deal expected = predicted->deal;
        expected.start_time = U256(out.match_time);
        EXPECT_EQ(*deal, expected);
        out.deal = *deal;
        // The deal fields equal the order fields (local-chain.md §5 step 4).
        EXPECT_EQ(deal->app.pointer, o.app.app);
        EXPECT_EQ(deal->app.owner, address(kAppOwner));
        EXPECT_EQ(deal->app.price, o.app.appprice);
        EXPECT_EQ(deal->workerpool.owner, address(kScheduler));
        EXPECT_EQ(deal->workerpool.price, o.workerpool.workerpoolprice);
        EXPECT_EQ(deal->requester, o.request.requester);
        EXPECT_EQ(deal->params, o.request.params);
        EXPECT_EQ(deal->bot_size, o.request.volume);
        EXPECT_EQ(deal->worker_stake, U256(3));  // 10 · 30 / 100
        EXPECT_EQ(deal->scheduler_reward_ratio, U256(1));
        EXPECT_EQ(deal->sponsor, o.request.requester);

        // viewConsumed += volume for each order.
        EXPECT_EQ(hub().view_consumed(order_hash(domain(), Order(o.app))).value(),
                  add(facts.consumed_app, predicted->volume));
        EXPECT_EQ(hub().view_consumed(order_hash(domain(), Order(o.workerpool))).value(),
                  add(facts.consumed_workerpool, predicted->volume));
        EXPECT_EQ(hub().view_consumed(request_hash).value(), add(facts.consumed_request, predicted->volume));
        if (!o.dataset.dataset.is_zero()) {
            EXPECT_EQ(hub().view_consumed(order_hash(domain(), Order(o.dataset))).value(),
                      add(facts.consumed_dataset, predicted->volume));
        }
        return out;
    }

    //! initialize(dealid, idx) from the scheduler; checks the task id and the task record (task.hpp).
    static Bytes32 initialize(const MatchedOnChain& m, std::uint64_t idx) {
        auto receipt = send(hub().initialize(m.deal_id, U256(idx)), key(kScheduler));
        EXPECT_TRUE(receipt) << receipt.error().message;
        const Bytes32 expected_id = task_id(m.deal_id, U256(idx));
        if (!receipt) return expected_id;
        auto events = logs_of(*receipt, info().hub, kTaskInitialize);
        EXPECT_EQ(events.size(), 1u);
        if (events.size() == 1) {
            EXPECT_EQ(to_hex(events[0].topics.at(1)), to_hex(expected_id));
            EXPECT_EQ(events[0].topics.at(2), m.deal.workerpool.pointer.to_word());
        }
        const auto timeref = hub().view_category(m.deal.category).value().work_clock_time_ref;
        EXPECT_EQ(timeref, U256(300));  // category 0 = XS
        auto expected = initialize_task(m.deal, m.deal_id, U256(idx), timeref).value();
        auto task = hub().view_task(expected_id);
        EXPECT_TRUE(task) << task.error().message;
        if (task) {
            EXPECT_EQ(*task, expected);
            EXPECT_EQ(task->status, TaskStatus::kActive);
            EXPECT_EQ(task->contribution_deadline, add(m.deal.start_time, U256(7 * 300)));
            EXPECT_EQ(task->final_deadline, add(m.deal.start_time, U256(10 * 300)));
        }
        return expected_id;
    }

    //! contribute from `worker_index` with the scheduler's authorization (ids.hpp); checks the contribution.
    static void contribute(const Bytes32& task, const Bytes32& digest, std::size_t worker_index = kWorker) {
        const Address worker = address(worker_index);
        const Bytes auth = sign_authorization(key(kScheduler), worker, task, Address{});
        const Bytes32 hash = result_hash(task, digest);
        const Bytes32 seal = result_seal(worker, task, digest);
        auto receipt = send(hub().contribute(task, hash, seal, Address{}, {}, auth), key(worker_index));
        ASSERT_TRUE(receipt) << receipt.error().message;
        auto contribution = hub().view_contribution(task, worker);
        ASSERT_TRUE(contribution) << contribution.error().message;
        EXPECT_EQ(*contribution, (Contribution{ContributionStatus::kContributed, hash, seal, Address{}, U256(1)}));
    }

    static std::map<Address, Balance> balances(const std::vector<Address>& accounts) {
        std::map<Address, Balance> out;
        for (const auto& a : accounts) {
            auto account = hub().view_account(a);
            EXPECT_TRUE(account) << account.error().message;
            if (account) out[a] = Balance{account->stake, account->locked};
        }
        return out;
    }

    static std::vector<Address> participants() {
        return {address(kRequester), address(kScheduler),    address(kWorker),
                address(kAppOwner),  address(kDatasetOwner), kitty_address()};
    }
};

// ---- configuration views ----------------------------------------------------------------------------------------

TEST_F(HubAnvil, ConfigurationViews) {
    // local-chain.md §4.4 and protocol.md §1.
    EXPECT_EQ(hub().domain().value(), domain());
    EXPECT_EQ(hub().domain_separator().value(), domain().separator());
    if (info().hub == Address::parse("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707").value()) {
        EXPECT_EQ(to_hex(hub().domain_separator().value()),
                  "0x3a381c2b61f95eecc30cd1fa149a885c63820b699953cdfa94c38e311235e58f");  // vectors.json anvil-31337
    }
    EXPECT_EQ(hub().hub_owner().value(), address(kAdmin));
    EXPECT_EQ(hub().token().value(), info().token);
    EXPECT_EQ(hub().app_registry().value(), info().app_registry);
    EXPECT_EQ(hub().dataset_registry().value(), info().dataset_registry);
    EXPECT_EQ(hub().workerpool_registry().value(), info().workerpool_registry);
    EXPECT_EQ(hub().name().value(), "Staked RLC");
    EXPECT_EQ(hub().symbol().value(), "SRLC");
    EXPECT_EQ(hub().decimals().value(), 9);
    EXPECT_EQ(hub().callbackgas().value(), U256(100000));
    EXPECT_TRUE(hub().teebroker().value().is_zero());
    EXPECT_EQ(hub().contribution_deadline_ratio().value(), U256(kContributionDeadlineRatio));
    EXPECT_EQ(hub().reveal_deadline_ratio().value(), U256(kRevealDeadlineRatio));
    EXPECT_EQ(hub().final_deadline_ratio().value(), U256(kFinalDeadlineRatio));
    EXPECT_EQ(hub().workerpool_stake_ratio().value(), U256(kWorkerpoolStakeRatio));
    EXPECT_EQ(hub().kitty_ratio().value(), U256(kKittyRatio));
    EXPECT_EQ(hub().kitty_min().value(), U256(kKittyMin));
    EXPECT_EQ(hub().kitty_address().value(), kitty_address());
    EXPECT_EQ(hub().groupmember_purpose().value(), U256(kGroupMemberPurpose));
    EXPECT_EQ(hub().count_category().value(), U256(5));
    EXPECT_EQ(hub().view_category(U256(0)).value(), (Category{"XS", "\"\"", U256(300)}));
    EXPECT_EQ(hub().view_category(U256(4)).value(), (Category{"XL", "\"\"", U256(36000)}));
    // Out of range: reverts with no data (protocol.md §12).
    auto missing = hub().view_category(U256(5));
    ASSERT_FALSE(missing);
    ASSERT_TRUE(missing.error().reverted()) << missing.error().message;
    EXPECT_EQ(missing.error().revert->kind, chain::DecodedRevert::Kind::kEmpty);
    EXPECT_EQ(missing.error().message, "viewCategory: reverted without data");
    // A fresh address: nothing anywhere.
    const Address nobody = PrivateKey::generate().address();
    EXPECT_EQ(hub().view_account(nobody).value(), (Account{U256(), U256()}));
    EXPECT_EQ(hub().view_score(nobody).value(), U256());
    EXPECT_EQ(hub().view_task(Bytes32{}).value(), Task{});
    // The addresses resolved from the hub equal the deployment info.
    chain::Hub bare(eth(), info().hub);
    auto resolved = bare.resolve_addresses();
    ASSERT_TRUE(resolved) << resolved.error().message;
    EXPECT_EQ(*resolved, hub().addresses());
}

// ---- escrow ----------------------------------------------------------------------------------------------------

TEST_F(HubAnvil, DepositWithApproveAndCallApproveDepositAndWithdraw) {
    const std::size_t who = 6;
    const Address account = address(who);
    const U256 rlc0 = hub().rlc_balance_of(account).value();
    const U256 srlc0 = hub().balance_of(account).value();
    const U256 supply0 = hub().total_supply().value();
    const U256 hub_rlc0 = hub().rlc_balance_of(info().hub).value();
    EXPECT_EQ(srlc0, U256(100'000'000'000'000ULL));  // devnet funding
    EXPECT_EQ(rlc0, U256(900'000'000'000'000ULL));

    // 1. RLC.approveAndCall(hub, 1234, "") → receiveApproval → deposit.
    ASSERT_TRUE(send(hub().deposit_with_approve_and_call(U256(1234)), key(who)));
    EXPECT_EQ(hub().rlc_balance_of(account).value(), sub(rlc0, U256(1234)));
    EXPECT_EQ(hub().balance_of(account).value(), add(srlc0, U256(1234)));
    EXPECT_EQ(hub().total_supply().value(), add(supply0, U256(1234)));
    EXPECT_EQ(hub().rlc_balance_of(info().hub).value(), add(hub_rlc0, U256(1234)));

    // 2. RLC.approve(hub, 500) then hub.deposit(500): the allowance is used up.
    ASSERT_TRUE(send(hub().rlc_approve(info().hub, U256(500)), key(who)));
    EXPECT_EQ(hub().rlc_allowance(account, info().hub).value(), U256(500));
    ASSERT_TRUE(send(hub().deposit(U256(500)), key(who)));
    EXPECT_EQ(hub().rlc_allowance(account, info().hub).value(), U256(0));
    EXPECT_EQ(hub().rlc_balance_of(account).value(), sub(rlc0, U256(1734)));
    EXPECT_EQ(hub().balance_of(account).value(), add(srlc0, U256(1734)));

    // 3. withdraw(700): SRLC burnt, RLC back.
    ASSERT_TRUE(send(hub().withdraw(U256(700)), key(who)));
    EXPECT_EQ(hub().rlc_balance_of(account).value(), sub(rlc0, U256(1034)));
    EXPECT_EQ(hub().balance_of(account).value(), add(srlc0, U256(1034)));
    EXPECT_EQ(hub().view_account(account).value(), (Account{add(srlc0, U256(1034)), U256()}));
    EXPECT_EQ(hub().total_supply().value(), add(supply0, U256(1034)));
    EXPECT_EQ(hub().rlc_balance_of(info().hub).value(), add(hub_rlc0, U256(1034)));

    // 4. Withdrawing more than the free balance reverts with the escrow's reason (dry run).
    auto too_much = hub().withdraw(add(srlc0, U256(1035)));
    ASSERT_TRUE(too_much);
    auto dry = hub().simulate(*too_much, account);
    ASSERT_FALSE(dry);
    EXPECT_TRUE(dry.error().reverted()) << dry.error().message;
    EXPECT_NE(dry.error().message.find("withdraw: "), std::string::npos) << dry.error().message;
}

// ---- registries ------------------------------------------------------------------------------------------------

TEST_F(HubAnvil, CreateAppDatasetWorkerpoolAtThePredictedAddresses) {
    const auto apps_before = hub().registry_balance_of(RegistryKind::kApp, address(kAppOwner)).value();
    const auto predicted = hub().predict_app(app_params()).value();
    EXPECT_FALSE(hub().is_registered(RegistryKind::kApp, predicted).value());
    auto receipt = send(hub().create_app(app_params()), key(kAppOwner));
    ASSERT_TRUE(receipt) << receipt.error().message;
    // ERC-721 Transfer(0, owner, tokenId = uint160(app)).
    auto minted = logs_of(*receipt, info().app_registry, kErc721Transfer);
    ASSERT_EQ(minted.size(), 1u);
    ASSERT_EQ(minted[0].topics.size(), 4u);
    EXPECT_EQ(minted[0].topics[1], Bytes32{});
    EXPECT_EQ(minted[0].topics[2], address(kAppOwner).to_word());
    EXPECT_EQ(minted[0].topics[3], predicted.to_word());
    EXPECT_TRUE(hub().is_registered(RegistryKind::kApp, predicted).value());
    EXPECT_EQ(hub().entry_owner(predicted).value(), address(kAppOwner));
    EXPECT_EQ(hub().registry_owner_of(RegistryKind::kApp, predicted).value(), address(kAppOwner));
    const auto apps_after = hub().registry_balance_of(RegistryKind::kApp, address(kAppOwner)).value();
    EXPECT_EQ(apps_after, add(apps_before, U256(1)));
    EXPECT_EQ(hub().token_of_owner_by_index(RegistryKind::kApp, address(kAppOwner), apps_before).value(), predicted);
    const auto params = app_params();
    const AppInfo expected_app{params.owner, params.name, params.type, params.multiaddr, params.checksum, {}};
    EXPECT_EQ(hub().view_app(predicted).value(), expected_app);
    EXPECT_EQ(hub().app_entry(predicted).value(), expected_app);
    // The same (args, owner) twice: CREATE2 collision (protocol.md §8.2).
    auto again = hub().create_app(app_params());
    ASSERT_TRUE(again);
    auto dup = hub().simulate(*again, address(kAppOwner));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().revert_reason(), "Create2: Failed on deploy");

    const auto predicted_dataset = hub().predict_dataset(dataset_params()).value();
    ASSERT_TRUE(send(hub().create_dataset(dataset_params()), key(kDatasetOwner)));
    EXPECT_TRUE(hub().is_registered(RegistryKind::kDataset, predicted_dataset).value());
    EXPECT_EQ(hub().entry_owner(predicted_dataset).value(), address(kDatasetOwner));
    const auto dparams = dataset_params();
    const DatasetInfo expected_dataset{dparams.owner, dparams.name, dparams.multiaddr, dparams.checksum};
    EXPECT_EQ(hub().view_dataset(predicted_dataset).value(), expected_dataset);
    EXPECT_EQ(hub().dataset_entry(predicted_dataset).value(), expected_dataset);
    EXPECT_FALSE(hub().is_registered(RegistryKind::kApp, predicted_dataset).value());

    const auto predicted_pool = hub().predict_workerpool(workerpool_params()).value();
    ASSERT_TRUE(send(hub().create_workerpool(workerpool_params()), key(kScheduler)));
    EXPECT_TRUE(hub().is_registered(RegistryKind::kWorkerpool, predicted_pool).value());
    EXPECT_EQ(hub().registry_owner_of(RegistryKind::kWorkerpool, predicted_pool).value(), address(kScheduler));
    const WorkerpoolInfo expected_pool{address(kScheduler), "hello-pool", U256(30), U256(1)};
    EXPECT_EQ(hub().view_workerpool(predicted_pool).value(), expected_pool);
    EXPECT_EQ(hub().workerpool_entry(predicted_pool).value(), expected_pool);

    // changePolicy by the owner; by anyone else it reverts (protocol.md §12).
    ASSERT_TRUE(send(hub().change_policy(predicted_pool, U256(40), U256(5)), key(kScheduler)));
    EXPECT_EQ(hub().workerpool_entry(predicted_pool).value(),
              (WorkerpoolInfo{address(kScheduler), "hello-pool", U256(40), U256(5)}));
    auto foreign = hub().simulate(hub().change_policy(predicted_pool, U256(1), U256(1)).value(), address(kWorker));
    ASSERT_FALSE(foreign);
    EXPECT_EQ(foreign.error().revert_reason(), "caller is not the owner");
}

// ---- the deal and task lifecycle (local-chain.md §5) --------------------------------------------------------------

TEST_F(HubAnvil, MatchInitializeContributeRevealFinalizeWithExactBalances) {
    const Assets assets = create_assets();
    const Orders orders = make_orders(assets, U256(2), /*with_dataset=*/true, 100);
    // Our signatures recover to the owners, and the hub agrees.
    EXPECT_EQ(recover_order_signer(domain(), Order(orders.request)).value(), address(kRequester));
    EXPECT_TRUE(hub()
                    .verify_signature(address(kScheduler), order_hash(domain(), Order(orders.workerpool)),
                                      orders.workerpool.sign)
                    .value());
    // computeDealVolume = min of the four volumes.
    EXPECT_EQ(hub().compute_deal_volume(orders.app, orders.dataset, orders.workerpool, orders.request).value(),
              U256(2));

    auto ledger = balances(participants());
    const U256 kitty_before = ledger[kitty_address()].frozen;
    const MatchedOnChain m = match(orders);
    ASSERT_FALSE(m.deal_id == Bytes32{});
    // The two locks of the match (economics.hpp match_locks): requester (5 + 2 + 10)·2 = 34, scheduler 3·2 = 6.
    const auto locks = match_locks(m.deal, U256(2)).value();
    ASSERT_EQ(locks.size(), 2u);
    EXPECT_EQ(locks[0].amount, U256(34));
    EXPECT_EQ(locks[1].amount, U256(6));
    apply_movements(ledger, locks);
    EXPECT_EQ(balances(participants()), ledger);

    // Task 0: initialize, contribute, reveal, finalize.
    const Bytes32 task = initialize(m, 0);
    const Bytes32 digest = keccak256(as_bytes("result-of-hello"));
    ASSERT_NO_FATAL_FAILURE(contribute(task, digest));
    {
        // Worker stake locked (deal.workerStake = 3), consensus reached with trust 1.
        apply_movements(ledger, {BalanceMovement{EscrowOp::kLock, address(kWorker), m.deal.worker_stake, {}}});
        EXPECT_EQ(balances(participants()), ledger);
        auto t = hub().view_task(task).value();
        EXPECT_EQ(t.status, TaskStatus::kRevealing);
        EXPECT_EQ(t.consensus_value, result_hash(task, digest));
        EXPECT_EQ(t.winner_counter, U256(1));
        EXPECT_EQ(t.contributors, std::vector<Address>{address(kWorker)});
        const auto consensus_time = block_timestamp().value();
        EXPECT_EQ(t.reveal_deadline, reveal_deadline(U256(consensus_time), U256(300)).value());
    }
    ASSERT_TRUE(send(hub().reveal(task, digest), key(kWorker)));
    {
        auto c = hub().view_contribution(task, address(kWorker)).value();
        EXPECT_EQ(c.status, ContributionStatus::kProved);
        auto t = hub().view_task(task).value();
        EXPECT_EQ(t.reveal_counter, U256(1));
        EXPECT_EQ(t.result_digest, digest);
    }
    const U256 score_before = hub().view_score(address(kWorker)).value();
    const Bytes results = bytes_of("ipfs://QmResultOfHello");
    auto finalized = send(hub().finalize(task, results, {}), key(kScheduler));
    ASSERT_TRUE(finalized) << finalized.error().message;
    {
        auto t = hub().view_task(task).value();
        EXPECT_EQ(t.status, TaskStatus::kCompleted);
        EXPECT_EQ(t.results, results);
        EXPECT_TRUE(t.results_callback.empty());
        EXPECT_EQ(hub().result_for(task).value(), Bytes{});
    }
    // finalize_rewards: seize(requester, 17), reward(app owner, 5), reward(dataset owner, 2), unlock(scheduler, 3),
    // no kitty, unlock(worker, 3), reward(worker, 9), reward(scheduler, 1).
    const ContributorState winner{address(kWorker), ContributionStatus::kProved, U256(1), score_before};
    const auto rewards = finalize_rewards(m.deal, task, kitty_before, std::span(&winner, 1)).value();
    EXPECT_EQ(rewards.workers_reward, U256(9));
    EXPECT_EQ(rewards.scheduler_reward, U256(1));
    apply_movements(ledger, rewards.movements);
    EXPECT_EQ(balances(participants()), ledger);
    // One contributor: no score update at all (the +1 needs contributors.length > 1, protocol.md §6.6).
    EXPECT_TRUE(rewards.scores.empty());
    EXPECT_EQ(hub().view_score(address(kWorker)).value(), score_before);

    // Net effect of one task (local-chain.md §5 step 9, plus the dataset): requester −17 free (and 17 still locked
    // for task 1), app owner +5, dataset owner +2, worker +9, scheduler +1 (+3 still locked for task 1).
    // Task 1 remains ACTIVE-able: still 17 + 3 locked.
    EXPECT_EQ(ledger[address(kRequester)].frozen, U256(17));
    EXPECT_EQ(ledger[address(kScheduler)].frozen, U256(3));
    EXPECT_EQ(ledger[address(kWorker)].frozen, U256(0));
}

TEST_F(HubAnvil, ClaimAfterTheFinalDeadlineRefundsTheRequesterAndSeizesTheSchedulerStake) {
    const Assets assets = create_assets();
    const Orders orders = make_orders(assets, U256(2), /*with_dataset=*/false, 200);
    auto ledger = balances(participants());
    const MatchedOnChain m = match(orders);
    ASSERT_FALSE(m.deal_id == Bytes32{});
    apply_movements(ledger, match_locks(m.deal, U256(2)).value());
    EXPECT_EQ(balances(participants()), ledger);

    // The second task (idx 1), with a contribution whose stake claim must give back.
    const Bytes32 task = initialize(m, 1);
    ASSERT_NO_FATAL_FAILURE(contribute(task, keccak256(as_bytes("late"))));
    apply_movements(ledger, {BalanceMovement{EscrowOp::kLock, address(kWorker), m.deal.worker_stake, {}}});

    // Not claimable before the final deadline: the dry run reverts without a reason (bare require).
    auto early = hub().simulate(hub().claim(task).value(), address(7));
    ASSERT_FALSE(early);
    ASSERT_TRUE(early.error().reverted());
    EXPECT_EQ(early.error().revert_reason(), "");

    const auto t = hub().view_task(task).value();
    const auto now = block_timestamp().value();
    ASSERT_TRUE(t.final_deadline.fits_u64());
    ASSERT_TRUE(advance_time(t.final_deadline.low_u64() - now + 1));
    ASSERT_GT(block_timestamp().value(), t.final_deadline.low_u64());

    // claim from a third party.
    auto claimed = send(hub().claim(task), key(7));
    ASSERT_TRUE(claimed) << claimed.error().message;
    EXPECT_EQ(hub().view_task(task).value().status, TaskStatus::kFailed);
    // claim_movements: unlock(requester, 15), seize(scheduler, 3), reward(kitty, 3), lock(kitty, 3),
    // unlock(worker, 3).
    const std::vector<Address> contributors{address(kWorker)};
    const auto movements = claim_movements(m.deal, task, contributors).value();
    apply_movements(ledger, movements);
    const auto after = balances(participants());
    EXPECT_EQ(after, ledger);
    EXPECT_EQ(after.at(kitty_address()).frozen, U256(3));
    EXPECT_EQ(after.at(address(kRequester)).frozen, U256(15));  // task 0 is still locked
    EXPECT_EQ(after.at(address(kScheduler)).frozen, U256(3));
    EXPECT_EQ(after.at(address(kWorker)).frozen, U256(0));
    EXPECT_EQ(hub().view_score(address(kWorker)).value(), U256(0));
    // A second claim reverts (the task is FAILED).
    EXPECT_FALSE(hub().simulate(hub().claim(task).value(), address(7)));

    // The kitty now holds 3 nRLC: the next successful task pays it all to its scheduler (min(max(3·10/100, 1e9), 3)).
    const Orders next = make_orders(assets, U256(1), /*with_dataset=*/false, 300);
    ledger = balances(participants());
    const MatchedOnChain m2 = match(next);
    ASSERT_FALSE(m2.deal_id == Bytes32{});
    apply_movements(ledger, match_locks(m2.deal, U256(1)).value());
    const Bytes32 task2 = initialize(m2, 0);
    const Bytes32 digest = keccak256(as_bytes("result-of-hello"));
    ASSERT_NO_FATAL_FAILURE(contribute(task2, digest));
    apply_movements(ledger, {BalanceMovement{EscrowOp::kLock, address(kWorker), m2.deal.worker_stake, {}}});
    ASSERT_TRUE(send(hub().reveal(task2, digest), key(kWorker)));
    ASSERT_TRUE(send(hub().finalize(task2, bytes_of("ok"), {}), key(kScheduler)));
    const ContributorState winner{address(kWorker), ContributionStatus::kProved, U256(1), U256(0)};
    const auto rewards = finalize_rewards(m2.deal, task2, U256(3), std::span(&winner, 1)).value();
    EXPECT_EQ(kitty_payout(U256(3)).value(), U256(3));
    apply_movements(ledger, rewards.movements);
    EXPECT_EQ(balances(participants()), ledger);
    EXPECT_EQ(hub().frozen_of(kitty_address()).value(), U256(0));
}

TEST_F(HubAnvil, ContributeAndFinalizeFastPath) {
    const Assets assets = create_assets();
    const Orders orders = make_orders(assets, U256(1), /*with_dataset=*/true, 600);
    auto ledger = balances(participants());
    const MatchedOnChain m = match(orders);
    ASSERT_FALSE(m.deal_id == Bytes32{});
    apply_movements(ledger, match_locks(m.deal, U256(1)).value());
    const Bytes32 task = initialize(m, 0);
    const Bytes32 digest = keccak256(as_bytes("fast"));
    const Bytes auth = sign_authorization(key(kScheduler), address(kWorker), task, Address{});
    const Bytes results = bytes_of("ipfs://fast");
    auto receipt = send(hub().contribute_and_finalize(task, digest, results, {}, Address{}, {}, auth), key(kWorker));
    ASSERT_TRUE(receipt) << receipt.error().message;
    const auto t = hub().view_task(task).value();
    EXPECT_EQ(t.status, TaskStatus::kCompleted);
    EXPECT_EQ(t.consensus_value, result_hash(task, digest));
    EXPECT_EQ(t.result_digest, digest);
    EXPECT_EQ(t.results, results);
    EXPECT_EQ(t.reveal_counter, U256(1));
    EXPECT_EQ(t.winner_counter, U256(1));
    EXPECT_EQ(t.reveal_deadline, reveal_deadline(U256(block_timestamp().value()), U256(300)).value());
    // PROVED with weight 0, no stake locked (protocol.md §6.7).
    EXPECT_EQ(hub().view_contribution(task, address(kWorker)).value(),
              (Contribution{ContributionStatus::kProved, result_hash(task, digest),
                            result_seal(address(kWorker), task, digest), Address{}, U256(0)}));
    const auto rewards = contribute_and_finalize_rewards(m.deal, task, U256(0), address(kWorker)).value();
    EXPECT_EQ(rewards.workers_reward, U256(9));  // 10·99/100 (local-chain.md §5: 9.9e9 of 10e9)
    apply_movements(ledger, rewards.movements);
    EXPECT_EQ(balances(participants()), ledger);
}

TEST_F(HubAnvil, TwoAgreeingWorkersAtTrust3ShareTheRewardAndEachGainOneScorePoint) {
    const std::size_t second_worker = 6;
    const Assets assets = create_assets();
    const Orders orders = make_orders(assets, U256(1), /*with_dataset=*/false, 500, /*trust=*/3);
    auto accounts = participants();
    accounts.push_back(address(second_worker));
    auto ledger = balances(accounts);
    const MatchedOnChain m = match(orders);
    ASSERT_FALSE(m.deal_id == Bytes32{});
    EXPECT_EQ(m.deal.trust, U256(3));
    apply_movements(ledger, match_locks(m.deal, U256(1)).value());
    const Bytes32 task = initialize(m, 0);
    const Bytes32 digest = keccak256(as_bytes("result-of-hello"));

    // Trust 3 with fresh workers (weight 2 each): the first contribution is not enough, the second one is.
    ASSERT_NO_FATAL_FAILURE(contribute(task, digest, kWorker));
    EXPECT_EQ(hub().view_task(task).value().status, TaskStatus::kActive);
    ASSERT_NO_FATAL_FAILURE(contribute(task, digest, second_worker));
    EXPECT_EQ(hub().view_task(task).value().status, TaskStatus::kRevealing);
    EXPECT_EQ(hub().view_task(task).value().winner_counter, U256(2));
    apply_movements(ledger, {BalanceMovement{EscrowOp::kLock, address(kWorker), m.deal.worker_stake, {}},
                             BalanceMovement{EscrowOp::kLock, address(second_worker), m.deal.worker_stake, {}}});
    EXPECT_EQ(balances(accounts), ledger);

    ASSERT_TRUE(send(hub().reveal(task, digest), key(kWorker)));
    ASSERT_TRUE(send(hub().reveal(task, digest), key(second_worker)));
    const U256 score1 = hub().view_score(address(kWorker)).value();
    const U256 score2 = hub().view_score(address(second_worker)).value();
    ASSERT_TRUE(send(hub().finalize(task, bytes_of("ok"), {}), key(kScheduler)));
    EXPECT_EQ(hub().view_task(task).value().status, TaskStatus::kCompleted);

    const std::vector<ContributorState> contributors{
        {address(kWorker), ContributionStatus::kProved, U256(1), score1},
        {address(second_worker), ContributionStatus::kProved, U256(1), score2}};
    const auto rewards = finalize_rewards(m.deal, task, U256(0), contributors).value();
    // workersReward = 10·99/100 = 9; each winner mulDiv(9, 1, 2) = 4; the scheduler gets 10 − 8 = 2.
    EXPECT_EQ(rewards.workers_reward, U256(9));
    EXPECT_EQ(rewards.scheduler_reward, U256(2));
    apply_movements(ledger, rewards.movements);
    EXPECT_EQ(balances(accounts), ledger);
    // AccurateContribution: score + 1 for each winner (contributors.length > 1).
    ASSERT_EQ(rewards.scores.size(), 2u);
    EXPECT_EQ(hub().view_score(address(kWorker)).value(), rewards.scores[0].new_score);
    EXPECT_EQ(hub().view_score(address(second_worker)).value(), rewards.scores[1].new_score);
    EXPECT_EQ(rewards.scores[0].new_score, checked_add(score1, U256(1)).value());
    EXPECT_EQ(rewards.scores[1].new_score, checked_add(score2, U256(1)).value());
}

// ---- closing an order ------------------------------------------------------------------------------------------

TEST_F(HubAnvil, ClosedWorkerpoolOrderMakesMatchOrdersRevert0x60AsPredicted) {
    const Assets assets = create_assets();
    const Orders orders = make_orders(assets, U256(3), /*with_dataset=*/false, 400);
    const Bytes32 pool_hash = order_hash(domain(), Order(orders.workerpool));

    // Before closing: protocol::match_orders predicts a match, and the dry run agrees on the deal id.
    {
        auto predicted =
            match_orders(orders.app, orders.dataset, orders.workerpool, orders.request, read_match_facts(orders));
        ASSERT_TRUE(predicted) << predicted.error().reason;
        auto dry =
            hub().simulate(hub().match_orders(orders.app, orders.dataset, orders.workerpool, orders.request).value(),
                           address(kRequester));
        ASSERT_TRUE(dry) << dry.error().message;
        EXPECT_EQ(to_hex(*dry), to_hex(predicted->deal_id));
    }

    // CLOSE signed by the scheduler (our EIP-712 operation hash) and relayed by a third party.
    const Bytes op_sign =
        sign_order_operation(domain(), Order(orders.workerpool), OrderOperation::kClose, key(kScheduler));
    // A wrong signature is refused.
    auto forged = hub().simulate(
        hub()
            .manage_workerpool_order(
                orders.workerpool, OrderOperation::kClose,
                sign_order_operation(domain(), Order(orders.workerpool), OrderOperation::kClose, key(kWorker)))
            .value(),
        address(7));
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.error().revert_reason(), "invalid-sender-or-signature");

    auto closed = send(hub().manage_workerpool_order(orders.workerpool, OrderOperation::kClose, op_sign), key(7));
    ASSERT_TRUE(closed) << closed.error().message;
    auto events = logs_of(*closed, info().hub, kClosedWorkerpoolOrder);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(to_hex(events[0].data), to_hex(pool_hash));
    EXPECT_EQ(hub().view_consumed(pool_hash).value(), U256(3));

    // The prediction from the chain facts: 0x60 (volume 0).
    const auto facts = read_match_facts(orders);
    EXPECT_EQ(facts.consumed_workerpool, U256(3));
    auto predicted = match_orders(orders.app, orders.dataset, orders.workerpool, orders.request, facts);
    ASSERT_FALSE(predicted);
    EXPECT_EQ(predicted.error().kind, RevertKind::kReason);
    EXPECT_EQ(predicted.error().reason, "iExecV5-matchOrders-0x60");
    EXPECT_EQ(hub().compute_deal_volume(orders.app, orders.dataset, orders.workerpool, orders.request).value(),
              U256(0));

    // The chain: the dry run reverts with the same code, and so does the estimate a sender would make.
    const auto call = hub().match_orders(orders.app, orders.dataset, orders.workerpool, orders.request).value();
    auto dry = hub().simulate(call, address(kRequester));
    ASSERT_FALSE(dry);
    ASSERT_TRUE(dry.error().reverted()) << dry.error().message;
    EXPECT_EQ(dry.error().revert_reason(), predicted.error().reason);
    EXPECT_EQ(dry.error().message, "matchOrders: reverted: iExecV5-matchOrders-0x60");
    auto gas = hub().estimate_gas(call, address(kRequester));
    ASSERT_FALSE(gas);
    EXPECT_EQ(gas.error().revert_reason(), "iExecV5-matchOrders-0x60");
}

// ---- batched views ----------------------------------------------------------------------------------------------

// The batched reads (Hub::view_tasks, view_task_with_contributions, view_accounts, view_scores, view_deals) give,
// item by item, exactly what the single views give, with a batch limit small enough to force several batches; an
// item that reverts carries its own error without failing the others.
TEST_F(HubAnvil, BatchedViewsEqualTheSingleViews) {
    const std::size_t second_worker = 6;
    const Assets assets = create_assets();
    const Orders orders = make_orders(assets, U256(3), /*with_dataset=*/false, 500, /*trust=*/3);
    const MatchedOnChain m = match(orders);
    ASSERT_FALSE(m.deal_id == Bytes32{});
    const Bytes32 task0 = initialize(m, 0);
    const Bytes32 task1 = initialize(m, 1);
    const Bytes32 digest = keccak256(as_bytes("batched"));
    ASSERT_NO_FATAL_FAILURE(contribute(task0, digest, kWorker));
    ASSERT_NO_FATAL_FAILURE(contribute(task0, digest, second_worker));
    ASSERT_NO_FATAL_FAILURE(contribute(task1, digest, kWorker));

    const auto block = chain::BlockTag::number(eth().block_number().value());
    chain::Hub batched(eth(), hub().addresses());
    batched.set_max_calls_per_batch(2);

    // A page of tasks: the three of the deal (task 2 is not initialized: an empty record) and an unknown id.
    const std::vector<Bytes32> ids{task0, task1, task_id(m.deal_id, U256(2)), keccak256(as_bytes("no such task"))};
    auto tasks = batched.view_tasks(ids, block);
    ASSERT_EQ(tasks.size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto single = hub().view_task(ids[i], block);
        ASSERT_TRUE(single) << single.error().message;
        ASSERT_TRUE(tasks[i]) << tasks[i].error().message;
        EXPECT_EQ(*tasks[i], *single) << i;
    }
    EXPECT_EQ(tasks[0]->contributors.size(), 2u);

    // A task and all its contributions.
    auto full = batched.view_task_with_contributions(task0);
    ASSERT_TRUE(full) << full.error().message;
    EXPECT_EQ(full->task, hub().view_task(task0, full->block).value());
    ASSERT_EQ(full->contributions.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        ASSERT_TRUE(full->contributions[i]) << full->contributions[i].error().message;
        EXPECT_EQ(*full->contributions[i],
                  hub().view_contribution(task0, full->task.contributors[i], full->block).value());
        EXPECT_EQ(full->contributions[i]->status, ContributionStatus::kContributed);
    }

    // Accounts and scores of N workers.
    const std::vector<Address> workers{address(kWorker), address(second_worker), address(kScheduler),
                                       address(kRequester), address(kAppOwner)};
    auto accounts = batched.view_accounts(workers, block);
    auto scores = batched.view_scores(workers, block);
    ASSERT_EQ(accounts.size(), workers.size());
    ASSERT_EQ(scores.size(), workers.size());
    for (std::size_t i = 0; i < workers.size(); ++i) {
        ASSERT_TRUE(accounts[i]) << accounts[i].error().message;
        ASSERT_TRUE(scores[i]) << scores[i].error().message;
        EXPECT_EQ(*accounts[i], hub().view_account(workers[i], block).value()) << i;
        EXPECT_EQ(*scores[i], hub().view_score(workers[i], block).value()) << i;
    }
    EXPECT_FALSE(accounts[0]->locked.is_zero());  // the worker's stake is locked by its contributions

    // Deals; and an item that reverts (viewCategory past the count) fails alone in simulate_batch.
    auto deals = batched.view_deals(std::vector<Bytes32>{m.deal_id}, block);
    ASSERT_EQ(deals.size(), 1u);
    ASSERT_TRUE(deals[0]) << deals[0].error().message;
    EXPECT_EQ(*deals[0], hub().view_deal(m.deal_id, block).value());
    const auto count = hub().count_category(block).value();
    std::vector<chain::ContractCall> calls{
        batched.build(chain::HubFn::kViewCategory, hub().address(), {AbiValue::uint_(U256(0))}).value(),
        batched.build(chain::HubFn::kViewCategory, hub().address(), {AbiValue::uint_(count)}).value(),
        batched.build(chain::HubFn::kCountCategory, hub().address(), {}).value()};
    auto raw = batched.simulate_batch(calls, block);
    ASSERT_EQ(raw.size(), 3u);
    ASSERT_TRUE(raw[0]) << raw[0].error().message;
    EXPECT_EQ(chain::decode_category(*raw[0]).value(), hub().view_category(U256(0), block).value());
    ASSERT_FALSE(raw[1]);
    EXPECT_TRUE(raw[1].error().reverted());
    EXPECT_EQ(raw[1].error().message, "viewCategory: reverted without data");
    ASSERT_TRUE(raw[2]) << raw[2].error().message;
}

}  // namespace
}  // namespace wp::test
