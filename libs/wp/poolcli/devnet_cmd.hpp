#pragma once
// `iexec-pool deploy-poco`, `iexec-pool devnet` and `iexec-pool chain` (devnet mining as `up` does) (the logic is in
// libs/wp/devnet; this is the CLI glue). Module poolcli: the operator's `iexec-pool` commands. Only apps/iexec-pool
// links it, so the user's `iexec` binary (module cli) never links the devnet / anvil code.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace wp::poolcli {

struct DeployPocoArgs {
    std::string rpc;           //!< JSON-RPC URL
    std::string poco_package;  //!< unpacked @iexec/poco@6.1.0
    std::string deployer_key;  //!< 0x hex; empty: anvil dev account 0
    std::string info_file;     //!< where to write the deployment info JSON (empty: stdout only)
};

struct DevnetArgs {
    std::uint16_t port{8545};
    std::string data_dir;  //!< anvil.log goes there (empty: discarded)
    std::string info_file;
    std::string state_file;               //!< keep the chain there across runs (empty: a fresh chain every time)
    std::string anvil;                    //!< anvil binary
    std::string poco_package;             //!< unpacked @iexec/poco@6.1.0
    std::vector<std::string> anvil_args;  //!< extra anvil arguments (`chain`: up's mining, up_chain_anvil_args())
};

//! The default anvil binary / PoCo package: $WP_ANVIL_BIN / $WP_POCO_DIR, else the paths configured at build time
//! (tools/devnet of the source tree), else empty.
std::string default_anvil_bin();
std::string default_poco_dir();

//! Deploys PoCo on `args.rpc`, prints the progress and the addresses, writes the info file. Returns the exit code.
int run_deploy_poco(const DeployPocoArgs& args, std::ostream& out, std::ostream& err);

//! Starts anvil, deploys PoCo, funds the dev accounts, prints the addresses and a chain.json, writes the info
//! file, then waits for SIGINT / SIGTERM and stops anvil. Returns 0 after a clean stop, 1 on errors (including
//! anvil dying on its own).
int run_devnet(const DevnetArgs& args, std::ostream& out, std::ostream& err);

}  // namespace wp::poolcli
