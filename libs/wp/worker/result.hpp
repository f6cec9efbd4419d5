#pragma once
// The result contract of a standard task (scheduler-worker.md §7.4): read /iexec_out/computed.json, compute the
// result digest exactly as iExec does, and fall back to the deterministic error result when the app failed or its
// output is unusable. Files only; no sandbox, no chain.
//
// Digest (bytes32):
//   - callback deal (deal.callback ≠ 0): keccak256(callback-data bytes); callback-data is then required;
//   - deterministic output is a regular file: sha256(file content);
//   - deterministic output is a directory: keccak256(sha256(e1) ‖ sha256(e2) ‖ …) over the directory's DIRECT
//     entries sorted by name (byte order), each sha256 as 32 raw bytes; a sub-directory is not walked and adds no
//     bytes (the reference hashes it as "" and concatenates the empty string); an empty directory gives
//     keccak256("") (iexec-common FileHashUtils.getFileTreeSha256 + HashUtils.concatenateAndHash).
//   Symbolic links, FIFOs or devices in the output are refused (they would make the worker read a host file):
//   the output is then invalid (→ error result).
//
// Error result (what the reference worker writes on a failure it can still contribute): iexec_out is emptied and
// gets error.txt = "[IEXEC] Error occurred while computing the task [error:<STATUS>, cause:<CAUSE>]" and
// computed.json = {"deterministic-output-path":"/iexec_out/error.txt"}; the digest is then sha256(error.txt),
// the same for every worker that hit the same failure, so they reach consensus on it.
//
// Thread safety: free functions on distinct folders may run concurrently.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "computed_json.hpp"

namespace wp::worker {

//! sha256 of a file's content, streamed (Errc::kIo if it cannot be read).
Result<Bytes32> sha256_file(const std::filesystem::path& file);
//! sha256 of bytes.
Bytes32 sha256(ByteView bytes);

//! The digest of a deterministic output path on the host (file or directory rule above). Errc::kInvalidArgument
//! for a missing path, a symbolic link or a special file (naming it).
Result<Bytes32> output_digest(const std::filesystem::path& path);

//! The longest file name the reference accepts in iexec_out (its post-compute refuses longer ones).
inline constexpr std::size_t kMaxResultFileName = 31;

//! Why a replicate produced the error result instead of the app's result. The strings are the reference's
//! ReplicateStatus / ReplicateStatusCause names, written into error.txt.
enum class FailureCause : std::uint8_t {
    kAppDownloadFailed,         //!< APP_DOWNLOAD_FAILED / APP_IMAGE_DOWNLOAD_FAILED
    kAppBadChecksum,            //!< APP_DOWNLOAD_FAILED / APP_IMAGE_DOWNLOAD_FAILED (checksum mismatch)
    kDatasetDownloadFailed,     //!< DATA_DOWNLOAD_FAILED / DATASET_FILE_DOWNLOAD_FAILED
    kDatasetBadChecksum,        //!< DATA_DOWNLOAD_FAILED / DATASET_FILE_BAD_CHECKSUM
    kInputFilesDownloadFailed,  //!< DATA_DOWNLOAD_FAILED / INPUT_FILES_DOWNLOAD_FAILED
    kAppFailed,                 //!< COMPUTE_FAILED / APP_COMPUTE_FAILED (non-zero exit, killed for memory or pids)
    kAppTimeout,                //!< COMPUTE_FAILED / APP_COMPUTE_TIMEOUT
    kOutputTooLarge,            //!< COMPUTE_FAILED / APP_OUTPUT_TOO_LARGE
    kComputedJsonMissing,       //!< COMPUTE_FAILED / DETERMINISM_HASH_NOT_FOUND
    kComputedJsonInvalid,       //!< COMPUTE_FAILED / COMPUTED_FILE_NOT_VALID
    kFileNameTooLong,           //!< COMPUTE_FAILED / POST_COMPUTE_TOO_LONG_RESULT_FILE_NAME
};
std::string_view status_name(FailureCause cause) noexcept;  //!< "COMPUTE_FAILED"
std::string_view cause_name(FailureCause cause) noexcept;   //!< "APP_COMPUTE_FAILED"

//! The exact error.txt content for a cause.
std::string error_text(FailureCause cause);

//! Empties `out_dir` and writes the error result into it (error.txt, computed.json).
Result<void> write_error_result(const std::filesystem::path& out_dir, FailureCause cause);

//! What the output of a finished app amounts to.
struct CollectedResult {
    Bytes32 digest;
    std::optional<Bytes> callback_data;   //!< set for callback deals
    std::optional<FailureCause> failure;  //!< set when the error result was written instead
    std::string failure_detail;           //!< the parse / validation message behind `failure`
};

//! Reads computed.json from `out_dir` (the host folder of IEXEC_OUT, seen by the app as `out_mount`), checks the
//! output (file names ≤ kMaxResultFileName at every depth, no links or special files on the deterministic path) and
//! returns the digest. When `app_failure` is set, or computed.json is missing or invalid, or the output breaks a
//! rule, the error result is written into out_dir and its digest returned (with `failure` set).
//! Errors (Result's error side) are only I/O failures of the worker itself.
Result<CollectedResult> collect_result(const std::filesystem::path& out_dir, bool callback_deal,
                                       std::optional<FailureCause> app_failure,
                                       std::string_view out_mount = "/iexec_out");

//! Everything a contribution needs (protocol/ids.hpp formulas, reused): resultHash = keccak256(taskid ‖ digest),
//! resultSeal = keccak256(worker ‖ taskid ‖ digest).
struct ContributionHashes {
    Bytes32 digest;
    Bytes32 result_hash;
    Bytes32 result_seal;
};
ContributionHashes make_contribution(const Address& worker, const Bytes32& task_id, const Bytes32& digest);

}  // namespace wp::worker
