// Keystore unlock cost at the iexec SDK / ethers 6 default (scrypt n = 131072, r = 8, p = 1):
// the delay a user waits for each CLI command that signs.

#include <benchmark/benchmark.h>

#include <wp/crypto/keystore.hpp>

namespace {

void BM_KeystoreDecryptDefault(benchmark::State& state) {
    const wp::PrivateKey key = wp::PrivateKey::generate();
    const std::string json = wp::keystore_encrypt(key, "benchmark");
    for (auto _ : state) {
        auto out = wp::keystore_decrypt(json, "benchmark");
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_KeystoreDecryptDefault)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_KeystoreDecryptWrongPasswordFuzzLimits(benchmark::State& state) {
    const wp::PrivateKey key = wp::PrivateKey::generate();
    const std::string json = wp::keystore_encrypt(key, "benchmark", {1024, 8, 1});
    for (auto _ : state) {
        auto out = wp::keystore_decrypt(json, "wrong", wp::KeystoreLimits::fuzzing());
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_KeystoreDecryptWrongPasswordFuzzLimits)->Unit(benchmark::kMicrosecond);

}  // namespace
