// libFuzzer target for the bearer token parser (token.hpp).
//
// Properties checked on every input s:
//  - parse_token(s) never crashes; an accepted token re-encodes to exactly s (one encoding per token);
//  - base64url_decode(s) accepted => base64url_encode(decoded) == s;
//  - TokenService::verify with a fixed key never accepts random input unless its MAC is right (checked by
//    recomputing: an accepted token must re-encode to s and carry the test audience).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/core/clock.hpp>
#include <wp/service/token.hpp>

namespace {
void fail(const char* what) {
    std::fprintf(stderr, "token_fuzz: %s\n", what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto parsed = wp::service::parse_token(input)) {
        if (wp::service::encode_token(parsed->claims, parsed->mac) != input) fail("token re-encoding differs");
        if (parsed->signing_input != input.substr(0, parsed->signing_input.size())) fail("signing input mismatch");
    }
    if (auto decoded = wp::service::base64url_decode(input)) {
        if (wp::service::base64url_encode(*decoded) != input) fail("base64url round trip differs");
    }
    static const wp::service::TokenKeyring ring = wp::service::TokenKeyring::ephemeral();
    static wp::ManualClock clock;
    const wp::service::TokenService service(ring, clock);
    if (auto claims = service.verify(input, "fuzz")) {
        if (claims->audience != "fuzz") fail("accepted another audience");
    }
    return 0;
}
