#pragma once
// The anvil / hardhat dev accounts of the standard test mnemonic (anvil.hpp kAnvilMnemonic), as anvil prints them
// at start (shared/reference/local-chain.md §3). These keys are public: never use them on a real network.

#include <cstddef>
#include <string_view>
#include <vector>

#include <wp/crypto/secp256k1.hpp>
#include <wp/deploy/deployment_info.hpp>

namespace wp::devnet {

//! Number of dev keys known here (anvil --accounts 10).
inline constexpr std::size_t kDevAccountCount = 10;

//! The private key of dev account `index` (m/44'/60'/0'/0/index), 0x + 64 hex digits; index < kDevAccountCount.
std::string_view dev_private_key_hex(std::size_t index);

//! The first `count` dev keys (count <= kDevAccountCount).
std::vector<PrivateKey> dev_keys(std::size_t count = kDevAccountCount);

//! The first `count` dev accounts as info-file entries (address + private key).
std::vector<DeploymentAccount> dev_accounts(std::size_t count = kDevAccountCount);

}  // namespace wp::devnet
