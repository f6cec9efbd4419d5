#include "planner.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include <wp/protocol/consensus.hpp>
#include <wp/protocol/tag.hpp>

namespace wp::scheduler {
namespace {

std::vector<ReplicateView> views_of(const std::vector<ReplicaSnapshot>& replicas, std::int64_t now_s,
                                    std::int64_t period_s) {
    std::vector<ReplicateView> out;
    out.reserve(replicas.size());
    for (const auto& r : replicas) {
        ReplicateView v;
        v.worker_weight = worker_weight(r.score);
        switch (r.state) {
            case ReplicaSnapshot::State::kPending:
                v.state = ReplicateView::State::kPending;
                v.created_within_one_period = now_s - r.created_unix_s < period_s;
                break;
            case ReplicaSnapshot::State::kContributed:
                v.state = ReplicateView::State::kContributed;
                v.result_hash = r.result_hash;
                break;
            case ReplicaSnapshot::State::kGone: v.state = ReplicateView::State::kFailed; break;
        }
        out.push_back(v);
    }
    return out;
}

bool has_framework(const WorkerSnapshot& w, workerapi::TeeFramework f) {
    return std::find(w.tee_frameworks.begin(), w.tee_frameworks.end(), f) != w.tee_frameworks.end();
}

bool participates(const TaskSnapshot& t, const Address& worker) {
    return std::any_of(t.replicas.begin(), t.replicas.end(), [&](const auto& r) { return r.worker == worker; });
}

}  // namespace

Result<ReplicationPlan> plan_replication(std::uint64_t trust, const std::vector<ReplicaSnapshot>& replicas,
                                         std::int64_t now_unix_s, std::int64_t period_s, const U256& candidate_score) {
    const U256 t(std::max<std::uint64_t>(trust, 1));
    std::vector<ReplicateView> views = views_of(replicas, now_unix_s, period_s);
    WP_TRY(ReplicationPrediction p, predict_replication(views, t));
    ReplicationPlan plan;
    if (!p.needs_more) return plan;
    plan.needs_more = true;
    ReplicateView candidate;
    candidate.state = ReplicateView::State::kPending;
    candidate.worker_weight = worker_weight(candidate_score);
    candidate.created_within_one_period = true;
    while (plan.more < kMaxReplicatesPerTask) {
        views.push_back(candidate);
        ++plan.more;
        WP_TRY(ReplicationPrediction next, predict_replication(views, t));
        if (!next.needs_more) break;
    }
    return plan;
}

std::string_view to_string(FilterReason r) noexcept {
    switch (r) {
        case FilterReason::kNotAlive: return "not alive";
        case FilterReason::kNoFreeSlot: return "no free slot";
        case FilterReason::kAlreadyParticipating: return "already participating";
        case FilterReason::kMissingTeeFramework: return "missing TEE framework";
        case FilterReason::kMissingGpu: return "missing GPU";
        case FilterReason::kCategoryTooLong: return "category longer than the worker's max task time";
        case FilterReason::kTooLateToFinish: return "cannot finish before the contribution deadline";
    }
    return "invalid";
}

std::optional<FilterReason> filter(const TaskSnapshot& task, const WorkerSnapshot& worker, std::int64_t now_unix_s) {
    if (!worker.alive) return FilterReason::kNotAlive;
    if (worker.free_slots == 0) return FilterReason::kNoFreeSlot;
    if (participates(task, worker.address)) return FilterReason::kAlreadyParticipating;
    if (tag_has_bit(task.tag, kTagBitTee)) {
        const bool scone = tag_has_bit(task.tag, kTagBitScone);
        const bool gramine = tag_has_bit(task.tag, kTagBitGramine);
        const bool tdx = tag_has_bit(task.tag, kTagBitTdx);
        if ((scone && !has_framework(worker, workerapi::TeeFramework::kScone)) ||
            (gramine && !has_framework(worker, workerapi::TeeFramework::kGramine)) ||
            (tdx && !has_framework(worker, workerapi::TeeFramework::kTdx)) ||
            (!scone && !gramine && !tdx && worker.tee_frameworks.empty()))
            return FilterReason::kMissingTeeFramework;
    }
    if (tag_has_bit(task.tag, kTagBitGpu) && !worker.gpu) return FilterReason::kMissingGpu;
    if (worker.max_task_seconds != 0 && task.category_seconds > worker.max_task_seconds)
        return FilterReason::kCategoryTooLong;
    // The app needs up to one category period; starting later would miss the contribution deadline.
    if (now_unix_s + static_cast<std::int64_t>(std::min<std::uint64_t>(task.category_seconds, 1ull << 40)) >
        task.contribution_deadline_s)
        return FilterReason::kTooLateToFinish;
    return std::nullopt;
}

unsigned score(const TaskSnapshot& task, const WorkerSnapshot& worker) {
    // Weight part (0..80): log2 of the worker weight, capped (w = 2 for scores < 12, doubling every ~3x score).
    const unsigned log_w = std::min(log2_floor(worker_weight(worker.score)), 16u);  // 1..16
    const unsigned weight_part = (log_w - 1) * 80 / 15;                             // 0..80
    const unsigned weight = task.trust > 1 ? weight_part : 80 - weight_part;
    // Load part (0..20): free slots, capped.
    const unsigned load = std::min<std::uint32_t>(worker.free_slots, 20);
    return weight + load;
}

Result<AssignmentResult> assign(std::vector<TaskSnapshot> tasks, std::vector<WorkerSnapshot> workers,
                                std::int64_t now_unix_s, std::size_t max_bindings) {
    AssignmentResult out;
    std::vector<std::size_t> order(tasks.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const auto& x = tasks[a];
        const auto& y = tasks[b];
        if (x.contribution_deadline_s != y.contribution_deadline_s)
            return x.contribution_deadline_s < y.contribution_deadline_s;
        if (x.deal_id != y.deal_id) return x.deal_id < y.deal_id;
        return x.index < y.index;
    });
    for (std::size_t ti : order) {
        TaskSnapshot& task = tasks[ti];
        for (;;) {
            if (out.bindings.size() >= max_bindings) return out;
            // The prediction does not depend on the candidate: does the task need one more replicate at all?
            WP_TRY(ReplicationPlan plan, plan_replication(task.trust, task.replicas, now_unix_s,
                                                          static_cast<std::int64_t>(task.category_seconds), U256(0)));
            if (!plan.needs_more) break;
            // Filter and score every worker.
            std::optional<std::size_t> best;
            unsigned best_score = 0;
            for (std::size_t wi = 0; wi < workers.size(); ++wi) {
                if (auto reason = filter(task, workers[wi], now_unix_s)) {
                    ++out.rejections[static_cast<std::size_t>(*reason)];
                    continue;
                }
                const unsigned s = score(task, workers[wi]);
                if (!best || s > best_score ||
                    (s == best_score && workers[wi].address.bytes() < workers[*best].address.bytes())) {
                    best = wi;
                    best_score = s;
                }
            }
            if (!best) break;
            // Reserve in the snapshots.
            WorkerSnapshot& w = workers[*best];
            --w.free_slots;
            task.replicas.push_back(
                ReplicaSnapshot{w.address, ReplicaSnapshot::State::kPending, Bytes32{}, w.score, now_unix_s});
            out.bindings.push_back(Binding{ti, *best});
        }
    }
    return out;
}

// ---- Initialization look-ahead ------------------------------------------------------------------------------------

std::string_view to_string(InitMode m) noexcept {
    switch (m) {
        case InitMode::kLazy: return "lazy";
        case InitMode::kEager: return "eager";
        case InitMode::kAhead: return "ahead";
    }
    return "?";
}

Result<InitMode> parse_init_mode(std::string_view text) {
    for (InitMode m : {InitMode::kLazy, InitMode::kEager, InitMode::kAhead})
        if (to_string(m) == text) return m;
    return make_error(Errc::kInvalidArgument,
                      "init mode: \"" + std::string(text) + "\" is not one of lazy, eager, ahead");
}

namespace {

std::size_t ahead_of(const InitLoad& load) {
    if (load.total_slots == 0) return 0;
    double ahead = static_cast<double>(load.total_slots);
    if (load.slot_seconds > 0 && load.horizon_seconds > 0)
        ahead = std::ceil(static_cast<double>(load.total_slots) * load.horizon_seconds / load.slot_seconds);
    if (!(ahead < static_cast<double>(load.max_ahead))) return load.max_ahead;
    return static_cast<std::size_t>(ahead);
}

}  // namespace

std::size_t initialize_budget(InitMode mode, const InitLoad& load, std::size_t limit) {
    switch (mode) {
        case InitMode::kEager: return limit;
        case InitMode::kLazy:
            return std::min(limit, load.free_slots > load.waiting ? load.free_slots - load.waiting : 0);
        case InitMode::kAhead: {
            const std::size_t ahead = ahead_of(load);
            const std::size_t low = load.free_slots + (ahead + 1) / 2;
            if (load.waiting > low) return 0;
            const std::size_t target = load.free_slots + ahead;
            return std::min(limit, target > load.waiting ? target - load.waiting : 0);
        }
    }
    return 0;
}

bool initialize_reachable(const InitLoad& load, std::size_t position, double seconds_left) {
    if (!(seconds_left > 0)) return false;
    if (load.slot_seconds <= 0 || load.total_slots == 0) return true;
    const double queued = position > load.free_slots ? static_cast<double>(position - load.free_slots) : 0.0;
    const double start = queued / static_cast<double>(load.total_slots) * load.slot_seconds;
    return start + load.slot_seconds <= seconds_left;
}

}  // namespace wp::scheduler
