// dag.allowed_downward_includes: a library linked with wp_chain sees chain and everything chain depends on.
#include <wp/chain/rpc.hpp>
#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http.hpp>
#include <wp/protocol/order.hpp>

int wp_dag_allowed_probe() { return 0; }
