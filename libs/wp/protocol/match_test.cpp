#include "match.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>

#include "ids.hpp"
#include "tag.hpp"

namespace wp {
namespace {

Address addr(std::string_view s) { return *Address::parse(s); }

const Address kApp = addr("0x00000000000000000000000000000000000000a1");
const Address kDataset = addr("0x00000000000000000000000000000000000000b1");
const Address kPool = addr("0x00000000000000000000000000000000000000c1");
const Address kRequester = addr("0x1000000000000000000000000000000000000001");
const Address kAppOwner = addr("0x2000000000000000000000000000000000000002");
const Address kDatasetOwner = addr("0x3000000000000000000000000000000000000003");
const Address kScheduler = addr("0x4000000000000000000000000000000000000004");
const Address kOther = addr("0x5000000000000000000000000000000000000005");
const Address kGroup = addr("0x6000000000000000000000000000000000000006");

// A matching set (hand-built from §5.2): TEE+TDX app (0x9), dataset tag 0, request tag tee (0x1),
// workerpool tag 0x9; prices app 3 ≤ 3, dataset 2 ≤ 2, workerpool 10 ≤ 10; category 0 of 5;
// trust 3 ≤ 5; consumed request 1 → volume = min(10, 5, 100, 3 − 1) = 2.
struct Fixture {
    AppOrder A;
    DatasetOrder D;
    WorkerpoolOrder W;
    RequestOrder R;
    MatchFacts F;

    Fixture() {
        A.app = kApp;
        A.appprice = 3;
        A.volume = 10;
        A.tag = make_tag(0x9);
        D.dataset = kDataset;
        D.datasetprice = 2;
        D.volume = 5;
        W.workerpool = kPool;
        W.workerpoolprice = 10;
        W.volume = 100;
        W.tag = make_tag(0x9);
        W.category = 0;
        W.trust = 5;
        R.app = kApp;
        R.appmaxprice = 3;
        R.dataset = kDataset;
        R.datasetmaxprice = 2;
        R.workerpoolmaxprice = 10;
        R.requester = kRequester;
        R.volume = 3;
        R.tag = make_tag(0x1);
        R.category = 0;
        R.trust = 3;
        R.beneficiary = kOther;
        R.params = "{\"iexec_args\":\"x\"}";
        F.domain_separator = Domain::iexec(U256(31337), kOther).separator();
        F.category_count = 5;
        F.app = {kAppOwner, true, SignatureCheck::kValid};
        F.dataset = {kDatasetOwner, true, SignatureCheck::kValid};
        F.workerpool = {kScheduler, true, SignatureCheck::kValid};
        F.request_signature = SignatureCheck::kValid;
        F.consumed_request = 1;
        F.timestamp = 1'700'000'000;
    }

    tl::expected<MatchedDeal, MatchRevert> run() const { return match_orders(A, D, W, R, F); }

    std::string reason() const {
        auto r = run();
        if (r) return "OK";
        return r.error().reason;
    }
};

TEST(PocoMatch, SuccessRecordsTheDeal) {
    Fixture f;
    auto m = f.run();
    ASSERT_TRUE(m) << m.error().to_error().message;
    EXPECT_EQ(m->volume, U256(2));
    EXPECT_TRUE(m->has_dataset);
    EXPECT_EQ(m->app_hash, order_hash(f.F.domain_separator, Order(f.A)));
    EXPECT_EQ(m->dataset_hash, order_hash(f.F.domain_separator, Order(f.D)));
    EXPECT_EQ(m->workerpool_hash, order_hash(f.F.domain_separator, Order(f.W)));
    EXPECT_EQ(m->request_hash, order_hash(f.F.domain_separator, Order(f.R)));
    // §5.3: dealid = keccak256(requestHash ‖ consumed before) = deal_id(hash, 1).
    EXPECT_EQ(m->deal_id, deal_id(m->request_hash, 1));
    const Deal& d = m->deal;
    EXPECT_EQ(d.app, (Resource{kApp, kAppOwner, U256(3)}));
    EXPECT_EQ(d.dataset, (Resource{kDataset, kDatasetOwner, U256(2)}));
    EXPECT_EQ(d.workerpool, (Resource{kPool, kScheduler, U256(10)}));
    EXPECT_EQ(d.trust, U256(3));
    EXPECT_EQ(d.category, U256(0));
    EXPECT_EQ(d.tag, make_tag(0x9));  // app 0x9 | dataset 0 | request 0x1
    EXPECT_EQ(d.requester, kRequester);
    EXPECT_EQ(d.beneficiary, kOther);
    EXPECT_EQ(d.callback, Address{});
    EXPECT_EQ(d.params, f.R.params);
    EXPECT_EQ(d.start_time, U256(1'700'000'000));
    EXPECT_EQ(d.bot_first, U256(1));
    EXPECT_EQ(d.bot_size, U256(2));
    EXPECT_EQ(d.worker_stake, U256(3));            // 10·30/100
    EXPECT_EQ(d.scheduler_reward_ratio, U256(1));  // default policy
    EXPECT_EQ(d.sponsor, kRequester);
    // Locks: sponsor (3 + 2 + 10)·2 = 30; scheduler (10·30/100)·2 = 6.
    ASSERT_EQ(m->locks.size(), 2u);
    EXPECT_EQ(m->locks[0], (BalanceMovement{EscrowOp::kLock, kRequester, U256(30), Bytes32{}}));
    EXPECT_EQ(m->locks[1], (BalanceMovement{EscrowOp::kLock, kScheduler, U256(6), Bytes32{}}));
}

TEST(PocoMatch, DealValuesFromPoliciesTrustAndTags) {
    Fixture f;
    f.R.trust = 0;              // deal.trust = max(0, 1)
    f.W.tag = make_tag(0x109);  // the workerpool's extra GPU bit is not part of the deal tag
    f.F.worker_stake_ratio_policy = 45;
    f.F.scheduler_reward_ratio_policy = 7;
    f.F.sponsor = kOther;  // sponsorMatchOrders
    f.F.consumed_app = 9;  // volume = min(10 − 9, 5, 100, 2) = 1
    auto m = f.run();
    ASSERT_TRUE(m) << m.error().to_error().message;
    EXPECT_EQ(m->deal.trust, U256(1));
    EXPECT_EQ(m->deal.tag, make_tag(0x9));
    EXPECT_EQ(m->deal.worker_stake, U256(4));  // floor(10·45/100)
    EXPECT_EQ(m->deal.scheduler_reward_ratio, U256(7));
    EXPECT_EQ(m->deal.sponsor, kOther);
    EXPECT_EQ(m->volume, U256(1));
    EXPECT_EQ(m->locks[0], (BalanceMovement{EscrowOp::kLock, kOther, U256(15), Bytes32{}}));
}

TEST(PocoMatch, NoDataset) {
    // §5.1: a zeroed dataset order; its volume does not count; owner/registry/signature facts are
    // not consulted; deal.dataset is zero; the dataset hash reported is zero.
    Fixture f;
    f.D = DatasetOrder{};
    f.R.dataset = Address{};
    f.F.dataset = AssetFacts{};  // owner() would fail: must not be called
    f.F.consumed_dataset = 999;  // would underflow if it were used
    auto m = f.run();
    ASSERT_TRUE(m) << m.error().to_error().message;
    EXPECT_FALSE(m->has_dataset);
    EXPECT_EQ(m->volume, U256(2));
    EXPECT_EQ(m->dataset_hash, Bytes32{});
    EXPECT_EQ(m->deal.dataset, Resource{});
    EXPECT_EQ(m->locks[0].amount, U256(26));  // (3 + 0 + 10)·2
    // An app order restricted to a dataset can never match without one (§5.2): 0x13.
    f.A.datasetrestrict = kDataset;
    EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x13");
}

TEST(PocoMatch, PriceAndEnvironmentChecks) {
    {
        Fixture f;
        f.W.category = 1;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x00");
    }
    {
        Fixture f;
        f.F.category_count = 0;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x01");
        f.R.category = 5;
        f.W.category = 5;
        f.F.category_count = 5;  // category 5 of 5 does not exist
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x01");
    }
    {
        Fixture f;
        f.R.trust = 6;  // > 5
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x02");
    }
    {
        Fixture f;
        f.R.appmaxprice = 2;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x03");
    }
    {
        Fixture f;
        f.R.datasetmaxprice = 1;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x04");
    }
    {
        Fixture f;
        f.R.workerpoolmaxprice = 9;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x05");
    }
    {
        Fixture f;
        f.R.tag = make_tag(0x101);  // GPU requested, the pool offers 0x9
        auto m = f.run();
        ASSERT_FALSE(m);
        EXPECT_EQ(m.error().reason, "iExecV5-matchOrders-0x06");
        EXPECT_EQ(m.error().kind, RevertKind::kReason);
        EXPECT_NE(m.error().explanation.find("0x0000000000000000000000000000000000000000000000000000000000000100"),
                  std::string::npos)
            << m.error().explanation;
    }
    {
        Fixture f;
        f.A.tag = make_tag(0x8);  // tdx without tee: tag 0x9 is offered, but the app lacks bit 0
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x07");
    }
    {
        // The app's TEE bit alone is fine: tag bit 0 = app bit 0.
        Fixture f;
        f.R.tag = make_tag(0);
        EXPECT_EQ(f.reason(), "OK");
    }
}

TEST(PocoMatch, DatasetTeeFrameworkMaskDependsOnVersion) {
    // §14: 6.2 masks D.tag & ~0x0E. A Scone dataset (0x3) on a TDX pool (0x9): 6.2 → tag 0x9 (OK),
    // 6.1 → tag 0xb, bit 1 missing from the pool → 0x06.
    Fixture f;
    f.D.tag = make_tag(0x3);
    auto m = f.run();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->deal.tag, make_tag(0x9));
    f.F.version = PocoVersion::kV6_1;
    EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x06");
    EXPECT_EQ(match_tag(f.A, f.D, f.R, PocoVersion::kV6_1), make_tag(0xb));
    // A TEE-only dataset still requires a TEE app under 6.2 (bit 0 is not masked): 0x07.
    Fixture g;
    g.A.tag = make_tag(0);
    g.R.tag = make_tag(0);
    g.D.tag = make_tag(0x1);
    EXPECT_EQ(g.reason(), "iExecV5-matchOrders-0x07");
}

TEST(PocoMatch, MatchingAndRestrictions) {
    {
        Fixture f;
        f.R.app = kOther;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x10");
    }
    {
        Fixture f;
        f.R.dataset = kOther;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x11");
    }
    struct Case {
        std::uint8_t code;
        void (*set)(Fixture&, const Address&);
    };
    const Case cases[] = {
        {0x12, [](Fixture& f, const Address& a) { f.R.workerpool = a; }},
        {0x13, [](Fixture& f, const Address& a) { f.A.datasetrestrict = a; }},
        {0x14, [](Fixture& f, const Address& a) { f.A.workerpoolrestrict = a; }},
        {0x15, [](Fixture& f, const Address& a) { f.A.requesterrestrict = a; }},
        {0x16, [](Fixture& f, const Address& a) { f.D.apprestrict = a; }},
        {0x17, [](Fixture& f, const Address& a) { f.D.workerpoolrestrict = a; }},
        {0x18, [](Fixture& f, const Address& a) { f.D.requesterrestrict = a; }},
        {0x19, [](Fixture& f, const Address& a) { f.W.apprestrict = a; }},
        {0x1a, [](Fixture& f, const Address& a) { f.W.datasetrestrict = a; }},
        {0x1b, [](Fixture& f, const Address& a) { f.W.requesterrestrict = a; }},
    };
    for (const auto& c : cases) {
        char expected[32];
        std::snprintf(expected, sizeof expected, "iExecV5-matchOrders-0x%02x", c.code);
        Fixture f;
        c.set(f, kOther);  // an EOA that is not the account
        EXPECT_EQ(f.reason(), expected);
        // A group contract that lists the account authorizes it (ERC-734 keyHasPurpose(account, 4)).
        c.set(f, kGroup);
        EXPECT_EQ(f.reason(), expected);  // no group_member callback: a plain address
        f.F.group_member = [](const Address& restriction, const Address&) { return restriction == kGroup; };
        EXPECT_EQ(f.reason(), "OK") << expected;
        f.F.group_member = [](const Address&, const Address&) { return false; };
        EXPECT_EQ(f.reason(), expected);
    }
    // The restriction equal to the account itself authorizes it.
    Fixture f;
    f.R.workerpool = kPool;
    f.A.requesterrestrict = kRequester;
    f.W.datasetrestrict = kDataset;
    EXPECT_EQ(f.reason(), "OK");
    EXPECT_TRUE(is_authorized_by_restriction(Address{}, kOther, nullptr));
    EXPECT_FALSE(is_authorized_by_restriction(kOther, Address{}, nullptr));
}

TEST(PocoMatch, AuthenticityChecks) {
    {
        Fixture f;
        f.F.app.owner.reset();  // owner() on a non-contract: revert without data, before 0x20
        f.F.app.registered = false;
        auto m = f.run();
        ASSERT_FALSE(m);
        EXPECT_EQ(m.error().kind, RevertKind::kEmpty);
        EXPECT_EQ(m.error().reason, "");
    }
    {
        Fixture f;
        f.F.app.registered = false;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x20");
    }
    {
        Fixture f;
        f.F.app.signature = SignatureCheck::kInvalid;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x21");
        f.F.app.signature = SignatureCheck::kInvalidFormat;
        EXPECT_EQ(f.reason(), "invalid-signature-format");
    }
    {
        Fixture f;
        f.F.dataset.owner.reset();
        EXPECT_EQ(f.run().error().kind, RevertKind::kEmpty);
    }
    {
        Fixture f;
        f.F.dataset.registered = false;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x30");
    }
    {
        Fixture f;
        f.F.dataset.signature = SignatureCheck::kInvalid;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x31");
    }
    {
        Fixture f;
        f.F.workerpool.owner.reset();
        EXPECT_EQ(f.run().error().kind, RevertKind::kEmpty);
    }
    {
        Fixture f;
        f.F.workerpool.registered = false;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x40");
    }
    {
        Fixture f;
        f.F.workerpool.signature = SignatureCheck::kInvalid;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x41");
    }
    {
        Fixture f;
        f.F.request_signature = SignatureCheck::kInvalid;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x50");
        f.F.request_signature = SignatureCheck::kInvalidFormat;
        EXPECT_EQ(f.reason(), "invalid-signature-format");
    }
    {
        // Order: the app's signature is checked before the dataset's registration.
        Fixture f;
        f.F.app.signature = SignatureCheck::kInvalid;
        f.F.dataset.registered = false;
        f.F.request_signature = SignatureCheck::kInvalid;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x21");
    }
}

TEST(PocoMatch, VolumeChecks) {
    {
        Fixture f;
        f.F.consumed_request = 3;  // request fully consumed
        auto m = f.run();
        ASSERT_FALSE(m);
        EXPECT_EQ(m.error().reason, "iExecV5-matchOrders-0x60");
        EXPECT_NE(m.error().explanation.find("request 0"), std::string::npos) << m.error().explanation;
    }
    {
        Fixture f;
        f.F.consumed_dataset = 5;  // a closed dataset order (close sets consumed = volume)
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x60");
    }
    {
        Fixture f;
        f.W.volume = 0;
        EXPECT_EQ(f.reason(), "iExecV5-matchOrders-0x60");
    }
    {
        Fixture f;
        f.F.consumed_app = 11;  // above its volume: the subtraction underflows (Panic 0x11)
        auto m = f.run();
        ASSERT_FALSE(m);
        EXPECT_EQ(m.error().kind, RevertKind::kPanic);
        EXPECT_EQ(m.error().reason, "Panic(0x11)");
        EXPECT_EQ(m.error().to_error().code, Errc::kOverflow);
    }
    Fixture f;
    EXPECT_EQ(*compute_deal_volume(f.A, f.D, f.W, f.R, f.F), U256(2));
    f.F.consumed_request = 0;
    EXPECT_EQ(*compute_deal_volume(f.A, f.D, f.W, f.R, f.F), U256(3));
    f.R.volume = 1000;
    EXPECT_EQ(*compute_deal_volume(f.A, f.D, f.W, f.R, f.F), U256(5));  // the dataset order limits
}

TEST(PocoMatch, LockChecks) {
    {
        Fixture f;
        f.F.sponsor_balance = 29;  // needs 30
        f.F.workerpool_owner_balance = 6;
        EXPECT_EQ(f.reason(), "IexecEscrow: Transfer amount exceeds balance");
        f.F.sponsor_balance = 30;
        EXPECT_EQ(f.reason(), "OK");
        f.F.workerpool_owner_balance = 5;  // needs 6
        EXPECT_EQ(f.reason(), "IexecEscrow: Transfer amount exceeds balance");
    }
    {
        // The sponsor is also the scheduler: the second lock sees 35 − 30 = 5 < 6.
        Fixture f;
        f.F.sponsor = kScheduler;
        f.F.sponsor_balance = 35;
        f.F.workerpool_owner_balance = 35;
        EXPECT_EQ(f.reason(), "IexecEscrow: Transfer amount exceeds balance");
        f.F.sponsor_balance = 36;
        f.F.workerpool_owner_balance = 36;
        EXPECT_EQ(f.reason(), "OK");
    }
    {
        // A zero requester whose "signature" passed (tryRecover returns 0 for garbage): the lock fails.
        Fixture f;
        f.R.requester = Address{};
        EXPECT_EQ(f.reason(), "IexecEscrow: Transfer from empty address");
    }
    {
        // workerStake overflow (price 2^255, policy 30) panics before the locks.
        Fixture f;
        U256 big = 1;
        for (int i = 0; i < 255; ++i) big = *checked_add(big, big);
        f.W.workerpoolprice = big;
        f.R.workerpoolmaxprice = big;
        auto m = f.run();
        ASSERT_FALSE(m);
        EXPECT_EQ(m.error().kind, RevertKind::kPanic);
        EXPECT_NE(m.error().explanation.find("workerStake"), std::string::npos);
        // Policy 1: the stake fits but (3 + 2 + 2^255)·2 overflows the sponsor lock.
        f.F.worker_stake_ratio_policy = 1;
        m = f.run();
        ASSERT_FALSE(m);
        EXPECT_EQ(m.error().kind, RevertKind::kPanic);
        EXPECT_NE(m.error().explanation.find("sponsor lock"), std::string::npos) << m.error().explanation;
    }
}

TEST(PocoMatch, FreeOrders) {
    // Zero prices everywhere: zero locks, still recorded.
    Fixture f;
    f.A.appprice = 0;
    f.D.datasetprice = 0;
    f.W.workerpoolprice = 0;
    f.R.appmaxprice = 0;
    f.R.datasetmaxprice = 0;
    f.R.workerpoolmaxprice = 0;
    f.F.sponsor_balance = 0;
    f.F.workerpool_owner_balance = 0;
    auto m = f.run();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->locks[0].amount, U256(0));
    EXPECT_EQ(m->locks[1].amount, U256(0));
    EXPECT_EQ(m->deal.worker_stake, U256(0));
}

}  // namespace
}  // namespace wp
