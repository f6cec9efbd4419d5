#pragma once
// The deal's `iexec_args` split into a command line, shell-like (the reference gives Docker the same split).
//
// Rules (a strict subset of POSIX sh word splitting, with no expansion of any kind):
//   - words are separated by runs of space, tab, CR or LF; leading and trailing blanks are ignored;
//   - '...' takes everything literally up to the next single quote;
//   - "..." takes everything literally except \" and \\ (a backslash before any other character stays a backslash);
//   - outside quotes, a backslash makes the next character literal (a blank, a quote, a backslash);
//   - quoted parts and plain parts next to each other form one word; "" and '' make an empty word;
//   - $, `, *, ?, ~, ;, | and the like are ordinary characters (nothing is interpreted).
// Errors (Errc::kInvalidArgument, with the 0-based byte offset): an unterminated quote ("iexec_args: unbalanced
// single quote opened at offset 4"), a trailing backslash, a NUL byte, more than kMaxArgs words, an input longer
// than kMaxArgsBytes.
// Pure: no I/O; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/result.hpp>

namespace wp::worker {

inline constexpr std::size_t kMaxArgs = 4096;
inline constexpr std::size_t kMaxArgsBytes = 128 * 1024;

Result<std::vector<std::string>> split_args(std::string_view iexec_args);

}  // namespace wp::worker
