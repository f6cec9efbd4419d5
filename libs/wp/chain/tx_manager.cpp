#include "tx_manager.hpp"

#include <algorithm>
#include <limits>

#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>

namespace wp::chain {
namespace json = boost::json;
namespace {

constexpr std::uint64_t kFillerGas = 21000;

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
    WP_TRY_VOID(manager->recover());
    std::lock_guard lock(manager->mutex_);
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

void TxManager::Attempt::move_to(AttemptState to) { state = checked_transition(state, to); }

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
    std::lock_guard lock(mutex_);
    auto round = run_round();
    std::vector<TxOutcome> out;
    if (round) out = outcomes_.take_unwaited();
    outcomes_.round_finished();
    if (!round) return make_error(round.error());
    return out;
}

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
        std::unique_lock round(mutex_, std::try_to_lock);
        if (round.owns_lock()) {
            // No round is running: this waiter runs one (for every call), then lets the others look.
            auto result = run_round();
            if (!result) last_error = result.error().message;
            round.unlock();
            outcomes_.round_finished();
            if (auto outcome = outcomes_.take(handle.id)) return std::move(*outcome);
            if (clock().now() >= deadline) return timed_out(last_error);
            clock().sleep_for(options_.poll_interval);
        } else {
            // Another thread (poll() or another waiter) is running the round: wait for its end, not for the lock.
            outcomes_.wait_for_round(seen, options_.poll_interval);
            if (clock().now() >= deadline) {
                if (auto outcome = outcomes_.take(handle.id)) return std::move(*outcome);
                return timed_out(last_error);
            }
        }
    }
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
    const std::uint64_t next = nonces_.peek();
    std::lock_guard lock(snapshot_mutex_);
    snapshot_.stats = stats_;
    snapshot_.next_nonce = next;
}

Result<void> TxManager::run_round() {
    auto round = advance();
    publish();
    return round;
}

// ---- one round ----

Result<std::vector<RpcResult<json::value>>> TxManager::batch(std::vector<RpcCall> calls) {
    std::vector<RpcResult<json::value>> out;
    out.reserve(calls.size());
    const std::size_t chunk = std::max<std::size_t>(options_.rpc_batch_size, 1);
    for (std::size_t begin = 0; begin < calls.size(); begin += chunk) {
        const std::size_t end = std::min(calls.size(), begin + chunk);
        std::vector<RpcCall> part(std::make_move_iterator(calls.begin() + static_cast<std::ptrdiff_t>(begin)),
                                  std::make_move_iterator(calls.begin() + static_cast<std::ptrdiff_t>(end)));
        auto answers = rpc_.batch(std::move(part));
        if (!answers) return make_error(answers.error().to_error());
        for (auto& a : *answers) out.push_back(std::move(a));
    }
    return out;
}

Result<void> TxManager::advance() {
    ++stats_.rounds;
    WP_TRY(const auto head, read_head());
    latest_count_ = head.latest_count;
    sync_nonces(head);
    check_stall(head);
    // Records a previous round could not append go first: until they are durable nothing else moves.
    WP_TRY_VOID(journal_new_attempts());
    WP_TRY_VOID(check_receipts(head));
    WP_TRY_VOID(confirm(head));
    auto started = start_queued(head);
    plan_fillers(head);
    plan_replacements(head);
    auto journaled = journal_new_attempts();
    broadcast(head);  // only journaled transactions
    if (!journaled) return make_error(journaled.error());
    if (!started) return make_error(started.error());
    if (options_.retention.compact_every > 0 && appended_since_compaction_ >= options_.retention.compact_every) {
        WP_TRY_VOID(compact_locked());
    }
    return {};
}

Result<void> TxManager::compact() {
    std::lock_guard lock(mutex_);
    auto compacted = compact_locked();
    publish();
    return compacted;
}

Result<void> TxManager::compact_locked() {
    std::lock_guard journal_lock(journal_mutex_);
    std::set<std::uint64_t> open;  // calls that keep every record
    for (const auto& entry : live_) open.insert(entry.second.id);
    for (const auto& q : accepted_) open.insert(q.id);
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
    const std::uint64_t latest = latest_count_;
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
    ++stats_.compactions;
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

void TxManager::sync_nonces(const Head& head) {
    // Nonces below the latest count are used on chain: never hand them out (whoever used them).
    nonces_.sync(head.latest_count);
}

Result<void> TxManager::check_receipts(const Head& head) {
    std::vector<RpcCall> calls;
    std::vector<Slot*> owners;
    for (auto& [nonce, slot] : live_) {
        if (slot.receipt || nonce >= head.latest_count) continue;
        // Every hash of the nonce, rejected ones included: a node may have refused a transaction another node
        // of the pool had taken (and mined).
        for (const auto& attempt : slot.attempts) {
            calls.push_back({"eth_getTransactionReceipt", json::array{json::string(to_hex(attempt.hash))}});
            owners.push_back(&slot);
        }
    }
    if (calls.empty()) return {};
    WP_TRY(auto answers, batch(std::move(calls)));
    std::set<Slot*> asked(owners.begin(), owners.end());
    std::set<Slot*> unknown;  // an answer failed: no conclusion for this slot in this round
    for (std::size_t i = 0; i < answers.size(); ++i) {
        Slot* slot = owners[i];
        if (!answers[i]) {
            slot->last_error = answers[i].error().message;
            unknown.insert(slot);
            continue;
        }
        if (answers[i]->is_null()) continue;
        auto receipt = parse_receipt(*answers[i]);
        if (!receipt) {
            slot->last_error = receipt.error().with_context("eth_getTransactionReceipt").message;
            unknown.insert(slot);
            continue;
        }
        slot->receipt = std::move(*receipt);
        slot->missing.found();
        set_status(slot->id, TxStatus::kMined, slot);
    }
    std::vector<JournalRecord> records;
    for (Slot* slot : asked) {
        if (slot->receipt || unknown.contains(slot)) continue;
        if (!slot->missing.missing(head.number, options_.foreign_nonce_blocks)) continue;
        const std::string reason = "no receipt for any of our transactions with nonce " + std::to_string(slot->nonce) +
                                   " (mined by another sender, or the node's receipt index is pruned)";
        records.push_back(journal_record(JournalRecord::Kind::kReleased, slot->id, slot->nonce,
                                         [&](JournalRecord& r) { r.reason = reason; }));
    }
    if (records.empty()) return {};
    WP_TRY_VOID(append(records));
    for (const auto& r : records) {
        auto it = live_.find(r.nonce);
        if (it->second.kind == SlotKind::kCall) {
            TxOutcome outcome = outcome_of(it->second, TxStatus::kFailed);
            outcome.error = Error{Errc::kRemote, it->second.description + ": " + r.reason};
            finish(std::move(outcome));
        }
        live_.erase(it);
    }
    return {};
}

Result<void> TxManager::confirm(const Head& head) {
    std::vector<Slot*> due;
    for (auto& [nonce, slot] : live_) {
        if (slot.receipt && head.number + 1 >= slot.receipt->block_number + slot.confirmations) due.push_back(&slot);
    }
    if (due.empty()) return {};
    // With a confirmation depth, the receipt must still be where it was (else a reorg moved or dropped it).
    std::vector<RpcCall> recheck;
    std::vector<Slot*> rechecked;
    for (Slot* slot : due) {
        if (slot->confirmations <= 1) continue;
        recheck.push_back(
            {"eth_getTransactionReceipt", json::array{json::string(to_hex(slot->receipt->transaction_hash))}});
        rechecked.push_back(slot);
    }
    std::set<Slot*> skipped;  // an answer for it failed: it waits for the next round, the others go on
    if (!recheck.empty()) {
        WP_TRY(auto answers, batch(std::move(recheck)));
        for (std::size_t i = 0; i < answers.size(); ++i) {
            Slot* slot = rechecked[i];
            if (!answers[i]) {
                slot->last_error = answers[i].error().message;
                skipped.insert(slot);
                continue;
            }
            if (answers[i]->is_null()) {
                slot->receipt.reset();
                slot->send_due = SendDue::kNow;
                set_status(slot->id, TxStatus::kPending, slot);
                continue;
            }
            auto receipt = parse_receipt(*answers[i]);
            if (!receipt) {
                slot->last_error = receipt.error().with_context("eth_getTransactionReceipt").message;
                skipped.insert(slot);
                continue;
            }
            if (receipt->block_hash != slot->receipt->block_hash) {
                slot->receipt = std::move(*receipt);
                set_status(slot->id, TxStatus::kMined, slot);
            }
        }
        std::erase_if(due, [&](Slot* s) {
            return skipped.contains(s) || !s->receipt || head.number + 1 < s->receipt->block_number + s->confirmations;
        });
    }
    // Reverted: replay the call at the receipt's block to learn why.
    std::vector<RpcCall> replays;
    std::vector<Slot*> reverted;
    for (Slot* slot : due) {
        if (slot->receipt->status || slot->kind == SlotKind::kFiller) continue;
        CallRequest call;
        call.from = address_;
        call.to = slot->request.to;
        call.data = slot->request.data;
        if (slot->request.value != U256()) call.value = slot->request.value;
        call.gas = slot->request.gas_limit;
        replays.push_back({"eth_call", json::array{to_json(call),
                                                   json::string(BlockTag::number(slot->receipt->block_number).str())}});
        reverted.push_back(slot);
    }
    std::map<Slot*, DecodedRevert> reasons;
    if (!replays.empty()) {
        WP_TRY(auto answers, batch(std::move(replays)));
        for (std::size_t i = 0; i < answers.size(); ++i) {
            Slot* slot = reverted[i];
            DecodedRevert decoded;
            if (answers[i]) {
                // The replay did not revert (the state changed since): say what we know.
                decoded.kind = DecodedRevert::Kind::kUnknown;
                if (slot->receipt->gas_used >= slot->request.gas_limit) {
                    decoded.reason = "out of gas (gas limit " + std::to_string(slot->request.gas_limit) + ")";
                } else {
                    decoded.reason = "unknown reason (the replay at block " +
                                     std::to_string(slot->receipt->block_number) + " did not revert)";
                }
            } else if (auto revert = revert_of(answers[i].error(), decoder())) {
                decoded = std::move(*revert);
            } else if (is_retryable(classify_rpc_error(answers[i].error()))) {
                slot->last_error = answers[i].error().message;  // transport / rate limit: replay again next round
                skipped.insert(slot);
                continue;
            } else {
                auto data = answers[i].error().revert_data();
                decoded = decoder().decode(data ? ByteView(*data) : ByteView());
            }
            reasons[slot] = std::move(decoded);
        }
        std::erase_if(due, [&](Slot* s) { return skipped.contains(s); });
    }
    if (due.empty()) return {};
    // The messages of reverted calls go into their kConfirmed records too (find() answers them after a restart).
    std::map<Slot*, std::string> messages;
    for (Slot* slot : due) {
        if (slot->receipt->status || slot->kind == SlotKind::kFiller) continue;
        const auto& decoded = reasons[slot];
        std::string message;
        if (decoded.kind == DecodedRevert::Kind::kUnknown && decoded.data.empty() && !decoded.reason.empty()) {
            message = slot->description + ": reverted: " + decoded.reason;
        } else {
            message = describe_revert(slot->description, "reverted", decoded);
        }
        messages[slot] = message + tx_suffix(slot->nonce, slot->receipt->transaction_hash);
    }
    std::vector<JournalRecord> records;
    records.reserve(due.size());
    for (Slot* slot : due) {
        records.push_back(journal_record(JournalRecord::Kind::kConfirmed, slot->id, slot->nonce, [&](JournalRecord& r) {
            r.hash = slot->receipt->transaction_hash;
            r.block = slot->receipt->block_number;
            r.status = slot->receipt->status;
            if (auto m = messages.find(slot); m != messages.end()) r.reason = m->second;
        }));
    }
    WP_TRY_VOID(append(records));
    for (Slot* slot : due) {
        const std::uint64_t nonce = slot->nonce;
        if (slot->kind == SlotKind::kCall) {
            TxOutcome outcome = outcome_of(*slot, slot->receipt->status ? TxStatus::kConfirmed : TxStatus::kReverted);
            outcome.hash = slot->receipt->transaction_hash;
            outcome.receipt = slot->receipt;
            if (!slot->receipt->status) {
                outcome.error = Error{Errc::kRemote, messages[slot]};
                outcome.revert = std::move(reasons[slot]);
            }
            finish(std::move(outcome));
        }
        live_.erase(nonce);
    }
    return {};
}

Result<TxManager::Attempt> TxManager::sign_attempt(const Slot& slot, const FeeParams& fees) {
    WP_TRY(auto signed_tx, sign_transaction(slot.request, key_, chain_id_, slot.nonce, fees));
    return Attempt{.hash = signed_tx.hash, .raw = std::move(signed_tx.raw), .fees = fees};
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

Result<void> TxManager::start_queued(const Head& head) {
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
        outcome.error = Error{it->rejected->code, it->call.description + ": not journaled: " + it->rejected->message};
        finish(std::move(outcome));
        it = accepted_.erase(it);
    }
    if (accepted_.empty()) return {};
    std::size_t take = accepted_.size();
    if (options_.max_in_flight > 0) {
        take = live_.size() >= options_.max_in_flight ? 0 : std::min(take, options_.max_in_flight - live_.size());
    }
    if (take == 0) return {};

    // Failures before a nonce: a keyed call's kFailed record is journaled before its outcome is delivered.
    std::vector<std::pair<Queued, TxOutcome>> failures;
    const auto fail = [&](const Queued& q, std::string message, std::optional<DecodedRevert> revert = {}) {
        TxOutcome outcome;
        outcome.handle = TxHandle{q.id};
        outcome.key = q.options.key;
        outcome.description = q.call.description;
        outcome.status = TxStatus::kFailed;
        outcome.error = Error{Errc::kRemote, std::move(message)};
        outcome.revert = std::move(revert);
        failures.emplace_back(q, std::move(outcome));
    };
    const auto deliver_failures = [&]() -> Result<void> {
        std::vector<JournalRecord> records;
        for (const auto& [q, outcome] : failures) {
            if (q.options.key.empty()) continue;
            records.push_back(journal_record(JournalRecord::Kind::kFailed, q.id, 0,
                                             [&](JournalRecord& r) { r.reason = outcome.error->message; }));
        }
        if (auto appended = append(records); !appended) {
            // Not durable: the keyed ones go back to the queue and are started (estimated) again next round.
            for (auto it = failures.rbegin(); it != failures.rend(); ++it) {
                if (it->first.options.key.empty()) {
                    finish(std::move(it->second));
                } else {
                    accepted_.push_front(std::move(it->first));
                }
            }
            return make_error(appended.error());
        }
        for (auto& f : failures) finish(std::move(f.second));
        return {};
    };
    const auto fees = compute_fees(head.market, options_.fees);
    std::vector<RpcCall> estimates;
    for (std::size_t i = 0; i < take; ++i) {
        const auto& q = accepted_[i];
        if (q.options.gas_limit) continue;
        estimates.push_back({"eth_estimateGas", json::array{to_json(to_call_request(q.call, address_))}});
    }
    std::vector<RpcResult<json::value>> answers;
    if (fees && !estimates.empty()) {
        WP_TRY(answers, batch(std::move(estimates)));  // on error everything stays in accepted_
    }
    std::size_t next_answer = 0;
    for (std::size_t i = 0; i < take; ++i) {
        Queued q = std::move(accepted_.front());
        accepted_.pop_front();
        if (!fees) {
            fail(q, q.call.description + ": " + fees.error().message);
            continue;
        }
        std::uint64_t gas = 0;
        if (q.options.gas_limit) {
            gas = *q.options.gas_limit;
        } else {
            const auto& answer = answers[next_answer++];
            if (!answer) {
                const auto& e = answer.error();
                if (auto decoded = revert_of(e, decoder())) {
                    fail(q, describe_revert(q.call.description, "gas estimation reverted", *decoded), *decoded);
                } else {
                    fail(q, q.call.description + ": gas estimation failed: " + e.message);
                }
                continue;
            }
            auto estimate = parse_quantity_u64(*answer, "eth_estimateGas");
            if (!estimate) {
                fail(q, q.call.description + ": " + estimate.error().message);
                continue;
            }
            auto limit = gas_limit_for(*estimate, head.gas_limit, options_.gas, q.call.description);
            if (!limit) {
                fail(q, limit.error().message);
                continue;
            }
            gas = *limit;
        }
        Slot slot;
        slot.id = q.id;
        slot.key = q.options.key;
        slot.description = q.call.description;
        slot.request = TxRequest{q.call.to, std::move(q.call.data), q.call.value, gas, q.call.description};
        slot.confirmations = std::max<std::uint64_t>(q.options.confirmations.value_or(options_.confirmations), 1);
        slot.nonce = nonces_.take();
        slot.last_signed = clock().now();
        slot.last_signed_block = head.number;
        auto attempt = sign_attempt(slot, *fees);
        if (!attempt) {
            nonces_.release(slot.nonce);
            fail(q, q.call.description + ": signing: " + attempt.error().message);
            continue;
        }
        slot.attempts.push_back(std::move(*attempt));
        const std::uint64_t nonce = slot.nonce;
        // Cannot fail: a nonce in free_nonces_ / >= next_nonce_ is never live.
        auto [placed, fresh] = live_.emplace(nonce, std::move(slot));
        if (!fresh) {
            fail(q, q.call.description + ": internal error: nonce " + std::to_string(nonce) + " already in flight");
            continue;
        }
        set_status(placed->second.id, TxStatus::kPending, &placed->second);
    }
    return deliver_failures();
}

void TxManager::plan_fillers(const Head& head) {
    nonces_.trim();
    if (!nonces_.has_unowned()) return;
    auto fees = compute_fees(head.market, options_.fees);
    if (!fees) return;  // e.g. above the fee cap: try again next round
    const auto now = clock().now();
    for (const std::uint64_t nonce : nonces_.due_for_filler()) {
        if (live_.contains(nonce)) continue;
        Slot slot;
        {
            std::lock_guard queue_lock(queue_mutex_);
            slot.id = next_id_++;
        }
        slot.description = "nonce filler";
        slot.kind = SlotKind::kFiller;
        slot.request = TxRequest{address_, {}, U256(), kFillerGas, slot.description};
        slot.confirmations = 1;
        slot.nonce = nonce;
        slot.last_signed = now;
        slot.last_signed_block = head.number;
        auto attempt = sign_attempt(slot, *fees);
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
        auto attempt = sign_attempt(slot, *bumped);
        if (!attempt) {
            slot.last_error = attempt.error().message;
            continue;
        }
        if (std::any_of(slot.attempts.begin(), slot.attempts.end(),
                        [&](const Attempt& a) { return a.hash == attempt->hash; })) {
            continue;  // the same transaction again (e.g. after a rejected replacement at the same fees)
        }
        slot.attempts.push_back(std::move(*attempt));
        slot.send_due = SendDue::kNow;
        ++stats_.replacements;
    }
}

Result<void> TxManager::journal_new_attempts() {
    std::vector<JournalRecord> records;
    std::vector<Attempt*> pending;
    for (auto& entry : live_) {
        auto& slot = entry.second;  // not a structured binding: clang 14 cannot capture those in the lambda below
        for (auto& a : slot.attempts) {
            if (journaled(a.state)) continue;
            records.push_back(journal_record(JournalRecord::Kind::kSigned, slot.id, slot.nonce, [&](JournalRecord& r) {
                r.hash = a.hash;
                r.raw = a.raw;
                r.description = slot.description;
                r.filler = slot.kind == SlotKind::kFiller;  // the persisted form (unchanged)
            }));
            pending.push_back(&a);
        }
    }
    if (records.empty()) return {};
    // On failure every slot keeps its nonce and its unjournaled transactions (never broadcast); the same
    // records are appended again at the start of the next round.
    WP_TRY_VOID(append(records));
    for (Attempt* a : pending) a->move_to(AttemptState::kJournaled);
    stats_.signed_txs += records.size();
    return {};
}

bool TxManager::release(Slot& slot, const std::string& reason) {
    const JournalRecord record = journal_record(JournalRecord::Kind::kReleased, slot.id, slot.nonce,
                                                [&](JournalRecord& r) { r.reason = reason; });
    // The nonce is free only once the journal says so: else a later call could journal the same nonce while the
    // journal still shows it owned by this one (and recover() would refuse the journal). On failure the slot
    // stays (its transactions are rejected: the next broadcast is rejected again and the release retried).
    if (auto appended = append(std::span<const JournalRecord>(&record, 1)); !appended) {
        slot.last_error = reason + " (releasing the nonce: " + appended.error().message + ")";
        slot.send_due = SendDue::kNow;
        return false;
    }
    ++stats_.released;
    if (slot.kind == SlotKind::kFiller) {
        nonces_.release_filler(slot.nonce);
    } else {
        nonces_.release(slot.nonce);
        TxOutcome outcome = outcome_of(slot, TxStatus::kFailed);
        outcome.nonce.reset();
        outcome.error = Error{Errc::kRemote, slot.description + ": rejected by the node: " + reason +
                                                 tx_suffix(slot.nonce, slot.attempts.back().hash)};
        finish(std::move(outcome));
    }
    return true;
}

bool TxManager::block_nonce(Slot& slot) {
    const std::string reason = std::string(kForeignHoldPrefix) + slot.last_error;
    const JournalRecord record = journal_record(JournalRecord::Kind::kReleased, slot.id, slot.nonce,
                                                [&](JournalRecord& r) { r.reason = reason; });
    if (auto appended = append(std::span<const JournalRecord>(&record, 1)); !appended) {
        slot.last_error += " (releasing the nonce: " + appended.error().message + ")";
        slot.send_due = SendDue::kNow;
        return false;
    }
    nonces_.block(slot.nonce);
    if (slot.kind == SlotKind::kCall) {
        TxOutcome outcome = outcome_of(slot, TxStatus::kFailed);
        outcome.nonce.reset();
        outcome.error = Error{Errc::kRemote, slot.description + ": nonce " + std::to_string(slot.nonce) +
                                                 " is held in the pool by another transaction: " + slot.last_error};
        finish(std::move(outcome));
    }
    return true;
}

void TxManager::broadcast(const Head& head) {
    const auto now = clock().now();
    // Every slot due for a (re)broadcast, in nonce order, with the attempt to send: the latest journaled
    // transaction the node has not refused (replacements are tried first).
    struct Send {
        std::uint64_t nonce;
        Attempt* attempt;
    };
    std::vector<Send> sends;
    for (auto& [nonce, slot] : live_) {
        if (slot.receipt || nonce < head.latest_count) continue;
        if (slot.send_due != SendDue::kNow && now - slot.last_broadcast < options_.rebroadcast_after) continue;
        Attempt* attempt = nullptr;
        Attempt* latest = nullptr;
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
        sends.push_back(Send{nonce, attempt});
    }
    std::vector<ByteView> raws;
    raws.reserve(sends.size());
    for (const auto& send : sends) raws.push_back(send.attempt->raw);
    std::vector<std::uint64_t> erase;
    // Broadcaster (broadcaster.hpp): batches of broadcast_batch_size, answers classified, no batch after a
    // transport error or rate limit; here only what each answer means for the slot and its nonce.
    const auto report = broadcaster_.send(raws, [&](std::size_t i, SendVerdict verdict, const RpcError* error) {
        const std::uint64_t nonce = sends[i].nonce;
        Attempt* attempt = sends[i].attempt;
        auto& slot = live_.at(nonce);
        ++stats_.broadcasts;
        slot.last_broadcast = now;
        slot.send_due = SendDue::kOnRebroadcastTimer;
        if (verdict == SendVerdict::kAccepted) {
            attempt->move_to(after_send(attempt->state, SendAnswer::kTaken));
            if (slot.kind == SlotKind::kFiller) nonces_.filler_accepted(nonce);
            return;
        }
        if (verdict == SendVerdict::kTransport) {
            // The node may or may not have it (or is rate limiting us): send it again next round (the broadcaster
            // sends no further batch in this round).
            attempt->move_to(after_send(attempt->state, SendAnswer::kUnknown));
            slot.send_due = SendDue::kNow;
            slot.last_error = error->message;
            return;
        }
        if (verdict == SendVerdict::kKnown || verdict == SendVerdict::kNonceTooLow) {
            attempt->move_to(after_send(attempt->state, SendAnswer::kTaken));
            return;
        }
        slot.last_error = error->rpc_message.empty() ? error->message : error->rpc_message;
        attempt->move_to(after_send(attempt->state, SendAnswer::kRefused));
        const bool any_accepted = std::any_of(slot.attempts.begin(), slot.attempts.end(),
                                              [](const Attempt& a) { return ever_accepted(a.state); });
        if (any_accepted) {
            // One of ours was in the pool once and may still be (here or in another node's pool) and be mined:
            // keep the nonce until it is below the count, then the receipts tell. Re-send after rebroadcast_after.
            return;
        }
        if (verdict == SendVerdict::kUnderpriced) {
            // None of ours was ever accepted: another transaction (not ours) holds this nonce in the pool.
            if (block_nonce(slot)) erase.push_back(nonce);
            return;
        }
        // Every transaction of this nonce was refused and none was ever accepted: nothing of ours can be pending.
        if (release(slot, slot.last_error)) erase.push_back(nonce);
    });
    stats_.broadcast_batches += report.batches;
    // Not answered (a whole exchange failed, or a batch after a transport error was not sent): the node may have
    // some of them; they stay due and wait for the next round.
    for (std::size_t i = report.unsent_from; i < sends.size(); ++i) {
        auto& slot = live_.at(sends[i].nonce);
        slot.send_due = SendDue::kNow;
        if (report.exchange_error) slot.last_error = report.exchange_error->message;
    }
    for (auto n : erase) live_.erase(n);
}

void TxManager::check_stall(const Head& head) {
    // The out-of-order stall: the lowest unmined nonce is ours and was accepted, yet it is not mined. Two shapes:
    //  - the node reports nothing ready (pending count == latest count): seen when a JSON-RPC batch is executed
    //    out of order, anvil can keep the whole run in its "queued" set even once the gap is filled (or a node
    //    dropped the transaction);
    //  - with stall_kick_method set (an automine devnet), also when transactions are ready but no block comes
    //    (anvil's automine can leave ready transactions unmined, e.g. when a batch needs more blocks than the
    //    arrivals triggered).
    // Rule: once the condition holds for stall_after on the same nonce, its transaction is broadcast again (a node
    // that dropped it takes it back) and stall_kick_method (e.g. "evm_mine") is called once.
    auto it = live_.find(head.latest_count);
    const bool stalled = it != live_.end() && !it->second.receipt &&
                         (head.pending_count <= head.latest_count || !options_.stall_kick_method.empty()) &&
                         std::any_of(it->second.attempts.begin(), it->second.attempts.end(),
                                     [](const Attempt& a) { return ever_accepted(a.state); });
    const auto action =
        stalls_.observe(stalled ? std::optional<std::uint64_t>(head.latest_count) : std::nullopt, clock().now());
    if (action == StallAction::kNone) return;
    if (action == StallAction::kReplace) {
        it->second.replace_requested = true;  // plan_replacements(), later in this round
        return;
    }
    ++stats_.stall_kicks;
    it->second.send_due = SendDue::kNow;
    if (!options_.stall_kick_method.empty()) (void)rpc_.call(options_.stall_kick_method);
}

}  // namespace wp::chain
