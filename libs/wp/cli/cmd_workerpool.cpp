// `iexec workerpool init|deploy|show|count|transfer` (SDK 9.0.1 iexec-workerpool.js, §4.1). publish / unpublish are in
// cmd_order.cpp.
#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>

#include "command.hpp"
#include "resource.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

Address wallet_or_zero(Context& ctx) {
    auto address = ctx.wallet_address();
    return address ? *address : Address{};
}

}  // namespace

void add_workerpool_commands(Registry& r, Groups& g) {
    {
        CLI::App* l = r.leaf(g.workerpool, "init", "add a default workerpool section to iexec.json", kWalletOptions);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(json::object iexec, ctx.iexec_json());
            json::object section{{"owner", wallet_or_zero(ctx).to_checksum()}, {"description", "my-workerpool"}};
            iexec["workerpool"] = section;
            WP_TRY_VOID(ctx.save_iexec_json(iexec));
            Reply reply;
            reply.payload["workerpool"] = section;
            reply.human = ctx.printer().ok_line("Saved default workerpool in \"iexec.json\", you can edit it:\n") +
                          render_human(section);
            return reply;
        });
    }
    {
        CLI::App* l = r.leaf(g.workerpool, "deploy", "deploy the workerpool of iexec.json", kTransaction);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(json::object iexec, ctx.iexec_json());
            const auto* section = iexec.if_contains("workerpool");
            if (section == nullptr || !section->is_object())
                return make_error(
                    Errc::kInvalidArgument,
                    "Missing workerpool in \"iexec.json\". Did you forget to run \"iexec workerpool init\"?");
            WP_TRY(std::string owner_text, section_string(section->get_object(), "workerpool", "owner"));
            WP_TRY(std::string description, section_string(section->get_object(), "workerpool", "description"));
            auto owner = Address::parse(owner_text);
            if (!owner) return make_error(Errc::kInvalidArgument, owner_text + " is not a valid ethereum address");
            WP_TRY(const chain::ResolvedChain* c, ctx.chain());
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY_VOID(ctx.wallet());
            const chain::WorkerpoolParams params{*owner, description};
            auto predicted = hub->predict_workerpool(params);
            if (!predicted) return make_error(predicted.error().to_error());
            auto registered = hub->is_registered(chain::RegistryKind::kWorkerpool, *predicted);
            if (!registered) return make_error(registered.error().to_error());
            if (*registered)
                return make_error(Errc::kInvalidArgument,
                                  "Workerpool already deployed at address " + predicted->to_checksum());
            auto call = hub->create_workerpool(params);
            if (!call) return make_error(call.error().to_error());
            ctx.printer().start_spinner("Deploying workerpool...");
            WP_TRY(SentTx tx, ctx.send(*call));
            WP_TRY(Address address, minted_address(tx.receipt, hub->addresses().workerpool_registry));
            WP_TRY(DeployedFile deployed, ctx.deployed());
            deployed.set(ResourceKind::kWorkerpool, c->id, address);
            WP_TRY_VOID(ctx.save_deployed(deployed));
            Reply reply;
            reply.payload["address"] = address.to_checksum();
            reply.payload["txHash"] = to_hex(tx.hash);
            reply.human = ctx.printer().ok_line("Deployed new workerpool at address " + address.to_checksum());
            return reply;
        });
    }
    {
        struct Args {
            std::optional<std::string> address;
            std::optional<std::string> user;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.workerpool, "show", "show a workerpool (address, index of --user's, or deployed.json)",
                             kChainOption | kWalletOptions);
        l->add_option("addressOrIndex", a.address, "workerpool address, or index among the user's workerpools");
        l->add_option("--user", a.user, "owner address for an index (default: the wallet's)");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            WP_TRY(Address address, resource_to_show(ctx, ResourceKind::kWorkerpool, a.address, a.user));
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto info = hub->workerpool_entry(address);
            if (!info) return make_error(info.error().to_error());
            // The SDK's key order: the Workerpool contract's view functions in ABI order, "m_" stripped.
            json::object workerpool{
                {"schedulerRewardRatioPolicy", info->scheduler_reward_ratio_policy.to_dec()},
                {"workerStakeRatioPolicy", info->worker_stake_ratio_policy.to_dec()},
                {"workerpoolDescription", info->workerpool_description},
                {"owner", info->owner.to_checksum()},
                {"registry", hub->addresses().workerpool_registry.to_checksum()},
            };
            Reply reply;
            reply.payload["address"] = address.to_checksum();
            reply.payload["workerpool"] = workerpool;
            reply.human =
                ctx.printer().ok_line("Workerpool " + address.to_checksum() + " details:\n") + render_human(workerpool);
            return reply;
        });
    }
    {
        auto& user = r.keep<std::optional<std::string>>();
        CLI::App* l = r.leaf(g.workerpool, "count", "count the workerpools of a user (default: the wallet's)",
                             kChainOption | kWalletOptions);
        l->add_option("--user", user, "owner address (default: the wallet's)");
        r.action(l, [&user](Context& ctx) -> Result<Reply> {
            WP_TRY(Address who, user_or_wallet(ctx, user));
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto count = hub->registry_balance_of(chain::RegistryKind::kWorkerpool, who);
            if (!count) return make_error(count.error().to_error());
            Reply reply;
            reply.payload["count"] = count->to_dec();
            reply.human = ctx.printer().ok_line("User " + who.to_checksum() + " has a total of " + count->to_dec() +
                                                " workerpool");
            return reply;
        });
    }
    add_transfer_command(r, g.workerpool, ResourceKind::kWorkerpool);
}

}  // namespace wp::cli
