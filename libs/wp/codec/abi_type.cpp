#include "abi_type.hpp"

#include <algorithm>
#include <cassert>
#include <set>
#include <utility>

#include <wp/core/keccak.hpp>

namespace wp {

// ---------------------------------------------------------------------------------------------------------
// AbiType

AbiType AbiType::make(Kind kind, std::size_t size, std::vector<AbiType> children) {
    AbiType t;
    t.kind_ = kind;
    t.size_ = size;
    t.children_ = std::move(children);
    switch (kind) {
        case Kind::kBytes:
        case Kind::kString: t.dynamic_ = true; break;
        case Kind::kArray:
            t.dynamic_ = true;
            t.depth_ = t.children_[0].depth_ + 1;
            break;
        case Kind::kFixedArray: {
            const AbiType& e = t.children_[0];
            t.dynamic_ = e.dynamic_;
            t.depth_ = e.depth_ + 1;
            if (!t.dynamic_) {
                assert(size != 0 && e.head_size_ <= kAbiMaxStaticSize / size);
                t.head_size_ = e.head_size_ * size;
            }
            break;
        }
        case Kind::kTuple: {
            std::size_t total = 0;
            for (const AbiType& c : t.children_) {
                t.dynamic_ = t.dynamic_ || c.dynamic_;
                t.depth_ = std::max(t.depth_, c.depth_ + 1);
                total += c.head_size_;
            }
            if (!t.dynamic_) t.head_size_ = total;
            break;
        }
        default: break;
    }
    if (t.dynamic_) t.head_size_ = 32;
    return t;
}

AbiType AbiType::uint_(unsigned bits) {
    assert(bits >= 8 && bits <= 256 && bits % 8 == 0);
    return make(Kind::kUint, bits, {});
}

AbiType AbiType::int_(unsigned bits) {
    assert(bits >= 8 && bits <= 256 && bits % 8 == 0);
    return make(Kind::kInt, bits, {});
}

AbiType AbiType::address() { return make(Kind::kAddress, 20, {}); }
AbiType AbiType::bool_() { return make(Kind::kBool, 1, {}); }

AbiType AbiType::fixed_bytes(unsigned size) {
    assert(size >= 1 && size <= 32);
    return make(Kind::kFixedBytes, size, {});
}

AbiType AbiType::bytes() { return make(Kind::kBytes, 0, {}); }
AbiType AbiType::string() { return make(Kind::kString, 0, {}); }

AbiType AbiType::fixed_array(AbiType element, std::size_t length) {
    assert(length >= 1);
    std::vector<AbiType> children;
    children.push_back(std::move(element).named(""));
    return make(Kind::kFixedArray, length, std::move(children));
}

AbiType AbiType::array(AbiType element) {
    std::vector<AbiType> children;
    children.push_back(std::move(element).named(""));
    return make(Kind::kArray, 0, std::move(children));
}

AbiType AbiType::tuple(std::vector<AbiType> components) {
    assert(!components.empty());
    const std::size_t n = components.size();
    return make(Kind::kTuple, n, std::move(components));
}

AbiType AbiType::named(std::string name) const& {
    AbiType copy = *this;
    copy.name_ = std::move(name);
    return copy;
}

AbiType AbiType::named(std::string name) && {
    name_ = std::move(name);
    return std::move(*this);
}

const AbiType& AbiType::element() const {
    assert(kind_ == Kind::kArray || kind_ == Kind::kFixedArray);
    return children_[0];
}

bool AbiType::has_component_names() const {
    if (kind_ != Kind::kTuple) return false;
    std::set<std::string_view> seen;
    for (const AbiType& c : children_) {
        if (c.name_.empty() || !seen.insert(c.name_).second) return false;
    }
    return true;
}

namespace {

void append_type(std::string& out, const AbiType& t, bool with_names) {
    using K = AbiType::Kind;
    switch (t.kind()) {
        case K::kUint: out += "uint" + std::to_string(t.bits()); return;
        case K::kInt: out += "int" + std::to_string(t.bits()); return;
        case K::kAddress: out += "address"; return;
        case K::kBool: out += "bool"; return;
        case K::kFixedBytes: out += "bytes" + std::to_string(t.byte_size()); return;
        case K::kBytes: out += "bytes"; return;
        case K::kString: out += "string"; return;
        case K::kFixedArray:
            append_type(out, t.element(), with_names);
            out += "[" + std::to_string(t.length()) + "]";
            return;
        case K::kArray:
            append_type(out, t.element(), with_names);
            out += "[]";
            return;
        case K::kTuple: {
            out += '(';
            bool first = true;
            for (const AbiType& c : t.components()) {
                if (!first) out += ',';
                first = false;
                append_type(out, c, with_names);
                if (with_names && !c.name().empty()) out += " " + c.name();
            }
            out += ')';
            return;
        }
    }
}

}  // namespace

std::string AbiType::canonical() const {
    std::string out;
    append_type(out, *this, false);
    return out;
}

std::string AbiType::to_string() const {
    std::string out;
    append_type(out, *this, true);
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// Parser (recursive descent over characters; whitespace is allowed between tokens).

namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_location_keyword(std::string_view w) {
    return w == "memory" || w == "calldata" || w == "storage" || w == "payable";
}

bool is_function_modifier(std::string_view w) {
    static constexpr std::string_view kModifiers[] = {"external", "public",    "internal", "private",
                                                      "view",     "pure",      "payable",  "nonpayable",
                                                      "constant", "anonymous", "virtual",  "override"};
    return std::find(std::begin(kModifiers), std::end(kModifiers), w) != std::end(kModifiers);
}

// Parses a decimal size with no leading zero; returns false if absent or malformed.
bool parse_size(std::string_view digits, std::size_t& out) {
    if (digits.empty() || digits.size() > 12 || (digits[0] == '0' && digits.size() > 1)) return false;
    std::size_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::size_t>(c - '0');
    }
    out = v;
    return true;
}

class Parser {
  public:
    explicit Parser(std::string_view text, std::string_view what) : s_(text), what_(what) {}

    Result<AbiType> param(std::size_t depth, bool allow_indexed, bool* indexed) {
        skip_ws();
        const std::size_t start = pos_;
        AbiType t;
        std::string_view word = peek_ident();
        if (word == "tuple" || peek('(')) {
            if (word == "tuple") {
                pos_ += word.size();
                skip_ws();
                if (!peek('(')) return fail("expected '(' after 'tuple'");
            }
            if (depth >= kAbiMaxTypeDepth) return fail("type nesting deeper than " + std::to_string(kAbiMaxTypeDepth));
            const std::size_t open = pos_;
            WP_TRY(std::vector<AbiType> comps, list(depth + 1, false, nullptr));
            if (comps.empty()) return fail_at(open, "empty tuple '()' is not a valid ABI type");
            t = AbiType::tuple(std::move(comps));
            if (t.depth() > kAbiMaxTypeDepth)
                return fail_at(open, "type nesting deeper than " + std::to_string(kAbiMaxTypeDepth));
            if (t.head_size() > kAbiMaxStaticSize)
                return fail_at(open,
                               "tuple too large (static size above " + std::to_string(kAbiMaxStaticSize) + " bytes)");
        } else {
            if (word.empty()) return fail("expected a type");
            WP_TRY(t, elementary(word, start));
            pos_ += word.size();
        }
        // Array suffixes: "[]" or "[k]", compact (as ethers tokenizes them), possibly after whitespace.
        for (;;) {
            skip_ws();
            if (!peek('[')) break;
            const std::size_t open = pos_;
            const std::size_t close = s_.find(']', pos_);
            if (close == std::string_view::npos) return fail("unbalanced '['");
            const std::string_view digits = s_.substr(pos_ + 1, close - pos_ - 1);
            if (t.depth() + 1 > kAbiMaxTypeDepth)
                return fail("type nesting deeper than " + std::to_string(kAbiMaxTypeDepth));
            if (digits.empty()) {
                t = AbiType::array(std::move(t));
            } else {
                std::size_t k = 0;
                if (!parse_size(digits, k)) return fail_at(open, "invalid array length '" + std::string(digits) + "'");
                if (k == 0) return fail_at(open, "zero-length array is not a valid ABI type");
                if (t.head_size() > kAbiMaxStaticSize / k)
                    return fail_at(
                        open, "fixed array too large (encoding above " + std::to_string(kAbiMaxStaticSize) + " bytes)");
                t = AbiType::fixed_array(std::move(t), k);
            }
            pos_ = close + 1;
        }
        // Modifiers and an optional name.
        for (;;) {
            skip_ws();
            const std::string_view w = peek_ident();
            if (w.empty()) break;
            if (w == "indexed") {
                if (!allow_indexed) return fail("'indexed' is only allowed on event parameters");
                if (indexed) *indexed = true;
                pos_ += w.size();
                continue;
            }
            if (is_location_keyword(w)) {
                pos_ += w.size();
                continue;
            }
            pos_ += w.size();
            t = std::move(t).named(std::string(w));
            skip_ws();
            break;
        }
        return t;
    }

    // '(' [param (',' param)*] ')'
    Result<std::vector<AbiType>> list(std::size_t depth, bool allow_indexed, std::vector<bool>* indexed) {
        skip_ws();
        if (!peek('(')) return fail("expected '('");
        const std::size_t open = pos_;
        ++pos_;
        std::vector<AbiType> out;
        skip_ws();
        if (peek(')')) {
            ++pos_;
            return out;
        }
        for (;;) {
            bool is_indexed = false;
            WP_TRY(AbiType p, param(depth, allow_indexed, &is_indexed));
            out.push_back(std::move(p));
            if (indexed) indexed->push_back(is_indexed);
            skip_ws();
            if (peek(',')) {
                ++pos_;
                continue;
            }
            if (peek(')')) {
                ++pos_;
                return out;
            }
            if (at_end()) return fail_at(open, "unbalanced '('");
            return fail("expected ',' or ')'");
        }
    }

    Result<std::vector<AbiType>> bare_list() {
        std::vector<AbiType> out;
        skip_ws();
        if (at_end()) return out;
        for (;;) {
            WP_TRY(AbiType p, param(0, false, nullptr));
            out.push_back(std::move(p));
            skip_ws();
            if (at_end()) return out;
            if (!peek(',')) return fail("expected ',' or end of the list");
            ++pos_;
        }
    }

    Result<AbiSignature> signature() {
        AbiSignature sig;
        skip_ws();
        std::string_view w = peek_ident();
        if (w == "function" || w == "event" || w == "error") {
            const std::size_t after = pos_ + w.size();
            if (after < s_.size() && is_space(s_[after])) {
                pos_ = after;
                skip_ws();
                w = peek_ident();
            }
        }
        if (w.empty()) return fail("expected a function name");
        sig.name = std::string(w);
        pos_ += w.size();
        WP_TRY(sig.inputs, list(0, true, &sig.indexed));
        for (;;) {
            skip_ws();
            const std::string_view m = peek_ident();
            if (m.empty()) break;
            if (m == "returns") {
                pos_ += m.size();
                WP_TRY(sig.outputs, list(0, false, nullptr));
                continue;
            }
            if (!is_function_modifier(m)) return fail("unexpected '" + std::string(m) + "'");
            pos_ += m.size();
        }
        skip_ws();
        if (!at_end()) return fail("unexpected trailing characters");
        return sig;
    }

    void skip_ws() {
        while (pos_ < s_.size() && is_space(s_[pos_]))
            ++pos_;
    }
    bool at_end() const { return pos_ >= s_.size(); }
    std::size_t pos() const { return pos_; }

    tl::unexpected<Error> fail(const std::string& msg) const { return fail_at(pos_, msg); }
    tl::unexpected<Error> fail_at(std::size_t at, const std::string& msg) const {
        return make_error(Errc::kInvalidArgument,
                          std::string(what_) + ": " + msg + " at position " + std::to_string(at));
    }

  private:
    bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

    std::string_view peek_ident() const {
        if (pos_ >= s_.size() || !is_ident_start(s_[pos_])) return {};
        std::size_t end = pos_ + 1;
        while (end < s_.size() && is_ident_char(s_[end]))
            ++end;
        return s_.substr(pos_, end - pos_);
    }

    Result<AbiType> elementary(std::string_view w, std::size_t at) const {
        if (w == "address") return AbiType::address();
        if (w == "bool") return AbiType::bool_();
        if (w == "string") return AbiType::string();
        if (w == "bytes") return AbiType::bytes();
        if (w == "uint") return AbiType::uint_(256);
        if (w == "int") return AbiType::int_(256);
        std::size_t n = 0;
        if (w.starts_with("uint") || w.starts_with("int")) {
            const bool is_unsigned = w[0] == 'u';
            const std::string_view digits = w.substr(is_unsigned ? 4 : 3);
            if (parse_size(digits, n) && n >= 8 && n <= 256 && n % 8 == 0)
                return is_unsigned ? AbiType::uint_(static_cast<unsigned>(n)) : AbiType::int_(static_cast<unsigned>(n));
            if (!digits.empty() &&
                std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return fail_at(at, "invalid integer size in '" + std::string(w) + "' (8..256, multiple of 8)");
        }
        if (w.starts_with("bytes")) {
            const std::string_view digits = w.substr(5);
            if (parse_size(digits, n) && n >= 1 && n <= 32) return AbiType::fixed_bytes(static_cast<unsigned>(n));
            if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return fail_at(at, "invalid size in '" + std::string(w) + "' (bytes1..bytes32)");
        }
        if (w == "function" || w.starts_with("fixed") || w.starts_with("ufixed"))
            return make_error(Errc::kUnsupported, std::string(what_) + ": type '" + std::string(w) +
                                                      "' is not supported at position " + std::to_string(at));
        return fail_at(at, "unknown type '" + std::string(w) + "'");
    }

    std::string_view s_;
    std::string_view what_;
    std::size_t pos_{0};
};

}  // namespace

Result<AbiType> parse_abi_type(std::string_view text) {
    Parser p(text, "ABI type");
    WP_TRY(AbiType t, p.param(0, false, nullptr));
    p.skip_ws();
    if (!p.at_end()) return p.fail("unexpected trailing characters");
    return t;
}

Result<std::vector<AbiType>> parse_abi_type_list(std::string_view text) {
    Parser p(text, "ABI type list");
    return p.bare_list();
}

// ---------------------------------------------------------------------------------------------------------
// Signatures

std::string AbiSignature::canonical() const {
    std::string out = name + "(";
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (i != 0) out += ',';
        out += inputs[i].canonical();
    }
    out += ')';
    return out;
}

AbiSelector AbiSignature::selector() const {
    const Bytes32 h = topic();
    AbiSelector s;
    std::copy(h.begin(), h.begin() + 4, s.bytes.begin());
    return s;
}

Bytes32 AbiSignature::topic() const { return keccak256(as_bytes(canonical())); }

Result<AbiSignature> parse_abi_signature(std::string_view text) {
    Parser p(text, "ABI signature");
    return p.signature();
}

Result<std::string> canonical_signature(std::string_view text) {
    WP_TRY(AbiSignature sig, parse_abi_signature(text));
    return sig.canonical();
}

Result<AbiSelector> function_selector(std::string_view text) {
    WP_TRY(AbiSignature sig, parse_abi_signature(text));
    return sig.selector();
}

Result<Bytes32> event_topic(std::string_view text) {
    WP_TRY(AbiSignature sig, parse_abi_signature(text));
    return sig.topic();
}

}  // namespace wp
