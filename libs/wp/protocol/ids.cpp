#include "ids.hpp"

#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>

namespace wp {

Bytes32 deal_id(const Bytes32& request_order_hash, const U256& consumed_before) {
    return keccak256(concat(request_order_hash, consumed_before.to_be32()));
}

Bytes32 task_id(const Bytes32& deal_id, const U256& index) { return keccak256(concat(deal_id, index.to_be32())); }

Bytes32 authorization_hash(const Address& worker, const Bytes32& task_id, const Address& enclave_challenge) {
    return keccak256(concat(worker.view(), task_id, enclave_challenge.view()));
}

Bytes sign_authorization(const PrivateKey& signer, const Address& worker, const Bytes32& task_id,
                         const Address& enclave_challenge) {
    return eip191_sign(signer, authorization_hash(worker, task_id, enclave_challenge).view()).to_bytes65();
}

Bytes32 result_hash(const Bytes32& task_id, const Bytes32& result_digest) {
    return keccak256(concat(task_id, result_digest));
}

Bytes32 result_seal(const Address& worker, const Bytes32& task_id, const Bytes32& result_digest) {
    return keccak256(concat(worker.view(), task_id, result_digest));
}

Bytes32 enclave_message_hash(const Bytes32& result_hash, const Bytes32& result_seal) {
    return keccak256(concat(result_hash, result_seal));
}

}  // namespace wp
