#pragma once
// Shared by chain_mirror_anvil_test.cpp and the crash child (mirror_crash_child.cpp): an "emitter" contract that logs
// its calldata, and a MirrorHandler that records every log it applies so the tests can prove exactly-once.
//
// The emitter (hand-assembled EVM, no compiler needed): runtime = CALLDATACOPY the calldata to memory 0, then
// LOG1(0, calldatasize, kEmitterTopic). Deploying it is one eth_sendTransaction without `to`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include <boost/json.hpp>

#include <wp/chain/mirror.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/store/store.hpp>

namespace wp::test {

inline Bytes32 emitter_topic() { return keccak256(as_bytes("Emitted(bytes)")); }

//! Creation code of the emitter: a 12-byte constructor returning the 44-byte runtime.
inline Bytes emitter_creation_code() {
    Bytes runtime = {0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x7f};  // CALLDATASIZE 0 0 CALLDATACOPY PUSH32
    const auto topic = emitter_topic();
    runtime.insert(runtime.end(), topic.begin(), topic.end());
    runtime.insert(runtime.end(), {0x36, 0x60, 0x00, 0xa1, 0x00});  // CALLDATASIZE 0 LOG1 STOP
    Bytes init = {0x60, static_cast<std::uint8_t>(runtime.size()), 0x60, 0x0c, 0x60, 0x00, 0x39,
                  0x60, static_cast<std::uint8_t>(runtime.size()), 0x60, 0x00, 0xf3};
    init.insert(init.end(), runtime.begin(), runtime.end());
    return init;
}

//! Sends a transaction from an unlocked anvil dev account (anvil automines it) and returns its hash.
inline Result<std::string> send_unlocked(chain::JsonRpcClient& rpc, const std::string& from,
                                         const std::optional<Address>& to, const Bytes& data) {
    boost::json::object tx{{"from", from}, {"data", to_hex(data)}, {"gas", "0x100000"}};
    if (to) tx["to"] = to->to_lower_hex();
    auto hash = rpc.call("eth_sendTransaction", boost::json::array{tx});
    if (!hash) return make_error(hash.error().to_error());
    if (!hash->is_string()) return make_error(Errc::kDecoding, "eth_sendTransaction: not a string");
    return std::string(hash->get_string());
}

//! Waits (polling anvil, up to 20 s) for the receipt of `hash`; returns it.
inline Result<boost::json::object> wait_receipt(chain::JsonRpcClient& rpc, const std::string& hash) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        auto receipt = rpc.call("eth_getTransactionReceipt", boost::json::array{hash});
        if (!receipt) return make_error(receipt.error().to_error());
        if (receipt->is_object()) return receipt->as_object();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return make_error(Errc::kTimeout, "no receipt for " + hash + " after 20 s");
}

//! send_unlocked, then wait for the receipt (automine: one block per transaction, in sending order).
inline Result<boost::json::object> send_mined(chain::JsonRpcClient& rpc, const std::string& from,
                                              const std::optional<Address>& to, const Bytes& data) {
    WP_TRY(auto hash, send_unlocked(rpc, from, to, data));
    return wait_receipt(rpc, hash);
}

//! A 32-byte payload word holding n.
inline Bytes payload_word(std::uint64_t n) {
    const Bytes32 word = U256(n).to_be32();
    return Bytes(word.begin(), word.end());
}

inline const store::Migration kPayloadMigrations[] = {
    {1, "payloads",
     "CREATE TABLE payloads (tx_hash ${blob} NOT NULL, log_index BIGINT NOT NULL, block BIGINT NOT NULL,"
     "  payload ${blob} NOT NULL, PRIMARY KEY (tx_hash, log_index));"
     "CREATE TABLE totals (id BIGINT PRIMARY KEY, applied BIGINT NOT NULL);"
     "INSERT INTO totals (id, applied) VALUES (1, 0);"},
};

//! Inserts one row per emitter log (a plain INSERT: applying a log twice fails on the primary key) and counts the
//! applications in totals; records the undo of both.
class PayloadHandler : public chain::MirrorHandler {
  public:
    Result<void> apply(chain::MirrorContext& ctx, const chain::Log& log, const chain::PocoEvent* event) override {
        if (event != nullptr) return make_error(Errc::kInvalidArgument, "unexpected PoCo event");
        if (log.topics.empty() || log.topics[0] != emitter_topic()) return {};
        WP_TRY(auto n,
               ctx.tx().exec("INSERT INTO payloads (tx_hash, log_index, block, payload) VALUES ($1, $2, $3, $4)",
                             log.transaction_hash, log.log_index, log.block_number, log.data));
        (void)n;
        WP_TRY_VOID(ctx.undo("DELETE FROM payloads WHERE tx_hash = $1 AND log_index = $2", log.transaction_hash,
                             log.log_index));
        WP_TRY(auto m, ctx.tx().exec("UPDATE totals SET applied = applied + 1 WHERE id = 1"));
        (void)m;
        WP_TRY_VOID(ctx.undo("UPDATE totals SET applied = applied - 1 WHERE id = 1"));
        return {};
    }
    Result<void> rolled_back(store::Tx& tx, std::uint64_t from_block) override {
        (void)tx;
        rollbacks.push_back(from_block);
        return {};
    }
    std::vector<std::uint64_t> rollbacks;
};

}  // namespace wp::test
