// `iexec init` (iexec.json + chain.json [+ a wallet]) and `iexec info` (the PoCo contracts of the chain).
#include <wp/chain/hub.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "command.hpp"
#include "files.hpp"
#include "wallet.hpp"

namespace wp::cli {

namespace json = boost::json;

// The version of the PoCo ABI this client speaks (the SDK 9.0.1 reports its @iexec/poco package version).
inline constexpr std::string_view kPocoVersion = "6.1.0";

void add_init_commands(Registry& r, Groups& g) {
    {
        struct Args {
            bool skip_wallet = false;
            bool unencrypted = false;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.root, "init", "init a new project: iexec.json, chain.json and a wallet",
                             kWalletOptions | kForceOption);
        l->add_flag("--skip-wallet", a.skip_wallet, "do not create a wallet");
        l->add_flag("--unencrypted", a.unencrypted, "write an unencrypted wallet.json (unsafe)");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            // Everything that can fail before a file is written is checked first.
            std::optional<std::string> password;
            if (!a.skip_wallet) {
                WP_TRY(auto pw, new_wallet_password(ctx, a.unencrypted));
                password = std::move(pw);
            }
            const json::object iexec = default_iexec_json();
            WP_TRY_VOID(ctx.write_text(kIexecFile, json_stringify(iexec), true));
            const chain::ChainsFile chains = chain::default_chains_file();
            WP_TRY_VOID(ctx.write_text(kChainFile, chain_json_text(chains), true));
            Reply reply;
            std::string human = ctx.printer().info_line("Here is your main config \"iexec.json\":\n") +
                                render_human(iexec) + "\n\n" +
                                ctx.printer().info_line("Here is your chain config \"chain.json\":\n") +
                                render_human(chain::to_json(chains)) + "\n\n";
            if (!a.skip_wallet) {
                WP_TRY(SavedWallet saved, save_wallet(ctx, PrivateKey::generate(), password));
                reply.payload["walletAddress"] = saved.address.to_checksum();
                reply.payload["walletFile"] = saved.file_name;
                human += saved_wallet_human(ctx, saved) + "\n";
                ctx.printer().warn("You must backup your wallet file in a safe place!");
            }
            reply.payload["configFile"] = std::string(kIexecFile);
            reply.payload["chainConfigFile"] = std::string(kChainFile);
            reply.human = human + ctx.printer().ok_line("iExec project is ready");
            return reply;
        });
    }
    {
        CLI::App* l = r.leaf(g.root, "info", "show the iExec contracts of the chain", kChainOption);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(const chain::ResolvedChain* c, ctx.chain());
            WP_TRY(chain::Hub * hub, ctx.hub());
            const auto* known = chain::find_known_network(c->id);
            const std::string host = known != nullptr && known->host == c->host ? "default" : c->host;
            const auto& addr = hub->addresses();
            Reply reply;
            reply.payload["pocoVersion"] = std::string(kPocoVersion);
            reply.payload["host"] = host;
            reply.payload["hubAddress"] = addr.hub.to_checksum();
            reply.payload["rlcAddress"] = addr.token.to_checksum();
            reply.payload["appRegistryAddress"] = addr.app_registry.to_checksum();
            reply.payload["datasetRegistryAddress"] = addr.dataset_registry.to_checksum();
            reply.payload["workerpoolRegistryAddress"] = addr.workerpool_registry.to_checksum();
            json::object human{{"iExec PoCo version", std::string(kPocoVersion)},
                               {"RLC ERC20 address", addr.token.to_checksum()},
                               {"iExec contract address", addr.hub.to_checksum()},
                               {"app registry address", addr.app_registry.to_checksum()},
                               {"dataset registry address", addr.dataset_registry.to_checksum()},
                               {"workerpool registry address", addr.workerpool_registry.to_checksum()}};
            ctx.printer().info("Ethereum host: " + host);
            reply.human = ctx.printer().ok_line("iExec contracts addresses:\n") + render_human(human);
            return reply;
        });
    }
}

}  // namespace wp::cli
