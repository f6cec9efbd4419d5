// Order hashing throughput: the direct abi.encode fast path versus the generic EIP-712 encoder.

#include <benchmark/benchmark.h>

#include <boost/json/value.hpp>

#include <wp/codec/eip712.hpp>

#include "order.hpp"
#include "tag.hpp"

namespace {

wp::WorkerpoolOrder sample_order() {
    wp::WorkerpoolOrder o;
    o.workerpool = *wp::Address::parse("0x1a2b3C4d5e6F7A8B9c0D1e2f3A4B5c6d7e8F9A0B");
    o.workerpoolprice = 1000000000;
    o.volume = 3;
    o.tag = wp::make_tag(wp::kTagTeeTdx);
    o.salt = wp::make_tag(0x1111);
    return o;
}

const wp::Domain& sample_domain() {
    static const wp::Domain kDomain =
        wp::Domain::iexec(65535, *wp::Address::parse("0xC08e9Be37286B7Bbf04875369cf28C21b3F06FCB"));
    return kDomain;
}

void BM_OrderStructHash(benchmark::State& state) {
    const wp::Order order = sample_order();
    for (auto _ : state) benchmark::DoNotOptimize(wp::struct_hash(order));
}
BENCHMARK(BM_OrderStructHash);

void BM_OrderHashPrecomputedSeparator(benchmark::State& state) {
    const wp::Order order = sample_order();
    const wp::Bytes32 separator = sample_domain().separator();
    for (auto _ : state) benchmark::DoNotOptimize(wp::order_hash(separator, order));
}
BENCHMARK(BM_OrderHashPrecomputedSeparator);

void BM_OrderHashGenericEip712(benchmark::State& state) {
    const wp::Order order = sample_order();
    const boost::json::value doc(wp::order_typed_data(sample_domain(), order));
    for (auto _ : state) {
        auto td = wp::eip712::parse_typed_data(doc);
        benchmark::DoNotOptimize(wp::eip712::digest(*td));
    }
}
BENCHMARK(BM_OrderHashGenericEip712);

void BM_SignOrder(benchmark::State& state) {
    const wp::Order order = sample_order();
    const auto key = *wp::PrivateKey::from_hex("0x0101010101010101010101010101010101010101010101010101010101010101");
    for (auto _ : state) benchmark::DoNotOptimize(wp::sign_order(sample_domain(), order, key));
}
BENCHMARK(BM_SignOrder);

void BM_OrderFromJson(benchmark::State& state) {
    const boost::json::value json(wp::order_to_json(sample_order()));
    for (auto _ : state) benchmark::DoNotOptimize(wp::order_from_json(wp::OrderKind::kWorkerpool, json));
}
BENCHMARK(BM_OrderFromJson);

}  // namespace
