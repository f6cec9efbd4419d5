#pragma once
// matchOrders as one pure function (protocol.md §5; IexecPoco1Facet._matchOrders,
// CommonLib.computeDealVolume / isAccountAuthorizedByRestriction). Everything the contract reads
// from the chain (owners, registries, signatures, consumed volumes, policies, balances, the block
// time) is an input in MatchFacts; the function evaluates the checks in the contract's exact order
// and returns either the deal it would record or the exact revert it would produce.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "economics.hpp"
#include "order.hpp"
#include "types.hpp"

namespace wp {

//! The contract version whose rules apply. They differ only in the tag of check 0x06/0x07 and of
//! the deal: 6.2 (live on Arbitrum since 2026-01-21) masks the dataset's TEE framework bits
//! (D.tag & ~0x0E); 6.1.0 (the npm artifacts) does not (§14).
enum class PocoVersion : std::uint8_t { kV6_1, kV6_2 };

//! Outcome of `verifySignatureOrPresignature(owner, orderHash, sign)` as the chain evaluates it:
//! presigned by the owner, or an ERC-1271 contract owner accepting it, or a 65/64-byte ECDSA
//! signature recovering to the owner → kValid; kInvalid otherwise; an EOA owner, no presignature
//! and a signature length other than 64/65 → kInvalidFormat (revert "invalid-signature-format").
enum class SignatureCheck : std::uint8_t { kValid, kInvalid, kInvalidFormat };

//! Chain facts about one asset (app, dataset or workerpool).
struct AssetFacts {
    //! The entry's `owner()`; empty when the call fails (e.g. the address has no code), which makes
    //! matchOrders revert with no data.
    std::optional<Address> owner;
    bool registered{false};  //!< registry.isRegistered(asset)
    SignatureCheck signature{SignatureCheck::kInvalid};
};

//! Everything matchOrders reads from the chain.
struct MatchFacts {
    PocoVersion version{PocoVersion::kV6_2};
    Bytes32 domain_separator;  //!< for the order hashes (order.hpp)
    U256 category_count;       //!< countCategory()
    AssetFacts app;
    AssetFacts dataset;  //!< ignored when the dataset order is the zeroed "no dataset" order
    AssetFacts workerpool;
    SignatureCheck request_signature{SignatureCheck::kInvalid};  //!< for R.requester
    //! m_consumed of each order hash.
    U256 consumed_app;
    U256 consumed_dataset;
    U256 consumed_workerpool;
    U256 consumed_request;
    //! Workerpool(W.workerpool).m_workerStakeRatioPolicy() / m_schedulerRewardRatioPolicy().
    U256 worker_stake_ratio_policy{kDefaultWorkerStakeRatioPolicy};
    U256 scheduler_reward_ratio_policy{kDefaultSchedulerRewardRatioPolicy};
    //! For a restriction that is neither 0 nor the account itself: true iff the restriction has
    //! code and `keyHasPurpose(bytes32(uint256(uint160(account))), 4)` returns true (a revert
    //! counts as false). Empty = no restriction is a group contract (always false).
    std::function<bool(const Address& restriction, const Address& account)> group_member;
    //! The payer: R.requester for matchOrders (empty), msg.sender for sponsorMatchOrders.
    std::optional<Address> sponsor;
    //! Free balances (balanceOf) of the sponsor and of the workerpool owner; when set, the two
    //! locks are checked like the escrow's _transfer. Empty = not checked.
    std::optional<U256> sponsor_balance;
    std::optional<U256> workerpool_owner_balance;
    U256 timestamp;  //!< block.timestamp: deal.start_time
};

//! How a failed match reverts.
enum class RevertKind : std::uint8_t {
    kReason,  //!< Error(string) with `reason`
    kEmpty,   //!< no revert data (owner() on a non-contract)
    kPanic,   //!< Panic(uint256): reason "Panic(0x11)" (arithmetic overflow)
};

struct MatchRevert {
    RevertKind kind{RevertKind::kReason};
    //! "iExecV5-matchOrders-0x06", "invalid-signature-format",
    //! "IexecEscrow: Transfer amount exceeds balance", "Panic(0x11)", or "" for kEmpty.
    std::string reason;
    std::string explanation;  //!< human text: which fields, which values, which rule

    //! Errc::kInvalidArgument (kOverflow for panics) with "<reason>: <explanation>".
    Error to_error() const;
};

//! What a successful match records and does.
struct MatchedDeal {
    Bytes32 deal_id;  //!< keccak256(requestHash ‖ consumed[requestHash] before)
    Deal deal;
    U256 volume;
    Bytes32 app_hash;
    Bytes32 dataset_hash;  //!< zero without a dataset (as in OrdersMatched)
    Bytes32 workerpool_hash;
    Bytes32 request_hash;
    bool has_dataset{false};
    //! lock(sponsor, P·volume), lock(workerpool owner, (price·30/100)·volume), in order.
    std::vector<BalanceMovement> locks;
};

//! `auth(restriction, account)` (§5.2): true if restriction is 0 or equals account, else
//! group_member(restriction, account) (false when group_member is empty).
bool is_authorized_by_restriction(const Address& restriction, const Address& account,
                                  const std::function<bool(const Address&, const Address&)>& group_member);

//! The combined tag of check 0x06 and of the deal: A.tag | D.tag | R.tag; 6.2: A.tag | (D.tag &
//! ~0x0E) | R.tag.
Bytes32 match_tag(const AppOrder& app, const DatasetOrder& dataset, const RequestOrder& request, PocoVersion version);

//! computeDealVolume (§5.3): min(A.volume − cA, hasDataset ? D.volume − cD : ∞, W.volume − cW,
//! R.volume − cR), where hasDataset = D.dataset ≠ 0. A consumed value above its volume makes the
//! subtraction underflow: Errc::kOverflow (the 6.2 contracts panic 0x11).
Result<U256> compute_deal_volume(const AppOrder& app, const DatasetOrder& dataset, const WorkerpoolOrder& workerpool,
                                 const RequestOrder& request, const MatchFacts& facts);

//! matchOrders / sponsorMatchOrders (§5.2–§5.5). Pass `DatasetOrder{}` (all zero) when there is no
//! dataset. Evaluation order, each failure returned as its revert:
//!  0x00 R.category == W.category; 0x01 R.category < category_count; 0x02 R.trust ≤ W.trust;
//!  0x03 R.appmaxprice ≥ A.appprice; 0x04 R.datasetmaxprice ≥ D.datasetprice;
//!  0x05 R.workerpoolmaxprice ≥ W.workerpoolprice; 0x06 (tag & ~W.tag) == 0;
//!  0x07 bit 0 of tag equals bit 0 of A.tag; 0x10 R.app == A.app; 0x11 R.dataset == D.dataset;
//!  0x12 auth(R.workerpool, W.workerpool); 0x13 auth(A.datasetrestrict, D.dataset);
//!  0x14 auth(A.workerpoolrestrict, W.workerpool); 0x15 auth(A.requesterrestrict, R.requester);
//!  0x16 auth(D.apprestrict, A.app); 0x17 auth(D.workerpoolrestrict, W.workerpool);
//!  0x18 auth(D.requesterrestrict, R.requester); 0x19 auth(W.apprestrict, A.app);
//!  0x1a auth(W.datasetrestrict, D.dataset); 0x1b auth(W.requesterrestrict, R.requester);
//!  app owner() (empty revert); 0x20 app registered; 0x21 app signature;
//!  if hasDataset: dataset owner() (empty revert); 0x30 registered; 0x31 signature;
//!  workerpool owner() (empty revert); 0x40 registered; 0x41 signature; 0x50 request signature;
//!  (each signature check may instead revert "invalid-signature-format");
//!  computeDealVolume (Panic 0x11 on underflow); 0x60 volume > 0;
//!  the deal record (workerStake = price·policy/100: Panic 0x11 on overflow);
//!  lock(sponsor, P·volume) then lock(workerpool owner, (price·30/100)·volume): Panic 0x11 on
//!  overflow, "IexecEscrow: Transfer from empty address" for a zero account, and when the balances
//!  are given "IexecEscrow: Transfer amount exceeds balance" (the second lock sees the balance
//!  left by the first when the sponsor is also the workerpool owner).
tl::expected<MatchedDeal, MatchRevert> match_orders(const AppOrder& app, const DatasetOrder& dataset,
                                                    const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                                    const MatchFacts& facts);

}  // namespace wp
