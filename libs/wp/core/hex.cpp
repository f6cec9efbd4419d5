#include "hex.hpp"

namespace wp {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Result<Bytes> decode_digits(std::string_view digits, std::size_t offset) {
    if (digits.size() % 2 != 0)
        return make_error(Errc::kInvalidHex, "odd number of hex digits (" + std::to_string(digits.size()) + ")");
    Bytes out(digits.size() / 2);
    for (std::size_t i = 0; i < digits.size(); i += 2) {
        const int hi = hex_value(digits[i]);
        const int lo = hex_value(digits[i + 1]);
        if (hi < 0 || lo < 0) {
            const std::size_t bad = hi < 0 ? i : i + 1;
            const char c = digits[bad];
            std::string shown = (c >= 0x20 && c < 0x7f) ? std::string(1, c) : "\\x" + to_hex_no_prefix(as_bytes(std::string_view(&c, 1)));
            return make_error(Errc::kInvalidHex,
                              "invalid hex digit '" + shown + "' at position " + std::to_string(bad + offset));
        }
        out[i / 2] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return out;
}

}  // namespace

std::string to_hex_no_prefix(ByteView bytes) {
    std::string out(bytes.size() * 2, '0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 0xf];
    }
    return out;
}

std::string to_hex(ByteView bytes) { return "0x" + to_hex_no_prefix(bytes); }

Result<Bytes> from_hex(std::string_view hex) {
    if (!has_hex_prefix(hex)) return make_error(Errc::kInvalidHex, "missing 0x prefix");
    return decode_digits(hex.substr(2), 2);
}

Result<Bytes> from_hex_lenient_prefix(std::string_view hex) {
    if (has_hex_prefix(hex)) return decode_digits(hex.substr(2), 2);
    return decode_digits(hex, 0);
}

}  // namespace wp
