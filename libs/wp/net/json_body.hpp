#pragma once
// Strict JSON for request bodies and WebSocket messages (RFC 8259 via Boost.JSON). No Asio / Beast here.
//
// parse_json_strict() accepts exactly one JSON value surrounded by optional whitespace and rejects:
//  - a text longer than `max_bytes` (checked before parsing): "JSON body: larger than 65536 bytes";
//  - nesting deeper than `max_depth` (objects and arrays): "JSON body: nested deeper than 32 levels";
//  - a key given twice in one object: "JSON body: duplicate key \"a\"";
//  - comments, trailing commas, invalid UTF-8, NaN/Infinity, trailing data: "JSON body: <Boost.JSON message> at
//    offset N".
// Errors are Errc::kDecoding (Errc::kTooLarge for the size); `what` ("JSON body") prefixes every message.
//
// Thread safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include <wp/core/result.hpp>

namespace wp::net {

struct JsonLimits {
    std::size_t max_bytes{std::size_t{1} << 20};
    std::size_t max_depth{32};
};

Result<boost::json::value> parse_json_strict(std::string_view text, JsonLimits limits = {},
                                             std::string_view what = "JSON body");

//! Serializes a string as a JSON string literal (quotes included), for building small JSON texts by hand.
std::string json_quote(std::string_view s);

//! JSON.stringify(value, null, 2), as the iExec SDK writes its files (iexec.json, chain.json, deployed.json,
//! orders.json, keystores): two-space indentation, `"key": value`, "{}" / "[]" when empty, keys in the object's
//! order, no trailing newline.
std::string json_stringify_indented(const boost::json::value& value);

}  // namespace wp::net
