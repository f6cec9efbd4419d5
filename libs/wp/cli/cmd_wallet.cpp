// `iexec wallet create|import|show|send-ether|send-RLC|sweep` (SDK 9.0.1 iexec-wallet.js, common/wallet/send.js;
// sdk-cli-and-market.md §2.3).
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/hex.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "amount.hpp"
#include "cmd_order.hpp"
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

Result<Address> receiver(const std::optional<std::string>& to) {
    if (!to) return make_error(Errc::kInvalidArgument, "Missing --to option");
    auto parsed = Address::parse(*to);
    if (!parsed) return make_error(Errc::kInvalidArgument, *to + " is not a valid ethereum address");
    return *parsed;
}

struct SendArgs {
    std::vector<std::string> amount;
    std::optional<std::string> to;
};

// send-ether / send-RLC: `ether` selects the currency.
Result<Reply> send_currency(Context& ctx, const SendArgs& a, bool ether) {
    WP_TRY(U256 amount, ether ? parse_wei_amount(a.amount, "ether") : parse_nrlc_amount(a.amount, "RLC"));
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    WP_TRY(chain::Hub * hub, ctx.hub());
    WP_TRY(const PrivateKey* key, ctx.wallet());
    if (!a.to) return make_error(Errc::kInvalidArgument, "Missing --to option");
    const std::string shown = ether ? format_eth(amount) : format_rlc(amount);
    const char* currency = ether ? "ether" : "RLC";
    WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to send " + shown + " " + c->name + " " + currency + " to " + *a.to +
                                          " [chainId: " + std::to_string(c->id) + "]"));
    WP_TRY(Address to, receiver(a.to));
    const Address from = key->address();
    U256 balance;
    if (ether) {
        WP_TRY(chain::EthClient * eth, ctx.eth());
        auto wei = eth->get_balance(from);
        if (!wei) return make_error(wei.error().to_error());
        balance = *wei;
    } else {
        auto nrlc = hub->rlc_balance_of(from);
        if (!nrlc) return make_error(nrlc.error().to_error());
        balance = *nrlc;
    }
    if (balance < amount) return make_error(Errc::kInvalidArgument, "Amount to send exceed wallet balance");
    chain::ContractCall call;
    if (ether) {
        call = chain::ContractCall{to, {}, amount, "send ether"};
    } else {
        auto built = hub->rlc_transfer(to, amount);
        if (!built) return make_error(built.error().to_error());
        call = *built;
    }
    const std::string message = shown + " " + c->name + " " + currency + " from " + from.to_checksum() + " to " + *a.to;
    ctx.printer().start_spinner("Sending " + message + "...");
    WP_TRY(SentTx tx, ctx.send(call));
    Reply reply;
    reply.payload["amount"] = amount.to_dec();
    reply.payload["from"] = from.to_checksum();
    reply.payload["to"] = *a.to;
    reply.payload["txHash"] = to_hex(tx.hash);
    reply.human = ctx.printer().ok_line("Sent " + message + "\n");
    return reply;
}

// The SDK's sweep: every RLC (ERC-20 transfer), then the ether minus exactly 21000 gas at the fee cap, the whole
// fee cap paid as tip (type 2) or as the gas price (legacy). A native transfer that fails is reported in `errors`
// (the RLC already moved); an RLC transfer that fails aborts.
Result<Reply> sweep(Context& ctx, const std::optional<std::string>& to_text) {
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    WP_TRY(chain::Hub * hub, ctx.hub());
    WP_TRY(const PrivateKey* key, ctx.wallet());
    if (!to_text) return make_error(Errc::kInvalidArgument, "Missing --to option");
    WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to send all wallet " + c->name + " ether and RLC to " + *to_text +
                                          " [chainId: " + std::to_string(c->id) + "]"));
    WP_TRY(Address to, receiver(to_text));
    WP_TRY(chain::JsonRpcClient * rpc, ctx.rpc());
    auto code = rpc->call("eth_getCode", json::array{to.to_lower_hex(), "latest"});
    if (!code) return make_error(code.error().to_error());
    if (!code->is_string() || code->get_string() != "0x")
        return make_error(Errc::kInvalidArgument, "Cannot sweep to a contract");
    const Address from = key->address();
    WP_TRY(chain::EthClient * eth, ctx.eth());
    ctx.printer().start_spinner("Sweeping wallet...");
    Reply reply;
    reply.payload["from"] = from.to_checksum();
    reply.payload["to"] = *to_text;
    std::optional<std::string> native_hash;
    std::optional<std::string> erc20_hash;
    json::array errors;
    auto nrlc = hub->rlc_balance_of(from);
    if (!nrlc) return make_error(nrlc.error().to_error());
    if (!nrlc->is_zero()) {
        auto call = hub->rlc_transfer(to, *nrlc);
        if (!call) return make_error(call.error().to_error());
        auto tx = ctx.send(*call);
        if (!tx)
            return make_error(
                tx.error().code,
                "Failed to sweep ERC20, sweep aborted. errors: Failed to transfer ERC20: " + tx.error().message);
        erc20_hash = to_hex(tx->hash);
    }
    auto wei = eth->get_balance(from);
    if (!wei) return make_error(wei.error().to_error());
    WP_TRY(chain::FeeParams fees, chain::suggest_fees(*eth));
    if (fees.type == TxType::kDynamicFee) fees.max_priority_fee_per_gas = fees.max_fee_per_gas;  // pay all
    constexpr std::uint64_t kTransferGas = 21000;
    WP_TRY(const U256 fee, checked_mul(fees.fee_cap(), U256(kTransferGas)));
    if (*wei > fee) {
        WP_TRY(const U256 value, checked_sub(*wei, fee));
        auto tx = ctx.send(chain::ContractCall{to, {}, value, "send ether"}, SendOverrides{kTransferGas, fees});
        if (tx) native_hash = to_hex(tx->hash);
        else errors.emplace_back("Failed to transfer native token': " + tx.error().message);
    } else {
        errors.emplace_back("Failed to transfer native token': Tx fees are greater than wallet balance");
    }
    if (native_hash) reply.payload["sendNativeTxHash"] = *native_hash;
    if (erc20_hash) reply.payload["sendERC20TxHash"] = *erc20_hash;
    std::string human_errors;
    if (!errors.empty()) {
        for (const auto& e : errors) human_errors += (human_errors.empty() ? "" : ",") + std::string(e.get_string());
        reply.payload["errors"] = std::move(errors);
    }
    reply.human = ctx.printer().ok_line("Wallet swept from " + from.to_checksum() + " to " + *to_text + "\n" +
                                        (human_errors.empty() ? "" : "Errors: " + human_errors));
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
    for (const bool ether : {true, false}) {
        auto& a = r.keep<SendArgs>();
        CLI::App* l = r.leaf(
            g.wallet, ether ? "send-ether" : "send-RLC",
            ether ? "send ether to an address (default unit ether)" : "send RLC to an address (default unit RLC)",
            kTransaction | kForceOption);
        l->add_option(
             "amount", a.amount,
             ether ? "<amount> [unit]: wei, gwei, ether (default) ..." : "<amount> [unit]: nRLC or RLC (default)")
            ->required()
            ->expected(1, 2);
        l->add_option("--to", a.to, "receiver address");
        r.action(l, [&a, ether](Context& ctx) { return send_currency(ctx, a, ether); });
    }
    {
        auto& to = r.keep<std::optional<std::string>>();
        CLI::App* l = r.leaf(g.wallet, "sweep", "send all ether and RLC to an address", kTransaction | kForceOption);
        l->add_option("--to", to, "receiver address");
        r.action(l, [&to](Context& ctx) { return sweep(ctx, to); });
    }
}

}  // namespace wp::cli
