// `iexec app run [appAddress]` (sdk-cli-and-market.md §4.5): find the cheapest matching orders on the marketplace
// (or self-sign the requester's own app / dataset / workerpool orders), build and sign the requestorder, pre-check
// the match with the protocol library (preflight.hpp: every matchOrders rule in words, instead of a raw revert),
// confirm the cost, send matchOrders and, with --watch, follow the deal's tasks until each one is COMPLETED, FAILED
// or past its final deadline, with a live status line on a terminal.
//
// Differences from the SDK: the default tag is standard (the 9.0.1 SDK forces tee+tdx); without --category the
// categories are tried in order up to countCategory() - 1; the match is pre-checked on the chain's own facts
// (protocol/match.hpp) rather than by a partial client-side copy of the rules.
#include <algorithm>
#include <chrono>
#include <thread>

#include <boost/json.hpp>

#include <wp/chain/hub.hpp>
#include <wp/chain/poco_events.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/economics.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>

#include "amount.hpp"
#include "cmd_order.hpp"
#include "command.hpp"
#include "preflight.hpp"
#include "sms.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

struct RunOptions {
    std::string app;
    std::optional<std::string> dataset, workerpool, args, category, tag, trust, callback, beneficiary, params;
    std::vector<std::string> input_files;
    std::vector<std::string> secrets;
    std::optional<std::string> storage_provider;
    bool encrypt_result{false};
    bool watch{false};
    bool skip_preflight{false};
};

Result<Address> resource_or_deployed(Context& ctx, const std::string& text, ResourceKind kind) {
    if (text == "deployed") {
        WP_TRY(DeployedFile d, ctx.deployed());
        WP_TRY(const chain::ResolvedChain* c, ctx.chain());
        auto found = d.find(kind, c->id);
        if (!found)
            return make_error(Errc::kInvalidArgument, "No " + std::string(resource_key(kind)) +
                                                          " found in \"deployed.json\" for chain " +
                                                          std::to_string(c->id));
        ctx.printer().info("Using last " + std::string(resource_key(kind)) + " deployed from \"deployed.json\"");
        return *found;
    }
    auto a = Address::parse(text);
    if (!a) return make_error(a.error().with_context(std::string(resource_key(kind))));
    return *a;
}

//! owner() of a registered entry, or the SDK's "No <kind> deployed at address X".
Result<Address> registered_owner(chain::Hub& hub, chain::RegistryKind registry, std::string_view name,
                                 const Address& entry) {
    auto registered = hub.is_registered(registry, entry);
    if (!registered) return make_error(registered.error().to_error());
    if (!*registered)
        return make_error(Errc::kInvalidArgument,
                          "No " + std::string(name) + " deployed at address " + entry.to_checksum());
    auto owner = hub.entry_owner(entry);
    if (!owner) return make_error(owner.error().to_error());
    return *owner;
}

//! The task status line of --watch ("1/2 tasks completed, 0 failed, 1 running").
struct TaskState {
    Bytes32 id;
    std::uint64_t idx{0};
    TaskStatus status{TaskStatus::kUnset};
    bool timed_out{false};
    bool final() const { return status == TaskStatus::kCompleted || status == TaskStatus::kFailed || timed_out; }
};

std::string render_tasks(const std::vector<TaskState>& tasks) {
    std::size_t completed = 0, failed = 0, timed_out = 0;
    for (const auto& t : tasks) {
        if (t.status == TaskStatus::kCompleted) ++completed;
        else if (t.status == TaskStatus::kFailed) ++failed;
        else if (t.timed_out) ++timed_out;
    }
    const std::size_t n = tasks.size();
    std::string s = std::to_string(completed) + "/" + std::to_string(n) + " tasks completed";
    if (failed > 0) s += ", " + std::to_string(failed) + " failed";
    if (timed_out > 0) s += ", " + std::to_string(timed_out) + " timed out";
    const std::size_t running = n - completed - failed - timed_out;
    if (running > 0) s += ", " + std::to_string(running) + " running";
    return s;
}

json::object task_json(const TaskState& t) {
    return {{"taskid", to_hex(t.id)},
            {"idx", std::to_string(t.idx)},
            {"status", static_cast<int>(t.status)},
            {"statusName", t.timed_out ? std::string("TIMEOUT") : std::string(to_string(t.status))},
            {"taskTimedOut", t.timed_out}};
}

//! Polls the deal's tasks until each is final; updates the spinner line.
Result<std::vector<TaskState>> watch_deal(Context& ctx, chain::Hub& hub, const Bytes32& deal_id) {
    auto deal = hub.view_deal(deal_id);
    if (!deal) return make_error(deal.error().to_error());
    auto category = hub.view_category(deal->category);
    if (!category) return make_error(category.error().to_error());
    auto ratio = hub.final_deadline_ratio();
    if (!ratio) return make_error(ratio.error().to_error());
    auto span = checked_mul(category->work_clock_time_ref, *ratio);
    if (!span) return make_error(span.error());
    auto deadline = checked_add(deal->start_time, *span);
    if (!deadline) return make_error(deadline.error());
    if (!deal->bot_size.fits_u64() || !deal->bot_first.fits_u64() || deal->bot_size.low_u64() > 10'000)
        return make_error(Errc::kInvalidArgument, "deal " + to_hex(deal_id) + ": volume too large to watch");
    std::vector<TaskState> tasks;
    std::vector<Bytes32> ids;
    for (std::uint64_t i = 0; i < deal->bot_size.low_u64(); ++i) {
        TaskState t;
        t.idx = deal->bot_first.low_u64() + i;
        t.id = task_id(deal_id, U256(t.idx));
        ids.push_back(t.id);
        tasks.push_back(t);
    }
    for (;;) {
        auto views = hub.view_tasks(ids);
        const U256 now(static_cast<std::uint64_t>(std::max<std::int64_t>(0, ctx.clock().unix_ms() / 1000)));
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            if (!views[i]) return make_error(views[i].error().to_error());
            tasks[i].status = views[i]->status;
            const U256& final_deadline = views[i]->status == TaskStatus::kUnset ? *deadline : views[i]->final_deadline;
            tasks[i].timed_out = tasks[i].status != TaskStatus::kCompleted && tasks[i].status != TaskStatus::kFailed &&
                                 now >= final_deadline;
        }
        const bool done = std::all_of(tasks.begin(), tasks.end(), [](const TaskState& t) { return t.final(); });
        if (done) break;
        ctx.printer().start_spinner("Watching execution... " + render_tasks(tasks));
        ctx.clock().sleep_for(std::chrono::seconds(2));
    }
    ctx.printer().stop_spinner();
    return tasks;
}

void add_run(Registry& r, Groups& g) {
    auto& o = r.keep<RunOptions>();
    CLI::App* cmd = r.leaf(g.app, "run", "run an iExec application at market price (default run last deployed app)",
                           kTransaction | kForceOption);
    cmd->add_option("appAddress", o.app, "the app (default: deployed.json)");
    cmd->add_flag("--watch", o.watch, "watch execution status changes");
    cmd->add_option("--dataset", o.dataset, "dataset address (or \"deployed\")");
    cmd->add_option("--workerpool", o.workerpool, "workerpool address (or \"deployed\")");
    cmd->add_option("--args", o.args, "specify the arguments to pass to the app");
    cmd->add_option("--input-files", o.input_files, "specify the URL of input files to be used by the app");
    cmd->add_option("--category", o.category, "id of the task category");
    cmd->add_option("--tag", o.tag, "specify tags (usage: --tag tag1,tag2)");
    cmd->add_option("--trust", o.trust, "trust level");
    cmd->add_option("--callback", o.callback, "specify the callback address of the request");
    cmd->add_option("--beneficiary", o.beneficiary, "specify the beneficiary of the request");
    cmd->add_option("--params", o.params, "specify the params of the request (JSON)");
    cmd->add_flag("--skip-preflight-check", o.skip_preflight, "do not pre-check the match");
    cmd->add_option("--secret", o.secrets,
                    "specify the requester secrets mappings (<appSecretKey>=<requesterSecretName>)");
    cmd->add_option("--storage-provider", o.storage_provider, "specify the storage to use to store the result archive");
    cmd->add_flag("--encrypt-result", o.encrypt_result, "encrypt the result archive with the beneficiary public key");
    r.action_with_exit(cmd, [&o](Context& ctx) -> Result<int> {
        // What needs the SMS or a TEE task (requester secrets, result encryption, storage tokens) is refused with
        // the rule; the SDK's own messages where it has one.
        for (const auto& mapping : o.secrets)
            if (mapping.find('=') == std::string::npos)
                return make_error(
                    Errc::kInvalidArgument,
                    "'" + mapping +
                        "' is not a valid secret mapping syntax (must be <appSecretKey>=<requesterSecretName>)");
        if (!o.secrets.empty())
            return make_error(Errc::kUnsupported,
                              "--secret: requester secrets need a TEE task and the Secret Management Service, which "
                              "this stack does not support (iexec_secrets is not supported for non TEE tasks)");
        if (o.encrypt_result)
            return make_error(Errc::kUnsupported,
                              "--encrypt-result: result encryption needs a TEE task and the beneficiary key in the "
                              "Secret Management Service, which this stack does not support");
        if (o.storage_provider && *o.storage_provider != "ipfs") {
            WP_TRY_VOID(check_storage_provider(*o.storage_provider));
            return make_error(Errc::kInvalidArgument, "iexec_result_storage_provider \"" + *o.storage_provider +
                                                          "\" is not supported for non TEE tasks use supported "
                                                          "storage provider ipfs");
        }
        WP_TRY(chain::Hub * hub, ctx.hub());
        WP_TRY(Address requester, ctx.wallet_address());
        WP_TRY(const chain::ResolvedChain* chain_info, ctx.chain());
        Address app_address;
        if (o.app.empty()) {
            WP_TRY(DeployedFile d, ctx.deployed());
            auto found = d.find(ResourceKind::kApp, chain_info->id);
            if (!found)
                return make_error(Errc::kInvalidArgument,
                                  "Missing appAddress and no app found in \"deployed.json\" for chain " +
                                      std::to_string(chain_info->id));
            ctx.printer().info("No app specified, using last app deployed from \"deployed.json\"");
            app_address = *found;
        } else {
            WP_TRY(app_address, resource_or_deployed(ctx, o.app, ResourceKind::kApp));
        }
        std::optional<Address> dataset_address, pool_address;
        if (o.dataset) {
            WP_TRY(dataset_address, resource_or_deployed(ctx, *o.dataset, ResourceKind::kDataset));
        }
        if (dataset_address && *dataset_address == Address{}) dataset_address.reset();
        if (o.workerpool) {
            WP_TRY(pool_address, resource_or_deployed(ctx, *o.workerpool, ResourceKind::kWorkerpool));
        }

        // params
        json::object params;
        if (o.params) {
            json::error_code ec;
            json::value p = json::parse(*o.params, ec);
            if (ec || !p.is_object())
                return make_error(Errc::kInvalidArgument, "--params must be a JSON object (got " + *o.params + ")");
            params = p.as_object();
        }
        if (o.args) params["iexec_args"] = *o.args;
        if (o.storage_provider) params["iexec_result_storage_provider"] = *o.storage_provider;
        if (!o.input_files.empty()) {
            json::array files;
            for (const auto& f : o.input_files) files.emplace_back(f);
            params["iexec_input_files"] = std::move(files);
        }
        Bytes32 tag{};
        if (o.tag) {
            auto t = parse_tag(std::string_view(*o.tag));
            if (!t) return make_error(t.error().with_context("--tag"));
            WP_TRY_VOID(validate_order_tag(OrderKind::kRequest, *t));
            tag = *t;
        }
        U256 trust;
        if (o.trust) {
            auto t = U256::from_dec(*o.trust);
            if (!t) return make_error(Errc::kInvalidArgument, "--trust must be a non-negative integer");
            trust = *t;
        }
        std::optional<U256> category;
        if (o.category) {
            auto c = U256::from_dec(*o.category);
            if (!c) return make_error(Errc::kInvalidArgument, "--category must be a non-negative integer");
            category = *c;
        }
        WP_TRY(MarketClient market, open_market(ctx));
        ctx.printer().start_spinner("Preparing deal");

        // apporder
        ctx.printer().info("Using app " + app_address.to_checksum());
        WP_TRY(Address app_owner, registered_owner(*hub, chain::RegistryKind::kApp, "app", app_address));
        AppOrder apporder;
        if (app_owner == requester) {
            ctx.printer().info("Creating apporder");
            AppOrder a;
            a.app = app_address;
            a.volume = 1;
            a.requesterrestrict = requester;
            a.tag = tag;
            WP_TRY(Order s, sign_with_wallet(ctx, Order(a)));
            apporder = std::get<AppOrder>(s);
        } else {
            ctx.printer().info("Fetching apporder from iExec Marketplace");
            AppOrderbookQuery q;
            q.app = AddressOrAny{false, app_address};
            q.requester.value = AddressOrAny{false, requester};
            if (dataset_address) q.dataset.value = AddressOrAny{false, *dataset_address};
            if (pool_address) q.workerpool.value = AddressOrAny{false, *pool_address};
            if (o.tag) {  // with --tag: the app order must not require more (the SDK always sends maxTag)
                q.min_tag = tag_and(tag, make_tag(0x0f));  // tee and the framework bits
                q.max_tag = tag;
            }
            WP_TRY(OrderbookPage page, market.app_orders(q));
            if (page.orders.empty())
                return make_error(Errc::kInvalidArgument, "No order available for app " + app_address.to_checksum());
            apporder = std::get<AppOrder>(page.orders.front().order);
        }

        // datasetorder
        DatasetOrder datasetorder{};
        if (dataset_address) {
            ctx.printer().info("Using dataset " + dataset_address->to_checksum());
            WP_TRY(Address owner, registered_owner(*hub, chain::RegistryKind::kDataset, "dataset", *dataset_address));
            if (owner == requester) {
                ctx.printer().info("Creating datasetorder");
                DatasetOrder d;
                d.dataset = *dataset_address;
                d.volume = 1;
                d.requesterrestrict = requester;
                d.tag = tag;
                WP_TRY(Order s, sign_with_wallet(ctx, Order(d)));
                datasetorder = std::get<DatasetOrder>(s);
            } else {
                ctx.printer().info("Fetching datasetorder from iExec Marketplace");
                DatasetOrderbookQuery q;
                q.dataset = AddressOrAny{false, *dataset_address};
                q.app.value = AddressOrAny{false, app_address};
                q.requester.value = AddressOrAny{false, requester};
                if (pool_address) q.workerpool.value = AddressOrAny{false, *pool_address};
                if (o.tag) q.max_tag = tag;
                WP_TRY(OrderbookPage page, market.dataset_orders(q));
                if (page.orders.empty())
                    return make_error(Errc::kInvalidArgument,
                                      "No order available for dataset " + dataset_address->to_checksum());
                datasetorder = std::get<DatasetOrder>(page.orders.front().order);
            }
        } else {
            ctx.printer().info("Not using dataset");
        }

        // workerpoolorder
        ctx.printer().info(pool_address ? "Using workerpool " + pool_address->to_checksum() : "Using any workerpool");
        const Bytes32 min_tag = tag_or(tag_or(apporder.tag, tag_strip_tee_framework(datasetorder.tag)), tag);
        std::optional<WorkerpoolOrder> poolorder;
        if (pool_address) {
            WP_TRY(Address owner,
                   registered_owner(*hub, chain::RegistryKind::kWorkerpool, "workerpool", *pool_address));
            if (owner == requester) {
                ctx.printer().info("Creating workerpoolorder");
                WorkerpoolOrder w;
                w.workerpool = *pool_address;
                w.volume = 1;
                w.requesterrestrict = requester;
                w.tag = min_tag;
                w.trust = trust;
                w.category = category.value_or(U256(0));
                WP_TRY(Order s, sign_with_wallet(ctx, Order(w)));
                poolorder = std::get<WorkerpoolOrder>(s);
            }
        }
        if (!poolorder) {
            ctx.printer().info("Fetching workerpoolorder from iExec Marketplace");
            U256 first = category.value_or(U256(0));
            U256 last = first;
            if (!category) {
                auto count = hub->count_category();
                if (!count) return make_error(count.error().to_error());
                if (count->is_zero())
                    return make_error(Errc::kInvalidArgument,
                                      "No workerpoolorder matching your conditions currently available");
                last = *count;
                auto one = checked_sub(last, U256(1));
                last = one ? *one : U256(0);
            }
            for (U256 c = first; c <= last; c = checked_add(c, U256(1)).value()) {
                WorkerpoolOrderbookQuery q;
                q.category = c;
                q.app.value = AddressOrAny{false, app_address};
                if (dataset_address) q.dataset.value = AddressOrAny{false, *dataset_address};
                if (pool_address) q.workerpool = AddressOrAny{false, *pool_address};
                q.requester.value = AddressOrAny{false, requester};
                q.min_tag = min_tag;
                q.min_trust = trust;
                WP_TRY(OrderbookPage page, market.workerpool_orders(q));
                for (const auto& p : page.orders) {
                    if (p.remaining.is_zero()) continue;
                    poolorder = std::get<WorkerpoolOrder>(p.order);
                    break;
                }
                if (poolorder || c == last) break;
            }
            if (!poolorder) {
                if (category)
                    return make_error(
                        Errc::kInvalidArgument,
                        "No workerpoolorder matching your conditions available in category " + category->to_dec());
                return make_error(Errc::kInvalidArgument,
                                  "No workerpoolorder matching your conditions currently available");
            }
        }

        // requestorder
        ctx.printer().info("Creating requestorder");
        RequestOrder request;
        request.app = apporder.app;
        request.appmaxprice = apporder.appprice;
        request.dataset = datasetorder.dataset;
        request.datasetmaxprice = datasetorder.datasetprice;
        request.workerpool = poolorder->workerpool;
        request.workerpoolmaxprice = poolorder->workerpoolprice;
        request.requester = requester;
        request.volume = 1;
        request.tag = tag;
        request.category = poolorder->category;
        request.trust = trust;
        request.beneficiary = requester;
        if (o.beneficiary) {
            auto b = Address::parse(*o.beneficiary);
            if (!b) return make_error(b.error().with_context("--beneficiary"));
            request.beneficiary = *b;
        }
        if (o.callback) {
            auto cb = Address::parse(*o.callback);
            if (!cb) return make_error(cb.error().with_context("--callback"));
            request.callback = *cb;
        }
        request.params = params.empty() ? std::string() : json::serialize(params);
        WP_TRY(Order signed_request, sign_with_wallet(ctx, Order(request)));
        request = std::get<RequestOrder>(signed_request);

        U256 cost;
        if (!o.skip_preflight) {
            WP_TRY(MatchedDeal predicted,
                   preflight_match(*hub, apporder, datasetorder, *poolorder, request, {.version = PocoVersion::kV6_1}));
            WP_TRY(U256 price, task_price(predicted.deal));
            WP_TRY(cost, sponsor_lock(price, predicted.volume));
        } else {
            WP_TRY(U256 price, task_price(apporder.appprice, datasetorder.datasetprice, poolorder->workerpoolprice));
            cost = price;
        }
        ctx.printer().stop_spinner();
        json::object summary{
            {"app", request.app.to_checksum() + " (" + format_rlc(request.appmaxprice) + " RLC)"},
            {"workerpool", request.workerpool.to_checksum() + " (" + format_rlc(request.workerpoolmaxprice) + " RLC)"},
            {"category", request.category.to_dec()}};
        if (!(request.dataset == Address{}))
            summary["dataset"] = request.dataset.to_checksum() + " (" + format_rlc(request.datasetmaxprice) + " RLC)";
        if (!params.empty()) summary["params"] = params;
        WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to spend " + cost.to_dec() +
                                              " nRLC to execute the following request: " + pretty(summary)));
        auto call = hub->match_orders(apporder, datasetorder, *poolorder, request);
        if (!call) return make_error(call.error().to_error());
        ctx.printer().start_spinner("Submitting deal");
        WP_TRY(SentTx tx, ctx.send(*call));
        std::optional<chain::events::OrdersMatched> matched;
        for (const auto& log : tx.receipt.logs) {
            auto ev = chain::decode_poco_event(log);
            if (!ev) continue;
            if (const auto* m = std::get_if<chain::events::OrdersMatched>(&*ev)) matched = *m;
        }
        if (!matched)
            return make_error(Errc::kRemote,
                              "matchOrders transaction " + to_hex(tx.hash) + " has no OrdersMatched event");
        Reply reply;
        json::array deals;
        deals.push_back(json::object{
            {"dealid", to_hex(matched->deal_id)}, {"volume", matched->volume.to_dec()}, {"txHash", to_hex(tx.hash)}});
        reply.payload["deals"] = std::move(deals);
        if (!o.watch) {
            reply.human = ctx.printer().ok_line("Deal submitted with dealid " + to_hex(matched->deal_id));
            return ctx.printer().success(reply);
        }
        ctx.printer().info("Deal submitted with dealid " + to_hex(matched->deal_id));
        WP_TRY(std::vector<TaskState> tasks, watch_deal(ctx, *hub, matched->deal_id));
        json::array all, failed;
        for (const auto& t : tasks) {
            all.push_back(task_json(t));
            if (t.status != TaskStatus::kCompleted) failed.push_back(task_json(t));
        }
        reply.payload["tasks"] = std::move(all);
        if (!failed.empty()) {
            reply.payload["failedTasks"] = std::move(failed);
            // As the SDK's spinner.fail: raw {"ok":false, deals, tasks, failedTasks} on stderr, exit code 0.
            ctx.printer().stop_spinner();
            if (ctx.options().raw) {
                json::object line{{"ok", false}};
                for (const auto& kv : reply.payload) line[kv.key()] = kv.value();
                *ctx.env().err << json::serialize(line) << '\n';
            } else {
                *ctx.env().err << "\u2716 App run failed: " << render_tasks(tasks) << '\n';
            }
            return 0;
        }
        reply.human = ctx.printer().ok_line("App run successful: " + render_tasks(tasks));
        return ctx.printer().success(reply);
    });
}

}  // namespace

void add_app_run_command(Registry& r, Groups& g) { add_run(r, g); }

}  // namespace wp::cli
