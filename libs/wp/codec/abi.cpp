#include "abi.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <type_traits>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <wp/core/hex.hpp>

namespace wp {

// ---------------------------------------------------------------------------------------------------------
// AbiInt

AbiInt AbiInt::from_i64(std::int64_t v) {
    if (v >= 0) return AbiInt{U256(static_cast<std::uint64_t>(v))};
    // |v| as unsigned without overflowing on INT64_MIN, then two's complement.
    const std::uint64_t mag = ~static_cast<std::uint64_t>(v) + 1;
    return AbiInt{U256(U256::Native(~U256(mag).native() + 1))};
}

Result<AbiInt> AbiInt::from_sign_magnitude(bool negative, const U256& magnitude) {
    if (!negative || magnitude.is_zero()) {
        if (magnitude.bit(255)) return make_error(Errc::kOverflow, "integer above the int256 maximum 2^255-1");
        return AbiInt{magnitude};
    }
    const U256 min_magnitude(U256::Native(U256::Native(1) << 255));
    if (magnitude > min_magnitude) return make_error(Errc::kOverflow, "integer below the int256 minimum -2^255");
    return AbiInt{U256(U256::Native(~magnitude.native() + 1))};
}

Result<AbiInt> AbiInt::parse(std::string_view text) {
    const bool negative = !text.empty() && text[0] == '-';
    if (negative) text.remove_prefix(1);
    WP_TRY(U256 magnitude, U256::parse(text));
    return from_sign_magnitude(negative, magnitude);
}

U256 AbiInt::magnitude() const {
    if (!is_negative()) return word;
    return U256(U256::Native(~word.native() + 1));
}

bool AbiInt::fits_bits(unsigned bits) const {
    assert(bits >= 1 && bits <= 256);
    // All bits from bits-1 up to 255 must equal the sign bit.
    const bool sign = is_negative();
    for (unsigned i = bits - 1; i < 256; ++i) {
        if (word.bit(i) != sign) return false;
    }
    return true;
}

std::string AbiInt::to_dec() const { return is_negative() ? "-" + magnitude().to_dec() : word.to_dec(); }

// ---------------------------------------------------------------------------------------------------------
// Shared helpers

namespace {

using Kind = AbiType::Kind;
using List = AbiValue::List;

// A homogeneous (array) or heterogeneous (tuple, parameter list) sequence of types.
struct Seq {
    const AbiType* items;
    std::size_t count;
    bool repeat;
    const AbiType& at(std::size_t i) const { return repeat ? items[0] : items[i]; }
};

Seq seq_of(const AbiType& t, std::size_t n_elements) {
    if (t.kind() == Kind::kTuple) return Seq{t.components().data(), t.components().size(), false};
    return Seq{&t.element(), n_elements, true};
}

// A lazily rendered value path: "arg 2[3].sign".
struct PathNode {
    const PathNode* parent;
    enum class Step : std::uint8_t { kArg, kIndex, kField } step;
    std::size_t index;
    const std::string* name;
};

PathNode child_path(const PathNode* parent, bool repeat, const AbiType& t, std::size_t i) {
    if (parent == nullptr) return PathNode{nullptr, PathNode::Step::kArg, i, nullptr};
    if (repeat) return PathNode{parent, PathNode::Step::kIndex, i, nullptr};
    return PathNode{parent, PathNode::Step::kField, i, &t.name()};
}

std::string render(const PathNode* p) {
    std::vector<const PathNode*> chain;
    for (; p != nullptr; p = p->parent)
        chain.push_back(p);
    std::string out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const PathNode& n = **it;
        switch (n.step) {
            case PathNode::Step::kArg: out += "arg " + std::to_string(n.index); break;
            case PathNode::Step::kIndex: out += "[" + std::to_string(n.index) + "]"; break;
            case PathNode::Step::kField:
                out += "." + ((n.name != nullptr && !n.name->empty()) ? *n.name : std::to_string(n.index));
                break;
        }
    }
    return out;
}

tl::unexpected<Error> path_error(Errc code, std::string_view prefix, const PathNode* path, const std::string& msg) {
    std::string full(prefix);
    if (path != nullptr) full += render(path) + ": ";
    full += msg;
    return make_error(code, std::move(full));
}

std::string hex_num(std::size_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    if (v == 0) return "0x0";
    std::string s;
    while (v != 0) {
        s.push_back(kDigits[v & 0xf]);
        v >>= 4;
    }
    std::reverse(s.begin(), s.end());
    return "0x" + s;
}

const char* alternative_name(const AbiValue& v) {
    switch (v.storage().index()) {
        case 0: return "uint";
        case 1: return "int";
        case 2: return "address";
        case 3: return "bool";
        case 4: return "fixed bytes";
        case 5: return "bytes";
        case 6: return "string";
        default: return "list";
    }
}

// Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF), as ethers' toUtf8String requires.
bool valid_utf8(ByteView s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const std::uint8_t c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        std::uint32_t min = 0;
        if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1fu, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0fu, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const std::uint8_t cc = s[i + k];
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

std::string type_label(const AbiType& t) { return t.canonical(); }

// ---------------------------------------------------------------------------------------------------------
// Encoder: one output buffer; static values are written in place in their head slot, dynamic values are
// appended and their head slot receives the offset relative to the start of the enclosing tuple.

constexpr std::string_view kEncodePrefix = "ABI encode: ";

class Encoder {
  public:
    explicit Encoder(Bytes& out) : out_(out) {}

    Result<void> sequence(Seq s, const List& values, const PathNode* parent) {
        if (values.size() != s.count)
            return path_error(Errc::kInvalidArgument, kEncodePrefix, parent,
                              "expected " + std::to_string(s.count) + " values, got " + std::to_string(values.size()));
        const std::size_t base = out_.size();
        std::size_t head_total = 0;
        for (std::size_t i = 0; i < s.count; ++i)
            head_total += s.at(i).head_size();
        out_.resize(base + head_total, 0);
        std::size_t head = base;
        for (std::size_t i = 0; i < s.count; ++i) {
            const AbiType& t = s.at(i);
            const PathNode path = child_path(parent, s.repeat, t, i);
            if (t.is_dynamic()) {
                write_u64(head, out_.size() - base);
                WP_TRY_VOID(dynamic(t, values[i], &path));
            } else {
                WP_TRY_VOID(static_at(head, t, values[i], &path));
            }
            head += t.head_size();
        }
        return {};
    }

  private:
    tl::unexpected<Error> fail(const PathNode* path, const std::string& msg) const {
        return path_error(Errc::kInvalidArgument, kEncodePrefix, path, msg);
    }

    tl::unexpected<Error> mismatch(const AbiType& t, const AbiValue& v, const PathNode* path) const {
        return fail(path, "expected a value for " + type_label(t) + ", got a " + alternative_name(v) + " value");
    }

    void append_u64(std::uint64_t v) {
        out_.resize(out_.size() + 32, 0);
        write_u64(out_.size() - 32, v);
    }

    void write_u64(std::size_t pos, std::uint64_t v) {
        for (std::size_t k = 0; k < 8; ++k)
            out_[pos + 31 - k] = static_cast<std::uint8_t>(v >> (8 * k));
    }

    void write_word(std::size_t pos, ByteView word) {
        std::copy(word.begin(), word.end(), out_.begin() + static_cast<std::ptrdiff_t>(pos));
    }

    // The values of a fixed array or tuple, checked against the number of elements the type has.
    Result<const List*> fixed_list(const AbiType& t, const AbiValue& v, const PathNode* path) const {
        const List* l = v.as_list();
        if (l == nullptr) return mismatch(t, v, path);
        const std::size_t count = seq_of(t, t.length()).count;
        if (l->size() != count)
            return fail(path, type_label(t) + " needs " + std::to_string(count) + " values, got " +
                                  std::to_string(l->size()));
        return l;
    }

    Result<void> static_at(std::size_t pos, const AbiType& t, const AbiValue& v, const PathNode* path) {
        switch (t.kind()) {
            case Kind::kUint: {
                const U256* u = v.as_uint();
                if (u == nullptr) return mismatch(t, v, path);
                if (u->bit_length() > t.bits())
                    return fail(path, "value " + u->to_dec() + " does not fit in " + type_label(t));
                u->store_be32(out_.data() + pos);
                return {};
            }
            case Kind::kInt: {
                const AbiInt* s = v.as_int();
                if (s == nullptr) return mismatch(t, v, path);
                if (!s->fits_bits(t.bits()))
                    return fail(path, "value " + s->to_dec() + " does not fit in " + type_label(t));
                s->word.store_be32(out_.data() + pos);
                return {};
            }
            case Kind::kAddress: {
                const Address* a = v.as_address();
                if (a == nullptr) return mismatch(t, v, path);
                write_word(pos, a->to_word());
                return {};
            }
            case Kind::kBool: {
                const bool* b = v.as_bool();
                if (b == nullptr) return mismatch(t, v, path);
                out_[pos + 31] = *b ? 1 : 0;
                return {};
            }
            case Kind::kFixedBytes: {
                const AbiFixedBytes* f = v.as_fixed_bytes();
                if (f == nullptr) return mismatch(t, v, path);
                if (f->bytes.size() != t.byte_size())
                    return fail(path, type_label(t) + " needs " + std::to_string(t.byte_size()) + " bytes, got " +
                                          std::to_string(f->bytes.size()));
                write_word(pos, f->bytes);
                return {};
            }
            case Kind::kFixedArray:
            case Kind::kTuple: {
                WP_TRY(const List* l, fixed_list(t, v, path));
                const Seq s = seq_of(t, t.length());
                std::size_t p = pos;
                for (std::size_t i = 0; i < s.count; ++i) {
                    const AbiType& ct = s.at(i);
                    const PathNode cp = child_path(path, s.repeat, ct, i);
                    WP_TRY_VOID(static_at(p, ct, (*l)[i], &cp));
                    p += ct.head_size();
                }
                return {};
            }
            default:
                assert(false && "dynamic type in static_at");
                return fail(path, "internal error: dynamic type in a static slot");
        }
    }

    void append_padded(ByteView data) {
        const std::size_t len = data.size();
        append_u64(len);
        append(out_, data);
        const std::size_t pad = (32 - len % 32) % 32;
        out_.insert(out_.end(), pad, 0);
    }

    Result<void> dynamic(const AbiType& t, const AbiValue& v, const PathNode* path) {
        switch (t.kind()) {
            case Kind::kBytes: {
                const Bytes* b = v.as_bytes();
                if (b == nullptr) return mismatch(t, v, path);
                append_padded(*b);
                return {};
            }
            case Kind::kString: {
                const std::string* s = v.as_string();
                if (s == nullptr) return mismatch(t, v, path);
                if (!valid_utf8(wp::as_bytes(*s))) return fail(path, "string is not valid UTF-8");
                append_padded(wp::as_bytes(*s));
                return {};
            }
            case Kind::kArray: {
                const List* l = v.as_list();
                if (l == nullptr) return mismatch(t, v, path);
                append_u64(l->size());
                return sequence(seq_of(t, l->size()), *l, path);
            }
            case Kind::kFixedArray:
            case Kind::kTuple: {
                WP_TRY(const List* l, fixed_list(t, v, path));
                const Seq s = seq_of(t, t.length());
                return sequence(s, *l, path);
            }
            default:
                assert(false && "static type in dynamic()");
                return fail(path, "internal error: static type in a dynamic slot");
        }
    }

    Bytes& out_;
};

// ---------------------------------------------------------------------------------------------------------
// Decoder

constexpr std::string_view kDecodePrefix = "ABI decode: ";
constexpr std::size_t kWorkPerWord = 4;

class Decoder {
  public:
    Decoder(ByteView data, const AbiDecodeOptions& options)
        : d_(data),
          strict_(options.strictness == AbiStrictness::kStrict),
          max_depth_(options.max_depth),
          budget_(kWorkPerWord * (data.size() / 32) + kWorkPerWord) {}

    // Decodes the sequence whose encoding starts at absolute position `base`; returns the number of bytes
    // its canonical encoding spans (head + tails), relative to base.
    Result<std::size_t> sequence(Seq s, std::size_t base, const PathNode* parent, std::size_t depth, List& out) {
        const std::size_t avail = d_.size() - base;
        std::size_t head_total = 0;
        if (s.repeat) {
            const std::size_t eh = s.items[0].head_size();
            if (eh == 0) return fail(parent, "zero-size element type " + type_label(s.items[0]));
            if (s.count > avail / eh)
                return fail(parent, "data too short: " + std::to_string(s.count) + " elements of " + hex_num(eh) +
                                        " bytes do not fit in the " + hex_num(avail) + " bytes available at " +
                                        hex_num(base));
            head_total = s.count * eh;
        } else {
            for (std::size_t i = 0; i < s.count; ++i) {
                head_total += s.at(i).head_size();
                if (head_total > avail) break;
            }
            if (head_total > avail)
                return fail(parent, "data too short: the head needs more than the " + hex_num(avail) +
                                        " bytes available at " + hex_num(base));
        }
        out.reserve(s.count);
        std::size_t cursor = head_total;
        std::size_t head = base;
        for (std::size_t i = 0; i < s.count; ++i) {
            const AbiType& t = s.at(i);
            const PathNode path = child_path(parent, s.repeat, t, i);
            if (!t.is_dynamic()) {
                WP_TRY(AbiValue v, static_value(t, head, &path, depth));
                out.push_back(std::move(v));
            } else {
                WP_TRY(std::size_t off, read_u64(head, &path, "offset"));
                if (off < head_total)
                    return fail(&path, "offset " + hex_num(off) + " points into the head (head is " +
                                           hex_num(head_total) + " bytes)");
                if (off > avail)
                    return fail(&path, "offset " + hex_num(off) + " out of bounds (" + hex_num(avail) +
                                           " bytes available from " + hex_num(base) + ")");
                if (strict_ && off != cursor)
                    return fail(&path, "non-canonical offset " + hex_num(off) + " (expected " + hex_num(cursor) + ")");
                AbiValue v;
                WP_TRY(std::size_t used, dynamic_value(t, base + off, &path, depth, v));
                out.push_back(std::move(v));
                cursor = strict_ ? off + used : std::max(cursor, off + used);
            }
            head += t.head_size();
        }
        return cursor;
    }

    std::size_t size() const { return d_.size(); }

    tl::unexpected<Error> fail(const PathNode* path, const std::string& msg) const {
        return path_error(Errc::kDecoding, kDecodePrefix, path, msg);
    }

  private:
    Result<void> spend(std::size_t words, const PathNode* path) {
        if (words > budget_) return fail(path, "decoding work limit exceeded (aliased offsets?)");
        budget_ -= words;
        return {};
    }

    Result<std::size_t> read_u64(std::size_t pos, const PathNode* path, const char* what) {
        if (d_.size() - pos < 32) return fail(path, std::string("missing ") + what + " word at " + hex_num(pos));
        WP_TRY_VOID(spend(1, path));
        const std::uint8_t* w = d_.data() + pos;
        for (std::size_t k = 0; k < 24; ++k) {
            if (w[k] != 0)
                return fail(path, std::string(what) + " " + to_hex(ByteView(w, 32)) + " at " + hex_num(pos) +
                                      " does not fit in 64 bits");
        }
        std::uint64_t v = 0;
        for (std::size_t k = 24; k < 32; ++k)
            v = (v << 8) | w[k];
        return static_cast<std::size_t>(v);
    }

    static bool all_equal(const std::uint8_t* p, std::size_t n, std::uint8_t b) {
        for (std::size_t k = 0; k < n; ++k) {
            if (p[k] != b) return false;
        }
        return true;
    }

    Result<AbiValue> static_value(const AbiType& t, std::size_t pos, const PathNode* path, std::size_t depth) {
        // The enclosing sequence checked that its head, which contains [pos, pos + head_size), is in bounds.
        if (t.kind() == Kind::kFixedArray || t.kind() == Kind::kTuple) {
            if (depth + 1 > max_depth_) return fail(path, "nesting deeper than " + std::to_string(max_depth_));
            List l;
            WP_TRY_VOID(sequence(seq_of(t, t.length()), pos, path, depth + 1, l));
            return AbiValue::list(std::move(l));
        }
        WP_TRY_VOID(spend(1, path));
        const std::uint8_t* w = d_.data() + pos;
        switch (t.kind()) {
            case Kind::kUint: {
                const std::size_t pad = 32 - t.bits() / 8;
                if (!all_equal(w, pad, 0))
                    return fail(path, "dirty high bits for " + type_label(t) + " at " + hex_num(pos));
                return AbiValue::uint_(U256::load_be32(w));
            }
            case Kind::kInt: {
                const std::size_t pad = 32 - t.bits() / 8;
                const std::uint8_t fill = (w[pad] & 0x80) != 0 ? 0xff : 0x00;
                if (!all_equal(w, pad, fill))
                    return fail(path, "bad sign extension for " + type_label(t) + " at " + hex_num(pos));
                return AbiValue::int_(AbiInt{U256::load_be32(w)});
            }
            case Kind::kAddress:
                if (!all_equal(w, 12, 0)) return fail(path, "dirty high bytes for address at " + hex_num(pos));
                return AbiValue::address(*Address::from_view(ByteView(w + 12, 20)));
            case Kind::kBool:
                if (!all_equal(w, 31, 0) || w[31] > 1)
                    return fail(path, "invalid bool " + to_hex(ByteView(w, 32)) + " at " + hex_num(pos));
                return AbiValue::bool_(w[31] == 1);
            case Kind::kFixedBytes: {
                const std::size_t n = t.byte_size();
                if (!all_equal(w + n, 32 - n, 0))
                    return fail(path, "dirty padding for " + type_label(t) + " at " + hex_num(pos));
                return AbiValue::fixed_bytes(ByteView(w, n));
            }
            default: assert(false && "dynamic type in static_value"); return fail(path, "internal error");
        }
    }

    Result<std::size_t> dynamic_value(const AbiType& t, std::size_t pos, const PathNode* path, std::size_t depth,
                                      AbiValue& out) {
        switch (t.kind()) {
            case Kind::kBytes:
            case Kind::kString: {
                WP_TRY(std::size_t len, read_u64(pos, path, "length"));
                const std::size_t avail = d_.size() - pos - 32;
                if (len > avail)
                    return fail(path, "length " + std::to_string(len) + " at " + hex_num(pos) + " exceeds the " +
                                          std::to_string(avail) + " bytes available");
                const std::size_t padded = (len + 31) / 32 * 32;
                if (padded > avail)
                    return fail(path, "missing padding after " + type_label(t) + " data at " + hex_num(pos));
                const std::uint8_t* p = d_.data() + pos + 32;
                if (!all_equal(p + len, padded - len, 0))
                    return fail(path, "non-zero padding after " + type_label(t) + " data at " + hex_num(pos));
                WP_TRY_VOID(spend(padded / 32, path));
                if (t.kind() == Kind::kBytes) {
                    out = AbiValue::bytes(Bytes(p, p + len));
                } else {
                    if (!valid_utf8(ByteView(p, len))) return fail(path, "string is not valid UTF-8");
                    out = AbiValue::string(std::string(reinterpret_cast<const char*>(p), len));
                }
                return 32 + padded;
            }
            case Kind::kArray: {
                if (depth + 1 > max_depth_) return fail(path, "nesting deeper than " + std::to_string(max_depth_));
                WP_TRY(std::size_t len, read_u64(pos, path, "array length"));
                const std::size_t avail = d_.size() - pos - 32;
                const std::size_t eh = t.element().head_size();
                if (eh == 0) return fail(path, "zero-size element type " + type_label(t.element()));
                if (len > avail / eh)
                    return fail(path, "array length " + std::to_string(len) + " at " + hex_num(pos) +
                                          " exceeds the remaining " + hex_num(avail) + " bytes");
                List l;
                WP_TRY(std::size_t used, sequence(seq_of(t, len), pos + 32, path, depth + 1, l));
                out = AbiValue::list(std::move(l));
                return 32 + used;
            }
            case Kind::kFixedArray:
            case Kind::kTuple: {
                if (depth + 1 > max_depth_) return fail(path, "nesting deeper than " + std::to_string(max_depth_));
                List l;
                WP_TRY(std::size_t used, sequence(seq_of(t, t.length()), pos, path, depth + 1, l));
                out = AbiValue::list(std::move(l));
                return used;
            }
            default: assert(false && "static type in dynamic_value"); return fail(path, "internal error");
        }
    }

    ByteView d_;
    bool strict_;
    std::size_t max_depth_;
    std::size_t budget_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Public encode / decode

Result<Bytes> abi_encode(const std::vector<AbiType>& types, const std::vector<AbiValue>& values) {
    Bytes out;
    Encoder enc(out);
    WP_TRY_VOID(enc.sequence(Seq{types.data(), types.size(), false}, values, nullptr));
    return out;
}

Result<Bytes> abi_encode_call(const AbiSignature& signature, const std::vector<AbiValue>& values) {
    Bytes out;
    const AbiSelector sel = signature.selector();
    append(out, sel);
    Encoder enc(out);
    WP_TRY_VOID(enc.sequence(Seq{signature.inputs.data(), signature.inputs.size(), false}, values, nullptr));
    return out;
}

Result<Bytes> abi_encode_call(std::string_view signature, const std::vector<AbiValue>& values) {
    WP_TRY(AbiSignature sig, parse_abi_signature(signature));
    return abi_encode_call(sig, values);
}

Result<std::vector<AbiValue>> abi_decode(const std::vector<AbiType>& types, ByteView data,
                                         const AbiDecodeOptions& options) {
    if (data.size() > options.max_input_size)
        return make_error(Errc::kDecoding, std::string(kDecodePrefix) + "input of " + std::to_string(data.size()) +
                                               " bytes exceeds the limit of " + std::to_string(options.max_input_size));
    for (const AbiType& t : types) {
        if (t.depth() > options.max_depth)
            return make_error(Errc::kDecoding, std::string(kDecodePrefix) + "type " + t.canonical() +
                                                   " is nested deeper than " + std::to_string(options.max_depth));
    }
    Decoder dec(data, options);
    List out;
    WP_TRY(std::size_t used, dec.sequence(Seq{types.data(), types.size(), false}, 0, nullptr, 0, out));
    if (options.strictness == AbiStrictness::kStrict && used != data.size())
        return dec.fail(nullptr, std::to_string(data.size() - used) + " trailing bytes after the encoding (at " +
                                     hex_num(used) + ")");
    return out;
}

Result<std::vector<AbiValue>> abi_decode_call(const AbiSignature& signature, ByteView calldata,
                                              const AbiDecodeOptions& options) {
    if (calldata.size() < 4)
        return make_error(Errc::kDecoding, std::string(kDecodePrefix) + "calldata shorter than a selector (" +
                                               std::to_string(calldata.size()) + " bytes)");
    const AbiSelector sel = signature.selector();
    if (!std::equal(sel.begin(), sel.end(), calldata.begin()))
        return make_error(Errc::kDecoding, std::string(kDecodePrefix) + "selector " + to_hex(calldata.first(4)) +
                                               " does not match " + to_hex(sel) + " (" + signature.canonical() + ")");
    return abi_decode(signature.inputs, calldata.subspan(4), options);
}

// ---------------------------------------------------------------------------------------------------------
// Packed encoding

namespace {

constexpr std::string_view kPackedPrefix = "ABI encodePacked: ";

Result<void> pack(const AbiType& t, const AbiValue& v, bool in_array, const PathNode* path, Bytes& out) {
    const auto fail = [&](const std::string& msg) {
        return path_error(Errc::kInvalidArgument, kPackedPrefix, path, msg);
    };
    const auto mismatch = [&] {
        return fail("expected a value for " + type_label(t) + ", got a " + alternative_name(v) + " value");
    };
    switch (t.kind()) {
        case Kind::kUint: {
            const U256* u = v.as_uint();
            if (u == nullptr) return mismatch();
            if (u->bit_length() > t.bits()) return fail("value " + u->to_dec() + " does not fit in " + type_label(t));
            Bytes32 w;
            u->store_be32(w.data());
            const std::size_t n = in_array ? 32 : t.bits() / 8;
            append(out, ByteView(w.data() + 32 - n, n));
            return {};
        }
        case Kind::kInt: {
            const AbiInt* s = v.as_int();
            if (s == nullptr) return mismatch();
            if (!s->fits_bits(t.bits())) return fail("value " + s->to_dec() + " does not fit in " + type_label(t));
            Bytes32 w;
            s->word.store_be32(w.data());
            const std::size_t n = in_array ? 32 : t.bits() / 8;
            append(out, ByteView(w.data() + 32 - n, n));
            return {};
        }
        case Kind::kAddress: {
            const Address* a = v.as_address();
            if (a == nullptr) return mismatch();
            if (in_array) {
                append(out, a->to_word());
            } else {
                append(out, a->view());
            }
            return {};
        }
        case Kind::kBool: {
            const bool* b = v.as_bool();
            if (b == nullptr) return mismatch();
            if (in_array) out.insert(out.end(), 31, 0);
            out.push_back(*b ? 1 : 0);
            return {};
        }
        case Kind::kFixedBytes: {
            const AbiFixedBytes* f = v.as_fixed_bytes();
            if (f == nullptr) return mismatch();
            if (f->bytes.size() != t.byte_size())
                return fail(type_label(t) + " needs " + std::to_string(t.byte_size()) + " bytes, got " +
                            std::to_string(f->bytes.size()));
            append(out, f->bytes);
            if (in_array) out.insert(out.end(), 32 - f->bytes.size(), 0);
            return {};
        }
        case Kind::kBytes: {
            const Bytes* b = v.as_bytes();
            if (b == nullptr) return mismatch();
            append(out, *b);
            return {};
        }
        case Kind::kString: {
            const std::string* s = v.as_string();
            if (s == nullptr) return mismatch();
            if (!valid_utf8(as_bytes(*s))) return fail("string is not valid UTF-8");
            append(out, as_bytes(*s));
            return {};
        }
        case Kind::kFixedArray:
        case Kind::kArray: {
            const List* l = v.as_list();
            if (l == nullptr) return mismatch();
            if (t.kind() == Kind::kFixedArray && l->size() != t.length())
                return fail(type_label(t) + " needs " + std::to_string(t.length()) + " values, got " +
                            std::to_string(l->size()));
            for (std::size_t i = 0; i < l->size(); ++i) {
                const PathNode cp{path, PathNode::Step::kIndex, i, nullptr};
                WP_TRY_VOID(pack(t.element(), (*l)[i], true, &cp, out));
            }
            return {};
        }
        case Kind::kTuple: return fail("tuples cannot be packed");
    }
    return fail("internal error");
}

}  // namespace

Result<Bytes> abi_encode_packed(const std::vector<AbiType>& types, const std::vector<AbiValue>& values) {
    if (types.size() != values.size())
        return make_error(Errc::kInvalidArgument, std::string(kPackedPrefix) + "expected " +
                                                      std::to_string(types.size()) + " values, got " +
                                                      std::to_string(values.size()));
    Bytes out;
    for (std::size_t i = 0; i < types.size(); ++i) {
        const PathNode path{nullptr, PathNode::Step::kArg, i, nullptr};
        WP_TRY_VOID(pack(types[i], values[i], false, &path, out));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// JSON bridge

namespace {

constexpr std::string_view kJsonPrefix = "ABI JSON: ";

const char* json_kind_name(const boost::json::value& j) {
    switch (j.kind()) {
        case boost::json::kind::null: return "null";
        case boost::json::kind::bool_: return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64: return "an integer";
        case boost::json::kind::double_: return "a non-integer number";
        case boost::json::kind::string: return "a string";
        case boost::json::kind::array: return "an array";
        case boost::json::kind::object: return "an object";
    }
    return "?";
}

Result<AbiValue> from_json(const AbiType& t, const boost::json::value& j, const PathNode* path) {
    const auto fail = [&](const std::string& msg) {
        return path_error(Errc::kInvalidArgument, kJsonPrefix, path, msg);
    };
    const auto wrap = [&](const Error& e) { return path_error(e.code, kJsonPrefix, path, e.message); };
    const auto expected = [&](const char* what) {
        return fail(std::string("expected ") + what + " for " + type_label(t) + ", got " + json_kind_name(j));
    };
    switch (t.kind()) {
        case Kind::kUint: {
            U256 u;
            if (const auto* i = j.if_int64()) {
                if (*i < 0) return fail("negative value " + std::to_string(*i) + " for " + type_label(t));
                u = U256(static_cast<std::uint64_t>(*i));
            } else if (const auto* ui = j.if_uint64()) {
                u = U256(*ui);
            } else if (const auto* s = j.if_string()) {
                auto parsed = U256::parse(std::string_view(*s));
                if (!parsed) return wrap(parsed.error());
                u = *parsed;
            } else if (j.is_double()) {
                return fail("number is not an integer or is too large for JSON; pass it as a decimal string");
            } else {
                return expected("an integer or a numeric string");
            }
            if (u.bit_length() > t.bits()) return fail("value " + u.to_dec() + " does not fit in " + type_label(t));
            return AbiValue::uint_(u);
        }
        case Kind::kInt: {
            AbiInt s;
            if (const auto* i = j.if_int64()) {
                s = AbiInt::from_i64(*i);
            } else if (const auto* ui = j.if_uint64()) {
                s = AbiInt{U256(*ui)};
            } else if (const auto* str = j.if_string()) {
                auto parsed = AbiInt::parse(std::string_view(*str));
                if (!parsed) return wrap(parsed.error());
                s = *parsed;
            } else if (j.is_double()) {
                return fail("number is not an integer or is too large for JSON; pass it as a decimal string");
            } else {
                return expected("an integer or a numeric string");
            }
            if (!s.fits_bits(t.bits())) return fail("value " + s.to_dec() + " does not fit in " + type_label(t));
            return AbiValue::int_(s);
        }
        case Kind::kAddress: {
            const auto* s = j.if_string();
            if (s == nullptr) return expected("an address string");
            auto a = Address::parse(std::string_view(*s));
            if (!a) return wrap(a.error());
            return AbiValue::address(*a);
        }
        case Kind::kBool: {
            const bool* b = j.if_bool();
            if (b == nullptr) return expected("true or false");
            return AbiValue::bool_(*b);
        }
        case Kind::kFixedBytes:
        case Kind::kBytes: {
            const auto* s = j.if_string();
            if (s == nullptr) return expected("a 0x hex string");
            auto b = from_hex(std::string_view(*s));
            if (!b) return wrap(b.error());
            if (t.kind() == Kind::kBytes) return AbiValue::bytes(std::move(*b));
            if (b->size() != t.byte_size())
                return fail(type_label(t) + " needs " + std::to_string(t.byte_size()) + " bytes, got " +
                            std::to_string(b->size()));
            return AbiValue::fixed_bytes(*b);
        }
        case Kind::kString: {
            const auto* s = j.if_string();
            if (s == nullptr) return expected("a string");
            if (!valid_utf8(as_bytes(std::string_view(*s)))) return fail("string is not valid UTF-8");
            return AbiValue::string(std::string(std::string_view(*s)));
        }
        case Kind::kFixedArray:
        case Kind::kArray: {
            const auto* a = j.if_array();
            if (a == nullptr) return expected("an array");
            if (t.kind() == Kind::kFixedArray && a->size() != t.length())
                return fail(type_label(t) + " needs " + std::to_string(t.length()) + " elements, got " +
                            std::to_string(a->size()));
            List l;
            l.reserve(a->size());
            for (std::size_t i = 0; i < a->size(); ++i) {
                const PathNode cp{path, PathNode::Step::kIndex, i, nullptr};
                WP_TRY(AbiValue v, from_json(t.element(), (*a)[i], &cp));
                l.push_back(std::move(v));
            }
            return AbiValue::list(std::move(l));
        }
        case Kind::kTuple: {
            const auto& comps = t.components();
            List l;
            l.reserve(comps.size());
            if (const auto* a = j.if_array()) {
                if (a->size() != comps.size())
                    return fail("tuple needs " + std::to_string(comps.size()) + " components, got " +
                                std::to_string(a->size()));
                for (std::size_t i = 0; i < comps.size(); ++i) {
                    const PathNode cp{path, PathNode::Step::kField, i, &comps[i].name()};
                    WP_TRY(AbiValue v, from_json(comps[i], (*a)[i], &cp));
                    l.push_back(std::move(v));
                }
                return AbiValue::list(std::move(l));
            }
            if (const auto* o = j.if_object()) {
                if (!t.has_component_names())
                    return fail("a JSON object needs a tuple type whose components are all named: " + t.to_string());
                for (std::size_t i = 0; i < comps.size(); ++i) {
                    const PathNode cp{path, PathNode::Step::kField, i, &comps[i].name()};
                    const boost::json::value* field = o->if_contains(comps[i].name());
                    if (field == nullptr) return fail("missing key '" + comps[i].name() + "'");
                    WP_TRY(AbiValue v, from_json(comps[i], *field, &cp));
                    l.push_back(std::move(v));
                }
                for (const auto& kv : *o) {
                    const bool known =
                        std::any_of(comps.begin(), comps.end(), [&](const AbiType& c) { return c.name() == kv.key(); });
                    if (!known) return fail("unknown key '" + std::string(kv.key()) + "'");
                }
                return AbiValue::list(std::move(l));
            }
            return expected("an array or an object");
        }
    }
    return fail("internal error");
}

Result<boost::json::value> to_json(const AbiType& t, const AbiValue& v, AbiJsonTuples tuples, const PathNode* path) {
    const auto mismatch = [&] {
        return path_error(Errc::kInvalidArgument, kJsonPrefix, path,
                          "expected a value for " + type_label(t) + ", got a " + alternative_name(v) + " value");
    };
    switch (t.kind()) {
        case Kind::kUint:
            if (const U256* u = v.as_uint()) return boost::json::value(u->to_dec());
            return mismatch();
        case Kind::kInt:
            if (const AbiInt* s = v.as_int()) return boost::json::value(s->to_dec());
            return mismatch();
        case Kind::kAddress:
            if (const Address* a = v.as_address()) return boost::json::value(a->to_checksum());
            return mismatch();
        case Kind::kBool:
            if (const bool* b = v.as_bool()) return boost::json::value(*b);
            return mismatch();
        case Kind::kFixedBytes:
            if (const AbiFixedBytes* f = v.as_fixed_bytes()) return boost::json::value(to_hex(f->bytes));
            return mismatch();
        case Kind::kBytes:
            if (const Bytes* b = v.as_bytes()) return boost::json::value(to_hex(*b));
            return mismatch();
        case Kind::kString:
            if (const std::string* s = v.as_string()) return boost::json::value(*s);
            return mismatch();
        case Kind::kFixedArray:
        case Kind::kArray:
        case Kind::kTuple: {
            const List* l = v.as_list();
            if (l == nullptr) return mismatch();
            const Seq s = seq_of(t, t.kind() == Kind::kArray ? l->size() : t.length());
            if (l->size() != s.count)
                return path_error(
                    Errc::kInvalidArgument, kJsonPrefix, path,
                    type_label(t) + " needs " + std::to_string(s.count) + " values, got " + std::to_string(l->size()));
            const bool as_object =
                t.kind() == Kind::kTuple && tuples == AbiJsonTuples::kObjectWhenNamed && t.has_component_names();
            boost::json::array arr;
            boost::json::object obj;
            for (std::size_t i = 0; i < s.count; ++i) {
                const AbiType& ct = s.at(i);
                const PathNode cp = s.repeat ? PathNode{path, PathNode::Step::kIndex, i, nullptr}
                                             : PathNode{path, PathNode::Step::kField, i, &ct.name()};
                WP_TRY(boost::json::value jv, to_json(ct, (*l)[i], tuples, &cp));
                if (as_object) {
                    obj[ct.name()] = std::move(jv);
                } else {
                    arr.push_back(std::move(jv));
                }
            }
            if (as_object) return boost::json::value(std::move(obj));
            return boost::json::value(std::move(arr));
        }
    }
    return mismatch();
}

}  // namespace

Result<AbiValue> value_from_json(const AbiType& type, const boost::json::value& json) {
    return from_json(type, json, nullptr);
}

Result<std::vector<AbiValue>> values_from_json(const std::vector<AbiType>& types, const boost::json::value& json) {
    const auto* a = json.if_array();
    if (a == nullptr)
        return make_error(Errc::kInvalidArgument, std::string(kJsonPrefix) + "expected a JSON array of " +
                                                      std::to_string(types.size()) + " arguments, got " +
                                                      json_kind_name(json));
    if (a->size() != types.size())
        return make_error(Errc::kInvalidArgument, std::string(kJsonPrefix) + "expected " +
                                                      std::to_string(types.size()) + " arguments, got " +
                                                      std::to_string(a->size()));
    std::vector<AbiValue> out;
    out.reserve(types.size());
    for (std::size_t i = 0; i < types.size(); ++i) {
        const PathNode path{nullptr, PathNode::Step::kArg, i, nullptr};
        WP_TRY(AbiValue v, from_json(types[i], (*a)[i], &path));
        out.push_back(std::move(v));
    }
    return out;
}

Result<boost::json::value> value_to_json(const AbiType& type, const AbiValue& value, AbiJsonTuples tuples) {
    return to_json(type, value, tuples, nullptr);
}

Result<boost::json::array> values_to_json(const std::vector<AbiType>& types, const std::vector<AbiValue>& values,
                                          AbiJsonTuples tuples) {
    if (types.size() != values.size())
        return make_error(Errc::kInvalidArgument, std::string(kJsonPrefix) + "expected " +
                                                      std::to_string(types.size()) + " values, got " +
                                                      std::to_string(values.size()));
    boost::json::array out;
    for (std::size_t i = 0; i < types.size(); ++i) {
        const PathNode path{nullptr, PathNode::Step::kArg, i, nullptr};
        WP_TRY(boost::json::value v, to_json(types[i], values[i], tuples, &path));
        out.push_back(std::move(v));
    }
    return out;
}

}  // namespace wp
