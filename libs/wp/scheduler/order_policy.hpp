#pragma once
// The order publishing policy's decisions (docs/scheduler.md "Order publishing policy"), pure functions: which
// workerpool orders the core keeps on the market, with which volume. The component that stores, signs and publishes
// them is order_publisher.hpp.
//
// Offers (`core.orders.offers`): one per category and tag, each with a price (nRLC per task) and a trust, written
// `category=C,tag=T,price=P,trust=R` and separated by ';' (tag: "0x0", "0x9", any 0x hex up to 32 bytes, or names
// such as "tee,tdx"; price and trust default to 0; at most 32 offers, no two with the same category and tag).
//
// Capacity (per offer o, in slot-seconds; T_o = the category's workClockTimeRef, the longest a task of o may run):
//   rounds   = 7 − safety            (7 = PoCo's contribution deadline ratio: a deal matched now must have every task
//                                      contributed within 7·T_o; `safety` periods, core.orders.safetyPeriods, are kept
//                                      for initialization, retries and contributions)
//   replicas = replicates one task of trust r_o needs from fresh workers (plan_replication: trust ≤ 2 → 1, 3–4 → 2,
//              5–8 → 3 …)
//   slots    = Σ cpu slots of the alive workers that can run o (the assignment filter: TEE framework bits, GPU, the
//              worker's max task time ≥ T_o)
//   budget   = slots × rounds × T_o
//   backlog  = Σ over accepted tasks still to compute (RECEIVED … RUNNING, REOPENING, REOPENED) replicas(trust) × T
//   earlier  = Σ over the offers listed before o: their volume × replicas × T (offers share the workers)
//   volume_o = min(maxVolume, ⌊max(0, budget − backlog − earlier) / (replicas × T_o)⌋), 0 without eligible slots
// Conservative on purpose: the whole backlog and every earlier offer are charged to each offer, whatever workers
// they would use, so the open volume never exceeds what the alive workers can finish before the deadlines.
//
// Reconciliation (per offer, rows of the policy's table): while one of its rows is being published or unpublished,
// nothing new is decided for it (the pending intent is resumed first). Otherwise, when the open orders' remaining
// volume differs from the planned volume, every open order of the offer is unpublished and, if the volume is > 0,
// one order of that volume is published (a consolidated order: one deal can take all of it). Open rows of no
// configured offer are unpublished.
//
// Thread safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "planner.hpp"

namespace wp::scheduler {

struct Offer {
    std::uint64_t category{0};
    Bytes32 tag;
    U256 price;  //!< nRLC per task
    std::uint64_t trust{0};
    //! The offer's identity in the policy's table: "category=C,tag=0x…(64),price=P,trust=R".
    std::string key() const;
    friend bool operator==(const Offer&, const Offer&) = default;
};

inline constexpr std::size_t kMaxOffers = 32;

//! Parses `core.orders.offers` (syntax above). "" → no offer. Errors (Errc::kInvalidArgument) name the key, the offer
//! and the rule: `core.orders.offers: offer 2: unknown field "prise"`, `…: offer 1: category is required`,
//! `…: offer 3: same category and tag as offer 1`, `…: offer 1: trust: …`.
Result<std::vector<Offer>> parse_offers(std::string_view text);

//! Accepted tasks still to compute, grouped (the backlog of the formula).
struct BacklogEntry {
    std::uint64_t category_seconds{0};
    std::uint64_t trust{1};
    std::uint64_t tasks{0};
};

struct CapacityParams {
    std::uint64_t safety_periods{1};  //!< 0..6
    std::uint64_t max_volume{1000};   //!< per offer
};

//! One offer's plan with the terms of the formula (shown by the dashboard and the logs).
struct OfferPlan {
    std::uint64_t category_seconds{0};
    std::uint64_t slots{0};
    std::uint64_t replicas{1};
    U256 budget, backlog, earlier;  //!< slot-seconds
    std::uint64_t volume{0};
};

//! Replicates one task of `trust` needs from fresh workers (score 0). Errors: Errc::kOverflow (absurd trust).
Result<std::uint64_t> replicas_for_trust(std::uint64_t trust);

//! The formula above. `category_seconds[i]` is offer i's workClockTimeRef (0: unknown category → volume 0);
//! `workers` are snapshots (alive ones count; free_slots is taken as the worker's cpu slots). Errors: a
//! category_seconds list of another size (Errc::kInvalidArgument); Errc::kOverflow from the replication math.
Result<std::vector<OfferPlan>> plan_volumes(const std::vector<Offer>& offers,
                                            const std::vector<std::uint64_t>& category_seconds,
                                            const std::vector<WorkerSnapshot>& workers,
                                            const std::vector<BacklogEntry>& backlog, const CapacityParams& params);

// ---- Reconciliation ------------------------------------------------------------------------------------------------

//! Persisted numbers: never renumber.
enum class PolicyOrderState : std::uint8_t {
    kPublishing = 0,    //!< signed and stored; to be POSTed (again, after a crash: same hash, published at most once)
    kOpen = 1,          //!< published and open on the market (remaining as last seen)
    kUnpublishing = 2,  //!< to be unpublished
    kClosed = 3,        //!< unpublished, filled, canceled, dead or refused: no longer ours to manage
};
std::string_view to_string(PolicyOrderState s) noexcept;
Result<PolicyOrderState> policy_order_state_from_int(std::int64_t v);

struct PolicyOrderRow {
    Bytes32 order_hash;
    std::string offer;  //!< Offer::key(), "" for an order of no offer
    std::uint64_t volume{0};
    std::uint64_t remaining{0};
    PolicyOrderState state{PolicyOrderState::kPublishing};
};

struct PolicyDecision {
    std::vector<Bytes32> unpublish;  //!< open rows to move to kUnpublishing
    struct Publish {
        std::size_t offer;  //!< index into offers
        std::uint64_t volume;
    };
    std::vector<Publish> publish;
    bool empty() const { return unpublish.empty() && publish.empty(); }
};

//! The reconciliation rule above; `volumes[i]` is offer i's planned volume (plan_volumes). Rows in kClosed are
//! ignored. Errors: a volumes list of another size (Errc::kInvalidArgument).
Result<PolicyDecision> reconcile(const std::vector<Offer>& offers, const std::vector<std::uint64_t>& volumes,
                                 const std::vector<PolicyOrderRow>& rows);

}  // namespace wp::scheduler
