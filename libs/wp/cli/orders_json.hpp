#pragma once
// Order arguments of the CLI: an order given as JSON text or @file, plus the EIP-712 domain
// (chain id and hub) given on the command line.

#include <string_view>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/protocol/order.hpp>

namespace wp::cli {

struct HashedOrder {
    Order order;
    Domain domain;
    Bytes32 domain_separator;
    Bytes32 struct_hash;
    Bytes32 order_hash;
};

//! Parses kind ("app" | "dataset" | "workerpool" | "request"), the order JSON (or @file), the
//! chain id (decimal or 0x) and the hub address, then hashes. Errors name the argument:
//! "--chain-id: ...", "--hub: ...", "--order: ...", "workerpoolorder.volume: ...".
Result<HashedOrder> hash_order_argument(std::string_view kind, std::string_view order_json, std::string_view chain_id,
                                        std::string_view hub);

}  // namespace wp::cli
