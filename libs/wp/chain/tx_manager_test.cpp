// TxManager against a JSON-RPC node stub on 127.0.0.1 (the full behaviour is proved against anvil in
// tests/anvil/tx_manager_anvil_test.cpp). Here: what the stub can pin down that anvil cannot, a round held inside
// a JSON-RPC round trip.
#include "tx_manager.hpp"

#include <gtest/gtest.h>
#include <future>
#include <mutex>
#include <thread>
#include <tuple>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/net/http_server.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Answers the reads of open() and of a round's head batch (nonce 0, block 1); eth_estimateGas is unknown (the call
// fails). hold(): the next head batch (eth_getBlockByNumber) waits in the server until release().
class NodeStub {
  public:
    NodeStub() {
        server_.route("POST", "/", [this](const net::ServerRequest& r) { return handle(r); });
        EXPECT_TRUE(server_.start());
    }
    ~NodeStub() { release(); }
    std::string url() const { return server_.base_url() + "/"; }
    void hold() {
        std::lock_guard lock(mu_);
        holding_ = true;
    }
    //! Returns once a held head batch has arrived.
    void wait_entered() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return entered_; });
    }
    void release() {
        std::lock_guard lock(mu_);
        holding_ = false;
        cv_.notify_all();
    }

  private:
    static json::value answer(const json::object& req) {
        json::object out{{"jsonrpc", "2.0"}, {"id", req.at("id")}};
        const auto method = req.at("method").as_string();
        if (method == "eth_chainId") {
            out["result"] = "0x7a69";
        } else if (method == "eth_getTransactionCount") {
            out["result"] = "0x0";
        } else if (method == "eth_blockNumber") {
            out["result"] = "0x1";
        } else if (method == "eth_maxPriorityFeePerGas") {
            out["result"] = "0x3b9aca00";
        } else if (method == "eth_gasPrice") {
            out["result"] = "0x77359400";
        } else if (method == "eth_getBlockByNumber") {
            const std::string hash = "0x" + std::string(64, '1');
            out["result"] = json::object{
                {"number", "0x1"},         {"hash", hash},     {"parentHash", hash},           {"timestamp", "0x1"},
                {"gasLimit", "0x1c9c380"}, {"gasUsed", "0x0"}, {"baseFeePerGas", "0x3b9aca00"}};
        } else {
            out["error"] = {{"code", -32601}, {"message", "Method not found"}};
        }
        return out;
    }
    net::HttpResponse handle(const net::ServerRequest& r) {
        auto body = json::parse(r.body);
        if (const auto* batch = body.if_array()) {
            const bool head = !batch->empty() && batch->at(0).as_object().at("method") == "eth_getBlockByNumber";
            std::unique_lock lock(mu_);
            if (head && holding_) {
                entered_ = true;
                cv_.notify_all();
                cv_.wait(lock, [&] { return !holding_; });
            }
            json::array out;
            for (const auto& one : *batch) out.push_back(answer(one.as_object()));
            return net::HttpResponse::json(200, json::serialize(out));
        }
        return net::HttpResponse::json(200, json::serialize(answer(body.as_object())));
    }
    std::mutex mu_;
    std::condition_variable cv_;
    bool holding_{false};
    bool entered_{false};
    net::HttpServer server_{net::HttpServerOptions{.threads = 2}};
};

TEST(TxManagerStub, ReadersDoNotWaitForARoundInsideAnRpcRoundTrip) {
    NodeStub node;
    JsonRpcClient rpc(JsonRpcOptions{.url = node.url(), .timeout = 60s, .retry = RetryPolicy{.max_attempts = 1}});
    auto key = PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
    auto manager = TxManager::open(rpc, key, std::make_shared<MemoryTxJournal>());
    ASSERT_TRUE(manager) << manager.error().message;
    auto& m = **manager;
    const TxHandle h = m.submit(ContractCall{Address{}, {}, U256(), "stub call"});
    EXPECT_EQ(m.in_flight(), 1u);

    node.hold();
    std::promise<Result<std::vector<TxOutcome>>> polled;
    std::thread round([&] { polled.set_value(m.poll()); });
    node.wait_entered();  // the round holds the round lock and waits for the node's answer
    auto reads = std::async(std::launch::async, [&] {
        return std::make_tuple(m.stats().rounds, m.in_flight(), m.next_nonce(), m.recovered().size(), m.status(h));
    });
    const auto ready = reads.wait_for(60s);  // not a speed assertion: a reader waiting for the round never returns
    node.release();
    round.join();
    ASSERT_EQ(ready, std::future_status::ready) << "a reader waited for the running round";
    const auto [rounds, in_flight, next_nonce, recovered, status] = reads.get();
    EXPECT_EQ(rounds, 0u);  // the snapshot of the end of the last round (none yet)
    EXPECT_EQ(in_flight, 1u);
    EXPECT_EQ(next_nonce, 0u);
    EXPECT_EQ(recovered, 0u);
    EXPECT_EQ(status, TxStatus::kQueued);

    // The round went on: eth_estimateGas is unknown to the stub, so the call failed without a nonce.
    auto outcomes = polled.get_future().get();
    ASSERT_TRUE(outcomes) << outcomes.error().message;
    ASSERT_EQ(outcomes->size(), 1u);
    EXPECT_EQ(outcomes->at(0).status, TxStatus::kFailed);
    EXPECT_EQ(m.stats().rounds, 1u);
    EXPECT_EQ(m.in_flight(), 0u);
    EXPECT_EQ(m.next_nonce(), 0u);
}

}  // namespace
}  // namespace wp::chain
