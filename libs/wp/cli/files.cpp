#include "files.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include <wp/net/json_body.hpp>

namespace wp::cli {
namespace {

namespace json = boost::json;

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// The SDK (yup, strict) reports the first unknown key of an object, then the type errors.
std::optional<std::string> sdk_chain_json_error(const json::value& v) {
    static constexpr std::string_view kTop[] = {"default", "allowExperimentalNetworks", "chains"};
    static constexpr std::string_view kChain[] = {"id",          "host",         "hub",     "sms",
                                                  "ipfsGateway", "iexecGateway", "compass", "pocoSubgraph"};
    auto known = [](std::string_view key, auto& list) {
        for (auto k : list)
            if (k == key) return true;
        return false;
    };
    const auto* top = v.if_object();
    if (top == nullptr) return std::nullopt;
    for (const auto& kv : *top)
        if (!known(kv.key(), kTop))
            return "ValidationError: Unknown key \"" + std::string(kv.key()) + "\" in chain.json";
    const auto* chains = top->if_contains("chains");
    if (chains == nullptr || !chains->is_object()) return std::nullopt;
    for (const auto& chain : chains->get_object()) {
        const auto* entry = chain.value().if_object();
        if (entry == nullptr) continue;
        for (const auto& kv : *entry)
            if (!known(kv.key(), kChain))
                return "ValidationError: Unknown key \"" + std::string(kv.key()) + "\" in chain.json";
        if (const auto* id = entry->if_contains("id"); id != nullptr && !id->is_string())
            return "ValidationError: id must be a `string` type, but the final value was: `" + json::serialize(*id) +
                   "`. in chain.json";
    }
    return std::nullopt;
}

}  // namespace

std::string json_stringify(const json::value& value) { return net::json_stringify_indented(value); }

Result<json::value> parse_json_file_text(std::string_view text, std::string_view file) {
    json::stream_parser parser;
    json::error_code ec;
    std::size_t consumed = 0;
    consumed = parser.write_some(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (!ec && consumed < text.size()) {
        // Trailing non-whitespace after the value.
        for (std::size_t i = consumed; i < text.size(); ++i)
            if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t') {
                ec = json::make_error_code(json::error::extra_data);
                consumed = i;
                break;
            }
    }
    if (ec) {
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        return make_error(Errc::kDecoding, "SyntaxError: " + ec.message() + " at line " + std::to_string(line) +
                                               ", column " + std::to_string(column) + " in " + std::string(file));
    }
    return parser.release();
}

Result<json::object> parse_iexec_json(std::string_view text) {
    WP_TRY(json::value v, parse_json_file_text(text, kIexecFile));
    if (!v.is_object()) return make_error(Errc::kDecoding, "iexec.json must contain a JSON object");
    return std::move(v.get_object());
}

json::object default_iexec_json() {
    return json::object{
        {"description",
         "My iExec resource description, must be at least 150 chars long in order to pass the validation checks. "
         "Describe your application, dataset or workerpool to your users"},
        {"license", "MIT"},
        {"author", "?"},
        {"social", json::object{{"website", "?"}, {"github", "?"}}},
        {"logo", "logo.png"},
    };
}

Result<chain::ChainsFile> parse_chain_json(std::string_view text) {
    WP_TRY(json::value v, parse_json_file_text(text, kChainFile));
    if (auto sdk = sdk_chain_json_error(v)) return make_error(Errc::kDecoding, *sdk);
    return chain::chains_file_from_json(v);
}

std::string chain_json_text(const chain::ChainsFile& file) { return json_stringify(chain::to_json(file)); }

std::string_view resource_key(ResourceKind kind) noexcept {
    switch (kind) {
        case ResourceKind::kApp: return "app";
        case ResourceKind::kDataset: return "dataset";
        case ResourceKind::kWorkerpool: return "workerpool";
    }
    return "workerpool";
}

std::optional<Address> DeployedFile::find(ResourceKind kind, std::uint64_t chain_id) const {
    const auto* per_chain = json.if_contains(resource_key(kind));
    if (per_chain == nullptr || !per_chain->is_object()) return std::nullopt;
    const auto* a = per_chain->get_object().if_contains(std::to_string(chain_id));
    if (a == nullptr || !a->is_string()) return std::nullopt;
    auto address = Address::parse(a->get_string());
    if (!address) return std::nullopt;
    return *address;
}

void DeployedFile::set(ResourceKind kind, std::uint64_t chain_id, const Address& address) {
    auto& per_chain = json[resource_key(kind)];
    if (!per_chain.is_object()) per_chain = json::object{};
    per_chain.get_object()[std::to_string(chain_id)] = address.to_checksum();
}

Result<DeployedFile> parse_deployed_json(std::string_view text) {
    WP_TRY(json::value v, parse_json_file_text(text, kDeployedFile));
    auto* top = v.if_object();
    if (top == nullptr) return make_error(Errc::kDecoding, "deployed.json must contain a JSON object");
    for (const auto& kv : *top) {
        const std::string key(kv.key());
        if (key != "app" && key != "dataset" && key != "workerpool")
            return make_error(Errc::kDecoding, "ValidationError: Unknown key \"" + key + "\" in deployed.json");
        const auto* per_chain = kv.value().if_object();
        if (per_chain == nullptr)
            return make_error(Errc::kDecoding, "deployed.json: " + key + ": expected an object chainId -> address");
        for (const auto& entry : *per_chain) {
            const std::string chain_id(entry.key());
            if (!all_digits(chain_id))
                return make_error(Errc::kDecoding,
                                  "deployed.json: " + key + ": " + chain_id + " is not a valid chainId");
            const auto* s = entry.value().if_string();
            if (s == nullptr)
                return make_error(Errc::kDecoding,
                                  "deployed.json: " + key + "." + chain_id + ": expected an address string");
            auto address = Address::parse(*s);
            if (!address) return make_error(address.error().with_context("deployed.json: " + key + "." + chain_id));
        }
    }
    return DeployedFile{std::move(*top)};
}

std::string deployed_json_text(const DeployedFile& file) { return json_stringify(file.json); }

Result<std::optional<Order>> OrdersFile::find(OrderKind kind, std::uint64_t chain_id) const {
    const auto* per_chain = json.if_contains(std::to_string(chain_id));
    if (per_chain == nullptr || !per_chain->is_object()) return std::optional<Order>{};
    const auto* slot = per_chain->get_object().if_contains(order_key(kind));
    if (slot == nullptr) return std::optional<Order>{};
    auto order = order_from_json(kind, *slot);
    if (!order) return make_error(order.error().with_context("orders.json: " + std::to_string(chain_id)));
    return std::optional<Order>{std::move(*order)};
}

void OrdersFile::set(std::uint64_t chain_id, const Order& order) {
    const std::string key = std::to_string(chain_id);
    auto& per_chain = json[key];
    if (!per_chain.is_object()) per_chain = json::object{};
    per_chain.get_object()[order_key(kind_of(order))] = order_to_json(order, OrderJsonFields::kSigned);
}

Result<OrdersFile> parse_orders_json(std::string_view text) {
    WP_TRY(json::value v, parse_json_file_text(text, kOrdersFile));
    auto* top = v.if_object();
    if (top == nullptr) return make_error(Errc::kDecoding, "orders.json must contain a JSON object");
    for (const auto& kv : *top)
        if (!kv.value().is_object())
            return make_error(Errc::kDecoding,
                              "orders.json: " + std::string(kv.key()) + ": expected an object of signed orders");
    return OrdersFile{std::move(*top)};
}

std::string orders_json_text(const OrdersFile& file) { return json_stringify(file.json); }

}  // namespace wp::cli
