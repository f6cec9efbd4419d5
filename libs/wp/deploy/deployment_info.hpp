#pragma once
// The deployment info file: what a deployed local chain looks like to the other tools and tests.
//
//   {"chainId": 31337, "rpc": "http://127.0.0.1:18545",
//    "hub": "0x5FC8…5707", "token": "0x5FbD…0aa3",
//    "appRegistry": "0x…", "datasetRegistry": "0x…", "workerpoolRegistry": "0x…",
//    "accounts": [{"address": "0xf39F…2266", "privateKey": "0xac09…ff80"}, …]}
//
// Addresses are written EIP-55 checksummed, private keys as 0x + 64 lowercase hex digits, chainId as a JSON number.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "poco_plan.hpp"

namespace wp {

struct DeploymentAccount {
    Address address;
    Bytes32 private_key;

    friend bool operator==(const DeploymentAccount&, const DeploymentAccount&) = default;
};

struct DeploymentInfo {
    std::uint64_t chain_id{0};
    std::string rpc;
    Address hub;
    Address token;
    Address app_registry;
    Address dataset_registry;
    Address workerpool_registry;
    std::vector<DeploymentAccount> accounts;

    friend bool operator==(const DeploymentInfo&, const DeploymentInfo&) = default;
};

//! The info of a planned deployment (hub, token and registries from the plan); accounts are left empty.
DeploymentInfo deployment_info_from_plan(const PocoPlan& plan, std::uint64_t chain_id, std::string rpc);

//! The JSON object above, keys in that order.
boost::json::object to_json(const DeploymentInfo& info);
//! serialize(to_json(info)) with a trailing newline, two-space indentation, one key per line.
std::string to_json_text(const DeploymentInfo& info);

//! Reads the JSON object above strictly: every key required, no unknown keys; addresses with valid EIP-55 checksum
//! (or all one case); private keys of 32 bytes that are valid secp256k1 keys whose address is `address`. Errors
//! (Errc::kDecoding / the parser's code) name the key
//! ("accounts[2].privateKey: …").
Result<DeploymentInfo> deployment_info_from_json(const boost::json::value& json);
//! Parses the text first.
Result<DeploymentInfo> deployment_info_from_json_text(std::string_view text);

}  // namespace wp
