#include <benchmark/benchmark.h>

#include <cstdint>

#include "keccak.hpp"

namespace {

void bm_keccak256(benchmark::State& state) {
    const wp::Bytes input(static_cast<std::size_t>(state.range(0)), std::uint8_t{0xab});
    for (auto _ : state) {
        benchmark::DoNotOptimize(wp::keccak256(input));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(bm_keccak256)->Name("keccak256")->Arg(32)->Arg(1024);

}  // namespace
