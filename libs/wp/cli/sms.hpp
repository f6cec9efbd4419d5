#pragma once
// The Secret Management Service (SMS) side of the `iexec` CLI. This CLI does not implement the SMS API (secrets,
// storage tokens, result encryption keys); the commands that need it answer as the iExec SDK 9.0.1 does when the
// SMS cannot be reached, and say so clearly when it can:
//   no "sms" for the chain:  `Missing sms in "chain.json" for chain <id>` (the SDK's)
//   nothing listens:         `SMS error: Connection to <sms url> failed with a network error` (the SDK's,
//                            printed as SmsCallError)
//   an SMS answers:          `<what> needs the Secret Management Service at <sms url>, which this CLI does not
//                            support (no SMS API client)`
// Not thread-safe (uses the Context).

#include <string_view>

#include <wp/core/result.hpp>

#include "context.hpp"

namespace wp::cli {

//! Always an error (see above): probes the chain's SMS with one HTTP GET (Environment::rpc_timeout).
Result<void> sms_unsupported(Context& ctx, std::string_view what);

//! The storage providers the SDK accepts: `"<x>" is not a valid storage provider, use one of the supported
//! providers (dropbox, ipfs)`.
Result<void> check_storage_provider(std::string_view provider);

}  // namespace wp::cli
