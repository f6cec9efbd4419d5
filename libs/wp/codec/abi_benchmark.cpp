// ABI codec throughput: matchOrders-shaped calldata (four dynamic tuples) encode / strict decode, and selector
// computation from a signature string.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <wp/codec/abi.hpp>

namespace {

const char* const kMatchOrders =
    "matchOrders((address,uint256,uint256,bytes32,address,address,address,bytes32,bytes),"
    "(address,uint256,uint256,bytes32,address,address,address,bytes32,bytes),"
    "(address,uint256,uint256,bytes32,uint256,uint256,address,address,address,bytes32,bytes),"
    "(address,uint256,address,uint256,address,uint256,address,uint256,bytes32,uint256,uint256,address,address,string,"
    "bytes32,bytes))";

std::vector<wp::AbiValue> sample_values(const wp::AbiSignature& sig) {
    std::vector<wp::AbiValue> out;
    for (const wp::AbiType& t : sig.inputs) {
        wp::AbiValue::List fields;
        for (const wp::AbiType& c : t.components()) {
            switch (c.kind()) {
                case wp::AbiType::Kind::kAddress:
                    fields.push_back(wp::AbiValue::address(wp::Address()));
                    break;
                case wp::AbiType::Kind::kFixedBytes:
                    fields.push_back(wp::AbiValue::fixed_bytes(wp::Bytes32{}));
                    break;
                case wp::AbiType::Kind::kBytes:
                    fields.push_back(wp::AbiValue::bytes(wp::Bytes(65, 0xab)));
                    break;
                case wp::AbiType::Kind::kString:
                    fields.push_back(wp::AbiValue::string(R"({"iexec_args":"hello"})"));
                    break;
                default:
                    fields.push_back(wp::AbiValue::uint_(wp::U256(12345)));
                    break;
            }
        }
        out.push_back(wp::AbiValue::list(std::move(fields)));
    }
    return out;
}

void BM_AbiEncodeMatchOrders(benchmark::State& state) {
    const wp::AbiSignature sig = *wp::parse_abi_signature(kMatchOrders);
    const auto values = sample_values(sig);
    for (auto _ : state) benchmark::DoNotOptimize(wp::abi_encode_call(sig, values));
}
BENCHMARK(BM_AbiEncodeMatchOrders);

void BM_AbiDecodeMatchOrders(benchmark::State& state) {
    const wp::AbiSignature sig = *wp::parse_abi_signature(kMatchOrders);
    const wp::Bytes call = *wp::abi_encode_call(sig, sample_values(sig));
    for (auto _ : state) benchmark::DoNotOptimize(wp::abi_decode_call(sig, call));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(call.size()));
}
BENCHMARK(BM_AbiDecodeMatchOrders);

void BM_AbiSelectorFromSignature(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(wp::function_selector(kMatchOrders));
}
BENCHMARK(BM_AbiSelectorFromSignature);

}  // namespace
