#include "address.hpp"

#include "hex.hpp"
#include "keccak.hpp"

namespace wp {

Result<Address> Address::parse(std::string_view s) {
    if (!has_hex_prefix(s)) return make_error(Errc::kInvalidHex, "address is missing the 0x prefix");
    if (s.size() != 42)
        return make_error(Errc::kInvalidLength,
                          "address must have 40 hex digits, got " + std::to_string(s.size() - 2));
    WP_TRY(Bytes raw, from_hex(s));
    Address a;
    std::copy(raw.begin(), raw.end(), a.b_.bytes.begin());
    bool has_lower = false;
    bool has_upper = false;
    for (char c : s.substr(2)) {
        has_lower = has_lower || (c >= 'a' && c <= 'f');
        has_upper = has_upper || (c >= 'A' && c <= 'F');
    }
    if (has_lower && has_upper && a.to_checksum() != s)
        return make_error(Errc::kInvalidChecksum,
                          "bad EIP-55 checksum for " + std::string(s) + " (expected " + a.to_checksum() + ")");
    return a;
}

Result<Address> Address::from_view(ByteView bytes) {
    WP_TRY(auto fixed, FixedBytes<20>::from_view(bytes));
    return Address(fixed);
}

Address Address::from_word(const Bytes32& word) {
    FixedBytes<20> b;
    std::copy(word.begin() + 12, word.end(), b.bytes.begin());
    return Address(b);
}

std::string Address::to_lower_hex() const { return to_hex(b_.view()); }

std::string Address::to_checksum() const {
    const std::string lower = to_hex_no_prefix(b_.view());
    const Bytes32 h = keccak256(as_bytes(lower));
    std::string out = "0x" + lower;
    for (std::size_t i = 0; i < 40; ++i) {
        const char c = lower[i];
        const std::uint8_t nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0f);
        if (c >= 'a' && c <= 'f' && nibble >= 8) out[i + 2] = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

Bytes32 Address::to_word() const {
    Bytes32 w;
    std::copy(b_.begin(), b_.end(), w.bytes.begin() + 12);
    return w;
}

}  // namespace wp
