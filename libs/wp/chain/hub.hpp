#pragma once
// wp::chain::Hub: the typed client of a PoCo v6 deployment (the hub diamond, the RLC token, the three registries
// and their entries) over an EthClient (shared/reference/protocol.md §2.3 tuples, §11 ABI, §12 reverts).
//
// - Views are eth_calls (at an optional BlockTag, "latest" by default) decoded straight into the protocol types
//   (protocol/types.hpp, protocol/order.hpp).
// - Transactions are returned as ContractCall values (to, calldata, value, description): the Hub never signs or
//   sends; the transaction manager (or a test helper) does. simulate() / estimate_gas() dry-run a ContractCall
//   from a given sender and decode a revert (revert.hpp) into HubError::revert.
// - Every ABI signature is parsed once (a static table, hub_function_table()); the unit tests check each one
//   against the ABIs of the @iexec/poco 6.1.0 package.
// - Errors: HubError, whose message always starts with the Solidity method name ("viewDeal: ...",
//   "matchOrders: reverted: iExecV5-matchOrders-0x60"). A revert (is_revert in revert.hpp: the chain module's one
//   revert detector) sets HubError::revert; compare codes with revert_reason().
// - Batched reads (simulate_batch, view_tasks, view_accounts, ...) put many views in JSON-RPC batches of at most
//   max_calls_per_batch() calls, with one result (or error) per item.
//
// Thread-safety: a Hub holds no mutable state besides the EthClient reference; it is as thread-safe as the
// EthClient it uses. The EthClient must outlive the Hub.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include <wp/codec/abi.hpp>
#include <wp/codec/abi_type.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/protocol/order.hpp>
#include <wp/protocol/types.hpp>

#include "contract_call.hpp"
#include "eth.hpp"
#include "revert.hpp"

namespace wp::chain {

// ---- Errors ------------------------------------------------------------------------------------------------

//! A failed Hub view, simulation or calldata build.
struct HubError {
    //! Errc::kRemote for a revert or another JSON-RPC error; the transport's kind (kNetwork, kTimeout...);
    //! Errc::kDecoding for return data that does not match the ABI; Errc::kInvalidArgument for a call that
    //! cannot be encoded (e.g. invalid UTF-8 in a string) or needs an address the Hub does not know.
    Errc kind{Errc::kRemote};
    //! "<method>: <detail>", e.g. "matchOrders: reverted: iExecV5-matchOrders-0x60".
    std::string message;
    //! Set iff the node reported a revert (eth_call / eth_estimateGas); decoded with default_revert_decoder().
    std::optional<DecodedRevert> revert;

    bool reverted() const { return revert.has_value(); }
    //! The Error(string) reason of a revert ("iExecV5-matchOrders-0x60", "invalid-sender-or-signature"); "" when
    //! the call did not revert or reverted without a reason string.
    std::string_view revert_reason() const;
    Error to_error() const { return Error{kind, message}; }
    //! Lets WP_TRY propagate a HubError into a Result<T> function.
    operator Error() const { return to_error(); }  // NOLINT(google-explicit-constructor)
};

template <class T>
using HubResult = tl::expected<T, HubError>;

// ---- Addresses and parameters ------------------------------------------------------------------------------

//! The contracts of one deployment. Only `hub` is required; calls to the token or a registry whose address is
//! zero fail with Errc::kInvalidArgument until resolve_addresses() reads them from the hub.
struct PocoAddresses {
    Address hub;
    Address token;  //!< RLC (token mode)
    Address app_registry;
    Address dataset_registry;
    Address workerpool_registry;

    friend bool operator==(const PocoAddresses&, const PocoAddresses&) = default;
};

enum class RegistryKind : std::uint8_t { kApp, kDataset, kWorkerpool };

//! AppRegistry.createApp / predictApp arguments (protocol.md §8.2). The SDK uses type "DOCKER" and mrenclave "0x".
struct AppParams {
    Address owner;
    std::string name;
    std::string type{"DOCKER"};
    Bytes multiaddr;
    Bytes32 checksum;
    Bytes mrenclave;
};

//! DatasetRegistry.createDataset / predictDataset arguments.
struct DatasetParams {
    Address owner;
    std::string name;
    Bytes multiaddr;
    Bytes32 checksum;
};

//! WorkerpoolRegistry.createWorkerpool / predictWorkerpool arguments.
struct WorkerpoolParams {
    Address owner;
    std::string description;
};

// ---- The ABI table -----------------------------------------------------------------------------------------

//! Every function the Hub calls. The contract names are those of the package's ABI files. New functions are added
//! just before kCount_ (with their table entry in hub.cpp, in the same position); kCount_ stays last.
enum class HubFn : std::uint8_t {
    // hub diamond (IexecInterfaceToken): views
    kViewDeal,
    kViewTask,
    kViewContribution,
    kViewScore,
    kViewAccount,
    kViewCategory,
    kCountCategory,
    kViewConsumed,
    kViewPresigned,
    kViewApp,
    kViewDataset,
    kViewWorkerpool,
    kResultFor,
    kVerifySignature,
    kVerifyPresignature,
    kVerifyPresignatureOrSignature,
    kComputeDealVolume,
    kDomain,
    kEip712DomainSeparator,
    kBalanceOf,
    kFrozenOf,
    kTotalSupply,
    kAllowance,
    kName,
    kSymbol,
    kDecimals,
    kToken,
    kTeeBroker,
    kCallbackGas,
    kAppRegistry,
    kDatasetRegistry,
    kWorkerpoolRegistry,
    kOwner,
    kContributionDeadlineRatio,
    kRevealDeadlineRatio,
    kFinalDeadlineRatio,
    kWorkerpoolStakeRatio,
    kKittyRatio,
    kKittyMin,
    kKittyAddress,
    kGroupMemberPurpose,
    // hub diamond: transactions
    kDeposit,
    kDepositFor,
    kWithdraw,
    kWithdrawTo,
    kCreateCategory,
    kSetTeeBroker,
    kSetCallbackGas,
    kMatchOrders,
    kSponsorMatchOrders,
    kManageAppOrder,
    kManageDatasetOrder,
    kManageWorkerpoolOrder,
    kManageRequestOrder,
    kInitialize,
    kInitializeArray,
    kContribute,
    kContributeAndFinalize,
    kReveal,
    kReopen,
    kFinalize,
    kClaim,
    kClaimArray,
    kInitializeAndClaimArray,
    // RLC
    kRlcBalanceOf,
    kRlcAllowance,
    kRlcTotalSupply,
    kRlcTransfer,
    kRlcApprove,
    kRlcApproveAndCall,
    // registries (the three share the ERC-721 / IRegistry part)
    kRegistryIsRegistered,
    kRegistryBalanceOf,
    kRegistryOwnerOf,
    kRegistryTokenOfOwnerByIndex,
    kCreateApp,
    kPredictApp,
    kCreateDataset,
    kPredictDataset,
    kCreateWorkerpool,
    kPredictWorkerpool,
    // registry entries
    kEntryOwner,
    kAppName,
    kAppType,
    kAppMultiaddr,
    kAppChecksum,
    kAppMREnclave,
    kDatasetName,
    kDatasetMultiaddr,
    kDatasetChecksum,
    kWorkerpoolDescription,
    kWorkerStakeRatioPolicy,
    kSchedulerRewardRatioPolicy,
    kChangePolicy,
    kCount_
};

struct HubFunction {
    HubFn fn;
    //! ABI file (without .json) of the package's abis/human-readable-abis tree that declares it: "IexecInterfaceToken",
    //! "RLC", "AppRegistry", "DatasetRegistry", "WorkerpoolRegistry", "App", "Dataset", "Workerpool".
    std::string_view contract;
    //! The signature with outputs, e.g. "viewScore(address) returns (uint256)".
    std::string_view text;
    AbiSignature signature;  //!< parsed once
};

//! The whole table, in HubFn order (parsed on first use; the texts are constants, so parsing cannot fail).
std::span<const HubFunction> hub_function_table();
//! The parsed signature of one function.
const AbiSignature& hub_signature(HubFn fn);

// ---- ABI conversions (pure) ----------------------------------------------------------------------------------

//! The order tuples of protocol.md §2.3 (field order; `sign` last).
AbiValue to_abi(const AppOrder& order);
AbiValue to_abi(const DatasetOrder& order);
AbiValue to_abi(const WorkerpoolOrder& order);
AbiValue to_abi(const RequestOrder& order);

//! Decoders of view return data (the tuple of §2.3; lenient offsets like ethers, padding checked). Errors are
//! Errc::kDecoding naming the view: "viewTask: status 7 is not a TaskStatusEnum value".
HubResult<Deal> decode_deal(ByteView return_data);
HubResult<Task> decode_task(ByteView return_data);
HubResult<Contribution> decode_contribution(ByteView return_data);
HubResult<Account> decode_account(ByteView return_data);
HubResult<Category> decode_category(ByteView return_data);
HubResult<AppInfo> decode_app_info(ByteView return_data);
HubResult<DatasetInfo> decode_dataset_info(ByteView return_data);
HubResult<WorkerpoolInfo> decode_workerpool_info(ByteView return_data);
//! Decodes the outputs of `fn` (e.g. the bytes32 deal id a simulated matchOrders returns).
HubResult<std::vector<AbiValue>> decode_outputs(HubFn fn, ByteView return_data);

//! Classifies a JSON-RPC failure of `method`: a revert (is_revert, revert.hpp) gets `revert` decoded; the message is
//! "<method>: reverted: <reason>" or "<method>: <rpc message>".
HubError hub_error_from_rpc(std::string_view method, const RpcError& error);

// ---- The client --------------------------------------------------------------------------------------------

//! view_task_with_contributions: a task and the contribution of each of its contributors, read at one block.
struct TaskWithContributions {
    BlockTag block{BlockTag::latest()};  //!< where everything was read (a number when the request said "latest")
    Task task;
    //! One per task.contributors, in that order (viewContribution(task_id, contributors[i])).
    std::vector<HubResult<Contribution>> contributions;
};

class Hub {
  public:
    Hub(EthClient& eth, const Address& hub) : eth_(eth) { addresses_.hub = hub; }
    Hub(EthClient& eth, PocoAddresses addresses) : eth_(eth), addresses_(addresses) {}

    const PocoAddresses& addresses() const { return addresses_; }
    const Address& address() const { return addresses_.hub; }
    EthClient& eth() { return eth_; }
    //! The registry address of `registry` (Errc::kInvalidArgument naming `fn` while it is unknown: zero).
    HubResult<Address> registry_address(HubFn fn, RegistryKind registry) const;
    //! Reads token(), appregistry(), datasetregistry(), workerpoolregistry() from the hub and stores them.
    HubResult<PocoAddresses> resolve_addresses(const BlockTag& block = BlockTag::latest());

    // ---- dry runs ----

    //! eth_call of `call` from `from`: the return data, or a HubError named after call.description whose
    //! `revert` holds the decoded revert ("matchOrders: reverted: iExecV5-matchOrders-0x60").
    HubResult<Bytes> simulate(const ContractCall& call, const std::optional<Address>& from = {},
                              const BlockTag& block = BlockTag::latest());
    //! eth_estimateGas of `call` from `from` (a revert is decoded as in simulate).
    HubResult<std::uint64_t> estimate_gas(const ContractCall& call, const std::optional<Address>& from = {});

    // ---- batched reads ----
    //
    // Many views in JSON-RPC batches: one HTTP exchange per batch of at most max_calls_per_batch() eth_calls
    // (default kMaxCallsPerBatch = 100, rpc.hpp; more calls go out in several batches, one after the other, all at
    // the same `block`: pass a block NUMBER for one consistent state across batches, "latest" may move between
    // two batches). Results are decoded into the same protocol types as the single views and come one per input,
    // in input order, each with its own error: the HubError the single view would return for that item (a revert,
    // a decoding error), or, when a whole exchange failed (transport, HTTP status), that failure for every item of
    // its batch. Calls that cannot be encoded fail alone (Errc::kInvalidArgument) and are not sent.

    //! The batch limit (>= 1, asserted).
    void set_max_calls_per_batch(std::size_t n);
    std::size_t max_calls_per_batch() const { return max_calls_per_batch_; }

    //! eth_call of every call (from nobody) at `block`: the return data or the HubError simulate() would give.
    std::vector<HubResult<Bytes>> simulate_batch(std::span<const ContractCall> calls,
                                                 const BlockTag& block = BlockTag::latest());
    //! viewDeal / viewTask of each id (a page of tasks: the ids of a deal's tasks are task_id(deal, idx)).
    std::vector<HubResult<Deal>> view_deals(std::span<const Bytes32> deal_ids,
                                            const BlockTag& block = BlockTag::latest());
    std::vector<HubResult<Task>> view_tasks(std::span<const Bytes32> task_ids,
                                            const BlockTag& block = BlockTag::latest());
    //! viewContribution(task_id, worker) of each worker.
    std::vector<HubResult<Contribution>> view_contributions(const Bytes32& task_id, std::span<const Address> workers,
                                                            const BlockTag& block = BlockTag::latest());
    //! viewAccount / viewScore of each address (the stakes and scores of N workers).
    std::vector<HubResult<Account>> view_accounts(std::span<const Address> accounts,
                                                  const BlockTag& block = BlockTag::latest());
    std::vector<HubResult<U256>> view_scores(std::span<const Address> workers,
                                             const BlockTag& block = BlockTag::latest());
    //! viewTask, then the contributions of all its contributors in batches, at one block: "latest" is pinned first
    //! (eth_blockNumber), so at most 2 + ceil(contributors / max_calls_per_batch()) round trips. Errors: the
    //! viewTask or eth_blockNumber failure; the contributions carry their own errors.
    HubResult<TaskWithContributions> view_task_with_contributions(const Bytes32& task_id,
                                                                  const BlockTag& block = BlockTag::latest());

    //! The ContractCall of `fn` on `to` with `args` (e.g. a view to put in simulate_batch), named after the
    //! method. Errc::kInvalidArgument when the arguments do not match the signature.
    HubResult<ContractCall> build(HubFn fn, const Address& to, const std::vector<AbiValue>& args) const;

    // ---- hub views (protocol.md §11.3) ----

    HubResult<Deal> view_deal(const Bytes32& deal_id, const BlockTag& block = BlockTag::latest());
    HubResult<Task> view_task(const Bytes32& task_id, const BlockTag& block = BlockTag::latest());
    HubResult<Contribution> view_contribution(const Bytes32& task_id, const Address& worker,
                                              const BlockTag& block = BlockTag::latest());
    HubResult<U256> view_score(const Address& worker, const BlockTag& block = BlockTag::latest());
    //! (stake = free balance, locked = frozen balance) of an SRLC account.
    HubResult<Account> view_account(const Address& account, const BlockTag& block = BlockTag::latest());
    //! Reverts without data when index >= countCategory().
    HubResult<Category> view_category(const U256& index, const BlockTag& block = BlockTag::latest());
    HubResult<U256> count_category(const BlockTag& block = BlockTag::latest());
    //! m_consumed[orderHash]: remaining volume = order.volume − consumed.
    HubResult<U256> view_consumed(const Bytes32& order_hash, const BlockTag& block = BlockTag::latest());
    //! m_presigned[orderHash] (zero when not presigned).
    HubResult<Address> view_presigned(const Bytes32& order_hash, const BlockTag& block = BlockTag::latest());
    HubResult<AppInfo> view_app(const Address& app, const BlockTag& block = BlockTag::latest());
    HubResult<DatasetInfo> view_dataset(const Address& dataset, const BlockTag& block = BlockTag::latest());
    HubResult<WorkerpoolInfo> view_workerpool(const Address& workerpool, const BlockTag& block = BlockTag::latest());
    //! task.resultsCallback; reverts "task-pending" unless the task is COMPLETED.
    HubResult<Bytes> result_for(const Bytes32& task_id, const BlockTag& block = BlockTag::latest());
    //! §3.4: ECDSA / ERC-1271 check; reverts "invalid-signature-format" for an EOA and a length other than 64/65.
    HubResult<bool> verify_signature(const Address& account, const Bytes32& hash, ByteView sign,
                                     const BlockTag& block = BlockTag::latest());
    HubResult<bool> verify_presignature(const Address& account, const Bytes32& hash,
                                        const BlockTag& block = BlockTag::latest());
    HubResult<bool> verify_presignature_or_signature(const Address& account, const Bytes32& hash, ByteView sign,
                                                     const BlockTag& block = BlockTag::latest());
    //! computeDealVolume(A, D, W, R) (§5.3). Pass DatasetOrder{} when there is no dataset.
    HubResult<U256> compute_deal_volume(const AppOrder& app, const DatasetOrder& dataset,
                                        const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                        const BlockTag& block = BlockTag::latest());
    //! domain(): the EIP-712 domain the hub signs with (§3.1).
    HubResult<Domain> domain(const BlockTag& block = BlockTag::latest());
    //! eip712domain_separator(): the stored separator (equals domain().separator() once configured).
    HubResult<Bytes32> domain_separator(const BlockTag& block = BlockTag::latest());

    // SRLC (the hub's own ERC-20-like ledger, §7.1): free balance, frozen balance, supply.
    HubResult<U256> balance_of(const Address& account, const BlockTag& block = BlockTag::latest());
    HubResult<U256> frozen_of(const Address& account, const BlockTag& block = BlockTag::latest());
    HubResult<U256> total_supply(const BlockTag& block = BlockTag::latest());
    HubResult<U256> allowance(const Address& owner, const Address& spender, const BlockTag& block = BlockTag::latest());
    HubResult<std::string> name(const BlockTag& block = BlockTag::latest());
    HubResult<std::string> symbol(const BlockTag& block = BlockTag::latest());
    HubResult<std::uint8_t> decimals(const BlockTag& block = BlockTag::latest());

    // Configuration (§1, §11.3).
    HubResult<Address> token(const BlockTag& block = BlockTag::latest());
    HubResult<Address> teebroker(const BlockTag& block = BlockTag::latest());
    HubResult<U256> callbackgas(const BlockTag& block = BlockTag::latest());
    HubResult<Address> app_registry(const BlockTag& block = BlockTag::latest());
    HubResult<Address> dataset_registry(const BlockTag& block = BlockTag::latest());
    HubResult<Address> workerpool_registry(const BlockTag& block = BlockTag::latest());
    //! The diamond owner (OwnershipFacet owner()).
    HubResult<Address> hub_owner(const BlockTag& block = BlockTag::latest());
    HubResult<U256> contribution_deadline_ratio(const BlockTag& block = BlockTag::latest());
    HubResult<U256> reveal_deadline_ratio(const BlockTag& block = BlockTag::latest());
    HubResult<U256> final_deadline_ratio(const BlockTag& block = BlockTag::latest());
    HubResult<U256> workerpool_stake_ratio(const BlockTag& block = BlockTag::latest());
    HubResult<U256> kitty_ratio(const BlockTag& block = BlockTag::latest());
    HubResult<U256> kitty_min(const BlockTag& block = BlockTag::latest());
    HubResult<Address> kitty_address(const BlockTag& block = BlockTag::latest());
    HubResult<U256> groupmember_purpose(const BlockTag& block = BlockTag::latest());

    // ---- RLC token views (addresses().token) ----

    HubResult<U256> rlc_balance_of(const Address& account, const BlockTag& block = BlockTag::latest());
    HubResult<U256> rlc_allowance(const Address& owner, const Address& spender,
                                  const BlockTag& block = BlockTag::latest());
    HubResult<U256> rlc_total_supply(const BlockTag& block = BlockTag::latest());

    // ---- registries (§8) ----

    HubResult<bool> is_registered(RegistryKind registry, const Address& entry,
                                  const BlockTag& block = BlockTag::latest());
    //! ERC-721 balanceOf: how many entries `owner` holds in that registry.
    HubResult<U256> registry_balance_of(RegistryKind registry, const Address& owner,
                                        const BlockTag& block = BlockTag::latest());
    //! ERC-721 ownerOf(uint160(entry)): the owner of an entry (reverts for an unknown entry).
    HubResult<Address> registry_owner_of(RegistryKind registry, const Address& entry,
                                         const BlockTag& block = BlockTag::latest());
    //! ERC-721 Enumerable tokenOfOwnerByIndex, as the entry address (token id = uint160(entry)).
    HubResult<Address> token_of_owner_by_index(RegistryKind registry, const Address& owner, const U256& index,
                                               const BlockTag& block = BlockTag::latest());
    //! The CREATE2 address createApp / createDataset / createWorkerpool would give these arguments.
    HubResult<Address> predict_app(const AppParams& params, const BlockTag& block = BlockTag::latest());
    HubResult<Address> predict_dataset(const DatasetParams& params, const BlockTag& block = BlockTag::latest());
    HubResult<Address> predict_workerpool(const WorkerpoolParams& params, const BlockTag& block = BlockTag::latest());

    // ---- registry entries (§8.4) ----

    //! RegistryEntry.owner() (= registry.ownerOf(entry)).
    HubResult<Address> entry_owner(const Address& entry, const BlockTag& block = BlockTag::latest());
    //! The App entry's getters (owner(), m_appName(), m_appType(), m_appMultiaddr(), m_appChecksum(),
    //! m_appMREnclave()), as one AppInfo.
    HubResult<AppInfo> app_entry(const Address& app, const BlockTag& block = BlockTag::latest());
    HubResult<DatasetInfo> dataset_entry(const Address& dataset, const BlockTag& block = BlockTag::latest());
    //! owner(), m_workerpoolDescription(), m_workerStakeRatioPolicy(), m_schedulerRewardRatioPolicy().
    HubResult<WorkerpoolInfo> workerpool_entry(const Address& workerpool, const BlockTag& block = BlockTag::latest());

    // ---- transactions: escrow and tokens (§7) ----

    //! RLC.transfer(to, amount).
    HubResult<ContractCall> rlc_transfer(const Address& to, const U256& amount) const;
    //! RLC.approve(spender, amount).
    HubResult<ContractCall> rlc_approve(const Address& spender, const U256& amount) const;
    //! RLC.approveAndCall(spender, amount, extra). With spender = the hub this is the one-transaction deposit
    //! (the hub's receiveApproval deposits `amount` for the sender; 6.1 ignores `extra`).
    HubResult<ContractCall> rlc_approve_and_call(const Address& spender, const U256& amount, ByteView extra = {}) const;
    //! RLC.approveAndCall(hub, amount, "") — deposit in one transaction.
    HubResult<ContractCall> deposit_with_approve_and_call(const U256& amount) const;
    //! hub.deposit(amount): needs a prior RLC.approve(hub, amount).
    HubResult<ContractCall> deposit(const U256& amount) const;
    HubResult<ContractCall> deposit_for(const U256& amount, const Address& target) const;
    HubResult<ContractCall> withdraw(const U256& amount) const;
    HubResult<ContractCall> withdraw_to(const U256& amount, const Address& target) const;

    // ---- transactions: registries and administration ----

    HubResult<ContractCall> create_app(const AppParams& params) const;
    HubResult<ContractCall> create_dataset(const DatasetParams& params) const;
    HubResult<ContractCall> create_workerpool(const WorkerpoolParams& params) const;
    //! Workerpool(entry).changePolicy(workerStakeRatio, schedulerRewardRatio): entry owner only (§8.5).
    HubResult<ContractCall> change_policy(const Address& workerpool, const U256& worker_stake_ratio,
                                          const U256& scheduler_reward_ratio) const;
    //! createCategory(name, description, workClockTimeRef): hub owner only.
    HubResult<ContractCall> create_category(const std::string& name, const std::string& description,
                                            const U256& work_clock_time_ref) const;
    HubResult<ContractCall> set_tee_broker(const Address& broker) const;
    HubResult<ContractCall> set_callback_gas(const U256& gas) const;

    // ---- transactions: orders (§4, §5) ----

    //! matchOrders(A, D, W, R); pass DatasetOrder{} for no dataset. Returns the deal id (see OrdersMatched).
    HubResult<ContractCall> match_orders(const AppOrder& app, const DatasetOrder& dataset,
                                         const WorkerpoolOrder& workerpool, const RequestOrder& request) const;
    //! sponsorMatchOrders: the sender pays.
    HubResult<ContractCall> sponsor_match_orders(const AppOrder& app, const DatasetOrder& dataset,
                                                 const WorkerpoolOrder& workerpool, const RequestOrder& request) const;
    //! manage<X>Order((order, operation, sign)). `sign` = sign_order_operation(...) when relayed by a third
    //! party; "0x" is enough when the sender is the owner (the SDK's cancel).
    HubResult<ContractCall> manage_app_order(const AppOrder& order, OrderOperation operation, ByteView sign) const;
    HubResult<ContractCall> manage_dataset_order(const DatasetOrder& order, OrderOperation operation,
                                                 ByteView sign) const;
    HubResult<ContractCall> manage_workerpool_order(const WorkerpoolOrder& order, OrderOperation operation,
                                                    ByteView sign) const;
    HubResult<ContractCall> manage_request_order(const RequestOrder& order, OrderOperation operation,
                                                 ByteView sign) const;
    //! Dispatches on the order kind.
    HubResult<ContractCall> manage_order(const Order& order, OrderOperation operation, ByteView sign) const;

    // ---- transactions: tasks (§6) ----

    HubResult<ContractCall> initialize(const Bytes32& deal_id, const U256& idx) const;
    //! Equal lengths required (the contract reverts otherwise; checked here: Errc::kInvalidArgument).
    HubResult<ContractCall> initialize_array(std::span<const Bytes32> deal_ids, std::span<const U256> idxs) const;
    HubResult<ContractCall> contribute(const Bytes32& task_id, const Bytes32& result_hash, const Bytes32& result_seal,
                                       const Address& enclave_challenge, ByteView enclave_sign,
                                       ByteView authorization_sign) const;
    HubResult<ContractCall> contribute_and_finalize(const Bytes32& task_id, const Bytes32& result_digest,
                                                    ByteView results, ByteView results_callback,
                                                    const Address& enclave_challenge, ByteView enclave_sign,
                                                    ByteView authorization_sign) const;
    HubResult<ContractCall> reveal(const Bytes32& task_id, const Bytes32& result_digest) const;
    HubResult<ContractCall> reopen(const Bytes32& task_id) const;
    HubResult<ContractCall> finalize(const Bytes32& task_id, ByteView results, ByteView results_callback) const;
    HubResult<ContractCall> claim(const Bytes32& task_id) const;
    HubResult<ContractCall> claim_array(std::span<const Bytes32> task_ids) const;
    HubResult<ContractCall> initialize_and_claim_array(std::span<const Bytes32> deal_ids,
                                                       std::span<const U256> idxs) const;

  private:
    HubResult<std::vector<AbiValue>> call_view(HubFn fn, const Address& to, const std::vector<AbiValue>& args,
                                               const BlockTag& block);
    HubResult<U256> view_uint(HubFn fn, const Address& to, const std::vector<AbiValue>& args, const BlockTag& block);
    HubResult<Address> view_address(HubFn fn, const Address& to, const std::vector<AbiValue>& args,
                                    const BlockTag& block);
    HubResult<bool> view_bool(HubFn fn, const Address& to, const std::vector<AbiValue>& args, const BlockTag& block);
    HubResult<Address> token_address(HubFn fn) const;

    EthClient& eth_;
    PocoAddresses addresses_;
    std::size_t max_calls_per_batch_{kMaxCallsPerBatch};
};

}  // namespace wp::chain
