#pragma once
// Typed Ethereum JSON-RPC (https://ethereum.github.io/execution-apis/api-documentation/): the eth_ methods the
// chain client needs, their result types, and the strict parsers behind them.
//
// Parsing rules (the parse_* functions; errors are Errc::kDecoding and name the field path, e.g.
// "receipt.logs[2].topics[0]: invalid hex digit 'z' at position 5"):
//   - QUANTITY fields: a JSON string accepted by U256::from_hex (0x prefix, 1 to 64 hex digits); fields that
//     are 64-bit by nature (block numbers, gas, nonces, indexes, timestamps) must also fit in 64 bits;
//   - DATA fields: strict 0x hex (hex.hpp); hashes exactly 32 bytes, addresses exactly 20 bytes;
//   - required fields must be present; null is accepted only where the spec allows it (contractAddress, to,
//     baseFeePerGas on pre-London blocks, whole results of receipt / block lookups that found nothing).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "rpc.hpp"

namespace wp::chain {

//! A block parameter: "latest", "pending", "earliest", "safe", "finalized" or a block number.
class BlockTag {
  public:
    static BlockTag latest() { return BlockTag("latest"); }
    static BlockTag pending() { return BlockTag("pending"); }
    static BlockTag earliest() { return BlockTag("earliest"); }
    static BlockTag safe() { return BlockTag("safe"); }
    static BlockTag finalized() { return BlockTag("finalized"); }
    static BlockTag number(std::uint64_t n) { return BlockTag(U256(n).to_hex_quantity()); }
    //! The JSON-RPC string ("latest", "0x1b4").
    const std::string& str() const { return value_; }
    friend bool operator==(const BlockTag&, const BlockTag&) = default;

  private:
    explicit BlockTag(std::string v) : value_(std::move(v)) {}
    std::string value_;
};

struct Log {
    Address address;
    std::vector<Bytes32> topics;
    Bytes data;
    std::uint64_t block_number{0};
    Bytes32 block_hash;
    Bytes32 transaction_hash;
    std::uint64_t transaction_index{0};
    std::uint64_t log_index{0};
    bool removed{false};  //!< true when the log was removed by a reorg (absent means false)

    friend bool operator==(const Log&, const Log&) = default;
};

struct Receipt {
    Bytes32 transaction_hash;
    std::uint64_t transaction_index{0};
    Bytes32 block_hash;
    std::uint64_t block_number{0};
    Address from;
    std::optional<Address> to;                //!< nullopt for contract creation
    std::optional<Address> contract_address;  //!< set for contract creation
    std::uint64_t gas_used{0};
    std::uint64_t cumulative_gas_used{0};
    U256 effective_gas_price;  //!< 0 when the node omits it
    bool status{false};        //!< true = success (status 0x1)
    std::uint8_t type{0};      //!< 0 legacy, 1, 2 (0 when omitted)
    std::vector<Log> logs;
};

struct BlockHeader {
    std::uint64_t number{0};
    Bytes32 hash;
    Bytes32 parent_hash;
    std::uint64_t timestamp{0};
    std::uint64_t gas_limit{0};
    std::uint64_t gas_used{0};
    std::optional<U256> base_fee_per_gas;  //!< nullopt before London
};

//! eth_getLogs filter. Either a block range (from/to, default "latest") or a block hash, not both.
struct LogFilter {
    std::optional<BlockTag> from_block{};
    std::optional<BlockTag> to_block{};
    std::optional<Bytes32> block_hash{};
    std::vector<Address> addresses{};  //!< empty: any address
    //! Per topic position: nullopt = any value, else one of the listed values. Trailing wildcards may be omitted.
    std::vector<std::optional<std::vector<Bytes32>>> topics{};
};

//! The transaction object of eth_call / eth_estimateGas.
struct CallRequest {
    std::optional<Address> from{};
    std::optional<Address> to{};  //!< nullopt: contract creation
    Bytes data{};
    std::optional<U256> value{};
    std::optional<std::uint64_t> gas{};
    std::optional<U256> gas_price{};
    std::optional<U256> max_fee_per_gas{};
    std::optional<U256> max_priority_fee_per_gas{};
};

// ---- JSON conversions (pure) ----

//! A QUANTITY string as U256 / as a 64-bit value (Errc::kDecoding naming `field`).
Result<U256> parse_quantity(const boost::json::value& v, std::string_view field);
Result<std::uint64_t> parse_quantity_u64(const boost::json::value& v, std::string_view field);
Result<Log> parse_log(const boost::json::value& v, std::string_view field = "log");
Result<Receipt> parse_receipt(const boost::json::value& v);
Result<BlockHeader> parse_block_header(const boost::json::value& v);
//! The JSON object of a call request (QUANTITYs minimal hex, data as "input" and "data" both, as ethers sends).
boost::json::object to_json(const CallRequest& call);
//! The JSON object of a log filter. Errc::kInvalidArgument if block_hash is combined with a block range.
Result<boost::json::object> to_json(const LogFilter& filter);

//! The JSON-RPC call eth_call(call, block), for batches.
RpcCall eth_call_request(const CallRequest& call, const BlockTag& block);
//! The return data of an eth_call answer (the RPC error as is; a result that is not 0x-hex: Errc::kDecoding).
RpcResult<Bytes> eth_call_result(RpcResult<boost::json::value> answer);

//! Typed eth_ methods over a JsonRpcClient (which must outlive this object). Result-shape errors are
//! RpcError kind Errc::kDecoding with the method name in the message.
class EthClient {
  public:
    explicit EthClient(JsonRpcClient& rpc) : rpc_(rpc) {}

    RpcResult<std::uint64_t> chain_id();
    RpcResult<std::uint64_t> block_number();
    RpcResult<U256> get_balance(const Address& account, const BlockTag& block = BlockTag::latest());
    //! The account nonce; BlockTag::pending() counts transactions in the node's pool.
    RpcResult<std::uint64_t> get_transaction_count(const Address& account, const BlockTag& block = BlockTag::latest());
    RpcResult<U256> gas_price();
    RpcResult<U256> max_priority_fee_per_gas();
    //! nullopt when the node has no such block.
    RpcResult<std::optional<BlockHeader>> get_block_by_number(const BlockTag& block = BlockTag::latest());
    //! eth_estimateGas; a revert is an RpcError whose revert_data() holds the revert bytes.
    RpcResult<std::uint64_t> estimate_gas(const CallRequest& call, const std::optional<BlockTag>& block = {});
    //! eth_call: the returned bytes; a revert is an RpcError whose revert_data() holds the revert bytes.
    RpcResult<Bytes> call(const CallRequest& call, const BlockTag& block = BlockTag::latest());
    //! eth_call of every request at `block`, in JSON-RPC batches of at most max_batch calls (batch_chunked): one
    //! result per request, in order, each as call() would return it (a failed exchange: the error of each call
    //! of that batch).
    std::vector<RpcResult<Bytes>> call_batch(std::span<const CallRequest> calls,
                                             const BlockTag& block = BlockTag::latest(),
                                             std::size_t max_batch = kMaxCallsPerBatch);
    //! eth_sendRawTransaction: the transaction hash the node returns.
    RpcResult<Bytes32> send_raw_transaction(ByteView raw);
    //! nullopt while the transaction is pending or unknown.
    RpcResult<std::optional<Receipt>> get_transaction_receipt(const Bytes32& tx_hash);
    RpcResult<std::vector<Log>> get_logs(const LogFilter& filter);

    //! Polls get_transaction_receipt every `poll` until a receipt appears (Errc::kTimeout after `timeout`).
    RpcResult<Receipt> wait_for_receipt(const Bytes32& tx_hash, std::chrono::milliseconds timeout,
                                        std::chrono::milliseconds poll = std::chrono::milliseconds(100));

    JsonRpcClient& rpc() { return rpc_; }

  private:
    JsonRpcClient& rpc_;
};

}  // namespace wp::chain
