#pragma once
// Strict parser of the market's Authorization header `<challengeHash>_<signature>_<address>` (iexec-market-api
// 7.1.2; the iexec SDK 9.0.1 sends the EIP-712 digest in lowercase hex, the 65-byte signature r ‖ s ‖ v with
// v ∈ {27, 28}, and the EIP-55 checksummed address, vectors.md §6).
//
// Pure (no I/O, no Asio / Beast): fuzzed by auth_header_fuzz.cpp.

#include <cstddef>
#include <string>
#include <string_view>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp::service {

struct ChallengeAuthorization {
    Bytes32 challenge_hash;
    Signature signature;
    Address address;
};

//! Exact length of a well-formed header value: 66 + 1 + 132 + 1 + 42.
inline constexpr std::size_t kChallengeAuthorizationLength = 242;

//! Parses the header value. Rules (Errc::kInvalidArgument, Errc::kInvalidHex, Errc::kInvalidChecksum or
//! Errc::kCrypto, the message naming the part):
//!  - exactly three parts separated by '_', total length kChallengeAuthorizationLength, no whitespace;
//!  - hash: "0x" + 64 hex digits;
//!  - signature: "0x" + 130 hex digits, v ∈ {27, 28}, low s (Signature::Format::kStrict);
//!  - address: "0x" + 40 hex digits, all lowercase, all uppercase, or mixed case matching EIP-55.
Result<ChallengeAuthorization> parse_challenge_authorization(std::string_view value);

//! The header value as the SDK writes it: lowercase hash, lowercase signature hex, checksummed address.
std::string format_challenge_authorization(const ChallengeAuthorization& auth);

}  // namespace wp::service
