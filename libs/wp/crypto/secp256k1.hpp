#pragma once
// secp256k1 keys and recoverable ECDSA, as Ethereum uses them (libsecp256k1 underneath).
//
// - Signing is deterministic (RFC 6979) and always produces low-s signatures, so the bytes equal
//   those of ethers, anvil and geth for the same key and digest.
// - A 65-byte signature is r ‖ s ‖ v with v = 27 + yParity; the EIP-2098 64-byte compact form
//   r ‖ (yParity << 255 | s) is accepted on input.
// - Private keys are wiped from memory when destroyed.

#include <optional>
#include <string>
#include <string_view>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp {

//! An uncompressed public key: x ‖ y (64 bytes, no 0x04 prefix).
struct PublicKey {
    FixedBytes<64> xy;

    //! Accepts 33-byte compressed, 65-byte uncompressed (0x04 ‖ x ‖ y) or 64-byte x ‖ y keys.
    static Result<PublicKey> parse(ByteView bytes);
    //! 0x04 ‖ x ‖ y, the form the SDK writes in wallet.json.
    Bytes uncompressed() const;
    //! 0x02/0x03 ‖ x.
    Bytes compressed() const;
    //! keccak256(x ‖ y)[12:].
    Address address() const;

    friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

class PrivateKey {
  public:
    //! 32 bytes, 0 < k < n (the curve order); anything else is Errc::kCrypto.
    static Result<PrivateKey> from_bytes(ByteView secret);
    //! Strict 0x-prefixed 64-digit hex (the prefix is optional, as in `iexec wallet import`).
    static Result<PrivateKey> from_hex(std::string_view hex);
    //! A fresh key from the operating system's CSPRNG.
    static PrivateKey generate();

    PrivateKey(const PrivateKey&) = default;
    PrivateKey& operator=(const PrivateKey&) = default;
    ~PrivateKey();

    const Bytes32& secret() const { return secret_; }
    PublicKey public_key() const;
    Address address() const;

  private:
    PrivateKey() = default;
    Bytes32 secret_;
};

struct Signature {
    Bytes32 r;
    Bytes32 s;
    std::uint8_t y_parity{0};  //!< 0 or 1

    //! How strictly an input signature is read.
    enum class Format {
        //! 65 bytes with v ∈ {27, 28}, or 64-byte EIP-2098; s must be low (≤ n/2). This is what
        //! PoCo's SignatureVerifier (OpenZeppelin ECDSA) accepts.
        kStrict,
        //! Also accepts v ∈ {0, 1} (yParity written directly), as ethers does.
        kLenient,
    };

    static Result<Signature> parse(ByteView bytes, Format format = Format::kStrict);
    //! r ‖ s ‖ (27 + yParity).
    Bytes to_bytes65() const;
    //! EIP-2098: r ‖ (yParity << 255 | s).
    Bytes to_compact64() const;
    std::uint8_t v() const { return static_cast<std::uint8_t>(27 + y_parity); }

    friend bool operator==(const Signature&, const Signature&) = default;
};

//! Deterministic (RFC 6979) low-s signature of a 32-byte digest.
Signature sign_hash(const PrivateKey& key, const Bytes32& digest);

//! Recovers the public key that signed the digest (Errc::kCrypto if none).
Result<PublicKey> recover_public_key(const Bytes32& digest, const Signature& sig);
Result<Address> recover_address(const Bytes32& digest, const Signature& sig);

//! True iff the signature is valid for the digest and recovers to `signer`.
bool verify_signature(const Address& signer, const Bytes32& digest, const Signature& sig);

}  // namespace wp
