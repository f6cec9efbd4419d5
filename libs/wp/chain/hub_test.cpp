// Hub: the ABI table against two outside oracles (the @iexec/poco 6.1.0 package's human-readable ABIs, and the
// selectors of shared/reference/protocol.md §11), calldata byte-equal to ethers 6.17.0, view decoding of return
// data encoded by ethers (testdata/hub_vectors.json), error naming and revert classification. No network.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/hex.hpp>
#include <wp/sys/process.hpp>

namespace wp::chain {
namespace {

namespace fs = std::filesystem;

//! The file's text, "" when it cannot be read (the callers say which file was missing).
std::string read_text(const fs::path& path) { return sys::read_text_file(path.string()).value_or(""); }

const boost::json::object& vectors() {
    static const boost::json::object kVectors = [] {
        const auto text = read_text(fs::path(WP_SOURCE_DIR) / "libs/wp/chain/testdata/hub_vectors.json");
        boost::system::error_code ec;
        auto v = boost::json::parse(text, ec);
        if (ec || !v.is_object()) return boost::json::object{};
        return v.as_object().at("vectors").as_object();
    }();
    return kVectors;
}

Bytes vec(std::string_view key) {
    const auto* v = vectors().if_contains(key);
    if (v == nullptr || !v->is_string()) {
        ADD_FAILURE() << "missing vector " << key;
        return {};
    }
    return from_hex(std::string_view(v->get_string())).value();
}

Address addr(std::string_view s) { return Address::parse(s).value(); }
Bytes32 b32(std::string_view s) { return bytes32_from_hex(s).value(); }
Bytes hex(std::string_view s) { return from_hex(s).value(); }

// ---- ABI table vs the package ------------------------------------------------------------------------------

//! The human-readable ABI file <contract>.json anywhere under abis/human-readable-abis.
std::optional<fs::path> find_abi_file(const fs::path& root, std::string_view contract) {
    const std::string file = std::string(contract) + ".json";
    std::optional<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.is_regular_file() && entry.path().filename() == file) {
            if (found) return std::nullopt;  // ambiguous
            found = entry.path();
        }
    }
    return found;
}

//! canonical() → canonical output types, for every function line of an ABI file.
std::map<std::string, std::string> package_functions(const fs::path& file) {
    std::map<std::string, std::string> out;
    boost::system::error_code ec;
    auto json = boost::json::parse(read_text(file), ec);
    if (ec || !json.is_array()) return out;
    for (const auto& line : json.as_array()) {
        const auto* s = line.if_string();
        if (s == nullptr || !s->starts_with("function ")) continue;
        auto sig = parse_abi_signature(std::string_view(*s));
        if (!sig) {
            ADD_FAILURE() << "cannot parse package line " << *s << ": " << sig.error().message;
            continue;
        }
        std::string outputs;
        for (const auto& o : sig->outputs) outputs += o.canonical() + ",";
        out[sig->canonical()] = outputs;
    }
    return out;
}

TEST(HubAbi, EveryFunctionExistsInThePackageAbiWithTheSameOutputs) {
    const fs::path root = fs::path(WP_POCO_DIR) / "abis" / "human-readable-abis";
    ASSERT_TRUE(fs::is_directory(root)) << root
                                        << " is missing: the @iexec/poco@6.1.0 package is needed (WP_POCO_DIR; run "
                                           "scripts/install-deps.sh, then re-run cmake)";
    std::map<std::string, std::map<std::string, std::string>> cache;
    std::size_t checked = 0;
    for (const auto& f : hub_function_table()) {
        auto& functions = cache[std::string(f.contract)];
        if (functions.empty()) {
            auto file = find_abi_file(root, f.contract);
            ASSERT_TRUE(file) << "no unique " << f.contract << ".json under " << root;
            functions = package_functions(*file);
            ASSERT_FALSE(functions.empty()) << *file;
        }
        const auto canonical = f.signature.canonical();
        auto it = functions.find(canonical);
        ASSERT_NE(it, functions.end()) << canonical << " is not in " << f.contract << ".json";
        std::string outputs;
        for (const auto& o : f.signature.outputs) outputs += o.canonical() + ",";
        EXPECT_EQ(outputs, it->second) << canonical << " outputs";
        ++checked;
    }
    EXPECT_EQ(checked, static_cast<std::size_t>(HubFn::kCount_));
}

TEST(HubAbi, SelectorsEqualProtocolReference) {
    // protocol.md §11.1–§11.6 and §8.4 (selectors recomputed there from the package ABIs).
    const std::map<HubFn, std::string_view> expected = {
        {HubFn::kViewDeal, "0xb74861b2"},
        {HubFn::kViewTask, "0xadccf0d5"},
        {HubFn::kViewContribution, "0xe741363b"},
        {HubFn::kViewScore, "0xdb230b52"},
        {HubFn::kViewAccount, "0x6b55f4a5"},
        {HubFn::kViewCategory, "0x4f5f44ec"},
        {HubFn::kCountCategory, "0xc140996f"},
        {HubFn::kViewConsumed, "0x4b2bec8c"},
        {HubFn::kViewPresigned, "0xd286eb16"},
        {HubFn::kViewApp, "0xe1523fb4"},
        {HubFn::kViewDataset, "0x1e143ef7"},
        {HubFn::kViewWorkerpool, "0xbd8ab058"},
        {HubFn::kResultFor, "0xd09cc57e"},
        {HubFn::kVerifySignature, "0x01751998"},
        {HubFn::kVerifyPresignature, "0xc87b582a"},
        {HubFn::kVerifyPresignatureOrSignature, "0xbf36994e"},
        {HubFn::kComputeDealVolume, "0x66517ca6"},
        {HubFn::kDomain, "0xc2fb26a6"},
        {HubFn::kEip712DomainSeparator, "0x9910fd72"},
        {HubFn::kBalanceOf, "0x70a08231"},
        {HubFn::kFrozenOf, "0x1bf6e00d"},
        {HubFn::kTotalSupply, "0x18160ddd"},
        {HubFn::kAllowance, "0xdd62ed3e"},
        {HubFn::kName, "0x06fdde03"},
        {HubFn::kSymbol, "0x95d89b41"},
        {HubFn::kDecimals, "0x313ce567"},
        {HubFn::kToken, "0xfc0c546a"},
        {HubFn::kTeeBroker, "0x5975b8fc"},
        {HubFn::kCallbackGas, "0xe63ec07d"},
        {HubFn::kAppRegistry, "0x45b637a9"},
        {HubFn::kDatasetRegistry, "0xb1b11d2c"},
        {HubFn::kWorkerpoolRegistry, "0x90a0f546"},
        {HubFn::kOwner, "0x8da5cb5b"},
        {HubFn::kContributionDeadlineRatio, "0x74ed5244"},
        {HubFn::kRevealDeadlineRatio, "0x2b8857c1"},
        {HubFn::kFinalDeadlineRatio, "0xdb8aaa26"},
        {HubFn::kWorkerpoolStakeRatio, "0x6112f6fd"},
        {HubFn::kKittyRatio, "0xdcb03241"},
        {HubFn::kKittyMin, "0x77a99692"},
        {HubFn::kKittyAddress, "0xa47e7f80"},
        {HubFn::kGroupMemberPurpose, "0x25eacba8"},
        {HubFn::kDeposit, "0xb6b55f25"},
        {HubFn::kDepositFor, "0x36efd16f"},
        {HubFn::kWithdraw, "0x2e1a7d4d"},
        {HubFn::kWithdrawTo, "0xc86283c8"},
        {HubFn::kCreateCategory, "0x298503d9"},
        {HubFn::kSetTeeBroker, "0xaefb52b4"},
        {HubFn::kSetCallbackGas, "0x01d09a3c"},
        {HubFn::kMatchOrders, "0x156194d4"},
        {HubFn::kSponsorMatchOrders, "0x2f391533"},
        {HubFn::kManageAppOrder, "0xb2b07e66"},
        {HubFn::kManageDatasetOrder, "0x4b747106"},
        {HubFn::kManageWorkerpoolOrder, "0x7e34a077"},
        {HubFn::kManageRequestOrder, "0x8dd971d5"},
        {HubFn::kInitialize, "0x5b36c66b"},
        {HubFn::kInitializeArray, "0xb504681d"},
        {HubFn::kContribute, "0x34623484"},
        {HubFn::kContributeAndFinalize, "0x5facd761"},
        {HubFn::kReveal, "0xfc334e8c"},
        {HubFn::kReopen, "0xf6c68e10"},
        {HubFn::kFinalize, "0x8fc375e5"},
        {HubFn::kClaim, "0xbd66528a"},
        {HubFn::kClaimArray, "0xfa055d7e"},
        {HubFn::kInitializeAndClaimArray, "0xf722cb32"},
        {HubFn::kRlcBalanceOf, "0x70a08231"},
        {HubFn::kRlcTransfer, "0xa9059cbb"},
        {HubFn::kRlcApprove, "0x095ea7b3"},
        {HubFn::kRlcApproveAndCall, "0xcae9ca51"},
        {HubFn::kRegistryIsRegistered, "0xc3c5a547"},
        {HubFn::kRegistryBalanceOf, "0x70a08231"},
        {HubFn::kRegistryOwnerOf, "0x6352211e"},
        {HubFn::kRegistryTokenOfOwnerByIndex, "0x2f745c59"},
        {HubFn::kCreateApp, "0x3f7868ff"},
        {HubFn::kPredictApp, "0xe92118ed"},
        {HubFn::kCreateDataset, "0x3354bcdb"},
        {HubFn::kPredictDataset, "0xfe17fc7a"},
        {HubFn::kCreateWorkerpool, "0xe40238f4"},
        {HubFn::kPredictWorkerpool, "0x064a6c2a"},
        {HubFn::kEntryOwner, "0x8da5cb5b"},
        {HubFn::kAppName, "0x358982a3"},
        {HubFn::kAppType, "0xf8c2ceb3"},
        {HubFn::kAppMultiaddr, "0x39e75d45"},
        {HubFn::kAppChecksum, "0x84aaf12e"},
        {HubFn::kAppMREnclave, "0xe30d26a8"},
        {HubFn::kDatasetName, "0x0847c431"},
        {HubFn::kDatasetMultiaddr, "0xa61ca6c5"},
        {HubFn::kDatasetChecksum, "0x1ba99d7e"},
        {HubFn::kWorkerpoolDescription, "0x584feb3a"},
        {HubFn::kWorkerStakeRatioPolicy, "0xb55e75af"},
        {HubFn::kSchedulerRewardRatioPolicy, "0x87639c68"},
        {HubFn::kChangePolicy, "0xf199413c"},
    };
    for (const auto& [fn, selector] : expected) {
        EXPECT_EQ(to_hex(hub_signature(fn).selector()), selector) << hub_signature(fn).canonical();
    }
    // The only table entries protocol.md does not list with a selector: RLC allowance / totalSupply (standard
    // ERC-20, checked against the package above and against the hub's own ERC-20 selectors here).
    EXPECT_EQ(hub_signature(HubFn::kRlcAllowance).selector(), hub_signature(HubFn::kAllowance).selector());
    EXPECT_EQ(hub_signature(HubFn::kRlcTotalSupply).selector(), hub_signature(HubFn::kTotalSupply).selector());
    EXPECT_EQ(expected.size() + 2, static_cast<std::size_t>(HubFn::kCount_));
}

TEST(HubAbi, TableIsInEnumOrderAndParsedOnce) {
    auto table = hub_function_table();
    ASSERT_EQ(table.size(), static_cast<std::size_t>(HubFn::kCount_));
    for (std::size_t i = 0; i < table.size(); ++i) {
        EXPECT_EQ(static_cast<std::size_t>(table[i].fn), i);
        EXPECT_FALSE(table[i].signature.name.empty()) << table[i].text;
    }
    EXPECT_EQ(&hub_signature(HubFn::kViewDeal), &hub_function_table()[0].signature);
}

// ---- calldata vs ethers ----------------------------------------------------------------------------------------

const Address kHub = addr("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707");
const Address kRlc = addr("0x5FbDB2315678afecb367f032d93F642f64180aa3");
const Address kAppRegistry = addr("0x67d269191c92Caf3cD7723F116c85e6E9bf55933");

//! A client for a port where nothing listens: builders and decoders never touch it.
JsonRpcOptions offline_options() {
    JsonRpcOptions options;
    options.url = "http://127.0.0.1:1";
    options.timeout = std::chrono::milliseconds(500);
    options.retry.max_attempts = 1;
    return options;
}

struct Offline {
    JsonRpcClient rpc{offline_options()};
    EthClient eth{rpc};
    Hub hub{eth, PocoAddresses{kHub, kRlc, kAppRegistry, addr("0x84eA74d481Ee0A5332c457a4d796187F6Ba67fEB"),
                               addr("0x1613beB3B2C4f22Ee086B2b38C1476A3cE7f78E8")}};
};

// vectors.json orders anvil-app, anvil-workerpool, anvil-request with their anvil-31337 signatures.
AppOrder vector_app() {
    AppOrder o;
    o.app = addr("0x1111111111111111111111111111111111111111");
    o.appprice = U256(5);
    o.volume = U256(1);
    o.tag = b32("0x0000000000000000000000000000000000000000000000000000000000000009");
    o.salt = b32("0x0000000000000000000000000000000000000000000000000000000000000001");
    o.sign = hex(
        "0xfe3eb626e7aad80d68d49718e769c6135c2284d5700f7cb066c3e15bf0dcbaf15e82aa680fdd1f5830ccdc07bb95ca1c5a8f6621ed39"
        "d2989456bee264298ab11b");
    return o;
}

WorkerpoolOrder vector_workerpool() {
    WorkerpoolOrder o;
    o.workerpool = addr("0x2222222222222222222222222222222222222222");
    o.workerpoolprice = U256(10);
    o.volume = U256(1);
    o.tag = b32("0x0000000000000000000000000000000000000000000000000000000000000009");
    o.category = U256(0);
    o.trust = U256(1);
    o.salt = b32("0x0000000000000000000000000000000000000000000000000000000000000002");
    o.sign = hex(
        "0xff85f16206fe3009c663ae813ec3fa7f6b5a8bb082cccaf540bbec3306c204b53c4c092fed72c33990a715e55ae0e78c4e4ba7557718"
        "fc806f0f9406567400cd1c");
    return o;
}

RequestOrder vector_request() {
    RequestOrder o;
    o.app = addr("0x1111111111111111111111111111111111111111");
    o.appmaxprice = U256(5);
    o.workerpool = addr("0x2222222222222222222222222222222222222222");
    o.workerpoolmaxprice = U256(10);
    o.requester = addr("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
    o.volume = U256(1);
    o.tag = b32("0x0000000000000000000000000000000000000000000000000000000000000009");
    o.trust = U256(1);
    o.beneficiary = addr("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
    o.params = R"({"iexec_args":"hello"})";
    o.salt = b32("0x0000000000000000000000000000000000000000000000000000000000000003");
    o.sign = hex(
        "0x689f01d6f42346c6bc308110e3450fe6fa5f123650a9cbb35ab926f848d4ed007435d386cdf19f4a02ca9557f6c8416274d9978c9f6d"
        "1b89d5624d9027f3f1251b");
    return o;
}

TEST(HubCalldata, MatchOrdersEqualsEthers) {
    Offline o;
    auto call = o.hub.match_orders(vector_app(), DatasetOrder{}, vector_workerpool(), vector_request());
    ASSERT_TRUE(call) << call.error().message;
    EXPECT_EQ(call->to, kHub);
    EXPECT_EQ(call->description, "matchOrders");
    EXPECT_TRUE(call->value.is_zero());
    EXPECT_EQ(to_hex(call->data), to_hex(vec("matchOrders")));
    // The sponsored form differs only in the selector.
    auto sponsored = o.hub.sponsor_match_orders(vector_app(), DatasetOrder{}, vector_workerpool(), vector_request());
    ASSERT_TRUE(sponsored);
    EXPECT_EQ(to_hex(ByteView(sponsored->data).subspan(0, 4)), "0x2f391533");
    EXPECT_EQ(to_hex(ByteView(sponsored->data).subspan(4)), to_hex(ByteView(call->data).subspan(4)));
}

TEST(HubCalldata, ManageWorkerpoolOrderEqualsEthers) {
    Offline o;
    auto call = o.hub.manage_workerpool_order(vector_workerpool(), OrderOperation::kClose, hex("0xabcdef"));
    ASSERT_TRUE(call) << call.error().message;
    EXPECT_EQ(to_hex(call->data), to_hex(vec("manageWorkerpoolOrder")));
    auto generic = o.hub.manage_order(Order(vector_workerpool()), OrderOperation::kClose, hex("0xabcdef"));
    ASSERT_TRUE(generic);
    EXPECT_EQ(generic->data, call->data);
    EXPECT_EQ(generic->description, "manageWorkerpoolOrder");
}

TEST(HubCalldata, ContributeCreateAppApproveAndCallInitializeArrayEqualEthers) {
    Offline o;
    // vectors.json results / workerpoolAuthorizations (anvil-31337).
    auto contribute = o.hub.contribute(
        b32("0xf27d5702c383de9c347cb22339aeba0fc820c438fff6c7db142c985e76104d7c"),
        b32("0x7fbc4f218ae7bf42fd1cd6d45de6363153e9286325d8543ba59b57f457cd71a6"),
        b32("0x4740c17b26210205ec88288f1981d6691d7af6b10971c68e4f34e85d6498de25"), Address{}, {},
        hex("0x048fb42183cdb6dbbcc86f6ca163f52910aa1bc2b484b39dfbb06965ea42bc423a9b0a908d5b43b149f43b03"
            "fc0740219abcfe81504ae68845c18f9443d6b25c1c"));
    ASSERT_TRUE(contribute);
    EXPECT_EQ(to_hex(contribute->data), to_hex(vec("contribute")));

    AppParams app;
    app.owner = addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    app.name = "my-app";
    app.multiaddr = Bytes(as_bytes("docker.io/me/app:1").begin(), as_bytes("docker.io/me/app:1").end());
    app.checksum = b32("0xabababababababababababababababababababababababababababababababab");
    auto create = o.hub.create_app(app);
    ASSERT_TRUE(create);
    EXPECT_EQ(create->to, kAppRegistry);
    EXPECT_EQ(to_hex(create->data), to_hex(vec("createApp")));

    auto deposit = o.hub.deposit_with_approve_and_call(U256(1000));
    ASSERT_TRUE(deposit);
    EXPECT_EQ(deposit->to, kRlc);
    EXPECT_EQ(deposit->description, "approveAndCall");
    EXPECT_EQ(to_hex(deposit->data), to_hex(vec("approveAndCall")));

    const std::vector<Bytes32> deals = {Bytes32{},
                                        b32("0x1111111111111111111111111111111111111111111111111111111111111111")};
    const std::vector<U256> idxs = {U256(0), U256(7)};
    auto init = o.hub.initialize_array(deals, idxs);
    ASSERT_TRUE(init);
    EXPECT_EQ(to_hex(init->data), to_hex(vec("initializeArray")));
    auto bad = o.hub.initialize_array(deals, std::span<const U256>(idxs).subspan(1));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, Errc::kInvalidArgument);
    EXPECT_EQ(bad.error().message, "initializeArray: 2 deal ids but 1 indexes");
}

TEST(HubCalldata, SimpleCallsHaveTheDocumentedWords) {
    Offline o;
    auto init = o.hub.initialize(b32("0xeadb0575415418909f62d96c71193c2f34c5b5f98c4c5852316ae8175dc8fd26"), U256(3));
    ASSERT_TRUE(init);
    EXPECT_EQ(to_hex(init->data),
              "0x5b36c66b"
              "eadb0575415418909f62d96c71193c2f34c5b5f98c4c5852316ae8175dc8fd26"
              "0000000000000000000000000000000000000000000000000000000000000003");
    auto withdraw = o.hub.withdraw(U256(15));
    ASSERT_TRUE(withdraw);
    EXPECT_EQ(withdraw->to, kHub);
    EXPECT_EQ(to_hex(withdraw->data), "0x2e1a7d4d000000000000000000000000000000000000000000000000000000000000000f");
    auto claim = o.hub.claim(b32("0xf27d5702c383de9c347cb22339aeba0fc820c438fff6c7db142c985e76104d7c"));
    ASSERT_TRUE(claim);
    EXPECT_EQ(to_hex(claim->data), "0xbd66528af27d5702c383de9c347cb22339aeba0fc820c438fff6c7db142c985e76104d7c");
    auto policy = o.hub.change_policy(addr("0x2222222222222222222222222222222222222222"), U256(40), U256(5));
    ASSERT_TRUE(policy);
    EXPECT_EQ(policy->to, addr("0x2222222222222222222222222222222222222222"));
    EXPECT_EQ(to_hex(policy->data),
              "0xf199413c"
              "0000000000000000000000000000000000000000000000000000000000000028"
              "0000000000000000000000000000000000000000000000000000000000000005");
}

TEST(HubCalldata, InvalidUtf8AndUnknownAddressesNameTheMethod) {
    Offline o;
    auto request = vector_request();
    request.params = std::string("\xff\xfe", 2);
    auto call = o.hub.match_orders(vector_app(), DatasetOrder{}, vector_workerpool(), request);
    ASSERT_FALSE(call);
    EXPECT_EQ(call.error().kind, Errc::kInvalidArgument);
    EXPECT_EQ(call.error().message.rfind("matchOrders: ", 0), 0u) << call.error().message;

    JsonRpcClient rpc(offline_options());
    EthClient eth(rpc);
    Hub bare(eth, kHub);
    auto transfer = bare.rlc_transfer(kHub, U256(1));
    ASSERT_FALSE(transfer);
    EXPECT_EQ(transfer.error().kind, Errc::kInvalidArgument);
    EXPECT_EQ(transfer.error().message.rfind("transfer: the RLC token address is unknown", 0), 0u)
        << transfer.error().message;
    auto create = bare.create_workerpool({kHub, "pool"});
    ASSERT_FALSE(create);
    EXPECT_EQ(create.error().message.rfind("createWorkerpool: the workerpool registry address is unknown", 0), 0u)
        << create.error().message;
    // Hub calls need only the hub address.
    EXPECT_TRUE(bare.deposit(U256(1)));
}

// ---- view decoding -------------------------------------------------------------------------------------------

TEST(HubDecode, DealFromEthersEncoding) {
    auto deal = decode_deal(vec("viewDeal"));
    ASSERT_TRUE(deal) << deal.error().message;
    Deal expected;
    expected.app = {addr("0x1111111111111111111111111111111111111111"),
                    addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), U256(5)};
    expected.workerpool = {addr("0x2222222222222222222222222222222222222222"),
                           addr("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"), U256(10)};
    expected.trust = U256(1);
    expected.category = U256(0);
    expected.tag = b32("0x0000000000000000000000000000000000000000000000000000000000000009");
    expected.requester = addr("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
    expected.beneficiary = expected.requester;
    expected.params = R"({"iexec_args":"hello"})";
    expected.start_time = U256(1700000000);
    expected.bot_first = U256(0);
    expected.bot_size = U256(1);
    expected.worker_stake = U256(3);
    expected.scheduler_reward_ratio = U256(1);
    expected.sponsor = expected.requester;
    EXPECT_EQ(*deal, expected);
}

TEST(HubDecode, TaskFromEthersEncoding) {
    auto task = decode_task(vec("viewTask"));
    ASSERT_TRUE(task) << task.error().message;
    EXPECT_EQ(task->status, TaskStatus::kCompleted);
    EXPECT_EQ(task->deal_id, b32("0xeadb0575415418909f62d96c71193c2f34c5b5f98c4c5852316ae8175dc8fd26"));
    EXPECT_EQ(task->idx, U256(0));
    EXPECT_EQ(task->timeref, U256(300));
    EXPECT_EQ(task->contribution_deadline, U256(1700002100));
    EXPECT_EQ(task->reveal_deadline, U256(1700000600));
    EXPECT_EQ(task->final_deadline, U256(1700003000));
    EXPECT_EQ(task->consensus_value, b32("0x7fbc4f218ae7bf42fd1cd6d45de6363153e9286325d8543ba59b57f457cd71a6"));
    EXPECT_EQ(task->reveal_counter, U256(1));
    EXPECT_EQ(task->winner_counter, U256(1));
    ASSERT_EQ(task->contributors.size(), 2u);
    EXPECT_EQ(task->contributors[0], addr("0x90F79bf6EB2c4f870365E785982E1f101E93b906"));
    EXPECT_EQ(task->contributors[1], addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"));
    EXPECT_EQ(task->result_digest, b32("0xa6f3c1f037dbf5ddbc42c5cdefef63e3aceccb3335e2b9137a4c0ec3e9328b59"));
    EXPECT_EQ(std::string(task->results.begin(), task->results.end()), "ipfs://result");
    EXPECT_TRUE(task->results_timestamp.is_zero());
    EXPECT_TRUE(task->results_callback.empty());

    auto bad = decode_task(vec("viewTaskBadStatus"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, Errc::kDecoding);
    EXPECT_EQ(bad.error().message, "viewTask: status 7 is not a TaskStatusEnum value");

    auto truncated = vec("viewTask");
    truncated.resize(truncated.size() - 32);
    auto short_data = decode_task(truncated);
    ASSERT_FALSE(short_data);
    EXPECT_EQ(short_data.error().message.rfind("viewTask: ", 0), 0u) << short_data.error().message;
}

TEST(HubDecode, SmallStructsFromEthersEncoding) {
    auto contribution = decode_contribution(vec("viewContribution"));
    ASSERT_TRUE(contribution) << contribution.error().message;
    EXPECT_EQ(*contribution, (Contribution{ContributionStatus::kProved,
                                           b32("0x7fbc4f218ae7bf42fd1cd6d45de6363153e9286325d8543ba59b57f457cd71a6"),
                                           b32("0x4740c17b26210205ec88288f1981d6691d7af6b10971c68e4f34e85d6498de25"),
                                           Address{}, U256(1)}));

    auto category = decode_category(vec("viewCategory"));
    ASSERT_TRUE(category);
    EXPECT_EQ(*category, (Category{"XS", "\"\"", U256(300)}));

    auto account = decode_account(vec("viewAccount"));
    ASSERT_TRUE(account);
    EXPECT_EQ(*account, (Account{U256(100), U256(15)}));
    // Hand-built: two words.
    auto words =
        hex("0x00000000000000000000000000000000000000000000000000000000000000070000000000000000000000000000"
            "000000000000000000000000000000000009");
    EXPECT_EQ(decode_account(words).value(), (Account{U256(7), U256(9)}));

    auto pool = decode_workerpool_info(vec("viewWorkerpool"));
    ASSERT_TRUE(pool);
    EXPECT_EQ(*pool,
              (WorkerpoolInfo{addr("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"), "my pool", U256(30), U256(1)}));

    auto app = decode_app_info(vec("viewApp"));
    ASSERT_TRUE(app);
    EXPECT_EQ(*app, (AppInfo{addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), "my-app", "DOCKER", hex("0x0102"),
                             b32("0xabababababababababababababababababababababababababababababababab"), Bytes{}}));

    auto dataset = decode_dataset_info(vec("viewDataset"));
    ASSERT_TRUE(dataset);
    EXPECT_EQ(*dataset, (DatasetInfo{addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), "my-data", hex("0x0304"),
                                     b32("0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd")}));

    auto domain = decode_outputs(HubFn::kDomain, vec("domain"));
    ASSERT_TRUE(domain);
    ASSERT_EQ(domain->size(), 1u);
    const auto& fields = *(*domain)[0].as_list();
    EXPECT_EQ(*fields[0].as_string(), "iExecODB");
    EXPECT_EQ(*fields[2].as_uint(), U256(31337));
}

TEST(HubDecode, PaddingErrorsAreReported) {
    // A bool word of 2 (ethers rejects it too).
    auto bad_bool = decode_outputs(HubFn::kRegistryIsRegistered,
                                   hex("0x0000000000000000000000000000000000000000000000000000000000000002"));
    ASSERT_FALSE(bad_bool);
    EXPECT_EQ(bad_bool.error().kind, Errc::kDecoding);
    EXPECT_EQ(bad_bool.error().message.rfind("isRegistered: ", 0), 0u) << bad_bool.error().message;
    // An address with dirty high bytes.
    auto bad_address = decode_outputs(HubFn::kViewPresigned,
                                      hex("0x0100000000000000000000001111111111111111111111111111111111111111"));
    ASSERT_FALSE(bad_address);
}

// ---- revert classification --------------------------------------------------------------------------------------

TEST(HubError, RevertWithReasonString) {
    RpcError rpc;
    rpc.kind = Errc::kRemote;
    rpc.code = 3;
    rpc.rpc_message = "execution reverted: iExecV5-matchOrders-0x60";
    rpc.message = "eth_call: JSON-RPC error 3: execution reverted: iExecV5-matchOrders-0x60";
    // ethers 6 Interface.encodeErrorResult("Error", ["iExecV5-matchOrders-0x60"]).
    rpc.data = boost::json::value(
        "0x08c379a0"
        "0000000000000000000000000000000000000000000000000000000000000020"
        "0000000000000000000000000000000000000000000000000000000000000018"
        "694578656356352d6d617463684f72646572732d307836300000000000000000");
    auto e = hub_error_from_rpc("matchOrders", rpc);
    ASSERT_TRUE(e.reverted());
    EXPECT_EQ(e.kind, Errc::kRemote);
    EXPECT_EQ(e.revert_reason(), "iExecV5-matchOrders-0x60");
    EXPECT_EQ(e.message, "matchOrders: reverted: iExecV5-matchOrders-0x60");
    Error as_error = e;
    EXPECT_EQ(as_error.message, e.message);
}

TEST(HubError, RevertWithoutDataAndTransportErrors) {
    RpcError empty;
    empty.kind = Errc::kRemote;
    empty.code = 3;
    empty.rpc_message = "execution reverted";
    empty.message = "eth_call: JSON-RPC error 3: execution reverted";
    auto e = hub_error_from_rpc("contribute", empty);
    ASSERT_TRUE(e.reverted());
    EXPECT_EQ(e.revert->kind, DecodedRevert::Kind::kEmpty);
    EXPECT_EQ(e.revert_reason(), "");
    EXPECT_EQ(e.message, "contribute: reverted without data");

    RpcError network;
    network.kind = Errc::kNetwork;
    network.message = "eth_call: connection refused";
    auto n = hub_error_from_rpc("viewDeal", network);
    EXPECT_FALSE(n.reverted());
    EXPECT_EQ(n.kind, Errc::kNetwork);
    EXPECT_EQ(n.message, "viewDeal: eth_call: connection refused");

    RpcError other;
    other.kind = Errc::kRemote;
    other.code = -32602;
    other.rpc_message = "invalid params";
    other.message = "eth_call: JSON-RPC error -32602: invalid params";
    EXPECT_FALSE(hub_error_from_rpc("viewDeal", other).reverted());
}

TEST(HubError, OfflineViewNamesTheMethod) {
    JsonRpcClient rpc(offline_options());
    EthClient eth(rpc);
    Hub hub(eth, kHub);
    auto deal = hub.view_deal(Bytes32{});
    ASSERT_FALSE(deal);
    EXPECT_FALSE(deal.error().reverted());
    EXPECT_EQ(deal.error().message.rfind("viewDeal: ", 0), 0u) << deal.error().message;
}

}  // namespace
}  // namespace wp::chain
