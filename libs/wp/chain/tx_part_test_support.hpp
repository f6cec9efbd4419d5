#pragma once
// Values shared by the unit tests of TxManager's parts (receipt_tracker_test.cpp, confirmer_test.cpp,
// tx_starter_test.cpp, filler_planner_test.cpp): slots, receipts as a node returns them, JSON-RPC errors.

#include <cstdint>
#include <initializer_list>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/hex.hpp>

#include "rpc.hpp"
#include "tx_slot.hpp"

namespace wp::chain::testing {

//! A JSON-RPC QUANTITY ("0x2a").
inline std::string quantity(std::uint64_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), kDigits[v % 16]);
        v /= 16;
    } while (v != 0);
    return "0x" + out;
}

inline Bytes32 hash_of(std::uint8_t tag) {
    Bytes32 h;
    h[31] = tag;
    return h;
}

//! A slot with one attempt per hash tag.
inline TxSlot slot_with(std::uint64_t id, std::uint64_t nonce, std::initializer_list<std::uint8_t> hashes) {
    TxSlot s;
    s.id = id;
    s.nonce = nonce;
    s.description = "call " + std::to_string(id);
    for (auto tag : hashes) {
        TxAttempt a;
        a.hash = hash_of(tag);
        a.state = AttemptState::kAccepted;
        s.attempts.push_back(a);
    }
    return s;
}

//! A receipt as a node answers eth_getTransactionReceipt.
inline boost::json::value receipt_json(const Bytes32& tx, std::uint64_t block, bool status,
                                       std::uint8_t block_tag = 0xbb, std::uint64_t gas_used = 21000) {
    Bytes32 block_hash;
    block_hash[0] = block_tag;
    block_hash[31] = static_cast<std::uint8_t>(block);
    return boost::json::object{{"transactionHash", to_hex(tx)},
                               {"transactionIndex", "0x0"},
                               {"blockHash", to_hex(block_hash)},
                               {"blockNumber", quantity(block)},
                               {"from", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"},
                               {"to", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"},
                               {"contractAddress", nullptr},
                               {"gasUsed", quantity(gas_used)},
                               {"cumulativeGasUsed", quantity(gas_used)},
                               {"status", status ? "0x1" : "0x0"},
                               {"logs", boost::json::array{}}};
}

inline RpcError rpc_error(std::int64_t code, std::string message, boost::json::value data = nullptr) {
    RpcError e;
    e.kind = Errc::kRemote;
    e.code = code;
    e.rpc_message = message;
    e.message = "JSON-RPC error " + std::to_string(code) + ": " + message;
    e.data = std::move(data);
    return e;
}

inline RpcError timeout_error() {
    RpcError e;
    e.kind = Errc::kTimeout;
    e.message = "timeout";
    return e;
}

}  // namespace wp::chain::testing
