#pragma once
// Web3 Secret Storage v3 ("keystore" / "UTC--" JSON wallet files), as written by ethers 6 and the
// iexec SDK CLI and read by geth and ethers.
//
// Spec: https://ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/
//   derivedKey = KDF(password, kdfparams)                      (scrypt or PBKDF2-HMAC-SHA256)
//   ciphertext = AES-128-CTR(key = derivedKey[0:16], iv, privateKey)
//   mac        = keccak256(derivedKey[16:32] ‖ ciphertext)
//
// The password is used as its raw bytes. ethers 6 first applies Unicode NFKC normalisation to a
// string password; for ASCII (and any already-NFKC) password the bytes are the same.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "secp256k1.hpp"

namespace wp {

//! Bounds on the key-derivation cost a keystore file may ask for, checked before any work is done,
//! so that a hostile or corrupted file is rejected (Errc::kInvalidArgument) instead of exhausting
//! memory or CPU. The defaults accept every file written by geth, ethers and the iexec SDK
//! (scrypt n = 2^18, r = 8 at most in practice) with a wide margin.
struct KeystoreLimits {
    //! scrypt memory 128 · r · (n + p) bytes (the ROMix table plus the p blocks). Default 1 GiB + a bit,
    //! i.e. n · r up to 2^23 (n = 2^20 with r = 8).
    std::uint64_t max_scrypt_memory = (std::uint64_t{1} << 30) + (std::uint64_t{1} << 20);
    //! scrypt work n · r · p (BlockMix rounds of 128 bytes). Default 2^24, 16 times ethers' default cost.
    std::uint64_t max_scrypt_work = std::uint64_t{1} << 24;
    //! PBKDF2 iteration count c. Default 10,000,000 (the spec's example uses 262,144).
    std::uint64_t max_pbkdf2_iterations = 10'000'000;

    //! Tiny limits for fuzzing and untrusted-input tests: scrypt n · r · p ≤ 8192 (so n ≤ 1024 at
    //! r = 8), at most 2 MiB of memory, PBKDF2 c ≤ 1024. Every accepted KDF runs in a few milliseconds.
    static constexpr KeystoreLimits fuzzing() {
        KeystoreLimits l;
        l.max_scrypt_memory = std::uint64_t{2} << 20;
        l.max_scrypt_work = std::uint64_t{1} << 13;
        l.max_pbkdf2_iterations = 1024;
        return l;
    }
};

//! Decrypts a v3 keystore file and returns its private key.
//!
//! Accepted input (anything else is an error whose message names the field and the rule):
//! - a JSON object with "version": 3 (the number) and the cipher section under "crypto" or "Crypto"
//!   (exactly one of them); unknown extra fields ("id", "x-ethers", ...) are ignored;
//! - "cipher": "aes-128-ctr", "cipherparams": {"iv": 16 bytes}, "ciphertext": 32 bytes, "mac": 32
//!   bytes; all byte strings are hex with or without a 0x prefix, either case;
//! - "kdf": "scrypt" with "kdfparams" {n, r, p, dklen, salt}: n a power of two > 1, r ≥ 1, p ≥ 1;
//!   n is NOT required to be < 2^(16·r) (RFC 7914's rule, which the spec's own r = 1 test vector
//!   breaks and which ethers 6 enforces but geth does not);
//! - "kdf": "pbkdf2" with "kdfparams" {c, dklen, prf: "hmac-sha256", salt}, c ≥ 1;
//! - dklen in [32, 64] (only the first 32 derived bytes are used), salt 1 to 1024 bytes; integers
//!   must be JSON integers (not strings, not 1.0);
//! - the KDF cost within `limits` (see KeystoreLimits);
//! - "address" optional: if present, 20 bytes of hex (0x optional), compared with the decrypted key.
//!
//! Errors: Errc::kDecoding (not JSON, missing field, wrong JSON type), kInvalidArgument (a value or
//! a limit broken), kInvalidHex / kInvalidLength (a byte field), kUnsupported (other version, kdf,
//! prf or cipher), kWrongPassword "invalid password (MAC mismatch)" (compared in constant time),
//! kCrypto (the plaintext is not a valid secp256k1 key, or "address" is not the key's address).
//! All messages start with "keystore: ". Derived keys and plaintext are wiped after use.
Result<PrivateKey> keystore_decrypt(std::string_view json, std::string_view password,
                                    const KeystoreLimits& limits = {});

//! scrypt parameters for keystore_encrypt; the defaults are those of ethers 6 and the iexec SDK.
struct KeystoreOptions {
    std::uint64_t scrypt_n = 131072;  //!< must be a power of two > 1
    std::uint32_t r = 8;              //!< ≥ 1
    std::uint32_t p = 1;              //!< ≥ 1
};

//! The random inputs of keystore_encrypt. Only for reproducible tests against ethers 6
//! (`encryptKeystoreJson(account, password, {salt, iv, uuid, scrypt: {N, r, p}})`): reusing a salt or iv
//! for a real key weakens the file.
struct KeystoreRandomness {
    Bytes32 salt;
    FixedBytes<16> iv;
    FixedBytes<16> uuid;  //!< random bytes of the "id" (see uuid_v4)
};

//! Encrypts a private key as a v3 keystore file, byte for byte the compact JSON that ethers 6
//! `Wallet.encrypt` / the iexec SDK writes (key order included):
//!   {"address":"<lowercase hex, no 0x>","id":"<uuid v4>","version":3,"Crypto":{"cipher":"aes-128-ctr",
//!    "cipherparams":{"iv":"<hex>"},"ciphertext":"<hex>","kdf":"scrypt","kdfparams":{"salt":"<hex>",
//!    "n":131072,"dklen":32,"p":1,"r":8},"mac":"<hex>"}}
//! with a fresh random 32-byte salt, 16-byte iv and uuid. No "x-ethers" block.
//! Preconditions (programmer errors; the process aborts with a message if broken): options.scrypt_n
//! is a power of two > 1 and r, p ≥ 1, with r · p < 2^30. Note that keystore_decrypt with the default
//! KeystoreLimits only reads files with 128 · n · r ≤ 1 GiB.
std::string keystore_encrypt(const PrivateKey& key, std::string_view password, const KeystoreOptions& options = {});

//! Same as above with the given salt, iv and uuid bytes instead of fresh random ones (tests only).
std::string keystore_encrypt(const PrivateKey& key, std::string_view password, const KeystoreOptions& options,
                             const KeystoreRandomness& randomness);

//! The file name the iexec SDK gives a keystore: "UTC--<YYYY-MM-DDTHH-MM-SS.mmm000000Z>--<address>",
//! i.e. the UTC ISO-8601 time with ':' replaced by '-', milliseconds padded with six zeros, and the
//! EIP-55 checksummed address without 0x (geth uses lowercase there; the SDK does not). The time is
//! truncated to the millisecond, e.g. "UTC--2024-03-05T07-08-09.012000000Z--f39Fd6e51aad88F6F4ce6aB8827279cffFb92266".
std::string keystore_file_name(const Address& address, std::chrono::system_clock::time_point time);

namespace detail {

//! scrypt (RFC 7914) as keystore files use it: fills `out` with scrypt(password, salt, N = n, r, p,
//! dkLen = out.size()). Computed by OpenSSL (EVP_PBE_scrypt), except when n ≥ 2^(16·r), which RFC 7914
//! and OpenSSL refuse but geth accepts (the spec's own scrypt test vector has n = 2^18, r = 1): then by
//! Crypto++'s Scrypt. The cost is not bounded here (callers check KeystoreLimits first); OpenSSL is
//! allowed exactly the 128 · r · (n + p + 2) bytes it needs.
//! Errors: Errc::kInvalidArgument if n is not a power of two > 1, r or p is 0, or r · p ≥ 2^30;
//! Errc::kCrypto if the library fails (e.g. memory cannot be allocated); `out` is then zeroed.
//! Exposed for tests (RFC 7914 vectors); use keystore_decrypt / keystore_encrypt.
Result<void> keystore_scrypt(ByteView password, ByteView salt, std::uint64_t n, std::uint32_t r, std::uint32_t p,
                             std::span<std::uint8_t> out);

}  // namespace detail

}  // namespace wp
