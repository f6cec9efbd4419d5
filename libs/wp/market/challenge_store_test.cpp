// SqlChallengeStore on SQLite and PostgreSQL: one pending challenge per (chain, address), expiry, single use under
// concurrency (exactly one consume wins), shared by two ChallengeAuth instances (two market instances).
#include "challenge_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <wp/core/clock.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/service/auth_header.hpp>
#include <wp/store/backend_test.hpp>

#include "schema.hpp"

namespace wp::market {
namespace {

using namespace std::chrono_literals;

class ChallengeStoreTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("market_challenges", {.pool_size = 8});
        if (HasFatalFailure()) return;
        ASSERT_TRUE(migrate_market_schema(*db_));
    }

    std::string header_for(service::ChallengeAuth& auth, const PrivateKey& key, std::uint64_t chain) {
        auto c = auth.challenge_for(key.address(), chain);
        EXPECT_TRUE(c) << c.error().message;
        service::ChallengeAuthorization a;
        a.challenge_hash = c->hash;
        a.signature = sign_hash(key, c->hash);
        a.address = key.address();
        return service::format_challenge_authorization(a);
    }
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(ChallengeStoreTest);

TEST_P(ChallengeStoreTest, OnePendingPerAddressAndChainUntilExpired) {
    SqlChallengeStore store(*db_);
    ManualClock clock;
    service::ChallengeAuth auth(store, clock, {.ttl = 60s});
    const auto a = PrivateKey::generate().address();
    auto c1 = auth.challenge_for(a, 65535);
    ASSERT_TRUE(c1) << c1.error().message;
    auto c2 = auth.challenge_for(a, 65535);
    ASSERT_TRUE(c2);
    EXPECT_EQ(c1->challenge, c2->challenge);
    EXPECT_EQ(c1->hash, c2->hash);
    auto other_chain = auth.challenge_for(a, 1);
    ASSERT_TRUE(other_chain);
    EXPECT_NE(other_chain->hash, c1->hash);
    EXPECT_EQ(store.size().value(), 2);

    auto found = store.find(c1->hash, a, clock.unix_ms());
    ASSERT_TRUE(found && *found);
    EXPECT_EQ((*found)->challenge, c1->challenge);
    EXPECT_EQ((*found)->chain_id, 65535u);
    EXPECT_FALSE(store.find(c1->hash, PrivateKey::generate().address(), clock.unix_ms()).value());

    clock.advance(61s);
    EXPECT_FALSE(store.find(c1->hash, a, clock.unix_ms()).value());  // expired
    auto c3 = auth.challenge_for(a, 65535);
    ASSERT_TRUE(c3);
    EXPECT_NE(c3->hash, c1->hash);                               // replaced
    EXPECT_EQ(store.purge_expired(clock.unix_ms()).value(), 1);  // the chain-1 one
    EXPECT_EQ(store.size().value(), 1);
}

TEST_P(ChallengeStoreTest, SharedByTwoInstancesAndSingleUse) {
    SqlChallengeStore store_a(*db_);
    SqlChallengeStore store_b(*db_);
    ManualClock clock;
    service::ChallengeAuth auth_a(store_a, clock);
    service::ChallengeAuth auth_b(store_b, clock);
    const auto key = PrivateKey::generate();
    const std::string header = header_for(auth_a, key, 65535);
    auto id = auth_b.verify(header, 65535);  // issued by A, verified by B
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->address, key.address());
    auto replay = auth_a.verify(header, 65535);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error().message, "Challenge not valid. Need to request a new challenge.");
}

TEST_P(ChallengeStoreTest, ExactlyOneConcurrentConsumeWins) {
    SqlChallengeStore store(*db_);
    ManualClock clock;
    service::ChallengeAuth auth(store, clock);
    for (int round = 0; round < 5; ++round) {
        const auto key = PrivateKey::generate();
        auto c = auth.challenge_for(key.address(), 65535);
        ASSERT_TRUE(c);
        std::atomic<int> wins{0};
        std::atomic<int> errors{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 6; ++t)
            threads.emplace_back([&] {
                auto r = store.consume(c->hash, key.address());
                if (!r) ++errors;
                else if (*r) ++wins;
            });
        for (auto& t : threads) t.join();
        EXPECT_EQ(errors.load(), 0);
        EXPECT_EQ(wins.load(), 1);
    }
}

}  // namespace
}  // namespace wp::market
