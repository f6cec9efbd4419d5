#pragma once
// Signing and pipelined sending of transactions with our own transaction code (codec/transaction.hpp):
// every raw transaction goes out in one JSON-RPC batch of eth_sendRawTransaction, then the receipts are polled in
// batches until all are mined. Nonces are assigned by the caller (the node's pending count is not re-read between
// transactions, see local-chain.md G4).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <wp/chain/eth.hpp>
#include <wp/chain/fees.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/chain/signing.hpp>
#include <wp/codec/transaction.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp::devnet {

// The fee and signing parts now live in wp_chain (chain/fees.hpp, chain/signing.hpp); these names are kept for
// the devnet code and its callers.
using chain::FeeParams;
using chain::sign_transaction;
using chain::SignedTx;
using chain::TxRequest;
//! With the default FeePolicy: EIP-1559 (type 2) when the latest block has a base fee (maxFee = 2 * baseFee + tip),
//! else legacy.
using chain::suggest_fees;

//! Called once per mined transaction, in the order of `txs`: (1-based index, total, the transaction, receipt).
using TxProgress = std::function<void(std::size_t, std::size_t, const SignedTx&, const chain::Receipt&)>;

//! Sends all `txs` in one batch, then polls their receipts until all are mined or `timeout` passes.
//! A node answer "already known" counts as sent. Errors: a send rejected by the node (Errc::kRemote, naming the
//! transaction), a receipt with status 0 ("<description>: reverted (nonce N, tx 0x…)"), a hash the node returns
//! that differs from ours (Errc::kDecoding), Errc::kTimeout.
Result<std::vector<chain::Receipt>> send_and_confirm(chain::JsonRpcClient& rpc, const std::vector<SignedTx>& txs,
                                                     std::chrono::milliseconds timeout,
                                                     const TxProgress& progress = {});

}  // namespace wp::devnet
