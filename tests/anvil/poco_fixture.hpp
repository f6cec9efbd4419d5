#pragma once
// PocoFixture: a gtest fixture over ONE PoCo 6.1.0 deployment shared by a whole test group, isolated per test with
// anvil's evm_snapshot (SetUp) / evm_revert (TearDown).
//
// Where the chain comes from:
//   - under ctest, the fixture test `anvil.poco_devnet_start` (tests/anvil/devnet_fixture.sh, FIXTURES_SETUP
//     poco_devnet) runs `iexec-pool devnet` in the background and writes the deployment info file; the tests get its
//     path in the environment variable WP_POCO_DEVNET_INFO (and declare FIXTURES_REQUIRED / RESOURCE_LOCK
//     poco_devnet, so they never run concurrently on the shared chain);
//   - run by hand (WP_POCO_DEVNET_INFO unset), the first test starts its own devnet in-process (anvil on a free port
//     below the ephemeral range + our deployer + funding, libs/wp/devnet/devnet.hpp) and keeps it for the rest of the
//     process; the compile definition WP_POCO_FIXTURE_ANVIL_ARGS (a comma-separated list of string literals) adds
//     anvil arguments then (tests/pool: "--block-time", "1", "--mixed-mining").
//   If WP_POCO_DEVNET_INFO is set but unreadable, every test fails (the setup fixture failed).
//
// Dev accounts (local-chain.md §3): 0 deployer / hub owner, 1 app owner, 2 scheduler (workerpool owner), 3 worker,
// 4 requester, 5 dataset owner; 6-9 free for tests. Accounts 1-9 start with 900,000 RLC in the wallet and 100,000
// RLC (1e14 nRLC) deposited in the hub.
//
// Needs the compile definitions WP_ANVIL_BIN and WP_POCO_DIR (tests/anvil/CMakeLists.txt).

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/chain/contract_call.hpp>
#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/address.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/deploy/deployment_info.hpp>
#include <wp/devnet/devnet.hpp>
#include <wp/devnet/tx_sender.hpp>
#include <wp/sys/tcp.hpp>

#include "../support/test_ports.hpp"

namespace wp::test {

//! Dev account roles (local-chain.md §3).
inline constexpr std::size_t kAdmin = 0;
inline constexpr std::size_t kAppOwner = 1;
inline constexpr std::size_t kScheduler = 2;
inline constexpr std::size_t kWorker = 3;
inline constexpr std::size_t kRequester = 4;
inline constexpr std::size_t kDatasetOwner = 5;

//! The shared chain of one test process.
struct PocoChain {
    std::optional<devnet::Devnet> own;  //!< set when this process started the devnet itself
    DeploymentInfo info;
    std::vector<PrivateKey> keys;  //!< info.accounts' keys, same order
    std::unique_ptr<chain::JsonRpcClient> rpc;
    std::unique_ptr<chain::EthClient> eth;
    std::unique_ptr<chain::Hub> hub;
    std::string error;  //!< why the chain is unavailable ("" when ready)
    std::chrono::milliseconds startup{0};
};

namespace detail {

inline Result<DeploymentInfo> read_info_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::kIo, "cannot read " + path.string());
    std::stringstream s;
    s << in.rdbuf();
    return deployment_info_from_json_text(s.str());
}

inline void connect(PocoChain& c) {
    chain::JsonRpcOptions options;
    options.url = c.info.rpc;
    c.rpc = std::make_unique<chain::JsonRpcClient>(options);
    c.eth = std::make_unique<chain::EthClient>(*c.rpc);
    c.hub =
        std::make_unique<chain::Hub>(*c.eth, chain::PocoAddresses{c.info.hub, c.info.token, c.info.app_registry,
                                                                  c.info.dataset_registry, c.info.workerpool_registry});
    for (const auto& account : c.info.accounts) {
        auto key = PrivateKey::from_bytes(account.private_key.view());
        if (!key) {
            c.error = "bad key in the deployment info: " + key.error().message;
            return;
        }
        c.keys.push_back(*key);
    }
}

inline PocoChain* make_chain() {
    auto* c = new PocoChain();  // owned by poco_chain()'s static unique_ptr
    const auto started = std::chrono::steady_clock::now();
    if (const char* env = std::getenv("WP_POCO_DEVNET_INFO"); env != nullptr && *env != '\0') {
        auto info = read_info_file(env);
        if (!info) {
            c->error = "WP_POCO_DEVNET_INFO=" + std::string(env) + ": " + info.error().message +
                       " (did the ctest fixture anvil.poco_devnet_start fail? see its devnet.log)";
            return c;
        }
        c->info = std::move(*info);
    } else {
        devnet::DevnetOptions options;
        options.anvil.binary = WP_ANVIL_BIN;
        // Below the ephemeral range, bind-checked (tests/support/test_ports.hpp).
        const std::uint16_t port = pick_free_ports(1);
        if (port == 0) {
            c->error = "no free port for anvil";
            return c;
        }
        options.anvil.port = port;
#ifdef WP_POCO_FIXTURE_ANVIL_ARGS
        // e.g. "--block-time", "1", "--mixed-mining": anvil's mining as `iexec-pool up` runs it
        // (poolcli up_chain_anvil_args()), for test groups that run daemons (tests/pool).
        options.anvil.extra_args = {WP_POCO_FIXTURE_ANVIL_ARGS};
#endif
        options.anvil.data_dir =
            std::filesystem::temp_directory_path() / ("wp-poco-fixture-" + std::to_string(options.anvil.port));
        options.poco_dir = WP_POCO_DIR;
        auto devnet = devnet::start_devnet(options);
        if (!devnet) {
            c->error = "start_devnet: " + devnet.error().message;
            return c;
        }
        c->info = devnet->info;
        c->own.emplace(std::move(*devnet));  // the AnvilNode destructor stops anvil at process exit
    }
    connect(*c);
    c->startup = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return c;
}

}  // namespace detail

//! The process-wide chain, created on first use.
inline PocoChain& poco_chain() {
    static std::unique_ptr<PocoChain> chain(detail::make_chain());
    return *chain;
}

//! Base fixture: snapshot before each test, revert after it; helpers to send transactions and move time.
class PocoFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        auto& c = poco_chain();
        ASSERT_TRUE(c.error.empty()) << c.error;
        auto snapshot = c.rpc->call("evm_snapshot");
        ASSERT_TRUE(snapshot) << snapshot.error().message;
        ASSERT_TRUE(snapshot->is_string());
        snapshot_ = std::string(snapshot->get_string());
    }

    void TearDown() override {
        if (snapshot_.empty()) return;
        auto reverted = poco_chain().rpc->call("evm_revert", {boost::json::value(snapshot_)});
        EXPECT_TRUE(reverted && reverted->is_bool() && reverted->get_bool())
            << (reverted ? boost::json::serialize(*reverted) : reverted.error().message);
    }

    static PocoChain& chain() { return poco_chain(); }
    static chain::Hub& hub() { return *poco_chain().hub; }
    static chain::EthClient& eth() { return *poco_chain().eth; }
    static chain::JsonRpcClient& rpc() { return *poco_chain().rpc; }
    static const DeploymentInfo& info() { return poco_chain().info; }
    static const PrivateKey& key(std::size_t account) { return poco_chain().keys.at(account); }
    static Address address(std::size_t account) { return poco_chain().info.accounts.at(account).address; }

    //! Sends `call` from `signer`: gas = eth_estimateGas · 1.25 + 20,000 (a revert during estimation is returned
    //! as the Hub's decoded error), nonce = the pending count, fees from suggest_fees; waits for the receipt (a
    //! receipt with status 0 is an error).
    static Result<chain::Receipt> send(const chain::ContractCall& call, const PrivateKey& signer) {
        const Address from = signer.address();
        auto gas = hub().estimate_gas(call, from);
        if (!gas) return tl::unexpected(gas.error().to_error());
        auto nonce = eth().get_transaction_count(from, chain::BlockTag::pending());
        if (!nonce) return tl::unexpected(nonce.error().to_error());
        WP_TRY(auto fees, devnet::suggest_fees(eth()));
        devnet::TxRequest request{call.to, call.data, call.value, *gas + *gas / 4 + 20'000, call.description};
        WP_TRY(auto tx, devnet::sign_transaction(request, signer, info().chain_id, *nonce, fees));
        WP_TRY(auto receipts, devnet::send_and_confirm(rpc(), {tx}, std::chrono::seconds(30)));
        return receipts.at(0);
    }

    //! send() of a builder's result.
    static Result<chain::Receipt> send(const chain::HubResult<chain::ContractCall>& call, const PrivateKey& signer) {
        if (!call) return tl::unexpected(call.error().to_error());
        return send(*call, signer);
    }

    //! evm_increaseTime(seconds) then evm_mine.
    static Result<void> advance_time(std::uint64_t seconds) {
        auto inc = rpc().call("evm_increaseTime", {boost::json::value(seconds)});
        if (!inc) return tl::unexpected(inc.error().to_error());
        auto mined = rpc().call("evm_mine");
        if (!mined) return tl::unexpected(mined.error().to_error());
        return {};
    }

    //! Timestamp of a block (latest by default).
    static Result<std::uint64_t> block_timestamp(const chain::BlockTag& block = chain::BlockTag::latest()) {
        auto header = eth().get_block_by_number(block);
        if (!header) return tl::unexpected(header.error().to_error());
        if (!*header) return make_error(Errc::kRemote, "no block " + block.str());
        return (*header)->timestamp;
    }

    //! The logs of `receipt` emitted by `emitter` with topic0 = keccak256(event signature).
    static std::vector<chain::Log> logs_of(const chain::Receipt& receipt, const Address& emitter,
                                           std::string_view event_signature) {
        const auto topic = keccak256(as_bytes(event_signature));
        std::vector<chain::Log> out;
        for (const auto& log : receipt.logs) {
            if (log.address == emitter && !log.topics.empty() && log.topics[0] == topic) out.push_back(log);
        }
        return out;
    }

  private:
    std::string snapshot_;
};

}  // namespace wp::test
