#pragma once
// The result archive: iexec_out zipped deterministically (libzip), so the same output gives the same bytes on
// every worker and every run.
//
// Layout: every file and folder of `dir`, paths relative to it (computed.json at the root of the archive), in
// byte order of the relative path (a folder right before its content), folders as "name/" entries; deflate level
// 6; every entry dated 1980-01-01 00:00:00 (DOS time 0); external attributes = Unix mode 0644 for files (0755
// when any execute bit is set) and 0755 for folders; no comment, no extra fields.
// Errors: Errc::kInvalidArgument for a symbolic link or special file in `dir` (named), Errc::kIo for libzip or
// file-system failures (naming the file).
// Thread safety: concurrent calls on different archives are fine.

#include <filesystem>

#include <wp/core/result.hpp>

namespace wp::worker {

Result<void> zip_folder(const std::filesystem::path& dir, const std::filesystem::path& zip_path);

}  // namespace wp::worker
