#pragma once
// Amounts of the `iexec` CLI, as the iExec SDK 9.0.1 reads and prints them (sdk-cli-and-market.md §1 "Values";
// SDK validator nRlcAmountSchema / weiAmountSchema, utils parseRLC / formatRLC / formatEth).
//
// Input: "<amount> [unit]" given as one argument ("1.5 RLC") or as two ("1.5", "RLC"). Units: nRLC and RLC
// (1 RLC = 10^9 nRLC); without a unit, `default_unit`. The amount is decimal digits with an optional fraction
// whose significant digits fit the unit (a trailing-zero fraction is fine: "5.000 nRLC"). Like the SDK, leading
// zeros are stripped first, so "0.5" is read as ".5" (fine in RLC, an error in nRLC). Every error is
// Errc::kInvalidArgument with the SDK's message `<the input as typed> is not a valid amount`
// ("0.5 is not a valid amount", "1 ETH is not a valid amount"). Values above 2^256 - 1 are errors too.
//
// Output: format_rlc is ethers formatUnits(nRLC, 9) ("5.0", "1.5", "0.000000001"); format_eth formatUnits(wei, 18).
// Pure functions; thread-safe.

#include <span>
#include <string>
#include <string_view>

#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

namespace wp::cli {

//! The amount in nRLC of `args` (one or two arguments; more than two is an error).
Result<U256> parse_nrlc_amount(std::span<const std::string> args, std::string_view default_unit = "nRLC");
//! Same for one argument "1.5 RLC".
Result<U256> parse_nrlc_amount(std::string_view text, std::string_view default_unit = "nRLC");

//! The amount in wei of `args` (weiAmountSchema): units wei, kwei, mwei, gwei, szabo, finney, ether, eth; without a
//! unit `default_unit`; the same rules and message as parse_nrlc_amount (`1 RLC is not a valid amount`).
Result<U256> parse_wei_amount(std::span<const std::string> args, std::string_view default_unit = "wei");

//! ethers formatUnits(value, decimals): integer part, '.', the fraction without trailing zeros (at least one digit).
std::string format_units(const U256& value, unsigned decimals);
inline std::string format_rlc(const U256& nrlc) { return format_units(nrlc, 9); }
inline std::string format_eth(const U256& wei) { return format_units(wei, 18); }

}  // namespace wp::cli
