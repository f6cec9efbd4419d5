#pragma once
// The iexec SDK's chain.json (SDK 9.0.1: src/cli/utils/fs.js chainsConfSchema, src/cli/utils/chains.js loadChain,
// src/common/utils/config.js networkConfigs; shared/reference/sdk-cli-and-market.md §2.2), and the built-in
// networks (protocol.md §10).
//
//   {"default": "arbitrum-sepolia-testnet",          optional string
//    "allowExperimentalNetworks": false,             optional bool
//    "chains": {                                     required object: name -> chain
//      "arbitrum-sepolia-testnet": {},
//      "dev": {"id": "31337", "host": "http://127.0.0.1:8545", "hub": "0x…",
//              "sms": "http://…", "ipfsGateway": "…", "iexecGateway": "…", "compass": "…", "pocoSubgraph": "…"}}}
//
// Every chain key is optional (a known network's name or id brings defaults). Parsing is strict like the SDK's
// (yup strict + noUnknown): unknown keys are errors (v8 keys such as resultProxy, native, useGas included), every
// value must have its JSON type (id is a JSON *string* of decimal digits; a number is an error), sms must start
// with http:// or https://. Beyond the SDK (which types hub as any string), hub must be an address (EIP-55
// checksum checked when mixed-case) and id must fit in 64 bits. Errors are Errc::kDecoding (or the address parser's
// code) and name the path: "chain.json: chains.dev.id: expected a string of decimal digits".

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>

namespace wp::chain {

//! One entry of "chains" (absent keys are nullopt).
struct ChainEntry {
    std::optional<std::uint64_t> id{};           //!< "id": written as a JSON string
    std::optional<std::string> host{};           //!< "host": the JSON-RPC URL
    std::optional<Address> hub{};                //!< "hub"
    std::optional<std::string> sms{};            //!< "sms": http(s) URL
    std::optional<std::string> ipfs_gateway{};   //!< "ipfsGateway"
    std::optional<std::string> iexec_gateway{};  //!< "iexecGateway": the market API base URL
    std::optional<std::string> compass{};        //!< "compass"
    std::optional<std::string> poco_subgraph{};  //!< "pocoSubgraph"

    friend bool operator==(const ChainEntry&, const ChainEntry&) = default;
};

//! The whole chain.json.
struct ChainsFile {
    std::optional<std::string> default_chain;                //!< "default"
    std::optional<bool> allow_experimental_networks;         //!< "allowExperimentalNetworks"
    std::vector<std::pair<std::string, ChainEntry>> chains;  //!< "chains", in file order (names are unique)

    //! The entry named `name`, or nullptr.
    const ChainEntry* find(std::string_view name) const;

    friend bool operator==(const ChainsFile&, const ChainsFile&) = default;
};

//! A built-in network (SDK 9.0.1 networkConfigs, plus the RLC token of protocol.md §10).
struct KnownNetwork {
    std::uint64_t id;
    std::string_view name;  //!< "arbitrum-mainnet", "arbitrum-sepolia-testnet"
    std::string_view hub;   //!< EIP-55
    std::string_view rlc;   //!< the RLC token (EIP-55)
    std::string_view host;
    std::string_view sms;
    std::string_view ipfs_gateway;
    std::string_view ipfs_node;  //!< SDK default only (not a chain.json key)
    std::string_view iexec_gateway;
    std::string_view compass;
    std::string_view poco_subgraph;
};

//! Arbitrum Sepolia (421614) then Arbitrum One (42161), the SDK's order.
std::span<const KnownNetwork> known_networks() noexcept;
//! By name ("arbitrum-mainnet") or decimal id ("42161"); nullptr when unknown.
const KnownNetwork* find_known_network(std::string_view name_or_id) noexcept;
const KnownNetwork* find_known_network(std::uint64_t id) noexcept;

//! The effective configuration of one chain.
struct ResolvedChain {
    std::string name;
    std::uint64_t id{0};
    std::string host;
    std::optional<Address> hub;
    std::optional<std::string> sms;
    std::optional<std::string> ipfs_gateway;
    std::optional<std::string> iexec_gateway;
    std::optional<std::string> compass;
    std::optional<std::string> poco_subgraph;
};

//! The SDK's loadChain: the chain named `name_or_id` if chains has it, else the known network with that name or id
//! if chains has an entry under the network's name, else (no name given) `default`. The effective values are
//! {id} ⊕ the known network's defaults for that id ⊕ the file entry (the entry wins), where id is the entry's id
//! or, if absent, the id of the known network of that name.
//! Errors (Errc::kInvalidArgument, the SDK's messages): `Missing "<x>" chain in "chain.json"`,
//! `Missing chain parameter. Check your "chain.json" file`, `Missing RPC host, no "host" key in "chain.json" and no
//! default value for chain <id>`; and, where the SDK would go on with an undefined id,
//! `Missing chain id, no "id" key in "chain.json" for chain "<name>" and no known network of that name`.
Result<ResolvedChain> resolve_chain(const ChainsFile& file, std::optional<std::string_view> name_or_id = {});

//! Strict parsing (see the header comment).
Result<ChainsFile> chains_file_from_json(const boost::json::value& json);
Result<ChainsFile> chains_file_from_json_text(std::string_view text);

//! The JSON object, keys in the SDK's order (default, allowExperimentalNetworks, chains; per chain id, host, hub,
//! sms, ipfsGateway, iexecGateway, compass, pocoSubgraph), absent values omitted, hub EIP-55 checksummed.
boost::json::object to_json(const ChainsFile& file);
//! JSON.stringify(to_json(file), null, 2) (two-space indentation, "{}" for an empty object, ": " after keys) plus
//! a trailing newline.
std::string to_json_text(const ChainsFile& file);

//! What `iexec init` writes: default "arbitrum-sepolia-testnet", chains {"arbitrum-mainnet": {},
//! "arbitrum-sepolia-testnet": {}}.
ChainsFile default_chains_file();
//! A chain.json for one local chain: default `name`, chains {name: {id, host, hub}} (e.g. the devnet's "dev").
ChainsFile local_chains_file(std::string name, std::uint64_t chain_id, std::string host, const Address& hub);

}  // namespace wp::chain
