#include "uuid.hpp"

#include <wp/core/hex.hpp>

#include "random.hpp"

namespace wp {

std::string uuid_v4(const FixedBytes<16>& random) {
    FixedBytes<16> b = random;
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
    const std::string hex = to_hex_no_prefix(b.view());
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20, 12);
}

std::string uuid_v4() {
    FixedBytes<16> b;
    secure_random(b.bytes);
    return uuid_v4(b);
}

}  // namespace wp
