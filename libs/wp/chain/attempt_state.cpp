#include "attempt_state.hpp"

#include <cstdio>
#include <cstdlib>

namespace wp::chain {

const char* to_string(AttemptState state) {
    switch (state) {
        case AttemptState::kSigned: return "signed";
        case AttemptState::kJournaled: return "journaled";
        case AttemptState::kSent: return "sent";
        case AttemptState::kAccepted: return "accepted";
        case AttemptState::kRejected: return "rejected";
        case AttemptState::kRefusedAfterAccept: return "refused after accept";
    }
    return "?";
}

bool attempt_transition_allowed(AttemptState from, AttemptState to) {
    using S = AttemptState;
    switch (from) {
        case S::kSigned: return to == S::kJournaled;
        case S::kJournaled: return to == S::kSent || to == S::kAccepted || to == S::kRejected;
        case S::kSent: return to == S::kSent || to == S::kAccepted || to == S::kRejected;
        case S::kAccepted: return to == S::kAccepted || to == S::kRefusedAfterAccept;
        case S::kRejected: return to == S::kRejected || to == S::kAccepted;
        case S::kRefusedAfterAccept: return to == S::kRefusedAfterAccept || to == S::kAccepted;
    }
    return false;
}

AttemptState checked_transition(AttemptState from, AttemptState to) {
    if (!attempt_transition_allowed(from, to)) {
        std::fprintf(stderr, "AttemptState: illegal transition %s -> %s\n", to_string(from), to_string(to));
        std::abort();
    }
    return to;
}

AttemptState after_send(AttemptState from, SendAnswer answer) {
    AttemptState to = from;
    switch (answer) {
        case SendAnswer::kTaken: to = AttemptState::kAccepted; break;
        case SendAnswer::kUnknown: to = from == AttemptState::kJournaled ? AttemptState::kSent : from; break;
        case SendAnswer::kRefused:
            to = ever_accepted(from) ? AttemptState::kRefusedAfterAccept : AttemptState::kRejected;
            break;
    }
    return checked_transition(from, to);
}

}  // namespace wp::chain
