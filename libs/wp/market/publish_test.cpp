// Publisher directly (no HTTP), on SQLite and PostgreSQL: the signature rule's fallback to hub.verifySignature when
// the signature does not recover to the owner (a contract or delegated owner), against a JSON-RPC stub on
// 127.0.0.1 answering eth_call: true → published, false or a revert → "invalid sign", node down → internal error.
// An EOA signature that recovers never reaches the node.
#include "publish.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
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
