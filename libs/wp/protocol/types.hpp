#pragma once
// PoCo on-chain records and constants (protocol.md §1, §2.2): the deal, task and contribution
// structs exactly as the contracts store and return them (same fields, same order), the escrow
// account view, categories, asset entries, and the hub's fixed ratios. Plain data, no logic.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/uint256.hpp>

namespace wp {

// ---- Constants (protocol.md §1; contracts/facets/FacetBase.sol) ---------------------------------

//! contributionDeadline = deal.startTime + 7·timeref.
inline constexpr std::uint64_t kContributionDeadlineRatio = 7;
//! revealDeadline = consensus time + 2·timeref.
inline constexpr std::uint64_t kRevealDeadlineRatio = 2;
//! finalDeadline = deal.startTime + 10·timeref.
inline constexpr std::uint64_t kFinalDeadlineRatio = 10;
//! The scheduler locks workerpool.price·30/100 per task.
inline constexpr std::uint64_t kWorkerpoolStakeRatio = 30;
//! Percentage of the kitty paid to the scheduler per successful task.
inline constexpr std::uint64_t kKittyRatio = 10;
//! Minimum kitty payout: 1 RLC = 10^9 nRLC.
inline constexpr std::uint64_t kKittyMin = 1'000'000'000;
//! ERC-734 key purpose checked by restrictions that are identity contracts.
inline constexpr std::uint64_t kGroupMemberPurpose = 4;
//! nRLC per RLC (RLC has 9 decimals).
inline constexpr std::uint64_t kNrlcPerRlc = 1'000'000'000;
//! Policies of a freshly created Workerpool entry (§1 "Other defaults").
inline constexpr std::uint64_t kDefaultWorkerStakeRatioPolicy = 30;
inline constexpr std::uint64_t kDefaultSchedulerRewardRatioPolicy = 1;

//! The KITTY_ADDRESS literal 0x99c2268479b93fDe36232351229815DF80837e23: the account whose FROZEN
//! balance is the kitty (see §1 for why it is not the value the source comment describes).
const Address& kitty_address() noexcept;

// ---- Enums (§2.2) --------------------------------------------------------------------------------

//! TaskStatusEnum (uint8 in the ABI).
enum class TaskStatus : std::uint8_t { kUnset = 0, kActive = 1, kRevealing = 2, kCompleted = 3, kFailed = 4 };
//! ContributionStatusEnum (uint8 in the ABI).
enum class ContributionStatus : std::uint8_t { kUnset = 0, kContributed = 1, kProved = 2, kRejected = 3 };

//! "UNSET", "ACTIVE", "REVEALING", "COMPLETED", "FAILED" (the Solidity names).
std::string_view to_string(TaskStatus status) noexcept;
//! "UNSET", "CONTRIBUTED", "PROVED", "REJECTED".
std::string_view to_string(ContributionStatus status) noexcept;

// ---- Records (§2.2; field order is the ABI tuple order) ------------------------------------------

//! `(address pointer, address owner, uint256 price)`.
struct Resource {
    Address pointer;
    Address owner;
    U256 price;

    friend bool operator==(const Resource&, const Resource&) = default;
};

//! The deal record written by matchOrders (§5.4) and returned by `viewDeal`.
struct Deal {
    Resource app;
    Resource dataset;  //!< all zero when the deal has no dataset
    Resource workerpool;
    U256 trust;  //!< max(request trust, 1)
    U256 category;
    Bytes32 tag;  //!< app | dataset | request tag (6.2: dataset TEE framework bits masked)
    Address requester;
    Address beneficiary;
    Address callback;
    std::string params;
    U256 start_time;              //!< block.timestamp of the match
    U256 bot_first;               //!< first task index: consumed[requestHash] before the match
    U256 bot_size;                //!< the deal volume
    U256 worker_stake;            //!< workerpool.price · workerStakeRatioPolicy / 100
    U256 scheduler_reward_ratio;  //!< the workerpool's schedulerRewardRatioPolicy at match time
    Address sponsor;              //!< the payer

    friend bool operator==(const Deal&, const Deal&) = default;
};

//! The task record (`viewTask`).
struct Task {
    TaskStatus status{TaskStatus::kUnset};
    Bytes32 deal_id;
    U256 idx;
    U256 timeref;  //!< the category's workClockTimeRef (seconds)
    U256 contribution_deadline;
    U256 reveal_deadline;
    U256 final_deadline;
    Bytes32 consensus_value;
    U256 reveal_counter;
    U256 winner_counter;
    std::vector<Address> contributors;  //!< in contribution order
    Bytes32 result_digest;
    Bytes results;
    U256 results_timestamp;  //!< never written by any code path
    Bytes results_callback;

    friend bool operator==(const Task&, const Task&) = default;
};

//! A worker's contribution to a task (`viewContribution`).
struct Contribution {
    ContributionStatus status{ContributionStatus::kUnset};
    Bytes32 result_hash;
    Bytes32 result_seal;
    Address enclave_challenge;
    U256 weight;  //!< floor(log2(w)), see consensus.hpp

    friend bool operator==(const Contribution&, const Contribution&) = default;
};

//! A category (`viewCategory`): the reference time of its deadlines.
struct Category {
    std::string name;
    std::string description;
    U256 work_clock_time_ref;  //!< seconds

    friend bool operator==(const Category&, const Category&) = default;
};

//! `viewAccount`: stake = free balance (balanceOf), locked = frozen balance.
struct Account {
    U256 stake;
    U256 locked;

    friend bool operator==(const Account&, const Account&) = default;
};

//! `viewApp`.
struct AppInfo {
    Address owner;
    std::string app_name;
    std::string app_type;
    Bytes app_multiaddr;
    Bytes32 app_checksum;
    Bytes app_mrenclave;

    friend bool operator==(const AppInfo&, const AppInfo&) = default;
};

//! `viewDataset`.
struct DatasetInfo {
    Address owner;
    std::string dataset_name;
    Bytes dataset_multiaddr;
    Bytes32 dataset_checksum;

    friend bool operator==(const DatasetInfo&, const DatasetInfo&) = default;
};

//! `viewWorkerpool`. changePolicy requires scheduler_reward_ratio_policy ≤ 100; the worker stake
//! ratio is unbounded (§8.5).
struct WorkerpoolInfo {
    Address owner;
    std::string workerpool_description;
    U256 worker_stake_ratio_policy{kDefaultWorkerStakeRatioPolicy};
    U256 scheduler_reward_ratio_policy{kDefaultSchedulerRewardRatioPolicy};

    friend bool operator==(const WorkerpoolInfo&, const WorkerpoolInfo&) = default;
};

}  // namespace wp
