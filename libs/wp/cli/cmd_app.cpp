// `iexec app init|deploy|show|count|publish|unpublish|request-execution|transfer` (SDK 9.0.1 iexec-app.js,
// common/protocol/registries.js). deploy, show, count, publish, unpublish and transfer are shared with dataset and
// workerpool (resource.hpp). `app run` is in cmd_app_run.cpp.
//
// Difference from the SDK: a multiaddr starting with '/' (an IPFS / multiformats address) is refused at deploy
// (the SDK encodes it in the multiaddr binary format); Docker image names are stored as UTF-8 like the SDK does.
#include <boost/json.hpp>

#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/tag.hpp>

#include "amount.hpp"
#include "cmd_order.hpp"
#include "command.hpp"
#include "preflight.hpp"
#include "resource.hpp"
#include "sms.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

// ---- app request-execution -------------------------------------------------------------------------------------

struct RequestArgs {
    std::string app;
    std::optional<std::string> dataset, workerpool, args, input_files, category, tag, volume, storage_provider,
        callback, trust, beneficiary, params;
    std::vector<std::string> app_price, dataset_price, workerpool_price, secrets;
    bool encrypt_result{false};
    bool skip_preflight{false};
};

constexpr std::string_view kZeroAddress = "0x0000000000000000000000000000000000000000";

//! A resource named by a flag: 0x0 when absent; else it must be registered (`No <kind> deployed at address <a>`).
Result<Address> deployed_or_zero(Context& ctx, chain::RegistryKind registry, std::string_view kind,
                                 const std::optional<std::string>& text) {
    if (!text) return Address{};
    auto address = Address::parse(*text);
    if (!address) return make_error(address.error().with_context(kind));
    if (address->is_zero()) return Address{};
    WP_TRY(chain::Hub * hub, ctx.hub());
    auto registered = hub->is_registered(registry, *address);
    if (!registered) return make_error(registered.error().to_error());
    if (!*registered)
        return make_error(Errc::kInvalidArgument, "No " + std::string(kind) + " deployed at address " + *text);
    return *address;
}

Result<U256> price_or_zero(const std::vector<std::string>& price) {
    if (price.empty()) return U256{};
    return parse_nrlc_amount(std::span<const std::string>(price));
}

//! The params object the SDK builds from --params then --args, --input-files, --secret, --storage-provider,
//! --encrypt-result (later flags override the same key of --params).
Result<json::object> request_params(const RequestArgs& a) {
    json::object params;
    if (a.params) {
        json::error_code ec;
        json::value parsed = json::parse(*a.params, ec);
        if (ec || !parsed.is_object())
            return make_error(Errc::kInvalidArgument, *a.params + " is not a valid params, must be a json");
        params = parsed.as_object();
    }
    if (a.args) params["iexec_args"] = *a.args;
    if (a.input_files) {
        json::array files;
        std::string_view rest = *a.input_files;
        while (true) {
            const auto comma = rest.find(',');
            files.emplace_back(rest.substr(0, comma));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        params["iexec_input_files"] = std::move(files);
    }
    if (!a.secrets.empty()) {
        json::object mappings;
        for (const auto& mapping : a.secrets) {
            const auto eq = mapping.find('=');
            if (eq == std::string::npos)
                return make_error(
                    Errc::kInvalidArgument,
                    "'" + mapping +
                        "' is not a valid secret mapping syntax (must be <appSecretKey>=<requesterSecretName>)");
            mappings[mapping.substr(0, eq)] = mapping.substr(eq + 1);
        }
        params["iexec_secrets"] = std::move(mappings);
    }
    if (a.storage_provider) {
        WP_TRY_VOID(check_storage_provider(*a.storage_provider));
        params["iexec_result_storage_provider"] = *a.storage_provider;
    }
    if (a.encrypt_result) params["iexec_result_encryption"] = true;
    return params;
}

//! The SDK's checkRequestRequirements: every check it makes reads the SMS (the beneficiary's result encryption key,
//! the requester's storage token for dropbox, a TEE dataset's key, the requester secrets), which this CLI does not
//! support (sms.hpp); the failure is wrapped as the SDK wraps it.
Result<void> request_requirements(Context& ctx, const json::object& params, bool tee, bool has_dataset) {
    const auto* provider = params.if_contains("iexec_result_storage_provider");
    const bool needs_sms = params.contains("iexec_result_encryption") || params.contains("iexec_secrets") ||
                           (provider != nullptr && provider->is_string() && provider->get_string() == "dropbox") ||
                           (tee && has_dataset);
    if (!needs_sms) return {};
    auto checked = sms_unsupported(ctx, "The requirements check of a requestorder");
    if (checked) return {};
    return make_error(checked.error().code,
                      "Request requirements check failed: " + checked.error().message +
                          " (If you consider this is not an issue, use --skip-preflight-check to skip preflight "
                          "requirement check)");
}

Result<Reply> request_execution(Context& ctx, const RequestArgs& a) {
    WP_TRY(chain::Hub * hub, ctx.hub());
    WP_TRY(Address app, deployed_or_zero(ctx, chain::RegistryKind::kApp, "app", a.app));
    if (app.is_zero()) return make_error(Errc::kInvalidArgument, "No app deployed at address " + a.app);
    WP_TRY(Address dataset, deployed_or_zero(ctx, chain::RegistryKind::kDataset, "dataset", a.dataset));
    WP_TRY(Address workerpool, deployed_or_zero(ctx, chain::RegistryKind::kWorkerpool, "workerpool", a.workerpool));
    WP_TRY(U256 appprice, price_or_zero(a.app_price));
    WP_TRY(U256 datasetprice, dataset.is_zero() ? Result<U256>(U256{}) : price_or_zero(a.dataset_price));
    WP_TRY(U256 workerpoolprice, price_or_zero(a.workerpool_price));
    WP_TRY(Address requester, ctx.wallet_address());
    WP_TRY(json::object params, request_params(a));
    Bytes32 tag{};
    if (a.tag) {
        auto parsed = parse_tag(std::string_view(*a.tag));
        if (!parsed) return make_error(parsed.error().with_context("tag"));
        tag = *parsed;
    }
    const bool tee = tag_has_bit(tag, 0);
    if (!tee) {
        if (params.contains("iexec_secrets"))
            return make_error(Errc::kInvalidArgument, "iexec_secrets is not supported for non TEE tasks");
        const auto* provider = params.if_contains("iexec_result_storage_provider");
        if (provider != nullptr && provider->is_string() && provider->get_string() != "ipfs")
            return make_error(Errc::kInvalidArgument, "iexec_result_storage_provider \"" +
                                                          std::string(provider->get_string()) +
                                                          "\" is not supported for non TEE tasks use supported "
                                                          "storage provider ipfs");
    }
    ctx.printer().info("Creating requestorder");
    json::object fields{
        {"app", app.to_checksum()},
        {"appmaxprice", appprice.to_dec()},
        {"dataset", dataset.to_checksum()},
        {"datasetmaxprice", datasetprice.to_dec()},
        {"workerpool", workerpool.to_checksum()},
        {"workerpoolmaxprice", workerpoolprice.to_dec()},
        {"requester", requester.to_checksum()},
        {"volume", a.volume.value_or("1")},
        {"tag", tag_to_hex(tag)},
        {"category", a.category.value_or("0")},
        {"trust", a.trust.value_or("0")},
        {"beneficiary", a.beneficiary.value_or(requester.to_checksum())},
        {"callback", a.callback.value_or(std::string(kZeroAddress))},
        {"params", params},
    };
    WP_TRY(Order order, unsigned_order_from_json(OrderKind::kRequest, fields));
    WP_TRY(PreflightReport report, check_request_order(std::get<RequestOrder>(order)));
    for (const auto& w : report.warnings) ctx.printer().warn(w);
    if (!a.skip_preflight) {
        WP_TRY_VOID(request_requirements(ctx, params, tee, !dataset.is_zero()));
    }
    WP_TRY(Order signed_order, sign_with_wallet(ctx, std::move(order)));
    const auto& request = std::get<RequestOrder>(signed_order);
    WP_TRY(U256 prices, checked_add(request.appmaxprice, request.datasetmaxprice));
    WP_TRY(prices, checked_add(prices, request.workerpoolmaxprice));
    WP_TRY(U256 total, checked_mul(prices, request.volume));
    auto account = hub->view_account(requester);
    if (!account) return make_error(account.error().to_error());
    if (total > account->stake)
        return make_error(Errc::kInvalidArgument, "Not enough RLC on your account (" + format_rlc(total) +
                                                      " RLC required). Run \"iexec account deposit\" to topup your "
                                                      "account.");
    ctx.printer().stop_spinner();
    {
        json::object shown;
        shown["app"] = request.app.to_checksum() + " (" + format_rlc(request.appmaxprice) + " RLC)";
        if (!request.dataset.is_zero())
            shown["dataset"] = request.dataset.to_checksum() + " (" + format_rlc(request.datasetmaxprice) + " RLC)";
        shown["workerpool"] =
            request.workerpool.to_checksum() + " (" + format_rlc(request.workerpoolmaxprice) + " RLC)";
        shown["volume"] = request.volume.to_dec();
        json::error_code ec;
        json::value p = json::parse(request.params, ec);
        if (!ec && !request.params.empty()) shown["params"] = std::move(p);
        shown["category"] = request.category.to_dec();
        if (request.tag != Bytes32{}) shown["tag"] = to_hex(request.tag);
        if (!request.callback.is_zero()) shown["callback"] = request.callback.to_checksum();
        if (request.beneficiary != request.requester) shown["beneficiary"] = request.beneficiary.to_checksum();
        const std::string cost = format_rlc(total);
        WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to place the following execution request for " + cost +
                                              " RLC \n - The amount will be taken from your account only if your "
                                              "request is filled.\n - Your request will be disabled if your stake "
                                              "drops under " +
                                              cost + " RLC. " + pretty(shown)));
    }
    WP_TRY(MarketClient market, open_market(ctx));
    WP_TRY(const PrivateKey* wallet, ctx.wallet());
    ctx.printer().start_spinner("Publishing requestorder");
    WP_TRY(PublishedOrder published, market.publish(signed_order, *wallet));
    Reply reply;
    reply.payload = {{"orderHash", to_hex(published.order_hash)}};
    reply.human = ctx.printer().ok_line("Successfully published requestorder with orderHash " +
                                        to_hex(published.order_hash) + "\nRun \"iexec orderbook requester " +
                                        requester.to_checksum() + "\" to show published requestorders");
    return reply;
}

void add_request_execution_command(Registry& r, Groups& g) {
    auto& a = r.keep<RequestArgs>();
    CLI::App* l = r.leaf(g.app, "request-execution", "request an iExec application execution at limit price",
                         kChainOption | kWalletOptions | kForceOption);
    l->add_option("appAddress", a.app, "app address")->required();
    l->add_option("--dataset", a.dataset, "dataset address");
    l->add_option("--workerpool", a.workerpool, "workerpool address");
    l->add_option("--app-price", a.app_price, "app price per task (default unit nRLC)")->expected(1, 2);
    l->add_option("--dataset-price", a.dataset_price, "dataset price per task (default unit nRLC)")->expected(1, 2);
    l->add_option("--workerpool-price", a.workerpool_price, "workerpool price per task (default unit nRLC)")
        ->expected(1, 2);
    l->add_option("--args", a.args, "specify the arguments to pass to the app");
    l->add_option("--input-files", a.input_files,
                  "specify the URL of input files to be used by the app (usage: --input-files url1,url2)");
    l->add_option("--secret", a.secrets,
                  "specify the requester secrets mappings (<appSecretKey>=<requesterSecretName>) to use in the app "
                  "(only available for TEE tasks, use with --tag tee)");
    l->add_option("--category", a.category, "id of the task category");
    l->add_option("--tag", a.tag, "specify tags (usage: --tag tag1,tag2)");
    l->add_option("--volume", a.volume, "number of run");
    l->add_option("--storage-provider", a.storage_provider, "specify the storage to use to store the result archive");
    l->add_option("--callback", a.callback, "specify the callback address of the request");
    l->add_flag("--encrypt-result", a.encrypt_result,
                "encrypt the result archive with the beneficiary public key (only available for TEE tasks, use with "
                "--tag tee)");
    l->add_option("--trust", a.trust, "trust level");
    l->add_option("--beneficiary", a.beneficiary, "specify the beneficiary of the request (default user address)");
    l->add_option("--params", a.params, "specify the params of the request (JSON)");
    l->add_flag("--skip-preflight-check", a.skip_preflight,
                "skip preflight check, this may result in task execution fail");
    r.action(l, [&a](Context& ctx) { return request_execution(ctx, a); });
}

}  // namespace

void add_app_commands(Registry& r, Groups& g) {
    {
        CLI::App* l = r.leaf(g.app, "init", "init a new app", kWalletOptions);
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
    add_registry_commands(r, g.app, ResourceKind::kApp);
    add_publish_commands(r, g.app, ResourceKind::kApp);
    add_request_execution_command(r, g);
    add_transfer_command(r, g.app, ResourceKind::kApp);
}

}  // namespace wp::cli
