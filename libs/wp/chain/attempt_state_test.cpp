#include "attempt_state.hpp"

#include <gtest/gtest.h>

namespace wp::chain {
namespace {

using S = AttemptState;
constexpr S kAll[] = {S::kSigned, S::kJournaled, S::kSent, S::kAccepted, S::kRejected, S::kRefusedAfterAccept};

TEST(AttemptState, OnlyTheJournalAppendLeavesSigned) {
    for (S to : kAll) EXPECT_EQ(attempt_transition_allowed(S::kSigned, to), to == S::kJournaled) << to_string(to);
    EXPECT_FALSE(journaled(S::kSigned));
    EXPECT_FALSE(sent(S::kSigned));
    EXPECT_FALSE(sent(S::kJournaled));
}

TEST(AttemptState, FirstSend) {
    EXPECT_EQ(after_send(S::kJournaled, SendAnswer::kTaken), S::kAccepted);
    EXPECT_EQ(after_send(S::kJournaled, SendAnswer::kRefused), S::kRejected);
    EXPECT_EQ(after_send(S::kJournaled, SendAnswer::kUnknown), S::kSent);
    EXPECT_EQ(after_send(S::kSent, SendAnswer::kUnknown), S::kSent);
    EXPECT_EQ(after_send(S::kSent, SendAnswer::kTaken), S::kAccepted);
    EXPECT_EQ(after_send(S::kSent, SendAnswer::kRefused), S::kRejected);
}

TEST(AttemptState, AcceptedOnceStaysEverAccepted) {
    const S refused_later = after_send(S::kAccepted, SendAnswer::kRefused);
    EXPECT_EQ(refused_later, S::kRefusedAfterAccept);
    EXPECT_TRUE(ever_accepted(refused_later));
    EXPECT_TRUE(refused(refused_later));
    EXPECT_EQ(after_send(refused_later, SendAnswer::kUnknown), S::kRefusedAfterAccept);
    EXPECT_EQ(after_send(refused_later, SendAnswer::kTaken), S::kAccepted);
    EXPECT_EQ(after_send(S::kAccepted, SendAnswer::kUnknown), S::kAccepted);
    EXPECT_FALSE(attempt_transition_allowed(S::kAccepted, S::kRejected));
    EXPECT_FALSE(attempt_transition_allowed(S::kRefusedAfterAccept, S::kRejected));
}

TEST(AttemptState, RejectedCanBeTakenLater) {
    EXPECT_EQ(after_send(S::kRejected, SendAnswer::kTaken), S::kAccepted);
    EXPECT_EQ(after_send(S::kRejected, SendAnswer::kUnknown), S::kRejected);
    EXPECT_EQ(after_send(S::kRejected, SendAnswer::kRefused), S::kRejected);
    EXPECT_FALSE(ever_accepted(S::kRejected));
    EXPECT_TRUE(refused(S::kRejected));
}

TEST(AttemptState, NoWayBack) {
    for (S from : kAll) {
        if (from == S::kSigned) continue;
        EXPECT_FALSE(attempt_transition_allowed(from, S::kSigned)) << to_string(from);
        EXPECT_FALSE(attempt_transition_allowed(from, S::kJournaled)) << to_string(from);
    }
    // Every answer from every sendable state lands on an allowed arrow.
    for (S from : kAll) {
        if (from == S::kSigned) continue;
        for (SendAnswer a : {SendAnswer::kTaken, SendAnswer::kUnknown, SendAnswer::kRefused}) {
            EXPECT_TRUE(attempt_transition_allowed(from, after_send(from, a))) << to_string(from);
        }
    }
}

TEST(AttemptStateDeathTest, IllegalTransitionAborts) {
    EXPECT_EQ(checked_transition(S::kSigned, S::kJournaled), S::kJournaled);
    EXPECT_DEATH((void)checked_transition(S::kAccepted, S::kRejected), "illegal transition accepted -> rejected");
    EXPECT_DEATH((void)checked_transition(S::kSigned, S::kAccepted), "illegal transition signed -> accepted");
    EXPECT_DEATH((void)after_send(S::kSigned, SendAnswer::kTaken), "illegal transition signed -> accepted");
}

}  // namespace
}  // namespace wp::chain
