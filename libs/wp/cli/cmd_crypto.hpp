#pragma once
// The local crypto commands of `iexec` (SDK 9.0.1 iexec-dataset.js `encrypt`, iexec-result.js
// `generate-encryption-keypair|decrypt`, iexec-task.js `show --download --decrypt`), on result_crypto.hpp. No
// chain, no SMS: files only.
//
// Folders (the SDK's createEncFolderPaths; an option's relative path is taken from the working directory):
//   dataset keys        --dataset-keystoredir       default <cwd>/.secrets/datasets
//   original datasets   --original-dataset-dir      default <cwd>/datasets/original
//   encrypted datasets  --encrypted-dataset-dir     default <cwd>/datasets/encrypted
//   beneficiary keys    --beneficiary-keystoredir   default <cwd>/.secrets/beneficiary
//
// `iexec dataset encrypt`: the three dataset folders must exist (`Folders for dataset encryption are missing, did
// you forget to run "iexec dataset init --encrypted"?`) and the original folder must not be empty (`Input folder
// "<path>" is empty, nothing to encrypt`). Each regular file <name> of the original folder, in byte order of the
// names (anything else: `ℹ Datasets must be single file, skipping <name>`), gets a new key written to
// <keys>/<name>.key and <keys>/dataset.key (the last one wins), and its encryption written to
// <encrypted>/<name>.enc. An existing file is replaced after `"<file>" already exists, replace it with new one?`
// (yes with --force / --raw; no: `Operation aborted by user.`), except dataset.key once this run wrote it
// (difference: the SDK asks again for each file after the first, and fails there in --raw mode). --raw:
// {"ok":true,"encryptedDatasetFolderPath", "secretPath","encryptedFiles":[{"original","encrypted","key","checksum"}]}.
//
// `iexec result generate-encryption-keypair` (alias generate-keys): RSA 4096 for the wallet's address (read from
// the keystore, not decrypted): <beneficiary>/<address>_key (private, replaced only with --force or after the
// confirmation) and <address>_key.pub (always replaced). --raw: {"ok":true,"secretPath","privateKeyFile",
// "publicKeyFile"}. The private key is never printed.
//
// `iexec result decrypt [encryptedResultsPath]` (default <cwd>/encryptedResults.zip) writes <cwd>/results.zip
// (`File <path> already exists, continue and replace?` unless --force / --raw). The key: <beneficiary>/
// --beneficiary-key-file, else <beneficiary>/<wallet address>_key. --raw: {"ok":true,"resultsPath"}.
//
// Thread safety: none (one Context per invocation).

#include <filesystem>
#include <optional>
#include <string>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "command.hpp"
#include "context.hpp"
#include "output.hpp"

namespace wp::cli {

struct DatasetEncryptOptions {
    std::optional<std::string> dataset_keystoredir;
    std::optional<std::string> original_dir;
    std::optional<std::string> encrypted_dir;
};

struct BeneficiaryKeyOptions {
    std::optional<std::string> keystoredir;  //!< --beneficiary-keystoredir
    std::optional<std::string> key_file;     //!< --beneficiary-key-file (a name in the keystore directory)
};

//! `option` as an absolute path (relative: under the working directory), or <cwd>/`fallback`.
std::filesystem::path folder_option(const Context& ctx, const std::optional<std::string>& option,
                                    const std::filesystem::path& fallback);

Result<Reply> dataset_encrypt(Context& ctx, const DatasetEncryptOptions& options);
//! `bits`: 4096 as the SDK (tests may lower it).
Result<Reply> result_generate_keypair(Context& ctx, const BeneficiaryKeyOptions& options, unsigned bits = 4096);
Result<Reply> result_decrypt(Context& ctx, const std::optional<std::string>& input,
                             const BeneficiaryKeyOptions& options);

//! Which command's wording load_beneficiary_key uses: `result decrypt` says "beneficiary encryption key",
//! `task show --decrypt` says "beneficiary key" (the SDK's two texts).
enum class KeyWording { kResultDecrypt, kTaskShow };
//! The beneficiary's private key PEM (a secret: never printed): the folder must exist (`Beneficiary secrets folder
//! is missing did you forget to run "iexec results generate-encryption-keypair"?`); without --beneficiary-key-file
//! prints `ℹ Using beneficiary [encryption ]key for wallet <address>`; an unreadable file: `Failed to load
//! beneficiary [encryption ]key from "<path>"`.
Result<std::string> load_beneficiary_key(Context& ctx, const BeneficiaryKeyOptions& options, KeyWording wording);

//! `task show --download [--decrypt]` (cmd_deal.cpp): downloads the result the task's "results" link points to
//! ({"storage":"pool"|"ipfs","location"}) and saves it as <file_name>.zip (".zip" kept when present) in the working
//! directory; with `decrypt`, the archive is decrypted with the beneficiary key first (`Decrypting result`, the
//! messages of load_beneficiary_key (KeyWording::kTaskShow) and decrypt_result_archive). Returns the file name.
Result<std::string> download_task_result(Context& ctx, const boost::json::object& task, const std::string& file_name,
                                         const BeneficiaryKeyOptions* decrypt);

//! Registers `dataset encrypt`, `result generate-encryption-keypair|decrypt` and `task debug` (cmd_task_debug.cpp);
//! called by add_secrets_commands.
void add_crypto_commands(Registry& r, Groups& g);
void add_task_debug_command(Registry& r, Groups& g);

}  // namespace wp::cli
