#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/crypto/scrypt.hpp>

namespace wp {
namespace {

std::string scrypt_hex(std::string_view password, std::string_view salt, std::uint64_t n, std::uint32_t r,
                       std::uint32_t p, std::size_t len) {
    Bytes out(len);
    scrypt(as_bytes(password), as_bytes(salt), n, r, p, out);
    return to_hex_no_prefix(out);
}

// RFC 7914 §12 test vectors (also what node's crypto.scryptSync, i.e. OpenSSL, returns).
TEST(Scrypt, Rfc7914Vectors) {
    EXPECT_EQ(scrypt_hex("", "", 16, 1, 1, 64),
              "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
              "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
    EXPECT_EQ(scrypt_hex("password", "NaCl", 1024, 8, 16, 64),
              "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
              "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
    EXPECT_EQ(scrypt_hex("pleaseletmein", "SodiumChloride", 16384, 8, 1, 64),
              "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
              "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

TEST(Scrypt, OddParametersMatchNode) {
    // node: crypto.scryptSync("pw", "salt", 40, {N: 2, r: 3, p: 5}).toString("hex")
    EXPECT_EQ(scrypt_hex("pw", "salt", 2, 3, 5, 40),
              "975b2641e8d259e1dceee6197645c8bd447f1b54da8d5d33bd59ee7d186a6db6f8528f383b3f5db1");
    // A longer output starts with the shorter one (PBKDF2 blocks are independent).
    EXPECT_EQ(scrypt_hex("", "", 16, 1, 1, 32), scrypt_hex("", "", 16, 1, 1, 64).substr(0, 64));
}

}  // namespace
}  // namespace wp
