// `iexec deal show [--watch]|claim` and `iexec task show [--watch]|claim` (SDK 9.0.1 iexec-deal.js, iexec-task.js,
// common/execution/deal.js, task.js; §4.4).
//
// Difference from the SDK: "deadline reached" / "timed out" compare the deadline with the timestamp of the latest
// block (what the contracts' claim checks), not with the local clock.
#include <boost/json/parse.hpp>

#include <wp/chain/hub.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>

#include <wp/net/http_client.hpp>

#include "cmd_crypto.hpp"
#include "command.hpp"
#include "result_crypto.hpp"
#include "task_debug.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kWatchInterval{2};

Result<Bytes32> parse_id(const std::string& text, std::string_view what) {
    auto id = bytes32_from_hex(text);
    if (!id) return make_error(Errc::kInvalidArgument, text + " is not a valid " + std::string(what));
    return *id;
}

Result<U256> chain_now(Context& ctx) {
    WP_TRY(chain::EthClient * eth, ctx.eth());
    auto block = eth->get_block_by_number();
    if (!block) return make_error(block.error().to_error());
    if (!*block) return make_error(Errc::kRemote, "eth_getBlockByNumber: no latest block");
    return U256((*block)->timestamp);
}

json::object resource_json(const Resource& r) {
    return json::object{
        {"pointer", r.pointer.to_checksum()}, {"owner", r.owner.to_checksum()}, {"price", r.price.to_dec()}};
}

struct DealView {
    Bytes32 id;
    Deal deal;
    U256 final_time;
    bool deadline_reached{false};
    std::vector<Bytes32> tasks;
};

Result<DealView> load_deal(Context& ctx, const Bytes32& id) {
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    WP_TRY(chain::Hub * hub, ctx.hub());
    auto deal = hub->view_deal(id);
    if (!deal) return make_error(deal.error().to_error());
    if (deal->app.pointer.is_zero())
        return make_error(Errc::kInvalidArgument,
                          "No deal found for id " + to_hex(id) + " on chain " + std::to_string(c->id));
    auto category = hub->view_category(deal->category);
    if (!category) return make_error(category.error().to_error());
    auto ratio = hub->final_deadline_ratio();
    if (!ratio) return make_error(ratio.error().to_error());
    DealView view{id, *deal, {}, false, {}};
    WP_TRY(U256 product, checked_mul(*ratio, category->work_clock_time_ref));
    WP_TRY(U256 final_time, checked_add(deal->start_time, product));
    view.final_time = final_time;
    WP_TRY(U256 now, chain_now(ctx));
    view.deadline_reached = now >= view.final_time;
    if (deal->bot_size > U256(100000))
        return make_error(Errc::kInvalidArgument, "deal " + to_hex(id) + " has " + deal->bot_size.to_dec() +
                                                      " tasks: more than this command lists (100000)");
    const std::uint64_t first = deal->bot_first.low_u64();
    for (std::uint64_t i = 0; i < deal->bot_size.low_u64(); ++i) view.tasks.push_back(task_id(id, U256(first + i)));
    return view;
}

json::object deal_json(const DealView& v) {
    const Deal& d = v.deal;
    json::array tasks;
    for (const auto& t : v.tasks) tasks.emplace_back(to_hex(t));
    return json::object{
        {"dealid", to_hex(v.id)},
        {"app", resource_json(d.app)},
        {"dataset", resource_json(d.dataset)},
        {"workerpool", resource_json(d.workerpool)},
        {"trust", d.trust.to_dec()},
        {"category", d.category.to_dec()},
        {"tag", to_hex(d.tag)},
        {"requester", d.requester.to_checksum()},
        {"beneficiary", d.beneficiary.to_checksum()},
        {"callback", d.callback.to_checksum()},
        {"params", d.params},
        {"startTime", d.start_time.to_dec()},
        {"botFirst", d.bot_first.to_dec()},
        {"botSize", d.bot_size.to_dec()},
        {"workerStake", d.worker_stake.to_dec()},
        {"schedulerRewardRatio", d.scheduler_reward_ratio.to_dec()},
        {"sponsor", d.sponsor.to_checksum()},
        {"finalTime", v.final_time.to_dec()},
        {"deadlineReached", v.deadline_reached},
        {"tasks", std::move(tasks)},
    };
}

// The SDK's decodeTaskResult: the results bytes as UTF-8 JSON, else {"storage":"none"}.
json::value decode_results(const Bytes& results) {
    if (!results.empty()) {
        std::error_code ec;
        json::value v =
            json::parse(std::string_view(reinterpret_cast<const char*>(results.data()), results.size()), ec);
        if (!ec) return v;
    }
    return json::object{{"storage", "none"}};
}

struct TaskView {
    Bytes32 id;
    Task task;
    bool timed_out{false};
};

std::string status_name(const TaskView& v) {
    if (static_cast<int>(v.task.status) < 3 && v.timed_out) return "TIMEOUT";
    return std::string(to_string(v.task.status));
}

json::object task_json(const TaskView& v) {
    const Task& t = v.task;
    json::array contributors;
    for (const auto& a : t.contributors) contributors.emplace_back(a.to_checksum());
    return json::object{
        {"taskid", to_hex(v.id)},
        {"status", static_cast<int>(t.status)},
        {"dealid", to_hex(t.deal_id)},
        {"idx", t.idx.to_dec()},
        {"timeref", t.timeref.to_dec()},
        {"contributionDeadline", t.contribution_deadline.to_dec()},
        {"revealDeadline", t.reveal_deadline.to_dec()},
        {"finalDeadline", t.final_deadline.to_dec()},
        {"consensusValue", to_hex(t.consensus_value)},
        {"revealCounter", t.reveal_counter.to_dec()},
        {"winnerCounter", t.winner_counter.to_dec()},
        {"contributors", std::move(contributors)},
        {"resultDigest", to_hex(t.result_digest)},
        {"results", decode_results(t.results)},
        {"resultsTimestamp", t.results_timestamp.to_dec()},
        {"resultsCallback", to_hex(t.results_callback)},
        {"statusName", status_name(v)},
        {"taskTimedOut", v.timed_out},
    };
}

// strict: a task never initialized is an error (`No task found ...`); otherwise it is shown as UNSET.
Result<TaskView> load_task(Context& ctx, const Bytes32& id, bool strict, const std::optional<U256>& deal_final = {}) {
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    WP_TRY(chain::Hub * hub, ctx.hub());
    auto task = hub->view_task(id);
    if (!task) return make_error(task.error().to_error());
    if (strict && task->deal_id.is_zero())
        return make_error(Errc::kInvalidArgument,
                          "No task found for id " + to_hex(id) + " on chain " + std::to_string(c->id));
    WP_TRY(U256 now, chain_now(ctx));
    TaskView v{id, *task, false};
    const U256 deadline = task->deal_id.is_zero() && deal_final ? *deal_final : task->final_deadline;
    v.timed_out =
        task->status != TaskStatus::kCompleted && !(task->deal_id.is_zero() && !deal_final) && now >= deadline;
    return v;
}

bool task_ended(const TaskView& v) {
    return v.timed_out || v.task.status == TaskStatus::kCompleted || v.task.status == TaskStatus::kFailed;
}

}  // namespace

// `task show --download`: the result zip the task's result link points to (the SDK's fetchTaskResults, plus our
// stack's {"storage":"pool","location":"<http url>"} links served by the core: GET /api/v1/results/:taskId), saved
// as <fileName>.zip (the task id by default) in the working directory. With `decrypt` (--decrypt), the downloaded
// archive is an encrypted result archive: the decrypted zip is saved instead (cmd_crypto.hpp, the SDK's messages).
// Returns the file name.
Result<std::string> download_task_result(Context& ctx, const json::object& task, const std::string& file_name,
                                         const BeneficiaryKeyOptions* decrypt) {
    const json::value* results = task.if_contains("results");
    const json::object* link = results != nullptr ? results->if_object() : nullptr;
    const json::value* storage = link != nullptr ? link->if_contains("storage") : nullptr;
    const std::string kind = storage != nullptr && storage->is_string() ? std::string(storage->get_string()) : "none";
    if (kind == "none") return make_error(Errc::kInvalidArgument, "No result uploaded for this task");
    if (kind != "ipfs" && kind != "pool")
        return make_error(Errc::kUnsupported, "Task result stored on " + kind + ", download not supported");
    const json::value* location = link->if_contains("location");
    if (location == nullptr || !location->is_string() || location->get_string().empty())
        return make_error(Errc::kInvalidArgument, "Missing location key in task results, download not supported");
    std::string url(location->get_string());
    if (kind == "ipfs") {
        WP_TRY(const chain::ResolvedChain* c, ctx.chain());
        if (!c->ipfs_gateway)
            return make_error(Errc::kInvalidArgument,
                              "Missing ipfsGateway in \"chain.json\" for chain " + std::to_string(c->id));
        url = *c->ipfs_gateway + url;
    }
    ctx.printer().start_spinner("Downloading result");
    net::HttpClientOptions options;
    options.connect_timeout = ctx.env().rpc_timeout;
    options.request_timeout = ctx.env().receipt_timeout;
    options.max_response_bytes = std::size_t{1} << 30;
    net::HttpClient http(options);
    auto answer = http.get(url);
    if (!answer)
        return make_error(answer.error().code, "Failed to download the task result: " + answer.error().message);
    if (answer->status != 200)
        return make_error(Errc::kRemote, "Failed to download the task result from " + url + ": HTTP " +
                                             std::to_string(answer->status));
    const std::string name = file_name.size() > 4 && file_name.ends_with(".zip") ? file_name : file_name + ".zip";
    if (decrypt != nullptr) {
        ctx.printer().start_spinner("Decrypting result");
        WP_TRY(std::string key, load_beneficiary_key(ctx, *decrypt, KeyWording::kTaskShow));
        WP_TRY(Bytes plain, decrypt_result_archive(as_bytes(answer->body), key));
        WP_TRY_VOID(ctx.write_text(name, std::string_view(reinterpret_cast<const char*>(plain.data()), plain.size())));
        return name;
    }
    WP_TRY_VOID(ctx.write_text(name, answer->body));
    return name;
}

void add_deal_commands(Registry& r, Groups& g) {
    {
        struct Args {
            std::string id;
            bool watch = false;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.deal, "show", "show a deal (and follow its tasks with --watch)", kChainOption);
        l->add_option("dealid", a.id, "deal id")->required();
        l->add_flag("--watch", a.watch, "wait until every task of the deal is completed, failed or timed out");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            WP_TRY(Bytes32 id, parse_id(a.id, "dealid"));
            ctx.printer().start_spinner("Showing deal...");
            WP_TRY(DealView deal, load_deal(ctx, id));
            Reply reply;
            if (!a.watch) {
                reply.payload["deal"] = deal_json(deal);
                reply.human =
                    ctx.printer().ok_line("Deal " + to_hex(id) + " details:\n") + render_human(deal_json(deal));
                return reply;
            }
            std::vector<TaskView> tasks;
            for (;;) {
                tasks.clear();
                bool all_ended = true;
                std::size_t completed = 0;
                for (const auto& t : deal.tasks) {
                    WP_TRY(TaskView v, load_task(ctx, t, false, deal.final_time));
                    if (v.task.deal_id.is_zero()) v.task.deal_id = id;
                    all_ended = all_ended && task_ended(v);
                    completed += v.task.status == TaskStatus::kCompleted ? 1u : 0u;
                    tasks.push_back(std::move(v));
                }
                if (all_ended) break;
                ctx.printer().start_spinner("Watching execution... " + std::to_string(completed) + "/" +
                                            std::to_string(tasks.size()) + " tasks completed");
                ctx.clock().sleep_for(kWatchInterval);
            }
            json::array all, failed;
            std::size_t completed = 0;
            for (const auto& v : tasks) {
                all.emplace_back(task_json(v));
                if (v.timed_out) failed.emplace_back(task_json(v));
                if (v.task.status == TaskStatus::kCompleted) ++completed;
            }
            const std::size_t failed_count = failed.size();
            reply.payload["tasksCount"] = tasks.size();
            reply.payload["completedTasksCount"] = completed;
            reply.payload["failedTasksCount"] = failed_count;
            reply.payload["deal"] = deal_json(deal);
            reply.payload["tasks"] = std::move(all);
            reply.payload["failedTasks"] = std::move(failed);
            std::string status_lines;
            for (const auto& v : tasks) status_lines += "  Task " + v.task.idx.to_dec() + ": " + status_name(v) + "\n";
            ctx.printer().info(std::string("Deal status ") + (failed_count > 0 ? "TIMEOUT" : "COMPLETED") + "\n" +
                               status_lines);
            reply.human = ctx.printer().ok_line("Deal " + to_hex(id) + " details:\n") + render_human(deal_json(deal));
            return reply;
        });
    }
    {
        auto& id_text = r.keep<std::string>();
        CLI::App* l = r.leaf(g.deal, "claim", "claim the unfinished tasks of a deal past its final time", kTransaction);
        l->add_option("dealid", id_text, "deal id")->required();
        r.action(l, [&id_text](Context& ctx) -> Result<Reply> {
            WP_TRY(Bytes32 id, parse_id(id_text, "dealid"));
            WP_TRY(DealView deal, load_deal(ctx, id));
            if (!deal.deadline_reached)
                return make_error(Errc::kInvalidArgument, "Cannot claim a deal before reaching the final time: " +
                                                              deal.final_time.to_dec() + " (unix seconds)");
            WP_TRY(chain::Hub * hub, ctx.hub());
            WP_TRY_VOID(ctx.wallet());
            std::vector<Bytes32> initialized;
            std::vector<U256> not_initialized;
            json::object claimed;
            for (std::size_t i = 0; i < deal.tasks.size(); ++i) {
                auto task = hub->view_task(deal.tasks[i]);
                if (!task) return make_error(task.error().to_error());
                const U256 idx(deal.deal.bot_first.low_u64() + i);
                if (task->status == TaskStatus::kUnset) {
                    not_initialized.push_back(idx);
                    claimed[idx.to_dec()] = to_hex(deal.tasks[i]);
                } else if (static_cast<int>(task->status) < 3) {
                    initialized.push_back(deal.tasks[i]);
                    claimed[idx.to_dec()] = to_hex(deal.tasks[i]);
                }
            }
            if (initialized.empty() && not_initialized.empty())
                return make_error(Errc::kInvalidArgument, "Nothing to claim");
            json::array transactions;
            ctx.printer().start_spinner("Claiming deal...");
            if (!initialized.empty()) {
                auto call = hub->claim_array(initialized);
                if (!call) return make_error(call.error().to_error());
                WP_TRY(SentTx tx, ctx.send(*call));
                transactions.push_back(json::object{{"txHash", to_hex(tx.hash)}, {"type", "claimArray"}});
            }
            if (!not_initialized.empty()) {
                std::vector<Bytes32> deals(not_initialized.size(), id);
                auto call = hub->initialize_and_claim_array(deals, not_initialized);
                if (!call) return make_error(call.error().to_error());
                WP_TRY(SentTx tx, ctx.send(*call));
                transactions.push_back(json::object{{"txHash", to_hex(tx.hash)}, {"type", "initializeAndClaimArray"}});
            }
            Reply reply;
            const std::size_t n = claimed.size();
            reply.payload["claimed"] = std::move(claimed);
            reply.payload["transactions"] = std::move(transactions);
            reply.human = ctx.printer().ok_line("Deal successfully claimed (" + std::to_string(n) + " tasks claimed)");
            return reply;
        });
    }
    {
        struct Args {
            std::string id;
            bool watch = false;
            CLI::Option* download = nullptr;
            std::string download_name;
            bool decrypt = false;
            BeneficiaryKeyOptions beneficiary;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.task, "show", "show a task (and follow it with --watch)", kChainOption | kWalletOptions);
        l->add_option("taskid", a.id, "task id")->required();
        l->add_flag("--watch", a.watch, "wait until the task is completed, failed or timed out");
        a.download = l->add_option("--download", a.download_name,
                                   "download a task result data to local filesystem, if completed (file name: "
                                   "[fileName].zip, default <taskid>.zip)")
                         ->expected(0, 1);
        l->add_flag("--decrypt", a.decrypt, "decrypt an encrypted result");
        l->add_option("--beneficiary-keystoredir", a.beneficiary.keystoredir, "specify beneficiary TEE keys directory");
        l->add_option("--beneficiary-key-file", a.beneficiary.key_file, "specify beneficiary TEE key file to use");
        r.action(l, [&a](Context& ctx) -> Result<Reply> {
            WP_TRY(Bytes32 id, parse_id(a.id, "taskid"));
            ctx.printer().start_spinner("Showing task...");
            WP_TRY(TaskView v, load_task(ctx, id, true));
            while (a.watch && !task_ended(v)) {
                ctx.printer().start_spinner("Showing task...\nTask status " + status_name(v));
                ctx.clock().sleep_for(kWatchInterval);
                WP_TRY(TaskView next, load_task(ctx, id, true));
                v = std::move(next);
            }
            ctx.printer().info("Task status " + status_name(v));
            std::optional<std::string> result_path;
            if (a.download->count() > 0) {
                if (v.task.status == TaskStatus::kCompleted) {
                    WP_TRY(std::string name,
                           download_task_result(ctx, task_json(v), a.download_name.empty() ? a.id : a.download_name,
                                                a.decrypt ? &a.beneficiary : nullptr));
                    result_path = ctx.path(name).string();
                } else {
                    ctx.printer().info("Task status is not COMPLETED, option --download will be ignored");
                }
            }
            const bool claimable = static_cast<int>(v.task.status) < 3 && v.timed_out;
            Reply reply;
            reply.payload["task"] = task_json(v);
            reply.payload["claimable"] = claimable;
            if (result_path) {
                reply.payload["resultPath"] = *result_path;
                ctx.printer().info("Downloaded task result to file " + *result_path);
            }
            reply.human = ctx.printer().ok_line("Task " + to_hex(id) + " details:\n") + render_human(task_json(v));
            if (claimable)
                ctx.printer().info(
                    "Consensus deadline reached before consensus. You can claim the task to get a full "
                    "refund using \"iexec task claim\"");
            return reply;
        });
    }
    {
        auto& id_text = r.keep<std::string>();
        CLI::App* l = r.leaf(g.task, "claim", "claim a task past its final deadline (refund)", kTransaction);
        l->add_option("taskid", id_text, "task id")->required();
        r.action(l, [&id_text](Context& ctx) -> Result<Reply> {
            WP_TRY(Bytes32 id, parse_id(id_text, "taskid"));
            WP_TRY(TaskView v, load_task(ctx, id, true));
            if (v.task.status == TaskStatus::kCompleted || v.task.status == TaskStatus::kFailed)
                return make_error(Errc::kInvalidArgument,
                                  "Cannot claim a task having status " + std::string(to_string(v.task.status)));
            if (!v.timed_out)
                return make_error(Errc::kInvalidArgument,
                                  "Cannot claim a task before reaching the consensus deadline date: " +
                                      v.task.final_deadline.to_dec() + " (unix seconds)");
            WP_TRY(chain::Hub * hub, ctx.hub());
            auto call = hub->claim(id);
            if (!call) return make_error(call.error().to_error());
            ctx.printer().start_spinner("Claiming task...");
            WP_TRY(SentTx tx, ctx.send(*call));
            Reply reply;
            reply.payload["txHash"] = to_hex(tx.hash);
            reply.human = ctx.printer().ok_line("Task successfully claimed");
            return reply;
        });
    }
}

Result<TaskOnchain> load_task_onchain(Context& ctx, const Bytes32& task_id) {
    WP_TRY(TaskView v, load_task(ctx, task_id, true));
    WP_TRY(chain::Hub * hub, ctx.hub());
    auto deal = hub->view_deal(v.task.deal_id);
    if (!deal) return make_error(deal.error().to_error());
    return TaskOnchain{task_json(v), deal->workerpool.pointer, deal->requester};
}

}  // namespace wp::cli
