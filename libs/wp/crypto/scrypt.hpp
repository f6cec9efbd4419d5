#pragma once
// scrypt (RFC 7914), the password-based key derivation of keystore files.
//
// Our own ROMix / BlockMix / Salsa20/8 around Crypto++'s PBKDF2-HMAC-SHA256: about 1.7 times faster
// than Crypto++'s Scrypt class, which matters because every CLI command that signs unlocks a
// keystore at n = 131072, r = 8. Intermediate state is wiped after use.

#include <cstdint>
#include <span>

#include <wp/core/bytes.hpp>

namespace wp {

//! Fills `out` with scrypt(password, salt, N = n, r, p, dkLen = out.size()).
//! Preconditions (asserted; callers validate untrusted values first): n is a power of two > 1,
//! r ≥ 1, p ≥ 1, r · p < 2^30, and 128 · r · n bytes fit in memory. Unlike RFC 7914, n ≥ 2^(16·r)
//! is allowed (go-ethereum allows it; the Web3 Secret Storage scrypt test vector uses n = 2^18, r = 1).
//! Throws std::bad_alloc if the 128 · r · (n + p + 2) bytes of working memory cannot be allocated.
void scrypt(ByteView password, ByteView salt, std::uint64_t n, std::uint32_t r, std::uint32_t p,
            std::span<std::uint8_t> out);

}  // namespace wp
