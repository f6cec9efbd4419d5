#pragma once
// Bearer tokens derived from a verified signed challenge (the core scheduler's worker sessions).
//
// Format (compact, URL-safe, no padding):
//     wp1.<base64url(payload)>.<base64url(mac)>
//   payload (big-endian integers, 38 + audience bytes):
//     version u8 = 1 | key_id u32 | subject address (20 bytes) | issued_at u64 (Unix s) | expires_at u64 (Unix s)
//     | audience length u8 (1..64) | audience (printable ASCII, no space)
//   mac = HMAC-SHA256(key[key_id], "wp1." + base64url(payload))          (32 bytes)
//
// Verification refuses (each with a detailed message for the logs; clients only get a generic 401):
// a malformed token (strict base64url: no padding, canonical trailing bits), an unknown key id, a MAC that does
// not match (compared in constant time, CRYPTO_memcmp), a wrong audience, an expired token (now >= expires_at),
// a token issued in the future (issued_at > now + 60 s), expires_at <= issued_at.
//
// Keys live in `<data_dir>/token-keys.json`, created with mode 0600 (O_EXCL) and refused when group- or
// world-accessible, so the tokens a daemon issued stay valid across its restarts:
//     {"current": <key id>, "keys": [{"id": <key id>, "key": "0x<32 bytes hex>"}, ...]}
// rotate() adds a new current key and keeps the old ones for verification.
//
// Thread safety: parse_token / encode_token are pure. TokenKeyring and TokenService are immutable after load
// (rotate() is not thread-safe: call it before sharing) and may be shared by threads.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>

namespace wp::service {

struct TokenClaims {
    std::uint32_t key_id{0};
    Address subject;
    std::uint64_t issued_at{0};   //!< Unix seconds
    std::uint64_t expires_at{0};  //!< Unix seconds
    std::string audience;         //!< e.g. "core-worker-api"

    friend bool operator==(const TokenClaims&, const TokenClaims&) = default;
};

//! A token split into its parts (no MAC check).
struct ParsedToken {
    TokenClaims claims;
    std::string signing_input;  //!< "wp1." + base64url(payload): what the MAC covers
    Bytes32 mac;
};

inline constexpr std::size_t kMaxTokenAudience = 64;
inline constexpr std::size_t kMaxTokenLength = 256;

//! Strict base64url without padding (RFC 4648 §5); decoding rejects '=', other characters, a length ≡ 1 mod 4
//! and non-zero unused trailing bits (one encoding per value).
std::string base64url_encode(ByteView bytes);
Result<Bytes> base64url_decode(std::string_view text);

//! Splits and decodes a token (see the format above). Errc::kInvalidArgument / kDecoding naming the part.
Result<ParsedToken> parse_token(std::string_view token);
//! The signing input for claims (asserts the audience rules; use validate_audience first for input).
std::string token_signing_input(const TokenClaims& claims);
//! signing input + "." + base64url(mac).
std::string encode_token(const TokenClaims& claims, const Bytes32& mac);
//! 1..64 printable ASCII characters without space. Errc::kInvalidArgument.
Result<void> validate_audience(std::string_view audience);

//! HMAC keys by id, loaded from / persisted to a 0600 file.
class TokenKeyring {
  public:
    //! Reads `<data_dir>/token-keys.json`, or creates it with one fresh random key (the directory must exist).
    //! Errc::kIo (unreadable, group/world-accessible mode), Errc::kDecoding (malformed file).
    static Result<TokenKeyring> load_or_create(const std::string& data_dir);
    //! A keyring in memory only (tests, benchmarks).
    static TokenKeyring ephemeral();

    //! Adds a new random key, makes it current and rewrites the file (if any). Errc::kIo.
    Result<void> rotate();
    std::uint32_t current_id() const { return current_; }
    //! The key with this id, or nullptr.
    const Bytes32* key(std::uint32_t id) const;
    const std::string& path() const { return path_; }

    TokenKeyring(const TokenKeyring&) = default;
    TokenKeyring& operator=(const TokenKeyring&) = default;
    ~TokenKeyring();

  private:
    TokenKeyring() = default;
    Result<void> save() const;
    std::string path_;
    std::map<std::uint32_t, Bytes32> keys_;
    std::uint32_t current_{0};
};

//! Issues and verifies tokens with a keyring and a clock.
class TokenService {
  public:
    TokenService(const TokenKeyring& keyring, Clock& clock) : keyring_(keyring), clock_(clock) {}

    //! A token for `subject` and `audience`, valid `ttl` from now (signed with the current key).
    Result<std::string> issue(const Address& subject, std::string_view audience, std::chrono::seconds ttl) const;
    //! Checks everything listed in the file comment; returns the claims.
    Result<TokenClaims> verify(std::string_view token, std::string_view audience) const;
    //! verify() of an "Authorization: Bearer <token>" header value (the scheme is case-insensitive).
    Result<TokenClaims> verify_bearer(std::string_view authorization, std::string_view audience) const;

  private:
    const TokenKeyring& keyring_;
    Clock& clock_;
};

}  // namespace wp::service
