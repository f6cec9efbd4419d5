#include "sms.hpp"

#include <wp/net/http_client.hpp>

namespace wp::cli {

Result<void> sms_unsupported(Context& ctx, std::string_view what) {
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    if (!c->sms)
        return make_error(Errc::kInvalidArgument, "Missing sms in \"chain.json\" for chain " + std::to_string(c->id));
    net::HttpClientOptions options;
    options.connect_timeout = ctx.env().rpc_timeout;
    options.request_timeout = ctx.env().rpc_timeout;
    net::HttpClient http(options);
    auto answer = http.get(*c->sms);
    if (!answer)
        return make_error(Errc::kNetwork, "SMS error: Connection to " + *c->sms + " failed with a network error");
    return make_error(Errc::kUnsupported, std::string(what) + " needs the Secret Management Service at " + *c->sms +
                                              ", which this CLI does not support (no SMS API client)");
}

Result<void> check_storage_provider(std::string_view provider) {
    if (provider == "dropbox" || provider == "ipfs") return {};
    std::string message = "\"";
    message.append(provider);
    message.append("\" is not a valid storage provider, use one of the supported providers (dropbox, ipfs)");
    return make_error(Errc::kInvalidArgument, std::move(message));
}

}  // namespace wp::cli
