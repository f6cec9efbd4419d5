#pragma once
// ReplacementPlanner: TxManager's decision for stuck transactions (tx_manager.hpp, "Stuck transactions"): when an
// unmined, sent transaction is due for a fee-bumped replacement, and with which fees. Pure: no I/O, no clock of its
// own (the caller passes now and the head), no signing.
//   - due: replace_after has passed since the nonce's last signing, or (replace_after_blocks > 0) the head is that
//     many blocks past the block of the last signing;
//   - fees: bump_fees (fees.hpp: >= +bump_percent on both fields, at least the current suggestion, the fee cap)
//     applied to the highest fees (by fee cap) of an attempt the node ever ACCEPTED (AttemptState kAccepted /
//     kRefusedAfterAccept), or of all attempts when none was: a rejected replacement does not raise the base (else
//     every round of rejections would ratchet the fees up). `current` is followed only when its type is the same.
//
// Thread safety: const member functions, no shared state.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>

#include "attempt_state.hpp"
#include "fees.hpp"

namespace wp::chain {

//! What the planner needs to know of one signed transaction of a nonce.
struct AttemptFees {
    FeeParams fees;
    AttemptState state{AttemptState::kSigned};
};

struct ReplacementRule {
    std::chrono::milliseconds replace_after{std::chrono::seconds(60)};
    std::uint64_t replace_after_blocks{0};  //!< 0: only replace_after applies
    FeePolicy fees{};
};

class ReplacementPlanner {
  public:
    explicit ReplacementPlanner(ReplacementRule rule) : rule_(std::move(rule)) {}

    //! Whether a transaction last signed at (last_signed, last_signed_block) is due at (now, head).
    bool due(Clock::time_point now, std::uint64_t head, Clock::time_point last_signed,
             std::uint64_t last_signed_block) const;

    //! The fees of the replacement (header comment). Errors: Errc::kInvalidArgument for no attempts; bump_fees's
    //! (e.g. "fee cap exceeded: ...": the transaction keeps waiting with its current fees).
    Result<FeeParams> fees(std::span<const AttemptFees> attempts, const std::optional<FeeParams>& current) const;

  private:
    ReplacementRule rule_;
};

}  // namespace wp::chain
