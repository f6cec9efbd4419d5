// Publisher directly (no HTTP), on SQLite and PostgreSQL. Group commit: one batch gives each item its own outcome
// (duplicates, refusals and the max-open-orders rule inside one transaction), the batcher answers after the commit,
// fetches missing facts on its slow lane and drains on stop. The signature rule's fallback to hub.verifySignature when
// the signature does not recover to the owner (a contract or delegated owner), against a JSON-RPC stub on
// 127.0.0.1 answering eth_call: true → published, false or a revert → "invalid sign", node down → internal error.
// An EOA signature that recovers never reaches the node.
#include "publish.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/net/http_server.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/store/backend_test.hpp>

#include "documents.hpp"
#include "order_book.hpp"
#include "publish_batcher.hpp"
#include "schema.hpp"

namespace wp::market {
namespace {

namespace json = boost::json;

constexpr std::uint64_t kChain = 65535;
const Address kHub = Address::parse("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f").value();

// Answers every eth_call with the ABI bool `answer` (or a revert), counting the calls.
class VerifyStub {
  public:
    enum class Mode { kTrue, kFalse, kRevert };
    VerifyStub() {
        server_.route("POST", "/", [this](const net::ServerRequest& r) {
            ++calls;
            const auto body = json::parse(r.body);
            const auto one = [&](const json::value& req) {
                json::object out{{"jsonrpc", "2.0"}, {"id", req.at("id")}};
                if (mode == Mode::kRevert)
                    out["error"] = json::object{{"code", 3}, {"message", "execution reverted"}, {"data", "0x"}};
                else out["result"] = "0x" + std::string(63, '0') + (mode == Mode::kTrue ? "1" : "0");
                return out;
            };
            if (const auto* arr = body.if_array()) {
                json::array out;
                for (const auto& r2 : *arr) out.push_back(one(r2));
                return net::HttpResponse::json(200, json::serialize(out));
            }
            return net::HttpResponse::json(200, json::serialize(one(body)));
        });
        EXPECT_TRUE(server_.start());
    }
    std::string url() const { return server_.base_url() + "/"; }
    std::atomic<int> calls{0};
    std::atomic<Mode> mode{Mode::kTrue};

  private:
    net::HttpServer server_;
};

class PublisherTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("market_publish");
        if (HasFatalFailure()) return;
        ASSERT_TRUE(migrate_market_schema(*db_));
        exec(
            "INSERT INTO market_sync (chain_id, hub, start_block, complete, last_block, last_block_ms) "
            "VALUES ($1, $2, 0, 1, 5, 0)",
            kChain, kHub);
        exec("INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) VALUES ($1, $2, 2, $3, 1)",
             kChain, pool_, owner_.address());
        exec("INSERT INTO market_accounts (chain_id, account, stake, block_number) VALUES ($1, $2, $3, 1)", kChain,
             owner_.address(), U256(1000));
        exec(
            "INSERT INTO market_categories (chain_id, catid, name, description, work_clock_time_ref, "
            "transaction_hash, block_number, block_timestamp_ms) VALUES ($1, 0, 'S', 's', $2, $3, 1, 0)",
            kChain, U256(300), Bytes32{});
    }

    template <class... A>
    void exec(std::string_view sql, const A&... args) {
        auto r = db_->write([&](store::Tx& tx) { return tx.exec(sql, args...); });
        ASSERT_TRUE(r) << r.error().message;
    }

    //! A workerpool order signed by `signer` (not necessarily the owner).
    Order order_signed_by(const PrivateKey& signer, std::uint8_t salt) {
        WorkerpoolOrder o;
        o.workerpool = pool_;
        o.workerpoolprice = 1;
        o.volume = 1;
        o.tag = make_tag(kTagTeeTdx);
        o.salt[31] = salt;
        o.sign = sign_order(domain_, Order(o), signer);
        return Order(o);
    }

    PublishResult<OrderRecord> publish_with(const std::string& node_url, const Order& order) {
        chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = node_url, .retry = {.max_attempts = 1}});
        chain::EthClient eth(rpc);
        chain::Hub hub(eth, kHub);
        ChainState state(*db_, hub, kChain);
        Publisher publisher(*db_, clock_);
        return publisher.publish(ChainContext{kChain, domain_, &state, &hub}, order, owner_.address());
    }

    ManualClock clock_;
    const PrivateKey owner_ = PrivateKey::generate();
    const PrivateKey delegate_ = PrivateKey::generate();
    const Address pool_ = Address::parse("0x2222222222222222222222222222222222222222").value();
    const Domain domain_ = Domain::iexec(U256(kChain), kHub);
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(PublisherTest);

TEST_P(PublisherTest, OwnerSignatureRecoversLocallyWithoutTheNode) {
    VerifyStub stub;
    auto r = publish_with(stub.url(), order_signed_by(owner_, 1));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->signer, owner_.address());
    EXPECT_EQ(stub.calls.load(), 0);
}

TEST_P(PublisherTest, OtherSignaturesAreJudgedByVerifySignature) {
    VerifyStub stub;
    stub.mode = VerifyStub::Mode::kTrue;  // e.g. an ERC-1271 owner accepting the delegate's signature
    auto accepted = publish_with(stub.url(), order_signed_by(delegate_, 2));
    ASSERT_TRUE(accepted) << accepted.error().message;
    EXPECT_EQ(stub.calls.load(), 1);

    stub.mode = VerifyStub::Mode::kFalse;
    auto refused = publish_with(stub.url(), order_signed_by(delegate_, 3));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, PublishError::Kind::kRefused);
    EXPECT_EQ(refused.error().http_status(), 403u);
    EXPECT_EQ(refused.error().message, "invalid sign");

    stub.mode = VerifyStub::Mode::kRevert;
    auto reverted = publish_with(stub.url(), order_signed_by(delegate_, 4));
    ASSERT_FALSE(reverted);
    EXPECT_EQ(reverted.error().message, "invalid sign");

    auto node_down = publish_with("http://127.0.0.1:1/", order_signed_by(delegate_, 5));
    ASSERT_FALSE(node_down);
    EXPECT_EQ(node_down.error().kind, PublishError::Kind::kInternal);
    EXPECT_EQ(node_down.error().http_status(), 500u);
}

TEST_P(PublisherTest, NoHubMeansOnlyLocalSignatures) {
    ChainContext chain{kChain, domain_, nullptr, nullptr};
    Publisher publisher(*db_, clock_);
    auto missing_state = publisher.publish(chain, order_signed_by(owner_, 6), owner_.address());
    ASSERT_FALSE(missing_state);
    EXPECT_EQ(missing_state.error().kind, PublishError::Kind::kInternal);
}

}  // namespace
}  // namespace wp::market

namespace wp::market {
namespace {

TEST_P(PublisherTest, ConcurrentPublishesOfOneOrderPublishItOnce) {
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = "http://127.0.0.1:1/"});
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, kHub);
    ChainState state(*db_, hub, kChain);
    Publisher publisher(*db_, clock_);
    const ChainContext chain{kChain, domain_, &state, nullptr};
    const Order order = order_signed_by(owner_, 9);
    std::atomic<int> published{0};
    std::atomic<int> already{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            auto r = publisher.publish(chain, order, owner_.address());
            if (r) ++published;
            else if (r.error().kind == PublishError::Kind::kRefused && r.error().message == "order already published")
                ++already;
            else {
                ++other;
                ADD_FAILURE() << "unexpected outcome: " << r.error().message;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(published.load(), 1);
    EXPECT_EQ(already.load(), 3);
    EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace wp::market

// ---- group commit: Publisher::write_batch and PublishBatcher (publish_batcher.hpp) ---------------------------------

namespace wp::market {
namespace {

std::int64_t count_rows(store::Database& db, std::string_view sql) {
    auto n = db.read([&](store::Tx& tx) -> Result<std::int64_t> {
        WP_TRY(auto row, tx.query_row(sql));
        return row.get<std::int64_t>(0);
    });
    EXPECT_TRUE(n) << n.error().message;
    return n ? *n : -1;
}

TEST_P(PublisherTest, OneBatchGivesEachItemItsOwnOutcome) {
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = "http://127.0.0.1:1/"});
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, kHub);
    ChainState state(*db_, hub, kChain);
    Publisher publisher(*db_, clock_);
    const ChainContext chain{kChain, domain_, &state, nullptr};
    std::vector<PreparedPublish> batch;
    batch.push_back(publisher.prepare(chain, order_signed_by(owner_, 20), owner_.address()));
    batch.push_back(publisher.prepare(chain, order_signed_by(owner_, 20), owner_.address()));     // same hash
    batch.push_back(publisher.prepare(chain, order_signed_by(delegate_, 21), owner_.address()));  // bad signature
    batch.push_back(publisher.prepare(chain, order_signed_by(owner_, 22), delegate_.address()));  // not the signer
    batch.push_back(publisher.prepare(chain, order_signed_by(owner_, 23), owner_.address()));
    const auto out = publisher.write_batch(batch);
    ASSERT_EQ(out.size(), 5u);
    for (const auto& o : out) EXPECT_FALSE(o.needs_fact);
    ASSERT_TRUE(out[0].result) << out[0].result.error().message;
    ASSERT_FALSE(out[1].result);
    EXPECT_EQ(out[1].result.error().message, "order already published");
    ASSERT_FALSE(out[2].result);
    EXPECT_EQ(out[2].result.error().message, "invalid sign");
    ASSERT_FALSE(out[3].result);
    EXPECT_EQ(out[3].result.error().message,
              "only order signer " + owner_.address().to_checksum() + " can publish an order");
    ASSERT_TRUE(out[4].result) << out[4].result.error().message;
    // The HTTP answer is exactly {"ok":true,"published":<the order document with chainId>}.
    EXPECT_EQ(out[0].reply_json,
              json::serialize(json::object{{"ok", true}, {"published", order_document(*out[0].result)}}));
    EXPECT_TRUE(out[1].reply_json.empty());
    // Exactly the two accepted orders and their two events were committed.
    EXPECT_EQ(count_rows(*db_, "SELECT COUNT(*) FROM market_orders"), 2);
    EXPECT_EQ(count_rows(*db_, "SELECT COUNT(*) FROM market_events"), 2);
}

TEST_P(PublisherTest, TheMaxOpenOrdersRuleHoldsAcrossABatch) {
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = "http://127.0.0.1:1/"});
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, kHub);
    ChainState state(*db_, hub, kChain);
    Publisher publisher(*db_, clock_, PublishOptions{.max_open_orders_per_wallet = 2});
    const ChainContext chain{kChain, domain_, &state, nullptr};
    std::vector<PreparedPublish> batch;
    for (std::uint8_t salt = 30; salt < 33; ++salt)
        batch.push_back(publisher.prepare(chain, order_signed_by(owner_, salt), owner_.address()));
    const auto out = publisher.write_batch(batch);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_TRUE(out[0].result);
    EXPECT_TRUE(out[1].result);
    ASSERT_FALSE(out[2].result);
    EXPECT_EQ(
        out[2].result.error().message,
        "maximun of 2 published open workerpoolorder has been reached for wallet " + owner_.address().to_checksum());
    EXPECT_EQ(count_rows(*db_, "SELECT COUNT(*) FROM market_orders"), 2);
}

TEST_P(PublisherTest, TheBatcherAnswersEachPublishAfterItsCommit) {
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = "http://127.0.0.1:1/"});
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, kHub);
    ChainState state(*db_, hub, kChain);
    Publisher publisher(*db_, clock_);
    const ChainContext chain{kChain, domain_, &state, nullptr};
    constexpr int kThreads = 4;
    constexpr int kPerThread = 10;  // 40 orders: under the max of 50 open orders
    std::mutex mu;
    std::condition_variable cv;
    int answered = 0;
    int committed_before_answer = 0;
    int refused = 0;
    {
        PublishBatcher batcher(publisher);
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < kPerThread; ++i) {
                    // Thread 0 also submits an order thread 1 submits: exactly one of the two is published.
                    const auto salt =
                        static_cast<std::uint8_t>(t == 0 && i == 0 ? 100 + 1 * kPerThread : 100 + t * kPerThread + i);
                    batcher.submit(publisher.prepare(chain, order_signed_by(owner_, salt), owner_.address()),
                                   [&, hash = order_hash(domain_, order_signed_by(owner_, salt))](
                                       PublishResult<OrderRecord> r, const std::string&) {
                                       bool visible = false;
                                       if (r) {
                                           // Read on another connection: the order is already committed.
                                           auto found =
                                               db_->read([&](store::Tx& tx) { return find_order(tx, kChain, hash); });
                                           visible = found && found->has_value();
                                       }
                                       std::lock_guard<std::mutex> lock(mu);
                                       ++answered;
                                       if (visible) ++committed_before_answer;
                                       if (!r) {
                                           EXPECT_EQ(r.error().message, "order already published");
                                           ++refused;
                                       }
                                       cv.notify_all();
                                   });
                }
            });
        for (auto& th : threads) th.join();
        std::unique_lock<std::mutex> lock(mu);
        ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return answered == kThreads * kPerThread; }));
        const auto stats = batcher.stats();
        EXPECT_GE(stats.items, static_cast<std::uint64_t>(kThreads * kPerThread));
        EXPECT_LE(stats.batches, stats.items);
    }
    EXPECT_EQ(refused, 1);
    EXPECT_EQ(committed_before_answer, kThreads * kPerThread - 1);
    EXPECT_EQ(count_rows(*db_, "SELECT COUNT(*) FROM market_orders"), kThreads * kPerThread - 1);
}

TEST_P(PublisherTest, TheBatcherFetchesAMissingFactOnItsSlowLane) {
    VerifyStub stub;
    stub.mode = VerifyStub::Mode::kTrue;  // the delegate's signature is accepted by the owner contract
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = stub.url(), .retry = {.max_attempts = 1}});
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, kHub);
    ChainState state(*db_, hub, kChain);
    Publisher publisher(*db_, clock_);
    const ChainContext chain{kChain, domain_, &state, &hub};
    PublishBatcher batcher(publisher);
    std::promise<PublishResult<OrderRecord>> done;
    batcher.submit(publisher.prepare(chain, order_signed_by(delegate_, 40), owner_.address()),
                   [&](PublishResult<OrderRecord> r, const std::string&) { done.set_value(std::move(r)); });
    auto future = done.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    auto r = future.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(stub.calls.load(), 1);
    EXPECT_EQ(batcher.stats().fact_fetches, 1u);
}

TEST_P(PublisherTest, StoppingTheBatcherWritesWhatIsQueuedThenRefuses) {
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = "http://127.0.0.1:1/"});
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, kHub);
    ChainState state(*db_, hub, kChain);
    Publisher publisher(*db_, clock_);
    const ChainContext chain{kChain, domain_, &state, nullptr};
    PublishBatcher batcher(publisher);
    std::atomic<int> ok{0};
    for (std::uint8_t salt = 50; salt < 60; ++salt)
        batcher.submit(publisher.prepare(chain, order_signed_by(owner_, salt), owner_.address()),
                       [&](PublishResult<OrderRecord> r, const std::string&) {
                           if (r) ++ok;
                       });
    batcher.stop();
    EXPECT_EQ(ok.load(), 10);  // every completion ran before stop() returned
    std::optional<PublishResult<OrderRecord>> late;
    batcher.submit(publisher.prepare(chain, order_signed_by(owner_, 61), owner_.address()),
                   [&](PublishResult<OrderRecord> r, const std::string&) { late = std::move(r); });
    ASSERT_TRUE(late.has_value());
    ASSERT_FALSE(*late);
    EXPECT_EQ(late->error().message, "market is stopping");
    EXPECT_EQ(late->error().kind, PublishError::Kind::kInternal);
}

}  // namespace
}  // namespace wp::market
