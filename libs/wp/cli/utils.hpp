#pragma once
// `iexec utils ...`: low-level helpers for operators debugging orders, signatures and
// transactions. Each function is the whole command minus option parsing, so tests call them
// directly; errors name the argument and the rule that was broken.

#include <optional>
#include <string>
#include <string_view>

#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "output.hpp"

namespace wp::cli {

//! How a signing command obtains its key: --private-key, or --wallet-file + --password.
struct SignerOptions {
    std::optional<std::string> private_key;
    std::optional<std::string> wallet_file;
    std::optional<std::string> password;
};

Result<PrivateKey> load_signer(const SignerOptions& options);

//! Reads `@path` as a file's content, anything else as the literal argument.
Result<std::string> read_inline_or_file(std::string_view argument, std::string_view what);

//! keccak256 of 0x-hex bytes, or of the UTF-8 text when the input does not start with 0x.
Result<Reply> utils_keccak256(std::string_view input);

//! EIP-712 hashes of an order of `kind` (app|dataset|workerpool|request) in the iExec domain.
Result<Reply> utils_hash_order(std::string_view kind, std::string_view order_json, std::string_view chain_id,
                               std::string_view hub);
Result<Reply> utils_sign_order(std::string_view kind, std::string_view order_json, std::string_view chain_id,
                               std::string_view hub, const SignerOptions& signer);

//! EIP-191 personal-message signature of a 32-byte hash.
Result<Reply> utils_sign_message(std::string_view hash32, const SignerOptions& signer);
//! Address that signed the 32-byte digest (or, with eip191, the EIP-191 message made of the hash).
Result<Reply> utils_recover(std::string_view hash32, std::string_view signature, bool eip191);

Result<Reply> utils_keystore_decrypt(std::string_view file, const std::optional<std::string>& password,
                                     bool show_private_key);
Result<Reply> utils_tx_decode(std::string_view raw);
Result<Reply> utils_abi_encode(std::string_view signature, std::string_view json_args);

}  // namespace wp::cli
