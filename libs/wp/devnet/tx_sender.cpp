#include "tx_sender.hpp"

#include <thread>

#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>

namespace wp::devnet {

Result<std::vector<chain::Receipt>> send_and_confirm(chain::JsonRpcClient& rpc, const std::vector<SignedTx>& txs,
                                                     std::chrono::milliseconds timeout, const TxProgress& progress) {
    if (txs.empty()) return std::vector<chain::Receipt>{};
    // One request per transaction, in nonce order: a JSON-RPC batch may be processed concurrently by the node,
    // and anvil then queues the out-of-order nonces without always mining them once the gap is filled.
    const auto send = [&](std::size_t i) -> Result<void> {
        auto answer = rpc.call("eth_sendRawTransaction", boost::json::array{to_hex(txs[i].raw)});
        if (!answer) {
            if (answer.error().is_rpc_error() && answer.error().rpc_message.find("already known") != std::string::npos)
                return {};
            return make_error(answer.error().kind, txs[i].description + " (nonce " + std::to_string(txs[i].nonce) +
                                                       "): " + answer.error().message);
        }
        const auto* text = answer->if_string();
        auto hash = text ? bytes32_from_hex(*text) : Result<Bytes32>(make_error(Errc::kDecoding, "not a string"));
        if (!hash || *hash != txs[i].hash) {
            return make_error(Errc::kDecoding, txs[i].description + ": eth_sendRawTransaction returned " +
                                                   boost::json::serialize(*answer) + ", expected " +
                                                   to_hex(txs[i].hash));
        }
        return {};
    };
    for (std::size_t i = 0; i < txs.size(); ++i) WP_TRY_VOID(send(i));

    std::vector<std::optional<chain::Receipt>> receipts(txs.size());
    std::size_t reported = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto last_progress = std::chrono::steady_clock::now();
    for (;;) {
        std::vector<chain::RpcCall> queries;
        std::vector<std::size_t> indexes;
        for (std::size_t i = 0; i < txs.size(); ++i) {
            if (receipts[i]) continue;
            queries.push_back({"eth_getTransactionReceipt", boost::json::array{to_hex(txs[i].hash)}});
            indexes.push_back(i);
        }
        WP_TRY(auto results, rpc.batch(std::move(queries)));
        for (std::size_t k = 0; k < indexes.size(); ++k) {
            const std::size_t i = indexes[k];
            if (!results[k]) return make_error(results[k].error().kind, results[k].error().message);
            if (results[k]->is_null()) continue;
            auto receipt = chain::parse_receipt(*results[k]);
            if (!receipt) return make_error(Errc::kDecoding, txs[i].description + ": " + receipt.error().message);
            if (!receipt->status) {
                return make_error(Errc::kRemote, txs[i].description + ": reverted (nonce " +
                                                     std::to_string(txs[i].nonce) + ", tx " + to_hex(txs[i].hash) +
                                                     ", gas used " + std::to_string(receipt->gas_used) + ")");
            }
            receipts[i] = std::move(*receipt);
        }
        const std::size_t before = reported;
        while (reported < txs.size() && receipts[reported]) {
            if (progress) progress(reported + 1, txs.size(), txs[reported], *receipts[reported]);
            ++reported;
        }
        if (reported == txs.size()) break;
        const auto now = std::chrono::steady_clock::now();
        if (reported != before) {
            last_progress = now;
        } else if (now - last_progress > std::chrono::seconds(2)) {
            // Stalled: the node may have dropped a transaction; sending it again is harmless ("already known").
            for (std::size_t i = reported; i < txs.size(); ++i) {
                if (!receipts[i]) (void)send(i);
            }
            last_progress = now;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return make_error(Errc::kTimeout, "no receipt for " + txs[reported].description + " (tx " +
                                                  to_hex(txs[reported].hash) + ") after " +
                                                  std::to_string(timeout.count()) + " ms");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::vector<chain::Receipt> out;
    out.reserve(receipts.size());
    for (auto& r : receipts) out.push_back(std::move(*r));
    return out;
}

}  // namespace wp::devnet
