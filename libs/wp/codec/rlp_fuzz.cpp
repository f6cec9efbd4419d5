// libFuzzer target: the strict RLP decoder is canonical. Any input it accepts must re-encode to
// exactly the same bytes; anything else (or a crash) is a bug.

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>

#include <wp/codec/rlp.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const wp::ByteView input(data, size);
    auto item = wp::rlp::decode(input);
    if (!item) return 0;
    const wp::Bytes again = wp::rlp::encode(*item);
    if (again.size() != size || !std::equal(again.begin(), again.end(), input.begin())) std::abort();
    auto partial = wp::rlp::decode_partial(input);
    if (!partial || partial->consumed != size || !(partial->item == *item)) std::abort();
    return 0;
}
