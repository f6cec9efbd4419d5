#pragma once
// `iexec-pool devnet` as a library: anvil + PoCo + funded dev accounts, and the files that describe it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/deploy/deployment_info.hpp>

#include "anvil.hpp"
#include "funding.hpp"
#include "poco_deployer.hpp"

namespace wp::devnet {

//! The iexec SDK v9 chain.json for a local chain (chain/chain_config.hpp local_chains_file + to_json_text), two-space indented,
//! with a trailing newline: {"default":"dev","chains":{"dev":{"id":"<chain id as a string>","host":"<rpc>",
//! "hub":"<checksummed hub>"}}}.
std::string sdk_chain_json(std::uint64_t chain_id, std::string_view host, const Address& hub);

//! Writes `text` to `<path>.tmp` then renames it over `path`, so readers never see a partial file. Creates the
//! parent directory. Errc::kIo on failure.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view text);

struct DevnetOptions {
    AnvilOptions anvil{};
    std::filesystem::path poco_dir;  //!< the unpacked @iexec/poco@6.1.0 package
    DeployPocoOptions deploy{};
    FundingOptions funding{};
    std::size_t funded_accounts{kDevFundedAccounts};  //!< dev accounts 1..funded_accounts are funded
    //! Keeps the chain across runs (anvil --state): loaded at start when the file exists, written every
    //! state_interval and when anvil stops cleanly. With a loaded state nothing is deployed or funded: the
    //! deployment found there must pass verify_poco_deployment for the planned addresses. Empty: a fresh chain.
    std::filesystem::path state_file{};
    std::chrono::seconds state_interval{5};
    static constexpr std::size_t kDevFundedAccounts = 9;
};

struct Devnet {
    AnvilNode node;
    PocoDeployment deployment;
    DeploymentInfo info;  //!< with the 10 dev accounts (account 0 is the deployer)
    std::chrono::milliseconds deploy_time{0};
    std::chrono::milliseconds fund_time{0};
    bool resumed{false};  //!< true when the chain was loaded from DevnetOptions::state_file
};

//! Starts anvil, deploys PoCo from dev account 0, funds dev accounts 1..funded_accounts (or resumes a saved state,
//! see DevnetOptions::state_file). The node is stopped if a later step fails. Errors from each step, prefixed with the step ("deploy: …", "funding: …").
Result<Devnet> start_devnet(const DevnetOptions& options, const LogLine& log = {});

}  // namespace wp::devnet
