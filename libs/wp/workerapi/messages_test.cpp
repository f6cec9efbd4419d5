#include "messages.hpp"

#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::workerapi {
namespace {

namespace json = boost::json;

Bytes32 b32(std::string_view hex) { return *bytes32_from_hex(hex); }

// Written by hand from docs/worker_protocol.md (not produced by the encoder under test).
constexpr const char* kAssignmentJson = R"({
  "taskId":"0x1111111111111111111111111111111111111111111111111111111111111111",
  "dealId":"0x2222222222222222222222222222222222222222222222222222222222222222",
  "taskIndex":3,"botFirst":2,"botSize":4,
  "app":{"address":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","uri":"file:///apps/echo.tar.gz",
         "checksum":"0x3333333333333333333333333333333333333333333333333333333333333333","type":"BUNDLE"},
  "inputFiles":["https://example.com/a.txt"],
  "iexecArgs":"hello world",
  "maxExecutionSeconds":300,
  "tag":"0x0000000000000000000000000000000000000000000000000000000000000009",
  "trust":1,
  "callback":"0x0000000000000000000000000000000000000000",
  "contributionDeadline":1767227000,"finalDeadline":1767228000,
  "authorization":{"worker":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "taskId":"0x1111111111111111111111111111111111111111111111111111111111111111",
    "enclaveChallenge":"0x0000000000000000000000000000000000000000",
    "signature":"0x)"
                                        "0101010101010101010101010101010101010101010101010101010101010101"
                                        "0202020202020202020202020202020202020202020202020202020202020202"
                                        R"(1b"}
})";

TEST(WorkerApiMessages, AssignmentDecodesEveryField) {
    auto a = assignment_from_json(json::parse(kAssignmentJson));
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->task_id, b32("0x1111111111111111111111111111111111111111111111111111111111111111"));
    EXPECT_EQ(a->task_index, 3u);
    EXPECT_EQ(a->bot_first, 2u);
    EXPECT_EQ(a->bot_size, 4u);
    EXPECT_EQ(a->app.type, "BUNDLE");
    EXPECT_EQ(a->app.resource.uri, "file:///apps/echo.tar.gz");
    EXPECT_FALSE(a->dataset.has_value());
    ASSERT_EQ(a->input_files.size(), 1u);
    EXPECT_EQ(a->iexec_args, "hello world");
    EXPECT_EQ(a->max_execution_seconds, 300u);
    EXPECT_EQ(a->trust, 1u);
    EXPECT_TRUE(a->callback.is_zero());
    EXPECT_EQ(a->authorization.worker.to_checksum(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    EXPECT_EQ(a->authorization.signature.size(), 65u);
    // Round trip: the canonical encoding decodes to the same value.
    auto again = assignment_from_json(to_json(*a));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, *a);
}

TEST(WorkerApiMessages, AssignmentRejectsWithTheKeyPath) {
    struct Case {
        std::string from, to, error;
    };
    const Case cases[] = {
        {R"("trust":1,)", R"("trust":1,"extra":2,)", "assignment: unknown key \"extra\""},
        {R"("trust":1,)", "", "assignment.trust: missing"},
        {R"("trust":1,)", R"("trust":-1,)", "assignment.trust: must not be negative"},
        {R"("trust":1,)", R"("trust":1.5,)", "assignment.trust: expected an unsigned integer"},
        {R"("trust":1,)", R"("trust":9007199254740992,)", "assignment.trust: larger than 2^53 - 1"},
        {R"("taskIndex":3)", R"("taskIndex":6)", "assignment.taskIndex: outside [botFirst, botFirst + botSize)"},
        {R"("type":"BUNDLE")", R"("type":"")", "assignment.app.type: must be 1 to 64 printable ASCII characters"},
        {R"("iexecArgs":"hello world")", R"("iexecArgs":null)", "assignment.iexecArgs: expected a string"},
        {R"("callback":"0x0000000000000000000000000000000000000000")", R"("callback":"0x00")", "assignment.callback"},
        {R"(1b"})", R"("})", "assignment.authorization.signature: expected 65 bytes, got 64"},
        {R"(1b"})", R"(1b00"})", "assignment.authorization.signature: longer than 132 bytes"},
    };
    for (const auto& c : cases) {
        std::string text = kAssignmentJson;
        const auto pos = text.find(c.from);
        ASSERT_NE(pos, std::string::npos) << c.from;
        text.replace(pos, c.from.size(), c.to);
        auto a = assignment_from_json(json::parse(text));
        ASSERT_FALSE(a) << c.to;
        EXPECT_EQ(a.error().message.substr(0, c.error.size()), c.error) << a.error().message;
    }
}

// The TEE simulation field (docs/worker_protocol.md "TEE simulation"), written by hand.
std::string with_tee_simulation(std::string_view inner) {
    std::string text = kAssignmentJson;
    const auto end = text.rfind('}');
    return text.substr(0, end) + R"(,"teeSimulation":)" + std::string(inner) + "}";
}

TEST(WorkerApiMessages, AssignmentTeeSimulationRoundTrips) {
    auto a = assignment_from_json(json::parse(with_tee_simulation(
        R"({"version":1,"enclaveKey":"0x4444444444444444444444444444444444444444444444444444444444444444"})")));
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(a->tee_simulation.has_value());
    EXPECT_EQ(a->tee_simulation->version, 1u);
    EXPECT_EQ(a->tee_simulation->enclave_key,
              b32("0x4444444444444444444444444444444444444444444444444444444444444444"));
    auto again = assignment_from_json(to_json(*a));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, *a);
    // Absent: absent in the encoding too.
    auto plain = assignment_from_json(json::parse(kAssignmentJson));
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->tee_simulation.has_value());
    EXPECT_EQ(to_json(*plain).as_object().if_contains("teeSimulation"), nullptr);
}

TEST(WorkerApiMessages, AssignmentTeeSimulationRejectsWithTheKeyPath) {
    struct Case {
        std::string inner, error;
    };
    const Case cases[] = {
        {R"({"version":2,"enclaveKey":"0x4444444444444444444444444444444444444444444444444444444444444444"})",
         "assignment.teeSimulation.version: unsupported version 2"},
        {R"({"enclaveKey":"0x4444444444444444444444444444444444444444444444444444444444444444"})",
         "assignment.teeSimulation.version: missing"},
        {R"({"version":1})", "assignment.teeSimulation.enclaveKey: missing"},
        {R"({"version":1,"enclaveKey":"0x44"})", "assignment.teeSimulation.enclaveKey"},
        {R"({"version":1,"enclaveKey":"0x4444444444444444444444444444444444444444444444444444444444444444","x":1})",
         "assignment.teeSimulation: unknown key \"x\""},
        {"null", "assignment.teeSimulation"},
    };
    for (const auto& c : cases) {
        auto a = assignment_from_json(json::parse(with_tee_simulation(c.inner)));
        ASSERT_FALSE(a) << c.inner;
        EXPECT_EQ(a.error().message.substr(0, c.error.size()), c.error) << a.error().message;
    }
}

TEST(WorkerApiMessages, AuthorizationTaskIdMustMatch) {
    std::string text = kAssignmentJson;
    const std::string from = R"("taskId":"0x1111111111111111111111111111111111111111111111111111111111111111",
    "enclaveChallenge")";
    const auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos);
    text.replace(pos, from.size(),
                 R"("taskId":"0x1111111111111111111111111111111111111111111111111111111111111112",
    "enclaveChallenge")");
    auto a = assignment_from_json(json::parse(text));
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().message, "assignment.authorization.taskId: differs from taskId");
}

TEST(WorkerApiMessages, AuthorizationSignatureFromTheProtocolLibraryRoundTrips) {
    auto key = PrivateKey::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    ASSERT_TRUE(key);
    const Bytes32 task = b32("0x1111111111111111111111111111111111111111111111111111111111111111");
    WorkerpoolAuthorization auth{key->address(), task, Address{},
                                 sign_authorization(*key, key->address(), task, Address{})};
    auto back = authorization_from_json(json::parse(serialize(to_json(auth))));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, auth);
}

TEST(WorkerApiMessages, StatusUpdateStrict) {
    auto ok = status_update_from_json(json::parse(
        R"({"status":"CONTRIBUTED","details":{"resultHash":"0x0101010101010101010101010101010101010101010101010101010101010101",
        "txHash":"0x0202020202020202020202020202020202020202020202020202020202020202","blockNumber":12}})"));
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->status, ReplicateStatus::kContributed);
    EXPECT_EQ(ok->details.block_number, 12u);
    EXPECT_FALSE(ok->details.result_seal);
    EXPECT_EQ(*status_update_from_json(to_json(*ok)), *ok);

    auto failed = status_update_from_json(
        json::parse(R"({"status":"COMPUTE_FAILED","details":{"cause":"COMPUTE_TIMEOUT","exitCode":-1}})"));
    ASSERT_TRUE(failed) << failed.error().message;
    EXPECT_EQ(failed->details.cause, FailureCause::kComputeTimeout);
    EXPECT_EQ(failed->details.exit_code, -1);

    const std::pair<const char*, const char*> bad[] = {
        {R"({"status":"DONE","details":{}})", "statusUpdate.status: unknown replicate status \"DONE\""},
        {R"({"status":"COMPUTED"})", "statusUpdate.details: missing"},
        {R"({"status":"COMPUTED","details":{"cause":"BAD"}})",
         "statusUpdate.details.cause: unknown failure cause \"BAD\""},
        {R"({"status":"COMPUTED","details":{"txHash":"0x01"}})", "statusUpdate.details.txHash: expected 32 bytes"},
        {R"({"status":"COMPUTED","details":{"foo":1}})", "statusUpdate.details: unknown key \"foo\""},
        {R"([])", "statusUpdate: expected an object"},
    };
    for (const auto& [text, error] : bad) {
        auto r = status_update_from_json(json::parse(text));
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().message.substr(0, std::string(error).size()), error) << r.error().message;
    }
}

TEST(WorkerApiMessages, RegistrationRules) {
    auto ok = registration_from_json(json::parse(
        R"({"name":"w1","version":"0.1.0","cpuSlots":4,"memoryMb":8192,"gpu":false,"teeFrameworks":["scone","tdx"],"maxTaskSeconds":3600})"));
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->cpu_slots, 4u);
    EXPECT_EQ(ok->tee_frameworks, (std::vector<TeeFramework>{TeeFramework::kScone, TeeFramework::kTdx}));
    EXPECT_EQ(*registration_from_json(to_json(*ok)), *ok);
    const std::pair<const char*, const char*> bad[] = {
        {R"({"name":"w1","version":"1","cpuSlots":0,"memoryMb":0,"gpu":false,"teeFrameworks":[],"maxTaskSeconds":0})",
         "registration.cpuSlots: must be between 1 and 1024"},
        {R"({"name":"w 1","version":"1","cpuSlots":1,"memoryMb":0,"gpu":false,"teeFrameworks":[],"maxTaskSeconds":0})",
         "registration.name: must be 1 to 64 printable ASCII characters"},
        {R"({"name":"w1","version":"1","cpuSlots":1,"memoryMb":0,"gpu":false,"teeFrameworks":["tdx","tdx"],"maxTaskSeconds":0})",
         "registration.teeFrameworks[1]: frameworks must be sorted"},
        {R"({"name":"w1","version":"1","cpuSlots":1,"memoryMb":0,"gpu":false,"teeFrameworks":["sgx"],"maxTaskSeconds":0})",
         "registration.teeFrameworks[0]: unknown TEE framework \"sgx\""},
        {R"({"name":"w1","version":"1","cpuSlots":1,"memoryMb":0,"gpu":0,"teeFrameworks":[],"maxTaskSeconds":0})",
         "registration.gpu: expected a boolean"},
    };
    for (const auto& [text, error] : bad) {
        auto r = registration_from_json(json::parse(text));
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().message.substr(0, std::string(error).size()), error) << r.error().message;
    }
}

TEST(WorkerApiMessages, NotificationsCarryWhatTheirActionNeeds) {
    auto assignment = *assignment_from_json(json::parse(kAssignmentJson));
    Notification start{1, assignment.task_id, Action::kStart, std::nullopt, assignment, std::nullopt, std::nullopt};
    Notification reveal{2, assignment.task_id, Action::kReveal, std::nullopt, std::nullopt, 42, std::nullopt};
    Notification abort{
        3, assignment.task_id, Action::kAbort, AbortCause::kConsensusReached, std::nullopt, std::nullopt, std::nullopt};
    NotificationBatch batch{{start, reveal, abort}, 3};
    auto back = notification_batch_from_json(json::parse(serialize(to_json(batch))));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, batch);

    const std::pair<const char*, const char*> bad[] = {
        {R"({"seq":1,"taskId":"0x1111111111111111111111111111111111111111111111111111111111111111","action":"PLEASE_ABORT"})",
         "notification.abortCause: required with PLEASE_ABORT only"},
        {R"({"seq":1,"taskId":"0x1111111111111111111111111111111111111111111111111111111111111111","action":"PLEASE_START"})",
         "notification.assignment: required with PLEASE_START only"},
        {R"({"seq":0,"taskId":"0x1111111111111111111111111111111111111111111111111111111111111111","action":"PLEASE_WAIT"})",
         "notification.seq: must be at least 1"},
        {R"({"seq":1,"taskId":"0x1111111111111111111111111111111111111111111111111111111111111111","action":"PLEASE_UPLOAD"})",
         "notification.uploadUrl: required with PLEASE_UPLOAD only"},
    };
    for (const auto& [text, error] : bad) {
        auto r = notification_from_json(json::parse(text));
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().message, error);
    }
    NotificationBatch unordered{{reveal, start}, 3};
    auto r = notification_batch_from_json(to_json(unordered));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "notifications.notifications: seq must increase");
}

TEST(WorkerApiMessages, SmallMessagesRoundTrip) {
    LoginAnswer login{"wp1.abc.def", 1767225600, *Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")};
    EXPECT_EQ(*login_answer_from_json(to_json(login)), login);
    RegistrationAnswer reg{*Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), 31337, 10, 60};
    EXPECT_EQ(*registration_answer_from_json(to_json(reg)), reg);
    Heartbeat hb{{b32("0x1111111111111111111111111111111111111111111111111111111111111111")}};
    EXPECT_EQ(*heartbeat_from_json(to_json(hb)), hb);
    HeartbeatAnswer hba{10, true};
    EXPECT_EQ(*heartbeat_answer_from_json(to_json(hba)), hba);
    StatusAnswer sa{Action::kAbort, AbortCause::kRefused, false};
    EXPECT_EQ(*status_answer_from_json(to_json(sa)), sa);
    EXPECT_EQ(serialize(to_json(StatusAnswer{Action::kContribute, std::nullopt, true})),
              R"({"action":"PLEASE_CONTRIBUTE","duplicate":true})");
    auto assignment = *assignment_from_json(json::parse(kAssignmentJson));
    Recovery rec{
        {RecoveryItem{assignment.task_id, ReplicateStatus::kComputed, Action::kContribute, std::nullopt, assignment}}};
    EXPECT_EQ(*recovery_from_json(to_json(rec)), rec);
    auto lc = login_challenge_from_json(
        json::parse(R"({"typedData":{"types":{},"domain":{},"primaryType":"Challenge","message":{}}})"));
    ASSERT_TRUE(lc);
    EXPECT_FALSE(login_challenge_from_json(json::parse(R"({"typedData":{"types":{}}})")));
}

TEST(WorkerApiMessages, EnumNamesAreStable) {
    // The numbers are persisted by the scheduler: spot-check both directions.
    EXPECT_EQ(to_string(ReplicateStatus::kCreated), "CREATED");
    EXPECT_EQ(to_string(ReplicateStatus::kComputed), "COMPUTED");
    EXPECT_EQ(static_cast<int>(ReplicateStatus::kWorkerLost), 32);
    EXPECT_EQ(to_string(ReplicateStatus::kWorkerLost), "WORKER_LOST");
    for (std::uint8_t i = 0; i < kReplicateStatusCount; ++i) {
        auto s = static_cast<ReplicateStatus>(i);
        EXPECT_EQ(*parse_replicate_status(to_string(s)), s);
        EXPECT_EQ(*replicate_status_from_int(i), s);
    }
    EXPECT_FALSE(replicate_status_from_int(33));
    EXPECT_EQ(to_string(Action::kContributeAndFinalize), "PLEASE_CONTRIBUTE_AND_FINALIZE");
    EXPECT_EQ(*parse_action("PLEASE_REVEAL"), Action::kReveal);
    EXPECT_EQ(parse_action("REVEAL").error().message, "unknown action \"REVEAL\"");
}

}  // namespace
}  // namespace wp::workerapi
