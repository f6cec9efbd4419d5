// libFuzzer target for the untrusted inputs of result_crypto.hpp: encrypted result archives (zip from the network
// or the disk), beneficiary key files (PEM from the disk), base64 key files.
// The first byte selects the parser; the rest is the input. Properties: no crash; base64 decode(encode(x)) == x;
// an archive that decrypts under the fixed test key decrypts to the same bytes twice (pure function).
// Seeds: tests/fuzz/corpus/result_crypto/ (archives made for the key below, current and legacy forms; keys).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "result_crypto.hpp"

namespace {

// A 1024-bit RSA test key (test only; small so each input decrypts fast).
constexpr std::string_view kTestKey =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBALo3TX3yE3dMMzBX\n"
    "28X6iGvpAJ2LemIAtm5RHCOu8x5S27mIpASLeFc2imtDNSKRJsNZvedTe/pdFiUT\n"
    "OggIywDVm0dcslumlCj+2Op1FnoG5AKGV7dm/ixiF5+qa03AxQMVyh2ksdLNqOaP\n"
    "PV2/AMtWa70XyVu4r7viyOjsPBbFAgMBAAECgYAUVffDek0/6PVqIR4iF8MQLcjg\n"
    "a5v42eUSVQ9Coldwh1HxiAeJa4W/2HfzUMqbtMhL6x//BDH03HePovLib7tjc0Av\n"
    "HuyiiXApp78FyqKmkfaXvZlJIT9CYBdcLlNjJglduXuh9hrE38LN5x9C/dVDIMPk\n"
    "v3ENchQiPX3U9IG+vQJBANrRIZqdpAMvNosuybUixRyj1Q++R1cj82C9PGnsKije\n"
    "LeAbo9jt9uRvmb54ZV5ASZZ8eEx10EApFRWvREGVB4sCQQDZ2/unZ+ZizlHZ+daT\n"
    "p2dYcx+dHzA7DDSqKEPt68nwzjJJV4FH9x31Lqcio6EZBpR952q7vPXqSXmRCohc\n"
    "b6TvAkB8bZ2xQWEpmmhmvwVeZlY2EgevOyFwMPZNlW5MQUo8ERN/M9h5G+BgSAHi\n"
    "KK5j6SSvWTpDKF9yjKn7ub2TmX4/AkEApYaw4/bbYwMjyZw73p/4s4l04aqKuLKD\n"
    "aS2Cv0jBfEcOig8EWSt3BYzWzEjK4/rN5ANqYw4lQkdlKEB6btEc3QJAawVxggsX\n"
    "BwUnrLU5POj4SKw6Du/zCOBQkU5zyVdcByWiRswMQhCy9xlnicUBCD63XtNBzBgR\n"
    "Ids3Xhaex6I7yQ==\n"
    "-----END PRIVATE KEY-----\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wp::cli;
    if (size < 1 || size > (1u << 20)) return 0;
    const wp::ByteView input(data + 1, size - 1);
    const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
    switch (data[0] % 4) {
        case 0: {
            auto a = decrypt_result_archive(input, kTestKey);
            if (a) {
                auto b = decrypt_result_archive(input, kTestKey);
                if (!b || *a != *b) std::abort();
            }
            break;
        }
        case 1:
            (void)decrypt_result_archive(wp::ByteView(), text);  // the key file parser
            break;
        case 2: {
            (void)parse_dataset_key(text);
            auto back = base64_decode(base64_encode(input));
            if (!back || *back != wp::Bytes(input.begin(), input.end())) std::abort();
            break;
        }
        default: (void)aes256_cbc_decrypt(input, wp::ByteView(data, size < 33 ? size : 32)); break;
    }
    return 0;
}
