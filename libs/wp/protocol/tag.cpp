#include "tag.hpp"

#include <array>

#include <wp/core/hex.hpp>

namespace wp {
namespace {

constexpr std::array<TagName, 5> kTagNames{{
    {"tee", kTagBitTee},
    {"scone", kTagBitScone},
    {"gramine", kTagBitGramine},
    {"tdx", kTagBitTdx},
    {"gpu", kTagBitGpu},
}};

std::string join(std::span<const std::string> names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ",";
        out += names[i];
    }
    return out;
}

void set_bit(Bytes32& tag, unsigned bit) { tag[31 - bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8)); }

}  // namespace

std::span<const TagName> tag_names() noexcept { return kTagNames; }

Bytes32 make_tag(std::uint64_t value) noexcept {
    Bytes32 tag;
    for (unsigned i = 0; i < 8; ++i) tag[31 - i] = static_cast<std::uint8_t>(value >> (8 * i));
    return tag;
}

bool tag_has_bit(const Bytes32& tag, unsigned bit) noexcept {
    if (bit >= 256) return false;
    return ((static_cast<unsigned>(tag[31 - bit / 8]) >> (bit % 8)) & 1u) != 0;
}

Bytes32 tag_or(const Bytes32& a, const Bytes32& b) noexcept {
    Bytes32 out;
    for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<std::uint8_t>(a[i] | b[i]);
    return out;
}

Bytes32 tag_and(const Bytes32& a, const Bytes32& b) noexcept {
    Bytes32 out;
    for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<std::uint8_t>(a[i] & b[i]);
    return out;
}

Bytes32 tag_strip_tee_framework(const Bytes32& tag) noexcept {
    Bytes32 out = tag;
    out[31] = static_cast<std::uint8_t>(out[31] & ~0x0Eu);
    return out;
}

std::vector<unsigned> tag_missing_bits(const Bytes32& tag, const Bytes32& required) {
    std::vector<unsigned> missing;
    for (unsigned bit = 0; bit < 256; ++bit)
        if (tag_has_bit(required, bit) && !tag_has_bit(tag, bit)) missing.push_back(bit);
    return missing;
}

Result<Bytes32> encode_tag(std::span<const std::string> names) {
    Bytes32 tag;
    for (const std::string& name : names) {
        if (name.empty()) continue;
        const auto it = std::find_if(kTagNames.begin(), kTagNames.end(), [&](const TagName& t) { return t.name == name; });
        if (it == kTagNames.end())
            return make_error(Errc::kInvalidArgument, join(names) + " is not a valid tag. Unknown tag " + name);
        set_bit(tag, it->bit);
    }
    return tag;
}

Result<Bytes32> encode_tag(std::string_view comma_separated) {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (true) {
        const auto comma = comma_separated.find(',', start);
        names.emplace_back(comma_separated.substr(start, comma == std::string_view::npos ? comma : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return encode_tag(std::span<const std::string>(names));
}

Result<std::vector<std::string>> decode_tag(const Bytes32& tag) {
    std::vector<std::string> names;
    for (unsigned bit = 0; bit < 256; ++bit) {
        if (!tag_has_bit(tag, bit)) continue;
        const auto it = std::find_if(kTagNames.begin(), kTagNames.end(), [&](const TagName& t) { return t.bit == bit; });
        if (it == kTagNames.end())
            return make_error(Errc::kInvalidArgument, "Unknown bit " + std::to_string(bit) + " in tag");
        names.emplace_back(it->name);
    }
    return names;
}

Result<Bytes32> parse_tag(std::string_view text) {
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        auto tag = text.size() == 66 ? bytes32_from_hex("0x" + std::string(text.substr(2)))
                                     : Result<Bytes32>(make_error(Errc::kInvalidLength, "not 32 bytes"));
        if (!tag)
            return make_error(tag.error().code == Errc::kInvalidHex ? Errc::kInvalidHex : Errc::kInvalidLength,
                              std::string(text) + " is not a valid bytes32 hexstring");
        return tag;
    }
    return encode_tag(text);
}

Result<Bytes32> parse_tag(const boost::json::value& json) {
    if (const auto* s = json.if_string()) return parse_tag(std::string_view(*s));
    if (const auto* arr = json.if_array()) {
        std::vector<std::string> names;
        names.reserve(arr->size());
        for (const auto& v : *arr) {
            const auto* s = v.if_string();
            if (s == nullptr) return make_error(Errc::kInvalidArgument, "Invalid tag: array entries must be strings");
            names.emplace_back(*s);
        }
        return encode_tag(std::span<const std::string>(names));
    }
    return make_error(Errc::kInvalidArgument, "Invalid tag: expected a bytes32 hex string, a name list or an array");
}

std::string tag_to_hex(const Bytes32& tag) { return to_hex(tag.view()); }

Result<void> validate_tag(const Bytes32& tag, const TagRules& rules) {
    if (!rules.ignore_legacy_tee_framework) {
        std::string legacy;
        for (const auto& [name, bit] : {std::pair{"gramine", kTagBitGramine}, std::pair{"scone", kTagBitScone}}) {
            if (!tag_has_bit(tag, bit)) continue;
            if (!legacy.empty()) legacy += ", ";
            legacy += '\'';
            legacy += name;
            legacy += '\'';
        }
        if (!legacy.empty())
            return make_error(Errc::kInvalidArgument, "Unsupported legacy TEE framework tag (" + legacy + ")");
    }
    const bool tee = tag_has_bit(tag, kTagBitTee);
    const bool tdx = tag_has_bit(tag, kTagBitTdx);  // the only supported framework in SDK 9.x
    if (tee) {
        if (!rules.allow_agnostic_tee && !tdx)
            return make_error(Errc::kInvalidArgument, "'tee' tag must be used with a tee framework ('tdx')");
    } else if (tdx) {
        return make_error(Errc::kInvalidArgument, "'tdx' tag must be used with 'tee' tag");
    }
    return {};
}

TagRules sdk_tag_rules(OrderKind kind) noexcept {
    switch (kind) {
        case OrderKind::kRequest: return TagRules{true, false};
        case OrderKind::kDataset: return TagRules{true, true};
        case OrderKind::kApp:
        case OrderKind::kWorkerpool: break;
    }
    return TagRules{};
}

Result<void> validate_order_tag(OrderKind kind, const Bytes32& tag) { return validate_tag(tag, sdk_tag_rules(kind)); }

Result<void> validate_workerpool_offer(const Bytes32& tag, const U256& trust) {
    const U256 value = U256::from_be32(tag);
    const U256 without_gpu = value & ~U256(kTagGpu);
    const bool known = without_gpu == U256(kTagStandard) || without_gpu == U256(kTagTeeScone) ||
                       without_gpu == U256(kTagTeeGramine) || without_gpu == U256(kTagTeeTdx);
    if (!known)
        return make_error(Errc::kInvalidArgument, "Unsupported workerpool order tag " + tag_to_hex(tag) +
                                                      "; supported: 0x0, 0x3, 0x5, 0x9, optionally | 0x100");
    // PoCo counts trust 0 as 1 (deal.trust = max(trust, 1)): both mean "one contribution, no replication".
    if (tag_has_bit(tag, kTagBitTee) && trust > U256(1))
        return make_error(Errc::kInvalidArgument,
                          "TEE workerpool orders must have trust 1 (0 counts as 1; got " + trust.to_dec() + ")");
    return {};
}

}  // namespace wp
