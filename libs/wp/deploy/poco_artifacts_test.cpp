#include "poco_artifacts.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>

#include "poco_test_support.hpp"

namespace wp {
namespace {

namespace json = boost::json;

std::string sel_hex(const AbiSelector& s) { return to_hex(s.view()); }

std::set<std::string> sel_set(const std::vector<AbiSelector>& v) {
    std::set<std::string> out;
    for (const auto& s : v) out.insert(sel_hex(s));
    return out;
}

json::value read_json(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return json::parse(text);
}

// A scratch directory removed at the end of the test.
class TempDir {
  public:
    TempDir() {
        path_ = std::filesystem::temp_directory_path() /
                ("wp_deploy_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::filesystem::path write(const std::string& name, const std::string& text) const {
        const auto p = path_ / name;
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }

  private:
    std::filesystem::path path_;
};

std::string artifact_json(const std::string& bytecode, const std::string& link_refs = "{}") {
    return R"({"_format":"hh-sol-artifact-1","contractName":"C","sourceName":"contracts/C.sol","abi":[],"bytecode":")" +
           bytecode + R"(","linkReferences":)" + link_refs + "}";
}

const std::string kPh = "__$9d824026d0515d8abd681f0f0f4707f16a$__";

// ---- pure functions ---------------------------------------------------------------------------------------------

TEST(LibraryPlaceholder, MatchesVectorsJson) {
    const json::value v = read_json(std::filesystem::path(WP_SHARED_DIR) / "reference" / "vectors.json");
    const std::string expected(v.at("constants").at("libraryLinkPlaceholder").at("value").as_string());
    EXPECT_EQ(library_placeholder(kIexecLibOrdersSource, kIexecLibOrdersName), expected);
    EXPECT_EQ(expected, kPh);
    EXPECT_EQ(library_placeholder(kIexecLibOrdersSource, kIexecLibOrdersName).size(), kLibraryPlaceholderHexLength);
}

TEST(AbiJsonParamType, BuildsTuplesRecursively) {
    const json::value p = json::parse(R"({"type":"tuple[2][]","components":[
        {"type":"address","name":"a"},
        {"type":"tuple[]","components":[{"type":"uint"},{"type":"bytes4[]"}]},
        {"type":"uint8","internalType":"enum X.E"}]})");
    EXPECT_EQ(abi_json_param_type(p).value(), "(address,(uint256,bytes4[])[],uint8)[2][]");
    EXPECT_EQ(abi_json_param_type(json::parse(R"({"type":"string"})")).value(), "string");
}

TEST(AbiJsonParamType, LibraryStyleUsesSolidityNames) {
    const json::value p = json::parse(R"({"type":"tuple","internalType":"struct L.Order",
        "components":[{"type":"uint8","internalType":"enum L.Op"}]})");
    EXPECT_EQ(abi_json_param_type(p, AbiSignatureStyle::kLibrary).value(), "L.Order");
    EXPECT_EQ(abi_json_param_type(p, AbiSignatureStyle::kContract).value(), "(uint8)");
    const json::value arr = json::parse(R"({"type":"tuple[]","internalType":"struct L.Order[]","components":[]})");
    EXPECT_EQ(abi_json_param_type(arr, AbiSignatureStyle::kLibrary).value(), "L.Order[]");
}

TEST(AbiJsonParamType, Errors) {
    EXPECT_FALSE(abi_json_param_type(json::parse(R"({"name":"x"})")));
    EXPECT_FALSE(abi_json_param_type(json::parse(R"({"type":"tuple"})")));
    EXPECT_FALSE(abi_json_param_type(json::parse(R"({"type":"tuple","components":[]})")));
    EXPECT_FALSE(abi_json_param_type(json::parse(R"({"type":"tuplex","components":[{"type":"bool"}]})")));
    EXPECT_FALSE(abi_json_param_type(json::parse(R"({"type":"uint7"})")));
    EXPECT_FALSE(abi_json_param_type(json::parse(R"([1])")));
    // Nesting bomb.
    std::string deep = R"({"type":"bool"})";
    for (int i = 0; i < 40; ++i) deep = R"({"type":"tuple","components":[)" + deep + "]}";
    json::parse_options opts;
    opts.max_depth = 200;
    auto r = abi_json_param_type(json::parse(deep, {}, opts));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("nested too deeply"), std::string::npos) << r.error().message;
}

TEST(AbiJsonSelectors, FunctionsReceiveFallbackInOrder) {
    const json::value abi = json::parse(R"([
        {"type":"fallback","stateMutability":"payable"},
        {"type":"event","name":"Transfer","inputs":[]},
        {"type":"function","name":"transfer","inputs":[{"type":"address","name":"to"},{"type":"uint256"}]},
        {"type":"constructor","inputs":[]},
        {"type":"error","name":"E","inputs":[]},
        {"type":"receive","stateMutability":"payable"}])");
    const auto sels = abi_json_selectors(abi.as_array()).value();
    ASSERT_EQ(sels.size(), 3U);
    EXPECT_EQ(sel_hex(sels[0]), "0xffffffff");
    EXPECT_EQ(sel_hex(sels[1]), "0xa9059cbb");
    EXPECT_EQ(sel_hex(sels[2]), "0x00000000");
}

TEST(AbiJsonSelectors, Errors) {
    auto dup = abi_json_selectors(json::parse(R"([{"type":"function","name":"f","inputs":[]},
                                                   {"type":"function","name":"f","inputs":[]}])")
                                      .as_array());
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message.find("duplicate selector"), std::string::npos) << dup.error().message;
    auto bad =
        abi_json_selectors(json::parse(R"([{"type":"function","name":"f","inputs":[{"type":"uint9"}]}])").as_array());
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("ABI entry 0"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(abi_json_selectors(json::parse(R"([{"name":"f"}])").as_array()));
    EXPECT_FALSE(abi_json_selectors(json::parse(R"([{"type":"function","inputs":[]}])").as_array()));
}

// ---- readers on synthetic files ---------------------------------------------------------------------------------

TEST(ReadHardhatArtifact, PlaceholdersAndLinking) {
    TempDir dir;
    const std::string code = "0x6080" + kPh + "00" + kPh;
    const auto path =
        dir.write("C.json", artifact_json(code, R"({"contracts/libs/IexecLibOrders_v5.sol":{"IexecLibOrders_v5":[
            {"start":2,"length":20},{"start":23,"length":20}]}})"));
    auto a = read_hardhat_artifact(path);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->name, "C");
    EXPECT_EQ(a->placeholder_count(), 2U);
    auto unlinked = a->creation_code();
    ASSERT_FALSE(unlinked);
    EXPECT_NE(unlinked.error().message.find("unlinked library placeholder " + kPh + " at byte offset 2"),
              std::string::npos)
        << unlinked.error().message;

    const Address lib = Address::parse("0x0165878A594ca255338adfa4d48449f69242Eb8F").value();
    std::size_t n = 0;
    auto linked = link_library(*a, kIexecLibOrdersSource, kIexecLibOrdersName, lib, &n);
    ASSERT_TRUE(linked) << linked.error().message;
    EXPECT_EQ(n, 2U);
    EXPECT_EQ(linked->placeholder_count(), 0U);
    const std::string lib_hex = "0165878a594ca255338adfa4d48449f69242eb8f";
    EXPECT_EQ(to_hex(linked->creation_code().value()), "0x6080" + lib_hex + "00" + lib_hex);

    // Linking twice fails: the placeholders are gone. So does linking another library.
    EXPECT_FALSE(link_library(*linked, kIexecLibOrdersSource, kIexecLibOrdersName, lib));
    EXPECT_FALSE(link_library(*a, "contracts/Other.sol", "Other", lib));
}

TEST(ReadHardhatArtifact, RejectsMalformedFiles) {
    TempDir dir;
    const auto expect_error = [&](const std::string& text, const std::string& needle) {
        const auto p = dir.write("bad.json", text);
        auto a = read_hardhat_artifact(p);
        ASSERT_FALSE(a) << text;
        EXPECT_NE(a.error().message.find(needle), std::string::npos) << a.error().message;
        EXPECT_NE(a.error().message.find("bad.json"), std::string::npos) << a.error().message;
    };
    expect_error("{", "invalid JSON");
    expect_error("[]", "not a JSON object");
    expect_error(R"({"_format":"x"})", "'_format'");
    expect_error(artifact_json("6080"), "missing 0x prefix");
    expect_error(artifact_json("0x608"), "odd number");
    expect_error(artifact_json("0x"), "empty");
    expect_error(artifact_json("0x60zz"), "invalid hex digit 'z' at byte offset 1");
    // A placeholder that linkReferences does not list.
    expect_error(artifact_json("0x6080" + kPh), "not listed in linkReferences");
    // A link reference that does not point at a placeholder, or is not 20 bytes, or runs off the end.
    expect_error(artifact_json("0x6080" + std::string(40, '0'), R"({"s":{"L":[{"start":2,"length":20}]}})"),
                 "no library placeholder");
    expect_error(artifact_json("0x6080" + kPh, R"({"s":{"L":[{"start":2,"length":19}]}})"), "not 20");
    expect_error(artifact_json("0x6080" + kPh, R"({"s":{"L":[{"start":3,"length":20}]}})"), "beyond the end");
    expect_error(artifact_json("0x6080" + kPh, R"({"s":{"L":[{"start":-1,"length":20}]}})"), ".start");
    expect_error(artifact_json("0x6080" + kPh, R"({"s":{"L":{}}})"), "not an array");
    expect_error(R"({"_format":"hh-sol-artifact-1","contractName":"C","abi":{},"bytecode":"0x00","linkReferences":{}})",
                 "field 'abi'");
    expect_error(R"({"_format":"hh-sol-artifact-1","abi":[],"bytecode":"0x00","linkReferences":{}})", "contractName");

    auto missing = read_hardhat_artifact(std::filesystem::path("/nonexistent/x.json"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::kIo);
}

TEST(ReadHardhatArtifact, RejectsOversizedFiles) {
    TempDir dir;
    const auto p = dir.write("big.json", std::string(static_cast<std::size_t>(kMaxArtifactFileSize) + 1, ' '));
    auto a = read_hardhat_artifact(p);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().code, Errc::kIo);
    EXPECT_NE(a.error().message.find("exceeds the limit"), std::string::npos) << a.error().message;
}

TEST(ContractArtifact, InitcodeLimit) {
    ContractArtifact a;
    a.file = "x.json";
    a.bytecode_hex = std::string(kMaxInitcodeSize * 2, 'a');
    EXPECT_TRUE(a.creation_code());
    a.bytecode_hex += "00";
    auto r = a.creation_code();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("EIP-3860"), std::string::npos);
}

TEST(LoadPocoArtifacts, MissingDirectorySaysWhatToDo) {
    auto r = load_poco_artifacts("/nonexistent/poco/package");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kIo);
    EXPECT_NE(r.error().message.find("scripts/install-deps.sh"), std::string::npos);
}

// ---- the real PoCo 6.1.0 package ------------------------------------------------------------------------------

TEST(PocoPackage, LoadsEveryArtifact) {
    const PocoArtifacts* a = test::poco_artifacts_or_fail();
    ASSERT_NE(a, nullptr);
    ASSERT_EQ(a->facets.size(), kPocoTokenFacets.size());
    for (std::size_t i = 0; i < kPocoTokenFacets.size(); ++i) EXPECT_EQ(a->facets[i].name, kPocoTokenFacets[i]);
    EXPECT_EQ(a->diamond.name, "Diamond");
    EXPECT_EQ(a->rlc.name, "RLC");
    EXPECT_TRUE(a->rlc.abi.empty());  // RLC.json has no ABI (local-chain.md §2)
    EXPECT_EQ(a->lib_orders.name, "IexecLibOrders_v5");
    EXPECT_EQ(a->app_registry.name, "AppRegistry");
    EXPECT_EQ(a->dataset_registry.name, "DatasetRegistry");
    EXPECT_EQ(a->workerpool_registry.name, "WorkerpoolRegistry");
    // Everything but the four link facets is ready to deploy, and all fit in EIP-3860 (local-chain.md §4.6).
    for (const ContractArtifact* c :
         {&a->rlc, &a->diamond_init, &a->diamond_cut_facet, &a->diamond_loupe_facet, &a->ownership_facet, &a->diamond,
          &a->lib_orders, &a->app_registry, &a->dataset_registry, &a->workerpool_registry}) {
        auto code = c->creation_code();
        EXPECT_TRUE(code) << c->name << ": " << code.error().message;
    }
    // The largest initcode is AppRegistry, 16,029 bytes (local-chain.md §4.6).
    EXPECT_EQ(a->app_registry.creation_code().value().size(), 16029U);
}

TEST(PocoPackage, LinkFacetsHaveTheDocumentedPlaceholderCounts) {
    const PocoArtifacts* a = test::poco_artifacts_or_fail();
    ASSERT_NE(a, nullptr);
    const Address lib = Address::parse("0x0165878A594ca255338adfa4d48449f69242Eb8F").value();
    for (const auto& expected : test::expected_facets()) {
        const auto it = std::find_if(a->facets.begin(), a->facets.end(),
                                     [&](const ContractArtifact& f) { return f.name == expected.name; });
        if (it == a->facets.end()) continue;  // the three diamond facets
        EXPECT_EQ(it->placeholder_count(), expected.link_occurrences) << expected.name;
        EXPECT_EQ(it->link_references.size(), expected.link_occurrences) << expected.name;
        // The placeholder text in the bytecode is exactly the one of vectors.json.
        for (const auto& ref : it->link_references) {
            EXPECT_EQ(ref.source, kIexecLibOrdersSource);
            EXPECT_EQ(ref.library, kIexecLibOrdersName);
            EXPECT_EQ(it->bytecode_hex.substr(ref.start * 2, kLibraryPlaceholderHexLength), kPh);
        }
        if (expected.link_occurrences == 0) {
            EXPECT_TRUE(it->creation_code()) << expected.name;
            continue;
        }
        EXPECT_FALSE(it->creation_code()) << expected.name;
        std::size_t n = 0;
        auto linked = link_library(*it, kIexecLibOrdersSource, kIexecLibOrdersName, lib, &n);
        ASSERT_TRUE(linked) << linked.error().message;
        EXPECT_EQ(n, expected.link_occurrences);
        EXPECT_EQ(linked->placeholder_count(), 0U);
        const Bytes code = linked->creation_code().value();
        for (const auto& ref : it->link_references)
            EXPECT_TRUE(std::equal(lib.bytes().begin(), lib.bytes().end(),
                                   code.begin() + static_cast<std::ptrdiff_t>(ref.start)));
    }
}

TEST(PocoPackage, FacetSelectorsMatchTheDocumentedLayout) {
    const PocoArtifacts* a = test::poco_artifacts_or_fail();
    ASSERT_NE(a, nullptr);
    std::size_t poco_total = 0;
    for (std::size_t i = 0; i < a->facets.size(); ++i) {
        const auto& expected = test::expected_facets()[3 + i];
        ASSERT_EQ(a->facets[i].name, expected.name);
        auto sels = abi_json_selectors(a->facets[i].abi);
        ASSERT_TRUE(sels) << sels.error().message;
        EXPECT_EQ(sel_set(*sels), std::set<std::string>(expected.selectors.begin(), expected.selectors.end()))
            << expected.name;
        EXPECT_EQ(sels->size(), expected.selectors.size()) << expected.name;
        poco_total += sels->size();
    }
    EXPECT_EQ(poco_total, 90U);
}

TEST(PocoPackage, LibrarySelectorsUseStructNames) {
    // local-chain.md G3: hash(IexecLibOrders_v5.WorkerpoolOrder) = 0xfed985fe, AppOrder 0x7c0d54d3, RequestOrder
    // 0x8ac03f33, DatasetOrder 0x11b2eee2, EIP712Domain 0x74147c4d; the tuple-signature 0xdb8e81ca does not exist.
    const PocoArtifacts* a = test::poco_artifacts_or_fail();
    ASSERT_NE(a, nullptr);
    auto lib = abi_json_selectors(a->lib_orders.abi, AbiSignatureStyle::kLibrary);
    ASSERT_TRUE(lib) << lib.error().message;
    const auto lib_set = sel_set(*lib);
    for (const char* s : {"0xfed985fe", "0x7c0d54d3", "0x8ac03f33", "0x11b2eee2", "0x74147c4d"})
        EXPECT_TRUE(lib_set.contains(s)) << s;
    EXPECT_FALSE(lib_set.contains("0xdb8e81ca"));
    auto sig = abi_json_function_signature(*std::find_if(a->lib_orders.abi.begin(), a->lib_orders.abi.end(),
                                                         [](const json::value& e) {
                                                             return e.at("name") == "hash" &&
                                                                    e.at("inputs").at(0).at("internalType") ==
                                                                        "struct IexecLibOrders_v5.WorkerpoolOrder";
                                                         }),
                                           AbiSignatureStyle::kLibrary);
    EXPECT_EQ(sig.value(), "hash(IexecLibOrders_v5.WorkerpoolOrder)");

    // As a contract ABI, hash(WorkerpoolOrder) would be the tuple signature 0xdb8e81ca.
    const auto wp_order = std::find_if(a->lib_orders.abi.begin(), a->lib_orders.abi.end(), [](const json::value& e) {
        return e.at("name") == "hash" &&
               e.at("inputs").at(0).at("internalType") == "struct IexecLibOrders_v5.WorkerpoolOrder";
    });
    auto tuple_sel = abi_json_selectors(json::array{*wp_order}, AbiSignatureStyle::kContract);
    ASSERT_TRUE(tuple_sel) << tuple_sel.error().message;
    EXPECT_EQ(sel_hex(tuple_sel->at(0)), "0xdb8e81ca");
    // And the whole library ABI is not a valid contract ABI (G2: the enum type IexecLibOrders_v5.OrderOperationEnum).
    auto as_contract = abi_json_selectors(a->lib_orders.abi, AbiSignatureStyle::kContract);
    ASSERT_FALSE(as_contract);
    EXPECT_NE(as_contract.error().message.find("unknown type 'IexecLibOrders_v5'"), std::string::npos)
        << as_contract.error().message;
}

TEST(PocoPackage, FacetsCoverTheInterfaceAbi) {
    // Every function of IexecInterfaceToken (91) is served by the 14 facets, except renounceOwnership, which no
    // facet implements (protocol.md §10).
    const PocoArtifacts* a = test::poco_artifacts_or_fail();
    ASSERT_NE(a, nullptr);
    const json::value iface = read_json(a->package_dir / "abis" / "contracts" / "IexecInterfaceToken.json");
    auto iface_sels = abi_json_selectors(iface.as_array());
    ASSERT_TRUE(iface_sels) << iface_sels.error().message;
    std::set<std::string> served;
    std::vector<const ContractArtifact*> facets = {&a->diamond_cut_facet, &a->diamond_loupe_facet, &a->ownership_facet};
    for (const auto& f : a->facets) facets.push_back(&f);
    for (const ContractArtifact* c : facets) {
        const auto sels = abi_json_selectors(c->abi);
        ASSERT_TRUE(sels) << sels.error().message;
        for (const auto& s : *sels) served.insert(sel_hex(s));
    }
    std::size_t functions = 0;
    for (const auto& s : *iface_sels) {
        const std::string h = sel_hex(s);
        if (h == "0x00000000" || h == "0xffffffff") continue;
        ++functions;
        if (h == "0x715018a6") {
            EXPECT_FALSE(served.contains(h));
            continue;
        }
        EXPECT_TRUE(served.contains(h)) << h;
    }
    EXPECT_EQ(functions, 91U);
    EXPECT_EQ(served.size(), 98U);
}

}  // namespace
}  // namespace wp
