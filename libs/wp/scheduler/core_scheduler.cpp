#include "core_scheduler.hpp"

#include <algorithm>
#include <utility>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>

namespace wp::scheduler {
namespace {

using workerapi::Notification;
using R = ReplicateStatus;

bool gone(ReplicateStatus s) {
    switch (s) {
        case R::kWorkerLost:
        case R::kFailed:
        case R::kAborted:
        case R::kStartFailed:
        case R::kComputeFailed:
        case R::kContributeFailed:
        case R::kContributeAndFinalizeFailed: return true;
        default: return false;
    }
}

//! The task statuses in which PoCo still takes reveals (between the consensus and the finalize).
bool revealing(TaskStatus s) {
    return s == TaskStatus::kConsensusReached || s == TaskStatus::kAtLeastOneRevealed ||
           s == TaskStatus::kResultUploading || s == TaskStatus::kResultUploaded;
}

ReplicaSnapshot snapshot_of(const ReplicateRecord& r) {
    ReplicaSnapshot s;
    s.worker = r.worker;
    s.score = r.score;
    s.created_unix_s = r.created_ms / 1000;
    if (has_contributed(r.last_relevant) && r.details.result_hash && r.status != R::kFailed) {
        s.state = ReplicaSnapshot::State::kContributed;
        s.result_hash = *r.details.result_hash;
    } else if (gone(r.status)) {
        s.state = ReplicaSnapshot::State::kGone;
    }
    return s;
}

Notification make(const Bytes32& task_id, Action action) {
    Notification n;
    n.task_id = task_id;
    n.action = action;
    return n;
}

//! The reveal timeout's effect on the replicates (also a reopen seen only on chain): the contributors that did not
//! reveal FAILED, every non-final replicate told PLEASE_ABORT (TASK_FAILED) through `notify(worker, notification)`.
template <class Notify>
Result<void> fail_unrevealed(SchedulerStore& store, store::Tx& tx, const TaskRecord& task,
                             const std::vector<ReplicateRecord>& reps, const std::string& why, std::int64_t now,
                             Notify&& notify) {
    for (const auto& r : reps) {
        if (is_final(r.status)) continue;
        if (r.status == R::kContributed || r.status == R::kRevealing) {
            workerapi::StatusDetails d;
            d.message = why;
            WP_TRY_VOID(store.set_replicate_status(tx, r, R::kFailed, Modifier::kScheduler, d, now));
        }
        Notification n = make(task.task_id, Action::kAbort);
        n.abort_cause = AbortCause::kTaskFailed;
        WP_TRY_VOID(notify(r.worker, std::move(n)));
    }
    return {};
}

}  // namespace

CoreScheduler::CoreScheduler(SchedulerStore& store, Clock& clock, CoreOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<DealRecord> CoreScheduler::deal_of(const Bytes32& deal_id) {
    {
        std::lock_guard lock(deals_mutex_);
        if (auto it = deals_.find(deal_id); it != deals_.end()) return it->second;
    }
    WP_TRY(auto d, store_.deal(deal_id));
    if (!d) return make_error(Errc::kInvalidArgument, "unknown deal " + to_hex(deal_id.view()));
    std::lock_guard lock(deals_mutex_);
    deals_.emplace(deal_id, *d);
    return *d;
}

std::optional<double> CoreScheduler::slot_seconds() const {
    std::lock_guard lock(slot_mutex_);
    return slot_seconds_;
}

void CoreScheduler::observe_slot_hold(std::int64_t held_ms) {
    const double seconds = static_cast<double>(std::max<std::int64_t>(held_ms, 0)) / 1000.0;
    std::lock_guard lock(slot_mutex_);
    slot_seconds_ = slot_seconds_ ? *slot_seconds_ + (seconds - *slot_seconds_) / 8.0 : seconds;
}

void CoreScheduler::publish(const std::vector<Pending>& committed) {
    if (!notifier_) return;
    for (const auto& p : committed) {
        if (p.notification.assignment) {
            Notification n = p.notification;
            n.assignment = with_enclave_key(std::move(*n.assignment));
            notifier_(p.worker, n);
        } else {
            notifier_(p.worker, p.notification);
        }
    }
}

template <class Body>
auto CoreScheduler::write_then_publish(Body&& body) -> std::invoke_result_t<Body&, store::Tx&, std::vector<Pending>&> {
    std::vector<Pending> committed;
    auto written = store_.database().write([&](store::Tx& tx) {
        committed.clear();
        return body(tx, committed);
    });
    if (written) publish(committed);
    return written;
}

template <class Item, class Apply>
Result<std::vector<bool>> CoreScheduler::apply_each(const std::vector<Item>& items, Apply&& apply) {
    const std::int64_t now = now_ms();
    return write_then_publish([&](store::Tx& tx, std::vector<Pending>& out) -> Result<std::vector<bool>> {
        std::vector<bool> applied(items.size(), false);
        for (std::size_t i = 0; i < items.size(); ++i) {
            WP_TRY(bool moved, apply(tx, items[i], now, out));
            applied[i] = moved;
        }
        return applied;
    });
}

workerapi::Assignment CoreScheduler::with_enclave_key(workerapi::Assignment a) const {
    if (!needs_enclave(a.tag)) return a;
    a.tee_simulation =
        workerapi::TeeSimulation{workerapi::kTeeSimulationVersion, options_.sms.enclave_key(a.task_id).secret()};
    return a;
}

Result<Notification> CoreScheduler::notify(store::Tx& tx, const Address& worker, Notification n,
                                           std::vector<Pending>& out) {
    WP_TRY(Notification stored, store_.append_notification(tx, worker, std::move(n), now_ms()));
    out.push_back(Pending{worker, stored});
    return stored;
}

// ---- Workers --------------------------------------------------------------------------------------------------------

Result<workerapi::RegistrationAnswer> CoreScheduler::register_worker(const Address& worker,
                                                                     const workerapi::WorkerRegistration& r) {
    WP_TRY_VOID(store_.upsert_worker(worker, r, liveness_ms()));
    return workerapi::RegistrationAnswer{options_.workerpool, options_.chain_id,
                                         static_cast<std::uint64_t>(options_.heartbeat.count()),
                                         static_cast<std::uint64_t>(options_.lost_after.count())};
}

Result<workerapi::HeartbeatAnswer> CoreScheduler::heartbeat(const Address& worker, const workerapi::Heartbeat&) {
    WP_TRY(bool known, store_.touch_worker(worker, liveness_ms()));
    return workerapi::HeartbeatAnswer{static_cast<std::uint64_t>(options_.heartbeat.count()), !known};
}

Result<std::vector<Address>> CoreScheduler::check_liveness() {
    const auto lost_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.lost_after).count();
    return store_.mark_lost_workers(liveness_ms(), lost_ms);
}

Result<workerapi::NotificationBatch> CoreScheduler::notifications(const Address& worker, std::uint64_t after,
                                                                  std::size_t limit) {
    WP_TRY(auto batch, store_.notifications_after(worker, after, limit));
    for (auto& n : batch.notifications) {
        // The inbox belongs to `worker`: only assignments authorizing it get the key.
        if (n.assignment && n.assignment->authorization.worker == worker)
            n.assignment = with_enclave_key(std::move(*n.assignment));
    }
    return batch;
}

// ---- Assignment -----------------------------------------------------------------------------------------------------

Result<workerapi::Assignment> CoreScheduler::build_assignment(const DealRecord& d, const TaskRecord& t,
                                                              const Address& worker) const {
    workerapi::Assignment a;
    a.task_id = t.task_id;
    a.deal_id = d.deal_id;
    a.task_index = t.key.index;
    a.bot_first = d.bot_first;
    a.bot_size = d.bot_size;
    a.app = workerapi::AppResource{workerapi::Resource{d.app, d.app_uri, d.app_checksum}, d.app_type};
    if (!d.dataset.is_zero()) a.dataset = workerapi::Resource{d.dataset, d.dataset_uri, d.dataset_checksum};
    a.input_files = d.input_files;
    a.iexec_args = d.iexec_args;
    a.max_execution_seconds = d.category_seconds;
    a.tag = d.tag;
    a.trust = d.trust;
    a.callback = d.callback;
    a.contribution_deadline = static_cast<std::uint64_t>(std::max<std::int64_t>(t.contribution_deadline, 0));
    a.final_deadline = static_cast<std::uint64_t>(std::max<std::int64_t>(t.final_deadline, 0));
    Address challenge = t.enclave_challenge;
    if (needs_enclave(d.tag)) {
        const Address derived = options_.sms.enclave_challenge(t.task_id);
        if (!challenge.is_zero() && challenge != derived)
            return make_error(Errc::kInvalidArgument, "task " + to_hex(t.task_id.view()) +
                                                          ": recorded enclave challenge " + challenge.to_checksum() +
                                                          " differs from the simulated SMS's " + derived.to_checksum() +
                                                          " (was " + kSimSmsSecretFile + " replaced?)");
        challenge = derived;
    }
    a.authorization = workerapi::WorkerpoolAuthorization{
        worker, t.task_id, challenge, sign_authorization(options_.signer, worker, t.task_id, challenge)};
    return a;
}

Result<std::size_t> CoreScheduler::assign_round() {
    std::lock_guard lock(assign_mutex_);
    const std::int64_t now = now_ms();
    WP_TRY(auto tasks, store_.schedulable_tasks(options_.max_tasks_per_round));
    if (tasks.empty()) return std::size_t{0};
    WP_TRY(auto workers, store_.workers());
    WP_TRY(auto all_replicates, store_.replicates_of_schedulable_tasks());
    std::map<TaskKey, std::vector<ReplicaSnapshot>> replicas;
    for (const auto& r : all_replicates) replicas[r.task].push_back(snapshot_of(r));
    std::vector<TaskSnapshot> ts;
    ts.reserve(tasks.size());
    for (const auto& t : tasks) {
        WP_TRY(DealRecord d, deal_of(t.key.deal_id));
        TaskSnapshot s;
        s.deal_id = t.key.deal_id;
        s.index = t.key.index;
        s.tag = d.tag;
        s.trust = d.trust;
        s.category_seconds = d.category_seconds;
        s.contribution_deadline_s = t.contribution_deadline;
        if (auto it = replicas.find(t.key); it != replicas.end()) s.replicas = std::move(it->second);
        ts.push_back(std::move(s));
    }
    std::vector<WorkerSnapshot> ws;
    ws.reserve(workers.size());
    for (const auto& w : workers) {
        WorkerSnapshot s;
        s.address = w.address;
        s.alive = w.alive;
        s.free_slots = w.registration.cpu_slots > w.used_slots ? w.registration.cpu_slots - w.used_slots : 0;
        s.gpu = w.registration.gpu;
        s.tee_frameworks = w.registration.tee_frameworks;
        s.max_task_seconds = w.registration.max_task_seconds;
        s.score = w.score;
        ws.push_back(std::move(s));
    }
    WP_TRY(AssignmentResult decided, assign(ts, ws, now / 1000));
    if (decided.bindings.empty()) return std::size_t{0};
    // Bind part 1, outside the transaction: the signed assignments.
    std::vector<workerapi::Assignment> assignments;
    assignments.reserve(decided.bindings.size());
    for (const Binding& b : decided.bindings) {
        const TaskRecord& task = tasks[b.task];
        WP_TRY(DealRecord d, deal_of(task.key.deal_id));
        WP_TRY(workerapi::Assignment assignment, build_assignment(d, task, ws[b.worker].address));
        assignments.push_back(std::move(assignment));
    }
    // Reserve and bind every decision of the round in ONE write transaction (group commit: one fsync per round).
    // Each reservation is checked on its own (slot, liveness, one replicate per worker per task); one that no longer
    // holds is skipped and the next round decides again.
    return write_then_publish([&](store::Tx& tx, std::vector<Pending>& committed) -> Result<std::size_t> {
        std::size_t n = 0;
        for (std::size_t i = 0; i < decided.bindings.size(); ++i) {
            const Binding& b = decided.bindings[i];
            const TaskRecord& task = tasks[b.task];
            const WorkerSnapshot& w = ws[b.worker];
            WP_TRY(bool ok, store_.create_replicate(tx, task.key, w.address, w.score, now));
            if (!ok) continue;
            const Address& challenge = assignments[i].authorization.enclave_challenge;
            if (!challenge.is_zero() && task.enclave_challenge.is_zero()) {
                WP_TRY(bool recorded, store_.set_enclave_challenge(tx, task.key, challenge));
                (void)recorded;  // recorded by an earlier round already: the same address (derived)
            }
            Notification note = make(task.task_id, Action::kStart);
            note.assignment = assignments[i];
            WP_TRY_VOID(notify(tx, w.address, std::move(note), committed));
            ++n;
        }
        return n;
    });
}

// ---- Status updates -------------------------------------------------------------------------------------------------

Result<StatusOutcome> CoreScheduler::update_status(const Address& worker, const Bytes32& task_id,
                                                   const workerapi::StatusUpdate& update) {
    std::vector<StatusItem> one{StatusItem{worker, task_id, update}};
    return std::move(update_status_batch(one).front());
}

namespace {

//! The details a status requires (no database needed).
Result<void> check_details(const workerapi::StatusUpdate& update) {
    const workerapi::StatusDetails& det = update.details;
    if ((update.status == R::kContributed || update.status == R::kContributeAndFinalizeDone) &&
        (!det.result_hash || !det.result_seal))
        return make_error(Errc::kDecoding, "statusUpdate.details: resultHash and resultSeal are required with " +
                                               std::string(workerapi::to_string(update.status)));
    if ((update.status == R::kResultUploaded || update.status == R::kContributeAndFinalizeDone) && !det.result_link &&
        !det.callback_data)
        return make_error(Errc::kDecoding, "statusUpdate.details: resultLink or callbackData is required with " +
                                               std::string(workerapi::to_string(update.status)));
    return {};
}

}  // namespace

std::vector<Result<StatusOutcome>> CoreScheduler::update_status_batch(const std::vector<StatusItem>& items) {
    std::vector<Result<StatusOutcome>> out(items.size());
    std::vector<std::size_t> todo;
    todo.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (auto checked = check_details(items[i].update); !checked) out[i] = make_error(checked.error());
        else todo.push_back(i);
    }
    if (todo.empty()) return out;
    const std::int64_t now = now_ms();
    auto written = write_then_publish([&](store::Tx& tx, std::vector<Pending>& committed) -> Result<bool> {
        // The batch's writes are kept and sent together at the end (multi-row INSERTs, one pipelined round trip).
        SchedulerStore::WriteBehind behind(store_, tx);
        std::vector<Bytes32> task_ids;  // what the items read, in one round trip
        for (std::size_t i : todo) task_ids.push_back(items[i].task_id);
        WP_TRY_VOID(behind.prefetch_status_contexts(task_ids));
        for (std::size_t i : todo) {
            WP_TRY(Applied applied, apply_status(tx, items[i], now, committed));
            if (applied.error) out[i] = make_error(std::move(*applied.error));
            else out[i] = applied.outcome;
        }
        WP_TRY_VOID(behind.flush());
        return true;
    });
    if (!written) {
        if (todo.size() == 1) {
            out[todo.front()] = make_error(std::move(written).error());
            return out;
        }
        // The batch's transaction failed: each item alone, so that one failing item does not fail the others.
        for (std::size_t i : todo) out[i] = std::move(update_status_batch({items[i]}).front());
    }
    return out;
}

Result<DealRecord> CoreScheduler::deal_of(store::Tx& tx, const Bytes32& deal_id) {
    {
        std::lock_guard lock(deals_mutex_);
        if (auto it = deals_.find(deal_id); it != deals_.end()) return it->second;
    }
    WP_TRY(auto d, store_.deal(tx, deal_id));
    if (!d) return make_error(Errc::kInvalidArgument, "unknown deal " + to_hex(deal_id.view()));
    std::lock_guard lock(deals_mutex_);
    deals_.emplace(deal_id, *d);
    return *d;
}

Result<CoreScheduler::Applied> CoreScheduler::apply_status(store::Tx& tx, const StatusItem& item, std::int64_t now,
                                                           std::vector<Pending>& committed) {
    const Address& worker = item.worker;
    const Bytes32& task_id = item.task_id;
    const workerapi::StatusUpdate& update = item.update;
    const auto item_error = [](Errc code, std::string message) { return Applied{Error{code, std::move(message)}, {}}; };
    const auto answered = [](StatusOutcome o) { return Applied{std::nullopt, o}; };

    // The task, the recorded answer and the worker's replicate in one statement (SchedulerStore::status_context).
    WP_TRY(auto context, store_.status_context(tx, task_id, worker, update.status));
    if (!context) return item_error(Errc::kInvalidArgument, "unknown task " + to_hex(task_id.view()));
    const TaskKey key = context->task.key;
    WP_TRY(DealRecord deal, deal_of(tx, key.deal_id));
    if (context->recorded) return answered(StatusOutcome{200, *context->recorded});
    if (!context->replicate)
        return item_error(Errc::kInvalidArgument,
                          "no replicate of worker " + worker.to_checksum() + " for task " + to_hex(task_id.view()));
    const ReplicateRecord rep = *context->replicate;
    const ReplicateStatus from = is_interruption(rep.status) ? rep.last_relevant : rep.status;
    if (auto allowed = replicate_transition(from, update.status, Modifier::kWorker); !allowed) {
        // Refused: not recorded (a later legal update is still possible), the worker is told to stop.
        return answered(StatusOutcome{409, workerapi::StatusAnswer{Action::kAbort, AbortCause::kRefused, false}});
    }
    // From here on the item writes: an error rolls the whole transaction back (update_status_batch then applies
    // each item alone).
    WP_TRY(auto applied, store_.set_replicate_status(tx, rep, update.status, Modifier::kWorker, update.details, now));
    if (!applied) return make_error(Errc::kIo, "replicate changed concurrently; retry the update");
    if (rep.holds_slot && !applied->holds_slot) observe_slot_hold(now - rep.created_ms);

    // Effects on the task, in the same transaction (the replicate's change does not touch the task row).
    TaskRecord task = context->task;
    const auto advance = [&](TaskEvent e, const TaskChange& c) -> Result<void> {
        WP_TRY(auto next, store_.transition_task(tx, task, e, c, now));
        if (!next) return make_error(Errc::kIo, "task changed concurrently; retry the update");
        task = *next;
        return {};
    };
    const R s = update.status;
    if (task.status == TaskStatus::kInitialized && s == R::kStarted) {
        TaskChange c;
        if (!task.due_ms) c.due_ms = task.contribution_deadline * 1000;  // the contribution timer
        WP_TRY_VOID(advance(TaskEvent::kReplicateStarted, c));
    }
    if (task.status == TaskStatus::kRunning && s == R::kContributeAndFinalizeDone) {
        TaskChange c;
        c.result_link = update.details.result_link;
        c.callback_data = update.details.callback_data;
        WP_TRY_VOID(advance(TaskEvent::kContributeAndFinalized, c));
    }
    if (task.status == TaskStatus::kConsensusReached && s == R::kRevealed) {
        WP_TRY_VOID(advance(TaskEvent::kFirstReveal, {}));
        // Ask this worker to upload (it just revealed, so it holds the result).
        TaskChange c;
        c.uploader = worker;
        c.due_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.upload_timeout).count();
        WP_TRY_VOID(advance(TaskEvent::kUploadRequested, c));
    }
    if (task.status == TaskStatus::kResultUploading && s == R::kResultUploaded && task.uploader == worker) {
        TaskChange c;
        c.result_link = update.details.result_link;
        c.callback_data = update.details.callback_data;
        c.clear_due = true;
        WP_TRY_VOID(advance(TaskEvent::kResultUploaded, c));
    }

    TaskFacts facts;
    facts.status = task.status;
    facts.tee = tag_has_bit(deal.tag, kTagBitTee);
    facts.trust = deal.trust;
    facts.contribution_open = now / 1000 < task.contribution_deadline;
    facts.before_final = now / 1000 < task.final_deadline;
    NextAction next = next_action(s, update.details.cause, facts);
    // A contribution reported after the consensus was observed on chain (the mirror can see TaskConsensus before
    // the worker's CONTRIBUTED arrives): apply_consensus skipped this replicate. Another hash lost (PoCo will not
    // let it reveal): the answer itself stops it. The same hash: the reveal request follows the answer.
    const bool late = s == R::kContributed && task.consensus && revealing(task.status);
    if (late && update.details.result_hash != task.consensus)
        next = NextAction{Action::kAbort, AbortCause::kConsensusReached};
    // The uploader's upload failed: it is asked again after a back-off (fire_due, a durable due-time) while the task's
    // upload requests are fewer than upload_attempts — it waits with its result; otherwise the due-time is now (the
    // fallback: another revealed worker, or RESULT_UPLOAD_TIMEOUT).
    if (s == R::kResultUploadFailed && task.status == TaskStatus::kResultUploading && task.uploader == worker) {
        WP_TRY(std::int64_t asked, store_.count_task_events(tx, key, TaskEvent::kUploadRequested));
        const bool again = asked < static_cast<std::int64_t>(options_.upload_attempts);
        if (again) next = NextAction{Action::kWait, std::nullopt};
        WP_TRY(auto moved, store_.reschedule_task(tx, task, now + (again ? upload_backoff_ms(asked) : 0), now));
        if (!moved) return make_error(Errc::kIo, "task changed concurrently; retry the update");
        task = *moved;
    }
    workerapi::StatusAnswer answer{next.action, next.abort_cause, false};
    WP_TRY_VOID(store_.record_answer(tx, key, worker, s, answer, now));
    if (late && update.details.result_hash == task.consensus)
        WP_TRY_VOID(notify(tx, worker, make(task_id, Action::kReveal), committed));

    // The upload request follows the answer to REVEALED.
    if (s == R::kRevealed && task.status == TaskStatus::kResultUploading && task.uploader == worker) {
        WP_TRY(auto requested,
               store_.set_replicate_status(tx, *applied, R::kResultUploadRequested, Modifier::kScheduler, {}, now));
        if (!requested) return make_error(Errc::kIo, "replicate changed concurrently; retry the update");
        Notification n = make(task_id, Action::kUpload);
        n.upload_url = options_.upload_url_base + "/" + to_hex(task_id.view());
        WP_TRY_VOID(notify(tx, worker, std::move(n), committed));
    }
    return answered(StatusOutcome{200, answer});
}

Result<bool> CoreScheduler::apply_consensus(const Bytes32& task_id, const Bytes32& consensus,
                                            std::int64_t reveal_deadline_s, std::uint64_t block_number) {
    WP_TRY(auto applied, apply_consensus_batch({ConsensusItem{task_id, consensus, reveal_deadline_s, block_number}}));
    return applied.front();
}

Result<std::vector<bool>> CoreScheduler::apply_consensus_batch(const std::vector<ConsensusItem>& items) {
    return apply_each(items, [this](store::Tx& tx, const ConsensusItem& item, std::int64_t now,
                                    std::vector<Pending>& out) { return apply_consensus_item(tx, item, now, out); });
}

Result<bool> CoreScheduler::apply_consensus_item(store::Tx& tx, const ConsensusItem& item, std::int64_t now,
                                                 std::vector<Pending>& out) {
    WP_TRY(auto task, store_.task_by_id(tx, item.task_id));
    if (!task || (task->status != TaskStatus::kRunning && task->status != TaskStatus::kInitialized)) return false;
    // A TEE trust-1 task's consensus is part of its contributeAndFinalize: TaskFinalize completes it.
    WP_TRY(DealRecord deal, deal_of(tx, task->key.deal_id));
    if (needs_enclave(deal.tag) && deal.trust <= 1) return false;
    TaskChange c;
    c.consensus = item.consensus;
    c.reveal_deadline = item.reveal_deadline_s;
    c.due_ms = item.reveal_deadline_s * 1000;  // the reveal timeout is the task's next timer
    WP_TRY(auto next, store_.transition_task(tx, *task, TaskEvent::kConsensusReached, c, now));
    if (!next) return false;
    WP_TRY(auto reps, store_.replicates_of_task(tx, task->key));
    for (const auto& r : reps) {
        if (is_final(r.status)) continue;
        // Contributing: its contribution may be in this very consensus; its CONTRIBUTED report decides
        // (update_status).
        if (r.status == R::kContributing) continue;
        if (has_contributed(r.last_relevant) && r.details.result_hash == item.consensus) {
            Notification n = make(item.task_id, Action::kReveal);
            n.block_number = item.block_number;
            WP_TRY_VOID(notify(tx, r.worker, std::move(n), out));
        } else {
            Notification n = make(item.task_id, Action::kAbort);
            n.abort_cause = AbortCause::kConsensusReached;
            WP_TRY_VOID(notify(tx, r.worker, std::move(n), out));
        }
    }
    return true;
}

Result<std::size_t> CoreScheduler::notify_completed(const Bytes32& task_id) {
    return notify_completed(std::vector<Bytes32>{task_id});
}

Result<std::size_t> CoreScheduler::notify_completed(const std::vector<Bytes32>& task_ids) {
    return write_then_publish([&](store::Tx& tx, std::vector<Pending>& committed) -> Result<std::size_t> {
        std::size_t count = 0;
        for (const Bytes32& task_id : task_ids) {
            WP_TRY(auto task, store_.task_by_id(tx, task_id));
            if (!task) continue;
            WP_TRY(auto reps, store_.replicates_of_task(tx, task->key));
            for (const auto& r : reps) {
                if (is_final(r.status) || r.status == R::kAborted || r.status == R::kCompleting) continue;
                WP_TRY_VOID(notify(tx, r.worker, make(task_id, Action::kComplete), committed));
                ++count;
            }
        }
        return count;
    });
}

Result<bool> CoreScheduler::apply_finalized(const Bytes32& task_id, const std::optional<std::string>& result_link) {
    WP_TRY(auto found, store_.task_by_id(task_id));
    if (!found) return false;
    WP_TRY(DealRecord deal, deal_of(found->key.deal_id));
    if (!needs_enclave(deal.tag) || deal.trust > 1) return false;
    const std::int64_t now = now_ms();
    return write_then_publish([&](store::Tx& tx, std::vector<Pending>& committed) -> Result<bool> {
        WP_TRY(auto current, store_.task(tx, found->key));
        if (!current) return false;
        TaskRecord task = *current;
        if (task.status == TaskStatus::kRunning) {
            TaskChange c;
            c.result_link = result_link;
            WP_TRY(auto next, store_.transition_task(tx, task, TaskEvent::kContributeAndFinalized, c, now));
            if (!next) return make_error(Errc::kIo, "task changed concurrently");
            task = *next;
        }
        if (task.status != TaskStatus::kFinalized) return false;
        TaskChange done;
        done.clear_due = true;
        WP_TRY(auto completed, store_.transition_task(tx, task, TaskEvent::kCompleted, done, now));
        if (!completed) return make_error(Errc::kIo, "task changed concurrently");
        WP_TRY(auto reps, store_.replicates_of_task(tx, task.key));
        for (const auto& r : reps) {
            if (r.status != R::kContributeAndFinalizeDone) continue;
            WP_TRY_VOID(notify(tx, r.worker, make(task_id, Action::kComplete), committed));
        }
        return true;
    });
}

// ---- Timers ---------------------------------------------------------------------------------------------------------

Result<bool> CoreScheduler::fire_due(store::Tx& tx, const TaskRecord& stale, std::vector<Pending>& out) {
    const std::int64_t now = now_ms();
    const std::int64_t now_s = now / 1000;
    WP_TRY(auto current, store_.task(tx, stale.key));
    if (!current || current->version != stale.version) return false;  // moved meanwhile: next run
    const TaskRecord& task = *current;
    WP_TRY(auto reps, store_.replicates_of_task(tx, task.key));
    const auto abort_all = [&](AbortCause cause, bool only_uncontributed) -> Result<void> {
        for (const auto& r : reps) {
            if (is_final(r.status) || r.status == R::kAborted) continue;
            if (only_uncontributed && has_contributed(r.last_relevant)) continue;
            Notification n = make(task.task_id, Action::kAbort);
            n.abort_cause = cause;
            WP_TRY_VOID(notify(tx, r.worker, std::move(n), out));
        }
        return {};
    };
    const auto move = [&](TaskEvent e, const TaskChange& c) -> Result<bool> {
        WP_TRY(auto next, store_.transition_task(tx, task, e, c, now));
        return next.has_value();
    };

    if (now_s >= task.final_deadline && task_transition(task.status, TaskEvent::kFinalDeadline)) {
        TaskChange c;
        c.clear_due = true;  // the claim intent (next session) sets its own retry time
        c.failure = "final deadline reached";
        WP_TRY(bool moved, move(TaskEvent::kFinalDeadline, c));
        if (moved) WP_TRY_VOID(abort_all(AbortCause::kFinalDeadline, false));
        return moved;
    }
    if (is_schedulable(task.status) && now_s >= task.contribution_deadline) {
        TaskChange c;
        c.due_ms = task.final_deadline * 1000;
        c.failure = "contribution deadline reached without consensus";
        WP_TRY(bool moved, move(TaskEvent::kContributionDeadline, c));
        if (moved) WP_TRY_VOID(abort_all(AbortCause::kContributionTimeout, false));
        return moved;
    }
    if (task.status == TaskStatus::kConsensusReached && task.reveal_deadline && now_s >= *task.reveal_deadline) {
        TaskChange c;
        c.due_ms = task.final_deadline * 1000;
        WP_TRY(bool moved, move(TaskEvent::kRevealTimeoutNoReveal, c));
        if (!moved) return false;
        WP_TRY_VOID(
            fail_unrevealed(store_, tx, task, reps, "reveal timeout", now,
                            [&](const Address& w, Notification n) { return notify(tx, w, std::move(n), out); }));
        return true;
    }
    if (task.status == TaskStatus::kResultUploading) {
        // The uploader stayed silent: ask another worker that revealed, if any.
        const ReplicateRecord* next = nullptr;
        for (const auto& r : reps)
            if (r.status == R::kRevealed && r.worker != task.uploader) {
                next = &r;
                break;
            }
        if (next == nullptr) {
            // Nobody else revealed: the uploader again, while attempts are left.
            const ReplicateRecord* same = nullptr;
            for (const auto& r : reps)
                if (r.worker == task.uploader &&
                    (r.status == R::kResultUploadFailed || r.status == R::kResultUploadRequested ||
                     r.status == R::kResultUploading))
                    same = &r;
            WP_TRY(std::int64_t asked, store_.count_task_events(tx, task.key, TaskEvent::kUploadRequested));
            if (same != nullptr && asked < static_cast<std::int64_t>(options_.upload_attempts))
                return ask_upload_again(tx, task, *same, out);
            TaskChange c;
            c.due_ms = task.final_deadline * 1000;
            c.failure = "no revealed worker uploaded the result";
            return move(TaskEvent::kUploadTimeout, c);
        }
        WP_TRY(auto requested,
               store_.set_replicate_status(tx, *next, R::kResultUploadRequested, Modifier::kScheduler, {}, now));
        if (!requested) return false;
        TaskChange c;
        c.uploader = next->worker;
        c.due_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.upload_timeout).count();
        WP_TRY(bool moved, move(TaskEvent::kUploadRequested, c));
        if (!moved) return false;
        Notification n = make(task.task_id, Action::kUpload);
        n.upload_url = options_.upload_url_base + "/" + to_hex(task.task_id.view());
        WP_TRY_VOID(notify(tx, next->worker, std::move(n), out));
        return true;
    }
    // Nothing fired: the next deadline of this status.
    const std::int64_t next_due =
        (is_schedulable(task.status) ? task.contribution_deadline : task.final_deadline) * 1000;
    WP_TRY(auto moved, store_.reschedule_task(tx, task, std::max(next_due, now + 1000), now));
    (void)moved;
    return false;
}

std::int64_t CoreScheduler::upload_backoff_ms(std::int64_t asked) const {
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.upload_timeout).count();
    std::int64_t delay = options_.upload_retry.count();
    for (std::int64_t k = 1; k < asked && delay < timeout; ++k) delay *= 2;
    return std::min(delay, timeout);
}

Result<bool> CoreScheduler::ask_upload_again(store::Tx& tx, const TaskRecord& task, const ReplicateRecord& uploader,
                                             std::vector<Pending>& out) {
    const std::int64_t now = now_ms();
    if (uploader.status == R::kResultUploadFailed) {
        WP_TRY(auto requested,
               store_.set_replicate_status(tx, uploader, R::kResultUploadRequested, Modifier::kScheduler, {}, now));
        if (!requested) return false;
        // Its next RESULT_UPLOADING / RESULT_UPLOAD_FAILED are new reports, not repetitions of the first attempt's.
        WP_TRY_VOID(store_.forget_answers(tx, task.key, uploader.worker, {R::kResultUploading, R::kResultUploadFailed})
                        .map([](std::int64_t) {}));
    }
    // Still RESULT_UPLOAD_REQUESTED / RESULT_UPLOADING (silent): the request is sent again as it is (a repeated
    // RESULT_UPLOADING gets its recorded answer).
    TaskChange c;
    c.uploader = uploader.worker;
    c.due_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.upload_timeout).count();
    WP_TRY(auto moved, store_.transition_task(tx, task, TaskEvent::kUploadRequested, c, now));
    if (!moved) return false;
    Notification n = make(task.task_id, Action::kUpload);
    n.upload_url = options_.upload_url_base + "/" + to_hex(task.task_id.view());
    WP_TRY_VOID(notify(tx, uploader.worker, std::move(n), out));
    return true;
}

Result<std::size_t> CoreScheduler::run_due(std::size_t limit) {
    static const std::vector<TaskStatus> kOwned = {
        TaskStatus::kInitialized,         TaskStatus::kRunning,
        TaskStatus::kConsensusReached,    TaskStatus::kAtLeastOneRevealed,
        TaskStatus::kResultUploading,     TaskStatus::kResultUploaded,
        TaskStatus::kContributionTimeout, TaskStatus::kRunningFailed,
        TaskStatus::kReopening,           TaskStatus::kReopened,
        TaskStatus::kReopenFailed,        TaskStatus::kResultUploadTimeout,
        TaskStatus::kFinalizing,          TaskStatus::kFinalizeFailed,
    };
    WP_TRY(auto due, store_.due_tasks(now_ms(), limit, kOwned));
    std::size_t fired = 0;
    for (const auto& task : due) {
        WP_TRY(bool changed, write_then_publish([&](store::Tx& tx, std::vector<Pending>& committed) {
                   return fire_due(tx, task, committed);
               }));
        if (changed) ++fired;
    }
    return fired;
}

// ---- Recovery -------------------------------------------------------------------------------------------------------

Result<workerapi::Recovery> CoreScheduler::recovery(const Address& worker) {
    WP_TRY(auto reps, store_.active_replicates_of_worker(worker));
    workerapi::Recovery out;
    const std::int64_t now = now_ms();
    for (const auto& r : reps) {
        if (r.status == R::kAborted) continue;  // the worker already gave it up
        WP_TRY(auto task, store_.task(r.task));
        if (!task) continue;
        WP_TRY(DealRecord deal, deal_of(r.task.deal_id));
        const R last = r.last_relevant;
        const bool contributed = has_contributed(last);
        const bool agrees = contributed && task->consensus && r.details.result_hash == task->consensus;
        NextAction action{Action::kWait, std::nullopt};
        const auto abort = [](AbortCause c) { return NextAction{Action::kAbort, c}; };
        switch (task->status) {
            case TaskStatus::kInitialized:
            case TaskStatus::kRunning:
                if (contributed) break;
                if (now / 1000 >= task->contribution_deadline) {
                    action = abort(AbortCause::kContributionTimeout);
                } else {
                    const bool caf = tag_has_bit(deal.tag, kTagBitTee) && deal.trust <= 1;
                    action = {caf ? Action::kContributeAndFinalize : Action::kContribute, std::nullopt};
                }
                break;
            case TaskStatus::kConsensusReached:
            case TaskStatus::kAtLeastOneRevealed:
            case TaskStatus::kResultUploading:
            case TaskStatus::kResultUploaded:
            case TaskStatus::kFinalizing:
            case TaskStatus::kFinalizeFailed:
                if (!agrees) {
                    action = abort(AbortCause::kConsensusReached);
                } else if (task->status == TaskStatus::kResultUploading && task->uploader == worker &&
                           last != R::kResultUploaded) {
                    action = {Action::kUpload, std::nullopt};
                } else if (last == R::kContributed || last == R::kRevealing) {
                    action = {Action::kReveal, std::nullopt};
                }
                break;
            case TaskStatus::kFinalized:
            case TaskStatus::kCompleted: action = {Action::kComplete, std::nullopt}; break;
            case TaskStatus::kFinalDeadlineReached:
            case TaskStatus::kClaiming: action = abort(AbortCause::kFinalDeadline); break;
            case TaskStatus::kContributionTimeout: action = abort(AbortCause::kContributionTimeout); break;
            default: action = abort(AbortCause::kTaskFailed); break;
        }
        if (r.status == R::kWorkerLost) {
            WP_TRY_VOID(store_.database().write([&](store::Tx& tx) -> Result<void> {
                WP_TRY(auto back, store_.set_replicate_status(tx, r, R::kRecovering, Modifier::kScheduler, {}, now));
                (void)back;  // a concurrent change wins; the answer stays valid
                return {};
            }));
        }
        WP_TRY(workerapi::Assignment assignment, build_assignment(deal, *task, worker));
        assignment = with_enclave_key(std::move(assignment));
        out.items.push_back(
            workerapi::RecoveryItem{task->task_id, last, action.action, action.abort_cause, std::move(assignment)});
    }
    return out;
}

// ---- Restart reconciliation ----------------------------------------------------------------------------------------

Result<std::vector<bool>> CoreScheduler::reconcile_tasks(const std::vector<ChainTaskView>& items) {
    return apply_each(items, [this](store::Tx& tx, const ChainTaskView& view, std::int64_t now,
                                    std::vector<Pending>& out) { return reconcile_task(tx, view, now, out); });
}

Result<std::vector<bool>> CoreScheduler::record_chain_contributions(const std::vector<ChainContribution>& items) {
    return apply_each(
        items,
        [this](store::Tx& tx, const ChainContribution& item, std::int64_t now, std::vector<Pending>&) -> Result<bool> {
            WP_TRY(auto task, store_.task_by_id(tx, item.task_id));
            if (!task) return false;
            WP_TRY(auto reps, store_.replicates_of_task(tx, task->key));
            const auto rep =
                std::find_if(reps.begin(), reps.end(), [&](const auto& r) { return r.worker == item.worker; });
            if (rep == reps.end()) return false;
            const R from = is_interruption(rep->status) ? rep->last_relevant : rep->status;
            if (!contribution_repairable(from)) return false;
            workerapi::StatusDetails d;
            d.result_hash = item.result_hash;
            d.result_seal = item.result_seal;
            d.message = "contribution found on chain (reconciled)";
            WP_TRY(auto moved, store_.set_replicate_status(tx, *rep, R::kContributed, Modifier::kScheduler, d, now));
            if (!moved) return make_error(Errc::kIo, "replicate changed concurrently during the reconciliation");
            if (task->status == TaskStatus::kInitialized) {
                TaskChange c;
                if (!task->due_ms) c.due_ms = task->contribution_deadline * 1000;
                WP_TRY(auto running, store_.transition_task(tx, *task, TaskEvent::kReplicateStarted, c, now));
                if (!running) return make_error(Errc::kIo, "task changed concurrently during the reconciliation");
            }
            return true;
        });
}

Result<bool> CoreScheduler::reconcile_task(store::Tx& tx, const ChainTaskView& view, std::int64_t now,
                                           std::vector<Pending>& out) {
    WP_TRY(auto found, store_.task_by_id(tx, view.task_id));
    if (!found || is_final(found->status)) return false;
    TaskRecord task = *found;
    const auto move = [&](TaskEvent e, const TaskChange& c) -> Result<bool> {
        WP_TRY(auto next, store_.transition_task(tx, task, e, c, now));
        if (!next) return make_error(Errc::kIo, "task changed concurrently during the reconciliation");
        task = *next;
        return true;
    };
    WP_TRY(auto reps, store_.replicates_of_task(tx, task.key));
    switch (view.status) {
        case wp::TaskStatus::kCompleted: {
            if (task.status != TaskStatus::kFinalized) {
                TaskChange c;
                if (!task.result_link && !view.results.empty())
                    c.result_link = std::string(view.results.begin(), view.results.end());
                const TaskEvent e =
                    task.status == TaskStatus::kFinalizing ? TaskEvent::kFinalizeMined : TaskEvent::kFinalizedOnChain;
                WP_TRY_VOID(move(e, c).map([](bool) {}));
            }
            TaskChange done;
            done.clear_due = true;
            WP_TRY_VOID(move(TaskEvent::kCompleted, done).map([](bool) {}));
            for (const auto& r : reps) {
                if (is_final(r.status) || r.status == R::kAborted || r.status == R::kCompleting) continue;
                WP_TRY_VOID(notify(tx, r.worker, make(task.task_id, Action::kComplete), out));
            }
            return true;
        }
        case wp::TaskStatus::kFailed: {
            TaskChange c;
            c.clear_due = true;
            if (task.status != TaskStatus::kClaiming) c.failure = "claimed on chain";
            const TaskEvent e =
                task.status == TaskStatus::kClaiming ? TaskEvent::kClaimMined : TaskEvent::kClaimedOnChain;
            WP_TRY_VOID(move(e, c).map([](bool) {}));
            for (const auto& r : reps) {
                if (is_final(r.status) || r.status == R::kAborted) continue;
                Notification n = make(task.task_id, Action::kAbort);
                n.abort_cause = AbortCause::kFinalDeadline;
                WP_TRY_VOID(notify(tx, r.worker, std::move(n), out));
            }
            return true;
        }
        case wp::TaskStatus::kActive: {
            if (task.status == TaskStatus::kReceived || task.status == TaskStatus::kInitializing) {
                TaskChange c;
                c.due_ms = task.contribution_deadline * 1000;
                return move(TaskEvent::kInitializeMined, c);
            }
            if (!task_transition(task.status, TaskEvent::kReopenedOnChain)) return false;
            const bool was_revealing = task.status == TaskStatus::kConsensusReached;
            WP_TRY_VOID(move(TaskEvent::kReopenedOnChain, TaskChange{}).map([](bool) {}));
            TaskChange back;
            back.due_ms = task.contribution_deadline * 1000;
            WP_TRY_VOID(move(TaskEvent::kRescheduled, back).map([](bool) {}));
            if (was_revealing) {
                // What the reveal timeout would have done (fire_due): the contributors that did not reveal failed.
                WP_TRY_VOID(fail_unrevealed(
                    store_, tx, task, reps, "reveal timeout (task reopened on chain)", now,
                    [&](const Address& w, Notification n) { return notify(tx, w, std::move(n), out); }));
            }
            return true;
        }
        default: return false;
    }
}

}  // namespace wp::scheduler
