// The JSON-RPC client against a real anvil: chain id, balances, nonces, fees, signed legacy and EIP-1559
// transfers, contract creation with a log, eth_getLogs, reverts with their data, batches.
#include <gtest/gtest.h>

#include <wp/chain/eth.hpp>
#include <wp/chain/revert.hpp>
#include <wp/codec/transaction.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/sys/process.hpp>
#include <wp/sys/tcp.hpp>

namespace wp::chain {
namespace {

using namespace std::chrono_literals;

// anvil's default mnemonic, accounts #0 and #1.
constexpr const char* kKey0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr const char* kAddress0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
constexpr const char* kAddress1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

class Anvil : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        auto port = sys::find_free_tcp_port();
        ASSERT_TRUE(port) << port.error().message;
        log_path_ = testing::TempDir() + "wp_anvil_" + std::to_string(*port) + ".log";
        auto p = sys::Process::spawn({.argv = {WP_ANVIL_BIN, "--host", "127.0.0.1", "--port", std::to_string(*port)},
                                      .stdout_path = log_path_,
                                      .stderr_path = log_path_});
        ASSERT_TRUE(p) << p.error().message;
        process_ = new sys::Process(std::move(*p));
        url_ = "http://127.0.0.1:" + std::to_string(*port);
        auto ready = sys::wait_for_tcp_port("127.0.0.1", *port, 30s);
        ASSERT_TRUE(ready) << ready.error().message << "\n" << sys::read_text_file(log_path_).value_or("");
    }
    static void TearDownTestSuite() {
        delete process_;
        process_ = nullptr;
    }

    void SetUp() override {
        ASSERT_NE(process_, nullptr);
        rpc_ = std::make_unique<JsonRpcClient>(JsonRpcOptions{.url = url_, .timeout = 10s});
        eth_ = std::make_unique<EthClient>(*rpc_);
    }

    // Signs, sends and waits for `tx`; checks the hash the node returns.
    Receipt send(const Transaction& tx) {
        auto key = PrivateKey::from_hex(kKey0).value();
        auto signed_tx = tx::sign(tx, key).value();
        auto raw = tx::encode(signed_tx).value();
        auto hash = eth_->send_raw_transaction(raw);
        EXPECT_TRUE(hash) << hash.error().message;
        if (!hash) return {};
        EXPECT_EQ(*hash, tx::tx_hash(raw));
        auto receipt = eth_->wait_for_receipt(*hash, 20s, 20ms);
        EXPECT_TRUE(receipt) << receipt.error().message;
        return receipt ? *receipt : Receipt{};
    }

    static inline sys::Process* process_ = nullptr;
    static inline std::string url_;
    static inline std::string log_path_;
    std::unique_ptr<JsonRpcClient> rpc_;
    std::unique_ptr<EthClient> eth_;
};

TEST_F(Anvil, ChainIdBalanceAndBlock) {
    EXPECT_EQ(eth_->chain_id().value(), 31337u);
    const auto a1 = Address::parse(kAddress1).value();
    EXPECT_GE(eth_->get_balance(a1).value(), U256::from_dec("1000000000000000000").value());
    auto block = eth_->get_block_by_number(BlockTag::latest());
    ASSERT_TRUE(block) << block.error().message;
    ASSERT_TRUE(*block);
    EXPECT_TRUE((*block)->base_fee_per_gas.has_value());
    EXPECT_EQ((*block)->number, eth_->block_number().value());
    auto none = eth_->get_block_by_number(BlockTag::number(1000000));
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    auto batch = rpc_->batch({{"eth_chainId", {}}, {"eth_blockNumber", {}}, {"no_such_method", {}}});
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_EQ((*batch)[0].value().as_string(), "0x7a69");
    EXPECT_TRUE((*batch)[1]);
    ASSERT_FALSE((*batch)[2]);
    EXPECT_TRUE((*batch)[2].error().is_rpc_error());
}

TEST_F(Anvil, LegacyAndEip1559Transfers) {
    const auto a0 = Address::parse(kAddress0).value();
    const auto a1 = Address::parse(kAddress1).value();
    const U256 value = U256::from_dec("1000000000000000000").value();  // 1 ETH

    for (const TxType type : {TxType::kLegacy, TxType::kDynamicFee}) {
        SCOPED_TRACE(type == TxType::kLegacy ? "legacy" : "EIP-1559");
        const U256 before0 = eth_->get_balance(a0).value();
        const U256 before1 = eth_->get_balance(a1).value();
        Transaction t;
        t.type = type;
        t.chain_id = 31337;
        t.nonce = eth_->get_transaction_count(a0, BlockTag::pending()).value();
        t.gas_limit = 21000;
        t.to = a1;
        t.value = value;
        if (type == TxType::kLegacy) {
            t.gas_price = eth_->gas_price().value();
        } else {
            const auto base = eth_->get_block_by_number().value().value().base_fee_per_gas.value();
            t.max_priority_fee_per_gas = eth_->max_priority_fee_per_gas().value();
            t.max_fee_per_gas = checked_add(checked_mul(base, U256(2)).value(), t.max_priority_fee_per_gas).value();
        }
        Receipt r = send(t);
        EXPECT_TRUE(r.status);
        EXPECT_EQ(r.from, a0);
        EXPECT_EQ(r.to, a1);
        EXPECT_EQ(r.gas_used, 21000u);
        EXPECT_EQ(r.type, static_cast<std::uint8_t>(type));
        EXPECT_TRUE(r.logs.empty());
        const U256 fee = checked_mul(U256(r.gas_used), r.effective_gas_price).value();
        EXPECT_EQ(eth_->get_balance(a1).value(), checked_add(before1, value).value());
        EXPECT_EQ(eth_->get_balance(a0).value(), checked_sub(before0, checked_add(value, fee).value()).value());
        EXPECT_EQ(eth_->get_transaction_count(a0).value(), t.nonce + 1);
    }
}

TEST_F(Anvil, ContractCreationLogAndGetLogs) {
    // Init code: LOG1(0, 0, topic) then STOP (deploys an empty contract).
    const auto topic = keccak256(as_bytes("Hello(uint256)"));
    Bytes init{0x7f};
    append(init, topic);
    append(init, from_hex("0x60006000a100").value());
    const auto a0 = Address::parse(kAddress0).value();
    Transaction t;
    t.chain_id = 31337;
    t.nonce = eth_->get_transaction_count(a0, BlockTag::pending()).value();
    t.gas_limit = 200000;
    t.max_priority_fee_per_gas = U256(1000000000);
    t.max_fee_per_gas = U256(100000000000ULL);
    t.data = init;
    Receipt r = send(t);
    ASSERT_TRUE(r.status);
    ASSERT_TRUE(r.contract_address);
    EXPECT_FALSE(r.to);
    ASSERT_EQ(r.logs.size(), 1u);
    EXPECT_EQ(r.logs[0].address, *r.contract_address);
    EXPECT_EQ(r.logs[0].topics, std::vector<Bytes32>{topic});
    EXPECT_EQ(r.logs[0].transaction_hash, r.transaction_hash);
    EXPECT_EQ(r.logs[0].block_number, r.block_number);

    auto logs = eth_->get_logs(LogFilter{.from_block = BlockTag::number(0),
                                         .to_block = BlockTag::latest(),
                                         .addresses = {*r.contract_address},
                                         .topics = {std::vector<Bytes32>{topic}}});
    ASSERT_TRUE(logs) << logs.error().message;
    ASSERT_EQ(logs->size(), 1u);
    EXPECT_EQ((*logs)[0], r.logs[0]);
    auto by_hash = eth_->get_logs(LogFilter{.block_hash = r.block_hash});
    ASSERT_TRUE(by_hash) << by_hash.error().message;
    EXPECT_EQ(by_hash->size(), 1u);
}

TEST_F(Anvil, RevertDataOfCallAndEstimateGas) {
    // Init code that reverts with Error("iExecV5-matchOrders-0x60"): CODECOPY the payload, REVERT with it.
    const Bytes payload = from_hex(
                              "0x08c379a0"
                              "0000000000000000000000000000000000000000000000000000000000000020"
                              "0000000000000000000000000000000000000000000000000000000000000018"
                              "694578656356352d6d617463684f72646572732d307836300000000000000000")
                              .value();
    Bytes init = from_hex("0x6064600c60003960646000fd").value();
    append(init, payload);
    CallRequest call{.from = Address::parse(kAddress0).value(), .data = init};
    auto r = eth_->call(call);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is_rpc_error()) << r.error().message;
    ASSERT_TRUE(r.error().revert_data()) << r.error().message;
    EXPECT_EQ(*r.error().revert_data(), payload);
    EXPECT_EQ(default_revert_decoder().decode(*r.error().revert_data()).to_string(),
              "reverted: iExecV5-matchOrders-0x60");

    auto gas = eth_->estimate_gas(call);
    ASSERT_FALSE(gas);
    ASSERT_TRUE(gas.error().revert_data()) << gas.error().message;
    EXPECT_EQ(*gas.error().revert_data(), payload);

    // A successful estimate for a plain transfer.
    auto transfer = eth_->estimate_gas(CallRequest{
        .from = Address::parse(kAddress0).value(), .to = Address::parse(kAddress1).value(), .value = U256(1)});
    ASSERT_TRUE(transfer) << transfer.error().message;
    EXPECT_EQ(*transfer, 21000u);
}

TEST_F(Anvil, RejectedTransactionIsAnRpcError) {
    // An account without funds: the node refuses the transaction with a JSON-RPC error, not retried.
    const auto key = PrivateKey::generate();
    Transaction t;
    t.chain_id = 31337;
    t.gas_limit = 21000;
    t.max_priority_fee_per_gas = U256(1000000000);
    t.max_fee_per_gas = U256(100000000000ULL);
    t.to = Address::parse(kAddress1).value();
    t.value = U256(1);
    auto raw = tx::encode(tx::sign(t, key).value()).value();
    auto r = eth_->send_raw_transaction(raw);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is_rpc_error()) << r.error().message;
    EXPECT_EQ(r.error().attempts, 1u);
}

}  // namespace
}  // namespace wp::chain
