#include "result.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>

#include "app_env.hpp"
#include "result_zip.hpp"
#include "test_support.hpp"

namespace wp::worker {
namespace {

namespace fs = std::filesystem;
using testing::ethers;
using testing::read_file;
using testing::ScratchDir;
using testing::shell;
using testing::write_file;

std::string sha256sum(const fs::path& p) { return "0x" + shell("sha256sum '" + p.string() + "' | cut -d' ' -f1"); }

TEST(ResultDigest, SingleFileIsSha256OfItsContent) {
    ScratchDir d("digest-file");
    write_file(d / "out/result.txt", "hello iexec\n");
    write_file(d / "out/computed.json", R"({"deterministic-output-path":"/iexec_out/result.txt"})");
    auto r = collect_result(d / "out", false, std::nullopt);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->failure) << r->failure_detail;
    EXPECT_EQ(to_hex(r->digest.view()), sha256sum(d / "out/result.txt"));
}

TEST(ResultDigest, DirectoryIsKeccakOfSortedDirectEntryHashes) {
    ScratchDir d("digest-dir");
    write_file(d / "out/res/b.txt", "bee");
    write_file(d / "out/res/a.txt", "ay");
    write_file(d / "out/res/B.txt", "capital");
    write_file(d / "out/res/sub/deep.txt", "not walked");
    write_file(d / "out/computed.json", R"({"deterministic-output-path":"/iexec_out/res"})");
    auto r = collect_result(d / "out", false, std::nullopt);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_FALSE(r->failure) << r->failure_detail;
    // ethers: keccak256(sha256(B.txt) ‖ sha256(a.txt) ‖ sha256(b.txt)); the sub-directory adds nothing.
    const std::string base = (d / "out/res/").string();
    const std::string want = ethers(
        "const fs = require('fs'), crypto = require('crypto');\n"
        "const parts = ['B.txt', 'a.txt', 'b.txt'].map(f => crypto.createHash('sha256').update(fs.readFileSync('" +
        base + "' + f)).digest());\nconsole.log(ethers.keccak256(Buffer.concat(parts)));");
    EXPECT_EQ(to_hex(r->digest.view()), want);

    // The whole of iexec_out as the output: computed.json and res/ are direct entries (res adds nothing).
    write_file(d / "out/computed.json", R"({"deterministic-output-path":"/iexec_out"})");
    r = collect_result(d / "out", false, std::nullopt);
    ASSERT_TRUE(r);
    ASSERT_FALSE(r->failure) << r->failure_detail;
    EXPECT_EQ(to_hex(r->digest.view()),
              ethers("const fs = require('fs'), crypto = require('crypto');\n"
                     "console.log(ethers.keccak256(crypto.createHash('sha256').update(fs.readFileSync('" +
                     (d / "out/computed.json").string() + "')).digest()));"));

    // An empty directory: keccak256 of nothing.
    fs::create_directories(d / "out/empty");
    write_file(d / "out/computed.json", R"({"deterministic-output-path":"/iexec_out/empty"})");
    r = collect_result(d / "out", false, std::nullopt);
    ASSERT_TRUE(r);
    EXPECT_EQ(to_hex(r->digest.view()), ethers("console.log(ethers.keccak256('0x'));"));
}

TEST(ResultDigest, CallbackIsKeccakOfTheCallbackBytes) {
    ScratchDir d("digest-callback");
    const std::string data = "0x000000000000000000000000000000000000000000000000000000000000002a";
    write_file(d / "out/computed.json", R"({"callback-data":")" + data + R"("})");
    auto r = collect_result(d / "out", true, std::nullopt);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_FALSE(r->failure) << r->failure_detail;
    EXPECT_EQ(to_hex(r->digest.view()), ethers("console.log(ethers.keccak256('" + data + "'));"));
    EXPECT_EQ(to_hex(*r->callback_data), data);
}

void expect_error_result(const fs::path& out, const CollectedResult& r, FailureCause cause) {
    ASSERT_TRUE(r.failure);
    EXPECT_EQ(*r.failure, cause);
    const std::string text = read_file(out / "error.txt");
    EXPECT_EQ(text, "[IEXEC] Error occurred while computing the task [error:" + std::string(status_name(cause)) +
                        ", cause:" + std::string(cause_name(cause)) + "]");
    EXPECT_EQ(read_file(out / "computed.json"), R"({"deterministic-output-path":"/iexec_out/error.txt"})");
    EXPECT_EQ(to_hex(r.digest.view()), sha256sum(out / "error.txt"));
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(out)) ++n;
    EXPECT_EQ(n, 2u);  // the app's own files are gone
}

TEST(ResultDigest, FailuresBecomeTheDeterministicErrorResult) {
    ScratchDir d("digest-errors");
    const fs::path out = d / "out";
    write_file(out / "partial.txt", "x");
    auto r = collect_result(out, false, FailureCause::kAppFailed);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kAppFailed);
    EXPECT_EQ(read_file(out / "error.txt"),
              "[IEXEC] Error occurred while computing the task [error:COMPUTE_FAILED, cause:APP_COMPUTE_FAILED]");

    fs::remove_all(out);
    write_file(out / "result.txt", "no computed.json");
    r = collect_result(out, false, std::nullopt);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kComputedJsonMissing);

    fs::remove_all(out);
    write_file(out / "computed.json", R"({"deterministic-output-path":"/iexec_out/missing.txt"})");
    r = collect_result(out, false, std::nullopt);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kComputedJsonInvalid);

    fs::remove_all(out);
    write_file(out / "computed.json", "{not json");
    r = collect_result(out, false, std::nullopt);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kComputedJsonInvalid);

    fs::remove_all(out);  // a callback deal without callback-data
    write_file(out / "computed.json", R"({"deterministic-output-path":"/iexec_out/computed.json"})");
    r = collect_result(out, true, std::nullopt);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kComputedJsonInvalid);

    fs::remove_all(out);
    write_file(out / std::string(32, 'n'), "x");
    write_file(out / "computed.json", R"({"deterministic-output-path":"/iexec_out/computed.json"})");
    r = collect_result(out, false, std::nullopt);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kFileNameTooLong);
}

TEST(ResultDigest, LinksInTheOutputAreRefused) {
    ScratchDir d("digest-links");
    const fs::path out = d / "out";
    write_file(d / "secret.txt", "host secret");
    fs::create_directories(out);
    fs::create_symlink(d / "secret.txt", out / "leak.txt");
    write_file(out / "computed.json", R"({"deterministic-output-path":"/iexec_out/leak.txt"})");
    auto r = collect_result(out, false, std::nullopt);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kComputedJsonInvalid);

    fs::remove_all(out);
    fs::create_directories(out / "dir");
    fs::create_symlink(d / "secret.txt", out / "dir/leak.txt");
    write_file(out / "computed.json", R"({"deterministic-output-path":"/iexec_out/dir"})");
    r = collect_result(out, false, std::nullopt);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kComputedJsonInvalid);

    fs::remove_all(out);
    fs::create_directories(out);
    fs::create_directory_symlink(d.path(), out / "up");
    write_file(out / "computed.json", R"({"deterministic-output-path":"/iexec_out/up/secret.txt"})");
    r = collect_result(out, false, std::nullopt);
    ASSERT_TRUE(r);
    expect_error_result(out, *r, FailureCause::kComputedJsonInvalid);
}

TEST(ResultDigest, ContributionHashesMatchEthers) {
    const auto task = *bytes32_from_hex("0x1111111111111111111111111111111111111111111111111111111111111111");
    const auto digest = *bytes32_from_hex("0xa6f3c1f037dbf5ddbc42c5cdefef63e3aceccb3335e2b9137a4c0ec3e9328b59");
    const auto worker = *Address::parse("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    const auto c = make_contribution(worker, task, digest);
    EXPECT_EQ(to_hex(c.result_hash.view()),
              ethers("console.log(ethers.solidityPackedKeccak256(['bytes32','bytes32'],['" + to_hex(task.view()) +
                     "','" + to_hex(digest.view()) + "']));"));
    EXPECT_EQ(to_hex(c.result_seal.view()),
              ethers("console.log(ethers.solidityPackedKeccak256(['address','bytes32','bytes32'],['" +
                     worker.to_checksum() + "','" + to_hex(task.view()) + "','" + to_hex(digest.view()) + "']));"));
}

TEST(AppEnvironment, ExactNamesAndValues) {
    TaskFacts t;
    t.task_id = *bytes32_from_hex("0x00000000000000000000000000000000000000000000000000000000000000aa");
    t.deal_id = *bytes32_from_hex("0x00000000000000000000000000000000000000000000000000000000000000bb");
    t.task_index = U256(7);
    t.bot_size = U256(10);
    t.bot_first = U256(5);
    t.dataset = *Address::parse("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    t.input_files = {"https://example.com/a.txt", "http://x/b"};
    const auto env = app_environment(t);
    std::map<std::string, std::string> m(env.begin(), env.end());
    EXPECT_EQ(m.size(), env.size());
    EXPECT_EQ(m["IEXEC_TASK_ID"], "0x00000000000000000000000000000000000000000000000000000000000000aa");
    EXPECT_EQ(m["IEXEC_DEAL_ID"], "0x00000000000000000000000000000000000000000000000000000000000000bb");
    EXPECT_EQ(m["IEXEC_TASK_INDEX"], "7");
    EXPECT_EQ(m["IEXEC_BOT_SIZE"], "10");
    EXPECT_EQ(m["IEXEC_BOT_FIRST_INDEX"], "5");
    EXPECT_EQ(m["IEXEC_BOT_TASK_INDEX"], "7");
    EXPECT_EQ(m["IEXEC_IN"], "/iexec_in");
    EXPECT_EQ(m["IEXEC_OUT"], "/iexec_out");
    EXPECT_EQ(m["IEXEC_DATASET_ADDRESS"], "0x90f79bf6eb2c4f870365e785982e1f101e93b906");
    EXPECT_EQ(m["IEXEC_DATASET_FILENAME"], "0x90f79bf6eb2c4f870365e785982e1f101e93b906");
    EXPECT_EQ(m["IEXEC_INPUT_FILES_NUMBER"], "2");
    EXPECT_EQ(m["IEXEC_INPUT_FILES_FOLDER"], "/iexec_in");
    EXPECT_EQ(m["IEXEC_INPUT_FILE_NAME_1"],
              "0x" + shell("printf %s 'https://example.com/a.txt' | sha256sum | cut -d' ' -f1"));
    EXPECT_EQ(m["IEXEC_INPUT_FILE_NAME_2"], "0x" + shell("printf %s 'http://x/b' | sha256sum | cut -d' ' -f1"));
    EXPECT_EQ(m["PATH"], "/bin");
    EXPECT_EQ(m.size(), 15u);

    t.dataset.reset();
    t.input_files.clear();
    const auto env2 = app_environment(t);
    std::map<std::string, std::string> m2(env2.begin(), env2.end());
    EXPECT_EQ(m2["IEXEC_DATASET_ADDRESS"], "0x0000000000000000000000000000000000000000");
    EXPECT_EQ(m2["IEXEC_INPUT_FILES_NUMBER"], "0");
    EXPECT_EQ(m2.count("IEXEC_INPUT_FILES_FOLDER"), 0u);
    EXPECT_EQ(m2.size(), 12u);
}

TEST(ResultZip, DeterministicAndReadableByPython) {
    ScratchDir d("zip");
    auto make = [&](const fs::path& dir) {
        write_file(dir / "computed.json", R"({"deterministic-output-path":"/iexec_out/r"})");
        write_file(dir / "r/b.txt", std::string(5000, 'b'));
        write_file(dir / "r/a.txt", "a");
        write_file(dir / "run.sh", "#!/bin/sh\n");
        fs::permissions(dir / "run.sh", fs::perms::owner_all);
        fs::create_directories(dir / "empty");
    };
    make(d / "one");
    ASSERT_TRUE(zip_folder(d / "one", d / "one.zip"));
    // The same content written later, in another order, with other timestamps.
    ::sleep(1);
    fs::create_directories(d / "two/empty");
    write_file(d / "two/r/a.txt", "a");
    make(d / "two");
    ASSERT_TRUE(zip_folder(d / "two", d / "two.zip"));
    EXPECT_EQ(read_file(d / "one.zip"), read_file(d / "two.zip"));
    const std::string listing = shell(
        "python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
        "print(';'.join('%s:%d:%s:%o' % (i.filename, i.file_size, i.date_time, i.external_attr >> 16) for i in "
        "z.infolist())); "
        "assert z.read('r/b.txt') == b'b'*5000\" " +
        (d / "one.zip").string());
    EXPECT_EQ(listing,
              "computed.json:44:(1980, 1, 1, 0, 0, 0):100644;empty/:0:(1980, 1, 1, 0, 0, 0):40755;"
              "r/:0:(1980, 1, 1, 0, 0, 0):40755;r/a.txt:1:(1980, 1, 1, 0, 0, 0):100644;"
              "r/b.txt:5000:(1980, 1, 1, 0, 0, 0):100644;run.sh:10:(1980, 1, 1, 0, 0, 0):100755");

    fs::create_symlink("/etc/passwd", d / "one/link");
    auto bad = zip_folder(d / "one", d / "bad.zip");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "zip: link is not a regular file or a folder (links are not archived)");
}

}  // namespace
}  // namespace wp::worker
