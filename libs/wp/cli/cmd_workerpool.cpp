// `iexec workerpool init|deploy|show|count|publish|unpublish|transfer` (SDK 9.0.1 iexec-workerpool.js, §4.1). All but
// init are shared with app and dataset (resource.hpp).
#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>

#include "command.hpp"
#include "resource.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

Address wallet_or_zero(Context& ctx) {
    auto address = ctx.wallet_address();
    return address ? *address : Address{};
}

}  // namespace

void add_workerpool_commands(Registry& r, Groups& g) {
    {
        CLI::App* l = r.leaf(g.workerpool, "init", "init a new workerpool", kWalletOptions);
        r.action(l, [](Context& ctx) -> Result<Reply> {
            WP_TRY(json::object iexec, ctx.iexec_json());
            json::object section{{"owner", wallet_or_zero(ctx).to_checksum()}, {"description", "my-workerpool"}};
            iexec["workerpool"] = section;
            WP_TRY_VOID(ctx.save_iexec_json(iexec));
            Reply reply;
            reply.payload["workerpool"] = section;
            reply.human = ctx.printer().ok_line("Saved default workerpool in \"iexec.json\", you can edit it:\n") +
                          render_human(section);
            return reply;
        });
    }
    add_registry_commands(r, g.workerpool, ResourceKind::kWorkerpool);
    add_publish_commands(r, g.workerpool, ResourceKind::kWorkerpool);
    add_transfer_command(r, g.workerpool, ResourceKind::kWorkerpool);
}

}  // namespace wp::cli
