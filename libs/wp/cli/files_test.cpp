// The project files: JSON.stringify layout, the SDK's chain.json messages, deployed.json and orders.json.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "files.hpp"

namespace wp::cli {
namespace {

namespace json = boost::json;

TEST(Files, StringifyIsJsonStringifyWithTwoSpaces) {
    const json::value v = json::parse(R"({"a":{},"b":[],"c":[1,"x",{"d":true}],"e":null})");
    EXPECT_EQ(json_stringify(v),
              "{\n  \"a\": {},\n  \"b\": [],\n  \"c\": [\n    1,\n    \"x\",\n    {\n      \"d\": true\n"
              "    }\n  ],\n  \"e\": null\n}");
}

TEST(Files, DefaultFilesAreTheSdkOnes) {
    // Byte for byte what `iexec init --skip-wallet` of the SDK 9.0.1 writes (also checked against the SDK itself in
    // tests/cli/sdk_cli_golden.sh).
    EXPECT_EQ(chain_json_text(chain::default_chains_file()),
              "{\n  \"default\": \"arbitrum-sepolia-testnet\",\n  \"chains\": {\n    \"arbitrum-mainnet\": {},\n"
              "    \"arbitrum-sepolia-testnet\": {}\n  }\n}");
    EXPECT_EQ(json_stringify(default_iexec_json()).substr(0, 19), "{\n  \"description\": ");
}

TEST(Files, ChainJsonMessagesAreTheSdkOnes) {
    auto unknown = parse_chain_json(R"({"chains":{"dev":{"id":"1","resultProxy":"x"}}})");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message, "ValidationError: Unknown key \"resultProxy\" in chain.json");
    auto top = parse_chain_json(R"({"providers":{},"chains":{}})");
    ASSERT_FALSE(top);
    EXPECT_EQ(top.error().message, "ValidationError: Unknown key \"providers\" in chain.json");
    auto numeric = parse_chain_json(R"({"chains":{"dev":{"id":65535}}})");
    ASSERT_FALSE(numeric);
    EXPECT_EQ(numeric.error().message,
              "ValidationError: id must be a `string` type, but the final value was: `65535`. in chain.json");
    auto syntax = parse_chain_json("{\n  \"chains\": {\n");
    ASSERT_FALSE(syntax);
    EXPECT_EQ(syntax.error().message.rfind("SyntaxError: ", 0), 0u) << syntax.error().message;
    EXPECT_NE(syntax.error().message.find(" in chain.json"), std::string::npos);
    auto trailing = parse_chain_json(R"({"chains":{}} x)");
    ASSERT_FALSE(trailing);
    EXPECT_NE(trailing.error().message.find("at line 1, column 15"), std::string::npos) << trailing.error().message;
    auto ok = parse_chain_json(R"({"default":"dev","chains":{"dev":{"id":"31337","host":"http://h"}}})");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->chains.at(0).second.id, 31337u);
}

TEST(Files, IexecJsonMustBeAnObject) {
    EXPECT_TRUE(parse_iexec_json("{}"));
    EXPECT_EQ(parse_iexec_json("[]").error().message, "iexec.json must contain a JSON object");
    EXPECT_EQ(parse_iexec_json("{\"a\":").error().message.rfind("SyntaxError: ", 0), 0u);
}

TEST(Files, DeployedJsonRoundTripAndStrictness) {
    auto file = parse_deployed_json(
        R"({"workerpool":{"31337":"0x51e3e581b187c0e0edd30b00af16d5573f0a64a7"},"app":{"1":"0xbD014dE0Fd7875287e002298EBe33C54d4c0CDf0"}})");
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ(file->find(ResourceKind::kWorkerpool, 31337)->to_checksum(),
              "0x51E3e581b187c0E0eDD30B00aF16D5573F0a64a7");
    EXPECT_FALSE(file->find(ResourceKind::kWorkerpool, 1));
    EXPECT_FALSE(file->find(ResourceKind::kDataset, 1));
    // Rewritten in file order, the new entry appended and checksummed (what the SDK writes).
    file->set(ResourceKind::kDataset, 5, *Address::parse("0x51e3e581b187c0e0edd30b00af16d5573f0a64a7"));
    EXPECT_EQ(deployed_json_text(*file),
              "{\n  \"workerpool\": {\n    \"31337\": \"0x51e3e581b187c0e0edd30b00af16d5573f0a64a7\"\n  },\n  \"app\": "
              "{\n    \"1\": \"0xbD014dE0Fd7875287e002298EBe33C54d4c0CDf0\"\n  },\n  \"dataset\": {\n    \"5\": "
              "\"0x51E3e581b187c0E0eDD30B00aF16D5573F0a64a7\"\n  }\n}");
    EXPECT_EQ(parse_deployed_json(R"({"foo":{}})").error().message,
              "ValidationError: Unknown key \"foo\" in deployed.json");
    EXPECT_EQ(parse_deployed_json(R"({"app":{"x1":"0x51e3e581b187c0e0edd30b00af16d5573f0a64a7"}})").error().message,
              "deployed.json: app: x1 is not a valid chainId");
    EXPECT_FALSE(parse_deployed_json(R"({"app":{"1":"0x1234"}})"));
    EXPECT_FALSE(parse_deployed_json(R"({"app":{"1":5}})"));
    EXPECT_FALSE(parse_deployed_json(R"({"app":[]})"));
}

TEST(Files, OrdersJsonSlots) {
    auto file = parse_orders_json(R"({"31337":{"workerpoolorder":{"workerpool":"0x1"}}})");
    ASSERT_TRUE(file);
    // A malformed slot fails the command that reads it, naming the chain and the order.
    auto bad = file->find(OrderKind::kWorkerpool, 31337);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message.rfind("orders.json: 31337: workerpoolorder", 0), 0u) << bad.error().message;
    EXPECT_FALSE(*file->find(OrderKind::kApp, 31337));
    EXPECT_FALSE(*file->find(OrderKind::kWorkerpool, 1));
    WorkerpoolOrder order;
    order.volume = U256(3);
    file->set(31337, Order{order});
    auto back = file->find(OrderKind::kWorkerpool, 31337);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_TRUE(back->has_value());
    EXPECT_EQ(std::get<WorkerpoolOrder>(**back).volume, U256(3));
    EXPECT_EQ(parse_orders_json("[]").error().message, "orders.json must contain a JSON object");
    EXPECT_FALSE(parse_orders_json(R"({"1":[]})"));
}

}  // namespace
}  // namespace wp::cli
