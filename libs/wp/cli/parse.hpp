#pragma once
// Command-line parsing shared by the binaries, with the SDK's conventions: --help and --version
// print and succeed; usage errors (unknown option, missing or excess argument) are plain text on
// stderr with exit code 1, never JSON, even with --raw.

#include <iosfwd>
#include <optional>

#include <CLI/CLI.hpp>

namespace wp::cli {

//! Parses argv into `app` (running the callbacks of the selected commands). Returns std::nullopt
//! when the caller should go on, or the process exit code when parsing already ended the run.
std::optional<int> parse_or_exit(CLI::App& app, int argc, const char* const* argv, std::ostream& out,
                                 std::ostream& err);

}  // namespace wp::cli
