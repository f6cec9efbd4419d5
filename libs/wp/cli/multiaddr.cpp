#include "multiaddr.hpp"

#include <algorithm>
#include <cstdint>

namespace wp::cli {

namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::uint8_t kP2pCode0 = 0xa5;  // varint(421): the p2p protocol ("ipfs" is its old name)
constexpr std::uint8_t kP2pCode1 = 0x03;

}  // namespace

std::string base58_encode(ByteView bytes) {
    std::size_t zeros = 0;
    while (zeros < bytes.size() && bytes[zeros] == 0) ++zeros;
    std::vector<std::uint8_t> digits;  // base 58, little-endian
    for (std::size_t i = zeros; i < bytes.size(); ++i) {
        unsigned carry = bytes[i];
        for (auto& d : digits) {
            carry += static_cast<unsigned>(d) << 8;
            d = static_cast<std::uint8_t>(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits.push_back(static_cast<std::uint8_t>(carry % 58));
            carry /= 58;
        }
    }
    std::string out(zeros, '1');
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kAlphabet[*it]);
    return out;
}

Result<Bytes> base58_decode(std::string_view text) {
    std::size_t zeros = 0;
    while (zeros < text.size() && text[zeros] == '1') ++zeros;
    std::vector<std::uint8_t> bytes;  // base 256, little-endian
    for (std::size_t i = zeros; i < text.size(); ++i) {
        const auto pos = kAlphabet.find(text[i]);
        if (pos == std::string_view::npos)
            return make_error(Errc::kInvalidArgument, "invalid base58 character at " + std::to_string(i));
        unsigned carry = static_cast<unsigned>(pos);
        for (auto& b : bytes) {
            carry += static_cast<unsigned>(b) * 58;
            b = static_cast<std::uint8_t>(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            bytes.push_back(static_cast<std::uint8_t>(carry & 0xff));
            carry >>= 8;
        }
    }
    Bytes out(zeros, 0);
    out.insert(out.end(), bytes.rbegin(), bytes.rend());
    return out;
}

Result<Bytes> encode_multiaddr(std::string_view text, std::string_view field) {
    if (text.empty() || text.front() != '/') return Bytes(text.begin(), text.end());
    const auto refuse = [&] {
        return make_error(Errc::kInvalidArgument, std::string(field) + ": multiaddr " + std::string(text) +
                                                      ": only /ipfs/<CID> multiaddrs are supported");
    };
    std::string_view rest;
    if (text.starts_with("/ipfs/")) rest = text.substr(6);
    else if (text.starts_with("/p2p/")) rest = text.substr(5);
    else return refuse();
    if (rest.empty() || rest.find('/') != std::string_view::npos) return refuse();
    auto hash = base58_decode(rest);
    // A CIDv0 is a sha2-256 multihash: 0x12 0x20 then 32 bytes.
    if (!hash || hash->size() != 34 || (*hash)[0] != 0x12 || (*hash)[1] != 0x20) return refuse();
    Bytes out{kP2pCode0, kP2pCode1, static_cast<std::uint8_t>(hash->size())};
    out.insert(out.end(), hash->begin(), hash->end());
    return out;
}

std::string decode_multiaddr(ByteView bytes) {
    if (bytes.size() >= 3 && bytes[0] == kP2pCode0 && bytes[1] == kP2pCode1 && bytes[2] < 0x80 && bytes[2] > 0 &&
        bytes.size() == std::size_t{3} + bytes[2])
        return "/p2p/" + base58_encode(bytes.subspan(3));
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace wp::cli
