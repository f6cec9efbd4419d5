#include "order.hpp"

#include <array>
#include <cassert>
#include <cmath>
#include <span>

#include <boost/json/serialize.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

#include "tag.hpp"

namespace wp {
namespace json = boost::json;

namespace {

//! One hashed member of an order struct: its name, EIP-712 type and the C++ member.
template <class T>
struct FieldSpec {
    std::string_view name;
    std::string_view type;
    std::variant<Address T::*, U256 T::*, Bytes32 T::*, std::string T::*> member;
};

template <class T>
struct Traits;

template <>
struct Traits<AppOrder> {
    static constexpr OrderKind kKind = OrderKind::kApp;
    static inline const std::array<FieldSpec<AppOrder>, 8> kFields{{
        {"app", "address", &AppOrder::app},
        {"appprice", "uint256", &AppOrder::appprice},
        {"volume", "uint256", &AppOrder::volume},
        {"tag", "bytes32", &AppOrder::tag},
        {"datasetrestrict", "address", &AppOrder::datasetrestrict},
        {"workerpoolrestrict", "address", &AppOrder::workerpoolrestrict},
        {"requesterrestrict", "address", &AppOrder::requesterrestrict},
        {"salt", "bytes32", &AppOrder::salt},
    }};
    static constexpr std::array<std::string_view, 7> kJsonOrder{
        "app", "appprice", "volume", "tag", "datasetrestrict", "workerpoolrestrict", "requesterrestrict"};
};

template <>
struct Traits<DatasetOrder> {
    static constexpr OrderKind kKind = OrderKind::kDataset;
    static inline const std::array<FieldSpec<DatasetOrder>, 8> kFields{{
        {"dataset", "address", &DatasetOrder::dataset},
        {"datasetprice", "uint256", &DatasetOrder::datasetprice},
        {"volume", "uint256", &DatasetOrder::volume},
        {"tag", "bytes32", &DatasetOrder::tag},
        {"apprestrict", "address", &DatasetOrder::apprestrict},
        {"workerpoolrestrict", "address", &DatasetOrder::workerpoolrestrict},
        {"requesterrestrict", "address", &DatasetOrder::requesterrestrict},
        {"salt", "bytes32", &DatasetOrder::salt},
    }};
    static constexpr std::array<std::string_view, 7> kJsonOrder{
        "dataset", "datasetprice", "volume", "tag", "apprestrict", "workerpoolrestrict", "requesterrestrict"};
};

template <>
struct Traits<WorkerpoolOrder> {
    static constexpr OrderKind kKind = OrderKind::kWorkerpool;
    static inline const std::array<FieldSpec<WorkerpoolOrder>, 10> kFields{{
        {"workerpool", "address", &WorkerpoolOrder::workerpool},
        {"workerpoolprice", "uint256", &WorkerpoolOrder::workerpoolprice},
        {"volume", "uint256", &WorkerpoolOrder::volume},
        {"tag", "bytes32", &WorkerpoolOrder::tag},
        {"category", "uint256", &WorkerpoolOrder::category},
        {"trust", "uint256", &WorkerpoolOrder::trust},
        {"apprestrict", "address", &WorkerpoolOrder::apprestrict},
        {"datasetrestrict", "address", &WorkerpoolOrder::datasetrestrict},
        {"requesterrestrict", "address", &WorkerpoolOrder::requesterrestrict},
        {"salt", "bytes32", &WorkerpoolOrder::salt},
    }};
    static constexpr std::array<std::string_view, 9> kJsonOrder{
        "workerpool", "workerpoolprice", "volume", "category", "trust", "tag", "apprestrict", "datasetrestrict",
        "requesterrestrict"};
};

template <>
struct Traits<RequestOrder> {
    static constexpr OrderKind kKind = OrderKind::kRequest;
    static inline const std::array<FieldSpec<RequestOrder>, 15> kFields{{
        {"app", "address", &RequestOrder::app},
        {"appmaxprice", "uint256", &RequestOrder::appmaxprice},
        {"dataset", "address", &RequestOrder::dataset},
        {"datasetmaxprice", "uint256", &RequestOrder::datasetmaxprice},
        {"workerpool", "address", &RequestOrder::workerpool},
        {"workerpoolmaxprice", "uint256", &RequestOrder::workerpoolmaxprice},
        {"requester", "address", &RequestOrder::requester},
        {"volume", "uint256", &RequestOrder::volume},
        {"tag", "bytes32", &RequestOrder::tag},
        {"category", "uint256", &RequestOrder::category},
        {"trust", "uint256", &RequestOrder::trust},
        {"beneficiary", "address", &RequestOrder::beneficiary},
        {"callback", "address", &RequestOrder::callback},
        {"params", "string", &RequestOrder::params},
        {"salt", "bytes32", &RequestOrder::salt},
    }};
    static constexpr std::array<std::string_view, 14> kJsonOrder{
        "app",       "appmaxprice", "dataset",     "datasetmaxprice", "workerpool", "workerpoolmaxprice", "requester",
        "beneficiary", "volume",    "params",      "callback",        "category",   "trust",              "tag"};
};

constexpr std::array<std::string_view, 4> kTypeStrings{
    "AppOrder(address app,uint256 appprice,uint256 volume,bytes32 tag,address datasetrestrict,address "
    "workerpoolrestrict,address requesterrestrict,bytes32 salt)",
    "DatasetOrder(address dataset,uint256 datasetprice,uint256 volume,bytes32 tag,address apprestrict,address "
    "workerpoolrestrict,address requesterrestrict,bytes32 salt)",
    "WorkerpoolOrder(address workerpool,uint256 workerpoolprice,uint256 volume,bytes32 tag,uint256 category,uint256 "
    "trust,address apprestrict,address datasetrestrict,address requesterrestrict,bytes32 salt)",
    "RequestOrder(address app,uint256 appmaxprice,address dataset,uint256 datasetmaxprice,address workerpool,uint256 "
    "workerpoolmaxprice,address requester,uint256 volume,bytes32 tag,uint256 category,uint256 trust,address "
    "beneficiary,address callback,string params,bytes32 salt)",
};

constexpr std::array<std::string_view, 4> kKeys{"apporder", "datasetorder", "workerpoolorder", "requestorder"};
constexpr std::array<std::string_view, 4> kTypeNames{"AppOrder", "DatasetOrder", "WorkerpoolOrder", "RequestOrder"};

std::size_t index_of(OrderKind kind) noexcept { return static_cast<std::size_t>(kind); }

struct TypeTables {
    std::array<std::string, 4> operation_strings;
    std::array<Bytes32, 4> hashes;
    std::array<Bytes32, 4> operation_hashes;
    Bytes32 domain_hash;

    TypeTables() {
        for (std::size_t i = 0; i < 4; ++i) {
            operation_strings[i] = std::string(kTypeNames[i]) + "Operation(" + std::string(kTypeNames[i]) +
                                   " order,uint256 operation)" + std::string(kTypeStrings[i]);
            hashes[i] = keccak256(as_bytes(kTypeStrings[i]));
            operation_hashes[i] = keccak256(as_bytes(operation_strings[i]));
        }
        domain_hash = keccak256(as_bytes(kDomainTypeString));
    }
};

const TypeTables& tables() {
    static const TypeTables kTables;
    return kTables;
}

template <class T>
Bytes32 struct_hash_impl(const T& order) {
    constexpr std::size_t n = std::tuple_size_v<decltype(Traits<T>::kFields)>;
    std::array<std::uint8_t, 32 * (n + 1)> buffer{};
    const Bytes32& type_hash = tables().hashes[index_of(Traits<T>::kKind)];
    std::copy(type_hash.begin(), type_hash.end(), buffer.begin());
    for (std::size_t i = 0; i < n; ++i) {
        const Bytes32 word = std::visit(
            [&](auto member) -> Bytes32 {
                const auto& value = order.*member;
                using V = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<V, Address>) return value.to_word();
                else if constexpr (std::is_same_v<V, U256>) return value.to_be32();
                else if constexpr (std::is_same_v<V, Bytes32>) return value;
                else return keccak256(as_bytes(value));
            },
            Traits<T>::kFields[i].member);
        std::copy(word.begin(), word.end(), buffer.begin() + static_cast<std::ptrdiff_t>(32 * (i + 1)));
    }
    return keccak256(ByteView(buffer.data(), buffer.size()));
}

template <class T>
json::value field_to_json(const T& order, const FieldSpec<T>& field) {
    return std::visit(
        [&](auto member) -> json::value {
            const auto& value = order.*member;
            using V = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<V, Address>) return json::string(value.to_checksum());
            else if constexpr (std::is_same_v<V, U256>) return json::string(value.to_dec());
            else if constexpr (std::is_same_v<V, Bytes32>) return json::string(to_hex(value.view()));
            else return json::string(value);
        },
        field.member);
}

template <class T>
const FieldSpec<T>& field_named(std::string_view name) {
    for (const auto& f : Traits<T>::kFields)
        if (f.name == name) return f;
    assert(false && "unknown order field");
    return Traits<T>::kFields[0];
}

template <class T>
json::object message_json(const T& order) {
    json::object out;
    for (const auto& f : Traits<T>::kFields) out[f.name] = field_to_json(order, f);
    return out;
}

template <class T>
json::array type_fields_json() {
    json::array out;
    for (const auto& f : Traits<T>::kFields) out.push_back(json::object{{"name", f.name}, {"type", f.type}});
    return out;
}

json::array domain_type_json() {
    return json::array{json::object{{"name", "name"}, {"type", "string"}},
                       json::object{{"name", "version"}, {"type", "string"}},
                       json::object{{"name", "chainId"}, {"type", "uint256"}},
                       json::object{{"name", "verifyingContract"}, {"type", "address"}}};
}

// ---- JSON reading ----

std::string shown(const json::value& v) {
    if (const auto* s = v.if_string()) return std::string(*s);
    return json::serialize(v);
}

Result<U256> read_uint(const json::value& v) {
    const auto invalid = [&] { return make_error(Errc::kInvalidArgument, shown(v) + " is not a valid uint256"); };
    if (const auto* u = v.if_uint64()) return U256(*u);
    if (const auto* i = v.if_int64()) {
        if (*i < 0) return invalid();
        return U256(static_cast<std::uint64_t>(*i));
    }
    if (const auto* d = v.if_double()) {
        if (!std::isfinite(*d) || *d < 0 || std::floor(*d) != *d || *d > 9007199254740991.0) return invalid();
        return U256(static_cast<std::uint64_t>(*d));
    }
    if (const auto* s = v.if_string()) {
        auto parsed = U256::from_dec(*s);
        if (!parsed) {
            if (parsed.error().code == Errc::kOverflow)
                return make_error(Errc::kOverflow, std::string(*s) + " is not a valid uint256 (exceeds 2^256-1)");
            return invalid();
        }
        return parsed;
    }
    return invalid();
}

Result<Address> read_address(const json::value& v) {
    const auto* s = v.if_string();
    if (s == nullptr) return make_error(Errc::kInvalidArgument, shown(v) + " is not a valid ethereum address");
    auto address = Address::parse(*s);
    if (!address)
        return make_error(address.error().code,
                          std::string(*s) + " is not a valid ethereum address (" + address.error().message + ")");
    return address;
}

Result<Bytes32> read_bytes32(const json::value& v) {
    const auto* s = v.if_string();
    if (s == nullptr) return make_error(Errc::kInvalidArgument, shown(v) + " is not a bytes32 hexstring");
    auto b = bytes32_from_hex(*s);
    if (!b) return make_error(b.error().code, std::string(*s) + " is not a bytes32 hexstring");
    return b;
}

template <class T>
Result<T> from_json_impl(const json::object& obj, const OrderJsonOptions& options) {
    const std::string key(kKeys[index_of(Traits<T>::kKind)]);
    for (const auto& kv : obj) {
        const bool known = kv.key() == "sign" || std::any_of(Traits<T>::kFields.begin(), Traits<T>::kFields.end(),
                                                             [&](const auto& f) { return f.name == kv.key(); });
        if (!known) {
            std::string expected;
            for (const auto& f : Traits<T>::kFields) expected += std::string(f.name) + ", ";
            expected += "sign";
            return make_error(Errc::kInvalidArgument,
                              key + ": unknown key \"" + std::string(kv.key()) + "\" (expected: " + expected + ")");
        }
    }
    T order{};
    for (const auto& field : Traits<T>::kFields) {
        const json::value* v = obj.if_contains(field.name);
        if (v == nullptr) {
            if (field.name == "salt" && !options.require_salt) continue;
            return make_error(Errc::kInvalidArgument, key + ": missing \"" + std::string(field.name) + "\"");
        }
        const std::string where = key + "." + std::string(field.name);
        Result<void> status = std::visit(
            [&](auto member) -> Result<void> {
                auto& target = order.*member;
                using V = std::decay_t<decltype(target)>;
                if constexpr (std::is_same_v<V, Address>) {
                    WP_TRY(target, read_address(*v));
                } else if constexpr (std::is_same_v<V, U256>) {
                    WP_TRY(target, read_uint(*v));
                } else if constexpr (std::is_same_v<V, Bytes32>) {
                    if (field.name == "tag") {
                        WP_TRY(target, parse_tag(*v));
                    } else {
                        WP_TRY(target, read_bytes32(*v));
                    }
                } else {
                    const auto* s = v->if_string();
                    if (s == nullptr) return make_error(Errc::kInvalidArgument, "expected a string");
                    target = std::string(*s);
                }
                return {};
            },
            field.member);
        if (!status) return make_error(status.error().with_context(where));
    }
    if (const json::value* sign = obj.if_contains("sign")) {
        const auto* s = sign->if_string();
        if (s == nullptr) return make_error(Errc::kInvalidArgument, key + ".sign: expected a hex string");
        auto bytes = from_hex(*s);
        if (!bytes) return make_error(bytes.error().with_context(key + ".sign"));
        order.sign = std::move(*bytes);
    } else if (options.require_sign) {
        return make_error(Errc::kInvalidArgument, key + ": missing \"sign\"");
    }
    return order;
}

template <class T>
json::object to_json_impl(const T& order, OrderJsonFields fields) {
    json::object out;
    for (std::string_view name : Traits<T>::kJsonOrder) out[name] = field_to_json(order, field_named<T>(name));
    if (fields != OrderJsonFields::kUnsigned) out["salt"] = to_hex(order.salt.view());
    if (fields == OrderJsonFields::kSigned) out["sign"] = to_hex(order.sign);
    return out;
}

}  // namespace

OrderKind kind_of(const Order& order) noexcept { return static_cast<OrderKind>(order.index()); }

const Bytes32& order_tag(const Order& order) noexcept {
    return std::visit([](const auto& o) -> const Bytes32& { return o.tag; }, order);
}
const Bytes32& order_salt(const Order& order) noexcept {
    return std::visit([](const auto& o) -> const Bytes32& { return o.salt; }, order);
}
const U256& order_volume(const Order& order) noexcept {
    return std::visit([](const auto& o) -> const U256& { return o.volume; }, order);
}
const Bytes& order_sign(const Order& order) noexcept {
    return std::visit([](const auto& o) -> const Bytes& { return o.sign; }, order);
}
void set_order_salt(Order& order, const Bytes32& salt) noexcept {
    std::visit([&](auto& o) { o.salt = salt; }, order);
}
void set_order_sign(Order& order, Bytes sign) {
    std::visit([&](auto& o) { o.sign = std::move(sign); }, order);
}

std::string_view order_key(OrderKind kind) noexcept { return kKeys[index_of(kind)]; }
std::string_view order_type_name(OrderKind kind) noexcept { return kTypeNames[index_of(kind)]; }

Result<OrderKind> parse_order_kind(std::string_view text) {
    constexpr std::array<std::string_view, 4> kShort{"app", "dataset", "workerpool", "request"};
    for (std::size_t i = 0; i < 4; ++i)
        if (text == kKeys[i] || text == kTypeNames[i] || text == kShort[i]) return static_cast<OrderKind>(i);
    return make_error(Errc::kInvalidArgument,
                      "unknown order kind \"" + std::string(text) + "\" (expected app, dataset, workerpool or request)");
}

std::string_view order_type_string(OrderKind kind) noexcept { return kTypeStrings[index_of(kind)]; }
std::string_view order_operation_type_string(OrderKind kind) noexcept {
    return tables().operation_strings[index_of(kind)];
}
const Bytes32& order_type_hash(OrderKind kind) noexcept { return tables().hashes[index_of(kind)]; }
const Bytes32& order_operation_type_hash(OrderKind kind) noexcept {
    return tables().operation_hashes[index_of(kind)];
}
const Bytes32& domain_type_hash() noexcept { return tables().domain_hash; }

Domain Domain::iexec(const U256& chain_id, const Address& hub) {
    Domain d;
    d.chain_id = chain_id;
    d.verifying_contract = hub;
    return d;
}

Bytes32 Domain::separator() const {
    return keccak256(concat(domain_type_hash(), keccak256(as_bytes(name)), keccak256(as_bytes(version)),
                            chain_id.to_be32(), verifying_contract.to_word()));
}

json::object Domain::to_json() const {
    return json::object{{"name", name},
                        {"version", version},
                        {"chainId", chain_id.to_dec()},
                        {"verifyingContract", verifying_contract.to_checksum()}};
}

Bytes32 struct_hash(const AppOrder& order) { return struct_hash_impl(order); }
Bytes32 struct_hash(const DatasetOrder& order) { return struct_hash_impl(order); }
Bytes32 struct_hash(const WorkerpoolOrder& order) { return struct_hash_impl(order); }
Bytes32 struct_hash(const RequestOrder& order) { return struct_hash_impl(order); }
Bytes32 struct_hash(const Order& order) {
    return std::visit([](const auto& o) { return struct_hash_impl(o); }, order);
}

Bytes32 operation_struct_hash(const Order& order, OrderOperation operation) {
    return keccak256(concat(order_operation_type_hash(kind_of(order)), struct_hash(order),
                            U256(static_cast<std::uint64_t>(operation)).to_be32()));
}

Bytes32 order_hash(const Domain& domain, const Order& order) { return order_hash(domain.separator(), order); }

Bytes32 order_hash(const Bytes32& separator, const Order& order) {
    return eip712::digest(separator, struct_hash(order));
}

Bytes32 operation_hash(const Domain& domain, const Order& order, OrderOperation operation) {
    return eip712::digest(domain.separator(), operation_struct_hash(order, operation));
}

Bytes sign_order(const Domain& domain, const Order& order, const PrivateKey& key) {
    return sign_hash(key, order_hash(domain, order)).to_bytes65();
}

Bytes sign_order_operation(const Domain& domain, const Order& order, OrderOperation operation,
                           const PrivateKey& key) {
    return sign_hash(key, operation_hash(domain, order, operation)).to_bytes65();
}

Result<Address> recover_order_signer(const Domain& domain, const Order& order) {
    WP_TRY(const Signature sig, Signature::parse(order_sign(order), Signature::Format::kStrict));
    return recover_address(order_hash(domain, order), sig);
}

json::object order_typed_data(const Domain& domain, const Order& order) {
    return std::visit(
        [&](const auto& o) {
            using T = std::decay_t<decltype(o)>;
            const std::string type_name(kTypeNames[index_of(Traits<T>::kKind)]);
            json::object types{{"EIP712Domain", domain_type_json()}, {type_name, type_fields_json<T>()}};
            return json::object{
                {"types", types}, {"domain", domain.to_json()}, {"primaryType", type_name}, {"message", message_json(o)}};
        },
        order);
}

json::object order_operation_typed_data(const Domain& domain, const Order& order, OrderOperation operation) {
    return std::visit(
        [&](const auto& o) {
            using T = std::decay_t<decltype(o)>;
            const std::string type_name(kTypeNames[index_of(Traits<T>::kKind)]);
            const std::string op_name = type_name + "Operation";
            json::object types{
                {"EIP712Domain", domain_type_json()},
                {op_name, json::array{json::object{{"name", "order"}, {"type", type_name}},
                                      json::object{{"name", "operation"}, {"type", "uint256"}}}},
                {type_name, type_fields_json<T>()}};
            json::object message{{"order", message_json(o)},
                                 {"operation", std::to_string(static_cast<unsigned>(operation))}};
            return json::object{
                {"types", types}, {"domain", domain.to_json()}, {"primaryType", op_name}, {"message", message}};
        },
        order);
}

Result<Order> order_from_json(OrderKind kind, const json::value& value, const OrderJsonOptions& options) {
    const json::object* obj = value.if_object();
    if (obj == nullptr)
        return make_error(Errc::kInvalidArgument, std::string(order_key(kind)) + ": expected a JSON object");
    switch (kind) {
        case OrderKind::kApp: return from_json_impl<AppOrder>(*obj, options);
        case OrderKind::kDataset: return from_json_impl<DatasetOrder>(*obj, options);
        case OrderKind::kWorkerpool: return from_json_impl<WorkerpoolOrder>(*obj, options);
        case OrderKind::kRequest: return from_json_impl<RequestOrder>(*obj, options);
    }
    return make_error(Errc::kInvalidArgument, "unknown order kind");
}

json::object order_to_json(const Order& order, OrderJsonFields fields) {
    return std::visit([&](const auto& o) { return to_json_impl(o, fields); }, order);
}

}  // namespace wp
