#include "match_facts.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/types.hpp>

namespace wp::chain {

namespace {

HubError wrap(std::string_view what, HubError e) {
    e.message = std::string(what) + ": " + e.message;
    return e;
}

}  // namespace

HubResult<SignatureCheck> signature_check_from_chain(Hub& hub, const Address& account, const Bytes32& hash,
                                                     ByteView sign, const BlockTag& block) {
    auto valid = hub.verify_presignature_or_signature(account, hash, sign, block);
    if (valid) return *valid ? SignatureCheck::kValid : SignatureCheck::kInvalid;
    if (valid.error().reverted() && valid.error().revert_reason() == "invalid-signature-format") {
        return SignatureCheck::kInvalidFormat;
    }
    return tl::unexpected(std::move(valid).error());
}

HubResult<bool> group_member_from_chain(Hub& hub, const Address& restriction, const Address& account,
                                        const BlockTag& block) {
    auto data = abi_encode_call("keyHasPurpose(bytes32,uint256)", {AbiValue::fixed_bytes(account.to_word().view()),
                                                                   AbiValue::uint_(U256(kGroupMemberPurpose))});
    if (!data) return tl::unexpected(HubError{Errc::kInvalidArgument, "keyHasPurpose: " + data.error().message, {}});
    CallRequest request;
    request.to = restriction;
    request.data = std::move(*data);
    auto out = hub.eth().call(request, block);
    if (!out) {
        HubError e = hub_error_from_rpc("keyHasPurpose", out.error());
        if (e.reverted()) return false;  // try/catch in the contract
        return tl::unexpected(std::move(e));
    }
    // No code: empty return data (the contract does not even call). Return data that is not a bool would make the
    // contract revert while decoding it (outside the catch): not modelled, counted as false.
    if (out->size() < 32) return false;
    for (std::size_t i = 0; i + 1 < 32; ++i) {
        if ((*out)[i] != 0) return false;
    }
    return (*out)[31] == 1;
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
    CallRequest request;
    request.to = entry;
    auto data = abi_encode_call("owner()", {});
    if (!data) return tl::unexpected(HubError{Errc::kInvalidArgument, "owner: " + data.error().message, {}});
    request.data = std::move(*data);
    auto out = hub.eth().call(request, block);
    if (!out) {
        HubError e = hub_error_from_rpc("owner", out.error());
        if (e.reverted()) return std::optional<Address>();
        return tl::unexpected(std::move(e));
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

HubResult<MatchFacts> match_facts_from_chain(Hub& hub, const AppOrder& app, const DatasetOrder& dataset,
                                             const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                             const MatchFactsOptions& options) {
    auto pinned = pin_block(hub.eth(), options.block);
    if (!pinned) return tl::unexpected(std::move(pinned).error());
    const BlockTag block = *pinned;
    MatchFacts f;
    f.version = options.version;
    f.sponsor = options.sponsor;
    {
        auto separator = hub.domain_separator(block);
        if (!separator) return tl::unexpected(std::move(separator).error());
        f.domain_separator = *separator;
        auto count = hub.count_category(block);
        if (!count) return tl::unexpected(std::move(count).error());
        f.category_count = *count;
    }
    const bool has_dataset = !dataset.dataset.is_zero();

    auto asset = [&](const Address& entry, RegistryKind kind, const Order& order,
                     const char* what) -> HubResult<AssetFacts> {
        AssetFacts a;
        auto owner = entry_owner_from_chain(hub, entry, block);
        if (!owner) return tl::unexpected(wrap(what, std::move(owner).error()));
        a.owner = *owner;
        auto registered = hub.is_registered(kind, entry, block);
        if (!registered) return tl::unexpected(wrap(what, std::move(registered).error()));
        a.registered = *registered;
        if (a.owner) {
            auto check = signature_check_from_chain(hub, *a.owner, order_hash(f.domain_separator, order),
                                                    order_sign(order), block);
            if (!check) return tl::unexpected(wrap(what, std::move(check).error()));
            a.signature = *check;
        }
        return a;
    };
    auto app_facts = asset(app.app, RegistryKind::kApp, Order(app), "app");
    if (!app_facts) return tl::unexpected(std::move(app_facts).error());
    f.app = *app_facts;
    if (has_dataset) {
        auto dataset_facts = asset(dataset.dataset, RegistryKind::kDataset, Order(dataset), "dataset");
        if (!dataset_facts) return tl::unexpected(std::move(dataset_facts).error());
        f.dataset = *dataset_facts;
    }
    auto pool_facts = asset(workerpool.workerpool, RegistryKind::kWorkerpool, Order(workerpool), "workerpool");
    if (!pool_facts) return tl::unexpected(std::move(pool_facts).error());
    f.workerpool = *pool_facts;
    {
        auto check = signature_check_from_chain(hub, request.requester, order_hash(f.domain_separator, Order(request)),
                                                request.sign, block);
        if (!check) return tl::unexpected(wrap("request", std::move(check).error()));
        f.request_signature = *check;
    }

    auto consumed = [&](const Order& order, U256& out) -> HubResult<void> {
        auto c = hub.view_consumed(order_hash(f.domain_separator, order), block);
        if (!c) return tl::unexpected(std::move(c).error());
        out = *c;
        return {};
    };
    if (auto r = consumed(Order(app), f.consumed_app); !r) return tl::unexpected(std::move(r).error());
    if (has_dataset) {
        if (auto r = consumed(Order(dataset), f.consumed_dataset); !r) return tl::unexpected(std::move(r).error());
    }
    if (auto r = consumed(Order(workerpool), f.consumed_workerpool); !r) return tl::unexpected(std::move(r).error());
    if (auto r = consumed(Order(request), f.consumed_request); !r) return tl::unexpected(std::move(r).error());

    if (f.workerpool.owner && f.workerpool.registered) {
        auto pool = hub.workerpool_entry(workerpool.workerpool, block);
        if (!pool) return tl::unexpected(wrap("workerpool policies", std::move(pool).error()));
        f.worker_stake_ratio_policy = pool->worker_stake_ratio_policy;
        f.scheduler_reward_ratio_policy = pool->scheduler_reward_ratio_policy;
    }

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
    std::map<std::pair<Address, Address>, bool> members;
    for (const auto& [restriction, account] : restrictions) {
        if (restriction.is_zero() || restriction == account || members.contains({restriction, account})) continue;
        auto member = group_member_from_chain(hub, restriction, account, block);
        if (!member) return tl::unexpected(std::move(member).error());
        members[{restriction, account}] = *member;
    }
    f.group_member = [members = std::move(members)](const Address& restriction, const Address& account) {
        auto it = members.find({restriction, account});
        return it != members.end() && it->second;
    };

    const Address payer = options.sponsor ? *options.sponsor : request.requester;
    auto payer_balance = hub.balance_of(payer, block);
    if (!payer_balance) return tl::unexpected(std::move(payer_balance).error());
    f.sponsor_balance = *payer_balance;
    if (f.workerpool.owner) {
        auto owner_balance = hub.balance_of(*f.workerpool.owner, block);
        if (!owner_balance) return tl::unexpected(std::move(owner_balance).error());
        f.workerpool_owner_balance = *owner_balance;
    }

    auto header = hub.eth().get_block_by_number(block);
    if (!header) return tl::unexpected(hub_error_from_rpc("eth_getBlockByNumber", header.error()));
    if (!*header) return tl::unexpected(HubError{Errc::kRemote, "eth_getBlockByNumber: no block " + block.str(), {}});
    f.timestamp = U256((*header)->timestamp);
    return f;
}

}  // namespace wp::chain
