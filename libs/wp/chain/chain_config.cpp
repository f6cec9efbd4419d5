#include "chain_config.hpp"

#include <array>
#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/net/json_body.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;

constexpr std::array<KnownNetwork, 2> kNetworks = {{
    {421614, "arbitrum-sepolia-testnet", "0xB2157BF2fAb286b2A4170E3491Ac39770111Da3E",
     "0x9923eD3cbd90CD78b910c475f9A731A6e0b8C963", "https://sepolia-rollup.arbitrum.io/rpc",
     "https://sms.arbitrum-sepolia-testnet.iex.ec", "https://ipfs-gateway.arbitrum-sepolia-testnet.iex.ec",
     "https://ipfs-upload.arbitrum-sepolia-testnet.iex.ec", "https://api-market.arbitrum-sepolia-testnet.iex.ec",
     "https://compass.arbitrum-sepolia-testnet.iex.ec",
     "https://thegraph.arbitrum-sepolia-testnet.iex.ec/api/subgraphs/id/"
     "2GCj8gzLCihsiEDq8cYvC5nUgK6VfwZ6hm3Wj8A3kcxz"},
    {42161, "arbitrum-mainnet", "0x098bFCb1E50ebcA0BaA92C12eA0c3F045A1aD9f0",
     "0xe649e6a1F2afc63ca268C2363691ceCAF75CF47C", "https://arb1.arbitrum.io/rpc",
     "https://sms.arbitrum-mainnet.iex.ec", "https://ipfs-gateway.arbitrum-mainnet.iex.ec",
     "https://ipfs-upload.arbitrum-mainnet.iex.ec", "https://api.market.arbitrum-mainnet.iex.ec",
     "https://compass.arbitrum-mainnet.iex.ec",
     "https://thegraph.arbitrum.iex.ec/api/subgraphs/id/B1comLe9SANBLrjdnoNTJSubbeC7cY7EoNu6zD82HeKy"},
}};

constexpr std::string_view kPrefix = "chain.json: ";

tl::unexpected<Error> fail(const std::string& path, std::string_view what) {
    return make_error(Errc::kDecoding, std::string(kPrefix) + path + ": " + std::string(what));
}

std::optional<std::uint64_t> parse_decimal_u64(std::string_view s) {
    if (s.empty()) return std::nullopt;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

Result<ChainEntry> parse_entry(const json::value& value, const std::string& path) {
    const auto* o = value.if_object();
    if (o == nullptr) return fail(path, "expected a JSON object");
    ChainEntry e;
    for (const auto& kv : *o) {
        const std::string key(kv.key());
        const std::string field = path + "." + key;
        const auto* s = kv.value().if_string();
        if (key != "id" && key != "host" && key != "hub" && key != "sms" && key != "ipfsGateway" &&
            key != "iexecGateway" && key != "compass" && key != "pocoSubgraph") {
            return fail(path, "unknown key \"" + key + "\"");
        }
        if (s == nullptr) return fail(field, "expected a JSON string");
        const std::string text(*s);
        if (key == "id") {
            auto id = parse_decimal_u64(text);
            if (!id)
                return fail(field, "expected a string of decimal digits that fits in 64 bits, got \"" + text + "\"");
            e.id = *id;
        } else if (key == "host") {
            e.host = text;
        } else if (key == "hub") {
            auto hub = Address::parse(text);
            if (!hub) return make_error(hub.error().with_context(std::string(kPrefix) + field));
            e.hub = *hub;
        } else if (key == "sms") {
            if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
                return fail(field, "\"" + text + "\" is not a valid URL (expected http:// or https://)");
            e.sms = text;
        } else if (key == "ipfsGateway") {
            e.ipfs_gateway = text;
        } else if (key == "iexecGateway") {
            e.iexec_gateway = text;
        } else if (key == "compass") {
            e.compass = text;
        } else {
            e.poco_subgraph = text;
        }
    }
    return e;
}

json::object entry_json(const ChainEntry& e) {
    json::object o;
    if (e.id) o["id"] = std::to_string(*e.id);
    if (e.host) o["host"] = *e.host;
    if (e.hub) o["hub"] = e.hub->to_checksum();
    if (e.sms) o["sms"] = *e.sms;
    if (e.ipfs_gateway) o["ipfsGateway"] = *e.ipfs_gateway;
    if (e.iexec_gateway) o["iexecGateway"] = *e.iexec_gateway;
    if (e.compass) o["compass"] = *e.compass;
    if (e.poco_subgraph) o["pocoSubgraph"] = *e.poco_subgraph;
    return o;
}

}  // namespace

const ChainEntry* ChainsFile::find(std::string_view name) const {
    for (const auto& [n, e] : chains) {
        if (n == name) return &e;
    }
    return nullptr;
}

std::span<const KnownNetwork> known_networks() noexcept { return kNetworks; }

const KnownNetwork* find_known_network(std::string_view name_or_id) noexcept {
    for (const auto& n : kNetworks) {
        if (n.name == name_or_id || std::to_string(n.id) == name_or_id) return &n;
    }
    return nullptr;
}

const KnownNetwork* find_known_network(std::uint64_t id) noexcept {
    for (const auto& n : kNetworks) {
        if (n.id == id) return &n;
    }
    return nullptr;
}

Result<ResolvedChain> resolve_chain(const ChainsFile& file, std::optional<std::string_view> name_or_id) {
    std::string name;
    const ChainEntry* entry = nullptr;
    if (name_or_id) {
        if ((entry = file.find(*name_or_id)) != nullptr) {
            name = std::string(*name_or_id);
        } else if (const auto* known = find_known_network(*name_or_id);
                   known != nullptr && (entry = file.find(known->name)) != nullptr) {
            name = std::string(known->name);
        } else {
            return make_error(Errc::kInvalidArgument,
                              "Missing \"" + std::string(*name_or_id) + "\" chain in \"chain.json\"");
        }
    } else if (file.default_chain) {
        entry = file.find(*file.default_chain);
        if (entry == nullptr)
            return make_error(Errc::kInvalidArgument,
                              "Missing \"" + *file.default_chain + "\" chain in \"chain.json\"");
        name = *file.default_chain;
    } else {
        return make_error(Errc::kInvalidArgument, "Missing chain parameter. Check your \"chain.json\" file");
    }

    ResolvedChain out;
    out.name = name;
    if (entry->id) {
        out.id = *entry->id;
    } else if (const auto* known = find_known_network(name)) {
        out.id = known->id;
    } else {
        return make_error(Errc::kInvalidArgument, "Missing chain id, no \"id\" key in \"chain.json\" for chain \"" +
                                                      name + "\" and no known network of that name");
    }
    if (const auto* defaults = find_known_network(out.id)) {
        out.host = std::string(defaults->host);
        out.hub = *Address::parse(defaults->hub);
        out.sms = std::string(defaults->sms);
        out.ipfs_gateway = std::string(defaults->ipfs_gateway);
        out.iexec_gateway = std::string(defaults->iexec_gateway);
        out.compass = std::string(defaults->compass);
        out.poco_subgraph = std::string(defaults->poco_subgraph);
    }
    if (entry->host) out.host = *entry->host;
    if (entry->hub) out.hub = *entry->hub;
    if (entry->sms) out.sms = *entry->sms;
    if (entry->ipfs_gateway) out.ipfs_gateway = *entry->ipfs_gateway;
    if (entry->iexec_gateway) out.iexec_gateway = *entry->iexec_gateway;
    if (entry->compass) out.compass = *entry->compass;
    if (entry->poco_subgraph) out.poco_subgraph = *entry->poco_subgraph;
    if (out.host.empty()) {
        return make_error(Errc::kInvalidArgument,
                          "Missing RPC host, no \"host\" key in \"chain.json\" and no default value for chain " +
                              std::to_string(out.id));
    }
    return out;
}

Result<ChainsFile> chains_file_from_json(const json::value& value) {
    const auto* o = value.if_object();
    if (o == nullptr) return make_error(Errc::kDecoding, std::string(kPrefix) + "expected a JSON object");
    ChainsFile file;
    bool has_chains = false;
    for (const auto& kv : *o) {
        const std::string key(kv.key());
        if (key == "default") {
            const auto* s = kv.value().if_string();
            if (s == nullptr) return fail("default", "expected a JSON string");
            file.default_chain = std::string(*s);
        } else if (key == "allowExperimentalNetworks") {
            const auto* b = kv.value().if_bool();
            if (b == nullptr) return fail("allowExperimentalNetworks", "expected true or false");
            file.allow_experimental_networks = *b;
        } else if (key == "chains") {
            const auto* chains = kv.value().if_object();
            if (chains == nullptr) return fail("chains", "expected a JSON object");
            has_chains = true;
            for (const auto& chain : *chains) {
                const std::string name(chain.key());
                WP_TRY(auto entry, parse_entry(chain.value(), "chains." + name));
                file.chains.emplace_back(name, std::move(entry));
            }
        } else {
            return make_error(Errc::kDecoding, std::string(kPrefix) + "unknown key \"" + key + "\"");
        }
    }
    if (!has_chains) return make_error(Errc::kDecoding, std::string(kPrefix) + "missing field \"chains\"");
    return file;
}

Result<ChainsFile> chains_file_from_json_text(std::string_view text) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    if (ec) return make_error(Errc::kDecoding, std::string(kPrefix) + "invalid JSON: " + ec.message());
    return chains_file_from_json(value);
}

json::object to_json(const ChainsFile& file) {
    json::object o;
    if (file.default_chain) o["default"] = *file.default_chain;
    if (file.allow_experimental_networks) o["allowExperimentalNetworks"] = *file.allow_experimental_networks;
    json::object chains;
    for (const auto& [name, entry] : file.chains) chains[name] = entry_json(entry);
    o["chains"] = std::move(chains);
    return o;
}

std::string to_json_text(const ChainsFile& file) {
    return net::json_stringify_indented(json::value(to_json(file))) + "\n";
}

ChainsFile default_chains_file() {
    ChainsFile file;
    file.default_chain = "arbitrum-sepolia-testnet";
    file.chains.emplace_back("arbitrum-mainnet", ChainEntry{});
    file.chains.emplace_back("arbitrum-sepolia-testnet", ChainEntry{});
    return file;
}

ChainsFile local_chains_file(std::string name, std::uint64_t chain_id, std::string host, const Address& hub) {
    ChainsFile file;
    file.default_chain = name;
    ChainEntry entry;
    entry.id = chain_id;
    entry.host = std::move(host);
    entry.hub = hub;
    file.chains.emplace_back(std::move(name), std::move(entry));
    return file;
}

}  // namespace wp::chain
