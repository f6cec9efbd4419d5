// libFuzzer target for the market's GET query parsers (search_params.hpp).
//
// Properties checked on every input s (a query string):
//  - every parser (the four order kinds, deals, categories, and the path-parameter helpers on the raw input) never
//    crashes; a failure is Errc::kInvalidArgument with a non-empty message of at most a bounded size;
//  - on success the paging is in the documented ranges (pageSize 10..1000, page and pageIndex ≤ 2^53 − 2); a
//    minVolume is ≥ 1;
//  - parsing is deterministic (the same query gives the same filters).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <wp/market/search_params.hpp>

namespace {

void fail(const char* what) {
    std::fprintf(stderr, "search_params_fuzz: %s\n", what);
    std::abort();
}

template <class T>
void check_error(const wp::Result<T>& r) {
    if (r) return;
    if (r.error().code != wp::Errc::kInvalidArgument) fail("unexpected error code");
    if (r.error().message.empty() || r.error().message.size() > 600) fail("bad error message size");
}

void check_paging(const wp::market::Paging& p) {
    constexpr std::uint64_t kMax = 9007199254740990ULL;
    if (p.page_size && (*p.page_size < 10 || *p.page_size > 1000)) fail("pageSize out of range");
    if (p.page && *p.page > kMax) fail("page out of range");
    if (p.page_index && *p.page_index > kMax) fail("pageIndex out of range");
}

template <class F>
void run(const wp::net::QueryParams& q, F parse) {
    auto a = parse(q);
    auto b = parse(q);
    check_error(a);
    if (static_cast<bool>(a) != static_cast<bool>(b)) fail("not deterministic");
    if (a) {
        if (!(*a == *b)) fail("not deterministic (values)");
        check_paging(a->paging);
    } else if (a.error().message != b.error().message) {
        fail("not deterministic (messages)");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    using namespace wp::market;

    check_error(parse_bytes32_param("orderHash", input));
    check_error(parse_safe_uint_param("catid", input));

    auto q = wp::net::QueryParams::parse(input);
    if (!q) return 0;
    run(*q, parse_apporders_query);
    run(*q, parse_datasetorders_query);
    run(*q, parse_workerpoolorders_query);
    run(*q, parse_requestorders_query);
    run(*q, parse_deals_query);
    run(*q, parse_categories_query);
    if (auto w = parse_workerpoolorders_query(*q); w && w->min_volume && w->min_volume->is_zero())
        fail("minVolume 0 accepted");
    return 0;
}
