#pragma once
// TxManager: sends ContractCalls from one wallet with locally signed transactions, many in flight at once, and
// reports each call's outcome once it is mined and confirmed. Survives restarts through a TxJournal.
//
// Life of a call
//   submit(call)   queues it (no I/O) and returns a TxHandle.
//   poll()         does one round of work for every call, with batched JSON-RPC requests:
//     1. one batch: the latest block (number, gas limit, base fee), eth_getTransactionCount(latest and pending),
//        eth_maxPriorityFeePerGas, eth_gasPrice (fees.hpp: FeePolicy decides type 2 vs legacy); then released
//        and blocked nonces below that count are forgotten (used on chain) and the next nonce is raised to at
//        least the count; signed transactions a previous round could not journal are appended first (if that
//        fails again the round stops there with the journal's error);
//     2. receipts (batched) for every unmined nonce below the latest transaction count, for ALL the hashes signed
//        with that nonce (the original, its replacements, rejected ones too: whichever was mined wins). A
//        receipt request that fails (or an unparsable receipt) only skips that nonce for this round;
//     3. confirmation: a call is confirmed when head >= receipt.block + confirmations - 1; with confirmations > 1
//        its receipt is fetched again then and must still be in the same block (else it waits again: reorg);
//        a receipt with status 0 is explained by replaying the call with eth_call at the receipt's block
//        (RevertDecoder): "<description>: reverted: <reason> (nonce N, tx 0x…)". A failed re-check or a replay
//        failing with a transport error only delays that call to the next round;
//     4. queued calls: eth_estimateGas (batched; skipped when SubmitOptions::gas_limit is set) -> gas_limit_for
//        (margin and cap, fees.hpp). A revert here fails the call with its decoded reason and NO nonce is used;
//     5. nonces are assigned (the lowest released nonce first, else the next one); then the new calls are signed
//        and journaled in batches of broadcast_batch_size, PIPELINED with step 6: a helper thread signs and appends
//        batch k+1 (one durable append per batch) while the round broadcasts batch k. Every signed transaction (new
//        calls, replacements, fillers: these go with the first batch) is appended to the journal BEFORE it is
//        broadcast. If an append fails, nothing is undone: every call keeps its nonce, its unjournaled (or not yet
//        signed) transactions are not broadcast, the helper stops, and the same records are appended (the rest
//        signed) at the start of the next round (poll() returns the journal's error);
//     6. broadcasts of journaled transactions only, in nonce order, in JSON-RPC batches of broadcast_batch_size
//        eth_sendRawTransaction calls (one round trip per batch: the node sees many transactions at once and mines
//        them in few blocks); a send that may not have reached the node (transport error, rate limit) stops the
//        broadcasts of the round. A batch may be executed out of order by the node; a nonce that arrives before its
//        predecessor waits in the node's queue, which normally promotes it once the gap is filled. The stall rule
//        covers the node that does not (anvil can keep a whole run "queued"): when the lowest unmined nonce is
//        ours and accepted, and eth_getTransactionCount(pending) equals the latest count (nothing ready) — or,
//        with stall_kick_method set (automine devnets), whatever the pending count — for stall_after on that same
//        nonce, its transaction is broadcast again and stall_kick_method (e.g. "evm_mine") is called once;
//        stats().stall_kicks counts these (do not set stall_kick_method with interval mining slower than
//        stall_after: it would mine extra blocks); after stall_replace_after_kicks kicks that did not move the
//        nonce, the transaction is replaced at once (fee bump, as for a stuck transaction) instead;
//     7. returns the outcomes completed in this round (and earlier ones not taken by wait() or take_outcomes()).
//   wait(h) / send_and_wait(call) for the CLI (blocking, with a timeout): a waiter runs a round only when none is
//   running; otherwise it waits for the end of the running one (one round at a time, whoever runs it).
//   Between rounds a waiter sleeps poll_interval, unless new blocks are pushed to the manager (notify_new_head()
//   from a newHeads subscription, head_watcher.hpp, with set_heads_live(true) while it is subscribed): then the
//   waiters sleep until a new head (or head_fallback_interval), and a head wakes ONE check per manager: a full
//   round when one is due (a call queued or to send, a receipt awaiting its confirmations, unjournaled records, or
//   head_fallback_interval passed since the last full round), else a probe — one eth_getTransactionCount(latest)
//   — that runs the round only when the account's count moved (one of our transactions was mined; a block of
//   other senders' transactions costs that one call). Rebroadcasts, replacements, stalls and reorgs are then
//   handled by the full rounds at least every head_fallback_interval.
//
// The state of a call (TxStatus; status(h), find(key), IntentState):
//
//     submit / submit_durable            nonce assigned, signed          receipt seen
//   ─────────────────────────▶ kQueued ─────────────────────────▶ kPending ──────────────▶ kMined
//                                 │                                 │   ▲  reorg: receipt   │
//                                 │ estimate reverted / fee cap /   │   └───── gone ────────┤
//                                 │ signing failed (no nonce used)  │                       │ confirmation depth
//                                 ▼                                 │ rejected, no attempt  ├──▶ kConfirmed (status 1)
//                              kFailed ◀────────────────────────────┘ ever accepted /       └──▶ kReverted  (status 0)
//                                        nonce held by a foreign tx / no receipt for any of our hashes
//   Every arrow into a final state (kConfirmed, kReverted, kFailed) is journaled BEFORE the outcome is delivered
//   (kConfirmed with the revert message for status 0, kReleased, kFailed); kPending starts once the nonce is
//   assigned, and its transaction is journaled (kSigned) before any broadcast.
//   Within kPending / kMined, each signed transaction of the call (original, replacements; fillers alike) has its
//   own AttemptState (attempt_state.hpp, with its diagram and the one function that checks an arrow):
//   kSigned -> kJournaled -> kSent / kAccepted / kRejected -> kRefusedAfterAccept. Only journaled attempts are
//   sent; "some attempt of the nonce was ever accepted" (kAccepted, kRefusedAfterAccept) decides between keeping
//   the nonce and failing / releasing it (Nonce rules below). These states are not persisted: the journal's
//   records are unchanged (a recovered attempt starts kAccepted).
//
// Keyed calls (SubmitOptions::key, the caller's idempotency key, e.g. "task:<id>:initialize"): submit_durable()
// journals a kIntent record (key, id, call, gas limit, confirmations, description) and returns only once it is
// durable; a key the manager knows returns the existing handle (never a second transaction). After a restart,
// find(key) answers from the journal: final states with their outcome (hash, block, error message), calls
// signed but unfinished are in flight again (kPending), intents never signed are queued again with their id.
// Compaction (compact(), or by itself every retention.compact_every records) rewrites the journal without the
// records of closed calls, keeping for find() the kIntent and final record of the newest retention.keep_closed
// closed keyed calls younger than retention.max_age (their raw transactions are dropped). A key dropped by
// compaction is forgotten. Ids of calls dropped by compaction may be given again after a restart.
//
// Stuck transactions: an unmined transaction whose latest broadcast is older than `replace_after` (or, when
// `replace_after_blocks` > 0, that many blocks old) is replaced: same nonce, same call and gas, fees from
// bump_fees (>= +bump_percent on both fields and at least the current suggestion; geth's rule), applied to the
// highest fees of a transaction of that nonce the node ACCEPTED (a rejected replacement does not raise the base;
// the same transaction is not signed twice). When the fee cap forbids the bump the transaction keeps waiting
// with its current fees. Independently, an unmined
// transaction not re-sent for `rebroadcast_after` is broadcast again (nodes answer "already known"; a node that
// dropped it takes it back).
//
// Nonce rules (never a reuse for two different calls, never a permanent gap):
//   - a nonce is owned by one call from its kSigned journal record on; replacements keep the call and nonce;
//   - a send that fails with a transient error (classify_rpc_error in rpc.hpp, the chain module's one classifier:
//     timeout, reset, HTTP 408 / 5xx) MAY have reached the node: the call keeps its nonce and the transaction is
//     broadcast again later. A rate limit (same classifier: HTTP 429 whatever its body, -32005 or a rate-limit
//     message) is treated the same way: it says nothing about the transaction. Either stops the broadcasts of
//     that round. Any other HTTP status (401, 404, ...) means the node did not take it (rejected, below);
//   - node answers "already known" / "nonce too low" count as sent (the receipts tell which hash was mined);
//   - an attempt is ACCEPTED once any eth_sendRawTransaction of it succeeded (or answered "already known" /
//     "nonce too low"); transactions recovered from the journal count as accepted (they may have been sent
//     before the restart). Any other JSON-RPC error (insufficient funds, intrinsic gas too low, fee cap below
//     base fee, ...) marks that attempt rejected for now; while some attempt of the nonce was ever accepted the
//     nonce is kept (that transaction may still be in this or another node's pool and be mined): it is sent again
//     after rebroadcast_after, and once the nonce is below the latest count the receipts of all its hashes
//     decide. Only when NO attempt of the nonce was ever accepted is the call failed with the node's message
//     ("<description>: rejected by the node: <message> (nonce N, tx 0x…)"), a kReleased record journaled and,
//     once that append succeeded, the nonce RELEASED (if it fails, the call keeps the nonce and the release is
//     retried at the next broadcast). A released nonce is given to the next call that gets a nonce; if later
//     nonces are already in flight and no call takes it in the same round, it is filled at once with a 0-value
//     self-transfer (21000 gas, "nonce filler"), so the transactions behind it are not blocked; a released nonce
//     above every in-flight nonce simply lowers the next nonce. A filler that is itself rejected releases the
//     nonce again, and the next filler for it waits filler_backoff * 2^(failures-1) (at most
//     filler_backoff_max). (This assumes one node, or nodes sharing a pool, behind the RPC URL.)
//   - "replacement transaction underpriced" when no attempt of the nonce was ever accepted means another
//     transaction (not ours: ours are journaled) holds the nonce in the pool: the call fails ("<description>:
//     nonce N is held in the pool by another transaction: <message>"), a kReleased record is journaled with a
//     reason starting "nonce held in the pool by another transaction: ", and the nonce is BLOCKED: never given
//     to a call, filled by nonce fillers only (with the back-off above; a filler answered "underpriced" again
//     blocks it again) until one is accepted or the nonce falls below the latest count. After a restart the
//     same reason blocks the nonce again. ("underpriced" for a replacement when an earlier attempt was accepted
//     just marks that replacement rejected: ours is in the pool.)
//   - a nonce below the account's latest transaction count with no receipt for any of our hashes, once the head
//     has advanced foreign_nonce_blocks blocks since the manager first saw it so (and after at least three
//     rounds), fails its call: "<description>: no receipt for any of our transactions with nonce N (mined by
//     another sender, or the node's receipt index is pruned)".
//   One manager per (wallet, chain) at a time; other software must not send from the same key.
//
// Restart (open()): the journal's records for (chain id, wallet) are replayed: calls with kSigned but neither
// kConfirmed nor kReleased are in flight again (recovered(); their handles keep their ids, outcomes come from
// poll() / wait() as usual). Their transactions are re-broadcast at the first poll() when their nonce is at or
// above the latest transaction count, else their receipts are looked up; replace_after / replace_after_blocks
// count from the restart (the head block at open()). The next nonce is
//   max(eth_getTransactionCount(pending), highest journaled nonce still owned or blocked + 1)
// and journaled nonces below it that are owned by no call (released before the restart) are free (given to calls
// or filled as above), or blocked when their release said a foreign transaction held them.
// A journal kept across a chain reset (e.g. a restarted anvil with the same chain id) is refused: when the node's
// latest transaction count is <= the highest nonce with a kConfirmed record, open() fails with
// Errc::kInvalidArgument "<journal name> is from another chain instance: the node's nonce for <address> is N but
// the journal has confirmed nonce M" (nothing would ever be mined otherwise).
//
// Parts, each with one job and its unit test: NonceAllocator (nonce_allocator.hpp: free / blocked nonces, next
// nonce, filler back-off), ReceiptTracker (receipt_tracker.hpp: the receipt requests of step 2 and what the answers
// say per nonce), MissingReceiptWatch (missing_receipt.hpp: when a nonce used without a receipt of ours fails its
// call), Confirmer (confirmer.hpp: step 3, the confirmation depth, the reorg re-check, the revert replay and its
// message), TxStarter (tx_starter.hpp: step 4-5, the estimate and its meaning, signing), FillerPlanner
// (filler_planner.hpp: which nonces get a filler), ReplacementPlanner (replacement_planner.hpp: when a stuck
// transaction is due for a replacement, and its fees), StallDetector (stall_detector.hpp: the timing of the stall
// rule), Broadcaster (broadcaster.hpp: batches of eth_sendRawTransaction, classification of the answers),
// OutcomeQueue (outcome_queue.hpp: states of calls in flight, outcomes until taken exactly once, round
// notifications), the TxJournal (tx_journal.hpp), and the per-nonce state TxSlot / TxAttempt (tx_slot.hpp). The
// round runner here sequences them (steps 1-6) and owns the locking: each part plans its JSON-RPC requests from a
// copy taken under the state lock; the requests run without it; the answers are applied under it to the slots
// their SlotRef (nonce + call id) still names (a late answer for a slot that left is dropped; the AttemptState
// machine decides what a send answer means for an attempt in whatever state it is now).
//
// Thread safety: every public member function may be called from any thread. No lock is held across a JSON-RPC
// round trip: rounds run one at a time (a round lock that guards no state), and the manager's state lock is taken
// only around in-memory steps of a round (never across a JSON-RPC call nor a journal write). So submit(),
// submit_durable(), find(), status(), take_outcomes(), in_flight(), next_nonce(), recovered(), stats() and
// compact() never wait for a round's I/O: submit() of an unkeyed call never waits for I/O; submit_durable() and
// compact() wait for the journal (disk: another append in progress), never for the node. poll() runs one round
// (after the running one, if any) and makes synchronous JSON-RPC calls (a few batched round trips); a daemon calls
// poll() from its own loop or a dedicated thread, and may take outcomes from other threads with take_outcomes().
// stats() and next_nonce() answer as of the end of the last round, compaction or open(); in_flight() counts calls
// from their submit() to their outcome; recovered() is fixed by open(). Each outcome is delivered exactly once: to
// the wait(h) waiting for it, else to take_outcomes() or the next poll() (as soon as its final record is
// journaled, also while the round that completed it is still running). With poll() running in another thread,
// submit() then wait() races with it (the outcome may go to poll() first, and wait() then fails "not in flight"):
// use send_and_wait(), which registers the waiter when the call is queued.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "attempt_state.hpp"
#include "broadcaster.hpp"
#include "confirmer.hpp"
#include "contract_call.hpp"
#include "eth.hpp"
#include "fees.hpp"
#include "filler_planner.hpp"
#include "missing_receipt.hpp"
#include "nonce_allocator.hpp"
#include "outcome_queue.hpp"
#include "receipt_tracker.hpp"
#include "replacement_planner.hpp"
#include "revert.hpp"
#include "rpc.hpp"
#include "signing.hpp"
#include "stall_detector.hpp"
#include "tx_journal.hpp"
#include "tx_manager_types.hpp"
#include "tx_slot.hpp"
#include "tx_starter.hpp"

namespace wp::chain {

struct SubmitOptions {
    //! Use this gas limit and skip eth_estimateGas (e.g. a call that only succeeds after earlier in-flight calls).
    std::optional<std::uint64_t> gas_limit{};
    //! Overrides TxManagerOptions::confirmations for this call.
    std::optional<std::uint64_t> confirmations{};
    //! The caller's idempotency key (e.g. "task:0x…:initialize"); empty: none. A keyed call is durable (see
    //! submit_durable): its intent is journaled before it is acknowledged, and the same key never makes a second
    //! call while the journal remembers it (TxManagerOptions::retention).
    std::string key{};
};

//! One call of a batch of submit_durable().
struct DurableCall {
    ContractCall call;
    SubmitOptions options;  //!< options.key must be non-empty
};

//! What find(key) knows about a keyed call, also after a restart.
struct IntentState {
    TxHandle handle;
    std::string key;
    std::string description;
    TxStatus status{TxStatus::kQueued};
    std::optional<std::uint64_t> nonce;  //!< once signed (kept also when it was released: see error)
    std::optional<Bytes32> hash;         //!< kMined, kConfirmed, kReverted: the mined transaction
    std::optional<std::uint64_t> block;  //!< same
    std::optional<Error> error;          //!< kReverted, kFailed: the one-line explanation
    bool final() const {
        return status == TxStatus::kConfirmed || status == TxStatus::kReverted || status == TxStatus::kFailed;
    }
};

struct TxManagerOptions {
    FeePolicy fees{};
    GasPolicy gas{};
    std::uint64_t confirmations{1};  //!< 1: reported in the round that sees the receipt
    std::chrono::milliseconds replace_after{std::chrono::seconds(60)};
    std::uint64_t replace_after_blocks{0};  //!< 0: only replace_after applies
    std::chrono::milliseconds rebroadcast_after{std::chrono::seconds(5)};
    std::chrono::milliseconds poll_interval{std::chrono::milliseconds(100)};  //!< wait() between rounds
    //! While heads are live (set_heads_live): wait() runs a full round at least this often (header comment).
    std::chrono::milliseconds head_fallback_interval{std::chrono::seconds(1)};
    std::size_t max_in_flight{0};  //!< at most this many unconfirmed calls with a nonce (0: no limit)
    //! A nonce below the latest transaction count with no receipt for any of our hashes fails its call once the
    //! head has advanced this many blocks since the manager first saw it so (and at least 3 rounds passed).
    std::uint64_t foreign_nonce_blocks{3};
    //! A filler for a nonce is signed again after its previous filler was rejected (or the nonce is held by a
    //! foreign transaction) only after filler_backoff * 2^(failures - 1), at most filler_backoff_max.
    std::chrono::milliseconds filler_backoff{std::chrono::seconds(1)};
    std::chrono::milliseconds filler_backoff_max{std::chrono::seconds(60)};
    //! Calls per JSON-RPC batch request of the reads (receipts, estimates, re-checks, replays); more calls go out in
    //! several batches, up to 4 of them in flight at once.
    std::size_t rpc_batch_size{200};
    //! eth_sendRawTransaction calls per JSON-RPC batch (step 6 of the header comment).
    std::size_t broadcast_batch_size{100};
    //! The out-of-order stall rule (header comment): how long the lowest nonce may wait with nothing ready.
    std::chrono::milliseconds stall_after{std::chrono::milliseconds(300)};
    //! Called (no parameters) when a stall is declared; empty: none. "evm_mine" for anvil / hardhat devnets.
    std::string stall_kick_method{};
    //! After this many kicks on the same stalled nonce (0: never), the stalled transaction is replaced at once with
    //! bumped fees (ReplacementPlanner's fees), without waiting for replace_after: a re-broadcast of the same bytes
    //! can be ignored by a node that keeps it queued ("already imported"), a replacement cannot.
    unsigned stall_replace_after_kicks{3};
    Clock* clock{nullptr};  //!< nullptr: wp::system_clock(); else must outlive the manager
    //! Journal compaction (compact()): the final records of closed keyed calls kept for find() — the newest
    //! keep_closed of them, and none older than max_age (by the time of their final record); compact() runs by
    //! itself after a round once compact_every records were appended since the last one (0: never by itself).
    //! A key dropped by compaction is forgotten: submitting it again makes a new call.
    struct Retention {
        std::size_t keep_closed{100'000};
        std::chrono::milliseconds max_age{std::chrono::hours(24 * 7)};
        std::size_t compact_every{20'000};
    } retention{};
    const RevertDecoder* decoder{nullptr};  //!< nullptr: default_revert_decoder(); else must outlive the manager
};

struct TxManagerStats {
    std::uint64_t signed_txs{0};         //!< transactions signed and journaled (including replacements and fillers)
    std::uint64_t broadcasts{0};         //!< eth_sendRawTransaction requests
    std::uint64_t replacements{0};       //!< fee-bumped replacements signed
    std::uint64_t fillers{0};            //!< nonce fillers signed
    std::uint64_t released{0};           //!< nonces released after rejected sends (journaled kReleased, filler or call)
    std::uint64_t rounds{0};             //!< poll() rounds
    std::uint64_t broadcast_batches{0};  //!< JSON-RPC batch requests carrying eth_sendRawTransaction calls
    std::uint64_t stall_kicks{0};        //!< out-of-order stalls resolved (header comment)
    std::uint64_t compactions{0};        //!< journal compactions done
    std::uint64_t head_probes{0};        //!< eth_getTransactionCount probes after a new head (header comment)
    std::uint64_t head_probes_skipped{0};  //!< of which the count had not moved: no round
};

class TxManager {
  public:
    //! Reads the chain id, loads and replays the journal (see the header comment), reads the account's nonces.
    //! Errors: RPC failures, journal errors (a corrupt journal is never ignored), a journal whose records are
    //! inconsistent (two calls owning one nonce), a journal from another chain instance (header comment).
    static Result<std::unique_ptr<TxManager>> open(JsonRpcClient& rpc, const PrivateKey& key,
                                                   std::shared_ptr<TxJournal> journal, TxManagerOptions options = {});
    ~TxManager();
    TxManager(const TxManager&) = delete;
    TxManager& operator=(const TxManager&) = delete;

    Address address() const { return address_; }
    std::uint64_t chain_id() const { return chain_id_; }

    //! Queues a call; never blocks on I/O, never fails (problems are reported in its outcome). A call with
    //! options.key goes through submit_durable(); if that fails (journal error), the returned handle's outcome is
    //! kFailed with that error (nothing was journaled: submit the key again later).
    TxHandle submit(ContractCall call, SubmitOptions options = {});

    //! Durable submit of a keyed call: the intent record (key, id, call, gas limit, confirmations, description) is
    //! appended to the journal and durable when this returns the handle. A key the manager already knows (in
    //! flight, final, or recovered from the journal) returns that call's handle and queues nothing. Waits for the
    //! journal (disk), never for the node. Errors: Errc::kInvalidArgument for an empty key; the journal's error (then
    //! nothing was queued). Thread safe.
    Result<TxHandle> submit_durable(ContractCall call, SubmitOptions options);
    //! The batch form: one journal append for every new key of `calls` (keys already known, also repeated ones
    //! within `calls`, return the existing handle). The handles are in the order of `calls`.
    Result<std::vector<TxHandle>> submit_durable(std::vector<DurableCall> calls);

    //! The state of the keyed call `key` (queued, pending, mined, confirmed, reverted, failed) and its outcome, from
    //! memory: never waits for I/O or for a running round. nullopt for a key never submitted (or dropped from the
    //! journal by compaction after its retention).
    std::optional<IntentState> find(std::string_view key) const;

    //! Rewrites the journal without what is no longer needed (tx_journal.hpp "Compaction"; retention in
    //! TxManagerOptions::retention). Does not wait for a running round (only for a journal append in progress):
    //! calls in the round's hands keep all their records. Errors: the journal's (nothing is lost).
    Result<void> compact();

    //! One round of work (header comment); returns the outcomes completed and not claimed by a wait() or
    //! take_outcomes(). Waits for a round running in another thread first.
    //! An error (e.g. the node unreachable, a journal append failing) loses nothing: every call keeps its nonce
    //! and state, and the next round retries.
    Result<std::vector<TxOutcome>> poll();

    //! Runs rounds until `handle` completes (its outcome is returned: check ok()) or `timeout` passes
    //! (Errc::kTimeout; the call stays in flight). Errc::kInvalidArgument for a handle that is not in flight
    //! (unknown, or its outcome was already delivered). RPC errors of a round are retried until the timeout.
    Result<TxOutcome> wait(TxHandle handle, std::chrono::milliseconds timeout = std::chrono::minutes(5));

    //! submit + wait, with the waiter registered before the call is queued (safe next to a polling thread).
    Result<TxOutcome> send_and_wait(ContractCall call, SubmitOptions options = {},
                                    std::chrono::milliseconds timeout = std::chrono::minutes(5));

    //! The outcomes completed and not claimed by a wait(), in completion order, WITHOUT running a round: the pollable
    //! queue for a thread other than the one running rounds. Never waits for a running round (an outcome completed
    //! by a round still running is there as soon as its final record is journaled). Each outcome is delivered once:
    //! here, by poll() or to its waiter.
    std::vector<TxOutcome> take_outcomes();

    //! The calls found in flight in the journal by open() (fixed by open(); never waits).
    std::vector<TxHandle> recovered() const;
    //! Queued plus unconfirmed calls (fillers excluded): calls submitted (or recovered by open()) whose outcome
    //! is not complete yet. Never waits for a running round (a call counts until the round that completes it).
    std::size_t in_flight() const;
    //! The state of a call still known to the manager (nullopt once its outcome was delivered). Never waits for a
    //! running round.
    std::optional<TxStatus> status(TxHandle handle) const;
    //! The nonce the next call will get if no nonce is released before, as of the end of the last round (or
    //! open()). Never waits for a running round.
    std::uint64_t next_nonce() const;
    //! The counters as of the end of the last round (or compaction). Never waits for a running round.
    TxManagerStats stats() const;

    //! A new block was announced (a newHeads subscription): wakes the waiters (header comment). Any thread; no I/O.
    void notify_new_head();
    //! Whether heads are pushed (the subscription is live): wait() sleeps for heads instead of poll_interval.
    void set_heads_live(bool live);

  private:
    using Attempt = TxAttempt;
    using Slot = TxSlot;
    struct Queued {
        std::uint64_t id{0};
        ContractCall call;
        SubmitOptions options;
        std::optional<Error> rejected;  //!< submit() of a keyed call whose intent could not be journaled
    };
    struct Head {
        std::uint64_t number{0};
        std::uint64_t gas_limit{0};
        std::uint64_t latest_count{0};
        std::uint64_t pending_count{0};  //!< eth_getTransactionCount(pending); max() when unknown
        FeeMarket market;
    };
    //! A call that fails before it has a transaction (estimate, fees, signing): its keyed kFailed record is journaled
    //! before the outcome is delivered; while that append runs its id is in closing_ (compaction keeps its intent).
    struct Failure {
        Queued queued;
        TxOutcome outcome;
    };
    //! A nonce to give up after a send answer (journaled kReleased first, then applied).
    struct Release {
        SlotRef slot;
        std::string reason;
        bool foreign_hold{false};  //!< a foreign transaction holds it: blocked, not released
    };

    TxManager(JsonRpcClient& rpc, const PrivateKey& key, std::shared_ptr<TxJournal> journal, TxManagerOptions options);
    Result<void> recover();
    Result<void> advance();    //!< one round; under round_mutex_, takes mutex_ only around in-memory steps
    Result<void> run_round();  //!< advance() then publish()
    void publish();            //!< copies stats_ and the next nonce into the snapshot; takes mutex_
    Result<Head> read_head();
    Result<void> track_receipts(const Head& head);
    Result<void> confirm(const Head& head);
    Result<void> start_queued(const Head& head);
    bool check_stall(const Head& head);        //!< under mutex_; true: call stall_kick_method
    void plan_fillers(const Head& head);       //!< under mutex_
    void plan_replacements(const Head& head);  //!< under mutex_
    Result<void> send_pipeline(const Head& head);
    Result<void> sign_unsigned(const std::vector<SlotRef>& slots, const FeeParams& fees);
    Result<void> journal_new_attempts();
    bool broadcast(const Head& head);  //!< one step of the pipeline; false: stop broadcasting in this round
    Result<void> apply_releases(std::vector<Release> releases);
    Result<void> deliver_failures(std::vector<Failure> failures);
    Clock& clock() const;
    void finish(TxOutcome outcome);
    TxOutcome outcome_of(const Slot& slot, TxStatus status) const;
    Result<std::vector<RpcResult<boost::json::value>>> batch(std::vector<RpcCall> calls);
    const RevertDecoder& decoder() const;
    Result<TxOutcome> wait_registered(TxHandle handle, std::chrono::milliseconds timeout);
    //! Under round_mutex_, heads live: whether the next round must be a full one (no I/O).
    bool full_round_due();
    //! Under round_mutex_: true to run the round (a full round is due, or the probe saw the count move).
    bool round_wanted();
    Result<void> append(std::span<const JournalRecord> records);
    //! Compaction; `only_if_due`: only when retention.compact_every records were appended since the last one.
    Result<void> compact_impl(bool only_if_due);
    void set_status(std::uint64_t id, TxStatus status, const Slot* slot);
    TxHandle submit_impl(ContractCall call, SubmitOptions options, bool waited);
    Result<std::vector<TxHandle>> submit_durable_impl(std::vector<DurableCall> calls, bool waited);
    template <class F>
    JournalRecord journal_record(JournalRecord::Kind kind, std::uint64_t id, std::uint64_t nonce, F&& fill) const;

    JsonRpcClient& rpc_;
    EthClient eth_;
    PrivateKey key_;
    Address address_;
    std::shared_ptr<TxJournal> journal_;
    TxManagerOptions options_;
    std::uint64_t chain_id_{0};
    TxStarter starter_;  //!< estimates and signing (uses key_, chain_id_ once open() read it)

    mutable std::mutex queue_mutex_;
    std::deque<Queued> queue_;
    std::uint64_t next_id_{1};

    //! One round at a time (poll() and waiters). Held across the round's JSON-RPC calls: it guards no state, only
    //! the order of rounds; nothing else takes it.
    std::mutex round_mutex_;
    //! The in-memory state below (live_, accepted_, closing_, the parts, stats_, latest_count_). Held only around
    //! in-memory steps: never across a JSON-RPC round trip nor a journal write.
    mutable std::mutex mutex_;
    SlotMap live_;                     //!< by nonce
    NonceAllocator nonces_;            //!< free / blocked nonces, the next nonce, filler back-off
    Broadcaster broadcaster_;          //!< batches of eth_sendRawTransaction, answers classified
    ReplacementPlanner replacements_;  //!< when a stuck transaction is replaced, and its fees
    StallDetector stalls_;             //!< the timing of the out-of-order stall rule
    std::vector<TxHandle> recovered_;
    std::deque<Queued> accepted_;      //!< taken from queue_ by a round, waiting for a nonce
    std::set<std::uint64_t> closing_;  //!< calls failing without a slot, their kFailed record being appended
    OutcomeQueue outcomes_;            //!< states of calls not yet delivered, outcomes until taken, round count
    TxManagerStats stats_;
    std::uint64_t latest_count_{0};  //!< the latest transaction count seen by the last round
    std::atomic<bool> heads_live_{false};
    //! Under round_mutex_: the head count when the last round or probe started, and when the last full round ran.
    std::uint64_t heads_checked_{0};
    Clock::time_point last_full_round_{};

    //! What in_flight(), next_nonce() and stats() answer without waiting for a round (a leaf lock: nothing is
    //! called while it is held).
    struct Snapshot {
        TxManagerStats stats;
        std::uint64_t next_nonce{0};
        std::size_t unfinished{0};  //!< calls submitted / recovered whose outcome was not completed (no fillers)
    };
    mutable std::mutex snapshot_mutex_;
    Snapshot snapshot_;

    //! Every journal call; taken before mutex_ when both are (compaction), never while mutex_ is held.
    std::mutex journal_mutex_;
    std::size_t appended_since_compaction_{0};  //!< under journal_mutex_
    mutable std::mutex intents_mutex_;
    std::map<std::string, IntentState, std::less<>> intents_;  //!< by key
    std::map<std::uint64_t, std::string> intent_keys_;         //!< id -> key
    std::map<std::uint64_t, std::int64_t> closed_ms_;          //!< id -> time_ms of a keyed call's final record
};

}  // namespace wp::chain
