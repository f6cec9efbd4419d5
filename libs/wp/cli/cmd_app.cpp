// `iexec app init|deploy|show|count|transfer` (SDK 9.0.1 iexec-app.js, common/protocol/registries.js). `app run` is in
// cmd_app_run.cpp.
//
// Difference from the SDK: a multiaddr starting with '/' (an IPFS / multiformats address) is refused at deploy
// (the SDK encodes it in the multiaddr binary format); Docker image names are stored as UTF-8 like the SDK does.
#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>

#include "command.hpp"
#include "resource.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

std::string bytes_text(const Bytes& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

}  // namespace

void add_app_commands(Registry& r, Groups& g) {
    {
        CLI::App* l = r.leaf(g.app, "init", "add a default app section to iexec.json", kWalletOptions);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(json::object iexec, ctx.iexec_json());
            auto wallet = ctx.wallet_address();
            const Address owner = wallet ? *wallet : Address{};
            json::object section{
                {"owner", owner.to_checksum()},
                {"name", "hello-world"},
                {"type", "DOCKER"},
                {"multiaddr", "iexechub/python-hello-world:8.0.4"},
                {"checksum", "0xb0b664b7a6d249f81c067a9262b1763144eeb3ca63e553567f71673442ce9e84"},
            };
            iexec["buyConf"] = json::object{};
            iexec["app"] = section;
            WP_TRY_VOID(ctx.save_iexec_json(iexec));
            Reply reply;
            reply.payload["app"] = section;
            reply.human = ctx.printer().ok_line("Saved default app in \"iexec.json\", you can edit it:\n") +
                          render_human(section);
            return reply;
        });
    }
    {
        CLI::App* l = r.leaf(g.app, "deploy", "deploy the app of iexec.json", kTransaction);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(json::object iexec, ctx.iexec_json());
            const auto* section = iexec.if_contains("app");
            if (section == nullptr || !section->is_object())
                return make_error(Errc::kInvalidArgument,
                                  "Missing app in \"iexec.json\". Did you forget to run \"iexec app init\"?");
            const auto& app = section->get_object();
            WP_TRY(std::string owner_text, section_string(app, "app", "owner"));
            chain::AppParams params;
            WP_TRY(params.name, section_string(app, "app", "name"));
            WP_TRY(params.type, section_string(app, "app", "type"));
            WP_TRY(std::string multiaddr, section_string(app, "app", "multiaddr"));
            WP_TRY(std::string checksum, section_string(app, "app", "checksum"));
            auto owner = Address::parse(owner_text);
            if (!owner) return make_error(Errc::kInvalidArgument, owner_text + " is not a valid ethereum address");
            params.owner = *owner;
            if (params.type != "DOCKER")
                return make_error(Errc::kInvalidArgument, params.type + " is not a valid type");
            if (multiaddr.empty() || multiaddr.front() == '/')
                return make_error(
                    Errc::kInvalidArgument,
                    "app.multiaddr: expected a Docker image name (multiformats addresses are not supported)");
            params.multiaddr = Bytes(multiaddr.begin(), multiaddr.end());
            auto sum = bytes32_from_hex(checksum);
            if (!sum) return make_error(Errc::kInvalidArgument, checksum + " is not a valid bytes32 hex string");
            params.checksum = *sum;
            if (const auto* mrenclave = app.if_contains("mrenclave");
                mrenclave != nullptr && !(mrenclave->is_string() && mrenclave->get_string().empty()))
                return make_error(Errc::kInvalidArgument,
                                  "app.mrenclave: TEE apps with an mrenclave are not supported");
            WP_TRY(const chain::ResolvedChain* c, ctx.chain());
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY_VOID(ctx.wallet());
            auto predicted = hub->predict_app(params);
            if (!predicted) return make_error(predicted.error().to_error());
            auto registered = hub->is_registered(chain::RegistryKind::kApp, *predicted);
            if (!registered) return make_error(registered.error().to_error());
            if (*registered)
                return make_error(Errc::kInvalidArgument,
                                  "App already deployed at address " + predicted->to_checksum());
            auto call = hub->create_app(params);
            if (!call) return make_error(call.error().to_error());
            ctx.printer().start_spinner("Deploying app...");
            WP_TRY(SentTx tx, ctx.send(*call));
            WP_TRY(Address address, minted_address(tx.receipt, hub->addresses().app_registry));
            WP_TRY(DeployedFile deployed, ctx.deployed());
            deployed.set(ResourceKind::kApp, c->id, address);
            WP_TRY_VOID(ctx.save_deployed(deployed));
            Reply reply;
            reply.payload["address"] = address.to_checksum();
            reply.payload["txHash"] = to_hex(tx.hash);
            reply.human = ctx.printer().ok_line("Deployed new app at address " + address.to_checksum());
            return reply;
        });
    }
    {
        struct Args {
            std::optional<std::string> address;
            std::optional<std::string> user;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.app, "show", "show an app (address, index of --user's, or deployed.json)",
                             kChainOption | kWalletOptions);
        l->add_option("addressOrIndex", a.address, "app address, or index among the user's apps");
        l->add_option("--user", a.user, "owner address for an index (default: the wallet's)");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            WP_TRY(Address address, resource_to_show(ctx, ResourceKind::kApp, a.address, a.user));
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto info = hub->app_entry(address);
            if (!info) return make_error(info.error().to_error());
            // The SDK's key order: the App contract's view functions in ABI order, "m_" stripped.
            json::object app{
                {"appChecksum", to_hex(info->app_checksum)},
                {"appMREnclave", bytes_text(info->app_mrenclave)},
                {"appMultiaddr", bytes_text(info->app_multiaddr)},
                {"appName", info->app_name},
                {"appType", info->app_type},
                {"owner", info->owner.to_checksum()},
                {"registry", hub->addresses().app_registry.to_checksum()},
            };
            Reply reply;
            reply.payload["address"] = address.to_checksum();
            reply.payload["app"] = app;
            reply.human = ctx.printer().ok_line("App " + address.to_checksum() + " details:\n") + render_human(app);
            return reply;
        });
    }
    {
        auto& user = r.keep<std::optional<std::string>>();
        CLI::App* l =
            r.leaf(g.app, "count", "count the apps of a user (default: the wallet's)", kChainOption | kWalletOptions);
        l->add_option("--user", user, "owner address (default: the wallet's)");
        r.action(l, [&user](Context& ctx) -> Result<Reply> {
            WP_TRY(Address who, user_or_wallet(ctx, user));
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto count = hub->registry_balance_of(chain::RegistryKind::kApp, who);
            if (!count) return make_error(count.error().to_error());
            Reply reply;
            reply.payload["count"] = count->to_dec();
            reply.human =
                ctx.printer().ok_line("User " + who.to_checksum() + " has a total of " + count->to_dec() + " app");
            return reply;
        });
    }
    add_transfer_command(r, g.app, ResourceKind::kApp);
}

}  // namespace wp::cli
