#include "token.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>

namespace wp::service {

namespace json = boost::json;

namespace {

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kPrefix = "wp1.";
constexpr std::size_t kFixedPayload = 1 + 4 + 20 + 8 + 8 + 1;
constexpr std::uint64_t kMaxFutureSkew = 60;

int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

void put_be(Bytes& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_be(ByteView in, std::size_t offset, std::size_t bytes) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | in[offset + i];
    return v;
}

Bytes32 hmac(const Bytes32& key, std::string_view data) {
    Bytes32 out;
    unsigned int len = 32;
    HMAC(EVP_sha256(), key.data(), 32, reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
         &len);
    return out;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::string base64url_encode(ByteView bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
        out += kB64[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const std::uint32_t v = std::uint32_t{bytes[i]} << 16;
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
    } else if (rest == 2) {
        const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
        out += kB64[(v >> 18) & 63];
        out += kB64[(v >> 12) & 63];
        out += kB64[(v >> 6) & 63];
    }
    return out;
}

Result<Bytes> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1)
        return make_error(Errc::kDecoding, "base64url: invalid length " + std::to_string(text.size()));
    Bytes out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int v = b64_value(text[i]);
        if (v < 0) return make_error(Errc::kDecoding, "base64url: invalid character at position " + std::to_string(i));
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
        return make_error(Errc::kDecoding, "base64url: non-zero trailing bits (non-canonical encoding)");
    }
    return out;
}

Result<void> validate_audience(std::string_view audience) {
    if (audience.empty() || audience.size() > kMaxTokenAudience) {
        return make_error(Errc::kInvalidArgument, "token audience: must have 1 to 64 characters");
    }
    for (char c : audience) {
        if (c <= 0x20 || c >= 0x7f) {
            return make_error(Errc::kInvalidArgument, "token audience: only printable ASCII without spaces");
        }
    }
    return {};
}

std::string token_signing_input(const TokenClaims& claims) {
    [[maybe_unused]] auto ok = validate_audience(claims.audience);
    assert(ok);
    Bytes payload;
    payload.push_back(1);
    put_be(payload, claims.key_id, 4);
    append(payload, claims.subject);
    put_be(payload, claims.issued_at, 8);
    put_be(payload, claims.expires_at, 8);
    payload.push_back(static_cast<std::uint8_t>(claims.audience.size()));
    append(payload, as_bytes(claims.audience));
    return std::string(kPrefix) + base64url_encode(payload);
}

std::string encode_token(const TokenClaims& claims, const Bytes32& mac) {
    return token_signing_input(claims) + "." + base64url_encode(mac);
}

Result<ParsedToken> parse_token(std::string_view token) {
    if (token.size() > kMaxTokenLength) return make_error(Errc::kInvalidArgument, "token: too long");
    if (token.substr(0, kPrefix.size()) != kPrefix) {
        return make_error(Errc::kInvalidArgument, "token: must start with \"wp1.\"");
    }
    const auto dot = token.find('.', kPrefix.size());
    if (dot == std::string_view::npos) return make_error(Errc::kInvalidArgument, "token: missing MAC part");
    const auto payload_text = token.substr(kPrefix.size(), dot - kPrefix.size());
    const auto mac_text = token.substr(dot + 1);
    WP_TRY(auto payload, base64url_decode(payload_text));
    WP_TRY(auto mac_bytes, base64url_decode(mac_text));
    if (mac_bytes.size() != 32) return make_error(Errc::kInvalidArgument, "token MAC: must be 32 bytes");
    if (payload.size() < kFixedPayload + 1) return make_error(Errc::kInvalidArgument, "token payload: too short");
    if (payload[0] != 1) {
        return make_error(Errc::kUnsupported, "token payload: unknown version " + std::to_string(payload[0]));
    }
    ParsedToken out;
    out.claims.key_id = static_cast<std::uint32_t>(get_be(payload, 1, 4));
    WP_TRY(out.claims.subject, Address::from_view(ByteView(payload).subspan(5, 20)));
    out.claims.issued_at = get_be(payload, 25, 8);
    out.claims.expires_at = get_be(payload, 33, 8);
    const std::size_t aud_len = payload[41];
    if (payload.size() != kFixedPayload + aud_len) {
        return make_error(Errc::kInvalidArgument, "token payload: audience length does not match the payload size");
    }
    out.claims.audience.assign(payload.begin() + static_cast<std::ptrdiff_t>(kFixedPayload), payload.end());
    WP_TRY_VOID(validate_audience(out.claims.audience));
    std::copy(mac_bytes.begin(), mac_bytes.end(), out.mac.data());
    out.signing_input = std::string(token.substr(0, dot));
    return out;
}

// ---------------------------------------------------------------------------------------------------------------

TokenKeyring::~TokenKeyring() {
    for (auto& [id, key] : keys_) OPENSSL_cleanse(key.data(), key.size());
}

TokenKeyring TokenKeyring::ephemeral() {
    TokenKeyring k;
    k.current_ = 1;
    k.keys_[1] = random_bytes32();
    return k;
}

const Bytes32* TokenKeyring::key(std::uint32_t id) const {
    auto it = keys_.find(id);
    return it == keys_.end() ? nullptr : &it->second;
}

Result<void> TokenKeyring::save() const {
    if (path_.empty()) return {};
    json::array keys;
    for (const auto& [id, key] : keys_) {
        json::object k;
        k["id"] = id;
        k["key"] = to_hex(key);
        keys.push_back(std::move(k));
    }
    json::object doc;
    doc["current"] = current_;
    doc["keys"] = std::move(keys);
    std::string text = json::serialize(doc) + "\n";
    struct Wipe {
        std::string& s;
        ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
    } wipe{text};
    const std::string tmp = path_ + ".tmp";
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(Errc::kIo, "token keys " + tmp + ": " + errno_text());
    const auto written = ::write(fd, text.data(), text.size());
    const bool ok = written == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return make_error(Errc::kIo, "token keys " + path_ + ": cannot write: " + errno_text());
    }
    return {};
}

Result<void> TokenKeyring::rotate() {
    std::uint32_t id = current_ + 1;
    while (id == 0 || keys_.count(id)) ++id;
    keys_[id] = random_bytes32();
    current_ = id;
    return save();
}

Result<TokenKeyring> TokenKeyring::load_or_create(const std::string& data_dir) {
    TokenKeyring ring;
    ring.path_ = data_dir + "/token-keys.json";
    const int fd = ::open(ring.path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) return make_error(Errc::kIo, "token keys " + ring.path_ + ": " + errno_text());
        ring.current_ = 1;
        ring.keys_[1] = random_bytes32();
        WP_TRY_VOID(ring.save());
        return ring;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        ::close(fd);
        return make_error(Errc::kIo,
                          "token keys " + ring.path_ + ": must not be accessible by group or others (chmod 600)");
    }
    std::string text;
    struct Wipe {
        std::string& s;
        ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
    } wipe{text};
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < (1u << 20))
        text.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    OPENSSL_cleanse(buf, sizeof buf);
    auto bad = [&](std::string why) { return make_error(Errc::kDecoding, "token keys " + ring.path_ + ": " + why); };
    json::error_code ec;
    const json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object()) return bad("not a JSON object");
    const auto* current = doc.as_object().if_contains("current");
    const auto* keys = doc.as_object().if_contains("keys");
    if (!current || !current->is_int64() || !keys || !keys->is_array()) return bad("expected {current, keys}");
    for (const auto& k : keys->get_array()) {
        const auto* obj = k.if_object();
        const auto* id = obj ? obj->if_contains("id") : nullptr;
        const auto* key = obj ? obj->if_contains("key") : nullptr;
        if (!id || !id->is_int64() || id->get_int64() <= 0 || id->get_int64() > 0xffffffff || !key ||
            !key->is_string()) {
            return bad("each key needs an id (1..2^32-1) and a key");
        }
        const auto& ks = key->get_string();
        auto bytes = bytes32_from_hex(std::string_view(ks.data(), ks.size()));
        if (!bytes) return bad("key " + std::to_string(id->get_int64()) + ": " + bytes.error().message);
        ring.keys_[static_cast<std::uint32_t>(id->get_int64())] = *bytes;
    }
    if (current->get_int64() <= 0 || current->get_int64() > 0xffffffff ||
        !ring.keys_.count(static_cast<std::uint32_t>(current->get_int64()))) {
        return bad("current key id is not in keys");
    }
    ring.current_ = static_cast<std::uint32_t>(current->get_int64());
    return ring;
}

// ---------------------------------------------------------------------------------------------------------------

Result<std::string> TokenService::issue(const Address& subject, std::string_view audience,
                                        std::chrono::seconds ttl) const {
    WP_TRY_VOID(validate_audience(audience));
    if (ttl.count() <= 0) return make_error(Errc::kInvalidArgument, "token ttl: must be positive");
    const Bytes32* key = keyring_.key(keyring_.current_id());
    if (!key) return make_error(Errc::kInvalidArgument, "token keyring: no current key");
    TokenClaims claims;
    claims.key_id = keyring_.current_id();
    claims.subject = subject;
    claims.issued_at = static_cast<std::uint64_t>(clock_.unix_ms() / 1000);
    claims.expires_at = claims.issued_at + static_cast<std::uint64_t>(ttl.count());
    claims.audience = std::string(audience);
    const std::string input = token_signing_input(claims);
    return input + "." + base64url_encode(hmac(*key, input));
}

Result<TokenClaims> TokenService::verify(std::string_view token, std::string_view audience) const {
    WP_TRY(auto parsed, parse_token(token));
    const Bytes32* key = keyring_.key(parsed.claims.key_id);
    if (!key) {
        return make_error(Errc::kCrypto, "token: unknown key id " + std::to_string(parsed.claims.key_id));
    }
    const Bytes32 expected = hmac(*key, parsed.signing_input);
    if (CRYPTO_memcmp(expected.data(), parsed.mac.data(), 32) != 0) {
        return make_error(Errc::kCrypto, "token: MAC mismatch");
    }
    if (parsed.claims.audience != audience) {
        return make_error(Errc::kInvalidArgument,
                          "token: audience '" + parsed.claims.audience + "' is not '" + std::string(audience) + "'");
    }
    const auto now = static_cast<std::uint64_t>(clock_.unix_ms() / 1000);
    if (parsed.claims.expires_at <= parsed.claims.issued_at) {
        return make_error(Errc::kInvalidArgument, "token: expires before it was issued");
    }
    if (now >= parsed.claims.expires_at) return make_error(Errc::kTimeout, "token: expired");
    if (parsed.claims.issued_at > now + kMaxFutureSkew) {
        return make_error(Errc::kInvalidArgument, "token: issued in the future");
    }
    return parsed.claims;
}

Result<TokenClaims> TokenService::verify_bearer(std::string_view authorization, std::string_view audience) const {
    constexpr std::string_view kScheme = "bearer ";
    if (authorization.size() <= kScheme.size()) {
        return make_error(Errc::kInvalidArgument, "authorization: expected \"Bearer <token>\"");
    }
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
            return make_error(Errc::kInvalidArgument, "authorization: expected \"Bearer <token>\"");
        }
    }
    return verify(authorization.substr(kScheme.size()), audience);
}

}  // namespace wp::service
