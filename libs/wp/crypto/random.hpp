#pragma once
// Cryptographically secure random bytes from the operating system (getrandom(2)).

#include <span>

#include <wp/core/bytes.hpp>

namespace wp {

//! Fills `out` with random bytes; aborts if the kernel cannot provide them (never returns weak data).
void secure_random(std::span<std::uint8_t> out);
Bytes random_bytes(std::size_t n);
Bytes32 random_bytes32();

}  // namespace wp
