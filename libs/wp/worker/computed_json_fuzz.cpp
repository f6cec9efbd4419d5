// libFuzzer target for computed.json (computed_json.hpp) and the bundle manifest iexec-app.json (manifest.hpp).
//
// Properties checked on every input s:
//  - neither parser crashes; errors carry their file-name prefix;
//  - an accepted deterministic-output-path maps to a relative path that passes check_relative_path (or is empty:
//    the output folder itself), so it can never name anything outside IEXEC_OUT;
//  - an accepted manifest's entrypoint passes check_relative_path and its args hold no NUL.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/worker/computed_json.hpp>
#include <wp/worker/manifest.hpp>

namespace {
void fail(const char* what) {
    std::fprintf(stderr, "computed_json_fuzz: %s\n", what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto c = wp::worker::parse_computed_json(input)) {
        if (c->deterministic_output_rel && !c->deterministic_output_rel->empty() &&
            !wp::worker::check_relative_path(*c->deterministic_output_rel, "fuzz"))
            fail("accepted output path escapes the output folder");
        if (c->deterministic_output_rel.has_value() != c->deterministic_output_path.has_value())
            fail("path and relative path disagree");
    } else if (c.error().message.rfind("computed.json", 0) != 0) {
        fail("computed.json error without its prefix");
    }
    if (auto m = wp::worker::parse_manifest(input)) {
        if (!wp::worker::check_relative_path(m->entrypoint, "fuzz")) fail("accepted entrypoint is not relative");
        for (const auto& a : m->args)
            if (a.find('\0') != std::string::npos) fail("NUL inside an arg");
    } else if (m.error().message.rfind("iexec-app.json", 0) != 0) {
        fail("manifest error without its prefix");
    }
    return 0;
}
