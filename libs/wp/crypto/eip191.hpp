#pragma once
// EIP-191 version 0x45 ("personal_sign"): keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ m),
// where len is the decimal byte length of m. PoCo signs a 32-byte hash this way for worker
// authorizations (protocol.md §3.5), so len is "32" there.

#include <wp/core/bytes.hpp>

#include "secp256k1.hpp"

namespace wp {

Bytes32 eip191_hash(ByteView message);
//! eip191_hash of the 32 raw bytes of a hash (ethers signMessage(getBytes(hash))).
inline Bytes32 eip191_hash(const Bytes32& hash) { return eip191_hash(hash.view()); }

Signature eip191_sign(const PrivateKey& key, ByteView message);
Result<Address> eip191_recover(ByteView message, const Signature& sig);

}  // namespace wp
