// libFuzzer target for the strict query-string parser (query.hpp).
//
// Properties checked on every input s:
//  - QueryParams::parse(s) never crashes; a failure is Errc::kInvalidArgument with a message starting with "query";
//  - on success: at most kMaxQueryParams pairs, every name non-empty and unique, and percent-encoding every name and
//    value again and joining them with '&' parses back to the same pairs (decode is the inverse of encode);
//  - the typed getters never crash, and a u64 that parses prints back to the exact parameter text.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include <wp/net/query.hpp>

namespace {

void fail(const char* what) {
    std::fprintf(stderr, "query_fuzz: %s\n", what);
    std::abort();
}

std::string encode(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '.' ||
            u == '_' || u == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto q = wp::net::QueryParams::parse(input);
    if (!q) {
        if (q.error().code != wp::Errc::kInvalidArgument || q.error().message.rfind("query", 0) != 0)
            fail("unexpected error code or message");
        return 0;
    }
    if (q->items().size() > wp::net::kMaxQueryParams) fail("too many parameters accepted");
    std::set<std::string> names;
    std::string again;
    for (const auto& [k, v] : q->items()) {
        if (k.empty()) fail("empty name accepted");
        if (!names.insert(k).second) fail("duplicate name accepted");
        if (!again.empty()) again.push_back('&');
        again += encode(k) + "=" + encode(v);
        (void)q->boolean(k);
        (void)q->address(k);
        (void)q->bytes32(k);
        (void)q->one_of(k, {"a", "b"});
        auto n = q->u64(k, 0, UINT64_MAX);
        if (n && *n && std::to_string(**n) != v) fail("u64 accepted a non-canonical integer");
    }
    auto back = wp::net::QueryParams::parse(again);
    if (!back || back->items() != q->items()) fail("encode/parse round trip differs");
    return 0;
}
