#pragma once
// The result digest of an uploaded result archive, recomputed as the reference's result proxy does
// (scheduler-worker.md §7.4, §8) so the core accepts an upload only when it matches the digest revealed on chain.
//
// The archive is the worker's zip of iexec_out (computed.json at its root, libs/wp/worker/result_zip.hpp).
// computed.json's "deterministic-output-path" (absolute "/iexec_out/…" or relative to iexec_out) names:
//   - a file entry: digest = sha256(its content);
//   - a folder (iexec_out itself for "/iexec_out" or "/iexec_out/"): digest = keccak256(sha256(e1) ‖ sha256(e2) ‖ …)
//     over the folder's DIRECT file entries sorted by name (byte order); a sub-folder adds no bytes; an empty
//     folder gives keccak256("").
// Untrusted input (the archive comes from a worker): sizes are bounded (`max_unpacked_bytes` over the entries read),
// entry names with "..", absolute names and a missing / malformed computed.json are refused.
// Errors: Errc::kDecoding for a malformed zip or computed.json (named), Errc::kInvalidArgument for a path rule
// broken (named), Errc::kTooLarge past the bound.
//
// Thread safety: pure function over its input.

#include <cstdint>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::scheduler {

//! sha256 of bytes.
Bytes32 sha256_of(ByteView bytes);

//! The digest of a result zip (rules above).
Result<Bytes32> result_zip_digest(ByteView zip, std::uint64_t max_unpacked_bytes = 1ULL << 30);

}  // namespace wp::scheduler
