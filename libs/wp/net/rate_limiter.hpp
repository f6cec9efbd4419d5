#pragma once
// Per-client-IP token-bucket rate limiter, usable as an HttpServer filter. No Asio / Beast here.
//
// Each IP has a bucket of `capacity` tokens, full at first; a request takes one token; tokens come back continuously
// at `capacity` per `period` (so a client may burst `capacity` requests, then sustain capacity/period). A request
// finding less than one token is refused: filter() answers HttpError 429 "Rate limit exceeded" (rendered by the
// server's ErrorFormatter) with a Retry-After header (whole seconds until one token is back).
// The iExec market's default (100 requests per 60 s) is RateLimitOptions{100, 60 s}.
//
// Exemptions: loopback clients (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) when exempt_loopback (default), and the
// listed exempt_ips (exact textual match of ServerRequest::remote_ip).
// Memory: at most max_tracked_ips buckets; when full, buckets that have refilled completely are forgotten (they are
// equivalent to a new bucket), then the least recently used one.
// Time comes from the wp::Clock given to the constructor (tests use ManualClock).
//
// Thread safety: allow() and filter()'s function may be called from any thread (one mutex).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/clock.hpp>

#include "http_server.hpp"

namespace wp::net {

struct RateLimitOptions {
    double capacity{100};
    std::chrono::milliseconds period{std::chrono::seconds(60)};
    bool exempt_loopback{true};
    std::vector<std::string> exempt_ips{};
    std::size_t max_tracked_ips{100000};
};

//! True for 127.0.0.0/8, ::1 and IPv4-mapped loopback, in their textual forms.
bool is_loopback_ip(std::string_view ip);

class RateLimiter {
  public:
    explicit RateLimiter(RateLimitOptions options = {}, Clock& clock = system_clock());

    //! Takes a token for `ip`; false when none is left (exempt IPs always pass).
    bool allow(std::string_view ip);
    //! Seconds until `ip` has a token again (0 when it has one).
    std::chrono::seconds retry_after(std::string_view ip);
    //! Buckets currently tracked.
    std::size_t tracked() const;
    //! Requests refused since construction.
    std::uint64_t refused() const;

    //! A filter using ServerRequest::remote_ip. The limiter must outlive the server. `counter` (optional) counts
    //! refusals (e.g. registry.counter("wp_http_rate_limited_total", ...)).
    Filter filter(Counter* counter = nullptr);

  private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    void refill(Bucket& b, Clock::time_point now) const;
    void evict(Clock::time_point now);

    RateLimitOptions options_;
    Clock& clock_;
    mutable std::mutex mutex_;
    std::map<std::string, Bucket, std::less<>> buckets_;
    std::uint64_t refused_{0};
};

}  // namespace wp::net
