#pragma once
// Decoding of revert data (the bytes a reverted call returns; JSON-RPC error `data`):
//   - empty                      -> "reverted without data" (require(false), out of gas in a sub-call, ...)
//   - 0x08c379a0 ‖ abi(string)   -> Error(string): the reason of require(cond, "reason") / revert("reason")
//   - 0x4e487b71 ‖ abi(uint256)  -> Panic(uint256): Solidity >= 0.8 checks, with the documented meanings
//                                   (https://docs.soliditylang.org/en/latest/control-structures.html#panic-via-assert-and-error-via-require)
//   - selector of a registered custom error (e.g. the diamond's FunctionNotFound(bytes4)) -> its decoded args
//   - anything else (unknown selector, malformed payload) -> kind kUnknown with the raw bytes.
// Pure functions: no I/O, never throws.
//
// is_revert / revert_of decide whether a JSON-RPC error answer (of eth_call, eth_estimateGas, or an
// eth_sendRawTransaction a node simulates) means "the EVM reverted". It is THE revert detector of the chain module:
// the Hub, the TxManager and the JSON-RPC error classifier (classify_rpc_error in rpc.hpp) all use it.

#include <map>
#include <optional>
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

struct RpcError;

//! True iff `error` is a JSON-RPC error object (kind Errc::kRemote) that reports an EVM revert. Rules, in order:
//!   1. code 3: geth, anvil, reth, erigon and Nethermind's "execution reverted" answer (with `data` holding the
//!      revert data, or without data / "0x" for a revert without data);
//!   2. the message contains "revert" (any case): "execution reverted", "execution reverted: <reason>" (geth
//!      without the code), "VM Exception while processing transaction: revert <reason>" (hardhat, ganache),
//!      "Reverted" (OpenEthereum / Nethermind -32015 "VM execution error." put it in `data` instead, see 3);
//!   3. `data` is a string starting with "Reverted " (OpenEthereum, Nethermind: "Reverted 0x08c379a0...");
//!   4. `data` (or data.data, see RpcError::revert_data) is hex of at least 4 bytes: a selector and its payload
//!      (nodes that report a revert under a generic code, e.g. -32000 / -32603 with the Error(string) data).
//! A revert of PoCo 6.1 without a reason (require(cond) without message, a call to a missing facet answered by the
//! diamond with empty data) comes as rule 1 with no data: it IS a revert (DecodedRevert::Kind::kEmpty).
//! Not reverts: transport errors, HTTP errors, rate limits, "out of gas" / "gas required exceeds allowance"
//! (gas estimation limits, no revert data), "insufficient funds", "nonce too low" and other pool refusals.
bool is_revert(const RpcError& error);

//! The revert carried by `error` decoded with `decoder` when is_revert(error), else nullopt. The revert data is
//! RpcError::revert_data() (rule 3: the hex after "Reverted "); none is an empty revert (Kind::kEmpty).
std::optional<DecodedRevert> revert_of(const RpcError& error, const RevertDecoder& decoder = default_revert_decoder());

}  // namespace wp::chain
