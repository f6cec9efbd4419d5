// OutcomeQueue: states of calls in flight, exactly-once delivery (waiter first, else poll), round notifications.
#include <gtest/gtest.h>

#include <thread>

#include <wp/chain/outcome_queue.hpp>

namespace wp::chain {
namespace {

using namespace std::chrono_literals;

TxOutcome outcome(std::uint64_t id, TxStatus status) {
    TxOutcome o;
    o.handle = TxHandle{id};
    o.status = status;
    return o;
}

TEST(OutcomeQueue, StatesFollowTheCallUntilItsOutcomeIsTaken) {
    OutcomeQueue q;
    EXPECT_FALSE(q.status(1));
    q.add(1, TxStatus::kQueued, false);
    EXPECT_EQ(q.status(1), TxStatus::kQueued);
    q.set(1, TxStatus::kPending);
    q.set(2, TxStatus::kPending);  // unknown: ignored
    EXPECT_EQ(q.status(1), TxStatus::kPending);
    EXPECT_FALSE(q.status(2));
    q.push(outcome(1, TxStatus::kConfirmed));
    EXPECT_EQ(q.status(1), TxStatus::kConfirmed);
    auto taken = q.take_unwaited();
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_FALSE(q.status(1));
    EXPECT_TRUE(q.take_unwaited().empty());  // exactly once
    EXPECT_FALSE(q.register_waiter(1));      // delivered: not in flight
}

TEST(OutcomeQueue, AWaitedOutcomeGoesToItsWaiterOnly) {
    OutcomeQueue q;
    q.add(1, TxStatus::kQueued, true);
    q.add(2, TxStatus::kQueued, false);
    q.add(3, TxStatus::kQueued, false);
    EXPECT_TRUE(q.register_waiter(3));
    q.push(outcome(1, TxStatus::kFailed));
    q.push(outcome(2, TxStatus::kConfirmed));
    q.push(outcome(3, TxStatus::kReverted));
    auto polled = q.take_unwaited();
    ASSERT_EQ(polled.size(), 1u);
    EXPECT_EQ(polled[0].handle.id, 2u);
    EXPECT_EQ(q.take(1)->status, TxStatus::kFailed);
    EXPECT_FALSE(q.take(1));
    q.unregister_waiter(3);  // the waiter gave up: the next poll gets it
    ASSERT_EQ(q.take_unwaited().size(), 1u);
}

TEST(OutcomeQueue, WaitForRoundWakesAtTheEndOfARound) {
    OutcomeQueue q;
    const auto seen = q.rounds();
    std::thread runner([&] { q.round_finished(); });
    q.wait_for_round(seen, 10s);  // returns when the round ends, long before the bound
    runner.join();
    EXPECT_EQ(q.rounds(), seen + 1);
    q.wait_for_round(seen, 10s);  // already past: returns at once
}

}  // namespace
}  // namespace wp::chain
