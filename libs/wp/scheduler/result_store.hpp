#pragma once
// ResultStore: the core's result store on the file system (docs/scheduler.md "Result store"), replacing the
// reference's result proxy + IPFS for the pool's own results.
//
//  - content-addressed: an archive is stored once as <dir>/blobs/<sha256 of the zip>.zip; each task maps to its
//    blob by <dir>/tasks/<taskId>, a small file holding that sha256 (written to a temporary name, then renamed:
//    a crash never leaves a half-written mapping; a blob is complete before any task points to it);
//  - size-limited: an upload above `max_bytes` is refused (Errc::kTooLarge), as is an archive that unpacks above
//    `max_unpacked_bytes`;
//  - verified: put() recomputes the result digest from the archive (result_digest.hpp, the reference's rule) and
//    refuses it unless it equals `expected_digest`, the digest revealed on chain by the uploader
//    (Errc::kInvalidArgument "result digest 0x… differs from the revealed digest 0x…");
//  - write-once per task: a second upload of the same bytes is accepted (idempotent retry), of other bytes refused
//    (Errc::kInvalidArgument "result of task … already stored").
// The result link of a task stored here is {"storage":"pool","location":"<public url>/results/<taskId>"}
// (result_link_json), what finalize sends on chain and what the requester downloads.
//
// Thread safety: every member may be called from any thread (file operations are atomic renames; the directory
// layout needs no lock).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::scheduler {

struct ResultStoreOptions {
    std::filesystem::path dir{"results"};
    std::uint64_t max_bytes{100ULL * 1024 * 1024};
    std::uint64_t max_unpacked_bytes{1ULL << 30};
};

class ResultStore {
  public:
    //! Creates the folders when missing. Errc::kIo naming the folder when it cannot.
    static Result<ResultStore> open(ResultStoreOptions options);

    //! Verifies and stores the archive of `task_id` (rules above). Returns the archive's sha256 (its address).
    Result<Bytes32> put(const Bytes32& task_id, ByteView zip, const Bytes32& expected_digest);
    //! The archive of the task, nullopt when none is stored. Errc::kIo on a read failure.
    Result<std::optional<Bytes>> get(const Bytes32& task_id) const;
    //! The path of the task's archive on disk (to stream it), nullopt when none is stored.
    Result<std::optional<std::filesystem::path>> path_of(const Bytes32& task_id) const;
    bool has(const Bytes32& task_id) const;

    const ResultStoreOptions& options() const { return options_; }

  private:
    explicit ResultStore(ResultStoreOptions options) : options_(std::move(options)) {}
    std::filesystem::path task_file(const Bytes32& task_id) const;
    std::filesystem::path blob_file(const Bytes32& sha) const;
    ResultStoreOptions options_;
};

//! The JSON result link sent to finalize: {"storage":"<storage>","location":"<location>"} (keys in that order,
//! no spaces).
std::string result_link_json(std::string_view storage, std::string_view location);
//! "<public_url>/results/<taskId>" (no double slash).
std::string result_location(std::string_view public_url, const Bytes32& task_id);

}  // namespace wp::scheduler
