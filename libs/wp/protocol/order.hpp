#pragma once
// iExec PoCo orders: the four order structs (protocol.md §2.1), their EIP-712 type strings and
// hashes (§3), signatures, and the SDK JSON form used in orders.json and by the market
// (sdk-cli-and-market.md §2.5, §3).
//
// Hashing and signing accept ANY field values: no tag rule, volume or price check is ever applied
// here (see tag.hpp for the validation rules, which callers apply explicitly). Hashes are computed
// with direct abi.encode word concatenation (no JSON); the tests cross-check every one of them
// against the generic EIP-712 encoder (codec/eip712.hpp).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp {

enum class OrderKind { kApp, kDataset, kWorkerpool, kRequest };

//! `OrderOperationEnum` of `manage*Order` (uint8 in the call ABI, uint256 in EIP-712).
enum class OrderOperation : std::uint8_t { kSign = 0, kClose = 1 };

struct AppOrder {
    Address app;
    U256 appprice;
    U256 volume;
    Bytes32 tag;
    Address datasetrestrict;
    Address workerpoolrestrict;
    Address requesterrestrict;
    Bytes32 salt;
    Bytes sign;  //!< not hashed

    friend bool operator==(const AppOrder&, const AppOrder&) = default;
};

struct DatasetOrder {
    Address dataset;
    U256 datasetprice;
    U256 volume;
    Bytes32 tag;
    Address apprestrict;
    Address workerpoolrestrict;
    Address requesterrestrict;
    Bytes32 salt;
    Bytes sign;  //!< not hashed

    friend bool operator==(const DatasetOrder&, const DatasetOrder&) = default;
};

struct WorkerpoolOrder {
    Address workerpool;
    U256 workerpoolprice;
    U256 volume;
    Bytes32 tag;
    U256 category;
    U256 trust;
    Address apprestrict;
    Address datasetrestrict;
    Address requesterrestrict;
    Bytes32 salt;
    Bytes sign;  //!< not hashed

    friend bool operator==(const WorkerpoolOrder&, const WorkerpoolOrder&) = default;
};

struct RequestOrder {
    Address app;
    U256 appmaxprice;
    Address dataset;
    U256 datasetmaxprice;
    Address workerpool;
    U256 workerpoolmaxprice;
    Address requester;
    U256 volume;
    Bytes32 tag;
    U256 category;
    U256 trust;
    Address beneficiary;
    Address callback;
    std::string params;  //!< hashed as keccak256(utf8 bytes)
    Bytes32 salt;
    Bytes sign;  //!< not hashed

    friend bool operator==(const RequestOrder&, const RequestOrder&) = default;
};

using Order = std::variant<AppOrder, DatasetOrder, WorkerpoolOrder, RequestOrder>;

OrderKind kind_of(const Order& order) noexcept;

//! Fields shared by every kind.
const Bytes32& order_tag(const Order& order) noexcept;
const Bytes32& order_salt(const Order& order) noexcept;
const U256& order_volume(const Order& order) noexcept;
const Bytes& order_sign(const Order& order) noexcept;
void set_order_salt(Order& order, const Bytes32& salt) noexcept;
void set_order_sign(Order& order, Bytes sign);

//! "apporder", "datasetorder", "workerpoolorder", "requestorder": the orders.json / market keys.
std::string_view order_key(OrderKind kind) noexcept;
//! "AppOrder", "DatasetOrder", "WorkerpoolOrder", "RequestOrder": the EIP-712 / Solidity names.
std::string_view order_type_name(OrderKind kind) noexcept;
//! Accepts either form above, or "app" / "dataset" / "workerpool" / "request" (case-sensitive).
Result<OrderKind> parse_order_kind(std::string_view text);

//! EIP-712 type strings (protocol.md §3.2), e.g. "AppOrder(address app,uint256 appprice,...,bytes32 salt)".
std::string_view order_type_string(OrderKind kind) noexcept;
//! "<X>OrderOperation(<X>Order order,uint256 operation)" followed by order_type_string(kind).
std::string_view order_operation_type_string(OrderKind kind) noexcept;
//! keccak256 of the strings above (equal to the constants of IexecLibOrders_v5).
const Bytes32& order_type_hash(OrderKind kind) noexcept;
const Bytes32& order_operation_type_hash(OrderKind kind) noexcept;

inline constexpr std::string_view kDomainTypeString =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
//! keccak256(kDomainTypeString) = 0x8b73c3c6...400f.
const Bytes32& domain_type_hash() noexcept;

//! The PoCo EIP-712 domain (protocol.md §3.1). Clients should read it from the hub (`domain()`).
struct Domain {
    std::string name{"iExecODB"};
    std::string version{"5.0.0"};
    U256 chain_id{};
    Address verifying_contract{};

    //! name "iExecODB", version "5.0.0".
    static Domain iexec(const U256& chain_id, const Address& hub);

    //! keccak256(typehash ‖ keccak256(name) ‖ keccak256(version) ‖ uint256 chainId ‖ address).
    Bytes32 separator() const;
    //! {"name", "version", "chainId" (decimal string), "verifyingContract" (checksummed)}: the
    //! `domain` member of typed data, as the SDK builds it.
    boost::json::object to_json() const;

    friend bool operator==(const Domain&, const Domain&) = default;
};

//! structHash = keccak256(abi.encode(TYPEHASH, fields...)) (protocol.md §3.3); `sign` excluded.
Bytes32 struct_hash(const AppOrder& order);
Bytes32 struct_hash(const DatasetOrder& order);
Bytes32 struct_hash(const WorkerpoolOrder& order);
Bytes32 struct_hash(const RequestOrder& order);
Bytes32 struct_hash(const Order& order);
//! keccak256(abi.encode(OP_TYPEHASH, structHash(order), uint256(operation))).
Bytes32 operation_struct_hash(const Order& order, OrderOperation operation);

//! keccak256(0x19 ‖ 0x01 ‖ domain.separator() ‖ structHash(order)): the order id used on chain
//! (m_consumed, m_presigned, events), by the SDK and by the market.
Bytes32 order_hash(const Domain& domain, const Order& order);
//! Same, with a precomputed separator (hot path).
Bytes32 order_hash(const Bytes32& separator, const Order& order);
//! keccak256(0x19 ‖ 0x01 ‖ separator ‖ operation_struct_hash(order, operation)): what the order
//! owner signs for manage*Order.
Bytes32 operation_hash(const Domain& domain, const Order& order, OrderOperation operation);

//! 65-byte r ‖ s ‖ v (v = 27/28) signature of order_hash(domain, order); equal to ethers
//! `Wallet.signTypedData` and to anvil's eth_signTypedData_v4. The order's own `sign` is ignored.
Bytes sign_order(const Domain& domain, const Order& order, const PrivateKey& key);
//! Signature of operation_hash (the `sign` member of an XOrderOperation).
Bytes sign_order_operation(const Domain& domain, const Order& order, OrderOperation operation,
                           const PrivateKey& key);
//! Recovers the signer of order_sign(order) over order_hash(domain, order). The signature must be
//! 65 bytes with v ∈ {27, 28} and low s, or 64-byte EIP-2098 (what PoCo accepts for an EOA).
Result<Address> recover_order_signer(const Domain& domain, const Order& order);

//! The eth_signTypedData_v4 document {types (with EIP712Domain), domain, primaryType, message}
//! for the order; message numbers are decimal strings. For external signers and cross-checks.
boost::json::object order_typed_data(const Domain& domain, const Order& order);
//! Same for an XOrderOperation {order, operation}.
boost::json::object order_operation_typed_data(const Domain& domain, const Order& order, OrderOperation operation);

// ---- SDK JSON (orders.json, market API) ----------------------------------------------------------

struct OrderJsonOptions {
    //! A missing "salt" is an error (default). When false, the salt is left zero: callers must set a
    //! real (random) salt before hashing or signing, as the SDK does at sign time.
    bool require_salt = true;
    //! A missing "sign" is an error. By default it is optional and left empty.
    bool require_sign = false;
};

//! Reads one order object as written by the SDK (orders.json, market `order` objects):
//! - numbers: decimal strings (leading zeros accepted) or non-negative JSON integers;
//! - addresses: "0x" + 40 hex digits, any case; mixed case must be a valid EIP-55 checksum;
//! - tag: bytes32 hex, an array of names ["tee","tdx"] or a comma-separated string "tee,tdx"
//!   (tag.hpp parse_tag; no validation rule is applied);
//! - salt: bytes32 hex; sign: hex of any length (including "0x"); params: string.
//! Every field of the kind is required (salt / sign per options); unknown keys are rejected.
//! Errors name the order and the key: `workerpoolorder.volume: "abc" is not a valid uint256`,
//! `apporder: unknown key "foo" (expected: app, appprice, ...)`, `requestorder: missing "params"`.
Result<Order> order_from_json(OrderKind kind, const boost::json::value& json,
                              const OrderJsonOptions& options = {});

//! Which of salt / sign order_to_json writes.
enum class OrderJsonFields {
    kSigned,    //!< all fields + salt + sign ("0x" when empty): the orders.json form
    kSalted,    //!< all fields + salt
    kUnsigned,  //!< the order fields only (iexec.json templates)
};

//! The SDK form with the SDK's key order: decimal strings, 32-byte lowercase hex tag/salt,
//! checksummed addresses. Key orders (SDK create*order, then salt, sign):
//!   apporder: app, appprice, volume, tag, datasetrestrict, workerpoolrestrict, requesterrestrict
//!   datasetorder: dataset, datasetprice, volume, tag, apprestrict, workerpoolrestrict, requesterrestrict
//!   workerpoolorder: workerpool, workerpoolprice, volume, category, trust, tag, apprestrict,
//!                    datasetrestrict, requesterrestrict (observed with the 9.0.1 CLI)
//!   requestorder: app, appmaxprice, dataset, datasetmaxprice, workerpool, workerpoolmaxprice,
//!                 requester, beneficiary, volume, params, callback, category, trust, tag
boost::json::object order_to_json(const Order& order, OrderJsonFields fields = OrderJsonFields::kSigned);

}  // namespace wp
