#pragma once
// U256: an unsigned 256-bit integer with Solidity 0.8 semantics. Arithmetic that would wrap is an
// error (Errc::kOverflow), never a silent modulo: use checked_add / checked_sub / checked_mul /
// checked_div. Parsing is strict: decimal digits only (no sign, no spaces, no exponent) or 0x hex,
// and values above 2^256 - 1 are rejected.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/multiprecision/cpp_int.hpp>

#include "bytes.hpp"
#include "result.hpp"

namespace wp {

class U256 {
  public:
    using Native = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<
        256, 256, boost::multiprecision::unsigned_magnitude, boost::multiprecision::unchecked, void>>;

    constexpr U256() = default;
    U256(std::uint64_t v) : v_(v) {}  // NOLINT(google-explicit-constructor): small literals are common
    explicit U256(const Native& v) : v_(v) {}

    static U256 max() { return U256(~Native(0)); }

    //! Strict decimal ("0", "1000000000"); leading zeros are accepted ("007" = 7), like the SDK.
    static Result<U256> from_dec(std::string_view s);
    //! Strict 0x hex, 1 to 64 digits ("0x0", "0x1f"); used for JSON-RPC quantities too.
    static Result<U256> from_hex(std::string_view s);
    //! Decimal, or 0x hex when prefixed.
    static Result<U256> parse(std::string_view s);
    //! Big-endian bytes, at most 32 (shorter inputs are left-padded).
    static Result<U256> from_be(ByteView bytes);
    static U256 from_be32(const Bytes32& b);
    //! Reads exactly 32 big-endian bytes at src (the ABI word form).
    static U256 load_be32(const std::uint8_t* src) noexcept;

    std::string to_dec() const;
    //! 0x-prefixed minimal hex ("0x0" for zero): the JSON-RPC QUANTITY form.
    std::string to_hex_quantity() const;
    Bytes32 to_be32() const;
    //! Writes the value as 32 big-endian bytes at dst (the ABI word form).
    void store_be32(std::uint8_t* dst) const noexcept;
    //! Minimal big-endian bytes (empty for zero): the RLP integer form.
    Bytes to_be_minimal() const;

    bool is_zero() const { return v_.is_zero(); }
    //! Number of significant bits (0 for zero).
    unsigned bit_length() const;
    //! True if the value fits in 64 bits.
    bool fits_u64() const { return bit_length() <= 64; }
    //! The low 64 bits (use after fits_u64()).
    std::uint64_t low_u64() const { return static_cast<std::uint64_t>(v_ & Native(~std::uint64_t{0})); }
    bool bit(unsigned i) const { return boost::multiprecision::bit_test(v_, i); }

    const Native& native() const { return v_; }

    friend bool operator==(const U256& a, const U256& b) { return a.v_ == b.v_; }
    friend bool operator<(const U256& a, const U256& b) { return a.v_ < b.v_; }
    friend bool operator<=(const U256& a, const U256& b) { return a.v_ <= b.v_; }
    friend bool operator>(const U256& a, const U256& b) { return a.v_ > b.v_; }
    friend bool operator>=(const U256& a, const U256& b) { return a.v_ >= b.v_; }

    // Bitwise operations cannot overflow.
    friend U256 operator&(const U256& a, const U256& b) { return U256(Native(a.v_ & b.v_)); }
    friend U256 operator|(const U256& a, const U256& b) { return U256(Native(a.v_ | b.v_)); }
    friend U256 operator^(const U256& a, const U256& b) { return U256(Native(a.v_ ^ b.v_)); }
    U256 operator~() const { return U256(Native(~v_)); }

  private:
    Native v_{0};
};

Result<U256> checked_add(const U256& a, const U256& b);
Result<U256> checked_sub(const U256& a, const U256& b);
Result<U256> checked_mul(const U256& a, const U256& b);
//! Floor division; division by zero is an error (Solidity panics 0x12).
Result<U256> checked_div(const U256& a, const U256& b);
Result<U256> checked_mod(const U256& a, const U256& b);

}  // namespace wp
