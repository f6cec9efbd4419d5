#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/revert.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http_server.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;

// A receipt as anvil returns it for an ERC-20 transfer (one Transfer log).
constexpr const char* kReceipt = R"({
  "type":"0x2","status":"0x1","cumulativeGasUsed":"0xca5a","logsBloom":"0x00",
  "logs":[{"address":"0x5fbdb2315678afecb367f032d93f642f64180aa3",
           "topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                     "0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
                     "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"],
           "data":"0x00000000000000000000000000000000000000000000000000000000000003e8",
           "blockHash":"0x6a3c1f1d0f5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829304",
           "blockNumber":"0x2","blockTimestamp":"0x65f0a0b0",
           "transactionHash":"0x8e0a9c0b7f3d1e2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f70",
           "transactionIndex":"0x0","logIndex":"0x0","removed":false}],
  "transactionHash":"0x8e0a9c0b7f3d1e2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f70",
  "transactionIndex":"0x0",
  "blockHash":"0x6a3c1f1d0f5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829304",
  "blockNumber":"0x2","gasUsed":"0xca5a","effectiveGasPrice":"0x3b9aca00",
  "from":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  "to":"0x5fbdb2315678afecb367f032d93f642f64180aa3","contractAddress":null})";

TEST(Eth, ParseReceipt) {
    auto r = parse_receipt(json::parse(kReceipt));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->status);
    EXPECT_EQ(r->type, 2);
    EXPECT_EQ(r->gas_used, 0xca5au);
    EXPECT_EQ(r->block_number, 2u);
    EXPECT_EQ(r->effective_gas_price, U256(1000000000));
    EXPECT_EQ(r->from.to_checksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    EXPECT_EQ(r->to->to_checksum(), "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    EXPECT_FALSE(r->contract_address);
    ASSERT_EQ(r->logs.size(), 1u);
    const Log& log = r->logs[0];
    EXPECT_EQ(to_hex(log.topics[0]), "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    EXPECT_EQ(Address::from_word(log.topics[2]).to_checksum(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    EXPECT_EQ(U256::from_be(log.data).value(), U256(1000));
    EXPECT_EQ(log.block_hash, r->block_hash);
    EXPECT_EQ(log.transaction_hash, r->transaction_hash);
    EXPECT_FALSE(log.removed);
}

TEST(Eth, ParseReceiptErrorsNameTheField) {
    auto bad = [](std::string_view from, std::string_view to) {
        std::string text = kReceipt;
        const auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
        auto r = parse_receipt(json::parse(text));
        EXPECT_FALSE(r);
        return r ? std::string() : r.error().message;
    };
    EXPECT_EQ(bad(R"("status":"0x1")", R"("status":"0x2")"), "receipt.status: must be 0x0 or 0x1");
    EXPECT_NE(bad(R"("gasUsed":"0xca5a")", R"("gasUsed":"ca5a")").find("receipt.gasUsed"), std::string::npos);
    EXPECT_NE(bad(R"("logIndex":"0x0")", R"("logIndex":1)").find("receipt.logs[0].logIndex: expected a JSON string"),
              std::string::npos);
    EXPECT_NE(bad(R"("0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266")",
                  R"("0x00000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266")")
                  .find("receipt.logs[0].topics[1]"),
              std::string::npos);
    EXPECT_EQ(bad(R"("blockNumber":"0x2","gasUsed")", R"("gasUsed")"), "receipt: missing field \"blockNumber\"");
    EXPECT_NE(bad(R"("cumulativeGasUsed":"0xca5a")", R"("cumulativeGasUsed":"0x10000000000000000")")
                  .find("does not fit in 64 bits"),
              std::string::npos);
}

TEST(Eth, ParseBlockHeader) {
    auto h = parse_block_header(
        json::parse(R"({"number":"0x1b4","hash":"0x6a3c1f1d0f5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829304",
        "parentHash":"0x0000000000000000000000000000000000000000000000000000000000000000","timestamp":"0x65f0a0b0",
        "gasLimit":"0x1c9c380","gasUsed":"0x0","baseFeePerGas":"0x3b9aca00","transactions":[]})"));
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(h->number, 436u);
    EXPECT_EQ(h->timestamp, 0x65f0a0b0u);
    EXPECT_EQ(h->gas_limit, 30000000u);
    EXPECT_EQ(h->base_fee_per_gas, U256(1000000000));
    EXPECT_TRUE(h->parent_hash.is_zero());
}

TEST(Eth, QuantitiesAreStrict) {
    EXPECT_EQ(parse_quantity(json::value("0x0"), "q").value(), U256(0));
    EXPECT_FALSE(parse_quantity(json::value("0x"), "q"));
    EXPECT_FALSE(parse_quantity(json::value("12"), "q"));
    EXPECT_FALSE(parse_quantity(json::value(12), "q"));
    EXPECT_FALSE(parse_quantity(json::value("0xg"), "q"));
    EXPECT_EQ(parse_quantity_u64(json::value("0xffffffffffffffff"), "q").value(), ~std::uint64_t{0});
    EXPECT_EQ(parse_quantity_u64(json::value("0x10000000000000000"), "q").error().message,
              "q: quantity does not fit in 64 bits");
}

TEST(Eth, RequestJson) {
    CallRequest call{.from = Address::parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").value(),
                     .to = Address::parse("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").value(),
                     .data = {0xa9, 0x05, 0x9c, 0xbb},
                     .value = U256(1000),
                     .gas = 21000};
    EXPECT_EQ(
        json::serialize(to_json(call)),
        R"({"from":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","to":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8",)"
        R"("gas":"0x5208","value":"0x3e8","data":"0xa9059cbb","input":"0xa9059cbb"})");

    const auto topic = bytes32_from_hex("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef").value();
    LogFilter filter{.from_block = BlockTag::number(1),
                     .to_block = BlockTag::latest(),
                     .addresses = {Address::parse("0x5fbdb2315678afecb367f032d93f642f64180aa3").value()},
                     .topics = {std::vector<Bytes32>{topic}, std::nullopt, std::vector<Bytes32>{topic, topic}}};
    EXPECT_EQ(json::serialize(to_json(filter).value()),
              R"({"fromBlock":"0x1","toBlock":"latest","address":"0x5fbdb2315678afecb367f032d93f642f64180aa3",)"
              R"("topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",null,)"
              R"(["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",)"
              R"("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"]]})");
    filter.block_hash = topic;
    EXPECT_EQ(to_json(filter).error().code, Errc::kInvalidArgument);
}

TEST(Eth, ClientAgainstStub) {
    net::HttpServer server;
    server.route("POST", "/", [](const net::ServerRequest& r) {
        auto req = json::parse(r.body).as_object();
        const auto method = req.at("method").as_string();
        json::object out{{"jsonrpc", "2.0"}, {"id", req.at("id")}};
        if (method == "eth_chainId") out["result"] = "0x7a69";
        else if (method == "eth_getBalance") out["result"] = "0x21e19e0c9bab2400000";
        else if (method == "eth_getTransactionReceipt") out["result"] = json::parse(kReceipt);
        else if (method == "eth_getLogs") out["result"] = json::parse(kReceipt).at("logs");
        else if (method == "eth_call")
            out["error"] = {{"code", 3},
                            {"message", "execution reverted"},
                            {"data", "0x4e487b710000000000000000000000000000000000000000000000000000000000000011"}};
        else if (method == "eth_blockNumber") out["result"] = "12";  // not a QUANTITY
        else out["result"] = nullptr;
        return net::HttpResponse::json(200, json::serialize(out));
    });
    ASSERT_TRUE(server.start());
    JsonRpcClient rpc(JsonRpcOptions{.url = server.base_url()});
    EthClient eth(rpc);
    EXPECT_EQ(eth.chain_id().value(), 31337u);
    EXPECT_EQ(eth.get_balance(Address()).value(), U256::from_dec("10000000000000000000000").value());
    auto receipt = eth.get_transaction_receipt(Bytes32());
    ASSERT_TRUE(receipt && *receipt);
    EXPECT_EQ((*receipt)->logs.size(), 1u);
    auto logs = eth.get_logs(LogFilter{});
    ASSERT_TRUE(logs);
    EXPECT_EQ(logs->size(), 1u);
    auto block = eth.get_block_by_number();
    ASSERT_TRUE(block);
    EXPECT_FALSE(*block);
    auto call = eth.call(CallRequest{});
    ASSERT_FALSE(call);
    EXPECT_EQ(default_revert_decoder().decode(call.error().revert_data().value()).to_string(),
              "panic 0x11: arithmetic overflow or underflow");
    auto bn = eth.block_number();
    ASSERT_FALSE(bn);
    EXPECT_EQ(bn.error().kind, Errc::kDecoding);
    EXPECT_EQ(bn.error().message, "eth_blockNumber: result: missing 0x prefix");
}

}  // namespace
}  // namespace wp::chain
