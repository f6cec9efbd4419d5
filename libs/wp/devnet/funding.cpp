#include "funding.hpp"

#include <cassert>

#include <wp/chain/eth.hpp>
#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>

#include "tx_sender.hpp"

namespace wp::devnet {

namespace {

Bytes encode_or_die(std::string_view signature, const std::vector<AbiValue>& values) {
    auto data = abi_encode_call(signature, values);
    assert(data);  // fixed signatures and well-typed values
    return std::move(*data);
}

}  // namespace

Bytes erc20_transfer_calldata(const Address& to, const U256& amount) {
    return encode_or_die("transfer(address,uint256)", {AbiValue::address(to), AbiValue::uint_(amount)});
}

Bytes approve_and_call_calldata(const Address& spender, const U256& amount, ByteView extra) {
    return encode_or_die("approveAndCall(address,uint256,bytes)", {AbiValue::address(spender), AbiValue::uint_(amount),
                                                                   AbiValue::bytes(Bytes(extra.begin(), extra.end()))});
}

Bytes balance_of_calldata(const Address& owner) {
    return encode_or_die("balanceOf(address)", {AbiValue::address(owner)});
}

Result<U256> balance_of(chain::JsonRpcClient& rpc, const Address& token, const Address& owner) {
    chain::EthClient eth(rpc);
    chain::CallRequest call;
    call.to = token;
    call.data = balance_of_calldata(owner);
    WP_TRY(auto out, eth.call(call));
    if (out.size() != 32) {
        return make_error(Errc::kDecoding, "balanceOf: expected 32 bytes, got " + std::to_string(out.size()));
    }
    return U256::from_be(out);
}

Result<void> fund_accounts(chain::JsonRpcClient& rpc, const Address& rlc, const Address& hub,
                           const PrivateKey& deployer, const std::vector<PrivateKey>& accounts,
                           const FundingOptions& options, const LogLine& log) {
    if (options.stake_amount > options.wallet_amount) {
        return make_error(Errc::kInvalidArgument, "funding: stake_amount exceeds wallet_amount");
    }
    const Address from = deployer.address();
    std::vector<const PrivateKey*> targets;
    for (const auto& key : accounts) {
        if (key.address() != from) targets.push_back(&key);
    }
    std::vector<CallToSend> transfers;
    for (const auto* key : targets) {
        transfers.push_back(
            CallToSend{&deployer,
                       chain::ContractCall{rlc, erc20_transfer_calldata(key->address(), options.wallet_amount), U256(0),
                                           "RLC.transfer to " + key->address().to_checksum()},
                       options.gas_limit});
    }
    const auto progress = [&](std::string_view what) {
        return [&log, what](std::size_t index, std::size_t total, const std::string& description,
                            const chain::Receipt&) {
            if (log)
                log(std::string(what) + ": " + std::to_string(index) + "/" + std::to_string(total) + " " + description);
        };
    };
    WP_TRY_VOID(send_calls(rpc, std::move(transfers), options.timeout, progress("funding")));

    std::vector<CallToSend> deposits;
    if (!options.stake_amount.is_zero()) {
        for (const auto* key : targets) {
            deposits.push_back(
                CallToSend{key,
                           chain::ContractCall{rlc, approve_and_call_calldata(hub, options.stake_amount, {}), U256(0),
                                               "deposit (approveAndCall) for " + key->address().to_checksum()},
                           options.gas_limit});
        }
    }
    WP_TRY_VOID(send_calls(rpc, std::move(deposits), options.timeout, progress("staking")));
    return {};
}

}  // namespace wp::devnet
