// Baselines measured in the same run as our benchmarks, so results read as ratios:
// OpenSSL's SHA3-256 runs the same keccak-f[1600] permutation as keccak256 (only the padding byte
// differs), so keccak256 / sha3_256_openssl is the cost of our keccak implementation choice.
#include <benchmark/benchmark.h>

#include <openssl/evp.h>

#include <cstdint>
#include <vector>

namespace {

void bm_sha3_256_openssl(benchmark::State& state) {
    const std::vector<std::uint8_t> input(static_cast<std::size_t>(state.range(0)), std::uint8_t{0xab});
    unsigned char out[32];
    unsigned int len = 0;
    for (auto _ : state) {
        EVP_Digest(input.data(), input.size(), out, &len, EVP_sha3_256(), nullptr);
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(bm_sha3_256_openssl)->Name("baseline/sha3_256_openssl")->Arg(32)->Arg(1024);

}  // namespace
