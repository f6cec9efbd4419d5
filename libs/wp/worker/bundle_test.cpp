#include "bundle.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/sys/process.hpp>
#include <wp/sys/tcp.hpp>

#include "test_support.hpp"

namespace wp::worker {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::ScratchDir;
using testing::shell;
using testing::write_file;

Bytes32 sha256sum(const fs::path& p) {
    return *bytes32_from_hex("0x" + shell("sha256sum '" + p.string() + "' | cut -d' ' -f1"));
}

// A bundle folder: manifest, an executable script, a nested file, a name longer than 100 bytes.
void make_bundle_dir(const fs::path& dir) {
    write_file(dir / "iexec-app.json", R"({"entrypoint":"bin/run.sh","args":["default"]})");
    write_file(dir / "bin/run.sh", "#!/bin/sh\necho hi\n");
    fs::permissions(dir / "bin/run.sh", fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
    write_file(dir / "share/data.txt", "data");
    write_file(dir / ("share/" + std::string(120, 'l') + ".txt"), "long name");
    fs::create_symlink("data.txt", dir / "share/alias.txt");
}

TEST(Bundle, GnuAndPaxArchivesUnpackAndAreCachedByChecksum) {
    for (const std::string format : {"gnu", "pax", "ustar"}) {
        ScratchDir d("bundle-" + format);
        make_bundle_dir(d / "src");
        if (format == "ustar") fs::remove(d / ("src/share/" + std::string(120, 'l') + ".txt"));
        ASSERT_NE(shell("tar --format=" + format + " -czf " + (d / "app.tar.gz").string() + " -C " +
                        (d / "src").string() + " . && echo ok"),
                  "<failed>");
        Fetcher fetcher;
        BundleCache cache(d / "cache", fetcher);
        const auto checksum = sha256sum(d / "app.tar.gz");
        auto b = cache.get("file://" + (d / "app.tar.gz").string(), checksum);
        ASSERT_TRUE(b) << format << ": " << b.error().message;
        EXPECT_EQ(b->dir, d / "cache" / to_hex_no_prefix(checksum.view()));
        EXPECT_EQ(b->manifest.entrypoint, "bin/run.sh");
        EXPECT_EQ(b->manifest.args, std::vector<std::string>{"default"});
        EXPECT_EQ(read_file(b->dir / "share/data.txt"), "data");
        EXPECT_EQ(fs::read_symlink(b->dir / "share/alias.txt"), "data.txt");
        if (format != "ustar") {
            EXPECT_EQ(read_file(b->dir / ("share/" + std::string(120, 'l') + ".txt")), "long name");
        }
        struct stat st {};
        ASSERT_EQ(::stat((b->dir / "bin/run.sh").c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0755u);
        // Cached: the archive is not read again.
        fs::remove(d / "app.tar.gz");
        auto again = cache.get("file://" + (d / "app.tar.gz").string(), checksum);
        ASSERT_TRUE(again) << again.error().message;
        EXPECT_EQ(again->dir, b->dir);
        EXPECT_EQ(cache.prune({}), 1u);
        EXPECT_FALSE(fs::exists(b->dir));
    }
}

TEST(Bundle, ChecksumMismatchIsRefusedBeforeUnpacking) {
    ScratchDir d("bundle-checksum");
    make_bundle_dir(d / "src");
    shell("tar -czf " + (d / "app.tar.gz").string() + " -C " + (d / "src").string() + " .");
    Fetcher fetcher;
    BundleCache cache(d / "cache", fetcher);
    Bytes32 wrong = sha256sum(d / "app.tar.gz");
    wrong[0] ^= 1;
    auto b = cache.get("file://" + (d / "app.tar.gz").string(), wrong);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, Errc::kInvalidChecksum);
    EXPECT_NE(b.error().message.find("does not match the on-chain checksum " + to_hex(wrong.view())),
              std::string::npos);
    EXPECT_TRUE(fs::is_empty(d / "cache"));  // no leftovers
}

// Archives crafted with Python's tarfile (an independent writer that allows what GNU tar would not).
fs::path craft(const fs::path& dir, const std::string& name, const std::string& python_body) {
    const fs::path out = dir / (name + ".tar.gz");
    const std::string script =
        "import tarfile, io, sys\n"
        "t = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.GNU_FORMAT)\n"
        "def f(name, data=b'x', mode=0o644):\n"
        "    i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode\n"
        "    t.addfile(i, io.BytesIO(data))\n"
        "def l(name, target, kind=tarfile.SYMTYPE):\n"
        "    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; t.addfile(i)\n"
        "f('iexec-app.json', b'{\"entrypoint\":\"run\"}')\n"
        "f('run', b'#!/bin/sh\\n', 0o755)\n" +
        python_body + "\nt.close()\n";
    write_file(dir / (name + ".py"), script);
    EXPECT_NE(shell("python3 " + (dir / (name + ".py")).string() + " " + out.string() + " && echo ok"), "<failed>");
    return out;
}

TEST(Bundle, UnsafeArchivesAreRefused) {
    ScratchDir d("bundle-unsafe");
    struct Case {
        std::string name, body, message;
    };
    const std::vector<Case> cases = {
        {"absolute", "f('/tmp/evil')", "path must be relative"},
        {"dotdot", "f('a/../../evil')", "path component \"..\" not allowed"},
        {"abs-link", "l('etc', '/etc')", "absolute symbolic-link target"},
        {"up-link", "l('up', '../..')", "goes up with \"..\""},
        {"through-link", "l('lnk', 'sub')\nf('lnk/x')", "which is not a folder (links are not followed)"},
        {"hardlink", "l('h', 'run', tarfile.LNKTYPE)", "hard links are not supported"},
        {"fifo", "i = tarfile.TarInfo('p'); i.type = tarfile.FIFOTYPE; t.addfile(i)", "unsupported entry type '6'"},
        {"twice", "f('run', b'again', 0o755)", "appears twice"},
    };
    for (const auto& c : cases) {
        const auto archive = craft(d.path(), c.name, c.body);
        const fs::path dest = d / ("out-" + c.name);
        auto r = unpack_tar_gz(archive, dest, {});
        ASSERT_FALSE(r) << c.name;
        EXPECT_NE(r.error().message.find(c.message), std::string::npos) << c.name << ": " << r.error().message;
        EXPECT_FALSE(fs::exists(dest)) << c.name;  // nothing left behind
    }
    EXPECT_FALSE(fs::exists("/tmp/evil"));
}

TEST(Bundle, LimitsAndTruncation) {
    ScratchDir d("bundle-limits");
    const auto big = craft(d.path(), "big", "f('big', b'y' * 5000)");
    auto r = unpack_tar_gz(big, d / "o1", {.max_entries = 100, .max_total_bytes = 4096, .max_path_bytes = 100});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTooLarge);
    EXPECT_NE(r.error().message.find("the files add up to more than 4096 bytes"), std::string::npos);
    const auto many = craft(d.path(), "many", "for k in range(20): f('f%d' % k)");
    r = unpack_tar_gz(many, d / "o2", {.max_entries = 10, .max_total_bytes = 1 << 20, .max_path_bytes = 100});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "tar: more than 10 entries");
    // Truncated: the gzip stream ends early.
    const auto ok = craft(d.path(), "ok", "f('data', b'z' * 100000)");
    const auto size = fs::file_size(ok);
    fs::copy_file(ok, d / "cut.tar.gz");
    fs::resize_file(d / "cut.tar.gz", size / 2);
    r = unpack_tar_gz(d / "cut.tar.gz", d / "o3", {});
    ASSERT_FALSE(r);
    EXPECT_FALSE(fs::exists(d / "o3"));
    // The complete one is fine.
    EXPECT_TRUE(unpack_tar_gz(ok, d / "o4", {}));
    EXPECT_EQ(fs::file_size(d / "o4/data"), 100000u);
}

TEST(Bundle, ManifestEntrypointMustBeAnExecutableFile) {
    ScratchDir d("bundle-manifest");
    write_file(d / "b/iexec-app.json", R"({"entrypoint":"run"})");
    write_file(d / "b/run", "#!/bin/sh\n");
    auto m = read_bundle_manifest(d / "b");
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().message, "app bundle: entrypoint run is not an executable file");
    fs::remove(d / "b/iexec-app.json");
    EXPECT_EQ(read_bundle_manifest(d / "b").error().message, "app bundle: no iexec-app.json at its root");
}

TEST(Fetcher, FileAndHttpWithLimitsAndChecksums) {
    ScratchDir d("fetch");
    write_file(d / "srv/dataset.bin", std::string(3000, 'd'));
    write_file(d / "srv/input.txt", "input");
    ASSERT_EQ(shell("head -c 5000000 /dev/urandom > " + (d / "srv/big.bin").string() + " && echo ok"), "ok");
    Fetcher fetcher(std::chrono::seconds(30));
    // file://
    auto sha = fetcher.fetch_to_file("file://" + (d / "srv/dataset.bin").string(), d / "copy", 1 << 20);
    ASSERT_TRUE(sha) << sha.error().message;
    EXPECT_EQ(*sha, sha256sum(d / "srv/dataset.bin"));
    auto too_big = fetcher.fetch_to_file("file://" + (d / "srv/dataset.bin").string(), d / "copy2", 2999);
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error().code, Errc::kTooLarge);
    EXPECT_FALSE(fs::exists(d / "copy2"));
    EXPECT_EQ(fetcher.fetch_to_file("ipfs://Qm", d / "x", 10).error().code, Errc::kInvalidArgument);

    // http:// from a real server (Python's http.server) on 127.0.0.1.
    const auto port = sys::find_free_tcp_port();
    ASSERT_TRUE(port);
    auto server = sys::Process::spawn({.argv = {"python3", "-m", "http.server", "--bind", "127.0.0.1",
                                                std::to_string(*port), "--directory", (d / "srv").string()},
                                       .stdout_path = (d / "srv.log").string(),
                                       .stderr_path = (d / "srv.log").string()});
    ASSERT_TRUE(server) << server.error().message;
    ASSERT_TRUE(sys::wait_for_tcp_port("127.0.0.1", *port, std::chrono::seconds(20)));
    const std::string base = "http://127.0.0.1:" + std::to_string(*port) + "/";
    fs::create_directories(d / "in");
    const auto checksum = sha256sum(d / "srv/dataset.bin");
    const auto dataset = *Address::parse("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    auto path = fetch_dataset(fetcher, base + "dataset.bin", dataset, checksum, d / "in", 1 << 20);
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_EQ(*path, d / "in/0x90f79bf6eb2c4f870365e785982e1f101e93b906");
    EXPECT_EQ(read_file(*path), std::string(3000, 'd'));
    Bytes32 wrong = checksum;
    wrong[31] ^= 1;
    auto bad = fetch_dataset(fetcher, base + "dataset.bin", dataset, wrong, d / "in", 1 << 20);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidChecksum);
    auto limited = fetch_dataset(fetcher, base + "dataset.bin", dataset, checksum, d / "in", 100);
    ASSERT_FALSE(limited);
    EXPECT_EQ(limited.error().code, Errc::kTooLarge);
    auto missing = fetcher.fetch_to_file(base + "nope", d / "nope", 1 << 20);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "fetch " + base + "nope: HTTP status 404");
    // A body of many pieces is streamed to the file and hashed on the way (sha256sum checks it independently);
    // one byte less than its size stops the transfer with nothing left on disk.
    auto big = fetcher.fetch_to_file(base + "big.bin", d / "big.copy", 5000000);
    ASSERT_TRUE(big) << big.error().message;
    EXPECT_EQ(*big, sha256sum(d / "srv/big.bin"));
    EXPECT_EQ(*big, sha256sum(d / "big.copy"));
    auto big_limited = fetcher.fetch_to_file(base + "big.bin", d / "big.limited", 4999999);
    ASSERT_FALSE(big_limited);
    EXPECT_EQ(big_limited.error().code, Errc::kTooLarge);
    EXPECT_EQ(big_limited.error().message, "fetch " + base + "big.bin: larger than 4999999 bytes");
    EXPECT_FALSE(fs::exists(d / "big.limited"));
    EXPECT_FALSE(fs::exists(d / "nope"));  // the 404 page written meanwhile was removed
    ASSERT_TRUE(fetch_input_files(fetcher, {base + "input.txt"}, d / "in", 1000));
    EXPECT_EQ(read_file(d / "in" / ("0x" + shell("printf %s '" + base + "input.txt' | sha256sum | cut -d' ' -f1"))),
              "input");
}

}  // namespace
}  // namespace wp::worker
