// dag.upward_chain_to_devnet: linked with wp_chain only, so this include MUST NOT compile (chain is below devnet).
#include <wp/chain/rpc.hpp>

#include <wp/devnet/devnet.hpp>

int wp_dag_chain_to_devnet_probe() { return 0; }
