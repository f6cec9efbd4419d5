#pragma once
// /iexec_out/computed.json: what the app says its result is (scheduler-worker.md §7.4).
//
// Format (one JSON object, at most kMaxComputedJsonBytes, no duplicate keys, nesting ≤ 4):
//   "deterministic-output-path": string, optional for callback deals, required otherwise (checked by the result
//       contract, not here): an absolute path inside the app's output mount, "/iexec_out" or "/iexec_out/<rel>";
//       no "." / ".." / empty components, no NUL, at most 4096 bytes;
//   "callback-data":  string, strict 0x-prefixed even-length hex (may be "0x"), at most 64 KiB of bytes;
//   "task-id", "result-digest", "enclave-signature": strings written by a TEE post-compute, kept as given
//       (the worker recomputes and checks what it needs);
//   any other key is an error (strict: a typo such as "deterministic_output_path" would otherwise go unnoticed
//   and turn into the error result).
// Errors: Errc::kDecoding for malformed JSON / wrong shape, Errc::kTooLarge over the size, Errc::kInvalidArgument
// for a bad path or hex; messages start with "computed.json: " and name the key.
// Pure; thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::worker {

inline constexpr std::size_t kMaxComputedJsonBytes = 256 * 1024;

struct ComputedJson {
    //! The path inside the output mount, relative to it ("" for the mount itself, "out/result.txt" otherwise).
    std::optional<std::string> deterministic_output_rel;
    //! The raw "deterministic-output-path" value.
    std::optional<std::string> deterministic_output_path;
    std::optional<Bytes> callback_data;
    std::optional<std::string> task_id;
    std::optional<std::string> result_digest;
    std::optional<std::string> enclave_signature;
};

//! Parses computed.json text; `out_mount` is the app's IEXEC_OUT ("/iexec_out").
Result<ComputedJson> parse_computed_json(std::string_view text, std::string_view out_mount = "/iexec_out");

//! Checks a relative path of the output or bundle: non-empty components, none "." or "..", no NUL, no leading
//! "/", at most 4096 bytes. `what` prefixes the message.
Result<void> check_relative_path(std::string_view rel, std::string_view what);

}  // namespace wp::worker
