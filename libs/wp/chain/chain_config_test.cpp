// Oracles: protocol.md §10 (hub / RLC per chain id), the deployments of the @iexec/poco 6.1.0 package
// (deployments/arbitrum*/Diamond.json, RLC.json, .chainId), sdk-cli-and-market.md §2.2 (names, hubs, market URLs,
// the shape written by `iexec init`) and, when installed next to the PoCo package, the iexec 9.0.1 SDK's own
// networkConfigs (tools/devnet/node_modules/iexec/dist/esm/common/utils/config.js).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <wp/chain/chain_config.hpp>
#include <wp/sys/process.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;

//! The file's text, "" when it cannot be read (the callers say which file was missing).
std::string read_text(const std::filesystem::path& path) { return sys::read_text_file(path.string()).value_or(""); }

Address addr(std::string_view hex) { return *Address::parse(hex); }

TEST(ChainConfig, KnownNetworksMatchProtocolMdAndThePocoDeployments) {
    const auto protocol = read_text(std::filesystem::path(WP_SHARED_DIR) / "reference/protocol.md");
    ASSERT_FALSE(protocol.empty());
    const auto expect_row = [&](std::string_view network, std::uint64_t id, std::string_view item,
                                std::string_view address) {
        const std::string row = "| " + std::string(network) + " | " + std::to_string(id) + " | " + std::string(item) +
                                " | `" + std::string(address) + "` |";
        EXPECT_NE(protocol.find(row), std::string::npos) << row;
    };
    const std::filesystem::path deployments = std::filesystem::path(WP_POCO_DIR) / "deployments";
    const auto deployed = [&](std::string_view dir, std::string_view contract) {
        const auto text = read_text(deployments / dir / (std::string(contract) + ".json"));
        EXPECT_FALSE(text.empty()) << dir << "/" << contract;
        return text.empty() ? std::string() : std::string(json::parse(text).at("address").as_string());
    };

    ASSERT_EQ(known_networks().size(), 2u);
    const auto* sepolia = find_known_network(421614);
    const auto* one = find_known_network(42161);
    ASSERT_TRUE(sepolia && one);
    EXPECT_EQ(sepolia->name, "arbitrum-sepolia-testnet");
    EXPECT_EQ(one->name, "arbitrum-mainnet");
    EXPECT_EQ(one->hub, "0x098bFCb1E50ebcA0BaA92C12eA0c3F045A1aD9f0");
    EXPECT_EQ(sepolia->hub, "0xB2157BF2fAb286b2A4170E3491Ac39770111Da3E");
    expect_row("Arbitrum One", 42161, "Diamond (hub)", one->hub);
    expect_row("Arbitrum One", 42161, "RLC", one->rlc);
    expect_row("Arbitrum Sepolia", 421614, "Diamond (hub)", sepolia->hub);
    expect_row("Arbitrum Sepolia", 421614, "RLC", sepolia->rlc);
    EXPECT_EQ(deployed("arbitrum", "Diamond"), one->hub);
    EXPECT_EQ(deployed("arbitrum", "RLC"), one->rlc);
    EXPECT_EQ(deployed("arbitrumSepolia", "Diamond"), sepolia->hub);
    EXPECT_EQ(deployed("arbitrumSepolia", "RLC"), sepolia->rlc);
    EXPECT_EQ(read_text(deployments / "arbitrum/.chainId"), "42161");
    EXPECT_EQ(read_text(deployments / "arbitrumSepolia/.chainId"), "421614");
    for (const auto& n : known_networks()) {
        EXPECT_EQ(addr(n.hub).to_checksum(), n.hub);
        EXPECT_EQ(addr(n.rlc).to_checksum(), n.rlc);
    }

    // sdk-cli-and-market.md §2.2 built-in networks table.
    const auto sdk_doc = read_text(std::filesystem::path(WP_SHARED_DIR) / "reference/sdk-cli-and-market.md");
    for (const auto& n : known_networks()) {
        const std::string row = "| " + std::to_string(n.id) + " | `" + std::string(n.name) + "` | `" +
                                std::string(n.hub) + "` | `" + std::string(n.iexec_gateway) + "` |";
        EXPECT_NE(sdk_doc.find(row), std::string::npos) << row;
    }

    // The SDK's own defaults, when the SDK is installed beside the PoCo package (scripts/install-deps.sh layout).
    const auto config_js =
        read_text(std::filesystem::path(WP_POCO_DIR) / "../../node_modules/iexec/dist/esm/common/utils/config.js");
    if (config_js.empty()) {
        std::cout << "iexec SDK not installed beside the PoCo package: SDK defaults not cross-checked\n";
    } else {
        for (const auto& n : known_networks()) {
            const auto at = config_js.find("id: " + std::to_string(n.id) + ",");
            ASSERT_NE(at, std::string::npos) << n.id;
            const auto block = config_js.substr(at, config_js.find("isExperimental", at) - at);
            for (auto [key, value] : {std::pair<std::string_view, std::string_view>{"name", n.name},
                                      {"hub", n.hub},
                                      {"host", n.host},
                                      {"sms", n.sms},
                                      {"ipfsGateway", n.ipfs_gateway},
                                      {"ipfsNode", n.ipfs_node},
                                      {"iexecGateway", n.iexec_gateway},
                                      {"compass", n.compass}}) {
                EXPECT_NE(block.find(std::string(key) + ": '" + std::string(value) + "'"), std::string::npos)
                    << n.id << " " << key;
            }
            // pocoSubgraph is split over two lines in the SDK source.
            EXPECT_NE(block.find("'" + std::string(n.poco_subgraph) + "'"), std::string::npos) << n.id;
        }
    }
    EXPECT_EQ(find_known_network("arbitrum-mainnet"), one);
    EXPECT_EQ(find_known_network("421614"), sepolia);
    EXPECT_EQ(find_known_network("bellecour"), nullptr);
    EXPECT_EQ(find_known_network(std::uint64_t{134}), nullptr);
}

TEST(ChainConfig, DefaultFileIsWhatIexecInitWrites) {
    // JSON.stringify(chains, null, 2) of the SDK's templates.js `chains` (plus our trailing newline).
    EXPECT_EQ(to_json_text(default_chains_file()),
              "{\n"
              "  \"default\": \"arbitrum-sepolia-testnet\",\n"
              "  \"chains\": {\n"
              "    \"arbitrum-mainnet\": {},\n"
              "    \"arbitrum-sepolia-testnet\": {}\n"
              "  }\n"
              "}\n");
    auto resolved = resolve_chain(default_chains_file());
    ASSERT_TRUE(resolved) << resolved.error().message;
    EXPECT_EQ(resolved->name, "arbitrum-sepolia-testnet");
    EXPECT_EQ(resolved->id, 421614u);
    EXPECT_EQ(resolved->host, "https://sepolia-rollup.arbitrum.io/rpc");
    EXPECT_EQ(resolved->hub, addr("0xB2157BF2fAb286b2A4170E3491Ac39770111Da3E"));
    EXPECT_EQ(resolved->iexec_gateway, "https://api-market.arbitrum-sepolia-testnet.iex.ec");
    // By id: the known network's name must be in the file.
    auto by_id = resolve_chain(default_chains_file(), "42161");
    ASSERT_TRUE(by_id);
    EXPECT_EQ(by_id->name, "arbitrum-mainnet");
    EXPECT_EQ(by_id->hub, addr("0x098bFCb1E50ebcA0BaA92C12eA0c3F045A1aD9f0"));
    EXPECT_EQ(by_id->sms, "https://sms.arbitrum-mainnet.iex.ec");
}

TEST(ChainConfig, LocalFileAndRoundTrip) {
    const auto file =
        local_chains_file("dev", 31337, "http://127.0.0.1:8545", addr("0x5fc8d32690cc91d4c39d9d3abcbd16989f875707"));
    const auto text = to_json_text(file);
    EXPECT_EQ(text,
              "{\n  \"default\": \"dev\",\n  \"chains\": {\n    \"dev\": {\n      \"id\": \"31337\",\n"
              "      \"host\": \"http://127.0.0.1:8545\",\n"
              "      \"hub\": \"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707\"\n    }\n  }\n}\n");
    auto parsed = chains_file_from_json_text(text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, file);
    auto resolved = resolve_chain(*parsed);
    ASSERT_TRUE(resolved);
    EXPECT_EQ(resolved->id, 31337u);
    EXPECT_EQ(resolved->host, "http://127.0.0.1:8545");
    EXPECT_FALSE(resolved->iexec_gateway);

    // Every key, in the SDK's order, and an override of a known network.
    const std::string full = R"({"default":"arbitrum-mainnet","allowExperimentalNetworks":true,"chains":{
        "arbitrum-mainnet":{"host":"http://my-node:8545","iexecGateway":"http://market"},
        "x":{"id":"007","host":"h","hub":"0x098bfcb1e50ebca0baa92c12ea0c3f045a1ad9f0","sms":"https://sms",
             "ipfsGateway":"i","iexecGateway":"g","compass":"c","pocoSubgraph":"p"}}})";
    auto all = chains_file_from_json_text(full);
    ASSERT_TRUE(all) << all.error().message;
    EXPECT_EQ(all->allow_experimental_networks, true);
    EXPECT_EQ(all->find("x")->id, 7u);
    EXPECT_EQ(all->find("x")->poco_subgraph, "p");
    EXPECT_EQ(to_json_text(*all),
              "{\n  \"default\": \"arbitrum-mainnet\",\n  \"allowExperimentalNetworks\": true,\n  \"chains\": {\n"
              "    \"arbitrum-mainnet\": {\n      \"host\": \"http://my-node:8545\",\n"
              "      \"iexecGateway\": \"http://market\"\n    },\n"
              "    \"x\": {\n      \"id\": \"7\",\n      \"host\": \"h\",\n"
              "      \"hub\": \"0x098bFCb1E50ebcA0BaA92C12eA0c3F045A1aD9f0\",\n      \"sms\": \"https://sms\",\n"
              "      \"ipfsGateway\": \"i\",\n      \"iexecGateway\": \"g\",\n      \"compass\": \"c\",\n"
              "      \"pocoSubgraph\": \"p\"\n    }\n  }\n}\n");
    auto mainnet = resolve_chain(*all);
    ASSERT_TRUE(mainnet);
    EXPECT_EQ(mainnet->id, 42161u);
    EXPECT_EQ(mainnet->host, "http://my-node:8545");
    EXPECT_EQ(mainnet->iexec_gateway, "http://market");
    EXPECT_EQ(mainnet->compass, "https://compass.arbitrum-mainnet.iex.ec");
}

TEST(ChainConfig, StrictParsingNamesTheField) {
    auto err = [](std::string_view text) {
        auto r = chains_file_from_json_text(text);
        EXPECT_FALSE(r) << text;
        return r ? std::string() : r.error().message;
    };
    EXPECT_EQ(err(R"({"chains":{"dev":{"id":31337}}})"), "chain.json: chains.dev.id: expected a JSON string");
    EXPECT_EQ(err(R"({"chains":{"dev":{"id":"0x7a69"}}})"),
              "chain.json: chains.dev.id: expected a string of decimal digits that fits in 64 bits, got \"0x7a69\"");
    EXPECT_NE(err(R"({"chains":{"dev":{"id":"18446744073709551616"}}})").find("fits in 64 bits"), std::string::npos);
    EXPECT_EQ(err(R"({"chains":{"dev":{"resultProxy":"http://x"}}})"),
              "chain.json: chains.dev: unknown key \"resultProxy\"");
    EXPECT_EQ(err(R"({"chains":{"dev":{"native":true}}})"), "chain.json: chains.dev: unknown key \"native\"");
    EXPECT_EQ(err(R"({"chains":{"dev":{"sms":"sms.local"}}})"),
              "chain.json: chains.dev.sms: \"sms.local\" is not a valid URL (expected http:// or https://)");
    EXPECT_EQ(err(R"({"chains":{"dev":{"sms":{"scone":"http://x"}}}})"),
              "chain.json: chains.dev.sms: expected a JSON string");
    EXPECT_EQ(err(R"({"chains":{"dev":{"hub":"0x098bFCb1E50ebcA0BaA92C12eA0c3F045A1aD9f1"}}})")
                  .rfind("chain.json: chains.dev.hub: ", 0),
              0u);
    EXPECT_EQ(err(R"({"chains":{"dev":[]}})"), "chain.json: chains.dev: expected a JSON object");
    EXPECT_EQ(err(R"({"default":"dev"})"), "chain.json: missing field \"chains\"");
    EXPECT_EQ(err(R"({"chains":[]})"), "chain.json: chains: expected a JSON object");
    EXPECT_EQ(err(R"({"default":1,"chains":{}})"), "chain.json: default: expected a JSON string");
    EXPECT_EQ(err(R"({"allowExperimentalNetworks":"yes","chains":{}})"),
              "chain.json: allowExperimentalNetworks: expected true or false");
    EXPECT_EQ(err(R"({"providers":{},"chains":{}})"), "chain.json: unknown key \"providers\"");
    EXPECT_EQ(err("[]"), "chain.json: expected a JSON object");
    EXPECT_EQ(err("{").rfind("chain.json: invalid JSON", 0), 0u);
}

TEST(ChainConfig, ResolutionErrorsAreTheSdkMessages) {
    ChainsFile file = default_chains_file();
    EXPECT_EQ(resolve_chain(file, "bellecour").error().message, "Missing \"bellecour\" chain in \"chain.json\"");
    file.default_chain = "nope";
    EXPECT_EQ(resolve_chain(file).error().message, "Missing \"nope\" chain in \"chain.json\"");
    file.default_chain.reset();
    EXPECT_EQ(resolve_chain(file).error().message, "Missing chain parameter. Check your \"chain.json\" file");
    ChainsFile custom;
    custom.chains.emplace_back("mine", ChainEntry{.id = 65535});
    EXPECT_EQ(resolve_chain(custom, "mine").error().message,
              "Missing RPC host, no \"host\" key in \"chain.json\" and no default value for chain 65535");
    custom.chains.emplace_back("anon", ChainEntry{.host = "http://x"});
    EXPECT_EQ(resolve_chain(custom, "anon").error().message,
              "Missing chain id, no \"id\" key in \"chain.json\" for chain \"anon\" and no known network of that "
              "name");
    // An entry with a known id under another name gets that network's defaults.
    custom.chains.emplace_back("my-arb", ChainEntry{.id = 42161});
    auto mine = resolve_chain(custom, "my-arb");
    ASSERT_TRUE(mine);
    EXPECT_EQ(mine->host, "https://arb1.arbitrum.io/rpc");
    EXPECT_EQ(mine->hub, addr("0x098bFCb1E50ebcA0BaA92C12eA0c3F045A1aD9f0"));
}

}  // namespace
}  // namespace wp::chain
