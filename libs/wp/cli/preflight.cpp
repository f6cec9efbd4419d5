#include "preflight.hpp"

#include <wp/protocol/economics.hpp>
#include <wp/protocol/tag.hpp>

namespace wp::cli {
namespace {

tl::unexpected<Error> refuse(std::string message) { return make_error(Errc::kInvalidArgument, std::move(message)); }

Result<void> check_owned(std::string_view kind, const Address& resource, const Address& signer,
                         const ResourceFacts& facts) {
    if (!facts.registered || !facts.owner)
        return refuse("No " + std::string(kind) + " deployed at address " + resource.to_checksum());
    if (!(*facts.owner == signer))
        return refuse("Invalid order signer, must be the resource owner (owner " + facts.owner->to_checksum() +
                      ", signer " + signer.to_checksum() + ")");
    return {};
}

Result<void> check_volume(OrderKind kind, const U256& volume) {
    if (volume.is_zero()) return refuse(std::string(order_key(kind)) + ".volume must be at least 1 (got 0)");
    return {};
}

Result<void> check_sdk_tag(OrderKind kind, const Bytes32& tag) {
    auto ok = validate_order_tag(kind, tag);
    if (!ok) return refuse(std::string(order_key(kind)) + ".tag: " + ok.error().message);
    return {};
}

}  // namespace

std::string supported_workerpool_tags() {
    return "standard 0x0, Scone TEE 0x3, Gramine TEE 0x5, TDX TEE 0x9, each optionally with GPU 0x100";
}

Result<PreflightReport> check_workerpool_order(const WorkerpoolOrder& order, const Address& signer,
                                               const ResourceFacts& facts) {
    WP_TRY_VOID(check_owned("workerpool", order.workerpool, signer, facts));
    WP_TRY_VOID(check_volume(OrderKind::kWorkerpool, order.volume));
    if (auto offer = validate_workerpool_offer(order.tag, order.trust); !offer) {
        if (offer.error().message.rfind("TEE workerpool orders", 0) == 0)
            return refuse("workerpoolorder.trust: " + offer.error().message);
        return refuse("workerpoolorder.tag: " + offer.error().message + " (" + supported_workerpool_tags() + ")");
    }
    if (!(order.category < facts.category_count))
        return refuse("workerpoolorder.category " + order.category.to_dec() +
                      " does not exist on chain (countCategory() = " + facts.category_count.to_dec() + ")");
    PreflightReport report;
    auto lock = scheduler_lock(order.workerpoolprice, order.volume);
    if (!lock) return refuse("workerpoolorder: " + lock.error().message);
    if (*lock > facts.owner_stake) {
        std::string w =
            "the workerpool owner's stake (" + facts.owner_stake.to_dec() +
            " nRLC) does not cover the lock of a full match, price x 30% x volume = " + lock->to_dec() +
            " nRLC: the market marks the order dead and a match of its whole volume reverts until the owner "
            "deposits more (iexec account deposit)";
        report.warnings.push_back(std::move(w));
    }
    return report;
}

Result<PreflightReport> check_app_order(const AppOrder& order, const Address& signer, const ResourceFacts& facts) {
    WP_TRY_VOID(check_owned("app", order.app, signer, facts));
    WP_TRY_VOID(check_volume(OrderKind::kApp, order.volume));
    WP_TRY_VOID(check_sdk_tag(OrderKind::kApp, order.tag));
    return PreflightReport{};
}

Result<PreflightReport> check_dataset_order(const DatasetOrder& order, const Address& signer,
                                            const ResourceFacts& facts) {
    WP_TRY_VOID(check_owned("dataset", order.dataset, signer, facts));
    WP_TRY_VOID(check_volume(OrderKind::kDataset, order.volume));
    WP_TRY_VOID(check_sdk_tag(OrderKind::kDataset, order.tag));
    return PreflightReport{};
}

Result<PreflightReport> check_request_order(const RequestOrder& order) {
    WP_TRY_VOID(check_volume(OrderKind::kRequest, order.volume));
    WP_TRY_VOID(check_sdk_tag(OrderKind::kRequest, order.tag));
    return PreflightReport{};
}

Result<MatchedDeal> check_match(const AppOrder& app, const DatasetOrder& dataset, const WorkerpoolOrder& workerpool,
                                const RequestOrder& request, const MatchFacts& facts) {
    auto deal = match_orders(app, dataset, workerpool, request, facts);
    if (deal) return std::move(*deal);
    const MatchRevert& r = deal.error();
    switch (r.kind) {
        case RevertKind::kEmpty:
            return make_error(Errc::kInvalidArgument, "matchOrders would revert without a reason: " + r.explanation);
        case RevertKind::kPanic:
            return make_error(Errc::kOverflow, "matchOrders would revert (" + r.reason + "): " + r.explanation);
        case RevertKind::kReason: break;
    }
    return make_error(Errc::kInvalidArgument, "matchOrders would revert (" + r.reason + "): " + r.explanation);
}

chain::HubResult<ResourceFacts> fetch_resource_facts(chain::Hub& hub, const Order& order) {
    ResourceFacts facts;
    Address resource;
    chain::RegistryKind registry = chain::RegistryKind::kApp;
    switch (kind_of(order)) {
        case OrderKind::kApp: resource = std::get<AppOrder>(order).app; break;
        case OrderKind::kDataset:
            resource = std::get<DatasetOrder>(order).dataset;
            registry = chain::RegistryKind::kDataset;
            break;
        case OrderKind::kWorkerpool:
            resource = std::get<WorkerpoolOrder>(order).workerpool;
            registry = chain::RegistryKind::kWorkerpool;
            break;
        case OrderKind::kRequest:
            return tl::unexpected(chain::HubError{Errc::kInvalidArgument, "request orders have no resource", {}});
    }
    auto registered = hub.is_registered(registry, resource);
    if (!registered) return tl::unexpected(registered.error());
    facts.registered = *registered;
    if (!facts.registered) return facts;
    auto owner = chain::entry_owner_from_chain(hub, resource);
    if (!owner) return tl::unexpected(owner.error());
    facts.owner = *owner;
    if (kind_of(order) == OrderKind::kWorkerpool) {
        auto count = hub.count_category();
        if (!count) return tl::unexpected(count.error());
        facts.category_count = *count;
        if (facts.owner) {
            auto account = hub.view_account(*facts.owner);
            if (!account) return tl::unexpected(account.error());
            facts.owner_stake = account->stake;
        }
    }
    return facts;
}

Result<PreflightReport> preflight_order(chain::Hub& hub, const Order& order, const Address& signer) {
    if (kind_of(order) == OrderKind::kRequest) return check_request_order(std::get<RequestOrder>(order));
    auto facts = fetch_resource_facts(hub, order);
    if (!facts) return make_error(facts.error().to_error());
    switch (kind_of(order)) {
        case OrderKind::kApp: return check_app_order(std::get<AppOrder>(order), signer, *facts);
        case OrderKind::kDataset: return check_dataset_order(std::get<DatasetOrder>(order), signer, *facts);
        case OrderKind::kWorkerpool: return check_workerpool_order(std::get<WorkerpoolOrder>(order), signer, *facts);
        case OrderKind::kRequest: break;
    }
    return PreflightReport{};
}

Result<MatchedDeal> preflight_match(chain::Hub& hub, const AppOrder& app, const DatasetOrder& dataset,
                                    const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                    const chain::MatchFactsOptions& options) {
    auto facts = chain::match_facts_from_chain(hub, app, dataset, workerpool, request, options);
    if (!facts) return make_error(facts.error().to_error().with_context("matchOrders preflight"));
    return check_match(app, dataset, workerpool, request, *facts);
}

}  // namespace wp::cli
