#pragma once
// The chain-alone ceiling of the benchmarks (wp_lifecycle_bench, wp_e2e_bench): calls signed BEFORE the timer, then
// sent in raw JSON-RPC batches of eth_sendRawTransaction and their receipts polled in batches. Nothing a daemon does
// (journaling, estimation, waiting for state) is in the timed part: what is left is what the chain itself takes.
//
// Errors: a rejected send, a reverted receipt, a timeout — each names the transaction (its description). Thread
// safety: none (one caller per JsonRpcClient at a time).

#include <chrono>
#include <cstdint>
#include <vector>

#include <wp/chain/contract_call.hpp>
#include <wp/chain/eth.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/chain/signing.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp::bench {

//! One call to sign: its sender's key (outlives the call to presign) and a fixed gas limit.
struct PresignedCall {
    const PrivateKey* key{nullptr};
    chain::ContractCall call;
    std::uint64_t gas{0};
};

//! Signs `calls`: nonces from each sender's pending count (read once per sender), fees from suggest_fees with the fee
//! cap (maxFeePerGas) × 20 so that a rising base fee never leaves a transaction unminable. The result
//! is interleaved by rank across senders (1st of each sender, then 2nd of each, …; senders in order of first
//! appearance), in nonce order per sender — as a pipeline of many wallets sends them.
Result<std::vector<chain::SignedTx>> presign(chain::EthClient& eth, std::uint64_t chain_id,
                                             const std::vector<PresignedCall>& calls);

//! What send_presigned saw.
struct PresignedOutcome {
    std::uint64_t gas_used{0};  //!< Σ receipt.gasUsed
    std::uint64_t first_block{0};
    std::uint64_t last_block{0};
    std::size_t reverted{0};  //!< receipts with status 0 (only with allow_reverts)
};

//! Sends `txs` in JSON-RPC batches of `batch` eth_sendRawTransaction, then polls their receipts in batches (every
//! 2 ms) until all are mined; with `kick`, evm_mine when no receipt arrived for 300 ms (anvil's out-of-order-nonce
//! stall). Errors: a rejected send, a reverted receipt (status 0) unless `allow_reverts` (then counted), not all mined
//! after `timeout`.
Result<PresignedOutcome> send_presigned(chain::JsonRpcClient& rpc, const std::vector<chain::SignedTx>& txs,
                                        std::size_t batch, bool kick,
                                        std::chrono::seconds timeout = std::chrono::seconds(300),
                                        bool allow_reverts = false);

}  // namespace wp::bench
