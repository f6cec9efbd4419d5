#include "presigned.hpp"

#include <algorithm>
#include <map>
#include <thread>

#include <boost/json.hpp>

#include <wp/chain/fees.hpp>
#include <wp/core/hex.hpp>

namespace wp::bench {

using SteadyClock = std::chrono::steady_clock;

Result<std::vector<chain::SignedTx>> presign(chain::EthClient& eth, std::uint64_t chain_id,
                                             const std::vector<PresignedCall>& calls) {
    auto fees = chain::suggest_fees(eth);
    if (!fees) return make_error(Errc::kRemote, "fees: " + fees.error().message);
    // Headroom: a phase of many transactions fills blocks, and the base fee grows 12.5 % per full block; a type-2
    // transaction whose fee cap falls below the base fee is dropped by anvil without a trace (never mined). The cap
    // is only a bound: the price paid is still the base fee plus the tip.
    if (fees->type == TxType::kDynamicFee) {
        WP_TRY(auto cap, checked_mul(fees->max_fee_per_gas, U256(20)));
        fees->max_fee_per_gas = cap;
    }
    std::vector<Address> senders;  // in order of first appearance
    std::map<Address, std::uint64_t> nonces;
    std::map<Address, std::vector<chain::SignedTx>> by_sender;
    for (const auto& c : calls) {
        if (c.key == nullptr) return make_error(Errc::kInvalidArgument, c.call.description + ": no key");
        const Address from = c.key->address();
        auto [it, fresh] = nonces.try_emplace(from, 0);
        if (fresh) {
            auto n = eth.get_transaction_count(from, chain::BlockTag::pending());
            if (!n) return make_error(Errc::kRemote, "nonce of " + from.to_checksum() + ": " + n.error().message);
            it->second = *n;
            senders.push_back(from);
        }
        chain::TxRequest request{c.call.to, c.call.data, c.call.value, c.gas, c.call.description};
        WP_TRY(auto tx, chain::sign_transaction(request, *c.key, chain_id, it->second++, *fees));
        by_sender[from].push_back(std::move(tx));
    }
    std::vector<chain::SignedTx> txs;
    for (std::size_t rank = 0; txs.size() < calls.size(); ++rank) {
        for (const auto& from : senders) {
            const auto& list = by_sender[from];
            if (rank < list.size()) txs.push_back(list[rank]);
        }
    }
    return txs;
}

Result<PresignedOutcome> send_presigned(chain::JsonRpcClient& rpc, const std::vector<chain::SignedTx>& txs,
                                        std::size_t batch, bool kick, std::chrono::seconds timeout,
                                        bool allow_reverts) {
    batch = std::max<std::size_t>(batch, 1);
    for (std::size_t begin = 0; begin < txs.size(); begin += batch) {
        std::vector<chain::RpcCall> calls;
        for (std::size_t i = begin; i < std::min(txs.size(), begin + batch); ++i) {
            calls.push_back({"eth_sendRawTransaction", boost::json::array{to_hex(txs[i].raw)}});
        }
        auto answers = rpc.batch(std::move(calls));
        if (!answers) return make_error(Errc::kRemote, "eth_sendRawTransaction batch: " + answers.error().message);
        for (std::size_t k = 0; k < answers->size(); ++k) {
            if (!(*answers)[k]) {
                return make_error(Errc::kRemote, txs[begin + k].description + ": " + (*answers)[k].error().message);
            }
        }
    }
    PresignedOutcome out;
    std::vector<bool> mined(txs.size(), false);
    std::size_t left = txs.size();
    auto last_progress = SteadyClock::now();
    const auto deadline = SteadyClock::now() + timeout;
    while (left > 0) {
        std::vector<chain::RpcCall> queries;
        std::vector<std::size_t> index;
        for (std::size_t i = 0; i < txs.size(); ++i) {
            if (mined[i]) continue;
            queries.push_back({"eth_getTransactionReceipt", boost::json::array{to_hex(txs[i].hash)}});
            index.push_back(i);
        }
        auto answers = rpc.batch(std::move(queries));
        if (!answers) return make_error(Errc::kRemote, "eth_getTransactionReceipt batch: " + answers.error().message);
        const std::size_t before = left;
        for (std::size_t k = 0; k < answers->size(); ++k) {
            const auto& a = (*answers)[k];
            if (!a || a->is_null()) continue;
            auto receipt = chain::parse_receipt(*a);
            if (!receipt) return make_error(Errc::kDecoding, "receipt: " + receipt.error().message);
            if (!receipt->status) {
                if (!allow_reverts) return make_error(Errc::kRemote, txs[index[k]].description + ": reverted");
                ++out.reverted;
            }
            out.gas_used += receipt->gas_used;
            out.first_block =
                out.first_block == 0 ? receipt->block_number : std::min(out.first_block, receipt->block_number);
            out.last_block = std::max(out.last_block, receipt->block_number);
            mined[index[k]] = true;
            --left;
        }
        if (kick && left == before && SteadyClock::now() - last_progress > std::chrono::milliseconds(300)) {
            (void)rpc.call("evm_mine");
            last_progress = SteadyClock::now();
        } else if (left != before) {
            last_progress = SteadyClock::now();
        }
        if (SteadyClock::now() > deadline) {
            return make_error(Errc::kTimeout, std::to_string(left) + " of " + std::to_string(txs.size()) +
                                                  " transactions not mined after " + std::to_string(timeout.count()) +
                                                  " s");
        }
        if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return out;
}

}  // namespace wp::bench
