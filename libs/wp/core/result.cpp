#include "result.hpp"

namespace wp {

const char* to_string(Errc code) noexcept {
    switch (code) {
        case Errc::kInvalidArgument: return "invalid-argument";
        case Errc::kInvalidHex: return "invalid-hex";
        case Errc::kInvalidLength: return "invalid-length";
        case Errc::kInvalidChecksum: return "invalid-checksum";
        case Errc::kOverflow: return "overflow";
        case Errc::kDecoding: return "decoding";
        case Errc::kCrypto: return "crypto";
        case Errc::kWrongPassword: return "wrong-password";
        case Errc::kUnsupported: return "unsupported";
        case Errc::kIo: return "io";
        case Errc::kNetwork: return "network";
        case Errc::kTimeout: return "timeout";
        case Errc::kTooLarge: return "too-large";
        case Errc::kRemote: return "remote";
    }
    return "unknown";
}

}  // namespace wp
