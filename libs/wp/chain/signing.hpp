#pragma once
// Signing of the transactions we send ourselves: a TxRequest (what), a nonce and FeeParams (fees.hpp) become a
// signed raw transaction (codec/transaction.hpp: EIP-155 legacy or EIP-1559 type 2, no access list).

#include <cstdint>
#include <optional>
#include <string>

#include <wp/codec/transaction.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "fees.hpp"

namespace wp::chain {

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

//! The unsigned transaction: type and fee fields from `fees`, the rest from `request`.
Transaction build_transaction(const TxRequest& request, std::uint64_t chain_id, std::uint64_t nonce,
                              const FeeParams& fees);

//! Builds the transaction, signs it with `key` (RFC 6979) and encodes it. Errors from tx::sign / tx::encode.
Result<SignedTx> sign_transaction(const TxRequest& request, const PrivateKey& key, std::uint64_t chain_id,
                                  std::uint64_t nonce, const FeeParams& fees);

//! The fee fields of a (decoded) transaction.
FeeParams fees_of(const Transaction& transaction);

}  // namespace wp::chain
