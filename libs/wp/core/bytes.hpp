#pragma once
// Byte strings and fixed-size byte arrays (Bytes32, ...).

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "result.hpp"

namespace wp {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

//! Views the UTF-8 bytes of a string (no copy).
inline ByteView as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline void append(Bytes& out, ByteView tail) { out.insert(out.end(), tail.begin(), tail.end()); }

//! Concatenation of any number of byte views (abi.encodePacked of fixed values).
template <class... Views>
Bytes concat(const Views&... views) {
    Bytes out;
    out.reserve((ByteView(views).size() + ... + 0));
    (append(out, ByteView(views)), ...);
    return out;
}

//! A fixed-size byte string of N bytes, zero-initialised.
template <std::size_t N>
struct FixedBytes {
    std::array<std::uint8_t, N> bytes{};

    static constexpr std::size_t size() noexcept { return N; }
    std::uint8_t* data() noexcept { return bytes.data(); }
    const std::uint8_t* data() const noexcept { return bytes.data(); }
    auto begin() const noexcept { return bytes.begin(); }
    auto end() const noexcept { return bytes.end(); }
    std::uint8_t& operator[](std::size_t i) noexcept { return bytes[i]; }
    std::uint8_t operator[](std::size_t i) const noexcept { return bytes[i]; }
    operator ByteView() const noexcept { return {bytes.data(), N}; }  // NOLINT(google-explicit-constructor)
    ByteView view() const noexcept { return {bytes.data(), N}; }
    bool is_zero() const noexcept {
        return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
    }

    //! Copies exactly N bytes; any other size is an error.
    static Result<FixedBytes> from_view(ByteView v) {
        if (v.size() != N)
            return make_error(Errc::kInvalidLength,
                              "expected " + std::to_string(N) + " bytes, got " + std::to_string(v.size()));
        FixedBytes out;
        std::copy(v.begin(), v.end(), out.bytes.begin());
        return out;
    }

    friend bool operator==(const FixedBytes&, const FixedBytes&) = default;
    friend auto operator<=>(const FixedBytes&, const FixedBytes&) = default;
};

using Bytes32 = FixedBytes<32>;

}  // namespace wp
