#include "match_facts.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>

#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/types.hpp>

namespace wp::chain {

namespace {

namespace json = boost::json;

HubError wrap(std::string_view what, HubError e) {
    e.message = std::string(what) + ": " + e.message;
    return e;
}

// ---- interpretation of one read's answer (shared by the single reads and the batches) ----

HubResult<SignatureCheck> signature_check_of(HubResult<Bytes> out) {
    if (!out) {
        if (out.error().reverted() && out.error().revert_reason() == "invalid-signature-format")
            return SignatureCheck::kInvalidFormat;
        return tl::unexpected(std::move(out).error());
    }
    auto v = decode_outputs(HubFn::kVerifyPresignatureOrSignature, *out);
    if (!v) return tl::unexpected(std::move(v).error());
    const bool* valid = v->at(0).as_bool();
    return valid != nullptr && *valid ? SignatureCheck::kValid : SignatureCheck::kInvalid;
}

HubResult<bool> group_member_of(HubResult<Bytes> out) {
    if (!out) {
        if (out.error().reverted()) return false;  // try/catch in the contract
        return tl::unexpected(std::move(out).error());
    }
    // No code: empty return data (the contract does not even call). Return data that is not a bool would make the
    // contract revert while decoding it (outside the catch): not modelled, counted as false.
    if (out->size() < 32) return false;
    for (std::size_t i = 0; i + 1 < 32; ++i) {
        if ((*out)[i] != 0) return false;
    }
    return (*out)[31] == 1;
}

HubResult<std::optional<Address>> entry_owner_of(HubResult<Bytes> out) {
    if (!out) {
        if (out.error().reverted()) return std::optional<Address>();
        return tl::unexpected(std::move(out).error());
    }
    if (out->empty()) return std::optional<Address>();  // no code (or a fallback that returns nothing)
    bool clean = out->size() >= 32;
    for (std::size_t i = 0; clean && i < 12; ++i) clean = (*out)[i] == 0;
    if (!clean) {
        return tl::unexpected(HubError{Errc::kDecoding,
                                       "owner: return data is not an ABI address (" + std::to_string(out->size()) +
                                           " bytes: " + to_hex(*out) + ")",
                                       {}});
    }
    Bytes32 word;
    std::copy(out->begin(), out->begin() + 32, word.bytes.begin());
    return std::optional<Address>(Address::from_word(word));
}

// The first output of `fn` as T (U256, bool, Bytes32).
template <class T>
HubResult<T> single_output(HubFn fn, const HubResult<Bytes>& out) {
    if (!out) return tl::unexpected(out.error());
    auto v = decode_outputs(fn, *out);
    if (!v) return tl::unexpected(std::move(v).error());
    const AbiValue& first = v->at(0);
    if constexpr (std::is_same_v<T, U256>) {
        if (const auto* x = first.as_uint()) return *x;
    } else if constexpr (std::is_same_v<T, bool>) {
        if (const auto* x = first.as_bool()) return *x;
    } else {
        if (const auto* x = first.as_fixed_bytes()) {
            auto b = Bytes32::from_view(ByteView(x->bytes));
            if (b) return *b;
        }
    }
    return tl::unexpected(HubError{Errc::kDecoding, hub_signature(fn).name + ": unexpected output type", {}});
}

HubResult<ContractCall> owner_call(const Address& entry) {
    auto data = abi_encode_call("owner()", {});
    if (!data) return tl::unexpected(HubError{Errc::kInvalidArgument, "owner: " + data.error().message, {}});
    return ContractCall{entry, std::move(*data), U256{}, "owner"};
}

HubResult<ContractCall> group_member_call(const Address& restriction, const Address& account) {
    auto data = abi_encode_call("keyHasPurpose(bytes32,uint256)", {AbiValue::fixed_bytes(account.to_word().view()),
                                                                   AbiValue::uint_(U256(kGroupMemberPurpose))});
    if (!data) return tl::unexpected(HubError{Errc::kInvalidArgument, "keyHasPurpose: " + data.error().message, {}});
    return ContractCall{restriction, std::move(*data), U256{}, "keyHasPurpose"};
}

HubResult<Bytes> simulate_one(Hub& hub, const HubResult<ContractCall>& call, const BlockTag& block) {
    if (!call) return tl::unexpected(call.error());
    return hub.simulate(*call, std::nullopt, block);
}

// A set of reads sent together (batch_chunked, in batches of hub.max_calls_per_batch()), each answer handed to its
// handler; the first handler error is kept (in the order the reads were added).
class ReadBatch {
  public:
    ReadBatch(Hub& hub, BlockTag block) : hub_(hub), block_(std::move(block)) {}

    //! An eth_call; `handle` gets the return data or the HubError (named after call.description). A call that
    //! could not be built is handed its error at run().
    void call(HubResult<ContractCall> call, std::function<HubResult<void>(HubResult<Bytes>)> handle) {
        if (!call) {
            local_.emplace_back(std::move(call).error(), std::move(handle));
            return;
        }
        CallRequest request;
        request.to = call->to;
        request.data = call->data;
        calls_.push_back(eth_call_request(request, block_));
        handlers_.push_back([handle = std::move(handle), name = call->description](RpcResult<json::value> answer) {
            auto bytes = eth_call_result(std::move(answer));
            if (!bytes) return handle(tl::unexpected(hub_error_from_rpc(name, bytes.error())));
            return handle(std::move(*bytes));
        });
    }
    //! Any JSON-RPC call (e.g. eth_getBlockByNumber).
    void raw(RpcCall call, std::function<HubResult<void>(RpcResult<json::value>)> handle) {
        calls_.push_back(std::move(call));
        handlers_.push_back(std::move(handle));
    }
    //! Sends everything; the first error of a handler, in the order the reads were added (builds first).
    HubResult<void> run() {
        std::optional<HubError> first;
        for (auto& [error, handle] : local_) {
            auto r = handle(tl::unexpected(error));
            if (!r && !first) first = std::move(r).error();
        }
        auto answers = batch_chunked(hub_.eth().rpc(), std::move(calls_), hub_.max_calls_per_batch());
        for (std::size_t i = 0; i < answers.size(); ++i) {
            auto r = handlers_[i](std::move(answers[i]));
            if (!r && !first) first = std::move(r).error();
        }
        calls_.clear();
        handlers_.clear();
        local_.clear();
        if (first) return tl::unexpected(std::move(*first));
        return {};
    }

  private:
    Hub& hub_;
    BlockTag block_;
    std::vector<RpcCall> calls_;
    std::vector<std::function<HubResult<void>(RpcResult<json::value>)>> handlers_;
    std::vector<std::pair<HubError, std::function<HubResult<void>(HubResult<Bytes>)>>> local_;
};

}  // namespace

HubResult<SignatureCheck> signature_check_from_chain(Hub& hub, const Address& account, const Bytes32& hash,
                                                     ByteView sign, const BlockTag& block) {
    auto call = hub.build(HubFn::kVerifyPresignatureOrSignature, hub.address(),
                          {AbiValue::address(account), AbiValue::fixed_bytes(hash.view()),
                           AbiValue::bytes(Bytes(sign.begin(), sign.end()))});
    return signature_check_of(simulate_one(hub, call, block));
}

HubResult<bool> group_member_from_chain(Hub& hub, const Address& restriction, const Address& account,
                                        const BlockTag& block) {
    return group_member_of(simulate_one(hub, group_member_call(restriction, account), block));
}

HubResult<BlockTag> pin_block(EthClient& eth, const BlockTag& block) {
    if (block == BlockTag::latest()) {
        auto number = eth.block_number();
        if (!number) return tl::unexpected(hub_error_from_rpc("eth_blockNumber", number.error()));
        return BlockTag::number(*number);
    }
    if (block == BlockTag::safe() || block == BlockTag::finalized()) {
        const std::string what = "eth_getBlockByNumber(" + block.str() + ")";
        auto header = eth.get_block_by_number(block);
        if (!header) return tl::unexpected(hub_error_from_rpc(what, header.error()));
        if (!*header) return tl::unexpected(HubError{Errc::kRemote, what + ": the node has no such block", {}});
        return BlockTag::number((*header)->number);
    }
    return block;
}

HubResult<std::optional<Address>> entry_owner_from_chain(Hub& hub, const Address& entry, const BlockTag& block) {
    return entry_owner_of(simulate_one(hub, owner_call(entry), block));
}

HubResult<MatchFacts> match_facts_from_chain(Hub& hub, const AppOrder& app, const DatasetOrder& dataset,
                                             const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                             const MatchFactsOptions& options) {
    auto pinned = pin_block(hub.eth(), options.block);
    if (!pinned) return tl::unexpected(std::move(pinned).error());
    const BlockTag block = *pinned;
    MatchFacts f;
    f.version = options.version;
    f.sponsor = options.sponsor;
    const bool has_dataset = !dataset.dataset.is_zero();
    const Address payer = options.sponsor ? *options.sponsor : request.requester;
    const auto a = [](const Address& x) { return AbiValue::address(x); };

    // Round 1: everything that needs neither the domain separator nor the owners.
    ReadBatch first(hub, block);
    first.call(hub.build(HubFn::kEip712DomainSeparator, hub.address(), {}),
               [&](HubResult<Bytes> out) -> HubResult<void> {
                   auto v = single_output<Bytes32>(HubFn::kEip712DomainSeparator, out);
                   if (!v) return tl::unexpected(std::move(v).error());
                   f.domain_separator = *v;
                   return {};
               });
    first.call(hub.build(HubFn::kCountCategory, hub.address(), {}), [&](HubResult<Bytes> out) -> HubResult<void> {
        auto v = single_output<U256>(HubFn::kCountCategory, out);
        if (!v) return tl::unexpected(std::move(v).error());
        f.category_count = *v;
        return {};
    });
    auto asset = [&](const Address& entry, RegistryKind kind, AssetFacts& facts, const char* what) {
        first.call(owner_call(entry), [&facts, what](HubResult<Bytes> out) -> HubResult<void> {
            auto owner = entry_owner_of(std::move(out));
            if (!owner) return tl::unexpected(wrap(what, std::move(owner).error()));
            facts.owner = *owner;
            return {};
        });
        auto registry = hub.registry_address(HubFn::kRegistryIsRegistered, kind);
        HubResult<ContractCall> call = registry ? hub.build(HubFn::kRegistryIsRegistered, *registry, {a(entry)})
                                                : HubResult<ContractCall>(tl::unexpected(registry.error()));
        first.call(std::move(call), [&facts, what](HubResult<Bytes> out) -> HubResult<void> {
            auto registered = single_output<bool>(HubFn::kRegistryIsRegistered, out);
            if (!registered) return tl::unexpected(wrap(what, std::move(registered).error()));
            facts.registered = *registered;
            return {};
        });
    };
    asset(app.app, RegistryKind::kApp, f.app, "app");
    if (has_dataset) asset(dataset.dataset, RegistryKind::kDataset, f.dataset, "dataset");
    asset(workerpool.workerpool, RegistryKind::kWorkerpool, f.workerpool, "workerpool");
    // The workerpool's policies: read whatever W.workerpool is, used (and their errors reported) only when it is a
    // registered workerpool with an owner, as the contract reads them.
    HubResult<U256> stake_policy = U256{};
    HubResult<U256> reward_policy = U256{};
    first.call(hub.build(HubFn::kWorkerStakeRatioPolicy, workerpool.workerpool, {}), [&](HubResult<Bytes> out) {
        stake_policy = single_output<U256>(HubFn::kWorkerStakeRatioPolicy, out);
        return HubResult<void>{};
    });
    first.call(hub.build(HubFn::kSchedulerRewardRatioPolicy, workerpool.workerpool, {}), [&](HubResult<Bytes> out) {
        reward_policy = single_output<U256>(HubFn::kSchedulerRewardRatioPolicy, out);
        return HubResult<void>{};
    });
    // The ten restriction checks (0x12–0x1b): evaluate the group-membership ones now.
    const std::pair<Address, Address> restrictions[] = {{request.workerpool, workerpool.workerpool},
                                                        {app.datasetrestrict, dataset.dataset},
                                                        {app.workerpoolrestrict, workerpool.workerpool},
                                                        {app.requesterrestrict, request.requester},
                                                        {dataset.apprestrict, app.app},
                                                        {dataset.workerpoolrestrict, workerpool.workerpool},
                                                        {dataset.requesterrestrict, request.requester},
                                                        {workerpool.apprestrict, app.app},
                                                        {workerpool.datasetrestrict, dataset.dataset},
                                                        {workerpool.requesterrestrict, request.requester}};
    auto members = std::make_shared<std::map<std::pair<Address, Address>, bool>>();
    for (const auto& [restriction, account] : restrictions) {
        if (restriction.is_zero() || restriction == account || members->contains({restriction, account})) continue;
        (*members)[{restriction, account}] = false;
        first.call(group_member_call(restriction, account),
                   [&, key = std::make_pair(restriction, account)](HubResult<Bytes> out) -> HubResult<void> {
                       auto member = group_member_of(std::move(out));
                       if (!member) return tl::unexpected(std::move(member).error());
                       (*members)[key] = *member;
                       return {};
                   });
    }
    first.call(hub.build(HubFn::kBalanceOf, hub.address(), {a(payer)}), [&](HubResult<Bytes> out) -> HubResult<void> {
        auto v = single_output<U256>(HubFn::kBalanceOf, out);
        if (!v) return tl::unexpected(std::move(v).error());
        f.sponsor_balance = *v;
        return {};
    });
    first.raw(
        RpcCall{"eth_getBlockByNumber", json::array{json::value(block.str()), json::value(false)}},
        [&](RpcResult<json::value> answer) -> HubResult<void> {
            if (!answer) return tl::unexpected(hub_error_from_rpc("eth_getBlockByNumber", answer.error()));
            if (answer->is_null())
                return tl::unexpected(HubError{Errc::kRemote, "eth_getBlockByNumber: no block " + block.str(), {}});
            auto header = parse_block_header(*answer);
            if (!header)
                return tl::unexpected(HubError{Errc::kDecoding, "eth_getBlockByNumber: " + header.error().message, {}});
            f.timestamp = U256(header->timestamp);
            return {};
        });
    if (auto r = first.run(); !r) return tl::unexpected(std::move(r).error());
    if (f.workerpool.owner && f.workerpool.registered) {
        if (!stake_policy) return tl::unexpected(wrap("workerpool policies", std::move(stake_policy).error()));
        if (!reward_policy) return tl::unexpected(wrap("workerpool policies", std::move(reward_policy).error()));
        f.worker_stake_ratio_policy = *stake_policy;
        f.scheduler_reward_ratio_policy = *reward_policy;
    }
    f.group_member = [members](const Address& restriction, const Address& account) {
        auto it = members->find({restriction, account});
        return it != members->end() && it->second;
    };

    // Round 2: the signature checks (owners, order hashes), the consumed volumes, the workerpool owner's balance.
    ReadBatch second(hub, block);
    auto signature = [&](const Address& signer, const Order& order, SignatureCheck& out, const char* what) {
        auto call = hub.build(HubFn::kVerifyPresignatureOrSignature, hub.address(),
                              {a(signer), AbiValue::fixed_bytes(order_hash(f.domain_separator, order).view()),
                               AbiValue::bytes(order_sign(order))});
        second.call(std::move(call), [&out, what](HubResult<Bytes> answer) -> HubResult<void> {
            auto check = signature_check_of(std::move(answer));
            if (!check) return tl::unexpected(wrap(what, std::move(check).error()));
            out = *check;
            return {};
        });
    };
    if (f.app.owner) signature(*f.app.owner, Order(app), f.app.signature, "app");
    if (has_dataset && f.dataset.owner) signature(*f.dataset.owner, Order(dataset), f.dataset.signature, "dataset");
    if (f.workerpool.owner) signature(*f.workerpool.owner, Order(workerpool), f.workerpool.signature, "workerpool");
    signature(request.requester, Order(request), f.request_signature, "request");
    auto consumed = [&](const Order& order, U256& out) {
        second.call(hub.build(HubFn::kViewConsumed, hub.address(),
                              {AbiValue::fixed_bytes(order_hash(f.domain_separator, order).view())}),
                    [&out](HubResult<Bytes> answer) -> HubResult<void> {
                        auto v = single_output<U256>(HubFn::kViewConsumed, answer);
                        if (!v) return tl::unexpected(std::move(v).error());
                        out = *v;
                        return {};
                    });
    };
    consumed(Order(app), f.consumed_app);
    if (has_dataset) consumed(Order(dataset), f.consumed_dataset);
    consumed(Order(workerpool), f.consumed_workerpool);
    consumed(Order(request), f.consumed_request);
    if (f.workerpool.owner) {
        second.call(hub.build(HubFn::kBalanceOf, hub.address(), {a(*f.workerpool.owner)}),
                    [&](HubResult<Bytes> out) -> HubResult<void> {
                        auto v = single_output<U256>(HubFn::kBalanceOf, out);
                        if (!v) return tl::unexpected(std::move(v).error());
                        f.workerpool_owner_balance = *v;
                        return {};
                    });
    }
    if (auto r = second.run(); !r) return tl::unexpected(std::move(r).error());
    return f;
}

}  // namespace wp::chain
