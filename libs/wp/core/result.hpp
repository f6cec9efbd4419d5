#pragma once
// Result and Error: the error model of the pure modules (core, crypto, codec, protocol).
//
// Adversarial input (hex from a user, RLP from the network, JSON orders) never throws and never
// aborts: every fallible function returns Result<T>, whose error carries a machine-checkable code
// and a human message naming the field and the rule that was broken. Programmer errors (a broken
// precondition) are asserts. When the project moves to C++23, Result becomes std::expected here.

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace wp {

//! Broad classes of failure; the message says exactly what went wrong.
enum class Errc {
    kInvalidArgument,  //!< a value broke a documented rule (range, format, missing field)
    kInvalidHex,       //!< not a strict 0x-prefixed even-length hex string
    kInvalidLength,    //!< a byte string of the wrong size
    kInvalidChecksum,  //!< an EIP-55 mixed-case address whose case does not match its checksum
    kOverflow,         //!< uint256 arithmetic or parsing out of range (like Solidity 0.8 checked math)
    kDecoding,         //!< malformed RLP / ABI / JSON structure
    kCrypto,           //!< invalid key, signature or recovery failure
    kWrongPassword,    //!< keystore MAC mismatch
    kUnsupported,      //!< a valid input this implementation does not handle (e.g. an unknown KDF)
    kIo,               //!< file or process error (only in modules that do I/O)
    kNetwork,          //!< transport failure: DNS, connect refused/reset, TLS, malformed HTTP, unexpected HTTP status
    kTimeout,          //!< a deadline expired (connect, request, process wait)
    kTooLarge,         //!< a size limit was exceeded (HTTP body, JSON-RPC response)
    kRemote,           //!< the remote side answered with an error (e.g. a JSON-RPC error object)
};

//! Stable short name of an error code, e.g. "invalid-hex".
const char* to_string(Errc code) noexcept;

struct Error {
    Errc code{Errc::kInvalidArgument};
    std::string message;

    //! Prefixes the message with a context such as a field name: "tag: odd number of hex digits".
    [[nodiscard]] Error with_context(std::string_view context) const {
        return Error{code, std::string(context) + ": " + message};
    }
};

template <class T>
using Result = tl::expected<T, Error>;

//! Builds the error branch of any Result: `return make_error(Errc::kInvalidHex, "odd length");`
inline tl::unexpected<Error> make_error(Errc code, std::string message) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}

inline tl::unexpected<Error> make_error(Error error) { return tl::unexpected<Error>(std::move(error)); }

}  // namespace wp

//! Early return of an error: `WP_TRY(auto v, parse(x));` declares v or returns the error.
#define WP_CONCAT_INNER(a, b) a##b
#define WP_CONCAT(a, b) WP_CONCAT_INNER(a, b)
#define WP_TRY_IMPL(tmp, decl, expr)                                \
    auto tmp = (expr);                                              \
    if (!tmp) return ::tl::unexpected<::wp::Error>(std::move(tmp).error()); \
    decl = std::move(*tmp)
#define WP_TRY(decl, expr) WP_TRY_IMPL(WP_CONCAT(wp_try_, __LINE__), decl, expr)
//! Early return for Result<void> expressions.
#define WP_TRY_VOID(expr)                                                         \
    do {                                                                          \
        auto wp_try_void_ = (expr);                                               \
        if (!wp_try_void_) return ::tl::unexpected<::wp::Error>(std::move(wp_try_void_).error()); \
    } while (false)
