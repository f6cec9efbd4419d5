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
#include <wp/chain/rpc.hpp>
#include <wp/codec/transaction.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp::devnet {

//! Fees for new transactions: EIP-1559 (type 2) when the latest block has a base fee, else legacy.
struct FeeParams {
    TxType type{TxType::kDynamicFee};
    U256 gas_price;                 //!< legacy
    U256 max_fee_per_gas;           //!< type 2: 2 * baseFee + maxPriorityFee
    U256 max_priority_fee_per_gas;  //!< type 2: eth_maxPriorityFeePerGas (1 gwei if the node lacks it)
};

//! Reads the latest block (and eth_maxPriorityFeePerGas or eth_gasPrice) and derives FeeParams as above.
Result<FeeParams> suggest_fees(chain::EthClient& eth);

//! What to send (the sender, nonce and fees are given to sign_transaction).
struct TxRequest {
    std::optional<Address> to;  //!< nullopt: contract creation
    Bytes data;
    U256 value{};
    std::uint64_t gas_limit{0};
    std::string description;
};

//! A signed transaction ready for eth_sendRawTransaction.
struct SignedTx {
    Bytes raw;
    Bytes32 hash;  //!< keccak256(raw)
    std::uint64_t nonce{0};
    std::string description;
};

//! Builds the transaction (type from `fees`), signs it with `key` and encodes it.
Result<SignedTx> sign_transaction(const TxRequest& request, const PrivateKey& key, std::uint64_t chain_id,
                                  std::uint64_t nonce, const FeeParams& fees);

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
