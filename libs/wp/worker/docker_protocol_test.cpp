// The Docker Engine API pieces without a daemon: the create body, the answer parsers, the log demultiplexer and the
// pull progress reader. (The runtime against a real dockerd: tests/worker/.)

#include "docker_protocol.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace wp::worker::docker {
namespace {

namespace json = boost::json;

const std::string kId(64, 'a');

std::string frame(unsigned char stream, std::string_view payload) {
    std::string f(8, '\0');
    f[0] = static_cast<char>(stream);
    const auto n = static_cast<std::uint32_t>(payload.size());
    f[4] = static_cast<char>((n >> 24) & 0xff);
    f[5] = static_cast<char>((n >> 16) & 0xff);
    f[6] = static_cast<char>((n >> 8) & 0xff);
    f[7] = static_cast<char>(n & 0xff);
    return f + std::string(payload);
}

RunSpec sample_spec() {
    RunSpec spec;
    spec.app = "wp-test/busybox:1";
    spec.args = {"sh", "-c", "echo hi > $IEXEC_OUT/x"};
    spec.env = {{"IEXEC_IN", "/iexec_in"}, {"IEXEC_OUT", "/iexec_out"}, {"EMPTY", ""}, {"EQ", "a=b"}};
    spec.in_dir = "/work/t/in";
    spec.out_dir = "/work/t/out";
    spec.memory_bytes = 64 << 20;
    spec.max_pids = 32;
    return spec;
}

TEST(DockerCreateBody, CarriesTheSpecAndTheLimits) {
    auto body = build_create_body(sample_spec(), CreateOptions{.instance = "w1"});
    ASSERT_TRUE(body) << body.error().message;
    const auto v = json::parse(*body).as_object();
    EXPECT_EQ(v.at("Image"), "wp-test/busybox:1");
    EXPECT_EQ(v.at("Cmd"), (json::array{"sh", "-c", "echo hi > $IEXEC_OUT/x"}));
    EXPECT_EQ(v.at("Env"), (json::array{"IEXEC_IN=/iexec_in", "IEXEC_OUT=/iexec_out", "EMPTY=", "EQ=a=b"}));
    EXPECT_EQ(v.at("Labels"), (json::object{{"org.wp.worker.instance", "w1"}}));
    EXPECT_EQ(v.at("NetworkDisabled"), true);
    EXPECT_FALSE(v.contains("User"));
    const auto& h = v.at("HostConfig").as_object();
    EXPECT_EQ(
        h.at("Mounts"),
        (json::array{
            json::object{{"Type", "bind"}, {"Source", "/work/t/in"}, {"Target", "/iexec_in"}, {"ReadOnly", true}},
            json::object{{"Type", "bind"}, {"Source", "/work/t/out"}, {"Target", "/iexec_out"}, {"ReadOnly", false}}}));
    EXPECT_EQ(h.at("NetworkMode"), "none");
    EXPECT_EQ(h.at("Memory"), 64 << 20);
    EXPECT_EQ(h.at("MemorySwap"), 64 << 20);
    EXPECT_EQ(h.at("PidsLimit"), 32);
    EXPECT_FALSE(h.contains("NanoCpus"));
    EXPECT_EQ(h.at("Privileged"), false);
    EXPECT_EQ(h.at("CapDrop"), (json::array{"ALL"}));
    EXPECT_EQ(h.at("ReadonlyRootfs"), true);
    EXPECT_EQ(h.at("SecurityOpt"), (json::array{"no-new-privileges"}));
    EXPECT_EQ(h.at("Tmpfs"), (json::object{{"/tmp", "rw,noexec,nosuid,size=67108864"}}));
    EXPECT_EQ(h.at("RestartPolicy"), (json::object{{"Name", "no"}}));
}

TEST(DockerCreateBody, NetworkNoArgsNoLimitsAndAUser) {
    auto spec = sample_spec();
    spec.network = true;
    spec.args.clear();
    spec.memory_bytes = 0;
    spec.max_pids = 0;
    auto body = build_create_body(
        spec, CreateOptions{.network_mode = "wp-net", .tmp_bytes = 0, .user = "1000:1000", .nano_cpus = 1500000000});
    ASSERT_TRUE(body) << body.error().message;
    const auto v = json::parse(*body).as_object();
    EXPECT_FALSE(v.contains("Cmd"));  // the image's own CMD is kept
    EXPECT_EQ(v.at("NetworkDisabled"), false);
    EXPECT_EQ(v.at("User"), "1000:1000");
    const auto& h = v.at("HostConfig").as_object();
    EXPECT_EQ(h.at("NetworkMode"), "wp-net");
    EXPECT_FALSE(h.contains("Memory"));
    EXPECT_FALSE(h.contains("PidsLimit"));
    EXPECT_FALSE(h.contains("Tmpfs"));
    EXPECT_EQ(h.at("NanoCpus"), 1500000000);
}

TEST(DockerCreateBody, RejectsWhatCannotBeExpressed) {
    const auto fails = [](RunSpec spec, std::string_view expected, CreateOptions o = {}) {
        auto r = build_create_body(spec, o);
        ASSERT_FALSE(r) << expected;
        EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
        EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
    };
    auto s = sample_spec();
    s.app = "";
    fails(s, "image reference '': is empty");
    s.app = "-rm";
    fails(s, "must start with a letter or a digit");
    s.app = "busybox?x=1";
    fails(s, "only letters, digits and ._-/:@ are allowed");
    s.app = "a/../b";
    fails(s, "must not hold '..'");
    s = sample_spec();
    s.in_dir = "relative/in";
    fails(s, "in_dir: must be an absolute path, got 'relative/in'");
    s = sample_spec();
    s.out_mount = "/";
    fails(s, "out_mount: must be an absolute path other than '/'");
    s = sample_spec();
    s.out_mount = s.in_mount;
    fails(s, "in_mount and out_mount: must differ");
    s = sample_spec();
    s.env.emplace_back("A=B", "c");
    fails(s, "env: name 'A=B' must be non-empty without '=' or NUL");
    s = sample_spec();
    s.env.emplace_back("", "c");
    fails(s, "env: name ''");
    s = sample_spec();
    s.env.emplace_back("X", std::string("a\0b", 3));
    fails(s, "env X: holds a NUL character");
    s = sample_spec();
    s.args.push_back(std::string("\0", 1));
    fails(s, "args[3]: holds a NUL character");
    fails(sample_spec(), "instance 'a b'", CreateOptions{.instance = "a b"});
    fails(sample_spec(), "instance: must be 1 to 64 characters", CreateOptions{.instance = ""});
}

TEST(DockerAnswers, CreateAnswer) {
    auto c = parse_create_answer(R"({"Id":")" + kId + R"(","Warnings":["memory swap"]})");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->id, kId);
    EXPECT_EQ(c->warnings, std::vector<std::string>{"memory swap"});
    c = parse_create_answer(R"({"Id":")" + kId + R"(","Warnings":null})");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->warnings.empty());

    const std::pair<std::string, std::string> bad[] = {
        {R"({"Warnings":[]})", "create container answer: Id: missing"},
        {R"({"Id":7})", "Id: not a string"},
        {R"({"Id":"ABC"})", "Id: not 64 lowercase hex digits"},
        {R"({"Id":")" + std::string(64, 'A') + R"("})", "Id: not 64 lowercase hex digits"},
        {R"({"Id":")" + kId + R"(","Warnings":"x"})", "Warnings: not an array or null"},
        {R"({"Id":")" + kId + R"(","Warnings":[1]})", "Warnings: holds a non-string"},
        {R"({"Id":")" + kId + R"(","Id":")" + kId + R"("})", "duplicate key"},
        {R"({"Id":")" + kId + R"("} x)", "docker: create container answer"},
        {"[]", "(top level): not an object"},
        {"", "docker: create container answer"},
    };
    for (const auto& [body, expected] : bad) {
        auto r = parse_create_answer(body);
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error().code, Errc::kDecoding);
        EXPECT_NE(r.error().message.find(expected), std::string::npos) << body << " -> " << r.error().message;
    }
}

TEST(DockerAnswers, ContainerInspect) {
    const std::string ok =
        R"({"Id":")" + kId +
        R"(","Created":"2026-12-05T11:00:00Z","State":{"Status":"exited","Running":false,"Paused":false,)"
        R"("OOMKilled":true,"Dead":false,"Pid":0,"ExitCode":137,"Error":"","StartedAt":"x"},"Name":"/n"})";
    auto s = parse_container_inspect(ok);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->id, kId);
    EXPECT_EQ(s->status, "exited");
    EXPECT_FALSE(s->running);
    EXPECT_TRUE(s->oom_killed);
    EXPECT_EQ(s->exit_code, 137);
    EXPECT_EQ(s->error, "");

    const auto with_state = [](std::string state) { return R"({"Id":")" + kId + R"(","State":)" + state + "}"; };
    const std::pair<std::string, std::string> bad[] = {
        {R"({"Id":")" + kId + R"("})", "State: missing"},
        {with_state("[]"), "State: not an object"},
        {with_state(R"({"Running":false,"OOMKilled":false,"ExitCode":0})"), "State.Status: missing"},
        {with_state(R"({"Status":"zombie","Running":false,"OOMKilled":false,"ExitCode":0})"),
         "State.Status: unknown value 'zombie'"},
        {with_state(R"({"Status":"exited","Running":"no","OOMKilled":false,"ExitCode":0})"),
         "State.Running: not a boolean"},
        {with_state(R"({"Status":"exited","Running":false,"ExitCode":0})"), "State.OOMKilled: missing"},
        {with_state(R"({"Status":"exited","Running":false,"OOMKilled":false})"), "State.ExitCode: missing"},
        {with_state(R"({"Status":"exited","Running":false,"OOMKilled":false,"ExitCode":1.5})"),
         "State.ExitCode: not an integer in int range"},
        {with_state(R"({"Status":"exited","Running":false,"OOMKilled":false,"ExitCode":4294967296})"),
         "State.ExitCode: not an integer in int range"},
        {with_state(R"({"Status":"exited","Running":false,"OOMKilled":false,"ExitCode":0,"Error":3})"),
         "State.Error: not a string"},
    };
    for (const auto& [body, expected] : bad) {
        auto r = parse_container_inspect(body);
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error().code, Errc::kDecoding);
        EXPECT_NE(r.error().message.find("docker: inspect container answer: " + expected), std::string::npos)
            << body << " -> " << r.error().message;
    }
}

TEST(DockerAnswers, ContainerListAndImageInspect) {
    auto l = parse_container_list(R"([{"Id":")" + kId +
                                  R"(","State":"exited","Labels":{"a":"1","b":""}},)"
                                  R"({"Id":")" +
                                  std::string(64, 'b') + R"(","State":"running","Labels":null}])");
    ASSERT_TRUE(l) << l.error().message;
    ASSERT_EQ(l->size(), 2u);
    EXPECT_EQ((*l)[0].labels.at("a"), "1");
    EXPECT_EQ((*l)[1].state, "running");
    EXPECT_TRUE((*l)[1].labels.empty());
    auto e = parse_container_list("[]");
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->empty());
    for (const auto& [body, expected] : std::vector<std::pair<std::string, std::string>>{
             {"{}", "(top level): not an array"},
             {"[1]", "[0]: not an object"},
             {R"([{"Id":")" + kId + R"("}])", "[0].State: missing"},
             {R"([{"Id":")" + kId + R"(","State":"x","Labels":{"a":1}}])", "[0].Labels.a: not a string"},
             {R"([{"Id":")" + kId + R"(","State":"x","Labels":[]}])", "[0].Labels: not an object or null"},
         }) {
        auto r = parse_container_list(body);
        ASSERT_FALSE(r) << body;
        EXPECT_NE(r.error().message.find(expected), std::string::npos) << body << " -> " << r.error().message;
    }

    auto i = parse_image_inspect(R"({"Id":"sha256:)" + kId + R"(","RepoTags":["x:1"]})");
    ASSERT_TRUE(i) << i.error().message;
    EXPECT_EQ(*i, "sha256:" + kId);
    auto bad = parse_image_inspect(R"({"Id":")" + kId + R"("})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("Id: not 'sha256:' followed by 64 lowercase hex digits"), std::string::npos);
}

TEST(DockerAnswers, ErrorMessage) {
    EXPECT_EQ(error_message(R"({"message":"No such image: x:1"})"), "No such image: x:1");
    EXPECT_EQ(error_message("page not found\n"), "page not found");
    EXPECT_EQ(error_message("a\x01z"), "a?z");
    EXPECT_EQ(error_message(""), "(empty body)");
    EXPECT_EQ(error_message("\r\n"), "(empty body)");
    EXPECT_EQ(error_message(std::string(2000, 'x')).size(), 512u);
}

TEST(DockerLogs, DemultiplexesFramesSplitAnywhere) {
    const std::string stream = frame(1, "hello ") + frame(2, "err\n") + frame(1, "") + frame(1, "world\n");
    // Every split position, byte by byte and in two halves, gives the same result.
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        LogDemuxer d(1024);
        ASSERT_TRUE(d.feed(stream.substr(0, cut)));
        ASSERT_TRUE(d.feed(stream.substr(cut)));
        ASSERT_TRUE(d.finish());
        EXPECT_EQ(d.tail(), "hello err\nworld\n");
        EXPECT_EQ(d.stdout_bytes(), 12u);
        EXPECT_EQ(d.stderr_bytes(), 4u);
    }
    LogDemuxer bytewise(1024);
    for (char c : stream) ASSERT_TRUE(bytewise.feed(std::string_view(&c, 1)));
    EXPECT_EQ(bytewise.tail(), "hello err\nworld\n");
}

TEST(DockerLogs, KeepsOnlyTheTail) {
    LogDemuxer d(10);
    ASSERT_TRUE(d.feed(frame(1, "0123456789abcdef")));
    EXPECT_EQ(d.tail(), "6789abcdef");
    ASSERT_TRUE(d.feed(frame(2, "XY")));
    EXPECT_EQ(d.tail(), "89abcdefXY");
    EXPECT_EQ(d.stdout_bytes(), 16u);
    LogDemuxer none(0);
    ASSERT_TRUE(none.feed(frame(1, "abc")));
    EXPECT_EQ(none.tail(), "");
}

TEST(DockerLogs, RejectsBadFramesAndTruncation) {
    LogDemuxer d(100);
    auto r = d.feed(frame(1, "ok") + frame(3, "x"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kDecoding);
    EXPECT_EQ(r.error().message, "docker: log stream: frame at offset 10: stream type 3 is not 0, 1 or 2");
    EXPECT_FALSE(d.feed(frame(1, "more")));  // stays failed
    EXPECT_FALSE(d.finish());

    std::string padded = frame(1, "x");
    padded[2] = 1;
    LogDemuxer p(100);
    r = p.feed(padded);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "docker: log stream: frame at offset 0: header bytes 1-3 must be zero");

    // A TTY-style raw text stream is not a multiplexed stream.
    LogDemuxer raw(100);
    EXPECT_FALSE(raw.feed("hello world\n"));

    LogDemuxer cut(100);
    ASSERT_TRUE(cut.feed(frame(1, "abcdef").substr(0, 10)));
    auto f = cut.finish();
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().message, "docker: log stream: ends inside a frame at offset 10");
    LogDemuxer half(100);
    ASSERT_TRUE(half.feed(std::string("\x01\0\0", 3)));
    EXPECT_FALSE(half.finish());
}

TEST(DockerPull, ProgressLinesAndErrors) {
    PullProgress p;
    ASSERT_TRUE(p.feed("{\"status\":\"Pulling from library/busybox\",\"id\":\"1\"}\r\n{\"status\":\"Downlo"));
    ASSERT_TRUE(p.feed("ading\",\"progressDetail\":{\"current\":1,\"total\":2}}\n\n"));
    ASSERT_TRUE(p.feed("{\"status\":\"Status: Downloaded newer image\"}"));
    ASSERT_TRUE(p.finish());
    EXPECT_EQ(p.lines(), 3u);

    PullProgress e;
    auto r = e.feed(
        "{\"status\":\"x\"}\n{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kRemote);
    EXPECT_EQ(r.error().message, "docker: pull: manifest unknown");
    EXPECT_FALSE(e.finish());

    PullProgress detail_only;
    ASSERT_TRUE(detail_only.feed("{\"errorDetail\":{\"message\":\"denied\"}}"));
    r = detail_only.finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "docker: pull: denied");

    PullProgress garbage;
    r = garbage.feed("not json\n");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kDecoding);
    EXPECT_NE(r.error().message.find("docker: pull progress line 1"), std::string::npos) << r.error().message;
    PullProgress array;
    r = array.feed("[1]\n");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "docker: pull progress line 1: not an object");
    PullProgress long_line;
    r = long_line.feed(std::string(70000, ' '));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "docker: pull progress: line 1 longer than 65536 bytes");
}

TEST(DockerUrl, EncodesQueryValues) {
    EXPECT_EQ(url_encode(R"({"label":["a=b"]})"), "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D");
    EXPECT_EQ(url_encode("Az09-._~"), "Az09-._~");
    EXPECT_EQ(url_encode("a b/\xff"), "a%20b%2F%FF");
}

}  // namespace
}  // namespace wp::worker::docker
