#pragma once
// Solidity ABI values, encoding and strict decoding (https://docs.soliditylang.org/en/latest/abi-spec.html),
// plus the JSON bridge used by the CLI (`iexec utils abi-encode <signature> <json-args>`).
//
// Encoding follows the spec's head/tail rules exactly and matches ethers 6 `AbiCoder.encode` byte for byte.
// Values are checked against their types (uint8 300 is an error, never truncated).
//
// Decoding never trusts the input. In both strictness modes it checks:
//   - every offset and length fits in 64 bits, lies within the data, and offset + length cannot overflow;
//   - offsets point into the tail region of their enclosing tuple / array (at or after its head);
//   - padding is zero: uintN high bits, address top 12 bytes, bytesN right padding, bytes/string trailing
//     padding (which must be present); intN is correctly sign-extended; bool is exactly 0 or 1;
//   - strings are valid UTF-8 (ethers 6 rejects invalid UTF-8 too);
//   - a dynamic array's length is checked against the remaining data before anything is allocated, so a
//     length of 2^64 fails at once; nesting is limited (AbiDecodeOptions::max_depth) and so is the total work
//     (at most 4 reads per 32-byte word of input, which bounds aliasing amplification in kLenient mode).
// kStrict additionally accepts only the canonical encoding (the one abi_encode produces): each dynamic
// component's offset must equal the end of the previous tail (no gaps, no overlap, no aliasing) and there must
// be no trailing bytes. Hence decode-then-encode reproduces the input exactly.
// kLenient accepts in-bounds non-canonical offsets and ignores trailing bytes, like ethers 6 on call results.
//
// Errors name the path of the offending value: "ABI decode: arg 2[3].sign: offset 0x1e0 out of bounds
// (data is 0x1c0 bytes)". Top-level values are "arg i", array elements "[i]", tuple components ".name"
// (or ".i" when unnamed). Decoding errors are Errc::kDecoding, encoding / JSON errors Errc::kInvalidArgument.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "abi_type.hpp"

namespace wp {

//! A signed integer (intN value) held as its 256-bit two's complement word.
struct AbiInt {
    U256 word;

    static AbiInt from_i64(std::int64_t v);
    //! From a sign and a magnitude; magnitude must be <= 2^255 when negative, < 2^255 otherwise (kOverflow).
    static Result<AbiInt> from_sign_magnitude(bool negative, const U256& magnitude);
    //! Optional '-' followed by decimal digits or 0x hex ("-42", "0x2a", "-0x2a"); range int256 (kOverflow).
    static Result<AbiInt> parse(std::string_view text);

    bool is_negative() const { return word.bit(255); }
    //! |value| (2^255 for the minimum int256).
    U256 magnitude() const;
    //! True if -2^(bits-1) <= value < 2^(bits-1).
    bool fits_bits(unsigned bits) const;
    //! Decimal with a leading '-' when negative.
    std::string to_dec() const;

    friend bool operator==(const AbiInt&, const AbiInt&) = default;
};

//! The value of a bytesN (1..32 bytes, exactly N for the type).
struct AbiFixedBytes {
    Bytes bytes;
    friend bool operator==(const AbiFixedBytes&, const AbiFixedBytes&) = default;
};

//! A decoded or to-be-encoded ABI value. Which alternative is valid depends on the type:
//! uintN -> U256, intN -> AbiInt, address -> Address, bool -> bool, bytesN -> AbiFixedBytes,
//! bytes -> Bytes, string -> std::string (UTF-8), T[k] / T[] / tuples -> List.
class AbiValue {
  public:
    using List = std::vector<AbiValue>;
    using Storage = std::variant<U256, AbiInt, Address, bool, AbiFixedBytes, Bytes, std::string, List>;

    AbiValue() = default;  //!< uint 0

    static AbiValue uint_(const U256& v) { return AbiValue(Storage(v)); }
    static AbiValue int_(const AbiInt& v) { return AbiValue(Storage(v)); }
    static AbiValue int_(std::int64_t v) { return AbiValue(Storage(AbiInt::from_i64(v))); }
    static AbiValue address(const Address& v) { return AbiValue(Storage(v)); }
    static AbiValue bool_(bool v) { return AbiValue(Storage(v)); }
    static AbiValue fixed_bytes(ByteView v) { return AbiValue(Storage(AbiFixedBytes{Bytes(v.begin(), v.end())})); }
    static AbiValue bytes(Bytes v) { return AbiValue(Storage(std::move(v))); }
    static AbiValue string(std::string v) { return AbiValue(Storage(std::move(v))); }
    static AbiValue list(List v) { return AbiValue(Storage(std::move(v))); }

    // Typed access: nullptr when the value holds another alternative.
    const U256* as_uint() const { return std::get_if<U256>(&v_); }
    const AbiInt* as_int() const { return std::get_if<AbiInt>(&v_); }
    const Address* as_address() const { return std::get_if<Address>(&v_); }
    const bool* as_bool() const { return std::get_if<bool>(&v_); }
    const AbiFixedBytes* as_fixed_bytes() const { return std::get_if<AbiFixedBytes>(&v_); }
    const Bytes* as_bytes() const { return std::get_if<Bytes>(&v_); }
    const std::string* as_string() const { return std::get_if<std::string>(&v_); }
    const List* as_list() const { return std::get_if<List>(&v_); }

    const Storage& storage() const { return v_; }

    friend bool operator==(const AbiValue&, const AbiValue&) = default;

  private:
    explicit AbiValue(Storage v) : v_(std::move(v)) {}
    Storage v_;
};

enum class AbiStrictness {
    kStrict,   //!< canonical encoding only, no trailing bytes (default)
    kLenient,  //!< in-bounds non-canonical offsets and trailing bytes tolerated (padding still checked)
};

//! Default maximum input size accepted by abi_decode.
inline constexpr std::size_t kAbiDefaultMaxInput = std::size_t{64} << 20;

struct AbiDecodeOptions {
    AbiStrictness strictness{AbiStrictness::kStrict};
    std::size_t max_input_size{kAbiDefaultMaxInput};  //!< larger inputs are rejected up front
    std::size_t max_depth{kAbiMaxTypeDepth};          //!< deeper types are rejected
};

//! abi.encode(values...) for the parameter list `types`: the head/tail encoding of the tuple (types...).
//! Errors (Errc::kInvalidArgument, with the value path): count mismatch, wrong value alternative,
//! value out of range for uintN/intN, bytesN of the wrong size, fixed array of the wrong length,
//! tuple arity mismatch, invalid UTF-8 string.
Result<Bytes> abi_encode(const std::vector<AbiType>& types, const std::vector<AbiValue>& values);

//! selector(signature) ++ abi_encode(signature.inputs, values): transaction calldata.
Result<Bytes> abi_encode_call(const AbiSignature& signature, const std::vector<AbiValue>& values);
//! Same, parsing the signature text first ("transfer(address,uint256)").
Result<Bytes> abi_encode_call(std::string_view signature, const std::vector<AbiValue>& values);

//! Decodes data as the tuple (types...) under the rules above.
Result<std::vector<AbiValue>> abi_decode(const std::vector<AbiType>& types, ByteView data,
                                         const AbiDecodeOptions& options = {});

//! Decodes calldata: checks the 4-byte selector of `signature` (Errc::kDecoding on mismatch or short data),
//! then decodes the inputs.
Result<std::vector<AbiValue>> abi_decode_call(const AbiSignature& signature, ByteView calldata,
                                              const AbiDecodeOptions& options = {});

//! abi.encodePacked / ethers solidityPacked: uintN/intN in N/8 bytes (two's complement), address 20 bytes,
//! bool 1 byte, bytesN N bytes, bytes/string raw; array elements are each padded to 32 bytes (numbers and
//! addresses left-padded, bytesN right-padded, bytes/string unpadded as ethers does), nested arrays likewise.
//! Tuples are rejected (Errc::kInvalidArgument), as Solidity and ethers do.
Result<Bytes> abi_encode_packed(const std::vector<AbiType>& types, const std::vector<AbiValue>& values);

// ---------------------------------------------------------------------------------------------------------
// JSON bridge

//! Reads one value of `type` from JSON:
//!  - uintN / intN: a JSON integer (non-negative for uint; floats and integers too large for JSON are rejected)
//!    or a string: decimal, or 0x hex; intN strings may start with '-'. Range-checked against N.
//!  - address: "0x" + 40 hex; mixed case must be a valid EIP-55 checksum.
//!  - bool: true / false only.
//!  - bytesN: 0x hex of exactly N bytes; bytes: 0x hex (possibly "0x").
//!  - string: a JSON string.
//!  - T[k] / T[]: a JSON array (exactly k elements for T[k]).
//!  - tuple: a JSON array of the components in order, or, when every component is named, an object with
//!    exactly those keys (unknown or missing keys are errors).
//! Errors are Errc::kInvalidArgument (or the parser's code) with the path: "arg 0.sign: invalid hex ...".
Result<AbiValue> value_from_json(const AbiType& type, const boost::json::value& json);

//! A JSON array of values for the parameter list `types` (same length).
Result<std::vector<AbiValue>> values_from_json(const std::vector<AbiType>& types, const boost::json::value& json);

enum class AbiJsonTuples {
    kArray,             //!< tuples as JSON arrays
    kObjectWhenNamed,   //!< tuples whose components are all named as JSON objects
};

//! JSON for a value: uint/int as decimal strings, addresses EIP-55 checksummed, bytesN / bytes as 0x hex,
//! bool as JSON bool, string as JSON string, arrays as JSON arrays, tuples per `tuples`.
//! Errors (Errc::kInvalidArgument) when the value does not match the type.
Result<boost::json::value> value_to_json(const AbiType& type, const AbiValue& value,
                                         AbiJsonTuples tuples = AbiJsonTuples::kArray);

//! A JSON array of value_to_json for each parameter.
Result<boost::json::array> values_to_json(const std::vector<AbiType>& types, const std::vector<AbiValue>& values,
                                          AbiJsonTuples tuples = AbiJsonTuples::kArray);

}  // namespace wp
