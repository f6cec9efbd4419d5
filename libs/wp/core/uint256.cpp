#include "uint256.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "hex.hpp"

namespace wp {

using Native = U256::Native;

Result<U256> U256::from_dec(std::string_view s) {
    if (s.empty()) return make_error(Errc::kInvalidArgument, "empty number");
    Native v = 0;
    const Native max = ~Native(0);
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c < '0' || c > '9')
            return make_error(Errc::kInvalidArgument,
                              "invalid decimal digit '" + std::string(1, c) + "' at position " + std::to_string(i));
        const unsigned d = static_cast<unsigned>(c - '0');
        if (v > (max - d) / 10) return make_error(Errc::kOverflow, "number exceeds 2^256-1");
        v = v * 10 + d;
    }
    return U256(v);
}

Result<U256> U256::from_hex(std::string_view s) {
    if (!has_hex_prefix(s)) return make_error(Errc::kInvalidHex, "missing 0x prefix");
    const std::string_view digits = s.substr(2);
    if (digits.empty()) return make_error(Errc::kInvalidHex, "no hex digits after 0x");
    // Leading zeros are tolerated, but the value must still fit in 256 bits.
    std::size_t first = digits.find_first_not_of('0');
    const std::string_view sig = first == std::string_view::npos ? std::string_view{} : digits.substr(first);
    if (sig.size() > 64) return make_error(Errc::kOverflow, "hex number exceeds 2^256-1");
    Native v = 0;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        const char c = digits[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
        else
            return make_error(Errc::kInvalidHex,
                              "invalid hex digit '" + std::string(1, c) + "' at position " + std::to_string(i + 2));
        v = (v << 4) | d;
    }
    return U256(v);
}

Result<U256> U256::parse(std::string_view s) { return has_hex_prefix(s) ? from_hex(s) : from_dec(s); }

Result<U256> U256::from_be(ByteView bytes) {
    if (bytes.size() > 32)
        return make_error(Errc::kOverflow, "integer of " + std::to_string(bytes.size()) + " bytes exceeds 32 bytes");
    Native v = 0;
    for (std::uint8_t b : bytes) v = (v << 8) | b;
    return U256(v);
}

U256 U256::from_be32(const Bytes32& b) { return load_be32(b.data()); }

U256 U256::load_be32(const std::uint8_t* src) noexcept {
    // Four 64-bit limbs at a time: much faster than shifting the big integer byte by byte.
    Native v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        std::uint64_t part = 0;
        for (std::size_t k = 0; k < 8; ++k) part = (part << 8) | src[8 * i + k];
        if (i != 0) v <<= 64;
        v |= part;
    }
    return U256(v);
}

void U256::store_be32(std::uint8_t* dst) const noexcept {
    const auto& backend = v_.backend();
    using Limb = std::remove_cv_t<std::remove_pointer_t<decltype(backend.limbs())>>;
    std::memset(dst, 0, 32);
    const Limb* limbs = backend.limbs();
    const std::size_t n = std::min<std::size_t>(backend.size(), 32 / sizeof(Limb));
    for (std::size_t i = 0; i < n; ++i) {
        Limb limb = limbs[i];
        for (std::size_t k = 0; k < sizeof(Limb); ++k) {
            dst[31 - i * sizeof(Limb) - k] = static_cast<std::uint8_t>(limb & 0xff);
            limb >>= 8;
        }
    }
}

std::string U256::to_dec() const { return v_.str(); }

std::string U256::to_hex_quantity() const {
    if (v_.is_zero()) return "0x0";
    const Bytes min = to_be_minimal();
    std::string hex = to_hex_no_prefix(min);
    if (hex[0] == '0') hex.erase(0, 1);
    return "0x" + hex;
}

Bytes32 U256::to_be32() const {
    Bytes32 out;
    store_be32(out.data());
    return out;
}

Bytes U256::to_be_minimal() const {
    const Bytes32 full = to_be32();
    std::size_t i = 0;
    while (i < 32 && full[i] == 0) ++i;
    return Bytes(full.begin() + static_cast<std::ptrdiff_t>(i), full.end());
}

unsigned U256::bit_length() const {
    if (v_.is_zero()) return 0;
    return static_cast<unsigned>(boost::multiprecision::msb(v_)) + 1;
}

Result<U256> checked_add(const U256& a, const U256& b) {
    const Native sum = a.native() + b.native();
    if (sum < a.native()) return make_error(Errc::kOverflow, "uint256 addition overflows");
    return U256(sum);
}

Result<U256> checked_sub(const U256& a, const U256& b) {
    if (b > a) return make_error(Errc::kOverflow, "uint256 subtraction underflows");
    return U256(Native(a.native() - b.native()));
}

Result<U256> checked_mul(const U256& a, const U256& b) {
    if (a.is_zero() || b.is_zero()) return U256(0);
    const Native prod = a.native() * b.native();
    if (prod / b.native() != a.native()) return make_error(Errc::kOverflow, "uint256 multiplication overflows");
    return U256(prod);
}

Result<U256> checked_div(const U256& a, const U256& b) {
    if (b.is_zero()) return make_error(Errc::kInvalidArgument, "division by zero");
    return U256(Native(a.native() / b.native()));
}

Result<U256> checked_mod(const U256& a, const U256& b) {
    if (b.is_zero()) return make_error(Errc::kInvalidArgument, "modulo by zero");
    return U256(Native(a.native() % b.native()));
}

}  // namespace wp
