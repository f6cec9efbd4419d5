#pragma once
// What `iexec app|dataset|workerpool` share (SDK 9.0.1 common/protocol/registries.js, iexec-app.js,
// iexec-dataset.js, iexec-workerpool.js, §4.1): the resource named on the command line or found in deployed.json, an
// index into the owner's tokens, the registry's Transfer event of a deployment, and the commands written once for the
// three kinds: deploy, show, count, publish, unpublish, transfer.

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

//! Adds `<kind> deploy|show|count` to `group`, one implementation for the three kinds (SDK help texts):
//!  - deploy: the iexec.json section (`Missing <kind> in "iexec.json". Did you forget to run "iexec <kind> init"?`;
//!    required string fields named `<field> is a required field in <kind> of "iexec.json"`), refused when the
//!    predicted address is registered (`<Kind> already deployed at address <address>`), then create<Kind>; writes
//!    deployed.json; raw `{address, txHash}`. App: type DOCKER, a Docker image name (no multiformats address), no
//!    mrenclave. Dataset: the multiaddr in the SDK's binary format (multiaddr.hpp).
//!  - show [addressOrIndex] [--user]: resource_to_show, then the contract's fields in the SDK's key order; raw
//!    `{address, <kind>: {...}}`.
//!  - count [--user]: the registry's balanceOf; raw `{count}`.
void add_registry_commands(Registry& r, CLI::App* group, ResourceKind kind);

//! Adds the SDK's order shortcuts `<kind> publish [address]` and `<kind> unpublish [address] [--all]` to `group`.
//! publish: the address (or deployed.json: `No <kind> specified, using last <kind> deployed from "deployed.json"`),
//! `No <kind> deployed at address <address>`, an order built from the flags (SDK defaults: app and dataset volume
//! 1000000, workerpool volume 1 and category 0; price in nRLC or `<n> RLC`; tag names or bytes32; restrictions),
//! the preflight (workerpool: always, preflight.hpp; app: owner + `App <a> has an MREnclave, which is no longer
//! supported`; dataset: owner, and a TEE tag needs the SMS (sms.hpp); both skipped by --skip-preflight-check), the
//! prompt `Do you want to publish the following <kind>order? <order>` (unless --force), then sign and publish on the
//! chain's market; raw `{orderHash}`. unpublish: the prompt `Do you want to unpublish your last <kind>order for
//! <kind> <address>?` (or `all your <kind>orders`), then the market's unpublish last / all; raw `{unpublished}` (a
//! hash, or an array with --all).
void add_publish_commands(Registry& r, CLI::App* group, ResourceKind kind);

}  // namespace wp::cli
