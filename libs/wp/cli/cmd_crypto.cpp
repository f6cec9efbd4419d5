// `iexec dataset encrypt`, `iexec result generate-encryption-keypair|decrypt` (cmd_crypto.hpp).
#include "cmd_crypto.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <vector>

#include "result_crypto.hpp"

namespace wp::cli {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view kDefaultDatasetKeyFile = "dataset.key";
constexpr std::string_view kEncryptedResultsName = "encryptedResults.zip";
constexpr std::string_view kDecryptedResultsName = "results.zip";
constexpr std::string_view kMissingBeneficiaryFolder =
    "Beneficiary secrets folder is missing did you forget to run \"iexec results generate-encryption-keypair\"?";

// A whole file as bytes; a missing file is named as `shown` (node's message for a failed open).
Result<std::string> read_file(const fs::path& p, const std::string& shown) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return make_error(Errc::kIo, "ENOENT: no such file or directory, open '" + shown + "'");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return make_error(Errc::kIo, "cannot read " + p.string());
    return text;
}

bool path_exists(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec);
}

// The SDK's saveToFile: `dir`/`name`, created with its folder; an existing file is replaced with `force`, else after
// `"<name>" already exists, replace it with new one?` (Context::confirm: yes with --force / --raw).
Result<fs::path> save_file(Context& ctx, const fs::path& dir, const std::string& name, std::string_view data,
                           bool force) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(Errc::kIo, "cannot create " + dir.string() + ": " + ec.message());
    const fs::path p = dir / name;
    if (!force && path_exists(p)) {
        WP_TRY(bool yes, ctx.confirm("\"" + name + "\" already exists, replace it with new one?"));
        if (!yes) return make_error(Errc::kInvalidArgument, "Operation aborted by user.");
    }
    WP_TRY_VOID(ctx.write_text(p.string(), data));
    return p;
}

std::string_view as_text(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

}  // namespace

fs::path folder_option(const Context& ctx, const std::optional<std::string>& option, const fs::path& fallback) {
    if (!option) return ctx.env().cwd / fallback;
    const fs::path p(*option);
    return p.is_absolute() ? p : ctx.env().cwd / p;
}

Result<Reply> dataset_encrypt(Context& ctx, const DatasetEncryptOptions& options) {
    const bool force = ctx.options().force;
    const fs::path keys = folder_option(ctx, options.dataset_keystoredir, ".secrets/datasets");
    const fs::path original = folder_option(ctx, options.original_dir, "datasets/original");
    const fs::path encrypted = folder_option(ctx, options.encrypted_dir, "datasets/encrypted");
    if (!path_exists(keys) || !path_exists(original) || !path_exists(encrypted))
        return make_error(Errc::kInvalidArgument,
                          "Folders for dataset encryption are missing, did you forget to run \"iexec dataset init "
                          "--encrypted\"?");
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(original, ec), end; !ec && it != end; it.increment(ec))
        names.push_back(it->path().filename().string());
    if (ec) return make_error(Errc::kIo, "ENOTDIR: not a directory, scandir '" + original.string() + "'");
    if (names.empty())
        return make_error(Errc::kInvalidArgument,
                          "Input folder \"" + original.string() + "\" is empty, nothing to encrypt");
    std::sort(names.begin(), names.end());

    // dataset.key is replaced without asking once this run wrote it (the SDK asks again for every file after the
    // first, and its raw mode then fails on the prompt: a bug we do not copy).
    bool default_key_written = false;
    json::array files;
    for (const std::string& name : names) {
        const fs::path source = original / name;
        if (!fs::is_regular_file(fs::symlink_status(source, ec))) {
            ctx.printer().info("Datasets must be single file, skipping " + name + "\n");
            continue;
        }
        ctx.printer().info("Encrypting " + name);
        const std::string key_text = generate_dataset_key();
        WP_TRY(Bytes key, parse_dataset_key(key_text));
        WP_TRY(std::string content, read_file(source, source.string()));
        WP_TRY(Bytes sealed, aes256_cbc_encrypt(as_bytes(content), key));
        const std::string checksum = sha256_hex(sealed);
        WP_TRY(fs::path key_path, save_file(ctx, keys, name + ".key", key_text, force));
        WP_TRY_VOID(save_file(ctx, keys, std::string(kDefaultDatasetKeyFile), key_text, force || default_key_written));
        default_key_written = true;
        ctx.printer().info("Generated dataset encryption key for " + name + " in " + key_path.string());
        WP_TRY(fs::path sealed_path, save_file(ctx, encrypted, name + ".enc", as_text(sealed), force));
        ctx.printer().info("Generated encrypted dataset for " + name + " in " + sealed_path.string());
        ctx.printer().info("Dataset checksum is " + checksum + "\n");
        files.push_back(json::object{{"original", source.string()},
                                     {"encrypted", sealed_path.string()},
                                     {"key", key_path.string()},
                                     {"checksum", checksum}});
    }
    Reply reply;
    reply.payload["encryptedDatasetFolderPath"] = encrypted.string();
    reply.payload["secretPath"] = keys.string();
    reply.payload["encryptedFiles"] = std::move(files);
    reply.human = ctx.printer().ok_line(
        "Encrypted datasets stored in \"" + encrypted.string() +
        "\", you can publish the encrypted files.\nDatasets keys stored in \"" + keys.string() +
        "\", make sure to backup them.\nOnce you deploy an encrypted dataset run \"iexec dataset push-secret "
        "[datasetAddress]\" to securely share the dataset key with the workers.");
    return reply;
}

Result<Reply> result_generate_keypair(Context& ctx, const BeneficiaryKeyOptions& options, unsigned bits) {
    WP_TRY(Address address, ctx.wallet_address());
    const fs::path dir = folder_option(ctx, options.keystoredir, ".secrets/beneficiary");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return make_error(Errc::kIo, "cannot create " + dir.string() + ": " + ec.message());
    const std::string checksummed = address.to_checksum();
    ctx.printer().info("Generate encryption keypair for wallet address " + checksummed);
    ctx.printer().start_spinner("Generating new keypair");
    WP_TRY(RsaKeyPair pair, generate_rsa_keypair(bits));
    ctx.printer().stop_spinner();
    const std::string private_name = checksummed + "_key";
    const std::string public_name = checksummed + "_key.pub";
    WP_TRY_VOID(save_file(ctx, dir, private_name, pair.private_pem, ctx.options().force));
    WP_TRY_VOID(save_file(ctx, dir, public_name, pair.public_pem, true));
    Reply reply;
    reply.payload["secretPath"] = dir.string();
    reply.payload["privateKeyFile"] = private_name;
    reply.payload["publicKeyFile"] = public_name;
    reply.human = ctx.printer().ok_line("Encryption keypair \"" + private_name + "\" and \"" + public_name +
                                        "\" generated in \"" + dir.string() +
                                        "\", make sure to backup this keypair\nRun \"iexec result "
                                        "push-encryption-key\" to securely share your public key for result "
                                        "encryption");
    return reply;
}

Result<std::string> load_beneficiary_key(Context& ctx, const BeneficiaryKeyOptions& options, KeyWording wording) {
    const fs::path dir = folder_option(ctx, options.keystoredir, ".secrets/beneficiary");
    if (!path_exists(dir)) return make_error(Errc::kInvalidArgument, std::string(kMissingBeneficiaryFolder));
    const std::string what = wording == KeyWording::kResultDecrypt ? "beneficiary encryption key" : "beneficiary key";
    fs::path key_path;
    if (options.key_file) {
        key_path = dir / *options.key_file;
    } else {
        WP_TRY(Address address, ctx.wallet_address());
        ctx.printer().info("Using " + what + " for wallet " + address.to_checksum());
        key_path = dir / (address.to_checksum() + "_key");
    }
    std::error_code ec;
    const auto size = fs::file_size(key_path, ec);
    auto text = ec || size > (std::uintmax_t{1} << 20) ? Result<std::string>(make_error(Errc::kIo, "unreadable"))
                                                       : read_file(key_path, key_path.string());
    if (!text) return make_error(Errc::kIo, "Failed to load " + what + " from \"" + key_path.string() + "\"");
    return text;
}

Result<Reply> result_decrypt(Context& ctx, const std::optional<std::string>& input,
                             const BeneficiaryKeyOptions& options) {
    const fs::path dir = folder_option(ctx, options.keystoredir, ".secrets/beneficiary");
    if (!path_exists(dir)) return make_error(Errc::kInvalidArgument, std::string(kMissingBeneficiaryFolder));
    const fs::path in = input ? fs::path(*input) : ctx.env().cwd / kEncryptedResultsName;
    const fs::path in_path = in.is_absolute() ? in : ctx.env().cwd / in;
    const fs::path out = ctx.env().cwd / kDecryptedResultsName;
    WP_TRY(std::string key, load_beneficiary_key(ctx, options, KeyWording::kResultDecrypt));
    if (path_exists(out) && !ctx.options().force) {
        WP_TRY(bool yes, ctx.confirm("File " + out.string() + " already exists, continue and replace?"));
        if (!yes) return make_error(Errc::kInvalidArgument, "Operation aborted by user.");
    }
    ctx.printer().start_spinner("Decrypting results");
    WP_TRY(std::string archive, read_file(in_path, input ? *input : in_path.string()));
    WP_TRY(Bytes plain, decrypt_result_archive(as_bytes(archive), key));
    WP_TRY_VOID(ctx.write_text(out.string(), as_text(plain)));
    Reply reply;
    reply.payload["resultsPath"] = out.string();
    reply.human = ctx.printer().ok_line("Results successfully decrypted in " + out.string());
    return reply;
}

void add_crypto_commands(Registry& r, Groups& g) {
    {
        auto& a = r.keep<DatasetEncryptOptions>();
        CLI::App* l = r.leaf(g.dataset, "encrypt",
                             "for each file in the original dataset directory, generate a key, create an encrypted "
                             "copy of the file in the encrypted dataset directory and compute the encrypted file's "
                             "checksum",
                             kForceOption);
        l->add_option("--dataset-keystoredir", a.dataset_keystoredir, "specify dataset TEE key directory");
        l->add_option("--original-dataset-dir", a.original_dir, "specify the original dataset directory");
        l->add_option("--encrypted-dataset-dir", a.encrypted_dir, "specify the encrypted dataset directory");
        r.action(l, [&a](Context& ctx) { return dataset_encrypt(ctx, a); });
    }
    {
        auto& a = r.keep<BeneficiaryKeyOptions>();
        CLI::App* l =
            r.leaf(g.result, "generate-encryption-keypair",
                   "generate a beneficiary key pair to encrypt and decrypt the results", kWalletOptions | kForceOption);
        l->alias("generate-keys");
        l->add_option("--beneficiary-keystoredir", a.keystoredir, "specify beneficiary TEE keys directory");
        r.action(l, [&a](Context& ctx) { return result_generate_keypair(ctx, a); });
    }
    {
        struct Args {
            std::optional<std::string> input;
            BeneficiaryKeyOptions key;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.result, "decrypt", "decrypt encrypted results with beneficiary key",
                             kWalletOptions | kForceOption);
        l->add_option("encryptedResultsPath", a.input, "encrypted results zip (default ./encryptedResults.zip)");
        l->add_option("--beneficiary-keystoredir", a.key.keystoredir, "specify beneficiary TEE keys directory");
        l->add_option("--beneficiary-key-file", a.key.key_file, "specify beneficiary TEE key file to use");
        r.action(l, [&a](Context& ctx) { return result_decrypt(ctx, a.input, a.key); });
    }
}

}  // namespace wp::cli
