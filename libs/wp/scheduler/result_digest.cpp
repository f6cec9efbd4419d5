#include "result_digest.hpp"

#include <zip.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <wp/core/keccak.hpp>

namespace wp::scheduler {
namespace {

struct ZipCloser {
    void operator()(zip_t* z) const noexcept { zip_discard(z); }
};
struct FileCloser {
    void operator()(zip_file_t* f) const noexcept { zip_fclose(f); }
};
struct MdCloser {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

struct Entry {
    zip_uint64_t index{0};
    zip_uint64_t size{0};
};

class Reader {
  public:
    Reader(zip_t* z, std::uint64_t budget) : zip_(z), budget_(budget) {}

    //! Streams an entry through `sink`, counting against the budget (the declared size is not trusted).
    template <typename Sink>
    Result<void> read(const std::string& name, const Entry& e, Sink&& sink) {
        std::unique_ptr<zip_file_t, FileCloser> f(zip_fopen_index(zip_, e.index, 0));
        if (!f) return make_error(Errc::kDecoding, "result zip: cannot open entry " + name);
        std::vector<std::uint8_t> buf(64 * 1024);
        for (;;) {
            const zip_int64_t n = zip_fread(f.get(), buf.data(), buf.size());
            if (n < 0) return make_error(Errc::kDecoding, "result zip: cannot read entry " + name);
            if (n == 0) break;
            const auto got = static_cast<std::uint64_t>(n);
            if (got > budget_) return make_error(Errc::kTooLarge, "result zip: unpacked content exceeds the limit");
            budget_ -= got;
            sink(ByteView(buf.data(), static_cast<std::size_t>(got)));
        }
        return {};
    }

    Result<Bytes32> sha256(const std::string& name, const Entry& e) {
        std::unique_ptr<EVP_MD_CTX, MdCloser> ctx(EVP_MD_CTX_new());
        if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
            return make_error(Errc::kCrypto, "sha256 init failed");
        WP_TRY_VOID(read(name, e, [&](ByteView chunk) { EVP_DigestUpdate(ctx.get(), chunk.data(), chunk.size()); }));
        Bytes32 out;
        unsigned len = 0;
        EVP_DigestFinal_ex(ctx.get(), out.bytes.data(), &len);
        return out;
    }

  private:
    zip_t* zip_;
    std::uint64_t budget_;
};

bool bad_name(std::string_view name) {
    if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos) return true;
    std::size_t start = 0;
    while (start <= name.size()) {
        const auto end = std::min(name.find('/', start), name.size());
        const auto part = name.substr(start, end - start);
        if (part == ".." || part == ".") return true;
        start = end + 1;
    }
    return false;
}

}  // namespace

Bytes32 sha256_of(ByteView bytes) {
    Bytes32 out;
    unsigned len = 0;
    EVP_Digest(bytes.data(), bytes.size(), out.bytes.data(), &len, EVP_sha256(), nullptr);
    return out;
}

Result<Bytes32> result_zip_digest(ByteView zip, std::uint64_t max_unpacked_bytes) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(zip.data(), zip.size(), 0, &err);
    if (src == nullptr) {
        zip_error_fini(&err);
        return make_error(Errc::kDecoding, "result zip: cannot read the archive");
    }
    std::unique_ptr<zip_t, ZipCloser> z(zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err));
    zip_error_fini(&err);
    if (!z) {
        zip_source_free(src);
        return make_error(Errc::kDecoding, "result zip: not a valid zip archive");
    }
    const zip_int64_t count = zip_get_num_entries(z.get(), 0);
    if (count < 0) return make_error(Errc::kDecoding, "result zip: no entry table");
    if (count > 100'000) return make_error(Errc::kTooLarge, "result zip: more than 100000 entries");
    std::map<std::string, Entry> files;  // sorted by name (byte order)
    for (zip_int64_t i = 0; i < count; ++i) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(z.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 || (st.valid & ZIP_STAT_NAME) == 0)
            return make_error(Errc::kDecoding, "result zip: unreadable entry " + std::to_string(i));
        std::string name(st.name);
        if (bad_name(name))
            return make_error(Errc::kInvalidArgument, "result zip: refused entry name \"" + name + "\"");
        if (name.back() == '/') continue;  // folders: implied by their files
        files[name] = Entry{static_cast<zip_uint64_t>(i), st.size};
    }
    Reader reader(z.get(), max_unpacked_bytes);

    auto computed = files.find("computed.json");
    if (computed == files.end()) return make_error(Errc::kDecoding, "result zip: no computed.json at its root");
    if (computed->second.size > 1024 * 1024) return make_error(Errc::kTooLarge, "result zip: computed.json over 1 MiB");
    std::string text;
    WP_TRY_VOID(reader.read(computed->first, computed->second, [&](ByteView chunk) {
        text.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
        if (text.size() > 1024 * 1024) text.resize(1024 * 1024 + 1);
    }));
    if (text.size() > 1024 * 1024) return make_error(Errc::kTooLarge, "result zip: computed.json over 1 MiB");
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(text, ec);
    if (ec || !doc.is_object()) return make_error(Errc::kDecoding, "computed.json: not a JSON object");
    const auto* path_value = doc.as_object().if_contains("deterministic-output-path");
    if (path_value == nullptr || !path_value->is_string())
        return make_error(Errc::kDecoding, "computed.json: \"deterministic-output-path\" must be a string");
    std::string path(path_value->as_string());
    for (std::string_view prefix : {"/iexec_out/", "/iexec_out", "iexec_out/"}) {
        if (path.starts_with(prefix)) {
            path = path.substr(prefix.size());
            break;
        }
    }
    if (path == "iexec_out") path.clear();
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (!path.empty() && bad_name(path))
        return make_error(Errc::kInvalidArgument,
                          "computed.json: \"deterministic-output-path\" must stay in iexec_out");

    if (auto file = files.find(path); !path.empty() && file != files.end())
        return reader.sha256(file->first, file->second);

    // A folder: its direct file entries.
    const std::string folder = path.empty() ? std::string() : path + "/";
    bool any = path.empty();
    Keccak256 k;
    for (const auto& [name, entry] : files) {
        if (!name.starts_with(folder)) continue;
        any = true;
        if (name.find('/', folder.size()) != std::string::npos) continue;  // inside a sub-folder
        WP_TRY(auto h, reader.sha256(name, entry));
        k.update(h.view());
    }
    if (!any) {
        // An explicit empty folder entry also counts.
        zip_int64_t idx = zip_name_locate(z.get(), folder.c_str(), 0);
        if (idx < 0)
            return make_error(Errc::kInvalidArgument,
                              "computed.json: \"deterministic-output-path\" " + path + " is not in the archive");
    }
    return k.finalize();
}

}  // namespace wp::scheduler
