#include "tx_starter.hpp"

#include "eth.hpp"

namespace wp::chain {

RpcCall TxStarter::estimate_call(const ContractCall& call, const Address& from) {
    return {"eth_estimateGas", boost::json::array{to_json(to_call_request(call, from))}};
}

TxStarter::GasDecision TxStarter::gas_from_estimate(const RpcResult<boost::json::value>& answer,
                                                    std::uint64_t block_gas_limit,
                                                    const std::string& description) const {
    GasDecision d;
    if (!answer) {
        const auto& e = answer.error();
        if (auto decoded = revert_of(e, decoder_)) {
            d.error = describe_revert(description, "gas estimation reverted", *decoded);
            d.revert = std::move(*decoded);
        } else {
            d.error = description + ": gas estimation failed: " + e.message;
        }
        return d;
    }
    auto estimate = parse_quantity_u64(*answer, "eth_estimateGas");
    if (!estimate) {
        d.error = description + ": " + estimate.error().message;
        return d;
    }
    auto limit = gas_limit_for(*estimate, block_gas_limit, gas_, description);
    if (!limit) {
        d.error = limit.error().message;
        return d;
    }
    d.gas = *limit;
    return d;
}

Result<TxAttempt> TxStarter::sign(const TxRequest& request, std::uint64_t nonce, const FeeParams& fees) const {
    WP_TRY(auto signed_tx, sign_transaction(request, key_, chain_id_, nonce, fees));
    return TxAttempt{.hash = signed_tx.hash, .raw = std::move(signed_tx.raw), .fees = fees};
}

}  // namespace wp::chain
