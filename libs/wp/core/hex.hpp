#pragma once
// Strict hexadecimal encoding, the way Ethereum tools write bytes: "0x" followed by an even number
// of hex digits (either case). Anything else is rejected with a message that says why.

#include <string>
#include <string_view>

#include "bytes.hpp"
#include "result.hpp"

namespace wp {

//! "0x" + lowercase hex of the bytes ("0x" for an empty view).
std::string to_hex(ByteView bytes);
//! Lowercase hex without the 0x prefix.
std::string to_hex_no_prefix(ByteView bytes);

//! Decodes a strict hex string: 0x prefix required, even digit count, only [0-9a-fA-F].
//! Errors (Errc::kInvalidHex): "missing 0x prefix", "odd number of hex digits",
//! "invalid hex digit 'g' at position 5".
Result<Bytes> from_hex(std::string_view hex);

//! Same rules, but the 0x prefix is optional (keystore JSON, legacy fixtures).
Result<Bytes> from_hex_lenient_prefix(std::string_view hex);

//! Decodes exactly N bytes of strict hex (Errc::kInvalidLength otherwise).
template <std::size_t N>
Result<FixedBytes<N>> fixed_from_hex(std::string_view hex) {
    auto bytes = from_hex(hex);
    if (!bytes) return make_error(bytes.error());
    return FixedBytes<N>::from_view(*bytes);
}

inline Result<Bytes32> bytes32_from_hex(std::string_view hex) { return fixed_from_hex<32>(hex); }

//! True if s starts with "0x".
inline bool has_hex_prefix(std::string_view s) noexcept { return s.size() >= 2 && s[0] == '0' && s[1] == 'x'; }

}  // namespace wp
