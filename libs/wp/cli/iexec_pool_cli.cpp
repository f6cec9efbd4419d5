#include "iexec_pool_cli.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "parse.hpp"
#include "version.hpp"

namespace wp::cli {

int run_iexec_pool(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"iexec-pool: run an iExec workerpool (chain, market, scheduler, workers, dashboard)", "iexec-pool"};
    app.set_version_flag("-V,--version", version());
    app.require_subcommand(0, 1);
    if (auto done = parse_or_exit(app, argc, argv, out, err)) return *done;
    if (app.get_subcommands().empty()) {
        out << app.help();
    }
    return 0;
}

int run_iexec_pool(int argc, char** argv) { return run_iexec_pool(argc, argv, std::cout, std::cerr); }

}  // namespace wp::cli
