#pragma once
// Funding the dev accounts of a fresh PoCo deployment: RLC from the deployer (who holds the whole minted supply,
// 87,000,000 RLC = 8.7e16 nRLC), then a stake deposited into the hub escrow by each account
// (RLC.approveAndCall(hub, amount, "") → hub.receiveApproval → deposit for the sender; protocol.md §7.2).
// Amounts are in nRLC (RLC has 9 decimals).

#include <chrono>
#include <vector>

#include <wp/chain/rpc.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "poco_deployer.hpp"

namespace wp::devnet {

//! 1 RLC in nRLC.
inline constexpr std::uint64_t kNanoRlcPerRlc = 1'000'000'000;

struct FundingOptions {
    U256 wallet_amount{U256(1'000'000'000'000'000ULL)};  //!< RLC transferred: 1,000,000 RLC
    U256 stake_amount{U256(100'000'000'000'000ULL)};     //!< deposited: 100,000 RLC
    std::uint64_t gas_limit{200'000};
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

// ---- calldata (pure) ----

//! transfer(address,uint256) 0xa9059cbb.
Bytes erc20_transfer_calldata(const Address& to, const U256& amount);
//! approveAndCall(address,uint256,bytes) 0xcae9ca51.
Bytes approve_and_call_calldata(const Address& spender, const U256& amount, ByteView extra);
//! balanceOf(address) 0x70a08231 (RLC, and the hub's SRLC ledger).
Bytes balance_of_calldata(const Address& owner);

//! balanceOf(owner) by eth_call on `token` (RLC or the hub).
Result<U256> balance_of(chain::JsonRpcClient& rpc, const Address& token, const Address& owner);

//! For each account: RLC.transfer(account, wallet_amount) from `deployer` (one batch), then
//! RLC.approveAndCall(hub, stake_amount, "") from the account (one batch). stake_amount must be <= wallet_amount
//! (Errc::kInvalidArgument). Accounts equal to the deployer are skipped. Log lines as in deploy_poco.
Result<void> fund_accounts(chain::JsonRpcClient& rpc, const Address& rlc, const Address& hub,
                           const PrivateKey& deployer, const std::vector<PrivateKey>& accounts,
                           const FundingOptions& options = {}, const LogLine& log = {});

}  // namespace wp::devnet
