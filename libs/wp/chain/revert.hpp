#pragma once
// Decoding of revert data (the bytes a reverted call returns; JSON-RPC error `data`):
//   - empty                      -> "reverted without data" (require(false), out of gas in a sub-call, ...)
//   - 0x08c379a0 ‖ abi(string)   -> Error(string): the reason of require(cond, "reason") / revert("reason")
//   - 0x4e487b71 ‖ abi(uint256)  -> Panic(uint256): Solidity >= 0.8 checks, with the documented meanings
//                                   (https://docs.soliditylang.org/en/latest/control-structures.html#panic-via-assert-and-error-via-require)
//   - selector of a registered custom error (e.g. the diamond's FunctionNotFound(bytes4)) -> its decoded args
//   - anything else (unknown selector, malformed payload) -> kind kUnknown with the raw bytes.
// Pure functions: no I/O, never throws.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <wp/codec/abi.hpp>
#include <wp/codec/abi_type.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

namespace wp::chain {

inline constexpr std::uint32_t kErrorStringSelector = 0x08c379a0;  //!< Error(string)
inline constexpr std::uint32_t kPanicSelector = 0x4e487b71;        //!< Panic(uint256)

struct DecodedRevert {
    enum class Kind {
        kEmpty,        //!< no revert data
        kErrorString,  //!< Error(string): `reason`
        kPanic,        //!< Panic(uint256): `panic_code`
        kCustom,       //!< a registered custom error: `signature`, `args`
        kUnknown,      //!< unrecognised or malformed: only `data`
    };
    Kind kind{Kind::kEmpty};
    std::string reason;          //!< kErrorString
    U256 panic_code;             //!< kPanic
    std::string signature;       //!< kCustom: canonical "FunctionNotFound(bytes4)"
    std::vector<AbiValue> args;  //!< kCustom: decoded arguments
    Bytes data;                  //!< the raw revert data (always)

    //! One line for logs and CLI output:
    //!   kEmpty       "reverted without data"
    //!   kErrorString "reverted: iExecV5-matchOrders-0x60"
    //!   kPanic       "panic 0x11: arithmetic overflow or underflow"
    //!   kCustom      "FunctionNotFound(0x12345678)" (arguments as JSON values: numbers in decimal strings,
    //!                addresses checksummed, bytes in hex)
    //!   kUnknown     "reverted with unknown data 0x..."
    std::string to_string() const;
};

//! The meaning of a Solidity panic code ("arithmetic overflow or underflow" for 0x11), or "unknown panic code".
std::string_view panic_meaning(const U256& code);

//! Decodes revert data; Error(string) and Panic(uint256) are always known, custom errors once registered.
class RevertDecoder {
  public:
    RevertDecoder() = default;

    //! Registers a custom error by its signature, in any form parse_abi_signature accepts:
    //! "FunctionNotFound(bytes4)", "error FunctionNotFound(bytes4 _functionSelector)". Errc::kInvalidArgument
    //! for a bad signature or a selector clash with Error / Panic or with another registered error.
    Result<void> register_error(std::string_view signature);

    //! Never fails: malformed payloads of known selectors are reported as kUnknown.
    DecodedRevert decode(ByteView data) const;

  private:
    std::map<AbiSelector, AbiSignature> errors_;
};

//! A decoder with the custom errors of the PoCo diamond registered (FunctionNotFound(bytes4), ...).
const RevertDecoder& default_revert_decoder();

}  // namespace wp::chain
