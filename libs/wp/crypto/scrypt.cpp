#include "scrypt.hpp"

#include <crypto++/pwdbased.h>
#include <crypto++/secblock.h>
#include <crypto++/sha.h>

#include <cassert>
#include <cstring>

namespace wp {
namespace {

using Word = std::uint32_t;

constexpr Word rotl(Word x, int c) { return (x << c) | (x >> (32 - c)); }

// Salsa20/8 core (RFC 7914 §3), in place on 16 words.
void salsa20_8(Word b[16]) {
    Word x[16];
    std::memcpy(x, b, sizeof x);
    for (int i = 0; i < 8; i += 2) {
        x[4] ^= rotl(x[0] + x[12], 7);
        x[8] ^= rotl(x[4] + x[0], 9);
        x[12] ^= rotl(x[8] + x[4], 13);
        x[0] ^= rotl(x[12] + x[8], 18);
        x[9] ^= rotl(x[5] + x[1], 7);
        x[13] ^= rotl(x[9] + x[5], 9);
        x[1] ^= rotl(x[13] + x[9], 13);
        x[5] ^= rotl(x[1] + x[13], 18);
        x[14] ^= rotl(x[10] + x[6], 7);
        x[2] ^= rotl(x[14] + x[10], 9);
        x[6] ^= rotl(x[2] + x[14], 13);
        x[10] ^= rotl(x[6] + x[2], 18);
        x[3] ^= rotl(x[15] + x[11], 7);
        x[7] ^= rotl(x[3] + x[15], 9);
        x[11] ^= rotl(x[7] + x[3], 13);
        x[15] ^= rotl(x[11] + x[7], 18);
        x[1] ^= rotl(x[0] + x[3], 7);
        x[2] ^= rotl(x[1] + x[0], 9);
        x[3] ^= rotl(x[2] + x[1], 13);
        x[0] ^= rotl(x[3] + x[2], 18);
        x[6] ^= rotl(x[5] + x[4], 7);
        x[7] ^= rotl(x[6] + x[5], 9);
        x[4] ^= rotl(x[7] + x[6], 13);
        x[5] ^= rotl(x[4] + x[7], 18);
        x[11] ^= rotl(x[10] + x[9], 7);
        x[8] ^= rotl(x[11] + x[10], 9);
        x[9] ^= rotl(x[8] + x[11], 13);
        x[10] ^= rotl(x[9] + x[8], 18);
        x[12] ^= rotl(x[15] + x[14], 7);
        x[13] ^= rotl(x[12] + x[15], 9);
        x[14] ^= rotl(x[13] + x[12], 13);
        x[15] ^= rotl(x[14] + x[13], 18);
    }
    for (int i = 0; i < 16; ++i) b[i] += x[i];
    CryptoPP::SecureWipeArray(x, 16);
}

// scryptBlockMix (RFC 7914 §4): `in` and `out` are 2r blocks of 16 words; Y_even go to the first
// half of `out`, Y_odd to the second. `x` is 16 words of scratch.
void block_mix(const Word* in, Word* out, std::size_t r, Word* x) {
    std::memcpy(x, in + (2 * r - 1) * 16, 64);
    for (std::size_t i = 0; i < 2 * r; ++i) {
        for (std::size_t k = 0; k < 16; ++k) x[k] ^= in[i * 16 + k];
        salsa20_8(x);
        std::memcpy(out + ((i % 2 == 0) ? i / 2 : r + i / 2) * 16, x, 64);
    }
}

Word load_le(const std::uint8_t* p) {
    return Word{p[0]} | (Word{p[1]} << 8) | (Word{p[2]} << 16) | (Word{p[3]} << 24);
}

void store_le(std::uint8_t* p, Word w) {
    p[0] = static_cast<std::uint8_t>(w);
    p[1] = static_cast<std::uint8_t>(w >> 8);
    p[2] = static_cast<std::uint8_t>(w >> 16);
    p[3] = static_cast<std::uint8_t>(w >> 24);
}

// scryptROMix (RFC 7914 §5) on one 128·r-byte block, in place. `v` holds n·32r words.
void ro_mix(std::uint8_t* block, std::size_t r, std::uint64_t n, Word* v, Word* x, Word* y, Word* scratch) {
    const std::size_t words = 32 * r;
    for (std::size_t k = 0; k < words; ++k) x[k] = load_le(block + 4 * k);
    for (std::uint64_t i = 0; i < n; ++i) {
        std::memcpy(v + i * words, x, words * sizeof(Word));
        block_mix(x, y, r, scratch);
        std::swap(x, y);
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        // Integerify: the first word of the last 64-byte block; n ≤ 2^32 in practice, and the
        // mask keeps j < n for any power of two.
        const std::uint64_t j = x[(2 * r - 1) * 16] & (n - 1);
        const Word* vj = v + j * words;
        for (std::size_t k = 0; k < words; ++k) x[k] ^= vj[k];
        block_mix(x, y, r, scratch);
        std::swap(x, y);
    }
    for (std::size_t k = 0; k < words; ++k) store_le(block + 4 * k, x[k]);
}

}  // namespace

void scrypt(ByteView password, ByteView salt, std::uint64_t n, std::uint32_t r, std::uint32_t p,
            std::span<std::uint8_t> out) {
    assert(n > 1 && (n & (n - 1)) == 0);
    assert(r >= 1 && p >= 1 && std::uint64_t{r} * p < (std::uint64_t{1} << 30));
    static const std::uint8_t kEmpty = 0;
    const std::uint8_t* pw = password.empty() ? &kEmpty : password.data();
    const std::uint8_t* st = salt.empty() ? &kEmpty : salt.data();

    const CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA256> pbkdf2;
    const std::size_t block_bytes = 128 * std::size_t{r};
    CryptoPP::SecByteBlock b(block_bytes * p);
    pbkdf2.DeriveKey(b.data(), b.size(), 0, pw, password.size(), st, salt.size(), 1);

    const std::size_t words = 32 * std::size_t{r};
    CryptoPP::SecBlock<Word> v(static_cast<std::size_t>(n) * words);
    CryptoPP::SecBlock<Word> xy(2 * words + 16);
    for (std::uint32_t i = 0; i < p; ++i)
        ro_mix(b.data() + i * block_bytes, r, n, v.data(), xy.data(), xy.data() + words, xy.data() + 2 * words);

    pbkdf2.DeriveKey(out.data(), out.size(), 0, pw, password.size(), b.data(), b.size(), 1);
}

}  // namespace wp
