#include "transaction.hpp"

#include <cstdio>
#include <string>

#include <wp/core/keccak.hpp>

#include "rlp.hpp"

namespace wp::tx {
namespace {

constexpr std::size_t kLegacyFields = 9;
constexpr std::size_t kAccessListFields = 11;
constexpr std::size_t kDynamicFeeFields = 12;

tl::unexpected<Error> invalid(std::string message) {
    return make_error(Errc::kInvalidArgument, "transaction: " + std::move(message));
}

tl::unexpected<Error> malformed(std::string message) {
    return make_error(Errc::kDecoding, "transaction: " + std::move(message));
}

std::string hex_byte(std::uint8_t b) {
    char buf[5];
    std::snprintf(buf, sizeof buf, "0x%02x", b);
    return buf;
}

Result<void> check_fields(const Transaction& t) {
    switch (t.type) {
        case TxType::kLegacy:
            if (!t.access_list.empty()) return invalid("a legacy transaction has no access list");
            [[fallthrough]];
        case TxType::kAccessList:
            if (!t.max_fee_per_gas.is_zero() || !t.max_priority_fee_per_gas.is_zero())
                return invalid("maxFeePerGas / maxPriorityFeePerGas are only for type 2 transactions; use gas_price");
            return {};
        case TxType::kDynamicFee:
            if (!t.gas_price.is_zero()) return invalid("gas_price is not used by type 2 transactions; use max_fee_per_gas");
            return {};
    }
    return invalid("unknown transaction type " + std::to_string(static_cast<unsigned>(t.type)));
}

void append_to(Bytes& out, const std::optional<Address>& to) {
    if (to)
        append(out, rlp::encode_bytes(to->view()));
    else
        append(out, rlp::encode_bytes({}));
}

void append_access_list(Bytes& out, const AccessList& list) {
    Bytes entries;
    for (const auto& entry : list) {
        Bytes keys;
        for (const auto& key : entry.storage_keys) append(keys, rlp::encode_bytes(key));
        Bytes fields = rlp::encode_bytes(entry.address.view());
        append(fields, rlp::encode_list_payload(keys));
        append(entries, rlp::encode_list_payload(fields));
    }
    append(out, rlp::encode_list_payload(entries));
}

// The list payload (fields without the list header) up to and including the access list / data.
Bytes unsigned_fields(const Transaction& t) {
    Bytes out;
    switch (t.type) {
        case TxType::kLegacy:
            append(out, rlp::encode_uint(t.nonce));
            append(out, rlp::encode_uint(t.gas_price));
            append(out, rlp::encode_uint(t.gas_limit));
            append_to(out, t.to);
            append(out, rlp::encode_uint(t.value));
            append(out, rlp::encode_bytes(t.data));
            break;
        case TxType::kAccessList:
            append(out, rlp::encode_uint(t.chain_id));
            append(out, rlp::encode_uint(t.nonce));
            append(out, rlp::encode_uint(t.gas_price));
            append(out, rlp::encode_uint(t.gas_limit));
            append_to(out, t.to);
            append(out, rlp::encode_uint(t.value));
            append(out, rlp::encode_bytes(t.data));
            append_access_list(out, t.access_list);
            break;
        case TxType::kDynamicFee:
            append(out, rlp::encode_uint(t.chain_id));
            append(out, rlp::encode_uint(t.nonce));
            append(out, rlp::encode_uint(t.max_priority_fee_per_gas));
            append(out, rlp::encode_uint(t.max_fee_per_gas));
            append(out, rlp::encode_uint(t.gas_limit));
            append_to(out, t.to);
            append(out, rlp::encode_uint(t.value));
            append(out, rlp::encode_bytes(t.data));
            append_access_list(out, t.access_list);
            break;
    }
    return out;
}

Bytes envelope(TxType type, ByteView list_payload) {
    Bytes out;
    if (type != TxType::kLegacy) out.push_back(static_cast<std::uint8_t>(type));
    append(out, rlp::encode_list_payload(list_payload));
    return out;
}

// ----- decoding helpers: every error names the field and its index in the list.

std::string field_name(const char* name, std::size_t index) {
    return std::string("field ") + std::to_string(index) + " (" + name + ")";
}

Result<const Bytes*> read_string(const RlpItem& item, const char* name, std::size_t index) {
    if (item.is_list) return malformed(field_name(name, index) + ": expected a byte string, got a list");
    return &item.bytes;
}

Result<U256> read_u256(const RlpItem& item, const char* name, std::size_t index) {
    auto v = rlp::decode_uint(item);
    if (!v) return malformed(field_name(name, index) + ": " + v.error().message);
    return *v;
}

Result<std::uint64_t> read_u64(const RlpItem& item, const char* name, std::size_t index) {
    auto v = rlp::decode_uint64(item);
    if (!v) return malformed(field_name(name, index) + ": " + v.error().message);
    return *v;
}

Result<std::optional<Address>> read_to(const RlpItem& item, std::size_t index) {
    WP_TRY(const Bytes* b, read_string(item, "to", index));
    if (b->empty()) return std::optional<Address>{};
    if (b->size() != 20)
        return malformed(field_name("to", index) + ": expected 20 bytes or empty (contract creation), got " +
                         std::to_string(b->size()) + " bytes");
    return std::optional<Address>(*Address::from_view(*b));
}

Result<Bytes32> read_scalar(const RlpItem& item, const char* name, std::size_t index) {
    WP_TRY(const U256 v, read_u256(item, name, index));
    if (v.is_zero()) return malformed(field_name(name, index) + ": signature value is zero (unsigned transaction)");
    return v.to_be32();
}

Result<AccessList> read_access_list(const RlpItem& item, std::size_t index) {
    const std::string where = field_name("accessList", index);
    if (!item.is_list) return malformed(where + ": expected a list, got a byte string");
    AccessList list;
    list.reserve(item.items.size());
    for (std::size_t i = 0; i < item.items.size(); ++i) {
        const RlpItem& entry = item.items[i];
        const std::string at = where + " entry " + std::to_string(i);
        if (!entry.is_list || entry.items.size() != 2)
            return malformed(at + ": expected a list [address, storageKeys]");
        const RlpItem& addr = entry.items[0];
        const RlpItem& keys = entry.items[1];
        if (addr.is_list || addr.bytes.size() != 20) return malformed(at + ": address must be a 20-byte string");
        if (!keys.is_list) return malformed(at + ": storage keys must be a list");
        AccessListEntry out{*Address::from_view(addr.bytes), {}};
        out.storage_keys.reserve(keys.items.size());
        for (std::size_t k = 0; k < keys.items.size(); ++k) {
            const RlpItem& key = keys.items[k];
            if (key.is_list || key.bytes.size() != 32)
                return malformed(at + " storage key " + std::to_string(k) + ": must be a 32-byte string");
            out.storage_keys.push_back(*Bytes32::from_view(key.bytes));
        }
        list.push_back(std::move(out));
    }
    return list;
}

Result<Transaction> decode_legacy(const RlpItem& root) {
    if (root.items.size() != kLegacyFields)
        return malformed("legacy transaction must have " + std::to_string(kLegacyFields) + " fields, got " +
                         std::to_string(root.items.size()));
    const auto& f = root.items;
    Transaction t;
    t.type = TxType::kLegacy;
    WP_TRY(t.nonce, read_u64(f[0], "nonce", 0));
    WP_TRY(t.gas_price, read_u256(f[1], "gasPrice", 1));
    WP_TRY(t.gas_limit, read_u64(f[2], "gasLimit", 2));
    WP_TRY(t.to, read_to(f[3], 3));
    WP_TRY(t.value, read_u256(f[4], "value", 4));
    WP_TRY(const Bytes* data, read_string(f[5], "data", 5));
    t.data = *data;
    WP_TRY(const U256 v, read_u256(f[6], "v", 6));
    Signature sig;
    if (v == U256(27) || v == U256(28)) {
        t.chain_id = 0;
        sig.y_parity = static_cast<std::uint8_t>(v.low_u64() - 27);
    } else if (v >= U256(37)) {
        const U256 w = *checked_sub(v, U256(35));
        const U256 chain = *checked_div(w, U256(2));
        if (!chain.fits_u64()) return malformed(field_name("v", 6) + ": chain id exceeds 64 bits");
        t.chain_id = chain.low_u64();
        sig.y_parity = w.bit(0) ? 1 : 0;
    } else {
        return malformed(field_name("v", 6) + ": invalid value " + v.to_dec() +
                         " (must be 27, 28 or chainId * 2 + 35 + yParity with chainId > 0)");
    }
    WP_TRY(sig.r, read_scalar(f[7], "r", 7));
    WP_TRY(sig.s, read_scalar(f[8], "s", 8));
    t.signature = sig;
    return t;
}

Result<Transaction> decode_typed(TxType type, const RlpItem& root) {
    const bool dynamic = type == TxType::kDynamicFee;
    const std::size_t expected = dynamic ? kDynamicFeeFields : kAccessListFields;
    if (root.items.size() != expected)
        return malformed("type " + std::to_string(static_cast<unsigned>(type)) + " transaction must have " +
                         std::to_string(expected) + " fields, got " + std::to_string(root.items.size()));
    const auto& f = root.items;
    Transaction t;
    t.type = type;
    std::size_t i = 0;
    WP_TRY(t.chain_id, read_u64(f[i], "chainId", i));
    ++i;
    WP_TRY(t.nonce, read_u64(f[i], "nonce", i));
    ++i;
    if (dynamic) {
        WP_TRY(t.max_priority_fee_per_gas, read_u256(f[i], "maxPriorityFeePerGas", i));
        ++i;
        WP_TRY(t.max_fee_per_gas, read_u256(f[i], "maxFeePerGas", i));
        ++i;
    } else {
        WP_TRY(t.gas_price, read_u256(f[i], "gasPrice", i));
        ++i;
    }
    WP_TRY(t.gas_limit, read_u64(f[i], "gasLimit", i));
    ++i;
    WP_TRY(t.to, read_to(f[i], i));
    ++i;
    WP_TRY(t.value, read_u256(f[i], "value", i));
    ++i;
    WP_TRY(const Bytes* data, read_string(f[i], "data", i));
    t.data = *data;
    ++i;
    WP_TRY(t.access_list, read_access_list(f[i], i));
    ++i;
    WP_TRY(const U256 parity, read_u256(f[i], "yParity", i));
    if (parity > U256(1)) return malformed(field_name("yParity", i) + ": must be 0 or 1, got " + parity.to_dec());
    ++i;
    Signature sig;
    sig.y_parity = static_cast<std::uint8_t>(parity.low_u64());
    WP_TRY(sig.r, read_scalar(f[i], "r", i));
    ++i;
    WP_TRY(sig.s, read_scalar(f[i], "s", i));
    t.signature = sig;
    return t;
}

}  // namespace

Result<Bytes> signing_payload(const Transaction& transaction) {
    WP_TRY_VOID(check_fields(transaction));
    Bytes fields = unsigned_fields(transaction);
    if (transaction.type == TxType::kLegacy && transaction.chain_id != 0) {
        append(fields, rlp::encode_uint(transaction.chain_id));
        append(fields, rlp::encode_uint(std::uint64_t{0}));
        append(fields, rlp::encode_uint(std::uint64_t{0}));
    }
    return envelope(transaction.type, fields);
}

Result<Bytes32> signing_hash(const Transaction& transaction) {
    WP_TRY(const Bytes payload, signing_payload(transaction));
    return keccak256(payload);
}

Result<Transaction> sign(const Transaction& transaction, const PrivateKey& key) {
    WP_TRY(const Bytes32 digest, signing_hash(transaction));
    Transaction out = transaction;
    out.signature = sign_hash(key, digest);
    return out;
}

Result<Bytes> encode(const Transaction& transaction) {
    WP_TRY_VOID(check_fields(transaction));
    if (!transaction.signature) return invalid("cannot encode an unsigned transaction (sign it first)");
    const Signature& sig = *transaction.signature;
    if (sig.y_parity > 1) return invalid("signature yParity must be 0 or 1");
    Bytes fields = unsigned_fields(transaction);
    if (transaction.type == TxType::kLegacy) {
        U256 v(std::uint64_t{27} + sig.y_parity);
        if (transaction.chain_id != 0) {
            // chain_id * 2 + 35 + yParity does not fit in 64 bits for large chain ids.
            v = *checked_add(*checked_mul(U256(transaction.chain_id), U256(2)), U256(std::uint64_t{35} + sig.y_parity));
        }
        append(fields, rlp::encode_uint(v));
    } else {
        append(fields, rlp::encode_uint(std::uint64_t{sig.y_parity}));
    }
    append(fields, rlp::encode_uint(U256::from_be32(sig.r)));
    append(fields, rlp::encode_uint(U256::from_be32(sig.s)));
    return envelope(transaction.type, fields);
}

Bytes32 tx_hash(ByteView raw) { return keccak256(raw); }

Result<Transaction> decode(ByteView raw) {
    if (raw.empty()) return malformed("empty input");
    const std::uint8_t first = raw[0];
    if (first >= 0xc0) {
        auto root = rlp::decode(raw);
        if (!root) return malformed("legacy transaction: " + root.error().message);
        return decode_legacy(*root);
    }
    if (first >= 0x80)
        return malformed("expected a type byte (< 0x80) or an RLP list (>= 0xc0), got an RLP string prefix " +
                         hex_byte(first));
    if (first != static_cast<std::uint8_t>(TxType::kAccessList) &&
        first != static_cast<std::uint8_t>(TxType::kDynamicFee))
        return malformed("unsupported transaction type " + hex_byte(first));
    const auto type = static_cast<TxType>(first);
    auto root = rlp::decode(raw.subspan(1));
    if (!root)
        return malformed("type " + std::to_string(first) + " payload (offsets after the type byte): " +
                         root.error().message);
    if (!root->is_list)
        return malformed("type " + std::to_string(first) + " payload must be an RLP list, got a byte string");
    return decode_typed(type, *root);
}

Result<Address> sender(const Transaction& transaction) {
    if (!transaction.signature) return make_error(Errc::kCrypto, "transaction: not signed");
    const Signature& sig = *transaction.signature;
    // EIP-2: s must be at most secp256k1n / 2.
    static const U256 kHalfOrder = *U256::from_hex("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
    if (U256::from_be32(sig.s) > kHalfOrder)
        return make_error(Errc::kCrypto, "transaction: signature s is in the upper half of the curve order (EIP-2)");
    WP_TRY(const Bytes32 digest, signing_hash(transaction));
    auto addr = recover_address(digest, sig);
    if (!addr) return make_error(addr.error().with_context("transaction"));
    return *addr;
}

}  // namespace wp::tx
