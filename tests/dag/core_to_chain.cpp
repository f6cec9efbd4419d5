// dag.upward_core_to_chain: linked with wp_core only, so this include MUST NOT compile (core is below chain).
#include <wp/core/hex.hpp>

#include <wp/chain/rpc.hpp>

int wp_dag_core_to_chain_probe() { return 0; }
