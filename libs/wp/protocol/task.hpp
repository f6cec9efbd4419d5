#pragma once
// Task deadlines and `initialize` (protocol.md §1, §6.1; IexecPoco2Facet.initialize). Times are
// inputs (seconds, block.timestamp semantics); nothing here reads a clock.

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "types.hpp"

namespace wp {

//! startTime + timeref·7 (§1 CONTRIBUTION_DEADLINE_RATIO). Overflow → Errc::kOverflow (the 0.8
//! contracts panic 0x11).
Result<U256> contribution_deadline(const U256& start_time, const U256& timeref);
//! startTime + timeref·10 (§1 FINAL_DEADLINE_RATIO).
Result<U256> final_deadline(const U256& start_time, const U256& timeref);
//! consensusTime + timeref·2 (§1 REVEAL_DEADLINE_RATIO): set when consensus is reached (and by
//! contributeAndFinalize), consensusTime being that block's timestamp.
Result<U256> reveal_deadline(const U256& consensus_time, const U256& timeref);

//! The task record `initialize(dealid, idx)` writes (§6.1), with timeref = the category's
//! workClockTimeRef: status ACTIVE, dealid, idx, timeref, contributionDeadline and finalDeadline
//! (from deal.start_time, not from the initialization time); every other field zero. The
//! consensus denominator it also sets (total = 1) is ConsensusState's default (consensus.hpp).
//! Checks, in the contract's order (bare requires, no revert reason):
//!  idx ≥ botFirst, then idx < botFirst + botSize → Errc::kInvalidArgument naming the bound;
//!  botFirst + botSize or a deadline overflowing → Errc::kOverflow.
//! The caller checks that the task status is still UNSET (the third require).
Result<Task> initialize_task(const Deal& deal, const Bytes32& deal_id, const U256& idx, const U256& timeref);

}  // namespace wp
