#include "eip191.hpp"

#include <string>

#include <wp/core/keccak.hpp>

namespace wp {

Bytes32 eip191_hash(ByteView message) {
    const std::string prefix = "\x19" "Ethereum Signed Message:\n" + std::to_string(message.size());
    Keccak256 h;
    h.update(as_bytes(prefix));
    h.update(message);
    return h.finalize();
}

Signature eip191_sign(const PrivateKey& key, ByteView message) { return sign_hash(key, eip191_hash(message)); }

Result<Address> eip191_recover(ByteView message, const Signature& sig) {
    return recover_address(eip191_hash(message), sig);
}

}  // namespace wp
