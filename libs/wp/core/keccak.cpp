#include "keccak.hpp"

#include <crypto++/keccak.h>

namespace wp {

struct Keccak256::Impl {
    CryptoPP::Keccak_256 hash;
};

Keccak256::Keccak256() : impl_(new Impl) {}
Keccak256::~Keccak256() { delete impl_; }

Keccak256& Keccak256::update(ByteView data) noexcept {
    impl_->hash.Update(data.data(), data.size());
    return *this;
}

Bytes32 Keccak256::finalize() noexcept {
    Bytes32 out;
    impl_->hash.Final(out.data());
    return out;
}

Bytes32 keccak256(ByteView data) noexcept {
    CryptoPP::Keccak_256 hash;
    Bytes32 out;
    hash.CalculateDigest(out.data(), data.data(), data.size());
    return out;
}

}  // namespace wp
