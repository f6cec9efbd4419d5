#include "auth_header.hpp"

#include <wp/core/hex.hpp>

namespace wp::service {

Result<ChallengeAuthorization> parse_challenge_authorization(std::string_view value) {
    if (value.size() != kChallengeAuthorizationLength) {
        return make_error(Errc::kInvalidArgument, "authorization: expected <hash>_<signature>_<address> of " +
                                                      std::to_string(kChallengeAuthorizationLength) +
                                                      " characters, got " + std::to_string(value.size()));
    }
    const auto first = value.find('_');
    const auto second = first == std::string_view::npos ? first : value.find('_', first + 1);
    if (second == std::string_view::npos || value.find('_', second + 1) != std::string_view::npos) {
        return make_error(Errc::kInvalidArgument, "authorization: expected three parts separated by '_'");
    }
    const auto hash_text = value.substr(0, first);
    const auto sig_text = value.substr(first + 1, second - first - 1);
    const auto address_text = value.substr(second + 1);
    if (hash_text.size() != 66) {
        return make_error(Errc::kInvalidArgument, "authorization hash: expected 0x + 64 hex digits");
    }
    if (sig_text.size() != 132) {
        return make_error(Errc::kInvalidArgument, "authorization signature: expected 0x + 130 hex digits");
    }
    ChallengeAuthorization out;
    auto hash = bytes32_from_hex(hash_text);
    if (!hash) return make_error(hash.error().with_context("authorization hash"));
    out.challenge_hash = *hash;
    auto sig_bytes = from_hex(sig_text);
    if (!sig_bytes) return make_error(sig_bytes.error().with_context("authorization signature"));
    auto sig = Signature::parse(*sig_bytes, Signature::Format::kStrict);
    if (!sig) return make_error(sig.error().with_context("authorization signature"));
    out.signature = *sig;
    auto address = Address::parse(address_text);
    if (!address) return make_error(address.error().with_context("authorization address"));
    out.address = *address;
    return out;
}

std::string format_challenge_authorization(const ChallengeAuthorization& auth) {
    return to_hex(auth.challenge_hash) + "_" + to_hex(auth.signature.to_bytes65()) + "_" + auth.address.to_checksum();
}

}  // namespace wp::service
