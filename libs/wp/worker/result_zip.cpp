#include "result_zip.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

#include <zip.h>

namespace wp::worker {

namespace fs = std::filesystem;

namespace {

struct Item {
    std::string rel;  // "a", "a/b.txt"; folders without the trailing '/'
    bool dir{false};
    bool exec{false};
};

Result<void> walk(const fs::path& root, const fs::path& dir, const std::string& prefix, std::vector<Item>& out) {
    std::error_code ec;
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
    if (ec) return make_error(Errc::kIo, "zip: list " + dir.string() + ": " + ec.message());
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path().filename().native() < b.path().filename().native(); });
    for (const auto& e : entries) {
        const std::string rel = prefix + e.path().filename().string();
        const auto st = e.symlink_status(ec);
        if (ec) return make_error(Errc::kIo, "zip: stat " + e.path().string() + ": " + ec.message());
        if (st.type() == fs::file_type::directory) {
            out.push_back({rel, true, false});
            WP_TRY_VOID(walk(root, e.path(), rel + "/", out));
        } else if (st.type() == fs::file_type::regular) {
            const auto perms = st.permissions();
            const bool exec =
                (perms & (fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec)) != fs::perms::none;
            out.push_back({rel, false, exec});
        } else {
            return make_error(Errc::kInvalidArgument,
                              "zip: " + rel + " is not a regular file or a folder (links are not archived)");
        }
    }
    return {};
}

std::string zip_error_text(zip_t* za) {
    const char* s = zip_strerror(za);
    return s ? s : "unknown libzip error";
}

}  // namespace

Result<void> zip_folder(const fs::path& dir, const fs::path& zip_path) {
    std::vector<Item> items;
    WP_TRY_VOID(walk(dir, dir, "", items));
    // Byte order of the full relative path, with a folder sorting as "name/" (right before its content).
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        return (a.dir ? a.rel + "/" : a.rel) < (b.dir ? b.rel + "/" : b.rel);
    });
    std::error_code ec;
    fs::remove(zip_path, ec);
    int err = 0;
    zip_t* za = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        std::string msg = "zip: open " + zip_path.string() + ": " + zip_error_strerror(&ze);
        zip_error_fini(&ze);
        return make_error(Errc::kIo, msg);
    }
    auto fail = [&](const std::string& what) {
        std::string msg = "zip: " + what + ": " + zip_error_text(za);
        zip_discard(za);
        fs::remove(zip_path, ec);
        return make_error(Errc::kIo, msg);
    };
    constexpr zip_uint16_t kDosTime = 0;                           // 00:00:00
    constexpr zip_uint16_t kDosDate = (0u << 9) | (1u << 5) | 1u;  // 1980-01-01
    for (const auto& item : items) {
        zip_int64_t idx = -1;
        zip_uint32_t mode = 0;
        if (item.dir) {
            idx = zip_dir_add(za, item.rel.c_str(), ZIP_FL_ENC_UTF_8);
            if (idx < 0) return fail("add folder " + item.rel);
            mode = S_IFDIR | 0755;
        } else {
            const fs::path file = dir / item.rel;
            zip_source_t* src = zip_source_file(za, file.c_str(), 0, -1);
            if (!src) return fail("read " + item.rel);
            idx = zip_file_add(za, item.rel.c_str(), src, ZIP_FL_ENC_UTF_8);
            if (idx < 0) {
                zip_source_free(src);
                return fail("add " + item.rel);
            }
            if (zip_set_file_compression(za, static_cast<zip_uint64_t>(idx), ZIP_CM_DEFLATE, 6) < 0)
                return fail("compression of " + item.rel);
            mode = S_IFREG | (item.exec ? 0755u : 0644u);
        }
        const auto u = static_cast<zip_uint64_t>(idx);
        if (zip_file_set_dostime(za, u, kDosTime, kDosDate, 0) < 0) return fail("date of " + item.rel);
        if (zip_file_set_external_attributes(za, u, 0, ZIP_OPSYS_UNIX, mode << 16) < 0)
            return fail("attributes of " + item.rel);
        // Drop any extra field (e.g. an extended timestamp) so only the fixed date remains.
        if (zip_file_extra_field_delete(za, u, ZIP_EXTRA_FIELD_ALL, ZIP_FL_CENTRAL | ZIP_FL_LOCAL) < 0)
            return fail("extra fields of " + item.rel);
    }
    if (items.empty()) {
        // libzip writes nothing for an empty archive; an empty result still needs a file.
        zip_discard(za);
        static constexpr unsigned char kEmptyZip[22] = {0x50, 0x4b, 0x05, 0x06};
        FILE* f = std::fopen(zip_path.c_str(), "wb");
        if (!f || std::fwrite(kEmptyZip, 1, sizeof kEmptyZip, f) != sizeof kEmptyZip) {
            if (f) std::fclose(f);
            return make_error(Errc::kIo, "zip: write " + zip_path.string());
        }
        std::fclose(f);
        return {};
    }
    if (zip_close(za) < 0) return fail("write " + zip_path.string());
    return {};
}

}  // namespace wp::worker
