// libFuzzer target for the iexec_args splitter (args.hpp).
//
// Properties checked on every input s:
//  - split_args(s) never crashes and stays within kMaxArgs words, none holding a NUL byte;
//  - an accepted split is stable: the words, each re-quoted in single quotes (a ' written as '\''), joined by
//    spaces and split again, give the same words.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/worker/args.hpp>

namespace {
void fail(const char* what) {
    std::fprintf(stderr, "args_fuzz: %s\n", what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto words = wp::worker::split_args(input);
    if (!words) {
        if (words.error().message.rfind("iexec_args: ", 0) != 0) fail("error message without its prefix");
        return 0;
    }
    if (words->size() > wp::worker::kMaxArgs) fail("too many words");
    std::string quoted;
    for (const auto& w : *words) {
        if (w.find('\0') != std::string::npos) fail("NUL inside a word");
        if (!quoted.empty()) quoted += ' ';
        quoted += '\'';
        for (char c : w) {
            if (c == '\'') {
                quoted += "'\\''";
            } else {
                quoted += c;
            }
        }
        quoted += '\'';
    }
    if (quoted.size() <= wp::worker::kMaxArgsBytes) {
        auto again = wp::worker::split_args(quoted);
        if (!again || *again != *words) fail("re-quoted words split differently");
    }
    return 0;
}
