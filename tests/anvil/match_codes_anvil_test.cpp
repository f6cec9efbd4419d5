// Every matchOrders check of protocol.md §5.2 provoked once on the real PoCo 6.1.0, and predicted by the pure
// protocol::match_orders BEFORE the dry run: the facts come from the chain through the Hub's views
// (chain::match_facts_from_chain, the CLI / market preflight), the prediction must name the expected revert, and the
// chain's revert (Hub::simulate of matchOrders / sponsorMatchOrders) must be exactly the predicted one. The success
// cases are predicted, dry-run (same deal id) and, for two of them, sent.
//
// Coverage of §5.2 on 6.1.0: 0x00–0x07, 0x10–0x1b (address restrictions, and a restriction that is a contract but
// not an ERC-734 identity), owner() on an address without code (app, dataset, workerpool: empty revert), 0x20/0x21,
// 0x30/0x31, 0x40/0x41, 0x50, "invalid-signature-format", 0x60 (zero volume, fully consumed order), the escrow
// locks ("Transfer amount exceeds balance" for the payer, the sponsor, the workerpool owner; "Transfer from empty
// address" for a zero requester whose malformed signature "recovers" to address 0) and Panic(0x11) on the price ·
// volume overflow. Presigned orders and 64-byte (EIP-2098) signatures are checked as successes.
// Not reachable on an honest 6.1.0 chain: computeDealVolume's underflow (consumed > volume never happens: a match adds
// at most the remaining volume and CLOSE sets consumed = volume), and a restriction that is a real ERC-734 group (no
// identity contract in the deployment; the non-member path is covered).
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <wp/chain/match_facts.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/match.hpp>
#include <wp/protocol/tag.hpp>

#include "poco_orders.hpp"

namespace wp::test {
namespace {

ChainRevert reason(std::string r) { return {RevertKind::kReason, std::move(r)}; }
ChainRevert code(std::string_view c) { return reason("iExecV5-matchOrders-" + std::string(c)); }
const ChainRevert kEmptyRevert{RevertKind::kEmpty, ""};

class MatchCodesAnvil : public PocoOrdersFixture {
  protected:
    void SetUp() override {
        PocoOrdersFixture::SetUp();
        if (HasFatalFailure()) return;
        assets_ = create_assets();
        base_ = make_orders(assets_, U256(1), /*with_dataset=*/true, 1000);
    }

    //! Predicts (facts read from the chain first), checks the prediction is `expected` (nullopt: a deal), then dry-runs
    //! and requires the chain to agree. Returns the predicted deal on success.
    std::optional<MatchedDeal> expect_match(const std::string& label, const Orders& o,
                                            const std::optional<ChainRevert>& expected,
                                            const std::optional<Address>& sponsor = {}) {
        SCOPED_TRACE(label);
        chain::MatchFactsOptions options;
        options.version = PocoVersion::kV6_1;
        options.sponsor = sponsor;
        auto facts = chain::match_facts_from_chain(hub(), o.app, o.dataset, o.workerpool, o.request, options);
        EXPECT_TRUE(facts) << facts.error().message;
        if (!facts) return std::nullopt;
        auto predicted = match_orders(o.app, o.dataset, o.workerpool, o.request, *facts);
        if (expected) {
            EXPECT_FALSE(predicted) << "predicted a deal, expected " << *expected;
            if (predicted) return std::nullopt;
            EXPECT_EQ(as_chain_revert(predicted.error()), *expected) << predicted.error().explanation;
        } else {
            EXPECT_TRUE(predicted) << "predicted " << as_chain_revert(predicted.error()) << ": "
                                   << predicted.error().explanation;
        }
        const auto call = sponsor ? hub().sponsor_match_orders(o.app, o.dataset, o.workerpool, o.request)
                                  : hub().match_orders(o.app, o.dataset, o.workerpool, o.request);
        EXPECT_TRUE(call) << call.error().message;
        if (!call) return std::nullopt;
        auto dry = hub().simulate(*call, sponsor ? *sponsor : address(kRequester));
        if (!predicted) {
            EXPECT_FALSE(dry) << "the chain matched, predicted " << as_chain_revert(predicted.error());
            if (dry) return std::nullopt;
            const auto chain_revert = as_chain_revert(dry.error());
            EXPECT_TRUE(chain_revert) << dry.error().message;
            if (chain_revert) {
                EXPECT_EQ(*chain_revert, as_chain_revert(predicted.error())) << dry.error().message;
            }
            return std::nullopt;
        }
        EXPECT_TRUE(dry) << dry.error().message;
        if (!dry) return std::nullopt;
        EXPECT_EQ(to_hex(*dry), to_hex(predicted->deal_id));
        return *predicted;
    }

    //! Sends the match predicted by expect_match and checks the deal record and the payer's / owner's locks.
    void send_match(const Orders& o, const MatchedDeal& predicted, const std::optional<std::size_t>& sponsor = {}) {
        const Address payer = sponsor ? address(*sponsor) : o.request.requester;
        const Address pool_owner = address(kScheduler);
        const auto before = accounts({payer, pool_owner});
        const auto call = sponsor ? hub().sponsor_match_orders(o.app, o.dataset, o.workerpool, o.request)
                                  : hub().match_orders(o.app, o.dataset, o.workerpool, o.request);
        auto receipt = send(call, sponsor ? key(*sponsor) : key(kRequester));
        ASSERT_TRUE(receipt) << receipt.error().message;
        auto deal = hub().view_deal(predicted.deal_id);
        ASSERT_TRUE(deal) << deal.error().message;
        Deal expected = predicted.deal;
        expected.start_time = U256(block_timestamp(chain::BlockTag::number(receipt->block_number)).value());
        EXPECT_EQ(*deal, expected);
        // The locks of the prediction, nothing else.
        auto after = accounts({payer, pool_owner});
        auto model = before;
        ASSERT_EQ(predicted.locks.size(), 2u);
        for (const auto& lock : predicted.locks) {
            auto& a = model[lock.account];
            a.stake = checked_sub(a.stake, lock.amount).value();
            a.locked = checked_add(a.locked, lock.amount).value();
        }
        EXPECT_EQ(after, model);
    }

    Assets assets_;
    Orders base_;
};

TEST_F(MatchCodesAnvil, CompatibilityChecks0x00To0x07) {
    Orders o = base_;
    o.request.category = U256(1);
    expect_match("0x00 R.category != W.category", sign_all(o), code("0x00"));

    o = base_;
    o.request.category = U256(5);  // countCategory() = 5 on the devnet
    o.workerpool.category = U256(5);
    expect_match("0x01 category 5 of 5", sign_all(o), code("0x01"));

    o = base_;
    o.request.trust = U256(2);  // W.trust = 1
    expect_match("0x02 R.trust > W.trust", sign_all(o), code("0x02"));

    o = base_;
    o.request.appmaxprice = U256(4);
    expect_match("0x03 appmaxprice", sign_all(o), code("0x03"));

    o = base_;
    o.request.datasetmaxprice = U256(1);
    expect_match("0x04 datasetmaxprice", sign_all(o), code("0x04"));

    o = base_;
    o.request.workerpoolmaxprice = U256(9);
    expect_match("0x05 workerpoolmaxprice", sign_all(o), code("0x05"));

    o = base_;
    o.request.tag = make_tag(0x2);  // W.tag = 0
    expect_match("0x06 R.tag bit not in W.tag", sign_all(o), code("0x06"));
    o = base_;
    o.dataset.tag = make_tag(0x100);
    expect_match("0x06 D.tag bit not in W.tag", sign_all(o), code("0x06"));
    // A dataset TEE-framework bit (0x2, Scone) the workerpool lacks: 6.1.0 reverts 0x06 (6.2 masks D.tag & ~0x0E
    // and would match: the version matters).
    o = base_;
    o.dataset.tag = make_tag(0x2);
    o = sign_all(o);
    expect_match("0x06 D.tag TEE framework bit on 6.1", o, code("0x06"));
    {
        chain::MatchFactsOptions v62;
        v62.version = PocoVersion::kV6_2;
        auto facts = chain::match_facts_from_chain(hub(), o.app, o.dataset, o.workerpool, o.request, v62);
        ASSERT_TRUE(facts) << facts.error().message;
        EXPECT_TRUE(match_orders(o.app, o.dataset, o.workerpool, o.request, *facts)) << "6.2 masks the dataset's 0x0E";
    }

    o = base_;
    o.request.tag = make_tag(0x1);  // TEE asked by the request, the workerpool offers it, the app does not
    o.workerpool.tag = make_tag(0x1);
    expect_match("0x07 TEE bit not in A.tag", sign_all(o), code("0x07"));
    // ...and with the app's TEE bit the same orders match.
    o.app.tag = make_tag(0x1);
    expect_match("TEE app, TEE workerpool", sign_all(o), std::nullopt);
}

TEST_F(MatchCodesAnvil, MatchingAndRestrictions0x10To0x1b) {
    const Address stranger = address(7);
    Orders o = base_;
    o.request.app = assets_.dataset;
    expect_match("0x10 R.app", sign_all(o), code("0x10"));
    o = base_;
    o.request.dataset = Address{};
    expect_match("0x11 R.dataset", sign_all(o), code("0x11"));
    o = base_;
    o.request.workerpool = stranger;
    expect_match("0x12 R.workerpool", sign_all(o), code("0x12"));
    o = base_;
    o.app.datasetrestrict = stranger;
    expect_match("0x13 A.datasetrestrict", sign_all(o), code("0x13"));
    o = base_;
    o.app.workerpoolrestrict = stranger;
    expect_match("0x14 A.workerpoolrestrict", sign_all(o), code("0x14"));
    o = base_;
    o.app.requesterrestrict = stranger;
    expect_match("0x15 A.requesterrestrict", sign_all(o), code("0x15"));
    o = base_;
    o.dataset.apprestrict = stranger;
    expect_match("0x16 D.apprestrict", sign_all(o), code("0x16"));
    o = base_;
    o.dataset.workerpoolrestrict = stranger;
    expect_match("0x17 D.workerpoolrestrict", sign_all(o), code("0x17"));
    o = base_;
    o.dataset.requesterrestrict = stranger;
    expect_match("0x18 D.requesterrestrict", sign_all(o), code("0x18"));
    o = base_;
    o.workerpool.apprestrict = stranger;
    expect_match("0x19 W.apprestrict", sign_all(o), code("0x19"));
    o = base_;
    o.workerpool.datasetrestrict = stranger;
    expect_match("0x1a W.datasetrestrict", sign_all(o), code("0x1a"));
    o = base_;
    o.workerpool.requesterrestrict = stranger;
    expect_match("0x1b W.requesterrestrict", sign_all(o), code("0x1b"));
    // A restriction that has code but is no ERC-734 identity: keyHasPurpose reverts, caught: not authorized.
    o = base_;
    o.workerpool.requesterrestrict = assets_.app;
    expect_match("0x1b restriction is a contract", sign_all(o), code("0x1b"));

    // Restrictions naming exactly the account pass.
    o = base_;
    o.request.workerpool = assets_.workerpool;
    o.app.datasetrestrict = assets_.dataset;
    o.app.workerpoolrestrict = assets_.workerpool;
    o.app.requesterrestrict = address(kRequester);
    o.dataset.apprestrict = assets_.app;
    o.dataset.workerpoolrestrict = assets_.workerpool;
    o.dataset.requesterrestrict = address(kRequester);
    o.workerpool.apprestrict = assets_.app;
    o.workerpool.datasetrestrict = assets_.dataset;
    o.workerpool.requesterrestrict = address(kRequester);
    expect_match("every restriction = the account", sign_all(o), std::nullopt);
}

TEST_F(MatchCodesAnvil, AuthenticityChecks0x20To0x50) {
    const Address eoa = address(7);
    Orders o = base_;
    o.app.app = eoa;  // owner() on an address without code: the call's return data cannot be decoded
    o.request.app = eoa;
    expect_match("app owner() on an EOA", sign_all(o), kEmptyRevert);
    o = base_;
    o.app.app = assets_.workerpool;  // has owner() (the scheduler) but is no app
    o.request.app = assets_.workerpool;
    expect_match("0x20 app not registered", sign_all(o), code("0x20"));
    o = base_;
    o.app.sign = sign_order(domain(), Order(o.app), key(kWorker));
    expect_match("0x21 app signature", o, code("0x21"));
    o = base_;
    o.app.sign = Bytes(10, 0x01);
    expect_match("app signature of 10 bytes", o, reason("invalid-signature-format"));

    o = base_;
    o.dataset.dataset = eoa;
    o.request.dataset = eoa;
    expect_match("dataset owner() on an EOA", sign_all(o), kEmptyRevert);
    o = base_;
    o.dataset.dataset = assets_.app;
    o.request.dataset = assets_.app;
    expect_match("0x30 dataset not registered", sign_all(o), code("0x30"));
    o = base_;
    o.dataset.sign = sign_order(domain(), Order(o.dataset), key(kAppOwner));
    expect_match("0x31 dataset signature", o, code("0x31"));

    o = base_;
    o.workerpool.workerpool = eoa;
    o.request.workerpool = eoa;
    expect_match("workerpool owner() on an EOA", sign_all(o), kEmptyRevert);
    o = base_;
    o.workerpool.workerpool = assets_.dataset;
    o.request.workerpool = assets_.dataset;
    expect_match("0x40 workerpool not registered", sign_all(o), code("0x40"));
    o = base_;
    o.workerpool.sign = sign_order(domain(), Order(o.workerpool), key(kRequester));
    expect_match("0x41 workerpool signature", o, code("0x41"));
    o = base_;
    o.workerpool.sign = Bytes{};
    expect_match("empty workerpool signature", o, reason("invalid-signature-format"));

    o = base_;
    o.request.sign = sign_order(domain(), Order(o.request), key(kScheduler));
    expect_match("0x50 request signature", o, code("0x50"));

    // EIP-2098 64-byte signatures are accepted.
    o = base_;
    o.request.sign = Signature::parse(o.request.sign).value().to_compact64();
    o.app.sign = Signature::parse(o.app.sign).value().to_compact64();
    expect_match("64-byte signatures", o, std::nullopt);
}

TEST_F(MatchCodesAnvil, VolumeAndEscrow) {
    Orders o = base_;
    o.request.volume = U256(0);
    expect_match("0x60 zero request volume", sign_all(o), code("0x60"));

    // Payer without the funds: P = 2e14 + 2 + 10 > 1e14 deposited.
    o = base_;
    o.app.appprice = U256(200'000'000'000'000ULL);
    o.request.appmaxprice = o.app.appprice;
    expect_match("requester lock", sign_all(o), reason("IexecEscrow: Transfer amount exceeds balance"));
    // Price · volume overflowing uint256: Panic(0x11) in the lock's multiplication.
    o = base_;
    o.app.appprice = U256::from_hex("0x8000000000000000000000000000000000000000000000000000000000000000").value();
    o.request.appmaxprice = o.app.appprice;
    o.app.volume = o.dataset.volume = o.workerpool.volume = o.request.volume = U256(2);
    expect_match("P · volume overflow", sign_all(o), ChainRevert{RevertKind::kPanic, "Panic(0x11)"});

    // A sponsor with no SRLC at all (a fresh address; eth_call needs no ether).
    const Address broke = PrivateKey::generate().address();
    expect_match("sponsor lock", base_, reason("IexecEscrow: Transfer amount exceeds balance"), broke);
    // A zero requester with a malformed 65-byte signature: tryRecover gives address 0 == requester, so 0x50 passes and
    // the lock refuses the zero account.
    o = base_;
    o.request.requester = Address{};
    o.request.sign = Bytes(65, 0x00);
    o.request.sign[64] = 27;
    expect_match("zero requester", o, reason("IexecEscrow: Transfer from empty address"));

    // A sponsored match that works, sent: the sponsor (account 8) pays, not the requester.
    {
        Orders sponsored = make_orders(assets_, U256(2), /*with_dataset=*/false, 2000);
        auto predicted = expect_match("sponsored", sponsored, std::nullopt, address(8));
        ASSERT_TRUE(predicted);
        ASSERT_NO_FATAL_FAILURE(send_match(sponsored, *predicted, 8));
        EXPECT_EQ(hub().view_deal(predicted->deal_id).value().sponsor, address(8));
    }

    // The base match sent for real, then the same orders again: 0x60 (volume 1 fully consumed).
    auto predicted = expect_match("base", base_, std::nullopt);
    ASSERT_TRUE(predicted);
    ASSERT_NO_FATAL_FAILURE(send_match(base_, *predicted));
    expect_match("0x60 consumed", base_, code("0x60"));

    // The workerpool owner unable to lock its 30 %: it withdraws all but 1 nRLC.
    const U256 free = hub().balance_of(address(kScheduler)).value();
    ASSERT_TRUE(send(hub().withdraw(checked_sub(free, U256(1)).value()), key(kScheduler)));
    expect_match("workerpool owner lock", make_orders(assets_, U256(1), true, 3000),
                 reason("IexecEscrow: Transfer amount exceeds balance"));
}

TEST_F(MatchCodesAnvil, PresignedOrdersMatchWithoutSignatures) {
    // manage<X>Order SIGN by each owner (sign "0x" is enough for the owner itself), then empty signatures.
    Orders o = make_orders(assets_, U256(1), /*with_dataset=*/true, 4000);
    ASSERT_TRUE(send(hub().manage_app_order(o.app, OrderOperation::kSign, {}), key(kAppOwner)));
    ASSERT_TRUE(send(hub().manage_dataset_order(o.dataset, OrderOperation::kSign, {}), key(kDatasetOwner)));
    ASSERT_TRUE(send(hub().manage_workerpool_order(o.workerpool, OrderOperation::kSign, {}), key(kScheduler)));
    const Address owner = hub().view_presigned(order_hash(domain(), Order(o.app))).value();
    EXPECT_EQ(owner, address(kAppOwner));
    Orders unsigned_orders = o;
    unsigned_orders.app.sign.clear();
    unsigned_orders.dataset.sign.clear();
    unsigned_orders.workerpool.sign.clear();
    // Not presigned: the empty request signature is an invalid format.
    unsigned_orders.request.sign.clear();
    expect_match("request not presigned", unsigned_orders, reason("invalid-signature-format"));
    ASSERT_TRUE(send(hub().manage_request_order(o.request, OrderOperation::kSign, {}), key(kRequester)));
    auto predicted = expect_match("all presigned", unsigned_orders, std::nullopt);
    ASSERT_TRUE(predicted);
    ASSERT_NO_FATAL_FAILURE(send_match(unsigned_orders, *predicted));
}

// match_facts_from_chain itself: every field against what the test set up.
TEST_F(MatchCodesAnvil, FactsFromChain) {
    Orders o = base_;
    o.workerpool.requesterrestrict = assets_.app;  // a contract restriction: evaluated through keyHasPurpose
    o = sign_all(o);
    chain::MatchFactsOptions options;
    options.version = PocoVersion::kV6_1;
    options.sponsor = address(8);
    auto facts = chain::match_facts_from_chain(hub(), o.app, o.dataset, o.workerpool, o.request, options);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_EQ(facts->version, PocoVersion::kV6_1);
    EXPECT_EQ(facts->domain_separator, domain().separator());
    EXPECT_EQ(facts->category_count, U256(5));
    EXPECT_EQ(facts->app.owner, std::optional<Address>(address(kAppOwner)));
    EXPECT_TRUE(facts->app.registered);
    EXPECT_EQ(facts->app.signature, SignatureCheck::kValid);
    EXPECT_EQ(facts->dataset.owner, std::optional<Address>(address(kDatasetOwner)));
    EXPECT_TRUE(facts->dataset.registered);
    EXPECT_EQ(facts->dataset.signature, SignatureCheck::kValid);
    EXPECT_EQ(facts->workerpool.owner, std::optional<Address>(address(kScheduler)));
    EXPECT_TRUE(facts->workerpool.registered);
    EXPECT_EQ(facts->workerpool.signature, SignatureCheck::kValid);
    EXPECT_EQ(facts->request_signature, SignatureCheck::kValid);
    EXPECT_EQ(facts->consumed_app, U256(0));
    EXPECT_EQ(facts->consumed_dataset, U256(0));
    EXPECT_EQ(facts->consumed_workerpool, U256(0));
    EXPECT_EQ(facts->consumed_request, U256(0));
    EXPECT_EQ(facts->worker_stake_ratio_policy, U256(30));
    EXPECT_EQ(facts->scheduler_reward_ratio_policy, U256(1));
    EXPECT_EQ(facts->sponsor, std::optional<Address>(address(8)));
    EXPECT_EQ(facts->sponsor_balance, std::optional<U256>(hub().balance_of(address(8)).value()));
    EXPECT_EQ(facts->workerpool_owner_balance, std::optional<U256>(hub().balance_of(address(kScheduler)).value()));
    EXPECT_EQ(facts->timestamp, U256(block_timestamp().value()));
    ASSERT_TRUE(facts->group_member);
    EXPECT_FALSE(facts->group_member(assets_.app, address(kRequester)));
    // The group-membership oracle on its own: no code / a contract without keyHasPurpose are both "not a member".
    EXPECT_FALSE(chain::group_member_from_chain(hub(), address(7), address(kRequester)).value());
    EXPECT_FALSE(chain::group_member_from_chain(hub(), assets_.app, address(kRequester)).value());
    // Signatures: wrong signer, bad length, presigned.
    const Bytes32 hash = order_hash(domain(), Order(o.request));
    EXPECT_EQ(chain::signature_check_from_chain(hub(), address(kRequester), hash, o.app.sign).value(),
              SignatureCheck::kInvalid);
    EXPECT_EQ(chain::signature_check_from_chain(hub(), address(kRequester), hash, Bytes(3, 1)).value(),
              SignatureCheck::kInvalidFormat);
    ASSERT_TRUE(send(hub().manage_request_order(o.request, OrderOperation::kSign, {}), key(kRequester)));
    EXPECT_EQ(chain::signature_check_from_chain(hub(), address(kRequester), hash, Bytes{}).value(),
              SignatureCheck::kValid);
    // An asset address without code: no owner, not registered, the signature not evaluated.
    o.app.app = address(7);
    facts = chain::match_facts_from_chain(hub(), o.app, o.dataset, o.workerpool, o.request, options);
    ASSERT_TRUE(facts) << facts.error().message;
    EXPECT_FALSE(facts->app.owner);
    EXPECT_FALSE(facts->app.registered);
}

}  // namespace
}  // namespace wp::test
