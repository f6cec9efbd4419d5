#include "result_crypto.hpp"

#include <array>
#include <memory>
#include <optional>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <zip.h>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>

namespace wp::cli {

namespace {

constexpr std::string_view kEncKeyEntry = "aes-key.rsa";
constexpr std::string_view kEncResultEntry = "iexec_out.zip.aes";

struct CipherCtxFree {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
struct BioFree {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct ZipDiscard {
    void operator()(zip_t* z) const noexcept { zip_discard(z); }
};
struct ZipFileClose {
    void operator()(zip_file_t* f) const noexcept { zip_fclose(f); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

int int_size(std::size_t n) { return static_cast<int>(n); }

std::string_view as_text(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// One-shot EVP cipher over `in` (PKCS#7 padding on).
Result<Bytes> run_cipher(const EVP_CIPHER* cipher, bool encrypt, ByteView key, const std::uint8_t* iv, ByteView in) {
    std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
    if (!ctx) return make_error(Errc::kCrypto, "EVP_CIPHER_CTX_new failed");
    if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv, encrypt ? 1 : 0) != 1)
        return make_error(Errc::kCrypto, "EVP_CipherInit_ex failed");
    Bytes out(in.size() + 32);
    std::size_t done = 0;
    // EVP_CipherUpdate takes an int length: feed at most 256 MiB at a time.
    constexpr std::size_t kChunk = std::size_t{1} << 28;
    for (std::size_t off = 0; off < in.size(); off += kChunk) {
        const std::size_t n = std::min(kChunk, in.size() - off);
        int len = 0;
        if (EVP_CipherUpdate(ctx.get(), out.data() + done, &len, in.data() + off, int_size(n)) != 1)
            return make_error(Errc::kDecoding, "cipher update failed");
        done += static_cast<std::size_t>(len);
    }
    int len = 0;
    if (EVP_CipherFinal_ex(ctx.get(), out.data() + done, &len) != 1) {
        ERR_clear_error();
        return make_error(Errc::kDecoding, encrypt ? "cipher final failed" : "bad padding or length");
    }
    done += static_cast<std::size_t>(len);
    out.resize(done);
    return out;
}

PkeyPtr read_pem_private(std::string_view pem) {
    if (pem.size() > (std::size_t{1} << 20)) return nullptr;
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), int_size(pem.size())));
    if (!bio) return nullptr;
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
    ERR_clear_error();
    if (key && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return nullptr;
    return key;
}

PkeyPtr read_pem_public(std::string_view pem) {
    if (pem.size() > (std::size_t{1} << 20)) return nullptr;
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), int_size(pem.size())));
    if (!bio) return nullptr;
    PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (key && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return nullptr;
    return key;
}

// RSAES-PKCS1-v1_5 with `key` (encrypt with a public key, decrypt with a private one).
Result<Bytes> rsa_pkcs1(EVP_PKEY* key, bool encrypt, ByteView in) {
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(key, nullptr));
    if (!ctx) return make_error(Errc::kCrypto, "EVP_PKEY_CTX_new failed");
    const int init = encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get());
    if (init != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
        ERR_clear_error();
        return make_error(Errc::kCrypto, "RSA context setup failed");
    }
    std::size_t len = 0;
    auto op = [&](std::uint8_t* out, std::size_t* n) {
        return encrypt ? EVP_PKEY_encrypt(ctx.get(), out, n, in.data(), in.size())
                       : EVP_PKEY_decrypt(ctx.get(), out, n, in.data(), in.size());
    };
    if (op(nullptr, &len) != 1) {
        ERR_clear_error();
        return make_error(Errc::kDecoding, "RSA operation failed");
    }
    Bytes out(len);
    if (op(out.data(), &len) != 1) {
        ERR_clear_error();
        return make_error(Errc::kDecoding, "RSA operation failed");
    }
    out.resize(len);
    return out;
}

// An entry of `z` by exact name, at most `max` bytes.
Result<Bytes> read_entry(zip_t* z, std::string_view name, std::size_t max) {
    const std::string n(name);
    const zip_int64_t index = zip_name_locate(z, n.c_str(), ZIP_FL_ENC_RAW);
    if (index < 0) return make_error(Errc::kInvalidArgument, "Missing " + n + " file in zip input file");
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z, static_cast<zip_uint64_t>(index), 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0)
        return make_error(Errc::kDecoding, "Failed to load " + n + " file from zip input file: unreadable entry");
    if (st.size > max) return make_error(Errc::kTooLarge, n + " is too large");
    std::unique_ptr<zip_file_t, ZipFileClose> f(zip_fopen_index(z, static_cast<zip_uint64_t>(index), 0));
    if (!f) return make_error(Errc::kDecoding, "Failed to load " + n + " file from zip input file: " + zip_strerror(z));
    Bytes out(static_cast<std::size_t>(st.size));
    std::size_t done = 0;
    while (done < out.size()) {
        const zip_int64_t got = zip_fread(f.get(), out.data() + done, out.size() - done);
        if (got < 0)
            return make_error(Errc::kDecoding,
                              "Failed to load " + n + " file from zip input file: " + zip_file_strerror(f.get()));
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    // The declared size is checked against what the data gives (a lying header is a malformed entry).
    std::array<std::uint8_t, 1> extra{};
    if (done != out.size() || zip_fread(f.get(), extra.data(), 1) != 0)
        return make_error(Errc::kDecoding, "Failed to load " + n + " file from zip input file: Unexpected file size");
    return out;
}

}  // namespace

std::string base64_encode(ByteView bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        const unsigned v = (unsigned{bytes[i]} << 16) | (rest == 2 ? unsigned{bytes[i + 1]} << 8 : 0u);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

Result<Bytes> base64_decode(std::string_view text) {
    Bytes out;
    out.reserve(text.size() / 4 * 3);
    unsigned acc = 0;
    int bits = 0;
    bool padding = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        unsigned v = 0;
        if (c >= 'A' && c <= 'Z') v = static_cast<unsigned>(c - 'A');
        else if (c >= 'a' && c <= 'z') v = static_cast<unsigned>(c - 'a') + 26;
        else if (c >= '0' && c <= '9') v = static_cast<unsigned>(c - '0') + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else if (c == '=') {
            padding = true;
            continue;
        } else {
            return make_error(Errc::kDecoding, "invalid base64 character at offset " + std::to_string(i));
        }
        if (padding) return make_error(Errc::kDecoding, "base64 data after padding at offset " + std::to_string(i));
        acc = ((acc << 6) | v) & 0xFFFFFFu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFFu));
        }
    }
    if (bits >= 6) return make_error(Errc::kDecoding, "truncated base64 data");
    return out;
}

std::string sha256_hex(ByteView bytes) {
    std::array<std::uint8_t, 32> digest{};
    unsigned len = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_sha256(), nullptr);
    return to_hex(ByteView(digest.data(), digest.size()));
}

Result<Bytes> aes256_cbc_encrypt(ByteView plain, ByteView key, ByteView iv) {
    if (key.size() != 32) return make_error(Errc::kInvalidLength, "AES-256 key must be 32 bytes");
    if (iv.size() != 16) return make_error(Errc::kInvalidLength, "AES IV must be 16 bytes");
    WP_TRY(Bytes cipher, run_cipher(EVP_aes_256_cbc(), true, key, iv.data(), plain));
    Bytes out(iv.begin(), iv.end());
    append(out, cipher);
    return out;
}

Result<Bytes> aes256_cbc_encrypt(ByteView plain, ByteView key) {
    const Bytes iv = random_bytes(16);
    return aes256_cbc_encrypt(plain, key, iv);
}

Result<Bytes> aes256_cbc_decrypt(ByteView data, ByteView key) {
    if (key.size() != 32) return make_error(Errc::kInvalidLength, "AES-256 key must be 32 bytes");
    if (data.size() < 32 || data.size() % 16 != 0)
        return make_error(Errc::kDecoding, "AES-CBC data must be an IV and whole blocks");
    return run_cipher(EVP_aes_256_cbc(), false, key, data.data(), data.subspan(16));
}

std::string generate_dataset_key() { return base64_encode(random_bytes(32)); }

Result<Bytes> parse_dataset_key(std::string_view text) {
    auto key = base64_decode(text);
    if (!key || key->size() != 32)
        return make_error(Errc::kInvalidArgument, "Invalid dataset key (expected the base64 of 32 bytes)");
    return key;
}

Result<RsaKeyPair> generate_rsa_keypair(unsigned bits) {
    PkeyPtr key(EVP_RSA_gen(bits));
    if (!key) {
        ERR_clear_error();
        return make_error(Errc::kCrypto, "RSA key generation failed");
    }
    auto to_pem = [](auto write) -> Result<std::string> {
        std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
        if (!bio || write(bio.get()) != 1) {
            ERR_clear_error();
            return make_error(Errc::kCrypto, "PEM encoding failed");
        }
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio.get(), &data);
        return std::string(data, static_cast<std::size_t>(n));
    };
    RsaKeyPair pair;
    WP_TRY(pair.private_pem, to_pem([&](BIO* b) {
               return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
           }));
    WP_TRY(pair.public_pem, to_pem([&](BIO* b) { return PEM_write_bio_PUBKEY(b, key.get()); }));
    return pair;
}

Result<Bytes> decrypt_result_archive(ByteView archive, std::string_view private_key_pem) {
    PkeyPtr key = read_pem_private(private_key_pem);
    if (!key) return make_error(Errc::kInvalidArgument, "Invalid beneficiary key");

    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(archive.data(), archive.size(), 0, &err);
    std::unique_ptr<zip_t, ZipDiscard> z;
    if (src != nullptr) {
        z.reset(zip_open_from_source(src, ZIP_RDONLY, &err));
        if (!z) zip_source_free(src);
    }
    zip_error_fini(&err);
    if (!z) return make_error(Errc::kDecoding, "Failed to load encrypted results zip file");

    // The SDK checks both entries exist before reading either.
    for (const std::string_view name : {kEncKeyEntry, kEncResultEntry}) {
        if (zip_name_locate(z.get(), std::string(name).c_str(), ZIP_FL_ENC_RAW) < 0)
            return make_error(Errc::kInvalidArgument, "Missing " + std::string(name) + " file in zip input file");
    }
    WP_TRY(Bytes enc_key, read_entry(z.get(), kEncKeyEntry, kMaxEncryptedKeyBytes));

    // The AES key: RSA of the raw key, or (legacy) the base64 text of RSA of the key's base64 text.
    Bytes aes_key;
    if (auto direct = rsa_pkcs1(key.get(), false, enc_key)) {
        aes_key = std::move(*direct);
    } else {
        auto legacy = [&]() -> std::optional<Bytes> {
            auto unwrapped = base64_decode(as_text(enc_key));
            if (!unwrapped) return std::nullopt;
            auto key_text = rsa_pkcs1(key.get(), false, *unwrapped);
            if (!key_text) return std::nullopt;
            auto raw = base64_decode(as_text(*key_text));
            if (!raw) return std::nullopt;
            return std::move(*raw);
        };
        auto raw_key = legacy();
        if (!raw_key) return make_error(Errc::kInvalidArgument, "Failed to decrypt results key with beneficiary key");
        aes_key = std::move(*raw_key);
    }

    WP_TRY(Bytes enc_result, read_entry(z.get(), kEncResultEntry, kMaxEncryptedResultBytes));
    const auto failed = [] {
        return make_error(Errc::kInvalidArgument, "Failed to decrypt results with decrypted results key");
    };
    if (aes_key.size() == 32) {
        auto plain = aes256_cbc_decrypt(enc_result, aes_key);
        if (!plain) return failed();
        return plain;
    }
    if (aes_key.size() == 16) {
        auto payload = base64_decode(as_text(enc_result));
        if (!payload) return failed();
        auto plain = run_cipher(EVP_aes_128_ecb(), false, aes_key, nullptr, *payload);
        if (!plain) return failed();
        return plain;
    }
    return failed();
}

Result<Bytes> encrypt_result_archive(ByteView result_zip, std::string_view public_key_pem) {
    PkeyPtr key = read_pem_public(public_key_pem);
    if (!key) return make_error(Errc::kInvalidArgument, "Invalid public key");
    const Bytes aes_key = random_bytes(32);
    WP_TRY(Bytes enc_key, rsa_pkcs1(key.get(), true, aes_key));
    WP_TRY(Bytes enc_result, aes256_cbc_encrypt(result_zip, aes_key));

    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* out_src = zip_source_buffer_create(nullptr, 0, 0, &err);
    if (out_src == nullptr) {
        zip_error_fini(&err);
        return make_error(Errc::kIo, "libzip: cannot create a buffer");
    }
    zip_source_keep(out_src);
    std::unique_ptr<zip_source_t, void (*)(zip_source_t*)> keep(out_src, zip_source_free);
    zip_t* z = zip_open_from_source(out_src, ZIP_TRUNCATE, &err);
    zip_error_fini(&err);
    if (z == nullptr) return make_error(Errc::kIo, "libzip: cannot open an archive in memory");
    auto fail = [z](const std::string& what) {
        const std::string cause = zip_strerror(z);
        zip_discard(z);
        return make_error(Errc::kIo, "libzip: " + what + ": " + cause);
    };
    const std::pair<std::string_view, const Bytes*> entries[] = {{kEncKeyEntry, &enc_key},
                                                                 {kEncResultEntry, &enc_result}};
    for (const auto& [name, data] : entries) {
        zip_source_t* s = zip_source_buffer(z, data->data(), data->size(), 0);
        if (s == nullptr) return fail("cannot add " + std::string(name));
        const zip_int64_t index = zip_file_add(z, std::string(name).c_str(), s, ZIP_FL_ENC_UTF_8);
        if (index < 0) {
            zip_source_free(s);
            return fail("cannot add " + std::string(name));
        }
        if (zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0 ||
            zip_file_set_dostime(z, static_cast<zip_uint64_t>(index), 0, 0x21, 0) != 0)
            return fail("cannot set the attributes of " + std::string(name));
    }
    if (zip_close(z) != 0) return fail("cannot write the archive");
    if (zip_source_open(out_src) != 0) return make_error(Errc::kIo, "libzip: cannot reopen the archive");
    Bytes out;
    std::array<std::uint8_t, 65536> buf{};
    for (;;) {
        const zip_int64_t n = zip_source_read(out_src, buf.data(), buf.size());
        if (n < 0) {
            zip_source_close(out_src);
            return make_error(Errc::kIo, "libzip: cannot read the archive");
        }
        if (n == 0) break;
        out.insert(out.end(), buf.begin(), buf.begin() + n);
    }
    zip_source_close(out_src);
    return out;
}

}  // namespace wp::cli
