#include "hub.hpp"

#include <array>
#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include <wp/core/hex.hpp>

namespace wp::chain {

namespace {

// Canonical tuple shapes (protocol.md §2.3).
#define WP_A "(address,uint256,uint256,bytes32,address,address,address,bytes32,bytes)"
#define WP_W "(address,uint256,uint256,bytes32,uint256,uint256,address,address,address,bytes32,bytes)"
#define WP_R                                                                                                    \
    "(address,uint256,address,uint256,address,uint256,address,uint256,bytes32,uint256,uint256,address,address," \
    "string,bytes32,bytes)"
#define WP_RES "(address,address,uint256)"
#define WP_DEAL                      \
    "(" WP_RES "," WP_RES "," WP_RES \
    ",uint256,uint256,bytes32,address,address,address,string,uint256,uint256,uint256,uint256,uint256,address)"
#define WP_TASK                                                                                               \
    "(uint8,bytes32,uint256,uint256,uint256,uint256,uint256,bytes32,uint256,uint256,address[],bytes32,bytes," \
    "uint256,bytes)"

struct TableEntry {
    HubFn fn;
    std::string_view contract;
    std::string_view text;
};

constexpr std::string_view kHubAbi = "IexecInterfaceToken";
constexpr std::string_view kRlcAbi = "RLC";

constexpr std::array kTable = {
    TableEntry{HubFn::kViewDeal, kHubAbi, "viewDeal(bytes32) returns (" WP_DEAL ")"},
    TableEntry{HubFn::kViewTask, kHubAbi, "viewTask(bytes32) returns (" WP_TASK ")"},
    TableEntry{HubFn::kViewContribution, kHubAbi,
               "viewContribution(bytes32,address) returns ((uint8,bytes32,bytes32,address,uint256))"},
    TableEntry{HubFn::kViewScore, kHubAbi, "viewScore(address) returns (uint256)"},
    TableEntry{HubFn::kViewAccount, kHubAbi, "viewAccount(address) returns ((uint256,uint256))"},
    TableEntry{HubFn::kViewCategory, kHubAbi, "viewCategory(uint256) returns ((string,string,uint256))"},
    TableEntry{HubFn::kCountCategory, kHubAbi, "countCategory() returns (uint256)"},
    TableEntry{HubFn::kViewConsumed, kHubAbi, "viewConsumed(bytes32) returns (uint256)"},
    TableEntry{HubFn::kViewPresigned, kHubAbi, "viewPresigned(bytes32) returns (address)"},
    TableEntry{HubFn::kViewApp, kHubAbi, "viewApp(address) returns ((address,string,string,bytes,bytes32,bytes))"},
    TableEntry{HubFn::kViewDataset, kHubAbi, "viewDataset(address) returns ((address,string,bytes,bytes32))"},
    TableEntry{HubFn::kViewWorkerpool, kHubAbi, "viewWorkerpool(address) returns ((address,string,uint256,uint256))"},
    TableEntry{HubFn::kResultFor, kHubAbi, "resultFor(bytes32) returns (bytes)"},
    TableEntry{HubFn::kVerifySignature, kHubAbi, "verifySignature(address,bytes32,bytes) returns (bool)"},
    TableEntry{HubFn::kVerifyPresignature, kHubAbi, "verifyPresignature(address,bytes32) returns (bool)"},
    TableEntry{HubFn::kVerifyPresignatureOrSignature, kHubAbi,
               "verifyPresignatureOrSignature(address,bytes32,bytes) returns (bool)"},
    TableEntry{HubFn::kComputeDealVolume, kHubAbi,
               "computeDealVolume(" WP_A "," WP_A "," WP_W "," WP_R ") returns (uint256)"},
    TableEntry{HubFn::kDomain, kHubAbi, "domain() returns ((string,string,uint256,address))"},
    TableEntry{HubFn::kEip712DomainSeparator, kHubAbi, "eip712domain_separator() returns (bytes32)"},
    TableEntry{HubFn::kBalanceOf, kHubAbi, "balanceOf(address) returns (uint256)"},
    TableEntry{HubFn::kFrozenOf, kHubAbi, "frozenOf(address) returns (uint256)"},
    TableEntry{HubFn::kTotalSupply, kHubAbi, "totalSupply() returns (uint256)"},
    TableEntry{HubFn::kAllowance, kHubAbi, "allowance(address,address) returns (uint256)"},
    TableEntry{HubFn::kName, kHubAbi, "name() returns (string)"},
    TableEntry{HubFn::kSymbol, kHubAbi, "symbol() returns (string)"},
    TableEntry{HubFn::kDecimals, kHubAbi, "decimals() returns (uint8)"},
    TableEntry{HubFn::kToken, kHubAbi, "token() returns (address)"},
    TableEntry{HubFn::kTeeBroker, kHubAbi, "teebroker() returns (address)"},
    TableEntry{HubFn::kCallbackGas, kHubAbi, "callbackgas() returns (uint256)"},
    TableEntry{HubFn::kAppRegistry, kHubAbi, "appregistry() returns (address)"},
    TableEntry{HubFn::kDatasetRegistry, kHubAbi, "datasetregistry() returns (address)"},
    TableEntry{HubFn::kWorkerpoolRegistry, kHubAbi, "workerpoolregistry() returns (address)"},
    TableEntry{HubFn::kOwner, kHubAbi, "owner() returns (address)"},
    TableEntry{HubFn::kContributionDeadlineRatio, kHubAbi, "contribution_deadline_ratio() returns (uint256)"},
    TableEntry{HubFn::kRevealDeadlineRatio, kHubAbi, "reveal_deadline_ratio() returns (uint256)"},
    TableEntry{HubFn::kFinalDeadlineRatio, kHubAbi, "final_deadline_ratio() returns (uint256)"},
    TableEntry{HubFn::kWorkerpoolStakeRatio, kHubAbi, "workerpool_stake_ratio() returns (uint256)"},
    TableEntry{HubFn::kKittyRatio, kHubAbi, "kitty_ratio() returns (uint256)"},
    TableEntry{HubFn::kKittyMin, kHubAbi, "kitty_min() returns (uint256)"},
    TableEntry{HubFn::kKittyAddress, kHubAbi, "kitty_address() returns (address)"},
    TableEntry{HubFn::kGroupMemberPurpose, kHubAbi, "groupmember_purpose() returns (uint256)"},
    TableEntry{HubFn::kDeposit, kHubAbi, "deposit(uint256) returns (bool)"},
    TableEntry{HubFn::kDepositFor, kHubAbi, "depositFor(uint256,address) returns (bool)"},
    TableEntry{HubFn::kWithdraw, kHubAbi, "withdraw(uint256) returns (bool)"},
    TableEntry{HubFn::kWithdrawTo, kHubAbi, "withdrawTo(uint256,address) returns (bool)"},
    TableEntry{HubFn::kCreateCategory, kHubAbi, "createCategory(string,string,uint256) returns (uint256)"},
    TableEntry{HubFn::kSetTeeBroker, kHubAbi, "setTeeBroker(address)"},
    TableEntry{HubFn::kSetCallbackGas, kHubAbi, "setCallbackGas(uint256)"},
    TableEntry{HubFn::kMatchOrders, kHubAbi, "matchOrders(" WP_A "," WP_A "," WP_W "," WP_R ") returns (bytes32)"},
    TableEntry{HubFn::kSponsorMatchOrders, kHubAbi,
               "sponsorMatchOrders(" WP_A "," WP_A "," WP_W "," WP_R ") returns (bytes32)"},
    TableEntry{HubFn::kManageAppOrder, kHubAbi, "manageAppOrder((" WP_A ",uint8,bytes))"},
    TableEntry{HubFn::kManageDatasetOrder, kHubAbi, "manageDatasetOrder((" WP_A ",uint8,bytes))"},
    TableEntry{HubFn::kManageWorkerpoolOrder, kHubAbi, "manageWorkerpoolOrder((" WP_W ",uint8,bytes))"},
    TableEntry{HubFn::kManageRequestOrder, kHubAbi, "manageRequestOrder((" WP_R ",uint8,bytes))"},
    TableEntry{HubFn::kInitialize, kHubAbi, "initialize(bytes32,uint256) returns (bytes32)"},
    TableEntry{HubFn::kInitializeArray, kHubAbi, "initializeArray(bytes32[],uint256[]) returns (bool)"},
    TableEntry{HubFn::kContribute, kHubAbi, "contribute(bytes32,bytes32,bytes32,address,bytes,bytes)"},
    TableEntry{HubFn::kContributeAndFinalize, kHubAbi,
               "contributeAndFinalize(bytes32,bytes32,bytes,bytes,address,bytes,bytes)"},
    TableEntry{HubFn::kReveal, kHubAbi, "reveal(bytes32,bytes32)"},
    TableEntry{HubFn::kReopen, kHubAbi, "reopen(bytes32)"},
    TableEntry{HubFn::kFinalize, kHubAbi, "finalize(bytes32,bytes,bytes)"},
    TableEntry{HubFn::kClaim, kHubAbi, "claim(bytes32)"},
    TableEntry{HubFn::kClaimArray, kHubAbi, "claimArray(bytes32[]) returns (bool)"},
    TableEntry{HubFn::kInitializeAndClaimArray, kHubAbi, "initializeAndClaimArray(bytes32[],uint256[]) returns (bool)"},
    TableEntry{HubFn::kRlcBalanceOf, kRlcAbi, "balanceOf(address) returns (uint256)"},
    TableEntry{HubFn::kRlcAllowance, kRlcAbi, "allowance(address,address) returns (uint256)"},
    TableEntry{HubFn::kRlcTotalSupply, kRlcAbi, "totalSupply() returns (uint256)"},
    TableEntry{HubFn::kRlcTransfer, kRlcAbi, "transfer(address,uint256) returns (bool)"},
    TableEntry{HubFn::kRlcApprove, kRlcAbi, "approve(address,uint256) returns (bool)"},
    TableEntry{HubFn::kRlcApproveAndCall, kRlcAbi, "approveAndCall(address,uint256,bytes)"},
    TableEntry{HubFn::kRegistryIsRegistered, "AppRegistry", "isRegistered(address) returns (bool)"},
    TableEntry{HubFn::kRegistryBalanceOf, "AppRegistry", "balanceOf(address) returns (uint256)"},
    TableEntry{HubFn::kRegistryOwnerOf, "AppRegistry", "ownerOf(uint256) returns (address)"},
    TableEntry{HubFn::kRegistryTokenOfOwnerByIndex, "AppRegistry",
               "tokenOfOwnerByIndex(address,uint256) returns (uint256)"},
    TableEntry{HubFn::kCreateApp, "AppRegistry",
               "createApp(address,string,string,bytes,bytes32,bytes) returns (address)"},
    TableEntry{HubFn::kPredictApp, "AppRegistry",
               "predictApp(address,string,string,bytes,bytes32,bytes) returns (address)"},
    TableEntry{HubFn::kCreateDataset, "DatasetRegistry",
               "createDataset(address,string,bytes,bytes32) returns (address)"},
    TableEntry{HubFn::kPredictDataset, "DatasetRegistry",
               "predictDataset(address,string,bytes,bytes32) returns (address)"},
    TableEntry{HubFn::kCreateWorkerpool, "WorkerpoolRegistry", "createWorkerpool(address,string) returns (address)"},
    TableEntry{HubFn::kPredictWorkerpool, "WorkerpoolRegistry", "predictWorkerpool(address,string) returns (address)"},
    TableEntry{HubFn::kEntryOwner, "App", "owner() returns (address)"},
    TableEntry{HubFn::kAppName, "App", "m_appName() returns (string)"},
    TableEntry{HubFn::kAppType, "App", "m_appType() returns (string)"},
    TableEntry{HubFn::kAppMultiaddr, "App", "m_appMultiaddr() returns (bytes)"},
    TableEntry{HubFn::kAppChecksum, "App", "m_appChecksum() returns (bytes32)"},
    TableEntry{HubFn::kAppMREnclave, "App", "m_appMREnclave() returns (bytes)"},
    TableEntry{HubFn::kDatasetName, "Dataset", "m_datasetName() returns (string)"},
    TableEntry{HubFn::kDatasetMultiaddr, "Dataset", "m_datasetMultiaddr() returns (bytes)"},
    TableEntry{HubFn::kDatasetChecksum, "Dataset", "m_datasetChecksum() returns (bytes32)"},
    TableEntry{HubFn::kWorkerpoolDescription, "Workerpool", "m_workerpoolDescription() returns (string)"},
    TableEntry{HubFn::kWorkerStakeRatioPolicy, "Workerpool", "m_workerStakeRatioPolicy() returns (uint256)"},
    TableEntry{HubFn::kSchedulerRewardRatioPolicy, "Workerpool", "m_schedulerRewardRatioPolicy() returns (uint256)"},
    TableEntry{HubFn::kChangePolicy, "Workerpool", "changePolicy(uint256,uint256)"},
};

#undef WP_A
#undef WP_W
#undef WP_R
#undef WP_RES
#undef WP_DEAL
#undef WP_TASK

static_assert(kTable.size() == static_cast<std::size_t>(HubFn::kCount_), "one table entry per HubFn");

constexpr bool table_in_enum_order() {
    for (std::size_t i = 0; i < kTable.size(); ++i) {
        if (static_cast<std::size_t>(kTable[i].fn) != i) return false;
    }
    return true;
}
static_assert(table_in_enum_order(), "kTable must list the HubFn values in order");

const std::vector<HubFunction>& table() {
    static const std::vector<HubFunction> kParsed = [] {
        std::vector<HubFunction> out;
        out.reserve(kTable.size());
        for (const auto& e : kTable) {
            auto parsed = parse_abi_signature(e.text);
            assert(parsed && "hub ABI table entries are constants");
            out.push_back(HubFunction{e.fn, e.contract, e.text, parsed ? std::move(*parsed) : AbiSignature{}});
        }
        return out;
    }();
    return kParsed;
}

const std::string& method_name(HubFn fn) { return hub_signature(fn).name; }

HubError make_hub_error(Errc kind, std::string_view method, std::string_view detail) {
    HubError e;
    e.kind = kind;
    e.message = std::string(method) + ": " + std::string(detail);
    return e;
}

HubError decoding_error(std::string_view method, std::string_view detail) {
    return make_hub_error(Errc::kDecoding, method, detail);
}

// ---- AbiValue accessors (abi_decode guarantees the alternative per type; defaults are never reached) ----

const U256& as_u(const AbiValue& v) {
    static const U256 kZero;
    const auto* p = v.as_uint();
    return p != nullptr ? *p : kZero;
}
Address as_addr(const AbiValue& v) {
    const auto* p = v.as_address();
    return p != nullptr ? *p : Address{};
}
Bytes32 as_b32(const AbiValue& v) {
    const auto* p = v.as_fixed_bytes();
    if (p == nullptr || p->bytes.size() != 32) return Bytes32{};
    Bytes32 out;
    std::copy(p->bytes.begin(), p->bytes.end(), out.data());
    return out;
}
std::string as_str(const AbiValue& v) {
    const auto* p = v.as_string();
    return p != nullptr ? *p : std::string{};
}
Bytes as_bytes_value(const AbiValue& v) {
    const auto* p = v.as_bytes();
    return p != nullptr ? *p : Bytes{};
}
bool as_bool(const AbiValue& v) {
    const auto* p = v.as_bool();
    return p != nullptr && *p;
}
const AbiValue::List& as_list(const AbiValue& v) {
    static const AbiValue::List kEmpty;
    const auto* p = v.as_list();
    return p != nullptr ? *p : kEmpty;
}

AbiValue u(const U256& v) { return AbiValue::uint_(v); }
AbiValue a(const Address& v) { return AbiValue::address(v); }
AbiValue b32(const Bytes32& v) { return AbiValue::fixed_bytes(v.view()); }
AbiValue bytes(ByteView v) { return AbiValue::bytes(Bytes(v.begin(), v.end())); }
AbiValue str(const std::string& v) { return AbiValue::string(v); }

//! The single tuple output of a struct-returning view, checked for its arity.
HubResult<AbiValue::List> single_tuple(HubFn fn, ByteView data, std::size_t arity) {
    auto values = decode_outputs(fn, data);
    if (!values) return tl::unexpected(std::move(values).error());
    if (values->size() != 1 || as_list((*values)[0]).size() != arity)
        return tl::unexpected(decoding_error(method_name(fn), "unexpected result shape"));
    const auto* list = (*values)[0].as_list();
    return *list;
}

Resource resource(const AbiValue& v) {
    const auto& l = as_list(v);
    if (l.size() != 3) return Resource{};
    return Resource{as_addr(l[0]), as_addr(l[1]), as_u(l[2])};
}

HubResult<std::uint8_t> small_enum(HubFn fn, const U256& v, unsigned max, std::string_view what) {
    if (v > U256(max)) {
        return tl::unexpected(
            decoding_error(method_name(fn), "status " + v.to_dec() + " is not a " + std::string(what) + " value"));
    }
    return static_cast<std::uint8_t>(v.low_u64());
}

std::vector<AbiValue> bytes32_list(std::span<const Bytes32> items) {
    std::vector<AbiValue> out;
    out.reserve(items.size());
    for (const auto& i : items) out.push_back(b32(i));
    return out;
}

std::vector<AbiValue> uint_list(std::span<const U256> items) {
    std::vector<AbiValue> out;
    out.reserve(items.size());
    for (const auto& i : items) out.push_back(u(i));
    return out;
}

}  // namespace

// ---- Errors ---------------------------------------------------------------------------------------------------

std::string_view HubError::revert_reason() const {
    if (!revert || revert->kind != DecodedRevert::Kind::kErrorString) return {};
    return revert->reason;
}

HubError hub_error_from_rpc(std::string_view method, const RpcError& error) {
    HubError out;
    out.kind = error.kind;
    if (auto revert = revert_of(error)) {
        out.revert = std::move(revert);
        out.message = std::string(method) + ": " + out.revert->to_string();
        return out;
    }
    out.message = std::string(method) + ": " + error.message;
    return out;
}

// ---- Table ----------------------------------------------------------------------------------------------------

std::span<const HubFunction> hub_function_table() { return table(); }

const AbiSignature& hub_signature(HubFn fn) { return table()[static_cast<std::size_t>(fn)].signature; }

// ---- ABI conversions --------------------------------------------------------------------------------------------

AbiValue to_abi(const AppOrder& o) {
    return AbiValue::list({a(o.app), u(o.appprice), u(o.volume), b32(o.tag), a(o.datasetrestrict),
                           a(o.workerpoolrestrict), a(o.requesterrestrict), b32(o.salt), bytes(o.sign)});
}

AbiValue to_abi(const DatasetOrder& o) {
    return AbiValue::list({a(o.dataset), u(o.datasetprice), u(o.volume), b32(o.tag), a(o.apprestrict),
                           a(o.workerpoolrestrict), a(o.requesterrestrict), b32(o.salt), bytes(o.sign)});
}

AbiValue to_abi(const WorkerpoolOrder& o) {
    return AbiValue::list({a(o.workerpool), u(o.workerpoolprice), u(o.volume), b32(o.tag), u(o.category), u(o.trust),
                           a(o.apprestrict), a(o.datasetrestrict), a(o.requesterrestrict), b32(o.salt), bytes(o.sign)});
}

AbiValue to_abi(const RequestOrder& o) {
    return AbiValue::list({a(o.app), u(o.appmaxprice), a(o.dataset), u(o.datasetmaxprice), a(o.workerpool),
                           u(o.workerpoolmaxprice), a(o.requester), u(o.volume), b32(o.tag), u(o.category), u(o.trust),
                           a(o.beneficiary), a(o.callback), str(o.params), b32(o.salt), bytes(o.sign)});
}

HubResult<std::vector<AbiValue>> decode_outputs(HubFn fn, ByteView return_data) {
    const auto& sig = hub_signature(fn);
    AbiDecodeOptions options;
    options.strictness = AbiStrictness::kLenient;
    auto values = abi_decode(sig.outputs, return_data, options);
    if (!values) return tl::unexpected(decoding_error(sig.name, values.error().message));
    return std::move(*values);
}

HubResult<Deal> decode_deal(ByteView data) {
    auto t = single_tuple(HubFn::kViewDeal, data, 16);
    if (!t) return tl::unexpected(std::move(t).error());
    const auto& l = *t;
    Deal d;
    d.app = resource(l[0]);
    d.dataset = resource(l[1]);
    d.workerpool = resource(l[2]);
    d.trust = as_u(l[3]);
    d.category = as_u(l[4]);
    d.tag = as_b32(l[5]);
    d.requester = as_addr(l[6]);
    d.beneficiary = as_addr(l[7]);
    d.callback = as_addr(l[8]);
    d.params = as_str(l[9]);
    d.start_time = as_u(l[10]);
    d.bot_first = as_u(l[11]);
    d.bot_size = as_u(l[12]);
    d.worker_stake = as_u(l[13]);
    d.scheduler_reward_ratio = as_u(l[14]);
    d.sponsor = as_addr(l[15]);
    return d;
}

HubResult<Task> decode_task(ByteView data) {
    auto t = single_tuple(HubFn::kViewTask, data, 15);
    if (!t) return tl::unexpected(std::move(t).error());
    const auto& l = *t;
    auto status = small_enum(HubFn::kViewTask, as_u(l[0]), 4, "TaskStatusEnum");
    if (!status) return tl::unexpected(std::move(status).error());
    Task task;
    task.status = static_cast<TaskStatus>(*status);
    task.deal_id = as_b32(l[1]);
    task.idx = as_u(l[2]);
    task.timeref = as_u(l[3]);
    task.contribution_deadline = as_u(l[4]);
    task.reveal_deadline = as_u(l[5]);
    task.final_deadline = as_u(l[6]);
    task.consensus_value = as_b32(l[7]);
    task.reveal_counter = as_u(l[8]);
    task.winner_counter = as_u(l[9]);
    for (const auto& c : as_list(l[10])) task.contributors.push_back(as_addr(c));
    task.result_digest = as_b32(l[11]);
    task.results = as_bytes_value(l[12]);
    task.results_timestamp = as_u(l[13]);
    task.results_callback = as_bytes_value(l[14]);
    return task;
}

HubResult<Contribution> decode_contribution(ByteView data) {
    auto t = single_tuple(HubFn::kViewContribution, data, 5);
    if (!t) return tl::unexpected(std::move(t).error());
    const auto& l = *t;
    auto status = small_enum(HubFn::kViewContribution, as_u(l[0]), 3, "ContributionStatusEnum");
    if (!status) return tl::unexpected(std::move(status).error());
    return Contribution{static_cast<ContributionStatus>(*status), as_b32(l[1]), as_b32(l[2]), as_addr(l[3]),
                        as_u(l[4])};
}

HubResult<Account> decode_account(ByteView data) {
    auto t = single_tuple(HubFn::kViewAccount, data, 2);
    if (!t) return tl::unexpected(std::move(t).error());
    return Account{as_u((*t)[0]), as_u((*t)[1])};
}

HubResult<Category> decode_category(ByteView data) {
    auto t = single_tuple(HubFn::kViewCategory, data, 3);
    if (!t) return tl::unexpected(std::move(t).error());
    const auto& l = *t;
    return Category{as_str(l[0]), as_str(l[1]), as_u(l[2])};
}

HubResult<AppInfo> decode_app_info(ByteView data) {
    auto t = single_tuple(HubFn::kViewApp, data, 6);
    if (!t) return tl::unexpected(std::move(t).error());
    const auto& l = *t;
    return AppInfo{as_addr(l[0]), as_str(l[1]), as_str(l[2]), as_bytes_value(l[3]), as_b32(l[4]), as_bytes_value(l[5])};
}

HubResult<DatasetInfo> decode_dataset_info(ByteView data) {
    auto t = single_tuple(HubFn::kViewDataset, data, 4);
    if (!t) return tl::unexpected(std::move(t).error());
    const auto& l = *t;
    return DatasetInfo{as_addr(l[0]), as_str(l[1]), as_bytes_value(l[2]), as_b32(l[3])};
}

HubResult<WorkerpoolInfo> decode_workerpool_info(ByteView data) {
    auto t = single_tuple(HubFn::kViewWorkerpool, data, 4);
    if (!t) return tl::unexpected(std::move(t).error());
    const auto& l = *t;
    return WorkerpoolInfo{as_addr(l[0]), as_str(l[1]), as_u(l[2]), as_u(l[3])};
}

// ---- Hub: plumbing ---------------------------------------------------------------------------------------------

HubResult<ContractCall> Hub::build(HubFn fn, const Address& to, const std::vector<AbiValue>& args) const {
    const auto& sig = hub_signature(fn);
    auto data = abi_encode_call(sig, args);
    if (!data) return tl::unexpected(make_hub_error(Errc::kInvalidArgument, sig.name, data.error().message));
    return ContractCall{to, std::move(*data), U256{}, sig.name};
}

HubResult<std::vector<AbiValue>> Hub::call_view(HubFn fn, const Address& to, const std::vector<AbiValue>& args,
                                                const BlockTag& block) {
    auto call = build(fn, to, args);
    if (!call) return tl::unexpected(std::move(call).error());
    auto out = simulate(*call, std::nullopt, block);
    if (!out) return tl::unexpected(std::move(out).error());
    return decode_outputs(fn, *out);
}

HubResult<U256> Hub::view_uint(HubFn fn, const Address& to, const std::vector<AbiValue>& args, const BlockTag& block) {
    auto v = call_view(fn, to, args, block);
    if (!v) return tl::unexpected(std::move(v).error());
    return as_u(v->at(0));
}

HubResult<Address> Hub::view_address(HubFn fn, const Address& to, const std::vector<AbiValue>& args,
                                     const BlockTag& block) {
    auto v = call_view(fn, to, args, block);
    if (!v) return tl::unexpected(std::move(v).error());
    return as_addr(v->at(0));
}

HubResult<bool> Hub::view_bool(HubFn fn, const Address& to, const std::vector<AbiValue>& args, const BlockTag& block) {
    auto v = call_view(fn, to, args, block);
    if (!v) return tl::unexpected(std::move(v).error());
    return as_bool(v->at(0));
}

HubResult<Address> Hub::registry_address(HubFn fn, RegistryKind registry) const {
    const Address* addr = nullptr;
    std::string_view which;
    switch (registry) {
        case RegistryKind::kApp:
            addr = &addresses_.app_registry;
            which = "app";
            break;
        case RegistryKind::kDataset:
            addr = &addresses_.dataset_registry;
            which = "dataset";
            break;
        case RegistryKind::kWorkerpool:
            addr = &addresses_.workerpool_registry;
            which = "workerpool";
            break;
    }
    if (addr == nullptr || addr->is_zero()) {
        return tl::unexpected(make_hub_error(Errc::kInvalidArgument, method_name(fn),
                                             "the " + std::string(which) +
                                                 " registry address is unknown (give it in PocoAddresses or call "
                                                 "resolve_addresses())"));
    }
    return *addr;
}

HubResult<Address> Hub::token_address(HubFn fn) const {
    if (addresses_.token.is_zero()) {
        return tl::unexpected(
            make_hub_error(Errc::kInvalidArgument, method_name(fn),
                           "the RLC token address is unknown (give it in PocoAddresses or call resolve_addresses())"));
    }
    return addresses_.token;
}

HubResult<PocoAddresses> Hub::resolve_addresses(const BlockTag& block) {
    auto token_addr = token(block);
    if (!token_addr) return tl::unexpected(std::move(token_addr).error());
    auto apps = app_registry(block);
    if (!apps) return tl::unexpected(std::move(apps).error());
    auto datasets = dataset_registry(block);
    if (!datasets) return tl::unexpected(std::move(datasets).error());
    auto pools = workerpool_registry(block);
    if (!pools) return tl::unexpected(std::move(pools).error());
    addresses_.token = *token_addr;
    addresses_.app_registry = *apps;
    addresses_.dataset_registry = *datasets;
    addresses_.workerpool_registry = *pools;
    return addresses_;
}

HubResult<Bytes> Hub::simulate(const ContractCall& call, const std::optional<Address>& from, const BlockTag& block) {
    CallRequest request;
    request.from = from;
    request.to = call.to;
    request.data = call.data;
    if (!call.value.is_zero()) request.value = call.value;
    auto out = eth_.call(request, block);
    if (!out) return tl::unexpected(hub_error_from_rpc(call.description, out.error()));
    return std::move(*out);
}

HubResult<std::uint64_t> Hub::estimate_gas(const ContractCall& call, const std::optional<Address>& from) {
    CallRequest request;
    request.from = from;
    request.to = call.to;
    request.data = call.data;
    if (!call.value.is_zero()) request.value = call.value;
    auto gas = eth_.estimate_gas(request);
    if (!gas) return tl::unexpected(hub_error_from_rpc(call.description, gas.error()));
    return *gas;
}

// ---- Hub: views ----------------------------------------------------------------------------------------------

namespace {

template <class T, class Decode>
HubResult<T> struct_view(Hub& hub, HubFn fn, const Address& to, const std::vector<AbiValue>& args,
                         const BlockTag& block, Decode decode) {
    const auto& sig = hub_signature(fn);
    auto data = abi_encode_call(sig, args);
    if (!data) return tl::unexpected(make_hub_error(Errc::kInvalidArgument, sig.name, data.error().message));
    auto out = hub.simulate(ContractCall{to, std::move(*data), U256{}, sig.name}, std::nullopt, block);
    if (!out) return tl::unexpected(std::move(out).error());
    return decode(ByteView(*out));
}

// The batched form of struct_view: one result per argument list, in order.
template <class T, class Decode>
std::vector<HubResult<T>> batched_view(Hub& hub, HubFn fn, const Address& to,
                                       const std::vector<std::vector<AbiValue>>& args, const BlockTag& block,
                                       Decode decode) {
    const auto& sig = hub_signature(fn);
    std::vector<std::optional<HubResult<T>>> slots(args.size());
    std::vector<ContractCall> calls;
    std::vector<std::size_t> index;
    calls.reserve(args.size());
    for (std::size_t i = 0; i < args.size(); ++i) {
        auto data = abi_encode_call(sig, args[i]);
        if (!data) {
            slots[i] = tl::unexpected(make_hub_error(Errc::kInvalidArgument, sig.name, data.error().message));
            continue;
        }
        calls.push_back(ContractCall{to, std::move(*data), U256{}, sig.name});
        index.push_back(i);
    }
    auto raw = hub.simulate_batch(calls, block);
    for (std::size_t k = 0; k < raw.size(); ++k) {
        if (raw[k]) slots[index[k]] = decode(ByteView(*raw[k]));
        else slots[index[k]] = tl::unexpected(std::move(raw[k]).error());
    }
    std::vector<HubResult<T>> out;
    out.reserve(slots.size());
    for (auto& slot : slots) out.push_back(std::move(*slot));
    return out;
}

HubResult<U256> decode_uint_output(HubFn fn, ByteView data) {
    auto v = decode_outputs(fn, data);
    if (!v) return tl::unexpected(std::move(v).error());
    return as_u(v->at(0));
}

}  // namespace

void Hub::set_max_calls_per_batch(std::size_t n) {
    assert(n >= 1);
    max_calls_per_batch_ = n;
}

std::vector<HubResult<Bytes>> Hub::simulate_batch(std::span<const ContractCall> calls, const BlockTag& block) {
    std::vector<CallRequest> requests;
    requests.reserve(calls.size());
    for (const auto& call : calls) {
        CallRequest request;
        request.to = call.to;
        request.data = call.data;
        if (!call.value.is_zero()) request.value = call.value;
        requests.push_back(std::move(request));
    }
    auto answers = eth_.call_batch(requests, block, max_calls_per_batch_);
    std::vector<HubResult<Bytes>> out;
    out.reserve(answers.size());
    for (std::size_t i = 0; i < answers.size(); ++i) {
        if (answers[i]) out.emplace_back(std::move(*answers[i]));
        else out.emplace_back(tl::unexpect, hub_error_from_rpc(calls[i].description, answers[i].error()));
    }
    return out;
}

std::vector<HubResult<Deal>> Hub::view_deals(std::span<const Bytes32> deal_ids, const BlockTag& block) {
    std::vector<std::vector<AbiValue>> args;
    for (const auto& id : deal_ids) args.push_back({b32(id)});
    return batched_view<Deal>(*this, HubFn::kViewDeal, addresses_.hub, args, block, decode_deal);
}

std::vector<HubResult<Task>> Hub::view_tasks(std::span<const Bytes32> task_ids, const BlockTag& block) {
    std::vector<std::vector<AbiValue>> args;
    for (const auto& id : task_ids) args.push_back({b32(id)});
    return batched_view<Task>(*this, HubFn::kViewTask, addresses_.hub, args, block, decode_task);
}

std::vector<HubResult<Contribution>> Hub::view_contributions(const Bytes32& task_id, std::span<const Address> workers,
                                                             const BlockTag& block) {
    std::vector<std::vector<AbiValue>> args;
    for (const auto& w : workers) args.push_back({b32(task_id), a(w)});
    return batched_view<Contribution>(*this, HubFn::kViewContribution, addresses_.hub, args, block,
                                      decode_contribution);
}

std::vector<HubResult<Account>> Hub::view_accounts(std::span<const Address> accounts, const BlockTag& block) {
    std::vector<std::vector<AbiValue>> args;
    for (const auto& x : accounts) args.push_back({a(x)});
    return batched_view<Account>(*this, HubFn::kViewAccount, addresses_.hub, args, block, decode_account);
}

std::vector<HubResult<U256>> Hub::view_scores(std::span<const Address> workers, const BlockTag& block) {
    std::vector<std::vector<AbiValue>> args;
    for (const auto& w : workers) args.push_back({a(w)});
    return batched_view<U256>(*this, HubFn::kViewScore, addresses_.hub, args, block,
                              [](ByteView data) { return decode_uint_output(HubFn::kViewScore, data); });
}

HubResult<TaskWithContributions> Hub::view_task_with_contributions(const Bytes32& task_id, const BlockTag& block) {
    TaskWithContributions out;
    out.block = block;
    if (block == BlockTag::latest()) {
        auto number = eth_.block_number();
        if (!number) return tl::unexpected(hub_error_from_rpc("eth_blockNumber", number.error()));
        out.block = BlockTag::number(*number);
    }
    auto task = view_task(task_id, out.block);
    if (!task) return tl::unexpected(std::move(task).error());
    out.task = std::move(*task);
    out.contributions = view_contributions(task_id, out.task.contributors, out.block);
    return out;
}

HubResult<Deal> Hub::view_deal(const Bytes32& deal_id, const BlockTag& block) {
    return struct_view<Deal>(*this, HubFn::kViewDeal, addresses_.hub, {b32(deal_id)}, block, decode_deal);
}

HubResult<Task> Hub::view_task(const Bytes32& task_id, const BlockTag& block) {
    return struct_view<Task>(*this, HubFn::kViewTask, addresses_.hub, {b32(task_id)}, block, decode_task);
}

HubResult<Contribution> Hub::view_contribution(const Bytes32& task_id, const Address& worker, const BlockTag& block) {
    return struct_view<Contribution>(*this, HubFn::kViewContribution, addresses_.hub, {b32(task_id), a(worker)}, block,
                                     decode_contribution);
}

HubResult<U256> Hub::view_score(const Address& worker, const BlockTag& block) {
    return view_uint(HubFn::kViewScore, addresses_.hub, {a(worker)}, block);
}

HubResult<Account> Hub::view_account(const Address& account, const BlockTag& block) {
    return struct_view<Account>(*this, HubFn::kViewAccount, addresses_.hub, {a(account)}, block, decode_account);
}

HubResult<Category> Hub::view_category(const U256& index, const BlockTag& block) {
    return struct_view<Category>(*this, HubFn::kViewCategory, addresses_.hub, {u(index)}, block, decode_category);
}

HubResult<U256> Hub::count_category(const BlockTag& block) {
    return view_uint(HubFn::kCountCategory, addresses_.hub, {}, block);
}

HubResult<U256> Hub::view_consumed(const Bytes32& order_hash, const BlockTag& block) {
    return view_uint(HubFn::kViewConsumed, addresses_.hub, {b32(order_hash)}, block);
}

HubResult<Address> Hub::view_presigned(const Bytes32& order_hash, const BlockTag& block) {
    return view_address(HubFn::kViewPresigned, addresses_.hub, {b32(order_hash)}, block);
}

HubResult<AppInfo> Hub::view_app(const Address& app, const BlockTag& block) {
    return struct_view<AppInfo>(*this, HubFn::kViewApp, addresses_.hub, {a(app)}, block, decode_app_info);
}

HubResult<DatasetInfo> Hub::view_dataset(const Address& dataset, const BlockTag& block) {
    return struct_view<DatasetInfo>(*this, HubFn::kViewDataset, addresses_.hub, {a(dataset)}, block,
                                    decode_dataset_info);
}

HubResult<WorkerpoolInfo> Hub::view_workerpool(const Address& workerpool, const BlockTag& block) {
    return struct_view<WorkerpoolInfo>(*this, HubFn::kViewWorkerpool, addresses_.hub, {a(workerpool)}, block,
                                       decode_workerpool_info);
}

HubResult<Bytes> Hub::result_for(const Bytes32& task_id, const BlockTag& block) {
    auto v = call_view(HubFn::kResultFor, addresses_.hub, {b32(task_id)}, block);
    if (!v) return tl::unexpected(std::move(v).error());
    return as_bytes_value(v->at(0));
}

HubResult<bool> Hub::verify_signature(const Address& account, const Bytes32& hash, ByteView sign,
                                      const BlockTag& block) {
    return view_bool(HubFn::kVerifySignature, addresses_.hub, {a(account), b32(hash), bytes(sign)}, block);
}

HubResult<bool> Hub::verify_presignature(const Address& account, const Bytes32& hash, const BlockTag& block) {
    return view_bool(HubFn::kVerifyPresignature, addresses_.hub, {a(account), b32(hash)}, block);
}

HubResult<bool> Hub::verify_presignature_or_signature(const Address& account, const Bytes32& hash, ByteView sign,
                                                      const BlockTag& block) {
    return view_bool(HubFn::kVerifyPresignatureOrSignature, addresses_.hub, {a(account), b32(hash), bytes(sign)},
                     block);
}

HubResult<U256> Hub::compute_deal_volume(const AppOrder& app, const DatasetOrder& dataset,
                                         const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                         const BlockTag& block) {
    return view_uint(HubFn::kComputeDealVolume, addresses_.hub,
                     {to_abi(app), to_abi(dataset), to_abi(workerpool), to_abi(request)}, block);
}

HubResult<Domain> Hub::domain(const BlockTag& block) {
    auto v = call_view(HubFn::kDomain, addresses_.hub, {}, block);
    if (!v) return tl::unexpected(std::move(v).error());
    const auto& l = as_list(v->at(0));
    if (l.size() != 4) return tl::unexpected(decoding_error("domain", "unexpected result shape"));
    Domain d;
    d.name = as_str(l[0]);
    d.version = as_str(l[1]);
    d.chain_id = as_u(l[2]);
    d.verifying_contract = as_addr(l[3]);
    return d;
}

HubResult<Bytes32> Hub::domain_separator(const BlockTag& block) {
    auto v = call_view(HubFn::kEip712DomainSeparator, addresses_.hub, {}, block);
    if (!v) return tl::unexpected(std::move(v).error());
    return as_b32(v->at(0));
}

HubResult<U256> Hub::balance_of(const Address& account, const BlockTag& block) {
    return view_uint(HubFn::kBalanceOf, addresses_.hub, {a(account)}, block);
}

HubResult<U256> Hub::frozen_of(const Address& account, const BlockTag& block) {
    return view_uint(HubFn::kFrozenOf, addresses_.hub, {a(account)}, block);
}

HubResult<U256> Hub::total_supply(const BlockTag& block) {
    return view_uint(HubFn::kTotalSupply, addresses_.hub, {}, block);
}

HubResult<U256> Hub::allowance(const Address& owner, const Address& spender, const BlockTag& block) {
    return view_uint(HubFn::kAllowance, addresses_.hub, {a(owner), a(spender)}, block);
}

HubResult<std::string> Hub::name(const BlockTag& block) {
    auto v = call_view(HubFn::kName, addresses_.hub, {}, block);
    if (!v) return tl::unexpected(std::move(v).error());
    return as_str(v->at(0));
}

HubResult<std::string> Hub::symbol(const BlockTag& block) {
    auto v = call_view(HubFn::kSymbol, addresses_.hub, {}, block);
    if (!v) return tl::unexpected(std::move(v).error());
    return as_str(v->at(0));
}

HubResult<std::uint8_t> Hub::decimals(const BlockTag& block) {
    auto v = view_uint(HubFn::kDecimals, addresses_.hub, {}, block);
    if (!v) return tl::unexpected(std::move(v).error());
    return static_cast<std::uint8_t>(v->low_u64());  // uint8 range checked by the decoder
}

HubResult<Address> Hub::token(const BlockTag& block) { return view_address(HubFn::kToken, addresses_.hub, {}, block); }
HubResult<Address> Hub::teebroker(const BlockTag& block) {
    return view_address(HubFn::kTeeBroker, addresses_.hub, {}, block);
}
HubResult<U256> Hub::callbackgas(const BlockTag& block) {
    return view_uint(HubFn::kCallbackGas, addresses_.hub, {}, block);
}
HubResult<Address> Hub::app_registry(const BlockTag& block) {
    return view_address(HubFn::kAppRegistry, addresses_.hub, {}, block);
}
HubResult<Address> Hub::dataset_registry(const BlockTag& block) {
    return view_address(HubFn::kDatasetRegistry, addresses_.hub, {}, block);
}
HubResult<Address> Hub::workerpool_registry(const BlockTag& block) {
    return view_address(HubFn::kWorkerpoolRegistry, addresses_.hub, {}, block);
}
HubResult<Address> Hub::hub_owner(const BlockTag& block) {
    return view_address(HubFn::kOwner, addresses_.hub, {}, block);
}
HubResult<U256> Hub::contribution_deadline_ratio(const BlockTag& block) {
    return view_uint(HubFn::kContributionDeadlineRatio, addresses_.hub, {}, block);
}
HubResult<U256> Hub::reveal_deadline_ratio(const BlockTag& block) {
    return view_uint(HubFn::kRevealDeadlineRatio, addresses_.hub, {}, block);
}
HubResult<U256> Hub::final_deadline_ratio(const BlockTag& block) {
    return view_uint(HubFn::kFinalDeadlineRatio, addresses_.hub, {}, block);
}
HubResult<U256> Hub::workerpool_stake_ratio(const BlockTag& block) {
    return view_uint(HubFn::kWorkerpoolStakeRatio, addresses_.hub, {}, block);
}
HubResult<U256> Hub::kitty_ratio(const BlockTag& block) {
    return view_uint(HubFn::kKittyRatio, addresses_.hub, {}, block);
}
HubResult<U256> Hub::kitty_min(const BlockTag& block) { return view_uint(HubFn::kKittyMin, addresses_.hub, {}, block); }
HubResult<Address> Hub::kitty_address(const BlockTag& block) {
    return view_address(HubFn::kKittyAddress, addresses_.hub, {}, block);
}
HubResult<U256> Hub::groupmember_purpose(const BlockTag& block) {
    return view_uint(HubFn::kGroupMemberPurpose, addresses_.hub, {}, block);
}

// ---- RLC ------------------------------------------------------------------------------------------------------

HubResult<U256> Hub::rlc_balance_of(const Address& account, const BlockTag& block) {
    auto to = token_address(HubFn::kRlcBalanceOf);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_uint(HubFn::kRlcBalanceOf, *to, {a(account)}, block);
}

HubResult<U256> Hub::rlc_allowance(const Address& owner, const Address& spender, const BlockTag& block) {
    auto to = token_address(HubFn::kRlcAllowance);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_uint(HubFn::kRlcAllowance, *to, {a(owner), a(spender)}, block);
}

HubResult<U256> Hub::rlc_total_supply(const BlockTag& block) {
    auto to = token_address(HubFn::kRlcTotalSupply);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_uint(HubFn::kRlcTotalSupply, *to, {}, block);
}

// ---- registries ------------------------------------------------------------------------------------------------

HubResult<bool> Hub::is_registered(RegistryKind registry, const Address& entry, const BlockTag& block) {
    auto to = registry_address(HubFn::kRegistryIsRegistered, registry);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_bool(HubFn::kRegistryIsRegistered, *to, {a(entry)}, block);
}

HubResult<U256> Hub::registry_balance_of(RegistryKind registry, const Address& owner, const BlockTag& block) {
    auto to = registry_address(HubFn::kRegistryBalanceOf, registry);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_uint(HubFn::kRegistryBalanceOf, *to, {a(owner)}, block);
}

HubResult<Address> Hub::registry_owner_of(RegistryKind registry, const Address& entry, const BlockTag& block) {
    auto to = registry_address(HubFn::kRegistryOwnerOf, registry);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_address(HubFn::kRegistryOwnerOf, *to, {u(U256::from_be32(entry.to_word()))}, block);
}

HubResult<Address> Hub::token_of_owner_by_index(RegistryKind registry, const Address& owner, const U256& index,
                                                const BlockTag& block) {
    auto to = registry_address(HubFn::kRegistryTokenOfOwnerByIndex, registry);
    if (!to) return tl::unexpected(std::move(to).error());
    auto id = view_uint(HubFn::kRegistryTokenOfOwnerByIndex, *to, {a(owner), u(index)}, block);
    if (!id) return tl::unexpected(std::move(id).error());
    if (id->bit_length() > 160) {
        return tl::unexpected(decoding_error("tokenOfOwnerByIndex", "token id " + id->to_dec() + " is not an address"));
    }
    return Address::from_word(id->to_be32());
}

namespace {
std::vector<AbiValue> app_args(const AppParams& p) {
    return {a(p.owner), str(p.name), str(p.type), bytes(p.multiaddr), b32(p.checksum), bytes(p.mrenclave)};
}
std::vector<AbiValue> dataset_args(const DatasetParams& p) {
    return {a(p.owner), str(p.name), bytes(p.multiaddr), b32(p.checksum)};
}
std::vector<AbiValue> workerpool_args(const WorkerpoolParams& p) { return {a(p.owner), str(p.description)}; }
}  // namespace

HubResult<Address> Hub::predict_app(const AppParams& params, const BlockTag& block) {
    auto to = registry_address(HubFn::kPredictApp, RegistryKind::kApp);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_address(HubFn::kPredictApp, *to, app_args(params), block);
}

HubResult<Address> Hub::predict_dataset(const DatasetParams& params, const BlockTag& block) {
    auto to = registry_address(HubFn::kPredictDataset, RegistryKind::kDataset);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_address(HubFn::kPredictDataset, *to, dataset_args(params), block);
}

HubResult<Address> Hub::predict_workerpool(const WorkerpoolParams& params, const BlockTag& block) {
    auto to = registry_address(HubFn::kPredictWorkerpool, RegistryKind::kWorkerpool);
    if (!to) return tl::unexpected(std::move(to).error());
    return view_address(HubFn::kPredictWorkerpool, *to, workerpool_args(params), block);
}

// ---- entries ----------------------------------------------------------------------------------------------------

HubResult<Address> Hub::entry_owner(const Address& entry, const BlockTag& block) {
    return view_address(HubFn::kEntryOwner, entry, {}, block);
}

HubResult<AppInfo> Hub::app_entry(const Address& app, const BlockTag& block) {
    AppInfo info;
    auto owner = entry_owner(app, block);
    if (!owner) return tl::unexpected(std::move(owner).error());
    info.owner = *owner;
    auto name_v = call_view(HubFn::kAppName, app, {}, block);
    if (!name_v) return tl::unexpected(std::move(name_v).error());
    info.app_name = as_str(name_v->at(0));
    auto type_v = call_view(HubFn::kAppType, app, {}, block);
    if (!type_v) return tl::unexpected(std::move(type_v).error());
    info.app_type = as_str(type_v->at(0));
    auto multiaddr = call_view(HubFn::kAppMultiaddr, app, {}, block);
    if (!multiaddr) return tl::unexpected(std::move(multiaddr).error());
    info.app_multiaddr = as_bytes_value(multiaddr->at(0));
    auto checksum = call_view(HubFn::kAppChecksum, app, {}, block);
    if (!checksum) return tl::unexpected(std::move(checksum).error());
    info.app_checksum = as_b32(checksum->at(0));
    auto mrenclave = call_view(HubFn::kAppMREnclave, app, {}, block);
    if (!mrenclave) return tl::unexpected(std::move(mrenclave).error());
    info.app_mrenclave = as_bytes_value(mrenclave->at(0));
    return info;
}

HubResult<DatasetInfo> Hub::dataset_entry(const Address& dataset, const BlockTag& block) {
    DatasetInfo info;
    auto owner = entry_owner(dataset, block);
    if (!owner) return tl::unexpected(std::move(owner).error());
    info.owner = *owner;
    auto name_v = call_view(HubFn::kDatasetName, dataset, {}, block);
    if (!name_v) return tl::unexpected(std::move(name_v).error());
    info.dataset_name = as_str(name_v->at(0));
    auto multiaddr = call_view(HubFn::kDatasetMultiaddr, dataset, {}, block);
    if (!multiaddr) return tl::unexpected(std::move(multiaddr).error());
    info.dataset_multiaddr = as_bytes_value(multiaddr->at(0));
    auto checksum = call_view(HubFn::kDatasetChecksum, dataset, {}, block);
    if (!checksum) return tl::unexpected(std::move(checksum).error());
    info.dataset_checksum = as_b32(checksum->at(0));
    return info;
}

HubResult<WorkerpoolInfo> Hub::workerpool_entry(const Address& workerpool, const BlockTag& block) {
    WorkerpoolInfo info;
    auto owner = entry_owner(workerpool, block);
    if (!owner) return tl::unexpected(std::move(owner).error());
    info.owner = *owner;
    auto description = call_view(HubFn::kWorkerpoolDescription, workerpool, {}, block);
    if (!description) return tl::unexpected(std::move(description).error());
    info.workerpool_description = as_str(description->at(0));
    auto stake = view_uint(HubFn::kWorkerStakeRatioPolicy, workerpool, {}, block);
    if (!stake) return tl::unexpected(std::move(stake).error());
    info.worker_stake_ratio_policy = *stake;
    auto reward = view_uint(HubFn::kSchedulerRewardRatioPolicy, workerpool, {}, block);
    if (!reward) return tl::unexpected(std::move(reward).error());
    info.scheduler_reward_ratio_policy = *reward;
    return info;
}

// ---- transactions ------------------------------------------------------------------------------------------------

HubResult<ContractCall> Hub::rlc_transfer(const Address& to, const U256& amount) const {
    auto token_addr = token_address(HubFn::kRlcTransfer);
    if (!token_addr) return tl::unexpected(std::move(token_addr).error());
    return build(HubFn::kRlcTransfer, *token_addr, {a(to), u(amount)});
}

HubResult<ContractCall> Hub::rlc_approve(const Address& spender, const U256& amount) const {
    auto token_addr = token_address(HubFn::kRlcApprove);
    if (!token_addr) return tl::unexpected(std::move(token_addr).error());
    return build(HubFn::kRlcApprove, *token_addr, {a(spender), u(amount)});
}

HubResult<ContractCall> Hub::rlc_approve_and_call(const Address& spender, const U256& amount, ByteView extra) const {
    auto token_addr = token_address(HubFn::kRlcApproveAndCall);
    if (!token_addr) return tl::unexpected(std::move(token_addr).error());
    return build(HubFn::kRlcApproveAndCall, *token_addr, {a(spender), u(amount), bytes(extra)});
}

HubResult<ContractCall> Hub::deposit_with_approve_and_call(const U256& amount) const {
    return rlc_approve_and_call(addresses_.hub, amount, {});
}

HubResult<ContractCall> Hub::deposit(const U256& amount) const {
    return build(HubFn::kDeposit, addresses_.hub, {u(amount)});
}

HubResult<ContractCall> Hub::deposit_for(const U256& amount, const Address& target) const {
    return build(HubFn::kDepositFor, addresses_.hub, {u(amount), a(target)});
}

HubResult<ContractCall> Hub::withdraw(const U256& amount) const {
    return build(HubFn::kWithdraw, addresses_.hub, {u(amount)});
}

HubResult<ContractCall> Hub::withdraw_to(const U256& amount, const Address& target) const {
    return build(HubFn::kWithdrawTo, addresses_.hub, {u(amount), a(target)});
}

HubResult<ContractCall> Hub::create_app(const AppParams& params) const {
    auto to = registry_address(HubFn::kCreateApp, RegistryKind::kApp);
    if (!to) return tl::unexpected(std::move(to).error());
    return build(HubFn::kCreateApp, *to, app_args(params));
}

HubResult<ContractCall> Hub::create_dataset(const DatasetParams& params) const {
    auto to = registry_address(HubFn::kCreateDataset, RegistryKind::kDataset);
    if (!to) return tl::unexpected(std::move(to).error());
    return build(HubFn::kCreateDataset, *to, dataset_args(params));
}

HubResult<ContractCall> Hub::create_workerpool(const WorkerpoolParams& params) const {
    auto to = registry_address(HubFn::kCreateWorkerpool, RegistryKind::kWorkerpool);
    if (!to) return tl::unexpected(std::move(to).error());
    return build(HubFn::kCreateWorkerpool, *to, workerpool_args(params));
}

HubResult<ContractCall> Hub::change_policy(const Address& workerpool, const U256& worker_stake_ratio,
                                           const U256& scheduler_reward_ratio) const {
    return build(HubFn::kChangePolicy, workerpool, {u(worker_stake_ratio), u(scheduler_reward_ratio)});
}

HubResult<ContractCall> Hub::create_category(const std::string& category_name, const std::string& description,
                                             const U256& work_clock_time_ref) const {
    return build(HubFn::kCreateCategory, addresses_.hub,
                 {str(category_name), str(description), u(work_clock_time_ref)});
}

HubResult<ContractCall> Hub::set_tee_broker(const Address& broker) const {
    return build(HubFn::kSetTeeBroker, addresses_.hub, {a(broker)});
}

HubResult<ContractCall> Hub::set_callback_gas(const U256& gas) const {
    return build(HubFn::kSetCallbackGas, addresses_.hub, {u(gas)});
}

HubResult<ContractCall> Hub::match_orders(const AppOrder& app, const DatasetOrder& dataset,
                                          const WorkerpoolOrder& workerpool, const RequestOrder& request) const {
    return build(HubFn::kMatchOrders, addresses_.hub,
                 {to_abi(app), to_abi(dataset), to_abi(workerpool), to_abi(request)});
}

HubResult<ContractCall> Hub::sponsor_match_orders(const AppOrder& app, const DatasetOrder& dataset,
                                                  const WorkerpoolOrder& workerpool,
                                                  const RequestOrder& request) const {
    return build(HubFn::kSponsorMatchOrders, addresses_.hub,
                 {to_abi(app), to_abi(dataset), to_abi(workerpool), to_abi(request)});
}

namespace {
AbiValue operation_tuple(AbiValue order, OrderOperation operation, ByteView sign) {
    return AbiValue::list({std::move(order), u(U256(static_cast<std::uint64_t>(operation))), bytes(sign)});
}
}  // namespace

HubResult<ContractCall> Hub::manage_app_order(const AppOrder& order, OrderOperation operation, ByteView sign) const {
    return build(HubFn::kManageAppOrder, addresses_.hub, {operation_tuple(to_abi(order), operation, sign)});
}

HubResult<ContractCall> Hub::manage_dataset_order(const DatasetOrder& order, OrderOperation operation,
                                                  ByteView sign) const {
    return build(HubFn::kManageDatasetOrder, addresses_.hub, {operation_tuple(to_abi(order), operation, sign)});
}

HubResult<ContractCall> Hub::manage_workerpool_order(const WorkerpoolOrder& order, OrderOperation operation,
                                                     ByteView sign) const {
    return build(HubFn::kManageWorkerpoolOrder, addresses_.hub, {operation_tuple(to_abi(order), operation, sign)});
}

HubResult<ContractCall> Hub::manage_request_order(const RequestOrder& order, OrderOperation operation,
                                                  ByteView sign) const {
    return build(HubFn::kManageRequestOrder, addresses_.hub, {operation_tuple(to_abi(order), operation, sign)});
}

HubResult<ContractCall> Hub::manage_order(const Order& order, OrderOperation operation, ByteView sign) const {
    return std::visit(
        [&](const auto& o) -> HubResult<ContractCall> {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, AppOrder>) {
                return manage_app_order(o, operation, sign);
            } else if constexpr (std::is_same_v<T, DatasetOrder>) {
                return manage_dataset_order(o, operation, sign);
            } else if constexpr (std::is_same_v<T, WorkerpoolOrder>) {
                return manage_workerpool_order(o, operation, sign);
            } else {
                return manage_request_order(o, operation, sign);
            }
        },
        order);
}

HubResult<ContractCall> Hub::initialize(const Bytes32& deal_id, const U256& idx) const {
    return build(HubFn::kInitialize, addresses_.hub, {b32(deal_id), u(idx)});
}

HubResult<ContractCall> Hub::initialize_array(std::span<const Bytes32> deal_ids, std::span<const U256> idxs) const {
    if (deal_ids.size() != idxs.size()) {
        return tl::unexpected(make_hub_error(
            Errc::kInvalidArgument, "initializeArray",
            std::to_string(deal_ids.size()) + " deal ids but " + std::to_string(idxs.size()) + " indexes"));
    }
    return build(HubFn::kInitializeArray, addresses_.hub,
                 {AbiValue::list(bytes32_list(deal_ids)), AbiValue::list(uint_list(idxs))});
}

HubResult<ContractCall> Hub::contribute(const Bytes32& task_id, const Bytes32& result_hash, const Bytes32& result_seal,
                                        const Address& enclave_challenge, ByteView enclave_sign,
                                        ByteView authorization_sign) const {
    return build(HubFn::kContribute, addresses_.hub,
                 {b32(task_id), b32(result_hash), b32(result_seal), a(enclave_challenge), bytes(enclave_sign),
                  bytes(authorization_sign)});
}

HubResult<ContractCall> Hub::contribute_and_finalize(const Bytes32& task_id, const Bytes32& result_digest,
                                                     ByteView results, ByteView results_callback,
                                                     const Address& enclave_challenge, ByteView enclave_sign,
                                                     ByteView authorization_sign) const {
    return build(HubFn::kContributeAndFinalize, addresses_.hub,
                 {b32(task_id), b32(result_digest), bytes(results), bytes(results_callback), a(enclave_challenge),
                  bytes(enclave_sign), bytes(authorization_sign)});
}

HubResult<ContractCall> Hub::reveal(const Bytes32& task_id, const Bytes32& result_digest) const {
    return build(HubFn::kReveal, addresses_.hub, {b32(task_id), b32(result_digest)});
}

HubResult<ContractCall> Hub::reopen(const Bytes32& task_id) const {
    return build(HubFn::kReopen, addresses_.hub, {b32(task_id)});
}

HubResult<ContractCall> Hub::finalize(const Bytes32& task_id, ByteView results, ByteView results_callback) const {
    return build(HubFn::kFinalize, addresses_.hub, {b32(task_id), bytes(results), bytes(results_callback)});
}

HubResult<ContractCall> Hub::claim(const Bytes32& task_id) const {
    return build(HubFn::kClaim, addresses_.hub, {b32(task_id)});
}

HubResult<ContractCall> Hub::claim_array(std::span<const Bytes32> task_ids) const {
    return build(HubFn::kClaimArray, addresses_.hub, {AbiValue::list(bytes32_list(task_ids))});
}

HubResult<ContractCall> Hub::initialize_and_claim_array(std::span<const Bytes32> deal_ids,
                                                        std::span<const U256> idxs) const {
    if (deal_ids.size() != idxs.size()) {
        return tl::unexpected(make_hub_error(
            Errc::kInvalidArgument, "initializeAndClaimArray",
            std::to_string(deal_ids.size()) + " deal ids but " + std::to_string(idxs.size()) + " indexes"));
    }
    return build(HubFn::kInitializeAndClaimArray, addresses_.hub,
                 {AbiValue::list(bytes32_list(deal_ids)), AbiValue::list(uint_list(idxs))});
}

}  // namespace wp::chain
