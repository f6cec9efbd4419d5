#pragma once
// Entry points of the two binaries; apps/*/main.cpp only forward to these.

#include <iosfwd>

#include "context.hpp"

namespace wp::cli {

//! Runs `iexec <args>` in `environment` (tests give a scratch directory, string streams and no terminal);
//! returns the process exit code.
int run_iexec(int argc, const char* const* argv, const Environment& environment);
//! Runs `iexec <args>` in the real process environment with the given streams.
int run_iexec(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int run_iexec(int argc, char** argv);

}  // namespace wp::cli
