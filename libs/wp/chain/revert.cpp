#include "revert.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>

#include "rpc.hpp"

namespace wp::chain {
namespace {

std::uint32_t selector_of(ByteView data) {
    return (std::uint32_t{data[0]} << 24) | (std::uint32_t{data[1]} << 16) | (std::uint32_t{data[2]} << 8) |
           std::uint32_t{data[3]};
}

std::string hex_quantity_of(const U256& v) { return v.to_hex_quantity(); }

bool contains_ci(std::string_view haystack, std::string_view needle) {
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    return it != haystack.end();
}

constexpr std::string_view kRevertedPrefix = "Reverted ";

// Rule 3 of is_revert: OpenEthereum / Nethermind put "Reverted 0x..." in `data`.
std::optional<std::string_view> reverted_prefix_data(const RpcError& error) {
    const auto* s = error.data.if_string();
    if (s == nullptr) return std::nullopt;
    const std::string_view text(s->data(), s->size());
    if (text.substr(0, kRevertedPrefix.size()) != kRevertedPrefix) return std::nullopt;
    return text.substr(kRevertedPrefix.size());
}

}  // namespace

std::string_view panic_meaning(const U256& code) {
    if (!code.fits_u64()) return "unknown panic code";
    switch (code.low_u64()) {
        case 0x00: return "generic compiler-inserted panic";
        case 0x01: return "assert(false)";
        case 0x11: return "arithmetic overflow or underflow";
        case 0x12: return "division or modulo by zero";
        case 0x21: return "conversion to an enum out of range";
        case 0x22: return "incorrectly encoded storage byte array";
        case 0x31: return "pop() on an empty array";
        case 0x32: return "array index out of bounds";
        case 0x41: return "too much memory allocated or array too large";
        case 0x51: return "call to a zero-initialised internal function";
        default: return "unknown panic code";
    }
}

std::string DecodedRevert::to_string() const {
    switch (kind) {
        case Kind::kEmpty: return "reverted without data";
        case Kind::kErrorString: return "reverted: " + reason;
        case Kind::kPanic:
            return "panic " + hex_quantity_of(panic_code) + ": " + std::string(panic_meaning(panic_code));
        case Kind::kCustom: {
            auto sig = parse_abi_signature(signature);
            std::string out = sig ? sig->name : signature;
            out += "(";
            for (std::size_t i = 0; sig && i < args.size() && i < sig->inputs.size(); ++i) {
                if (i > 0) out += ", ";
                auto j = value_to_json(sig->inputs[i], args[i]);
                if (!j) {
                    out += "?";
                } else if (const auto* s = j->if_string()) {
                    out += std::string(s->data(), s->size());
                } else {
                    out += boost::json::serialize(*j);
                }
            }
            return out + ")";
        }
        case Kind::kUnknown: return "reverted with unknown data " + to_hex(data);
    }
    return "reverted";
}

Result<void> RevertDecoder::register_error(std::string_view signature) {
    auto sig = parse_abi_signature(signature);
    if (!sig) return make_error(sig.error().with_context("revert decoder"));
    const auto selector = sig->selector();
    const auto value = selector_of(selector);
    if (value == kErrorStringSelector || value == kPanicSelector)
        return make_error(Errc::kInvalidArgument, "revert decoder: " + sig->canonical() +
                                                      " has the selector of Error(string) or Panic(uint256)");
    auto it = errors_.find(selector);
    if (it != errors_.end() && it->second.canonical() != sig->canonical())
        return make_error(Errc::kInvalidArgument, "revert decoder: selector " + to_hex(selector) + " of " +
                                                      sig->canonical() + " clashes with " + it->second.canonical());
    errors_[selector] = std::move(*sig);
    return {};
}

DecodedRevert RevertDecoder::decode(ByteView data) const {
    DecodedRevert out;
    out.data.assign(data.begin(), data.end());
    if (data.empty()) return out;
    out.kind = DecodedRevert::Kind::kUnknown;
    if (data.size() < 4) return out;
    const auto selector = selector_of(data);
    const ByteView payload = data.subspan(4);
    // Revert payloads come from contracts: decode leniently (ethers does too), padding still checked.
    const AbiDecodeOptions lenient{.strictness = AbiStrictness::kLenient};
    if (selector == kErrorStringSelector) {
        auto v = abi_decode({AbiType::string()}, payload, lenient);
        if (v && v->size() == 1 && v->front().as_string() != nullptr) {
            out.kind = DecodedRevert::Kind::kErrorString;
            out.reason = *v->front().as_string();
        }
        return out;
    }
    if (selector == kPanicSelector) {
        auto v = abi_decode({AbiType::uint_(256)}, payload, lenient);
        if (v && v->size() == 1 && v->front().as_uint() != nullptr) {
            out.kind = DecodedRevert::Kind::kPanic;
            out.panic_code = *v->front().as_uint();
        }
        return out;
    }
    AbiSelector key;
    std::copy(data.begin(), data.begin() + 4, key.bytes.begin());
    auto it = errors_.find(key);
    if (it == errors_.end()) return out;
    auto v = abi_decode(it->second.inputs, payload, lenient);
    if (!v) return out;
    out.kind = DecodedRevert::Kind::kCustom;
    out.signature = it->second.canonical();
    out.args = std::move(*v);
    return out;
}

const RevertDecoder& default_revert_decoder() {
    static const RevertDecoder decoder = [] {
        RevertDecoder d;
        // EIP-2535 diamond fallback when no facet has the selector.
        (void)d.register_error("FunctionNotFound(bytes4 _functionSelector)");
        return d;
    }();
    return decoder;
}

bool is_revert(const RpcError& error) {
    if (!error.is_rpc_error()) return false;
    if (error.code == 3) return true;
    if (contains_ci(error.rpc_message, "revert")) return true;
    if (reverted_prefix_data(error)) return true;
    auto data = error.revert_data();
    return data && data->size() >= 4;
}

std::optional<DecodedRevert> revert_of(const RpcError& error, const RevertDecoder& decoder) {
    if (!is_revert(error)) return std::nullopt;
    if (auto rest = reverted_prefix_data(error)) {
        auto bytes = from_hex(*rest);
        return decoder.decode(bytes ? ByteView(*bytes) : ByteView{});
    }
    auto data = error.revert_data();
    return decoder.decode(data ? ByteView(*data) : ByteView{});
}

}  // namespace wp::chain
