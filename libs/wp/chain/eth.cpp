#include "eth.hpp"

#include <thread>

#include <wp/core/hex.hpp>

namespace wp::chain {
namespace json = boost::json;

namespace {

tl::unexpected<Error> decoding(std::string_view field, std::string_view what) {
    return make_error(Errc::kDecoding, std::string(field) + ": " + std::string(what));
}

Result<std::string_view> as_string(const json::value& v, std::string_view field) {
    const auto* s = v.if_string();
    if (s == nullptr) return decoding(field, "expected a JSON string");
    return std::string_view(s->data(), s->size());
}

const json::value* member(const json::object& o, std::string_view key) { return o.if_contains(key); }

Result<const json::value*> required(const json::object& o, std::string_view key, std::string_view field) {
    const auto* v = member(o, key);
    if (v == nullptr) return decoding(field, "missing field \"" + std::string(key) + "\"");
    return v;
}

std::string path(std::string_view parent, std::string_view key) { return std::string(parent) + "." + std::string(key); }

Result<Bytes> parse_data(const json::value& v, std::string_view field) {
    WP_TRY(auto s, as_string(v, field));
    auto b = from_hex(s);
    if (!b) return make_error(Errc::kDecoding, std::string(field) + ": " + b.error().message);
    return *b;
}

Result<Bytes32> parse_hash(const json::value& v, std::string_view field) {
    WP_TRY(auto b, parse_data(v, field));
    auto h = Bytes32::from_view(b);
    if (!h) return make_error(Errc::kDecoding, std::string(field) + ": " + h.error().message);
    return *h;
}

Result<Address> parse_address(const json::value& v, std::string_view field) {
    WP_TRY(auto s, as_string(v, field));
    auto a = Address::parse(s);
    if (!a) return make_error(Errc::kDecoding, std::string(field) + ": " + a.error().message);
    return *a;
}

Result<std::optional<Address>> parse_optional_address(const json::object& o, std::string_view key,
                                                      std::string_view parent) {
    const auto* v = member(o, key);
    if (v == nullptr || v->is_null()) return std::optional<Address>{};
    WP_TRY(auto a, parse_address(*v, path(parent, key)));
    return std::optional<Address>(a);
}

Result<std::uint64_t> u64_field(const json::object& o, std::string_view key, std::string_view parent) {
    const auto f = path(parent, key);
    WP_TRY(const json::value* v, required(o, key, parent));
    return parse_quantity_u64(*v, f);
}

Result<Bytes32> hash_field(const json::object& o, std::string_view key, std::string_view parent) {
    WP_TRY(const json::value* v, required(o, key, parent));
    return parse_hash(*v, path(parent, key));
}

Result<const json::object*> as_object(const json::value& v, std::string_view field) {
    const auto* o = v.if_object();
    if (o == nullptr) return decoding(field, "expected a JSON object");
    return o;
}

template <class T>
RpcResult<T> shape(Result<T> r, std::string_view method) {
    if (r) return std::move(*r);
    RpcError e;
    e.kind = r.error().code;
    e.message = std::string(method) + ": " + r.error().message;
    return tl::unexpected(std::move(e));
}

}  // namespace

Result<U256> parse_quantity(const json::value& v, std::string_view field) {
    WP_TRY(auto s, as_string(v, field));
    auto q = U256::from_hex(s);
    if (!q) return make_error(Errc::kDecoding, std::string(field) + ": " + q.error().message);
    return *q;
}

Result<std::uint64_t> parse_quantity_u64(const json::value& v, std::string_view field) {
    WP_TRY(auto q, parse_quantity(v, field));
    if (!q.fits_u64()) return decoding(field, "quantity does not fit in 64 bits");
    return q.low_u64();
}

Result<Log> parse_log(const json::value& v, std::string_view field) {
    WP_TRY(const json::object* o, as_object(v, field));
    Log log;
    WP_TRY(const json::value* address, required(*o, "address", field));
    WP_TRY(log.address, parse_address(*address, path(field, "address")));
    WP_TRY(const json::value* topics, required(*o, "topics", field));
    const auto* arr = topics->if_array();
    if (arr == nullptr) return decoding(path(field, "topics"), "expected a JSON array");
    for (std::size_t i = 0; i < arr->size(); ++i) {
        WP_TRY(auto t, parse_hash((*arr)[i], path(field, "topics[" + std::to_string(i) + "]")));
        log.topics.push_back(t);
    }
    WP_TRY(const json::value* data, required(*o, "data", field));
    WP_TRY(log.data, parse_data(*data, path(field, "data")));
    WP_TRY(log.block_number, u64_field(*o, "blockNumber", field));
    WP_TRY(log.block_hash, hash_field(*o, "blockHash", field));
    WP_TRY(log.transaction_hash, hash_field(*o, "transactionHash", field));
    WP_TRY(log.transaction_index, u64_field(*o, "transactionIndex", field));
    WP_TRY(log.log_index, u64_field(*o, "logIndex", field));
    if (const auto* removed = member(*o, "removed")) {
        if (!removed->is_bool()) return decoding(path(field, "removed"), "expected true or false");
        log.removed = removed->get_bool();
    }
    return log;
}

Result<Receipt> parse_receipt(const json::value& v) {
    constexpr std::string_view f = "receipt";
    WP_TRY(const json::object* o, as_object(v, f));
    Receipt r;
    WP_TRY(r.transaction_hash, hash_field(*o, "transactionHash", f));
    WP_TRY(r.transaction_index, u64_field(*o, "transactionIndex", f));
    WP_TRY(r.block_hash, hash_field(*o, "blockHash", f));
    WP_TRY(r.block_number, u64_field(*o, "blockNumber", f));
    WP_TRY(const json::value* from, required(*o, "from", f));
    WP_TRY(r.from, parse_address(*from, path(f, "from")));
    WP_TRY(r.to, parse_optional_address(*o, "to", f));
    WP_TRY(r.contract_address, parse_optional_address(*o, "contractAddress", f));
    WP_TRY(r.gas_used, u64_field(*o, "gasUsed", f));
    WP_TRY(r.cumulative_gas_used, u64_field(*o, "cumulativeGasUsed", f));
    if (const auto* price = member(*o, "effectiveGasPrice"); price != nullptr && !price->is_null()) {
        WP_TRY(r.effective_gas_price, parse_quantity(*price, path(f, "effectiveGasPrice")));
    }
    WP_TRY(const json::value* status, required(*o, "status", f));
    WP_TRY(auto status_value, parse_quantity_u64(*status, path(f, "status")));
    if (status_value > 1) return decoding(path(f, "status"), "must be 0x0 or 0x1");
    r.status = status_value == 1;
    if (const auto* type = member(*o, "type"); type != nullptr && !type->is_null()) {
        WP_TRY(auto t, parse_quantity_u64(*type, path(f, "type")));
        if (t > 0x7f) return decoding(path(f, "type"), "transaction type above 0x7f");
        r.type = static_cast<std::uint8_t>(t);
    }
    WP_TRY(const json::value* logs, required(*o, "logs", f));
    const auto* arr = logs->if_array();
    if (arr == nullptr) return decoding(path(f, "logs"), "expected a JSON array");
    for (std::size_t i = 0; i < arr->size(); ++i) {
        WP_TRY(auto log, parse_log((*arr)[i], "receipt.logs[" + std::to_string(i) + "]"));
        r.logs.push_back(std::move(log));
    }
    return r;
}

Result<BlockHeader> parse_block_header(const json::value& v) {
    constexpr std::string_view f = "block";
    WP_TRY(const json::object* o, as_object(v, f));
    BlockHeader h;
    WP_TRY(h.number, u64_field(*o, "number", f));
    WP_TRY(h.hash, hash_field(*o, "hash", f));
    WP_TRY(h.parent_hash, hash_field(*o, "parentHash", f));
    WP_TRY(h.timestamp, u64_field(*o, "timestamp", f));
    WP_TRY(h.gas_limit, u64_field(*o, "gasLimit", f));
    WP_TRY(h.gas_used, u64_field(*o, "gasUsed", f));
    if (const auto* fee = member(*o, "baseFeePerGas"); fee != nullptr && !fee->is_null()) {
        WP_TRY(auto base, parse_quantity(*fee, path(f, "baseFeePerGas")));
        h.base_fee_per_gas = base;
    }
    return h;
}

json::object to_json(const CallRequest& call) {
    json::object o;
    if (call.from) o["from"] = call.from->to_lower_hex();
    if (call.to) o["to"] = call.to->to_lower_hex();
    if (call.gas) o["gas"] = U256(*call.gas).to_hex_quantity();
    if (call.gas_price) o["gasPrice"] = call.gas_price->to_hex_quantity();
    if (call.max_fee_per_gas) o["maxFeePerGas"] = call.max_fee_per_gas->to_hex_quantity();
    if (call.max_priority_fee_per_gas) o["maxPriorityFeePerGas"] = call.max_priority_fee_per_gas->to_hex_quantity();
    if (call.value) o["value"] = call.value->to_hex_quantity();
    if (!call.data.empty()) {
        const auto hex = to_hex(call.data);
        o["data"] = hex;
        o["input"] = hex;
    }
    return o;
}

Result<json::object> to_json(const LogFilter& filter) {
    json::object o;
    if (filter.block_hash) {
        if (filter.from_block || filter.to_block)
            return make_error(Errc::kInvalidArgument,
                              "log filter: blockHash cannot be combined with fromBlock/toBlock");
        o["blockHash"] = to_hex(*filter.block_hash);
    } else {
        if (filter.from_block) o["fromBlock"] = filter.from_block->str();
        if (filter.to_block) o["toBlock"] = filter.to_block->str();
    }
    if (filter.addresses.size() == 1) {
        o["address"] = filter.addresses.front().to_lower_hex();
    } else if (!filter.addresses.empty()) {
        json::array a;
        for (const auto& addr : filter.addresses) a.push_back(json::value(addr.to_lower_hex()));
        o["address"] = std::move(a);
    }
    if (!filter.topics.empty()) {
        json::array topics;
        for (const auto& position : filter.topics) {
            if (!position) {
                topics.push_back(nullptr);
            } else if (position->size() == 1) {
                topics.push_back(json::value(to_hex(position->front())));
            } else {
                json::array any;
                for (const auto& t : *position) any.push_back(json::value(to_hex(t)));
                topics.push_back(std::move(any));
            }
        }
        o["topics"] = std::move(topics);
    }
    return o;
}

RpcResult<std::uint64_t> EthClient::chain_id() {
    auto v = rpc_.call("eth_chainId");
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_quantity_u64(*v, "result"), "eth_chainId");
}

RpcResult<std::uint64_t> EthClient::block_number() {
    auto v = rpc_.call("eth_blockNumber");
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_quantity_u64(*v, "result"), "eth_blockNumber");
}

RpcResult<U256> EthClient::get_balance(const Address& account, const BlockTag& block) {
    auto v = rpc_.call("eth_getBalance", {json::value(account.to_lower_hex()), json::value(block.str())});
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_quantity(*v, "result"), "eth_getBalance");
}

RpcResult<std::uint64_t> EthClient::get_transaction_count(const Address& account, const BlockTag& block) {
    auto v = rpc_.call("eth_getTransactionCount", {json::value(account.to_lower_hex()), json::value(block.str())});
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_quantity_u64(*v, "result"), "eth_getTransactionCount");
}

RpcResult<U256> EthClient::gas_price() {
    auto v = rpc_.call("eth_gasPrice");
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_quantity(*v, "result"), "eth_gasPrice");
}

RpcResult<U256> EthClient::max_priority_fee_per_gas() {
    auto v = rpc_.call("eth_maxPriorityFeePerGas");
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_quantity(*v, "result"), "eth_maxPriorityFeePerGas");
}

RpcResult<std::optional<BlockHeader>> EthClient::get_block_by_number(const BlockTag& block) {
    auto v = rpc_.call("eth_getBlockByNumber", {json::value(block.str()), json::value(false)});
    if (!v) return tl::unexpected(std::move(v).error());
    if (v->is_null()) return std::optional<BlockHeader>{};
    auto h = shape(parse_block_header(*v), "eth_getBlockByNumber");
    if (!h) return tl::unexpected(std::move(h).error());
    return std::optional<BlockHeader>(std::move(*h));
}

RpcResult<std::uint64_t> EthClient::estimate_gas(const CallRequest& call, const std::optional<BlockTag>& block) {
    json::array params{json::value(to_json(call))};
    if (block) params.push_back(json::value(block->str()));
    auto v = rpc_.call("eth_estimateGas", std::move(params));
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_quantity_u64(*v, "result"), "eth_estimateGas");
}

RpcResult<Bytes> EthClient::call(const CallRequest& call, const BlockTag& block) {
    auto v = rpc_.call("eth_call", {json::value(to_json(call)), json::value(block.str())});
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_data(*v, "result"), "eth_call");
}

RpcCall eth_call_request(const CallRequest& call, const BlockTag& block) {
    return RpcCall{"eth_call", json::array{json::value(to_json(call)), json::value(block.str())}};
}

RpcResult<Bytes> eth_call_result(RpcResult<json::value> answer) {
    if (!answer) return tl::unexpected(std::move(answer).error());
    return shape(parse_data(*answer, "result"), "eth_call");
}

std::vector<RpcResult<Bytes>> EthClient::call_batch(std::span<const CallRequest> calls, const BlockTag& block,
                                                    std::size_t max_batch) {
    std::vector<RpcCall> requests;
    requests.reserve(calls.size());
    for (const auto& c : calls) requests.push_back(eth_call_request(c, block));
    auto answers = batch_chunked(rpc_, std::move(requests), max_batch);
    std::vector<RpcResult<Bytes>> out;
    out.reserve(answers.size());
    for (auto& a : answers) out.push_back(eth_call_result(std::move(a)));
    return out;
}

RpcResult<Bytes32> EthClient::send_raw_transaction(ByteView raw) {
    auto v = rpc_.call("eth_sendRawTransaction", {json::value(to_hex(raw))});
    if (!v) return tl::unexpected(std::move(v).error());
    return shape(parse_hash(*v, "result"), "eth_sendRawTransaction");
}

RpcResult<std::optional<Receipt>> EthClient::get_transaction_receipt(const Bytes32& tx_hash) {
    auto v = rpc_.call("eth_getTransactionReceipt", {json::value(to_hex(tx_hash))});
    if (!v) return tl::unexpected(std::move(v).error());
    if (v->is_null()) return std::optional<Receipt>{};
    auto r = shape(parse_receipt(*v), "eth_getTransactionReceipt");
    if (!r) return tl::unexpected(std::move(r).error());
    return std::optional<Receipt>(std::move(*r));
}

RpcResult<std::vector<Log>> EthClient::get_logs(const LogFilter& filter) {
    auto f = shape(to_json(filter), "eth_getLogs");
    if (!f) return tl::unexpected(std::move(f).error());
    auto v = rpc_.call("eth_getLogs", {json::value(std::move(*f))});
    if (!v) return tl::unexpected(std::move(v).error());
    const auto* arr = v->if_array();
    if (arr == nullptr)
        return shape(Result<std::vector<Log>>(decoding("result", "expected a JSON array")), "eth_getLogs");
    std::vector<Log> logs;
    logs.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        auto log = shape(parse_log((*arr)[i], "result[" + std::to_string(i) + "]"), "eth_getLogs");
        if (!log) return tl::unexpected(std::move(log).error());
        logs.push_back(std::move(*log));
    }
    return logs;
}

RpcResult<Receipt> EthClient::wait_for_receipt(const Bytes32& tx_hash, std::chrono::milliseconds timeout,
                                               std::chrono::milliseconds poll) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto r = get_transaction_receipt(tx_hash);
        if (!r) return tl::unexpected(std::move(r).error());
        if (*r) return std::move(**r);
        if (std::chrono::steady_clock::now() >= deadline) {
            RpcError e;
            e.kind = Errc::kTimeout;
            e.message = "eth_getTransactionReceipt: no receipt for " + to_hex(tx_hash) + " after " +
                        std::to_string(timeout.count()) + " ms";
            return tl::unexpected(std::move(e));
        }
        std::this_thread::sleep_for(poll);
    }
}

}  // namespace wp::chain
