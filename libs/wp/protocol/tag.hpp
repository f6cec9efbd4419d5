#pragma once
// Order tags (protocol.md §9, sdk-cli-and-market.md §3.2): a bytes32 whose integer value carries
// one bit per requirement. Names ⇄ bits, and the OFF-CHAIN validation rules of the SDK and of the
// iExec workerpool documentation. The contracts interpret bit 0 (tee) only; hashing and signing
// (order.hpp) accept any bytes32 and never apply these rules.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "order.hpp"

namespace wp {

inline constexpr unsigned kTagBitTee = 0;
inline constexpr unsigned kTagBitScone = 1;    //!< legacy SGX framework
inline constexpr unsigned kTagBitGramine = 2;  //!< legacy SGX framework
inline constexpr unsigned kTagBitTdx = 3;
inline constexpr unsigned kTagBitGpu = 8;

//! Integer values of the usual tags (commons TEE_*_BITS).
inline constexpr std::uint64_t kTagStandard = 0x0;
inline constexpr std::uint64_t kTagTee = 0x1;
inline constexpr std::uint64_t kTagTeeScone = 0x3;
inline constexpr std::uint64_t kTagTeeGramine = 0x5;
inline constexpr std::uint64_t kTagTeeTdx = 0x9;
inline constexpr std::uint64_t kTagGpu = 0x100;

struct TagName {
    std::string_view name;
    unsigned bit;
};

//! The known names in bit order: tee 0, scone 1, gramine 2, tdx 3, gpu 8.
std::span<const TagName> tag_names() noexcept;

//! The bytes32 whose integer value is `value` (e.g. make_tag(0x9) = 0x00…09).
Bytes32 make_tag(std::uint64_t value) noexcept;
bool tag_has_bit(const Bytes32& tag, unsigned bit) noexcept;
Bytes32 tag_or(const Bytes32& a, const Bytes32& b) noexcept;
Bytes32 tag_and(const Bytes32& a, const Bytes32& b) noexcept;
//! tag & ~0x0E: drops the TEE framework bits (PoCo 6.2 dataset rule, SDK stripTeeFrameworkFromTag).
Bytes32 tag_strip_tee_framework(const Bytes32& tag) noexcept;
//! Bits set in `required` and not in `tag`, ascending (SDK findMissingBitsInTag).
std::vector<unsigned> tag_missing_bits(const Bytes32& tag, const Bytes32& required);

//! OR of the named bits (SDK encodeTag). Empty names are ignored. Unknown name →
//! `<input> is not a valid tag. Unknown tag foo`, where <input> is the names joined by ",".
Result<Bytes32> encode_tag(std::span<const std::string> names);
//! Same from "tee,tdx" (split on ",", no trimming).
Result<Bytes32> encode_tag(std::string_view comma_separated);
//! Names of the set bits in bit order (SDK decodeTag). A set bit without a name →
//! "Unknown bit N in tag" (Errc::kInvalidArgument).
Result<std::vector<std::string>> decode_tag(const Bytes32& tag);

//! A tag as users write it: "0x" + 64 hex digits (any bits; any case), or names ("tee,tdx").
//! A 0x string that is not 32 bytes → `<input> is not a valid bytes32 hexstring`.
Result<Bytes32> parse_tag(std::string_view text);
//! Disambiguates string literals (which also convert to boost::json::value).
inline Result<Bytes32> parse_tag(const char* text) { return parse_tag(std::string_view(text)); }
//! Same, plus a JSON array of name strings (["tee","tdx"]).
Result<Bytes32> parse_tag(const boost::json::value& json);
//! 0x + 64 lowercase hex digits.
std::string tag_to_hex(const Bytes32& tag);

// ---- Off-chain validation rules -----------------------------------------------------------------

//! Options of the SDK 9.x `tagSchema`.
struct TagRules {
    bool allow_agnostic_tee = false;           //!< `tee` without a framework is accepted
    bool ignore_legacy_tee_framework = false;  //!< scone / gramine bits are neither rejected nor counted
};

//! The SDK 9.x rules, in the SDK's order (bits other than tee/scone/gramine/tdx are not checked):
//!  1. unless ignored: "Unsupported legacy TEE framework tag ('gramine', 'scone')" (names of the
//!     set legacy bits, gramine first);
//!  2. tee without tdx and not agnostic: "'tee' tag must be used with a tee framework ('tdx')";
//!  3. tdx without tee: "'tdx' tag must be used with 'tee' tag".
Result<void> validate_tag(const Bytes32& tag, const TagRules& rules);

//! The rules the SDK applies per order kind (sdk-cli-and-market.md §3.2, protocol.md §9):
//! app and workerpool orders: default; request orders: agnostic tee allowed; dataset orders:
//! agnostic tee allowed and legacy framework bits ignored.
TagRules sdk_tag_rules(OrderKind kind) noexcept;
//! validate_tag(tag, sdk_tag_rules(kind)).
Result<void> validate_order_tag(OrderKind kind, const Bytes32& tag);

//! The workerpool-order rules of the iExec "Manage a workerpool" documentation: the tag must be
//! one of standard 0x0, Scone 0x3, Gramine 0x5 or TDX 0x9, optionally with GPU 0x100
//! (`Unsupported workerpool order tag 0x…; supported: 0x0, 0x3, 0x5, 0x9, optionally | 0x100`),
//! and a TEE tag requires trust 1, where 0 counts as 1 as in PoCo (deal.trust = max(trust, 1)), so the SDK's default
//! order (tag tee,tdx, trust 0) passes: `TEE workerpool orders must have trust 1 (0 counts as 1; got N)`.
Result<void> validate_workerpool_offer(const Bytes32& tag, const U256& trust);

}  // namespace wp
