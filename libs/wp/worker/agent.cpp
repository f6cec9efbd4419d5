#include "agent.hpp"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

#include "authorization.hpp"
#include "result.hpp"

namespace wp::worker {

namespace fs = std::filesystem;
using workerapi::AbortCause;
using workerapi::Action;
using workerapi::Notification;
using workerapi::ReplicateStatus;
using workerapi::StatusDetails;
using WireCause = workerapi::FailureCause;

struct WorkerAgent::Replicate {
    workerapi::Assignment a;
    std::optional<ReplicateResult> result;
    std::atomic<bool> cancel{false};
    std::mutex m;
    std::condition_variable cv;
    std::deque<Notification> queue;
    Action next{Action::kWait};
    std::optional<AbortCause> abort_cause;
    std::atomic<bool> done{false};
    std::thread thread;
};

namespace {
std::string short_id(const Bytes32& id) { return to_hex(id.view()).substr(0, 12); }

std::optional<WireCause> download_cause(FailureCause c) {
    switch (c) {
        case FailureCause::kAppDownloadFailed:
        case FailureCause::kAppBadChecksum: return WireCause::kAppImageDownloadFailed;
        default: return std::nullopt;
    }
}
std::optional<WireCause> data_cause(FailureCause c) {
    switch (c) {
        case FailureCause::kDatasetDownloadFailed: return WireCause::kDatasetFileDownloadFailed;
        case FailureCause::kDatasetBadChecksum: return WireCause::kDatasetFileBadChecksum;
        case FailureCause::kInputFilesDownloadFailed: return WireCause::kInputFilesDownloadFailed;
        default: return std::nullopt;
    }
}
WireCause compute_cause(FailureCause c) {
    switch (c) {
        case FailureCause::kAppTimeout: return WireCause::kComputeTimeout;
        case FailureCause::kOutputTooLarge: return WireCause::kResultTooLarge;
        case FailureCause::kComputedJsonMissing:
        case FailureCause::kComputedJsonInvalid: return WireCause::kDeterminismHashNotFound;
        default: return WireCause::kAppComputeFailed;
    }
}
std::string clip(std::string s) {
    if (s.size() > 4000) s.resize(4000);
    return s;
}
}  // namespace

WorkerAgent::WorkerAgent(SchedulerSession& session, ReplicateRunner& runner, ChainPort& chain, AgentOptions options)
    : session_(session),
      runner_(runner),
      chain_(chain),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : system_clock()) {}

WorkerAgent::~WorkerAgent() {
    stop(false);
    std::map<Bytes32, std::shared_ptr<Replicate>> all;
    {
        std::lock_guard lock(mutex_);
        all = replicates_;
    }
    for (auto& [id, r] : all) {
        if (r->thread.joinable()) r->thread.join();
    }
}

Result<void> WorkerAgent::start() {
    WP_TRY(auto reg, session_.register_worker(options_.registration));
    if (reg.heartbeat_seconds > 0) heartbeat_seconds_ = static_cast<std::int64_t>(reg.heartbeat_seconds);
    spdlog::info("worker {} registered with pool {} (chain {}), {} slots", session_.address().to_checksum(),
                 reg.workerpool.to_checksum(), reg.chain_id, options_.registration.cpu_slots);
    // Recovery covers what the scheduler holds for this worker: the inbox is read from its current end on (an old
    // PLEASE_START of a finished task must not start it again).
    WP_TRY_VOID(session_.skip_to_latest());
    WP_TRY(auto rec, session_.recovery());
    std::vector<Bytes32> on_disk = runner_.results_on_disk();
    for (const auto& item : rec.items) {
        const bool have = std::find(on_disk.begin(), on_disk.end(), item.task_id) != on_disk.end();
        std::erase(on_disk, item.task_id);
        Notification n;
        n.task_id = item.task_id;
        n.action = item.action;
        n.abort_cause = item.abort_cause;
        // The scheduler's recovered status tells where we stood; the result must be on disk to go on.
        if (item.last_status == ReplicateStatus::kCreated) {
            // Assigned but never started (its PLEASE_START may be in the inbox before the position skipped to):
            // start it now; the inbox copy, if it comes, is ignored (the replicate is held).
            n.action = Action::kStart;
            n.assignment = item.assignment;
            spawn(item.assignment, {n});
            continue;
        }
        const bool needs_result = item.action == Action::kContribute || item.action == Action::kContributeAndFinalize ||
                                  item.action == Action::kReveal || item.action == Action::kUpload ||
                                  item.action == Action::kWait;
        if (needs_result && !have) n.action = Action::kAbort;  // abandoned cleanly: ABORTED, then cleanup
        spdlog::info("recovery: task {} last {} → {}{}", short_id(item.task_id), workerapi::to_string(item.last_status),
                     workerapi::to_string(n.action), needs_result && !have ? " (result not on disk: abandoned)" : "");
        std::deque<Notification> q;
        if (n.action != Action::kWait) q.push_back(n);
        spawn(item.assignment, std::move(q));
        std::lock_guard lock(mutex_);
        records_[item.task_id].last_status = item.last_status;
    }
    for (const auto& orphan : on_disk) {
        spdlog::info("recovery: removing the folder of task {} (unknown to the scheduler)", short_id(orphan));
        (void)runner_.cleanup(orphan);
    }
    return {};
}

void WorkerAgent::spawn(const workerapi::Assignment& a, std::deque<Notification> first) {
    auto r = std::make_shared<Replicate>();
    r->a = a;
    r->queue = std::move(first);
    std::shared_ptr<Replicate> previous;
    {
        std::lock_guard lock(mutex_);
        if (auto it = replicates_.find(a.task_id); it != replicates_.end()) previous = it->second;
    }
    if (previous && previous->thread.joinable()) previous->thread.join();  // a finished one (dispatch checked)
    {
        std::lock_guard lock(mutex_);
        replicates_[a.task_id] = r;
        auto& rec = records_[a.task_id];
        rec.task_id = a.task_id;
        rec.finished = false;
    }
    r->thread = std::thread([this, r] { replicate_loop(r); });
}

void WorkerAgent::dispatch(const Notification& n) {
    std::shared_ptr<Replicate> r;
    {
        std::lock_guard lock(mutex_);
        auto it = replicates_.find(n.task_id);
        if (it != replicates_.end() && !it->second->done) r = it->second;
    }
    if (n.action == Action::kStart) {
        if (r) return;  // already running it
        if (!n.assignment) return;
        if (draining_.load()) {
            // Hand it back at once: the scheduler gives it to another worker.
            workerapi::StatusUpdate u{ReplicateStatus::kStarting, {}};
            auto a = session_.report(n.task_id, u);
            StatusDetails d;
            d.message = "worker draining (shutting down)";
            (void)a;
            (void)session_.report(n.task_id, {ReplicateStatus::kStartFailed, d});
            return;
        }
        spawn(*n.assignment, {n});
        return;
    }
    if (!r) {
        spdlog::debug("notification {} for task {} that this worker does not hold", workerapi::to_string(n.action),
                      short_id(n.task_id));
        return;
    }
    if (n.action == Action::kAbort) r->cancel = true;
    {
        std::lock_guard lock(r->m);
        r->queue.push_back(n);
    }
    r->cv.notify_all();
}

void WorkerAgent::replicate_loop(const std::shared_ptr<Replicate>& rp) {
    Replicate& r = *rp;
    // A recovered replicate: reload its result from disk first.
    if (r.queue.empty() || r.queue.front().action != Action::kStart) (void)load_result_from_disk(r);
    while (!r.done) {
        Notification n;
        {
            std::unique_lock lock(r.m);
            r.cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return !r.queue.empty() || r.done; });
            if (r.queue.empty()) {
                if (stopping_.load() && !draining_.load()) {
                    lock.unlock();
                    abort(r);  // hand back
                }
                continue;
            }
            n = r.queue.front();
            r.queue.pop_front();
        }
        handle(r, n.action, n);
    }
    std::lock_guard lock(mutex_);
    records_[r.a.task_id].finished = true;
}

void WorkerAgent::handle(Replicate& r, Action action, const Notification& n) {
    switch (action) {
        case Action::kStart:
            if (start_and_compute(r)) follow(r);
            break;
        case Action::kContribute:
        case Action::kContributeAndFinalize:
            r.next = action;
            follow(r);
            break;
        case Action::kReveal: reveal(r); break;
        case Action::kUpload:
            if (n.upload_url) upload(r, *n.upload_url);
            break;
        case Action::kAbort:
            r.abort_cause = n.abort_cause;
            abort(r);
            break;
        case Action::kComplete: complete(r); break;
        default: break;
    }
}

bool WorkerAgent::report(Replicate& r, ReplicateStatus s, StatusDetails d) {
    if (halted_.load()) {
        r.done = true;
        r.next = Action::kWait;
        return false;
    }
    auto answer = session_.report(r.a.task_id, workerapi::StatusUpdate{s, std::move(d)});
    {
        std::lock_guard lock(mutex_);
        auto& rec = records_[r.a.task_id];
        rec.last_status = s;
    }
    if (!answer) {
        spdlog::warn("task {}: reporting {} failed: {}", short_id(r.a.task_id), workerapi::to_string(s),
                     answer.error().message);
        r.next = Action::kAbort;
        return false;
    }
    r.next = answer->action;
    r.abort_cause = answer->abort_cause;
    spdlog::info("task {}: {} → {}", short_id(r.a.task_id), workerapi::to_string(s),
                 workerapi::to_string(answer->action));
    return answer->action != Action::kAbort;
}

bool WorkerAgent::start_and_compute(Replicate& r) {
    const auto& a = r.a;
    if (!report(r, ReplicateStatus::kStarting)) return abort(r), false;
    if (auto refused = check_authorization(r)) {
        StatusDetails d;
        d.cause = refused->cause;
        d.message = clip(refused->message);
        report(r, ReplicateStatus::kStartFailed, d);
        abort(r);
        return false;
    }
    if (!report(r, ReplicateStatus::kStarted)) return abort(r), false;
    if (!report(r, ReplicateStatus::kAppDownloading)) return abort(r), false;

    ReplicateRequest req;
    req.task.task_id = a.task_id;
    req.task.deal_id = a.deal_id;
    req.task.task_index = U256(a.task_index);
    req.task.bot_size = U256(a.bot_size);
    req.task.bot_first = U256(a.bot_first);
    if (a.dataset) {
        req.task.dataset = a.dataset->address;
        req.dataset_url = a.dataset->uri;
        req.dataset_checksum = a.dataset->checksum;
    }
    req.task.input_files = a.input_files;
    req.app_url = a.app.resource.uri;
    req.app_checksum = a.app.resource.checksum;
    if (options_.image_apps) req.image = a.app.resource.uri;
    req.iexec_args = a.iexec_args;
    req.callback_deal = !a.callback.is_zero();
    req.tag = a.tag;
    if (a.max_execution_seconds > 0)
        req.max_time = std::chrono::seconds(static_cast<std::int64_t>(a.max_execution_seconds));
    req.memory_bytes = options_.memory_bytes_per_task;
    req.max_output_bytes = options_.max_output_bytes;
    req.max_pids = options_.max_pids;

    std::optional<SimulatedEnclave> enclave;
    if (tee_framework(a.tag) != TeeFramework::kNone) {
        // TEE SIMULATION: the enclave key must be the one whose address the scheduler signed as the challenge.
        auto e = enclave_of(a);
        if (!e) {
            spdlog::error("task {}: {}", short_id(a.task_id), e.error().message);
            StatusDetails d;
            d.cause = WireCause::kTeeFailed;
            d.message = clip(e.error().message);
            report(r, ReplicateStatus::kAppDownloadFailed, d);
            abort(r);
            return false;
        }
        spdlog::info("task {}: [{}] enclave challenge {} (simulated enclave: no TEE, no confidentiality)",
                     short_id(a.task_id), kTeeSimulationLabel, e->challenge().to_checksum());
        enclave = std::move(*e);
    }
    auto res = runner_.run(req, r.cancel, enclave ? &*enclave : nullptr);
    if (!res) {
        if (r.cancel.load()) return abort(r), false;
        spdlog::error("task {}: the worker could not run it: {}", short_id(a.task_id), res.error().message);
        StatusDetails d;
        d.cause = WireCause::kUnknown;
        d.message = clip("worker: " + res.error().message);
        report(r, ReplicateStatus::kAppDownloadFailed, d);
        abort(r);
        return false;
    }
    r.result = std::move(*res);
    const ReplicateResult& out = *r.result;
    spdlog::info("task {}: computed by {} digest {}{}", short_id(a.task_id), out.runtime, to_hex(out.digest.view()),
                 out.tee != TeeFramework::kNone ? std::string(" [") + kTeeSimulationLabel + "]" : "");
    {
        std::lock_guard lock(mutex_);
        records_[a.task_id].digest = out.digest;
        if (out.failure) records_[a.task_id].failure = compute_cause(*out.failure);
    }
    if (out.failure) {
        if (auto c = download_cause(*out.failure)) {
            std::lock_guard lock(mutex_);
            records_[a.task_id].failure = *c;
        }
        if (auto c = data_cause(*out.failure)) {
            std::lock_guard lock(mutex_);
            records_[a.task_id].failure = *c;
        }
    }
    if (out.failure) {
        if (auto c = download_cause(*out.failure)) {
            StatusDetails d;
            d.cause = *c;
            d.message = clip(out.failure_detail);
            report(r, ReplicateStatus::kAppDownloadFailed, d);
            return true;  // the answer says contribute (the error result) or abort
        }
    }
    if (!report(r, ReplicateStatus::kAppDownloaded)) return abort(r), false;
    if (!report(r, ReplicateStatus::kDataDownloading)) return abort(r), false;
    if (out.failure) {
        if (auto c = data_cause(*out.failure)) {
            StatusDetails d;
            d.cause = *c;
            d.message = clip(out.failure_detail);
            report(r, ReplicateStatus::kDataDownloadFailed, d);
            return true;
        }
    }
    if (!report(r, ReplicateStatus::kDataDownloaded)) return abort(r), false;
    if (!report(r, ReplicateStatus::kComputing)) return abort(r), false;
    StatusDetails d;
    d.result_digest = out.digest;
    if (out.outcome) d.exit_code = out.outcome->exit_code;
    if (out.failure) d.message = clip(std::string(cause_name(*out.failure)) + ": " + out.failure_detail);
    report(r, ReplicateStatus::kComputed, d);
    return true;
}

std::optional<ChainFailure> WorkerAgent::check_authorization(Replicate& r) {
    const auto& a = r.a;
    auto owner = chain_.workerpool_owner(a);
    std::optional<ChainFailure> refused;
    if (!owner) {
        refused = ChainFailure{owner.error().cause, "authorization not checked: " + owner.error().message};
    } else if (auto ok = verify_authorization(a.authorization, session_.address(), a.task_id, *owner); !ok) {
        refused = ChainFailure{WireCause::kUnknown, ok.error().message + " (refused: nothing is run or sent)"};
    }
    if (refused) {
        spdlog::error("task {}: {}", short_id(a.task_id), refused->message);
        std::lock_guard lock(mutex_);
        auto& rec = records_[a.task_id];
        rec.failure = refused->cause;
        rec.failure_message = refused->message;
    }
    return refused;
}

void WorkerAgent::follow(Replicate& r) {
    switch (r.next) {
        case Action::kContribute: contribute(r, false); break;
        case Action::kContributeAndFinalize: contribute(r, true); break;
        case Action::kAbort: abort(r); break;
        case Action::kComplete: complete(r); break;
        default: break;
    }
}

void WorkerAgent::contribute(Replicate& r, bool finalize) {
    if (!r.result) {
        StatusDetails d;
        d.cause = WireCause::kUnknown;
        d.message = "the result is not on disk any more";
        report(r, finalize ? ReplicateStatus::kContributeAndFinalizeFailed : ReplicateStatus::kContributeFailed, d);
        abort(r);
        return;
    }
    const ReplicateResult& res = *r.result;
    if (auto refused = check_authorization(r)) {
        // A recovered replicate carries a fresh authorization: checked again before anything is sent.
        StatusDetails d;
        d.cause = refused->cause;
        d.message = clip(refused->message);
        report(r, finalize ? ReplicateStatus::kContributeAndFinalizeFailed : ReplicateStatus::kContributeFailed, d);
        abort(r);
        return;
    }
    if (auto stake = chain_.check_stake(r.a); !stake) {
        spdlog::error("task {}: {}", short_id(r.a.task_id), stake.error().message);
        StatusDetails d;
        d.cause = stake.error().cause;
        d.message = clip(stake.error().message);
        {
            std::lock_guard lock(mutex_);
            records_[r.a.task_id].failure = stake.error().cause;
            records_[r.a.task_id].failure_message = stake.error().message;
        }
        report(r, finalize ? ReplicateStatus::kContributeAndFinalizeFailed : ReplicateStatus::kContributeFailed, d);
        abort(r);
        return;
    }
    if (finalize) {
        if (!report(r, ReplicateStatus::kContributeAndFinalizeOngoing)) return abort(r);
        // TEE at trust 1: no reveal and no PLEASE_UPLOAD; the result goes to the core's result store first (checked
        // there against the digest reported with COMPUTED) and its link goes on chain with the contribution. A
        // callback deal has no archive to serve: its callback data goes on chain instead.
        std::string link;
        if (!res.callback_data) {
            std::ifstream f(res.zip_path, std::ios::binary);
            std::stringstream ss;
            ss << f.rdbuf();
            auto uploaded = f ? session_.upload_result(session_.result_upload_url(r.a.task_id), ss.str())
                              : Result<std::string>(make_error(Errc::kIo, "cannot read " + res.zip_path.string()));
            if (!uploaded) {
                spdlog::error("task {}: result upload before contributeAndFinalize: {}", short_id(r.a.task_id),
                              uploaded.error().message);
                StatusDetails d;
                d.cause = WireCause::kUploadFailed;
                d.message = clip("result upload: " + uploaded.error().message);
                report(r, ReplicateStatus::kContributeAndFinalizeFailed, d);
                return follow(r);
            }
            link = *uploaded;
        }
        auto tx = chain_.contribute_and_finalize(r.a, res, link);
        StatusDetails d;
        if (!tx) {
            d.cause = tx.error().cause;
            d.message = clip(tx.error().message);
            report(r, ReplicateStatus::kContributeAndFinalizeFailed, d);
            return follow(r);
        }
        d.result_digest = res.digest;
        d.result_hash = res.result_hash;
        d.result_seal = res.result_seal;
        if (!tx->tx_hash.is_zero()) d.tx_hash = tx->tx_hash;
        if (tx->block_number != 0) d.block_number = tx->block_number;
        if (res.callback_data) {
            d.callback_data = res.callback_data;
        } else {
            d.result_link = link;
        }
        d.enclave_signature = res.enclave_signature;
        report(r, ReplicateStatus::kContributeAndFinalizeDone, d);
        return follow(r);
    }
    if (!report(r, ReplicateStatus::kContributing)) return abort(r);
    ReplicateResult faulty;
    if (options_.faults.wrong_result) {
        faulty = res;
        faulty.digest = keccak256(res.digest.view());
        const auto h = make_contribution(session_.address(), r.a.task_id, faulty.digest);
        faulty.result_hash = h.result_hash;
        faulty.result_seal = h.result_seal;
        spdlog::warn("task {}: FAULT INJECTION (testing.faults.wrongResult): contributing digest {} instead of {}",
                     short_id(r.a.task_id), to_hex(faulty.digest.view()), to_hex(res.digest.view()));
    }
    const ReplicateResult& sent = options_.faults.wrong_result ? faulty : res;
    auto tx = chain_.contribute(r.a, sent);
    StatusDetails d;
    if (!tx) {
        spdlog::error("task {}: contribute: {}", short_id(r.a.task_id), tx.error().message);
        d.cause = tx.error().cause;
        d.message = clip(tx.error().message);
        report(r, ReplicateStatus::kContributeFailed, d);
        return follow(r);
    }
    d.result_digest = sent.digest;
    d.result_hash = sent.result_hash;
    d.result_seal = sent.result_seal;
    if (!tx->tx_hash.is_zero()) d.tx_hash = tx->tx_hash;
    if (tx->block_number != 0) d.block_number = tx->block_number;
    if (res.enclave_signature) d.enclave_signature = res.enclave_signature;
    report(r, ReplicateStatus::kContributed, d);
    follow(r);
}

void WorkerAgent::reveal(Replicate& r) {
    if (!r.result) return abort(r);
    if (options_.faults.skip_reveal) {
        spdlog::warn("task {}: FAULT INJECTION (testing.faults.skipReveal): PLEASE_REVEAL ignored",
                     short_id(r.a.task_id));
        return;
    }
    if (!report(r, ReplicateStatus::kRevealing)) return abort(r);
    auto tx = chain_.reveal(r.a.task_id, r.result->digest);
    StatusDetails d;
    if (!tx) {
        d.cause = tx.error().cause;
        d.message = clip(tx.error().message);
        report(r, ReplicateStatus::kRevealFailed, d);
        return follow(r);
    }
    if (!tx->tx_hash.is_zero()) d.tx_hash = tx->tx_hash;
    if (tx->block_number != 0) d.block_number = tx->block_number;
    report(r, ReplicateStatus::kRevealed, d);
    follow(r);
}

void WorkerAgent::upload(Replicate& r, const std::string& url) {
    if (!r.result) return abort(r);
    if (!report(r, ReplicateStatus::kResultUploading)) return abort(r);
    if (r.result->callback_data) {
        // A callback task's result is its callback data (its digest is keccak256 of it, not a file's): finalize
        // delivers it on chain, so it is what the scheduler needs, and the archive is not uploaded.
        StatusDetails d;
        d.callback_data = r.result->callback_data;
        report(r, ReplicateStatus::kResultUploaded, d);
        return follow(r);
    }
    std::ifstream f(r.result->zip_path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    StatusDetails d;
    auto link = f ? session_.upload_result(url, ss.str())
                  : Result<std::string>(make_error(Errc::kIo, "cannot read " + r.result->zip_path.string()));
    if (!link) {
        spdlog::error("task {}: result upload: {}", short_id(r.a.task_id), link.error().message);
        d.cause = WireCause::kUploadFailed;
        d.message = clip(link.error().message);
        report(r, ReplicateStatus::kResultUploadFailed, d);
        return follow(r);
    }
    d.result_link = *link;
    report(r, ReplicateStatus::kResultUploaded, d);
    follow(r);
}

void WorkerAgent::abort(Replicate& r) {
    if (r.done) return;
    if (halted_.load()) {
        r.done = true;
        return;
    }
    r.cancel = true;
    StatusDetails d;
    std::string why;
    if (r.abort_cause) why = std::string("aborted: ") + std::string(workerapi::to_string(*r.abort_cause));
    {
        // The worker's own reason (a refused authorization, too little stake) stays visible on the last status.
        std::lock_guard lock(mutex_);
        const std::string& failure = records_[r.a.task_id].failure_message;
        if (!failure.empty()) why += (why.empty() ? "" : "; ") + failure;
    }
    if (!why.empty()) d.message = clip(why);
    (void)session_.report(r.a.task_id, workerapi::StatusUpdate{ReplicateStatus::kAborted, d});
    {
        std::lock_guard lock(mutex_);
        records_[r.a.task_id].last_status = ReplicateStatus::kAborted;
    }
    (void)runner_.cleanup(r.a.task_id);
    r.done = true;
}

void WorkerAgent::complete(Replicate& r) {
    if (halted_.load()) {
        r.done = true;
        return;
    }
    report(r, ReplicateStatus::kCompleting);
    report(r, ReplicateStatus::kCompleted);
    (void)runner_.cleanup(r.a.task_id);
    r.done = true;
}

bool WorkerAgent::load_result_from_disk(Replicate& r) {
    const fs::path output = runner_.task_dir(r.a.task_id) / "output";
    std::error_code ec;
    if (!fs::is_regular_file(output / "iexec_out.zip", ec)) return false;
    // computed.json in iexec_out names the deterministic output (or the error result): the digest is recomputed
    // from the files on disk, so a restart contributes exactly what was computed.
    auto c = collect_result(output / "iexec_out", !r.a.callback.is_zero(), std::nullopt);
    if (!c) return false;
    ReplicateResult res;
    res.digest = c->digest;
    res.callback_data = c->callback_data;
    res.zip_path = output / "iexec_out.zip";
    res.computed_json_path = output / "computed.json";
    const auto h = make_contribution(session_.address(), r.a.task_id, res.digest);
    res.result_hash = h.result_hash;
    res.result_seal = h.result_seal;
    res.tee = tee_framework(r.a.tag);
    if (res.tee != TeeFramework::kNone) {
        auto e = enclave_of(r.a);
        if (!e) return false;  // no usable enclave key: the result cannot be signed (abandoned)
        res.enclave_challenge = e->challenge();
        res.enclave_signature = e->sign_result(res.result_hash, res.result_seal);
    }
    r.result = std::move(res);
    std::lock_guard lock(mutex_);
    records_[r.a.task_id].digest = r.result->digest;
    return true;
}

Result<SimulatedEnclave> WorkerAgent::enclave_of(const workerapi::Assignment& a) const {
    if (options_.enclave_for) {
        if (auto e = options_.enclave_for(a)) return std::move(*e);
        return make_error(Errc::kInvalidArgument, "tee-simulation: no enclave key for challenge " +
                                                      a.authorization.enclave_challenge.to_checksum());
    }
    return enclave_from_assignment(a);
}

void WorkerAgent::send_heartbeat() {
    workerapi::Heartbeat hb;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, r] : replicates_) {
            if (!r->done) hb.running.push_back(id);
        }
    }
    auto a = session_.heartbeat(hb);
    if (!a) {
        spdlog::warn("heartbeat: {}", a.error().message);
        return;
    }
    if (a->next_seconds > 0) heartbeat_seconds_ = static_cast<std::int64_t>(a->next_seconds);
    if (a->reregister) {
        spdlog::warn("the scheduler does not know this worker any more: registering again");
        (void)session_.register_worker(options_.registration);
    }
}

void WorkerAgent::reap() {
    std::vector<std::shared_ptr<Replicate>> ended;
    {
        std::lock_guard lock(mutex_);
        for (auto it = replicates_.begin(); it != replicates_.end();) {
            if (it->second->done) {
                ended.push_back(it->second);
                it = replicates_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& r : ended) {
        if (r->thread.joinable()) r->thread.join();
    }
}

std::size_t WorkerAgent::active() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [id, r] : replicates_) {
        if (!r->done) ++n;
    }
    return n;
}

std::map<Bytes32, ReplicateRecord> WorkerAgent::records() const {
    std::lock_guard lock(mutex_);
    return records_;
}

void WorkerAgent::stop(bool drain) {
    if (drain) {
        draining_ = true;
        drain_deadline_ = clock_.now() + options_.drain_timeout;
    } else {
        draining_ = false;
    }
    stopping_ = true;
    if (!drain) {
        std::lock_guard lock(mutex_);
        for (auto& [id, r] : replicates_) r->cancel = true;
        session_.interrupt();
    }
}

void WorkerAgent::halt() {
    halted_ = true;
    stopping_ = true;
    draining_ = false;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, r] : replicates_) {
            r->cancel = true;
            r->cv.notify_all();
        }
    }
    session_.interrupt();
}

void WorkerAgent::run() {
    // Heartbeats on their own thread: a long-poll may hold the main loop longer than the heartbeat period.
    std::atomic<bool> quit{false};
    std::thread heartbeats([&] {
        auto next_heartbeat = clock_.now();
        while (!quit.load()) {
            if (clock_.now() >= next_heartbeat) {
                send_heartbeat();
                next_heartbeat = clock_.now() + std::chrono::seconds(heartbeat_seconds_.load());
            }
            clock_.sleep_for(std::chrono::milliseconds(100));
        }
    });
    while (true) {
        reap();
        if (stopping_.load()) {
            if (active() == 0) break;
            if (draining_.load() && clock_.now() >= drain_deadline_) {
                spdlog::warn("drain timeout: handing back {} replicate(s)", active());
                stop(false);
            }
        }
        if (stopping_.load() && !draining_.load()) {
            clock_.sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        auto batch = session_.next_notifications();
        if (!batch) {
            spdlog::warn("notifications: {}", batch.error().message);
            clock_.sleep_for(std::chrono::seconds(1));
            continue;
        }
        for (const auto& n : *batch) {
            dispatch(n);
            session_.acknowledge(n.seq);
        }
    }
    quit = true;
    heartbeats.join();
    reap();
}

}  // namespace wp::worker
