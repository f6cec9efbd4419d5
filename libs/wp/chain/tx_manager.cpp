#include "tx_manager.hpp"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <limits>
#include <memory>
#include <thread>

#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>

namespace wp::chain {
namespace json = boost::json;
namespace {

// The prefix of the kReleased reason of a call whose nonce is held in the pool by a foreign transaction: recover()
// blocks such a nonce (fillers only) as the running manager does.
constexpr std::string_view kForeignHoldPrefix = "nonce held in the pool by another transaction: ";

JournalRecord base_record(JournalRecord::Kind kind, std::uint64_t chain_id, const Address& from, std::uint64_t id,
                          std::uint64_t nonce, std::int64_t time_ms) {
    JournalRecord r;
    r.kind = kind;
    r.chain_id = chain_id;
    r.from = from;
    r.id = id;
    r.nonce = nonce;
    r.time_ms = time_ms;
    return r;
}

std::string tx_suffix(std::uint64_t nonce, const Bytes32& hash) {
    return " (nonce " + std::to_string(nonce) + ", tx " + to_hex(hash) + ")";
}

}  // namespace

const char* to_string(TxStatus status) {
    switch (status) {
        case TxStatus::kQueued: return "queued";
        case TxStatus::kPending: return "pending";
        case TxStatus::kMined: return "mined";
        case TxStatus::kConfirmed: return "confirmed";
        case TxStatus::kReverted: return "reverted";
        case TxStatus::kFailed: return "failed";
    }
    return "?";
}

TxManager::TxManager(JsonRpcClient& rpc, const PrivateKey& key, std::shared_ptr<TxJournal> journal,
                     TxManagerOptions options)
    : rpc_(rpc),
      eth_(rpc),
      key_(key),
      address_(key_.address()),
      journal_(std::move(journal)),
      options_(std::move(options)),
      starter_(key_, 0, options_.gas, decoder()),
      nonces_(clock(), options_.filler_backoff, options_.filler_backoff_max),
      broadcaster_(rpc, options_.broadcast_batch_size),
      replacements_(ReplacementRule{options_.replace_after, options_.replace_after_blocks, options_.fees}),
      stalls_(options_.stall_after, options_.stall_replace_after_kicks) {}

TxManager::~TxManager() = default;

Result<std::unique_ptr<TxManager>> TxManager::open(JsonRpcClient& rpc, const PrivateKey& key,
                                                   std::shared_ptr<TxJournal> journal, TxManagerOptions options) {
    if (!journal) return make_error(Errc::kInvalidArgument, "TxManager: no journal");
    std::unique_ptr<TxManager> manager(new TxManager(rpc, key, std::move(journal), std::move(options)));
    WP_TRY(manager->chain_id_, manager->eth_.chain_id());
    manager->starter_.set_chain_id(manager->chain_id_);
    WP_TRY_VOID(manager->recover());
    manager->publish();
    return manager;
}

template <class F>
JournalRecord TxManager::journal_record(JournalRecord::Kind kind, std::uint64_t id, std::uint64_t nonce,
                                        F&& fill) const {
    JournalRecord r = base_record(kind, chain_id_, address_, id, nonce, clock().unix_ms());
    fill(r);
    return r;
}

Clock& TxManager::clock() const { return options_.clock ? *options_.clock : system_clock(); }

const RevertDecoder& TxManager::decoder() const {
    return options_.decoder ? *options_.decoder : default_revert_decoder();
}

// ---- restart ----

Result<void> TxManager::recover() {
    WP_TRY(auto records, journal_->load());
    struct Call {
        std::uint64_t nonce{0};
        std::string description;
        bool filler{false};
        std::vector<Attempt> attempts;
        Transaction last;
        bool closed{false};
    };
    std::map<std::uint64_t, Call> calls;
    std::map<std::uint64_t, std::uint64_t> owner;  // nonce -> id (confirmed nonces included)
    std::set<std::uint64_t> held;                  // released because a foreign transaction holds the nonce
    std::optional<std::uint64_t> max_confirmed;    // the highest nonce with a kConfirmed record
    std::uint64_t max_id = 0;
    std::map<std::uint64_t, JournalRecord> intents;        // id -> kIntent
    std::map<std::uint64_t, const JournalRecord*> finals;  // id -> the final record of a keyed call
    for (const auto& r : records) {
        if (r.chain_id != chain_id_ || r.from != address_) continue;
        max_id = std::max(max_id, r.id);
        const std::string where = "journal: call " + std::to_string(r.id) + " nonce " + std::to_string(r.nonce);
        if (r.kind == JournalRecord::Kind::kIntent) {
            if (intents.contains(r.id)) return make_error(Errc::kDecoding, where + ": a second intent record");
            intents.emplace(r.id, r);
            continue;
        }
        if (r.kind == JournalRecord::Kind::kFailed) {
            if (!intents.contains(r.id)) return make_error(Errc::kDecoding, where + ": failed but no intent record");
            finals[r.id] = &r;
            continue;
        }
        if (r.kind != JournalRecord::Kind::kSigned && intents.contains(r.id)) finals[r.id] = &r;
        auto it = calls.find(r.id);
        // A compacted keyed call keeps its final record without its kSigned records.
        if (it == calls.end() && r.kind != JournalRecord::Kind::kSigned && intents.contains(r.id)) {
            if (r.kind == JournalRecord::Kind::kConfirmed) max_confirmed = std::max(max_confirmed.value_or(0), r.nonce);
            if (r.kind == JournalRecord::Kind::kReleased && r.reason.starts_with(kForeignHoldPrefix)) {
                held.insert(r.nonce);
            }
            continue;
        }
        if (it != calls.end() && it->second.nonce != r.nonce) {
            return make_error(Errc::kDecoding, where + ": the call had nonce " + std::to_string(it->second.nonce));
        }
        switch (r.kind) {
            case JournalRecord::Kind::kSigned: {
                auto tx = tx::decode(r.raw);
                if (!tx) return make_error(Errc::kDecoding, where + ": " + tx.error().message);
                if (tx->nonce != r.nonce || tx->chain_id != chain_id_) {
                    return make_error(Errc::kDecoding, where + ": the raw transaction has nonce " +
                                                           std::to_string(tx->nonce) + " and chain id " +
                                                           std::to_string(tx->chain_id));
                }
                auto o = owner.find(r.nonce);
                if (o != owner.end() && o->second != r.id) {
                    return make_error(Errc::kDecoding,
                                      where + ": the nonce is already owned by call " + std::to_string(o->second));
                }
                owner[r.nonce] = r.id;
                auto& call = calls[r.id];
                call.nonce = r.nonce;
                call.description = r.description;
                call.filler = r.filler;
                // It may have been broadcast (and accepted) before the restart: count it as accepted.
                call.attempts.push_back(
                    Attempt{.hash = r.hash, .raw = r.raw, .fees = fees_of(*tx), .state = AttemptState::kAccepted});
                call.last = std::move(*tx);
                break;
            }
            case JournalRecord::Kind::kConfirmed:
                if (it == calls.end()) return make_error(Errc::kDecoding, where + ": confirmed but never signed");
                it->second.closed = true;
                max_confirmed = std::max(max_confirmed.value_or(0), r.nonce);
                break;
            case JournalRecord::Kind::kReleased:
                if (it == calls.end()) return make_error(Errc::kDecoding, where + ": released but never signed");
                it->second.closed = true;
                if (auto o = owner.find(r.nonce); o != owner.end() && o->second == r.id) owner.erase(o);
                if (r.reason.starts_with(kForeignHoldPrefix)) {
                    held.insert(r.nonce);
                } else {
                    held.erase(r.nonce);
                }
                break;
            case JournalRecord::Kind::kIntent:
            case JournalRecord::Kind::kFailed: break;  // handled above
        }
    }
    next_id_ = max_id + 1;

    WP_TRY(const auto latest_count, eth_.get_transaction_count(address_, BlockTag::latest()));
    WP_TRY(const auto pending_count, eth_.get_transaction_count(address_, BlockTag::pending()));
    WP_TRY(const auto head_number, eth_.block_number());
    if (max_confirmed && latest_count <= *max_confirmed) {
        return make_error(Errc::kInvalidArgument,
                          journal_->name() + " is from another chain instance: the node's nonce for " +
                              address_.to_checksum() + " is " + std::to_string(latest_count) +
                              " but the journal has confirmed nonce " + std::to_string(*max_confirmed));
    }
    std::uint64_t owned_end = owner.empty() ? 0 : owner.rbegin()->first + 1;
    if (!held.empty()) owned_end = std::max(owned_end, *held.rbegin() + 1);
    std::set<std::uint64_t> free;
    std::set<std::uint64_t> blocked;
    for (std::uint64_t n = latest_count; n < owned_end; ++n) {
        if (owner.contains(n)) continue;
        if (held.contains(n)) {
            blocked.insert(n);
        } else {
            free.insert(n);
        }
    }
    nonces_.reset(std::max(pending_count, owned_end), std::move(free), std::move(blocked));
    // Keyed calls: their state for find(); the ones never signed are queued again (same id).
    for (auto& [id, intent] : intents) {
        IntentState state;
        state.handle = TxHandle{id};
        state.key = intent.key;
        state.description = intent.description;
        state.status = TxStatus::kQueued;
        if (auto f = finals.find(id); f != finals.end()) {
            const JournalRecord& r = *f->second;
            closed_ms_[id] = r.time_ms;
            if (r.kind == JournalRecord::Kind::kConfirmed) {
                state.status = r.status ? TxStatus::kConfirmed : TxStatus::kReverted;
                state.nonce = r.nonce;
                state.hash = r.hash;
                state.block = r.block;
                if (!r.status) {
                    state.error = Error{Errc::kRemote, r.reason.empty() ? intent.description + ": reverted" : r.reason};
                }
            } else if (r.kind == JournalRecord::Kind::kReleased) {
                state.status = TxStatus::kFailed;
                state.error = Error{Errc::kRemote, intent.description + ": " + r.reason};
            } else {
                state.status = TxStatus::kFailed;
                state.error = Error{Errc::kRemote, r.reason};
            }
        } else if (auto c = calls.find(id); c != calls.end()) {
            state.status = TxStatus::kPending;
            state.nonce = c->second.nonce;
        } else {
            SubmitOptions o;
            if (intent.gas > 0) o.gas_limit = intent.gas;
            o.confirmations = intent.confirmations;
            o.key = intent.key;
            queue_.push_back(
                Queued{id, ContractCall{intent.to, intent.data, intent.value, intent.description}, o, std::nullopt});
            recovered_.push_back(TxHandle{id});
            outcomes_.add(id, TxStatus::kQueued, false);
        }
        intent_keys_[id] = intent.key;
        intents_.emplace(intent.key, std::move(state));
    }
    const auto now = clock().now();
    for (auto& [id, call] : calls) {
        if (call.closed) continue;
        Slot slot;
        slot.id = id;
        slot.description = call.description;
        slot.kind = call.filler ? SlotKind::kFiller : SlotKind::kCall;
        slot.confirmations = options_.confirmations;
        if (auto in = intents.find(id); in != intents.end()) {
            slot.key = in->second.key;
            slot.confirmations = in->second.confirmations;
        }
        slot.nonce = call.nonce;
        slot.request = TxRequest{call.last.to, call.last.data, call.last.value, call.last.gas_limit, call.description};
        slot.attempts = std::move(call.attempts);
        slot.send_due = SendDue::kNow;
        slot.last_signed = now;
        slot.last_signed_block = head_number;  // replace_after_blocks counts from the restart
        live_[call.nonce] = std::move(slot);
        if (!call.filler) {
            recovered_.push_back(TxHandle{id});
            outcomes_.add(id, TxStatus::kPending, false);
        }
    }
    std::lock_guard snapshot_lock(snapshot_mutex_);
    snapshot_.unfinished = recovered_.size();  // the queued intents and the unfinished signed calls
    return {};
}

// ---- public API ----

TxHandle TxManager::submit(ContractCall call, SubmitOptions options) {
    return submit_impl(std::move(call), std::move(options), false);
}

TxHandle TxManager::submit_impl(ContractCall call, SubmitOptions options, bool waited) {
    if (!options.key.empty()) {
        ContractCall copy = call;
        std::vector<DurableCall> calls;
        calls.push_back(DurableCall{std::move(call), options});
        auto handles = submit_durable_impl(std::move(calls), waited);
        if (handles) return handles->at(0);
        // Not journaled: the call fails at the next round with the journal's error (nothing was sent).
        options.key.clear();
        std::lock_guard lock(queue_mutex_);
        const TxHandle failed{next_id_++};
        queue_.push_back(Queued{failed.id, std::move(copy), options, handles.error()});
        outcomes_.add(failed.id, TxStatus::kQueued, waited);
        std::lock_guard snapshot_lock(snapshot_mutex_);
        ++snapshot_.unfinished;
        return failed;
    }
    std::lock_guard lock(queue_mutex_);
    const TxHandle handle{next_id_++};
    queue_.push_back(Queued{handle.id, std::move(call), options, std::nullopt});
    outcomes_.add(handle.id, TxStatus::kQueued, waited);
    std::lock_guard snapshot_lock(snapshot_mutex_);
    ++snapshot_.unfinished;
    return handle;
}

Result<TxHandle> TxManager::submit_durable(ContractCall call, SubmitOptions options) {
    std::vector<DurableCall> calls;
    calls.push_back(DurableCall{std::move(call), std::move(options)});
    WP_TRY(auto handles, submit_durable(std::move(calls)));
    return handles.at(0);
}

Result<std::vector<TxHandle>> TxManager::submit_durable(std::vector<DurableCall> calls) {
    return submit_durable_impl(std::move(calls), false);
}

Result<std::vector<TxHandle>> TxManager::submit_durable_impl(std::vector<DurableCall> calls, bool waited) {
    for (const auto& c : calls) {
        if (c.options.key.empty()) {
            return make_error(Errc::kInvalidArgument,
                              "TxManager::submit_durable: " + c.call.description + ": options.key is empty");
        }
    }
    // journal_mutex_ for the whole operation: two submits of one key are serialised, and compact() (which takes it
    // too) sees every journaled intent either in queue_ or not journaled at all.
    std::lock_guard journal_lock(journal_mutex_);
    std::vector<TxHandle> handles(calls.size());
    std::vector<JournalRecord> records;
    std::vector<std::size_t> fresh;  // indexes of calls with a new key
    std::map<std::string_view, std::uint64_t> batch_keys;
    {
        std::lock_guard intents_lock(intents_mutex_);
        std::lock_guard queue_lock(queue_mutex_);
        for (std::size_t i = 0; i < calls.size(); ++i) {
            const auto& c = calls[i];
            if (auto it = intents_.find(c.options.key); it != intents_.end()) {
                handles[i] = it->second.handle;
                continue;
            }
            if (auto it = batch_keys.find(c.options.key); it != batch_keys.end()) {
                handles[i] = TxHandle{it->second};
                continue;
            }
            handles[i] = TxHandle{next_id_++};
            batch_keys.emplace(c.options.key, handles[i].id);
            fresh.push_back(i);
            JournalRecord r =
                base_record(JournalRecord::Kind::kIntent, chain_id_, address_, handles[i].id, 0, clock().unix_ms());
            r.key = c.options.key;
            r.to = c.call.to;
            r.data = c.call.data;
            r.value = c.call.value;
            r.gas = c.options.gas_limit.value_or(0);
            r.confirmations = std::max<std::uint64_t>(c.options.confirmations.value_or(options_.confirmations), 1);
            r.description = c.call.description;
            records.push_back(std::move(r));
        }
    }
    if (records.empty()) return handles;
    if (auto appended = journal_->append(records); !appended) return make_error(appended.error());
    appended_since_compaction_ += records.size();
    std::lock_guard intents_lock(intents_mutex_);
    std::lock_guard queue_lock(queue_mutex_);
    for (std::size_t i : fresh) {
        outcomes_.add(handles[i].id, TxStatus::kQueued, false);
        auto& c = calls[i];
        IntentState state;
        state.handle = handles[i];
        state.key = c.options.key;
        state.description = c.call.description;
        state.status = TxStatus::kQueued;
        intent_keys_[handles[i].id] = c.options.key;
        intents_.emplace(c.options.key, std::move(state));
        queue_.push_back(Queued{handles[i].id, std::move(c.call), std::move(c.options), std::nullopt});
    }
    {
        std::lock_guard snapshot_lock(snapshot_mutex_);
        snapshot_.unfinished += fresh.size();
    }
    // Only calls still in flight can be waited for (a final one's outcome may have been delivered already).
    for (std::size_t i = 0; i < calls.size() && waited; ++i) (void)outcomes_.register_waiter(handles[i].id);
    return handles;
}

std::optional<IntentState> TxManager::find(std::string_view key) const {
    std::lock_guard lock(intents_mutex_);
    auto it = intents_.find(key);
    if (it == intents_.end()) return std::nullopt;
    return it->second;
}

Result<void> TxManager::append(std::span<const JournalRecord> records) {
    if (records.empty()) return {};
    std::lock_guard lock(journal_mutex_);
    WP_TRY_VOID(journal_->append(records));
    appended_since_compaction_ += records.size();
    return {};
}

void TxManager::set_status(std::uint64_t id, TxStatus status, const Slot* slot) {
    std::lock_guard lock(intents_mutex_);
    outcomes_.set(id, status);
    auto k = intent_keys_.find(id);
    if (k == intent_keys_.end()) return;
    auto& state = intents_.at(k->second);
    if (state.final()) return;
    state.status = status;
    if (slot) {
        state.nonce = slot->nonce;
        if (slot->receipt) {
            state.hash = slot->receipt->transaction_hash;
            state.block = slot->receipt->block_number;
        } else {
            state.hash.reset();
            state.block.reset();
        }
    }
}

Result<std::vector<TxOutcome>> TxManager::poll() {
    std::lock_guard round(round_mutex_);
    auto result = run_round();
    std::vector<TxOutcome> out;
    if (result) out = outcomes_.take_unwaited();
    outcomes_.round_finished();
    if (!result) return make_error(result.error());
    return out;
}

std::vector<TxOutcome> TxManager::take_outcomes() { return outcomes_.take_unwaited(); }

Result<TxOutcome> TxManager::wait(TxHandle handle, std::chrono::milliseconds timeout) {
    if (!outcomes_.register_waiter(handle.id)) {
        return make_error(Errc::kInvalidArgument,
                          "TxManager::wait: call " + std::to_string(handle.id) + " is not in flight");
    }
    return wait_registered(handle, timeout);
}

Result<TxOutcome> TxManager::send_and_wait(ContractCall call, SubmitOptions options,
                                           std::chrono::milliseconds timeout) {
    // Registered as waited when it is queued: a concurrent poll() cannot take its outcome.
    const TxHandle handle = submit_impl(std::move(call), std::move(options), true);
    return wait_registered(handle, timeout);
}

Result<TxOutcome> TxManager::wait_registered(TxHandle handle, std::chrono::milliseconds timeout) {
    const auto deadline = clock().now() + timeout;
    const auto timed_out = [&](const std::string& last_error) {
        outcomes_.unregister_waiter(handle.id);
        return make_error(Errc::kTimeout, "TxManager::wait: call " + std::to_string(handle.id) +
                                              " not completed after " + std::to_string(timeout.count()) + " ms" +
                                              (last_error.empty() ? "" : " (last error: " + last_error + ")"));
    };
    std::string last_error;
    for (;;) {
        if (auto outcome = outcomes_.take(handle.id)) return std::move(*outcome);
        const std::uint64_t seen = outcomes_.rounds();
        const std::uint64_t heads_seen = outcomes_.heads();
        const bool heads = heads_live_.load();
        std::unique_lock round(round_mutex_, std::try_to_lock);
        if (round.owns_lock()) {
            // No round is running: this waiter runs one (for every call), then lets the others look. With heads
            // pushed, only when one is due or one of our transactions was mined (header comment).
            const std::uint64_t probes = heads ? stats().head_probes : 0;
            const bool ran = !heads || round_wanted();
            if (ran) {
                auto result = run_round();
                if (!result) last_error = result.error().message;
            } else {
                publish();  // the probe's counters
            }
            round.unlock();
            // A round or a probe wakes the waiters (a call queued during a probe is sent by one of them at once); a
            // check that did nothing (the head was already checked) wakes nobody.
            if (ran || stats().head_probes != probes) outcomes_.round_finished();
            if (auto outcome = outcomes_.take(handle.id)) return std::move(*outcome);
            if (clock().now() >= deadline) return timed_out(last_error);
            // A head that came during the round wakes at once (heads_seen is from before it).
            if (heads)
                outcomes_.wait_for_round_or_head(outcomes_.rounds(), heads_seen, options_.head_fallback_interval);
            else clock().sleep_for(options_.poll_interval);
        } else {
            // Another thread (poll() or another waiter) is running the round: wait for its end, not for the lock.
            if (heads) outcomes_.wait_for_round_or_head(seen, heads_seen, options_.head_fallback_interval);
            else outcomes_.wait_for_round(seen, options_.poll_interval);
            if (clock().now() >= deadline) {
                if (auto outcome = outcomes_.take(handle.id)) return std::move(*outcome);
                return timed_out(last_error);
            }
        }
    }
}

void TxManager::notify_new_head() { outcomes_.head(); }

void TxManager::set_heads_live(bool live) {
    heads_live_.store(live);
    outcomes_.head();  // waiters re-read the mode
}

bool TxManager::full_round_due() {
    if (clock().now() - last_full_round_ >= options_.head_fallback_interval) return true;
    {
        std::lock_guard lock(queue_mutex_);
        if (!queue_.empty()) return true;
    }
    std::lock_guard lock(mutex_);
    if (!accepted_.empty() || !closing_.empty()) return true;
    for (const auto& [nonce, slot] : live_) {
        if (slot.receipt || slot.send_due == SendDue::kNow || slot.replace_requested || slot.attempts.empty())
            return true;
        for (const auto& a : slot.attempts)
            if (a.state == AttemptState::kSigned) return true;  // not journaled yet: the round appends it first
    }
    return false;
}

bool TxManager::round_wanted() {
    if (full_round_due()) return true;
    const std::uint64_t heads = outcomes_.heads();
    if (heads == heads_checked_) return false;  // this head was already checked (by another waiter)
    heads_checked_ = heads;
    auto count = eth_.get_transaction_count(address_, BlockTag::latest());
    std::lock_guard lock(mutex_);
    ++stats_.head_probes;
    if (count && *count == latest_count_) {
        ++stats_.head_probes_skipped;
        return false;
    }
    return true;  // moved (or the probe failed: the round says why)
}

// recovered_ is written by open() only (before the manager is shared): no lock.
std::vector<TxHandle> TxManager::recovered() const { return recovered_; }

std::size_t TxManager::in_flight() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_.unfinished;
}

std::optional<TxStatus> TxManager::status(TxHandle handle) const { return outcomes_.status(handle.id); }

std::uint64_t TxManager::next_nonce() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_.next_nonce;
}

TxManagerStats TxManager::stats() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_.stats;
}

void TxManager::publish() {
    std::lock_guard state(mutex_);
    const std::uint64_t next = nonces_.peek();
    std::lock_guard lock(snapshot_mutex_);
    snapshot_.stats = stats_;
    snapshot_.next_nonce = next;
}

Result<void> TxManager::run_round() {
    heads_checked_ = outcomes_.heads();
    last_full_round_ = clock().now();
    auto round = advance();
    publish();
    return round;
}

// ---- one round ----
// The round runs under round_mutex_ and takes mutex_ only around in-memory steps: it copies under the lock what a
// request needs (the parts' plans), makes the JSON-RPC calls and journal appends without it, and applies the
// answers under it again to the slots their SlotRefs still name (tx_slot.hpp).

Result<std::vector<RpcResult<json::value>>> TxManager::batch(std::vector<RpcCall> calls) {
    // Batches of rpc_batch_size calls, up to kParallelBatches of them in flight at once (each on its own
    // connection): a round reading 800 receipts waits for the slowest batch, not for the sum of them.
    constexpr std::size_t kParallelBatches = 4;
    using Answers = JsonRpcClient::BatchResult;
    const std::size_t chunk = std::max<std::size_t>(options_.rpc_batch_size, 1);
    std::vector<RpcResult<json::value>> out;
    out.reserve(calls.size());
    std::size_t begin = 0;
    while (begin < calls.size()) {
        std::vector<std::future<Answers>> window;
        for (std::size_t k = 0; k < kParallelBatches && begin < calls.size(); ++k) {
            const std::size_t end = std::min(calls.size(), begin + chunk);
            std::vector<RpcCall> part(std::make_move_iterator(calls.begin() + static_cast<std::ptrdiff_t>(begin)),
                                      std::make_move_iterator(calls.begin() + static_cast<std::ptrdiff_t>(end)));
            auto promise = std::make_shared<std::promise<Answers>>();
            window.push_back(promise->get_future());
            rpc_.async_batch(std::move(part), [promise](Answers answers) { promise->set_value(std::move(answers)); });
            begin = end;
        }
        std::optional<Error> failed;
        for (auto& f : window) {
            auto answers = f.get();  // every batch of the window is waited for, also after a failure
            if (!answers) {
                if (!failed) failed = answers.error().to_error();
                continue;
            }
            for (auto& a : *answers) out.push_back(std::move(a));
        }
        if (failed) return make_error(*failed);
    }
    return out;
}

Result<void> TxManager::advance() {
    {
        std::lock_guard lock(mutex_);
        ++stats_.rounds;
    }
    WP_TRY(const auto head, read_head());
    bool kick = false;
    {
        std::lock_guard lock(mutex_);
        latest_count_ = head.latest_count;
        // Nonces below the latest count are used on chain: never hand them out (whoever used them).
        nonces_.sync(head.latest_count);
        kick = check_stall(head);
    }
    if (kick && !options_.stall_kick_method.empty()) (void)rpc_.call(options_.stall_kick_method);
    // Records a previous round could not append go first: until they are durable nothing else moves.
    WP_TRY_VOID(journal_new_attempts());
    WP_TRY_VOID(track_receipts(head));
    WP_TRY_VOID(confirm(head));
    auto started = start_queued(head);
    {
        std::lock_guard lock(mutex_);
        plan_fillers(head);
        plan_replacements(head);
    }
    auto sent = send_pipeline(head);  // only journaled transactions are broadcast
    if (!sent) return make_error(sent.error());
    if (!started) return make_error(started.error());
    return compact_impl(true);
}

Result<void> TxManager::compact() {
    auto compacted = compact_impl(false);
    publish();
    return compacted;
}

Result<void> TxManager::compact_impl(bool only_if_due) {
    // journal_mutex_ first: no record is appended meanwhile, so the calls seen open below stay the only ones with
    // records to keep (a call gets its first record, kIntent or kSigned, through an append).
    std::lock_guard journal_lock(journal_mutex_);
    if (only_if_due &&
        (options_.retention.compact_every == 0 || appended_since_compaction_ < options_.retention.compact_every)) {
        return {};
    }
    std::set<std::uint64_t> open;  // calls that keep every record
    std::uint64_t latest = 0;
    {
        std::lock_guard lock(mutex_);
        for (const auto& entry : live_) open.insert(entry.second.id);
        for (const auto& q : accepted_) open.insert(q.id);
        open.insert(closing_.begin(), closing_.end());
        latest = latest_count_;
    }
    {
        std::lock_guard queue_lock(queue_mutex_);
        for (const auto& q : queue_) open.insert(q.id);
    }
    // Closed keyed calls: the newest keep_closed within max_age keep their intent and final records.
    std::set<std::uint64_t> retained;
    std::vector<std::uint64_t> dropped;
    {
        std::lock_guard intents_lock(intents_mutex_);
        const std::int64_t oldest = clock().unix_ms() - options_.retention.max_age.count();
        std::size_t kept = 0;
        for (auto it = closed_ms_.rbegin(); it != closed_ms_.rend(); ++it) {
            if (open.contains(it->first)) continue;
            if (kept < options_.retention.keep_closed && it->second >= oldest) {
                retained.insert(it->first);
                ++kept;
            } else {
                dropped.push_back(it->first);
            }
        }
    }
    auto keep = [&](const JournalRecord& r) {
        if (r.chain_id != chain_id_ || r.from != address_) return true;  // another wallet's
        if (open.contains(r.id)) return true;
        if (r.kind == JournalRecord::Kind::kReleased && r.reason.starts_with(kForeignHoldPrefix) && r.nonce >= latest) {
            return true;  // still blocks its nonce after a restart
        }
        if (retained.contains(r.id)) return r.kind != JournalRecord::Kind::kSigned;
        return false;
    };
    WP_TRY_VOID(journal_->compact(keep));
    appended_since_compaction_ = 0;
    {
        std::lock_guard lock(mutex_);
        ++stats_.compactions;
    }
    std::lock_guard intents_lock(intents_mutex_);
    for (auto id : dropped) {
        if (auto k = intent_keys_.find(id); k != intent_keys_.end()) {
            intents_.erase(k->second);
            intent_keys_.erase(k);
        }
        closed_ms_.erase(id);
    }
    return {};
}

Result<TxManager::Head> TxManager::read_head() {
    const json::string address = json::string(address_.to_checksum());
    WP_TRY(auto answers, batch({{"eth_getBlockByNumber", json::array{"latest", false}},
                                {"eth_getTransactionCount", json::array{address, "latest"}},
                                {"eth_maxPriorityFeePerGas", {}},
                                {"eth_gasPrice", {}},
                                {"eth_getTransactionCount", json::array{address, "pending"}}}));
    if (!answers[0]) return make_error(answers[0].error().to_error());
    if (!answers[1]) return make_error(answers[1].error().to_error());
    WP_TRY(auto block, parse_block_header(*answers[0]));
    Head head;
    head.number = block.number;
    head.gas_limit = block.gas_limit;
    head.market.base_fee = block.base_fee_per_gas;
    WP_TRY(head.latest_count, parse_quantity_u64(*answers[1], "eth_getTransactionCount"));
    if (answers[2]) {
        if (auto tip = parse_quantity(*answers[2], "eth_maxPriorityFeePerGas")) head.market.priority_fee = *tip;
    }
    if (answers[3]) {
        if (auto price = parse_quantity(*answers[3], "eth_gasPrice")) head.market.gas_price = *price;
    }
    // Only for the stall rule (check_stall): unknown counts as "something is ready" (no stall declared).
    head.pending_count = std::numeric_limits<std::uint64_t>::max();
    if (answers[4]) {
        if (auto count = parse_quantity_u64(*answers[4], "eth_getTransactionCount")) head.pending_count = *count;
    }
    return head;
}

Result<void> TxManager::track_receipts(const Head& head) {
    ReceiptTracker::Query query;
    {
        std::lock_guard lock(mutex_);
        query = ReceiptTracker::plan(live_, head.latest_count);
    }
    if (query.empty()) return {};
    auto calls = query.calls;
    WP_TRY(auto answers, batch(std::move(calls)));
    const auto findings = ReceiptTracker::read(query, answers);
    std::vector<JournalRecord> records;
    {
        std::lock_guard lock(mutex_);
        for (const auto& f : findings) {
            Slot* slot = find_slot(live_, f.slot);
            if (!slot) continue;  // late: the slot left meanwhile
            switch (f.kind) {
                case ReceiptTracker::Finding::Kind::kMined:
                    slot->receipt = f.receipt;
                    slot->missing.found();
                    set_status(slot->id, TxStatus::kMined, slot);
                    break;
                case ReceiptTracker::Finding::Kind::kUnknown: slot->last_error = f.error; break;
                case ReceiptTracker::Finding::Kind::kNoReceipt: {
                    if (!slot->missing.missing(head.number, options_.foreign_nonce_blocks)) break;
                    const std::string reason = "no receipt for any of our transactions with nonce " +
                                               std::to_string(slot->nonce) +
                                               " (mined by another sender, or the node's receipt index is pruned)";
                    records.push_back(journal_record(JournalRecord::Kind::kReleased, slot->id, slot->nonce,
                                                     [&](JournalRecord& r) { r.reason = reason; }));
                    break;
                }
            }
        }
    }
    if (records.empty()) return {};
    WP_TRY_VOID(append(records));
    std::lock_guard lock(mutex_);
    for (const auto& r : records) {
        Slot* slot = find_slot(live_, SlotRef{r.nonce, r.id});
        if (!slot) continue;
        if (slot->kind == SlotKind::kCall) {
            TxOutcome outcome = outcome_of(*slot, TxStatus::kFailed);
            outcome.error = Error{Errc::kRemote, slot->description + ": " + r.reason};
            finish(std::move(outcome));
        }
        live_.erase(r.nonce);
    }
    return {};
}

Result<void> TxManager::confirm(const Head& head) {
    std::vector<Confirmer::Item> due;
    {
        std::lock_guard lock(mutex_);
        due = Confirmer::due(live_, head.number);
    }
    if (due.empty()) return {};
    // With a confirmation depth, the receipt must still be where it was (else a reorg moved or dropped it).
    std::vector<RpcCall> rechecks;
    std::vector<std::size_t> rechecked;
    for (std::size_t i = 0; i < due.size(); ++i) {
        if (!due[i].needs_recheck()) continue;
        rechecks.push_back(Confirmer::recheck_call(due[i]));
        rechecked.push_back(i);
    }
    std::set<std::size_t> skipped;  // no conclusion for it in this round: it waits, the others go on
    if (!rechecks.empty()) {
        WP_TRY(auto answers, batch(std::move(rechecks)));
        std::lock_guard lock(mutex_);
        for (std::size_t k = 0; k < answers.size() && k < rechecked.size(); ++k) {
            auto& item = due[rechecked[k]];
            Slot* slot = find_slot(live_, item.slot);
            if (!slot) {
                skipped.insert(rechecked[k]);
                continue;
            }
            auto recheck = Confirmer::read_recheck(item, answers[k]);
            switch (recheck.kind) {
                case Confirmer::Recheck::Kind::kSame: break;
                case Confirmer::Recheck::Kind::kUnknown:
                    slot->last_error = recheck.error;
                    skipped.insert(rechecked[k]);
                    break;
                case Confirmer::Recheck::Kind::kGone:
                    slot->receipt.reset();
                    slot->send_due = SendDue::kNow;
                    set_status(slot->id, TxStatus::kPending, slot);
                    skipped.insert(rechecked[k]);
                    break;
                case Confirmer::Recheck::Kind::kMoved:
                    slot->receipt = *recheck.receipt;
                    item.receipt = *recheck.receipt;
                    set_status(slot->id, TxStatus::kMined, slot);
                    if (!Confirmer::at_depth(item.receipt, item.confirmations, head.number)) {
                        skipped.insert(rechecked[k]);
                    }
                    break;
            }
        }
    }
    // Reverted: replay the call at the receipt's block to learn why.
    std::vector<RpcCall> replays;
    std::vector<std::size_t> replayed;
    for (std::size_t i = 0; i < due.size(); ++i) {
        if (skipped.contains(i) || !due[i].needs_replay()) continue;
        replays.push_back(Confirmer::replay_call(due[i], address_));
        replayed.push_back(i);
    }
    std::map<std::size_t, DecodedRevert> reasons;
    if (!replays.empty()) {
        WP_TRY(auto answers, batch(std::move(replays)));
        std::vector<std::pair<std::size_t, std::string>> retry;
        for (std::size_t k = 0; k < answers.size() && k < replayed.size(); ++k) {
            auto decoded = Confirmer::read_replay(due[replayed[k]], answers[k], decoder());
            if (!decoded) {
                retry.emplace_back(replayed[k], answers[k].error().message);  // transport / rate limit: next round
                skipped.insert(replayed[k]);
                continue;
            }
            reasons[replayed[k]] = std::move(*decoded);
        }
        if (!retry.empty()) {
            std::lock_guard lock(mutex_);
            for (auto& [i, message] : retry) {
                if (Slot* slot = find_slot(live_, due[i].slot)) slot->last_error = std::move(message);
            }
        }
    }
    // The messages of reverted calls go into their kConfirmed records too (find() answers them after a restart).
    std::vector<JournalRecord> records;
    std::vector<std::size_t> closing;
    std::map<std::size_t, std::string> messages;
    for (std::size_t i = 0; i < due.size(); ++i) {
        if (skipped.contains(i)) continue;
        const auto& item = due[i];
        if (item.needs_replay()) messages[i] = Confirmer::revert_message(item, reasons[i]);
        records.push_back(
            journal_record(JournalRecord::Kind::kConfirmed, item.slot.id, item.slot.nonce, [&](JournalRecord& r) {
                r.hash = item.receipt.transaction_hash;
                r.block = item.receipt.block_number;
                r.status = item.receipt.status;
                if (auto m = messages.find(i); m != messages.end()) r.reason = m->second;
            }));
        closing.push_back(i);
    }
    if (records.empty()) return {};
    WP_TRY_VOID(append(records));
    std::lock_guard lock(mutex_);
    for (std::size_t i : closing) {
        const auto& item = due[i];
        Slot* slot = find_slot(live_, item.slot);
        if (!slot) continue;
        if (slot->kind == SlotKind::kCall) {
            TxOutcome outcome = outcome_of(*slot, item.receipt.status ? TxStatus::kConfirmed : TxStatus::kReverted);
            outcome.hash = item.receipt.transaction_hash;
            outcome.receipt = item.receipt;
            if (!item.receipt.status) {
                outcome.error = Error{Errc::kRemote, messages[i]};
                outcome.revert = std::move(reasons[i]);
            }
            finish(std::move(outcome));
        }
        live_.erase(item.slot.nonce);
    }
    return {};
}

TxOutcome TxManager::outcome_of(const Slot& slot, TxStatus status) const {
    TxOutcome outcome;
    outcome.handle = TxHandle{slot.id};
    outcome.key = slot.key;
    outcome.description = slot.description;
    outcome.status = status;
    outcome.nonce = slot.nonce;
    for (const auto& a : slot.attempts) outcome.hashes.push_back(a.hash);
    return outcome;
}

void TxManager::finish(TxOutcome outcome) {
    if (!outcome.key.empty()) {
        std::lock_guard lock(intents_mutex_);
        if (auto it = intents_.find(outcome.key); it != intents_.end()) {
            auto& state = it->second;
            state.status = outcome.status;
            state.nonce = outcome.nonce;
            state.hash = outcome.receipt ? std::optional<Bytes32>(outcome.receipt->transaction_hash) : std::nullopt;
            state.block = outcome.receipt ? std::optional<std::uint64_t>(outcome.receipt->block_number) : std::nullopt;
            state.error = outcome.error;
            closed_ms_[outcome.handle.id] = clock().unix_ms();
        }
    }
    {
        std::lock_guard lock(snapshot_mutex_);
        if (snapshot_.unfinished > 0) --snapshot_.unfinished;
    }
    outcomes_.push(std::move(outcome));
}

Result<void> TxManager::deliver_failures(std::vector<Failure> failures) {
    if (failures.empty()) return {};
    std::vector<JournalRecord> records;
    for (const auto& f : failures) {
        if (f.queued.options.key.empty()) continue;
        records.push_back(journal_record(JournalRecord::Kind::kFailed, f.queued.id, 0,
                                         [&](JournalRecord& r) { r.reason = f.outcome.error->message; }));
    }
    auto appended = append(records);
    std::lock_guard lock(mutex_);
    for (auto it = failures.rbegin(); it != failures.rend(); ++it) {
        closing_.erase(it->queued.id);
        if (!appended && !it->queued.options.key.empty()) {
            // Not durable: back to the queue, started (estimated) again next round.
            accepted_.push_front(std::move(it->queued));
        } else {
            finish(std::move(it->outcome));
        }
    }
    if (!appended) return make_error(appended.error());
    return {};
}

Result<void> TxManager::start_queued(const Head& head) {
    std::size_t take = 0;
    std::vector<RpcCall> estimates;
    {
        std::lock_guard lock(mutex_);
        {
            std::lock_guard queue_lock(queue_mutex_);
            while (!queue_.empty()) {
                accepted_.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        // Keyed calls whose intent could not be journaled by submit(): fail them now (nothing was sent).
        for (auto it = accepted_.begin(); it != accepted_.end();) {
            if (!it->rejected) {
                ++it;
                continue;
            }
            TxOutcome outcome;
            outcome.handle = TxHandle{it->id};
            outcome.description = it->call.description;
            outcome.status = TxStatus::kFailed;
            outcome.error =
                Error{it->rejected->code, it->call.description + ": not journaled: " + it->rejected->message};
            finish(std::move(outcome));
            it = accepted_.erase(it);
        }
        take = accepted_.size();
        if (options_.max_in_flight > 0) {
            take = live_.size() >= options_.max_in_flight ? 0 : std::min(take, options_.max_in_flight - live_.size());
        }
        // The calls stay in accepted_ (compaction sees them open) until they get a slot or fail.
        for (std::size_t i = 0; i < take; ++i) {
            if (!accepted_[i].options.gas_limit) {
                estimates.push_back(TxStarter::estimate_call(accepted_[i].call, address_));
            }
        }
    }
    if (take == 0) return {};
    const auto fees = compute_fees(head.market, options_.fees);
    std::vector<RpcResult<json::value>> answers;
    if (fees && !estimates.empty()) {
        WP_TRY(answers, batch(std::move(estimates)));  // on error everything stays in accepted_
    }
    // Failures before a nonce: a keyed call's kFailed record is journaled before its outcome is delivered.
    std::vector<Failure> failures;
    const auto fail = [&](Queued q, std::string message, std::optional<DecodedRevert> revert = {}) {
        TxOutcome outcome;
        outcome.handle = TxHandle{q.id};
        outcome.key = q.options.key;
        outcome.description = q.call.description;
        outcome.status = TxStatus::kFailed;
        outcome.error = Error{Errc::kRemote, std::move(message)};
        outcome.revert = std::move(revert);
        closing_.insert(q.id);
        failures.push_back(Failure{std::move(q), std::move(outcome)});
    };
    {
        std::lock_guard lock(mutex_);
        std::size_t next_answer = 0;
        const auto now = clock().now();
        for (std::size_t i = 0; i < take && !accepted_.empty(); ++i) {
            Queued q = std::move(accepted_.front());
            accepted_.pop_front();
            if (!fees) {
                std::string message = q.call.description + ": " + fees.error().message;
                fail(std::move(q), std::move(message));
                continue;
            }
            std::uint64_t gas = 0;
            if (q.options.gas_limit) {
                gas = *q.options.gas_limit;
            } else {
                auto decision =
                    starter_.gas_from_estimate(answers.at(next_answer++), head.gas_limit, q.call.description);
                if (!decision.gas) {
                    std::string message = std::move(decision.error);
                    fail(std::move(q), std::move(message), std::move(decision.revert));
                    continue;
                }
                gas = *decision.gas;
            }
            // The slot gets its nonce now; send_pipeline() signs it (without the lock) and journals it before any
            // broadcast.
            Slot slot;
            slot.id = q.id;
            slot.key = q.options.key;
            slot.description = q.call.description;
            slot.request = TxRequest{q.call.to, std::move(q.call.data), q.call.value, gas, q.call.description};
            slot.confirmations = std::max<std::uint64_t>(q.options.confirmations.value_or(options_.confirmations), 1);
            slot.nonce = nonces_.take();
            slot.last_signed = now;
            slot.last_signed_block = head.number;
            const std::uint64_t nonce = slot.nonce;
            // Cannot fail: a free nonce or one >= the next nonce is never live.
            auto [placed, fresh] = live_.emplace(nonce, std::move(slot));
            if (!fresh) {
                std::string message =
                    q.call.description + ": internal error: nonce " + std::to_string(nonce) + " already in flight";
                fail(std::move(q), std::move(message));
                continue;
            }
            set_status(placed->second.id, TxStatus::kPending, &placed->second);
        }
    }
    return deliver_failures(std::move(failures));
}

void TxManager::plan_fillers(const Head& head) {
    const auto nonces = FillerPlanner::due(nonces_, live_);
    if (nonces.empty()) return;
    auto fees = compute_fees(head.market, options_.fees);
    if (!fees) return;  // e.g. above the fee cap: try again next round
    const auto now = clock().now();
    for (const std::uint64_t nonce : nonces) {
        Slot slot;
        {
            std::lock_guard queue_lock(queue_mutex_);
            slot.id = next_id_++;
        }
        slot.description = FillerPlanner::kDescription;
        slot.kind = SlotKind::kFiller;
        slot.request = FillerPlanner::request(address_);
        slot.confirmations = 1;
        slot.nonce = nonce;
        slot.last_signed = now;
        slot.last_signed_block = head.number;
        auto attempt = starter_.sign(slot.request, nonce, *fees);
        if (!attempt) continue;
        slot.attempts.push_back(std::move(*attempt));
        live_.emplace(nonce, std::move(slot));
        ++stats_.fillers;
        nonces_.filled(nonce);
    }
}

void TxManager::plan_replacements(const Head& head) {
    const auto now = clock().now();
    std::optional<FeeParams> current;
    if (auto fees = compute_fees(head.market, options_.fees)) current = *fees;
    for (auto& [nonce, slot] : live_) {
        if (slot.receipt || nonce < head.latest_count || slot.attempts.empty()) continue;
        const Attempt& last = slot.attempts.back();
        if (!sent(last.state)) continue;  // sent implies journaled
        if (!slot.replace_requested && !replacements_.due(now, head.number, slot.last_signed, slot.last_signed_block))
            continue;
        slot.replace_requested = false;
        std::vector<AttemptFees> fees;
        fees.reserve(slot.attempts.size());
        for (const auto& a : slot.attempts) fees.push_back(AttemptFees{a.fees, a.state});
        slot.last_signed = now;
        slot.last_signed_block = head.number;
        auto bumped = replacements_.fees(fees, current);  // ReplacementPlanner: the base is what the node accepted
        if (!bumped) {
            slot.last_error = bumped.error().message;
            continue;
        }
        auto attempt = starter_.sign(slot.request, slot.nonce, *bumped);
        if (!attempt) {
            slot.last_error = attempt.error().message;
            continue;
        }
        if (slot.attempt(attempt->hash)) continue;  // the same transaction again (e.g. after a rejected replacement)
        slot.attempts.push_back(std::move(*attempt));
        slot.send_due = SendDue::kNow;
        ++stats_.replacements;
    }
}

// Signs the slots of a batch that have no transaction yet (new calls: nonce assigned by start_queued), without the
// lock. A signing failure fails the call (kFailed journaled first for a keyed call) and frees its nonce.
Result<void> TxManager::sign_unsigned(const std::vector<SlotRef>& slots, const FeeParams& fees) {
    std::vector<std::pair<SlotRef, TxRequest>> work;
    {
        std::lock_guard lock(mutex_);
        for (const auto& ref : slots) {
            const Slot* slot = find_slot(live_, ref);
            if (slot && slot->attempts.empty()) work.emplace_back(ref, slot->request);
        }
    }
    std::vector<Result<Attempt>> signed_attempts;
    signed_attempts.reserve(work.size());
    for (const auto& [ref, request] : work) signed_attempts.push_back(starter_.sign(request, ref.nonce, fees));
    std::vector<Failure> failures;
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < work.size(); ++i) {
            Slot* slot = find_slot(live_, work[i].first);
            if (!slot || !slot->attempts.empty()) continue;
            if (signed_attempts[i]) {
                slot->attempts.push_back(std::move(*signed_attempts[i]));
                continue;
            }
            // Nothing was journaled for this nonce: it is free again.
            SubmitOptions options;
            options.gas_limit = slot->request.gas_limit;
            options.confirmations = slot->confirmations;
            options.key = slot->key;
            Queued q{slot->id,
                     ContractCall{slot->request.to, slot->request.data, slot->request.value, slot->description},
                     options, std::nullopt};
            TxOutcome outcome = outcome_of(*slot, TxStatus::kFailed);
            outcome.nonce.reset();
            outcome.error =
                Error{Errc::kRemote, slot->description + ": signing: " + signed_attempts[i].error().message};
            nonces_.release(slot->nonce);
            closing_.insert(slot->id);
            live_.erase(slot->nonce);
            failures.push_back(Failure{std::move(q), std::move(outcome)});
        }
    }
    return deliver_failures(std::move(failures));
}

Result<void> TxManager::journal_new_attempts() {
    std::vector<JournalRecord> records;
    std::vector<std::pair<SlotRef, Bytes32>> pending;
    {
        std::lock_guard lock(mutex_);
        for (auto& entry : live_) {
            auto& slot = entry.second;  // not a structured binding: clang 14 cannot capture those in the lambda
            for (auto& a : slot.attempts) {
                if (journaled(a.state)) continue;
                records.push_back(
                    journal_record(JournalRecord::Kind::kSigned, slot.id, slot.nonce, [&](JournalRecord& r) {
                        r.hash = a.hash;
                        r.raw = a.raw;
                        r.description = slot.description;
                        r.filler = slot.kind == SlotKind::kFiller;  // the persisted form (unchanged)
                    }));
                pending.emplace_back(SlotRef{slot.nonce, slot.id}, a.hash);
            }
        }
    }
    if (records.empty()) return {};
    // On failure every slot keeps its nonce and its unjournaled transactions (never broadcast); the same
    // records are appended again at the start of the next round.
    WP_TRY_VOID(append(records));
    std::lock_guard lock(mutex_);
    for (const auto& [ref, hash] : pending) {
        Slot* slot = find_slot(live_, ref);
        if (!slot) continue;
        if (Attempt* a = slot->attempt(hash); a && !journaled(a->state)) a->move_to(AttemptState::kJournaled);
    }
    stats_.signed_txs += records.size();
    return {};
}

// Steps 5-6 overlapped: the new slots (nonce assigned, not signed yet) are signed and journaled in batches of
// broadcast_batch_size by a helper thread while the round thread broadcasts the batches already journaled. A batch
// is broadcast only once its kSigned records are durable; the replacements and fillers planned this round go with
// the first batch. A failed append stops the helper (the rest stays signed-but-unjournaled or unsigned, appended /
// signed again next round); a send that may not have reached the node stops the broadcasts of this round.
Result<void> TxManager::send_pipeline(const Head& head) {
    std::vector<SlotRef> fresh;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [nonce, slot] : live_) {
            if (slot.attempts.empty()) fresh.push_back(SlotRef{nonce, slot.id});
        }
    }
    const std::size_t size = std::max<std::size_t>(options_.broadcast_batch_size, 1);
    std::vector<std::vector<SlotRef>> batches;
    for (std::size_t begin = 0; begin < fresh.size(); begin += size) {
        batches.emplace_back(fresh.begin() + static_cast<std::ptrdiff_t>(begin),
                             fresh.begin() + static_cast<std::ptrdiff_t>(std::min(fresh.size(), begin + size)));
    }
    std::optional<FeeParams> fees;
    if (!batches.empty()) {
        auto computed = compute_fees(head.market, options_.fees);
        if (computed) fees = *computed;  // else (fee cap): they stay unsigned until the fees allow it
    }
    const auto prepare = [&](std::size_t k) -> Result<void> {
        if (k < batches.size() && fees) WP_TRY_VOID(sign_unsigned(batches[k], *fees));
        return journal_new_attempts();
    };
    auto first = prepare(0);
    if (!first || batches.size() <= 1 || !fees) {
        broadcast(head);  // what is journaled
        return first;
    }
    struct Progress {
        std::mutex mutex;
        std::condition_variable cv;
        std::size_t prepared{1};  // batches journaled (the first one above)
        bool done{false};
        std::optional<Error> error;
    } progress;
    std::thread helper([&] {
        for (std::size_t k = 1; k < batches.size(); ++k) {
            auto prepared = prepare(k);
            std::lock_guard lock(progress.mutex);
            if (!prepared) {
                progress.error = prepared.error();
                break;
            }
            progress.prepared = k + 1;
            progress.cv.notify_all();
        }
        std::lock_guard lock(progress.mutex);
        progress.done = true;
        progress.cv.notify_all();
    });
    bool sending = broadcast(head);
    for (std::size_t k = 1; k < batches.size() && sending; ++k) {
        {
            std::unique_lock lock(progress.mutex);
            progress.cv.wait(lock, [&] { return progress.prepared > k || progress.done; });
            if (progress.prepared <= k) break;  // the helper stopped (journal error)
        }
        sending = broadcast(head);
    }
    helper.join();
    if (sending) broadcast(head);  // anything journaled after the last step (e.g. a batch the loop did not wait for)
    if (progress.error) return make_error(*progress.error);
    return {};
}

bool TxManager::broadcast(const Head& head) {
    // Every slot due for a (re)broadcast, in nonce order, with the attempt to send: the latest journaled
    // transaction the node has not refused (replacements are tried first). Copied: sent without the lock.
    struct Send {
        SlotRef slot;
        Bytes32 hash;
        Bytes raw;
    };
    std::vector<Send> sends;
    const auto now = clock().now();
    {
        std::lock_guard lock(mutex_);
        for (auto& [nonce, slot] : live_) {
            if (slot.receipt || nonce < head.latest_count) continue;
            if (slot.send_due != SendDue::kNow && now - slot.last_broadcast < options_.rebroadcast_after) continue;
            const Attempt* attempt = nullptr;
            const Attempt* latest = nullptr;
            for (auto it = slot.attempts.rbegin(); it != slot.attempts.rend(); ++it) {
                if (!journaled(it->state)) continue;
                if (!latest) latest = &*it;
                if (!refused(it->state)) {
                    attempt = &*it;
                    break;
                }
            }
            if (!attempt) attempt = latest;
            if (!attempt) continue;  // nothing journaled yet
            sends.push_back(Send{SlotRef{nonce, slot.id}, attempt->hash, attempt->raw});
            // Not sent again by a later step of this round while this send is on the wire.
            slot.send_due = SendDue::kOnRebroadcastTimer;
            slot.last_broadcast = now;
        }
    }
    if (sends.empty()) return true;
    std::vector<ByteView> raws;
    raws.reserve(sends.size());
    for (const auto& send : sends) raws.push_back(send.raw);
    std::vector<Release> releases;
    bool transport = false;
    // Broadcaster (broadcaster.hpp): batches of broadcast_batch_size, answers classified, no batch after a
    // transport error or rate limit; here only what each answer means for the slot and its nonce, applied under
    // the lock to the slot the answer is for (a slot that left meanwhile is skipped).
    const auto report = broadcaster_.send(raws, [&](std::size_t i, SendVerdict verdict, const RpcError* error) {
        std::lock_guard lock(mutex_);
        ++stats_.broadcasts;
        Slot* slot = find_slot(live_, sends[i].slot);
        if (!slot) return;
        Attempt* attempt = slot->attempt(sends[i].hash);
        if (!attempt) return;
        slot->last_broadcast = now;
        slot->send_due = SendDue::kOnRebroadcastTimer;
        if (verdict == SendVerdict::kAccepted) {
            attempt->move_to(after_send(attempt->state, SendAnswer::kTaken));
            if (slot->kind == SlotKind::kFiller) nonces_.filler_accepted(slot->nonce);
            return;
        }
        if (verdict == SendVerdict::kTransport) {
            // The node may or may not have it (or is rate limiting us): send it again next round (no further
            // batch in this round).
            attempt->move_to(after_send(attempt->state, SendAnswer::kUnknown));
            slot->send_due = SendDue::kNow;
            slot->last_error = error->message;
            transport = true;
            return;
        }
        if (verdict == SendVerdict::kKnown || verdict == SendVerdict::kNonceTooLow) {
            attempt->move_to(after_send(attempt->state, SendAnswer::kTaken));
            return;
        }
        slot->last_error = error->rpc_message.empty() ? error->message : error->rpc_message;
        attempt->move_to(after_send(attempt->state, SendAnswer::kRefused));
        if (slot->any_accepted()) {
            // One of ours was in the pool once and may still be (here or in another node's pool) and be mined:
            // keep the nonce until it is below the count, then the receipts tell. Re-send after rebroadcast_after.
            return;
        }
        // None of ours was ever accepted. "Underpriced": another transaction (not ours) holds this nonce in the
        // pool (blocked). Otherwise every transaction of this nonce was refused: nothing of ours can be pending.
        releases.push_back(Release{sends[i].slot, slot->last_error, verdict == SendVerdict::kUnderpriced});
    });
    {
        std::lock_guard lock(mutex_);
        stats_.broadcast_batches += report.batches;
        // Not answered (a whole exchange failed, or a batch after a transport error was not sent): the node may
        // have some of them; they stay due and wait for the next round.
        for (std::size_t i = report.unsent_from; i < sends.size(); ++i) {
            Slot* slot = find_slot(live_, sends[i].slot);
            if (!slot) continue;
            slot->send_due = SendDue::kNow;
            if (report.exchange_error) slot->last_error = report.exchange_error->message;
        }
    }
    (void)apply_releases(std::move(releases));  // a failed append keeps the slots (retried at the next send)
    return !transport && report.unsent_from >= sends.size();
}

Result<void> TxManager::apply_releases(std::vector<Release> releases) {
    if (releases.empty()) return {};
    // The nonce is free only once the journal says so: else a later call could journal the same nonce while the
    // journal still shows it owned by this one (and recover() would refuse the journal).
    std::vector<JournalRecord> records;
    for (const auto& r : releases) {
        const std::string reason = r.foreign_hold ? std::string(kForeignHoldPrefix) + r.reason : r.reason;
        records.push_back(journal_record(JournalRecord::Kind::kReleased, r.slot.id, r.slot.nonce,
                                         [&](JournalRecord& record) { record.reason = reason; }));
    }
    auto appended = append(records);
    std::lock_guard lock(mutex_);
    for (const auto& r : releases) {
        Slot* slot = find_slot(live_, r.slot);
        if (!slot) continue;
        if (!appended) {
            // The slot stays (its transactions are rejected: the next broadcast is rejected again and the release
            // retried).
            slot->last_error += " (releasing the nonce: " + appended.error().message + ")";
            slot->send_due = SendDue::kNow;
            continue;
        }
        if (r.foreign_hold) {
            nonces_.block(slot->nonce);
            if (slot->kind == SlotKind::kCall) {
                TxOutcome outcome = outcome_of(*slot, TxStatus::kFailed);
                outcome.nonce.reset();
                outcome.error = Error{Errc::kRemote, slot->description + ": nonce " + std::to_string(slot->nonce) +
                                                         " is held in the pool by another transaction: " + r.reason};
                finish(std::move(outcome));
            }
        } else {
            ++stats_.released;
            if (slot->kind == SlotKind::kFiller) {
                nonces_.release_filler(slot->nonce);
            } else {
                nonces_.release(slot->nonce);
                TxOutcome outcome = outcome_of(*slot, TxStatus::kFailed);
                outcome.nonce.reset();
                outcome.error = Error{Errc::kRemote, slot->description + ": rejected by the node: " + r.reason +
                                                         tx_suffix(slot->nonce, slot->attempts.back().hash)};
                finish(std::move(outcome));
            }
        }
        live_.erase(r.slot.nonce);
    }
    if (!appended) return make_error(appended.error());
    return {};
}

bool TxManager::check_stall(const Head& head) {
    // The out-of-order stall: the lowest unmined nonce is ours and was accepted, yet it is not mined. Two shapes:
    //  - the node reports nothing ready (pending count == latest count): seen when a JSON-RPC batch is executed
    //    out of order, anvil can keep the whole run in its "queued" set even once the gap is filled (or a node
    //    dropped the transaction);
    //  - with stall_kick_method set (an automine devnet), also when transactions are ready but no block comes
    //    (anvil's automine can leave ready transactions unmined, e.g. when a batch needs more blocks than the
    //    arrivals triggered).
    // Rule: once the condition holds for stall_after on the same nonce, its transaction is broadcast again (a node
    // that dropped it takes it back) and stall_kick_method (e.g. "evm_mine") is called once (by the caller, without
    // the lock).
    auto it = live_.find(head.latest_count);
    const bool stalled = it != live_.end() && !it->second.receipt &&
                         (head.pending_count <= head.latest_count || !options_.stall_kick_method.empty()) &&
                         it->second.any_accepted();
    const auto action =
        stalls_.observe(stalled ? std::optional<std::uint64_t>(head.latest_count) : std::nullopt, clock().now());
    if (action == StallAction::kNone) return false;
    if (action == StallAction::kReplace) {
        it->second.replace_requested = true;  // plan_replacements(), later in this round
        return false;
    }
    ++stats_.stall_kicks;
    it->second.send_due = SendDue::kNow;
    return true;
}

}  // namespace wp::chain
