#pragma once
// The state machine of one signed transaction of a TxManager call (an "attempt": the original, a fee-bumped
// replacement or a nonce filler), replacing the former boolean flags (journaled / broadcast / accepted / rejected).
// Nothing here is persisted: the journal records (tx_journal.hpp) are unchanged.
//
//                journal append ok
//   kSigned ─────────────────────────▶ kJournaled
//
//   Then each send answer (SendAnswer) moves it (after_send; the arrows attempt_transition_allowed accepts):
//
//     from \ answer          kTaken       kUnknown (transport)     kRefused
//     kJournaled            kAccepted     kSent                    kRejected
//     kSent                 kAccepted     kSent                    kRejected
//     kAccepted             kAccepted     kAccepted                kRefusedAfterAccept
//     kRejected             kAccepted     kRejected                kRejected
//     kRefusedAfterAccept   kAccepted     kRefusedAfterAccept      kRefusedAfterAccept
//
//   kTaken: success, "already known", "nonce too low"; kUnknown: a transport error or rate limit (the node may
//   or may not have it); kRefused: any other JSON-RPC error. No arrow leads back to kSigned or kJournaled, and
//   kAccepted / kRefusedAfterAccept ("ever accepted") never lead to kRejected.
//   Recovered from the journal (open()): created kAccepted (it may have been sent before the restart).
//   Every state but kSigned may be sent (again: rebroadcasts); kSigned may never be sent.
//
// Thread safety: pure functions and values.

#include <cstdint>

namespace wp::chain {

enum class AttemptState : std::uint8_t {
    kSigned,              //!< signed, its kSigned record is not durable yet: must not be broadcast
    kJournaled,           //!< its kSigned record is durable; never sent
    kSent,                //!< sent, but no send answer told whether the node has it (transport error)
    kAccepted,            //!< the node took it (at least once; the latest send was not refused)
    kRejected,            //!< never taken; its latest send was refused with a JSON-RPC error
    kRefusedAfterAccept,  //!< taken once, but its latest send was refused (it may still be in a pool)
};

//! What one eth_sendRawTransaction answer says about the attempt sent.
enum class SendAnswer : std::uint8_t {
    kTaken,    //!< success, "already known", "nonce too low"
    kUnknown,  //!< transport error or rate limit: the node may or may not have it
    kRefused,  //!< any other JSON-RPC error
};

//! "signed", "journaled", "sent", "accepted", "rejected", "refused after accept".
const char* to_string(AttemptState state);

//! Whether `from -> to` is an arrow of the diagram above (staying in the same state is allowed for every sent
//! state).
bool attempt_transition_allowed(AttemptState from, AttemptState to);

//! Returns `to` when `from -> to` is allowed; otherwise a bug in the caller (a state no arrow leads to could lead
//! to a nonce decision on false premises): prints "AttemptState: illegal transition <from> -> <to>" to stderr and
//! aborts, in every build type (not an assert()).
AttemptState checked_transition(AttemptState from, AttemptState to);

//! The state after a send of an attempt in `from` answered `answer` (checked_transition). Precondition:
//! journaled(from).
AttemptState after_send(AttemptState from, SendAnswer answer);

//! Its kSigned record is durable (it may be broadcast).
constexpr bool journaled(AttemptState s) { return s != AttemptState::kSigned; }
//! Sent at least once.
constexpr bool sent(AttemptState s) { return s != AttemptState::kSigned && s != AttemptState::kJournaled; }
//! The node took it at least once.
constexpr bool ever_accepted(AttemptState s) {
    return s == AttemptState::kAccepted || s == AttemptState::kRefusedAfterAccept;
}
//! Its latest send was refused.
constexpr bool refused(AttemptState s) {
    return s == AttemptState::kRejected || s == AttemptState::kRefusedAfterAccept;
}

}  // namespace wp::chain
