#include "tx_starter.hpp"

#include <gtest/gtest.h>
#include <thread>

#include <wp/codec/transaction.hpp>
#include <wp/core/keccak.hpp>

#include "tx_part_test_support.hpp"

namespace wp::chain {
namespace {

using namespace wp::chain::testing;

constexpr const char* kBadRevert =
    "0x08c379a0"
    "0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000003"
    "6261640000000000000000000000000000000000000000000000000000000000";

class TxStarterTest : public ::testing::Test {
  protected:
    PrivateKey key_ =
        PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
    TxStarter starter_{key_, 31337, GasPolicy{.margin_percent = 120, .max_gas = 1'000'000}, default_revert_decoder()};
};

TEST_F(TxStarterTest, EstimateRequestOfAQueuedCall) {
    ContractCall call{Address::parse("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").value(), Bytes{0xab}, U256(5),
                      "initialize"};
    const auto rpc = TxStarter::estimate_call(call, key_.address());
    EXPECT_EQ(rpc.method, "eth_estimateGas");
    const auto& tx = rpc.params.at(0).as_object();
    EXPECT_EQ(tx.at("data").as_string(), "0xab");
    EXPECT_EQ(tx.at("value").as_string(), "0x5");
    EXPECT_EQ(Address::parse(tx.at("from").as_string()).value(), key_.address());
}

TEST_F(TxStarterTest, GasFromTheEstimateOrWhyTheCallFails) {
    auto ok = starter_.gas_from_estimate(boost::json::value("0x5208"), 30'000'000, "transfer");
    ASSERT_TRUE(ok.gas) << ok.error;
    EXPECT_EQ(*ok.gas, 25200u);  // 21000 * 120 %

    auto reverted = starter_.gas_from_estimate(tl::unexpected(rpc_error(3, "execution reverted: bad", kBadRevert)),
                                               30'000'000, "initialize");
    EXPECT_FALSE(reverted.gas);
    EXPECT_EQ(reverted.error, "initialize: gas estimation reverted: bad");
    ASSERT_TRUE(reverted.revert);
    EXPECT_EQ(reverted.revert->reason, "bad");

    auto failed =
        starter_.gas_from_estimate(tl::unexpected(rpc_error(-32000, "insufficient funds")), 30'000'000, "initialize");
    EXPECT_FALSE(failed.gas);
    EXPECT_EQ(failed.error, "initialize: gas estimation failed: JSON-RPC error -32000: insufficient funds");
    EXPECT_FALSE(failed.revert);

    auto garbage = starter_.gas_from_estimate(boost::json::value(12), 30'000'000, "initialize");
    EXPECT_FALSE(garbage.gas);
    EXPECT_EQ(garbage.error.rfind("initialize: ", 0), 0u) << garbage.error;
    EXPECT_NE(garbage.error.find("eth_estimateGas"), std::string::npos) << garbage.error;

    auto capped = starter_.gas_from_estimate(boost::json::value("0x1e8481"), 30'000'000, "initialize");  // 2,000,001
    EXPECT_FALSE(capped.gas);
    EXPECT_NE(capped.error.find("above the cap"), std::string::npos) << capped.error;
}

TEST_F(TxStarterTest, SignsAJournalableAttemptForTheNonce) {
    const TxRequest request{
        Address::parse("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").value(), {}, U256(7), 21000, "transfer"};
    FeeParams fees;
    fees.max_fee_per_gas = U256(2'000'000'000u);
    fees.max_priority_fee_per_gas = U256(1'000'000'000u);
    auto attempt = starter_.sign(request, 42, fees);
    ASSERT_TRUE(attempt) << attempt.error().message;
    EXPECT_EQ(attempt->state, AttemptState::kSigned);  // not sendable before its record is durable
    EXPECT_EQ(attempt->hash, keccak256(attempt->raw));
    auto tx = tx::decode(attempt->raw);
    ASSERT_TRUE(tx) << tx.error().message;
    EXPECT_EQ(tx->nonce, 42u);
    EXPECT_EQ(tx->chain_id, 31337u);
    EXPECT_EQ(tx->gas_limit, 21000u);
    EXPECT_EQ(tx->value, U256(7));

    // Several threads at once (the round signs the next batch while the previous one is on the wire): the same
    // bytes (deterministic signatures), no shared state.
    std::vector<Result<TxAttempt>> results(4, make_error(Errc::kInvalidArgument, "not run"));
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < results.size(); ++t) {
        threads.emplace_back([&, t] { results[t] = starter_.sign(request, 42, fees); });
    }
    for (auto& t : threads) t.join();
    for (const auto& r : results) {
        ASSERT_TRUE(r);
        EXPECT_EQ(r->raw, attempt->raw);
    }
}

}  // namespace
}  // namespace wp::chain
