// Costs of the authentication paths (per request): the market challenge (issue + verify, the client's signing
// measured apart), and the bearer token check the scheduler runs on every worker call.

#include <benchmark/benchmark.h>

#include <cstdlib>

#include <boost/json/value.hpp>

#include <wp/codec/eip712.hpp>

#include "challenge.hpp"
#include "token.hpp"

namespace {

const wp::PrivateKey& bench_key() {
    static const wp::PrivateKey key = [] {
        auto k = wp::PrivateKey::from_hex("0x0101010101010101010101010101010101010101010101010101010101010101");
        if (!k) std::abort();
        return *k;
    }();
    return key;
}

void bm_challenge_hash(benchmark::State& state) {
    const auto domain = wp::service::market_challenge_domain(65535);
    const std::string text = domain.message_prefix + "abcdefghijklmnopqrstuvwxyz012345";
    for (auto _ : state) benchmark::DoNotOptimize(wp::service::challenge_hash(domain, text));
}
BENCHMARK(bm_challenge_hash)->Name("service_challenge_hash");

// Server side of one login: issue a challenge, then verify the signed header (store lookup, recovery, consume).
// The client's signature is computed outside the timed region.
void bm_challenge_issue_and_verify(benchmark::State& state) {
    wp::service::InMemoryChallengeStore store;
    wp::ManualClock clock;
    wp::service::ChallengeAuth auth(store, clock);
    const auto address = bench_key().address();
    for (auto _ : state) {
        auto c = auth.challenge_for(address, 65535);
        state.PauseTiming();
        const auto sig = wp::sign_hash(bench_key(), c->hash);
        const auto header = wp::service::format_challenge_authorization({c->hash, sig, address});
        state.ResumeTiming();
        auto id = auth.verify(header, 65535);
        if (!id) std::abort();
    }
}
BENCHMARK(bm_challenge_issue_and_verify)->Name("service_challenge_issue_and_verify");

void bm_token_verify(benchmark::State& state) {
    const auto ring = wp::service::TokenKeyring::ephemeral();
    wp::ManualClock clock;
    const wp::service::TokenService tokens(ring, clock);
    const auto token = tokens.issue(bench_key().address(), "core-worker-api", std::chrono::hours(1)).value();
    for (auto _ : state) benchmark::DoNotOptimize(tokens.verify(token, "core-worker-api"));
}
BENCHMARK(bm_token_verify)->Name("service_token_verify");

}  // namespace
