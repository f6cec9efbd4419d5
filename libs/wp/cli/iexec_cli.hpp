#pragma once
// Entry points of the two binaries; apps/*/main.cpp only forward to these.

#include <iosfwd>

namespace wp::cli {

//! Runs `iexec <args>` with the given streams; returns the process exit code.
int run_iexec(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int run_iexec(int argc, char** argv);

}  // namespace wp::cli
