// `iexec task debug <taskid> [--logs]` (task_debug.hpp).
#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>

#include "cmd_crypto.hpp"
#include "task_debug.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

// scheme://authority of `url` (what `new URL("/path", url)` keeps).
std::string origin_of(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    const auto path = url.find_first_of("/?#", scheme + 3);
    return path == std::string::npos ? url : url.substr(0, path);
}

std::string reason_phrase(unsigned status) {
    switch (status) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 429: return "Too Many Requests";
        default: return "";
    }
}

// The SDK's jsonApi.get: GET <origin of api><endpoint>, errors as in task_debug.hpp (`prefix`: "Compass API error"
// or "Workerpool API error" for the transport and 5xx failures).
Result<json::value> json_get(const std::string& api, const std::string& endpoint, std::string_view prefix,
                             std::chrono::milliseconds timeout) {
    net::HttpClientOptions options;
    options.connect_timeout = timeout;
    options.request_timeout = timeout;
    options.max_response_bytes = std::size_t{16} << 20;
    net::HttpClient http(options);
    auto answer = http.get(origin_of(api) + endpoint, {{"Accept", "application/json"}});
    if (!answer)
        return make_error(Errc::kNetwork,
                          std::string(prefix) + ": Connection to " + api + " failed with a network error");
    if (answer->status >= 500 && answer->status <= 599)
        return make_error(Errc::kRemote, std::string(prefix) + ": Server at " + api + " encountered an internal error");
    const auto type = answer->header("Content-Type");
    if (!type || type->find("application/json") == std::string_view::npos)
        return make_error(Errc::kDecoding, "The http response is not of JSON type");
    boost::system::error_code ec;
    json::value body = json::parse(answer->body, ec);
    if (answer->status < 200 || answer->status > 299) {
        const json::object* o = ec ? nullptr : body.if_object();
        const json::value* e = o != nullptr ? o->if_contains("error") : nullptr;
        if (e != nullptr && e->is_string() && !e->get_string().empty())
            return make_error(Errc::kRemote, "API error: " + std::string(e->get_string()));
        return make_error(Errc::kRemote,
                          "API error: " + std::to_string(answer->status) + " " + reason_phrase(answer->status));
    }
    if (ec) return make_error(Errc::kDecoding, "invalid JSON from " + api + ": " + ec.message());
    return body;
}

}  // namespace

Result<std::string> workerpool_api_url(const std::optional<std::string>& compass, std::uint64_t chain_id,
                                       const Address& workerpool, std::chrono::milliseconds timeout) {
    const std::string impossible = "Impossible to resolve API url for workerpool " + workerpool.to_checksum();
    if (!compass) return make_error(Errc::kInvalidArgument, impossible);
    auto answer = json_get(*compass, "/" + std::to_string(chain_id) + "/workerpools/" + workerpool.to_checksum(),
                           "Compass API error", timeout);
    if (!answer) {
        // The SDK rethrows the compass's transport and 5xx errors; any other failure means "no apiUrl".
        if (answer.error().message.starts_with("Compass API error")) return make_error(answer.error());
        return make_error(Errc::kInvalidArgument, impossible);
    }
    const json::object* o = answer->if_object();
    const json::value* url = o != nullptr ? o->if_contains("apiUrl") : nullptr;
    if (url == nullptr || !url->is_string() || url->get_string().empty())
        return make_error(Errc::kInvalidArgument, impossible);
    return std::string(url->get_string());
}

Result<json::object> fetch_task_offchain(const std::string& api_url, const Bytes32& task_id,
                                         std::chrono::milliseconds timeout) {
    WP_TRY(json::value data, json_get(api_url, "/tasks/" + to_hex(task_id.view()), "Workerpool API error", timeout));
    const json::object* o = data.if_object();
    if (o == nullptr) return make_error(Errc::kDecoding, "Workerpool API error: the task is not a JSON object");
    auto field = [](const json::object& obj, std::string_view key, json::object& out, std::string_view as) {
        if (const json::value* v = obj.if_contains(key); v != nullptr && !v->is_null()) out[as] = *v;
    };
    json::object task;
    field(*o, "currentStatus", task, "status");
    field(*o, "dateStatusList", task, "statusHistory");
    json::array replicates;
    if (const json::value* reps = o->if_contains("replicates"); reps != nullptr && reps->is_array()) {
        for (const json::value& r : reps->get_array()) {
            const json::object* ro = r.if_object();
            if (ro == nullptr) continue;
            json::object rep;
            field(*ro, "walletAddress", rep, "worker");
            field(*ro, "appExitCode", rep, "exitCode");
            field(*ro, "currentStatus", rep, "status");
            field(*ro, "statusUpdateList", rep, "statusHistory");
            replicates.push_back(std::move(rep));
        }
    }
    return json::object{{"task", std::move(task)}, {"replicates", std::move(replicates)}};
}

void add_task_debug_command(Registry& r, Groups& g) {
    struct Args {
        std::string id;
        bool logs{false};
    };
    auto& a = r.keep<Args>();
    CLI::App* l = r.leaf(g.task, "debug", "show task debug information", kChainOption | kWalletOptions);
    l->add_option("taskid", a.id, "task id")->required();
    l->add_flag("--logs", a.logs, "show application logs");
    r.action(l, [&a](Context& ctx) -> Result<Reply> {
        auto id = bytes32_from_hex(a.id);
        if (!id) return make_error(Errc::kInvalidArgument, a.id + " is not a valid taskid");
        WP_TRY(const chain::ResolvedChain* c, ctx.chain());
        if (a.logs) WP_TRY_VOID(ctx.wallet());
        ctx.printer().start_spinner("Fetching debug information");
        WP_TRY(TaskOnchain onchain, load_task_onchain(ctx, *id));
        std::optional<json::object> offchain;
        auto api = workerpool_api_url(c->compass, c->id, onchain.workerpool, ctx.env().rpc_timeout);
        auto fetched = api ? fetch_task_offchain(*api, *id, ctx.env().rpc_timeout)
                           : Result<json::object>(tl::unexpect, api.error());
        if (fetched) offchain = std::move(*fetched);
        else ctx.printer().warn("Failed to fetch off-chain data: " + fetched.error().message);
        if (a.logs) {
            WP_TRY(Address me, ctx.wallet_address());
            if (me != onchain.requester)
                ctx.printer().warn("Failed to fetch app logs: Only task requester " + onchain.requester.to_checksum() +
                                   " can access replicates logs");
            else ctx.printer().warn("Failed to fetch app logs: replicate logs are not served by this workerpool API");
        }
        Reply reply;
        reply.payload["onchainData"] = onchain.task;
        if (offchain) reply.payload["offchainData"] = *offchain;
        reply.human = ctx.printer().ok_line("Task " + a.id + ":\n") + "\n" +
                      ctx.printer().info_line("On-chain data:\n\n" + render_human(onchain.task) + "\n\n");
        if (offchain)
            reply.human += "\n" + ctx.printer().info_line("Off-chain data:\n\n" + render_human(*offchain) + "\n");
        return reply;
    });
}

}  // namespace wp::cli
