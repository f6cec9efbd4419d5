#include "utils.hpp"

#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include <wp/codec/abi.hpp>
#include <wp/codec/transaction.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/crypto/keystore.hpp>

#include "orders_json.hpp"

namespace wp::cli {
namespace {

namespace json = boost::json;

// Files given to the CLI are small documents; anything larger is a mistake, not an order.
constexpr std::size_t kMaxInputFile = 16u << 20;

Result<std::string> read_file(const std::string& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::kIo, std::string(what) + ": cannot open file " + path);
    std::ostringstream buf;
    buf << in.rdbuf();
    std::string content = buf.str();
    if (content.size() > kMaxInputFile)
        return make_error(Errc::kInvalidArgument, std::string(what) + ": file " + path + " is larger than 16 MiB");
    return content;
}

Reply single(std::string_view key, std::string value) {
    Reply r;
    r.payload[key] = value;
    r.human = std::move(value);
    return r;
}

Result<Bytes32> parse_hash32(std::string_view text, std::string_view what) {
    auto h = bytes32_from_hex(text);
    if (!h) return make_error(h.error().with_context(what));
    return *h;
}

}  // namespace

Result<std::string> read_inline_or_file(std::string_view argument, std::string_view what) {
    if (!argument.empty() && argument.front() == '@') return read_file(std::string(argument.substr(1)), what);
    return std::string(argument);
}

Result<PrivateKey> load_signer(const SignerOptions& options) {
    if (options.private_key && options.wallet_file)
        return make_error(Errc::kInvalidArgument, "use either --private-key or --wallet-file, not both");
    if (options.private_key) return PrivateKey::from_hex(*options.private_key);
    if (!options.wallet_file)
        return make_error(Errc::kInvalidArgument,
                          "missing signer: pass --private-key or --wallet-file with --password");
    if (!options.password) return make_error(Errc::kInvalidArgument, "missing --password for --wallet-file");
    WP_TRY(std::string content, read_file(*options.wallet_file, "--wallet-file"));
    return keystore_decrypt(content, *options.password);
}

Result<Reply> utils_keccak256(std::string_view input) {
    if (has_hex_prefix(input)) {
        auto bytes = from_hex(input);
        if (!bytes) return make_error(bytes.error().with_context("input"));
        return single("hash", to_hex(keccak256(*bytes)));
    }
    return single("hash", to_hex(keccak256(as_bytes(input))));
}

Result<Reply> utils_hash_order(std::string_view kind, std::string_view order_json, std::string_view chain_id,
                               std::string_view hub) {
    WP_TRY(auto hashed, hash_order_argument(kind, order_json, chain_id, hub));
    Reply r;
    r.payload["domainSeparator"] = to_hex(hashed.domain_separator);
    r.payload["structHash"] = to_hex(hashed.struct_hash);
    r.payload["orderHash"] = to_hex(hashed.order_hash);
    return r;
}

Result<Reply> utils_sign_order(std::string_view kind, std::string_view order_json, std::string_view chain_id,
                               std::string_view hub, const SignerOptions& signer) {
    WP_TRY(auto hashed, hash_order_argument(kind, order_json, chain_id, hub));
    WP_TRY(auto key, load_signer(signer));
    const Signature sig = sign_hash(key, hashed.order_hash);
    Reply r;
    r.payload["orderHash"] = to_hex(hashed.order_hash);
    r.payload["sign"] = to_hex(sig.to_bytes65());
    return r;
}

Result<Reply> utils_sign_message(std::string_view hash32, const SignerOptions& signer) {
    WP_TRY(Bytes32 hash, parse_hash32(hash32, "hash"));
    WP_TRY(auto key, load_signer(signer));
    return single("signature", to_hex(eip191_sign(key, hash.view()).to_bytes65()));
}

Result<Reply> utils_recover(std::string_view hash32, std::string_view signature, bool eip191) {
    WP_TRY(Bytes32 hash, parse_hash32(hash32, "hash"));
    auto sig_bytes = from_hex(signature);
    if (!sig_bytes) return make_error(sig_bytes.error().with_context("signature"));
    auto sig = Signature::parse(*sig_bytes, Signature::Format::kLenient);
    if (!sig) return make_error(sig.error().with_context("signature"));
    const Bytes32 digest = eip191 ? eip191_hash(hash.view()) : hash;
    WP_TRY(Address signer, recover_address(digest, *sig));
    return single("address", signer.to_checksum());
}

Result<Reply> utils_keystore_decrypt(std::string_view file, const std::optional<std::string>& password,
                                     bool show_private_key) {
    if (!password) return make_error(Errc::kInvalidArgument, "missing --password");
    WP_TRY(std::string content, read_file(std::string(file), "keystore"));
    WP_TRY(auto key, keystore_decrypt(content, *password));
    Reply r;
    r.payload["address"] = key.address().to_checksum();
    if (show_private_key) {
        r.payload["privateKey"] = to_hex(key.secret().view());
        r.payload["publicKey"] = to_hex(key.public_key().uncompressed());
    } else {
        r.human = key.address().to_checksum();
    }
    return r;
}

Result<Reply> utils_tx_decode(std::string_view raw) {
    auto bytes = from_hex(raw);
    if (!bytes) return make_error(bytes.error().with_context("raw transaction"));
    WP_TRY(Transaction t, tx::decode(*bytes));
    Reply r;
    json::object& o = r.payload;
    o["type"] = static_cast<int>(t.type);
    o["chainId"] = std::to_string(t.chain_id);
    o["nonce"] = std::to_string(t.nonce);
    if (t.type == TxType::kDynamicFee) {
        o["maxPriorityFeePerGas"] = t.max_priority_fee_per_gas.to_dec();
        o["maxFeePerGas"] = t.max_fee_per_gas.to_dec();
    } else {
        o["gasPrice"] = t.gas_price.to_dec();
    }
    o["gasLimit"] = std::to_string(t.gas_limit);
    o["to"] = t.to ? json::value(t.to->to_checksum()) : json::value(nullptr);
    o["value"] = t.value.to_dec();
    o["data"] = to_hex(t.data);
    if (t.type != TxType::kLegacy) {
        json::array list;
        for (const auto& entry : t.access_list) {
            json::array keys;
            for (const auto& k : entry.storage_keys) keys.emplace_back(to_hex(k.view()));
            list.emplace_back(json::object{{"address", entry.address.to_checksum()}, {"storageKeys", keys}});
        }
        o["accessList"] = std::move(list);
    }
    o["hash"] = to_hex(tx::tx_hash(*bytes));
    if (t.signature) {
        o["r"] = to_hex(t.signature->r.view());
        o["s"] = to_hex(t.signature->s.view());
        o["yParity"] = t.signature->y_parity;
    }
    auto from = tx::sender(t);
    if (!from) return make_error(from.error().with_context("transaction signature"));
    o["from"] = from->to_checksum();
    return r;
}

Result<Reply> utils_abi_encode(std::string_view signature, std::string_view json_args) {
    WP_TRY(AbiSignature sig, parse_abi_signature(signature));
    WP_TRY(std::string args_text, read_inline_or_file(json_args, "args"));
    std::error_code ec;
    const json::value args = json::parse(args_text, ec);
    if (ec) return make_error(Errc::kDecoding, "args: invalid JSON (" + ec.message() + ")");
    if (!args.is_array()) return make_error(Errc::kInvalidArgument, "args: must be a JSON array of the arguments");
    WP_TRY(auto values, values_from_json(sig.inputs, args));
    WP_TRY(Bytes calldata, abi_encode_call(sig, values));
    return single("calldata", to_hex(calldata));
}

}  // namespace wp::cli
