// The SMS-backed commands (SDK 9.0.1 iexec-storage.js, iexec-result.js, iexec-requester.js, app / dataset
// push-secret|check-secret): `storage init|check`, `result push-encryption-key|check-encryption-key`, `requester
// push-secret|check-secret`, `app push-secret|check-secret`. They take the SDK's arguments and options, check what
// can be checked without an SMS (the storage provider's name), then answer as sms.hpp says (the SDK's message
// when the SMS is unreachable). It also registers the local crypto commands (`dataset encrypt`, `result
// generate-encryption-keypair|decrypt`: cmd_crypto.hpp) and `task debug` (cmd_task_debug.cpp).
#include "cmd_crypto.hpp"
#include "command.hpp"
#include "sms.hpp"

namespace wp::cli {

namespace {

// A leaf that needs the SMS: its positional arguments and options are accepted (and ignored), then the SMS answer.
struct SmsLeaf {
    std::vector<std::string> positionals;
    std::optional<std::string> user;
    std::optional<std::string> token;
    std::optional<std::string> secret_path;
    bool force_update{false};
};

}  // namespace

void add_secrets_commands(Registry& r, Groups& g) {
    for (const char* name : {"init", "check"}) {
        auto& a = r.keep<SmsLeaf>();
        const bool init = std::string_view(name) == "init";
        CLI::App* l = r.leaf(g.storage, name,
                             init ? "initialize the remote storage" : "check if the remote storage is initialized",
                             kChainOption | kWalletOptions);
        l->add_option("provider", a.positionals, "storage provider: ipfs or dropbox")->required()->expected(1);
        if (init) {
            l->add_flag("--force-update", a.force_update, "update if already exists");
            l->add_option("--token", a.token, "storage provider authorization token (unsafe)");
        } else {
            l->add_option("--user", a.user, "custom user address");
        }
        const std::string what = std::string("iexec storage ") + name;
        r.action(l, [&a, what](Context& ctx) -> Result<Reply> {
            WP_TRY_VOID(ctx.chain());
            WP_TRY_VOID(ctx.wallet_address());
            WP_TRY(const chain::ResolvedChain* c, ctx.chain());
            if (!c->sms)
                return make_error(Errc::kInvalidArgument,
                                  "Missing sms in \"chain.json\" for chain " + std::to_string(c->id));
            WP_TRY_VOID(check_storage_provider(a.positionals.front()));
            WP_TRY_VOID(sms_unsupported(ctx, what));
            return Reply{};
        });
    }
    struct Spec {
        CLI::App* group;
        const char* name;
        const char* alias;
        const char* description;
        const char* positional;  // nullptr: none
        bool required;
        bool user_option;
        bool secret_path_option;
    };
    const Spec specs[] = {
        {g.result, "push-encryption-key", "push-secret",
         "push the public encryption key to the secret management service", nullptr, false, false, true},
        {g.result, "check-encryption-key", "check-secret", "check if a secret exists in the secret management service",
         "address", false, false, false},
        {g.requester, "push-secret", nullptr, "push a requester named secret to the secret management service",
         "secretName", true, false, false},
        {g.requester, "check-secret", nullptr, "check if a secret exists in the secret management service",
         "secretName", true, false, false},
        {g.app, "push-secret", nullptr, "push the app secret to the secret management service", "appAddress", false,
         false, true},
        {g.app, "check-secret", nullptr, "check if a secret exists in the secret management service", "appAddress",
         false, false, false},
    };
    for (const Spec& s : specs) {
        auto& a = r.keep<SmsLeaf>();
        CLI::App* l = r.leaf(s.group, s.name, s.description, kChainOption | kWalletOptions);
        if (s.alias != nullptr) l->alias(s.alias);
        if (s.positional != nullptr) {
            auto* o = l->add_option(s.positional, a.positionals, s.positional)->expected(0, 2);
            if (s.required) o->required();
        }
        if (s.secret_path_option) l->add_option("--secret-path", a.secret_path, "push the secret from a file");
        const std::string what = "iexec " + s.group->get_name() + " " + s.name;
        r.action(l, [what](Context& ctx) -> Result<Reply> {
            WP_TRY_VOID(sms_unsupported(ctx, what));
            return Reply{};
        });
    }
    // The local crypto commands (no SMS) and task debug: cmd_crypto.cpp, cmd_task_debug.cpp.
    add_crypto_commands(r, g);
    add_task_debug_command(r, g);
}

}  // namespace wp::cli
