#pragma once
// The app bundle's manifest, `iexec-app.json` at the root of the bundle (docs/worker.md, "App bundle").
//
//   { "entrypoint": "bin/app", "args": ["--default", "x"] }
//
//   "entrypoint": required string, a relative path inside the bundle (check_relative_path rules): the program the
//       sandbox runs (a static binary, or a script whose #! line names /bin/sh, which the sandbox provides);
//   "args": optional array of strings (≤ 256 items, each ≤ 4096 bytes, no NUL): the default command line, used
//       only when the deal's iexec_args is empty (Docker's CMD, replaced by the command, entrypoint kept);
//   any other key, a duplicate key, a wrong type or a text over 64 KiB is an error.
// Errors are Errc::kDecoding / kInvalidArgument / kTooLarge with messages starting "iexec-app.json: ".
// Pure; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include <wp/core/result.hpp>

namespace wp::worker {

inline constexpr const char* kManifestName = "iexec-app.json";

struct AppManifest {
    std::string entrypoint;
    std::vector<std::string> args;
};

Result<AppManifest> parse_manifest(std::string_view text);

}  // namespace wp::worker
