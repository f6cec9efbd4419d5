// The order policy's pure decisions (order_policy.hpp): the offers' syntax and its errors, the capacity formula
// (worked by hand from its definition: slots × (7 − safety) × T per offer, the backlog and earlier offers charged,
// the replicas of the trust, the assignment filter for TEE / GPU / max time), and the reconciliation rule.
#include "order_policy.hpp"

#include <gtest/gtest.h>

#include <wp/protocol/tag.hpp>

namespace wp::scheduler {
namespace {

Address addr(std::uint8_t b) {
    FixedBytes<20> bytes;
    bytes.bytes[19] = b;
    return Address(bytes);
}

WorkerSnapshot worker(std::uint8_t id, std::uint32_t slots) {
    WorkerSnapshot w;
    w.address = addr(id);
    w.alive = true;
    w.free_slots = slots;
    return w;
}

TEST(OrderPolicyOffers, ParsesTheDocumentedSyntax) {
    auto offers = parse_offers(" category=0,tag=0x0,price=0,trust=0 ; category=1, tag=0x9, price=1000000, trust=1;");
    ASSERT_TRUE(offers) << offers.error().message;
    ASSERT_EQ(offers->size(), 2U);
    EXPECT_EQ((*offers)[0].category, 0U);
    EXPECT_EQ((*offers)[0].tag, Bytes32{});
    EXPECT_EQ((*offers)[1].category, 1U);
    EXPECT_EQ((*offers)[1].tag, make_tag(0x9));
    EXPECT_EQ((*offers)[1].price, U256(1000000));
    EXPECT_EQ((*offers)[1].trust, 1U);
    EXPECT_EQ(
        (*offers)[1].key(),
        "category=1,tag=0x0000000000000000000000000000000000000000000000000000000000000009,price=1000000,trust=1");
    // Names joined by '+', defaults for price and trust.
    auto named = parse_offers("category=2,tag=tee+tdx");
    ASSERT_TRUE(named) << named.error().message;
    EXPECT_EQ((*named)[0].tag, make_tag(0x9));
    EXPECT_EQ((*named)[0].price, U256(0));
    EXPECT_TRUE(parse_offers("")->empty());
    EXPECT_TRUE(parse_offers("  ; ")->empty());
}

TEST(OrderPolicyOffers, ErrorsNameTheKeyTheOfferAndTheRule) {
    auto expect_error = [](std::string_view text, std::string_view message) {
        auto r = parse_offers(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
        EXPECT_EQ(r.error().message, message) << text;
    };
    expect_error("tag=0x0", "core.orders.offers: offer 1: category is required");
    expect_error("category=0;category=1,prise=3",
                 "core.orders.offers: offer 2: unknown field \"prise\" (category, "
                 "tag, price, trust)");
    expect_error("category=0,tag=0x0;category=0,tag=0x0",
                 "core.orders.offers: offer 2: same category and tag as offer 1");
    expect_error("category=0,category=1", "core.orders.offers: offer 1: category given twice");
    expect_error("category", "core.orders.offers: offer 1: \"category\" is not name=value");
    expect_error("category=1,tag=0x3,trust=3", "core.orders.offers: offer 1: a TEE tag requires trust 0 or 1");
    expect_error("category=1,trust=10001", "core.orders.offers: offer 1: trust: above 10000");
    auto bad_price = parse_offers("category=1,price=-1");
    ASSERT_FALSE(bad_price);
    EXPECT_EQ(bad_price.error().message.rfind("core.orders.offers: offer 1: price: ", 0), 0U)
        << bad_price.error().message;
    auto bad_tag = parse_offers("category=1,tag=0xzz");
    ASSERT_FALSE(bad_tag);
    EXPECT_EQ(bad_tag.error().message.rfind("core.orders.offers: offer 1: tag: ", 0), 0U) << bad_tag.error().message;
}

TEST(OrderPolicyCapacity, ReplicasFollowTheConsensusOfFreshWorkers) {
    // Fresh workers (w = 2) need n replicates with 2^n > T − 1 (docs/scheduler.md "Replication").
    EXPECT_EQ(replicas_for_trust(0).value(), 1U);
    EXPECT_EQ(replicas_for_trust(1).value(), 1U);
    EXPECT_EQ(replicas_for_trust(2).value(), 1U);
    EXPECT_EQ(replicas_for_trust(3).value(), 2U);
    EXPECT_EQ(replicas_for_trust(5).value(), 3U);
    EXPECT_EQ(replicas_for_trust(10).value(), 4U);
}

TEST(OrderPolicyCapacity, SlotsTimesTheUsableRoundsPerOffer) {
    const std::vector<Offer> offers = {Offer{0, Bytes32{}, U256(0), 0}};
    // Two workers, 2 + 1 slots, T = 300 s, safety 1: 3 × 6 rounds = 18 tasks.
    auto plans = plan_volumes(offers, {300}, {worker(1, 2), worker(2, 1)}, {}, CapacityParams{1, 1000});
    ASSERT_TRUE(plans) << plans.error().message;
    EXPECT_EQ((*plans)[0].slots, 3U);
    EXPECT_EQ((*plans)[0].budget, U256(3 * 6 * 300));
    EXPECT_EQ((*plans)[0].volume, 18U);
    // A lost worker does not count; safety 0 keeps the whole window (7 rounds).
    auto lost = worker(2, 1);
    lost.alive = false;
    plans = plan_volumes(offers, {300}, {worker(1, 2), lost}, {}, CapacityParams{0, 1000});
    ASSERT_TRUE(plans);
    EXPECT_EQ((*plans)[0].volume, 14U);
    // No worker, or an unknown category: nothing.
    EXPECT_EQ(plan_volumes(offers, {300}, {}, {}, {})->at(0).volume, 0U);
    EXPECT_EQ(plan_volumes(offers, {0}, {worker(1, 4)}, {}, {})->at(0).volume, 0U);
    // The cap.
    EXPECT_EQ(plan_volumes(offers, {300}, {worker(1, 1000)}, {}, CapacityParams{1, 50})->at(0).volume, 50U);
    // One category time per offer.
    EXPECT_FALSE(plan_volumes(offers, {}, {}, {}, {}));
}

TEST(OrderPolicyCapacity, BacklogAndEarlierOffersAreCharged) {
    const std::vector<Offer> offers = {Offer{0, Bytes32{}, U256(0), 0}, Offer{1, Bytes32{}, U256(5), 5}};
    // 2 slots, category 0: T = 100 → budget 2·6·100 = 1200; backlog: 3 tasks of T = 100 at trust 1 (1 replica) and
    // 1 task of T = 200 at trust 5 (3 replicas) = 300 + 600 = 900 → (1200 − 900) / 100 = 3.
    // Category 1: T = 600, trust 5 (3 replicas): budget 2·6·600 = 7200; charged 900 + 3·1·100 = 1200 →
    // (7200 − 1200) / (3·600) = 3.
    const std::vector<BacklogEntry> backlog = {{100, 1, 3}, {200, 5, 1}};
    auto plans = plan_volumes(offers, {100, 600}, {worker(1, 2)}, backlog, CapacityParams{1, 1000});
    ASSERT_TRUE(plans) << plans.error().message;
    EXPECT_EQ((*plans)[0].backlog, U256(900));
    EXPECT_EQ((*plans)[0].volume, 3U);
    EXPECT_EQ((*plans)[1].replicas, 3U);
    EXPECT_EQ((*plans)[1].earlier, U256(300));
    EXPECT_EQ((*plans)[1].volume, 3U);
    // A backlog above the budget leaves 0, never a negative volume.
    plans = plan_volumes(offers, {100, 600}, {worker(1, 2)}, {{100, 1, 50}}, CapacityParams{1, 1000});
    ASSERT_TRUE(plans);
    EXPECT_EQ((*plans)[0].volume, 0U);
}

TEST(OrderPolicyCapacity, OnlyWorkersThatCanRunTheOfferCount) {
    const std::vector<Offer> offers = {Offer{0, make_tag(0x9), U256(0), 1},    // TEE TDX
                                       Offer{1, make_tag(0x100), U256(0), 0},  // GPU
                                       Offer{2, Bytes32{}, U256(0), 0}};       // standard, T above a max time
    auto tdx = worker(1, 2);
    tdx.tee_frameworks = {workerapi::TeeFramework::kTdx};
    auto gpu = worker(2, 3);
    gpu.gpu = true;
    gpu.max_task_seconds = 100;
    auto plans = plan_volumes(offers, {100, 100, 1000}, {tdx, gpu}, {}, CapacityParams{1, 1000000});
    ASSERT_TRUE(plans) << plans.error().message;
    EXPECT_EQ((*plans)[0].slots, 2U);  // the TDX worker only
    EXPECT_EQ((*plans)[1].slots, 3U);  // the GPU worker only
    EXPECT_EQ((*plans)[2].slots, 2U);  // the GPU worker's max time (100 s) is below T = 1000 s
}

TEST(OrderPolicyReconcile, PublishesUnpublishesAndWaitsForPendingRows) {
    const std::vector<Offer> offers = {Offer{0, Bytes32{}, U256(0), 0}, Offer{1, Bytes32{}, U256(0), 0}};
    auto h = [](std::uint8_t b) {
        Bytes32 x;
        x.bytes[0] = b;
        return x;
    };
    // Nothing published: one order per offer with a volume.
    auto d = reconcile(offers, {12, 0}, {});
    ASSERT_TRUE(d);
    ASSERT_EQ(d->publish.size(), 1U);
    EXPECT_EQ(d->publish[0].offer, 0U);
    EXPECT_EQ(d->publish[0].volume, 12U);
    EXPECT_TRUE(d->unpublish.empty());
    // Open volume equal to the plan: nothing.
    std::vector<PolicyOrderRow> rows = {{h(1), offers[0].key(), 12, 12, PolicyOrderState::kOpen}};
    EXPECT_TRUE(reconcile(offers, {12, 0}, rows)->empty());
    // Fewer (a worker lost) or more (a fill then capacity back): consolidate into one order.
    d = reconcile(offers, {6, 0}, rows);
    ASSERT_EQ(d->unpublish.size(), 1U);
    EXPECT_EQ(d->unpublish[0], h(1));
    ASSERT_EQ(d->publish.size(), 1U);
    EXPECT_EQ(d->publish[0].volume, 6U);
    d = reconcile(offers, {0, 0}, rows);
    EXPECT_EQ(d->unpublish.size(), 1U);
    EXPECT_TRUE(d->publish.empty());
    // A pending row of the offer: nothing new decided for it.
    rows.push_back({h(2), offers[0].key(), 6, 6, PolicyOrderState::kPublishing});
    EXPECT_TRUE(reconcile(offers, {3, 0}, rows)->empty());
    // Closed rows are ignored; an open order of no offer is unpublished.
    rows = {{h(3), offers[0].key(), 12, 0, PolicyOrderState::kClosed}, {h(4), "", 50, 50, PolicyOrderState::kOpen}};
    d = reconcile(offers, {0, 0}, rows);
    ASSERT_EQ(d->unpublish.size(), 1U);
    EXPECT_EQ(d->unpublish[0], h(4));
    EXPECT_TRUE(d->publish.empty());
    EXPECT_FALSE(reconcile(offers, {1}, rows));
}

}  // namespace
}  // namespace wp::scheduler
