#include "poco_events.hpp"

#include <array>
#include <cassert>
#include <functional>
#include <type_traits>

#include <wp/codec/abi.hpp>
#include <wp/codec/abi_type.hpp>
#include <wp/core/hex.hpp>

namespace wp::chain {
namespace {

template <class T, class V>
struct VariantIndex;
template <class T, class... Ts>
struct VariantIndex<T, std::variant<Ts...>> {
    static constexpr std::size_t value = [] {
        std::size_t i = 0;
        (void)((std::is_same_v<T, Ts> ? false : (++i, true)) && ...);
        return i;
    }();
};
template <class T>
constexpr std::size_t kIndexOf = VariantIndex<T, PocoEvent>::value;

using Values = std::vector<AbiValue>;
using Builder = std::function<PocoEvent(const Values&)>;

// Accessors for values whose type the decoder already checked against the signature.
const Address& addr(const AbiValue& v) { return *v.as_address(); }
const U256& uint(const AbiValue& v) { return *v.as_uint(); }
bool boolean(const AbiValue& v) { return *v.as_bool(); }
Bytes32 b32(const AbiValue& v) { return *Bytes32::from_view(v.as_fixed_bytes()->bytes); }
const Bytes& bytes(const AbiValue& v) { return *v.as_bytes(); }
const std::string& str(const AbiValue& v) { return *v.as_string(); }
const AbiValue::List& list(const AbiValue& v) { return *v.as_list(); }

AppOrder app_order(const AbiValue& v) {
    const auto& f = list(v);
    return AppOrder{addr(f[0]), uint(f[1]), uint(f[2]), b32(f[3]),  addr(f[4]),
                    addr(f[5]), addr(f[6]), b32(f[7]),  bytes(f[8])};
}
DatasetOrder dataset_order(const AbiValue& v) {
    const auto& f = list(v);
    return DatasetOrder{addr(f[0]), uint(f[1]), uint(f[2]), b32(f[3]),  addr(f[4]),
                        addr(f[5]), addr(f[6]), b32(f[7]),  bytes(f[8])};
}
WorkerpoolOrder workerpool_order(const AbiValue& v) {
    const auto& f = list(v);
    return WorkerpoolOrder{addr(f[0]), uint(f[1]), uint(f[2]), b32(f[3]), uint(f[4]),  uint(f[5]),
                           addr(f[6]), addr(f[7]), addr(f[8]), b32(f[9]), bytes(f[10])};
}
RequestOrder request_order(const AbiValue& v) {
    const auto& f = list(v);
    return RequestOrder{addr(f[0]),  uint(f[1]), addr(f[2]), uint(f[3]),  addr(f[4]),  uint(f[5]),
                        addr(f[6]),  uint(f[7]), b32(f[8]),  uint(f[9]),  uint(f[10]), addr(f[11]),
                        addr(f[12]), str(f[13]), b32(f[14]), bytes(f[15])};
}

constexpr std::string_view kAppOrderTuple =
    "(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address workerpoolrestrict,"
    "address requesterrestrict,bytes32 salt,bytes sign)";
constexpr std::string_view kDatasetOrderTuple =
    "(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address workerpoolrestrict,"
    "address requesterrestrict,bytes32 salt,bytes sign)";
constexpr std::string_view kWorkerpoolOrderTuple =
    "(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 trust,"
    "address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt,bytes sign)";
constexpr std::string_view kRequestOrderTuple =
    "(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,"
    "uint256 workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,"
    "address beneficiary,address callback,string params,bytes32 salt,bytes sign)";

struct Entry {
    PocoEventSpec spec;
    AbiSignature signature;
    std::vector<AbiType> data_types;          // the non-indexed parameters, in order
    std::vector<std::size_t> data_positions;  // their positions among all parameters
    Builder build;
};

struct Table {
    std::vector<Entry> entries;
    std::vector<PocoEventSpec> specs;
};

template <class T>
void add(std::vector<Entry>& out, std::string_view name, std::string_view signature, Builder build) {
    auto parsed = parse_abi_signature(signature);
    assert(parsed && "PoCo event signature must parse");
    Entry e;
    e.signature = std::move(*parsed);
    e.spec.name = name;
    e.spec.signature = signature;
    e.spec.canonical = e.signature.canonical();
    e.spec.topic0 = e.signature.topic();
    e.spec.variant_index = kIndexOf<T>;
    e.spec.topic_count = 1;
    for (std::size_t i = 0; i < e.signature.inputs.size(); ++i) {
        const bool indexed = i < e.signature.indexed.size() && e.signature.indexed[i];
        if (indexed) {
            // Only value types are indexed in PoCo; a dynamic indexed parameter would be a hash in the topic.
            assert(!e.signature.inputs[i].is_dynamic());
            ++e.spec.topic_count;
        } else {
            e.data_types.push_back(e.signature.inputs[i]);
            e.data_positions.push_back(i);
        }
    }
    e.build = std::move(build);
    out.push_back(std::move(e));
}

std::string sig_with_tuple(std::string_view name, std::string_view tuple, std::string_view param) {
    std::string s(name);
    s += "(";
    s += tuple;
    s += " ";
    s += param;
    s += ")";
    return s;
}

const Table& table() {
    static const Table kTable = [] {
        // Signatures with a static lifetime for the string_views in PocoEventSpec.
        static const std::string kBroadcastApp = sig_with_tuple("BroadcastAppOrder", kAppOrderTuple, "apporder");
        static const std::string kBroadcastDataset =
            sig_with_tuple("BroadcastDatasetOrder", kDatasetOrderTuple, "datasetorder");
        static const std::string kBroadcastWorkerpool =
            sig_with_tuple("BroadcastWorkerpoolOrder", kWorkerpoolOrderTuple, "workerpoolorder");
        static const std::string kBroadcastRequest =
            sig_with_tuple("BroadcastRequestOrder", kRequestOrderTuple, "requestorder");

        using namespace events;
        Table t;
        auto& e = t.entries;
        add<Erc20Transfer>(e, "Transfer", "Transfer(address indexed from,address indexed to,uint256 value)",
                           [](const Values& v) {
                               return Erc20Transfer{addr(v[0]), addr(v[1]), uint(v[2])};
                           });
        add<Erc721Transfer>(e, "Transfer", "Transfer(address indexed from,address indexed to,uint256 indexed tokenId)",
                            [](const Values& v) {
                                return Erc721Transfer{addr(v[0]), addr(v[1]), uint(v[2])};
                            });
        add<Erc20Approval>(e, "Approval", "Approval(address indexed owner,address indexed spender,uint256 value)",
                           [](const Values& v) {
                               return Erc20Approval{addr(v[0]), addr(v[1]), uint(v[2])};
                           });
        add<Erc721Approval>(e, "Approval",
                            "Approval(address indexed owner,address indexed approved,uint256 indexed tokenId)",
                            [](const Values& v) {
                                return Erc721Approval{addr(v[0]), addr(v[1]), uint(v[2])};
                            });
        add<ApprovalForAll>(e, "ApprovalForAll",
                            "ApprovalForAll(address indexed owner,address indexed operator,bool approved)",
                            [](const Values& v) {
                                return ApprovalForAll{addr(v[0]), addr(v[1]), boolean(v[2])};
                            });
        add<OwnershipTransferred>(e, "OwnershipTransferred",
                                  "OwnershipTransferred(address indexed previousOwner,address indexed newOwner)",
                                  [](const Values& v) {
                                      return OwnershipTransferred{addr(v[0]), addr(v[1])};
                                  });
        add<Lock>(e, "Lock", "Lock(address owner,uint256 amount)", [](const Values& v) {
            return Lock{addr(v[0]), uint(v[1])};
        });
        add<Unlock>(e, "Unlock", "Unlock(address owner,uint256 amount)", [](const Values& v) {
            return Unlock{addr(v[0]), uint(v[1])};
        });
        add<Reward>(e, "Reward", "Reward(address owner,uint256 amount,bytes32 ref)", [](const Values& v) {
            return Reward{addr(v[0]), uint(v[1]), b32(v[2])};
        });
        add<Seize>(e, "Seize", "Seize(address owner,uint256 amount,bytes32 ref)", [](const Values& v) {
            return Seize{addr(v[0]), uint(v[1]), b32(v[2])};
        });
        add<SchedulerNotice>(e, "SchedulerNotice", "SchedulerNotice(address indexed workerpool,bytes32 dealid)",
                             [](const Values& v) {
                                 return SchedulerNotice{addr(v[0]), b32(v[1])};
                             });
        add<OrdersMatched>(e, "OrdersMatched",
                           "OrdersMatched(bytes32 dealid,bytes32 appHash,bytes32 datasetHash,bytes32 workerpoolHash,"
                           "bytes32 requestHash,uint256 volume)",
                           [](const Values& v) {
                               return OrdersMatched{b32(v[0]), b32(v[1]), b32(v[2]), b32(v[3]), b32(v[4]), uint(v[5])};
                           });
        add<DealSponsored>(e, "DealSponsored", "DealSponsored(bytes32 dealId,address sponsor)", [](const Values& v) {
            return DealSponsored{b32(v[0]), addr(v[1])};
        });
        add<TaskInitialize>(e, "TaskInitialize", "TaskInitialize(bytes32 indexed taskid,address indexed workerpool)",
                            [](const Values& v) {
                                return TaskInitialize{b32(v[0]), addr(v[1])};
                            });
        add<TaskContribute>(e, "TaskContribute",
                            "TaskContribute(bytes32 indexed taskid,address indexed worker,bytes32 hash)",
                            [](const Values& v) {
                                return TaskContribute{b32(v[0]), addr(v[1]), b32(v[2])};
                            });
        add<TaskConsensus>(e, "TaskConsensus", "TaskConsensus(bytes32 indexed taskid,bytes32 consensus)",
                           [](const Values& v) {
                               return TaskConsensus{b32(v[0]), b32(v[1])};
                           });
        add<TaskReveal>(e, "TaskReveal", "TaskReveal(bytes32 indexed taskid,address indexed worker,bytes32 digest)",
                        [](const Values& v) {
                            return TaskReveal{b32(v[0]), addr(v[1]), b32(v[2])};
                        });
        add<TaskReopen>(e, "TaskReopen", "TaskReopen(bytes32 indexed taskid)",
                        [](const Values& v) { return TaskReopen{b32(v[0])}; });
        add<TaskFinalize>(e, "TaskFinalize", "TaskFinalize(bytes32 indexed taskid,bytes results)", [](const Values& v) {
            return TaskFinalize{b32(v[0]), bytes(v[1])};
        });
        add<TaskClaimed>(e, "TaskClaimed", "TaskClaimed(bytes32 indexed taskid)",
                         [](const Values& v) { return TaskClaimed{b32(v[0])}; });
        add<AccurateContribution>(e, "AccurateContribution",
                                  "AccurateContribution(address indexed worker,bytes32 indexed taskid)",
                                  [](const Values& v) {
                                      return AccurateContribution{addr(v[0]), b32(v[1])};
                                  });
        add<FaultyContribution>(e, "FaultyContribution",
                                "FaultyContribution(address indexed worker,bytes32 indexed taskid)",
                                [](const Values& v) {
                                    return FaultyContribution{addr(v[0]), b32(v[1])};
                                });
        add<SignedAppOrder>(e, "SignedAppOrder", "SignedAppOrder(bytes32 appHash)",
                            [](const Values& v) { return SignedAppOrder{b32(v[0])}; });
        add<SignedDatasetOrder>(e, "SignedDatasetOrder", "SignedDatasetOrder(bytes32 datasetHash)",
                                [](const Values& v) { return SignedDatasetOrder{b32(v[0])}; });
        add<SignedWorkerpoolOrder>(e, "SignedWorkerpoolOrder", "SignedWorkerpoolOrder(bytes32 workerpoolHash)",
                                   [](const Values& v) { return SignedWorkerpoolOrder{b32(v[0])}; });
        add<SignedRequestOrder>(e, "SignedRequestOrder", "SignedRequestOrder(bytes32 requestHash)",
                                [](const Values& v) { return SignedRequestOrder{b32(v[0])}; });
        add<ClosedAppOrder>(e, "ClosedAppOrder", "ClosedAppOrder(bytes32 appHash)",
                            [](const Values& v) { return ClosedAppOrder{b32(v[0])}; });
        add<ClosedDatasetOrder>(e, "ClosedDatasetOrder", "ClosedDatasetOrder(bytes32 datasetHash)",
                                [](const Values& v) { return ClosedDatasetOrder{b32(v[0])}; });
        add<ClosedWorkerpoolOrder>(e, "ClosedWorkerpoolOrder", "ClosedWorkerpoolOrder(bytes32 workerpoolHash)",
                                   [](const Values& v) { return ClosedWorkerpoolOrder{b32(v[0])}; });
        add<ClosedRequestOrder>(e, "ClosedRequestOrder", "ClosedRequestOrder(bytes32 requestHash)",
                                [](const Values& v) { return ClosedRequestOrder{b32(v[0])}; });
        add<BroadcastAppOrder>(e, "BroadcastAppOrder", kBroadcastApp,
                               [](const Values& v) { return BroadcastAppOrder{app_order(v[0])}; });
        add<BroadcastDatasetOrder>(e, "BroadcastDatasetOrder", kBroadcastDataset,
                                   [](const Values& v) { return BroadcastDatasetOrder{dataset_order(v[0])}; });
        add<BroadcastWorkerpoolOrder>(e, "BroadcastWorkerpoolOrder", kBroadcastWorkerpool,
                                      [](const Values& v) { return BroadcastWorkerpoolOrder{workerpool_order(v[0])}; });
        add<BroadcastRequestOrder>(e, "BroadcastRequestOrder", kBroadcastRequest,
                                   [](const Values& v) { return BroadcastRequestOrder{request_order(v[0])}; });
        add<CreateCategory>(e, "CreateCategory",
                            "CreateCategory(uint256 catid,string name,string description,uint256 workClockTimeRef)",
                            [](const Values& v) {
                                return CreateCategory{uint(v[0]), str(v[1]), str(v[2]), uint(v[3])};
                            });
        add<PolicyUpdate>(e, "PolicyUpdate",
                          "PolicyUpdate(uint256 oldWorkerStakeRatioPolicy,uint256 newWorkerStakeRatioPolicy,"
                          "uint256 oldSchedulerRewardRatioPolicy,uint256 newSchedulerRewardRatioPolicy)",
                          [](const Values& v) {
                              return PolicyUpdate{uint(v[0]), uint(v[1]), uint(v[2]), uint(v[3])};
                          });
        for (const auto& entry : t.entries) t.specs.push_back(entry.spec);
        return t;
    }();
    return kTable;
}

constexpr std::array<std::string_view, std::variant_size_v<PocoEvent>> kNames = {
    "Transfer",
    "Approval",
    "Transfer",
    "Approval",
    "ApprovalForAll",
    "OwnershipTransferred",
    "Lock",
    "Unlock",
    "Reward",
    "Seize",
    "SchedulerNotice",
    "OrdersMatched",
    "DealSponsored",
    "TaskInitialize",
    "TaskContribute",
    "TaskConsensus",
    "TaskReveal",
    "TaskReopen",
    "TaskFinalize",
    "TaskClaimed",
    "AccurateContribution",
    "FaultyContribution",
    "SignedAppOrder",
    "SignedDatasetOrder",
    "SignedWorkerpoolOrder",
    "SignedRequestOrder",
    "ClosedAppOrder",
    "ClosedDatasetOrder",
    "ClosedWorkerpoolOrder",
    "ClosedRequestOrder",
    "BroadcastAppOrder",
    "BroadcastDatasetOrder",
    "BroadcastWorkerpoolOrder",
    "BroadcastRequestOrder",
    "CreateCategory",
    "PolicyUpdate",
};

// "ABI decode: arg 1.sign: …" → "sign…" with the parameter name in place of "arg 1".
std::string rename_arg(std::string message, const Entry& entry) {
    constexpr std::string_view kPrefix = "ABI decode: ";
    if (message.rfind(kPrefix, 0) == 0) message.erase(0, kPrefix.size());
    if (message.rfind("arg ", 0) != 0) return message;
    std::size_t end = 4;
    std::size_t index = 0;
    while (end < message.size() && message[end] >= '0' && message[end] <= '9') {
        index = index * 10 + static_cast<std::size_t>(message[end] - '0');
        ++end;
    }
    if (end == 4 || index >= entry.data_positions.size()) return message;
    const std::string& name = entry.signature.inputs[entry.data_positions[index]].name();
    if (name.empty()) return message;
    return name + message.substr(end);
}

}  // namespace

std::span<const PocoEventSpec> poco_event_specs() { return table().specs; }

std::vector<Bytes32> poco_event_topics() {
    std::vector<Bytes32> out;
    for (const auto& spec : table().specs) {
        bool seen = false;
        for (const auto& t : out) seen = seen || t == spec.topic0;
        if (!seen) out.push_back(spec.topic0);
    }
    return out;
}

Result<PocoEvent> decode_poco_event(const Log& log) {
    if (log.topics.empty()) return make_error(Errc::kUnsupported, "not a PoCo event: the log has no topics");
    const Bytes32& topic0 = log.topics[0];
    const Entry* match = nullptr;
    const Entry* same_topic = nullptr;
    for (const auto& entry : table().entries) {
        if (entry.spec.topic0 != topic0) continue;
        same_topic = &entry;
        if (entry.spec.topic_count == log.topics.size()) {
            match = &entry;
            break;
        }
    }
    if (same_topic == nullptr) return make_error(Errc::kUnsupported, "not a PoCo event: topic0 " + to_hex(topic0));
    if (match == nullptr) {
        // Report against the variant(s) known for this topic0.
        std::string expected;
        for (const auto& entry : table().entries) {
            if (entry.spec.topic0 != topic0) continue;
            if (!expected.empty()) expected += " or ";
            expected += std::to_string(entry.spec.topic_count);
        }
        return make_error(Errc::kDecoding, std::string(same_topic->spec.name) + ": expected " + expected +
                                               " topics (topic0 + indexed parameters), got " +
                                               std::to_string(log.topics.size()));
    }
    const Entry& entry = *match;
    const auto& inputs = entry.signature.inputs;
    Values values(inputs.size());
    std::size_t topic = 1;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (i >= entry.signature.indexed.size() || !entry.signature.indexed[i]) continue;
        auto decoded = abi_decode({inputs[i]}, log.topics[topic]);
        if (!decoded) {
            std::string message = decoded.error().message;
            constexpr std::string_view kPrefix = "ABI decode: arg 0: ";
            if (message.rfind(kPrefix, 0) == 0) message.erase(0, kPrefix.size());
            return make_error(Errc::kDecoding, std::string(entry.spec.name) + ": topic " + std::to_string(topic) +
                                                   " (" + inputs[i].name() + "): " + message);
        }
        values[i] = std::move((*decoded)[0]);
        ++topic;
    }
    auto data = abi_decode(entry.data_types, log.data);
    if (!data) {
        return make_error(Errc::kDecoding,
                          std::string(entry.spec.name) + ": data: " + rename_arg(data.error().message, entry));
    }
    for (std::size_t k = 0; k < entry.data_positions.size(); ++k) values[entry.data_positions[k]] = (*data)[k];
    return entry.build(values);
}

std::string_view event_name(const PocoEvent& event) noexcept { return kNames[event.index()]; }

}  // namespace wp::chain
