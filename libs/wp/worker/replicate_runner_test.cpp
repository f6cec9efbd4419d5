#include "replicate_runner.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/protocol/ids.hpp>

#include "sandbox_runtime.hpp"
#include "test_support.hpp"

namespace wp::worker {
namespace {

namespace fs = std::filesystem;
using testing::ethers;
using testing::read_file;
using testing::ScratchDir;
using testing::shell;
using testing::write_file;

const Address kWorker = *Address::parse("0x90F79bf6EB2c4f870365E785982E1f101E93b906");

class Runner : public ::testing::Test {
  protected:
    Runner() : dir_("runner") {
        fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                         fs::perms::others_read | fs::perms::others_exec);
        runner_ = std::make_unique<ReplicateRunner>(RunnerOptions{.work_dir = dir_ / "work"}, kWorker,
                                                    std::make_shared<SandboxRuntime>());
    }

    // Packs a bundle whose entrypoint is the script; returns the request for it (checksum from sha256sum).
    ReplicateRequest request(const std::string& name, const std::string& script) {
        const fs::path src = dir_ / ("src-" + name);
        write_file(src / "iexec-app.json", R"({"entrypoint":"app.sh"})");
        write_file(src / "app.sh", "#!/bin/sh\n" + script + "\n");
        fs::permissions(src / "app.sh", fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec |
                                            fs::perms::group_read | fs::perms::group_exec);
        const fs::path archive = dir_ / (name + ".tar.gz");
        shell("tar -czf " + archive.string() + " -C " + src.string() + " .");
        ReplicateRequest r;
        r.task.task_id = *bytes32_from_hex("0x" + shell("printf %s '" + name + "' | sha256sum | cut -d' ' -f1"));
        r.task.deal_id = *bytes32_from_hex("0x00000000000000000000000000000000000000000000000000000000000000dd");
        r.task.task_index = U256(0);
        r.task.bot_size = U256(1);
        r.app_url = "file://" + archive.string();
        r.app_checksum = *bytes32_from_hex("0x" + shell("sha256sum " + archive.string() + " | cut -d' ' -f1"));
        r.max_time = std::chrono::seconds(20);
        r.memory_bytes = 256ull << 20;
        return r;
    }

    ReplicateResult run(const ReplicateRequest& r) {
        std::atomic<bool> cancel{false};
        auto out = runner_->run(r, cancel);
        EXPECT_TRUE(out) << out.error().message;
        return out ? *out : ReplicateResult{};
    }

    static std::string sha256sum(const fs::path& p) {
        return "0x" + shell("sha256sum '" + p.string() + "' | cut -d' ' -f1");
    }
    static std::string error_digest(const std::string& status, const std::string& cause) {
        return "0x" + shell("printf %s '[IEXEC] Error occurred while computing the task [error:" + status +
                            ", cause:" + cause + "]' | sha256sum | cut -d' ' -f1");
    }

    void expect_hashes(const ReplicateRequest& r, const ReplicateResult& res) {
        EXPECT_EQ(to_hex(res.result_hash.view()),
                  ethers("console.log(ethers.solidityPackedKeccak256(['bytes32','bytes32'],['" +
                         to_hex(r.task.task_id.view()) + "','" + to_hex(res.digest.view()) + "']));"));
        EXPECT_EQ(res.result_seal, result_seal(kWorker, r.task.task_id, res.digest));
        EXPECT_TRUE(fs::is_regular_file(res.zip_path));
        EXPECT_TRUE(fs::is_regular_file(res.computed_json_path));
    }

    ScratchDir dir_;
    std::unique_ptr<ReplicateRunner> runner_;
};

TEST_F(Runner, AppWritingAFile) {
    auto r = request("file", R"(printf '%s|%s|%s' "$IEXEC_TASK_ID" "$1" "$2" > $IEXEC_OUT/result.txt
echo '{"deterministic-output-path":"/iexec_out/result.txt"}' > $IEXEC_OUT/computed.json)");
    r.iexec_args = "'a b' c";
    const auto res = run(r);
    EXPECT_FALSE(res.failure) << res.failure_detail;
    EXPECT_EQ(res.runtime, "sandbox");
    const fs::path out = runner_->task_dir(r.task.task_id) / "output/iexec_out";
    EXPECT_EQ(read_file(out / "result.txt"), to_hex(r.task.task_id.view()) + "|a b|c");
    EXPECT_EQ(to_hex(res.digest.view()), sha256sum(out / "result.txt"));
    expect_hashes(r, res);
    EXPECT_EQ(
        shell("python3 -c \"import zipfile,sys; print(zipfile.ZipFile(sys.argv[1]).read('result.txt').decode())\" " +
              res.zip_path.string()),
        read_file(out / "result.txt"));
    EXPECT_EQ(runner_->results_on_disk(), std::vector<Bytes32>{r.task.task_id});
    ASSERT_TRUE(runner_->cleanup(r.task.task_id));
    EXPECT_FALSE(fs::exists(runner_->task_dir(r.task.task_id)));
    EXPECT_TRUE(runner_->results_on_disk().empty());
}

TEST_F(Runner, AppWritingADirectory) {
    auto r = request("dir", R"(mkdir -p $IEXEC_OUT/res/sub
printf one > $IEXEC_OUT/res/1.txt; printf two > $IEXEC_OUT/res/2.txt; printf deep > $IEXEC_OUT/res/sub/x
echo '{"deterministic-output-path":"/iexec_out/res"}' > $IEXEC_OUT/computed.json)");
    const auto res = run(r);
    EXPECT_FALSE(res.failure) << res.failure_detail;
    EXPECT_EQ(to_hex(res.digest.view()),
              ethers("const c = require('crypto'); const h = s => c.createHash('sha256').update(s).digest();\n"
                     "console.log(ethers.keccak256(Buffer.concat([h('one'), h('two')])));"));
    expect_hashes(r, res);
}

TEST_F(Runner, AppWithCallbackData) {
    auto r = request(
        "callback",
        R"(echo '{"callback-data":"0x0000000000000000000000000000000000000000000000000000000000000007"}' > $IEXEC_OUT/computed.json)");
    r.callback_deal = true;
    const auto res = run(r);
    EXPECT_FALSE(res.failure) << res.failure_detail;
    EXPECT_EQ(
        to_hex(res.digest.view()),
        ethers("console.log(ethers.keccak256('0x0000000000000000000000000000000000000000000000000000000000000007'));"));
    ASSERT_TRUE(res.callback_data);
    EXPECT_EQ(res.callback_data->size(), 32u);
    expect_hashes(r, res);
}

TEST_F(Runner, FailuresEndAsTheErrorResult) {
    struct Case {
        std::string name, script, cause;
        FailureCause failure;
    };
    const std::vector<Case> cases = {
        {"fails", "echo '{\"deterministic-output-path\":\"/iexec_out\"}' > $IEXEC_OUT/computed.json; exit 1",
         "APP_COMPUTE_FAILED", FailureCause::kAppFailed},
        {"no-computed", "echo x > $IEXEC_OUT/r.txt", "DETERMINISM_HASH_NOT_FOUND", FailureCause::kComputedJsonMissing},
        {"slow", "sleep 60", "APP_COMPUTE_TIMEOUT", FailureCause::kAppTimeout},
        {"too-much", "yes > $IEXEC_OUT/big", "APP_OUTPUT_TOO_LARGE", FailureCause::kOutputTooLarge},
        {"link",
         "ln -s /etc/passwd $IEXEC_OUT/l; echo '{\"deterministic-output-path\":\"/iexec_out/computed.json\"}' "
         "> $IEXEC_OUT/computed.json",
         "COMPUTED_FILE_NOT_VALID", FailureCause::kComputedJsonInvalid},
    };
    for (const auto& c : cases) {
        auto r = request(c.name, c.script);
        r.max_time = std::chrono::seconds(c.name == "slow" ? 1 : 20);
        r.max_output_bytes = 1 << 20;
        const auto res = run(r);
        ASSERT_TRUE(res.failure) << c.name;
        EXPECT_EQ(*res.failure, c.failure) << c.name;
        const std::string status = "COMPUTE_FAILED";
        EXPECT_EQ(to_hex(res.digest.view()), error_digest(status, c.cause)) << c.name;
        expect_hashes(r, res);
    }
    // A bundle that does not match its on-chain checksum never runs.
    auto r = request("bad-checksum", "touch $IEXEC_OUT/ran");
    r.app_checksum[0] ^= 0xff;
    const auto res = run(r);
    ASSERT_TRUE(res.failure);
    EXPECT_EQ(*res.failure, FailureCause::kAppBadChecksum);
    EXPECT_FALSE(res.outcome);
    EXPECT_EQ(to_hex(res.digest.view()), error_digest("APP_DOWNLOAD_FAILED", "APP_IMAGE_DOWNLOAD_FAILED"));
    EXPECT_NE(res.failure_detail.find("does not match the on-chain checksum"), std::string::npos);
}

TEST_F(Runner, DatasetAndInputFilesReachTheApp) {
    write_file(dir_ / "dataset.bin", "secret dataset");
    write_file(dir_ / "input.txt", "an input file");
    auto r = request("data", R"(cat $IEXEC_IN/$IEXEC_DATASET_FILENAME > $IEXEC_OUT/r.txt
cat $IEXEC_INPUT_FILES_FOLDER/$IEXEC_INPUT_FILE_NAME_1 >> $IEXEC_OUT/r.txt
echo "$IEXEC_INPUT_FILES_NUMBER" >> $IEXEC_OUT/r.txt
echo '{"deterministic-output-path":"/iexec_out/r.txt"}' > $IEXEC_OUT/computed.json)");
    r.task.dataset = *Address::parse("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    r.dataset_url = "file://" + (dir_ / "dataset.bin").string();
    r.dataset_checksum = *bytes32_from_hex(sha256sum(dir_ / "dataset.bin"));
    r.task.input_files = {"file://" + (dir_ / "input.txt").string()};
    auto res = run(r);
    ASSERT_FALSE(res.failure) << res.failure_detail;
    const fs::path out = runner_->task_dir(r.task.task_id) / "output/iexec_out/r.txt";
    EXPECT_EQ(read_file(out), "secret datasetan input file1\n");
    EXPECT_EQ(to_hex(res.digest.view()), sha256sum(out));

    // The dataset does not match its on-chain checksum: the app never runs, the error result is contributed.
    r.dataset_checksum[5] ^= 1;
    res = run(r);
    ASSERT_TRUE(res.failure);
    EXPECT_EQ(*res.failure, FailureCause::kDatasetBadChecksum);
    EXPECT_FALSE(res.outcome);
    EXPECT_EQ(to_hex(res.digest.view()), error_digest("DATA_DOWNLOAD_FAILED", "DATASET_FILE_BAD_CHECKSUM"));
    // An input file that cannot be fetched.
    r.dataset_checksum[5] ^= 1;
    r.task.input_files = {"file://" + (dir_ / "missing.txt").string()};
    res = run(r);
    ASSERT_TRUE(res.failure);
    EXPECT_EQ(*res.failure, FailureCause::kInputFilesDownloadFailed);
    EXPECT_EQ(to_hex(res.digest.view()), error_digest("DATA_DOWNLOAD_FAILED", "INPUT_FILES_DOWNLOAD_FAILED"));
}

TEST_F(Runner, TeeDealsGetASimulatedEnclaveSignature) {
    for (const std::uint8_t tag : {std::uint8_t{0x3}, std::uint8_t{0x9}}) {
        auto r = request("tee-" + std::to_string(tag), R"(printf tee > $IEXEC_OUT/r.txt
echo '{"deterministic-output-path":"/iexec_out/r.txt"}' > $IEXEC_OUT/computed.json)");
        r.tag[31] = tag;
        const auto enclave = SimulatedEnclave::generate();
        std::atomic<bool> cancel{false};
        auto res = runner_->run(r, cancel, &enclave);
        ASSERT_TRUE(res) << res.error().message;
        EXPECT_EQ(res->runtime, "tee-sim(sandbox)");
        EXPECT_EQ(res->tee, tag == 0x3 ? TeeFramework::kScone : TeeFramework::kTdx);
        ASSERT_TRUE(res->enclave_challenge && res->enclave_signature);
        EXPECT_EQ(*res->enclave_challenge, enclave.challenge());
        auto sig = Signature::parse(*res->enclave_signature);
        ASSERT_TRUE(sig);
        EXPECT_EQ(*eip191_recover(enclave_message_hash(res->result_hash, res->result_seal).view(), *sig),
                  enclave.challenge());
        EXPECT_NE(res->outcome->log_tail.find("[tee-simulation]"), std::string::npos);
    }
}

TEST_F(Runner, DiskQuotaAndCancel) {
    ReplicateRunner small(RunnerOptions{.work_dir = dir_ / "small", .disk_quota_bytes = 1 << 20}, kWorker,
                          std::make_shared<SandboxRuntime>());
    auto r = request("quota", "true");
    r.max_output_bytes = 2 << 20;
    std::atomic<bool> cancel{false};
    auto res = small.run(r, cancel);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::kTooLarge);
    EXPECT_NE(res.error().message.find("work folder:"), std::string::npos);

    cancel = true;
    auto canceled = runner_->run(request("cancel", "sleep 60"), cancel);
    ASSERT_FALSE(canceled);
    EXPECT_EQ(canceled.error().message, "replicate canceled");
}

// The quota's bound between measurements: runs whose reservations add up past the quota still start when the folder
// itself has room (the bound is measured again); a folder that really fills up is refused at the next run, bound or
// not.
TEST_F(Runner, DiskQuotaBoundIsMeasuredAgainBeforeRefusing) {
    ReplicateRunner small(RunnerOptions{.work_dir = dir_ / "bounded", .disk_quota_bytes = 4 << 20}, kWorker,
                          std::make_shared<SandboxRuntime>());
    auto r = request("bounded", R"(echo 1 > $IEXEC_OUT/r.txt
echo '{"deterministic-output-path":"/iexec_out/r.txt"}' > $IEXEC_OUT/computed.json)");
    r.max_output_bytes = 1 << 20;
    std::atomic<bool> cancel{false};
    for (int i = 0; i < 6; ++i) {  // 6 × 1 MiB reserved > 4 MiB: runs 4+ start after a new measurement
        auto res = small.run(r, cancel);
        ASSERT_TRUE(res) << "run " << i << ": " << res.error().message;
        EXPECT_FALSE(res->failure);
        ASSERT_TRUE(small.cleanup(r.task.task_id));
    }
    // 3.5 MiB written into the folder by someone else: seen at the latest kQuotaRemeasureRuns runs later (here at
    // the second, when the bound no longer leaves room), and the run is refused.
    write_file(dir_ / "bounded" / "filler.bin", std::string(7u << 19, 'x'));
    std::optional<Error> refused;
    for (unsigned i = 0; i <= ReplicateRunner::kQuotaRemeasureRuns && !refused; ++i) {
        auto res = small.run(r, cancel);
        if (!res) refused = res.error();
        ASSERT_TRUE(small.cleanup(r.task.task_id));
    }
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->code, Errc::kTooLarge);
    EXPECT_NE(refused->message.find("work folder:"), std::string::npos) << refused->message;
}

}  // namespace
}  // namespace wp::worker
