#pragma once
// Sending the devnet's transactions (PoCo deployment, funding) through the one sending path, chain::TxManager:
// send_calls() submits a list of calls with FIXED gas limits (the 44 deployment transactions depend on each other,
// so estimating each against the latest state cannot work), one TxManager per sender with an in-memory journal,
// broadcasts in JSON-RPC batches, and waits until every call is confirmed.
// send_and_confirm() (pre-signed raw transactions, one request each) remains for tests that craft their own raw
// transactions.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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

//! One call of send_calls(): sent by `sender` with exactly `gas_limit` (no estimation).
struct CallToSend {
    const PrivateKey* sender{nullptr};  //!< must outlive the send_calls() call
    chain::ContractCall call;
    std::uint64_t gas_limit{0};
};

//! What send_calls() returns for each call, in the order of the calls.
struct SentCall {
    std::uint64_t nonce{0};
    chain::Receipt receipt;
};

//! Called once per confirmed call, in the order of the calls: (1-based index, total, description, receipt).
using CallProgress = std::function<void(std::size_t, std::size_t, const std::string&, const chain::Receipt&)>;

//! Sends `calls` through one chain::TxManager per sender (in-memory journal, broadcasts in JSON-RPC batches,
//! "evm_mine" when anvil's out-of-order-nonce stall is detected) and waits until all are confirmed. The calls of
//! one sender get consecutive nonces in their order, starting at the sender's pending transaction count (when
//! nothing else sends from that key meanwhile). Errors: the first call (in order) that failed or reverted, with
//! its outcome message (Errc::kRemote); Errc::kTimeout after `timeout` ("<n> of <total> calls confirmed after ...");
//! TxManager::open errors; Errc::kInvalidArgument for a call without sender or gas limit.
Result<std::vector<SentCall>> send_calls(chain::JsonRpcClient& rpc, std::vector<CallToSend> calls,
                                         std::chrono::milliseconds timeout, const CallProgress& progress = {});

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
