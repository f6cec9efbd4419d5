#include "fees.hpp"

#include <algorithm>

namespace wp::chain {
namespace {

std::string wei_text(const U256& v) {
    const U256::Native gwei(kGwei);
    if (v.native() != 0 && v.native() % gwei == 0) return U256(U256::Native(v.native() / gwei)).to_dec() + " gwei";
    return v.to_dec() + " wei";
}

Result<void> check_cap(const U256& value, const std::optional<U256>& cap, std::string_view field,
                       std::string_view what) {
    if (cap && value > *cap) {
        return make_error(Errc::kInvalidArgument, "fee cap exceeded: " + std::string(what) + " needs " +
                                                      std::string(field) + " " + wei_text(value) +
                                                      ", above the cap of " + wei_text(*cap));
    }
    return {};
}

}  // namespace

std::string FeeParams::to_string() const {
    if (type == TxType::kDynamicFee) {
        return "type 2, maxFee " + wei_text(max_fee_per_gas) + ", tip " + wei_text(max_priority_fee_per_gas);
    }
    return "legacy, gasPrice " + wei_text(gas_price);
}

Result<FeeParams> compute_fees(const FeeMarket& market, const FeePolicy& policy) {
    FeeParams fees;
    if (market.base_fee && !policy.force_legacy) {
        fees.type = TxType::kDynamicFee;
        fees.max_priority_fee_per_gas = market.priority_fee.value_or(policy.default_priority_fee);
        WP_TRY(auto doubled, checked_mul(*market.base_fee, U256(policy.base_fee_multiplier)));
        WP_TRY(fees.max_fee_per_gas, checked_add(doubled, fees.max_priority_fee_per_gas));
        WP_TRY_VOID(check_cap(fees.max_priority_fee_per_gas, policy.max_priority_fee_cap, "maxPriorityFeePerGas",
                              "the current market"));
        WP_TRY_VOID(check_cap(fees.max_fee_per_gas, policy.max_fee_cap, "maxFeePerGas", "the current market"));
    } else {
        if (!market.gas_price) return make_error(Errc::kInvalidArgument, "legacy fees: no gas price from the node");
        fees.type = TxType::kLegacy;
        fees.gas_price = *market.gas_price;
        WP_TRY_VOID(check_cap(fees.gas_price, policy.max_fee_cap, "gasPrice", "the current market"));
    }
    return fees;
}

U256 bump_value(const U256& value, unsigned percent) {
    const U256 kMax = ~U256();
    // U256 arithmetic: 100 + percent cannot wrap (unsigned would at UINT_MAX - 99), value * (100 + percent) is
    // checked; an overflow saturates at 2^256 - 1 (any fee cap then refuses it).
    auto factor = checked_add(U256(100u), U256(percent));
    if (!factor) return kMax;
    auto scaled = checked_mul(value, *factor);
    if (!scaled) return kMax;
    U256::Native bumped = scaled->native() / 100u;
    if (scaled->native() % 100u != 0) bumped += 1;  // ceil: < 2^256 since scaled < 2^256
    if (bumped <= value.native()) {
        if (value == kMax) return kMax;
        bumped = value.native() + 1;
    }
    return U256(bumped);
}

Result<FeeParams> bump_fees(const FeeParams& old, const std::optional<FeeParams>& current, const FeePolicy& policy) {
    if (current && current->type != old.type) {
        return make_error(Errc::kInvalidArgument, "fee bump: the suggested fees are " + current->to_string() +
                                                      ", the transaction to replace is " + old.to_string());
    }
    FeeParams out = old;
    if (old.type == TxType::kDynamicFee) {
        out.max_priority_fee_per_gas = bump_value(old.max_priority_fee_per_gas, policy.bump_percent);
        out.max_fee_per_gas = bump_value(old.max_fee_per_gas, policy.bump_percent);
        if (current) {
            out.max_priority_fee_per_gas = std::max(out.max_priority_fee_per_gas, current->max_priority_fee_per_gas);
            out.max_fee_per_gas = std::max(out.max_fee_per_gas, current->max_fee_per_gas);
        }
        if (out.max_fee_per_gas < out.max_priority_fee_per_gas) out.max_fee_per_gas = out.max_priority_fee_per_gas;
        if (out.max_fee_per_gas <= old.max_fee_per_gas ||
            out.max_priority_fee_per_gas <= old.max_priority_fee_per_gas) {
            return make_error(Errc::kInvalidArgument, "fee bump: " + old.to_string() + " cannot be raised (2^256 - 1)");
        }
        WP_TRY_VOID(check_cap(out.max_priority_fee_per_gas, policy.max_priority_fee_cap, "maxPriorityFeePerGas",
                              "replacement"));
        WP_TRY_VOID(check_cap(out.max_fee_per_gas, policy.max_fee_cap, "maxFeePerGas", "replacement"));
    } else {
        out.gas_price = bump_value(old.gas_price, policy.bump_percent);
        if (current) out.gas_price = std::max(out.gas_price, current->gas_price);
        if (out.gas_price <= old.gas_price) {
            return make_error(Errc::kInvalidArgument, "fee bump: " + old.to_string() + " cannot be raised (2^256 - 1)");
        }
        WP_TRY_VOID(check_cap(out.gas_price, policy.max_fee_cap, "gasPrice", "replacement"));
    }
    return out;
}

Result<FeeParams> suggest_fees(EthClient& eth, const FeePolicy& policy) {
    WP_TRY(auto block, eth.get_block_by_number(BlockTag::latest()));
    FeeMarket market;
    if (block) market.base_fee = block->base_fee_per_gas;
    if (market.base_fee && !policy.force_legacy) {
        auto priority = eth.max_priority_fee_per_gas();
        if (priority) market.priority_fee = *priority;
    } else {
        WP_TRY(market.gas_price, eth.gas_price());
    }
    return compute_fees(market, policy);
}

Result<std::uint64_t> gas_limit_for(std::uint64_t estimate, std::uint64_t block_gas_limit, const GasPolicy& policy,
                                    std::string_view description) {
    std::uint64_t cap = block_gas_limit;
    if (policy.max_gas && *policy.max_gas < cap) cap = *policy.max_gas;
    if (estimate > cap) {
        return make_error(Errc::kInvalidArgument, std::string(description) + ": needs " + std::to_string(estimate) +
                                                      " gas, above the cap of " + std::to_string(cap));
    }
    const unsigned margin = std::max(policy.margin_percent, 100u);
    const U256::Native scaled = U256::Native(estimate) * margin;
    U256::Native limit = scaled / 100u;
    if (scaled % 100u != 0) limit += 1;
    if (limit > cap) limit = cap;
    return static_cast<std::uint64_t>(limit);
}

CallRequest to_call_request(const ContractCall& call, const Address& from) {
    CallRequest request;
    request.from = from;
    request.to = call.to;
    request.data = call.data;
    if (call.value != U256()) request.value = call.value;
    return request;
}

std::string describe_revert(std::string_view description, std::string_view what, const DecodedRevert& revert) {
    std::string reason = revert.to_string();
    constexpr std::string_view kPrefix = "reverted: ";
    if (reason.starts_with(kPrefix)) reason.erase(0, kPrefix.size());
    return std::string(description) + ": " + std::string(what) + ": " + reason;
}

Result<std::uint64_t> estimate_gas_limit(EthClient& eth, const ContractCall& call, const Address& from,
                                         const GasPolicy& policy, const RevertDecoder& decoder, DecodedRevert* revert) {
    WP_TRY(auto block, eth.get_block_by_number(BlockTag::latest()));
    if (!block) return make_error(Errc::kDecoding, "eth_getBlockByNumber: no latest block");
    auto estimate = eth.estimate_gas(to_call_request(call, from));
    if (!estimate) {
        if (auto decoded = revert_of(estimate.error(), decoder)) {
            std::string message = describe_revert(call.description, "gas estimation reverted", *decoded);
            if (revert) *revert = std::move(*decoded);
            return make_error(Errc::kRemote, std::move(message));
        }
        return make_error(estimate.error().kind,
                          call.description + ": gas estimation failed: " + estimate.error().message);
    }
    return gas_limit_for(*estimate, block->gas_limit, policy, call.description);
}

}  // namespace wp::chain
