// `iexec account deposit|withdraw|show` (SDK 9.0.1 iexec-account.js, common/account/fund.js; §4.4).
#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>

#include "amount.hpp"
#include "command.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

Result<Address> account_address(Context& ctx, const std::optional<std::string>& argument) {
    if (argument) {
        auto parsed = Address::parse(*argument);
        if (!parsed) return make_error(Errc::kInvalidArgument, *argument + " is not a valid ethereum address");
        return *parsed;
    }
    auto address = ctx.wallet_address();
    if (!address)
        return make_error(address.error().code,
                          "Failed to load wallet address from keystore: " + address.error().message);
    ctx.printer().info("Current account address " + address->to_checksum());
    return *address;
}

}  // namespace

void add_account_commands(Registry& r, Groups& g) {
    {
        auto& amount = r.keep<std::vector<std::string>>();
        CLI::App* l = r.leaf(g.account, "deposit", "deposit RLC from your wallet to your iExec account", kTransaction);
        l->add_option("amount", amount, "<amount> [unit]: nRLC (default) or RLC")->required()->expected(1, 2);
        r.action(l, [&amount](Context& ctx) -> Result<Reply> {
            WP_TRY(U256 nrlc, parse_nrlc_amount(amount));
            if (nrlc.is_zero()) return make_error(Errc::kInvalidArgument, "Deposit amount must be greater than 0");
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY(const PrivateKey* key, ctx.wallet());
            auto balance = hub->rlc_balance_of(key->address());
            if (!balance) return make_error(balance.error().to_error());
            if (nrlc > *balance) return make_error(Errc::kInvalidArgument, "Deposit amount exceed wallet balance");
            auto call = hub->deposit_with_approve_and_call(nrlc);
            if (!call) return make_error(call.error().to_error());
            ctx.printer().start_spinner("Making deposit...");
            WP_TRY(SentTx tx, ctx.send(*call));
            Reply reply;
            reply.payload["amount"] = nrlc.to_dec();
            reply.payload["txHash"] = to_hex(tx.hash);
            reply.human = ctx.printer().ok_line("Deposited " + format_rlc(nrlc) + " RLC to your iExec account");
            return reply;
        });
    }
    {
        auto& amount = r.keep<std::vector<std::string>>();
        CLI::App* l =
            r.leaf(g.account, "withdraw", "withdraw RLC from your iExec account to your wallet", kTransaction);
        l->add_option("amount", amount, "<amount> [unit]: nRLC (default) or RLC")->required()->expected(1, 2);
        r.action(l, [&amount](Context& ctx) -> Result<Reply> {
            WP_TRY(U256 nrlc, parse_nrlc_amount(amount));
            if (nrlc.is_zero()) return make_error(Errc::kInvalidArgument, "Withdraw amount must be greater than 0");
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY(const PrivateKey* key, ctx.wallet());
            auto account = hub->view_account(key->address());
            if (!account) return make_error(account.error().to_error());
            if (nrlc > account->stake)
                return make_error(Errc::kInvalidArgument, "Withdraw amount exceed account balance");
            auto call = hub->withdraw(nrlc);
            if (!call) return make_error(call.error().to_error());
            ctx.printer().start_spinner("Making withdraw...");
            WP_TRY(SentTx tx, ctx.send(*call));
            Reply reply;
            reply.payload["amount"] = nrlc.to_dec();
            reply.payload["txHash"] = to_hex(tx.hash);
            reply.human = ctx.printer().ok_line(format_rlc(nrlc) + " RLC withdrawn from your iExec account");
            return reply;
        });
    }
    {
        auto& address = r.keep<std::optional<std::string>>();
        CLI::App* l = r.leaf(g.account, "show", "show an iExec account's stake and locked balances",
                             kChainOption | kWalletOptions);
        l->add_option("address", address, "address to show (default: the wallet's)");
        r.action(l, [&address](Context& ctx) -> Result<Reply> {
            WP_TRY(Address who, account_address(ctx, address));
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto account = hub->view_account(who);
            if (!account) return make_error(account.error().to_error());
            Reply reply;
            reply.payload["balance"] =
                json::object{{"stake", account->stake.to_dec()}, {"locked", account->locked.to_dec()}};
            reply.human = ctx.printer().ok_line("Account balances (RLC):\n") +
                          render_human(json::object{{"stake", format_rlc(account->stake)},
                                                    {"locked", format_rlc(account->locked)}});
            return reply;
        });
    }
}

}  // namespace wp::cli
