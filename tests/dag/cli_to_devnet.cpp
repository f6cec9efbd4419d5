// dag.cli_cannot_see_devnet: the user's CLI library (what `iexec` links) must not reach the devnet code.
#include <wp/cli/parse.hpp>

#include <wp/devnet/devnet.hpp>

int wp_dag_cli_to_devnet_probe() { return 0; }
