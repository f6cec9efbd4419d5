#pragma once
// Fee and gas policy for the transactions we sign ourselves.
//
// Fees (EIP-1559, https://eips.ethereum.org/EIPS/eip-1559):
//   - type 2 (EIP-1559) when the latest block has baseFeePerGas, else legacy (EIP-155);
//     FeePolicy::force_legacy selects legacy on a London chain too.
//   - type 2: tip = eth_maxPriorityFeePerGas (FeePolicy::default_priority_fee when the node lacks the method),
//             maxFee = base_fee_multiplier * baseFee + tip (default 2 * baseFee + tip: the fee still covers the
//             base fee after six full blocks, each +12.5 %).
//   - legacy: gasPrice = eth_gasPrice.
//   - caps: max_fee_cap bounds maxFeePerGas (type 2) or gasPrice (legacy); max_priority_fee_cap bounds the tip.
//     A suggestion above a cap is an error (Errc::kInvalidArgument, "fee cap exceeded: ...") rather than a silent
//     overpayment or an underpriced transaction that would never be mined.
// Replacement (same nonce, higher fees): geth's txpool (legacypool, priceBump = 10 %) accepts a replacement only
// when BOTH the fee cap and the tip are strictly higher than the old ones and at least old * (100 + 10) / 100;
// anvil's pool is less strict (a higher effective price). bump_fees returns, for each field,
//   max(ceil(old * (100 + bump_percent) / 100), old + 1, current suggestion)
// so it satisfies geth and follows the market, and fails with "fee cap exceeded" when the cap forbids it.
//
// Gas (eth_estimateGas): limit = min(ceil(estimate * margin_percent / 100), cap) where cap = GasPolicy::max_gas
// when set, and never above the block gas limit. An estimate above the cap is an error (the call would not fit);
// a revert during estimation is returned decoded (RevertDecoder) and names the call's description.

#include <cstdint>
#include <optional>
#include <string>

#include <wp/codec/transaction.hpp>
#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "contract_call.hpp"
#include "eth.hpp"
#include "revert.hpp"

namespace wp::chain {

inline constexpr std::uint64_t kGwei = 1'000'000'000;  //!< wei per gwei

struct FeePolicy {
    bool force_legacy{false};                    //!< legacy transactions even when the chain has a base fee
    unsigned base_fee_multiplier{2};             //!< maxFee = multiplier * baseFee + tip
    U256 default_priority_fee{kGwei};            //!< tip when eth_maxPriorityFeePerGas is not available
    std::optional<U256> max_fee_cap{};           //!< bound on maxFeePerGas / gasPrice (nullopt: none)
    std::optional<U256> max_priority_fee_cap{};  //!< bound on maxPriorityFeePerGas (nullopt: none)
    unsigned bump_percent{10};                   //!< minimal increase of both fee fields for a replacement
};

//! The fee fields of one transaction.
struct FeeParams {
    TxType type{TxType::kDynamicFee};  //!< kDynamicFee or kLegacy
    U256 gas_price;                    //!< legacy only
    U256 max_fee_per_gas;              //!< type 2 only
    U256 max_priority_fee_per_gas;     //!< type 2 only

    //! The most this transaction may pay per gas: max_fee_per_gas (type 2) or gas_price (legacy).
    const U256& fee_cap() const { return type == TxType::kDynamicFee ? max_fee_per_gas : gas_price; }
    //! "type 2, maxFee 2.5 gwei, tip 1 gwei" / "legacy, gasPrice 3 gwei" (values in wei when not whole gwei).
    std::string to_string() const;
    friend bool operator==(const FeeParams&, const FeeParams&) = default;
};

//! What the node tells us about fees (the inputs of compute_fees).
struct FeeMarket {
    std::optional<U256> base_fee;      //!< baseFeePerGas of the latest block (nullopt: pre-London)
    std::optional<U256> priority_fee;  //!< eth_maxPriorityFeePerGas (nullopt: not supported)
    std::optional<U256> gas_price;     //!< eth_gasPrice (needed for legacy)
};

//! Pure: the fees for a new transaction under `policy` (rules in the header comment). Errors:
//! Errc::kInvalidArgument for a cap exceeded or a legacy choice without a gas price.
Result<FeeParams> compute_fees(const FeeMarket& market, const FeePolicy& policy = {});

//! Pure: the fees for a replacement of a transaction sent with `old` (same type), following `current` (the
//! fees compute_fees suggests now, same type; nullopt to ignore). Errc::kInvalidArgument when a cap forbids
//! the minimal bump ("fee cap exceeded: replacement needs maxFeePerGas N, above the cap of M"), when a field is
//! already 2^256 - 1, or when the types differ.
Result<FeeParams> bump_fees(const FeeParams& old, const std::optional<FeeParams>& current,
                            const FeePolicy& policy = {});

//! max(ceil(value * (100 + percent) / 100), value + 1), computed exactly in 256 bits (checked arithmetic); a result
//! that does not fit saturates at 2^256 - 1 (bump_fees then fails: a fee of 2^256 - 1 cannot be raised, and any
//! fee cap refuses it first).
U256 bump_value(const U256& value, unsigned percent);

//! Reads the latest block, eth_maxPriorityFeePerGas (type 2) or eth_gasPrice (legacy) and calls compute_fees.
Result<FeeParams> suggest_fees(EthClient& eth, const FeePolicy& policy = {});

struct GasPolicy {
    unsigned margin_percent{120};            //!< limit = ceil(estimate * margin_percent / 100), >= 100
    std::optional<std::uint64_t> max_gas{};  //!< cap on the limit (nullopt: the block gas limit only)
};

//! Pure: the gas limit for an estimate (rules in the header comment). Errc::kInvalidArgument when the estimate
//! itself exceeds the cap ("<description>: needs N gas, above the cap of M").
Result<std::uint64_t> gas_limit_for(std::uint64_t estimate, std::uint64_t block_gas_limit, const GasPolicy& policy,
                                    std::string_view description);

//! The eth_call / eth_estimateGas request of `call` sent by `from`.
CallRequest to_call_request(const ContractCall& call, const Address& from);

//! "<description>: <what>: <reason>" for revert data, e.g. "matchOrders: gas estimation reverted:
//! iExecV5-matchOrders-0x60"; `reason` is DecodedRevert::to_string() without its leading "reverted: ".
std::string describe_revert(std::string_view description, std::string_view what, const DecodedRevert& revert);

//! eth_estimateGas for `call` from `from` (at `block`, default latest), then gas_limit_for against the latest
//! block's gas limit. A revert (is_revert, revert.hpp) is Errc::kRemote with describe_revert(description, "gas
//! estimation reverted", …) (decoded with `decoder`); `revert`, when given, receives the decoded revert.
Result<std::uint64_t> estimate_gas_limit(EthClient& eth, const ContractCall& call, const Address& from,
                                         const GasPolicy& policy = {},
                                         const RevertDecoder& decoder = default_revert_decoder(),
                                         DecodedRevert* revert = nullptr);

}  // namespace wp::chain
