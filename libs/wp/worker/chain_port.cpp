#include "chain_port.hpp"

#include <wp/core/hex.hpp>

namespace wp::worker {

using WireCause = workerapi::FailureCause;

namespace {
tl::unexpected<ChainFailure> fail(WireCause cause, std::string message) {
    return tl::unexpected<ChainFailure>(ChainFailure{cause, std::move(message)});
}
}  // namespace

PocoChainPort::PocoChainPort(chain::Hub& hub, chain::TxManager& tx, PocoChainPortOptions options)
    : hub_(hub), tx_(tx), options_(options) {}

std::string PocoChainPort::key(const Bytes32& task_id, std::string_view action) {
    return "worker:" + to_hex(task_id.view()) + ":" + std::string(action);
}

ChainResult<PocoChainPort::DealTerms> PocoChainPort::deal_terms(const workerapi::Assignment& a) {
    {
        std::lock_guard lock(deals_mutex_);
        if (auto it = deals_.find(a.deal_id); it != deals_.end()) return it->second;
    }
    auto deal = hub_.view_deal(a.deal_id);
    if (!deal) return fail(WireCause::kChainUnreachable, "viewDeal: " + deal.error().message);
    if (deal->workerpool.owner.is_zero())
        return fail(WireCause::kTaskNotActive, "viewDeal: no deal " + to_hex(a.deal_id.view()) + " on chain");
    DealTerms terms{deal->workerpool.owner, deal->worker_stake};
    std::lock_guard lock(deals_mutex_);
    deals_[a.deal_id] = terms;
    return terms;
}

ChainResult<Address> PocoChainPort::workerpool_owner(const workerapi::Assignment& a) {
    auto terms = deal_terms(a);
    if (!terms) return tl::unexpected(terms.error());
    return terms->owner;
}

ChainResult<void> PocoChainPort::check_stake(const workerapi::Assignment& a) {
    // The deal's stake is read once per deal; the account's free stake before each contribution (it moves).
    auto terms = deal_terms(a);
    if (!terms) return tl::unexpected(terms.error());
    auto account = hub_.view_account(tx_.address());
    if (!account) return fail(WireCause::kChainUnreachable, "viewAccount: " + account.error().message);
    if (account->stake < terms->worker_stake) {
        return fail(WireCause::kStakeTooLow, "stake too low: " + tx_.address().to_checksum() + " has " +
                                                 account->stake.to_dec() + " nRLC free, the deal needs " +
                                                 terms->worker_stake.to_dec() + " (deposit to the worker's account)");
    }
    return {};
}

namespace {
constexpr std::uint64_t kConsensusPathGas = 150'000;
}  // namespace

ChainResult<ChainReceipt> PocoChainPort::send_once(const std::string& k, const chain::ContractCall& call,
                                                   std::uint64_t fixed_gas, std::uint64_t extra_gas) {
    chain::TxHandle handle;
    if (auto known = tx_.find(k)) {
        if (known->final()) {
            if (known->status == chain::TxStatus::kConfirmed && known->hash) {
                return ChainReceipt{*known->hash, known->block.value_or(0), true};
            }
            return fail(WireCause::kTransactionFailed,
                        k + ": " + (known->error ? known->error->message : std::string("failed")));
        }
        handle = known->handle;
    } else {
        chain::SubmitOptions o;
        o.key = k;
        if (fixed_gas > 0) {
            o.gas_limit = fixed_gas;
        } else if (extra_gas > 0) {
            auto estimate = hub_.estimate_gas(call, tx_.address());
            if (!estimate) return fail(WireCause::kTransactionFailed, k + ": " + estimate.error().message);
            o.gas_limit = *estimate + *estimate / 5 + extra_gas;
        }
        auto h = tx_.submit_durable(call, o);
        if (!h) return fail(WireCause::kTransactionFailed, k + ": " + h.error().message);
        handle = *h;
    }
    auto outcome = tx_.wait(handle, options_.tx_timeout);
    if (!outcome) {
        // Waiting failed (timeout, RPC): the journal still knows the intent; ask it once more.
        if (auto known = tx_.find(k); known && known->status == chain::TxStatus::kConfirmed && known->hash) {
            return ChainReceipt{*known->hash, known->block.value_or(0), false};
        }
        return fail(WireCause::kChainUnreachable, k + ": " + outcome.error().message);
    }
    if (!outcome->ok() || !outcome->hash) {
        return fail(WireCause::kTransactionFailed,
                    k + ": " + (outcome->error ? outcome->error->message : std::string("not confirmed")));
    }
    const std::uint64_t block = outcome->receipt ? outcome->receipt->block_number : 0;
    return ChainReceipt{*outcome->hash, block, false};
}

ChainResult<ChainReceipt> PocoChainPort::contribute(const workerapi::Assignment& a, const ReplicateResult& r) {
    const std::string k = key(a.task_id, "contribute");
    if (!tx_.find(k)) {
        // Not ours in the journal: the chain may still hold a contribution of this wallet (a journal lost with the
        // disk); never send a second one.
        auto c = hub_.view_contribution(a.task_id, tx_.address());
        if (!c) return fail(WireCause::kChainUnreachable, "viewContribution: " + c.error().message);
        if (c->status != ContributionStatus::kUnset) {
            if (c->result_hash != r.result_hash) {
                return fail(WireCause::kAlreadyContributed,
                            "already contributed with another resultHash " + to_hex(c->result_hash.view()));
            }
            return ChainReceipt{Bytes32{}, 0, true};
        }
    }
    const Address enclave = r.enclave_challenge.value_or(Address{});
    const Bytes enclave_sign = r.enclave_signature.value_or(Bytes(65, 0));
    auto call =
        hub_.contribute(a.task_id, r.result_hash, r.result_seal, enclave, enclave_sign, a.authorization.signature);
    if (!call) return fail(WireCause::kTransactionFailed, "contribute: " + call.error().message);
    // The estimate is taken before the other contributions of the same block: if ours is the one that reaches the
    // consensus when mined (checkConsensus: status REVEALING, reveal deadline, more storage), it needs more gas than
    // estimated, and a limit of estimate · 1.2 runs out of gas (seen on the devnet at trust 3: "reverted without
    // data"). Room for that path.
    return send_once(k, *call, options_.contribute_gas, kConsensusPathGas);
}

ChainResult<ChainReceipt> PocoChainPort::reveal(const Bytes32& task_id, const Bytes32& digest) {
    auto call = hub_.reveal(task_id, digest);
    if (!call) return fail(WireCause::kTransactionFailed, "reveal: " + call.error().message);
    return send_once(key(task_id, "reveal"), *call, options_.reveal_gas);
}

ChainResult<ChainReceipt> PocoChainPort::contribute_and_finalize(const workerapi::Assignment& a,
                                                                 const ReplicateResult& r,
                                                                 const std::string& result_link) {
    const Address enclave = r.enclave_challenge.value_or(Address{});
    const Bytes enclave_sign = r.enclave_signature.value_or(Bytes(65, 0));
    const Bytes results(result_link.begin(), result_link.end());
    const Bytes callback = r.callback_data.value_or(Bytes{});
    auto call = hub_.contribute_and_finalize(a.task_id, r.digest, results, callback, enclave, enclave_sign,
                                             a.authorization.signature);
    if (!call) return fail(WireCause::kTransactionFailed, "contributeAndFinalize: " + call.error().message);
    return send_once(key(a.task_id, "contribute-and-finalize"), *call, options_.contribute_and_finalize_gas);
}

}  // namespace wp::worker
