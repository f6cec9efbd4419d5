// Fuzz target: the result archive digest (result_digest.hpp) over arbitrary bytes as a worker's upload.
#include <cstddef>
#include <cstdint>

#include "result_digest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)wp::scheduler::result_zip_digest(wp::ByteView(data, size), 1ULL << 24);
    return 0;
}
