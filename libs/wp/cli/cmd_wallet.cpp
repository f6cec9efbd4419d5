// `iexec wallet create|import|show` (SDK 9.0.1 iexec-wallet.js; sdk-cli-and-market.md §2.3).
#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "amount.hpp"
#include "command.hpp"
#include "wallet.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

Result<Reply> saved_reply(Context& ctx, const SavedWallet& saved) {
    Reply reply;
    reply.payload["wallet"] = saved.wallet;
    reply.payload["fileName"] = saved.file_name;
    reply.payload["address"] = saved.address.to_checksum();
    reply.human = saved_wallet_human(ctx, saved);
    ctx.printer().warn("You must backup your wallet file in a safe place!");
    return reply;
}

}  // namespace

void add_wallet_commands(Registry& r, Groups& g) {
    {
        auto& unencrypted = r.keep<bool>();
        CLI::App* l = r.leaf(g.wallet, "create", "create a new wallet", kWalletOptions | kForceOption);
        l->add_flag("--unencrypted", unencrypted, "write an unencrypted wallet.json (unsafe)");
        r.action(l, [&unencrypted](Context& ctx) -> Result<Reply> {
            WP_TRY(auto password, new_wallet_password(ctx, unencrypted));
            WP_TRY(SavedWallet saved, save_wallet(ctx, PrivateKey::generate(), password));
            return saved_reply(ctx, saved);
        });
    }
    {
        struct Args {
            std::string private_key;
            bool unencrypted = false;
        };
        auto& a = r.keep<Args>();
        CLI::App* l =
            r.leaf(g.wallet, "import", "import a private key into a new wallet file", kWalletOptions | kForceOption);
        l->add_option("privateKey", a.private_key, "the private key (0x hex)")->required();
        l->add_flag("--unencrypted", a.unencrypted, "write an unencrypted wallet.json (unsafe)");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            auto key = PrivateKey::from_hex(a.private_key);
            // Never echo the argument: it is a secret.
            if (!key) return make_error(Errc::kInvalidArgument, "invalid private key: " + key.error().message);
            WP_TRY(auto password, new_wallet_password(ctx, a.unencrypted));
            WP_TRY(SavedWallet saved, save_wallet(ctx, *key, password));
            return saved_reply(ctx, saved);
        });
    }
    {
        struct Args {
            std::optional<std::string> address;
            bool show_private_key = false;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.wallet, "show", "show a wallet's balances (the current wallet by default)",
                             kChainOption | kWalletOptions);
        l->add_option("address", a.address, "address to show");
        l->add_flag("--show-private-key", a.show_private_key, "also print the wallet's private key (unsafe)");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            std::optional<json::object> displayed;
            Address who;
            if (a.address) {
                auto parsed = Address::parse(*a.address);
                if (!parsed) return make_error(Errc::kInvalidArgument, *a.address + " is not a valid ethereum address");
                who = *parsed;
            } else if (a.show_private_key) {
                WP_TRY(const PrivateKey* key, ctx.wallet());
                who = key->address();
                displayed = json::object{{"privateKey", to_hex(key->secret())},
                                         {"publicKey", to_hex(key->public_key().uncompressed())},
                                         {"address", who.to_checksum()}};
                ctx.printer().info("Wallet file:\n" + render_human(*displayed));
            } else {
                auto address = ctx.wallet_address();
                if (!address)
                    return make_error(address.error().code,
                                      "Failed to load wallet address from keystore: " + address.error().message);
                who = *address;
                displayed = json::object{{"address", who.to_checksum()}};
                ctx.printer().info("Current wallet address " + who.to_checksum());
            }
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY(chain::EthClient * eth, ctx.eth());
            auto wei = eth->get_balance(who);
            if (!wei) return make_error(wei.error().to_error());
            auto nrlc = hub->rlc_balance_of(who);
            if (!nrlc) return make_error(nrlc.error().to_error());
            WP_TRY(const chain::ResolvedChain* c, ctx.chain());
            Reply reply;
            json::object balance{{"ether", format_eth(*wei)},
                                 {"RLC", format_rlc(*nrlc)},
                                 {"nRLC", nrlc->to_dec()},
                                 {"wei", wei->to_dec()}};
            reply.human = ctx.printer().ok_line("Wallet balances [" + std::to_string(c->id) + "]:\n") +
                          render_human(json::object{{"ether", format_eth(*wei)}, {"RLC", format_rlc(*nrlc)}});
            reply.payload["balance"] = std::move(balance);
            if (displayed) reply.payload["wallet"] = std::move(*displayed);
            return reply;
        });
    }
}

}  // namespace wp::cli
