// Oracles: the event ABIs of the @iexec/poco 6.1.0 package (read at test time from WP_POCO_DIR), the topic0 table
// of protocol.md §11.7 (read from WP_SHARED_DIR), and logs encoded by ethers 6.17 Interface.encodeEventLog.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <wp/chain/poco_events.hpp>
#include <wp/codec/abi_type.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/sys/process.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;

//! The file's text, "" when it cannot be read (the callers say which file was missing).
std::string read_text(const std::filesystem::path& path) { return sys::read_text_file(path.string()).value_or(""); }

Bytes32 b32(std::string_view hex) { return *bytes32_from_hex(hex); }
Address addr(std::string_view hex) { return *Address::parse(hex); }

Log make_log(std::vector<std::string_view> topics, std::string_view data) {
    Log log;
    for (auto t : topics) log.topics.push_back(b32(t));
    log.data = *from_hex(data);
    return log;
}

// ---- signatures against the outside oracles ----

// "(address,uint256)" from an ABI JSON parameter (tuples expanded).
std::string abi_json_type(const json::object& param) {
    std::string type(param.at("type").as_string());
    if (type.rfind("tuple", 0) == 0) {
        std::string inner = "(";
        bool first = true;
        for (const auto& c : param.at("components").as_array()) {
            if (!first) inner += ",";
            first = false;
            inner += abi_json_type(c.as_object());
        }
        return inner + ")" + type.substr(5);
    }
    return type;
}

struct AbiEvent {
    std::string canonical;
    std::size_t indexed{0};
    std::vector<std::string> names;
};

// name -> the events of that name found in the package files.
std::multimap<std::string, AbiEvent> package_events() {
    const std::filesystem::path dir = WP_POCO_DIR;
    std::multimap<std::string, AbiEvent> out;
    for (const char* file : {"artifacts/contracts/IexecInterfaceToken.sol/IexecInterfaceToken.json",
                             "artifacts/contracts/registries/apps/AppRegistry.sol/AppRegistry.json",
                             "artifacts/contracts/registries/workerpools/Workerpool.sol/Workerpool.json"}) {
        const auto text = read_text(dir / file);
        EXPECT_FALSE(text.empty()) << "missing " << (dir / file) << " (set WP_POCO_DIR)";
        if (text.empty()) continue;
        const json::value doc = json::parse(text);
        for (const auto& item : doc.at("abi").as_array()) {
            const auto& o = item.as_object();
            if (o.at("type").as_string() != "event") continue;
            AbiEvent ev;
            ev.canonical = std::string(o.at("name").as_string()) + "(";
            bool first = true;
            for (const auto& p : o.at("inputs").as_array()) {
                if (!first) ev.canonical += ",";
                first = false;
                ev.canonical += abi_json_type(p.as_object());
                if (p.at("indexed").as_bool()) ++ev.indexed;
                ev.names.emplace_back(p.at("name").as_string());
            }
            ev.canonical += ")";
            out.emplace(std::string(o.at("name").as_string()), ev);
        }
    }
    // The RLC token ships only a human-readable ABI: "event Transfer(address indexed,address indexed,uint256)".
    const auto rlc = read_text(dir / "abis/human-readable-abis/rlc-faucet-contract/contracts/RLC.sol/RLC.json");
    EXPECT_FALSE(rlc.empty());
    if (!rlc.empty()) {
        const json::value doc = json::parse(rlc);
        for (const auto& item : doc.as_array()) {
            std::string line(item.as_string());
            if (line.rfind("event ", 0) != 0) continue;
            line.erase(0, 6);
            AbiEvent ev;
            for (std::size_t at; (at = line.find(" indexed")) != std::string::npos;) {
                line.erase(at, 8);
                ++ev.indexed;
            }
            ev.canonical = line;
            out.emplace(line.substr(0, line.find('(')), ev);
        }
    }
    return out;
}

template <std::size_t... I>
PocoEvent alternative_impl(std::size_t index, std::index_sequence<I...>) {
    PocoEvent out;
    (void)((I == index ? (out = PocoEvent(std::in_place_index<I>), true) : false) || ...);
    return out;
}
PocoEvent alternative(std::size_t index) {
    return alternative_impl(index, std::make_index_sequence<std::variant_size_v<PocoEvent>>());
}

TEST(PocoEvents, Topic0IsKeccakOfTheSignatureAndMatchesThePocoPackage) {
    const auto abi = package_events();
    ASSERT_FALSE(abi.empty());
    for (const auto& spec : poco_event_specs()) {
        SCOPED_TRACE(spec.signature);
        EXPECT_EQ(spec.topic0, keccak256(as_bytes(spec.canonical)));
        bool found = false;
        auto [begin, end] = abi.equal_range(std::string(spec.name));
        for (auto it = begin; it != end; ++it) {
            if (it->second.indexed + 1 != spec.topic_count) continue;
            found = true;
            EXPECT_EQ(it->second.canonical, spec.canonical);
            EXPECT_EQ(keccak256(as_bytes(it->second.canonical)), spec.topic0);
            // Parameter names as in the contracts' ABI (when it has them).
            auto sig = parse_abi_signature(spec.signature);
            ASSERT_TRUE(sig);
            if (!it->second.names.empty()) {
                ASSERT_EQ(it->second.names.size(), sig->inputs.size());
                for (std::size_t i = 0; i < sig->inputs.size(); ++i)
                    EXPECT_EQ(it->second.names[i], sig->inputs[i].name()) << i;
            }
        }
        EXPECT_TRUE(found) << "no event " << spec.name << " with " << spec.topic_count - 1
                           << " indexed parameters in the PoCo package";
        EXPECT_EQ(event_name(alternative(spec.variant_index)), spec.name) << "event_name table order";
    }
}

TEST(PocoEvents, Topic0MatchesProtocolMd) {
    // Rows of §11.7: | `Name(...)` ... | `0x…` |
    const auto text = read_text(std::filesystem::path(WP_SHARED_DIR) / "reference/protocol.md");
    ASSERT_FALSE(text.empty());
    std::map<std::string, std::string> table;
    const auto section = text.find("### 11.7 Events (topic0)");
    ASSERT_NE(section, std::string::npos);
    std::istringstream lines(text.substr(section, text.find("### 11.8", section) - section));
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("| `", 0) != 0) continue;
        const auto topic_at = line.rfind("| `0x");
        if (topic_at == std::string::npos || line.size() < topic_at + 3 + 66) continue;
        const auto name = line.substr(3, line.find('(') - 3);
        table.emplace(name, line.substr(topic_at + 3, 66));
    }
    std::set<std::string> checked;
    for (const auto& spec : poco_event_specs()) {
        auto it = table.find(std::string(spec.name));
        if (it == table.end()) continue;
        EXPECT_EQ(to_hex(spec.topic0), it->second) << spec.name;
        checked.insert(std::string(spec.name));
    }
    // Every row of the table is covered except ApprovalForAll (not listed there).
    for (const auto& [name, topic] : table) EXPECT_TRUE(checked.count(name)) << "protocol.md lists " << name;
    EXPECT_GE(checked.size(), 33u);
}

TEST(PocoEvents, SpecsAreConsistent) {
    std::set<std::size_t> indexes;
    for (const auto& spec : poco_event_specs()) indexes.insert(spec.variant_index);
    EXPECT_EQ(indexes.size(), std::variant_size_v<PocoEvent>) << "every alternative has exactly one spec";
    EXPECT_EQ(poco_event_specs().size(), std::variant_size_v<PocoEvent>);
    EXPECT_EQ(poco_event_topics().size(), std::variant_size_v<PocoEvent> - 2);  // Transfer, Approval shared
}

// ---- decoding hand-built logs ----

constexpr std::string_view kTransfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
constexpr std::string_view kA = "0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266";
constexpr std::string_view kB = "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8";

TEST(PocoEvents, Erc20AndErc721TransferByTopicCount) {
    auto erc20 = decode_poco_event(
        make_log({kTransfer, kA, kB}, "0x00000000000000000000000000000000000000000000000000000000000003e8"));
    ASSERT_TRUE(erc20) << erc20.error().message;
    const auto* t = std::get_if<events::Erc20Transfer>(&*erc20);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->from, addr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    EXPECT_EQ(t->to, addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
    EXPECT_EQ(t->value, U256(1000));
    EXPECT_EQ(event_name(*erc20), "Transfer");

    // A registry mint: Transfer(0, owner, tokenId = uint160(app address)), no data.
    auto erc721 =
        decode_poco_event(make_log({kTransfer, "0x0000000000000000000000000000000000000000000000000000000000000000", kB,
                                    "0x0000000000000000000000005fbdb2315678afecb367f032d93f642f64180aa3"},
                                   "0x"));
    ASSERT_TRUE(erc721) << erc721.error().message;
    const auto* n = std::get_if<events::Erc721Transfer>(&*erc721);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->from, Address());
    EXPECT_EQ(n->token_id, U256::from_hex("0x5fbdb2315678afecb367f032d93f642f64180aa3").value());

    // Same topic0, 2 topics: neither form.
    auto bad = decode_poco_event(make_log({kTransfer, kA}, "0x"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kDecoding);
    EXPECT_EQ(bad.error().message, "Transfer: expected 3 or 4 topics (topic0 + indexed parameters), got 2");
    // ERC-721 form with data is not canonical (no trailing bytes).
    auto trailing = decode_poco_event(
        make_log({kTransfer, kA, kB, kA}, "0x00000000000000000000000000000000000000000000000000000000000003e8"));
    ASSERT_FALSE(trailing);
    EXPECT_NE(trailing.error().message.find("Transfer: data:"), std::string::npos) << trailing.error().message;
}

TEST(PocoEvents, EscrowEventsHaveNoIndexedParameters) {
    // Lock(address owner, uint256 amount), topic0 from protocol.md §11.7.
    auto lock = decode_poco_event(make_log({"0x625fed9875dada8643f2418b838ae0bc78d9a148a18eee4ee1979ff0f3f5d427"},
                                           "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
                                           "000000000000000000000000000000000000000000000000000000003b9aca00"));
    ASSERT_TRUE(lock) << lock.error().message;
    EXPECT_EQ(std::get<events::Lock>(*lock),
              (events::Lock{addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), U256(1000000000)}));

    auto reward = decode_poco_event(make_log({"0xc2aca55aa696938c7e95842e8939ca0fbb2120a3eeb8948cdcee2b70da566672"},
                                             "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
                                             "0000000000000000000000000000000000000000000000000000000000000005"
                                             "abababababababababababababababababababababababababababababababab"));
    ASSERT_TRUE(reward) << reward.error().message;
    const auto& r = std::get<events::Reward>(*reward);
    EXPECT_EQ(r.amount, U256(5));
    EXPECT_EQ(r.ref, b32("0xabababababababababababababababababababababababababababababababab"));

    // Seize with a dirty address word: the field is named.
    auto seize = decode_poco_event(make_log({"0x1bccc549c38561cd5b57f0db11ceb8dde1b0b6ee05ab5e155b51c7c5ba64becb"},
                                            "0x01000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
                                            "0000000000000000000000000000000000000000000000000000000000000005"
                                            "abababababababababababababababababababababababababababababababab"));
    ASSERT_FALSE(seize);
    EXPECT_EQ(seize.error().code, Errc::kDecoding);
    EXPECT_EQ(seize.error().message.rfind("Seize: data: owner", 0), 0u) << seize.error().message;

    // Short data.
    auto unlock = decode_poco_event(make_log({"0x6381d9813cabeb57471b5a7e05078e64845ccdb563146a6911d536f24ce960f1"},
                                             "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"));
    ASSERT_FALSE(unlock);
    EXPECT_EQ(unlock.error().message.rfind("Unlock: data: ", 0), 0u) << unlock.error().message;
    // Lock with an extra topic.
    auto lock3 =
        decode_poco_event(make_log({"0x625fed9875dada8643f2418b838ae0bc78d9a148a18eee4ee1979ff0f3f5d427", kA}, "0x"));
    ASSERT_FALSE(lock3);
    EXPECT_EQ(lock3.error().message, "Lock: expected 1 topics (topic0 + indexed parameters), got 2");
}

TEST(PocoEvents, MatchingAndTaskEvents) {
    const std::string_view deal = "0x1111111111111111111111111111111111111111111111111111111111111111";
    auto notice =
        decode_poco_event(make_log({"0x692ad61076dceddd0f1a861f737553dd61fc8501cf4190d29c4e90af6607f765", kB}, deal));
    ASSERT_TRUE(notice) << notice.error().message;
    EXPECT_EQ(std::get<events::SchedulerNotice>(*notice),
              (events::SchedulerNotice{addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), b32(deal)}));

    std::string matched_data = "0x";
    for (char c : std::string("123450")) matched_data += std::string(64, c == '0' ? '0' : c);
    matched_data.replace(matched_data.size() - 1, 1, "7");
    auto matched = decode_poco_event(
        make_log({"0xd811b592ed0899225773e8933d8df64bd0b62761a9d7aad4ed5b22735f4610a4"}, matched_data));
    ASSERT_TRUE(matched) << matched.error().message;
    const auto& m = std::get<events::OrdersMatched>(*matched);
    EXPECT_EQ(m.deal_id, b32("0x" + std::string(64, '1')));
    EXPECT_EQ(m.app_hash, b32("0x" + std::string(64, '2')));
    EXPECT_EQ(m.dataset_hash, b32("0x" + std::string(64, '3')));
    EXPECT_EQ(m.workerpool_hash, b32("0x" + std::string(64, '4')));
    EXPECT_EQ(m.request_hash, b32("0x" + std::string(64, '5')));
    EXPECT_EQ(m.volume, U256(7));

    // TaskContribute(bytes32 indexed taskid, address indexed worker, bytes32 hash).
    const std::string_view task = "0x2222222222222222222222222222222222222222222222222222222222222222";
    auto contribute =
        decode_poco_event(make_log({"0x3fdb8d7797562d49a81078dbf7fa1771958ea452f8b13d1148383bd9506aecfb", task, kA},
                                   "0x3333333333333333333333333333333333333333333333333333333333333333"));
    ASSERT_TRUE(contribute) << contribute.error().message;
    const auto& c = std::get<events::TaskContribute>(*contribute);
    EXPECT_EQ(c.task_id, b32(task));
    EXPECT_EQ(c.worker, addr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    EXPECT_EQ(c.hash, b32("0x" + std::string(64, '3')));

    // A worker topic that is not an address word.
    auto dirty = decode_poco_event(make_log({"0x3fdb8d7797562d49a81078dbf7fa1771958ea452f8b13d1148383bd9506aecfb", task,
                                             "0x100000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"},
                                            "0x3333333333333333333333333333333333333333333333333333333333333333"));
    ASSERT_FALSE(dirty);
    EXPECT_EQ(dirty.error().message.rfind("TaskContribute: topic 2 (worker): ", 0), 0u) << dirty.error().message;
    auto missing =
        decode_poco_event(make_log({"0x3fdb8d7797562d49a81078dbf7fa1771958ea452f8b13d1148383bd9506aecfb", task},
                                   "0x3333333333333333333333333333333333333333333333333333333333333333"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "TaskContribute: expected 3 topics (topic0 + indexed parameters), got 2");

    // AccurateContribution(address indexed worker, bytes32 indexed taskid): both indexed, no data.
    auto accurate = decode_poco_event(
        make_log({"0x9703f4589802246c80b822e63697180da799e363cd1b6fd9465a5e5574d53492", kA, task}, "0x"));
    ASSERT_TRUE(accurate) << accurate.error().message;
    EXPECT_EQ(std::get<events::AccurateContribution>(*accurate).task_id, b32(task));

    // TaskFinalize (ethers 6.17 encodeEventLog).
    auto finalize = decode_poco_event(make_log(
        {"0x78ce8a8bc0fcb704e8ba3b3dbb36aa88002df8038128b4af2f27ef65db665044",
         "0x1212121212121212121212121212121212121212121212121212121212121212"},
        "0x00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000"
        "000000000000000000000004deadbeef00000000000000000000000000000000000000000000000000000000"));
    ASSERT_TRUE(finalize) << finalize.error().message;
    EXPECT_EQ(to_hex(std::get<events::TaskFinalize>(*finalize).results), "0xdeadbeef");
    // The same with non-zero padding after the bytes.
    auto dirty_pad = decode_poco_event(make_log(
        {"0x78ce8a8bc0fcb704e8ba3b3dbb36aa88002df8038128b4af2f27ef65db665044",
         "0x1212121212121212121212121212121212121212121212121212121212121212"},
        "0x00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000"
        "000000000000000000000004deadbeef00000000000000000000000000000000000000000000000000000001"));
    ASSERT_FALSE(dirty_pad);
    EXPECT_EQ(dirty_pad.error().message.rfind("TaskFinalize: data: results", 0), 0u) << dirty_pad.error().message;
}

TEST(PocoEvents, CreateCategoryAndBroadcastRequestOrderFromEthers) {
    auto category = decode_poco_event(
        make_log({"0x62bf08360c9d561749c54eaf4f8bf8cb6c8b6f4f40607bcec39a8172e714d25c"},
                 "0x00000000000000000000000000000000000000000000000000000000000000030000000000000000000000000000000000"
                 "00000000000000000000000000008000000000000000000000000000000000000000000000000000000000000000c0000000"
                 "0000000000000000000000000000000000000000000000000000000e10000000000000000000000000000000000000000000"
                 "00000000000000000000014d0000000000000000000000000000000000000000000000000000000000000000000000000000"
                 "0000000000000000000000000000000000000000000000000222220000000000000000000000000000000000000000000000"
                 "00000000000000"));
    ASSERT_TRUE(category) << category.error().message;
    EXPECT_EQ(std::get<events::CreateCategory>(*category), (events::CreateCategory{U256(3), "M", "\"\"", U256(3600)}));

    auto broadcast = decode_poco_event(
        make_log({"0x54bee205d9b03332d6dc82bc907476dfef6ed4fd86058d49a72994baee781175"},
                 "0x00000000000000000000000000000000000000000000000000000000000000200000000000000000000000001111111111"
                 "1111111111111111111111111111110000000000000000000000000000000000000000000000000000000000000005000000"
                 "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                 "0000000000000000000000000000000000000000000000222222222222222222222222222222222222222200000000000000"
                 "0000000000000000000000000000000000000000000000000700000000000000000000000033333333333333333333333333"
                 "3333333333333300000000000000000000000000000000000000000000000000000000000000010000000000000000000000"
                 "0000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000"
                 "0000020000000000000000000000000000000000000000000000000000000000000001000000000000000000000000333333"
                 "3333333333333333333333333333333333000000000000000000000000000000000000000000000000000000000000000000"
                 "00000000000000000000000000000000000000000000000000000000000200ababababababababababababababababababab"
                 "ababababababababababababab00000000000000000000000000000000000000000000000000000000000002400000000000"
                 "0000000000000000000000000000000000000000000000000000137b2269657865635f61726773223a226869227d00000000"
                 "0000000000000000000000000000000000000000000000000000000000000000000000000000000041cdcdcdcdcdcdcdcdcd"
                 "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
                 "cdcdcdcdcdcd00000000000000000000000000000000000000000000000000000000000000"));
    ASSERT_TRUE(broadcast) << broadcast.error().message;
    const auto& o = std::get<events::BroadcastRequestOrder>(*broadcast).order;
    EXPECT_EQ(o.app, addr("0x1111111111111111111111111111111111111111"));
    EXPECT_EQ(o.appmaxprice, U256(5));
    EXPECT_EQ(o.workerpool, addr("0x2222222222222222222222222222222222222222"));
    EXPECT_EQ(o.workerpoolmaxprice, U256(7));
    EXPECT_EQ(o.requester, addr("0x3333333333333333333333333333333333333333"));
    EXPECT_EQ(o.volume, U256(1));
    EXPECT_EQ(o.tag, b32("0x0000000000000000000000000000000000000000000000000000000000000001"));
    EXPECT_EQ(o.category, U256(2));
    EXPECT_EQ(o.trust, U256(1));
    EXPECT_EQ(o.beneficiary, o.requester);
    EXPECT_EQ(o.params, R"({"iexec_args":"hi"})");
    EXPECT_EQ(o.salt, b32("0xabababababababababababababababababababababababababababababababab"));
    EXPECT_EQ(o.sign.size(), 65u);
    EXPECT_EQ(o.sign[64], 0xcd);
}

TEST(PocoEvents, UnknownEventsAreUnsupported) {
    auto none = decode_poco_event(Log{});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, Errc::kUnsupported);
    // DiamondCut is not covered; nor is a random topic.
    auto unknown = decode_poco_event(make_log({"0x" + std::string(64, 'f')}, "0x"));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Errc::kUnsupported);
    EXPECT_EQ(unknown.error().message, "not a PoCo event: topic0 0x" + std::string(64, 'f'));
}

}  // namespace
}  // namespace wp::chain
