#pragma once
// The task lifecycle of IexecPoco2Facet (PoCo 6.1.0, contracts/facets/IexecPoco2Facet.sol) as pure
// functions (protocol.md §6, §12, §13): initialize, initializeArray, contribute,
// contributeAndFinalize, reveal, reopen, finalize, claim, claimArray and initializeAndClaimArray.
//
// For each operation a facts struct carries the call arguments, msg.sender, block.timestamp (`now`)
// and everything the contract reads from storage. `check_*` evaluates the preconditions in the
// contract's exact order and returns the revert the chain would produce; `apply_*` runs the same
// checks and then computes the effects: the task's new storage, the escrow movements, the score
// changes and every event in emission order. The money and consensus arithmetic is the one of
// economics.hpp and consensus.hpp (called, never re-derived). Nothing here reads a clock or does I/O,
// so a scheduler can predict a revert and an embedded ledger can enforce with the same code.
//
// Revert data (§12): every task precondition is a bare `require` and reverts with NO data
// (RevertKind::kEmpty, reason ""); TaskRevert::check says which require failed. The other reverts
// carry a reason: "invalid-signature-format" (SignatureVerifier), the "IexecEscrow: ..." transfer
// strings, and Panic(0x11) / Panic(0x12) for checked arithmetic. The callback's gas guard
// (`assert(gasleft() > callbackgas/63)`, Panic(0x01)) depends on gas and is not modelled.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/uint256.hpp>

#include "consensus.hpp"
#include "economics.hpp"
#include "match.hpp"
#include "types.hpp"

namespace wp {

// ---- Which require failed ------------------------------------------------------------------------

//! One value per revert site of IexecPoco2Facet.sol (6.1.0 npm package; line numbers of that file).
enum class TaskCheck : std::uint8_t {
    // initialize / initializeArray / initializeAndClaimArray
    kArrayLengths,             //!< L558 / L576 `_dealid.length == _idx.length`
    kInitializeIdxBelowFirst,  //!< L84 `idx >= deal.botFirst`
    kInitializeIdxPastEnd,     //!< L85 `idx < deal.botFirst + deal.botSize` (also: unknown deal)
    kInitializeNotUnset,       //!< L89 `task.status == UNSET`
    // contribute (L121–L157)
    kContributeNotActive,         //!< L121 `task.status == ACTIVE`
    kContributeDeadline,          //!< L122 `task.contributionDeadline > block.timestamp`
    kContributeAlreadyDone,       //!< L123 `contribution.status == UNSET`
    kContributeTeeNeedsEnclave,   //!< L126 `_enclaveChallenge != 0 || deal.tag[31] & 0x01 == 0`
    kContributeAuthorization,     //!< L129 the scheduler's (or teebroker's) authorization signature
    kContributeEnclaveSignature,  //!< L140 `_enclaveChallenge == 0 ||` the enclave signature
    kContributeStakeLock,         //!< L157 `lock(msg.sender, deal.workerStake)`
    // contributeAndFinalize (L199–L234)
    kFastNotActive,             //!< L199 `task.status == ACTIVE`
    kFastDeadline,              //!< L200 `task.contributionDeadline > block.timestamp`
    kFastHasContributors,       //!< L201 `task.contributors.length == 0`
    kFastTrustNotOne,           //!< L202 `deal.trust == 1`
    kFastCallback,              //!< L207 `(deal.callback == 0 && resultsCallback empty) || keccak256(resultsCallback) == resultDigest`
    kFastTeeNeedsEnclave,       //!< L213 (as L126)
    kFastAuthorization,         //!< L216 (as L129)
    kFastEnclaveSignature,      //!< L227 (as L140)
    // reveal (L268–L276)
    kRevealNotRevealing,    //!< L268 `task.status == REVEALING`
    kRevealDeadline,        //!< L269 `task.revealDeadline > block.timestamp`
    kRevealNotContributed,  //!< L270 `contribution.status == CONTRIBUTED`
    kRevealNotConsensus,    //!< L271 `contribution.resultHash == task.consensusValue`
    kRevealResultHash,      //!< L272 `contribution.resultHash == keccak256(taskid ‖ digest)`
    kRevealResultSeal,      //!< L273 `contribution.resultSeal == keccak256(sender ‖ taskid ‖ digest)`
    // reopen (L19 modifier, L288–L290)
    kReopenNotScheduler,     //!< L19 onlyScheduler: `msg.sender == deal.workerpool.owner`
    kReopenNotRevealing,     //!< L288 `task.status == REVEALING`
    kReopenFinalDeadline,    //!< L289 `task.finalDeadline > block.timestamp`
    kReopenRevealNotFailed,  //!< L290 `task.revealDeadline <= block.timestamp && task.revealCounter == 0`
    // finalize (L19 modifier, L322–L329)
    kFinalizeNotScheduler,       //!< L19 onlyScheduler
    kFinalizeNotRevealing,       //!< L322 `task.status == REVEALING`
    kFinalizeFinalDeadline,      //!< L323 `task.finalDeadline > block.timestamp`
    kFinalizeRevealsIncomplete,  //!< L324 `revealCounter == winnerCounter || (revealCounter > 0 && revealDeadline <= now)`
    kFinalizeCallback,           //!< L329 `(deal.callback == 0 && resultsCallback empty) || keccak256(resultsCallback) == task.resultDigest`
    // claim (L355–L359)
    kClaimNotActiveOrRevealing,  //!< L355 `status == ACTIVE || status == REVEALING`
    kClaimBeforeFinalDeadline,   //!< L359 `task.finalDeadline <= block.timestamp`
    // effects
    kEscrow,      //!< an IexecEscrow primitive (apply_escrow_movements): transfer requires or frozen underflow
    kArithmetic,  //!< checked arithmetic in the effects (Panic 0x11, or 0x12 for a division by zero)
};

//! A stable identifier of the check, e.g. "contribute.deadline", "finalize.reveals-incomplete".
std::string_view to_string(TaskCheck check) noexcept;

//! A predicted revert: the MatchRevert shape (kind, reason, explanation; CLI code treats both alike)
//! plus which check failed.
struct TaskRevert : MatchRevert {
    TaskCheck check{TaskCheck::kArithmetic};
};

// ---- Signatures (SignatureVerifier.sol, §3.4, §6.2) ------------------------------------------------

//! ERC-1271 oracle for signers that have code (a contract, or an EIP-7702-delegated EOA): returns the
//! verdict of `isValidSignature(digest, signature)` (a revert counts as false), or nullopt when
//! `account` has no code (then the ECDSA path applies). `digest` is the EIP-191 hash the contract
//! passes. An empty oracle means every account is an EOA.
using Erc1271Oracle = std::function<std::optional<bool>(const Address& account, const Bytes32& digest,
                                                        ByteView signature)>;

//! `_verifySignatureOfEthSignedMessage(account, packed, signature)` with packed_hash = keccak256(packed):
//! digest = eip191_hash(packed_hash); an account with code → its ERC-1271 verdict; otherwise a 65-byte
//! r‖s‖v (v ∈ {27, 28}, low s) or 64-byte EIP-2098 signature is recovered (OZ tryRecover: a malformed
//! one recovers to address 0) and valid iff the recovered address == account (so a bad signature
//! "matches" account 0, exactly as on chain); any other length → kInvalidFormat (the contract reverts
//! "invalid-signature-format").
SignatureCheck verify_eth_signed_message(const Address& account, const Bytes32& packed_hash, ByteView signature,
                                         const Erc1271Oracle& erc1271 = {});

//! Who must have signed a contribution authorization (§6.2): `teebroker` when enclave_challenge ≠ 0
//! and teebroker ≠ 0, else deal.workerpool.owner (the scheduler, as recorded at match time).
Address authorization_signer(const Deal& deal, const Address& enclave_challenge, const Address& teebroker);

//! True when bit 0 (TEE) of deal.tag is set (`deal.tag[31] & 0x01`): contributions need an enclave.
bool deal_requires_enclave(const Deal& deal) noexcept;

// ---- Task storage, events, outcomes -------------------------------------------------------------------

//! Everything PoCo keeps per task: m_tasks[taskid], m_consensus[taskid], m_contributions[taskid][*].
struct TaskRecord {
    Task task;                                      //!< status UNSET and zeros for a task never initialized
    ConsensusState consensus;                       //!< total = 1 from initialize on
    std::map<Address, Contribution> contributions;  //!< an absent worker has an UNSET (zero) contribution

    //! contributions[worker], or the zero contribution.
    Contribution contribution_of(const Address& worker) const;

    friend bool operator==(const TaskRecord&, const TaskRecord&) = default;
};

//! The logs of the PoCo2 paths (§11.7), plus the escrow's ERC-20 Transfer.
enum class TaskEventKind : std::uint8_t {
    kTransfer,              //!< Transfer(address indexed from, address indexed to, uint256 value)
    kLock,                  //!< Lock(address owner, uint256 amount)
    kUnlock,                //!< Unlock(address owner, uint256 amount)
    kReward,                //!< Reward(address owner, uint256 amount, bytes32 ref)
    kSeize,                 //!< Seize(address owner, uint256 amount, bytes32 ref)
    kTaskInitialize,        //!< TaskInitialize(bytes32 indexed taskid, address indexed workerpool)
    kTaskContribute,        //!< TaskContribute(bytes32 indexed taskid, address indexed worker, bytes32 hash)
    kTaskConsensus,         //!< TaskConsensus(bytes32 indexed taskid, bytes32 consensus)
    kTaskReveal,            //!< TaskReveal(bytes32 indexed taskid, address indexed worker, bytes32 digest)
    kTaskReopen,            //!< TaskReopen(bytes32 indexed taskid)
    kTaskFinalize,          //!< TaskFinalize(bytes32 indexed taskid, bytes results)
    kTaskClaimed,           //!< TaskClaimed(bytes32 indexed taskid)
    kAccurateContribution,  //!< AccurateContribution(address indexed worker, bytes32 indexed taskid)
    kFaultyContribution,    //!< FaultyContribution(address indexed worker, bytes32 indexed taskid)
};
//! The Solidity event name ("TaskContribute", "Transfer", ...).
std::string_view to_string(TaskEventKind kind) noexcept;

//! One log. Fields not used by the kind stay zero.
struct TaskEvent {
    TaskEventKind kind{TaskEventKind::kTransfer};
    //! Transfer: from; Lock/Unlock/Reward/Seize: owner; TaskInitialize: workerpool;
    //! TaskContribute/TaskReveal/AccurateContribution/FaultyContribution: worker.
    Address account;
    Address to;       //!< Transfer: to
    U256 amount;      //!< Transfer: value; Lock/Unlock/Reward/Seize: amount
    Bytes32 task_id;  //!< the taskid of Task*/Accurate/Faulty; the ref of Reward/Seize
    Bytes32 value;    //!< TaskContribute: hash; TaskConsensus: consensus; TaskReveal: digest
    Bytes data;       //!< TaskFinalize: results

    friend bool operator==(const TaskEvent&, const TaskEvent&) = default;
};

//! The logs of escrow primitives (§7.5), `hub` being the diamond (address(this)):
//! lock(a, v) → Transfer(a, hub, v), Lock(a, v); unlock(a, v) → Transfer(hub, a, v), Unlock(a, v);
//! reward(a, v, ref) → Transfer(hub, a, v), Reward(a, v, ref); seize(a, v, ref) → Seize(a, v, ref).
//! Exception (failedWork, L72–L74): reward(KITTY, v) immediately followed by lock(KITTY, v) is the
//! direct `frozen[KITTY] += v` and emits Reward(KITTY, v, ref), Lock(KITTY, v) with no Transfer.
std::vector<TaskEvent> escrow_events(std::span<const BalanceMovement> movements, const Address& hub);

//! What one successful call does.
struct TaskOutcome {
    Bytes32 task_id;
    TaskRecord record;                       //!< the task's storage after the call
    std::vector<BalanceMovement> movements;  //!< escrow primitives in call order (economics.hpp)
    std::vector<ScoreUpdate> scores;         //!< m_workerScores changes (finalize only)
    std::vector<TaskEvent> events;           //!< every log in emission order, escrow Transfers included
    bool consensus_reached{false};           //!< contribute: checkConsensus succeeded (status now REVEALING)
    //! finalize / contributeAndFinalize with deal.callback ≠ 0: the target then called with
    //! receiveResult(taskid, resultsCallback) (its success is ignored by the contract).
    std::optional<Address> callback;
};

template <typename T>
using TaskResult = tl::expected<T, TaskRevert>;

// ---- initialize (L80–L104), initializeArray (L554), initializeAndClaimArray (L572) -----------------

struct InitializeFacts {
    Bytes32 deal_id;  //!< argument
    U256 idx;         //!< argument: absolute index (botFirst ≤ idx < botFirst + botSize)
    Deal deal;        //!< m_deals[dealid]; all zero for an unknown deal
    TaskStatus task_status{TaskStatus::kUnset};  //!< m_tasks[keccak256(dealid ‖ idx)].status
    U256 timeref;     //!< m_categories[deal.category].workClockTimeRef
    //! deal.category < countCategory(): m_categories is an array, so reading a missing category at
    //! L94 panics 0x32 (unreachable for deals made by matchOrders, whose check 0x01 ensures it).
    bool category_exists{true};
};

//! initialize: L84 idx ≥ botFirst; L85 idx < botFirst + botSize (the sum overflowing: Panic 0x11);
//! L89 status UNSET; L94 the category missing: Panic 0x32; the deadlines overflowing: Panic 0x11.
//! Callable by anyone, no time condition.
TaskResult<void> check_initialize(const InitializeFacts& facts);
//! Effects: the task of initialize_task (task.hpp), consensus.total = 1, no contributions; event
//! TaskInitialize(taskid, deal.workerpool.pointer).
TaskResult<TaskOutcome> apply_initialize(const InitializeFacts& facts);

//! initializeArray(dealids, idxs) with dealids = items[i].deal_id and idxs.length = idx_count:
//! L558 lengths equal (bare revert), then initialize each item in order. Facts are read before the
//! transaction: an item whose task an earlier item initialized fails L89. One outcome per item.
TaskResult<std::vector<TaskOutcome>> apply_initialize_array(std::span<const InitializeFacts> items,
                                                            std::size_t idx_count);

//! initializeAndClaimArray (L572): L576 lengths equal, then per item `claim(initialize(...))` at
//! `now` (claim needs finalDeadline ≤ now). The outcome of each item merges both calls (events
//! TaskInitialize, the claim's escrow events, TaskClaimed). `hub` is the diamond (Transfer events).
TaskResult<std::vector<TaskOutcome>> apply_initialize_and_claim_array(std::span<const InitializeFacts> items,
                                                                      std::size_t idx_count, const U256& now,
                                                                      const Address& hub);

// ---- contribute (L106–L181) ----------------------------------------------------------------------

struct ContributeFacts {
    // Call.
    Bytes32 task_id;
    Bytes32 result_hash;        //!< keccak256(taskid ‖ resultDigest)
    Bytes32 result_seal;        //!< keccak256(worker ‖ taskid ‖ resultDigest)
    Address enclave_challenge;  //!< zero for standard tasks
    Bytes enclave_sign;
    Bytes authorization_sign;
    Address caller;  //!< msg.sender, the worker
    U256 now;        //!< block.timestamp
    // Chain.
    Deal deal;  //!< m_deals[task.dealid]
    TaskRecord record;
    U256 caller_score;                   //!< m_workerScores[caller]
    std::optional<U256> caller_balance;  //!< free balance; when set the stake lock is checked against it
    Address teebroker;                   //!< m_teebroker
    Erc1271Oracle erc1271;
    Address hub;  //!< the diamond (for the Transfer events)
};

//! contribute, in order: L121 ACTIVE; L122 contributionDeadline > now (strict); L123 the caller's
//! contribution UNSET; L126 enclave ≠ 0 or no TEE bit; L129 the authorization signature by
//! authorization_signer() over authorization_hash(caller, taskid, enclave) ("invalid-signature-format"
//! for a bad length on an EOA signer); L140 enclave = 0 or its signature over
//! enclave_message_hash(resultHash, resultSeal); L157 the stake lock ("IexecEscrow: Transfer amount
//! exceeds balance" when caller_balance < workerStake); then the weight arithmetic and
//! checkConsensus (Panic 0x11 on overflow, unreachable in practice).
TaskResult<void> check_contribute(const ContributeFacts& facts);
//! Effects (L150–L180): contribution {CONTRIBUTED, hash, seal, enclave, weight = log2 w};
//! contributors.push(caller); lock(caller, workerStake); add_contribution (consensus.hpp); then if
//! has_consensus: status REVEALING, consensusValue = hash, revealDeadline = now + 2·timeref,
//! revealCounter = 0, winnerCounter = #contributors with that hash still CONTRIBUTED.
//! Events: Transfer, Lock, TaskContribute(taskid, caller, hash) [, TaskConsensus(taskid, hash)].
TaskResult<TaskOutcome> apply_contribute(const ContributeFacts& facts);

// ---- contributeAndFinalize (L183–L260) -------------------------------------------------------------

struct ContributeAndFinalizeFacts {
    // Call.
    Bytes32 task_id;
    Bytes32 result_digest;
    Bytes results;
    Bytes results_callback;
    Address enclave_challenge;
    Bytes enclave_sign;
    Bytes authorization_sign;
    Address caller;
    U256 now;
    // Chain.
    Deal deal;
    TaskRecord record;
    U256 kitty;  //!< frozen[KITTY_ADDRESS] before the call
    Address teebroker;
    Erc1271Oracle erc1271;
    Address hub;
};

//! contributeAndFinalize, in order: L199 ACTIVE; L200 contributionDeadline > now; L201 no
//! contributors; L202 deal.trust == 1; L207 callback rule (against this resultDigest); L213 TEE rule;
//! L216 authorization; L227 enclave signature over keccak256(resultHash ‖ resultSeal) computed
//! on chain. (No contribution-status check and no stake lock.)
TaskResult<void> check_contribute_and_finalize(const ContributeAndFinalizeFacts& facts);
//! Effects (L236–L259): contribution {PROVED, hash, seal, enclave} (weight untouched, 0); status
//! COMPLETED, consensusValue = hash, revealDeadline = now + 2·timeref, revealCounter = winnerCounter
//! = 1, resultDigest, results, resultsCallback, contributors = [caller]; consensus untouched;
//! movements contribute_and_finalize_rewards (successWork, then the fast reward
//! price·(100 − ratio)/100 to the caller and the rest to the scheduler). Events: the escrow events,
//! TaskContribute, TaskConsensus, TaskReveal, TaskFinalize.
TaskResult<TaskOutcome> apply_contribute_and_finalize(const ContributeAndFinalizeFacts& facts);

// ---- reveal (L262–L283) ----------------------------------------------------------------------------

struct RevealFacts {
    Bytes32 task_id;
    Bytes32 result_digest;
    Address caller;
    U256 now;
    TaskRecord record;
};

//! reveal, in order: L268 REVEALING; L269 revealDeadline > now (strict); L270 the caller's
//! contribution CONTRIBUTED; L271 its hash == consensusValue; L272 hash == result_hash(taskid,
//! digest); L273 seal == result_seal(caller, taskid, digest).
TaskResult<void> check_reveal(const RevealFacts& facts);
//! Effects: contribution PROVED, revealCounter + 1, task.resultDigest = digest; event TaskReveal.
TaskResult<TaskOutcome> apply_reveal(const RevealFacts& facts);

// ---- reopen (L285–L311) ----------------------------------------------------------------------------

struct ReopenFacts {
    Bytes32 task_id;
    Address caller;
    U256 now;
    Deal deal;  //!< m_deals[task.dealid] (the modifier reads workerpool.owner there)
    TaskRecord record;
};

//! reopen, in order: L19 caller == deal.workerpool.owner; L288 REVEALING; L289 finalDeadline > now;
//! L290 revealDeadline ≤ now AND revealCounter == 0 (one require).
TaskResult<void> check_reopen(const ReopenFacts& facts);
//! Effects: every contributor whose resultHash == consensusValue → REJECTED (stake stays locked);
//! reopen_consensus (consensus.hpp); status ACTIVE, consensusValue 0, revealDeadline 0,
//! winnerCounter 0. Event TaskReopen.
TaskResult<TaskOutcome> apply_reopen(const ReopenFacts& facts);

// ---- finalize (L313–L350) --------------------------------------------------------------------------

struct FinalizeFacts {
    Bytes32 task_id;
    Bytes results;
    Bytes results_callback;
    Address caller;
    U256 now;
    Deal deal;
    TaskRecord record;
    U256 kitty;                       //!< frozen[KITTY_ADDRESS] before the call
    std::map<Address, U256> scores;  //!< m_workerScores of the contributors (absent = 0)
    Address hub;
};

//! finalize, in order: L19 caller == deal.workerpool.owner; L322 REVEALING; L323 finalDeadline > now;
//! L324 revealCounter == winnerCounter OR (revealCounter > 0 AND revealDeadline ≤ now); L329 callback
//! rule against task.resultDigest.
TaskResult<void> check_finalize(const FinalizeFacts& facts);
//! Effects: status COMPLETED, results, resultsCallback; success_work then distribute_rewards
//! (economics.hpp; the scheduler gets the remainder; winners +1 score only when there is more than
//! one contributor, losers floor(2·score/3)). Events: successWork's escrow events; per contributor
//! in push order its escrow events then AccurateContribution / FaultyContribution; the scheduler's
//! Reward; TaskFinalize.
TaskResult<TaskOutcome> apply_finalize(const FinalizeFacts& facts);

// ---- claim (L352–L374), claimArray (L565) ----------------------------------------------------------

struct ClaimFacts {
    Bytes32 task_id;
    U256 now;
    Deal deal;
    TaskRecord record;
    Address hub;
};

//! claim (anyone), in order: L355 ACTIVE or REVEALING; L359 finalDeadline ≤ now.
TaskResult<void> check_claim(const ClaimFacts& facts);
//! Effects: status FAILED; claim_movements (economics.hpp): unlock(sponsor, P), seize(scheduler,
//! price·30/100) into the kitty, unlock(worker, workerStake) for every contributor whatever its
//! status; no score change. Events: Transfer, Unlock, Seize, Reward(KITTY), Lock(KITTY), then
//! Transfer, Unlock per contributor, then TaskClaimed.
TaskResult<TaskOutcome> apply_claim(const ClaimFacts& facts);
//! claimArray: claim each in order; a task listed twice fails the second time (status FAILED, L355).
TaskResult<std::vector<TaskOutcome>> apply_claim_array(std::span<const ClaimFacts> items);

// ---- Escrow ledger (IexecEscrow.v8.sol) --------------------------------------------------------------

//! The balances the escrow primitives touch: accounts[a].stake = m_balances[a] (free),
//! accounts[a].locked = m_frozens[a]; the diamond's own free balance is accounts[hub].stake.
struct EscrowBook {
    Address hub;
    std::map<Address, Account> accounts;

    Account account(const Address& a) const;  //!< zeros when absent
};

//! Applies movements as the primitives do, in order; the first failure is returned and the book is
//! then in an unspecified state (the transaction reverts):
//!  lock(a, v): _transfer(a → hub) then frozen[a] += v; unlock(a, v): _transfer(hub → a) then
//!  frozen[a] −= v (Panic 0x11 on underflow); reward(a, v): _transfer(hub → a); seize(a, v):
//!  frozen[a] −= v (Panic 0x11). _transfer checks, in order: from ≠ 0 ("IexecEscrow: Transfer from
//!  empty address"), to ≠ 0 ("IexecEscrow: Transfer to empty address"), v ≤ balance[from]
//!  ("IexecEscrow: Transfer amount exceeds balance"). reward(KITTY, v) followed by lock(KITTY, v) is
//!  failedWork's direct frozen[KITTY] += v (no transfer).
TaskResult<void> apply_escrow_movements(EscrowBook& book, std::span<const BalanceMovement> movements);

}  // namespace wp
