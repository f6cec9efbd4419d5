// `iexec-pool`: the workerpool services (devnet, deploy-poco, up, chain, market, core, worker).
#include <wp/poolcli/iexec_pool_cli.hpp>

int main(int argc, char** argv) { return wp::poolcli::run_iexec_pool(argc, argv); }
