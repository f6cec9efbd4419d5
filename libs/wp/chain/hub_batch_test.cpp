// The Hub's batched views against an in-process fake node (net::HttpServer on 127.0.0.1) whose eth_call answers are
// the return data ethers encoded (testdata/hub_vectors.json): batch limits (several batches above the limit), the
// same decoded values as the single views, per-item errors (a revert, a failed exchange).
#include <atomic>
#include <mutex>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http_server.hpp>
#include <wp/sys/process.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;

const Address kHubAddress = *Address::parse("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f");

Bytes vector_bytes(std::string_view key) {
    static const json::object vectors = [] {
        auto text = sys::read_text_file(std::string(WP_SOURCE_DIR) + "/libs/wp/chain/testdata/hub_vectors.json");
        EXPECT_TRUE(text) << "libs/wp/chain/testdata/hub_vectors.json is missing";
        return text ? json::parse(*text).as_object().at("vectors").as_object() : json::object{};
    }();
    const auto* v = vectors.if_contains(key);
    EXPECT_TRUE(v != nullptr) << "missing vector " << key;
    return v != nullptr ? from_hex(std::string_view(v->as_string())).value() : Bytes{};
}

// Answers eth_call by selector: viewTask / viewContribution / viewAccount with the ethers vectors, viewScore with the
// last byte of the address; a task id starting with 0xee reverts. Records the size of every batch.
class FakeHubNode {
  public:
    FakeHubNode() {
        server_.route("POST", "/", [this](const net::ServerRequest& r) { return handle(r); });
        EXPECT_TRUE(server_.start());
    }
    std::string url() const { return server_.base_url() + "/"; }
    std::vector<std::size_t> batches() {
        std::lock_guard lock(mu_);
        return batches_;
    }
    std::atomic<int> fail_next_exchanges{0};  //!< answered HTTP 503 (text)

  private:
    static std::string selector_hex(HubFn fn) { return to_hex(hub_signature(fn).selector().view()); }

    json::object answer(const json::object& req) {
        json::object out{{"jsonrpc", "2.0"}, {"id", req.at("id")}};
        const auto& call = req.at("params").as_array().at(0).as_object();
        const std::string data(call.at("data").as_string());
        const std::string selector = data.substr(0, 10);
        const Bytes args = from_hex("0x" + data.substr(10)).value();
        if (selector == selector_hex(HubFn::kViewTask)) {
            if (args.at(0) == 0xee) {
                out["error"] = {{"code", 3}, {"message", "execution reverted"}, {"data", "0x"}};
            } else {
                out["result"] = to_hex(vector_bytes("viewTask"));
            }
        } else if (selector == selector_hex(HubFn::kViewContribution)) {
            out["result"] = to_hex(vector_bytes("viewContribution"));
        } else if (selector == selector_hex(HubFn::kViewAccount)) {
            out["result"] = to_hex(vector_bytes("viewAccount"));
        } else if (selector == selector_hex(HubFn::kViewScore)) {
            Bytes word(32, 0);
            word[31] = args.at(31);  // the address is right-aligned in its word
            out["result"] = to_hex(word);
        } else {
            out["error"] = {{"code", -32601}, {"message", "unexpected call " + selector}};
        }
        return out;
    }

    net::HttpResponse handle(const net::ServerRequest& r) {
        if (fail_next_exchanges > 0) {
            --fail_next_exchanges;
            return net::HttpResponse::text(503, "upstream unavailable");
        }
        auto body = json::parse(r.body);
        if (const auto* arr = body.if_array()) {
            {
                std::lock_guard lock(mu_);
                batches_.push_back(arr->size());
            }
            json::array out;
            for (const auto& one : *arr) {
                const auto& req = one.as_object();
                if (req.at("method") == "eth_blockNumber") {
                    out.push_back(json::object{{"jsonrpc", "2.0"}, {"id", req.at("id")}, {"result", "0x10"}});
                } else {
                    out.push_back(answer(req));
                }
            }
            return net::HttpResponse::json(200, json::serialize(out));
        }
        const auto& req = body.as_object();
        if (req.at("method") == "eth_blockNumber")
            return net::HttpResponse::json(
                200, json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", req.at("id")}, {"result", "0x10"}}));
        return net::HttpResponse::json(200, json::serialize(answer(req)));
    }

    std::mutex mu_;
    std::vector<std::size_t> batches_;
    net::HttpServer server_{net::HttpServerOptions{.threads = 2}};
};

class HubBatch : public ::testing::Test {
  protected:
    FakeHubNode node_;
    JsonRpcClient rpc_{JsonRpcOptions{.url = node_.url(), .retry = RetryPolicy{.max_attempts = 1}}};
    EthClient eth_{rpc_};
    Hub hub_{eth_, kHubAddress};
};

TEST_F(HubBatch, PageOfTasksInSeveralBatchesWithPerItemErrors) {
    hub_.set_max_calls_per_batch(3);
    std::vector<Bytes32> ids(7);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i][31] = static_cast<std::uint8_t>(i);
    ids[4][0] = 0xee;  // reverts
    auto tasks = hub_.view_tasks(ids);
    ASSERT_EQ(tasks.size(), 7u);
    EXPECT_EQ(node_.batches(), (std::vector<std::size_t>{3, 3, 1}));
    const Task expected = decode_task(vector_bytes("viewTask")).value();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i == 4) continue;
        ASSERT_TRUE(tasks[i]) << i << ": " << tasks[i].error().message;
        EXPECT_EQ(*tasks[i], expected);
        // The same as the single view.
        EXPECT_EQ(*tasks[i], hub_.view_task(ids[i]).value());
    }
    ASSERT_FALSE(tasks[4]);
    EXPECT_TRUE(tasks[4].error().reverted());
    EXPECT_EQ(tasks[4].error().message, "viewTask: reverted without data");
    EXPECT_EQ(hub_.view_task(ids[4]).error().message, tasks[4].error().message);
}

TEST_F(HubBatch, AFailedExchangeFailsOnlyTheItemsOfItsBatch) {
    hub_.set_max_calls_per_batch(2);
    std::vector<Address> workers;
    for (std::uint8_t i = 1; i <= 5; ++i) {
        FixedBytes<20> raw;
        raw.bytes[19] = i;
        workers.push_back(Address(raw));
    }
    node_.fail_next_exchanges = 1;  // the first batch (workers 1, 2)
    auto scores = hub_.view_scores(workers);
    ASSERT_EQ(scores.size(), 5u);
    for (std::size_t i = 0; i < 2; ++i) {
        ASSERT_FALSE(scores[i]);
        EXPECT_EQ(scores[i].error().kind, Errc::kNetwork);
        EXPECT_NE(scores[i].error().message.find("HTTP 503"), std::string::npos) << scores[i].error().message;
        EXPECT_EQ(scores[i].error().message.rfind("viewScore: ", 0), 0u) << scores[i].error().message;
    }
    for (std::size_t i = 2; i < 5; ++i) {
        ASSERT_TRUE(scores[i]) << scores[i].error().message;
        EXPECT_EQ(*scores[i], U256(i + 1));
        EXPECT_EQ(*scores[i], hub_.view_score(workers[i]).value());
    }
    auto accounts = hub_.view_accounts(workers);
    const Account expected = decode_account(vector_bytes("viewAccount")).value();
    for (const auto& a : accounts) {
        ASSERT_TRUE(a) << a.error().message;
        EXPECT_EQ(*a, expected);
    }
    EXPECT_TRUE(hub_.view_accounts({}).empty());
}

TEST_F(HubBatch, TaskWithContributionsPinsTheBlockAndReadsEveryContributor) {
    auto full = hub_.view_task_with_contributions(Bytes32{});
    ASSERT_TRUE(full) << full.error().message;
    EXPECT_EQ(full->block, BlockTag::number(0x10));
    const Task expected = decode_task(vector_bytes("viewTask")).value();
    EXPECT_EQ(full->task, expected);
    ASSERT_EQ(full->contributions.size(), expected.contributors.size());
    const Contribution contribution = decode_contribution(vector_bytes("viewContribution")).value();
    for (const auto& c : full->contributions) {
        ASSERT_TRUE(c) << c.error().message;
        EXPECT_EQ(*c, contribution);
    }
    // A task that reverts: the error of viewTask.
    Bytes32 bad;
    bad[0] = 0xee;
    auto missing = hub_.view_task_with_contributions(bad, BlockTag::number(3));
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().reverted());
}

}  // namespace
}  // namespace wp::chain
