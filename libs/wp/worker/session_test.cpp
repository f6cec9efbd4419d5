// Backoff (the session's retry pacing). The session itself runs against the real scheduler in
// tests/worker/worker_agent_test.cpp (the worker module does not link the scheduler).

#include "session.hpp"

#include <gtest/gtest.h>

namespace wp::worker {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, DoublesUpToTheCapAndResets) {
    Backoff b(100ms, 1s);
    EXPECT_EQ(b.next(), 100ms);
    EXPECT_EQ(b.next(), 200ms);
    EXPECT_EQ(b.next(), 400ms);
    EXPECT_EQ(b.next(), 800ms);
    EXPECT_EQ(b.next(), 1s);
    EXPECT_EQ(b.failures(), 5u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(b.next(), 1s);  // no overflow after many failures
    b.reset();
    EXPECT_EQ(b.next(), 100ms);
}

// Seen in pool.bag1000: the pushes of one assignment round (seqs 459–465) arrived after seq 466 (a PLEASE_COMPLETE
// published by another thread), in a batch [458, 466, …] whose first seq followed the cursor; the batch was taken
// and 459–465 were then dropped as old. Any gap, not only one before the first seq, sends the worker to the inbox.
TEST(SchedulerSession, AnyGapInAPushedBatchIsDetected) {
    auto batch = [](std::initializer_list<std::uint64_t> seqs) {
        std::vector<workerapi::Notification> out;
        for (auto s : seqs) {
            workerapi::Notification n;
            n.seq = s;
            out.push_back(n);
        }
        return out;
    };
    EXPECT_TRUE(continues_without_gap(batch({}), 7));
    EXPECT_TRUE(continues_without_gap(batch({8}), 7));
    EXPECT_TRUE(continues_without_gap(batch({8, 9, 10}), 7));
    EXPECT_FALSE(continues_without_gap(batch({9}), 7));
    EXPECT_FALSE(continues_without_gap(batch({458, 466, 467}), 457));
    EXPECT_FALSE(continues_without_gap(batch({8, 9, 11}), 7));
}

TEST(SchedulerSession, UnreachableSchedulerIsATransportErrorNamingTheRoute) {
    SessionOptions o;
    o.scheduler_url = "http://127.0.0.1:1/";  // nothing listens on port 1
    o.request_timeout = 2s;
    SchedulerSession s(o, PrivateKey::generate());
    auto r = s.login();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
    EXPECT_NE(r.error().message.find("/api/v1/login/challenge"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace wp::worker
