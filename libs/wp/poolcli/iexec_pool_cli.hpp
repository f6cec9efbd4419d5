#pragma once

#include <iosfwd>

namespace wp::poolcli {

//! Runs `iexec-pool <args>`; returns the process exit code (2 when the command line does not parse).
int run_iexec_pool(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
int run_iexec_pool(int argc, char** argv);

}  // namespace wp::poolcli
