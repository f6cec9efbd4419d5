#pragma once
// What this process sent to the chain through its JsonRpcClients (rpc.hpp; all clients of the process together:
// the core and the worker have one each), and those counters as Prometheus series for the daemons' metrics:
//
//   wp_jsonrpc_calls_total{method="eth_call"}  JSON-RPC calls sent, by method (each call of a batch; not retries)
//   wp_jsonrpc_requests_total                  HTTP requests sent (every attempt; a batch is one)
//   wp_jsonrpc_batches_total                   JSON-RPC batch requests
//
// Thread safety: export_rpc_counts may be called from any thread (one internal lock serializes the updates).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <wp/net/metrics.hpp>

#include "rpc.hpp"

namespace wp::chain {

//! What the JsonRpcClients of this process sent since it started.
struct RpcCounts {
    std::uint64_t requests{0};                   //!< HTTP requests: every attempt (retries too), a batch is one
    std::uint64_t batches{0};                    //!< JSON-RPC batch requests (first attempts), empty ones excluded
    std::map<std::string, std::uint64_t> calls;  //!< JSON-RPC calls by method (each call of a batch; not retries)
    std::uint64_t total_calls() const;
};

//! The counters as of now (a copy). Thread safe (the clients take one short lock per call and per request).
RpcCounts process_rpc_counts();

//! Raises the series above in `registry` to `counts` (counters only move up: a count below a series' value, e.g.
//! from another client, leaves it unchanged). Call it before rendering the registry.
void export_rpc_counts(const RpcCounts& counts, net::MetricsRegistry& registry);

//! The calls by method read back from a Prometheus text (the series wp_jsonrpc_calls_total{method="…"} and, under
//! the key "(requests)", wp_jsonrpc_requests_total). Lines that are not those series are ignored; a malformed one
//! too. For benchmarks and tests (the text comes from our own daemons).
std::map<std::string, std::uint64_t> parse_rpc_counts(std::string_view prometheus_text);

}  // namespace wp::chain
