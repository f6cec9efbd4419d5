#pragma once
// Strict Recursive Length Prefix (RLP) encoding, Ethereum Yellow Paper appendix B.
//
// An RLP item is either a byte string or a list of items. Encoding is unique; the decoder accepts
// only that unique (canonical) encoding, so decode(x) succeeding implies encode(decode(x)) == x.
//
// Prefix rules (payload length L):
//   single byte b < 0x80            -> b itself
//   byte string, L <= 55            -> 0x80 + L, payload
//   byte string, L >  55            -> 0xb7 + len(BE(L)), BE(L), payload
//   list,        L <= 55            -> 0xc0 + L, payload
//   list,        L >  55            -> 0xf7 + len(BE(L)), BE(L), payload
// where BE(L) is the minimal big-endian representation of L (no leading zero byte).
// Integers are byte strings holding their minimal big-endian form (zero = empty string, 0x80).
//
// Decoding errors are Errc::kDecoding with a message "RLP: <rule> at offset <n>", the offset
// being counted in bytes from the start of the input given to the decoder.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

namespace wp {

//! One RLP item: a byte string (is_list == false, payload in `bytes`) or a list (is_list == true,
//! children in `items`). The unused member stays empty.
struct RlpItem {
    bool is_list{false};
    Bytes bytes;
    std::vector<RlpItem> items;

    //! A byte string item.
    static RlpItem from_bytes(ByteView b) { return RlpItem{false, Bytes(b.begin(), b.end()), {}}; }
    //! A byte string item holding the UTF-8 bytes of s.
    static RlpItem from_string(std::string_view s) { return from_bytes(as_bytes(s)); }
    //! A byte string item holding the minimal big-endian form of v (empty for zero).
    static RlpItem from_uint(const U256& v) { return RlpItem{false, v.to_be_minimal(), {}}; }
    //! A list item.
    static RlpItem from_list(std::vector<RlpItem> children) { return RlpItem{true, {}, std::move(children)}; }

    friend bool operator==(const RlpItem&, const RlpItem&) = default;
};

namespace rlp {

//! Largest input the decoders accept by default (bytes).
inline constexpr std::size_t kDefaultMaxInputSize = std::size_t{16} << 20;
//! Deepest list nesting the decoders accept by default (the top-level list is depth 1).
inline constexpr std::size_t kDefaultMaxDepth = 1024;

//! Resource limits of the decoder.
struct DecodeLimits {
    std::size_t max_input_size{kDefaultMaxInputSize};
    std::size_t max_depth{kDefaultMaxDepth};
};

// ---------------------------------------------------------------------------------------------
// Encoding

//! The canonical encoding of an item tree.
Bytes encode(const RlpItem& item);
//! The encoding of a byte string (a single byte < 0x80 encodes as itself).
Bytes encode_bytes(ByteView payload);
//! The encoding of the UTF-8 bytes of s: encode_string("dog") = 0x83646f67.
Bytes encode_string(std::string_view s);
//! The encoding of an integer as its minimal big-endian bytes: 0 -> 0x80, 15 -> 0x0f, 1024 -> 0x820400.
Bytes encode_uint(const U256& value);
Bytes encode_uint(std::uint64_t value);
//! A list whose elements are already RLP-encoded: header(sum of sizes) ‖ items[0] ‖ items[1] ‖ ...
Bytes encode_list(std::span<const Bytes> encoded_items);
//! A list around an already concatenated sequence of encoded items: header(payload.size()) ‖ payload.
Bytes encode_list_payload(ByteView payload);
//! Appends only the header (prefix and length) of a string (is_list false) or list of `payload_size` bytes.
//! For a string the caller must not use this for a single byte < 0x80 (which has no header).
void append_header(Bytes& out, bool is_list, std::size_t payload_size);

// ---------------------------------------------------------------------------------------------
// Decoding

//! The prefix of one item as read from the front of an input.
struct Header {
    bool is_list{false};
    std::size_t header_size{0};   //!< bytes of prefix + length (0 for a single byte < 0x80)
    std::size_t payload_size{0};  //!< bytes of payload that follow the header
    std::size_t total_size() const { return header_size + payload_size; }
};

//! Reads the header of the item starting at input[0] and checks that the whole item fits in `input`.
//! Rejects: empty input, truncated length or payload, a long form for a length <= 55, a length with a
//! leading zero byte, a length that does not fit in size_t, and a one-byte string 0x81 b with b < 0x80.
//! `base_offset` is added to the offsets reported in error messages.
Result<Header> decode_header(ByteView input, std::size_t base_offset = 0);

//! A decoded item and the number of input bytes it occupied.
struct Partial {
    RlpItem item;
    std::size_t consumed{0};
};

//! Decodes the first item of `input` strictly and reports its size; bytes after it are allowed.
Result<Partial> decode_partial(ByteView input, const DecodeLimits& limits = {});

//! Decodes exactly one item occupying all of `input` (trailing bytes are an error), strictly:
//! every header must be canonical (see decode_header), every list's payload must consist exactly of
//! whole items, nesting may not exceed limits.max_depth and input may not exceed limits.max_input_size.
Result<RlpItem> decode(ByteView input, const DecodeLimits& limits = {});

//! Reads the payload of an RLP integer: at most 32 bytes, no leading zero byte (zero is the empty
//! string). Errors: Errc::kDecoding "RLP integer has a leading zero byte", Errc::kOverflow when too long.
Result<U256> decode_uint(ByteView payload);
//! The same for an item, which must be a byte string (a list is Errc::kDecoding).
Result<U256> decode_uint(const RlpItem& item);
//! An integer that must fit in 64 bits (Errc::kOverflow otherwise).
Result<std::uint64_t> decode_uint64(const RlpItem& item);

}  // namespace rlp
}  // namespace wp
