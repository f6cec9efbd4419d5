// The local crypto commands run as a user runs them (run_iexec in a scratch directory, no terminal): dataset
// encrypt (folders, files, keys, checksums, --raw shape, overwrite rules), result generate-encryption-keypair (the
// files and their names) and result decrypt (an archive made for the generated key, the SDK's error messages).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/crypto/keystore.hpp>
#include <wp/net/http_server.hpp>

#include "cli_test_support.hpp"
#include "cmd_crypto.hpp"
#include "context.hpp"

#include "iexec_cli.hpp"
#include "result_crypto.hpp"

namespace wp::cli {
namespace {

namespace fs = std::filesystem;
using test::read_file;
using test::write_file;
namespace json = boost::json;

// vectors: anvil account 1 (a public test key).
constexpr const char* kKey1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
constexpr const char* kAddress1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

class CryptoCommandTest : public test::CliScratchTest {
  protected:
    CryptoCommandTest() : CliScratchTest("wp_cli_crypto_") {}
    void add_wallet() {
        auto key = PrivateKey::from_hex(kKey1);
        write_file(dir_ / "home/.ethereum/keystore" /
                       ("UTC--2026-01-01T00-00-00.000Z--" + key->address().to_checksum().substr(2)),
                   keystore_encrypt(*key, "pw", KeystoreOptions{1024, 8, 1}));
    }
    json::object raw_out() { return json::parse(out_.str()).as_object(); }
};

TEST_F(CryptoCommandTest, DatasetEncryptWritesKeysEncryptedFilesAndChecksums) {
    // The folders are created by `dataset init --encrypted`; without them, the SDK's message.
    EXPECT_EQ(run({"dataset", "encrypt", "--raw"}), 1);
    EXPECT_NE(err_.str().find("Folders for dataset encryption are missing, did you forget to run \\\"iexec dataset "
                              "init --encrypted\\\"?"),
              std::string::npos)
        << err_.str();
    fs::create_directories(dir_ / ".secrets/datasets");
    fs::create_directories(dir_ / "datasets/original");
    fs::create_directories(dir_ / "datasets/encrypted");
    EXPECT_EQ(run({"dataset", "encrypt"}), 1);
    EXPECT_NE(
        err_.str().find("Input folder \"" + (dir_ / "datasets/original").string() + "\" is empty, nothing to encrypt"),
        std::string::npos)
        << err_.str();

    write_file(dir_ / "datasets/original/b.txt", "second dataset");
    write_file(dir_ / "datasets/original/a.bin", std::string(100000, 'a'));
    fs::create_directories(dir_ / "datasets/original/folder");
    ASSERT_EQ(run({"dataset", "encrypt", "--raw"}), 0) << err_.str();
    const json::object r = raw_out();
    EXPECT_EQ(r.at("encryptedDatasetFolderPath").as_string(), (dir_ / "datasets/encrypted").string());
    EXPECT_EQ(r.at("secretPath").as_string(), (dir_ / ".secrets/datasets").string());
    const json::array& files = r.at("encryptedFiles").as_array();
    ASSERT_EQ(files.size(), 2u);  // the folder is skipped
    const char* names[] = {"a.bin", "b.txt"};
    for (std::size_t i = 0; i < 2; ++i) {
        const json::object& f = files[i].as_object();
        const std::string name = names[i];
        EXPECT_EQ(f.at("original").as_string(), (dir_ / "datasets/original" / name).string());
        EXPECT_EQ(f.at("encrypted").as_string(), (dir_ / "datasets/encrypted" / (name + ".enc")).string());
        EXPECT_EQ(f.at("key").as_string(), (dir_ / ".secrets/datasets" / (name + ".key")).string());
        const std::string sealed = read_file(dir_ / "datasets/encrypted" / (name + ".enc"));
        EXPECT_EQ(f.at("checksum").as_string(), sha256_hex(as_bytes(sealed)));
        const std::string key_text = read_file(dir_ / ".secrets/datasets" / (name + ".key"));
        EXPECT_EQ(key_text.size(), 44u);  // base64, no newline
        auto plain = aes256_cbc_decrypt(as_bytes(sealed), *parse_dataset_key(key_text));
        ASSERT_TRUE(plain);
        EXPECT_EQ(std::string(plain->begin(), plain->end()), read_file(dir_ / "datasets/original" / name));
    }
    // dataset.key is the last file's key.
    EXPECT_EQ(read_file(dir_ / ".secrets/datasets/dataset.key"), read_file(dir_ / ".secrets/datasets/b.txt.key"));

    // Again, human mode, no terminal, no --force: the existing key file is not replaced.
    const std::string before = read_file(dir_ / ".secrets/datasets/a.bin.key");
    EXPECT_EQ(run({"dataset", "encrypt"}), 1);
    EXPECT_NE(err_.str().find("\"a.bin.key\" already exists, replace it with new one?"), std::string::npos)
        << err_.str();
    EXPECT_EQ(read_file(dir_ / ".secrets/datasets/a.bin.key"), before);
    // --force replaces; human lines as the SDK's.
    ASSERT_EQ(run({"dataset", "encrypt", "--force"}), 0) << err_.str();
    EXPECT_NE(read_file(dir_ / ".secrets/datasets/a.bin.key"), before);
    EXPECT_NE(err_.str().find("Datasets must be single file, skipping folder"), std::string::npos) << err_.str();
    EXPECT_NE(err_.str().find("Encrypting a.bin"), std::string::npos);
    EXPECT_NE(err_.str().find("Dataset checksum is 0x"), std::string::npos);
    EXPECT_NE(out_.str().find("Encrypted datasets stored in \"" + (dir_ / "datasets/encrypted").string()),
              std::string::npos)
        << out_.str();

    // Custom folders, relative to the working directory.
    write_file(dir_ / "in/x", "x");
    fs::create_directories(dir_ / "out");
    fs::create_directories(dir_ / "keys");
    ASSERT_EQ(run({"dataset", "encrypt", "--original-dataset-dir", "in", "--encrypted-dataset-dir", "out",
                   "--dataset-keystoredir", "keys", "--raw"}),
              0)
        << err_.str();
    EXPECT_TRUE(fs::exists(dir_ / "out/x.enc"));
    EXPECT_TRUE(fs::exists(dir_ / "keys/x.key"));
    EXPECT_TRUE(fs::exists(dir_ / "keys/dataset.key"));
}

TEST_F(CryptoCommandTest, KeyPairThenDecryptAResultArchive) {
    // No beneficiary folder yet: the SDK's message.
    EXPECT_EQ(run({"result", "decrypt", "--raw"}), 1);
    EXPECT_NE(err_.str().find("Beneficiary secrets folder is missing did you forget to run"), std::string::npos)
        << err_.str();
    add_wallet();
    ASSERT_EQ(run({"result", "generate-encryption-keypair", "--raw"}), 0) << err_.str();
    const fs::path folder = dir_ / ".secrets/beneficiary";
    const std::string priv = std::string(kAddress1) + "_key";
    const std::string pub = std::string(kAddress1) + "_key.pub";
    EXPECT_EQ(out_.str(), "{\"ok\":true,\"secretPath\":" + json::serialize(json::value(folder.string())) +
                              ",\"privateKeyFile\":\"" + priv + "\",\"publicKeyFile\":\"" + pub + "\"}\n");
    const std::string private_pem = read_file(folder / priv);
    const std::string public_pem = read_file(folder / pub);
    EXPECT_TRUE(private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    EXPECT_TRUE(public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    // The private key is never printed.
    EXPECT_EQ(out_.str().find("PRIVATE"), std::string::npos);
    // Human mode without --force: the private key is kept (no terminal to confirm).
    EXPECT_EQ(run({"result", "generate-keys"}), 1);
    EXPECT_EQ(read_file(folder / priv), private_pem);

    // An archive made for this key, decrypted to results.zip.
    const std::string zip = "PK\x03\x04 a result zip";
    const Bytes archive = *encrypt_result_archive(as_bytes(zip), public_pem);
    write_file(dir_ / "encryptedResults.zip", std::string(archive.begin(), archive.end()));
    ASSERT_EQ(run({"result", "decrypt", "--raw"}), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "{\"ok\":true,\"resultsPath\":" + json::serialize(json::value((dir_ / "results.zip").string())) + "}\n");
    EXPECT_EQ(read_file(dir_ / "results.zip"), zip);
    // results.zip exists: human mode needs a confirmation.
    EXPECT_EQ(run({"result", "decrypt"}), 1);
    EXPECT_NE(err_.str().find("File " + (dir_ / "results.zip").string() + " already exists, continue and replace?"),
              std::string::npos)
        << err_.str();
    EXPECT_NE(err_.str().find("Using beneficiary encryption key for wallet " + std::string(kAddress1)),
              std::string::npos);
    // An explicit input path and key file; a missing key file and a missing input, with the SDK's messages.
    fs::rename(dir_ / "encryptedResults.zip", dir_ / "other.zip");
    ASSERT_EQ(run({"result", "decrypt", "other.zip", "--beneficiary-key-file", priv, "--force"}), 0) << err_.str();
    EXPECT_NE(out_.str().find("Results successfully decrypted in " + (dir_ / "results.zip").string()),
              std::string::npos);
    EXPECT_EQ(run({"result", "decrypt", "other.zip", "--beneficiary-key-file", "nope", "--force"}), 1);
    EXPECT_NE(err_.str().find("Failed to load beneficiary encryption key from \"" + (folder / "nope").string() + "\""),
              std::string::npos)
        << err_.str();
    EXPECT_EQ(run({"result", "decrypt", "missing.zip", "--force", "--raw"}), 1);
    EXPECT_NE(err_.str().find("ENOENT: no such file or directory, open 'missing.zip'"), std::string::npos)
        << err_.str();
    // Not an archive.
    write_file(dir_ / "bad.zip", "garbage");
    EXPECT_EQ(run({"result", "decrypt", "bad.zip", "--force", "--raw"}), 1);
    EXPECT_NE(err_.str().find("Failed to load encrypted results zip file"), std::string::npos) << err_.str();
}

// task show --download --decrypt's download step against a real HTTP server serving an encrypted result archive
// (the pool storage link our core writes): the decrypted zip is saved; without --decrypt the archive as is; a wrong
// key file gives the SDK's task show wording.
TEST_F(CryptoCommandTest, DownloadDecryptsTheTaskResult) {
    const RsaKeyPair keys = *generate_rsa_keypair(2048);
    write_file(dir_ / ".secrets/beneficiary/mine_key", keys.private_pem);
    const std::string zip = "PK\x03\x04 the task result";
    const Bytes archive = *encrypt_result_archive(as_bytes(zip), keys.public_pem);
    net::HttpServer server{net::HttpServerOptions{}};
    server.handle("GET", "/api/v1/results/:taskId", [&archive](const net::ServerRequest&) -> net::Reply {
        net::HttpResponse r;
        r.headers.emplace_back("Content-Type", "application/zip");
        r.body.assign(archive.begin(), archive.end());
        return r;
    });
    ASSERT_TRUE(server.start());
    const json::object task{
        {"results", json::object{{"storage", "pool"}, {"location", server.base_url() + "/api/v1/results/0x01"}}}};
    GlobalOptions options;
    options.force = true;
    Context ctx(options, env_, "iexec task show");
    BeneficiaryKeyOptions key;
    key.key_file = "mine_key";
    auto name = download_task_result(ctx, task, "out", &key);
    ASSERT_TRUE(name) << name.error().message;
    EXPECT_EQ(*name, "out.zip");
    EXPECT_EQ(read_file(dir_ / "out.zip"), zip);
    // Without --decrypt: the archive itself.
    ASSERT_TRUE(download_task_result(ctx, task, "raw.zip", nullptr));
    EXPECT_EQ(read_file(dir_ / "raw.zip"), std::string(archive.begin(), archive.end()));
    // A missing key file: task show's wording.
    key.key_file = "other_key";
    auto missing = download_task_result(ctx, task, "out", &key);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message,
              "Failed to load beneficiary key from \"" + (dir_ / ".secrets/beneficiary/other_key").string() + "\"");
    server.stop();
}

}  // namespace
}  // namespace wp::cli
