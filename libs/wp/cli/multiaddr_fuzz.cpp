// libFuzzer target for the multiaddr codec (multiaddr.hpp): bytes read from the chain and texts from iexec.json.
// Properties: no crash; base58 decode(encode(x)) == x; an accepted text encodes to bytes that decode to a
// /p2p/ text which encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "multiaddr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wp::cli;
    if (size > 4096) return 0;
    const wp::ByteView bytes(data, size);
    (void)decode_multiaddr(bytes);
    auto back = base58_decode(base58_encode(bytes));
    if (!back || *back != wp::Bytes(bytes.begin(), bytes.end())) std::abort();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto encoded = encode_multiaddr(text, "fuzz"); encoded && !text.empty() && text.front() == '/') {
        auto again = encode_multiaddr(decode_multiaddr(*encoded), "fuzz");
        if (!again || *again != *encoded) std::abort();
    }
    return 0;
}
