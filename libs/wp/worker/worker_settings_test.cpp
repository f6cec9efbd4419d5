#include "worker_settings.hpp"

#include <gtest/gtest.h>

namespace wp::worker {
namespace {

Result<WorkerConfig> load(const std::string& json) {
    service::SettingsSources src;
    src.config_text = json;
    WP_TRY(auto s, service::Settings::load(worker_settings_schema(), src));
    return worker_config(s);
}

const std::string kRequired =
    R"("scheduler":{"url":"http://127.0.0.1:13000"},)"
    R"("wallet":{"keystore":"w.json","passwordFile":"pw"},)"
    R"("chain":{"rpc":"http://127.0.0.1:8545","hub":"0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f"})";

TEST(WorkerSettings, DefaultsForEveryOptionalKey) {
    auto c = load(R"({"worker":{)" + kRequired + "}}");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->name, "worker");
    EXPECT_EQ(c->cpu_slots, 1u);
    EXPECT_EQ(c->memory_bytes, std::uint64_t{2} << 30);
    EXPECT_EQ(c->runtime, "sandbox");
    EXPECT_TRUE(c->websocket);
    EXPECT_TRUE(c->tee_frameworks.empty());
    EXPECT_EQ(c->max_task_time.count(), 0);
    EXPECT_EQ(c->registration().cpu_slots, 1u);
    EXPECT_EQ(c->registration().memory_mb, 2048u);
}

TEST(WorkerSettings, RequiredKeysAreNamed) {
    auto c = load(R"({"worker":{}})");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("worker."), std::string::npos) << c.error().message;
}

TEST(WorkerSettings, TeeFrameworksAreParsedSortedAndChecked) {
    auto c = load(R"({"worker":{)" + kRequired + R"(,"capacity":{"teeFrameworks":"tdx, SCONE,tdx","cpuSlots":4}}})");
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->tee_frameworks.size(), 2u);
    EXPECT_EQ(c->tee_frameworks[0], workerapi::TeeFramework::kScone);
    EXPECT_EQ(c->tee_frameworks[1], workerapi::TeeFramework::kTdx);
    EXPECT_EQ(c->registration().cpu_slots, 4u);

    auto bad = load(R"({"worker":{)" + kRequired + R"(,"capacity":{"teeFrameworks":"sgx"}}})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("worker.capacity.teeFrameworks: unknown framework \"sgx\""), std::string::npos)
        << bad.error().message;
}

TEST(WorkerSettings, OutputLimitMustFitTheQuotaAndRuntimeIsAnEnum) {
    auto c = load(R"({"worker":{)" + kRequired + R"(,"maxOutput":"1GiB","diskQuota":"512MiB"}})");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("worker.maxOutput"), std::string::npos) << c.error().message;
    auto r = load(R"({"worker":{)" + kRequired + R"(,"runtime":"lxc"}})");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("worker.runtime"), std::string::npos) << r.error().message;
}

TEST(WorkerSettings, TestingFaultsAreOffByDefaultAndParsed) {
    auto plain = load(R"({"worker":{)" + kRequired + "}}");
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_FALSE(plain->has_faults());
    auto c = load(R"({"worker":{)" + kRequired + R"(,"testing":{"faults":{"wrongResult":true,"skipReveal":true}}}})");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_TRUE(c->fault_wrong_result);
    EXPECT_TRUE(c->fault_skip_reveal);
    EXPECT_TRUE(c->has_faults());
}

}  // namespace
}  // namespace wp::worker
