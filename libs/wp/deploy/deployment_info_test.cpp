#include "deployment_info.hpp"

#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>

namespace wp {
namespace {

DeploymentInfo sample() {
    DeploymentInfo info;
    info.chain_id = 31337;
    info.rpc = "http://127.0.0.1:18545";
    info.hub = Address::parse("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707").value();
    info.token = Address::parse("0x5FbDB2315678afecb367f032d93F642f64180aa3").value();
    info.app_registry = Address::parse("0x67d269191c92Caf3cD7723F116c85e6E9bf55933").value();
    info.dataset_registry = Address::parse("0x84eA74d481Ee0A5332c457a4d796187F6Ba67fEB").value();
    info.workerpool_registry = Address::parse("0x1613beB3B2C4f22Ee086B2b38C1476A3cE7f78E8").value();
    info.accounts.push_back(
        {Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").value(),
         bytes32_from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value()});
    info.accounts.push_back(
        {Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value(),
         bytes32_from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d").value()});
    return info;
}

TEST(DeploymentInfo, JsonShape) {
    EXPECT_EQ(
        boost::json::serialize(to_json(sample())),
        R"({"chainId":31337,"rpc":"http://127.0.0.1:18545",)"
        R"("hub":"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707","token":"0x5FbDB2315678afecb367f032d93F642f64180aa3",)"
        R"("appRegistry":"0x67d269191c92Caf3cD7723F116c85e6E9bf55933",)"
        R"("datasetRegistry":"0x84eA74d481Ee0A5332c457a4d796187F6Ba67fEB",)"
        R"("workerpoolRegistry":"0x1613beB3B2C4f22Ee086B2b38C1476A3cE7f78E8",)"
        R"("accounts":[{"address":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",)"
        R"("privateKey":"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"},)"
        R"({"address":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8",)"
        R"("privateKey":"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"}]})");
}

TEST(DeploymentInfo, TextIsIndentedAndRoundTrips) {
    const std::string text = to_json_text(sample());
    EXPECT_EQ(text.substr(0, 22), "{\n  \"chainId\": 31337,\n");
    EXPECT_NE(text.find("\n  \"accounts\": [\n    {\"address\":"), std::string::npos) << text;
    EXPECT_EQ(text.substr(text.size() - 6), "  ]\n}\n");
    auto back = deployment_info_from_json_text(text);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, sample());

    DeploymentInfo empty = sample();
    empty.accounts.clear();
    auto back2 = deployment_info_from_json_text(to_json_text(empty));
    ASSERT_TRUE(back2) << back2.error().message;
    EXPECT_EQ(*back2, empty);
}

TEST(DeploymentInfo, StrictReader) {
    const auto expect_error = [](const std::string& text, const std::string& needle) {
        auto r = deployment_info_from_json_text(text);
        ASSERT_FALSE(r) << text;
        EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
    };
    boost::json::object good = to_json(sample());
    const auto with = [&](const char* key, boost::json::value v) {
        boost::json::object o = good;
        o[key] = std::move(v);
        return boost::json::serialize(o);
    };
    const auto without = [&](const char* key) {
        boost::json::object o = good;
        o.erase(key);
        return boost::json::serialize(o);
    };
    expect_error("{", "invalid JSON");
    expect_error("[]", "not a JSON object");
    expect_error(with("extra", 1), "extra: unknown key");
    expect_error(without("hub"), "hub: missing");
    expect_error(without("accounts"), "accounts: missing");
    expect_error(with("chainId", -1), "chainId");
    expect_error(with("chainId", "31337"), "chainId");
    expect_error(with("rpc", 5), "rpc: not a string");
    expect_error(with("token", "0x5fbdb2315678afecb367f032d93f642f64180aa"), "token");
    expect_error(with("hub", "0x5Fc8d32690cc91D4c39d9d3abcBD16989F875707"), "hub");  // bad checksum
    expect_error(with("accounts", boost::json::parse(R"([{"address":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"}])")),
                 "accounts[0].privateKey: missing");
    expect_error(with("accounts", boost::json::parse(
                                      R"([{"address":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                      "privateKey":"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"}])")),
                 "belongs to 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    expect_error(with("accounts", boost::json::parse(R"([{"address":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                      "privateKey":"0x00","x":1}])")),
                 "accounts[0].x: unknown key");
    expect_error(with("accounts", boost::json::parse(R"([{"address":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                      "privateKey":"0x00"}])")),
                 "accounts[0].privateKey");
}

}  // namespace
}  // namespace wp
