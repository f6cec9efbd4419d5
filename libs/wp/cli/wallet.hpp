#pragma once
// Creating wallet files as `iexec wallet create|import` and `iexec init` do (SDK 9.0.1 keystore.js,
// sdk-cli-and-market.md §2.3): an encrypted Web3 Secret Storage v3 file named
// UTC--<YYYY-MM-DDTHH-MM-SS.mmm000000Z>--<EIP-55 address without 0x> in the keystore directory, or with
// --unencrypted ./wallet.json {privateKey, publicKey (uncompressed 0x04…), address}.

#include <string>

#include <boost/json/object.hpp>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "context.hpp"

namespace wp::cli {

struct SavedWallet {
    boost::json::object wallet;  //!< the file's content
    std::string file_name;       //!< as the SDK reports it: the full path (global, <path>) or the bare name (local)
    Address address;
};

//! The password of a new wallet: --password (with the SDK's warning `Option --password may be unsafe, make sure to
//! know what you do`), else asked twice on the terminal (`Please choose a password for wallet encryption`; a
//! mismatch is an error), else `Missing wallet password`. nullopt with `unencrypted` and no --password.
Result<std::optional<std::string>> new_wallet_password(Context& ctx, bool unencrypted);

//! Writes the wallet of `key` (encrypted with `password`, or wallet.json when nullopt). wallet.json is replaced
//! only after confirmation (`"wallet.json" already exists, replace it with new one?`, --force).
Result<SavedWallet> save_wallet(Context& ctx, const PrivateKey& key, const std::optional<std::string>& password);

//! The human text after a wallet was saved.
std::string saved_wallet_human(const Context& ctx, const SavedWallet& saved);

}  // namespace wp::cli
