#pragma once
// Identifiers and off-chain values derived from orders and tasks (protocol.md §5.3, §6.1, §6.2).
// All are keccak256 of abi.encodePacked preimages; addresses are packed as 20 bytes.

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/uint256.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp {

//! dealid = keccak256(requestOrderHash ‖ uint256 consumedBefore), where consumedBefore is
//! m_consumed[requestOrderHash] before the match (0 for the first deal of a request order).
Bytes32 deal_id(const Bytes32& request_order_hash, const U256& consumed_before);

//! taskid = keccak256(dealid ‖ uint256 idx); idx is the absolute index in the request order
//! (botFirst ≤ idx < botFirst + botSize).
Bytes32 task_id(const Bytes32& deal_id, const U256& index);

//! WorkerpoolAuthorization hash = keccak256(worker (20) ‖ taskid (32) ‖ enclaveChallenge (20));
//! zero enclave for standard tasks.
Bytes32 authorization_hash(const Address& worker, const Bytes32& task_id, const Address& enclave_challenge);

//! The EIP-191 signature by the scheduler (or TEE broker) of authorization_hash: what
//! `contribute(..., authorizationSign)` checks. 65 bytes r ‖ s ‖ v.
Bytes sign_authorization(const PrivateKey& signer, const Address& worker, const Bytes32& task_id,
                         const Address& enclave_challenge);

//! resultHash = keccak256(taskid ‖ resultDigest).
Bytes32 result_hash(const Bytes32& task_id, const Bytes32& result_digest);

//! resultSeal = keccak256(worker (20) ‖ taskid ‖ resultDigest).
Bytes32 result_seal(const Address& worker, const Bytes32& task_id, const Bytes32& result_digest);

//! The message the enclave key signs (EIP-191) in TEE tasks: keccak256(resultHash ‖ resultSeal).
Bytes32 enclave_message_hash(const Bytes32& result_hash, const Bytes32& result_seal);

}  // namespace wp
