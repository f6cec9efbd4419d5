// libFuzzer target for the market Authorization header parser (auth_header.hpp).
//
// Properties checked on every input s:
//  - parse_challenge_authorization(s) never crashes; an accepted header has exactly the documented length;
//  - format(parse(s)) parses to the same value, and equals s when s is in the SDK's form (lowercase hex and the
//    checksummed address).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/service/auth_header.hpp>

namespace {
void fail(const char* what) {
    std::fprintf(stderr, "auth_header_fuzz: %s\n", what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = wp::service::parse_challenge_authorization(input);
    if (!parsed) {
        if (parsed.error().message.empty()) fail("empty error message");
        return 0;
    }
    if (input.size() != wp::service::kChallengeAuthorizationLength) fail("accepted a header of the wrong length");
    const std::string formatted = wp::service::format_challenge_authorization(*parsed);
    auto again = wp::service::parse_challenge_authorization(formatted);
    if (!again) fail("formatted header does not parse");
    if (again->challenge_hash != parsed->challenge_hash || !(again->signature == parsed->signature) ||
        again->address != parsed->address) {
        fail("format/parse round trip changed a value");
    }
    std::string canonical_prefix = formatted.substr(0, 200);
    if (input.substr(0, 200) == canonical_prefix && input.substr(200) == parsed->address.to_checksum() &&
        formatted != input) {
        fail("canonical header not reproduced");
    }
    return 0;
}
