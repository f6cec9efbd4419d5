#pragma once
// The bodies of the market's mutating order routes, parsed into typed values with the reference's validation
// messages (iexec-market-api 7.1.2 api/src/utils/validator.js through yup; sdk-cli-and-market.md §5.1, §5.3).
//
// POST /{kind}orders body: {"order": {<signed order of that kind>}}. Rules per field, checked in the reference's
// schema order (the kind's fields, then salt, then sign); the first broken rule is the error:
//  - a missing field: "order.<field> is a required field" (requestorder params is optional: absent = "");
//  - addresses: a string of "0x" + 40 hex digits in any case (the reference lowercases before checksumming, so a
//    wrong mixed-case checksum is accepted), else "order.<field> is not a valid ethereum address";
//  - tag, salt: a string of "0x" + 64 hex digits in any case, else "order.<field> must be a bytes32 hexstring";
//  - sign: a string starting with "0x" followed by an even number of hex digits, else
//    "order.<field> must be a valid signature";
//  - numbers (prices, volume, category, trust): a JSON integer, an integral JSON number ≤ 2^53 − 1 (e.g. 1e3), or a
//    string holding a decimal integer (surrounding whitespace ignored, leading zeros accepted) or a 0x-hex integer
//    (JavaScript's Number("0x10") = 16, which the reference accepts);
//      not a number: "order.<field> must be a `number` type, but the final value was: `NaN` (cast from the value
//      `<json>`)."; a fraction: "order.<field> must be an integer"; negative: "order.<field> must be greater than
//      or equal to 0" (volume: 1, also for 0); above 2^256 − 1: "order.<field> must be less than or equal to
//      115792089237316195423570985008687907853269984665640564039457584007913129639935"; a JSON number above
//      2^53 − 1 that is not an exact integer literal (a double): "order.<field> must be an exact integer: send
//      values above 9007199254740991 as decimal strings".
//    Deviation (docs/market.md): values above 2^53 − 1 are accepted and kept exact (the reference refuses them).
//  - params (request orders): a string, else "order.params must be a `string` type, but the final value was: ...";
//  - keys that are not fields of the kind are ignored, as the reference does (its model drops them).
// `order` missing: "order is a required field"; not an object: "order must be a `object` type, but the final value
// was: `<json>`.". The body itself must be a JSON object (net::parse_json_strict: size, depth, duplicate keys,
// trailing data), else a "JSON body: ..." message. All errors are Errc::kInvalidArgument (a 400).
//
// PUT /{kind}orders body (unpublish): {"target"?: "unpublish_orderHash" (default) | "unpublish_last" |
// "unpublish_all", "orderHash"?: bytes32 (required for unpublish_orderHash), "<resource>"?: address (required for
// the last / all targets; the resource key is app / dataset / workerpool / requester per kind)}. Messages:
// "target must be one of the following values: unpublish_orderHash, unpublish_last, unpublish_all",
// "orderHash is a required field", "orderHash must be a bytes32 hexstring", "workerpool is a required field",
// "workerpool is not a valid ethereum address".
//
// Pure (no I/O, no Asio / Beast): fuzzed by order_input_fuzz.cpp. Thread safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/protocol/order.hpp>

namespace wp::market {

//! Largest body accepted by the parsers (the HTTP server's max_body_bytes should not be larger).
inline constexpr std::size_t kMaxOrderBodyBytes = 64 * 1024;

//! The `order` object of a POST body (already parsed JSON) → a signed order of `kind`. `path` prefixes the field
//! names in messages ("order" → "order.volume ...").
Result<Order> parse_signed_order(OrderKind kind, const boost::json::value& order, std::string_view path = "order");
//! The whole POST body text {"order":{...}} → a signed order of `kind`.
Result<Order> parse_publish_body(OrderKind kind, std::string_view body);

enum class UnpublishTarget { kOrderHash, kLast, kAll };
//! "unpublish_orderHash", "unpublish_last", "unpublish_all".
std::string_view to_string(UnpublishTarget target) noexcept;

struct UnpublishRequest {
    UnpublishTarget target{UnpublishTarget::kOrderHash};
    Bytes32 order_hash{};  //!< kOrderHash
    Address resource{};    //!< kLast / kAll: the app / dataset / workerpool / requester address
};

//! The resource key of a kind's unpublish body: "app", "dataset", "workerpool", "requester".
std::string_view unpublish_resource_key(OrderKind kind) noexcept;
//! The whole PUT body text → what to unpublish (an empty body counts as {}).
Result<UnpublishRequest> parse_unpublish_body(OrderKind kind, std::string_view body);

}  // namespace wp::market
