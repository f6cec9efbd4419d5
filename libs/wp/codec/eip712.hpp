#pragma once
// EIP-712 typed structured data: encodeType, typeHash, encodeData, hashStruct, domain separator,
// digest and signature, with eth_signTypedData_v4 semantics as implemented by ethers 6
// `TypedDataEncoder` (https://eips.ethereum.org/EIPS/eip-712).
//
// Input is the usual JSON document `{types, primaryType, domain, message}`. Values are read the
// way ethers reads them, with a few deliberate strictness differences (documented per function):
//
//   type            accepted JSON value                          encoding (32 bytes)
//   uintN / intN    integer number (|v| <= 2^53-1) or string:      two's complement, range-checked
//                   decimal "123", hex "0x7b", optional "-"
//   address         "0x" + 40 hex digits (EIP-55 checked if mixed)  left-padded
//   bool            true / false                                   0 / 1
//   bytesN          "0x" + 2N hex digits                            right-padded
//   bytes           "0x" + any even number of hex digits           keccak256(bytes)
//   string          string                                         keccak256(utf8)
//   T[] / T[k]      array (k elements when fixed)                  keccak256(concat(encode(e)))
//   Struct          object                                         hashStruct(Struct, value)
//
// Strictness versus ethers (inputs ethers accepts but we reject): numbers with whitespace or
// 0b/0o prefixes, booleans given as non-boolean JSON values, addresses without 0x, type and field
// names that are not identifiers ([A-Za-z_$][A-Za-z0-9_$]*), and any cycle in the type graph even
// among unused types. Everything ethers rejects we reject too. Like ethers, message keys that are
// not fields of the struct are ignored unless Options::reject_unknown_fields is set.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp::eip712 {

//! One member of a struct type: `{"name": "wallet", "type": "address"}`.
struct Field {
    std::string name;
    std::string type;

    friend bool operator==(const Field&, const Field&) = default;
};

//! Struct name → ordered members, exactly as in the JSON `types` object.
using TypeMap = std::map<std::string, std::vector<Field>, std::less<>>;

//! Resource bounds; inputs beyond them are rejected (Errc::kUnsupported) instead of processed.
struct Limits {
    std::size_t max_types = 64;            //!< struct types in one document, EIP712Domain not counted
    std::size_t max_fields = 128;          //!< members of one struct
    std::size_t max_name_length = 256;     //!< type and field names, type strings
    std::size_t max_array_dimensions = 8;  //!< `T[][][]...`
    std::size_t max_depth = 48;            //!< nesting of structs and arrays inside one value
    std::size_t max_values = 1u << 20;     //!< atomic values encoded by one hash_struct call
};

struct Options {
    Limits limits{};
    //! Reject message/struct keys that are not members of the struct (ethers ignores them).
    bool reject_unknown_fields = false;
};

//! The canonical EIP712Domain members, in the order ethers derives them from a domain object.
//! name string, version string, chainId uint256, verifyingContract address, salt bytes32.
const std::vector<Field>& standard_domain_fields();

//! A validated set of struct types: every referenced type exists, field types are well formed
//! (uintN/intN with N in 8..256 step 8, bytesN with N in 1..32, address, bool, bytes, string,
//! struct names, arrays of any of these), names are unique identifiers and there is no cycle.
//! `uint` / `int` are normalised to `uint256` / `int256` (as ethers does).
class Types {
  public:
    //! Errors (Errc::kInvalidArgument unless noted): "unknown type \"Foo\" in field Mail.from",
    //! "duplicate variable name \"to\" in \"Mail\"", "circular type reference to \"A\"",
    //! "invalid numeric width in type uint7", "invalid bytes width in type bytes33",
    //! "invalid type name \"A B\"", limits (Errc::kUnsupported).
    static Result<Types> create(TypeMap types, const Limits& limits = {});

    //! The (normalised) types.
    const TypeMap& map() const noexcept { return types_; }
    bool contains(std::string_view type) const { return types_.find(type) != types_.end(); }

    //! The unique struct type that no other type references, ignoring EIP712Domain (ethers rule).
    //! Errors: "missing primary type", "ambiguous primary types or unused types: \"A\", \"B\"".
    Result<std::string> primary_type() const;

    //! encodeType: `Name(type1 name1,...)` followed by every struct type it references
    //! (transitively), each once, sorted by name. Error if `type` is not a struct type here.
    Result<std::string> encode_type(std::string_view type) const;
    //! typeHash = keccak256(encodeType(type)).
    Result<Bytes32> type_hash(std::string_view type) const;

    //! encodeData = typeHash ‖ enc(field1) ‖ ... ‖ enc(fieldN) (32 bytes each), see the table in
    //! the file comment. Errors name the path of the bad value, e.g.
    //! "message.scores[1]: value out-of-bounds for int16", "message.from: missing field \"from\"
    //! (Person)", "message.to.wallet: invalid hex digit 'z' at position 3",
    //! "message.list: array length mismatch; expected length 3, got 2".
    //! `path` is the prefix used in messages (default "message").
    Result<Bytes> encode_data(std::string_view type, const boost::json::value& data, const Options& options = {},
                              std::string_view path = "message") const;
    //! hashStruct = keccak256(encodeData(type, data)).
    Result<Bytes32> hash_struct(std::string_view type, const boost::json::value& data, const Options& options = {},
                                std::string_view path = "message") const;

  private:
    TypeMap types_;
    std::map<std::string, std::string, std::less<>> encoded_types_;
    std::map<std::string, Bytes32, std::less<>> type_hashes_;
};

//! A parsed, validated typed-data document. `types` always contains "EIP712Domain" (taken from
//! the document, or derived from the keys present in `domain` in the canonical order of
//! standard_domain_fields(), as ethers does).
struct TypedData {
    Types types;
    std::string primary_type;
    boost::json::object domain;
    boost::json::value message;
    Options options{};  //!< the options it was parsed with; reused by the functions below
};

//! Parses and fully validates `{types, primaryType, domain, message}` (any other top-level key is
//! rejected). Validation includes hashing the domain and the message, so a successful parse
//! guarantees that domain_separator / digest / sign_typed_data succeed.
//! - `primaryType` is optional: when absent it is deduced (Types::primary_type). When present it
//!   must name a struct type other than EIP712Domain; unused extra types are then tolerated
//!   (eth_signTypedData_v4 behaviour; they do not affect any hash).
//! - `types.EIP712Domain`, when present, may only use the standard members with their standard
//!   types, in any order (the order given is the order hashed); `domain` must then have exactly
//!   those keys. When absent, `domain` keys other than the standard ones are rejected with
//!   "invalid typed-data domain key: \"foo\"" (ethers' message).
//! - EIP712Domain cannot be referenced by another struct.
Result<TypedData> parse_typed_data(const boost::json::value& json, const Options& options = {});
//! Same, from JSON text (Errc::kDecoding with the Boost.JSON reason if the text is not JSON).
Result<TypedData> parse_typed_data(std::string_view json_text, const Options& options = {});
//! Disambiguates string literals (which also convert to boost::json::value).
inline Result<TypedData> parse_typed_data(const char* json_text, const Options& options = {}) {
    return parse_typed_data(std::string_view(json_text), options);
}

//! encodeType / typeHash / hashStruct against the document's types (see Types).
Result<std::string> encode_type(const TypedData& data, std::string_view type);
Result<Bytes32> type_hash(const TypedData& data, std::string_view type);
Result<Bytes32> hash_struct(const TypedData& data, std::string_view type, const boost::json::value& value);

//! hashStruct(EIP712Domain, domain).
Result<Bytes32> domain_separator(const TypedData& data);
//! hashStruct(primaryType, message).
Result<Bytes32> message_hash(const TypedData& data);
//! keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message)).
Result<Bytes32> digest(const TypedData& data);
//! The typed-data hash from its two parts: keccak256(0x19 ‖ 0x01 ‖ separator ‖ struct_hash).
Bytes32 digest(const Bytes32& domain_separator, const Bytes32& struct_hash);

//! Deterministic (RFC 6979) signature of digest(data); equal to ethers `Wallet.signTypedData`
//! and to eth_signTypedData_v4 of anvil/geth. Serialise with Signature::to_bytes65() (v = 27/28).
Result<Signature> sign_typed_data(const PrivateKey& key, const TypedData& data);

//! ethers `TypedDataEncoder.hashDomain(domain)`: derives EIP712Domain from the keys present and
//! hashes it. Errors: "invalid typed-data domain key: \"foo\"", bad values (e.g. a chainId that
//! is not a number, a salt that is not 32 bytes).
Result<Bytes32> hash_domain(const boost::json::object& domain, const Options& options = {});

}  // namespace wp::eip712
