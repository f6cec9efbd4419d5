#pragma once
// The project files of the `iexec` CLI in the working directory (sdk-cli-and-market.md §2), read and written as the
// iExec SDK 9.0.1 does (src/cli/utils/fs.js):
//
// - iexec.json: any JSON object (the SDK validates a section only when a command uses it). Written by init and
//   the `<x> init` commands with JSON.stringify(obj, null, 2), no trailing newline.
// - chain.json: wp::chain::chains_file_from_json (strict). parse_chain_json maps the two most common mistakes to
//   the SDK's messages: `ValidationError: Unknown key "resultProxy" in chain.json` and
//   ``ValidationError: id must be a `string` type, but the final value was: `65535`. in chain.json``.
// - deployed.json: {"app"|"dataset"|"workerpool": {"<chainId digits>": "<address>"}}, strict (other top-level keys:
//   `ValidationError: Unknown key "x" in deployed.json`).
// - orders.json: {"<chainId>": {"apporder"|"datasetorder"|"workerpoolorder"|"requestorder": <signed order>}}; the
//   orders are read with wp::order_from_json when asked for (a bad slot fails the command that uses it, not the
//   others), and kept as JSON otherwise so a rewrite preserves them.
//
// Malformed JSON: `SyntaxError: <parser message> at line L, column C in <file>`. The parsers are pure (no I/O)
// and bounded (files above 16 MiB are refused by the loaders in context.hpp); thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/chain/chain_config.hpp>
#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/protocol/order.hpp>

namespace wp::cli {

inline constexpr std::string_view kIexecFile = "iexec.json";
inline constexpr std::string_view kChainFile = "chain.json";
inline constexpr std::string_view kDeployedFile = "deployed.json";
inline constexpr std::string_view kOrdersFile = "orders.json";

//! JSON.stringify(value, null, 2): two-space indentation, `"key": value`, "{}" / "[]" when empty; no newline at
//! the end (the SDK's files end without one).
std::string json_stringify(const boost::json::value& value);

//! Parses `text` as JSON (duplicate keys: the last wins, like JSON.parse); `SyntaxError: ... in <file>`.
Result<boost::json::value> parse_json_file_text(std::string_view text, std::string_view file);

//! iexec.json: must be a JSON object (`iexec.json must contain a JSON object`).
Result<boost::json::object> parse_iexec_json(std::string_view text);
//! The default iexec.json of `iexec init` (description, license, author, social, logo).
boost::json::object default_iexec_json();

//! chain.json (see the header comment for the SDK messages).
Result<chain::ChainsFile> parse_chain_json(std::string_view text);
//! The chain.json text the SDK writes (json_stringify of chain::to_json).
std::string chain_json_text(const chain::ChainsFile& file);

//! The kind of a deployed resource.
enum class ResourceKind : std::uint8_t { kApp, kDataset, kWorkerpool };
//! "app", "dataset", "workerpool".
std::string_view resource_key(ResourceKind kind) noexcept;

//! deployed.json (validated; the keys keep their order, as the SDK's rewrite does).
struct DeployedFile {
    //! resource key -> chain id (decimal string) -> address string.
    boost::json::object json;

    //! The address deployed on `chain_id` for `kind`, if any.
    std::optional<Address> find(ResourceKind kind, std::uint64_t chain_id) const;
    void set(ResourceKind kind, std::uint64_t chain_id, const Address& address);
};
Result<DeployedFile> parse_deployed_json(std::string_view text);
//! json_stringify(file.json): keys in file order, new ones appended (the SDK's order).
std::string deployed_json_text(const DeployedFile& file);

//! orders.json.
struct OrdersFile {
    boost::json::object json;  //!< chainId -> {orderKey -> order}

    //! The signed order of `kind` for `chain_id`: nullopt when absent, an error (naming the slot) when malformed.
    Result<std::optional<Order>> find(OrderKind kind, std::uint64_t chain_id) const;
    //! Stores `order` (order_to_json, signed form) in its slot, replacing the previous one.
    void set(std::uint64_t chain_id, const Order& order);
};
//! The top level must be an object of objects.
Result<OrdersFile> parse_orders_json(std::string_view text);
std::string orders_json_text(const OrdersFile& file);

}  // namespace wp::cli
