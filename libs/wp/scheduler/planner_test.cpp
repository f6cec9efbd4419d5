// The replication planner and the assignment cycle (planner.hpp). Expected replicate counts come from the PoCo
// consensus condition worked by hand (protocol.md §6.3: with w = 2 workers, n agreeing replicates reach consensus when
// 2^n > T − 1; scheduler-worker.md §5.1 table), not from the code under test.

#include "planner.hpp"
#include "scheduler_test_support.hpp"

#include <set>

#include <gtest/gtest.h>

#include <wp/protocol/tag.hpp>

namespace wp::scheduler {
namespace {

using State = ReplicaSnapshot::State;

Address addr(std::uint8_t b) {
    FixedBytes<20> f;
    f.bytes.fill(b);
    return Address(f);
}
using testing::h;

constexpr std::int64_t kNow = 1'767'225'600;
constexpr std::int64_t kPeriod = 300;

TEST(ReplicationPlan, FreshWorkersByTrust) {
    // Least n with 2^n > T − 1 (n ≥ 1).
    const std::pair<std::uint64_t, std::uint64_t> table[] = {{0, 1}, {1, 1}, {2, 1}, {3, 2}, {5, 3}, {10, 4}, {100, 7}};
    for (const auto& [trust, n] : table) {
        auto p = plan_replication(trust, {}, kNow, kPeriod, U256(0));
        ASSERT_TRUE(p) << p.error().message;
        EXPECT_TRUE(p->needs_more);
        EXPECT_EQ(p->more, n) << "trust " << trust;
    }
}

TEST(ReplicationPlan, PendingAndContributedReplicasCount) {
    // trust 5 needs 3 fresh agreeing workers.
    std::vector<ReplicaSnapshot> r = {{addr(1), State::kContributed, h(1), U256(0), kNow - 10},
                                      {addr(2), State::kPending, {}, U256(0), kNow - 10}};
    auto p = plan_replication(5, r, kNow, kPeriod, U256(0));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->more, 1u);
    r.push_back({addr(3), State::kPending, {}, U256(0), kNow});
    p = plan_replication(5, r, kNow, kPeriod, U256(0));
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->needs_more);
    EXPECT_EQ(p->more, 0u);
}

TEST(ReplicationPlan, SlowOrLostReplicasAreReplaced) {
    // trust 1: one replicate, unless it is older than one period (slow) or gone (lost, failed).
    std::vector<ReplicaSnapshot> fresh = {{addr(1), State::kPending, {}, U256(0), kNow - kPeriod + 1}};
    EXPECT_FALSE(plan_replication(1, fresh, kNow, kPeriod, U256(0))->needs_more);
    std::vector<ReplicaSnapshot> slow = {{addr(1), State::kPending, {}, U256(0), kNow - kPeriod}};
    EXPECT_TRUE(plan_replication(1, slow, kNow, kPeriod, U256(0))->needs_more);
    std::vector<ReplicaSnapshot> lost = {{addr(1), State::kGone, {}, U256(0), kNow}};
    auto p = plan_replication(1, lost, kNow, kPeriod, U256(0));
    EXPECT_TRUE(p->needs_more);
    EXPECT_EQ(p->more, 1u);
}

TEST(ReplicationPlan, DissentNeedsMore) {
    // trust 3, two fresh workers disagree: group 2 vs total 1 + 2 + 2 = 5: 2·3 > 5·2 is false. Two more agreeing
    // with the first: group 8, total 11: 24 > 22.
    std::vector<ReplicaSnapshot> r = {{addr(1), State::kContributed, h(1), U256(0), kNow},
                                      {addr(2), State::kContributed, h(2), U256(0), kNow}};
    auto p = plan_replication(3, r, kNow, kPeriod, U256(0));
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->needs_more);
    EXPECT_EQ(p->more, 2u);
}

TEST(ReplicationPlan, HighScoreWorkersNeedFewerReplicas) {
    // score 300: w = 99. trust 5: one such worker: 99·5 > (1 + 99)·4 = 400 → one replicate suffices.
    auto heavy = plan_replication(5, {}, kNow, kPeriod, U256(300));
    ASSERT_TRUE(heavy);
    EXPECT_EQ(heavy->more, 1u);
    auto fresh = plan_replication(5, {}, kNow, kPeriod, U256(0));
    EXPECT_EQ(fresh->more, 3u);
}

WorkerSnapshot worker(std::uint8_t id, std::uint32_t slots, U256 score = U256(0)) {
    WorkerSnapshot w;
    w.address = addr(id);
    w.free_slots = slots;
    w.score = score;
    return w;
}

TaskSnapshot task(std::uint8_t deal, std::uint64_t trust, std::int64_t deadline, std::uint64_t tag = kTagStandard) {
    TaskSnapshot t;
    t.deal_id = h(deal);
    t.trust = trust;
    t.tag = make_tag(tag);
    t.category_seconds = kPeriod;
    t.contribution_deadline_s = deadline;
    return t;
}

TEST(Filter, Reasons) {
    TaskSnapshot standard = task(1, 1, kNow + 7 * kPeriod);
    WorkerSnapshot w = worker(1, 2);
    EXPECT_EQ(filter(standard, w, kNow), std::nullopt);
    WorkerSnapshot dead = w;
    dead.alive = false;
    EXPECT_EQ(filter(standard, dead, kNow), FilterReason::kNotAlive);
    EXPECT_EQ(filter(standard, worker(1, 0), kNow), FilterReason::kNoFreeSlot);
    TaskSnapshot has = standard;
    has.replicas.push_back({addr(1), State::kGone, {}, U256(0), kNow});  // one replicate per worker per task, ever
    EXPECT_EQ(filter(has, w, kNow), FilterReason::kAlreadyParticipating);
    TaskSnapshot tdx = task(1, 1, kNow + 7 * kPeriod, kTagTeeTdx);
    EXPECT_EQ(filter(tdx, w, kNow), FilterReason::kMissingTeeFramework);
    WorkerSnapshot scone = w;
    scone.tee_frameworks = {workerapi::TeeFramework::kScone};
    EXPECT_EQ(filter(tdx, scone, kNow), FilterReason::kMissingTeeFramework);
    WorkerSnapshot tdx_worker = w;
    tdx_worker.tee_frameworks = {workerapi::TeeFramework::kTdx};
    EXPECT_EQ(filter(tdx, tdx_worker, kNow), std::nullopt);
    TaskSnapshot bare_tee = task(1, 1, kNow + 7 * kPeriod, kTagTee);  // tee without a framework: any framework
    EXPECT_EQ(filter(bare_tee, w, kNow), FilterReason::kMissingTeeFramework);
    EXPECT_EQ(filter(bare_tee, scone, kNow), std::nullopt);
    TaskSnapshot gpu = task(1, 1, kNow + 7 * kPeriod, kTagGpu);
    EXPECT_EQ(filter(gpu, w, kNow), FilterReason::kMissingGpu);
    WorkerSnapshot short_worker = w;
    short_worker.max_task_seconds = kPeriod - 1;
    EXPECT_EQ(filter(standard, short_worker, kNow), FilterReason::kCategoryTooLong);
    TaskSnapshot late = task(1, 1, kNow + kPeriod - 1);
    EXPECT_EQ(filter(late, w, kNow), FilterReason::kTooLateToFinish);
}

TEST(Assign, EarliestDeadlineFirstAndSlotsRespected) {
    // One worker with one slot, two tasks: the earlier deadline wins.
    std::vector<TaskSnapshot> tasks = {task(1, 1, kNow + 5000), task(2, 1, kNow + 3000)};
    auto r = assign(tasks, {worker(9, 1)}, kNow);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->bindings.size(), 1u);
    EXPECT_EQ(r->bindings[0].task, 1u);
    EXPECT_EQ(r->rejections[static_cast<std::size_t>(FilterReason::kNoFreeSlot)], 1u);
}

TEST(Assign, ReplicatesPerTrustOneWorkerEach) {
    // trust 5 with four fresh workers: 3 replicates on 3 distinct workers; trust 3 then takes the fourth and waits.
    std::vector<WorkerSnapshot> workers = {worker(1, 4), worker(2, 4), worker(3, 4), worker(4, 4)};
    auto r = assign({task(1, 5, kNow + 5000)}, workers, kNow);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->bindings.size(), 3u);
    std::set<std::size_t> used;
    for (const auto& b : r->bindings) used.insert(b.worker);
    EXPECT_EQ(used.size(), 3u);

    auto two = assign({task(1, 3, kNow + 5000), task(2, 0, kNow + 6000)}, workers, kNow);
    ASSERT_TRUE(two);
    EXPECT_EQ(two->bindings.size(), 3u);  // 2 for trust 3, 1 for trust 0
}

TEST(Assign, HeavyWorkersGoToReplicatedTasks) {
    // A heavy worker (score 300, w = 99) alone suffices for trust 5; fresh workers would need 3.
    std::vector<WorkerSnapshot> workers = {worker(1, 1), worker(2, 1), worker(3, 1), worker(4, 1, U256(300))};
    auto r = assign({task(1, 5, kNow + 5000)}, workers, kNow);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->bindings.size(), 1u);
    EXPECT_EQ(r->bindings[0].worker, 3u);
    // A trust-1 task prefers a light worker and leaves the heavy one free.
    auto light = assign({task(1, 1, kNow + 5000)}, workers, kNow);
    ASSERT_EQ(light->bindings.size(), 1u);
    EXPECT_NE(light->bindings[0].worker, 3u);
}

TEST(Assign, SlowReplicateReplacedByAnotherWorker) {
    TaskSnapshot t = task(1, 1, kNow + 5000);
    t.replicas.push_back({addr(1), State::kPending, {}, U256(0), kNow - kPeriod - 1});  // slow
    auto r = assign({t}, {worker(1, 4), worker(2, 4)}, kNow);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->bindings.size(), 1u);
    EXPECT_EQ(r->bindings[0].worker, 1u);  // worker 2 (index 1): worker 1 already participates
    EXPECT_EQ(r->rejections[static_cast<std::size_t>(FilterReason::kAlreadyParticipating)], 1u);
}

TEST(Assign, LostWorkersAreNotChosen) {
    WorkerSnapshot lost = worker(1, 4);
    lost.alive = false;
    auto r = assign({task(1, 1, kNow + 5000)}, {lost}, kNow);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->bindings.empty());
    EXPECT_EQ(r->rejections[static_cast<std::size_t>(FilterReason::kNotAlive)], 1u);
}

// ---- Initialization look-ahead (expected sizes from the formula in planner.hpp, worked by hand) ----

InitLoad load_of(std::size_t free, std::size_t total, std::size_t waiting, double slot_s, double horizon_s = 5) {
    InitLoad l;
    l.free_slots = free;
    l.total_slots = total;
    l.waiting = waiting;
    l.slot_seconds = slot_s;
    l.horizon_seconds = horizon_s;
    return l;
}

TEST(InitBudget, LazyTakesOnlyTheFreeSlotsLessTheWaitingTasks) {
    EXPECT_EQ(initialize_budget(InitMode::kLazy, load_of(6, 6, 0, 2), 1000), 6U);
    EXPECT_EQ(initialize_budget(InitMode::kLazy, load_of(6, 6, 4, 2), 1000), 2U);
    EXPECT_EQ(initialize_budget(InitMode::kLazy, load_of(2, 6, 5, 2), 1000), 0U);
    EXPECT_EQ(initialize_budget(InitMode::kLazy, load_of(6, 6, 0, 2), 3), 3U);  // the round's limit
}

TEST(InitBudget, EagerTakesTheRoundLimit) {
    EXPECT_EQ(initialize_budget(InitMode::kEager, load_of(0, 0, 500, 0), 1000), 1000U);
}

TEST(InitBudget, AheadAddsWhatTheSlotsTakeWithinTheHorizon) {
    // 6 slots, 2 s per task, 5 s horizon: ⌈6 × 5 / 2⌉ = 15 ahead; all 6 free, nothing waiting → 6 + 15 = 21.
    EXPECT_EQ(initialize_budget(InitMode::kAhead, load_of(6, 6, 0, 2), 1000), 21U);
    // 40 slots, 2.4 s: ⌈40 × 5 / 2.4⌉ = ⌈83.3⌉ = 84; 10 free, 20 waiting → 10 + 84 − 20 = 74.
    EXPECT_EQ(initialize_budget(InitMode::kAhead, load_of(10, 40, 20, 2.4), 1000), 74U);
    // Not measured yet: one task per alive slot ahead (6 free + 6).
    EXPECT_EQ(initialize_budget(InitMode::kAhead, load_of(6, 6, 0, 0), 1000), 12U);
    // No alive slot: nothing ahead, nothing free.
    EXPECT_EQ(initialize_budget(InitMode::kAhead, load_of(0, 0, 0, 2), 1000), 0U);
}

TEST(InitBudget, AheadRefillsInBatchesOnceHalfTheLookAheadIsUsed) {
    // free 0, ahead 15: the low mark is 0 + ⌈15 / 2⌉ = 8.
    EXPECT_EQ(initialize_budget(InitMode::kAhead, load_of(0, 6, 9, 2), 1000), 0U);  // 9 > 8: wait
    EXPECT_EQ(initialize_budget(InitMode::kAhead, load_of(0, 6, 8, 2), 1000), 7U);  // refill to 15
    // free slots always count: 3 free, 3 waiting → refilled to 3 + 15.
    EXPECT_EQ(initialize_budget(InitMode::kAhead, load_of(3, 6, 3, 2), 1000), 15U);
}

TEST(InitBudget, AheadIsCapped) {
    InitLoad l = load_of(0, 40, 0, 0.5, 60);  // ⌈40 × 60 / 0.5⌉ = 4800 ahead
    l.max_ahead = 256;
    EXPECT_EQ(initialize_budget(InitMode::kAhead, l, 1000), 256U);
    EXPECT_EQ(initialize_budget(InitMode::kAhead, l, 100), 100U);
}

TEST(InitBudget, AheadNeverInitializesWhatTheSlotsCannotReachBeforeTheDeadline) {
    // 6 slots, 2 free, 2 s per task. Position 2 (the first queued beyond the free slots, none ahead of it): starts at
    // 0 s, done at 2 s. Position 14: (14 − 2) / 6 × 2 = 4 s, done at 6 s.
    const InitLoad l = load_of(2, 6, 0, 2);
    EXPECT_TRUE(initialize_reachable(l, 0, 2.0));
    EXPECT_FALSE(initialize_reachable(l, 0, 1.9));
    EXPECT_TRUE(initialize_reachable(l, 14, 6.0));
    EXPECT_FALSE(initialize_reachable(l, 14, 5.9));
    // Past the deadline: never (PoCo refuses initialize); unmeasured: any time left will do.
    EXPECT_FALSE(initialize_reachable(load_of(2, 6, 0, 0), 0, 0));
    EXPECT_TRUE(initialize_reachable(load_of(2, 6, 0, 0), 100, 0.5));
}

TEST(InitBudget, ModesParseByName) {
    EXPECT_EQ(parse_init_mode("ahead").value(), InitMode::kAhead);
    EXPECT_EQ(parse_init_mode("lazy").value(), InitMode::kLazy);
    EXPECT_EQ(parse_init_mode("eager").value(), InitMode::kEager);
    auto bad = parse_init_mode("soon");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("\"soon\""), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace wp::scheduler
