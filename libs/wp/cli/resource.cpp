#include "resource.hpp"

#include <wp/chain/hub.hpp>
#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

#include <span>
#include <variant>
#include <vector>

#include <boost/json.hpp>

#include <wp/protocol/tag.hpp>

#include "amount.hpp"
#include "cmd_order.hpp"
#include "command.hpp"
#include "multiaddr.hpp"
#include "preflight.hpp"
#include "sms.hpp"

namespace wp::cli {

chain::RegistryKind registry_of(ResourceKind kind) {
    switch (kind) {
        case ResourceKind::kApp: return chain::RegistryKind::kApp;
        case ResourceKind::kDataset: return chain::RegistryKind::kDataset;
        case ResourceKind::kWorkerpool: return chain::RegistryKind::kWorkerpool;
    }
    return chain::RegistryKind::kWorkerpool;
}

namespace {

namespace json = boost::json;

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

Result<Address> user_or_wallet(Context& ctx, const std::optional<std::string>& user) {
    if (user) {
        auto parsed = Address::parse(*user);
        if (!parsed) return make_error(Errc::kInvalidArgument, *user + " is not a valid ethereum address");
        return *parsed;
    }
    auto address = ctx.wallet_address();
    if (!address) return make_error(Errc::kInvalidArgument, "Missing option --user <address> or wallet");
    return *address;
}

Result<Address> resource_to_show(Context& ctx, ResourceKind kind, const std::optional<std::string>& argument,
                                 const std::optional<std::string>& user) {
    const std::string name(resource_key(kind));
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    WP_TRY(chain::Hub * hub, ctx.hub());
    Address address;
    if (!argument) {
        WP_TRY(DeployedFile deployed, ctx.deployed());
        auto found = deployed.find(kind, c->id);
        if (!found)
            return make_error(Errc::kInvalidArgument, "Missing " + name + "Address and no " + name +
                                                          " found in \"deployed.json\" for chain " +
                                                          std::to_string(c->id));
        address = *found;
    } else if (all_digits(*argument)) {
        WP_TRY(Address owner, user_or_wallet(ctx, user));
        WP_TRY(U256 index, U256::from_dec(*argument));
        auto count = hub->registry_balance_of(registry_of(kind), owner);
        if (!count) return make_error(count.error().to_error());
        if (index >= *count) return make_error(Errc::kInvalidArgument, name + " not deployed");
        auto token = hub->token_of_owner_by_index(registry_of(kind), owner, index);
        if (!token) return make_error(token.error().to_error());
        address = *token;
    } else {
        auto parsed = Address::parse(*argument);
        if (!parsed) return make_error(Errc::kInvalidArgument, *argument + " is not a valid ethereum address");
        address = *parsed;
    }
    auto registered = hub->is_registered(registry_of(kind), address);
    if (!registered) return make_error(registered.error().to_error());
    if (!*registered)
        return make_error(Errc::kInvalidArgument, "No " + name + " found for id " + address.to_checksum() +
                                                      " on chain " + std::to_string(c->id));
    return address;
}

Result<Address> minted_address(const chain::Receipt& receipt, const Address& registry) {
    static const Bytes32 kTransfer = keccak256(as_bytes(std::string_view("Transfer(address,address,uint256)")));
    for (const auto& log : receipt.logs)
        if (log.address == registry && log.topics.size() == 4 && log.topics[0] == kTransfer)
            return Address::from_word(log.topics[3]);
    return make_error(Errc::kDecoding, "no Transfer event of the registry " + registry.to_checksum() +
                                           " in the receipt of " + to_hex(receipt.transaction_hash));
}

Result<std::string> section_string(const boost::json::object& section, std::string_view section_name,
                                   std::string_view key) {
    const auto* v = section.if_contains(key);
    if (v == nullptr)
        return make_error(Errc::kInvalidArgument, std::string(key) + " is a required field in " +
                                                      std::string(section_name) + " of \"iexec.json\"");
    if (!v->is_string())
        return make_error(Errc::kInvalidArgument,
                          std::string(section_name) + "." + std::string(key) + " in \"iexec.json\": expected a string");
    return std::string(v->get_string());
}

void add_transfer_command(Registry& r, CLI::App* group, ResourceKind kind) {
    struct Args {
        std::string address;
        std::optional<std::string> to;
    };
    auto& a = r.keep<Args>();
    const std::string name(resource_key(kind));
    CLI::App* l = r.leaf(group, "transfer", "transfer the ownership of the " + name + " to an address",
                         kTransaction | kForceOption);
    l->add_option(name + "Address", a.address, name + " address")->required();
    l->add_option("--to", a.to, "receiver address");
    r.action(l, [&a, kind, name](Context& ctx) -> Result<Reply> {
        WP_TRY(const chain::ResolvedChain* c, ctx.chain());
        WP_TRY(chain::Hub * hub, ctx.hub());
        WP_TRY(const PrivateKey* key, ctx.wallet());
        if (!a.to) return make_error(Errc::kInvalidArgument, "Missing --to option");
        WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to transfer the ownership of the " + name + " " + a.address +
                                              " to " + *a.to + " [chainId: " + std::to_string(c->id) + "]"));
        auto address = Address::parse(a.address);
        if (!address) return make_error(Errc::kInvalidArgument, a.address + " is not a valid ethereum address");
        auto to = Address::parse(*a.to);
        if (!to) return make_error(Errc::kInvalidArgument, *a.to + " is not a valid ethereum address");
        auto registered = hub->is_registered(registry_of(kind), *address);
        if (!registered) return make_error(registered.error().to_error());
        if (!*registered) return make_error(Errc::kInvalidArgument, "Invalid " + name + " address");
        auto owner = hub->registry_owner_of(registry_of(kind), *address);
        if (!owner) return make_error(owner.error().to_error());
        if (*owner != key->address())
            return make_error(Errc::kInvalidArgument, "Only " + name + " owner can transfer " + name + " ownership");
        WP_TRY(Address registry, hub->registry_address(chain::HubFn::kRegistryOwnerOf, registry_of(kind)));
        WP_TRY(Bytes data, abi_encode_call("safeTransferFrom(address,address,uint256)",
                                           {AbiValue::address(key->address()), AbiValue::address(*to),
                                            AbiValue::uint_(U256::from_be32(address->to_word()))}));
        ctx.printer().start_spinner("Transferring " + name + " " + a.address + "...");
        WP_TRY(SentTx tx, ctx.send(chain::ContractCall{registry, std::move(data), U256{}, "safeTransferFrom"}));
        Reply reply;
        reply.payload["address"] = address->to_checksum();
        reply.payload["to"] = to->to_checksum();
        reply.payload["txHash"] = to_hex(tx.hash);
        reply.human = ctx.printer().ok_line("Successfully transferred " + name + " " + address->to_checksum() +
                                            " ownership to " + to->to_checksum());
        return reply;
    });
}

// ---- deploy / show / count -------------------------------------------------------------------------------------

namespace {

std::string capitalized(std::string_view name) {
    std::string out(name);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
    return out;
}

std::string bytes_text(const Bytes& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

//! What deploy sends: the registry's create call and the address it will mint.
struct Deployment {
    chain::ContractCall call;
    Address predicted;
};

template <class T>
Result<T> hub_value(chain::HubResult<T> r) {
    if (!r) return make_error(r.error().to_error());
    return std::move(*r);
}

using DeployParams = std::variant<chain::AppParams, chain::DatasetParams, chain::WorkerpoolParams>;

Result<DeployParams> app_params(const json::object& app) {
    WP_TRY(std::string owner_text, section_string(app, "app", "owner"));
    chain::AppParams params;
    WP_TRY(params.name, section_string(app, "app", "name"));
    WP_TRY(params.type, section_string(app, "app", "type"));
    WP_TRY(std::string multiaddr, section_string(app, "app", "multiaddr"));
    WP_TRY(std::string checksum, section_string(app, "app", "checksum"));
    auto owner = Address::parse(owner_text);
    if (!owner) return make_error(Errc::kInvalidArgument, owner_text + " is not a valid ethereum address");
    params.owner = *owner;
    if (params.type != "DOCKER") return make_error(Errc::kInvalidArgument, params.type + " is not a valid type");
    if (multiaddr.empty() || multiaddr.front() == '/')
        return make_error(Errc::kInvalidArgument,
                          "app.multiaddr: expected a Docker image name (multiformats addresses are not supported)");
    params.multiaddr = Bytes(multiaddr.begin(), multiaddr.end());
    auto sum = bytes32_from_hex(checksum);
    if (!sum) return make_error(Errc::kInvalidArgument, checksum + " is not a valid bytes32 hex string");
    params.checksum = *sum;
    if (const auto* mrenclave = app.if_contains("mrenclave");
        mrenclave != nullptr && !(mrenclave->is_string() && mrenclave->get_string().empty()))
        return make_error(Errc::kInvalidArgument, "app.mrenclave: TEE apps with an mrenclave are not supported");
    return DeployParams(std::move(params));
}

Result<DeployParams> dataset_params(const json::object& dataset) {
    WP_TRY(std::string owner_text, section_string(dataset, "dataset", "owner"));
    chain::DatasetParams params;
    WP_TRY(params.name, section_string(dataset, "dataset", "name"));
    WP_TRY(std::string multiaddr, section_string(dataset, "dataset", "multiaddr"));
    WP_TRY(std::string checksum, section_string(dataset, "dataset", "checksum"));
    auto owner = Address::parse(owner_text);
    if (!owner) return make_error(Errc::kInvalidArgument, owner_text + " is not a valid ethereum address");
    params.owner = *owner;
    WP_TRY(params.multiaddr, encode_multiaddr(multiaddr, "dataset.multiaddr"));
    auto sum = bytes32_from_hex(checksum);
    if (!sum) return make_error(Errc::kInvalidArgument, checksum + " is not a bytes32 hexstring");
    params.checksum = *sum;
    return DeployParams(std::move(params));
}

Result<DeployParams> workerpool_params(const json::object& pool) {
    WP_TRY(std::string owner_text, section_string(pool, "workerpool", "owner"));
    WP_TRY(std::string description, section_string(pool, "workerpool", "description"));
    auto owner = Address::parse(owner_text);
    if (!owner) return make_error(Errc::kInvalidArgument, owner_text + " is not a valid ethereum address");
    return DeployParams(chain::WorkerpoolParams{*owner, description});
}

Result<Deployment> deployment_of(chain::Hub& hub, const DeployParams& params) {
    if (const auto* p = std::get_if<chain::AppParams>(&params)) {
        WP_TRY(Address predicted, hub_value(hub.predict_app(*p)));
        WP_TRY(chain::ContractCall call, hub_value(hub.create_app(*p)));
        return Deployment{std::move(call), predicted};
    }
    if (const auto* p = std::get_if<chain::DatasetParams>(&params)) {
        WP_TRY(Address predicted, hub_value(hub.predict_dataset(*p)));
        WP_TRY(chain::ContractCall call, hub_value(hub.create_dataset(*p)));
        return Deployment{std::move(call), predicted};
    }
    const auto& p = std::get<chain::WorkerpoolParams>(params);
    WP_TRY(Address predicted, hub_value(hub.predict_workerpool(p)));
    WP_TRY(chain::ContractCall call, hub_value(hub.create_workerpool(p)));
    return Deployment{std::move(call), predicted};
}

Address registry_contract(chain::Hub& hub, ResourceKind kind) {
    switch (kind) {
        case ResourceKind::kApp: return hub.addresses().app_registry;
        case ResourceKind::kDataset: return hub.addresses().dataset_registry;
        case ResourceKind::kWorkerpool: return hub.addresses().workerpool_registry;
    }
    return {};
}

Result<Reply> deploy_resource(Context& ctx, ResourceKind kind) {
    const std::string name(resource_key(kind));
    WP_TRY(json::object iexec, ctx.iexec_json());
    const auto* section = iexec.if_contains(name);
    if (section == nullptr || !section->is_object())
        return make_error(Errc::kInvalidArgument,
                          "Missing " + name + " in \"iexec.json\". Did you forget to run \"iexec " + name + " init\"?");
    // The section is validated before the chain is touched (a bad file never opens a connection).
    const auto& fields = section->get_object();
    WP_TRY(DeployParams params, kind == ResourceKind::kApp       ? app_params(fields)
                                : kind == ResourceKind::kDataset ? dataset_params(fields)
                                                                 : workerpool_params(fields));
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    WP_TRY(chain::Hub * hub, ctx.hub());
    WP_TRY_VOID(ctx.wallet());
    WP_TRY(Deployment deployment, deployment_of(*hub, params));
    WP_TRY(bool registered, hub_value(hub->is_registered(registry_of(kind), deployment.predicted)));
    if (registered)
        return make_error(Errc::kInvalidArgument,
                          capitalized(name) + " already deployed at address " + deployment.predicted.to_checksum());
    ctx.printer().start_spinner("Deploying " + name + "...");
    WP_TRY(SentTx tx, ctx.send(deployment.call));
    WP_TRY(Address address, minted_address(tx.receipt, registry_contract(*hub, kind)));
    WP_TRY(DeployedFile deployed, ctx.deployed());
    deployed.set(kind, c->id, address);
    WP_TRY_VOID(ctx.save_deployed(deployed));
    Reply reply;
    reply.payload["address"] = address.to_checksum();
    reply.payload["txHash"] = to_hex(tx.hash);
    reply.human = ctx.printer().ok_line("Deployed new " + name + " at address " + address.to_checksum());
    return reply;
}

//! The resource's contract fields in the SDK's key order (its view functions in ABI order, "m_" stripped).
Result<json::object> resource_fields(chain::Hub& hub, ResourceKind kind, const Address& address) {
    switch (kind) {
        case ResourceKind::kApp: {
            WP_TRY(AppInfo info, hub_value(hub.app_entry(address)));
            return json::object{
                {"appChecksum", to_hex(info.app_checksum)},
                {"appMREnclave", bytes_text(info.app_mrenclave)},
                {"appMultiaddr", bytes_text(info.app_multiaddr)},
                {"appName", info.app_name},
                {"appType", info.app_type},
                {"owner", info.owner.to_checksum()},
                {"registry", hub.addresses().app_registry.to_checksum()},
            };
        }
        case ResourceKind::kDataset: {
            WP_TRY(DatasetInfo info, hub_value(hub.dataset_entry(address)));
            return json::object{
                {"datasetChecksum", to_hex(info.dataset_checksum)},
                {"datasetMultiaddr", decode_multiaddr(info.dataset_multiaddr)},
                {"datasetName", info.dataset_name},
                {"owner", info.owner.to_checksum()},
                {"registry", hub.addresses().dataset_registry.to_checksum()},
            };
        }
        case ResourceKind::kWorkerpool: {
            WP_TRY(WorkerpoolInfo info, hub_value(hub.workerpool_entry(address)));
            return json::object{
                {"schedulerRewardRatioPolicy", info.scheduler_reward_ratio_policy.to_dec()},
                {"workerStakeRatioPolicy", info.worker_stake_ratio_policy.to_dec()},
                {"workerpoolDescription", info.workerpool_description},
                {"owner", info.owner.to_checksum()},
                {"registry", hub.addresses().workerpool_registry.to_checksum()},
            };
        }
    }
    return make_error(Errc::kInvalidArgument, "unknown resource");
}

}  // namespace

void add_registry_commands(Registry& r, CLI::App* group, ResourceKind kind) {
    const std::string name(resource_key(kind));
    {
        CLI::App* l = r.leaf(group, "deploy", "deploy a new " + name, kTransaction);
        r.action(l, [kind](Context& ctx) { return deploy_resource(ctx, kind); });
    }
    {
        struct Args {
            std::optional<std::string> address;
            std::optional<std::string> user;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(group, "show", "show user " + name + " details", kChainOption | kWalletOptions);
        l->add_option("addressOrIndex", a.address, name + " address, or index among the user's " + name + "s");
        l->add_option("--user", a.user, "custom user address");
        r.action(l, [&a, kind, name](Context& ctx) -> Result<Reply> {
            WP_TRY(Address address, resource_to_show(ctx, kind, a.address, a.user));
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY(json::object fields, resource_fields(*hub, kind, address));
            Reply reply;
            reply.payload["address"] = address.to_checksum();
            reply.payload[name] = fields;
            reply.human = ctx.printer().ok_line(capitalized(name) + " " + address.to_checksum() + " details:\n") +
                          render_human(fields);
            return reply;
        });
    }
    {
        auto& user = r.keep<std::optional<std::string>>();
        CLI::App* l = r.leaf(group, "count", "get user " + name + " count", kChainOption | kWalletOptions);
        l->add_option("--user", user, "custom user address");
        r.action(l, [&user, kind, name](Context& ctx) -> Result<Reply> {
            WP_TRY(Address who, user_or_wallet(ctx, user));
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY(U256 count, hub_value(hub->registry_balance_of(registry_of(kind), who)));
            Reply reply;
            reply.payload["count"] = count.to_dec();
            reply.human =
                ctx.printer().ok_line("User " + who.to_checksum() + " has a total of " + count.to_dec() + " " + name);
            return reply;
        });
    }
}

// ---- publish / unpublish ---------------------------------------------------------------------------------------

namespace {

OrderKind order_kind_of(ResourceKind kind) {
    switch (kind) {
        case ResourceKind::kApp: return OrderKind::kApp;
        case ResourceKind::kDataset: return OrderKind::kDataset;
        case ResourceKind::kWorkerpool: return OrderKind::kWorkerpool;
    }
    return OrderKind::kWorkerpool;
}

//! The resource of a publish / unpublish: the argument (kept as typed for the SDK's messages), else deployed.json.
struct Target {
    Address address;
    std::string text;
};

Result<Target> publish_target(Context& ctx, ResourceKind kind, const std::string& argument) {
    const std::string name(resource_key(kind));
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    if (argument.empty()) {
        WP_TRY(DeployedFile deployed, ctx.deployed());
        auto found = deployed.find(kind, c->id);
        if (!found)
            return make_error(Errc::kInvalidArgument, "Missing " + name + "Address and no " + name +
                                                          " found in \"deployed.json\" for chain " +
                                                          std::to_string(c->id));
        ctx.printer().info("No " + name + " specified, using last " + name + " deployed from \"deployed.json\"");
        return Target{*found, found->to_checksum()};
    }
    auto parsed = Address::parse(argument);
    if (!parsed) return make_error(parsed.error().with_context(name + "Address"));
    return Target{*parsed, argument};
}

struct PublishArgs {
    std::string address;
    std::optional<std::string> category;
    std::vector<std::string> price;
    std::optional<std::string> volume, tag, trust, app_restrict, dataset_restrict, workerpool_restrict,
        requester_restrict;
    bool skip_preflight{false};
};

//! The order a publish signs, as the SDK's create<kind>order builds it from the flags (the price is added by the
//! caller, parsed from its one or two words).
json::object order_from_flags(ResourceKind kind, const Target& target, const PublishArgs& a) {
    const std::string name(resource_key(kind));
    json::object order{{name, target.address.to_checksum()}};
    if (kind == ResourceKind::kWorkerpool) {
        if (a.volume) order["volume"] = *a.volume;
        order["category"] = a.category.value_or("0");
        if (a.trust) order["trust"] = *a.trust;
    } else {
        order["volume"] = a.volume.value_or("1000000");
    }
    if (a.tag) order["tag"] = *a.tag;
    if (a.app_restrict) order["apprestrict"] = *a.app_restrict;
    if (a.dataset_restrict) order["datasetrestrict"] = *a.dataset_restrict;
    if (a.workerpool_restrict) order["workerpoolrestrict"] = *a.workerpool_restrict;
    if (a.requester_restrict) order["requesterrestrict"] = *a.requester_restrict;
    return order;
}

Result<Reply> publish_resource_order(Context& ctx, ResourceKind kind, const PublishArgs& a) {
    const std::string name(resource_key(kind));
    const OrderKind order_kind = order_kind_of(kind);
    WP_TRY(Target target, publish_target(ctx, kind, a.address));
    ctx.printer().info("Creating " + name + "order for " + name + " " + target.text);
    WP_TRY(chain::Hub * hub, ctx.hub());
    WP_TRY(bool registered, hub_value(hub->is_registered(registry_of(kind), target.address)));
    if (!registered) return make_error(Errc::kInvalidArgument, "No " + name + " deployed at address " + target.text);
    json::object fields = order_from_flags(kind, target, a);
    if (!a.price.empty()) {
        WP_TRY(U256 price, parse_nrlc_amount(std::span<const std::string>(a.price)));
        fields[name + "price"] = price.to_dec();
    }
    WP_TRY(Order order, unsigned_order_from_json(order_kind, fields));
    if (kind == ResourceKind::kWorkerpool || !a.skip_preflight) {
        WP_TRY(Address signer, ctx.wallet_address());
        WP_TRY(PreflightReport report, preflight_order(*hub, order, signer));
        for (const auto& w : report.warnings) ctx.printer().warn(w);
        if (kind == ResourceKind::kApp) {
            WP_TRY(AppInfo info, hub_value(hub->app_entry(target.address)));
            if (!info.app_mrenclave.empty())
                return make_error(Errc::kInvalidArgument,
                                  "App " + target.text + " has an MREnclave, which is no longer supported");
        }
        if (kind == ResourceKind::kDataset && tag_has_bit(std::get<DatasetOrder>(order).tag, 0)) {
            WP_TRY_VOID(sms_unsupported(ctx, "The dataset encryption key check of a TEE datasetorder"));
        }
    }
    WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to publish the following " + name + "order? " +
                                          pretty(order_to_json(order, OrderJsonFields::kUnsigned))));
    WP_TRY(Order signed_order, sign_with_wallet(ctx, std::move(order)));
    WP_TRY(MarketClient market, open_market(ctx));
    WP_TRY(const PrivateKey* wallet, ctx.wallet());
    ctx.printer().start_spinner("Publishing " + name + "order");
    WP_TRY(PublishedOrder published, market.publish(signed_order, *wallet));
    Reply reply;
    reply.payload = {{"orderHash", to_hex(published.order_hash)}};
    reply.human = ctx.printer().ok_line("Successfully published " + name + "order with orderHash " +
                                        to_hex(published.order_hash) + "\nRun \"iexec orderbook " + name + " " +
                                        target.text + "\" to show published " + name + "orders");
    return reply;
}

Result<Reply> unpublish_resource_orders(Context& ctx, ResourceKind kind, const std::string& argument, bool all) {
    const std::string name(resource_key(kind));
    WP_TRY(Target target, publish_target(ctx, kind, argument));
    WP_TRY_VOID(confirm_or_abort(ctx, std::string("Do you want to unpublish ") + (all ? "all your " : "your last ") +
                                          name + "order" + (all ? "s" : "") + " for " + name + " " + target.text +
                                          "?"));
    WP_TRY(MarketClient market, open_market(ctx));
    WP_TRY(const PrivateKey* wallet, ctx.wallet());
    ctx.printer().start_spinner("Unpublishing " + name + "order");
    Reply reply;
    if (all) {
        WP_TRY(std::vector<Bytes32> gone, market.unpublish_all(order_kind_of(kind), target.address, *wallet));
        json::array hashes;
        for (const auto& h : gone) hashes.emplace_back(to_hex(h));
        reply.payload = {{"unpublished", std::move(hashes)}};
        reply.human = ctx.printer().ok_line("Successfully unpublished all " + name + "orders");
    } else {
        WP_TRY(std::vector<Bytes32> gone, market.unpublish_last(order_kind_of(kind), target.address, *wallet));
        reply.payload = {{"unpublished", gone.empty() ? std::string() : to_hex(gone.front())}};
        reply.human = ctx.printer().ok_line("Successfully unpublished last " + name + "order");
    }
    return reply;
}

}  // namespace

void add_publish_commands(Registry& r, CLI::App* group, ResourceKind kind) {
    const std::string name(resource_key(kind));
    {
        auto& a = r.keep<PublishArgs>();
        CLI::App* l = r.leaf(group, "publish",
                             "publish a " + name + "order on the marketplace to make the " + name +
                                 " publicly available (use options to set custom usage restriction)",
                             kChainOption | kWalletOptions | kForceOption);
        l->add_option(name + "Address", a.address, name + " address (default: deployed.json)");
        if (kind == ResourceKind::kWorkerpool) l->add_option("--category", a.category, "id of the task category");
        l->add_option("--price", a.price, "price per task (default unit nRLC)")->expected(1, 2);
        l->add_option("--volume", a.volume, "number of run");
        l->add_option("--tag", a.tag, "specify tags (usage: --tag tag1,tag2)");
        if (kind == ResourceKind::kWorkerpool) l->add_option("--trust", a.trust, "trust level");
        if (kind != ResourceKind::kApp)
            l->add_option("--app-restrict", a.app_restrict, "restrict usage to specific app");
        if (kind != ResourceKind::kDataset)
            l->add_option("--dataset-restrict", a.dataset_restrict, "restrict usage to specific dataset");
        if (kind != ResourceKind::kWorkerpool)
            l->add_option("--workerpool-restrict", a.workerpool_restrict, "restrict usage to specific workerpool");
        l->add_option("--requester-restrict", a.requester_restrict, "restrict usage to specific requester");
        if (kind != ResourceKind::kWorkerpool)
            l->add_flag("--skip-preflight-check", a.skip_preflight,
                        "skip preflight check, this may result in task execution fail");
        r.action(l, [&a, kind](Context& ctx) { return publish_resource_order(ctx, kind, a); });
    }
    {
        struct Args {
            std::string address;
            bool all{false};
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(group, "unpublish", "unpublish last published " + name + "order for from the marketplace",
                             kChainOption | kWalletOptions | kForceOption);
        l->add_option(name + "Address", a.address, name + " address (default: deployed.json)");
        l->add_flag("--all", a.all, "unpublish all orders");
        r.action(l, [&a, kind](Context& ctx) { return unpublish_resource_orders(ctx, kind, a.address, a.all); });
    }
}

}  // namespace wp::cli
