// Client overhead per JSON-RPC call, as ratios against a baseline measured in the same run:
//
//   baseline/http_post_roundtrip   one keep-alive HTTP POST of a prepared JSON-RPC body to an in-process server
//                                  that answers with a prepared body (no JSON work on the client side)
//   rpc/call_block_number          JsonRpcClient::call: build the request, POST, parse and check the response
//   rpc/eth_block_number           EthClient::block_number: the same plus the typed QUANTITY parse
//   rpc/batch_block_number/N       one batch of N calls; time per call (items/s)
//   rpc/parse_receipt              EthClient's strict receipt parser on a 4-log receipt (no network)
//
// call / baseline is the cost our client adds to a round trip; the server is the same in-process HttpServer for
// all of them, so its cost cancels out of the ratio.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include <memory>
#include <string>

#include <wp/chain/eth.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/net/http_client.hpp>
#include <wp/net/http_server.hpp>

namespace {

using namespace wp;

//! Answers eth_blockNumber (single or batch) with "0x10", echoing the ids.
net::HttpResponse answer(const net::ServerRequest& request) {
    boost::system::error_code ec;
    auto body = boost::json::parse(request.body, ec);
    auto one = [](const boost::json::value& call) {
        boost::json::object r;
        r["jsonrpc"] = "2.0";
        r["id"] = call.as_object().at("id");
        r["result"] = "0x10";
        return r;
    };
    if (ec) return net::HttpResponse::json(400, "{}");
    if (body.is_array()) {
        boost::json::array out;
        for (const auto& call : body.as_array()) out.push_back(one(call));
        return net::HttpResponse::json(200, boost::json::serialize(out));
    }
    return net::HttpResponse::json(200, boost::json::serialize(one(body)));
}

struct Server {
    net::HttpServer server;
    Server() {
        server.route("POST", "/", answer);
        if (!server.start()) throw std::runtime_error("rpc_benchmark: cannot start the server");
    }
};

Server& server() {
    static Server s;
    return s;
}

void bm_http_post_roundtrip(benchmark::State& state) {
    net::HttpClient http;
    const std::string url = server().server.base_url() + "/";
    const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})";
    for (auto _ : state) {
        auto r = http.post(url, body);
        if (!r || r->status != 200) state.SkipWithError("post failed");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(bm_http_post_roundtrip)->Name("baseline/http_post_roundtrip")->UseRealTime();

void bm_rpc_call(benchmark::State& state) {
    chain::JsonRpcClient rpc({.url = server().server.base_url() + "/"});
    for (auto _ : state) {
        auto r = rpc.call("eth_blockNumber");
        if (!r) state.SkipWithError("call failed");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(bm_rpc_call)->Name("rpc/call_block_number")->UseRealTime();

void bm_eth_block_number(benchmark::State& state) {
    chain::JsonRpcClient rpc({.url = server().server.base_url() + "/"});
    chain::EthClient eth(rpc);
    for (auto _ : state) {
        auto r = eth.block_number();
        if (!r || *r != 16) state.SkipWithError("block_number failed");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(bm_eth_block_number)->Name("rpc/eth_block_number")->UseRealTime();

void bm_rpc_batch(benchmark::State& state) {
    chain::JsonRpcClient rpc({.url = server().server.base_url() + "/"});
    const auto n = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        std::vector<chain::RpcCall> calls(n, chain::RpcCall{"eth_blockNumber", {}});
        auto r = rpc.batch(std::move(calls));
        if (!r || r->size() != n) state.SkipWithError("batch failed");
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(bm_rpc_batch)->Name("rpc/batch_block_number")->Arg(10)->Arg(100)->UseRealTime();

void bm_parse_receipt(benchmark::State& state) {
    const std::string h32 = "0x" + std::string(64, 'a');
    boost::json::object receipt{{"transactionHash", h32},
                                {"transactionIndex", "0x1"},
                                {"blockHash", h32},
                                {"blockNumber", "0x1b4"},
                                {"from", "0x" + std::string(40, '1')},
                                {"to", "0x" + std::string(40, '2')},
                                {"contractAddress", nullptr},
                                {"gasUsed", "0x5208"},
                                {"cumulativeGasUsed", "0x5208"},
                                {"effectiveGasPrice", "0x3b9aca00"},
                                {"status", "0x1"},
                                {"type", "0x2"}};
    boost::json::array logs;
    for (int i = 0; i < 4; ++i)
        logs.push_back(boost::json::object{{"address", "0x" + std::string(40, '3')},
                                           {"topics", boost::json::array{h32, h32, h32}},
                                           {"data", "0x" + std::string(128, '0')},
                                           {"blockNumber", "0x1b4"},
                                           {"blockHash", h32},
                                           {"transactionHash", h32},
                                           {"transactionIndex", "0x1"},
                                           {"logIndex", "0x" + std::to_string(i)},
                                           {"removed", false}});
    receipt["logs"] = std::move(logs);
    const boost::json::value v(std::move(receipt));
    for (auto _ : state) {
        auto r = chain::parse_receipt(v);
        if (!r) state.SkipWithError("parse_receipt failed");
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(bm_parse_receipt)->Name("rpc/parse_receipt");

}  // namespace
