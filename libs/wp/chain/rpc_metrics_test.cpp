#include <gtest/gtest.h>

#include <wp/chain/rpc_metrics.hpp>

namespace wp::chain {
namespace {

TEST(RpcMetrics, ExportedCountersRenderAndParseBack) {
    net::MetricsRegistry registry;
    RpcCounts c;
    c.requests = 7;
    c.batches = 2;
    c.calls = {{"eth_call", 5}, {"eth_getTransactionReceipt", 3}};
    export_rpc_counts(c, registry);
    c.calls["eth_call"] = 6;  // raised again: the counter follows
    c.requests = 8;
    export_rpc_counts(c, registry);
    RpcCounts lower;  // a lower count never lowers a counter
    lower.requests = 1;
    export_rpc_counts(lower, registry);
    const std::string text = registry.render();
    EXPECT_NE(text.find("wp_jsonrpc_calls_total{method=\"eth_call\"} 6"), std::string::npos) << text;
    EXPECT_NE(text.find("wp_jsonrpc_batches_total 2"), std::string::npos) << text;
    const auto parsed = parse_rpc_counts(text);
    EXPECT_EQ(parsed.at("eth_call"), 6u);
    EXPECT_EQ(parsed.at("eth_getTransactionReceipt"), 3u);
    EXPECT_EQ(parsed.at("(requests)"), 8u);
    EXPECT_EQ(parsed.size(), 3u);
}

TEST(RpcMetrics, ParseIgnoresOtherAndMalformedLines) {
    const auto parsed = parse_rpc_counts(
        "# HELP x\nwp_other 3\nwp_jsonrpc_calls_total{method=\"a\"} x\nwp_jsonrpc_calls_total{method=\"b\" 4\n"
        "wp_jsonrpc_calls_total{method=\"c\"} 9");
    ASSERT_EQ(parsed.size(), 1u);
    EXPECT_EQ(parsed.at("c"), 9u);
}

}  // namespace
}  // namespace wp::chain
