#include "broadcaster.hpp"

#include <gtest/gtest.h>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/net/http_server.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

RpcError rpc_error(std::int64_t code, std::string message) {
    RpcError e;
    e.kind = Errc::kRemote;
    e.code = code;
    e.rpc_message = message;
    e.message = "eth_sendRawTransaction: JSON-RPC error " + std::to_string(code) + ": " + message;
    return e;
}

TEST(ClassifySend, NodeAnswers) {
    EXPECT_EQ(classify_send(rpc_error(-32000, "already known")), SendVerdict::kKnown);
    EXPECT_EQ(classify_send(rpc_error(-32000, "Known transaction: 0xab")), SendVerdict::kKnown);
    EXPECT_EQ(classify_send(rpc_error(-32000, "transaction already imported")), SendVerdict::kKnown);
    EXPECT_EQ(classify_send(rpc_error(-32000, "nonce too low")), SendVerdict::kNonceTooLow);
    EXPECT_EQ(classify_send(rpc_error(-32003, "Nonce is too low")), SendVerdict::kNonceTooLow);
    EXPECT_EQ(classify_send(rpc_error(-32000, "replacement transaction underpriced")), SendVerdict::kUnderpriced);
    EXPECT_EQ(classify_send(rpc_error(-32000, "insufficient funds for gas * price + value")), SendVerdict::kRejected);
    EXPECT_EQ(classify_send(rpc_error(-32000, "transaction underpriced")), SendVerdict::kRejected);
}

TEST(ClassifySend, TransportAndRateLimitsSayNothingAboutTheTransaction) {
    RpcError timeout;
    timeout.kind = Errc::kTimeout;
    timeout.message = "eth_sendRawTransaction: timeout";
    EXPECT_EQ(classify_send(timeout), SendVerdict::kTransport);
    RpcError unavailable;
    unavailable.kind = Errc::kNetwork;
    unavailable.http_status = 503;
    unavailable.message = "eth_sendRawTransaction: HTTP 503";
    EXPECT_EQ(classify_send(unavailable), SendVerdict::kTransport);
    EXPECT_EQ(classify_send(rpc_error(-32005, "limit exceeded")), SendVerdict::kTransport);
    RpcError limited = rpc_error(-32000, "already known");
    limited.http_status = 429;  // whatever its body
    EXPECT_EQ(classify_send(limited), SendVerdict::kTransport);
    RpcError not_found;
    not_found.kind = Errc::kNetwork;
    not_found.http_status = 404;
    not_found.message = "eth_sendRawTransaction: HTTP 404";
    EXPECT_EQ(classify_send(not_found), SendVerdict::kRejected);
}

// A node stub on 127.0.0.1: eth_sendRawTransaction answers by the raw's first byte (1 ok, 2 already known,
// 3 nonce too low, 4 replacement underpriced, 5 insufficient funds, 6 rate limited -32005); records batch sizes.
class SendStub {
  public:
    SendStub() {
        server_.route("POST", "/", [this](const net::ServerRequest& r) { return handle(r); });
        EXPECT_TRUE(server_.start());
    }
    std::string url() const { return server_.base_url() + "/"; }
    std::vector<std::size_t> batch_sizes() {
        std::lock_guard lock(mu_);
        return sizes_;
    }
    std::atomic<bool> fail_http{false};

  private:
    static json::value answer(const json::object& req) {
        json::object out{{"jsonrpc", "2.0"}, {"id", req.at("id")}};
        const std::string raw(req.at("params").as_array().at(0).as_string());
        const auto error = [&](std::int64_t code, const char* message) {
            out["error"] = {{"code", code}, {"message", message}};
        };
        if (raw.starts_with("0x01")) {
            out["result"] = "0x" + std::string(64, 'a');
        } else if (raw.starts_with("0x02")) {
            error(-32000, "already known");
        } else if (raw.starts_with("0x03")) {
            error(-32000, "nonce too low");
        } else if (raw.starts_with("0x04")) {
            error(-32000, "replacement transaction underpriced");
        } else if (raw.starts_with("0x05")) {
            error(-32000, "insufficient funds for gas * price + value");
        } else {
            error(-32005, "rate limited");
        }
        return out;
    }
    net::HttpResponse handle(const net::ServerRequest& r) {
        if (fail_http) return net::HttpResponse::text(503, "upstream unavailable");
        auto body = json::parse(r.body);
        json::array out;
        for (const auto& one : body.as_array()) out.push_back(answer(one.as_object()));
        {
            std::lock_guard lock(mu_);
            sizes_.push_back(out.size());
        }
        return net::HttpResponse::json(200, json::serialize(out));
    }
    std::mutex mu_;
    std::vector<std::size_t> sizes_;
    net::HttpServer server_{net::HttpServerOptions{.threads = 1}};
};

JsonRpcOptions no_retry(std::string url) {
    return JsonRpcOptions{.url = std::move(url), .timeout = 2s, .retry = RetryPolicy{.max_attempts = 1}};
}

struct Seen {
    std::size_t index;
    SendVerdict verdict;
    bool has_error;
};

TEST(Broadcaster, SendsInOrderInBatchesAndClassifiesEveryAnswer) {
    SendStub stub;
    JsonRpcClient rpc(no_retry(stub.url()));
    Broadcaster broadcaster(rpc, 2);
    const std::vector<Bytes> raw = {{0x01}, {0x02}, {0x03}, {0x04}, {0x05}};
    const std::vector<ByteView> raws(raw.begin(), raw.end());
    std::vector<Seen> seen;
    const auto report = broadcaster.send(raws, [&](std::size_t i, SendVerdict v, const RpcError* e) {
        seen.push_back({i, v, e != nullptr});
    });
    EXPECT_EQ(report.batches, 3u);
    EXPECT_EQ(report.unsent_from, 5u);
    EXPECT_FALSE(report.exchange_error);
    EXPECT_EQ(stub.batch_sizes(), (std::vector<std::size_t>{2, 2, 1}));
    ASSERT_EQ(seen.size(), 5u);
    const SendVerdict expected[] = {SendVerdict::kAccepted, SendVerdict::kKnown, SendVerdict::kNonceTooLow,
                                    SendVerdict::kUnderpriced, SendVerdict::kRejected};
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].index, i);
        EXPECT_EQ(seen[i].verdict, expected[i]) << to_string(seen[i].verdict);
        EXPECT_EQ(seen[i].has_error, i != 0);
    }
}

TEST(Broadcaster, RateLimitedAnswerEndsTheRoundAfterItsBatch) {
    SendStub stub;
    JsonRpcClient rpc(no_retry(stub.url()));
    Broadcaster broadcaster(rpc, 3);
    const std::vector<Bytes> raw = {{0x06}, {0x01}, {0x05}, {0x01}, {0x01}};
    const std::vector<ByteView> raws(raw.begin(), raw.end());
    std::vector<Seen> seen;
    const auto report = broadcaster.send(raws, [&](std::size_t i, SendVerdict v, const RpcError* e) {
        seen.push_back({i, v, e != nullptr});
    });
    EXPECT_EQ(report.batches, 1u);
    EXPECT_EQ(report.unsent_from, 3u);  // the rest of the batch was answered; the next batch was not sent
    EXPECT_FALSE(report.exchange_error);
    EXPECT_EQ(stub.batch_sizes(), (std::vector<std::size_t>{3}));
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].verdict, SendVerdict::kTransport);
    EXPECT_EQ(seen[1].verdict, SendVerdict::kAccepted);
    EXPECT_EQ(seen[2].verdict, SendVerdict::kRejected);
}

TEST(Broadcaster, FailedExchangeLeavesItsBatchAndTheRestUnsent) {
    SendStub stub;
    stub.fail_http = true;
    JsonRpcClient rpc(no_retry(stub.url()));
    Broadcaster broadcaster(rpc, 0);  // 0 counts as 1
    const std::vector<Bytes> raw = {{0x01}, {0x01}};
    const std::vector<ByteView> raws(raw.begin(), raw.end());
    std::size_t answers = 0;
    const auto report = broadcaster.send(raws, [&](std::size_t, SendVerdict, const RpcError*) { ++answers; });
    EXPECT_EQ(answers, 0u);
    EXPECT_EQ(report.batches, 1u);
    EXPECT_EQ(report.unsent_from, 0u);
    ASSERT_TRUE(report.exchange_error);
    EXPECT_EQ(report.exchange_error->http_status, 503u);
}

TEST(Broadcaster, NothingToSend) {
    SendStub stub;
    JsonRpcClient rpc(no_retry(stub.url()));
    Broadcaster broadcaster(rpc, 10);
    const auto report = broadcaster.send({}, [](std::size_t, SendVerdict, const RpcError*) { FAIL(); });
    EXPECT_EQ(report.batches, 0u);
    EXPECT_EQ(report.unsent_from, 0u);
    EXPECT_TRUE(stub.batch_sizes().empty());
}

}  // namespace
}  // namespace wp::chain
