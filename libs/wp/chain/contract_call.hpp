#pragma once
// ContractCall: what a transaction (or an eth_call simulation) does, independent of who signs it, its nonce and
// fees. The typed Hub builds these; the transaction manager signs, sends and tracks them.
#include <optional>
#include <string>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/uint256.hpp>

namespace wp::chain {

struct ContractCall {
    std::optional<Address> to;  //!< nullopt: contract creation (data is the init code)
    Bytes data;                 //!< calldata (selector + ABI-encoded arguments)
    U256 value{};               //!< wei sent with the call
    std::string description;    //!< short human label for logs and errors, e.g. "matchOrders"
};

}  // namespace wp::chain
