#include "poco_deployer.hpp"

#include <algorithm>

#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/order.hpp>

#include "tx_sender.hpp"

namespace wp::devnet {

namespace {

//! eth_call of a no-argument view on `to`, returning the single 32-byte word.
Result<Bytes32> call_word(chain::EthClient& eth, const Address& to, std::string_view signature) {
    WP_TRY(auto data, abi_encode_call(signature, {}));
    chain::CallRequest call;
    call.to = to;
    call.data = std::move(data);
    auto out = eth.call(call);
    if (!out) return make_error(out.error().kind, std::string(signature) + ": " + out.error().message);
    if (out->size() != 32) {
        return make_error(Errc::kDecoding, std::string(signature) + ": expected 32 bytes, got " +
                                               std::to_string(out->size()) + " (" + to_hex(*out) + ")");
    }
    return *Bytes32::from_view(*out);
}

Result<void> expect_word(chain::EthClient& eth, const Address& hub, std::string_view signature, const Bytes32& expected,
                         std::string_view what) {
    WP_TRY(auto word, call_word(eth, hub, signature));
    if (word != expected) {
        return make_error(Errc::kRemote, "PoCo check " + std::string(signature) + ": got " + to_hex(word) +
                                             ", expected " + std::string(what) + " " + to_hex(expected));
    }
    return {};
}

}  // namespace

Result<void> verify_poco_deployment(chain::EthClient& eth, const PocoPlan& plan, const Address& owner,
                                    std::uint64_t chain_id) {
    const Address& hub = plan.hub;
    WP_TRY_VOID(expect_word(eth, hub, "owner()", owner.to_word(), owner.to_checksum()));
    const Bytes32 separator = Domain::iexec(U256(chain_id), hub).separator();
    WP_TRY_VOID(expect_word(eth, hub, "eip712domain_separator()", separator, "the iExec domain separator"));
    WP_TRY_VOID(expect_word(eth, hub, "countCategory()", U256(5).to_be32(), "5 categories"));
    WP_TRY_VOID(expect_word(eth, hub, "token()", plan.rlc.to_word(), "RLC " + plan.rlc.to_checksum()));
    WP_TRY_VOID(expect_word(eth, hub, "appregistry()", plan.app_registry.to_word(),
                            "AppRegistry " + plan.app_registry.to_checksum()));
    WP_TRY_VOID(expect_word(eth, hub, "callbackgas()", U256(100000).to_be32(), "100000"));
    return {};
}

Result<PocoDeployment> deploy_poco(chain::JsonRpcClient& rpc, const PocoArtifacts& artifacts,
                                   const PrivateKey& deployer, const DeployPocoOptions& options, const LogLine& log) {
    const auto started = std::chrono::steady_clock::now();
    chain::EthClient eth(rpc);
    const Address from = deployer.address();
    WP_TRY(const std::uint64_t chain_id, eth.chain_id());
    WP_TRY(const std::uint64_t nonce, eth.get_transaction_count(from, chain::BlockTag::pending()));
    if (nonce != 0 && log) {
        log("note: deployer " + from.to_checksum() + " has nonce " + std::to_string(nonce) +
            " (not 0): the addresses differ from the fresh-chain ones (hub 0x5FC8…5707)");
    }
    PocoPlanOptions plan_options;
    plan_options.deployer = from;
    plan_options.chain_id = chain_id;
    plan_options.first_nonce = nonce;
    WP_TRY(auto plan, plan_poco_deployment(artifacts, plan_options));
    std::uint64_t gas_limit = options.gas_limit;
    WP_TRY(auto latest, eth.get_block_by_number(chain::BlockTag::latest()));
    if (latest && latest->gas_limit < gas_limit) gas_limit = latest->gas_limit;

    std::vector<CallToSend> calls;
    calls.reserve(plan.transactions.size());
    for (const auto& planned : plan.transactions) {
        calls.push_back(CallToSend{
            &deployer, chain::ContractCall{planned.to, planned.data, U256(), planned.description}, gas_limit});
    }
    if (log) {
        log("deploying PoCo v6.1.0 from " + from.to_checksum() + " on chain " + std::to_string(chain_id) + ": " +
            std::to_string(calls.size()) + " transactions");
    }
    const auto progress = [&](std::size_t index, std::size_t total, const std::string& description,
                              const chain::Receipt& r) {
        if (!log) return;
        std::string line = "deploying PoCo: " + std::to_string(index) + "/" + std::to_string(total) + " " + description;
        if (r.contract_address) line += " at " + r.contract_address->to_checksum();
        log(line);
    };
    WP_TRY(auto sent, send_calls(rpc, std::move(calls), options.timeout, progress));
    std::vector<chain::Receipt> receipts;
    for (std::size_t i = 0; i < sent.size(); ++i) {
        if (sent[i].nonce != plan.transactions[i].nonce) {
            return make_error(Errc::kRemote, plan.transactions[i].description + ": sent with nonce " +
                                                 std::to_string(sent[i].nonce) + ", planned " +
                                                 std::to_string(plan.transactions[i].nonce) +
                                                 " (another transaction from the deployer?)");
        }
        receipts.push_back(std::move(sent[i].receipt));
    }

    PocoDeployment deployment;
    for (std::size_t i = 0; i < receipts.size(); ++i) {
        const auto& planned = plan.transactions[i];
        deployment.gas_used += receipts[i].gas_used;
        if (planned.created && receipts[i].contract_address != planned.created) {
            return make_error(Errc::kRemote,
                              planned.description + ": created " +
                                  (receipts[i].contract_address ? receipts[i].contract_address->to_checksum()
                                                                : std::string("no contract")) +
                                  ", planned " + planned.created->to_checksum());
        }
    }
    if (options.verify) WP_TRY_VOID(verify_poco_deployment(eth, plan, from, chain_id));
    deployment.chain_id = chain_id;
    deployment.info = deployment_info_from_plan(plan, chain_id, rpc.options().url);
    deployment.plan = std::move(plan);
    deployment.elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return deployment;
}

}  // namespace wp::devnet
