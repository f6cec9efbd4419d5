// libFuzzer target for the config loader (settings.hpp): the input is a config file's text.
//
// Properties checked on every input:
//  - Settings::load never crashes; failures are Errc::kInvalidArgument with a non-empty message;
//  - an accepted config printed with to_json(true) loads back to the same settings (print-config round trip);
//  - a value accepted in text form (env / --set) for any key survives --set -> print-config -> reload;
//  - parse_duration / parse_byte_size: an accepted text formats back to a text that parses to the same value.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/service/settings.hpp>

namespace {

using namespace std::chrono_literals;

void fail(const char* what) {
    std::fprintf(stderr, "settings_fuzz: %s\n", what);
    std::abort();
}

const wp::service::SettingsSchema& schema() {
    static const wp::service::SettingsSchema s = [] {
        wp::service::SettingsSchema x;
        x.section("core", "Core");
        x.add_string("core.listen.host", "127.0.0.1", "host");
        x.add_integer("core.listen.port", 7000, 1, 65535, "port");
        x.add_bool("core.eagerInit", false, "eager");
        x.add_duration("core.timeout", 5s, 0ms, 24h, "timeout");
        x.add_byte_size("core.maxBody", 1024, 0, std::uint64_t{1} << 40, "body");
        x.add_enum("core.mode", "a", {"a", "b"}, "mode");
        x.add_url("core.rpc", "http://127.0.0.1:8545", "rpc");
        x.add_address("core.pool", "", "pool");
        x.add_path("core.dataDir", "/tmp", "dir");
        x.add_string("core.password", "", "pw").set_secret();
        x.add_integer("market.limits.pageSize", 20, -5, 1000, "page");
        return x;
    }();
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    wp::service::SettingsSources src;
    src.config_text = std::string(input);
    auto s = wp::service::Settings::load(schema(), src);
    if (!s) {
        if (s.error().code != wp::Errc::kInvalidArgument || s.error().message.empty()) fail("unexpected error shape");
    } else {
        const std::string printed = s->to_json(true);
        wp::service::SettingsSources again;
        again.config_text = printed;
        auto s2 = wp::service::Settings::load(schema(), again);
        if (!s2) fail("print-config output does not load back");
        if (s2->to_json(true) != printed) fail("print-config round trip changed a value");
    }
    // The text form (environment, --set): an accepted value printed and read back through --set is unchanged.
    for (const auto& spec : schema().specs()) {
        if (!schema().parse_text(spec, input)) continue;
        wp::service::SettingsSources set;
        set.assignments.emplace_back(spec.key + "=" + std::string(input), "");
        auto loaded = wp::service::Settings::load(schema(), set);
        if (!loaded) fail("a value accepted by parse_text is refused by --set");
        wp::service::SettingsSources reload;
        reload.config_text = loaded->to_json(true);
        auto again = wp::service::Settings::load(schema(), reload);
        if (!again || again->to_json(true) != loaded->to_json(true)) fail("text value round trip changed");
    }
    if (auto d = wp::service::parse_duration(input)) {
        auto back = wp::service::parse_duration(wp::service::format_duration(*d));
        if (!back || *back != *d) fail("duration format/parse mismatch");
    }
    if (auto b = wp::service::parse_byte_size(input)) {
        auto back = wp::service::parse_byte_size(wp::service::format_byte_size(*b));
        if (!back || *back != *b) fail("byte size format/parse mismatch");
    }
    return 0;
}
