// libFuzzer target for the strict hex parsers (hex.hpp).
//
// Properties checked on every input s:
//  - from_hex(s) succeeds  =>  to_hex(decoded) == lowercase(s), and the decoded size is (|s| - 2) / 2;
//    otherwise the error is Errc::kInvalidHex with a non-empty message.
//  - from_hex_lenient_prefix(s) succeeds  =>  its hex equals lowercase(s) without an optional "0x",
//    and it agrees with from_hex whenever s has the prefix.
//  - bytes32_from_hex(s) succeeds iff from_hex(s) succeeds with exactly 32 bytes.
//  - to_hex of the raw input bytes decodes back to the same bytes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/core/hex.hpp>

namespace {

void fail(const char* what, std::string_view input) {
    std::fprintf(stderr, "hex_fuzz: %s (input %zu bytes)\n", what, input.size());
    std::abort();
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const wp::ByteView raw(data, size);

    const auto strict = wp::from_hex(input);
    if (strict) {
        if (wp::to_hex(*strict) != lowercase(input)) fail("from_hex accepted an input that does not re-encode", input);
        if (strict->size() * 2 + 2 != size) fail("from_hex returned the wrong number of bytes", input);
    } else {
        if (strict.error().code != wp::Errc::kInvalidHex)
            fail("from_hex failed with a code other than kInvalidHex", input);
        if (strict.error().message.empty()) fail("from_hex failed without a message", input);
    }

    const auto lenient = wp::from_hex_lenient_prefix(input);
    const std::string_view digits = wp::has_hex_prefix(input) ? input.substr(2) : input;
    if (lenient) {
        if (wp::to_hex_no_prefix(*lenient) != lowercase(digits))
            fail("from_hex_lenient_prefix does not re-encode", input);
    } else if (lenient.error().message.empty()) {
        fail("from_hex_lenient_prefix failed without a message", input);
    }
    if (wp::has_hex_prefix(input) && strict.has_value() != lenient.has_value())
        fail("from_hex and from_hex_lenient_prefix disagree on a 0x-prefixed input", input);
    if (strict && lenient && *strict != *lenient)
        fail("from_hex and from_hex_lenient_prefix decode differently", input);

    const auto word = wp::bytes32_from_hex(input);
    if (word.has_value() != (strict.has_value() && strict->size() == 32))
        fail("bytes32_from_hex disagrees with from_hex", input);
    if (word && !std::equal(word->begin(), word->end(), strict->begin()))
        fail("bytes32_from_hex decodes differently", input);

    const auto round = wp::from_hex(wp::to_hex(raw));
    if (!round || !std::equal(round->begin(), round->end(), raw.begin(), raw.end()))
        fail("from_hex(to_hex(bytes)) != bytes", input);
    return 0;
}
