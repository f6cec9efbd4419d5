#include "secp256k1.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cassert>
#include <cstring>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

#include "random.hpp"

namespace wp {
namespace {

// One context for the whole process; libsecp256k1 contexts are thread-safe for signing and
// verification once created (and randomised against side channels).
const secp256k1_context* context() {
    static const secp256k1_context* ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
        Bytes32 seed = random_bytes32();
        [[maybe_unused]] const int ok = secp256k1_context_randomize(c, seed.data());
        assert(ok == 1);
        return c;
    }();
    return ctx;
}

// n / 2 for secp256k1, big-endian: the largest s a canonical (low-s) signature may have.
constexpr std::uint8_t kHalfOrder[32] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
                                         0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

void secure_zero(void* p, std::size_t n) {
    volatile auto* v = static_cast<volatile std::uint8_t*>(p);
    while (n--) *v++ = 0;
}

Result<secp256k1_pubkey> parse_pubkey(ByteView bytes) {
    secp256k1_pubkey pk;
    Bytes buf;
    if (bytes.size() == 64) {
        buf.push_back(0x04);
        append(buf, bytes);
        bytes = buf;
    }
    if (secp256k1_ec_pubkey_parse(context(), &pk, bytes.data(), bytes.size()) != 1)
        return make_error(Errc::kCrypto, "invalid secp256k1 public key");
    return pk;
}

PublicKey from_native(const secp256k1_pubkey& pk) {
    std::uint8_t out[65];
    std::size_t len = sizeof out;
    secp256k1_ec_pubkey_serialize(context(), out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    PublicKey key;
    std::memcpy(key.xy.data(), out + 1, 64);
    return key;
}

}  // namespace

Result<PublicKey> PublicKey::parse(ByteView bytes) {
    if (bytes.size() != 33 && bytes.size() != 64 && bytes.size() != 65)
        return make_error(Errc::kInvalidLength,
                          "public key must be 33, 64 or 65 bytes, got " + std::to_string(bytes.size()));
    WP_TRY(auto pk, parse_pubkey(bytes));
    return from_native(pk);
}

Bytes PublicKey::uncompressed() const {
    Bytes out{0x04};
    append(out, xy.view());
    return out;
}

Bytes PublicKey::compressed() const {
    Bytes out{static_cast<std::uint8_t>((xy[63] & 1) ? 0x03 : 0x02)};
    append(out, ByteView(xy.data(), 32));
    return out;
}

Address PublicKey::address() const {
    const Bytes32 h = keccak256(xy.view());
    return Address::from_word(h);
}

PrivateKey::~PrivateKey() { secure_zero(secret_.data(), secret_.size()); }

Result<PrivateKey> PrivateKey::from_bytes(ByteView secret) {
    if (secret.size() != 32)
        return make_error(Errc::kInvalidLength, "private key must be 32 bytes, got " + std::to_string(secret.size()));
    if (secp256k1_ec_seckey_verify(context(), secret.data()) != 1)
        return make_error(Errc::kCrypto, "private key is out of range (must be 0 < k < secp256k1 order)");
    PrivateKey key;
    std::memcpy(key.secret_.data(), secret.data(), 32);
    return key;
}

Result<PrivateKey> PrivateKey::from_hex(std::string_view hex) {
    auto bytes = from_hex_lenient_prefix(hex);
    if (!bytes) return make_error(bytes.error().with_context("private key"));
    auto key = from_bytes(*bytes);
    secure_zero(bytes->data(), bytes->size());
    return key;
}

PrivateKey PrivateKey::generate() {
    for (;;) {
        Bytes32 candidate = random_bytes32();
        auto key = from_bytes(candidate.view());
        secure_zero(candidate.data(), candidate.size());
        if (key) return *key;
    }
}

PublicKey PrivateKey::public_key() const {
    secp256k1_pubkey pk;
    [[maybe_unused]] const int ok = secp256k1_ec_pubkey_create(context(), &pk, secret_.data());
    assert(ok == 1);
    return from_native(pk);
}

Address PrivateKey::address() const { return public_key().address(); }

Result<Signature> Signature::parse(ByteView bytes, Format format) {
    Signature sig;
    if (bytes.size() == 65) {
        std::memcpy(sig.r.data(), bytes.data(), 32);
        std::memcpy(sig.s.data(), bytes.data() + 32, 32);
        const std::uint8_t v = bytes[64];
        if (v == 27 || v == 28) {
            sig.y_parity = static_cast<std::uint8_t>(v - 27);
        } else if (format == Format::kLenient && (v == 0 || v == 1)) {
            sig.y_parity = v;
        } else {
            return make_error(Errc::kCrypto, "invalid signature v value " + std::to_string(v) +
                                                 (format == Format::kStrict ? " (must be 27 or 28)" : " (must be 0, 1, 27 or 28)"));
        }
    } else if (bytes.size() == 64) {
        std::memcpy(sig.r.data(), bytes.data(), 32);
        std::memcpy(sig.s.data(), bytes.data() + 32, 32);
        sig.y_parity = static_cast<std::uint8_t>(sig.s[0] >> 7);
        sig.s[0] &= 0x7f;
    } else {
        return make_error(Errc::kInvalidLength,
                          "signature must be 65 bytes (r, s, v) or 64 bytes (EIP-2098), got " + std::to_string(bytes.size()));
    }
    if (std::memcmp(sig.s.data(), kHalfOrder, 32) > 0)
        return make_error(Errc::kCrypto, "non-canonical signature: s is in the upper half of the curve order");
    return sig;
}

Bytes Signature::to_bytes65() const {
    Bytes out = concat(r, s);
    out.push_back(v());
    return out;
}

Bytes Signature::to_compact64() const {
    Bytes out = concat(r, s);
    if (y_parity) out[32] |= 0x80;
    return out;
}

Signature sign_hash(const PrivateKey& key, const Bytes32& digest) {
    secp256k1_ecdsa_recoverable_signature rs;
    [[maybe_unused]] const int ok =
        secp256k1_ecdsa_sign_recoverable(context(), &rs, digest.data(), key.secret().data(), nullptr, nullptr);
    assert(ok == 1);
    std::uint8_t compact[64];
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact, &recid, &rs);
    Signature sig;
    std::memcpy(sig.r.data(), compact, 32);
    std::memcpy(sig.s.data(), compact + 32, 32);
    sig.y_parity = static_cast<std::uint8_t>(recid);
    return sig;
}

Result<PublicKey> recover_public_key(const Bytes32& digest, const Signature& sig) {
    std::uint8_t compact[64];
    std::memcpy(compact, sig.r.data(), 32);
    std::memcpy(compact + 32, sig.s.data(), 32);
    secp256k1_ecdsa_recoverable_signature rs;
    if (sig.y_parity > 1 ||
        secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rs, compact, sig.y_parity) != 1)
        return make_error(Errc::kCrypto, "invalid signature (r or s out of range)");
    secp256k1_pubkey pk;
    if (secp256k1_ecdsa_recover(context(), &pk, &rs, digest.data()) != 1)
        return make_error(Errc::kCrypto, "signature does not recover to any public key");
    return from_native(pk);
}

Result<Address> recover_address(const Bytes32& digest, const Signature& sig) {
    WP_TRY(auto pk, recover_public_key(digest, sig));
    return pk.address();
}

bool verify_signature(const Address& signer, const Bytes32& digest, const Signature& sig) {
    auto recovered = recover_address(digest, sig);
    return recovered && *recovered == signer;
}

}  // namespace wp
