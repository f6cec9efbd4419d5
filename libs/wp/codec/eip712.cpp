#include "eip712.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include <boost/json/parse.hpp>

#include <wp/core/address.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/core/uint256.hpp>

namespace wp::eip712 {
namespace json = boost::json;

namespace {

constexpr std::string_view kDomainType = "EIP712Domain";
constexpr std::uint64_t kMaxSafeInteger = (std::uint64_t{1} << 53) - 1;

std::string dq(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool is_identifier(std::string_view s) {
    if (s.empty()) return false;
    const auto head = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'; };
    if (!head(s[0])) return false;
    return std::all_of(s.begin() + 1, s.end(), [&](char c) { return head(c) || (c >= '0' && c <= '9'); });
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

enum class Base { kUint, kInt, kAddress, kBool, kBytesN, kBytes, kString, kStruct };

//! A field type split into its base and array dimensions ("uint8[2][]" → uint8, {2, dynamic}).
//! dims are in written order: the last one is the outermost array.
struct TypeSpec {
    Base base{Base::kStruct};
    unsigned size{0};  // bits for uint/int, bytes for bytesN
    std::string_view base_name;
    std::vector<std::optional<std::size_t>> dims;
};

//! Classifies an atomic base name. nullopt = not an atomic name (a struct name candidate);
//! an error when it looks atomic but has an invalid width ("uint7", "bytes33", "int08").
Result<std::optional<TypeSpec>> classify_base(std::string_view name) {
    TypeSpec spec;
    spec.base_name = name;
    if (name == "address") spec.base = Base::kAddress;
    else if (name == "bool") spec.base = Base::kBool;
    else if (name == "bytes") spec.base = Base::kBytes;
    else if (name == "string") spec.base = Base::kString;
    else if (name == "uint" || name == "int") {
        spec.base = name == "uint" ? Base::kUint : Base::kInt;
        spec.size = 256;
    } else {
        std::string_view digits;
        if (name.starts_with("uint")) {
            spec.base = Base::kUint;
            digits = name.substr(4);
        } else if (name.starts_with("int")) {
            spec.base = Base::kInt;
            digits = name.substr(3);
        } else if (name.starts_with("bytes")) {
            spec.base = Base::kBytesN;
            digits = name.substr(5);
        } else {
            return std::optional<TypeSpec>{};
        }
        if (!all_digits(digits)) return std::optional<TypeSpec>{};
        const bool canonical = digits.size() <= 3 && (digits.size() == 1 || digits[0] != '0');
        const unsigned n = canonical ? static_cast<unsigned>(std::stoul(std::string(digits))) : 0;
        if (spec.base == Base::kBytesN) {
            if (!canonical || n == 0 || n > 32)
                return make_error(Errc::kInvalidArgument, "invalid bytes width in type " + std::string(name));
        } else if (!canonical || n == 0 || n > 256 || n % 8 != 0) {
            return make_error(Errc::kInvalidArgument, "invalid numeric width in type " + std::string(name));
        }
        spec.size = n;
    }
    return std::optional<TypeSpec>{spec};
}

//! Parses a field type. Struct names are accepted syntactically here (existence checked by caller).
Result<TypeSpec> parse_type(std::string_view type, const Limits& limits) {
    if (type.empty()) return make_error(Errc::kInvalidArgument, "empty type");
    if (type.size() > limits.max_name_length)
        return make_error(Errc::kUnsupported, "type longer than " + std::to_string(limits.max_name_length));
    std::vector<std::optional<std::size_t>> dims_reversed;
    std::string_view rest = type;
    while (!rest.empty() && rest.back() == ']') {
        const auto open = rest.rfind('[');
        if (open == std::string_view::npos) return make_error(Errc::kInvalidArgument, "invalid type " + dq(type));
        const std::string_view inner = rest.substr(open + 1, rest.size() - open - 2);
        if (inner.empty()) {
            dims_reversed.emplace_back(std::nullopt);
        } else {
            if (!all_digits(inner) || (inner.size() > 1 && inner[0] == '0') || inner.size() > 9)
                return make_error(Errc::kInvalidArgument, "invalid array length in type " + dq(type));
            dims_reversed.emplace_back(static_cast<std::size_t>(std::stoul(std::string(inner))));
        }
        if (dims_reversed.size() > limits.max_array_dimensions)
            return make_error(Errc::kUnsupported, "more than " + std::to_string(limits.max_array_dimensions) +
                                                      " array dimensions in type " + dq(type));
        rest = rest.substr(0, open);
    }
    WP_TRY(auto atomic, classify_base(rest));
    TypeSpec spec;
    if (atomic) {
        spec = *atomic;
    } else {
        if (!is_identifier(rest)) return make_error(Errc::kInvalidArgument, "invalid type " + dq(type));
        spec.base = Base::kStruct;
        spec.base_name = rest;
    }
    spec.dims.assign(dims_reversed.rbegin(), dims_reversed.rend());
    return spec;
}

//! "uint[2]" → "uint256[2]" (ethers normalisation); other types unchanged.
std::string normalise_type(std::string_view type) {
    const auto bracket = type.find('[');
    const std::string_view base = type.substr(0, bracket);
    const std::string_view suffix = bracket == std::string_view::npos ? std::string_view{} : type.substr(bracket);
    if (base == "uint" || base == "int") return std::string(base) + "256" + std::string(suffix);
    return std::string(type);
}

//! Two's complement / magnitude reading of a JSON integer.
struct Integer {
    U256 magnitude;
    bool negative{false};
};

Result<Integer> read_integer(const json::value& v) {
    Integer out;
    if (const auto* i = v.if_int64()) {
        const std::uint64_t mag =
            *i < 0 ? static_cast<std::uint64_t>(-(*i + 1)) + 1 : static_cast<std::uint64_t>(*i);
        if (mag > kMaxSafeInteger)
            return make_error(Errc::kOverflow, "JSON number beyond 2^53-1 loses precision; pass it as a string");
        out.magnitude = U256(mag);
        out.negative = *i < 0;
        return out;
    }
    if (const auto* u = v.if_uint64()) {
        if (*u > kMaxSafeInteger)
            return make_error(Errc::kOverflow, "JSON number beyond 2^53-1 loses precision; pass it as a string");
        out.magnitude = U256(*u);
        return out;
    }
    if (const auto* d = v.if_double()) {
        if (!std::isfinite(*d) || std::floor(*d) != *d)
            return make_error(Errc::kInvalidArgument, "JSON number is not an integer");
        if (std::fabs(*d) > static_cast<double>(kMaxSafeInteger))
            return make_error(Errc::kOverflow, "JSON number beyond 2^53-1 loses precision; pass it as a string");
        out.negative = *d < 0;
        out.magnitude = U256(static_cast<std::uint64_t>(std::fabs(*d)));
        if (out.magnitude.is_zero()) out.negative = false;
        return out;
    }
    if (const auto* s = v.if_string()) {
        std::string_view text = *s;
        if (text.empty()) return make_error(Errc::kInvalidArgument, "empty string is not a number");
        if (text[0] == '-') {
            out.negative = true;
            text.remove_prefix(1);
        }
        if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
            if (text.size() == 2) return make_error(Errc::kInvalidArgument, "no hex digits after 0x");
            WP_TRY(out.magnitude, U256::from_hex("0x" + std::string(text.substr(2))));
        } else {
            if (text.empty()) return make_error(Errc::kInvalidArgument, "invalid number " + dq(std::string(*s)));
            auto parsed = U256::from_dec(text);
            if (!parsed) return make_error(parsed.error().with_context("invalid number " + dq(std::string(*s))));
            out.magnitude = *parsed;
        }
        if (out.magnitude.is_zero()) out.negative = false;
        return out;
    }
    return make_error(Errc::kInvalidArgument, "expected an integer (JSON number, or decimal / 0x hex string)");
}

Result<Bytes32> encode_integer(const TypeSpec& spec, const json::value& v) {
    WP_TRY(const Integer value, read_integer(v));
    const std::string type_name = (spec.base == Base::kUint ? "uint" : "int") + std::to_string(spec.size);
    const auto out_of_bounds = [&] {
        return make_error(Errc::kOverflow, "value out-of-bounds for " + type_name);
    };
    if (spec.base == Base::kUint) {
        if (value.negative || value.magnitude.bit_length() > spec.size) return out_of_bounds();
        return value.magnitude.to_be32();
    }
    const U256 limit(U256::Native(1) << (spec.size - 1));  // 2^(N-1): |min|, and max + 1
    if (value.negative ? value.magnitude > limit : value.magnitude >= limit) return out_of_bounds();
    if (!value.negative) return value.magnitude.to_be32();
    return (~*checked_sub(value.magnitude, U256(1))).to_be32();  // two's complement: 2^256 - |v|
}

std::string index_suffix(std::size_t i) { return "[" + std::to_string(i) + "]"; }

//! Recursive value encoder with bounds on depth and number of values.
class Encoder {
  public:
    Encoder(const Types& types, const Options& options, std::string path)
        : types_(types), options_(options), path_(std::move(path)) {}

    Result<Bytes> encode_struct(std::string_view type, const json::value& v, std::size_t depth) {
        const auto it = types_.map().find(type);
        if (it == types_.map().end()) return fail(Errc::kInvalidArgument, "unknown struct type " + dq(type));
        const json::object* obj = v.if_object();
        if (obj == nullptr) return fail(Errc::kInvalidArgument, "expected an object for struct " + std::string(type));
        if (depth > options_.limits.max_depth)
            return fail(Errc::kUnsupported, "nesting deeper than " + std::to_string(options_.limits.max_depth));
        WP_TRY(const Bytes32 type_hash, types_.type_hash(type));
        const std::vector<Field>& fields = it->second;
        if (options_.reject_unknown_fields) {
            for (const auto& kv : *obj) {
                const bool known = std::any_of(fields.begin(), fields.end(),
                                               [&](const Field& f) { return f.name == kv.key(); });
                if (!known)
                    return fail(Errc::kInvalidArgument,
                                "unknown field " + dq(kv.key()) + " for struct " + std::string(type));
            }
        }
        Bytes out;
        out.reserve(32 * (fields.size() + 1));
        append(out, type_hash.view());
        for (const Field& field : fields) {
            const std::size_t mark = path_.size();
            path_ += ".";
            path_ += field.name;
            const json::value* fv = obj->if_contains(field.name);
            if (fv == nullptr)
                return fail(Errc::kInvalidArgument,
                            "missing field " + dq(field.name) + " (" + std::string(type) + ")");
            auto spec = parse_type(field.type, options_.limits);
            if (!spec) return fail(spec.error().code, spec.error().message);
            WP_TRY(const Bytes32 word, encode_value(*spec, spec->dims.size(), *fv, depth + 1));
            append(out, word.view());
            path_.resize(mark);
        }
        return out;
    }

    Result<Bytes32> encode_value(const TypeSpec& spec, std::size_t dims, const json::value& v, std::size_t depth) {
        if (++values_ > options_.limits.max_values)
            return fail(Errc::kUnsupported, "more than " + std::to_string(options_.limits.max_values) + " values");
        if (dims > 0) {
            if (depth > options_.limits.max_depth)
                return fail(Errc::kUnsupported, "nesting deeper than " + std::to_string(options_.limits.max_depth));
            const json::array* arr = v.if_array();
            if (arr == nullptr) return fail(Errc::kInvalidArgument, "expected an array");
            const auto& length = spec.dims[dims - 1];
            if (length && arr->size() != *length)
                return fail(Errc::kInvalidArgument, "array length mismatch; expected length " +
                                                        std::to_string(*length) + ", got " +
                                                        std::to_string(arr->size()));
            Keccak256 hasher;
            for (std::size_t i = 0; i < arr->size(); ++i) {
                const std::size_t mark = path_.size();
                path_ += index_suffix(i);
                WP_TRY(const Bytes32 word, encode_value(spec, dims - 1, (*arr)[i], depth + 1));
                hasher.update(word.view());
                path_.resize(mark);
            }
            return hasher.finalize();
        }
        switch (spec.base) {
            case Base::kStruct: {
                WP_TRY(const Bytes data, encode_struct(spec.base_name, v, depth));
                return keccak256(data);
            }
            case Base::kUint:
            case Base::kInt: {
                auto word = encode_integer(spec, v);
                if (!word) return fail(word.error().code, word.error().message);
                return *word;
            }
            case Base::kBool: {
                const bool* b = v.if_bool();
                if (b == nullptr) return fail(Errc::kInvalidArgument, "expected true or false for bool");
                Bytes32 word;
                word[31] = *b ? 1 : 0;
                return word;
            }
            case Base::kAddress: {
                const json::string* s = v.if_string();
                if (s == nullptr) return fail(Errc::kInvalidArgument, "expected an address string");
                auto address = Address::parse(*s);
                if (!address) return fail(address.error().code, "invalid address: " + address.error().message);
                return address->to_word();
            }
            case Base::kBytesN:
            case Base::kBytes: {
                const json::string* s = v.if_string();
                if (s == nullptr) return fail(Errc::kInvalidArgument, "expected a 0x hex string");
                auto bytes = from_hex(*s);
                if (!bytes) return fail(bytes.error().code, bytes.error().message);
                if (spec.base == Base::kBytes) return keccak256(*bytes);
                if (bytes->size() != spec.size)
                    return fail(Errc::kInvalidLength, "invalid length for bytes" + std::to_string(spec.size) +
                                                          " (got " + std::to_string(bytes->size()) + " bytes)");
                Bytes32 word;
                std::copy(bytes->begin(), bytes->end(), word.bytes.begin());
                return word;
            }
            case Base::kString: {
                const json::string* s = v.if_string();
                if (s == nullptr) return fail(Errc::kInvalidArgument, "expected a string");
                return keccak256(as_bytes(std::string_view(*s)));
            }
        }
        return fail(Errc::kInvalidArgument, "unsupported type");
    }

  private:
    tl::unexpected<Error> fail(Errc code, const std::string& message) const {
        return make_error(code, path_ + ": " + message);
    }

    const Types& types_;
    const Options& options_;
    std::string path_;
    std::size_t values_{0};
};

//! The standard members of EIP712Domain.
const Field* standard_domain_field(std::string_view name) {
    for (const Field& f : standard_domain_fields())
        if (f.name == name) return &f;
    return nullptr;
}

Result<std::vector<Field>> derive_domain_fields(const json::object& domain) {
    for (const auto& kv : domain)
        if (standard_domain_field(kv.key()) == nullptr)
            return make_error(Errc::kInvalidArgument, "invalid typed-data domain key: " + dq(kv.key()));
    std::vector<Field> fields;
    for (const Field& f : standard_domain_fields())
        if (domain.contains(f.name)) fields.push_back(f);
    return fields;
}

Result<std::vector<Field>> parse_fields(std::string_view type_name, const json::value& v) {
    const json::array* arr = v.if_array();
    if (arr == nullptr)
        return make_error(Errc::kInvalidArgument, "types." + std::string(type_name) + ": expected an array of fields");
    std::vector<Field> fields;
    fields.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string where = "types." + std::string(type_name) + index_suffix(i);
        const json::object* obj = (*arr)[i].if_object();
        if (obj == nullptr) return make_error(Errc::kInvalidArgument, where + ": expected {name, type}");
        for (const auto& kv : *obj)
            if (kv.key() != "name" && kv.key() != "type")
                return make_error(Errc::kInvalidArgument, where + ": unexpected key " + dq(kv.key()));
        const json::value* name = obj->if_contains("name");
        const json::value* type = obj->if_contains("type");
        if (name == nullptr || !name->is_string())
            return make_error(Errc::kInvalidArgument, where + ": \"name\" must be a string");
        if (type == nullptr || !type->is_string())
            return make_error(Errc::kInvalidArgument, where + ": \"type\" must be a string");
        fields.push_back(Field{std::string(name->get_string()), std::string(type->get_string())});
    }
    return fields;
}

}  // namespace

const std::vector<Field>& standard_domain_fields() {
    static const std::vector<Field> kFields{
        {"name", "string"}, {"version", "string"}, {"chainId", "uint256"}, {"verifyingContract", "address"},
        {"salt", "bytes32"}};
    return kFields;
}

Result<Types> Types::create(TypeMap types, const Limits& limits) {
    if (types.size() - (types.contains(kDomainType) ? 1u : 0u) > limits.max_types)
        return make_error(Errc::kUnsupported, "more than " + std::to_string(limits.max_types) + " types");
    Types out;
    // Names, field types, references.
    std::map<std::string, std::set<std::string>, std::less<>> links;
    for (auto& [name, fields] : types) {
        if (name.size() > limits.max_name_length)
            return make_error(Errc::kUnsupported, "type name longer than " + std::to_string(limits.max_name_length));
        if (!is_identifier(name)) return make_error(Errc::kInvalidArgument, "invalid type name " + dq(name));
        const auto atomic = classify_base(name);
        if (!atomic || *atomic) return make_error(Errc::kInvalidArgument, "invalid type name " + dq(name) + " (an atomic type)");
        if (fields.size() > limits.max_fields)
            return make_error(Errc::kUnsupported,
                              "struct " + name + " has more than " + std::to_string(limits.max_fields) + " fields");
        std::set<std::string, std::less<>> seen;
        auto& deps = links[name];
        for (Field& field : fields) {
            const std::string where = "field " + name + "." + field.name;
            if (field.name.size() > limits.max_name_length)
                return make_error(Errc::kUnsupported, where + ": name too long");
            if (!is_identifier(field.name))
                return make_error(Errc::kInvalidArgument, "invalid field name " + dq(field.name) + " in " + dq(name));
            if (!seen.insert(field.name).second)
                return make_error(Errc::kInvalidArgument,
                                  "duplicate variable name " + dq(field.name) + " in " + dq(name));
            field.type = normalise_type(field.type);
            auto spec = parse_type(field.type, limits);
            if (!spec) return make_error(spec.error().with_context(where));
            if (spec->base != Base::kStruct) continue;
            if (spec->base_name == name)
                return make_error(Errc::kInvalidArgument, "circular type reference to " + dq(name));
            if (types.find(spec->base_name) == types.end())
                return make_error(Errc::kInvalidArgument, "unknown type " + dq(spec->base_name) + " in " + where);
            deps.insert(std::string(spec->base_name));
        }
    }
    // Cycles anywhere in the graph (iterative DFS with colours).
    {
        std::map<std::string_view, int> colour;  // 0 white, 1 grey, 2 black
        for (const auto& [root, unused] : links) {
            if (colour[root] != 0) continue;
            std::vector<std::pair<std::string_view, std::set<std::string>::const_iterator>> stack;
            colour[root] = 1;
            stack.emplace_back(root, links.find(root)->second.begin());
            while (!stack.empty()) {
                auto& [node, it] = stack.back();
                const auto& children = links.find(node)->second;
                if (it == children.end()) {
                    colour[node] = 2;
                    stack.pop_back();
                    continue;
                }
                const std::string_view child = *it;
                ++it;
                if (colour[child] == 1)
                    return make_error(Errc::kInvalidArgument, "circular type reference to " + dq(child));
                if (colour[child] == 0) {
                    colour[child] = 1;
                    stack.emplace_back(child, links.find(child)->second.begin());
                }
            }
        }
    }
    // encodeType and typeHash of every struct.
    for (const auto& [name, fields] : types) {
        std::set<std::string, std::less<>> reachable;
        std::vector<std::string_view> todo{name};
        while (!todo.empty()) {
            const std::string_view t = todo.back();
            todo.pop_back();
            for (const std::string& dep : links.find(t)->second)
                if (dep != name && reachable.insert(dep).second) todo.push_back(dep);
        }
        const auto encode_one = [&](const std::string& n) {
            std::string s = n + "(";
            const auto& fs = types.find(n)->second;
            for (std::size_t i = 0; i < fs.size(); ++i) {
                if (i > 0) s += ",";
                s += fs[i].type + " " + fs[i].name;
            }
            return s + ")";
        };
        std::string encoded = encode_one(name);
        for (const std::string& dep : reachable) encoded += encode_one(dep);
        out.type_hashes_.emplace(name, keccak256(as_bytes(encoded)));
        out.encoded_types_.emplace(name, std::move(encoded));
    }
    out.types_ = std::move(types);
    return out;
}

Result<std::string> Types::primary_type() const {
    std::set<std::string, std::less<>> referenced;
    for (const auto& [name, fields] : types_) {
        if (name == kDomainType) continue;
        for (const Field& f : fields) {
            const auto spec = parse_type(f.type, Limits{});
            if (spec && spec->base == Base::kStruct) referenced.insert(std::string(spec->base_name));
        }
    }
    std::vector<std::string> roots;
    for (const auto& [name, fields] : types_)
        if (name != kDomainType && !referenced.contains(name)) roots.push_back(name);
    if (roots.empty()) return make_error(Errc::kInvalidArgument, "missing primary type");
    if (roots.size() > 1) {
        std::string list;
        for (const auto& r : roots) list += (list.empty() ? "" : ", ") + dq(r);
        return make_error(Errc::kInvalidArgument, "ambiguous primary types or unused types: " + list);
    }
    return roots.front();
}

Result<std::string> Types::encode_type(std::string_view type) const {
    const auto it = encoded_types_.find(type);
    if (it == encoded_types_.end()) return make_error(Errc::kInvalidArgument, "unknown struct type " + dq(type));
    return it->second;
}

Result<Bytes32> Types::type_hash(std::string_view type) const {
    const auto it = type_hashes_.find(type);
    if (it == type_hashes_.end()) return make_error(Errc::kInvalidArgument, "unknown struct type " + dq(type));
    return it->second;
}

Result<Bytes> Types::encode_data(std::string_view type, const json::value& data, const Options& options,
                                 std::string_view path) const {
    Encoder encoder(*this, options, std::string(path));
    return encoder.encode_struct(type, data, 0);
}

Result<Bytes32> Types::hash_struct(std::string_view type, const json::value& data, const Options& options,
                                   std::string_view path) const {
    WP_TRY(const Bytes encoded, encode_data(type, data, options, path));
    return keccak256(encoded);
}

Result<TypedData> parse_typed_data(const json::value& doc, const Options& options) {
    const json::object* root = doc.if_object();
    if (root == nullptr) return make_error(Errc::kDecoding, "typed data: expected a JSON object");
    for (const auto& kv : *root)
        if (kv.key() != "types" && kv.key() != "primaryType" && kv.key() != "domain" && kv.key() != "message")
            return make_error(Errc::kInvalidArgument, "typed data: unexpected key " + dq(kv.key()));

    const json::value* types_v = root->if_contains("types");
    if (types_v == nullptr || !types_v->is_object())
        return make_error(Errc::kInvalidArgument, "typed data: \"types\" must be an object");
    const json::value* domain_v = root->if_contains("domain");
    if (domain_v == nullptr || !domain_v->is_object())
        return make_error(Errc::kInvalidArgument, "typed data: \"domain\" must be an object");
    const json::value* message_v = root->if_contains("message");
    if (message_v == nullptr) return make_error(Errc::kInvalidArgument, "typed data: missing \"message\"");
    const json::object& domain = domain_v->get_object();

    if (types_v->get_object().size() > options.limits.max_types + 1)
        return make_error(Errc::kUnsupported, "more than " + std::to_string(options.limits.max_types) + " types");
    TypeMap map;
    for (const auto& kv : types_v->get_object()) {
        WP_TRY(auto fields, parse_fields(kv.key(), kv.value()));
        map.emplace(std::string(kv.key()), std::move(fields));
    }

    // EIP712Domain: validate the explicit one against the domain object, or derive it.
    if (const auto it = map.find(kDomainType); it != map.end()) {
        std::set<std::string, std::less<>> declared;
        for (const Field& f : it->second) {
            const Field* standard = standard_domain_field(f.name);
            if (standard == nullptr)
                return make_error(Errc::kInvalidArgument, "types.EIP712Domain: unsupported member " + dq(f.name) +
                                                              " (allowed: name, version, chainId, verifyingContract, salt)");
            if (normalise_type(f.type) != standard->type)
                return make_error(Errc::kInvalidArgument, "types.EIP712Domain: member " + dq(f.name) +
                                                              " must have type " + standard->type);
            declared.insert(f.name);
            if (!domain.contains(f.name))
                return make_error(Errc::kInvalidArgument,
                                  "domain: missing " + dq(f.name) + " declared in types.EIP712Domain");
        }
        for (const auto& kv : domain)
            if (!declared.contains(kv.key()))
                return make_error(Errc::kInvalidArgument,
                                  "domain: key " + dq(kv.key()) + " is not declared in types.EIP712Domain");
    } else {
        WP_TRY(auto fields, derive_domain_fields(domain));
        map.emplace(std::string(kDomainType), std::move(fields));
    }
    for (const auto& [name, fields] : map)
        for (const Field& f : fields)
            if (f.type.substr(0, f.type.find('[')) == kDomainType)
                return make_error(Errc::kInvalidArgument,
                                  "field " + name + "." + f.name + ": EIP712Domain cannot be referenced");

    WP_TRY(Types types, Types::create(std::move(map), options.limits));

    std::string primary;
    if (const json::value* p = root->if_contains("primaryType")) {
        if (!p->is_string()) return make_error(Errc::kInvalidArgument, "typed data: \"primaryType\" must be a string");
        primary = std::string(p->get_string());
        if (primary == kDomainType)
            return make_error(Errc::kUnsupported, "typed data: primaryType EIP712Domain is not supported");
        if (!types.contains(primary))
            return make_error(Errc::kInvalidArgument, "typed data: primaryType " + dq(primary) + " is not in types");
    } else {
        WP_TRY(primary, types.primary_type());
    }

    TypedData out{std::move(types), std::move(primary), domain, *message_v, options};
    WP_TRY_VOID(out.types.hash_struct(kDomainType, json::value(out.domain), options, "domain"));
    WP_TRY_VOID(out.types.hash_struct(out.primary_type, out.message, options, "message"));
    return out;
}

Result<TypedData> parse_typed_data(std::string_view json_text, const Options& options) {
    boost::system::error_code ec;
    json::value doc = json::parse(json_text, ec);
    if (ec) return make_error(Errc::kDecoding, "typed data: invalid JSON: " + ec.message());
    return parse_typed_data(doc, options);
}

Result<std::string> encode_type(const TypedData& data, std::string_view type) { return data.types.encode_type(type); }

Result<Bytes32> type_hash(const TypedData& data, std::string_view type) { return data.types.type_hash(type); }

Result<Bytes32> hash_struct(const TypedData& data, std::string_view type, const json::value& value) {
    return data.types.hash_struct(type, value, data.options);
}

Result<Bytes32> domain_separator(const TypedData& data) {
    return data.types.hash_struct(kDomainType, json::value(data.domain), data.options, "domain");
}

Result<Bytes32> message_hash(const TypedData& data) {
    return data.types.hash_struct(data.primary_type, data.message, data.options, "message");
}

Result<Bytes32> digest(const TypedData& data) {
    WP_TRY(const Bytes32 separator, domain_separator(data));
    WP_TRY(const Bytes32 hash, message_hash(data));
    return digest(separator, hash);
}

Bytes32 digest(const Bytes32& domain_separator, const Bytes32& struct_hash) {
    static constexpr std::uint8_t kPrefix[2] = {0x19, 0x01};
    Keccak256 hasher;
    hasher.update(ByteView(kPrefix, 2)).update(domain_separator.view()).update(struct_hash.view());
    return hasher.finalize();
}

Result<Signature> sign_typed_data(const PrivateKey& key, const TypedData& data) {
    WP_TRY(const Bytes32 hash, digest(data));
    return sign_hash(key, hash);
}

Result<Bytes32> hash_domain(const json::object& domain, const Options& options) {
    WP_TRY(auto fields, derive_domain_fields(domain));
    TypeMap map;
    map.emplace(std::string(kDomainType), std::move(fields));
    WP_TRY(const Types types, Types::create(std::move(map), options.limits));
    return types.hash_struct(kDomainType, json::value(domain), options, "domain");
}

}  // namespace wp::eip712
