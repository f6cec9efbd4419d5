// libFuzzer target for the streaming tar reader (ustar.hpp), on the decompressed tar bytes.
//
// Properties checked on every input s:
//  - the parser never crashes and never hands the sink a path that is absolute or has an empty, "." or ".."
//    component, a symbolic-link target that is absolute or goes up, or more content bytes than the entry's size;
//  - the limits hold (entries, total bytes);
//  - streaming does not matter: feeding s in one piece or split at a position derived from s gives the same
//    entries and the same verdict.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <wp/worker/computed_json.hpp>
#include <wp/worker/ustar.hpp>

namespace {

void fail(const char* what) {
    std::fprintf(stderr, "ustar_fuzz: %s\n", what);
    std::abort();
}

class CheckingSink : public wp::worker::TarSink {
  public:
    wp::Result<void> begin(const wp::worker::TarEntry& e) override {
        if (in_entry_) fail("begin inside an entry");
        if (!wp::worker::check_relative_path(e.path, "fuzz")) fail("unsafe path reached the sink");
        if (e.type == wp::worker::TarEntryType::kSymlink) {
            if (e.link_target.empty() || e.link_target.front() == '/') fail("absolute link target");
            if (("/" + e.link_target + "/").find("/../") != std::string::npos) fail("link target goes up");
        }
        in_entry_ = true;
        remaining_ = e.size;
        log_ += e.path + "|" + std::to_string(static_cast<int>(e.type)) + "|" + std::to_string(e.size) + "|" +
                e.link_target + "\n";
        total_ += e.size;
        return {};
    }
    wp::Result<void> data(wp::ByteView bytes) override {
        if (!in_entry_ || bytes.size() > remaining_) fail("more data than the entry's size");
        remaining_ -= bytes.size();
        return {};
    }
    wp::Result<void> end() override {
        if (!in_entry_ || remaining_ != 0) fail("entry ended early");
        in_entry_ = false;
        return {};
    }
    std::string log_;
    std::uint64_t total_{0};

  private:
    bool in_entry_{false};
    std::uint64_t remaining_{0};
};

struct Run {
    std::string log;
    bool ok;
};

Run parse(wp::ByteView input, std::size_t split) {
    CheckingSink sink;
    const wp::worker::TarLimits limits{.max_entries = 64, .max_total_bytes = 1 << 20, .max_path_bytes = 512};
    wp::worker::TarParser parser(sink, limits);
    auto r = parser.feed(input.subspan(0, split));
    if (r) r = parser.feed(input.subspan(split));
    if (r) r = parser.finish();
    if (parser.entries() > limits.max_entries) fail("entry limit exceeded");
    if (sink.total_ > limits.max_total_bytes) fail("byte limit exceeded");
    return {sink.log_, static_cast<bool>(r)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const wp::ByteView input(data, size);
    const Run whole = parse(input, size);
    const std::size_t split = size == 0 ? 0 : (static_cast<std::size_t>(data[0]) * 131 + 7) % (size + 1);
    const Run pieces = parse(input, split);
    if (whole.ok != pieces.ok || whole.log != pieces.log) fail("split feeding changed the result");
    return 0;
}
