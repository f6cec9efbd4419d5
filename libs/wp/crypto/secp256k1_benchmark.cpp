#include <benchmark/benchmark.h>

#include <cstdlib>

#include <wp/core/keccak.hpp>

#include "secp256k1.hpp"

namespace {

const wp::PrivateKey& bench_key() {
    static const wp::PrivateKey key = [] {
        auto k = wp::PrivateKey::from_hex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
        if (!k) std::abort();
        return *k;
    }();
    return key;
}

void bm_sign_hash(benchmark::State& state) {
    const auto digest = wp::keccak256(wp::as_bytes("wp_bench sign"));
    for (auto _ : state) {
        benchmark::DoNotOptimize(wp::sign_hash(bench_key(), digest));
    }
}
BENCHMARK(bm_sign_hash)->Name("secp256k1_sign_hash");

void bm_recover_address(benchmark::State& state) {
    const auto digest = wp::keccak256(wp::as_bytes("wp_bench recover"));
    const auto sig = wp::sign_hash(bench_key(), digest);
    for (auto _ : state) {
        auto address = wp::recover_address(digest, sig);
        if (!address) state.SkipWithError("recover_address failed");
        benchmark::DoNotOptimize(address);
    }
}
BENCHMARK(bm_recover_address)->Name("secp256k1_recover_address");

}  // namespace
