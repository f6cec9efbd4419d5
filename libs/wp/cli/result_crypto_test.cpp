// result_crypto.hpp against known answers (RFC 4648, NIST SP 800-38A F.2.5, FIPS 180-2) and its own inverse: the
// SDK's dataset encryption layout, the RSA key pair PEM forms, and the encrypted result archive with every error the
// SDK names (the interop with the SDK's own code is tests/cli/sdk_crypto_interop.sh).
#include "result_crypto.hpp"

#include <gtest/gtest.h>
#include <zip.h>

#include <string>
#include <utility>
#include <vector>

#include <wp/core/hex.hpp>

namespace wp::cli {
namespace {

Bytes hex(std::string_view h) { return *from_hex(h); }

// A zip of `entries` (name, content), deflated, built with libzip.
Bytes make_zip(const std::vector<std::pair<std::string, Bytes>>& entries) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &err);
    zip_source_keep(out);
    zip_t* z = zip_open_from_source(out, ZIP_TRUNCATE, &err);
    for (const auto& [name, data] : entries) {
        zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
        zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8);
    }
    zip_close(z);
    zip_source_open(out);
    Bytes bytes;
    std::uint8_t buf[4096];
    for (zip_int64_t n; (n = zip_source_read(out, buf, sizeof buf)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
    zip_source_close(out);
    zip_source_free(out);
    zip_error_fini(&err);
    return bytes;
}

// Reads one entry of a zip (for checking what encrypt_result_archive wrote).
std::vector<std::string> entry_names(const Bytes& archive) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(archive.data(), archive.size(), 0, &err);
    zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &err);
    std::vector<std::string> names;
    for (zip_int64_t i = 0; z != nullptr && i < zip_get_num_entries(z, 0); ++i)
        names.emplace_back(zip_get_name(z, static_cast<zip_uint64_t>(i), 0));
    if (z != nullptr) zip_discard(z);
    zip_error_fini(&err);
    return names;
}

const RsaKeyPair& test_keys() {
    static const RsaKeyPair keys = *generate_rsa_keypair(2048);
    return keys;
}

TEST(ResultCrypto, Base64MatchesRfc4648) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(as_bytes(plain)), encoded);
        auto back = base64_decode(encoded);
        ASSERT_TRUE(back) << encoded;
        EXPECT_EQ(*back, to_bytes(plain));
    }
    EXPECT_EQ(*base64_decode("Zm9v\nYmFy\n"), to_bytes("foobar"));
    EXPECT_FALSE(base64_decode("Zm9v!"));
    EXPECT_FALSE(base64_decode("Zg==Zg"));
    EXPECT_FALSE(base64_decode("Z"));
}

TEST(ResultCrypto, Sha256AndAesMatchTheStandards) {
    EXPECT_EQ(sha256_hex(as_bytes("abc")), "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // NIST SP 800-38A F.2.5 CBC-AES256.Encrypt, first block; PKCS#7 adds a whole padding block.
    const Bytes key = hex("0x603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const Bytes iv = hex("0x000102030405060708090a0b0c0d0e0f");
    auto sealed = aes256_cbc_encrypt(hex("0x6bc1bee22e409f96e93d7e117393172a"), key, iv);
    ASSERT_TRUE(sealed);
    ASSERT_EQ(sealed->size(), 48u);
    EXPECT_EQ(to_hex(ByteView(*sealed).first(32)),
              "0x000102030405060708090a0b0c0d0e0ff58c4c04d6e5f1ba779eabfb5f7bfbd6");
    EXPECT_EQ(*aes256_cbc_decrypt(*sealed, key), hex("0x6bc1bee22e409f96e93d7e117393172a"));

    EXPECT_FALSE(aes256_cbc_encrypt(as_bytes("x"), ByteView(key).first(16), iv));
    EXPECT_FALSE(aes256_cbc_decrypt(ByteView(*sealed).first(40), key));  // not whole blocks
    EXPECT_FALSE(aes256_cbc_decrypt(ByteView(*sealed).first(16), key));  // IV only
    Bytes other = key;
    other[0] ^= 1;
    auto garbage = aes256_cbc_decrypt(*sealed, other);
    EXPECT_TRUE(!garbage || *garbage != hex("0x6bc1bee22e409f96e93d7e117393172a"));
}

TEST(ResultCrypto, DecryptsADatasetFileEncryptedByTheSdk) {
    // vectors: the SDK 9.0.1's encryptAes256Cbc("tiny", key 0x00..0x1f in base64), run with node
    // (tests/cli/sdk_crypto_helper.mjs sdk-aes-encrypt).
    const Bytes key = *parse_dataset_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    EXPECT_EQ(to_hex(key), "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    auto plain = aes256_cbc_decrypt(hex("0x8760e367a895dff5c62023952c495d8c391739e08c12f3e03af89b680d16db36"), key);
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, to_bytes("tiny"));
}

TEST(ResultCrypto, DatasetKeysAreFreshBase64Of32Bytes) {
    const std::string a = generate_dataset_key();
    const std::string b = generate_dataset_key();
    EXPECT_EQ(a.size(), 44u);
    EXPECT_NE(a, b);
    ASSERT_TRUE(parse_dataset_key(a + "\n"));
    EXPECT_EQ(parse_dataset_key(a)->size(), 32u);
    auto bad = parse_dataset_key("Zm9v");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "Invalid dataset key (expected the base64 of 32 bytes)");
    // Two encryptions of the same file differ (random IV) and both decrypt.
    const Bytes key = *parse_dataset_key(a);
    auto x = aes256_cbc_encrypt(as_bytes("dataset"), key);
    auto y = aes256_cbc_encrypt(as_bytes("dataset"), key);
    EXPECT_NE(*x, *y);
    EXPECT_EQ(*aes256_cbc_decrypt(*y, key), to_bytes("dataset"));
}

TEST(ResultCrypto, KeyPairIsPkcs8AndSpkiPem) {
    auto pair = generate_rsa_keypair(4096);
    ASSERT_TRUE(pair);
    EXPECT_TRUE(pair->private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    EXPECT_TRUE(pair->private_pem.ends_with("-----END PRIVATE KEY-----\n"));
    EXPECT_TRUE(pair->public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    EXPECT_TRUE(pair->public_pem.ends_with("-----END PUBLIC KEY-----\n"));
    // 4096-bit SPKI: 550 DER bytes → 736 base64 characters on 64-column lines.
    const std::string body = pair->public_pem.substr(27, pair->public_pem.size() - 27 - 25);
    EXPECT_EQ(body.find('\n'), 64u);
    EXPECT_EQ(base64_decode(body)->size(), 550u);
    // The pair works together.
    auto archive = encrypt_result_archive(as_bytes("zip bytes"), pair->public_pem);
    ASSERT_TRUE(archive);
    EXPECT_EQ(*decrypt_result_archive(*archive, pair->private_pem), to_bytes("zip bytes"));
}

TEST(ResultCrypto, ResultArchiveRoundTripsWithTheSdkLayout) {
    Bytes big(300000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7 + 3);
    auto archive = encrypt_result_archive(big, test_keys().public_pem);
    ASSERT_TRUE(archive) << archive.error().message;
    EXPECT_EQ(entry_names(*archive), (std::vector<std::string>{"aes-key.rsa", "iexec_out.zip.aes"}));
    auto plain = decrypt_result_archive(*archive, test_keys().private_pem);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(*plain, big);
    // Fresh key and IV each time.
    EXPECT_NE(*encrypt_result_archive(big, test_keys().public_pem), *archive);
    EXPECT_FALSE(encrypt_result_archive(big, "not a key"));
}

TEST(ResultCrypto, ResultArchiveErrorsAreTheSdkMessages) {
    const auto& k = test_keys();
    auto message = [&](const Bytes& archive, std::string_view key) {
        auto r = decrypt_result_archive(archive, key);
        return r ? std::string("ok") : r.error().message;
    };
    const Bytes good = *encrypt_result_archive(as_bytes("z"), k.public_pem);
    EXPECT_EQ(message(good, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
              "Invalid beneficiary key");
    EXPECT_EQ(message(good, k.public_pem), "Invalid beneficiary key");
    EXPECT_EQ(message(to_bytes("PK not a zip"), k.private_pem), "Failed to load encrypted results zip file");
    EXPECT_EQ(message(make_zip({{"iexec_out.zip.aes", to_bytes("x")}}), k.private_pem),
              "Missing aes-key.rsa file in zip input file");
    EXPECT_EQ(message(make_zip({{"aes-key.rsa", to_bytes("x")}}), k.private_pem),
              "Missing iexec_out.zip.aes file in zip input file");
    EXPECT_EQ(message(make_zip({{"aes-key.rsa", Bytes(1001, 1)}, {"iexec_out.zip.aes", to_bytes("x")}}), k.private_pem),
              "aes-key.rsa is too large");
    EXPECT_EQ(message(make_zip({{"aes-key.rsa", Bytes(256, 1)}, {"iexec_out.zip.aes", to_bytes("x")}}), k.private_pem),
              "Failed to decrypt results key with beneficiary key");
    // Another beneficiary's key.
    const RsaKeyPair other = *generate_rsa_keypair(2048);
    EXPECT_EQ(message(good, other.private_pem), "Failed to decrypt results key with beneficiary key");
    // The right key, a damaged payload: the IV's last byte flipped turns the padding 0x0f into 0x5a (deterministic).
    auto damage = [&](const Bytes& archive) {
        zip_error_t err;
        zip_error_init(&err);
        zip_source_t* src = zip_source_buffer_create(archive.data(), archive.size(), 0, &err);
        zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &err);
        std::vector<std::pair<std::string, Bytes>> entries;
        for (zip_uint64_t i = 0; i < 2; ++i) {
            zip_stat_t st;
            zip_stat_index(z, i, 0, &st);
            Bytes data(st.size);
            zip_file_t* f = zip_fopen_index(z, i, 0);
            zip_fread(f, data.data(), data.size());
            zip_fclose(f);
            entries.emplace_back(st.name, std::move(data));
        }
        zip_discard(z);
        zip_error_fini(&err);
        entries[1].second[15] ^= 0x55;
        return make_zip(entries);
    };
    EXPECT_EQ(message(damage(good), k.private_pem), "Failed to decrypt results with decrypted results key");
}

}  // namespace
}  // namespace wp::cli
