// `iexec dataset init|deploy|show|count|transfer|push-secret|check-secret` (SDK 9.0.1 iexec-dataset.js,
// common/protocol/registries.js). The multiaddr is stored as the SDK stores it (multiaddr.hpp: /ipfs/<CID> in the
// binary multiaddr format, shown back as /p2p/<CID>). push-secret / check-secret need the SMS (sms.hpp).
// Not implemented: `dataset encrypt` (no command), `dataset publish|unpublish` (use `order` commands).
#include <filesystem>

#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>

#include "command.hpp"
#include "multiaddr.hpp"
#include "resource.hpp"
#include "sms.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

constexpr std::string_view kDefaultDatasetMultiaddr = "/ipfs/QmW2WQi7j6c7UgJTarActp7tDNikE4B2qXtFCfLPdsgaTQ";

struct InitArgs {
    bool encrypted{false};
    bool tee{false};
    std::optional<std::string> dataset_keystoredir;
    std::optional<std::string> original_dir;
    std::optional<std::string> encrypted_dir;
};

std::filesystem::path under_cwd(const Context& ctx, const std::optional<std::string>& option,
                                const std::filesystem::path& fallback) {
    if (!option) return ctx.env().cwd / fallback;
    const std::filesystem::path p(*option);
    return p.is_absolute() ? p : ctx.env().cwd / p;
}

Result<Reply> init_dataset(Context& ctx, const InitArgs& a) {
    WP_TRY(json::object iexec, ctx.iexec_json());
    auto wallet = ctx.wallet_address();
    const Address owner = wallet ? *wallet : Address{};
    json::object section{
        {"owner", owner.to_checksum()},
        {"name", "my-dataset"},
        {"multiaddr", kDefaultDatasetMultiaddr},
        {"checksum", "0x0000000000000000000000000000000000000000000000000000000000000000"},
    };
    iexec["dataset"] = section;
    WP_TRY_VOID(ctx.save_iexec_json(iexec));
    if (a.encrypted || a.tee) {
        for (const auto& dir : {under_cwd(ctx, a.dataset_keystoredir, ".secrets/datasets"),
                                under_cwd(ctx, a.original_dir, "datasets/original"),
                                under_cwd(ctx, a.encrypted_dir, "datasets/encrypted")}) {
            std::error_code ec;
            std::filesystem::create_directories(dir, ec);
            if (ec) return make_error(Errc::kIo, "cannot create " + dir.string() + ": " + ec.message());
        }
        ctx.printer().info("Created dataset folder tree for encryption");
    }
    Reply reply;
    reply.payload["dataset"] = section;
    reply.human =
        ctx.printer().ok_line("Saved default dataset in \"iexec.json\", you can edit it:\n") + render_human(section);
    return reply;
}

Result<Reply> deploy_dataset(Context& ctx) {
    WP_TRY(json::object iexec, ctx.iexec_json());
    const auto* section = iexec.if_contains("dataset");
    if (section == nullptr || !section->is_object())
        return make_error(Errc::kInvalidArgument,
                          "Missing dataset in \"iexec.json\". Did you forget to run \"iexec dataset init\"?");
    const auto& dataset = section->get_object();
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
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    WP_TRY(chain::Hub * hub, ctx.hub());
    WP_TRY_VOID(ctx.wallet());
    auto predicted = hub->predict_dataset(params);
    if (!predicted) return make_error(predicted.error().to_error());
    auto registered = hub->is_registered(chain::RegistryKind::kDataset, *predicted);
    if (!registered) return make_error(registered.error().to_error());
    if (*registered)
        return make_error(Errc::kInvalidArgument, "Dataset already deployed at address " + predicted->to_checksum());
    auto call = hub->create_dataset(params);
    if (!call) return make_error(call.error().to_error());
    ctx.printer().start_spinner("Deploying dataset...");
    WP_TRY(SentTx tx, ctx.send(*call));
    WP_TRY(Address address, minted_address(tx.receipt, hub->addresses().dataset_registry));
    WP_TRY(DeployedFile deployed, ctx.deployed());
    deployed.set(ResourceKind::kDataset, c->id, address);
    WP_TRY_VOID(ctx.save_deployed(deployed));
    Reply reply;
    reply.payload["address"] = address.to_checksum();
    reply.payload["txHash"] = to_hex(tx.hash);
    reply.human = ctx.printer().ok_line("Deployed new dataset at address " + address.to_checksum());
    return reply;
}

}  // namespace

void add_dataset_commands(Registry& r, Groups& g) {
    {
        auto& a = r.keep<InitArgs>();
        CLI::App* l = r.leaf(g.dataset, "init", "init a new dataset", kWalletOptions);
        l->add_flag("--encrypted", a.encrypted, "init datasets folder tree for dataset encryption");
        l->add_flag("--tee", a.tee, "use the Trusted Execution Environment template");
        l->add_option("--dataset-keystoredir", a.dataset_keystoredir, "specify dataset TEE key directory");
        l->add_option("--original-dataset-dir", a.original_dir, "specify the original dataset directory");
        l->add_option("--encrypted-dataset-dir", a.encrypted_dir, "specify the encrypted dataset directory");
        r.action(l, [&a](Context& ctx) { return init_dataset(ctx, a); });
    }
    {
        CLI::App* l = r.leaf(g.dataset, "deploy", "deploy a new dataset", kTransaction);
        r.action(l, [](Context& ctx) { return deploy_dataset(ctx); });
    }
    {
        struct Args {
            std::optional<std::string> address;
            std::optional<std::string> user;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.dataset, "show", "show user dataset details", kChainOption | kWalletOptions);
        l->add_option("addressOrIndex", a.address, "dataset address, or index among the user's datasets");
        l->add_option("--user", a.user, "custom user address");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            WP_TRY(Address address, resource_to_show(ctx, ResourceKind::kDataset, a.address, a.user));
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto info = hub->dataset_entry(address);
            if (!info) return make_error(info.error().to_error());
            // The SDK's key order: the Dataset contract's view functions in ABI order, "m_" stripped.
            json::object dataset{
                {"datasetChecksum", to_hex(info->dataset_checksum)},
                {"datasetMultiaddr", decode_multiaddr(info->dataset_multiaddr)},
                {"datasetName", info->dataset_name},
                {"owner", info->owner.to_checksum()},
                {"registry", hub->addresses().dataset_registry.to_checksum()},
            };
            Reply reply;
            reply.payload["address"] = address.to_checksum();
            reply.payload["dataset"] = dataset;
            reply.human =
                ctx.printer().ok_line("Dataset " + address.to_checksum() + " details:\n") + render_human(dataset);
            return reply;
        });
    }
    {
        auto& user = r.keep<std::optional<std::string>>();
        CLI::App* l = r.leaf(g.dataset, "count", "get user dataset count", kChainOption | kWalletOptions);
        l->add_option("--user", user, "custom user address");
        r.action(l, [&user](Context& ctx) -> Result<Reply> {
            WP_TRY(Address who, user_or_wallet(ctx, user));
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto count = hub->registry_balance_of(chain::RegistryKind::kDataset, who);
            if (!count) return make_error(count.error().to_error());
            Reply reply;
            reply.payload["count"] = count->to_dec();
            reply.human =
                ctx.printer().ok_line("User " + who.to_checksum() + " has a total of " + count->to_dec() + " dataset");
            return reply;
        });
    }
    add_transfer_command(r, g.dataset, ResourceKind::kDataset);
    for (const char* name : {"push-secret", "check-secret"}) {
        struct Args {
            std::optional<std::string> address;
            std::optional<std::string> secret_path;
        };
        auto& a = r.keep<Args>();
        const bool push = std::string_view(name) == "push-secret";
        CLI::App* l = r.leaf(g.dataset, name,
                             push ? "push the dataset secret to the secret management service"
                                  : "check if a secret exists in the secret management service",
                             kChainOption | kWalletOptions);
        l->add_option("datasetAddress", a.address, "dataset address (default: deployed.json)");
        if (push) l->add_option("--secret-path", a.secret_path, "push the secret from a file");
        const std::string what = std::string("iexec dataset ") + name;
        r.action(l, [what](Context& ctx) -> Result<Reply> {
            WP_TRY_VOID(sms_unsupported(ctx, what));
            return Reply{};
        });
    }
}

}  // namespace wp::cli
