#include "wallet.hpp"

#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/keystore.hpp>

#include "files.hpp"

namespace wp::cli {

namespace json = boost::json;

Result<std::optional<std::string>> new_wallet_password(Context& ctx, bool unencrypted) {
    const auto& options = ctx.options();
    if (options.password) {
        ctx.printer().warn("Option --password may be unsafe, make sure to know what you do");
        if (unencrypted) ctx.printer().warn("Option --unencrypted will be ignored");
        return std::optional<std::string>{*options.password};
    }
    if (unencrypted) {
        ctx.printer().warn(
            "Using --unencrypted will generate unprotected unencrypted wallet, this is unsafe, make "
            "sure to know what you do");
        return std::optional<std::string>{};
    }
    const auto& ask = ctx.env().ask;
    std::optional<std::string> first, second;
    if (ask) first = ask("Please choose a password for wallet encryption", true);
    if (!first || first->empty()) return make_error(Errc::kInvalidArgument, "Missing wallet password");
    second = ask("Please confirm your password", true);
    if (!second || *second != *first) return make_error(Errc::kInvalidArgument, "Passwords do not match");
    return first;
}

Result<SavedWallet> save_wallet(Context& ctx, const PrivateKey& key, const std::optional<std::string>& password) {
    SavedWallet saved;
    saved.address = key.address();
    if (!password) {
        saved.wallet = json::object{{"privateKey", to_hex(key.secret())},
                                    {"publicKey", to_hex(key.public_key().uncompressed())},
                                    {"address", saved.address.to_checksum()}};
        WP_TRY_VOID(ctx.write_text("wallet.json", json_stringify(saved.wallet), true));
        saved.file_name = "wallet.json";
        return saved;
    }
    const std::string text = keystore_encrypt(key, *password, KeystoreOptions{ctx.env().keystore_scrypt_n, 8, 1});
    std::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return make_error(Errc::kCrypto, "keystore: cannot read back the encrypted wallet");
    saved.wallet = std::move(v.get_object());
    const std::string name = keystore_file_name(saved.address, ctx.clock().wall_now());
    const std::filesystem::path dir = ctx.keystore_dir();
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(Errc::kIo, "cannot create the keystore directory " + dir.string() + ": " + ec.message());
    const std::filesystem::path file = dir / name;
    // The SDK writes the file as JSON.stringify(obj, null, 2).
    WP_TRY_VOID(ctx.write_text(file.string(), json_stringify(saved.wallet), true));
    const std::string keystoredir = ctx.options().keystoredir.value_or("global");
    saved.file_name = keystoredir == "local" ? name : file.string();
    return saved;
}

std::string saved_wallet_human(const Context& ctx, const SavedWallet& saved) {
    return ctx.printer().ok_line("Your wallet address is " + saved.address.to_checksum() + "\nWallet saved in \"" +
                                 saved.file_name + "\":\n" + render_human(saved.wallet));
}

}  // namespace wp::cli
