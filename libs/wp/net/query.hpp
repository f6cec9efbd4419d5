#pragma once
// Strict query strings (application/x-www-form-urlencoded in a URL, WHATWG URL §5) and percent-decoding, with typed
// getters whose errors name the parameter and the rule. No Asio / Beast here.
//
// Parsing rules (QueryParams::parse):
//  - pairs are separated by '&'; each is `name=value` or `name` (value ""); an empty pair ("a=1&&b=2", a leading or
//    trailing '&') is skipped;
//  - '+' decodes to a space, "%XX" (two hex digits, either case) to the byte 0xXX; a '%' not followed by two hex
//    digits is an error ("query: malformed percent escape at offset 4");
//  - a name that decodes to "" is an error; a name given twice is an error ("query parameter 'page': given twice");
//  - at most kMaxQueryParams pairs.
// Decoded names and values are byte strings (not checked for UTF-8).
//
// Getter errors are Errc::kInvalidArgument with messages like
//   "query parameter 'pageSize': must be an integer between 10 and 1000, got '5'".
// An absent parameter is not an error for the optional getters (they return nullopt); require() makes it one.
//
// Thread safety: a QueryParams is an immutable value after parse(); const members may be called concurrently.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::net {

inline constexpr std::size_t kMaxQueryParams = 100;

//! Percent-decodes `text` strictly ("%XX" only; `plus_is_space`: '+' becomes ' '). Errors name the offset:
//! "malformed percent escape at offset 3" (Errc::kInvalidArgument).
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

class QueryParams {
  public:
    //! Parses the query (the part after '?', without it) with the rules above.
    static Result<QueryParams> parse(std::string_view query);

    //! The decoded value, or nullopt when absent.
    std::optional<std::string_view> get(std::string_view name) const;
    bool has(std::string_view name) const { return get(name).has_value(); }
    //! The value; "query parameter 'x': is required" when absent.
    Result<std::string_view> require(std::string_view name) const;
    //! Every (name, value) pair in order of appearance.
    const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

    //! Error for the first parameter not in `allowed`: "query parameter 'foo': unknown parameter".
    Result<void> reject_unknown(std::initializer_list<std::string_view> allowed) const;

    //! Decimal integer in [min, max]: digits only (no sign, no leading zeros except "0", no spaces).
    Result<std::optional<std::uint64_t>> u64(std::string_view name, std::uint64_t min = 0,
                                             std::uint64_t max = UINT64_MAX) const;
    //! u64() with a default for an absent parameter.
    Result<std::uint64_t> u64_or(std::string_view name, std::uint64_t fallback, std::uint64_t min = 0,
                                 std::uint64_t max = UINT64_MAX) const;
    //! Exactly "true" or "false".
    Result<std::optional<bool>> boolean(std::string_view name) const;
    //! One of `allowed` (exact, case-sensitive); returns the matched value.
    Result<std::optional<std::string_view>> one_of(std::string_view name,
                                                   std::initializer_list<std::string_view> allowed) const;
    //! A 0x-prefixed 20-byte address (wp::Address::parse rules: EIP-55 checked when mixed-case).
    Result<std::optional<Address>> address(std::string_view name) const;
    //! A 0x-prefixed 32-byte hex value (wp::bytes32_from_hex rules).
    Result<std::optional<Bytes32>> bytes32(std::string_view name) const;

  private:
    std::vector<std::pair<std::string, std::string>> items_;
};

//! The error of a bad parameter: "query parameter '<name>': <rule>" (Errc::kInvalidArgument).
Error query_param_error(std::string_view name, std::string_view rule);

}  // namespace wp::net
