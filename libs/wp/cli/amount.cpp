#include "amount.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace wp::cli {
namespace {

Result<U256> parse_units(std::string_view amount, unsigned decimals) {
    const auto dot = amount.find('.');
    std::string_view whole = amount.substr(0, dot);
    std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : amount.substr(dot + 1);
    if (whole.empty() && fraction.empty()) return make_error(Errc::kInvalidArgument, "empty");
    auto digits = [](std::string_view s) {
        for (char c : s)
            if (c < '0' || c > '9') return false;
        return true;
    };
    if (!digits(whole) || !digits(fraction)) return make_error(Errc::kInvalidArgument, "not a number");
    while (fraction.size() > decimals && fraction.back() == '0') fraction.remove_suffix(1);
    if (fraction.size() > decimals) return make_error(Errc::kInvalidArgument, "too many decimals");
    std::string all(whole);
    all += fraction;
    all.append(decimals - fraction.size(), '0');
    std::size_t first = all.find_first_not_of('0');
    if (first == std::string::npos) return U256{};
    return U256::from_dec(std::string_view(all).substr(first));
}

}  // namespace

Result<U256> parse_nrlc_amount(std::string_view text, std::string_view default_unit) {
    const auto invalid = [&] {
        return make_error(Errc::kInvalidArgument, std::string(text) + " is not a valid amount");
    };
    const auto space = text.find(' ');
    std::string_view amount = text.substr(0, space);
    std::string_view unit = default_unit;
    if (space != std::string_view::npos) {
        unit = text.substr(space + 1);
        // "1 RLC extra": the SDK splits on ' ' and ignores the rest; we refuse it.
        if (unit.find(' ') != std::string_view::npos) return invalid();
    }
    if (unit != "nRLC" && unit != "RLC") return invalid();
    while (!amount.empty() && amount.front() == '0') amount.remove_prefix(1);
    if (amount.empty()) amount = "0";
    auto value = parse_units(amount, unit == "RLC" ? 9u : 0u);
    if (!value) return invalid();
    return *value;
}

namespace {

std::optional<unsigned> eth_unit_decimals(std::string_view unit) {
    static constexpr std::pair<std::string_view, unsigned> kUnits[] = {
        {"wei", 0}, {"kwei", 3}, {"mwei", 6}, {"gwei", 9}, {"szabo", 12}, {"finney", 15}, {"ether", 18}, {"eth", 18}};
    for (const auto& [name, decimals] : kUnits)
        if (name == unit) return decimals;
    return std::nullopt;
}

}  // namespace

Result<U256> parse_wei_amount(std::span<const std::string> args, std::string_view default_unit) {
    std::string joined;
    for (const auto& a : args) {
        if (!joined.empty()) joined += ' ';
        joined += a;
    }
    const auto invalid = [&] { return make_error(Errc::kInvalidArgument, joined + " is not a valid amount"); };
    if (args.empty() || args.size() > 2) return invalid();
    std::string_view amount = args[0];
    std::string_view unit = default_unit;
    if (args.size() == 2 && !args[1].empty()) unit = args[1];
    if (amount.find(' ') != std::string_view::npos) {
        if (args.size() == 2) return invalid();
        unit = amount.substr(amount.find(' ') + 1);
        amount = amount.substr(0, amount.find(' '));
    }
    const auto decimals = eth_unit_decimals(unit);
    if (!decimals) return invalid();
    while (!amount.empty() && amount.front() == '0') amount.remove_prefix(1);
    if (amount.empty()) amount = "0";
    auto value = parse_units(amount, *decimals);
    if (!value) return invalid();
    return *value;
}

Result<U256> parse_nrlc_amount(std::span<const std::string> args, std::string_view default_unit) {
    std::string joined;
    for (const auto& a : args) {
        if (!joined.empty()) joined += ' ';
        joined += a;
    }
    if (args.empty() || args.size() > 2) return make_error(Errc::kInvalidArgument, joined + " is not a valid amount");
    if (args.size() == 2 && args[1].empty()) return parse_nrlc_amount(args[0], default_unit);
    return parse_nrlc_amount(joined, default_unit);
}

std::string format_units(const U256& value, unsigned decimals) {
    const std::string digits = value.to_dec();
    const std::size_t width = std::max<std::size_t>(digits.size(), std::size_t{decimals} + 1);
    std::string padded(width - digits.size(), '0');
    padded.append(digits);
    const std::size_t split = padded.size() - decimals;
    std::size_t end = padded.size();
    while (end > split + 1 && padded[end - 1] == '0') --end;
    std::string out;
    out.reserve(padded.size() + 2);
    out.append(padded, 0, split);
    out.push_back('.');
    if (decimals == 0) out.push_back('0');
    else out.append(padded, split, end - split);
    return out;
}

}  // namespace wp::cli
