#include "signing.hpp"

namespace wp::chain {

Transaction build_transaction(const TxRequest& request, std::uint64_t chain_id, std::uint64_t nonce,
                              const FeeParams& fees) {
    Transaction tx;
    tx.type = fees.type;
    tx.chain_id = chain_id;
    tx.nonce = nonce;
    if (fees.type == TxType::kDynamicFee) {
        tx.max_fee_per_gas = fees.max_fee_per_gas;
        tx.max_priority_fee_per_gas = fees.max_priority_fee_per_gas;
    } else {
        tx.gas_price = fees.gas_price;
    }
    tx.gas_limit = request.gas_limit;
    tx.to = request.to;
    tx.value = request.value;
    tx.data = request.data;
    return tx;
}

Result<SignedTx> sign_transaction(const TxRequest& request, const PrivateKey& key, std::uint64_t chain_id,
                                  std::uint64_t nonce, const FeeParams& fees) {
    WP_TRY(auto signed_tx, tx::sign(build_transaction(request, chain_id, nonce, fees), key));
    WP_TRY(auto raw, tx::encode(signed_tx));
    SignedTx out;
    out.hash = tx::tx_hash(raw);
    out.raw = std::move(raw);
    out.nonce = nonce;
    out.description = request.description;
    return out;
}

FeeParams fees_of(const Transaction& transaction) {
    FeeParams fees;
    fees.type = transaction.type == TxType::kDynamicFee ? TxType::kDynamicFee : TxType::kLegacy;
    fees.gas_price = transaction.gas_price;
    fees.max_fee_per_gas = transaction.max_fee_per_gas;
    fees.max_priority_fee_per_gas = transaction.max_priority_fee_per_gas;
    return fees;
}

}  // namespace wp::chain
