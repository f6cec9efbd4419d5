#include "computed_json.hpp"

#include <gtest/gtest.h>

#include "manifest.hpp"

namespace wp::worker {
namespace {

TEST(ComputedJson, FileDirectoryAndCallback) {
    auto r = parse_computed_json(R"({"deterministic-output-path":"/iexec_out/result.txt"})");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r->deterministic_output_rel, "result.txt");
    r = parse_computed_json(R"({"deterministic-output-path":"/iexec_out"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->deterministic_output_rel, "");
    r = parse_computed_json(R"({"deterministic-output-path":"/iexec_out/dir/"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->deterministic_output_rel, "dir");
    r = parse_computed_json(R"({"callback-data":"0x00ff"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->callback_data, (Bytes{0x00, 0xff}));
    EXPECT_FALSE(r->deterministic_output_rel);
    r = parse_computed_json(
        R"({"deterministic-output-path":"/iexec_out/a","task-id":"0x1","result-digest":"0x2","enclave-signature":"0x3"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->task_id, "0x1");
}

TEST(ComputedJson, StrictErrorsNameTheKey) {
    struct Case {
        const char* text;
        const char* message_part;
    };
    const Case cases[] = {
        {"[]", "computed.json: not a JSON object"},
        {"{", "computed.json"},
        {R"({"deterministic_output_path":"/iexec_out/a"})", "unknown key \"deterministic_output_path\""},
        {R"({"deterministic-output-path":1})", "\"deterministic-output-path\" must be a string"},
        {R"({"deterministic-output-path":"/tmp/x"})", "is not inside /iexec_out"},
        {R"({"deterministic-output-path":"/iexec_outx"})", "is not inside /iexec_out"},
        {R"({"deterministic-output-path":"/iexec_out/../etc/passwd"})", "path component \"..\""},
        {R"({"deterministic-output-path":"/iexec_out/a//b"})", "empty path component"},
        {R"({"callback-data":"00ff"})", "callback-data: missing 0x prefix"},
        {R"({"callback-data":"0x0"})", "callback-data"},
        {R"({"a":1,"a":2})", "duplicate key"},
    };
    for (const auto& c : cases) {
        auto r = parse_computed_json(c.text);
        ASSERT_FALSE(r) << c.text;
        EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << c.text << " → " << r.error().message;
        EXPECT_EQ(r.error().message.rfind("computed.json", 0), 0u) << r.error().message;
    }
    auto big = parse_computed_json(std::string(kMaxComputedJsonBytes + 1, ' '));
    ASSERT_FALSE(big);
}

TEST(Manifest, ParsesAndRejects) {
    auto m = parse_manifest(R"({"entrypoint":"bin/app","args":["--x","y z"]})");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->entrypoint, "bin/app");
    EXPECT_EQ(m->args, (std::vector<std::string>{"--x", "y z"}));
    EXPECT_FALSE(parse_manifest(R"({"args":[]})"));
    EXPECT_EQ(parse_manifest(R"({"entrypoint":"/bin/sh"})").error().message,
              "iexec-app.json: entrypoint: path must be relative");
    EXPECT_FALSE(parse_manifest(R"({"entrypoint":"../x"})"));
    EXPECT_FALSE(parse_manifest(R"({"entrypoint":"a","args":[1]})"));
    EXPECT_EQ(parse_manifest(R"({"entrypoint":"a","cmd":"x"})").error().message, "iexec-app.json: unknown key \"cmd\"");
}

}  // namespace
}  // namespace wp::worker
