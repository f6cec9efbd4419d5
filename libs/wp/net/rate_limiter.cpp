#include "rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace wp::net {

bool is_loopback_ip(std::string_view ip) {
    if (ip == "::1") return true;
    if (ip.substr(0, 7) == "::ffff:") ip.remove_prefix(7);
    return ip.substr(0, 4) == "127.";
}

RateLimiter::RateLimiter(RateLimitOptions options, Clock& clock) : options_(std::move(options)), clock_(clock) {}

void RateLimiter::refill(Bucket& b, Clock::time_point now) const {
    if (now <= b.updated) return;
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    const double period = std::chrono::duration<double>(options_.period).count();
    b.tokens = std::min(options_.capacity, b.tokens + elapsed * options_.capacity / period);
    b.updated = now;
}

void RateLimiter::evict(Clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        refill(it->second, now);
        it = it->second.tokens >= options_.capacity ? buckets_.erase(it) : std::next(it);
    }
    if (buckets_.size() < options_.max_tracked_ips) return;
    auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                   [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
    buckets_.erase(oldest);
}

bool RateLimiter::allow(std::string_view ip) {
    if (options_.exempt_loopback && is_loopback_ip(ip)) return true;
    if (std::find(options_.exempt_ips.begin(), options_.exempt_ips.end(), ip) != options_.exempt_ips.end()) return true;
    const auto now = clock_.now();
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(ip);
    if (it == buckets_.end()) {
        if (buckets_.size() >= options_.max_tracked_ips) evict(now);
        it = buckets_.emplace(std::string(ip), Bucket{options_.capacity, now}).first;
    }
    refill(it->second, now);
    if (it->second.tokens < 1) {
        ++refused_;
        return false;
    }
    it->second.tokens -= 1;
    return true;
}

std::chrono::seconds RateLimiter::retry_after(std::string_view ip) {
    const auto now = clock_.now();
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(ip);
    if (it == buckets_.end()) return std::chrono::seconds{0};
    refill(it->second, now);
    if (it->second.tokens >= 1) return std::chrono::seconds{0};
    const double period = std::chrono::duration<double>(options_.period).count();
    const double wait = (1 - it->second.tokens) * period / options_.capacity;
    return std::chrono::seconds{static_cast<std::int64_t>(std::ceil(wait))};
}

std::size_t RateLimiter::tracked() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

std::uint64_t RateLimiter::refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
}

Filter RateLimiter::filter(Counter* counter) {
    return [this, counter](ServerRequest& req) -> std::optional<Reply> {
        if (allow(req.remote_ip)) return std::nullopt;
        if (counter) counter->inc();
        return Reply(tl::unexpected(HttpError{
            429, "Rate limit exceeded", {{"Retry-After", std::to_string(retry_after(req.remote_ip).count())}}}));
    };
}

}  // namespace wp::net
