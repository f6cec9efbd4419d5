#include "poco2.hpp"

#include <set>
#include <string>
#include <utility>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "ids.hpp"
#include "task.hpp"

// Early return of a TaskResult<void> failure.
#define TRY_REVERT(expr)                                          \
    do {                                                          \
        if (auto try_revert_ = (expr); !try_revert_)              \
            return ::tl::unexpected<::wp::TaskRevert>(std::move(try_revert_).error()); \
    } while (false)

namespace wp {

namespace {

using Fail = tl::unexpected<TaskRevert>;

Fail bare(TaskCheck check, std::string explanation) {
    TaskRevert r;
    r.kind = RevertKind::kEmpty;
    r.explanation = std::move(explanation);
    r.check = check;
    return Fail(std::move(r));
}

Fail with_reason(TaskCheck check, std::string reason, std::string explanation) {
    TaskRevert r;
    r.kind = RevertKind::kReason;
    r.reason = std::move(reason);
    r.explanation = std::move(explanation);
    r.check = check;
    return Fail(std::move(r));
}

// Checked arithmetic of the contracts: Errc::kOverflow → Panic(0x11); a zero divisor (mulDiv) → Panic(0x12).
Fail panic(TaskCheck check, const Error& error) {
    TaskRevert r;
    r.kind = RevertKind::kPanic;
    r.reason = error.code == Errc::kOverflow ? "Panic(0x11)" : "Panic(0x12)";
    r.explanation = error.message;
    r.check = check;
    return Fail(std::move(r));
}

std::string addr(const Address& a) { return a.to_checksum(); }
std::string hex(const Bytes32& b) { return to_hex(b); }

TaskEvent task_event(TaskEventKind kind, const Bytes32& task_id) {
    TaskEvent e;
    e.kind = kind;
    e.task_id = task_id;
    return e;
}

TaskEvent worker_event(TaskEventKind kind, const Bytes32& task_id, const Address& worker, const Bytes32& value = {}) {
    TaskEvent e = task_event(kind, task_id);
    e.account = worker;
    e.value = value;
    return e;
}

void append_events(std::vector<TaskEvent>& out, std::vector<TaskEvent> more) {
    out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
}

// The authorization (L129 / L216) and enclave (L140 / L227) signatures.
TaskResult<void> check_signatures(TaskCheck auth_check, TaskCheck enclave_check, const Deal& deal,
                                  const Bytes32& task_id, const Address& caller, const Address& enclave,
                                  const Bytes32& result_hash, const Bytes32& result_seal, ByteView enclave_sign,
                                  ByteView authorization_sign, const Address& teebroker,
                                  const Erc1271Oracle& erc1271) {
    const Address signer = authorization_signer(deal, enclave, teebroker);
    const char* role = (!enclave.is_zero() && !teebroker.is_zero()) ? "the teebroker " : "the scheduler ";
    switch (verify_eth_signed_message(signer, authorization_hash(caller, task_id, enclave), authorization_sign,
                                      erc1271)) {
        case SignatureCheck::kValid: break;
        case SignatureCheck::kInvalidFormat:
            return with_reason(auth_check, "invalid-signature-format",
                               "the authorization signature is " + std::to_string(authorization_sign.size()) +
                                   " bytes long (65 or 64 expected) and its signer " + std::string(role) +
                                   addr(signer) + " has no code");
        case SignatureCheck::kInvalid:
            return bare(auth_check, "the authorization of worker " + addr(caller) + " for task " + hex(task_id) +
                                        " with enclave " + addr(enclave) + " is not signed by " + role +
                                        addr(signer));
    }
    if (enclave.is_zero()) return {};
    switch (verify_eth_signed_message(enclave, enclave_message_hash(result_hash, result_seal), enclave_sign,
                                      erc1271)) {
        case SignatureCheck::kValid: return {};
        case SignatureCheck::kInvalidFormat:
            return with_reason(enclave_check, "invalid-signature-format",
                               "the enclave signature is " + std::to_string(enclave_sign.size()) +
                                   " bytes long (65 or 64 expected) and the enclave " + addr(enclave) +
                                   " has no code");
        case SignatureCheck::kInvalid:
            return bare(enclave_check, "the enclave signature over keccak256(resultHash ‖ resultSeal) is not by the "
                                       "enclave challenge " +
                                           addr(enclave));
    }
    return {};
}

// The callback rule of contributeAndFinalize (L207) and finalize (L329).
bool callback_rule(const Deal& deal, ByteView results_callback, const Bytes32& digest) {
    return (deal.callback.is_zero() && results_callback.empty()) || keccak256(results_callback) == digest;
}

std::string callback_explanation(const Deal& deal, ByteView results_callback, const Bytes32& digest,
                                 const char* digest_name) {
    if (deal.callback.is_zero())
        return "the deal has no callback but resultsCallback is " + std::to_string(results_callback.size()) +
               " bytes long and its keccak256 " + hex(keccak256(results_callback)) + " is not the " + digest_name +
               " " + hex(digest);
    return "the deal has callback " + addr(deal.callback) + ": keccak256(resultsCallback) = " +
           hex(keccak256(results_callback)) + " must equal the " + digest_name + " " + hex(digest);
}

// Stable ids of TaskCheck (index = enum value).
constexpr std::string_view kCheckNames[] = {
    "array-lengths",
    "initialize.idx-below-first",
    "initialize.idx-past-end",
    "initialize.not-unset",
    "contribute.not-active",
    "contribute.deadline",
    "contribute.already-contributed",
    "contribute.tee-needs-enclave",
    "contribute.authorization",
    "contribute.enclave-signature",
    "contribute.stake-lock",
    "contributeAndFinalize.not-active",
    "contributeAndFinalize.deadline",
    "contributeAndFinalize.has-contributors",
    "contributeAndFinalize.trust-not-one",
    "contributeAndFinalize.callback",
    "contributeAndFinalize.tee-needs-enclave",
    "contributeAndFinalize.authorization",
    "contributeAndFinalize.enclave-signature",
    "reveal.not-revealing",
    "reveal.deadline",
    "reveal.not-contributed",
    "reveal.not-consensus",
    "reveal.result-hash",
    "reveal.result-seal",
    "reopen.not-scheduler",
    "reopen.not-revealing",
    "reopen.final-deadline",
    "reopen.reveal-not-failed",
    "finalize.not-scheduler",
    "finalize.not-revealing",
    "finalize.final-deadline",
    "finalize.reveals-incomplete",
    "finalize.callback",
    "claim.not-active-or-revealing",
    "claim.before-final-deadline",
    "escrow",
    "arithmetic",
};
static_assert(std::size(kCheckNames) == static_cast<std::size_t>(TaskCheck::kArithmetic) + 1);

constexpr std::string_view kEventNames[] = {
    "Transfer",   "Lock",          "Unlock",      "Reward",        "Seize",
    "TaskInitialize", "TaskContribute", "TaskConsensus", "TaskReveal", "TaskReopen",
    "TaskFinalize", "TaskClaimed", "AccurateContribution", "FaultyContribution",
};
static_assert(std::size(kEventNames) == static_cast<std::size_t>(TaskEventKind::kFaultyContribution) + 1);

}  // namespace

std::string_view to_string(TaskCheck check) noexcept { return kCheckNames[static_cast<std::size_t>(check)]; }

std::string_view to_string(TaskEventKind kind) noexcept { return kEventNames[static_cast<std::size_t>(kind)]; }

// ---- Signatures ----------------------------------------------------------------------------------

SignatureCheck verify_eth_signed_message(const Address& account, const Bytes32& packed_hash, ByteView signature,
                                         const Erc1271Oracle& erc1271) {
    const Bytes32 digest = eip191_hash(packed_hash);
    if (erc1271) {
        if (auto verdict = erc1271(account, digest, signature))
            return *verdict ? SignatureCheck::kValid : SignatureCheck::kInvalid;
    }
    if (signature.size() != 65 && signature.size() != 64) return SignatureCheck::kInvalidFormat;
    Address recovered;  // OZ tryRecover: address(0) for any malformed signature
    if (auto sig = Signature::parse(signature, Signature::Format::kStrict)) {
        if (auto a = recover_address(digest, *sig)) recovered = *a;
    }
    return recovered == account ? SignatureCheck::kValid : SignatureCheck::kInvalid;
}

Address authorization_signer(const Deal& deal, const Address& enclave_challenge, const Address& teebroker) {
    return (!enclave_challenge.is_zero() && !teebroker.is_zero()) ? teebroker : deal.workerpool.owner;
}

bool deal_requires_enclave(const Deal& deal) noexcept { return (deal.tag[31] & 0x01) != 0; }

// ---- Records and events ----------------------------------------------------------------------------

Contribution TaskRecord::contribution_of(const Address& worker) const {
    auto it = contributions.find(worker);
    return it == contributions.end() ? Contribution{} : it->second;
}

std::vector<TaskEvent> escrow_events(std::span<const BalanceMovement> movements, const Address& hub) {
    std::vector<TaskEvent> out;
    for (std::size_t i = 0; i < movements.size(); ++i) {
        const BalanceMovement& m = movements[i];
        const bool kitty_lock = m.op == EscrowOp::kReward && m.account == kitty_address() &&
                                i + 1 < movements.size() && movements[i + 1].op == EscrowOp::kLock &&
                                movements[i + 1].account == kitty_address() && movements[i + 1].amount == m.amount;
        if (kitty_lock) {
            out.push_back(TaskEvent{TaskEventKind::kReward, m.account, {}, m.amount, m.ref, {}, {}});
            out.push_back(TaskEvent{TaskEventKind::kLock, m.account, {}, m.amount, {}, {}, {}});
            ++i;
            continue;
        }
        switch (m.op) {
            case EscrowOp::kLock:
                out.push_back(TaskEvent{TaskEventKind::kTransfer, m.account, hub, m.amount, {}, {}, {}});
                out.push_back(TaskEvent{TaskEventKind::kLock, m.account, {}, m.amount, {}, {}, {}});
                break;
            case EscrowOp::kUnlock:
                out.push_back(TaskEvent{TaskEventKind::kTransfer, hub, m.account, m.amount, {}, {}, {}});
                out.push_back(TaskEvent{TaskEventKind::kUnlock, m.account, {}, m.amount, {}, {}, {}});
                break;
            case EscrowOp::kReward:
                out.push_back(TaskEvent{TaskEventKind::kTransfer, hub, m.account, m.amount, {}, {}, {}});
                out.push_back(TaskEvent{TaskEventKind::kReward, m.account, {}, m.amount, m.ref, {}, {}});
                break;
            case EscrowOp::kSeize:
                out.push_back(TaskEvent{TaskEventKind::kSeize, m.account, {}, m.amount, m.ref, {}, {}});
                break;
        }
    }
    return out;
}

// ---- initialize ---------------------------------------------------------------------------------------

TaskResult<void> check_initialize(const InitializeFacts& f) {
    const Deal& deal = f.deal;
    if (!(f.idx >= deal.bot_first))  // L84
        return bare(TaskCheck::kInitializeIdxBelowFirst,
                    "idx " + f.idx.to_dec() + " is below the deal's botFirst " + deal.bot_first.to_dec());
    auto end = checked_add(deal.bot_first, deal.bot_size);  // L85
    if (!end) return panic(TaskCheck::kArithmetic, Error{Errc::kOverflow, "initialize: botFirst + botSize overflows"});
    if (!(f.idx < *end))
        return bare(TaskCheck::kInitializeIdxPastEnd,
                    deal.bot_size.is_zero()
                        ? "deal " + hex(f.deal_id) + " does not exist (botSize 0)"
                        : "idx " + f.idx.to_dec() + " is not below botFirst + botSize = " + end->to_dec());
    if (f.task_status != TaskStatus::kUnset)  // L89
        return bare(TaskCheck::kInitializeNotUnset, "task " + hex(task_id(f.deal_id, f.idx)) +
                                                        " is already initialized (status " +
                                                        std::string(to_string(f.task_status)) + ")");
    if (!f.category_exists) {  // L94: out-of-bounds array read
        TaskRevert r;
        r.kind = RevertKind::kPanic;
        r.reason = "Panic(0x32)";
        r.explanation = "the deal's category " + deal.category.to_dec() + " does not exist";
        r.check = TaskCheck::kArithmetic;
        return Fail(std::move(r));
    }
    auto task = initialize_task(deal, f.deal_id, f.idx, f.timeref);  // L95–L96
    if (!task) return panic(TaskCheck::kArithmetic, task.error());
    return {};
}

TaskResult<TaskOutcome> apply_initialize(const InitializeFacts& f) {
    if (auto ok = check_initialize(f); !ok) return Fail(ok.error());
    TaskOutcome out;
    out.task_id = task_id(f.deal_id, f.idx);
    out.record.task = *initialize_task(f.deal, f.deal_id, f.idx, f.timeref);
    out.record.consensus = ConsensusState{};  // total = 1
    TaskEvent e = task_event(TaskEventKind::kTaskInitialize, out.task_id);
    e.account = f.deal.workerpool.pointer;
    out.events.push_back(std::move(e));
    return out;
}

namespace {

Fail array_lengths(std::size_t a, std::size_t b) {
    return bare(TaskCheck::kArrayLengths,
                "dealids has " + std::to_string(a) + " entries but idxs has " + std::to_string(b));
}

// Within one batch, a task written by an earlier item is seen by the later ones.
template <typename Facts>
TaskResult<std::vector<TaskOutcome>> run_batch(std::span<const Facts> items,
                                               const std::function<TaskResult<TaskOutcome>(Facts&)>& step,
                                               const std::function<Bytes32(const Facts&)>& id_of,
                                               const std::function<void(Facts&, const TaskRecord&)>& update) {
    std::map<Bytes32, TaskRecord> written;
    std::vector<TaskOutcome> outcomes;
    for (std::size_t i = 0; i < items.size(); ++i) {
        Facts f = items[i];
        if (auto it = written.find(id_of(f)); it != written.end()) update(f, it->second);
        auto r = step(f);
        if (!r) {
            TaskRevert e = r.error();
            e.explanation = "item " + std::to_string(i) + ": " + e.explanation;
            return Fail(std::move(e));
        }
        written[r->task_id] = r->record;
        outcomes.push_back(std::move(*r));
    }
    return outcomes;
}

}  // namespace

TaskResult<std::vector<TaskOutcome>> apply_initialize_array(std::span<const InitializeFacts> items,
                                                            std::size_t idx_count) {
    if (items.size() != idx_count) return array_lengths(items.size(), idx_count);  // L558
    return run_batch<InitializeFacts>(
        items, [](InitializeFacts& f) { return apply_initialize(f); },
        [](const InitializeFacts& f) { return task_id(f.deal_id, f.idx); },
        [](InitializeFacts& f, const TaskRecord& r) { f.task_status = r.task.status; });
}

TaskResult<std::vector<TaskOutcome>> apply_initialize_and_claim_array(std::span<const InitializeFacts> items,
                                                                      std::size_t idx_count, const U256& now,
                                                                      const Address& hub) {
    if (items.size() != idx_count) return array_lengths(items.size(), idx_count);  // L576
    auto step = [&](InitializeFacts& f) -> TaskResult<TaskOutcome> {
        auto init = apply_initialize(f);
        if (!init) return init;
        ClaimFacts c{init->task_id, now, f.deal, init->record, hub};
        auto claimed = apply_claim(c);
        if (!claimed) return claimed;
        std::vector<TaskEvent> events = std::move(init->events);
        append_events(events, std::move(claimed->events));
        claimed->events = std::move(events);
        return claimed;
    };
    return run_batch<InitializeFacts>(
        items, step, [](const InitializeFacts& f) { return task_id(f.deal_id, f.idx); },
        [](InitializeFacts& f, const TaskRecord& r) { f.task_status = r.task.status; });
}

// ---- contribute ---------------------------------------------------------------------------------------

TaskResult<void> check_contribute(const ContributeFacts& f) {
    const Task& task = f.record.task;
    if (task.status != TaskStatus::kActive)  // L121
        return bare(TaskCheck::kContributeNotActive,
                    "task " + hex(f.task_id) + " is " + std::string(to_string(task.status)) + ", not ACTIVE");
    if (!(task.contribution_deadline > f.now))  // L122
        return bare(TaskCheck::kContributeDeadline, "contributionDeadline " + task.contribution_deadline.to_dec() +
                                                        " is not after now " + f.now.to_dec());
    const Contribution mine = f.record.contribution_of(f.caller);
    if (mine.status != ContributionStatus::kUnset)  // L123
        return bare(TaskCheck::kContributeAlreadyDone, "worker " + addr(f.caller) + " already has a " +
                                                           std::string(to_string(mine.status)) +
                                                           " contribution to this task");
    if (f.enclave_challenge.is_zero() && deal_requires_enclave(f.deal))  // L126
        return bare(TaskCheck::kContributeTeeNeedsEnclave,
                    "the deal tag " + hex(f.deal.tag) + " has the TEE bit but the enclave challenge is zero");
    TRY_REVERT(check_signatures(TaskCheck::kContributeAuthorization, TaskCheck::kContributeEnclaveSignature, f.deal,
                                 f.task_id, f.caller, f.enclave_challenge, f.result_hash, f.result_seal,
                                 f.enclave_sign, f.authorization_sign, f.teebroker, f.erc1271));
    // L157 lock(msg.sender, workerStake): msg.sender is never 0 on chain.
    if (f.caller.is_zero())
        return with_reason(TaskCheck::kContributeStakeLock, "IexecEscrow: Transfer from empty address",
                           "the worker is the zero address");
    if (f.caller_balance && f.deal.worker_stake > *f.caller_balance)
        return with_reason(TaskCheck::kContributeStakeLock, "IexecEscrow: Transfer amount exceeds balance",
                           "worker " + addr(f.caller) + " must lock the worker stake " +
                               f.deal.worker_stake.to_dec() + " nRLC but has a free balance of " +
                               f.caller_balance->to_dec());
    // L171–L180: the weight arithmetic and checkConsensus.
    ConsensusState consensus = f.record.consensus;
    auto weight = add_contribution(consensus, f.result_hash, f.caller_score);
    if (!weight) return panic(TaskCheck::kArithmetic, weight.error());
    auto reached = has_consensus(consensus, f.result_hash, f.deal.trust);
    if (!reached) return panic(TaskCheck::kArithmetic, reached.error());
    if (*reached) {
        auto deadline = reveal_deadline(f.now, task.timeref);
        if (!deadline) return panic(TaskCheck::kArithmetic, deadline.error());
    }
    return {};
}

TaskResult<TaskOutcome> apply_contribute(const ContributeFacts& f) {
    if (auto ok = check_contribute(f); !ok) return Fail(ok.error());
    TaskOutcome out;
    out.task_id = f.task_id;
    out.record = f.record;
    Task& task = out.record.task;
    Contribution& c = out.record.contributions[f.caller];
    c.status = ContributionStatus::kContributed;
    c.result_hash = f.result_hash;
    c.result_seal = f.result_seal;
    c.enclave_challenge = f.enclave_challenge;
    task.contributors.push_back(f.caller);
    out.movements.push_back(BalanceMovement{EscrowOp::kLock, f.caller, f.deal.worker_stake, {}});
    out.events = escrow_events(out.movements, f.hub);
    out.events.push_back(worker_event(TaskEventKind::kTaskContribute, f.task_id, f.caller, f.result_hash));

    c.weight = *add_contribution(out.record.consensus, f.result_hash, f.caller_score);  // checked above
    if (*has_consensus(out.record.consensus, f.result_hash, f.deal.trust)) {
        std::uint64_t winners = 0;
        for (const Address& w : task.contributors) {
            const Contribution wc = out.record.contribution_of(w);
            if (wc.result_hash == f.result_hash && wc.status == ContributionStatus::kContributed) ++winners;
        }
        task.status = TaskStatus::kRevealing;
        task.consensus_value = f.result_hash;
        task.reveal_deadline = *reveal_deadline(f.now, task.timeref);
        task.reveal_counter = 0;
        task.winner_counter = winners;
        out.consensus_reached = true;
        TaskEvent e = task_event(TaskEventKind::kTaskConsensus, f.task_id);
        e.value = f.result_hash;
        out.events.push_back(std::move(e));
    }
    return out;
}

// ---- contributeAndFinalize -------------------------------------------------------------------------------

TaskResult<void> check_contribute_and_finalize(const ContributeAndFinalizeFacts& f) {
    const Task& task = f.record.task;
    if (task.status != TaskStatus::kActive)  // L199
        return bare(TaskCheck::kFastNotActive,
                    "task " + hex(f.task_id) + " is " + std::string(to_string(task.status)) + ", not ACTIVE");
    if (!(task.contribution_deadline > f.now))  // L200
        return bare(TaskCheck::kFastDeadline, "contributionDeadline " + task.contribution_deadline.to_dec() +
                                                  " is not after now " + f.now.to_dec());
    if (!task.contributors.empty())  // L201
        return bare(TaskCheck::kFastHasContributors,
                    "the task already has " + std::to_string(task.contributors.size()) + " contributor(s)");
    if (!(f.deal.trust == U256(1)))  // L202
        return bare(TaskCheck::kFastTrustNotOne, "the deal's trust is " + f.deal.trust.to_dec() + ", not 1");
    if (!callback_rule(f.deal, f.results_callback, f.result_digest))  // L207
        return bare(TaskCheck::kFastCallback,
                    callback_explanation(f.deal, f.results_callback, f.result_digest, "resultDigest"));
    if (f.enclave_challenge.is_zero() && deal_requires_enclave(f.deal))  // L213
        return bare(TaskCheck::kFastTeeNeedsEnclave,
                    "the deal tag " + hex(f.deal.tag) + " has the TEE bit but the enclave challenge is zero");
    const Bytes32 hash = result_hash(f.task_id, f.result_digest);                // L204
    const Bytes32 seal = result_seal(f.caller, f.task_id, f.result_digest);      // L205
    TRY_REVERT(check_signatures(TaskCheck::kFastAuthorization, TaskCheck::kFastEnclaveSignature, f.deal, f.task_id,
                                 f.caller, f.enclave_challenge, hash, seal, f.enclave_sign, f.authorization_sign,
                                 f.teebroker, f.erc1271));
    if (auto d = reveal_deadline(f.now, task.timeref); !d) return panic(TaskCheck::kArithmetic, d.error());  // L243
    if (auto r = contribute_and_finalize_rewards(f.deal, f.task_id, f.kitty, f.caller); !r)
        return panic(TaskCheck::kArithmetic, r.error());
    return {};
}

TaskResult<TaskOutcome> apply_contribute_and_finalize(const ContributeAndFinalizeFacts& f) {
    if (auto ok = check_contribute_and_finalize(f); !ok) return Fail(ok.error());
    TaskOutcome out;
    out.task_id = f.task_id;
    out.record = f.record;
    const Bytes32 hash = result_hash(f.task_id, f.result_digest);
    Contribution& c = out.record.contributions[f.caller];
    c.status = ContributionStatus::kProved;
    c.result_hash = hash;
    c.result_seal = result_seal(f.caller, f.task_id, f.result_digest);
    c.enclave_challenge = f.enclave_challenge;
    Task& task = out.record.task;
    task.status = TaskStatus::kCompleted;
    task.consensus_value = hash;
    task.reveal_deadline = *reveal_deadline(f.now, task.timeref);
    task.reveal_counter = 1;
    task.winner_counter = 1;
    task.result_digest = f.result_digest;
    task.results = f.results;
    task.results_callback = f.results_callback;
    task.contributors.push_back(f.caller);

    out.movements = contribute_and_finalize_rewards(f.deal, f.task_id, f.kitty, f.caller)->movements;
    out.events = escrow_events(out.movements, f.hub);
    out.events.push_back(worker_event(TaskEventKind::kTaskContribute, f.task_id, f.caller, hash));
    TaskEvent consensus = task_event(TaskEventKind::kTaskConsensus, f.task_id);
    consensus.value = hash;
    out.events.push_back(std::move(consensus));
    out.events.push_back(worker_event(TaskEventKind::kTaskReveal, f.task_id, f.caller, f.result_digest));
    TaskEvent fin = task_event(TaskEventKind::kTaskFinalize, f.task_id);
    fin.data = f.results;
    out.events.push_back(std::move(fin));
    if (!f.deal.callback.is_zero()) out.callback = f.deal.callback;
    return out;
}

// ---- reveal -------------------------------------------------------------------------------------------

TaskResult<void> check_reveal(const RevealFacts& f) {
    const Task& task = f.record.task;
    if (task.status != TaskStatus::kRevealing)  // L268
        return bare(TaskCheck::kRevealNotRevealing,
                    "task " + hex(f.task_id) + " is " + std::string(to_string(task.status)) + ", not REVEALING");
    if (!(task.reveal_deadline > f.now))  // L269
        return bare(TaskCheck::kRevealDeadline,
                    "revealDeadline " + task.reveal_deadline.to_dec() + " is not after now " + f.now.to_dec());
    const Contribution c = f.record.contribution_of(f.caller);
    if (c.status != ContributionStatus::kContributed)  // L270
        return bare(TaskCheck::kRevealNotContributed, "the contribution of " + addr(f.caller) + " is " +
                                                          std::string(to_string(c.status)) + ", not CONTRIBUTED");
    if (c.result_hash != task.consensus_value)  // L271
        return bare(TaskCheck::kRevealNotConsensus, "the contribution's resultHash " + hex(c.result_hash) +
                                                        " is not the consensus " + hex(task.consensus_value));
    if (c.result_hash != result_hash(f.task_id, f.result_digest))  // L272
        return bare(TaskCheck::kRevealResultHash,
                    "keccak256(taskid ‖ digest) = " + hex(result_hash(f.task_id, f.result_digest)) +
                        " is not the contributed resultHash " + hex(c.result_hash));
    if (c.result_seal != result_seal(f.caller, f.task_id, f.result_digest))  // L273
        return bare(TaskCheck::kRevealResultSeal,
                    "keccak256(worker ‖ taskid ‖ digest) = " + hex(result_seal(f.caller, f.task_id, f.result_digest)) +
                        " is not the contributed resultSeal " + hex(c.result_seal));
    if (!checked_add(task.reveal_counter, U256(1)))  // L279
        return panic(TaskCheck::kArithmetic, Error{Errc::kOverflow, "reveal: revealCounter + 1 overflows"});
    return {};
}

TaskResult<TaskOutcome> apply_reveal(const RevealFacts& f) {
    if (auto ok = check_reveal(f); !ok) return Fail(ok.error());
    TaskOutcome out;
    out.task_id = f.task_id;
    out.record = f.record;
    out.record.contributions[f.caller].status = ContributionStatus::kProved;
    Task& task = out.record.task;
    task.reveal_counter = *checked_add(task.reveal_counter, U256(1));
    task.result_digest = f.result_digest;
    out.events.push_back(worker_event(TaskEventKind::kTaskReveal, f.task_id, f.caller, f.result_digest));
    return out;
}

// ---- reopen -------------------------------------------------------------------------------------------

TaskResult<void> check_reopen(const ReopenFacts& f) {
    const Task& task = f.record.task;
    if (f.caller != f.deal.workerpool.owner)  // L19
        return bare(TaskCheck::kReopenNotScheduler, "the caller " + addr(f.caller) +
                                                        " is not the deal's workerpool owner " +
                                                        addr(f.deal.workerpool.owner));
    if (task.status != TaskStatus::kRevealing)  // L288
        return bare(TaskCheck::kReopenNotRevealing,
                    "task " + hex(f.task_id) + " is " + std::string(to_string(task.status)) + ", not REVEALING");
    if (!(task.final_deadline > f.now))  // L289
        return bare(TaskCheck::kReopenFinalDeadline,
                    "finalDeadline " + task.final_deadline.to_dec() + " is not after now " + f.now.to_dec());
    if (!(task.reveal_deadline <= f.now && task.reveal_counter.is_zero()))  // L290
        return bare(TaskCheck::kReopenRevealNotFailed,
                    !(task.reveal_deadline <= f.now)
                        ? "revealDeadline " + task.reveal_deadline.to_dec() + " is still after now " + f.now.to_dec()
                        : task.reveal_counter.to_dec() + " contributor(s) already revealed");
    ConsensusState sim = f.record.consensus;
    if (auto r = reopen_consensus(sim, task.consensus_value); !r) return panic(TaskCheck::kArithmetic, r.error());
    return {};
}

TaskResult<TaskOutcome> apply_reopen(const ReopenFacts& f) {
    if (auto ok = check_reopen(f); !ok) return Fail(ok.error());
    TaskOutcome out;
    out.task_id = f.task_id;
    out.record = f.record;
    Task& task = out.record.task;
    for (const Address& w : task.contributors)  // L292–L299 (an absent contribution reads as zero)
        if (out.record.contribution_of(w).result_hash == task.consensus_value)
            out.record.contributions[w].status = ContributionStatus::kRejected;
    (void)reopen_consensus(out.record.consensus, task.consensus_value);
    task.status = TaskStatus::kActive;
    task.consensus_value = Bytes32{};
    task.reveal_deadline = 0;
    task.winner_counter = 0;
    out.events.push_back(task_event(TaskEventKind::kTaskReopen, f.task_id));
    return out;
}

// ---- finalize -----------------------------------------------------------------------------------------

namespace {

std::vector<ContributorState> contributor_states(const TaskRecord& record, const std::map<Address, U256>& scores) {
    std::vector<ContributorState> out;
    for (const Address& w : record.task.contributors) {
        const Contribution c = record.contribution_of(w);
        auto s = scores.find(w);
        out.push_back(ContributorState{w, c.status, c.weight, s == scores.end() ? U256(0) : s->second});
    }
    return out;
}

}  // namespace

TaskResult<void> check_finalize(const FinalizeFacts& f) {
    const Task& task = f.record.task;
    if (f.caller != f.deal.workerpool.owner)  // L19
        return bare(TaskCheck::kFinalizeNotScheduler, "the caller " + addr(f.caller) +
                                                          " is not the deal's workerpool owner " +
                                                          addr(f.deal.workerpool.owner));
    if (task.status != TaskStatus::kRevealing)  // L322
        return bare(TaskCheck::kFinalizeNotRevealing,
                    "task " + hex(f.task_id) + " is " + std::string(to_string(task.status)) + ", not REVEALING");
    if (!(task.final_deadline > f.now))  // L323
        return bare(TaskCheck::kFinalizeFinalDeadline,
                    "finalDeadline " + task.final_deadline.to_dec() + " is not after now " + f.now.to_dec());
    if (!(task.reveal_counter == task.winner_counter ||
          (!task.reveal_counter.is_zero() && task.reveal_deadline <= f.now)))  // L324
        return bare(TaskCheck::kFinalizeRevealsIncomplete,
                    task.reveal_counter.to_dec() + " of " + task.winner_counter.to_dec() + " winners revealed and " +
                        (task.reveal_counter.is_zero()
                             ? std::string("nobody revealed (reopen after the reveal deadline, or claim)")
                             : "revealDeadline " + task.reveal_deadline.to_dec() + " is still after now " +
                                   f.now.to_dec()));
    if (!callback_rule(f.deal, f.results_callback, task.result_digest))  // L329
        return bare(TaskCheck::kFinalizeCallback,
                    callback_explanation(f.deal, f.results_callback, task.result_digest, "task's resultDigest"));
    if (auto w = success_work(f.deal, f.task_id, f.kitty); !w) return panic(TaskCheck::kArithmetic, w.error());
    const auto states = contributor_states(f.record, f.scores);
    if (auto d = distribute_rewards(f.deal, f.task_id, states); !d) return panic(TaskCheck::kArithmetic, d.error());
    return {};
}

TaskResult<TaskOutcome> apply_finalize(const FinalizeFacts& f) {
    if (auto ok = check_finalize(f); !ok) return Fail(ok.error());
    TaskOutcome out;
    out.task_id = f.task_id;
    out.record = f.record;
    Task& task = out.record.task;
    task.status = TaskStatus::kCompleted;
    task.results = f.results;
    task.results_callback = f.results_callback;

    const auto success = *success_work(f.deal, f.task_id, f.kitty);
    const auto states = contributor_states(f.record, f.scores);
    const RewardDistribution rewards = *distribute_rewards(f.deal, f.task_id, states);
    out.movements = success;
    out.movements.insert(out.movements.end(), rewards.movements.begin(), rewards.movements.end());
    out.scores = rewards.scores;

    out.events = escrow_events(success, f.hub);
    // distributeRewards interleaves the score events with the escrow calls of each contributor.
    std::size_t m = 0;
    const std::span<const BalanceMovement> moves(rewards.movements);
    for (const ContributorState& c : states) {
        if (c.status == ContributionStatus::kProved) {
            append_events(out.events, escrow_events(moves.subspan(m, 2), f.hub));  // unlock, reward
            m += 2;
            if (states.size() > 1)
                out.events.push_back(worker_event(TaskEventKind::kAccurateContribution, f.task_id, c.worker));
        } else {
            append_events(out.events, escrow_events(moves.subspan(m, 1), f.hub));  // seize
            m += 1;
            out.events.push_back(worker_event(TaskEventKind::kFaultyContribution, f.task_id, c.worker));
        }
    }
    append_events(out.events, escrow_events(moves.subspan(m), f.hub));  // the scheduler's reward
    TaskEvent fin = task_event(TaskEventKind::kTaskFinalize, f.task_id);
    fin.data = f.results;
    out.events.push_back(std::move(fin));
    if (!f.deal.callback.is_zero()) out.callback = f.deal.callback;
    return out;
}

// ---- claim --------------------------------------------------------------------------------------------

TaskResult<void> check_claim(const ClaimFacts& f) {
    const Task& task = f.record.task;
    if (task.status != TaskStatus::kActive && task.status != TaskStatus::kRevealing)  // L355
        return bare(TaskCheck::kClaimNotActiveOrRevealing, "task " + hex(f.task_id) + " is " +
                                                               std::string(to_string(task.status)) +
                                                               ", neither ACTIVE nor REVEALING");
    if (!(task.final_deadline <= f.now))  // L359
        return bare(TaskCheck::kClaimBeforeFinalDeadline,
                    "finalDeadline " + task.final_deadline.to_dec() + " is still after now " + f.now.to_dec());
    if (auto m = claim_movements(f.deal, f.task_id, task.contributors); !m)
        return panic(TaskCheck::kArithmetic, m.error());
    return {};
}

TaskResult<TaskOutcome> apply_claim(const ClaimFacts& f) {
    if (auto ok = check_claim(f); !ok) return Fail(ok.error());
    TaskOutcome out;
    out.task_id = f.task_id;
    out.record = f.record;
    out.record.task.status = TaskStatus::kFailed;
    out.movements = *claim_movements(f.deal, f.task_id, f.record.task.contributors);
    out.events = escrow_events(out.movements, f.hub);
    out.events.push_back(task_event(TaskEventKind::kTaskClaimed, f.task_id));
    return out;
}

TaskResult<std::vector<TaskOutcome>> apply_claim_array(std::span<const ClaimFacts> items) {
    return run_batch<ClaimFacts>(
        items, [](ClaimFacts& f) { return apply_claim(f); }, [](const ClaimFacts& f) { return f.task_id; },
        [](ClaimFacts& f, const TaskRecord& r) { f.record = r; });
}

// ---- Escrow ledger --------------------------------------------------------------------------------------

Account EscrowBook::account(const Address& a) const {
    auto it = accounts.find(a);
    return it == accounts.end() ? Account{} : it->second;
}

namespace {

TaskResult<void> transfer(EscrowBook& book, const Address& from, const Address& to, const U256& value) {
    if (from.is_zero())
        return with_reason(TaskCheck::kEscrow, "IexecEscrow: Transfer from empty address", "the sender is address 0");
    if (to.is_zero())
        return with_reason(TaskCheck::kEscrow, "IexecEscrow: Transfer to empty address", "the receiver is address 0");
    Account& src = book.accounts[from];
    if (value > src.stake)
        return with_reason(TaskCheck::kEscrow, "IexecEscrow: Transfer amount exceeds balance",
                           addr(from) + " must transfer " + value.to_dec() + " nRLC but has a free balance of " +
                               src.stake.to_dec());
    src.stake = U256(U256::Native(src.stake.native() - value.native()));
    Account& dst = book.accounts[to];
    dst.stake = U256(U256::Native(dst.stake.native() + value.native()));  // unchecked in the contract
    return {};
}

TaskResult<void> frozen_add(EscrowBook& book, const Address& a, const U256& v) {
    Account& acc = book.accounts[a];
    auto sum = checked_add(acc.locked, v);
    if (!sum) return panic(TaskCheck::kEscrow, Error{Errc::kOverflow, "frozen[" + addr(a) + "] + " + v.to_dec()});
    acc.locked = *sum;
    return {};
}

TaskResult<void> frozen_sub(EscrowBook& book, const Address& a, const U256& v) {
    Account& acc = book.accounts[a];
    auto rest = checked_sub(acc.locked, v);
    if (!rest)
        return panic(TaskCheck::kEscrow, Error{Errc::kOverflow, "frozen[" + addr(a) + "] = " + acc.locked.to_dec() +
                                                                    " is less than " + v.to_dec()});
    acc.locked = *rest;
    return {};
}

}  // namespace

TaskResult<void> apply_escrow_movements(EscrowBook& book, std::span<const BalanceMovement> movements) {
    for (std::size_t i = 0; i < movements.size(); ++i) {
        const BalanceMovement& m = movements[i];
        if (m.op == EscrowOp::kReward && m.account == kitty_address() && i + 1 < movements.size() &&
            movements[i + 1].op == EscrowOp::kLock && movements[i + 1].account == kitty_address() &&
            movements[i + 1].amount == m.amount) {
            TRY_REVERT(frozen_add(book, m.account, m.amount));  // failedWork L72
            ++i;
            continue;
        }
        switch (m.op) {
            case EscrowOp::kLock:
                TRY_REVERT(transfer(book, m.account, book.hub, m.amount));
                TRY_REVERT(frozen_add(book, m.account, m.amount));
                break;
            case EscrowOp::kUnlock:
                TRY_REVERT(transfer(book, book.hub, m.account, m.amount));
                TRY_REVERT(frozen_sub(book, m.account, m.amount));
                break;
            case EscrowOp::kReward: TRY_REVERT(transfer(book, book.hub, m.account, m.amount)); break;
            case EscrowOp::kSeize: TRY_REVERT(frozen_sub(book, m.account, m.amount)); break;
        }
    }
    return {};
}

}  // namespace wp
