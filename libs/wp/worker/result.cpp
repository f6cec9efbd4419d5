#include "result.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

#include <openssl/evp.h>

#include <wp/core/keccak.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::worker {

namespace fs = std::filesystem;

namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

Error io_error(const std::string& what, int err) { return Error{Errc::kIo, what + ": " + std::strerror(err)}; }

constexpr std::size_t kMaxComputedJsonRead = kMaxComputedJsonBytes + 1;

}  // namespace

Bytes32 sha256(ByteView bytes) {
    Bytes32 out;
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
    return out;
}

Result<Bytes32> sha256_file(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return make_error(io_error("sha256 " + file.string(), errno));
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    std::vector<std::uint8_t> buf(1 << 16);
    while (true) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            return make_error(io_error("sha256 " + file.string(), err));
        }
        if (n == 0) break;
        EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    Bytes32 out;
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
    return out;
}

Result<Bytes32> output_digest(const fs::path& path) {
    std::error_code ec;
    const auto st = fs::symlink_status(path, ec);
    if (ec || st.type() == fs::file_type::not_found)
        return make_error(Errc::kInvalidArgument, "deterministic output " + path.string() + " does not exist");
    if (st.type() == fs::file_type::regular) return sha256_file(path);
    if (st.type() != fs::file_type::directory)
        return make_error(Errc::kInvalidArgument,
                          "deterministic output " + path.string() + " is not a regular file or a directory");
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(*it);
    if (ec) return make_error(Errc::kIo, "list " + path.string() + ": " + ec.message());
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path().filename().native() < b.path().filename().native(); });
    Bytes concat;
    for (const auto& e : entries) {
        const auto t = e.symlink_status(ec).type();
        if (ec) return make_error(Errc::kIo, "stat " + e.path().string() + ": " + ec.message());
        if (t == fs::file_type::directory) continue;  // the reference adds "" for a sub-directory
        if (t != fs::file_type::regular)
            return make_error(Errc::kInvalidArgument, "deterministic output entry " + e.path().filename().string() +
                                                          " is not a regular file or a directory");
        WP_TRY(const auto h, sha256_file(e.path()));
        append(concat, h.view());
    }
    return keccak256(concat);
}

std::string_view status_name(FailureCause cause) noexcept {
    switch (cause) {
        case FailureCause::kAppDownloadFailed:
        case FailureCause::kAppBadChecksum: return "APP_DOWNLOAD_FAILED";
        case FailureCause::kDatasetDownloadFailed:
        case FailureCause::kDatasetBadChecksum:
        case FailureCause::kInputFilesDownloadFailed: return "DATA_DOWNLOAD_FAILED";
        default: return "COMPUTE_FAILED";
    }
}

std::string_view cause_name(FailureCause cause) noexcept {
    switch (cause) {
        case FailureCause::kAppDownloadFailed:
        case FailureCause::kAppBadChecksum: return "APP_IMAGE_DOWNLOAD_FAILED";
        case FailureCause::kDatasetDownloadFailed: return "DATASET_FILE_DOWNLOAD_FAILED";
        case FailureCause::kDatasetBadChecksum: return "DATASET_FILE_BAD_CHECKSUM";
        case FailureCause::kInputFilesDownloadFailed: return "INPUT_FILES_DOWNLOAD_FAILED";
        case FailureCause::kAppFailed: return "APP_COMPUTE_FAILED";
        case FailureCause::kAppTimeout: return "APP_COMPUTE_TIMEOUT";
        case FailureCause::kOutputTooLarge: return "APP_OUTPUT_TOO_LARGE";
        case FailureCause::kComputedJsonMissing: return "DETERMINISM_HASH_NOT_FOUND";
        case FailureCause::kComputedJsonInvalid: return "COMPUTED_FILE_NOT_VALID";
        case FailureCause::kFileNameTooLong: return "POST_COMPUTE_TOO_LONG_RESULT_FILE_NAME";
    }
    return "UNKNOWN";
}

std::string error_text(FailureCause cause) {
    return "[IEXEC] Error occurred while computing the task [error:" + std::string(status_name(cause)) +
           ", cause:" + std::string(cause_name(cause)) + "]";
}

namespace {

Result<void> write_file(const fs::path& p, std::string_view content) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    if (!f) return make_error(Errc::kIo, "write " + p.string() + ": cannot open");
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.close();
    if (!f) return make_error(Errc::kIo, "write " + p.string() + ": write failed");
    return {};
}

// Every name under dir (any depth, links not followed) is at most kMaxResultFileName bytes.
std::optional<std::string> long_name(const fs::path& dir) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (it->path().filename().native().size() > kMaxResultFileName) return it->path().filename().string();
    }
    return std::nullopt;
}

}  // namespace

Result<void> write_error_result(const fs::path& out_dir, FailureCause cause) {
    std::error_code ec;
    fs::remove_all(out_dir, ec);
    if (ec) return make_error(Errc::kIo, "clear " + out_dir.string() + ": " + ec.message());
    fs::create_directories(out_dir, ec);
    if (ec) return make_error(Errc::kIo, "create " + out_dir.string() + ": " + ec.message());
    WP_TRY_VOID(write_file(out_dir / "error.txt", error_text(cause)));
    WP_TRY_VOID(write_file(out_dir / "computed.json", R"({"deterministic-output-path":"/iexec_out/error.txt"})"));
    return {};
}

Result<CollectedResult> collect_result(const fs::path& out_dir, bool callback_deal,
                                       std::optional<FailureCause> app_failure, std::string_view out_mount) {
    auto fail = [&](FailureCause cause, std::string detail) -> Result<CollectedResult> {
        WP_TRY_VOID(write_error_result(out_dir, cause));
        WP_TRY(const auto digest, sha256_file(out_dir / "error.txt"));
        CollectedResult r;
        r.digest = digest;
        r.failure = cause;
        r.failure_detail = std::move(detail);
        return r;
    };
    if (app_failure) return fail(*app_failure, "the app failed");

    const fs::path computed = out_dir / "computed.json";
    std::error_code ec;
    const auto st = fs::symlink_status(computed, ec);
    if (st.type() == fs::file_type::not_found)
        return fail(FailureCause::kComputedJsonMissing, "computed.json: missing");
    if (st.type() != fs::file_type::regular)
        return fail(FailureCause::kComputedJsonInvalid, "computed.json: not a regular file");
    std::string text;
    {
        const int fd = ::open(computed.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) return make_error(io_error("read " + computed.string(), errno));
        // As much as the file holds (+1, to see a file over the limit), never more than the limit + 1: no 256 KiB
        // buffer cleared for a 60-byte file.
        struct stat file_stat {};
        const std::size_t size =
            ::fstat(fd, &file_stat) == 0 && file_stat.st_size > 0 ? static_cast<std::size_t>(file_stat.st_size) : 0;
        text.resize(std::min(size + 1, kMaxComputedJsonRead));
        std::size_t got = 0;
        while (got < text.size()) {
            const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        ::close(fd);
        text.resize(got);
    }
    auto parsed = parse_computed_json(text, out_mount);
    if (!parsed) return fail(FailureCause::kComputedJsonInvalid, parsed.error().message);
    if (auto name = long_name(out_dir))
        return fail(FailureCause::kFileNameTooLong, "result file name longer than 31 characters: " + *name);

    CollectedResult r;
    if (callback_deal) {
        if (!parsed->callback_data)
            return fail(FailureCause::kComputedJsonInvalid,
                        "computed.json: callback-data is required for a callback deal");
        r.digest = keccak256(*parsed->callback_data);
        r.callback_data = *parsed->callback_data;
        return r;
    }
    if (!parsed->deterministic_output_rel)
        return fail(FailureCause::kComputedJsonInvalid, "computed.json: deterministic-output-path is required");
    const fs::path target =
        parsed->deterministic_output_rel->empty() ? out_dir : out_dir / *parsed->deterministic_output_rel;
    // No component of the path may be a link (it would lead outside out_dir on the host).
    fs::path walk = out_dir;
    for (const auto& part : fs::path(*parsed->deterministic_output_rel)) {
        walk /= part;
        if (fs::is_symlink(fs::symlink_status(walk, ec)))
            return fail(FailureCause::kComputedJsonInvalid,
                        "deterministic output: " + walk.filename().string() + " is a symbolic link");
    }
    auto digest = output_digest(target);
    if (!digest) {
        if (digest.error().code == Errc::kIo) return make_error(digest.error());
        return fail(FailureCause::kComputedJsonInvalid, digest.error().message);
    }
    r.digest = *digest;
    return r;
}

ContributionHashes make_contribution(const Address& worker, const Bytes32& task_id, const Bytes32& digest) {
    return ContributionHashes{digest, wp::result_hash(task_id, digest), wp::result_seal(worker, task_id, digest)};
}

}  // namespace wp::worker
