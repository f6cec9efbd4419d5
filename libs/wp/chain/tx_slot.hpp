#pragma once
// The in-memory state of one nonce in flight in a TxManager (tx_manager.hpp): the call that owns it (or a nonce
// filler), its signed transactions (attempts, each with its AttemptState) and its receipt. The manager keeps its
// slots in a SlotMap (by nonce) under its state lock; its parts (receipt_tracker.hpp, confirmer.hpp,
// tx_starter.hpp, filler_planner.hpp) read them to plan their JSON-RPC requests and return findings keyed by
// SlotRef, which the manager applies under the lock once the answers are in. A finding whose SlotRef no longer
// names a live slot (another id owns the nonce, or none) is a late result and is dropped.
//
// Thread safety: plain values (the manager's lock protects them).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <wp/core/bytes.hpp>
#include <wp/core/clock.hpp>

#include "attempt_state.hpp"
#include "eth.hpp"
#include "fees.hpp"
#include "missing_receipt.hpp"
#include "signing.hpp"

namespace wp::chain {

//! One signed transaction of a slot (the original, a fee-bumped replacement, or a nonce filler).
struct TxAttempt {
    Bytes32 hash;
    Bytes raw;
    FeeParams fees;
    //! attempt_state.hpp: kSigned until its kSigned record is durable (only then may it be broadcast), then what
    //! the send answers said; recovered attempts start kAccepted (they may have been sent before).
    AttemptState state{AttemptState::kSigned};
    //! The only way to change `state`: checked_transition (attempt_state.hpp; aborts on an arrow not in the diagram).
    void move_to(AttemptState to) { state = checked_transition(state, to); }
};

enum class SlotKind : std::uint8_t {
    kCall,    //!< a submitted call: its outcome is delivered
    kFiller,  //!< a nonce filler (0-value self-transfer): no outcome, no in_flight() count
};

//! When the slot's transaction is sent next.
enum class SendDue : std::uint8_t {
    kNow,                 //!< new, recovered, replaced, reorged out, stalled, or its last send did not complete
    kOnRebroadcastTimer,  //!< sent: again once rebroadcast_after has passed since last_broadcast
};

//! One nonce in flight. Its phase is TxStatus kPending (no receipt) or kMined (receipt, waiting for the
//! confirmation depth); it leaves the SlotMap when its final record is journaled (kConfirmed / kReleased). A slot
//! whose attempts are empty has its nonce and is being signed (tx_manager.cpp: the pipeline of a round).
struct TxSlot {
    std::uint64_t id{0};
    std::string key;
    std::string description;
    TxRequest request;
    SlotKind kind{SlotKind::kCall};
    std::uint64_t confirmations{1};
    std::uint64_t nonce{0};
    std::vector<TxAttempt> attempts;  //!< in signing order; each with its AttemptState
    SendDue send_due{SendDue::kNow};
    bool replace_requested{false};  //!< the stall rule escalated: replaced in this round
    Clock::time_point last_signed{};
    Clock::time_point last_broadcast{};
    std::uint64_t last_signed_block{0};
    std::optional<Receipt> receipt;
    MissingReceiptWatch missing;  //!< below the latest count with no receipt for any of our hashes
    std::string last_error;

    //! Some attempt was ever accepted by the node (attempt_state.hpp).
    bool any_accepted() const {
        for (const auto& a : attempts) {
            if (ever_accepted(a.state)) return true;
        }
        return false;
    }
    //! The attempt with `hash`, or nullptr.
    TxAttempt* attempt(const Bytes32& hash) {
        for (auto& a : attempts) {
            if (a.hash == hash) return &a;
        }
        return nullptr;
    }
};

using SlotMap = std::map<std::uint64_t, TxSlot>;  //!< by nonce

//! Names a slot across an unlocked JSON-RPC round trip: its nonce and the id of the call that owned it.
struct SlotRef {
    std::uint64_t nonce{0};
    std::uint64_t id{0};
    friend auto operator<=>(const SlotRef&, const SlotRef&) = default;
};

//! The live slot `ref` still names, or nullptr (a late result: the slot left, or the nonce has another owner).
inline TxSlot* find_slot(SlotMap& slots, const SlotRef& ref) {
    auto it = slots.find(ref.nonce);
    if (it == slots.end() || it->second.id != ref.id) return nullptr;
    return &it->second;
}

}  // namespace wp::chain
