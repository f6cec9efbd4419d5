// match_facts helpers against an in-process fake node: pin_block (moving tags → one block number) and
// entry_owner_from_chain (which owner() outcomes are facts and which are errors).
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/chain/match_facts.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http_server.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;

const Address kHub = *Address::parse("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707");
const Address kEntry = *Address::parse("0x1111111111111111111111111111111111111111");

// Answers eth_blockNumber (head 9), eth_getBlockByNumber for "safe" (5), "finalized" (3 unless disabled) and
// eth_call with a scripted answer (a "result" or an "error" member), recording the calls' block and calldata.
class FakeNode {
  public:
    void start() {
        server_.route("POST", "/", [this](const net::ServerRequest& r) {
            auto req = json::parse(r.body).as_object();
            std::lock_guard lock(mu_);
            json::object out{{"jsonrpc", "2.0"}, {"id", req.at("id")}};
            const auto method = req.at("method").as_string();
            const auto& params = req.at("params").as_array();
            if (method == "eth_blockNumber") {
                out["result"] = "0x9";
            } else if (method == "eth_getBlockByNumber") {
                const auto tag = params.at(0).as_string();
                const char* number = tag == "safe" ? "0x5" : tag == "finalized" && finalized_ ? "0x3" : nullptr;
                if (number == nullptr) {
                    out["result"] = nullptr;
                } else {
                    out["result"] = json::object{{"number", number},
                                                 {"hash", to_hex(Bytes32())},
                                                 {"parentHash", to_hex(Bytes32())},
                                                 {"timestamp", "0x1"},
                                                 {"gasLimit", "0x1c9c380"},
                                                 {"gasUsed", "0x0"}};
                }
            } else if (method == "eth_call") {
                calls_.emplace_back(std::string(params.at(0).as_object().at("data").as_string()),
                                    std::string(params.at(1).as_string()));
                for (const auto& kv : call_answer_) out[kv.key()] = kv.value();
            } else {
                out["error"] = json::object{{"code", -32601}, {"message", "method not found"}};
            }
            return net::HttpResponse::json(200, json::serialize(out));
        });
        ASSERT_TRUE(server_.start());
    }
    std::string url() const { return server_.base_url(); }
    void answer_calls(json::object answer) {
        std::lock_guard lock(mu_);
        call_answer_ = std::move(answer);
    }
    void disable_finality() {
        std::lock_guard lock(mu_);
        finalized_ = false;
    }
    std::vector<std::pair<std::string, std::string>> calls() {
        std::lock_guard lock(mu_);
        return calls_;
    }

  private:
    std::mutex mu_;
    json::object call_answer_;
    bool finalized_{true};
    std::vector<std::pair<std::string, std::string>> calls_;
    net::HttpServer server_;
};

class MatchFactsHelpers : public ::testing::Test {
  protected:
    void SetUp() override {
        node_.start();
        JsonRpcOptions options{.url = node_.url()};
        options.retry.max_attempts = 1;
        rpc_ = std::make_unique<JsonRpcClient>(options);
        eth_ = std::make_unique<EthClient>(*rpc_);
        hub_ = std::make_unique<Hub>(*eth_, kHub);
    }
    HubResult<std::optional<Address>> owner_with(json::object answer) {
        node_.answer_calls(std::move(answer));
        return entry_owner_from_chain(*hub_, kEntry, BlockTag::number(7));
    }

    FakeNode node_;
    std::unique_ptr<JsonRpcClient> rpc_;
    std::unique_ptr<EthClient> eth_;
    std::unique_ptr<Hub> hub_;
};

TEST_F(MatchFactsHelpers, PinBlockResolvesMovingTags) {
    EXPECT_EQ(pin_block(*eth_, BlockTag::latest()).value(), BlockTag::number(9));
    EXPECT_EQ(pin_block(*eth_, BlockTag::safe()).value(), BlockTag::number(5));
    EXPECT_EQ(pin_block(*eth_, BlockTag::finalized()).value(), BlockTag::number(3));
    EXPECT_EQ(pin_block(*eth_, BlockTag::number(4)).value(), BlockTag::number(4));
    EXPECT_EQ(pin_block(*eth_, BlockTag::earliest()).value(), BlockTag::earliest());
    EXPECT_EQ(pin_block(*eth_, BlockTag::pending()).value(), BlockTag::pending());
    node_.disable_finality();
    auto none = pin_block(*eth_, BlockTag::finalized());
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().kind, Errc::kRemote);
    EXPECT_EQ(none.error().message, "eth_getBlockByNumber(finalized): the node has no such block");
}

TEST_F(MatchFactsHelpers, OwnerFactsAndErrors) {
    const std::string word = "0x000000000000000000000000" + std::string("5fc8d32690cc91d4c39d9d3abcbd16989f875707");
    auto owner = owner_with({{"result", word}});
    ASSERT_TRUE(owner) << owner.error().message;
    EXPECT_EQ(*owner, std::optional<Address>(kHub));
    // owner() = 0x8da5cb5b, read at the given block.
    ASSERT_FALSE(node_.calls().empty());
    EXPECT_EQ(node_.calls().back(), (std::pair<std::string, std::string>{"0x8da5cb5b", "0x7"}));

    // Facts: no code (empty return data) and reverts mean "no owner".
    owner = owner_with({{"result", "0x"}});
    ASSERT_TRUE(owner) << owner.error().message;
    EXPECT_FALSE(*owner);
    owner = owner_with({{"error", json::object{{"code", 3}, {"message", "execution reverted"}, {"data", "0x"}}}});
    ASSERT_TRUE(owner) << owner.error().message;
    EXPECT_FALSE(*owner);
    owner = owner_with({{"error", json::object{{"code", -32000}, {"message", "execution reverted"}}}});
    ASSERT_TRUE(owner) << owner.error().message;
    EXPECT_FALSE(*owner);

    // Errors: a malformed RPC answer, return data that is not an address, another JSON-RPC error.
    owner = owner_with({{"result", "0xzz"}});
    ASSERT_FALSE(owner);
    EXPECT_FALSE(owner.error().reverted());
    owner = owner_with({{"result", 42}});
    ASSERT_FALSE(owner);
    owner = owner_with({{"result", "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707"}});  // 20 bytes
    ASSERT_FALSE(owner);
    EXPECT_EQ(owner.error().kind, Errc::kDecoding);
    EXPECT_EQ(owner.error().message.rfind("owner: return data is not an ABI address (20 bytes: ", 0), 0u)
        << owner.error().message;
    owner = owner_with({{"result", "0x01" + word.substr(4)}});  // dirty upper bytes
    ASSERT_FALSE(owner);
    EXPECT_EQ(owner.error().kind, Errc::kDecoding);
    owner = owner_with({{"error", json::object{{"code", -32603}, {"message", "internal error"}}}});
    ASSERT_FALSE(owner);
    EXPECT_EQ(owner.error().kind, Errc::kRemote);
    EXPECT_FALSE(owner.error().reverted());
}

}  // namespace
}  // namespace wp::chain
