#include "rlp.hpp"

#include <limits>
#include <string>

namespace wp::rlp {
namespace {

constexpr std::uint8_t kShortString = 0x80;
constexpr std::uint8_t kLongString = 0xb7;
constexpr std::uint8_t kShortList = 0xc0;
constexpr std::uint8_t kLongList = 0xf7;
constexpr std::size_t kMaxShortLength = 55;

tl::unexpected<Error> decoding_error(const std::string& rule, std::size_t offset) {
    return make_error(Errc::kDecoding, "RLP: " + rule + " at offset " + std::to_string(offset));
}

unsigned byte_length(std::size_t v) {
    unsigned n = 0;
    while (v != 0) {
        ++n;
        v >>= 8;
    }
    return n;
}

void encode_into(Bytes& out, const RlpItem& item) {
    if (!item.is_list) {
        append(out, encode_bytes(item.bytes));
        return;
    }
    Bytes payload;
    for (const auto& child : item.items) encode_into(payload, child);
    append_header(out, true, payload.size());
    append(out, payload);
}

Result<Partial> parse(ByteView input, std::size_t base, std::size_t depth, const DecodeLimits& limits) {
    WP_TRY(const Header header, decode_header(input, base));
    Partial result;
    result.consumed = header.total_size();
    const ByteView payload = input.subspan(header.header_size, header.payload_size);
    if (!header.is_list) {
        if (header.header_size == 0)
            result.item.bytes.assign(input.begin(), input.begin() + 1);
        else
            result.item.bytes.assign(payload.begin(), payload.end());
        return result;
    }
    if (depth + 1 > limits.max_depth)
        return decoding_error("list nesting deeper than " + std::to_string(limits.max_depth), base);
    result.item.is_list = true;
    std::size_t pos = 0;
    while (pos < payload.size()) {
        WP_TRY(Partial child, parse(payload.subspan(pos), base + header.header_size + pos, depth + 1, limits));
        pos += child.consumed;
        result.item.items.push_back(std::move(child.item));
    }
    return result;
}

}  // namespace

void append_header(Bytes& out, bool is_list, std::size_t payload_size) {
    const std::uint8_t short_base = is_list ? kShortList : kShortString;
    const std::uint8_t long_base = is_list ? kLongList : kLongString;
    if (payload_size <= kMaxShortLength) {
        out.push_back(static_cast<std::uint8_t>(short_base + payload_size));
        return;
    }
    const unsigned n = byte_length(payload_size);
    out.push_back(static_cast<std::uint8_t>(long_base + n));
    for (unsigned i = n; i-- > 0;) out.push_back(static_cast<std::uint8_t>(payload_size >> (8 * i)));
}

Bytes encode_bytes(ByteView payload) {
    if (payload.size() == 1 && payload[0] < kShortString) return Bytes{payload[0]};
    Bytes out;
    out.reserve(payload.size() + 9);
    append_header(out, false, payload.size());
    append(out, payload);
    return out;
}

Bytes encode_string(std::string_view s) { return encode_bytes(as_bytes(s)); }

Bytes encode_uint(const U256& value) { return encode_bytes(value.to_be_minimal()); }

Bytes encode_uint(std::uint64_t value) {
    std::uint8_t buf[8];
    unsigned n = 0;
    for (std::uint64_t v = value; v != 0; v >>= 8) ++n;
    for (unsigned i = 0; i < n; ++i) buf[i] = static_cast<std::uint8_t>(value >> (8 * (n - 1 - i)));
    return encode_bytes(ByteView(buf, n));
}

Bytes encode_list(std::span<const Bytes> encoded_items) {
    std::size_t total = 0;
    for (const auto& e : encoded_items) total += e.size();
    Bytes out;
    out.reserve(total + 9);
    append_header(out, true, total);
    for (const auto& e : encoded_items) append(out, e);
    return out;
}

Bytes encode_list_payload(ByteView payload) {
    Bytes out;
    out.reserve(payload.size() + 9);
    append_header(out, true, payload.size());
    append(out, payload);
    return out;
}

Bytes encode(const RlpItem& item) {
    Bytes out;
    encode_into(out, item);
    return out;
}

Result<Header> decode_header(ByteView input, std::size_t base) {
    if (input.empty()) return decoding_error("unexpected end of input (item expected)", base);
    const std::uint8_t prefix = input[0];
    Header h;
    if (prefix < kShortString) {
        h.payload_size = 1;
        return h;
    }
    h.is_list = prefix >= kShortList;
    const std::uint8_t short_base = h.is_list ? kShortList : kShortString;
    const std::uint8_t long_base = h.is_list ? kLongList : kLongString;
    const char* kind = h.is_list ? "list" : "string";
    if (prefix <= long_base) {
        h.header_size = 1;
        h.payload_size = static_cast<std::size_t>(prefix - short_base);
        if (input.size() - 1 < h.payload_size)
            return decoding_error(std::string("truncated ") + kind + ": payload of " + std::to_string(h.payload_size) +
                                      " bytes but only " + std::to_string(input.size() - 1) + " remain",
                                  base);
        if (!h.is_list && h.payload_size == 1 && input[1] < kShortString)
            return decoding_error("non-canonical single byte: 0x81 followed by a byte < 0x80 (must be encoded as itself)",
                                  base);
        return h;
    }
    const auto len_len = static_cast<std::size_t>(prefix - long_base);
    if (input.size() - 1 < len_len)
        return decoding_error(std::string("truncated ") + kind + " length: " + std::to_string(len_len) +
                                  " length bytes expected",
                              base);
    if (input[1] == 0)
        return decoding_error(std::string("non-canonical ") + kind + " length: leading zero byte in the length", base);
    if (len_len > sizeof(std::size_t))
        return decoding_error(std::string(kind) + " length overflows (" + std::to_string(len_len) + " length bytes)",
                              base);
    std::size_t len = 0;
    for (std::size_t i = 0; i < len_len; ++i) len = (len << 8) | input[1 + i];
    if (len <= kMaxShortLength)
        return decoding_error(std::string("non-canonical ") + kind + " length: long form used for a payload of " +
                                  std::to_string(len) + " bytes (< 56 uses the short form)",
                              base);
    h.header_size = 1 + len_len;
    h.payload_size = len;
    if (input.size() - h.header_size < len)
        return decoding_error(std::string("truncated ") + kind + ": payload of " + std::to_string(len) +
                                  " bytes but only " + std::to_string(input.size() - h.header_size) + " remain",
                              base);
    return h;
}

Result<Partial> decode_partial(ByteView input, const DecodeLimits& limits) {
    if (input.size() > limits.max_input_size)
        return decoding_error("input of " + std::to_string(input.size()) + " bytes exceeds the limit of " +
                                  std::to_string(limits.max_input_size),
                              0);
    return parse(input, 0, 0, limits);
}

Result<RlpItem> decode(ByteView input, const DecodeLimits& limits) {
    WP_TRY(Partial p, decode_partial(input, limits));
    if (p.consumed != input.size())
        return decoding_error(std::to_string(input.size() - p.consumed) + " trailing bytes after the top-level item",
                              p.consumed);
    return std::move(p.item);
}

Result<U256> decode_uint(ByteView payload) {
    if (!payload.empty() && payload[0] == 0)
        return make_error(Errc::kDecoding, "RLP integer has a leading zero byte (integers are minimal big-endian)");
    if (payload.size() > 32)
        return make_error(Errc::kOverflow,
                          "RLP integer of " + std::to_string(payload.size()) + " bytes exceeds 256 bits");
    return U256::from_be(payload);
}

Result<U256> decode_uint(const RlpItem& item) {
    if (item.is_list) return make_error(Errc::kDecoding, "RLP integer expected, got a list");
    return decode_uint(ByteView(item.bytes));
}

Result<std::uint64_t> decode_uint64(const RlpItem& item) {
    WP_TRY(const U256 v, decode_uint(item));
    if (!v.fits_u64()) return make_error(Errc::kOverflow, "RLP integer exceeds 64 bits");
    return v.low_u64();
}

}  // namespace wp::rlp
