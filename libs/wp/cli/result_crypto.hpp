#pragma once
// The local cryptography of the `iexec` CLI, as the iExec SDK 9.0.1 does it (common/utils/encryption-utils.js,
// result-utils.js, cli/cmd/iexec-result.js), on OpenSSL 3 (EVP) and libzip:
//
// - Dataset encryption (`iexec dataset encrypt`): a fresh 256-bit key, written as base64 text (44 characters, no
//   newline); the encrypted file is IV (16 random bytes) ‖ AES-256-CBC(PKCS#7) of the file; its checksum is the
//   sha256 of the encrypted bytes, "0x" + 64 lowercase hex.
// - Beneficiary key pair (`iexec result generate-encryption-keypair`): RSA 4096 (e = 65537), the private key as
//   unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), the public key as SPKI PEM ("-----BEGIN PUBLIC
//   KEY-----"), 64-column base64 lines, each file ending with a newline (node's generateKeyPair output).
// - Encrypted result archive (`iexec result decrypt`, `task show --download --decrypt`): a zip holding
//     aes-key.rsa        the one-time AES key encrypted with the beneficiary's RSA public key (PKCS#1 v1.5),
//                        at most 1000 bytes; legacy form: the base64 text of that ciphertext;
//     iexec_out.zip.aes  IV ‖ AES-256-CBC(PKCS#7) of the result zip when the key is 32 bytes; legacy form (16-byte
//                        key, itself base64-wrapped under RSA): base64 text of AES-128-ECB(PKCS#7) of the zip;
//                        at most 1 GB.
//   Other entries are ignored. The messages are the SDK's (decrypt_result_archive below).
//
// Untrusted input: archives and key files come from the network or the user's disk; every parser is bounded and
// fuzzed (result_crypto_fuzz.cpp). Difference from the SDK: a wrong AES padding is an error here
// ("Failed to decrypt results with decrypted results key"); the SDK's forge ignores it and writes garbage.
// Secrets: keys are never logged nor put in error messages.
//
// Thread safety: every function is pure over its inputs (OpenSSL 3 is thread-safe), callable concurrently.

#include <cstddef>
#include <string>
#include <string_view>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::cli {

// ---- small primitives ----

//! Standard base64 with padding (RFC 4648 §4).
std::string base64_encode(ByteView bytes);
//! Decodes standard base64; whitespace is skipped, padding optional. Errc::kDecoding names the first bad
//! character's offset.
Result<Bytes> base64_decode(std::string_view text);
//! "0x" + sha256(bytes) in lowercase hex (the SDK's sha256Sum).
std::string sha256_hex(ByteView bytes);

// ---- AES ----

//! IV ‖ AES-256-CBC(PKCS#7) of `plain`. `key`: 32 bytes, `iv`: 16 bytes (Errc::kInvalidLength otherwise).
Result<Bytes> aes256_cbc_encrypt(ByteView plain, ByteView key, ByteView iv);
//! The same with a random IV (the SDK's encryptAes256Cbc).
Result<Bytes> aes256_cbc_encrypt(ByteView plain, ByteView key);
//! Inverse of aes256_cbc_encrypt: `data` = IV ‖ ciphertext. Errc::kDecoding for a short input, a length that is
//! not whole blocks, or a bad padding (wrong key).
Result<Bytes> aes256_cbc_decrypt(ByteView data, ByteView key);

//! A dataset key: 32 random bytes in base64 (the SDK's generateAes256Key).
std::string generate_dataset_key();
//! The key of a dataset key file (base64 of 32 bytes, surrounding whitespace ignored): `Invalid dataset key
//! (expected the base64 of 32 bytes)` otherwise.
Result<Bytes> parse_dataset_key(std::string_view text);

// ---- RSA ----

//! PEM texts of a key pair.
struct RsaKeyPair {
    std::string private_pem;  //!< PKCS#8, unencrypted: a secret, never printed
    std::string public_pem;   //!< SPKI
};

//! A new RSA key pair of `bits` bits (the SDK: 4096), e = 65537.
Result<RsaKeyPair> generate_rsa_keypair(unsigned bits = 4096);

// ---- encrypted result archives ----

//! Maximum sizes of the archive's two entries (the SDK's).
inline constexpr std::size_t kMaxEncryptedKeyBytes = 1000;
inline constexpr std::size_t kMaxEncryptedResultBytes = 1000000000;

//! The decrypted result zip of an encrypted result archive, with the beneficiary's private key (PEM: PKCS#8 or
//! PKCS#1 RSA). Errors (Errc::kInvalidArgument unless said; the SDK's messages):
//!   `Invalid beneficiary key`                                     not an RSA private key in PEM
//!   `Failed to load encrypted results zip file`                   (Errc::kDecoding) not a zip
//!   `Missing aes-key.rsa file in zip input file`, `Missing iexec_out.zip.aes file in zip input file`
//!   `aes-key.rsa is too large`, `iexec_out.zip.aes is too large`  (Errc::kTooLarge) past the sizes above
//!   `Failed to load <entry> file from zip input file: <cause>`    (Errc::kDecoding) unreadable entry
//!   `Failed to decrypt results key with beneficiary key`          wrong key / not an RSA ciphertext
//!   `Failed to decrypt results with decrypted results key`        bad AES key size, data or padding
Result<Bytes> decrypt_result_archive(ByteView archive, std::string_view private_key_pem);

//! The encrypted result archive of `result_zip` for the holder of `public_key_pem` (SPKI PEM), in the
//! current (non-legacy) form: a fresh AES-256 key under RSA PKCS#1 v1.5, IV ‖ AES-256-CBC of the zip; entries
//! stored uncompressed in the order aes-key.rsa, iexec_out.zip.aes. What a worker produces for a task with
//! result encryption, and what decrypt_result_archive (and the SDK) reads. Errors: `Invalid public key` for a
//! bad key, Errc::kIo for a libzip failure.
Result<Bytes> encrypt_result_archive(ByteView result_zip, std::string_view public_key_pem);

}  // namespace wp::cli
