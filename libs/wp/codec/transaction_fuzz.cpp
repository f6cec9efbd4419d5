// libFuzzer target: the strict transaction decoder never crashes, and any raw transaction it
// accepts re-encodes to exactly the same bytes (so a transaction has one serialisation and one hash).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <wp/codec/transaction.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const wp::ByteView input(data, size);
    auto decoded = wp::tx::decode(input);
    if (!decoded) return 0;
    auto again = wp::tx::encode(*decoded);
    if (!again || again->size() != size || !std::equal(again->begin(), again->end(), input.begin())) std::abort();
    // Recovery may fail on arbitrary r/s, but must not crash.
    (void)wp::tx::sender(*decoded);
    return 0;
}
