#pragma once
// The replication planner and the assignment cycle (docs/scheduler.md), pure functions over snapshots.
//
// Replication (how many replicates a task still needs): the PoCo consensus condition with the contributors' on-chain
// scores (protocol/consensus.hpp). A replicate counts as
//  - contributed: its result hash joins its group (weight w = worker_weight(score));
//  - pending: created less than one category period ago and neither contributed nor failed; it is assumed to join
//    the best group (the reference's prediction, scheduler-worker.md §5.1);
//  - nothing: failed, aborted, lost, or pending for longer than one category period (a slow replicate): that is how
//    a slow or lost worker gets replaced before the contribution deadline.
// plan_replication() says whether one more replicate is needed and how many more, assuming the candidates' scores.
//
// Assignment, after the Kubernetes scheduler framework (daemon-style.md D1): for each schedulable task, earliest
// contribution deadline first, while the task needs replicates:
//   filter  — the worker is alive, has a free slot, has no replicate of this task, can run the tag (TEE framework
//             bits 1..3 need the framework, the TEE bit alone any framework; GPU bit 8 needs a GPU), its max task
//             time covers the category time, and the task can still finish before its contribution deadline;
//   score   — 0..100 per worker: for trust > 1, the worker's weight (a heavier worker reaches consensus with fewer
//             replicates); for trust ≤ 1, the lightest sufficient worker (keep heavy workers for replicated tasks);
//             then free slots (spread the load); ties by address;
//   reserve — the chosen worker's free slot is taken in the snapshot and a pending replicate is added to the task, so
//             the next decision sees it (the store then inserts the row with a compare-and-set on the slot count);
//   bind    — left to the caller: sign the WorkerpoolAuthorization and notify the worker, outside any lock.
// Every rejected (task, worker) pair gets a typed reason (FilterReason) for the logs and the metrics.
//
// Thread safety: pure functions.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/workerapi/messages.hpp>

namespace wp::scheduler {

// ---- Replication
// ------------------------------------------------------------------------------------------------------

struct ReplicaSnapshot {
    enum class State : std::uint8_t { kPending, kContributed, kGone };
    Address worker;
    State state{State::kPending};
    Bytes32 result_hash;  //!< kContributed
    U256 score;           //!< the worker's on-chain score when the replicate was created
    std::int64_t created_unix_s{0};
};

struct ReplicationPlan {
    bool needs_more{false};
    //! Replicates still to create if every new one came from a worker of the candidate score (0 when !needs_more;
    //! capped at kMaxReplicatesPerTask).
    std::uint64_t more{0};
};

inline constexpr std::uint64_t kMaxReplicatesPerTask = 64;

//! trust is the deal's trust (0 counts as 1); period_s the category time (a pending replicate older than that stops
//! counting). Errors: Errc::kOverflow from the consensus arithmetic (absurd scores).
Result<ReplicationPlan> plan_replication(std::uint64_t trust, const std::vector<ReplicaSnapshot>& replicas,
                                         std::int64_t now_unix_s, std::int64_t period_s, const U256& candidate_score);

// ---- Assignment
// -------------------------------------------------------------------------------------------------------

struct WorkerSnapshot {
    Address address;
    bool alive{true};
    std::uint32_t free_slots{0};
    bool gpu{false};
    std::vector<workerapi::TeeFramework> tee_frameworks;
    std::uint64_t max_task_seconds{0};  //!< 0: no limit
    U256 score;                         //!< on-chain score (0 for a new worker)
};

struct TaskSnapshot {
    Bytes32 deal_id;
    std::uint64_t index{0};
    Bytes32 tag;
    std::uint64_t trust{1};
    std::uint64_t category_seconds{0};
    std::int64_t contribution_deadline_s{0};
    std::vector<ReplicaSnapshot> replicas;
};

enum class FilterReason : std::uint8_t {
    kNotAlive,
    kNoFreeSlot,
    kAlreadyParticipating,
    kMissingTeeFramework,
    kMissingGpu,
    kCategoryTooLong,
    kTooLateToFinish,
};
std::string_view to_string(FilterReason r) noexcept;

//! The filter step for one pair: nullopt when the worker can take the task.
std::optional<FilterReason> filter(const TaskSnapshot& task, const WorkerSnapshot& worker, std::int64_t now_unix_s);
//! The score step for one pair that passed the filter: 0..100.
unsigned score(const TaskSnapshot& task, const WorkerSnapshot& worker);

struct Binding {
    std::size_t task;    //!< index into the tasks given to assign()
    std::size_t worker;  //!< index into the workers given to assign()
};

struct AssignmentResult {
    std::vector<Binding> bindings;  //!< in decision order
    //! Counts of rejections by reason (index = FilterReason).
    std::vector<std::uint64_t> rejections = std::vector<std::uint64_t>(7, 0);
};

//! One assignment cycle: tasks in order of contribution deadline (ties: deal id, index), each filled while
//! plan_replication says it needs more and some worker passes the filter. `tasks` and `workers` are copied
//! internally (reservations are made on the copies). At most `max_bindings` bindings.
Result<AssignmentResult> assign(std::vector<TaskSnapshot> tasks, std::vector<WorkerSnapshot> workers,
                                std::int64_t now_unix_s, std::size_t max_bindings = 10'000);

}  // namespace wp::scheduler
