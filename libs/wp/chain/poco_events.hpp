#pragma once
// Typed PoCo events: every event the hub (diamond facets), the asset registries and their entries, and the RLC
// token emit on the Arbitrum deployments (protocol.md §11.7, §7, §8; signatures as in the ABIs of the
// @iexec/poco 6.1.0 package).
//
// decode_poco_event(log) picks the event by topic0 and, where two events share a topic0, by the number of topics:
//   - Transfer(address,address,uint256): 3 topics = ERC-20 (the hub's SRLC ledger, RLC), 4 topics = ERC-721
//     (registries: the tokenId is indexed);
//   - Approval(address,address,uint256): likewise (ERC-20 value in the data / ERC-721 tokenId indexed).
// The emitting contract is not needed to decode; it is the log's `address` (hub vs RLC vs registry), which the
// caller checks when it matters (an ERC-20 Transfer from the RLC token moves RLC, one from the hub moves SRLC).
//
// Decoding is strict:
//   - unknown topic0, or a log without topics (anonymous) → Errc::kUnsupported "not a PoCo event: topic0 0x…";
//   - a known topic0 with the wrong number of topics → Errc::kDecoding
//     "TaskContribute: expected 3 topics (topic0 + 2 indexed), got 2";
//   - an indexed value that is not a canonical word (address with non-zero high bytes, bool not 0/1) or data that
//     is not the canonical ABI encoding of the non-indexed parameters (codec/abi.hpp kStrict: no trailing bytes,
//     zero padding, canonical offsets) → Errc::kDecoding naming the event and the field:
//     "Lock: data: owner: address has non-zero high bytes", "SchedulerNotice: topic 1 (workerpool): …".
// Not covered: PoCo Boost events (not deployed on Arbitrum, protocol.md §10), the legacy v3 clerk events
// (Deposit / Withdraw / DepositFor: PoCo v6 emits ERC-20 Transfer for deposits and withdrawals), the diamond
// administration events (DiamondCut) and the proxy / factory events of the deployment.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/protocol/order.hpp>

#include "eth.hpp"

namespace wp::chain {

namespace events {

// ---- ERC-20 (hub SRLC ledger, RLC token) and ERC-721 (registries) ----

//! Transfer(address indexed from, address indexed to, uint256 value): 3 topics. Mint/burn use address 0.
struct Erc20Transfer {
    Address from;
    Address to;
    U256 value;
    friend bool operator==(const Erc20Transfer&, const Erc20Transfer&) = default;
};
//! Approval(address indexed owner, address indexed spender, uint256 value): 3 topics.
struct Erc20Approval {
    Address owner;
    Address spender;
    U256 value;
    friend bool operator==(const Erc20Approval&, const Erc20Approval&) = default;
};
//! Transfer(address indexed from, address indexed to, uint256 indexed tokenId): 4 topics (asset creation is a
//! mint from address 0; tokenId = uint160 of the asset address).
struct Erc721Transfer {
    Address from;
    Address to;
    U256 token_id;
    friend bool operator==(const Erc721Transfer&, const Erc721Transfer&) = default;
};
//! Approval(address indexed owner, address indexed approved, uint256 indexed tokenId): 4 topics.
struct Erc721Approval {
    Address owner;
    Address approved;
    U256 token_id;
    friend bool operator==(const Erc721Approval&, const Erc721Approval&) = default;
};
//! ApprovalForAll(address indexed owner, address indexed operator, bool approved).
struct ApprovalForAll {
    Address owner;
    Address operator_;
    bool approved{false};
    friend bool operator==(const ApprovalForAll&, const ApprovalForAll&) = default;
};
//! OwnershipTransferred(address indexed previousOwner, address indexed newOwner) (hub, registries, RLC).
struct OwnershipTransferred {
    Address previous_owner;
    Address new_owner;
    friend bool operator==(const OwnershipTransferred&, const OwnershipTransferred&) = default;
};

// ---- escrow primitives (protocol.md §7.5; no indexed parameters; ref = taskid) ----

//! Lock(address owner, uint256 amount).
struct Lock {
    Address owner;
    U256 amount;
    friend bool operator==(const Lock&, const Lock&) = default;
};
//! Unlock(address owner, uint256 amount).
struct Unlock {
    Address owner;
    U256 amount;
    friend bool operator==(const Unlock&, const Unlock&) = default;
};
//! Reward(address owner, uint256 amount, bytes32 ref).
struct Reward {
    Address owner;
    U256 amount;
    Bytes32 ref;
    friend bool operator==(const Reward&, const Reward&) = default;
};
//! Seize(address owner, uint256 amount, bytes32 ref).
struct Seize {
    Address owner;
    U256 amount;
    Bytes32 ref;
    friend bool operator==(const Seize&, const Seize&) = default;
};

// ---- matching (protocol.md §5.5) ----

//! SchedulerNotice(address indexed workerpool, bytes32 dealid).
struct SchedulerNotice {
    Address workerpool;
    Bytes32 deal_id;
    friend bool operator==(const SchedulerNotice&, const SchedulerNotice&) = default;
};
//! OrdersMatched(bytes32 dealid, bytes32 appHash, bytes32 datasetHash, bytes32 workerpoolHash,
//! bytes32 requestHash, uint256 volume).
struct OrdersMatched {
    Bytes32 deal_id;
    Bytes32 app_hash;
    Bytes32 dataset_hash;  //!< zero when the deal has no dataset
    Bytes32 workerpool_hash;
    Bytes32 request_hash;
    U256 volume;
    friend bool operator==(const OrdersMatched&, const OrdersMatched&) = default;
};
//! DealSponsored(bytes32 dealId, address sponsor).
struct DealSponsored {
    Bytes32 deal_id;
    Address sponsor;
    friend bool operator==(const DealSponsored&, const DealSponsored&) = default;
};

// ---- tasks (protocol.md §6) ----

//! TaskInitialize(bytes32 indexed taskid, address indexed workerpool).
struct TaskInitialize {
    Bytes32 task_id;
    Address workerpool;
    friend bool operator==(const TaskInitialize&, const TaskInitialize&) = default;
};
//! TaskContribute(bytes32 indexed taskid, address indexed worker, bytes32 hash).
struct TaskContribute {
    Bytes32 task_id;
    Address worker;
    Bytes32 hash;
    friend bool operator==(const TaskContribute&, const TaskContribute&) = default;
};
//! TaskConsensus(bytes32 indexed taskid, bytes32 consensus).
struct TaskConsensus {
    Bytes32 task_id;
    Bytes32 consensus;
    friend bool operator==(const TaskConsensus&, const TaskConsensus&) = default;
};
//! TaskReveal(bytes32 indexed taskid, address indexed worker, bytes32 digest).
struct TaskReveal {
    Bytes32 task_id;
    Address worker;
    Bytes32 digest;
    friend bool operator==(const TaskReveal&, const TaskReveal&) = default;
};
//! TaskReopen(bytes32 indexed taskid).
struct TaskReopen {
    Bytes32 task_id;
    friend bool operator==(const TaskReopen&, const TaskReopen&) = default;
};
//! TaskFinalize(bytes32 indexed taskid, bytes results).
struct TaskFinalize {
    Bytes32 task_id;
    Bytes results;
    friend bool operator==(const TaskFinalize&, const TaskFinalize&) = default;
};
//! TaskClaimed(bytes32 indexed taskid).
struct TaskClaimed {
    Bytes32 task_id;
    friend bool operator==(const TaskClaimed&, const TaskClaimed&) = default;
};
//! AccurateContribution(address indexed worker, bytes32 indexed taskid).
struct AccurateContribution {
    Address worker;
    Bytes32 task_id;
    friend bool operator==(const AccurateContribution&, const AccurateContribution&) = default;
};
//! FaultyContribution(address indexed worker, bytes32 indexed taskid).
struct FaultyContribution {
    Address worker;
    Bytes32 task_id;
    friend bool operator==(const FaultyContribution&, const FaultyContribution&) = default;
};

// ---- order management (protocol.md §4) and relay ----

//! SignedAppOrder(bytes32 appHash).
struct SignedAppOrder {
    Bytes32 order_hash;
    friend bool operator==(const SignedAppOrder&, const SignedAppOrder&) = default;
};
//! SignedDatasetOrder(bytes32 datasetHash).
struct SignedDatasetOrder {
    Bytes32 order_hash;
    friend bool operator==(const SignedDatasetOrder&, const SignedDatasetOrder&) = default;
};
//! SignedWorkerpoolOrder(bytes32 workerpoolHash).
struct SignedWorkerpoolOrder {
    Bytes32 order_hash;
    friend bool operator==(const SignedWorkerpoolOrder&, const SignedWorkerpoolOrder&) = default;
};
//! SignedRequestOrder(bytes32 requestHash).
struct SignedRequestOrder {
    Bytes32 order_hash;
    friend bool operator==(const SignedRequestOrder&, const SignedRequestOrder&) = default;
};
//! ClosedAppOrder(bytes32 appHash).
struct ClosedAppOrder {
    Bytes32 order_hash;
    friend bool operator==(const ClosedAppOrder&, const ClosedAppOrder&) = default;
};
//! ClosedDatasetOrder(bytes32 datasetHash).
struct ClosedDatasetOrder {
    Bytes32 order_hash;
    friend bool operator==(const ClosedDatasetOrder&, const ClosedDatasetOrder&) = default;
};
//! ClosedWorkerpoolOrder(bytes32 workerpoolHash).
struct ClosedWorkerpoolOrder {
    Bytes32 order_hash;
    friend bool operator==(const ClosedWorkerpoolOrder&, const ClosedWorkerpoolOrder&) = default;
};
//! ClosedRequestOrder(bytes32 requestHash).
struct ClosedRequestOrder {
    Bytes32 order_hash;
    friend bool operator==(const ClosedRequestOrder&, const ClosedRequestOrder&) = default;
};
//! BroadcastAppOrder(AppOrder apporder) (IexecRelayFacet; the whole order, signature included).
struct BroadcastAppOrder {
    AppOrder order;
    friend bool operator==(const BroadcastAppOrder&, const BroadcastAppOrder&) = default;
};
//! BroadcastDatasetOrder(DatasetOrder datasetorder).
struct BroadcastDatasetOrder {
    DatasetOrder order;
    friend bool operator==(const BroadcastDatasetOrder&, const BroadcastDatasetOrder&) = default;
};
//! BroadcastWorkerpoolOrder(WorkerpoolOrder workerpoolorder).
struct BroadcastWorkerpoolOrder {
    WorkerpoolOrder order;
    friend bool operator==(const BroadcastWorkerpoolOrder&, const BroadcastWorkerpoolOrder&) = default;
};
//! BroadcastRequestOrder(RequestOrder requestorder).
struct BroadcastRequestOrder {
    RequestOrder order;
    friend bool operator==(const BroadcastRequestOrder&, const BroadcastRequestOrder&) = default;
};

// ---- configuration ----

//! CreateCategory(uint256 catid, string name, string description, uint256 workClockTimeRef).
struct CreateCategory {
    U256 catid;
    std::string name;
    std::string description;
    U256 work_clock_time_ref;
    friend bool operator==(const CreateCategory&, const CreateCategory&) = default;
};
//! PolicyUpdate(uint256 oldWorkerStakeRatioPolicy, uint256 newWorkerStakeRatioPolicy,
//! uint256 oldSchedulerRewardRatioPolicy, uint256 newSchedulerRewardRatioPolicy) (a Workerpool entry).
struct PolicyUpdate {
    U256 old_worker_stake_ratio_policy;
    U256 new_worker_stake_ratio_policy;
    U256 old_scheduler_reward_ratio_policy;
    U256 new_scheduler_reward_ratio_policy;
    friend bool operator==(const PolicyUpdate&, const PolicyUpdate&) = default;
};

}  // namespace events

//! One decoded PoCo event (see the header comment for the covered set).
using PocoEvent =
    std::variant<events::Erc20Transfer, events::Erc20Approval, events::Erc721Transfer, events::Erc721Approval,
                 events::ApprovalForAll, events::OwnershipTransferred, events::Lock, events::Unlock, events::Reward,
                 events::Seize, events::SchedulerNotice, events::OrdersMatched, events::DealSponsored,
                 events::TaskInitialize, events::TaskContribute, events::TaskConsensus, events::TaskReveal,
                 events::TaskReopen, events::TaskFinalize, events::TaskClaimed, events::AccurateContribution,
                 events::FaultyContribution, events::SignedAppOrder, events::SignedDatasetOrder,
                 events::SignedWorkerpoolOrder, events::SignedRequestOrder, events::ClosedAppOrder,
                 events::ClosedDatasetOrder, events::ClosedWorkerpoolOrder, events::ClosedRequestOrder,
                 events::BroadcastAppOrder, events::BroadcastDatasetOrder, events::BroadcastWorkerpoolOrder,
                 events::BroadcastRequestOrder, events::CreateCategory, events::PolicyUpdate>;

//! The description of one decodable event.
struct PocoEventSpec {
    std::string_view name;         //!< "Transfer", "TaskContribute", ...
    std::string_view signature;    //!< with `indexed` and parameter names, e.g.
                                   //!< "TaskContribute(bytes32 indexed taskid,address indexed worker,bytes32 hash)"
    std::string canonical;         //!< "TaskContribute(bytes32,address,bytes32)"
    Bytes32 topic0;                //!< keccak256(canonical)
    std::size_t topic_count{1};    //!< 1 + number of indexed parameters
    std::size_t variant_index{0};  //!< PocoEvent::index() of the decoded value
};

//! Every decodable event, one entry per (topic0, topic count); the signatures are parsed once, on first use.
std::span<const PocoEventSpec> poco_event_specs();

//! The distinct topic0 values of poco_event_specs() (for a LogFilter topic-0 alternative list).
std::vector<Bytes32> poco_event_topics();

//! Decodes a log as described in the header comment.
Result<PocoEvent> decode_poco_event(const Log& log);

//! The Solidity event name of a decoded event ("Transfer" for both ERC-20 and ERC-721 transfers).
std::string_view event_name(const PocoEvent& event) noexcept;

}  // namespace wp::chain
