// libFuzzer target for path templates (router.hpp).
//
// The input is "<template>\n<path>". Properties:
//  - PathTemplate::parse never crashes; a failure is Errc::kInvalidArgument naming the template;
//  - on success, pattern() is the input template;
//  - when match(path) succeeds, substituting the returned values into the template rebuilds `path` exactly, and no
//    value is empty or contains '/';
//  - a template without parameters matches exactly its own text;
//  - matches(path) agrees with match(path).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/net/router.hpp>

namespace {

void fail(const char* what) {
    std::fprintf(stderr, "path_template_fuzz: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    const std::string_view tmpl = input.substr(0, nl);
    const std::string_view path = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
    auto t = wp::net::PathTemplate::parse(tmpl);
    if (!t) {
        if (t.error().code != wp::Errc::kInvalidArgument || t.error().message.rfind("path template '", 0) != 0)
            fail("unexpected error");
        return 0;
    }
    if (t->pattern() != tmpl) fail("pattern differs from the input");
    if (!t->has_params() && t->match(tmpl) == std::nullopt) fail("a literal template does not match itself");
    auto m = t->match(path);
    if (t->matches(path) != m.has_value()) fail("matches() disagrees with match()");
    if (!t->has_params() && m.has_value() != (path == tmpl)) fail("a literal template matched another path");
    if (!m) return 0;
    // Rebuild the path from the template and the values.
    std::string rebuilt;
    std::size_t next = 0;
    std::size_t pos = 0;
    while (pos < tmpl.size()) {
        const auto slash = tmpl.find('/', pos);
        rebuilt.push_back('/');
        const auto end = slash == std::string_view::npos ? tmpl.size() : tmpl.find('/', slash + 1);
        const auto seg = tmpl.substr(slash + 1, (end == std::string_view::npos ? tmpl.size() : end) - slash - 1);
        if (!seg.empty() && seg.front() == ':') {
            if (next >= m->size()) fail("fewer values than parameters");
            const auto& value = (*m)[next++].second;
            if (value.empty() || value.find('/') != std::string::npos) fail("bad parameter value");
            rebuilt += value;
        } else {
            rebuilt += seg;
        }
        pos = end == std::string_view::npos ? tmpl.size() : end;
    }
    if (next != m->size()) fail("more values than parameters");
    if (rebuilt != path) fail("rebuilt path differs");
    return 0;
}
