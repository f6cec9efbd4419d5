#include "keystore.hpp"

#include <crypto++/aes.h>
#include <crypto++/misc.h>
#include <crypto++/modes.h>
#include <crypto++/pwdbased.h>
#include <crypto++/scrypt.h>
#include <crypto++/secblock.h>
#include <crypto++/sha.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

#include "random.hpp"
#include "uuid.hpp"

namespace wp {
namespace {

namespace json = boost::json;

constexpr std::size_t kKeyLen = 32;       // derived key bytes used by v3: AES key ‖ MAC key
constexpr std::size_t kMinDkLen = 32;
constexpr std::size_t kMaxDkLen = 64;
constexpr std::size_t kMaxSaltLen = 1024;
constexpr std::size_t kIvLen = 16;
constexpr std::size_t kCiphertextLen = 32;

tl::unexpected<Error> fail(Errc code, const std::string& message) { return make_error(code, "keystore: " + message); }

struct Field {
    const json::value* value;
    std::string path;
};

Result<Field> require(const json::object& obj, const std::string& parent, std::string_view key) {
    const std::string path = parent.empty() ? std::string(key) : parent + "." + std::string(key);
    const json::value* v = obj.if_contains(key);
    if (!v) return fail(Errc::kDecoding, "missing field " + path);
    return Field{v, path};
}

Result<const json::object*> require_object(const json::object& obj, const std::string& parent, std::string_view key) {
    WP_TRY(Field f, require(obj, parent, key));
    const json::object* o = f.value->if_object();
    if (!o) return fail(Errc::kDecoding, f.path + " must be a JSON object");
    return o;
}

Result<std::string_view> require_string(const json::object& obj, const std::string& parent, std::string_view key) {
    WP_TRY(Field f, require(obj, parent, key));
    const json::string* s = f.value->if_string();
    if (!s) return fail(Errc::kDecoding, f.path + " must be a string");
    return std::string_view(*s);
}

Result<std::uint64_t> require_uint(const json::object& obj, const std::string& parent, std::string_view key) {
    WP_TRY(Field f, require(obj, parent, key));
    if (const std::uint64_t* u = f.value->if_uint64()) return *u;
    if (const std::int64_t* i = f.value->if_int64()) {
        if (*i < 0) return fail(Errc::kInvalidArgument, f.path + " must not be negative, got " + std::to_string(*i));
        return static_cast<std::uint64_t>(*i);
    }
    return fail(Errc::kDecoding, f.path + " must be a JSON integer");
}

// Hex (0x optional) of a length in [min_len, max_len].
Result<Bytes> require_hex(const json::object& obj, const std::string& parent, std::string_view key, std::size_t min_len,
                          std::size_t max_len) {
    const std::string path = parent + "." + std::string(key);
    WP_TRY(std::string_view text, require_string(obj, parent, key));
    auto bytes = from_hex_lenient_prefix(text);
    if (!bytes) return make_error(bytes.error().with_context("keystore: " + path));
    if (bytes->size() < min_len || bytes->size() > max_len) {
        const std::string expected = min_len == max_len ? std::to_string(min_len)
                                                        : std::to_string(min_len) + " to " + std::to_string(max_len);
        return fail(Errc::kInvalidLength,
                    path + " must be " + expected + " bytes, got " + std::to_string(bytes->size()));
    }
    return bytes;
}

bool is_power_of_two(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Password bytes for Crypto++ (a valid pointer even for an empty password).
const CryptoPP::byte* password_ptr(std::string_view password) {
    static const CryptoPP::byte kEmpty = 0;
    return password.empty() ? &kEmpty : reinterpret_cast<const CryptoPP::byte*>(password.data());
}

struct ScryptParams {
    std::uint64_t n;
    std::uint64_t r;
    std::uint64_t p;
};

// Parameters are validated (and bounded) by the caller; only allocation can still fail.
Result<CryptoPP::SecByteBlock> derive_scrypt(std::string_view password, ByteView salt, const ScryptParams& s) {
    CryptoPP::SecByteBlock dk(kKeyLen);
    WP_TRY_VOID(detail::keystore_scrypt(as_bytes(password), salt, s.n, static_cast<std::uint32_t>(s.r),
                                        static_cast<std::uint32_t>(s.p),
                                        std::span<std::uint8_t>(dk.data(), dk.size())));
    return dk;
}

Result<CryptoPP::SecByteBlock> derive_pbkdf2(std::string_view password, ByteView salt, std::uint64_t c) {
    CryptoPP::SecByteBlock dk(kKeyLen);
    try {
        CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA256>().DeriveKey(dk.data(), dk.size(), 0, password_ptr(password),
                                                                   password.size(), salt.data(), salt.size(),
                                                                   static_cast<unsigned int>(c));
    } catch (const std::exception& e) {
        return fail(Errc::kCrypto, std::string("pbkdf2 failed: ") + e.what());
    }
    return dk;
}

Result<std::uint64_t> require_dklen(const json::object& params, const std::string& path) {
    WP_TRY(std::uint64_t dklen, require_uint(params, path, "dklen"));
    if (dklen < kMinDkLen || dklen > kMaxDkLen)
        return fail(Errc::kInvalidArgument, path + ".dklen must be between 32 and 64, got " + std::to_string(dklen));
    return dklen;
}

Result<CryptoPP::SecByteBlock> derive_key(const json::object& crypto, const std::string& cpath,
                                          std::string_view password, const KeystoreLimits& limits) {
    WP_TRY(std::string_view kdf, require_string(crypto, cpath, "kdf"));
    WP_TRY(const json::object* params, require_object(crypto, cpath, "kdfparams"));
    const std::string ppath = cpath + ".kdfparams";

    if (kdf == "scrypt") {
        WP_TRY(std::uint64_t n, require_uint(*params, ppath, "n"));
        WP_TRY(std::uint64_t r, require_uint(*params, ppath, "r"));
        WP_TRY(std::uint64_t p, require_uint(*params, ppath, "p"));
        WP_TRY_VOID(require_dklen(*params, ppath));
        WP_TRY(Bytes salt, require_hex(*params, ppath, "salt", 1, kMaxSaltLen));
        if (n < 2 || !is_power_of_two(n))
            return fail(Errc::kInvalidArgument,
                        ppath + ".n must be a power of two greater than 1, got " + std::to_string(n));
        if (r == 0) return fail(Errc::kInvalidArgument, ppath + ".r must be at least 1");
        if (p == 0) return fail(Errc::kInvalidArgument, ppath + ".p must be at least 1");
        // Overflow-free limit checks: n, r, p are each below 2^64, so compare by division.
        const std::uint64_t max_work = limits.max_scrypt_work;
        if (r > max_work || p > max_work / r || n > max_work / (r * p))
            return fail(Errc::kInvalidArgument, ppath + " scrypt cost n*r*p = " + std::to_string(n) + "*" +
                                                    std::to_string(r) + "*" + std::to_string(p) +
                                                    " exceeds the limit " + std::to_string(max_work));
        // Here n*r*p <= max_work, so n + p and 128*r*(n+p) are checked the same way.
        const std::uint64_t blocks = limits.max_scrypt_memory / 128 / r;
        if (n > blocks || p > blocks - n)
            return fail(Errc::kInvalidArgument, ppath + " scrypt memory 128*r*(n+p) with n=" + std::to_string(n) +
                                                    " r=" + std::to_string(r) + " p=" + std::to_string(p) +
                                                    " exceeds the limit of " +
                                                    std::to_string(limits.max_scrypt_memory) + " bytes");
        if (r * p >= (std::uint64_t{1} << 30))
            return fail(Errc::kInvalidArgument, ppath + " scrypt r*p must be below 2^30");
        return derive_scrypt(password, salt, ScryptParams{n, r, p});
    }
    if (kdf == "pbkdf2") {
        WP_TRY(std::uint64_t c, require_uint(*params, ppath, "c"));
        WP_TRY(std::string_view prf, require_string(*params, ppath, "prf"));
        WP_TRY_VOID(require_dklen(*params, ppath));
        WP_TRY(Bytes salt, require_hex(*params, ppath, "salt", 1, kMaxSaltLen));
        if (prf != "hmac-sha256")
            return fail(Errc::kUnsupported,
                        ppath + ".prf '" + std::string(prf) + "' is not supported (only hmac-sha256)");
        if (c == 0) return fail(Errc::kInvalidArgument, ppath + ".c must be at least 1");
        if (c > limits.max_pbkdf2_iterations || c > std::numeric_limits<unsigned int>::max())
            return fail(Errc::kInvalidArgument, ppath + ".c = " + std::to_string(c) + " exceeds the limit " +
                                                    std::to_string(limits.max_pbkdf2_iterations));
        return derive_pbkdf2(password, salt, c);
    }
    return fail(Errc::kUnsupported, cpath + ".kdf '" + std::string(kdf) + "' is not supported (scrypt or pbkdf2)");
}

Bytes32 compute_mac(const CryptoPP::SecByteBlock& dk, ByteView ciphertext) {
    Keccak256 h;
    h.update(ByteView(dk.data() + 16, 16));
    h.update(ciphertext);
    return h.finalize();
}

void aes128_ctr(const CryptoPP::SecByteBlock& dk, ByteView iv, ByteView in, std::uint8_t* out) {
    CryptoPP::CTR_Mode<CryptoPP::AES>::Encryption ctr;
    ctr.SetKeyWithIV(dk.data(), 16, iv.data(), iv.size());
    ctr.ProcessData(out, in.data(), in.size());
}

[[noreturn]] void precondition_failed(const char* what) {
    std::fprintf(stderr, "fatal: keystore_encrypt: %s\n", what);
    std::abort();
}

}  // namespace

Result<PrivateKey> keystore_decrypt(std::string_view json_text, std::string_view password,
                                    const KeystoreLimits& limits) {
    boost::system::error_code ec;
    const json::value doc = json::parse(json::string_view(json_text.data(), json_text.size()), ec);
    if (ec) return fail(Errc::kDecoding, "invalid JSON: " + ec.message());
    const json::object* root = doc.if_object();
    if (!root) return fail(Errc::kDecoding, "top level must be a JSON object");

    WP_TRY(Field version, require(*root, "", "version"));
    const std::int64_t* v_int = version.value->if_int64();
    const std::uint64_t* v_uint = version.value->if_uint64();
    if (!v_int && !v_uint) return fail(Errc::kDecoding, "version must be a JSON integer");
    if ((v_int && *v_int != 3) || (v_uint && *v_uint != 3))
        return fail(Errc::kUnsupported,
                    "version " + json::serialize(*version.value) + " is not supported (only version 3)");

    const bool has_lower = root->contains("crypto");
    const bool has_upper = root->contains("Crypto");
    if (has_lower && has_upper) return fail(Errc::kDecoding, "both crypto and Crypto are present");
    if (!has_lower && !has_upper) return fail(Errc::kDecoding, "missing field crypto (or Crypto)");
    const std::string cpath = has_lower ? "crypto" : "Crypto";
    WP_TRY(const json::object* crypto, require_object(*root, "", cpath));

    WP_TRY(std::string_view cipher, require_string(*crypto, cpath, "cipher"));
    if (cipher != "aes-128-ctr")
        return fail(Errc::kUnsupported,
                    cpath + ".cipher '" + std::string(cipher) + "' is not supported (only aes-128-ctr)");
    WP_TRY(const json::object* cipherparams, require_object(*crypto, cpath, "cipherparams"));
    WP_TRY(Bytes iv, require_hex(*cipherparams, cpath + ".cipherparams", "iv", kIvLen, kIvLen));
    WP_TRY(Bytes ciphertext, require_hex(*crypto, cpath, "ciphertext", kCiphertextLen, kCiphertextLen));
    WP_TRY(Bytes mac, require_hex(*crypto, cpath, "mac", 32, 32));

    std::optional<Address> claimed;
    if (const json::value* a = root->if_contains("address"); a && !a->is_null()) {
        const json::string* s = a->if_string();
        if (!s) return fail(Errc::kDecoding, "address must be a string");
        auto bytes = from_hex_lenient_prefix(std::string_view(*s));
        if (!bytes) return make_error(bytes.error().with_context("keystore: address"));
        auto addr = Address::from_view(*bytes);
        if (!addr) return make_error(addr.error().with_context("keystore: address"));
        claimed = *addr;
    }

    WP_TRY(CryptoPP::SecByteBlock dk, derive_key(*crypto, cpath, password, limits));

    const Bytes32 expected = compute_mac(dk, ciphertext);
    if (!CryptoPP::VerifyBufsEqual(expected.data(), mac.data(), expected.size()))
        return fail(Errc::kWrongPassword, "invalid password (MAC mismatch)");

    CryptoPP::SecByteBlock plain(kCiphertextLen);
    aes128_ctr(dk, iv, ciphertext, plain.data());
    auto key = PrivateKey::from_bytes(ByteView(plain.data(), plain.size()));
    if (!key) return make_error(key.error().with_context("keystore: decrypted private key"));
    if (claimed && *claimed != key->address())
        return fail(Errc::kCrypto, "address " + claimed->to_checksum() +
                                       " does not match the decrypted key's address " + key->address().to_checksum());
    return key;
}

std::string keystore_encrypt(const PrivateKey& key, std::string_view password, const KeystoreOptions& options,
                             const KeystoreRandomness& randomness) {
    if (options.scrypt_n < 2 || !is_power_of_two(options.scrypt_n))
        precondition_failed("scrypt_n must be a power of two greater than 1");
    if (options.r == 0 || options.p == 0) precondition_failed("scrypt r and p must be at least 1");
    if (std::uint64_t{options.r} * options.p >= (std::uint64_t{1} << 30))
        precondition_failed("scrypt r*p must be below 2^30");

    auto dk = derive_scrypt(password, randomness.salt.view(),
                            ScryptParams{options.scrypt_n, options.r, options.p});
    if (!dk) precondition_failed(dk.error().message.c_str());

    FixedBytes<kCiphertextLen> ciphertext;
    aes128_ctr(*dk, randomness.iv.view(), key.secret().view(), ciphertext.data());
    const Bytes32 mac = compute_mac(*dk, ciphertext.view());

    json::object kdfparams;
    kdfparams["salt"] = to_hex_no_prefix(randomness.salt.view());
    kdfparams["n"] = options.scrypt_n;
    kdfparams["dklen"] = 32;
    kdfparams["p"] = options.p;
    kdfparams["r"] = options.r;

    json::object cipherparams;
    cipherparams["iv"] = to_hex_no_prefix(randomness.iv.view());

    json::object crypto;
    crypto["cipher"] = "aes-128-ctr";
    crypto["cipherparams"] = std::move(cipherparams);
    crypto["ciphertext"] = to_hex_no_prefix(ciphertext.view());
    crypto["kdf"] = "scrypt";
    crypto["kdfparams"] = std::move(kdfparams);
    crypto["mac"] = to_hex_no_prefix(mac.view());

    json::object root;
    root["address"] = to_hex_no_prefix(key.address().view());
    root["id"] = uuid_v4(randomness.uuid);
    root["version"] = 3;
    root["Crypto"] = std::move(crypto);
    return json::serialize(root);
}

std::string keystore_encrypt(const PrivateKey& key, std::string_view password, const KeystoreOptions& options) {
    KeystoreRandomness randomness;
    secure_random(randomness.salt.bytes);
    secure_random(randomness.iv.bytes);
    secure_random(randomness.uuid.bytes);
    return keystore_encrypt(key, password, options, randomness);
}

std::string keystore_file_name(const Address& address, std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(time);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss<milliseconds> tod{ms - day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "UTC--%04d-%02u-%02uT%02d-%02d-%02d.%03d000000Z--", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                  static_cast<int>(tod.seconds().count()), static_cast<int>(tod.subseconds().count()));
    return std::string(buf) + address.to_checksum().substr(2);
}

namespace detail {

Result<void> keystore_scrypt(ByteView password, ByteView salt, std::uint64_t n, std::uint32_t r, std::uint32_t p,
                             std::span<std::uint8_t> out) {
    if (n < 2 || !is_power_of_two(n))
        return fail(Errc::kInvalidArgument, "scrypt n must be a power of two greater than 1, got " + std::to_string(n));
    if (r == 0 || p == 0) return fail(Errc::kInvalidArgument, "scrypt r and p must be at least 1");
    if (std::uint64_t{r} * p >= (std::uint64_t{1} << 30))
        return fail(Errc::kInvalidArgument, "scrypt r*p must be below 2^30");
    static const std::uint8_t kEmpty = 0;
    const std::uint8_t* pw = password.empty() ? &kEmpty : password.data();
    const std::uint8_t* st = salt.empty() ? &kEmpty : salt.data();

    if (16 * std::uint64_t{r} < 64 && n >= (std::uint64_t{1} << (16 * r))) {
        // OpenSSL refuses n >= 2^(16 r) (RFC 7914's rule); Crypto++ computes it like geth.
        try {
            CryptoPP::Scrypt().DeriveKey(out.data(), out.size(), pw, password.size(), st, salt.size(), n, r, p);
        } catch (const std::exception& e) {
            CryptoPP::SecureWipeBuffer(out.data(), out.size());
            return fail(Errc::kCrypto, std::string("scrypt failed: ") + e.what());
        }
        return {};
    }

    // OpenSSL allocates 128 r (n + p + 2) bytes and refuses to exceed maxmem: pass exactly that (saturated),
    // the caller having bounded the cost (KeystoreLimits).
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t blocks = n > kMax - p - 2 ? kMax : n + p + 2;
    const std::uint64_t maxmem = blocks > kMax / 128 / r ? kMax : 128 * std::uint64_t{r} * blocks;
    ERR_clear_error();
    if (EVP_PBE_scrypt(reinterpret_cast<const char*>(pw), password.size(), st, salt.size(), n, r, p, maxmem, out.data(),
                       out.size()) != 1) {
        OPENSSL_cleanse(out.data(), out.size());
        char reason[256] = "unknown error";
        if (const unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, reason, sizeof reason);
        ERR_clear_error();
        return fail(Errc::kCrypto, std::string("scrypt failed (OpenSSL): ") + reason);
    }
    return {};
}

}  // namespace detail

}  // namespace wp
