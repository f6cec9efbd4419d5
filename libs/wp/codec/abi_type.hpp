#pragma once
// Solidity ABI types and signatures (https://docs.soliditylang.org/en/latest/abi-spec.html).
//
// An AbiType is parsed from a type string in the canonical form ("(address,uint256)[]") or in the
// human-readable form that ethers 6 accepts ("tuple(address app, uint256 appprice)[] orders"): component
// names, the `tuple` keyword, whitespace between tokens and the data-location keywords memory/calldata/storage
// are accepted and the names are kept. `uint`/`int` are aliases of uint256/int256.
//
// Rejected on purpose (Solidity cannot declare them and they would break the decoder's size bounds):
// the empty tuple `()` as a type, zero-length fixed arrays `T[0]`, nesting deeper than kAbiMaxTypeDepth,
// and types whose static encoding exceeds kAbiMaxStaticSize bytes. `function`, `fixed`/`ufixed` are
// reported as unsupported.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp {

//! Maximum nesting of arrays and tuples (uint256[][] has depth 2); applies to parsing and decoding.
inline constexpr std::size_t kAbiMaxTypeDepth = 32;
//! Maximum size in bytes of the static (head) encoding of one type, e.g. uint256[k] has 32 * k.
inline constexpr std::size_t kAbiMaxStaticSize = std::size_t{1} << 32;

class AbiType {
  public:
    enum class Kind : std::uint8_t {
        kUint,        //!< uintN, N = bits()
        kInt,         //!< intN, N = bits()
        kAddress,     //!< address
        kBool,        //!< bool
        kFixedBytes,  //!< bytesN, N = byte_size()
        kBytes,       //!< bytes
        kString,      //!< string
        kFixedArray,  //!< T[k], k = length(), T = element()
        kArray,       //!< T[], T = element()
        kTuple,       //!< (T1,...,Tn) = components()
    };

    //! uint256 (default-constructed types are uint256).
    AbiType() = default;

    // Factories. Invalid sizes are programmer errors (asserted); parse_abi_type validates untrusted strings.
    static AbiType uint_(unsigned bits = 256);  //!< bits in 8..256, multiple of 8
    static AbiType int_(unsigned bits = 256);   //!< bits in 8..256, multiple of 8
    static AbiType address();
    static AbiType bool_();
    static AbiType fixed_bytes(unsigned size);  //!< size in 1..32
    static AbiType bytes();
    static AbiType string();
    //! T[length]; length >= 1.
    static AbiType fixed_array(AbiType element, std::size_t length);
    //! T[].
    static AbiType array(AbiType element);
    //! (T1,...,Tn); n >= 1. Component names are the components' name().
    static AbiType tuple(std::vector<AbiType> components);

    //! A copy carrying a parameter / component name ("" for none).
    [[nodiscard]] AbiType named(std::string name) const&;
    [[nodiscard]] AbiType named(std::string name) &&;

    Kind kind() const noexcept { return kind_; }
    //! N of uintN / intN.
    unsigned bits() const noexcept { return static_cast<unsigned>(size_); }
    //! N of bytesN.
    unsigned byte_size() const noexcept { return static_cast<unsigned>(size_); }
    //! k of T[k].
    std::size_t length() const noexcept { return size_; }
    //! T of T[k] and T[] (asserts on other kinds).
    const AbiType& element() const;
    //! Tuple components (empty for non-tuples).
    const std::vector<AbiType>& components() const noexcept {
        static const std::vector<AbiType> kNone;
        return kind_ == Kind::kTuple ? children_ : kNone;
    }
    //! The parameter / component name, "" when unnamed.
    const std::string& name() const noexcept { return name_; }
    //! True if every tuple component has a non-empty name and the names are distinct.
    bool has_component_names() const;

    //! ABI "dynamic" types: bytes, string, T[], T[k] with T dynamic, tuples with a dynamic component.
    bool is_dynamic() const noexcept { return dynamic_; }
    //! Size of this type in the head of an enclosing tuple: 32 for dynamic types, else the full static size.
    std::size_t head_size() const noexcept { return head_size_; }
    //! Nesting depth: 0 for elementary types, 1 + max child depth for arrays and tuples.
    std::size_t depth() const noexcept { return depth_; }

    //! Canonical type string used in signatures: "(address,uint256)[]", "uint256" for uint.
    std::string canonical() const;
    //! Human-readable form with component names: "(address app,uint256 appprice)[]" (own name not included).
    std::string to_string() const;

    //! Structural equality including names; compare canonical() to ignore names.
    friend bool operator==(const AbiType&, const AbiType&) = default;

  private:
    static AbiType make(Kind kind, std::size_t size, std::vector<AbiType> children);

    Kind kind_{Kind::kUint};
    bool dynamic_{false};
    std::size_t size_{256};
    std::size_t head_size_{32};
    std::size_t depth_{0};
    std::vector<AbiType> children_;  // element (1) for arrays, components for tuples
    std::string name_;
};

//! Parses one type, optionally followed by a name ("uint256 amount"). Errors (Errc::kInvalidArgument) name
//! the position: "ABI type: unknown type 'uint7' at position 1", "ABI type: unbalanced '(' at position 0".
Result<AbiType> parse_abi_type(std::string_view text);

//! Parses a comma-separated parameter list without the enclosing parentheses ("address to, uint256"),
//! as used for abi.encode argument lists. "" is the empty list.
Result<std::vector<AbiType>> parse_abi_type_list(std::string_view text);

using AbiSelector = FixedBytes<4>;

//! A function, event or error signature.
struct AbiSignature {
    std::string name;
    std::vector<AbiType> inputs;   //!< parameters, with their names when the text had them
    std::vector<AbiType> outputs;  //!< from "returns (...)", empty when absent
    std::vector<bool> indexed;     //!< per input: declared `indexed` (events)

    //! "name(type1,type2)": canonical types, no names, no spaces, no outputs.
    std::string canonical() const;
    //! First 4 bytes of keccak256(canonical()): the function selector.
    AbiSelector selector() const;
    //! keccak256(canonical()): the event topic 0.
    Bytes32 topic() const;
};

//! Parses "name(type1 a, type2 b)" as ethers 6 does: whitespace is tolerated, parameter names are optional,
//! an optional leading keyword (function / event / error), `indexed` and data-location keywords, trailing
//! modifiers (view, pure, payable, nonpayable, external, public, anonymous, ...) and an optional
//! "returns (...)" are accepted. Errors are Errc::kInvalidArgument with the position.
Result<AbiSignature> parse_abi_signature(std::string_view text);

//! parse_abi_signature(text)->canonical(): "transfer(address to, uint amount)" -> "transfer(address,uint256)".
Result<std::string> canonical_signature(std::string_view text);
//! Selector of a function signature: transfer(address,uint256) -> 0xa9059cbb.
Result<AbiSelector> function_selector(std::string_view text);
//! Topic 0 of an event signature: Transfer(address,address,uint256) -> 0xddf252ad...b3ef.
Result<Bytes32> event_topic(std::string_view text);

}  // namespace wp
