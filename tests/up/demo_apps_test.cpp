// The demo app bundles (apps/demo, built into WP_DEMO_APPS_DIR) through the worker's real path: fetched from a
// file:// URL and checked against their .sha256 (the on-chain checksum), unpacked by BundleCache, run by the real
// SandboxRuntime (bubblewrap), their computed.json parsed by the worker's parser.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <wp/core/hex.hpp>
#include <wp/worker/bundle.hpp>
#include <wp/worker/computed_json.hpp>
#include <wp/worker/sandbox_runtime.hpp>

namespace {

namespace fs = std::filesystem;
using namespace wp;
using namespace wp::worker;

std::string read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

class Scratch {
  public:
    Scratch() {
        std::string t = (fs::temp_directory_path() / "wp-demo-apps.XXXXXX").string();
        if (::mkdtemp(t.data()) == nullptr) std::abort();
        path_ = t;
        // The sandboxed app runs as another uid: it must be able to reach its mounts.
        fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec);
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

struct Ran {
    RunOutcome outcome;
    fs::path out;
    ComputedJson computed;
};

// Fetches, verifies, unpacks and runs the demo app `name` with `args` as task `index` of a deal of `size`.
Ran run_demo(const Scratch& s, const std::string& name, const std::vector<std::string>& args, int index = 0,
             int size = 1) {
    const fs::path bundle = fs::path(WP_DEMO_APPS_DIR) / (name + ".tar.gz");
    std::string sum = read_text(fs::path(bundle.string() + ".sha256"));
    while (!sum.empty() && sum.back() == '\n') sum.pop_back();
    auto checksum = bytes32_from_hex(sum);
    EXPECT_TRUE(checksum) << sum;
    Fetcher fetcher;
    BundleCache cache(s.path() / "bundles", fetcher);
    auto b = cache.get("file://" + bundle.string(), *checksum);
    EXPECT_TRUE(b) << b.error().message;
    Ran ran;
    if (!b) return ran;
    const fs::path task = s.path() / (name + "-" + std::to_string(index));
    fs::create_directories(task / "in");
    fs::create_directories(task / "out");
    fs::permissions(task / "out", fs::perms::all);
    RunSpec spec;
    spec.app = b->dir.string();
    spec.args = args;
    spec.in_dir = task / "in";
    spec.out_dir = task / "out";
    spec.env = {{"IEXEC_IN", "/iexec_in"},
                {"IEXEC_OUT", "/iexec_out"},
                {"IEXEC_BOT_TASK_INDEX", std::to_string(index)},
                {"IEXEC_BOT_SIZE", std::to_string(size)}};
    spec.max_time = std::chrono::seconds(120);
    spec.memory_bytes = 256ull << 20;
    SandboxRuntime runtime;
    std::atomic<bool> cancel{false};
    auto o = runtime.run(spec, cancel);
    EXPECT_TRUE(o) << o.error().message;
    if (!o) return ran;
    ran.outcome = *o;
    ran.out = task / "out";
    EXPECT_TRUE(o->success()) << name << ": exit " << o->exit_code << "\n" << o->log_tail;
    auto computed = parse_computed_json(read_text(ran.out / "computed.json"));
    EXPECT_TRUE(computed) << computed.error().message;
    if (computed) ran.computed = *computed;
    return ran;
}

TEST(DemoApps, EchoWritesItsArgumentsJoinedBySpacesAndOneNewline) {
    Scratch s;
    const auto r = run_demo(s, "echo", {"hello", "iexec", "task 7"});
    EXPECT_EQ(read_text(r.out / "result.txt"), "hello iexec task 7\n");
    EXPECT_EQ(r.computed.deterministic_output_path, "/iexec_out/result.txt");
    EXPECT_FALSE(r.computed.callback_data.has_value());
    // No arguments: the manifest's default ones.
    const auto d = run_demo(s, "echo", {}, 1);
    EXPECT_EQ(read_text(d.out / "result.txt"), "hello from the workerpool\n");
}

TEST(DemoApps, DirProducesADirectoryResult) {
    Scratch s;
    const auto r = run_demo(s, "dir", {"x", "y"}, 3, 5);
    EXPECT_EQ(r.computed.deterministic_output_path, "/iexec_out/out");
    EXPECT_EQ(read_text(r.out / "out/args.txt"), "x y\n");
    EXPECT_EQ(read_text(r.out / "out/task.txt"), "index 3 of 5\n");
    EXPECT_EQ(read_text(r.out / "out/squares.txt").substr(0, 10), "1 1\n2 4\n3 ");
}

TEST(DemoApps, CallbackReportsOneAbiWord) {
    Scratch s;
    const auto r = run_demo(s, "callback", {"40", "2"}, 5);
    ASSERT_TRUE(r.computed.callback_data.has_value());
    Bytes expected(32, 0);
    expected[31] = 47;  // 40 + 2 + task index 5
    EXPECT_EQ(*r.computed.callback_data, expected);
    EXPECT_EQ(read_text(r.out / "result.txt"), "47\n");
}

TEST(DemoApps, CpuCountsPrimes) {
    Scratch s;
    const auto r = run_demo(s, "cpu", {"1000"});
    EXPECT_EQ(read_text(r.out / "result.txt"), "primes below 1000: 168\n");
}

TEST(DemoApps, BundlesAreReproducible) {
    // Packing the same folder again gives the same bytes, so the on-chain checksum does not depend on the machine.
    Scratch s;
    for (const char* name : {"echo", "dir", "callback", "cpu"}) {
        const fs::path again = s.path() / (std::string(name) + ".tar.gz");
        const std::string cmd = std::string("sh '") + WP_SOURCE_DIR + "/apps/demo/build_bundle.sh' '" + WP_SOURCE_DIR +
                                "/apps/demo/" + name + "' '" + again.string() + "'";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        EXPECT_EQ(read_text(again.string() + ".sha256"),
                  read_text(fs::path(WP_DEMO_APPS_DIR) / (std::string(name) + ".tar.gz.sha256")))
            << name;
    }
}

}  // namespace
