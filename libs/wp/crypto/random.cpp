#include "random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace wp {

void secure_random(std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::fputs("fatal: getrandom failed; refusing to continue without a CSPRNG\n", stderr);
            std::abort();
        }
        done += static_cast<std::size_t>(n);
    }
}

Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    secure_random(out);
    return out;
}

Bytes32 random_bytes32() {
    Bytes32 out;
    secure_random(out.bytes);
    return out;
}

}  // namespace wp
