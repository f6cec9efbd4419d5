// `iexec dataset init|deploy|show|count|transfer|push-secret|check-secret` (SDK 9.0.1 iexec-dataset.js,
// common/protocol/registries.js). The multiaddr is stored as the SDK stores it (multiaddr.hpp: /ipfs/<CID> in the
// binary multiaddr format, shown back as /p2p/<CID>). push-secret / check-secret need the SMS (sms.hpp). deploy, show,
// count, publish, unpublish and transfer are shared with app and workerpool (resource.hpp); `dataset encrypt` is
// registered with the local crypto commands (cmd_secrets.cpp, cmd_crypto.hpp).
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
    add_registry_commands(r, g.dataset, ResourceKind::kDataset);
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
    add_publish_commands(r, g.dataset, ResourceKind::kDataset);
    add_transfer_command(r, g.dataset, ResourceKind::kDataset);
}

}  // namespace wp::cli
