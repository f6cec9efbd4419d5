// libFuzzer target for what DockerRuntime reads from the daemon (docker_protocol.hpp).
//
// The first byte selects the reader, the rest is its input. Properties checked on every input:
//  - no reader crashes; every error has a non-empty message;
//  - parse_create_answer / parse_container_inspect / parse_container_list accept only 64-hex ids, inspect only a
//    known State.Status; parse_image_inspect only "sha256:" + 64 hex;
//  - LogDemuxer: feeding the bytes at once or split at a point derived from the input gives the same result (same
//    error, same tail, same per-stream counts); the tail never exceeds keep_bytes and the counted payload never
//    exceeds the input;
//  - PullProgress: the same split invariance (success or failure, and the line count);
//  - error_message never returns an empty string and never more than 512 bytes unless the body is a JSON message.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <wp/worker/docker_protocol.hpp>

namespace {

namespace docker = wp::worker::docker;

void fail(const char* what) {
    std::fprintf(stderr, "docker_protocol_fuzz: %s\n", what);
    std::abort();
}

bool hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

template <class R>
void check_error(const R& r) {
    if (!r && r.error().message.empty()) fail("empty error message");
}

void demux(std::string_view input, std::size_t cut, std::size_t keep) {
    docker::LogDemuxer whole(keep);
    auto a = whole.feed(input);
    docker::LogDemuxer split(keep);
    auto b = split.feed(input.substr(0, cut));
    if (b) b = split.feed(input.substr(cut));
    check_error(a);
    check_error(b);
    if (a.has_value() != b.has_value()) fail("demux: split changes the outcome");
    if (!a && a.error().message != b.error().message) fail("demux: split changes the error");
    if (whole.tail() != split.tail()) fail("demux: split changes the tail");
    if (whole.stdout_bytes() != split.stdout_bytes() || whole.stderr_bytes() != split.stderr_bytes())
        fail("demux: split changes the counts");
    if (whole.tail().size() > keep) fail("demux: tail longer than keep_bytes");
    if (whole.stdout_bytes() + whole.stderr_bytes() > input.size()) fail("demux: counted more than the input");
    if (a && whole.finish().has_value() != split.finish().has_value()) fail("demux: split changes finish()");
}

void pull(std::string_view input, std::size_t cut) {
    docker::PullProgress whole;
    auto a = whole.feed(input);
    if (a) a = whole.finish();
    docker::PullProgress split;
    auto b = split.feed(input.substr(0, cut));
    if (b) b = split.feed(input.substr(cut));
    if (b) b = split.finish();
    check_error(a);
    check_error(b);
    if (a.has_value() != b.has_value()) fail("pull: split changes the outcome");
    if (a && whole.lines() != split.lines()) fail("pull: split changes the line count");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t cut = input.empty() ? 0 : (static_cast<std::size_t>(data[0]) * 7919u) % (input.size() + 1);
    switch (data[0] % 7) {
        case 0: {
            auto r = docker::parse_create_answer(input);
            check_error(r);
            if (r && !hex64(r->id)) fail("create: bad id accepted");
            break;
        }
        case 1: {
            auto r = docker::parse_container_inspect(input);
            check_error(r);
            if (r && !hex64(r->id)) fail("inspect: bad id accepted");
            if (r && r->status.empty()) fail("inspect: empty status accepted");
            break;
        }
        case 2: {
            auto r = docker::parse_container_list(input);
            check_error(r);
            if (r)
                for (const auto& c : *r)
                    if (!hex64(c.id)) fail("list: bad id accepted");
            break;
        }
        case 3: {
            auto r = docker::parse_image_inspect(input);
            check_error(r);
            if (r && (r->size() != 71 || r->rfind("sha256:", 0) != 0 || !hex64(r->substr(7))))
                fail("image: bad id accepted");
            break;
        }
        case 4: demux(input, cut, static_cast<std::size_t>(data[0]) % 64); break;
        case 5: pull(input, cut); break;
        default: {
            const auto m = docker::error_message(input);
            if (m.empty()) fail("error_message: empty");
            if (m.size() > 512 && input.find("\"message\"") == std::string_view::npos)
                fail("error_message: longer than 512 bytes");
            break;
        }
    }
    return 0;
}
