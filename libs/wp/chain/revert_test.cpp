#include <gtest/gtest.h>

#include <wp/chain/revert.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/hex.hpp>

namespace wp::chain {
namespace {

// Encodings produced by ethers 6 Interface.encodeErrorResult (see the test names).
constexpr const char* kMatchOrders0x60 =
    "0x08c379a0"
    "0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000018"
    "694578656356352d6d617463684f72646572732d307836300000000000000000";
constexpr const char* kPanic0x11 = "0x4e487b710000000000000000000000000000000000000000000000000000000000000011";
constexpr const char* kFunctionNotFound = "0x5416eb981234567800000000000000000000000000000000000000000000000000000000";

Bytes hex(const char* s) { return from_hex(s).value(); }

TEST(Revert, ErrorString) {
    auto d = default_revert_decoder().decode(hex(kMatchOrders0x60));
    EXPECT_EQ(d.kind, DecodedRevert::Kind::kErrorString);
    EXPECT_EQ(d.reason, "iExecV5-matchOrders-0x60");
    EXPECT_EQ(d.to_string(), "reverted: iExecV5-matchOrders-0x60");
    EXPECT_EQ(to_hex(d.data), kMatchOrders0x60);
}

TEST(Revert, Panic) {
    auto d = default_revert_decoder().decode(hex(kPanic0x11));
    EXPECT_EQ(d.kind, DecodedRevert::Kind::kPanic);
    EXPECT_EQ(d.panic_code, U256(0x11));
    EXPECT_EQ(d.to_string(), "panic 0x11: arithmetic overflow or underflow");
    EXPECT_EQ(panic_meaning(U256(0x12)), "division or modulo by zero");
    EXPECT_EQ(panic_meaning(U256(0x32)), "array index out of bounds");
    EXPECT_EQ(panic_meaning(U256(0x01)), "assert(false)");
    EXPECT_EQ(panic_meaning(U256(0x99)), "unknown panic code");
}

TEST(Revert, FunctionNotFoundCustomError) {
    EXPECT_EQ(to_hex(function_selector("FunctionNotFound(bytes4)").value()), "0x5416eb98");
    auto d = default_revert_decoder().decode(hex(kFunctionNotFound));
    ASSERT_EQ(d.kind, DecodedRevert::Kind::kCustom);
    EXPECT_EQ(d.signature, "FunctionNotFound(bytes4)");
    ASSERT_EQ(d.args.size(), 1u);
    ASSERT_NE(d.args[0].as_fixed_bytes(), nullptr);
    EXPECT_EQ(to_hex(d.args[0].as_fixed_bytes()->bytes), "0x12345678");
    EXPECT_EQ(d.to_string(), "FunctionNotFound(0x12345678)");
}

TEST(Revert, RegisteredErrorWithSeveralArguments) {
    RevertDecoder decoder;
    ASSERT_TRUE(decoder.register_error("error Insufficient(address account, uint256 needed)"));
    // selector(Insufficient(address,uint256)) ++ abi(address 0xf39F..., 1000)
    const auto sel = function_selector("Insufficient(address,uint256)").value();
    Bytes data(sel.begin(), sel.end());
    append(data, Address::parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266").value().to_word());
    append(data, U256(1000).to_be32());
    auto d = decoder.decode(data);
    ASSERT_EQ(d.kind, DecodedRevert::Kind::kCustom);
    EXPECT_EQ(d.to_string(), "Insufficient(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, 1000)");
    // Not registered in a fresh decoder.
    EXPECT_EQ(RevertDecoder().decode(data).kind, DecodedRevert::Kind::kUnknown);
}

TEST(Revert, EmptyUnknownAndMalformed) {
    const auto& d = default_revert_decoder();
    EXPECT_EQ(d.decode({}).kind, DecodedRevert::Kind::kEmpty);
    EXPECT_EQ(d.decode({}).to_string(), "reverted without data");
    auto u = d.decode(hex("0xdeadbeef01"));
    EXPECT_EQ(u.kind, DecodedRevert::Kind::kUnknown);
    EXPECT_EQ(u.to_string(), "reverted with unknown data 0xdeadbeef01");
    EXPECT_EQ(d.decode(hex("0x08c3")).kind, DecodedRevert::Kind::kUnknown);
    // Error(string) whose length runs past the data.
    auto bad = hex(kMatchOrders0x60);
    bad[4 + 63] = 0x40;
    EXPECT_EQ(d.decode(bad).kind, DecodedRevert::Kind::kUnknown);
    // Panic without its argument.
    EXPECT_EQ(d.decode(hex("0x4e487b71")).kind, DecodedRevert::Kind::kUnknown);
}

TEST(Revert, RegistrationErrors) {
    RevertDecoder d;
    EXPECT_FALSE(d.register_error("not a signature("));
    ASSERT_TRUE(d.register_error("FunctionNotFound(bytes4)"));
    ASSERT_TRUE(d.register_error("FunctionNotFound(bytes4 selector)"));  // same error again: fine
}

// ---- the revert detector ----

RpcError rpc_error(std::int64_t code, std::string message, boost::json::value data = nullptr) {
    RpcError e;
    e.kind = Errc::kRemote;
    e.code = code;
    e.rpc_message = std::move(message);
    e.data = std::move(data);
    return e;
}

TEST(RevertDetector, NodeAnswersThatAreReverts) {
    // 1. geth / anvil: code 3 with the data.
    auto geth = rpc_error(3, "execution reverted: iExecV5-matchOrders-0x60", kMatchOrders0x60);
    ASSERT_TRUE(is_revert(geth));
    EXPECT_EQ(revert_of(geth)->reason, "iExecV5-matchOrders-0x60");
    // 1. PoCo 6.1 require(cond) without a message on anvil: code 3, no data, or "0x".
    for (auto data : {boost::json::value(nullptr), boost::json::value("0x")}) {
        auto empty = rpc_error(3, "execution reverted", data);
        ASSERT_TRUE(is_revert(empty));
        EXPECT_EQ(revert_of(empty)->kind, DecodedRevert::Kind::kEmpty);
    }
    // 2. A message with "revert" under another code (hardhat / ganache).
    auto hardhat = rpc_error(-32603, "VM Exception while processing transaction: reverted with reason string 'x'");
    EXPECT_TRUE(is_revert(hardhat));
    EXPECT_EQ(revert_of(hardhat)->kind, DecodedRevert::Kind::kEmpty);
    EXPECT_TRUE(is_revert(rpc_error(-32000, "Execution Reverted")));
    // 3. OpenEthereum / Nethermind: "Reverted 0x..." in data.
    auto nethermind =
        rpc_error(-32015, "VM execution error.", boost::json::string(std::string("Reverted ") + kMatchOrders0x60));
    ASSERT_TRUE(is_revert(nethermind));
    EXPECT_EQ(revert_of(nethermind)->reason, "iExecV5-matchOrders-0x60");
    // 4. Revert data under a generic code, also nested.
    auto generic = rpc_error(-32000, "call failed", kPanic0x11);
    ASSERT_TRUE(is_revert(generic));
    EXPECT_EQ(revert_of(generic)->kind, DecodedRevert::Kind::kPanic);
    auto nested = rpc_error(-32000, "call failed", boost::json::object{{"data", kFunctionNotFound}});
    ASSERT_TRUE(is_revert(nested));
    EXPECT_EQ(revert_of(nested)->kind, DecodedRevert::Kind::kCustom);
}

TEST(RevertDetector, AnswersThatAreNotReverts) {
    for (const char* m : {"nonce too low", "insufficient funds for gas * price + value", "already known",
                          "gas required exceeds allowance (30000000)", "out of gas", "invalid params",
                          "project ID request rate exceeded"}) {
        EXPECT_FALSE(is_revert(rpc_error(-32000, m))) << m;
        EXPECT_FALSE(revert_of(rpc_error(-32000, m))) << m;
    }
    EXPECT_FALSE(is_revert(rpc_error(-32000, "header not found", "0x12")));  // data too short for a selector
    RpcError network;
    network.kind = Errc::kNetwork;
    network.message = "eth_call: execution reverted";  // only JSON-RPC error objects count
    EXPECT_FALSE(is_revert(network));
}

}  // namespace
}  // namespace wp::chain
