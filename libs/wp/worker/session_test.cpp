// Backoff (the session's retry pacing) and the upload's retries against a small HTTP server. The session itself runs
// against the real scheduler in tests/worker/worker_agent_test.cpp (the worker module does not link the scheduler).

#include "session.hpp"

#include <atomic>

#include <gtest/gtest.h>

#include <wp/net/http_server.hpp>

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

// A core restarting while a worker uploads (pool.core_crash: the connection reset mid-PUT, then 503 while it starts):
// the upload is retried with back-off and succeeds; a 4xx is not retried.
TEST(SchedulerSession, UploadIsRetriedThroughTransientFailuresButNotThrough4xx) {
    net::HttpServer server;
    server.route("GET", "/api/v1/login/challenge", [](const net::ServerRequest&) {
        return net::HttpResponse::json(
            200, R"({"typedData":{"types":{"EIP712Domain":[{"name":"name","type":"string"}],)"
                 R"("Challenge":[{"name":"challenge","type":"string"}]},"domain":{"name":"test"},)"
                 R"("primaryType":"Challenge","message":{"challenge":"abc"}}})");
    });
    server.route("POST", "/api/v1/login", [](const net::ServerRequest&) {
        return net::HttpResponse::json(
            200, R"({"token":"t0k","expiresAt":4102444800,"worker":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"})");
    });
    std::atomic<int> puts{0};
    server.route("PUT", "/up/:n", [&](const net::ServerRequest& r) {
        const int n = ++puts;
        if (r.header("Authorization") != "Bearer t0k") return net::HttpResponse::json(401, "{}");
        if (r.param("n") == "bad") return net::HttpResponse::json(413, R"({"error":"too large"})");
        if (n < 3) return net::HttpResponse::json(503, R"({"error":"starting"})");
        EXPECT_EQ(r.body, "zip-bytes");
        return net::HttpResponse::json(200, R"({"resultLink":"{\"storage\":\"pool\"}"})");
    });
    ASSERT_TRUE(server.start());
    SessionOptions o;
    o.scheduler_url = server.base_url();
    o.backoff_initial = 1ms;
    o.backoff_max = 5ms;
    SchedulerSession s(o, PrivateKey::generate());
    auto link = s.upload_result(server.base_url() + "/up/ok", "zip-bytes");
    ASSERT_TRUE(link) << link.error().message;
    EXPECT_EQ(*link, R"({"storage":"pool"})");
    EXPECT_EQ(puts.load(), 3);  // two 503 answers, then the upload

    puts = 0;
    auto refused = s.upload_result(server.base_url() + "/up/bad", "zip-bytes");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("413"), std::string::npos) << refused.error().message;
    EXPECT_EQ(puts.load(), 1);

    // Nothing listens: a bounded number of attempts, then the transport error.
    server.stop();
    auto gone = s.upload_result(server.base_url() + "/up/ok", "zip-bytes");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, Errc::kNetwork) << gone.error().message;
}

}  // namespace
}  // namespace wp::worker
