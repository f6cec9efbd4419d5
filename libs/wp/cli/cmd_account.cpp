// `iexec account deposit|withdraw|show|approve|allowance|revoke` (SDK 9.0.1 iexec-account.js,
// common/account/fund.js and allowance.js; §4.4). approve / revoke call the hub's ERC-20 approve (the iExec account
// is the hub's token balance).
//
// Differences from the SDK: `account allowance --raw` prints the amount as the SDK does (bn.js's JSON: lowercase hex
// without 0x, padded to an even length, "00" for zero); the human line is decimal like the SDK's.
#include <wp/chain/hub.hpp>
#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

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

Result<Address> spender_address(const std::string& text) {
    auto parsed = Address::parse(text);
    if (!parsed) return make_error(Errc::kInvalidArgument, text + " is not a valid ethereum address");
    return *parsed;
}

// hub.approve(spender, amount), checked by its Approval event (the SDK's "Approve not confirmed").
Result<SentTx> approve(Context& ctx, const Address& spender, const U256& amount) {
    WP_TRY(chain::Hub * hub, ctx.hub());
    WP_TRY_VOID(ctx.wallet());
    WP_TRY(Bytes data,
           abi_encode_call("approve(address,uint256)", {AbiValue::address(spender), AbiValue::uint_(amount)}));
    WP_TRY(SentTx tx, ctx.send(chain::ContractCall{hub->address(), std::move(data), U256{}, "approve"}));
    static const Bytes32 kApproval = keccak256(as_bytes(std::string_view("Approval(address,address,uint256)")));
    for (const auto& log : tx.receipt.logs)
        if (log.address == hub->address() && !log.topics.empty() && log.topics[0] == kApproval) return tx;
    return make_error(Errc::kRemote, "Approve not confirmed");
}

//! bn.js's toJSON (toString(16, 2)): lowercase hex, no prefix, an even number of digits.
std::string bn_json(const U256& value) {
    std::string hex = value.to_hex_quantity().substr(2);  // minimal, "0" for zero
    if (hex.size() % 2 != 0) hex.insert(0, "0");
    return hex;
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
    {
        struct Args {
            std::string amount;
            std::string spender;
            std::string unit{"nRLC"};
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.account, "approve",
                             "approve spender to spend up to amount of RLC from your iExec account (default unit nRLC)",
                             kTransaction);
        l->add_option("amount", a.amount, "amount")->required();
        l->add_option("spender", a.spender, "spender address")->required();
        l->add_option("unit", a.unit, "nRLC (default) or RLC");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            const std::vector<std::string> typed{a.amount, a.unit};
            WP_TRY(U256 nrlc, parse_nrlc_amount(typed));
            WP_TRY(Address spender, spender_address(a.spender));
            ctx.printer().start_spinner("Making approve...");
            WP_TRY(SentTx tx, approve(ctx, spender, nrlc));
            Reply reply;
            reply.payload["txHash"] = to_hex(tx.hash);
            reply.human = ctx.printer().ok_line("Approved " + a.spender + " to spend " + a.amount + " " + a.unit +
                                                " from your iExec account");
            return reply;
        });
    }
    {
        struct Args {
            std::string spender;
            std::optional<std::string> user;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.account, "allowance",
                             "check the amount of allowance approved for the specified spender to use your iExec "
                             "account (specify --user to see another user's allowance)",
                             kChainOption | kWalletOptions);
        l->add_option("spender", a.spender, "spender address")->required();
        l->add_option("--user", a.user, "custom user address");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            Address owner;
            if (a.user) {
                WP_TRY(owner, spender_address(*a.user));
            } else {
                auto wallet = ctx.wallet_address();
                if (!wallet)
                    return make_error(wallet.error().code,
                                      "Failed to load wallet address from keystore: " + wallet.error().message);
                owner = *wallet;
            }
            WP_TRY(Address spender, spender_address(a.spender));
            WP_TRY(chain::Hub * hub, ctx.hub());
            ctx.printer().start_spinner("Checking allowance for " + a.spender + " on user's account " +
                                        (a.user ? *a.user : owner.to_checksum()) + "...");
            auto amount = hub->allowance(owner, spender);
            if (!amount) return make_error(amount.error().to_error());
            Reply reply;
            reply.payload["amount"] = bn_json(*amount);
            reply.human =
                ctx.printer().ok_line("Allowance amount for spender " + a.spender + " on account " +
                                      (a.user ? *a.user : owner.to_checksum()) + ": " + amount->to_dec() + " nRLC");
            return reply;
        });
    }
    {
        auto& spender_text = r.keep<std::string>();
        CLI::App* l =
            r.leaf(g.account, "revoke", "revoke the approval for the spender to use your iExec account", kTransaction);
        l->add_option("spender", spender_text, "spender address")->required();
        r.action(l, [&spender_text](Context& ctx) -> Result<Reply> {
            WP_TRY(Address spender, spender_address(spender_text));
            ctx.printer().start_spinner("Revoking allowance for spender address " + spender_text + "...");
            WP_TRY(SentTx tx, approve(ctx, spender, U256{}));
            Reply reply;
            reply.payload["txHash"] = to_hex(tx.hash);
            reply.human = ctx.printer().ok_line("Revoked " + spender_text + " to use your iExec account");
            return reply;
        });
    }
}

}  // namespace wp::cli
