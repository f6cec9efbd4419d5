// PoCo v6.1.0 deployed by our deployer on a fresh anvil; expected values from shared/reference/local-chain.md §4.4,
// §4.5 and vectors.json (domain separator anvil-31337).
#include <chrono>

#include <gtest/gtest.h>

#include <wp/chain/eth.hpp>
#include <wp/core/hex.hpp>
#include <wp/devnet/dev_accounts.hpp>
#include <wp/devnet/devnet.hpp>
#include <wp/devnet/tx_sender.hpp>
#include <wp/sys/tcp.hpp>

namespace wp::devnet {
namespace {

Address addr(std::string_view text) { return *Address::parse(text); }

AnvilOptions test_anvil() {
    AnvilOptions options;
    options.binary = WP_ANVIL_BIN;
    auto port = sys::find_free_tcp_port();
    EXPECT_TRUE(port);
    options.port = port ? *port : 0;
    options.data_dir = std::filesystem::temp_directory_path() / ("wp-anvil-test-" + std::to_string(options.port));
    return options;
}

TEST(Devnet, DeploysPocoAtTheDeterministicAddressesAndFundsAccounts) {
    DevnetOptions options;
    options.anvil = test_anvil();
    options.poco_dir = WP_POCO_DIR;
    std::vector<std::string> lines;
    auto devnet = start_devnet(options, [&](std::string_view line) { lines.emplace_back(line); });
    ASSERT_TRUE(devnet) << devnet.error().message;
    std::cout << "deploy " << devnet->deploy_time.count() << " ms, funding " << devnet->fund_time.count()
              << " ms, gas used " << devnet->deployment.gas_used << "\n";

    const auto& info = devnet->info;
    EXPECT_EQ(info.chain_id, 31337u);
    EXPECT_EQ(info.hub, addr("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"));
    EXPECT_EQ(info.token, addr("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
    EXPECT_EQ(info.app_registry, addr("0x67d269191c92Caf3cD7723F116c85e6E9bf55933"));
    EXPECT_EQ(info.dataset_registry, addr("0x84eA74d481Ee0A5332c457a4d796187F6Ba67fEB"));
    EXPECT_EQ(info.workerpool_registry, addr("0x1613beB3B2C4f22Ee086B2b38C1476A3cE7f78E8"));
    ASSERT_EQ(info.accounts.size(), 10u);
    EXPECT_EQ(info.rpc, devnet->node.url());

    // Progress lines: one per transaction, "deploying PoCo: i/44 ...".
    std::size_t progress = 0;
    for (const auto& line : lines) progress += line.rfind("deploying PoCo: ", 0) == 0 ? 1u : 0u;
    EXPECT_EQ(progress, 44u);

    chain::JsonRpcOptions rpc_options;
    rpc_options.url = devnet->node.url();
    chain::JsonRpcClient rpc(rpc_options);
    chain::EthClient eth(rpc);

    // The node's own account list is the oracle for our dev keys.
    auto accounts = rpc.call("eth_accounts");
    ASSERT_TRUE(accounts) << accounts.error().message;
    ASSERT_EQ(accounts->as_array().size(), 10u);
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(*Address::parse(accounts->as_array()[i].as_string()), info.accounts[i].address) << i;
    }

    // eip712domain_separator() (vectors.json anvil-31337), countCategory() == 5.
    chain::CallRequest call;
    call.to = info.hub;
    call.data = *from_hex("0x9910fd72");
    auto separator = eth.call(call);
    ASSERT_TRUE(separator) << separator.error().message;
    EXPECT_EQ(to_hex(*separator), "0x3a381c2b61f95eecc30cd1fa149a885c63820b699953cdfa94c38e311235e58f");
    EXPECT_TRUE(verify_poco_deployment(eth, devnet->deployment.plan, info.accounts[0].address, 31337));

    // Funding: accounts 1..9 hold wallet - stake RLC and stake SRLC; the deployer holds the rest.
    const U256 wallet_left(900'000'000'000'000ULL);
    const U256 stake(100'000'000'000'000ULL);
    for (std::size_t i = 1; i < 10; ++i) {
        auto rlc = balance_of(rpc, info.token, info.accounts[i].address);
        auto srlc = balance_of(rpc, info.hub, info.accounts[i].address);
        ASSERT_TRUE(rlc && srlc);
        EXPECT_EQ(*rlc, wallet_left) << "account " << i;
        EXPECT_EQ(*srlc, stake) << "account " << i;
    }
    // 87,000,000 RLC minted to the deployer, 9 x 1,000,000 transferred.
    auto deployer_rlc = balance_of(rpc, info.token, info.accounts[0].address);
    ASSERT_TRUE(deployer_rlc);
    EXPECT_EQ(*deployer_rlc, U256(78'000'000'000'000'000ULL));
    // The hub holds the deposited RLC.
    auto hub_rlc = balance_of(rpc, info.token, info.hub);
    ASSERT_TRUE(hub_rlc);
    EXPECT_EQ(*hub_rlc, U256(900'000'000'000'000ULL));

    auto status = devnet->node.stop();
    ASSERT_TRUE(status) << status.error().message;
    std::filesystem::remove_all(options.anvil.data_dir);
}

TEST(Devnet, NonZeroNonceIsPlannedFromTheCurrentNonce) {
    auto anvil_options = test_anvil();
    auto node = AnvilNode::start(anvil_options);
    ASSERT_TRUE(node) << node.error().message;
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = node->url();
    chain::JsonRpcClient rpc(rpc_options);
    chain::EthClient eth(rpc);
    const auto key = dev_keys(1)[0];
    // Bump the deployer's nonce with one plain transfer.
    auto fees = suggest_fees(eth);
    ASSERT_TRUE(fees);
    TxRequest request{addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), {}, U256(1), 21000, "transfer"};
    auto tx = sign_transaction(request, key, 31337, 0, *fees);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(send_and_confirm(rpc, {*tx}, std::chrono::seconds(10)));

    auto artifacts = load_poco_artifacts(WP_POCO_DIR);
    ASSERT_TRUE(artifacts) << artifacts.error().message;
    std::vector<std::string> lines;
    auto deployment = deploy_poco(rpc, *artifacts, key, {}, [&](std::string_view l) { lines.emplace_back(l); });
    ASSERT_TRUE(deployment) << deployment.error().message;
    EXPECT_EQ(deployment->info.token, contract_address(key.address(), 1));
    EXPECT_EQ(deployment->info.hub, contract_address(key.address(), 6));
    EXPECT_NE(deployment->info.hub, addr("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"));
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines[0].find("nonce 1"), std::string::npos) << lines[0];
    std::filesystem::remove_all(anvil_options.data_dir);
}

TEST(Devnet, StateFileKeepsTheChainAcrossRestarts) {
    DevnetOptions options;
    options.anvil = test_anvil();
    options.poco_dir = WP_POCO_DIR;
    options.state_file = options.anvil.data_dir / "state" / "chain.json";
    std::filesystem::remove_all(options.anvil.data_dir);
    const Address receiver = addr("0x000000000000000000000000000000000000bEEF");
    const auto keys = dev_keys(2);

    std::uint64_t block_before = 0;
    {
        auto devnet = start_devnet(options);
        ASSERT_TRUE(devnet) << devnet.error().message;
        EXPECT_FALSE(devnet->resumed);
        chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = devnet->node.url()});
        chain::EthClient eth(rpc);
        // Something to remember: 12345 nRLC from dev account 1 to a fresh address.
        auto fees = suggest_fees(eth);
        ASSERT_TRUE(fees);
        Bytes data = *from_hex("0xa9059cbb");  // transfer(address,uint256)
        append(data, receiver.to_word());
        append(data, U256(12345).to_be32());
        auto nonce = eth.get_transaction_count(keys[1].address());
        ASSERT_TRUE(nonce);
        auto tx = sign_transaction({devnet->info.token, data, U256(0), 100'000, "transfer"}, keys[1], 31337, *nonce,
                                   *fees);
        ASSERT_TRUE(tx);
        ASSERT_TRUE(send_and_confirm(rpc, {*tx}, std::chrono::seconds(10)));
        auto block = eth.block_number();
        ASSERT_TRUE(block);
        block_before = *block;
        ASSERT_TRUE(devnet->node.stop());  // SIGINT: anvil writes the state file
    }
    ASSERT_TRUE(std::filesystem::exists(options.state_file));

    // Each restart takes a fresh port: the previous one may have been picked by a test running in parallel
    // since anvil released it.
    auto fresh_port = [&] {
        auto port = sys::find_free_tcp_port();
        ASSERT_TRUE(port) << port.error().message;
        options.anvil.port = *port;
    };
    ASSERT_NO_FATAL_FAILURE(fresh_port());
    std::vector<std::string> lines;
    auto devnet = start_devnet(options, [&](std::string_view line) { lines.emplace_back(line); });
    ASSERT_TRUE(devnet) << devnet.error().message;
    EXPECT_TRUE(devnet->resumed);
    EXPECT_EQ(devnet->info.hub, addr("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"));
    for (const auto& line : lines) EXPECT_EQ(line.find("deploying PoCo"), std::string::npos) << line;
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = devnet->node.url()});
    chain::EthClient eth(rpc);
    auto block = eth.block_number();
    ASSERT_TRUE(block);
    EXPECT_GE(*block, block_before);
    auto kept = balance_of(rpc, devnet->info.token, receiver);
    ASSERT_TRUE(kept);
    EXPECT_EQ(*kept, U256(12345));
    ASSERT_TRUE(devnet->node.stop());

    // A state file of another chain (no PoCo at the planned addresses) is refused with a clear message.
    std::filesystem::remove_all(options.anvil.data_dir);
    ASSERT_NO_FATAL_FAILURE(fresh_port());
    {
        auto other = options.anvil;
        other.extra_args = {"--state", options.state_file.string()};
        std::filesystem::create_directories(options.state_file.parent_path());
        auto node = AnvilNode::start(other);
        ASSERT_TRUE(node) << node.error().message;
        ASSERT_TRUE(node->stop());
    }
    ASSERT_TRUE(std::filesystem::exists(options.state_file));
    ASSERT_NO_FATAL_FAILURE(fresh_port());
    auto refused = start_devnet(options);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("does not hold the devnet's PoCo deployment"), std::string::npos)
        << refused.error().message;
    std::filesystem::remove_all(options.anvil.data_dir);
}

}  // namespace
}  // namespace wp::devnet
