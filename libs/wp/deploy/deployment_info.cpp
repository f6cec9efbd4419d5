#include "deployment_info.hpp"

#include <array>
#include <string_view>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 8> kKeys = {
    "chainId", "rpc", "hub", "token", "appRegistry", "datasetRegistry", "workerpoolRegistry", "accounts"};

tl::unexpected<Error> key_error(std::string_view key, std::string_view what) {
    return make_error(Errc::kDecoding, "deployment info: " + std::string(key) + ": " + std::string(what));
}

Result<const json::string*> get_string(const json::object& obj, std::string_view key, std::string_view path) {
    const json::value* v = obj.if_contains(key);
    if (v == nullptr) return key_error(path, "missing");
    const json::string* s = v->if_string();
    if (s == nullptr) return key_error(path, "not a string");
    return s;
}

Result<Address> get_address(const json::object& obj, std::string_view key, std::string_view path) {
    WP_TRY(const json::string* s, get_string(obj, key, path));
    auto a = Address::parse(std::string_view(s->data(), s->size()));
    if (!a) return make_error(a.error().with_context("deployment info: " + std::string(path)));
    return *a;
}

void indent(std::string& out, int level) { out.append(static_cast<std::size_t>(level) * 2, ' '); }

}  // namespace

DeploymentInfo deployment_info_from_plan(const PocoPlan& plan, std::uint64_t chain_id, std::string rpc) {
    DeploymentInfo info;
    info.chain_id = chain_id;
    info.rpc = std::move(rpc);
    info.hub = plan.hub;
    info.token = plan.rlc;
    info.app_registry = plan.app_registry;
    info.dataset_registry = plan.dataset_registry;
    info.workerpool_registry = plan.workerpool_registry;
    return info;
}

json::object to_json(const DeploymentInfo& info) {
    json::object o;
    o["chainId"] = info.chain_id;
    o["rpc"] = info.rpc;
    o["hub"] = info.hub.to_checksum();
    o["token"] = info.token.to_checksum();
    o["appRegistry"] = info.app_registry.to_checksum();
    o["datasetRegistry"] = info.dataset_registry.to_checksum();
    o["workerpoolRegistry"] = info.workerpool_registry.to_checksum();
    json::array accounts;
    for (const auto& a : info.accounts) {
        json::object e;
        e["address"] = a.address.to_checksum();
        e["privateKey"] = to_hex(a.private_key.view());
        accounts.push_back(std::move(e));
    }
    o["accounts"] = std::move(accounts);
    return o;
}

std::string to_json_text(const DeploymentInfo& info) {
    const json::object o = to_json(info);
    std::string out = "{\n";
    std::size_t i = 0;
    for (const auto& [key, value] : o) {
        indent(out, 1);
        out += json::serialize(json::value(key));
        out += ": ";
        if (const json::array* arr = value.if_array(); arr != nullptr && !arr->empty()) {
            out += "[\n";
            for (std::size_t j = 0; j < arr->size(); ++j) {
                indent(out, 2);
                out += json::serialize((*arr)[j]);
                out += j + 1 < arr->size() ? ",\n" : "\n";
            }
            indent(out, 1);
            out += "]";
        } else {
            out += json::serialize(value);
        }
        out += ++i < o.size() ? ",\n" : "\n";
    }
    out += "}\n";
    return out;
}

Result<DeploymentInfo> deployment_info_from_json(const json::value& doc) {
    const json::object* obj = doc.if_object();
    if (obj == nullptr) return make_error(Errc::kDecoding, "deployment info: not a JSON object");
    for (const auto& [key, value] : *obj) {
        bool known = false;
        for (std::string_view k : kKeys) known = known || k == std::string_view(key);
        if (!known) return key_error(std::string_view(key), "unknown key");
    }
    DeploymentInfo info;
    const json::value* chain = obj->if_contains("chainId");
    if (chain == nullptr) return key_error("chainId", "missing");
    if (chain->is_uint64()) {
        info.chain_id = chain->as_uint64();
    } else if (chain->is_int64() && chain->as_int64() >= 0) {
        info.chain_id = static_cast<std::uint64_t>(chain->as_int64());
    } else {
        return key_error("chainId", "not a non-negative integer");
    }
    WP_TRY(const json::string* rpc, get_string(*obj, "rpc", "rpc"));
    info.rpc = std::string(*rpc);
    WP_TRY(info.hub, get_address(*obj, "hub", "hub"));
    WP_TRY(info.token, get_address(*obj, "token", "token"));
    WP_TRY(info.app_registry, get_address(*obj, "appRegistry", "appRegistry"));
    WP_TRY(info.dataset_registry, get_address(*obj, "datasetRegistry", "datasetRegistry"));
    WP_TRY(info.workerpool_registry, get_address(*obj, "workerpoolRegistry", "workerpoolRegistry"));
    const json::value* accounts = obj->if_contains("accounts");
    if (accounts == nullptr) return key_error("accounts", "missing");
    const json::array* arr = accounts->if_array();
    if (arr == nullptr) return key_error("accounts", "not an array");
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string path = "accounts[" + std::to_string(i) + "]";
        const json::object* e = (*arr)[i].if_object();
        if (e == nullptr) return key_error(path, "not an object");
        for (const auto& [key, value] : *e)
            if (key != "address" && key != "privateKey") return key_error(path + "." + std::string(key), "unknown key");
        DeploymentAccount account;
        WP_TRY(account.address, get_address(*e, "address", path + ".address"));
        WP_TRY(const json::string* pk, get_string(*e, "privateKey", path + ".privateKey"));
        auto key = PrivateKey::from_hex(std::string_view(pk->data(), pk->size()));
        if (!key) return make_error(key.error().with_context("deployment info: " + path + ".privateKey"));
        if (key->address() != account.address)
            return key_error(path + ".privateKey", "belongs to " + key->address().to_checksum() + ", not to " +
                                                       account.address.to_checksum());
        account.private_key = key->secret();
        info.accounts.push_back(account);
    }
    return info;
}

Result<DeploymentInfo> deployment_info_from_json_text(std::string_view text) {
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec) return make_error(Errc::kDecoding, "deployment info: invalid JSON: " + ec.message());
    return deployment_info_from_json(doc);
}

}  // namespace wp
