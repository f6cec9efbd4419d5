#include "tx_sender.hpp"

#include <map>
#include <thread>

#include <wp/chain/tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/clock.hpp>

#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>

namespace wp::devnet {

Result<std::vector<SentCall>> send_calls(chain::JsonRpcClient& rpc, std::vector<CallToSend> calls,
                                         std::chrono::milliseconds timeout, const CallProgress& progress) {
    struct Sender {
        std::unique_ptr<chain::TxManager> manager;
        std::size_t pending{0};
    };
    std::map<Address, Sender> senders;
    std::map<std::pair<Address, std::uint64_t>, std::size_t> index_of;  // (sender, handle id) -> call index
    std::vector<std::optional<chain::TxOutcome>> outcomes(calls.size());
    chain::TxManagerOptions options;
    options.stall_kick_method = "evm_mine";
    options.retention.compact_every = 0;
    // One transaction per request, in nonce order: anvil executes a JSON-RPC batch concurrently, and with the 44
    // large deployment transactions of one sender it sometimes keeps the run after a nonce gap in its queue even
    // through evm_mine and re-broadcasts ("already imported"): seen as "deploy: 3 of 44 calls confirmed after
    // 60000 ms" in about 1 devnet start in 16 under load. Sequential sends never produce the gap; if a transaction is
    // stuck anyway, it is replaced with bumped fees after 5 s (anvil treats the replacement as a new transaction).
    options.broadcast_batch_size = 1;
    options.replace_after = std::chrono::seconds(5);
    for (std::size_t i = 0; i < calls.size(); ++i) {
        auto& c = calls[i];
        if (!c.sender || c.gas_limit == 0) {
            return make_error(Errc::kInvalidArgument,
                              "send_calls: " + c.call.description + ": a sender and a gas limit are required");
        }
        const Address from = c.sender->address();
        auto& sender = senders[from];
        if (!sender.manager) {
            WP_TRY(sender.manager,
                   chain::TxManager::open(rpc, *c.sender, std::make_shared<chain::MemoryTxJournal>(), options));
        }
        chain::SubmitOptions submit;
        submit.gas_limit = c.gas_limit;
        index_of[{from, sender.manager->submit(std::move(c.call), submit).id}] = i;
        ++sender.pending;
    }
    Clock& clock = system_clock();
    const auto deadline = clock.now() + timeout;
    std::size_t done = 0;
    std::size_t reported = 0;
    while (done < calls.size()) {
        for (auto& [from, sender] : senders) {
            if (sender.pending == 0) continue;
            auto round = sender.manager->poll();
            if (!round) continue;  // e.g. the node briefly unreachable: the next round retries
            for (auto& outcome : *round) {
                const std::size_t i = index_of.at({from, outcome.handle.id});
                outcomes[i] = std::move(outcome);
                --sender.pending;
                ++done;
            }
        }
        for (std::size_t i = 0; i < calls.size() && outcomes[i]; ++i) {
            if (!outcomes[i]->ok()) {
                return make_error(Errc::kRemote, outcomes[i]->error ? outcomes[i]->error->message
                                                                    : outcomes[i]->description + ": failed");
            }
        }
        while (reported < calls.size() && outcomes[reported]) {
            if (progress) {
                progress(reported + 1, calls.size(), outcomes[reported]->description, *outcomes[reported]->receipt);
            }
            ++reported;
        }
        if (done == calls.size()) break;
        if (clock.now() >= deadline) {
            return make_error(Errc::kTimeout, std::to_string(done) + " of " + std::to_string(calls.size()) +
                                                  " calls confirmed after " + std::to_string(timeout.count()) + " ms");
        }
        clock.sleep_for(std::chrono::milliseconds(5));
    }
    std::vector<SentCall> out;
    out.reserve(calls.size());
    for (auto& o : outcomes) out.push_back(SentCall{*o->nonce, std::move(*o->receipt)});
    return out;
}

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
