// The result store and the archive digest: real zips (libzip) in a real temporary folder.
#include <zip.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/random.hpp>

#include "result_digest.hpp"
#include "result_store.hpp"

namespace wp::scheduler {
namespace {
namespace fs = std::filesystem;

//! A zip of (name, content) entries, in memory; names ending in '/' are folders.
Bytes make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
    zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &err);
    EXPECT_NE(z, nullptr);
    zip_source_keep(src);
    for (const auto& [name, content] : entries) {
        if (name.back() == '/') {
            zip_dir_add(z, name.c_str(), ZIP_FL_ENC_UTF_8);
            continue;
        }
        auto* copy = static_cast<char*>(std::malloc(content.size() + 1));
        std::memcpy(copy, content.data(), content.size());
        zip_source_t* s = zip_source_buffer(z, copy, content.size(), 1);
        zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    }
    EXPECT_EQ(zip_close(z), 0);
    zip_source_open(src);
    zip_source_seek(src, 0, SEEK_END);
    const auto size = zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    Bytes out(static_cast<std::size_t>(size));
    zip_source_read(src, out.data(), out.size());
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&err);
    return out;
}

Bytes32 sha(std::string_view s) { return sha256_of(as_bytes(s)); }

TEST(ResultDigest, FileOutputIsTheSha256OfTheFile) {
    const Bytes zip = make_zip({{"computed.json", R"({"deterministic-output-path":"/iexec_out/result.txt"})"},
                                {"result.txt", "hello world\n"}});
    auto d = result_zip_digest(zip);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(*d, sha("hello world\n"));
}

TEST(ResultDigest, FolderOutputHashesItsDirectFilesSortedByName) {
    const Bytes zip = make_zip({{"computed.json", R"({"deterministic-output-path":"/iexec_out/out"})"},
                                {"out/", ""},
                                {"out/b.txt", "B"},
                                {"out/a.txt", "A"},
                                {"out/sub/", ""},
                                {"out/sub/c.txt", "C"}});
    auto d = result_zip_digest(zip);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(*d, keccak256(concat(sha("A").view(), sha("B").view())));
}

TEST(ResultDigest, RootFolderAndEmptyFolder) {
    const std::string cj = R"({"deterministic-output-path":"/iexec_out"})";
    const Bytes zip = make_zip({{"computed.json", cj}, {"x", "1"}});
    auto d = result_zip_digest(zip);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(*d, keccak256(concat(sha(cj).view(), sha("1").view())));

    const Bytes empty = make_zip({{"computed.json", R"({"deterministic-output-path":"/iexec_out/e/"})"}, {"e/", ""}});
    auto e = result_zip_digest(empty);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(*e, keccak256(ByteView{}));
}

TEST(ResultDigest, RefusesWhatIsNotAResult) {
    const Bytes garbage{1, 2, 3, 4};
    EXPECT_EQ(result_zip_digest(garbage).error().code, Errc::kDecoding);
    EXPECT_EQ(result_zip_digest(make_zip({{"result.txt", "x"}})).error().code, Errc::kDecoding);
    EXPECT_EQ(result_zip_digest(make_zip({{"computed.json", "[]"}})).error().code, Errc::kDecoding);
    auto missing = result_zip_digest(make_zip({{"computed.json", R"({"deterministic-output-path":"/iexec_out/r"})"}}));
    EXPECT_EQ(missing.error().code, Errc::kInvalidArgument);
    EXPECT_NE(missing.error().message.find("not in the archive"), std::string::npos);
    auto escape =
        result_zip_digest(make_zip({{"computed.json", R"({"deterministic-output-path":"/iexec_out/../etc/passwd"})"}}));
    EXPECT_EQ(escape.error().code, Errc::kInvalidArgument);
    auto dotdot = result_zip_digest(make_zip({{"computed.json", "{}"}, {"../x", "1"}}));
    EXPECT_EQ(dotdot.error().code, Errc::kInvalidArgument);
}

TEST(ResultDigest, UnpackedSizeIsBounded) {
    const std::string big(100'000, 'a');  // compresses well: a small zip, a large content
    const Bytes zip = make_zip({{"computed.json", R"({"deterministic-output-path":"/iexec_out/r"})"}, {"r", big}});
    EXPECT_LT(zip.size(), 10'000U);
    EXPECT_EQ(result_zip_digest(zip, 50'000).error().code, Errc::kTooLarge);
    EXPECT_TRUE(result_zip_digest(zip, 200'000));
}

class ResultStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("wp_result_store_" + to_hex_no_prefix(random_bytes(6)));
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(ResultStoreTest, StoresVerifiedArchivesOnceByContent) {
    auto store = ResultStore::open({dir_, 1 << 20, 1 << 24});
    ASSERT_TRUE(store) << store.error().message;
    const Bytes zip = make_zip(
        {{"computed.json", R"({"deterministic-output-path":"/iexec_out/result.txt"})"}, {"result.txt", "42\n"}});
    const Bytes32 t1 = random_bytes32(), t2 = random_bytes32();
    EXPECT_FALSE(store->has(t1));
    EXPECT_FALSE(*store->get(t1));

    auto wrong = store->put(t1, zip, sha("43\n"));
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("differs from the revealed digest"), std::string::npos);
    EXPECT_FALSE(store->has(t1));

    auto a = store->put(t1, zip, sha("42\n"));
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(*a, sha256_of(zip));
    auto b = store->put(t2, zip, sha("42\n"));
    ASSERT_TRUE(b);
    EXPECT_TRUE(store->put(t1, zip, sha("42\n")));  // the same bytes again: idempotent
    const Bytes other = make_zip(
        {{"computed.json", R"({"deterministic-output-path":"/iexec_out/result.txt"})"}, {"result.txt", "7\n"}});
    auto dup = store->put(t1, other, sha("7\n"));
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message.find("already stored"), std::string::npos);

    // One blob for both tasks; both read back; a reopened store still has them.
    std::size_t blobs = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_ / "blobs")) ++blobs;
    EXPECT_EQ(blobs, 1U);
    auto reopened = ResultStore::open({dir_, 1 << 20, 1 << 24});
    ASSERT_TRUE(reopened);
    auto got = reopened->get(t2);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ(**got, zip);
}

TEST_F(ResultStoreTest, RefusesArchivesAboveTheLimit) {
    auto store = ResultStore::open({dir_, 100, 1 << 24});
    ASSERT_TRUE(store);
    const Bytes zip = make_zip(
        {{"computed.json", R"({"deterministic-output-path":"/iexec_out/result.txt"})"}, {"result.txt", "42\n"}});
    auto r = store->put(random_bytes32(), zip, sha("42\n"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTooLarge);
}

TEST(ResultLink, JsonAndLocation) {
    Bytes32 id;
    id.bytes[31] = 1;
    const std::string loc = result_location("http://127.0.0.1:13000/", id);
    EXPECT_EQ(loc, "http://127.0.0.1:13000/results/0x" + std::string(62, '0') + "01");
    EXPECT_EQ(result_link_json("pool", loc), R"({"storage":"pool","location":")" + loc + R"("})");
}

}  // namespace
}  // namespace wp::scheduler
