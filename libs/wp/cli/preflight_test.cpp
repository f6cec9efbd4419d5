// The preflight rules as tables: each refusal with its exact message, the stake warning, and the match pre-check's
// words for a few matchOrders reverts (the revert codes themselves are proven against the real contracts in
// tests/anvil/match_codes_anvil_test.cpp).
#include "preflight.hpp"

#include <gtest/gtest.h>

#include <string>

#include <wp/protocol/tag.hpp>

namespace wp::cli {
namespace {

const Address kOwner = Address::parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC").value();
const Address kOther = Address::parse("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65").value();
const Address kPool = Address::parse("0x2222222222222222222222222222222222222222").value();
const Address kApp = Address::parse("0x3333333333333333333333333333333333333333").value();

ResourceFacts deployed() {
    ResourceFacts f;
    f.registered = true;
    f.owner = kOwner;
    f.category_count = 5;
    f.owner_stake = 1'000'000;
    return f;
}

WorkerpoolOrder pool_order() {
    WorkerpoolOrder o;
    o.workerpool = kPool;
    o.workerpoolprice = 100;
    o.volume = 1;
    return o;
}

struct PoolCase {
    std::string name;
    std::uint64_t tag{0};
    std::uint64_t trust{0};
    std::uint64_t category{0};
    std::uint64_t volume{1};
    bool registered{true};
    Address signer{kOwner};
    std::string error;  //!< "" = accepted
};

PoolCase accept(std::string name, std::uint64_t tag, std::uint64_t trust = 0, std::uint64_t category = 0) {
    PoolCase c;
    c.name = std::move(name);
    c.tag = tag;
    c.trust = trust;
    c.category = category;
    return c;
}

class WorkerpoolPreflight : public ::testing::TestWithParam<PoolCase> {};

TEST_P(WorkerpoolPreflight, Rule) {
    const PoolCase& c = GetParam();
    WorkerpoolOrder o = pool_order();
    o.tag = make_tag(c.tag);
    o.trust = c.trust;
    o.category = c.category;
    o.volume = c.volume;
    ResourceFacts facts = deployed();
    if (!c.registered) {
        facts.registered = false;
        facts.owner.reset();
    }
    auto r = check_workerpool_order(o, c.signer, facts);
    if (c.error.empty()) {
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_TRUE(r->warnings.empty());
    } else {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
        EXPECT_EQ(r.error().message, c.error);
    }
}

const std::string kTagList =
    "; supported: 0x0, 0x3, 0x5, 0x9, optionally | 0x100 (standard 0x0, Scone TEE 0x3, Gramine TEE 0x5, TDX TEE 0x9, "
    "each optionally with GPU 0x100)";

INSTANTIATE_TEST_SUITE_P(
    Cases, WorkerpoolPreflight,
    ::testing::Values(
        accept("standard", 0x0), accept("standard_gpu", 0x100), accept("scone", 0x3, 1),
        accept("gramine_gpu", 0x105, 0), accept("tdx_trust0", 0x9, 0), accept("tdx_trust1", 0x9, 1),
        accept("standard_trust_100", 0x0, 100), accept("last_category", 0x0, 0, 4),
        PoolCase{"not_deployed", 0, 0, 0, 1, false, kOwner,
                 "No workerpool deployed at address 0x2222222222222222222222222222222222222222"},
        PoolCase{"not_owner", 0, 0, 0, 1, true, kOther,
                 "Invalid order signer, must be the resource owner (owner 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC, "
                 "signer 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65)"},
        PoolCase{"volume_0", 0, 0, 0, 0, true, kOwner, "workerpoolorder.volume must be at least 1 (got 0)"},
        PoolCase{"tee_alone", 0x1, 0, 0, 1, true, kOwner,
                 "workerpoolorder.tag: Unsupported workerpool order tag "
                 "0x0000000000000000000000000000000000000000000000000000000000000001" +
                     kTagList},
        PoolCase{"tdx_without_tee", 0x8, 0, 0, 1, true, kOwner,
                 "workerpoolorder.tag: Unsupported workerpool order tag "
                 "0x0000000000000000000000000000000000000000000000000000000000000008" +
                     kTagList},
        PoolCase{"two_frameworks", 0xb, 0, 0, 1, true, kOwner,
                 "workerpoolorder.tag: Unsupported workerpool order tag "
                 "0x000000000000000000000000000000000000000000000000000000000000000b" +
                     kTagList},
        PoolCase{"unknown_bit", 0x10, 0, 0, 1, true, kOwner,
                 "workerpoolorder.tag: Unsupported workerpool order tag "
                 "0x0000000000000000000000000000000000000000000000000000000000000010" +
                     kTagList},
        PoolCase{"tdx_trust_20", 0x9, 20, 0, 1, true, kOwner,
                 "workerpoolorder.trust: TEE workerpool orders must have trust 1 (0 counts as 1; got 20)"},
        PoolCase{"scone_gpu_trust_2", 0x103, 2, 0, 1, true, kOwner,
                 "workerpoolorder.trust: TEE workerpool orders must have trust 1 (0 counts as 1; got 2)"},
        PoolCase{"category_missing", 0, 0, 5, 1, true, kOwner,
                 "workerpoolorder.category 5 does not exist on chain (countCategory() = 5)"}),
    [](const ::testing::TestParamInfo<PoolCase>& p) { return p.param.name; });

TEST(Preflight, StakeBelowTheLockIsAWarning) {
    WorkerpoolOrder o = pool_order();
    o.workerpoolprice = 5;  // 5·30/100 = 1 per task (floor first), volume 10 → 10
    o.volume = 10;
    ResourceFacts facts = deployed();
    facts.owner_stake = 10;
    auto covered = check_workerpool_order(o, kOwner, facts);
    ASSERT_TRUE(covered);
    EXPECT_TRUE(covered->warnings.empty());
    facts.owner_stake = 9;
    auto short_stake = check_workerpool_order(o, kOwner, facts);
    ASSERT_TRUE(short_stake);
    ASSERT_EQ(short_stake->warnings.size(), 1u);
    EXPECT_EQ(
        short_stake->warnings[0],
        "the workerpool owner's stake (9 nRLC) does not cover the lock of a full match, price x 30% x volume = 10 "
        "nRLC: the market marks the order dead and a match of its whole volume reverts until the owner deposits "
        "more (iexec account deposit)");
}

TEST(Preflight, AppDatasetRequestOrders) {
    AppOrder a;
    a.app = kApp;
    a.volume = 1;
    EXPECT_TRUE(check_app_order(a, kOwner, deployed()));
    EXPECT_EQ(check_app_order(a, kOwner, ResourceFacts{}).error().message,
              "No app deployed at address 0x3333333333333333333333333333333333333333");
    a.tag = make_tag(0x3);
    EXPECT_EQ(check_app_order(a, kOwner, deployed()).error().message,
              "apporder.tag: Unsupported legacy TEE framework tag ('scone')");
    DatasetOrder d;
    d.dataset = kApp;
    d.volume = 0;
    EXPECT_EQ(check_dataset_order(d, kOwner, deployed()).error().message,
              "datasetorder.volume must be at least 1 (got 0)");
    RequestOrder r;
    r.volume = 1;
    r.tag = make_tag(0x1);  // agnostic tee is fine in a request
    EXPECT_TRUE(check_request_order(r));
    r.tag = make_tag(0x8);
    EXPECT_EQ(check_request_order(r).error().message, "requestorder.tag: 'tdx' tag must be used with 'tee' tag");
}

// ---- match ----------------------------------------------------------------------------------------------------------

struct MatchSetup {
    AppOrder app;
    WorkerpoolOrder pool;
    RequestOrder request;
    MatchFacts facts;
};

MatchSetup matchable() {
    MatchSetup m;
    m.app.app = kApp;
    m.app.appprice = 2;
    m.app.volume = 5;
    m.pool = pool_order();
    m.pool.volume = 5;
    m.request.app = kApp;
    m.request.appmaxprice = 2;
    m.request.workerpool = kPool;
    m.request.workerpoolmaxprice = 100;
    m.request.requester = kOther;
    m.request.beneficiary = kOther;
    m.request.volume = 1;
    m.facts.version = PocoVersion::kV6_1;
    m.facts.category_count = 1;
    m.facts.app = AssetFacts{kOwner, true, SignatureCheck::kValid};
    m.facts.workerpool = AssetFacts{kOwner, true, SignatureCheck::kValid};
    m.facts.request_signature = SignatureCheck::kValid;
    return m;
}

TEST(PreflightMatch, PredictsTheDeal) {
    MatchSetup m = matchable();
    auto deal = check_match(m.app, DatasetOrder{}, m.pool, m.request, m.facts);
    ASSERT_TRUE(deal) << deal.error().message;
    EXPECT_EQ(deal->volume, U256(1));
}

TEST(PreflightMatch, ExplainsEachFailureInWords) {
    {
        MatchSetup m = matchable();
        m.request.workerpoolmaxprice = 5;
        EXPECT_EQ(check_match(m.app, DatasetOrder{}, m.pool, m.request, m.facts).error().message,
                  "matchOrders would revert (iExecV5-matchOrders-0x05): request workerpoolmaxprice 5 < workerpool "
                  "price 100");
    }
    {
        MatchSetup m = matchable();
        m.request.category = 1;
        auto r = check_match(m.app, DatasetOrder{}, m.pool, m.request, m.facts);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message.rfind("matchOrders would revert (iExecV5-matchOrders-0x00): ", 0), 0u)
            << r.error().message;
    }
    {
        MatchSetup m = matchable();
        m.facts.consumed_workerpool = 5;  // fully consumed
        auto r = check_match(m.app, DatasetOrder{}, m.pool, m.request, m.facts);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message.rfind("matchOrders would revert (iExecV5-matchOrders-0x60): ", 0), 0u)
            << r.error().message;
    }
    {
        MatchSetup m = matchable();
        m.facts.workerpool.owner.reset();  // owner() on an address without code
        auto r = check_match(m.app, DatasetOrder{}, m.pool, m.request, m.facts);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message.rfind("matchOrders would revert without a reason: ", 0), 0u) << r.error().message;
    }
}

}  // namespace
}  // namespace wp::cli
