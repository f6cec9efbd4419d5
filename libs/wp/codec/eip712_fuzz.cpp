// libFuzzer target: arbitrary bytes → JSON → typed data → hashes. Must never crash, hang or
// allocate without bound; every failure is a Result error.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include "eip712.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 64 * 1024) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    boost::system::error_code ec;
    boost::json::parse_options parse_options;
    parse_options.max_depth = 64;
    const boost::json::value doc = boost::json::parse(text, ec, {}, parse_options);
    if (ec) return 0;

    wp::eip712::Options options;
    options.limits.max_values = 4096;
    auto typed = wp::eip712::parse_typed_data(doc, options);
    if (!typed) return 0;
    // A successful parse promises that hashing and signing succeed.
    const auto digest = wp::eip712::digest(*typed);
    if (!digest) __builtin_trap();
    for (const auto& [name, fields] : typed->types.map()) {
        if (!typed->types.encode_type(name) || !typed->types.type_hash(name)) __builtin_trap();
    }
    // Re-hash the message under every other type (exercises the error paths).
    for (const auto& [name, fields] : typed->types.map()) (void)typed->types.hash_struct(name, typed->message, options);
    return 0;
}
