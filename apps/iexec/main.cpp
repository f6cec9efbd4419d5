// `iexec`: the workerpool manager's and requester's CLI (SDK-compatible grammar).
#include <wp/cli/iexec_cli.hpp>

int main(int argc, char** argv) { return wp::cli::run_iexec(argc, argv); }
