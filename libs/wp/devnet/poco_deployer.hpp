#pragma once
// Deploys PoCo v6.1.0 (the plan of deploy/poco_plan.hpp) on a node with our own client and transaction code,
// then checks the result (shared/reference/local-chain.md §4.4).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <wp/chain/eth.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/deploy/deployment_info.hpp>
#include <wp/deploy/poco_artifacts.hpp>
#include <wp/deploy/poco_plan.hpp>

namespace wp::devnet {

//! Receives human-readable progress lines ("deploying PoCo: 12/44 deploy IexecPoco1Facet (0x59b6…)").
using LogLine = std::function<void(std::string_view)>;

struct DeployPocoOptions {
    //! Gas limit of every transaction (the largest, AppRegistry, needs about 4.0 M; §4.6). Lowered to the
    //! latest block's gas limit when that is smaller.
    std::uint64_t gas_limit{8'000'000};
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};  //!< for all receipts
    bool verify{true};                                            //!< run verify_poco_deployment afterwards
};

struct PocoDeployment {
    PocoPlan plan;
    DeploymentInfo info;  //!< accounts left empty
    std::uint64_t chain_id{0};
    std::uint64_t gas_used{0};
    std::chrono::milliseconds elapsed{0};
};

//! Deploys the plan from `deployer`:
//!   chain id from eth_chainId, nonce from eth_getTransactionCount(deployer, "pending"); the plan is made with
//!   first_nonce = that nonce (when it is not 0 the addresses differ from §4.5: a log line says so); fees from
//!   suggest_fees; all 44 transactions are signed and sent in one batch, then every receipt must have status 1
//!   and, for creations, contractAddress == the planned address. Then verify_poco_deployment when options.verify.
//! Errors: RPC errors, plan errors, a reverted transaction, an address mismatch (Errc::kRemote), a failed check.
Result<PocoDeployment> deploy_poco(chain::JsonRpcClient& rpc, const PocoArtifacts& artifacts,
                                   const PrivateKey& deployer, const DeployPocoOptions& options = {},
                                   const LogLine& log = {});

//! The §4.4 checks by eth_call through the hub: owner() == owner, eip712domain_separator() ==
//! Domain::iexec(chain_id, hub).separator() (protocol/order.hpp), countCategory() == 5, token() == plan.rlc,
//! appregistry() == plan.app_registry, callbackgas() == 100000. Errc::kRemote naming the first failed check.
Result<void> verify_poco_deployment(chain::EthClient& eth, const PocoPlan& plan, const Address& owner,
                                    std::uint64_t chain_id);

}  // namespace wp::devnet
