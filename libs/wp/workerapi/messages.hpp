#pragma once
// The scheduler <-> worker protocol, version 1 (docs/worker_protocol.md): the wire types and their strict JSON codecs.
// Shared by the core scheduler (libs/wp/scheduler) and the worker (libs/wp/worker); nothing scheduler-specific here.
//
// Encoding rules (every message):
//  - JSON objects with camelCase keys; an unknown key, a missing required key or a value of the wrong JSON type is an
//    error naming the key ("assignment.app.checksum: expected a string"). Optional keys may be absent; `null` is
//    never accepted for them (one encoding per value).
//  - Addresses: "0x" + 40 hex digits (EIP-55 checked when mixed case; encoded EIP-55); bytes32: "0x" + 64 lowercase
//    or uppercase hex digits (encoded lowercase); byte strings: "0x" + even hex; unsigned integers: JSON numbers in
//    [0, 2^53 - 1] (exact in every JSON reader; bigger on-chain values are never sent here); times: Unix seconds.
//  - Enumerations are their upper-case names ("COMPUTED", "PLEASE_CONTRIBUTE"); the numbers in the enums below are
//    persisted by the scheduler and never renumbered.
//  - Strings are bounded (kMaxTextBytes unless stated) and lists are bounded (kMaxListItems).
// Texts must be parsed into a boost::json::value by a strict parser first (net::parse_json_strict: duplicate keys,
// depth, size), then decoded here.
//
// Thread safety: pure functions and plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::workerapi {

//! The protocol version; routes live under kPathPrefix.
inline constexpr unsigned kVersion = 1;
inline constexpr std::string_view kPathPrefix = "/api/v1";
//! The audience of the bearer tokens issued to workers.
inline constexpr std::string_view kTokenAudience = "iexec-core-worker-v1";
//! The EIP-712 domain name of the login challenge (service::challenge_domain(kLoginDomainName, chainId)).
inline constexpr std::string_view kLoginDomainName = "iExec Core Scheduler";

inline constexpr std::size_t kMaxTextBytes = 4096;
inline constexpr std::size_t kMaxListItems = 256;
inline constexpr std::uint64_t kMaxJsonInteger = (std::uint64_t{1} << 53) - 1;

// ---- Enumerations ---------------------------------------------------------------------------------------------------

//! TEE frameworks a worker can run (tag bits 1 scone, 2 gramine, 3 tdx).
enum class TeeFramework : std::uint8_t { kScone = 1, kGramine = 2, kTdx = 3 };

//! Replicate statuses (scheduler-worker.md §4), values persisted by the scheduler.
enum class ReplicateStatus : std::uint8_t {
    kCreated = 0,
    kStarting = 1,
    kStartFailed = 2,
    kStarted = 3,
    kAppDownloading = 4,
    kAppDownloadFailed = 5,
    kAppDownloaded = 6,
    kDataDownloading = 7,
    kDataDownloadFailed = 8,
    kDataDownloaded = 9,
    kComputing = 10,
    kComputeFailed = 11,
    kComputed = 12,
    kContributing = 13,
    kContributeFailed = 14,
    kContributed = 15,
    kRevealing = 16,
    kRevealFailed = 17,
    kRevealed = 18,
    kResultUploadRequested = 19,
    kResultUploading = 20,
    kResultUploadFailed = 21,
    kResultUploaded = 22,
    kContributeAndFinalizeOngoing = 23,
    kContributeAndFinalizeFailed = 24,
    kContributeAndFinalizeDone = 25,
    kCompleting = 26,
    kCompleteFailed = 27,
    kCompleted = 28,
    kFailed = 29,
    kAborted = 30,
    kRecovering = 31,
    kWorkerLost = 32,
};
inline constexpr std::uint8_t kReplicateStatusCount = 33;

//! What the scheduler asks the worker to do next (the reference's TaskNotificationType).
enum class Action : std::uint8_t {
    kContinue = 0,  //!< keep doing what you do (answer to an "-ING" status)
    kWait = 1,      //!< nothing to do until the next notification
    kStart = 2,
    kDownloadApp = 3,
    kDownloadData = 4,
    kCompute = 5,
    kContribute = 6,
    kContributeAndFinalize = 7,
    kReveal = 8,
    kUpload = 9,
    kComplete = 10,  //!< the task is over for you: clean up
    kAbort = 11,     //!< stop, clean up and report ABORTED (see AbortCause)
};

enum class AbortCause : std::uint8_t {
    kUnknown = 0,
    kContributionTimeout = 1,  //!< the contribution deadline passed
    kConsensusReached = 2,     //!< consensus was reached without (or against) your contribution
    kFinalDeadline = 3,        //!< the task's final deadline passed
    kTaskFailed = 4,           //!< the task failed for another reason
    kReplaced = 5,             //!< you were lost and the replicate went to another worker
    kRefused = 6,              //!< your status update broke the replicate state machine
};

//! Why a step failed (details.cause of a *_FAILED status).
enum class FailureCause : std::uint8_t {
    kUnknown = 0,
    kAppImageDownloadFailed = 1,
    kDatasetFileDownloadFailed = 2,
    kDatasetFileBadChecksum = 3,
    kInputFilesDownloadFailed = 4,
    kAppComputeFailed = 5,
    kComputeTimeout = 6,
    kDeterminismHashNotFound = 7,
    kResultTooLarge = 8,
    kStakeTooLow = 9,
    kChainUnreachable = 10,
    kTaskNotActive = 11,
    kContributionDeadlineReached = 12,
    kAlreadyContributed = 13,
    kTransactionFailed = 14,
    kTeeFailed = 15,
    kUploadFailed = 16,
    kAbortedByScheduler = 17,
};

std::string_view to_string(TeeFramework v) noexcept;
std::string_view to_string(ReplicateStatus v) noexcept;
std::string_view to_string(Action v) noexcept;
std::string_view to_string(AbortCause v) noexcept;
std::string_view to_string(FailureCause v) noexcept;
//! Name → value; an unknown name is Errc::kInvalidArgument ("unknown replicate status \"X\"").
Result<TeeFramework> parse_tee_framework(std::string_view s);
Result<ReplicateStatus> parse_replicate_status(std::string_view s);
Result<Action> parse_action(std::string_view s);
Result<AbortCause> parse_abort_cause(std::string_view s);
Result<FailureCause> parse_failure_cause(std::string_view s);
//! A persisted number back to the enum; out of range → Errc::kDecoding.
Result<ReplicateStatus> replicate_status_from_int(std::int64_t v);

// ---- Login ----------------------------------------------------------------------------------------------------------
// GET  /api/v1/login/challenge?address=0x…  → LoginChallenge (EIP-712 typed data of service/challenge.hpp)
// POST /api/v1/login  (Authorization: <hash>_<signature>_<address>) → LoginAnswer

struct LoginChallenge {
    //! The typed-data document {types, domain, primaryType, message} the worker signs with eth_signTypedData_v4.
    boost::json::object typed_data;
    friend bool operator==(const LoginChallenge&, const LoginChallenge&) = default;
};

struct LoginAnswer {
    std::string token;            //!< bearer token (service/token.hpp format), ≤ 256 characters
    std::uint64_t expires_at{0};  //!< Unix seconds
    Address worker;               //!< the logged-in wallet
    friend bool operator==(const LoginAnswer&, const LoginAnswer&) = default;
};

// ---- Registration and heartbeat
// --------------------------------------------------------------------------------------- POST /api/v1/register
// (Bearer) WorkerRegistration → RegistrationAnswer POST /api/v1/heartbeat (Bearer) Heartbeat → HeartbeatAnswer

struct WorkerRegistration {
    std::string name;                          //!< 1..64 printable ASCII characters
    std::string version;                       //!< worker software version, 1..64 printable ASCII characters
    std::uint32_t cpu_slots{1};                //!< tasks run at once, 1..1024
    std::uint64_t memory_mb{0};                //!< memory for apps (0: unknown)
    bool gpu{false};                           //!< can run GPU-tagged tasks
    std::vector<TeeFramework> tee_frameworks;  //!< sorted, no duplicates
    std::uint64_t max_task_seconds{0};         //!< longest category time the worker accepts (0: no limit)
    friend bool operator==(const WorkerRegistration&, const WorkerRegistration&) = default;
};

struct RegistrationAnswer {
    Address workerpool;                   //!< the pool the scheduler serves
    std::uint64_t chain_id{0};            //!< the chain it runs on
    std::uint64_t heartbeat_seconds{0};   //!< send a heartbeat at least this often
    std::uint64_t lost_after_seconds{0};  //!< silent longer than this: lost, replicates re-assigned
    friend bool operator==(const RegistrationAnswer&, const RegistrationAnswer&) = default;
};

struct Heartbeat {
    std::vector<Bytes32> running;  //!< task ids the worker is working on now (for the scheduler's reconciliation)
    friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

struct HeartbeatAnswer {
    std::uint64_t next_seconds{0};  //!< when to send the next heartbeat at the latest
    //! true: the scheduler does not know this worker (restarted from an empty database, or lost it): register again
    //! and call recovery.
    bool reregister{false};
    friend bool operator==(const HeartbeatAnswer&, const HeartbeatAnswer&) = default;
};

// ---- Assignment -----------------------------------------------------------------------------------------------------

struct WorkerpoolAuthorization {
    Address worker;
    Bytes32 task_id;
    Address enclave_challenge;  //!< zero for standard tasks
    Bytes signature;  //!< 65 bytes r ‖ s ‖ v: EIP-191 of keccak256(worker ‖ taskid ‖ enclave) (ids.hpp)
    friend bool operator==(const WorkerpoolAuthorization&, const WorkerpoolAuthorization&) = default;
};

struct Resource {
    Address address;   //!< the on-chain app / dataset
    std::string uri;   //!< where to fetch it (the registry's multiaddr decoded), ≤ 4096 bytes
    Bytes32 checksum;  //!< sha256 of the content, as registered on chain (zero: none)
    friend bool operator==(const Resource&, const Resource&) = default;
};

struct AppResource {
    Resource resource;
    std::string type;  //!< the app registry's type ("DOCKER", "BUNDLE", ...), 1..64 characters
    friend bool operator==(const AppResource&, const AppResource&) = default;
};

//! TEE SIMULATION: the enclave key of a TEE task, generated by the core's simulated SMS (scheduler/sim_sms.hpp) and
//! handed to the assigned worker only (added to protocol 1 as the optional assignment key "teeSimulation", versioned
//! by its own "version"). Its address is the authorization's enclave challenge. Not an enclave, no confidentiality:
//! the key is a secret of the pool's processes; never log it.
inline constexpr std::uint64_t kTeeSimulationVersion = 1;
struct TeeSimulation {
    std::uint64_t version{kTeeSimulationVersion};  //!< only kTeeSimulationVersion is accepted
    Bytes32 enclave_key;                           //!< secp256k1 secret key (32 bytes)
    friend bool operator==(const TeeSimulation&, const TeeSimulation&) = default;
};

//! Everything a worker needs to run one task, and its authorization to contribute.
struct Assignment {
    Bytes32 task_id;
    Bytes32 deal_id;
    std::uint64_t task_index{0};  //!< absolute index (botFirst ≤ index < botFirst + botSize)
    std::uint64_t bot_first{0};
    std::uint64_t bot_size{0};
    AppResource app;
    std::optional<Resource> dataset;
    std::vector<std::string> input_files;    //!< URLs, ≤ kMaxListItems
    std::string iexec_args;                  //!< the deal's params.iexec_args (command line, split shell-like)
    std::uint64_t max_execution_seconds{0};  //!< the category's workClockTimeRef
    Bytes32 tag;
    std::uint64_t trust{0};
    Address callback;  //!< deal.callback (zero: none); non-zero → digest = keccak256(callback data)
    std::uint64_t contribution_deadline{0};  //!< Unix seconds
    std::uint64_t final_deadline{0};         //!< Unix seconds
    WorkerpoolAuthorization authorization;
    //! TEE tasks only (tag bit 0), in what a worker receives: never stored in the scheduler's inbox rows (the core
    //! adds it on delivery to the worker the authorization names).
    std::optional<TeeSimulation> tee_simulation;
    friend bool operator==(const Assignment&, const Assignment&) = default;
};

//! One entry of a worker's inbox: delivered over the WebSocket (topic "worker:<address>", event "notification") and by
//! the long-poll GET /api/v1/notifications?after=<seq>. Sequence numbers grow per worker; a worker acknowledges by
//! asking for the ones after the last it handled, so a duplicate delivery is recognised by its seq.
struct Notification {
    std::uint64_t seq{0};  //!< ≥ 1
    Bytes32 task_id;
    Action action{Action::kWait};
    std::optional<AbortCause> abort_cause;      //!< with kAbort
    std::optional<Assignment> assignment;       //!< with kStart (a new replicate)
    std::optional<std::uint64_t> block_number;  //!< with kReveal: the consensus block
    std::optional<std::string> upload_url;      //!< with kUpload: where to POST the result zip
    friend bool operator==(const Notification&, const Notification&) = default;
};

struct NotificationBatch {
    std::vector<Notification> notifications;  //!< increasing seq
    std::uint64_t last_seq{0};                //!< the highest seq issued to this worker so far
    friend bool operator==(const NotificationBatch&, const NotificationBatch&) = default;
};

// ---- Replicate status updates ---------------------------------------------------------------------------------------
// POST /api/v1/tasks/:taskId/status (Bearer) StatusUpdate → StatusAnswer.
// Keyed by (worker, task, status): a retry of an update already applied answers 200 with `duplicate: true` and
// the action the first one got, so retries are harmless.

struct StatusDetails {
    std::optional<Bytes32> result_digest;
    std::optional<Bytes32> result_hash;  //!< keccak256(taskid ‖ digest): CONTRIBUTED / CONTRIBUTE_AND_FINALIZE_DONE
    std::optional<Bytes32> result_seal;  //!< keccak256(worker ‖ taskid ‖ digest)
    std::optional<Bytes32> tx_hash;      //!< the contribute / reveal / contributeAndFinalize transaction
    std::optional<std::uint64_t> block_number;
    std::optional<std::string> result_link;  //!< RESULT_UPLOADED: the result-link JSON text
    std::optional<Bytes> callback_data;
    std::optional<Bytes> enclave_signature;  //!< TEE: 65 bytes
    std::optional<FailureCause> cause;       //!< *_FAILED
    std::optional<std::string> message;      //!< free text for humans (≤ 4096 bytes)
    std::optional<std::int64_t> exit_code;   //!< COMPUTED / COMPUTE_FAILED: the app's exit code
    friend bool operator==(const StatusDetails&, const StatusDetails&) = default;
};

struct StatusUpdate {
    ReplicateStatus status{ReplicateStatus::kCreated};
    StatusDetails details;
    friend bool operator==(const StatusUpdate&, const StatusUpdate&) = default;
};

struct StatusAnswer {
    Action action{Action::kWait};
    std::optional<AbortCause> abort_cause;
    bool duplicate{false};  //!< the update had already been applied
    friend bool operator==(const StatusAnswer&, const StatusAnswer&) = default;
};

// ---- Recovery -------------------------------------------------------------------------------------------------------
// GET /api/v1/recovery (Bearer) → Recovery: what a returning worker still holds and what to do with each.

struct RecoveryItem {
    Bytes32 task_id;
    ReplicateStatus last_status{ReplicateStatus::kCreated};  //!< the last status the scheduler recorded
    Action action{Action::kWait};
    std::optional<AbortCause> abort_cause;
    Assignment assignment;  //!< with a fresh authorization
    friend bool operator==(const RecoveryItem&, const RecoveryItem&) = default;
};

struct Recovery {
    std::vector<RecoveryItem> items;
    friend bool operator==(const Recovery&, const Recovery&) = default;
};

// ---- Codecs ---------------------------------------------------------------------------------------------------------
// to_json: the canonical encoding. from_json: strict (see the file comment); errors are Errc::kInvalidArgument (or
// the parser's code for addresses / hex) with the key path as context.

boost::json::value to_json(const LoginChallenge& v);
boost::json::value to_json(const LoginAnswer& v);
boost::json::value to_json(const WorkerRegistration& v);
boost::json::value to_json(const RegistrationAnswer& v);
boost::json::value to_json(const Heartbeat& v);
boost::json::value to_json(const HeartbeatAnswer& v);
boost::json::value to_json(const WorkerpoolAuthorization& v);
boost::json::value to_json(const Assignment& v);
boost::json::value to_json(const Notification& v);
boost::json::value to_json(const NotificationBatch& v);
boost::json::value to_json(const StatusUpdate& v);
boost::json::value to_json(const StatusAnswer& v);
boost::json::value to_json(const Recovery& v);

Result<LoginChallenge> login_challenge_from_json(const boost::json::value& j);
Result<LoginAnswer> login_answer_from_json(const boost::json::value& j);
Result<WorkerRegistration> registration_from_json(const boost::json::value& j);
Result<RegistrationAnswer> registration_answer_from_json(const boost::json::value& j);
Result<Heartbeat> heartbeat_from_json(const boost::json::value& j);
Result<HeartbeatAnswer> heartbeat_answer_from_json(const boost::json::value& j);
Result<WorkerpoolAuthorization> authorization_from_json(const boost::json::value& j);
Result<Assignment> assignment_from_json(const boost::json::value& j);
Result<Notification> notification_from_json(const boost::json::value& j);
Result<NotificationBatch> notification_batch_from_json(const boost::json::value& j);
Result<StatusUpdate> status_update_from_json(const boost::json::value& j);
Result<StatusAnswer> status_answer_from_json(const boost::json::value& j);
Result<Recovery> recovery_from_json(const boost::json::value& j);

//! Serializes a value produced by to_json (compact).
std::string serialize(const boost::json::value& v);

}  // namespace wp::workerapi
