#pragma once
// Keccak-256 as used by Ethereum: the original Keccak padding (0x01), NOT NIST SHA3-256 (0x06).
// It lives in core (not crypto) because EIP-55 address checksums need it.

#include "bytes.hpp"

namespace wp {

//! keccak256(data). keccak256("") = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470.
Bytes32 keccak256(ByteView data) noexcept;

//! Incremental Keccak-256 for data that arrives in pieces.
class Keccak256 {
  public:
    Keccak256();
    ~Keccak256();
    Keccak256(const Keccak256&) = delete;
    Keccak256& operator=(const Keccak256&) = delete;

    Keccak256& update(ByteView data) noexcept;
    //! Returns the digest and resets the state.
    Bytes32 finalize() noexcept;

  private:
    struct Impl;
    Impl* impl_;
};

}  // namespace wp
