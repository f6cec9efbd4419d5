#include "task_intents.hpp"

#include <algorithm>
#include <csignal>
#include <map>
#include <set>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::scheduler {
namespace ev = chain::events;
namespace {

//! The intent column a key belongs to.
std::optional<std::string> intent_of(const TaskRecord& t, std::string_view kind) {
    if (kind == "initialize") return t.initialize_intent;
    if (kind == "finalize") return t.finalize_intent;
    if (kind == "reopen") return t.reopen_intent;
    return t.claim_intent;
}

std::string kind_of(const std::string& key) { return key.substr(0, key.find(':')); }

}  // namespace

TaskIntents::TaskIntents(SchedulerStore& store, CoreScheduler& core, chain::Hub& hub, chain::TxManager& txm,
                         Clock& clock, IntentOptions options)
    : store_(store), core_(core), hub_(hub), txm_(txm), clock_(clock), options_(options) {}

Result<std::vector<TaskRecord>> TaskIntents::tasks_with_key(const std::string& key) {
    const std::string kind = kind_of(key);
    std::vector<TaskStatus> statuses;
    if (kind == "initialize") statuses = {TaskStatus::kInitializing};
    if (kind == "finalize") statuses = {TaskStatus::kFinalizing};
    if (kind == "reopen") statuses = {TaskStatus::kReopening};
    if (kind == "claim") statuses = {TaskStatus::kClaiming};
    WP_TRY(auto tasks, store_.tasks_in(statuses, 100'000));
    std::vector<TaskRecord> out;
    for (auto& t : tasks)
        if (intent_of(t, kind) == key) out.push_back(std::move(t));
    std::sort(out.begin(), out.end(), [](const TaskRecord& a, const TaskRecord& b) { return a.key < b.key; });
    return out;
}

Result<chain::ContractCall> TaskIntents::call_for(const std::string& key, const std::vector<TaskRecord>& tasks) {
    const std::string kind = kind_of(key);
    if (tasks.empty()) return make_error(Errc::kInvalidArgument, "intent " + key + ": no task carries it");
    const TaskRecord& t = tasks.front();
    if (kind == "initialize") {
        if (tasks.size() == 1)
            return hub_.initialize(t.key.deal_id, U256(t.key.index)).map_error([](const chain::HubError& e) {
                return e.to_error();
            });
        std::vector<Bytes32> deals;
        std::vector<U256> idxs;
        for (const auto& x : tasks) {
            deals.push_back(x.key.deal_id);
            idxs.emplace_back(x.key.index);
        }
        return hub_.initialize_array(deals, idxs).map_error([](const chain::HubError& e) { return e.to_error(); });
    }
    if (kind == "finalize") {
        const std::string link = t.result_link.value_or("");
        const Bytes results(link.begin(), link.end());
        const Bytes callback = t.callback_data.value_or(Bytes{});
        return hub_.finalize(t.task_id, results, callback).map_error([](const chain::HubError& e) {
            return e.to_error();
        });
    }
    if (kind == "reopen")
        return hub_.reopen(t.task_id).map_error([](const chain::HubError& e) { return e.to_error(); });
    // claim: a task never initialized is initialized and claimed in one call.
    if (!t.initialize_intent) {
        const std::vector<Bytes32> deals{t.key.deal_id};
        const std::vector<U256> idxs{U256(t.key.index)};
        return hub_.initialize_and_claim_array(deals, idxs).map_error([](const chain::HubError& e) {
            return e.to_error();
        });
    }
    return hub_.claim(t.task_id).map_error([](const chain::HubError& e) { return e.to_error(); });
}

Result<void> TaskIntents::submit(const std::string& key, const std::vector<TaskRecord>& tasks, TaskStatus status) {
    (void)status;
    // The key is committed in the task row(s); the journal does not know it yet: the intent window.
    if (options_.kill_after_intents != 0 && ++intents_written_ == options_.kill_after_intents) std::raise(SIGKILL);
    WP_TRY(auto call, call_for(key, tasks));
    chain::SubmitOptions o;
    o.key = key;
    WP_TRY_VOID(txm_.submit_durable(std::move(call), o).map([](const chain::TxHandle&) {}));
    ++counters_.submitted;
    return {};
}

Result<std::size_t> TaskIntents::initialize_ready() {
    InitLoad load;
    if (options_.init_mode != InitMode::kEager) {
        WP_TRY(auto workers, store_.workers());
        for (const auto& w : workers) {
            if (!w.alive) continue;
            load.total_slots += w.registration.cpu_slots;
            if (w.registration.cpu_slots > w.used_slots) load.free_slots += w.registration.cpu_slots - w.used_slots;
        }
        load.slot_seconds = core_.slot_seconds().value_or(0.0);
        load.horizon_seconds = std::chrono::duration<double>(options_.init_horizon).count();
        load.max_ahead = options_.init_max_ahead;
        // Tasks already initialized and waiting take those slots first (counted up to what can matter).
        const std::size_t enough = load.free_slots + load.max_ahead + 1;
        WP_TRY(auto waiting, store_.tasks_in({TaskStatus::kInitializing, TaskStatus::kInitialized}, enough));
        load.waiting = waiting.size();
    }
    const std::size_t budget = initialize_budget(options_.init_mode, load, options_.max_per_round);
    if (budget == 0) return std::size_t{0};
    WP_TRY(auto received, store_.tasks_in({TaskStatus::kReceived}, budget + 1000));
    // PoCo refuses initialize past the contribution deadline: such tasks wait for the final deadline (claim). Ahead
    // of the slots, a task is taken only if the slots can reach it before that deadline.
    std::vector<TaskRecord> ready;
    const std::int64_t now = now_ms();
    for (auto& t : received) {
        if (ready.size() >= budget) break;
        const double left = static_cast<double>(t.contribution_deadline * 1000 - now) / 1000.0;
        const bool reachable = options_.init_mode == InitMode::kAhead
                                   ? initialize_reachable(load, load.waiting + ready.size(), left)
                                   : left > 0;
        if (reachable) ready.push_back(std::move(t));
    }
    std::size_t submitted = 0;
    for (std::size_t at = 0; at < ready.size(); at += options_.initialize_batch) {
        const std::size_t end = std::min(ready.size(), at + options_.initialize_batch);
        std::vector<TaskRecord> chunk(ready.begin() + static_cast<std::ptrdiff_t>(at),
                                      ready.begin() + static_cast<std::ptrdiff_t>(end));
        const std::string key = "initialize:" + to_hex(chunk.front().task_id.view());
        TaskChange change;
        change.initialize_intent = key;
        change.clear_due = true;
        std::vector<TaskRecord> moved;
        WP_TRY_VOID(store_.database().write([&](store::Tx& tx) -> Result<void> {
            moved.clear();
            for (const auto& t : chunk) {
                WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kInitializeSubmitted, change, now_ms()));
                if (m) moved.push_back(*m);
            }
            return {};
        }));
        if (moved.empty()) continue;
        WP_TRY_VOID(submit(key, moved, TaskStatus::kInitializing));
        submitted += moved.size();
    }
    return submitted;
}

Result<std::size_t> TaskIntents::finalize_ready() {
    WP_TRY(auto ready,
           store_.tasks_in({TaskStatus::kResultUploaded, TaskStatus::kFinalizeFailed}, options_.max_per_round));
    if (ready.empty()) return std::size_t{0};
    // Every key in its task row in ONE write transaction (group commit), then one keyed call per task.
    std::vector<std::pair<std::string, TaskRecord>> moved;
    const std::int64_t now = now_ms();
    auto written = store_.database().write([&](store::Tx& tx) -> Result<void> {
        moved.clear();
        for (const auto& t : ready) {
            const std::string key = "finalize:" + to_hex(t.task_id.view()) + ":" + std::to_string(t.version);
            TaskChange change;
            change.finalize_intent = key;
            WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kFinalizeSubmitted, change, now));
            if (m) moved.emplace_back(key, std::move(*m));
        }
        return {};
    });
    if (!written) return make_error(std::move(written).error());
    // One journal append (one fsync) for the whole round's finalizes, not one per task.
    std::vector<chain::DurableCall> calls;
    for (const auto& [key, task] : moved) {
        if (options_.kill_after_intents != 0 && ++intents_written_ == options_.kill_after_intents) std::raise(SIGKILL);
        WP_TRY(auto call, call_for(key, {task}));
        chain::DurableCall c{std::move(call), {}};
        c.options.key = key;
        calls.push_back(std::move(c));
    }
    if (calls.empty()) return std::size_t{0};
    WP_TRY_VOID(txm_.submit_durable(std::move(calls)).map([](const std::vector<chain::TxHandle>&) {}));
    counters_.submitted += moved.size();
    return moved.size();
}

Result<std::size_t> TaskIntents::reopen_ready() {
    WP_TRY(auto ready, store_.tasks_in({TaskStatus::kReopening}, options_.max_per_round));
    std::size_t n = 0;
    for (const auto& t : ready) {
        if (t.reopen_intent) continue;
        const std::string key = "reopen:" + to_hex(t.task_id.view()) + ":" + std::to_string(t.version);
        TaskChange change;
        change.reopen_intent = key;
        WP_TRY(auto moved, store_.transition_task(t, TaskEvent::kReopenSubmitted, change, now_ms()));
        if (!moved) continue;
        WP_TRY_VOID(submit(key, {*moved}, TaskStatus::kReopening));
        ++n;
    }
    return n;
}

Result<std::size_t> TaskIntents::claim_ready() {
    // RECEIVED tasks are the initializer's: their final deadline is fired here (CoreScheduler::run_due leaves them).
    WP_TRY(auto received, store_.tasks_in({TaskStatus::kReceived}, options_.max_per_round));
    for (const auto& t : received) {
        if (t.final_deadline * 1000 > now_ms()) continue;
        TaskChange change;
        change.clear_due = true;
        WP_TRY(auto moved, store_.transition_task(t, TaskEvent::kFinalDeadline, change, now_ms()));
        (void)moved;
    }
    WP_TRY(auto ready, store_.tasks_in({TaskStatus::kFinalDeadlineReached}, options_.max_per_round));
    std::size_t n = 0;
    for (const auto& t : ready) {
        const std::string key = "claim:" + to_hex(t.task_id.view());
        TaskChange change;
        change.claim_intent = key;
        WP_TRY(auto moved, store_.transition_task(t, TaskEvent::kClaimSubmitted, change, now_ms()));
        if (!moved) continue;
        WP_TRY_VOID(submit(key, {*moved}, TaskStatus::kClaiming));
        ++n;
    }
    return n;
}

Result<std::size_t> TaskIntents::resubmit_lost() {
    WP_TRY(auto tasks, store_.tasks_in({TaskStatus::kInitializing, TaskStatus::kFinalizing, TaskStatus::kReopening,
                                        TaskStatus::kClaiming},
                                       100'000));
    std::map<std::string, std::vector<TaskRecord>> by_key;
    std::set<std::string> replayed;
    std::vector<chain::TxOutcome> outcomes;
    for (auto& t : tasks) {
        std::optional<std::string> key;
        switch (t.status) {
            case TaskStatus::kInitializing: key = t.initialize_intent; break;
            case TaskStatus::kFinalizing: key = t.finalize_intent; break;
            case TaskStatus::kReopening: key = t.reopen_intent; break;
            default: key = t.claim_intent; break;
        }
        if (!key) continue;
        auto known = txm_.find(*key);
        if (!known) {
            by_key[*key].push_back(std::move(t));
        } else if (known->final() && replayed.insert(*key).second) {
            // The journal has the call's final record but the task did not move: the process died between
            // poll() handing the outcome over and apply_outcomes() committing it. Replay it (idempotent: CAS).
            chain::TxOutcome o;
            o.handle = known->handle;
            o.key = known->key;
            o.description = known->description;
            o.status = known->status;
            o.nonce = known->nonce;
            o.hash = known->hash;
            o.error = known->error;
            outcomes.push_back(std::move(o));
        }
    }
    if (!outcomes.empty()) WP_TRY_VOID(apply_outcomes(outcomes).map([](std::size_t) {}));
    // Nothing was journaled for these keys, so nothing was sent by this journal; but the chain may show the action
    // done all the same (a journal lost or replaced): such tasks are reconciled, never sent again.
    if (!by_key.empty()) {
        std::vector<Bytes32> ids;
        for (const auto& [key, list] : by_key)
            for (const auto& t : list) ids.push_back(t.task_id);
        auto views = hub_.view_tasks(ids);
        std::map<Bytes32, Task> chain_of;
        std::vector<ChainTaskView> done;
        for (std::size_t i = 0; i < views.size(); ++i) {
            if (!views[i]) return make_error(Errc::kIo, "resubmit: viewTask: " + views[i].error().to_error().message);
            chain_of.emplace(ids[i], std::move(*views[i]));
        }
        for (auto& [key, list] : by_key) {
            const std::string kind = kind_of(key);
            std::vector<TaskRecord> needed;
            for (auto& t : list) {
                const Task& v = chain_of.at(t.task_id);
                const wp::TaskStatus c = v.status;
                const bool still = kind == "initialize"                     ? c == wp::TaskStatus::kUnset
                                   : kind == "finalize" || kind == "reopen" ? c == wp::TaskStatus::kRevealing
                                                                            : c != wp::TaskStatus::kFailed;
                if (still) needed.push_back(std::move(t));
                else done.push_back(ChainTaskView{t.task_id, c, v.results});
            }
            list = std::move(needed);
        }
        if (!done.empty()) WP_TRY_VOID(core_.reconcile_tasks(done).map([](const std::vector<bool>&) {}));
    }
    std::size_t n = 0;
    for (auto& [key, list] : by_key) {
        if (list.empty()) continue;
        std::sort(list.begin(), list.end(), [](const TaskRecord& a, const TaskRecord& b) { return a.key < b.key; });
        WP_TRY_VOID(submit(key, list, list.front().status));
        n += list.size();
    }
    return n;
}

Result<std::size_t> TaskIntents::move_all(const std::vector<TaskRecord>& tasks, TaskEvent event,
                                          const TaskChange& change) {
    std::size_t n = 0;
    for (const auto& t : tasks) {
        auto next = task_transition(t.status, event);
        if (!next) continue;  // already moved by another path
        WP_TRY(auto moved, store_.transition_task(t, event, change, now_ms()));
        if (moved) ++n;
    }
    return n;
}

Result<std::size_t> TaskIntents::apply_outcomes(const std::vector<chain::TxOutcome>& outcomes) {
    // First what each outcome concerns (reads, and for the failure paths the chain's view: a revert may mean
    // somebody else did it), then every resulting transition in ONE write transaction (group commit).
    struct Plan {
        const chain::TxOutcome* outcome;
        std::string kind;
        std::vector<TaskRecord> tasks;
        std::vector<chain::HubResult<Task>> onchain;
    };
    std::vector<Plan> plans;
    for (const auto& o : outcomes) {
        const std::string kind = kind_of(o.key);
        if (kind != "initialize" && kind != "finalize" && kind != "reopen" && kind != "claim") continue;
        if (o.ok()) ++counters_.confirmed;
        else if (o.status == chain::TxStatus::kReverted) ++counters_.reverted;
        else ++counters_.failed;
        WP_TRY(auto tasks, tasks_with_key(o.key));
        if (tasks.empty()) continue;
        std::vector<Bytes32> ids;
        for (const auto& t : tasks) ids.push_back(t.task_id);
        std::vector<chain::HubResult<Task>> onchain;
        if (!o.ok()) onchain = hub_.view_tasks(ids);
        plans.push_back(Plan{&o, kind, std::move(tasks), std::move(onchain)});
    }
    if (plans.empty()) return std::size_t{0};
    const std::int64_t now = now_ms();
    std::vector<Bytes32> completed;  // finalized: their workers get PLEASE_COMPLETE after the commit
    WP_TRY(std::size_t moved, store_.database().write([&](store::Tx& tx) -> Result<std::size_t> {
        std::size_t n = 0;
        completed.clear();
        for (const Plan& p : plans) {
            const chain::TxOutcome& o = *p.outcome;
            const std::string& kind = p.kind;
            const std::vector<TaskRecord>& tasks = p.tasks;
            const std::string why = o.error ? o.error->message : std::string("failed");
            for (std::size_t i = 0; i < tasks.size(); ++i) {
                const TaskRecord& t = tasks[i];
                wp::TaskStatus chain_status = wp::TaskStatus::kUnset;
                if (!o.ok() && p.onchain[i]) chain_status = p.onchain[i]->status;
                TaskChange change;
                if (kind == "initialize") {
                    if (o.ok() || chain_status == wp::TaskStatus::kActive) {
                        change.due_ms = t.contribution_deadline * 1000;
                        WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kInitializeMined, change, now));
                        if (m) ++n;
                    } else {
                        change.failure = "initialize: " + why;
                        change.due_ms = t.final_deadline * 1000;
                        WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kInitializeReverted, change, now));
                        if (m) ++n;
                    }
                } else if (kind == "finalize") {
                    if (o.ok() || chain_status == wp::TaskStatus::kCompleted) {
                        change.clear_due = true;
                        WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kFinalizeMined, change, now));
                        if (m) {
                            WP_TRY(auto c, store_.transition_task(tx, *m, TaskEvent::kCompleted, TaskChange{}, now));
                            if (c) completed.push_back(t.task_id);
                            ++n;
                        }
                    } else {
                        change.failure = "finalize: " + why;
                        WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kFinalizeReverted, change, now));
                        if (m) ++n;
                    }
                } else if (kind == "reopen") {
                    if (o.ok()) {
                        WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kReopenMined, change, now));
                        if (m) {
                            TaskChange back;
                            back.due_ms = t.contribution_deadline * 1000;
                            WP_TRY(auto r, store_.transition_task(tx, *m, TaskEvent::kRescheduled, back, now));
                            (void)r;
                            ++n;
                        }
                    } else {
                        change.failure = "reopen: " + why;
                        change.due_ms = t.final_deadline * 1000;
                        WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kReopenReverted, change, now));
                        if (m) ++n;
                    }
                } else {  // claim
                    if (o.ok() || chain_status == wp::TaskStatus::kFailed) {
                        change.clear_due = true;
                        WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kClaimMined, change, now));
                        if (m) ++n;
                    } else {
                        change.failure = "claim: " + why;
                        WP_TRY(auto m, store_.transition_task(tx, t, TaskEvent::kClaimReverted, change, now));
                        if (m) ++n;
                    }
                }
            }
        }
        return n;
    }));
    if (!completed.empty() && options_.on_completed) options_.on_completed(completed);
    if (!completed.empty()) WP_TRY_VOID(core_.notify_completed(completed).map([](std::size_t) {}));
    return moved;
}

Result<std::size_t> TaskIntents::apply_observations(const std::vector<TaskObservation>& observations) {
    std::vector<ConsensusItem> consensus;
    std::vector<Bytes32> ids;
    for (const auto& obs : observations) {
        if (const auto* c = std::get_if<ev::TaskConsensus>(&obs.event)) {
            WP_TRY(auto task, store_.task_by_id(c->task_id));
            if (!task) continue;  // not ours
            consensus.push_back(ConsensusItem{c->task_id, c->consensus, 0, obs.block});
            ids.push_back(c->task_id);
        }
    }
    // The reveal deadlines in JSON-RPC batches (one round trip for the poll's consensus events, not one each).
    auto views = hub_.view_tasks(ids);
    for (std::size_t i = 0; i < consensus.size(); ++i) {
        if (i >= views.size()) return make_error(Errc::kRemote, "viewTask: no answer for a consensus task");
        if (!views[i]) return make_error(views[i].error().to_error());
        consensus[i].reveal_deadline_s = static_cast<std::int64_t>(views[i]->reveal_deadline.low_u64());
    }
    std::size_t n = 0;
    if (!consensus.empty()) {
        // One transaction for the poll's consensus events (group commit).
        WP_TRY(auto applied, core_.apply_consensus_batch(consensus));
        n += static_cast<std::size_t>(std::count(applied.begin(), applied.end(), true));
    }
    std::vector<Bytes32> completed;
    for (const auto& obs : observations) {
        if (const auto* f = std::get_if<ev::TaskFinalize>(&obs.event)) {
            // TEE trust-1 tasks finalized by their worker's contributeAndFinalize (standard tasks complete through
            // their finalize intent's outcome; apply_finalized ignores them).
            std::optional<std::string> link;
            if (!f->results.empty()) link = std::string(f->results.begin(), f->results.end());
            WP_TRY(bool applied, core_.apply_finalized(f->task_id, link));
            if (applied) {
                ++n;
                completed.push_back(f->task_id);
            }
        }
    }
    // contributeAndFinalize changed the contributor's score as a finalize does: its worker's score is read again.
    if (!completed.empty() && options_.on_completed) options_.on_completed(completed);
    return n;
}

namespace {

//! The worker's main path up to REVEALED: the statuses a reconciled replicate walks through.
constexpr ReplicateStatus kMainPath[] = {
    ReplicateStatus::kStarting,      ReplicateStatus::kStarted,         ReplicateStatus::kAppDownloading,
    ReplicateStatus::kAppDownloaded, ReplicateStatus::kDataDownloading, ReplicateStatus::kDataDownloaded,
    ReplicateStatus::kComputing,     ReplicateStatus::kComputed,        ReplicateStatus::kContributing,
    ReplicateStatus::kContributed,   ReplicateStatus::kRevealing,       ReplicateStatus::kRevealed,
};

std::optional<std::size_t> main_index(ReplicateStatus s) {
    for (std::size_t i = 0; i < std::size(kMainPath); ++i)
        if (kMainPath[i] == s) return i;
    return std::nullopt;
}

}  // namespace

std::vector<ReplicateStatus> reconcile_path(ReplicateStatus from, ReplicateStatus target) {
    const auto goal = main_index(target);
    if (!goal) return {};
    std::vector<ReplicateStatus> path;
    ReplicateStatus at = from;
    while (at != target) {
        const auto here = main_index(at);
        if (here && *here >= *goal) return {};  // already there or past it
        std::optional<ReplicateStatus> step;
        for (std::size_t i = here ? *here + 1 : 0; i <= *goal && !step; ++i)
            if (replicate_transition(at, kMainPath[i], Modifier::kWorker)) step = kMainPath[i];
        if (!step) return {};  // a failure or final status: nothing the chain's view can repair
        path.push_back(*step);
        at = *step;
    }
    return path;
}

Result<ChainReconciliation> TaskIntents::reconcile_with_chain_counted() {
    ChainReconciliation out;
    WP_TRY(auto held, store_.tasks_in({TaskStatus::kReceived,
                                       TaskStatus::kInitializing,
                                       TaskStatus::kInitialized,
                                       TaskStatus::kInitializeFailed,
                                       TaskStatus::kRunning,
                                       TaskStatus::kRunningFailed,
                                       TaskStatus::kContributionTimeout,
                                       TaskStatus::kConsensusReached,
                                       TaskStatus::kReopening,
                                       TaskStatus::kReopened,
                                       TaskStatus::kReopenFailed,
                                       TaskStatus::kAtLeastOneRevealed,
                                       TaskStatus::kResultUploading,
                                       TaskStatus::kResultUploaded,
                                       TaskStatus::kResultUploadTimeout,
                                       TaskStatus::kFinalizing,
                                       TaskStatus::kFinalized,
                                       TaskStatus::kFinalizeFailed,
                                       TaskStatus::kFinalDeadlineReached,
                                       TaskStatus::kClaiming},
                                      1'000'000));
    if (held.empty()) return out;
    // One block for every read: the task views and the contributions agree.
    auto head = hub_.eth().block_number();
    if (!head) return make_error(Errc::kIo, "reconciliation: eth_blockNumber: " + head.error().message);
    const chain::BlockTag block = chain::BlockTag::number(*head);
    std::vector<Bytes32> ids;
    ids.reserve(held.size());
    for (const auto& t : held) ids.push_back(t.task_id);
    auto views = hub_.view_tasks(ids, block);  // JSON-RPC batches of max_calls_per_batch() eth_calls
    out.task_batches = (ids.size() + hub_.max_calls_per_batch() - 1) / hub_.max_calls_per_batch();
    std::map<Bytes32, Task> chain_of;
    for (std::size_t i = 0; i < views.size(); ++i) {
        if (!views[i]) return make_error(Errc::kIo, "reconciliation: viewTask: " + views[i].error().to_error().message);
        chain_of.emplace(ids[i], *views[i]);
    }

    // 1. Task statuses the chain moved (COMPLETED, FAILED, ACTIVE after an initialize or a reopen not seen).
    std::vector<ChainTaskView> fixes;
    for (const auto& t : held) {
        const Task& v = chain_of.at(t.task_id);
        const bool fix = v.status == wp::TaskStatus::kCompleted || v.status == wp::TaskStatus::kFailed ||
                         (v.status == wp::TaskStatus::kActive &&
                          (t.status == TaskStatus::kReceived || t.status == TaskStatus::kInitializing ||
                           task_transition(t.status, TaskEvent::kReopenedOnChain)));
        if (fix) fixes.push_back(ChainTaskView{t.task_id, v.status, v.results});
    }
    if (!fixes.empty()) {
        WP_TRY(auto moved, core_.reconcile_tasks(fixes));
        out.tasks = static_cast<std::size_t>(std::count(moved.begin(), moved.end(), true));
    }

    // 2. Contributions and reveals on chain whose status reports were lost: the replicates still short of them.
    struct Lag {
        TaskRecord task;
        ReplicateRecord replicate;
    };
    std::vector<Lag> lags;
    for (const auto& t : held) {
        const Task& v = chain_of.at(t.task_id);
        if (v.contributors.empty()) continue;
        if (v.status != wp::TaskStatus::kActive && v.status != wp::TaskStatus::kRevealing) continue;
        WP_TRY(auto current, store_.task(t.key));
        if (!current) continue;
        const TaskStatus s = current->status;
        if (s != TaskStatus::kInitialized && s != TaskStatus::kRunning && s != TaskStatus::kConsensusReached) continue;
        WP_TRY(auto reps, store_.replicates_of_task(t.key));
        for (auto& r : reps) {
            if (std::find(v.contributors.begin(), v.contributors.end(), r.worker) == v.contributors.end()) continue;
            const ReplicateStatus from = is_interruption(r.status) ? r.last_relevant : r.status;
            if (reconcile_path(from, ReplicateStatus::kRevealed).empty() && !contribution_repairable(from)) continue;
            lags.push_back(Lag{*current, std::move(r)});
        }
    }
    std::vector<Contribution> contributions;
    if (!lags.empty()) {
        std::vector<chain::ContractCall> calls;
        for (const auto& l : lags) {
            auto call =
                hub_.build(chain::HubFn::kViewContribution, hub_.addresses().hub,
                           {AbiValue::fixed_bytes(l.task.task_id.view()), AbiValue::address(l.replicate.worker)});
            if (!call) return make_error(call.error().to_error());
            calls.push_back(std::move(*call));
        }
        auto answers = hub_.simulate_batch(calls, block);  // every task's lagging contributors, in batches
        out.contribution_batches = (calls.size() + hub_.max_calls_per_batch() - 1) / hub_.max_calls_per_batch();
        for (auto& a : answers) {
            if (!a) return make_error(Errc::kIo, "reconciliation: viewContribution: " + a.error().to_error().message);
            auto c = chain::decode_contribution(*a);
            if (!c) return make_error(c.error().to_error());
            contributions.push_back(*c);
        }
    }
    // The missed reports, as the worker would have sent them (update_status_batch: the replicate machine, the
    // task's effects, the recorded answers a worker repeating them gets), first up to CONTRIBUTED, then the
    // consensus, then the reveals (a first reveal needs the task CONSENSUS_REACHED).
    const auto report = [&](ReplicateStatus target) -> Result<void> {
        std::vector<StatusItem> items;
        std::vector<std::size_t> last_item_of;   // per replicate brought up: the index of its last report
        std::vector<ChainContribution> repairs;  // replicates that gave up before their contribution landed
        for (std::size_t i = 0; i < lags.size(); ++i) {
            const Contribution& c = contributions[i];
            const bool contributed =
                c.status == ContributionStatus::kContributed || c.status == ContributionStatus::kProved;
            if (!contributed) continue;
            if (target == ReplicateStatus::kRevealed && c.status != ContributionStatus::kProved) continue;
            WP_TRY(auto r, store_.replicate(lags[i].task.key, lags[i].replicate.worker));
            if (!r) continue;
            const ReplicateStatus from = is_interruption(r->status) ? r->last_relevant : r->status;
            if (target == ReplicateStatus::kContributed && contribution_repairable(from)) {
                repairs.push_back(
                    ChainContribution{lags[i].task.task_id, lags[i].replicate.worker, c.result_hash, c.result_seal});
                continue;
            }
            const auto path = reconcile_path(from, target);
            for (ReplicateStatus step : path) {
                StatusItem item{lags[i].replicate.worker, lags[i].task.task_id, {}};
                item.update.status = step;
                item.update.details.message = "reconciled with the chain";
                if (step == ReplicateStatus::kContributed) {
                    item.update.details.result_hash = c.result_hash;
                    item.update.details.result_seal = c.result_seal;
                }
                if (step == ReplicateStatus::kRevealed)
                    item.update.details.result_digest = chain_of.at(lags[i].task.task_id).result_digest;
                items.push_back(std::move(item));
            }
            if (!path.empty()) last_item_of.push_back(items.size() - 1);
        }
        if (!repairs.empty()) {
            // The scheduler records those contributions itself (no worker report leads from a failure to CONTRIBUTED).
            WP_TRY(auto repaired, core_.record_chain_contributions(repairs));
            out.replicates += static_cast<std::size_t>(std::count(repaired.begin(), repaired.end(), true));
        }
        if (items.empty()) return {};
        // One transaction for all of them (group commit); an item refused or failing leaves its replicate as it was
        // (the worker's own report, or the next start, may still bring it up).
        const auto outcomes = core_.update_status_batch(items);
        for (std::size_t last : last_item_of)
            if (outcomes[last] && outcomes[last]->http_status == 200) ++out.replicates;
        return {};
    };
    WP_TRY_VOID(report(ReplicateStatus::kContributed));

    // 3. Consensus on chain the core missed (killed after the mirror's commit, before the observation was applied).
    std::vector<ConsensusItem> consensus;
    for (const auto& t : held) {
        const Task& v = chain_of.at(t.task_id);
        if (v.status != wp::TaskStatus::kRevealing) continue;
        WP_TRY(auto current, store_.task(t.key));
        if (!current || (current->status != TaskStatus::kInitialized && current->status != TaskStatus::kRunning))
            continue;
        consensus.push_back(
            ConsensusItem{t.task_id, v.consensus_value, static_cast<std::int64_t>(v.reveal_deadline.low_u64()), 0});
    }
    if (!consensus.empty()) {
        WP_TRY(auto applied, core_.apply_consensus_batch(consensus));
        out.consensus = static_cast<std::size_t>(std::count(applied.begin(), applied.end(), true));
    }
    WP_TRY_VOID(report(ReplicateStatus::kRevealed));
    return out;
}

Result<std::size_t> TaskIntents::reconcile_with_chain() {
    WP_TRY(ChainReconciliation r, reconcile_with_chain_counted());
    return r.tasks + r.replicates + r.consensus;
}

Result<void> TaskIntents::round(const std::vector<chain::TxOutcome>& outcomes,
                                const std::vector<TaskObservation>& observations) {
    WP_TRY_VOID(apply_outcomes(outcomes).map([](std::size_t) {}));
    WP_TRY_VOID(apply_observations(observations).map([](std::size_t) {}));
    WP_TRY_VOID(initialize_ready().map([](std::size_t) {}));
    WP_TRY_VOID(finalize_ready().map([](std::size_t) {}));
    WP_TRY_VOID(reopen_ready().map([](std::size_t) {}));
    WP_TRY_VOID(claim_ready().map([](std::size_t) {}));
    return {};
}

}  // namespace wp::scheduler
