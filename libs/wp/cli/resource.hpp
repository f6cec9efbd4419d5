#pragma once
// What `iexec app|dataset|workerpool init|deploy|show|count|transfer` share (SDK 9.0.1
// common/protocol/registries.js, §4.1): the resource named on the command line or found in deployed.json, an index
// into the owner's tokens, the registry's Transfer event of a deployment, the `transfer` command.

#include <optional>
#include <string>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/core/address.hpp>
#include <wp/core/result.hpp>

#include "context.hpp"
#include "files.hpp"

namespace CLI {
class App;
}

namespace wp::cli {

class Registry;

//! The address a show command works on: `argument` when it is an address; else, when it is a decimal index,
//! tokenOfOwnerByIndex(user, index) of the registry (`--user` or the wallet; index >= count: `<kind> not
//! deployed`); without argument, deployed.json for the chain (`Missing <kind>Address and no <kind> found in
//! "deployed.json" for chain <id>`). Checks the registry: `No <kind> found for id <address> on chain <id>`.
Result<Address> resource_to_show(Context& ctx, ResourceKind kind, const std::optional<std::string>& argument,
                                 const std::optional<std::string>& user);

//! --user, else the wallet's address (`Missing option --user <address> or wallet`).
Result<Address> user_or_wallet(Context& ctx, const std::optional<std::string>& user);

//! The token id (as an address) of the ERC-721 Transfer event emitted by `registry` in `receipt`.
Result<Address> minted_address(const chain::Receipt& receipt, const Address& registry);

//! A required string field of an iexec.json section (`<section>.<key>: expected a string`).
Result<std::string> section_string(const boost::json::object& section, std::string_view section_name,
                                   std::string_view key);

//! chain::RegistryKind of a resource kind.
chain::RegistryKind registry_of(ResourceKind kind);

//! Adds `<kind> transfer <address> --to <address> [--force]` to `group` (SDK transferObj): `Missing --to option`,
//! the prompt `Do you want to transfer the ownership of the <kind> <address> to <to> [chainId: <id>]` (unless
//! --force), `Invalid <kind> address` (not in the registry), `Only <kind> owner can transfer <kind> ownership`, then
//! the registry's safeTransferFrom(owner, to, tokenId); raw `{address, to, txHash}`.
void add_transfer_command(Registry& r, CLI::App* group, ResourceKind kind);

}  // namespace wp::cli
