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
    chain::EthClient eth(rpc);
    WP_TRY(const std::uint64_t chain_id, eth.chain_id());
    WP_TRY(const auto fees, suggest_fees(eth));
    const Address from = deployer.address();
    WP_TRY(std::uint64_t nonce, eth.get_transaction_count(from, chain::BlockTag::pending()));

    std::vector<const PrivateKey*> targets;
    for (const auto& key : accounts) {
        if (key.address() != from) targets.push_back(&key);
    }
    std::vector<SignedTx> transfers;
    for (const auto* key : targets) {
        TxRequest request{rlc, erc20_transfer_calldata(key->address(), options.wallet_amount), U256(0),
                          options.gas_limit, "RLC.transfer to " + key->address().to_checksum()};
        WP_TRY(auto tx, sign_transaction(request, deployer, chain_id, nonce++, fees));
        transfers.push_back(std::move(tx));
    }
    const auto progress = [&](std::string_view what) {
        return [&log, what](std::size_t index, std::size_t total, const SignedTx& tx, const chain::Receipt&) {
            if (log)
                log(std::string(what) + ": " + std::to_string(index) + "/" + std::to_string(total) + " " +
                    tx.description);
        };
    };
    WP_TRY_VOID(send_and_confirm(rpc, transfers, options.timeout, progress("funding")));

    std::vector<SignedTx> deposits;
    if (!options.stake_amount.is_zero()) {
        for (const auto* key : targets) {
            WP_TRY(const std::uint64_t account_nonce,
                   eth.get_transaction_count(key->address(), chain::BlockTag::pending()));
            TxRequest request{rlc, approve_and_call_calldata(hub, options.stake_amount, {}), U256(0), options.gas_limit,
                              "deposit (approveAndCall) for " + key->address().to_checksum()};
            WP_TRY(auto tx, sign_transaction(request, *key, chain_id, account_nonce, fees));
            deposits.push_back(std::move(tx));
        }
    }
    WP_TRY_VOID(send_and_confirm(rpc, deposits, options.timeout, progress("staking")));
    return {};
}

}  // namespace wp::devnet
