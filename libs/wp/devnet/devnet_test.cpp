#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>
#include <wp/devnet/anvil.hpp>
#include <wp/devnet/dev_accounts.hpp>
#include <wp/devnet/devnet.hpp>
#include <wp/devnet/funding.hpp>

namespace wp::devnet {
namespace {

Address addr(std::string_view text) { return *Address::parse(text); }

TEST(Anvil, ArgvFollowsLocalChainSection3) {
    AnvilOptions options;
    options.binary = "/opt/anvil";
    options.port = 18545;
    options.extra_args = {"--silent"};
    const std::vector<std::string> expected{"/opt/anvil",
                                            "--host",
                                            "127.0.0.1",
                                            "--port",
                                            "18545",
                                            "--chain-id",
                                            "31337",
                                            "--accounts",
                                            "10",
                                            "--balance",
                                            "1000000",
                                            "--mnemonic",
                                            "test test test test test test test test test test test junk",
                                            "--silent"};
    EXPECT_EQ(anvil_argv(options), expected);
}

TEST(Anvil, StartWithoutBinaryFails) {
    auto node = AnvilNode::start(AnvilOptions{});
    ASSERT_FALSE(node);
    EXPECT_EQ(node.error().code, Errc::kInvalidArgument);
}

TEST(Anvil, MissingBinaryIsAnIoError) {
    AnvilOptions options;
    options.binary = "/nonexistent/anvil";
    auto node = AnvilNode::start(options);
    ASSERT_FALSE(node);
    EXPECT_EQ(node.error().code, Errc::kIo);
}

// local-chain.md §3 table (accounts 0-4) and anvil's own start banner (5-9).
TEST(DevAccounts, AddressesMatchTheStandardMnemonic) {
    const std::vector<std::string_view> expected{
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
        "0x976EA74026E726554dB657fA54763abd0C3a0aa9", "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
        "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"};
    const auto accounts = dev_accounts();
    ASSERT_EQ(accounts.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(accounts[i].address.to_checksum(), expected[i]) << "account " << i;
        EXPECT_EQ(to_hex(accounts[i].private_key), dev_private_key_hex(i));
    }
}

// Selectors from protocol.md §7.2 / §7.4 and the ERC-20 standard; layout per the Solidity ABI spec.
TEST(Funding, TransferCalldata) {
    const Bytes data =
        erc20_transfer_calldata(addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), U256(1'000'000'000'000'000ULL));
    EXPECT_EQ(to_hex(data),
              "0xa9059cbb00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
              "00000000000000000000000000000000000000000000000000038d7ea4c68000");
}

TEST(Funding, ApproveAndCallCalldataWithEmptyBytes) {
    const Bytes data =
        approve_and_call_calldata(addr("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"), U256(100'000'000'000'000ULL), {});
    EXPECT_EQ(to_hex(data),
              "0xcae9ca51"
              "0000000000000000000000005fc8d32690cc91d4c39d9d3abcbd16989f875707"
              "00000000000000000000000000000000000000000000000000005af3107a4000"
              "0000000000000000000000000000000000000000000000000000000000000060"
              "0000000000000000000000000000000000000000000000000000000000000000");
}

TEST(Funding, BalanceOfCalldata) {
    EXPECT_EQ(to_hex(balance_of_calldata(addr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"))),
              "0x70a08231000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
}

TEST(ChainJson, SdkV9Shape) {
    const std::string text =
        sdk_chain_json(31337, "http://127.0.0.1:8545", addr("0x5fc8d32690cc91d4c39d9d3abcbd16989f875707"));
    EXPECT_EQ(text,
              "{\n  \"default\": \"dev\",\n  \"chains\": {\n    \"dev\": {\n      \"id\": \"31337\",\n"
              "      \"host\": \"http://127.0.0.1:8545\",\n"
              "      \"hub\": \"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707\"\n    }\n  }\n}\n");
    boost::system::error_code ec;
    auto json = boost::json::parse(text, ec);
    ASSERT_FALSE(ec);
    // id must be a JSON string (sdk-cli-and-market.md §2.2: a number fails validation).
    EXPECT_TRUE(json.at("chains").at("dev").at("id").is_string());
}

TEST(WriteFile, AtomicWriteCreatesParentAndReplaces) {
    const auto dir = std::filesystem::temp_directory_path() / ("wp-devnet-test-" + std::to_string(::getpid()));
    const auto file = dir / "sub" / "info.json";
    ASSERT_TRUE(write_file_atomically(file, "first"));
    ASSERT_TRUE(write_file_atomically(file, "second\n"));
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    EXPECT_EQ(s.str(), "second\n");
    EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wp::devnet
