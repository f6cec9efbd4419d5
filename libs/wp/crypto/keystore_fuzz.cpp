// libFuzzer target: arbitrary bytes as keystore JSON, fixed password. keystore_decrypt must return
// (a key or an error) without crashing, and KeystoreLimits::fuzzing() keeps every KDF it runs tiny
// (scrypt n·r·p ≤ 8192, PBKDF2 c ≤ 1024), so no input can make a run slow.
//
// Seed corpus idea: the JSON fixtures of keystore_test.cpp (e.g. the ethers n = 1024 keystore).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <wp/crypto/keystore.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    auto key = wp::keystore_decrypt(json, "fuzz-password", wp::KeystoreLimits::fuzzing());
    if (key) {
        // A success means the MAC matched: the key must be valid and usable.
        (void)key->address();
    } else if (key.error().message.rfind("keystore: ", 0) != 0) {
        std::abort();  // every error is reported with the keystore prefix
    }
    return 0;
}
