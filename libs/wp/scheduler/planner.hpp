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

// ---- Initialization look-ahead
// --------------------------------------------------------------------------------------
//
// How many RECEIVED tasks to initialize now (TaskIntents::initialize_ready, core.init.mode):
//  - lazy:  free − waiting — only the slots free right now; a task then waits for its initialize with its slot idle;
//  - eager: every task (bounded by the caller's round limit);
//  - ahead: the slots free now plus what every alive slot will take within the horizon:
//             ahead  = min(max_ahead, ⌈total_slots × horizon / slot_time⌉)   (slot_time unmeasured: ahead = total)
//             target = free + ahead
//           refilled up to the target only once waiting has fallen to free + ⌈ahead / 2⌉ or below (so that the
//           initializes go out in batches of about ahead / 2, not one small initializeArray per freed slot).
// slot_time is the measured mean time a replicate holds its slot (assignment → COMPUTED or a failure), "waiting" the
// tasks already INITIALIZING or INITIALIZED (they take the free slots first).

enum class InitMode : std::uint8_t { kLazy, kEager, kAhead };
std::string_view to_string(InitMode m) noexcept;
//! "lazy", "eager", "ahead"; Errc::kInvalidArgument naming the value otherwise.
Result<InitMode> parse_init_mode(std::string_view text);

struct InitLoad {
    std::size_t free_slots{0};   //!< Σ free CPU slots of the alive workers
    std::size_t total_slots{0};  //!< Σ CPU slots of the alive workers
    std::size_t waiting{0};      //!< tasks INITIALIZING or INITIALIZED
    double slot_seconds{0};      //!< measured mean slot hold time (≤ 0: not measured yet)
    double horizon_seconds{5};   //!< kAhead: initialize what the slots take within this time
    std::size_t max_ahead{256};  //!< kAhead: at most this many tasks beyond the free slots
};

//! The number of RECEIVED tasks to initialize now under `mode` (kEager: `limit`); never more than `limit`.
std::size_t initialize_budget(InitMode mode, const InitLoad& load, std::size_t limit);

//! kAhead's deadline bound: the task initialized at queue position `position` (0-based, counting the waiting tasks)
//! gets a slot after about max(0, position − free) / total × slot_time and holds it slot_time: it is initialized
//! only if that ends before its contribution deadline, `seconds_left` from now (PoCo takes no contribution after it).
//! Without a measured slot time or alive slots: seconds_left > 0.
bool initialize_reachable(const InitLoad& load, std::size_t position, double seconds_left);

}  // namespace wp::scheduler
