#include "poco_plan.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>

#include "poco_test_support.hpp"

namespace wp {
namespace {

namespace json = boost::json;

const Address kAnvil0 = Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").value();

Address addr(std::string_view s) { return Address::parse(s).value(); }

json::value read_json(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return json::parse(text);
}

std::vector<std::string> sel_strings(const std::vector<AbiSelector>& v) {
    std::vector<std::string> out;
    for (const auto& s : v) out.push_back(to_hex(s.view()));
    return out;
}

// ---- contract_address ---------------------------------------------------------------------------------------

TEST(ContractAddress, AnvilDeploymentOfVectorsJson) {
    const json::value v = read_json(std::filesystem::path(WP_SHARED_DIR) / "reference" / "vectors.json");
    const auto& contracts = v.at("anvilDeployment").at("contracts").as_array();
    ASSERT_EQ(contracts.size(), 10U);
    for (const auto& c : contracts) {
        const std::uint64_t nonce = std::stoull(std::string(c.at("deployerNonce").as_string()));
        EXPECT_EQ(contract_address(kAnvil0, nonce).to_checksum(), std::string(c.at("address").as_string()))
            << c.at("name").as_string();
    }
}

TEST(ContractAddress, FacetsOfLocalChainDoc) {
    for (const auto& f : test::expected_facets())
        EXPECT_EQ(contract_address(kAnvil0, f.nonce).to_checksum(), f.address) << f.name;
}

TEST(ContractAddress, RlpNonceEncodingBoundaries) {
    // ethers 6.17 getCreateAddress({from: anvil #0, nonce}).
    const std::vector<std::pair<std::uint64_t, std::string_view>> cases = {
        {127, "0x5fc748f1FEb28d7b76fa1c6B07D8ba2d5535177c"},
        {128, "0xB82008565FdC7e44609fA118A4a681E92581e680"},
        {255, "0x01E21d7B8c39dc4C764c19b308Bd8b14B1ba139E"},
        {256, "0x3C1Cb427D20F15563aDa8C249E71db76d7183B6c"},
        {65535, "0x1626b7c91537353934A46f14b2992CEc1c3a26B4"},
        {65536, "0x8b73289dC76eeFAC19923eEab5C59314AA981d01"},
        {4294967295U, "0xa529c8b3754482e4c8f3ab1AFb8835CC98e281FA"},
        {4294967296U, "0xF601E625b5A95B8f9134C58D832D99824cb1d771"},
        {18446744073709551615U, "0x350ef3784Ec5fA5437ec3D67B57057bA6B9B0E86"},
    };
    for (const auto& [nonce, expected] : cases) EXPECT_EQ(contract_address(kAnvil0, nonce).to_checksum(), expected);
    // The classic example (Ethereum StackExchange "How is the address of an Ethereum contract computed?").
    const Address d = addr("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
    EXPECT_EQ(contract_address(d, 0).to_lower_hex(), "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d");
    EXPECT_EQ(contract_address(d, 1).to_lower_hex(), "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8");
    EXPECT_EQ(contract_address(d, 2).to_lower_hex(), "0xf778b86fa74e846c4f0a1fbd1335fe81c00a0c91");
    EXPECT_EQ(contract_address(d, 3).to_lower_hex(), "0xfffd933a0bc612844eaf0c6fe3e5b8e9b6c1d19c");
}

TEST(RegistryBaseUri, Format) {
    EXPECT_EQ(registry_base_uri("app", 31337), "https://nfts-metadata.iex.ec/app/31337/");
    EXPECT_EQ(registry_base_uri("workerpool", 421614), "https://nfts-metadata.iex.ec/workerpool/421614/");
}

// ---- the plan on the real artifacts --------------------------------------------------------------------------

class PocoPlanTest : public ::testing::Test {
  protected:
    void SetUp() override {
        artifacts_ = test::poco_artifacts_or_fail();
        ASSERT_NE(artifacts_, nullptr);
        static const Result<PocoPlan> plan = plan_poco_deployment(*artifacts_, PocoPlanOptions{kAnvil0, 31337, 0});
        ASSERT_TRUE(plan) << plan.error().message;
        plan_ = &*plan;
    }
    const PocoArtifacts* artifacts_{nullptr};
    const PocoPlan* plan_{nullptr};
};

TEST_F(PocoPlanTest, FortyFourTransactionsWithConsecutiveNonces) {
    const auto& txs = plan_->transactions;
    ASSERT_EQ(txs.size(), 44U);
    std::size_t creations = 0;
    for (std::size_t i = 0; i < txs.size(); ++i) {
        EXPECT_EQ(txs[i].nonce, i);
        EXPECT_NE(txs[i].to.has_value(), txs[i].created.has_value()) << i;
        if (txs[i].created) {
            ++creations;
            EXPECT_EQ(*txs[i].created, contract_address(kAnvil0, i));
        }
        EXPECT_FALSE(txs[i].data.empty()) << i;
        EXPECT_FALSE(txs[i].description.empty()) << i;
    }
    // RLC, DiamondInit, 3 diamond facets, Diamond, library, 11 facets, 3 registries.
    EXPECT_EQ(creations, 21U);
}

TEST_F(PocoPlanTest, AddressesOfLocalChainDoc) {
    EXPECT_EQ(plan_->rlc.to_checksum(), "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    EXPECT_EQ(plan_->diamond_init.to_checksum(), "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512");
    EXPECT_EQ(plan_->hub.to_checksum(), "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707");
    EXPECT_EQ(plan_->lib_orders.to_checksum(), "0x0165878A594ca255338adfa4d48449f69242Eb8F");
    EXPECT_EQ(plan_->app_registry.to_checksum(), "0x67d269191c92Caf3cD7723F116c85e6E9bf55933");
    EXPECT_EQ(plan_->dataset_registry.to_checksum(), "0x84eA74d481Ee0A5332c457a4d796187F6Ba67fEB");
    EXPECT_EQ(plan_->workerpool_registry.to_checksum(), "0x1613beB3B2C4f22Ee086B2b38C1476A3cE7f78E8");
    EXPECT_EQ(*plan_->transactions[29].created, plan_->app_registry);
    EXPECT_EQ(*plan_->transactions[32].created, plan_->dataset_registry);
    EXPECT_EQ(*plan_->transactions[35].created, plan_->workerpool_registry);
}

TEST_F(PocoPlanTest, FacetsSelectorsAndLinking) {
    const auto& expected = test::expected_facets();
    ASSERT_EQ(plan_->facets.size(), 14U);
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& f = plan_->facets[i];
        EXPECT_EQ(f.name, expected[i].name);
        EXPECT_EQ(f.address.to_checksum(), expected[i].address) << f.name;
        EXPECT_EQ(f.link_occurrences, expected[i].link_occurrences) << f.name;
        auto got = sel_strings(f.selectors);
        std::vector<std::string> want(expected[i].selectors.begin(), expected[i].selectors.end());
        if (i >= 3) {  // the PoCo tables are sets; the diamond facets' order is checked against Diamond.json below
            std::sort(got.begin(), got.end());
            std::sort(want.begin(), want.end());
        }
        EXPECT_EQ(got, want) << f.name;
        // The deployed code of a link facet holds the library address at every link reference.
        const auto& tx = plan_->transactions[expected[i].nonce];
        ASSERT_EQ(*tx.created, f.address);
        EXPECT_EQ(tx.description, "deploy " + f.name);
        const ContractArtifact* artifact = nullptr;
        for (const auto& a : artifacts_->facets)
            if (a.name == f.name) artifact = &a;
        if (artifact == nullptr) continue;
        std::size_t patched = 0;
        for (const auto& ref : artifact->link_references) {
            ASSERT_LE(ref.start + 20, tx.data.size());
            EXPECT_TRUE(std::equal(plan_->lib_orders.bytes().begin(), plan_->lib_orders.bytes().end(),
                                   tx.data.begin() + static_cast<std::ptrdiff_t>(ref.start)));
            ++patched;
        }
        EXPECT_EQ(patched, expected[i].link_occurrences);
    }
    EXPECT_EQ(plan_->selector_count(), 98U);
}

TEST_F(PocoPlanTest, CreationCodesAreTheArtifacts) {
    const auto& txs = plan_->transactions;
    EXPECT_EQ(txs[0].data, artifacts_->rlc.creation_code().value());
    EXPECT_EQ(txs[1].data, artifacts_->diamond_init.creation_code().value());
    EXPECT_EQ(txs[6].data, artifacts_->lib_orders.creation_code().value());
    EXPECT_EQ(txs[29].data, artifacts_->app_registry.creation_code().value());
    EXPECT_EQ(txs[32].data, artifacts_->dataset_registry.creation_code().value());
    EXPECT_EQ(txs[35].data, artifacts_->workerpool_registry.creation_code().value());
}

TEST_F(PocoPlanTest, DiamondConstructorArguments) {
    const Bytes code = artifacts_->diamond.creation_code().value();
    const auto& tx = plan_->transactions[5];
    ASSERT_GT(tx.data.size(), code.size());
    ASSERT_TRUE(std::equal(code.begin(), code.end(), tx.data.begin()));
    const ByteView args(tx.data.data() + code.size(), tx.data.size() - code.size());
    const auto types = parse_abi_type_list("(address,uint8,bytes4[])[], (address,address,bytes)").value();
    auto decoded = abi_decode(types, args);
    ASSERT_TRUE(decoded) << decoded.error().message;
    const auto& cuts = *(*decoded)[0].as_list();
    ASSERT_EQ(cuts.size(), 3U);

    // The live Arbitrum Sepolia deployment recorded the same cut (other addresses): compare action and selectors.
    const json::value recorded =
        read_json(artifacts_->package_dir / "deployments" / "arbitrumSepolia" / "Diamond.json").at("args");
    const auto& recorded_cuts = recorded.at(0).as_array();
    ASSERT_EQ(recorded_cuts.size(), 3U);
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& cut = *cuts[i].as_list();
        EXPECT_EQ(*cut[0].as_address(), plan_->facets[i].address);
        EXPECT_EQ(*cut[1].as_uint(), U256(0));
        std::vector<std::string> sels;
        for (const auto& s : *cut[2].as_list()) sels.push_back(to_hex(s.as_fixed_bytes()->bytes));
        std::vector<std::string> rec;
        for (const auto& s : recorded_cuts[i].at("functionSelectors").as_array()) rec.emplace_back(s.as_string());
        EXPECT_EQ(sels, rec) << i;
        EXPECT_EQ(recorded_cuts[i].at("action").as_int64(), 0);
    }
    const auto& diamond_args = *(*decoded)[1].as_list();
    EXPECT_EQ(*diamond_args[0].as_address(), kAnvil0);
    EXPECT_EQ(*diamond_args[1].as_address(), plan_->diamond_init);
    EXPECT_EQ(to_hex(*diamond_args[2].as_bytes()), "0xe1c7392a");
    EXPECT_EQ(std::string(recorded.at(1).at("initCalldata").as_string()), "0xe1c7392a");
}

TEST_F(PocoPlanTest, DiamondCutCalls) {
    const auto sig = parse_abi_signature("diamondCut((address,uint8,bytes4[])[],address,bytes)").value();
    EXPECT_EQ(to_hex(sig.selector().view()), "0x1f931c1c");
    for (std::size_t k = 1; k <= 11; ++k) {
        const auto& tx = plan_->transactions[6 + 2 * k];
        const auto& facet = plan_->facets[2 + k];
        ASSERT_EQ(tx.to, plan_->hub);
        EXPECT_EQ(tx.description,
                  "diamondCut " + facet.name + " (" + std::to_string(facet.selectors.size()) + " selectors)");
        auto args = abi_decode_call(sig, tx.data);
        ASSERT_TRUE(args) << args.error().message;
        const auto& cuts = *(*args)[0].as_list();
        ASSERT_EQ(cuts.size(), 1U);
        const auto& cut = *cuts[0].as_list();
        EXPECT_EQ(*cut[0].as_address(), facet.address);
        EXPECT_EQ(*cut[1].as_uint(), U256(0));
        std::vector<std::string> sels;
        for (const auto& s : *cut[2].as_list()) sels.push_back(to_hex(s.as_fixed_bytes()->bytes));
        EXPECT_EQ(sels, sel_strings(facet.selectors));
        EXPECT_TRUE((*args)[1].as_address()->is_zero());
        EXPECT_TRUE((*args)[2].as_bytes()->empty());
    }
}

TEST_F(PocoPlanTest, RegistrySetup) {
    const std::array<std::pair<std::size_t, std::string_view>, 3> regs = {
        {{29, "app"}, {32, "dataset"}, {35, "workerpool"}}};
    for (const auto& [n, kind] : regs) {
        const Address reg = *plan_->transactions[n].created;
        const auto& init = plan_->transactions[n + 1];
        const auto& uri = plan_->transactions[n + 2];
        EXPECT_EQ(init.to, reg);
        EXPECT_EQ(uri.to, reg);
        // initialize(address) 0xc4d66de8 with 0x0.
        EXPECT_EQ(to_hex(init.data), "0xc4d66de8" + std::string(64, '0'));
        const auto sig = parse_abi_signature("setBaseURI(string)").value();
        EXPECT_EQ(to_hex(sig.selector().view()), "0x55f804b3");
        auto args = abi_decode_call(sig, uri.data);
        ASSERT_TRUE(args) << args.error().message;
        EXPECT_EQ(*(*args)[0].as_string(), "https://nfts-metadata.iex.ec/" + std::string(kind) + "/31337/");
    }
}

TEST_F(PocoPlanTest, ConfigureAndCategories) {
    const auto& configure = plan_->transactions[38];
    EXPECT_EQ(configure.to, plan_->hub);
    const auto sig =
        parse_abi_signature("configure(address,string,string,uint8,address,address,address,address)").value();
    EXPECT_EQ(to_hex(sig.selector().view()), "0xb5521817");
    auto args = abi_decode_call(sig, configure.data);
    ASSERT_TRUE(args) << args.error().message;
    EXPECT_EQ(*(*args)[0].as_address(), plan_->rlc);
    EXPECT_EQ(*(*args)[1].as_string(), "Staked RLC");
    EXPECT_EQ(*(*args)[2].as_string(), "SRLC");
    EXPECT_EQ(*(*args)[3].as_uint(), U256(9));
    EXPECT_EQ(*(*args)[4].as_address(), plan_->app_registry);
    EXPECT_EQ(*(*args)[5].as_address(), plan_->dataset_registry);
    EXPECT_EQ(*(*args)[6].as_address(), plan_->workerpool_registry);
    EXPECT_TRUE((*args)[7].as_address()->is_zero());

    const auto cat = parse_abi_signature("createCategory(string,string,uint256)").value();
    EXPECT_EQ(to_hex(cat.selector().view()), "0x298503d9");
    const std::array<std::pair<std::string_view, std::uint64_t>, 5> expected = {
        {{"XS", 300}, {"S", 1200}, {"M", 3600}, {"L", 10800}, {"XL", 36000}}};
    for (std::size_t i = 0; i < 5; ++i) {
        const auto& tx = plan_->transactions[39 + i];
        EXPECT_EQ(tx.to, plan_->hub);
        auto a = abi_decode_call(cat, tx.data);
        ASSERT_TRUE(a) << a.error().message;
        EXPECT_EQ(*(*a)[0].as_string(), expected[i].first);
        EXPECT_EQ(*(*a)[1].as_string(), "\"\"");
        EXPECT_EQ((*a)[1].as_string()->size(), 2U);
        EXPECT_EQ(*(*a)[2].as_uint(), U256(expected[i].second));
    }
    // The exact bytes of createCategory("XS", "\"\"", 300) (ethers 6 Interface.encodeFunctionData).
    EXPECT_EQ(to_hex(plan_->transactions[39].data),
              "0x298503d9"
              "0000000000000000000000000000000000000000000000000000000000000060"
              "00000000000000000000000000000000000000000000000000000000000000a0"
              "000000000000000000000000000000000000000000000000000000000000012c"
              "0000000000000000000000000000000000000000000000000000000000000002"
              "5853000000000000000000000000000000000000000000000000000000000000"
              "0000000000000000000000000000000000000000000000000000000000000002"
              "2222000000000000000000000000000000000000000000000000000000000000");
}

TEST_F(PocoPlanTest, OtherDeployerAndNonceShiftEverything) {
    const Address other = addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    auto plan = plan_poco_deployment(*artifacts_, PocoPlanOptions{other, 421614, 3});
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_EQ(plan->transactions.front().nonce, 3U);
    EXPECT_EQ(plan->transactions.back().nonce, 46U);
    EXPECT_EQ(plan->hub, contract_address(other, 8));
    EXPECT_EQ(plan->app_registry, contract_address(other, 32));
    auto args = abi_decode_call(parse_abi_signature("setBaseURI(string)").value(), plan->transactions[31].data);
    ASSERT_TRUE(args);
    EXPECT_EQ(*(*args)[0].as_string(), "https://nfts-metadata.iex.ec/app/421614/");
}

TEST_F(PocoPlanTest, RejectsUnlinkableOrCollidingArtifacts) {
    PocoArtifacts broken = *artifacts_;
    broken.facets.pop_back();
    EXPECT_FALSE(plan_poco_deployment(broken, PocoPlanOptions{kAnvil0}));

    // Two facets exposing the same selector: the second cut would revert (G6).
    PocoArtifacts colliding = *artifacts_;
    colliding.facets[1] = colliding.facets[0];
    auto r = plan_poco_deployment(colliding, PocoPlanOptions{kAnvil0});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("already registered by IexecAccessorsABILegacyFacet"), std::string::npos)
        << r.error().message;

    // A facet whose link references were dropped keeps its placeholders: not deployable.
    PocoArtifacts unlinked = *artifacts_;
    unlinked.facets[3].link_references.clear();
    auto u = plan_poco_deployment(unlinked, PocoPlanOptions{kAnvil0});
    ASSERT_FALSE(u);
    EXPECT_NE(u.error().message.find("unlinked library placeholder"), std::string::npos) << u.error().message;
}

}  // namespace
}  // namespace wp
