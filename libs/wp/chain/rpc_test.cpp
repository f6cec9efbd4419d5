#include <gtest/gtest.h>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/chain/rpc.hpp>
#include <wp/chain/rpc_metrics.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>
#include <wp/net/http_server.hpp>
#include <wp/sys/tcp.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// A JSON-RPC stub: answers eth_chainId, echo, revert; can fail the first N HTTP requests with a status.
class RpcStub {
  public:
    RpcStub() {
        server_.route("POST", "/", [this](const net::ServerRequest& r) { return handle(r); });
        EXPECT_TRUE(server_.start());
    }
    std::string url() const { return server_.base_url() + "/"; }

    std::atomic<int> http_requests{0};
    std::atomic<int> fail_next{0};
    std::atomic<unsigned> fail_status{503};
    std::atomic<bool> reverse_batch{false};
    std::atomic<bool> drop_last_batch_answer{false};
    std::atomic<bool> wrong_id{false};
    std::atomic<std::size_t> pad_bytes{0};
    //! The next N exchanges are answered with HTTP `status` and, for every call, this JSON-RPC error object.
    void fail_with_rpc_error(int n, unsigned status, std::int64_t code, std::string message) {
        std::lock_guard lock(mu_);
        rpc_fail_ = RpcFailure{n, status, code, std::move(message)};
    }
    net::HttpServer server_{net::HttpServerOptions{.threads = 2}};

  private:
    struct RpcFailure {
        int remaining;
        unsigned status;
        std::int64_t code;
        std::string message;
    };
    std::mutex mu_;
    std::optional<RpcFailure> rpc_fail_;

    std::optional<net::HttpResponse> rpc_failure(const json::value& body) {
        std::lock_guard lock(mu_);
        if (!rpc_fail_ || rpc_fail_->remaining <= 0) return std::nullopt;
        --rpc_fail_->remaining;
        auto one = [&](const json::value& req) {
            return json::object{{"jsonrpc", "2.0"},
                                {"id", req.as_object().at("id")},
                                {"error", {{"code", rpc_fail_->code}, {"message", rpc_fail_->message}}}};
        };
        if (const auto* arr = body.if_array()) {
            json::array out;
            for (const auto& r : *arr) out.push_back(one(r));
            return net::HttpResponse::json(rpc_fail_->status, json::serialize(out));
        }
        return net::HttpResponse::json(rpc_fail_->status, json::serialize(one(body)));
    }

    json::value answer(const json::object& req) {
        json::object out;
        out["jsonrpc"] = "2.0";
        out["id"] = wrong_id ? json::value(999999) : req.at("id");
        const auto method = req.at("method").as_string();
        if (method == "eth_chainId") {
            out["result"] = "0x7a69";
        } else if (method == "echo") {
            out["result"] = req.at("params");
        } else if (method == "big") {
            out["result"] = std::string(pad_bytes.load(), 'x');
        } else if (method == "revert") {
            out["error"] = {{"code", 3},
                            {"message", "execution reverted: iExecV5-matchOrders-0x60"},
                            {"data",
                             "0x08c379a0"
                             "0000000000000000000000000000000000000000000000000000000000000020"
                             "0000000000000000000000000000000000000000000000000000000000000018"
                             "694578656356352d6d617463684f72646572732d307836300000000000000000"}};
        } else {
            out["error"] = {{"code", -32601}, {"message", "Method not found"}};
        }
        return out;
    }

    net::HttpResponse handle(const net::ServerRequest& r) {
        ++http_requests;
        if (fail_next > 0) {
            --fail_next;
            return net::HttpResponse::text(fail_status, "upstream unavailable");
        }
        std::error_code ec;
        auto body = json::parse(r.body, ec);
        if (ec)
            return net::HttpResponse::json(
                200, R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
        if (auto failure = rpc_failure(body)) return std::move(*failure);
        if (auto* arr = body.if_array()) {
            json::array out;
            for (auto& one : *arr) out.push_back(answer(one.as_object()));
            if (reverse_batch) std::reverse(out.begin(), out.end());
            if (drop_last_batch_answer) out.pop_back();
            return net::HttpResponse::json(200, json::serialize(out));
        }
        return net::HttpResponse::json(200, json::serialize(answer(body.as_object())));
    }
};

JsonRpcOptions fast_retry(std::string url) {
    return JsonRpcOptions{.url = std::move(url),
                          .timeout = 2s,
                          .retry = RetryPolicy{.max_attempts = 4, .initial_backoff = 10ms, .max_backoff = 40ms}};
}

TEST(JsonRpc, CallAndKeepAlive) {
    RpcStub stub;
    JsonRpcClient rpc(fast_retry(stub.url()));
    for (int i = 0; i < 5; ++i) {
        auto r = rpc.call("eth_chainId");
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->as_string(), "0x7a69");
    }
    auto echo = rpc.call("echo", {1, "two", json::array{3}});
    ASSERT_TRUE(echo);
    EXPECT_EQ(json::serialize(*echo), R"([1,"two",[3]])");
    EXPECT_EQ(stub.server_.connections_accepted(), 1u);
}

TEST(JsonRpc, ErrorObjectIsTypedAndNotRetried) {
    RpcStub stub;
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto r = rpc.call("revert");
    ASSERT_FALSE(r);
    const RpcError& e = r.error();
    EXPECT_TRUE(e.is_rpc_error());
    EXPECT_EQ(e.kind, Errc::kRemote);
    EXPECT_EQ(e.code, 3);
    EXPECT_EQ(e.rpc_message, "execution reverted: iExecV5-matchOrders-0x60");
    ASSERT_TRUE(e.revert_data());
    EXPECT_EQ(to_hex(*e.revert_data()).substr(0, 10), "0x08c379a0");
    EXPECT_EQ(e.attempts, 1u);
    EXPECT_EQ(e.message.rfind("revert: JSON-RPC error 3: execution reverted", 0), 0u) << e.message;
    EXPECT_EQ(stub.http_requests.load(), 1);
    // Converts to wp::Error for WP_TRY.
    Error plain = e;
    EXPECT_EQ(plain.code, Errc::kRemote);

    auto missing = rpc.call("nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, -32601);
    EXPECT_FALSE(missing.error().revert_data());
}

TEST(JsonRpc, RetriesHttp5xxThenSucceeds) {
    RpcStub stub;
    stub.fail_next = 2;
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto r = rpc.call("eth_chainId");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->as_string(), "0x7a69");
    EXPECT_EQ(stub.http_requests.load(), 3);
}

TEST(JsonRpc, CountsCallsByMethodRequestsAndBatches) {
    RpcStub stub;
    stub.fail_next = 1;  // the first exchange is retried once: two requests, one call
    JsonRpcClient rpc(fast_retry(stub.url()));
    const RpcCounts before = process_rpc_counts();  // the process's: the other tests' calls came before
    ASSERT_TRUE(rpc.call("eth_chainId"));
    ASSERT_TRUE(rpc.call("echo", {1}));
    auto b = rpc.batch({RpcCall{"echo", {2}}, RpcCall{"eth_chainId"}, RpcCall{"echo", {3}}});
    ASSERT_TRUE(b);
    ASSERT_TRUE(rpc.batch({}));  // no request
    const RpcCounts c = process_rpc_counts();
    const auto calls = [&](const RpcCounts& r, const char* m) {
        auto it = r.calls.find(m);
        return it == r.calls.end() ? std::uint64_t{0} : it->second;
    };
    EXPECT_EQ(c.requests - before.requests, 4u);
    EXPECT_EQ(static_cast<int>(c.requests - before.requests), stub.http_requests.load());
    EXPECT_EQ(c.batches - before.batches, 1u);
    EXPECT_EQ(calls(c, "eth_chainId") - calls(before, "eth_chainId"), 2u);
    EXPECT_EQ(calls(c, "echo") - calls(before, "echo"), 3u);
    EXPECT_EQ(c.total_calls() - before.total_calls(), 5u);
}

TEST(JsonRpc, Retries429AndGivesUpAfterMaxAttempts) {
    RpcStub stub;
    stub.fail_status = 429;
    stub.fail_next = 100;
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto r = rpc.call("eth_chainId");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Errc::kNetwork);
    EXPECT_EQ(r.error().http_status, 429u);
    EXPECT_EQ(r.error().attempts, 4u);
    EXPECT_NE(r.error().message.find("after 4 attempts"), std::string::npos) << r.error().message;
    EXPECT_EQ(stub.http_requests.load(), 4);
}

// A provider's HTTP 429 whose body is a JSON-RPC error object: retried like any 429, and when the retries are
// exhausted the caller gets the JSON-RPC error WITH the status, which classify_rpc_error calls a rate limit.
TEST(JsonRpc, Http429WithJsonRpcErrorBodyIsARetriedRateLimit) {
    RpcStub stub;
    stub.fail_with_rpc_error(100, 429, -32000, "your plan does not allow this");
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto r = rpc.call("eth_chainId");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Errc::kRemote);
    EXPECT_EQ(r.error().code, -32000);
    EXPECT_EQ(r.error().http_status, 429u);
    EXPECT_EQ(r.error().attempts, 4u);
    EXPECT_EQ(stub.http_requests.load(), 4);
    EXPECT_EQ(classify_rpc_error(r.error()), RpcErrorClass::kRateLimited);

    // Once the provider lets us through again, the retries absorb it.
    stub.http_requests = 0;
    stub.fail_with_rpc_error(2, 429, -32000, "your plan does not allow this");
    auto ok = rpc.call("eth_chainId");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(stub.http_requests.load(), 3);
}

TEST(JsonRpc, RateLimitErrorObjectUnder200IsRetried) {
    RpcStub stub;
    stub.fail_with_rpc_error(1, 200, -32005, "project ID request rate exceeded");
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto ok = rpc.call("eth_chainId");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(stub.http_requests.load(), 2);

    // With retries disabled the error reaches the caller, without an HTTP status (it came with 200).
    JsonRpcOptions once = fast_retry(stub.url());
    once.retry.max_attempts = 1;
    JsonRpcClient single(once);
    stub.fail_with_rpc_error(1, 200, -32005, "project ID request rate exceeded");
    auto limited = single.call("eth_chainId");
    ASSERT_FALSE(limited);
    EXPECT_FALSE(limited.error().http_status);
    EXPECT_EQ(classify_rpc_error(limited.error()), RpcErrorClass::kRateLimited);
}

TEST(JsonRpc, RejectedErrorObjectUnder500IsNotRetriedAndKeepsTheStatus) {
    RpcStub stub;
    stub.fail_with_rpc_error(100, 500, -32602, "invalid argument 0: hex string without 0x prefix");
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto r = rpc.call("eth_chainId");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, -32602);
    EXPECT_EQ(r.error().http_status, 500u);
    EXPECT_EQ(stub.http_requests.load(), 1);
    EXPECT_EQ(classify_rpc_error(r.error()), RpcErrorClass::kRejected);

    // 503 from a gateway: transient, retried.
    stub.http_requests = 0;
    stub.fail_with_rpc_error(1, 503, -32603, "upstream connect error");
    auto ok = rpc.call("eth_chainId");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(stub.http_requests.load(), 2);
}

TEST(JsonRpc, BatchUnder429IsRetriedAndItsErrorsKeepTheStatus) {
    RpcStub stub;
    stub.fail_with_rpc_error(1, 429, -32000, "slow down");
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto ok = rpc.batch({{"echo", {1}}, {"eth_chainId", {}}});
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_TRUE((*ok)[0]);
    EXPECT_TRUE((*ok)[1]);
    EXPECT_EQ(stub.http_requests.load(), 2);

    stub.http_requests = 0;
    stub.fail_with_rpc_error(100, 429, -32000, "slow down");
    auto limited = rpc.batch({{"echo", {1}}, {"eth_chainId", {}}});
    ASSERT_TRUE(limited) << limited.error().message;
    ASSERT_FALSE((*limited)[0]);
    EXPECT_EQ((*limited)[0].error().http_status, 429u);
    EXPECT_EQ(classify_rpc_error((*limited)[1].error()), RpcErrorClass::kRateLimited);
    EXPECT_EQ(stub.http_requests.load(), 4);
}

RpcError remote(std::int64_t code, std::string message, std::optional<unsigned> status = std::nullopt) {
    RpcError e;
    e.kind = Errc::kRemote;
    e.code = code;
    e.rpc_message = std::move(message);
    e.http_status = status;
    return e;
}

RpcError transport(Errc kind, std::optional<unsigned> status = std::nullopt) {
    RpcError e;
    e.kind = kind;
    e.http_status = status;
    return e;
}

TEST(RpcErrorClassify, EveryRule) {
    using C = RpcErrorClass;
    // 1. HTTP 429, whatever the body.
    EXPECT_EQ(classify_rpc_error(transport(Errc::kNetwork, 429)), C::kRateLimited);
    EXPECT_EQ(classify_rpc_error(remote(-32000, "insufficient funds", 429)), C::kRateLimited);
    // 2. Transport.
    EXPECT_EQ(classify_rpc_error(transport(Errc::kNetwork)), C::kTransient);
    EXPECT_EQ(classify_rpc_error(transport(Errc::kTimeout)), C::kTransient);
    EXPECT_EQ(classify_rpc_error(transport(Errc::kNetwork, 503)), C::kTransient);
    EXPECT_EQ(classify_rpc_error(transport(Errc::kNetwork, 500)), C::kTransient);
    EXPECT_EQ(classify_rpc_error(transport(Errc::kNetwork, 408)), C::kTransient);
    EXPECT_EQ(classify_rpc_error(transport(Errc::kNetwork, 404)), C::kRejected);
    EXPECT_EQ(classify_rpc_error(transport(Errc::kNetwork, 401)), C::kRejected);
    // 3, 4. Size limit, malformed answers, misuse.
    EXPECT_EQ(classify_rpc_error(transport(Errc::kTooLarge)), C::kRangeTooLarge);
    EXPECT_EQ(classify_rpc_error(transport(Errc::kDecoding)), C::kRejected);
    EXPECT_EQ(classify_rpc_error(transport(Errc::kInvalidArgument)), C::kRejected);
    // 5. Reverts, whatever their reason says.
    EXPECT_EQ(classify_rpc_error(remote(3, "execution reverted: rate limit exceeded")), C::kRejected);
    EXPECT_EQ(classify_rpc_error(remote(-32000, "execution reverted: too many tasks")), C::kRejected);
    // 6. Rate limits.
    for (const char* m : {"project ID request rate exceeded", "daily request count exceeded, request rate limited",
                          "Too Many Requests", "Rate limit exceeded", "request limit reached", "call quota exceeded",
                          "Your app has exceeded its compute units per second capacity"}) {
        EXPECT_EQ(classify_rpc_error(remote(-32005, m)), C::kRateLimited) << m;
        EXPECT_EQ(classify_rpc_error(remote(-32000, m)), C::kRateLimited) << m;
    }
    EXPECT_EQ(classify_rpc_error(remote(429, "whatever")), C::kRateLimited);
    // 7. Gateways.
    EXPECT_EQ(classify_rpc_error(remote(-32603, "internal error", 502)), C::kTransient);
    EXPECT_EQ(classify_rpc_error(remote(-32603, "internal error", 500)), C::kRejected);
    // 8. Ranges.
    for (const char* m : {"query returned more than 10000 results", "block range is too wide",
                          "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
                          "exceed maximum block range: 50000", "Too Many Logs", "response too large"}) {
        EXPECT_EQ(classify_rpc_error(remote(-32005, m)), C::kRangeTooLarge) << m;
        EXPECT_EQ(classify_rpc_error(remote(-32602, m)), C::kRangeTooLarge) << m;
    }
    // 9. Bare EIP-1474 "limit exceeded".
    EXPECT_EQ(classify_rpc_error(remote(-32005, "limit exceeded")), C::kRateLimited);
    EXPECT_EQ(classify_rpc_error(remote(-32005, "whatever")), C::kRateLimited);
    EXPECT_EQ(classify_rpc_error(remote(-32000, "limit exceeded")), C::kRateLimited);
    // 10. Everything else.
    for (const char* m : {"nonce too low", "insufficient funds for gas * price + value", "already known",
                          "replacement transaction underpriced", "header not found", "intrinsic gas too low",
                          "exceeds block gas limit", "gas required exceeds allowance (30000000)", "Method not found"}) {
        EXPECT_EQ(classify_rpc_error(remote(-32000, m)), C::kRejected) << m;
    }
    EXPECT_STREQ(to_string(C::kRateLimited), "rate-limited");
}

TEST(JsonRpc, Http404IsNotRetried) {
    RpcStub stub;
    JsonRpcClient rpc(fast_retry(stub.server_.base_url() + "/wrong-path"));
    auto r = rpc.call("eth_chainId");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().http_status, 404u);
    EXPECT_EQ(r.error().attempts, 1u);
}

TEST(JsonRpc, RetriesConnectionRefusedThenSucceedsWhenServerComesUp) {
    auto port = sys::find_free_tcp_port();
    ASSERT_TRUE(port);
    JsonRpcOptions options = fast_retry("http://127.0.0.1:" + std::to_string(*port) + "/");
    options.retry = RetryPolicy{.max_attempts = 20, .initial_backoff = 20ms, .max_backoff = 50ms};
    JsonRpcClient rpc(options);
    auto pending = rpc.call_future("eth_chainId");
    std::this_thread::sleep_for(100ms);
    net::HttpServer server(net::HttpServerOptions{.port = *port});
    server.route("POST", "/", [](const net::ServerRequest&) {
        return net::HttpResponse::json(200, R"({"jsonrpc":"2.0","id":1,"result":"0x1"})");
    });
    ASSERT_TRUE(server.start());
    auto r = pending.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->as_string(), "0x1");
}

TEST(JsonRpc, ConnectionRefusedExhaustsRetries) {
    auto port = sys::find_free_tcp_port();
    ASSERT_TRUE(port);
    JsonRpcClient rpc(fast_retry("http://127.0.0.1:" + std::to_string(*port) + "/"));
    auto r = rpc.call("eth_chainId");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Errc::kNetwork);
    EXPECT_EQ(r.error().attempts, 4u);
    EXPECT_FALSE(r.error().http_status);
}

TEST(JsonRpc, IdMismatchIsADecodingError) {
    RpcStub stub;
    stub.wrong_id = true;
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto r = rpc.call("eth_chainId");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Errc::kDecoding);
    EXPECT_NE(r.error().message.find("id does not match"), std::string::npos);
    EXPECT_EQ(stub.http_requests.load(), 1);
}

TEST(JsonRpc, BatchMatchesIdsInAnyOrder) {
    RpcStub stub;
    stub.reverse_batch = true;
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto r = rpc.batch({{"echo", {0}}, {"eth_chainId", {}}, {"revert", {}}, {"echo", {3}}});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 4u);
    EXPECT_EQ(json::serialize((*r)[0].value()), "[0]");
    EXPECT_EQ((*r)[1].value().as_string(), "0x7a69");
    ASSERT_FALSE((*r)[2]);
    EXPECT_EQ((*r)[2].error().code, 3);
    EXPECT_EQ(json::serialize((*r)[3].value()), "[3]");
    EXPECT_EQ(stub.http_requests.load(), 1);

    EXPECT_TRUE(rpc.batch({})->empty());
    EXPECT_EQ(stub.http_requests.load(), 1);
}

TEST(JsonRpc, BatchMissingAnswerAndUnknownIds) {
    RpcStub stub;
    stub.drop_last_batch_answer = true;
    JsonRpcClient rpc(fast_retry(stub.url()));
    auto r = rpc.batch({{"echo", {0}}, {"echo", {1}}});
    ASSERT_TRUE(r);
    EXPECT_TRUE((*r)[0]);
    ASSERT_FALSE((*r)[1]);
    EXPECT_EQ((*r)[1].error().kind, Errc::kDecoding);
    EXPECT_NE((*r)[1].error().message.find("no answer for id"), std::string::npos);

    stub.drop_last_batch_answer = false;
    stub.wrong_id = true;
    auto bad = rpc.batch({{"echo", {0}}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, Errc::kDecoding);
}

TEST(JsonRpc, ResponseSizeLimit) {
    RpcStub stub;
    stub.pad_bytes = 10000;
    JsonRpcOptions options = fast_retry(stub.url());
    options.max_response_bytes = 4096;
    JsonRpcClient rpc(options);
    auto r = rpc.call("big");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Errc::kTooLarge);
    EXPECT_EQ(stub.http_requests.load(), 1);  // not retried
}

TEST(JsonRpc, AsyncCallsInFlightAndSharedHttpClient) {
    RpcStub stub;
    auto http = std::make_shared<net::HttpClient>();
    JsonRpcClient a(fast_retry(stub.url()), http);
    JsonRpcClient b(fast_retry(stub.url()), http);
    std::vector<std::future<RpcResult<json::value>>> futures;
    for (int i = 0; i < 10; ++i) futures.push_back((i % 2 == 0 ? a : b).call_future("echo", {i}));
    for (int i = 0; i < 10; ++i) {
        auto r = futures[static_cast<std::size_t>(i)].get();
        ASSERT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->as_array()[0].as_int64(), i);
    }
}

TEST(JsonRpc, ClientDestroyedWhileCallsPending) {
    RpcStub stub;
    stub.fail_next = 1000;
    std::promise<RpcResult<json::value>> result;
    {
        JsonRpcClient rpc(
            JsonRpcOptions{.url = stub.url(), .retry = RetryPolicy{.max_attempts = 100, .initial_backoff = 50ms}});
        rpc.async_call("eth_chainId", {}, [&](RpcResult<json::value> r) { result.set_value(std::move(r)); });
        std::this_thread::sleep_for(20ms);
    }
    auto r = result.get_future().get();
    ASSERT_FALSE(r);
}

TEST(JsonRpc, ParseResponseStrictness) {
    auto parse = [](std::string_view text, std::uint64_t id) { return parse_rpc_response(json::parse(text), id, "m"); };
    EXPECT_TRUE(parse(R"({"jsonrpc":"2.0","id":7,"result":null})", 7));
    EXPECT_EQ(parse(R"({"id":7,"result":1})", 7).error().kind, Errc::kDecoding);
    EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":7,"result":1,"error":{"code":1,"message":"x"}})", 7).error().kind,
              Errc::kDecoding);
    EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":7})", 7).error().kind, Errc::kDecoding);
    EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":7,"error":{"code":"x","message":"m"}})", 7).error().kind, Errc::kDecoding);
    auto e = parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})", 7);
    EXPECT_EQ(e.error().kind, Errc::kRemote);
    EXPECT_EQ(e.error().code, -32700);
    // Nested revert data (some nodes wrap it).
    auto nested =
        parse(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"m","data":{"data":"0x1234"}}})", 7);
    EXPECT_EQ(to_hex(nested.error().revert_data().value()), "0x1234");
}

}  // namespace
}  // namespace wp::chain
