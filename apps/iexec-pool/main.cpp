// `iexec-pool`: the workerpool services (devnet, deploy-poco, up, chain, market, core, worker).
#include <wp/cli/iexec_pool_cli.hpp>

int main(int argc, char** argv) { return wp::cli::run_iexec_pool(argc, argv); }
