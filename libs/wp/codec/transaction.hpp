#pragma once
// Ethereum transactions: building, signing, raw serialisation (what eth_sendRawTransaction takes),
// strict decoding and sender recovery, bit-for-bit compatible with ethers 6.
//
// Supported envelopes (EIP-2718):
//   legacy   rlp([nonce, gasPrice, gasLimit, to, value, data, v, r, s])
//            v = chainId * 2 + 35 + yParity (EIP-155), or 27 + yParity when chain_id == 0 (pre-EIP-155)
//            signing payload: rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0]) (EIP-155),
//                             rlp([nonce, gasPrice, gasLimit, to, value, data]) when chain_id == 0
//   type 1   0x01 ‖ rlp([chainId, nonce, gasPrice, gasLimit, to, value, data, accessList, yParity, r, s])  (EIP-2930)
//   type 2   0x02 ‖ rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data,
//                       accessList, yParity, r, s])                                                      (EIP-1559)
//            typed signing payload: type ‖ rlp(the same list without yParity, r, s)
// accessList = [[address, [storageKey, ...]], ...]; `to` is the empty string for a contract creation.
// Integers are minimal big-endian RLP integers; r and s are integers of at most 32 bytes.
//
// The functions live in namespace wp::tx (tx::encode, tx::decode, ...); the types in wp.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp {

//! The EIP-2718 transaction type.
enum class TxType : std::uint8_t {
    kLegacy = 0,      //!< untyped RLP list (with EIP-155 replay protection unless chain_id == 0)
    kAccessList = 1,  //!< EIP-2930
    kDynamicFee = 2,  //!< EIP-1559
};

//! One access-list entry: an address and the storage slots the transaction pre-declares.
struct AccessListEntry {
    Address address;
    std::vector<Bytes32> storage_keys;

    friend bool operator==(const AccessListEntry&, const AccessListEntry&) = default;
};

using AccessList = std::vector<AccessListEntry>;

struct Transaction {
    TxType type{TxType::kDynamicFee};
    //! For legacy transactions 0 means "no EIP-155 replay protection" (v = 27/28).
    std::uint64_t chain_id{0};
    std::uint64_t nonce{0};
    U256 gas_price;                 //!< legacy and type 1 only
    U256 max_priority_fee_per_gas;  //!< type 2 only
    U256 max_fee_per_gas;           //!< type 2 only
    std::uint64_t gas_limit{0};
    std::optional<Address> to;  //!< nullopt = contract creation
    U256 value;
    Bytes data;
    AccessList access_list;  //!< types 1 and 2 only (must be empty for legacy)
    std::optional<Signature> signature;

    friend bool operator==(const Transaction&, const Transaction&) = default;
};

namespace tx {

//! The bytes that are hashed for signing (see the header comment); the signature is ignored.
//! Errc::kInvalidArgument if fields that the type does not carry are set (an access list on a
//! legacy transaction, gas_price on type 2, EIP-1559 fees on legacy/type 1).
Result<Bytes> signing_payload(const Transaction& transaction);

//! keccak256(signing_payload(transaction)): the digest the sender signs.
Result<Bytes32> signing_hash(const Transaction& transaction);

//! A copy of `transaction` with `signature` set to the RFC 6979 low-s signature of its signing_hash by `key`.
Result<Transaction> sign(const Transaction& transaction, const PrivateKey& key);

//! The signed raw transaction (the envelope in the header comment). Errc::kInvalidArgument if it is
//! unsigned or has fields its type does not carry.
Result<Bytes> encode(const Transaction& transaction);

//! The transaction hash: keccak256 of the raw signed bytes.
Bytes32 tx_hash(ByteView raw);

//! Strictly decodes a raw signed transaction (Errc::kDecoding, message "transaction: ..."):
//! - the first byte selects the envelope: >= 0xc0 legacy, 0x01 / 0x02 typed; any other type byte is
//!   rejected ("unsupported transaction type 0x03"), as is a byte string (0x80..0xbf);
//! - the RLP must be canonical with no trailing bytes, the list must have exactly 9 / 11 / 12 fields,
//!   each of the right shape (integers without leading zeros, `to` empty or 20 bytes, yParity 0 or 1,
//!   nonce / gasLimit / chainId within 64 bits, r and s non-zero and at most 32 bytes, access-list
//!   entries [20-byte address, [32-byte keys]]);
//! - legacy v must be 27, 28 or >= 37 (v = 35/36 would mean chain id 0 under EIP-155).
//! Signature validity is not checked here: see sender().
//! decode(encode(tx)) == tx, and encode(decode(raw)) == raw whenever decode succeeds.
Result<Transaction> decode(ByteView raw);

//! The address that signed it: recover_address(signing_hash(transaction), signature). Errc::kCrypto if it is
//! unsigned, if s is in the upper half of the curve order (EIP-2) or if recovery fails.
Result<Address> sender(const Transaction& transaction);

}  // namespace tx
}  // namespace wp
