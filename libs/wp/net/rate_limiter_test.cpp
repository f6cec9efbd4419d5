#include "rate_limiter.hpp"

#include <gtest/gtest.h>

namespace wp::net {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, BurstThenRefillWithTheClock) {
    ManualClock clock;
    RateLimiter limiter({.capacity = 3, .period = 3s}, clock);  // 1 token per second
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1")) << i;
    EXPECT_FALSE(limiter.allow("10.0.0.1"));
    EXPECT_TRUE(limiter.allow("10.0.0.2"));  // per IP
    EXPECT_EQ(limiter.retry_after("10.0.0.1"), 1s);
    clock.advance(999ms);
    EXPECT_FALSE(limiter.allow("10.0.0.1"));
    clock.advance(1ms);
    EXPECT_TRUE(limiter.allow("10.0.0.1"));
    EXPECT_FALSE(limiter.allow("10.0.0.1"));
    clock.advance(1h);  // refills to the capacity, not beyond
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1"));
    EXPECT_FALSE(limiter.allow("10.0.0.1"));
    EXPECT_EQ(limiter.refused(), 4u);
}

TEST(RateLimiter, LoopbackAndListedIpsAreExempt) {
    ManualClock clock;
    RateLimiter limiter({.capacity = 1, .period = 60s, .exempt_ips = {"192.0.2.7"}}, clock);
    for (const char* ip : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "192.0.2.7"})
        for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow(ip)) << ip;
    EXPECT_EQ(limiter.tracked(), 0u);
    RateLimiter strict({.capacity = 1, .period = 60s, .exempt_loopback = false}, clock);
    EXPECT_TRUE(strict.allow("127.0.0.1"));
    EXPECT_FALSE(strict.allow("127.0.0.1"));
    EXPECT_FALSE(is_loopback_ip("128.0.0.1"));
    EXPECT_FALSE(is_loopback_ip("::2"));
}

TEST(RateLimiter, TrackedIpsAreBounded) {
    ManualClock clock;
    RateLimiter limiter({.capacity = 2, .period = 60s, .max_tracked_ips = 4}, clock);
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(limiter.allow("10.0.0." + std::to_string(i)));
        clock.advance(1ms);
    }
    EXPECT_LE(limiter.tracked(), 4u);
}

TEST(RateLimiter, FilterAnswers429ThroughTheErrorShape) {
    ManualClock clock;
    RateLimiter limiter({.capacity = 1, .period = 10s}, clock);
    MetricsRegistry registry;
    auto& refused = registry.counter("wp_http_rate_limited_total", "refused");
    auto filter = limiter.filter(&refused);
    ServerRequest req;
    req.remote_ip = "203.0.113.9";
    EXPECT_FALSE(filter(req));
    auto r = filter(req);
    ASSERT_TRUE(r);
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().status, 429u);
    EXPECT_EQ(r->error().message, "Rate limit exceeded");
    EXPECT_EQ(r->error().headers, (HttpHeaders{{"Retry-After", "10"}}));
    EXPECT_EQ(refused.value(), 1u);
}

}  // namespace
}  // namespace wp::net
