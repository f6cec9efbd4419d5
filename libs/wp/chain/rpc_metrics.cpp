#include "rpc_metrics.hpp"

#include <charconv>
#include <mutex>
#include <optional>

namespace wp::chain {

namespace {
void raise(net::Counter& c, std::uint64_t to) {
    const std::uint64_t now = c.value();
    if (to > now) c.inc(to - now);
}
}  // namespace

std::uint64_t RpcCounts::total_calls() const {
    std::uint64_t n = 0;
    for (const auto& [method, count] : calls) n += count;
    return n;
}

void export_rpc_counts(const RpcCounts& counts, net::MetricsRegistry& registry) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    raise(registry.counter("wp_jsonrpc_requests_total", "HTTP requests sent to the chain's JSON-RPC endpoint"),
          counts.requests);
    raise(registry.counter("wp_jsonrpc_batches_total", "JSON-RPC batch requests sent to the chain"), counts.batches);
    for (const auto& [method, n] : counts.calls) {
        raise(registry.counter("wp_jsonrpc_calls_total", "JSON-RPC calls sent to the chain, by method",
                               {{"method", method}}),
              n);
    }
}

std::map<std::string, std::uint64_t> parse_rpc_counts(std::string_view text) {
    std::map<std::string, std::uint64_t> out;
    const auto value_of = [](std::string_view v) -> std::optional<std::uint64_t> {
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{}) return std::nullopt;
        return n;
    };
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        constexpr std::string_view kCalls = "wp_jsonrpc_calls_total{method=\"";
        constexpr std::string_view kRequests = "wp_jsonrpc_requests_total ";
        if (line.starts_with(kCalls)) {
            line.remove_prefix(kCalls.size());
            const auto close = line.find("\"}");
            if (close == std::string_view::npos) continue;
            if (auto n = value_of(line.substr(close + 2))) out[std::string(line.substr(0, close))] += *n;
        } else if (line.starts_with(kRequests)) {
            if (auto n = value_of(line.substr(kRequests.size()))) out["(requests)"] += *n;
        }
    }
    return out;
}

}  // namespace wp::chain
