#pragma once
// Helpers shared by the order / market commands (cmd_order.cpp: `iexec order *`, `iexec workerpool publish|
// unpublish`; cmd_orderbook.cpp; cmd_app_run.cpp). Each reads through the invocation's Context (context.hpp) and
// returns the SDK's messages.
//
// Not thread-safe (one Context per invocation).

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include <wp/core/result.hpp>
#include <wp/protocol/order.hpp>

#include "context.hpp"
#include "market_client.hpp"

namespace wp::cli {

//! The market of the selected chain (chain.json iexecGateway, or the built-in one), with the chain's id.
Result<MarketClient> open_market(Context& ctx);

//! An unsigned order of `kind` as written in iexec.json `order.<kind>order` (or built by a command), with the SDK's
//! create*order defaults for the optional fields (prices "0", volume "1", trust "0", tag 0x0, restrictions 0x0;
//! request orders: dataset / workerpool / callback 0x0, beneficiary = requester, params ""). The prices accept the
//! SDK's amounts ("5", "5 nRLC", "1.5 RLC"); tags names, "a,b" or bytes32; request `params` an object (serialised
//! as JSON) or a string, then normalised as sdk_request_params does. Errors name the order and the field:
//! "workerpoolorder.workerpoolprice: 0.5 is not a valid amount", `workerpoolorder: missing "workerpool"`.
Result<Order> unsigned_order_from_json(OrderKind kind, const boost::json::value& json);

//! The request params the SDK 9.0.1 signs (createRequestorder, validator objParamsSchema), observed byte for byte:
//! a string s stands for {"iexec_args": s}; without a callback and without "iexec_result_storage_provider", that
//! key is added with "ipfs" and the object is rebuilt in the SDK's key order (iexec_secrets,
//! iexec_result_storage_provider, iexec_result_encryption, iexec_bulk_cid, iexec_input_files, iexec_args; other keys
//! dropped); otherwise the object is kept as written. Returns the JSON text. Errors: params neither a string nor an
//! object (`requestorder.params: expected a JSON object or a string`).
Result<std::string> sdk_request_params(const boost::json::value& params, bool has_callback);

//! A fresh random salt, the hub's EIP-712 domain (domain()) and the wallet's signature.
Result<Order> sign_with_wallet(Context& ctx, Order order);

//! The order's hash on the selected chain (domain read from the hub).
Result<Bytes32> hash_on_chain(Context& ctx, const Order& order);

//! The SDK's pretty(): `value` rendered as aligned YAML-like lines, starting with a newline (as the SDK appends it
//! after a colon).
std::string pretty(const boost::json::value& value);

//! Asks `question` unless --force / --raw; a "no" is the error "Operation aborted by user".
Result<void> confirm_or_abort(Context& ctx, std::string_view question);

}  // namespace wp::cli
