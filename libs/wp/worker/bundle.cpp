#include "bundle.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include <openssl/evp.h>
#include <zlib.h>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>
#include <wp/net/http_client.hpp>

#include "app_env.hpp"
#include "result.hpp"

namespace wp::worker {

namespace fs = std::filesystem;

namespace {

Error errno_error(const std::string& what, int err) { return Error{Errc::kIo, what + ": " + std::strerror(err)}; }

struct Sha256 {
    Sha256() : ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~Sha256() { EVP_MD_CTX_free(ctx); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
    Bytes32 final() {
        Bytes32 out;
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx, out.data(), &len);
        return out;
    }
    EVP_MD_CTX* ctx;
};

Result<void> write_all(int fd, const std::uint8_t* p, std::size_t n, const std::string& what) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return make_error(errno_error(what, errno));
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return {};
}

std::string random_suffix() {
    std::uint8_t b[8];
    secure_random(b);
    return to_hex_no_prefix(ByteView(b, sizeof b));
}

}  // namespace

Fetcher::Fetcher(std::chrono::milliseconds timeout) : timeout_(timeout) {}
Fetcher::~Fetcher() = default;

Result<Bytes32> Fetcher::fetch_to_file(std::string_view url, const fs::path& dest, std::uint64_t max_bytes) {
    const std::string u(url);
    const std::string what = "fetch " + u;
    const int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (out < 0) return make_error(errno_error(what + ": create " + dest.string(), errno));
    auto result = [&]() -> Result<Bytes32> {
        Sha256 sha;
        if (u.rfind("file://", 0) == 0) {
            const std::string path = u.substr(7);
            if (path.empty() || path.front() != '/')
                return make_error(Errc::kInvalidArgument, what + ": a file URL needs an absolute path (file:///...)");
            const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (in < 0) return make_error(errno_error(what, errno));
            std::vector<std::uint8_t> buf(1 << 16);
            std::uint64_t total = 0;
            while (true) {
                const ssize_t n = ::read(in, buf.data(), buf.size());
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) {
                    const int err = errno;
                    ::close(in);
                    return make_error(errno_error(what, err));
                }
                if (n == 0) break;
                total += static_cast<std::uint64_t>(n);
                if (total > max_bytes) {
                    ::close(in);
                    return make_error(Errc::kTooLarge, what + ": larger than " + std::to_string(max_bytes) + " bytes");
                }
                sha.update(buf.data(), static_cast<std::size_t>(n));
                if (auto w = write_all(out, buf.data(), static_cast<std::size_t>(n), what); !w) {
                    ::close(in);
                    return make_error(w.error());
                }
            }
            ::close(in);
            return sha.final();
        }
        if (u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0) {
            std::call_once(http_once_, [this] {
                net::HttpClientOptions o;
                o.request_timeout = timeout_;
                http_ = std::make_unique<net::HttpClient>(o);
            });
            net::HttpRequest req;
            req.url = u;
            req.timeout = timeout_;
            req.max_response_bytes = static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, SIZE_MAX));
            // Streamed to the file as it arrives (on the client's I/O thread), hashed on the way; the client stops
            // reading past max_bytes. Memory stays at one 64 KiB piece whatever the size.
            Result<void> written;
            auto resp = http_->request_streaming(std::move(req), [&](std::string_view piece) {
                sha.update(piece.data(), piece.size());
                written = write_all(out, reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size(), what);
                return written.has_value();
            });
            if (!resp) {
                if (resp.error().code == Errc::kTooLarge)
                    return make_error(Errc::kTooLarge, what + ": larger than " + std::to_string(max_bytes) + " bytes");
                return make_error(resp.error());
            }
            if (!written) return make_error(written.error());
            if (resp->status != 200)
                return make_error(Errc::kNetwork, what + ": HTTP status " + std::to_string(resp->status));
            return sha.final();
        }
        return make_error(Errc::kInvalidArgument, what + ": unsupported URL scheme (file://, http:// or https://)");
    }();
    if (::close(out) != 0 && result) result = make_error(errno_error(what + ": close " + dest.string(), errno));
    if (!result) {
        std::error_code ec;
        fs::remove(dest, ec);
    }
    return result;
}

// ---- unpacking -------------------------------------------------------------------------------------------------

namespace {

class DiskSink : public TarSink {
  public:
    explicit DiskSink(fs::path root) : root_(std::move(root)) {}
    ~DiskSink() override {
        if (fd_ >= 0) ::close(fd_);
    }
    DiskSink(const DiskSink&) = delete;
    DiskSink& operator=(const DiskSink&) = delete;

    Result<void> begin(const TarEntry& e) override {
        path_ = e.path;
        // Every parent must be a real folder of the bundle (created when missing), never a link.
        fs::path at = root_;
        const fs::path rel(e.path);
        for (auto it = rel.begin(); it != rel.end(); ++it) {
            if (std::next(it) == rel.end()) break;
            at /= *it;
            struct stat st {};
            if (::lstat(at.c_str(), &st) != 0) {
                if (errno != ENOENT) return make_error(errno_error("unpack " + e.path, errno));
                if (::mkdir(at.c_str(), 0755) != 0) return make_error(errno_error("unpack " + e.path, errno));
            } else if (!S_ISDIR(st.st_mode)) {
                return make_error(Errc::kInvalidArgument, "tar: \"" + e.path + "\" goes through \"" +
                                                              fs::relative(at, root_).string() +
                                                              "\", which is not a folder (links are not followed)");
            }
        }
        const fs::path target = root_ / rel;
        struct stat st {};
        const bool exists = ::lstat(target.c_str(), &st) == 0;
        switch (e.type) {
            case TarEntryType::kDirectory:
                if (exists) {
                    if (!S_ISDIR(st.st_mode))
                        return make_error(Errc::kInvalidArgument, "tar: \"" + e.path + "\" appears twice");
                    return {};
                }
                if (::mkdir(target.c_str(), 0755) != 0) return make_error(errno_error("unpack " + e.path, errno));
                return {};
            case TarEntryType::kSymlink:
                if (exists) return make_error(Errc::kInvalidArgument, "tar: \"" + e.path + "\" appears twice");
                if (::symlink(e.link_target.c_str(), target.c_str()) != 0)
                    return make_error(errno_error("unpack " + e.path, errno));
                return {};
            case TarEntryType::kFile: {
                if (exists) return make_error(Errc::kInvalidArgument, "tar: \"" + e.path + "\" appears twice");
                const mode_t mode = (e.mode & 0111) ? 0755 : 0644;
                fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
                if (fd_ < 0) return make_error(errno_error("unpack " + e.path, errno));
                return {};
            }
        }
        return {};
    }
    Result<void> data(ByteView bytes) override { return write_all(fd_, bytes.data(), bytes.size(), "unpack " + path_); }
    Result<void> end() override {
        if (fd_ >= 0) {
            const int rc = ::close(fd_);
            fd_ = -1;
            if (rc != 0) return make_error(errno_error("unpack " + path_, errno));
        }
        return {};
    }

  private:
    fs::path root_;
    std::string path_;
    int fd_{-1};
};

}  // namespace

Result<void> unpack_tar_gz(const fs::path& archive, const fs::path& dest, const TarLimits& limits) {
    if (::mkdir(dest.c_str(), 0755) != 0) return make_error(errno_error("unpack: create " + dest.string(), errno));
    const int fd = ::open(archive.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(errno_error("unpack: open " + archive.string(), errno));
    gzFile gz = ::gzdopen(fd, "rb");
    if (!gz) {
        ::close(fd);
        return make_error(Errc::kIo, "unpack: gzdopen failed");
    }
    DiskSink sink(dest);
    TarParser parser(sink, limits);
    std::vector<std::uint8_t> buf(1 << 16);
    Result<void> status;
    while (status && !parser.done()) {
        const int n = ::gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
        if (n < 0) {
            int errnum = 0;
            const char* msg = ::gzerror(gz, &errnum);
            status = make_error(Errc::kDecoding, std::string("unpack: gzip: ") + (msg ? msg : "error"));
            break;
        }
        if (n == 0) break;
        status = parser.feed(ByteView(buf.data(), static_cast<std::size_t>(n)));
    }
    ::gzclose(gz);
    if (status) status = parser.finish();
    if (!status) {
        std::error_code ec;
        fs::remove_all(dest, ec);
    }
    return status;
}

Result<AppManifest> read_bundle_manifest(const fs::path& dir) {
    const fs::path mf = dir / kManifestName;
    struct stat st {};
    if (::lstat(mf.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return make_error(Errc::kInvalidArgument, std::string("app bundle: no ") + kManifestName + " at its root");
    if (st.st_size > 64 * 1024) return make_error(Errc::kTooLarge, "app bundle: iexec-app.json larger than 64 KiB");
    std::ifstream f(mf, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(f)), {});
    WP_TRY(auto manifest, parse_manifest(text));
    // The entrypoint: a regular executable file, reached without links.
    fs::path at = dir;
    for (const auto& part : fs::path(manifest.entrypoint)) {
        at /= part;
        if (::lstat(at.c_str(), &st) != 0)
            return make_error(Errc::kInvalidArgument, "app bundle: entrypoint " + manifest.entrypoint + " not found");
        if (S_ISLNK(st.st_mode))
            return make_error(Errc::kInvalidArgument,
                              "app bundle: entrypoint " + manifest.entrypoint + " goes through a symbolic link");
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
        return make_error(Errc::kInvalidArgument,
                          "app bundle: entrypoint " + manifest.entrypoint + " is not an executable file");
    return manifest;
}

BundleCache::BundleCache(fs::path root, Fetcher& fetcher, BundleLimits limits)
    : root_(std::move(root)), fetcher_(fetcher), limits_(limits) {}

Result<Bundle> BundleCache::get(std::string_view url, const Bytes32& checksum) {
    std::lock_guard lock(mu_);
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) return make_error(Errc::kIo, "app bundle: create " + root_.string() + ": " + ec.message());
    const fs::path dir = root_ / to_hex_no_prefix(checksum.view());
    if (fs::is_directory(fs::symlink_status(dir, ec))) {
        WP_TRY(auto manifest, read_bundle_manifest(dir));
        return Bundle{dir, std::move(manifest)};
    }
    const std::string tmp = random_suffix();
    const fs::path archive = root_ / ("download-" + tmp + ".tar.gz");
    const fs::path staging = root_ / ("unpack-" + tmp);
    auto cleanup = [&] {
        fs::remove(archive, ec);
        fs::remove_all(staging, ec);
    };
    auto sha = fetcher_.fetch_to_file(url, archive, limits_.max_archive_bytes);
    if (!sha) {
        cleanup();
        return make_error(sha.error().with_context("app bundle"));
    }
    if (*sha != checksum) {
        cleanup();
        return make_error(Errc::kInvalidChecksum, "app bundle: sha256 " + to_hex(sha->view()) +
                                                      " does not match the on-chain checksum " +
                                                      to_hex(checksum.view()));
    }
    auto unpacked = unpack_tar_gz(archive, staging, limits_.tar);
    if (!unpacked) {
        cleanup();
        return make_error(unpacked.error().with_context("app bundle"));
    }
    auto manifest = read_bundle_manifest(staging);
    if (!manifest) {
        cleanup();
        return make_error(manifest.error());
    }
    fs::rename(staging, dir, ec);
    if (ec) {
        cleanup();
        return make_error(Errc::kIo, "app bundle: rename into the cache: " + ec.message());
    }
    fs::remove(archive, ec);
    return Bundle{dir, std::move(*manifest)};
}

std::size_t BundleCache::prune(const std::vector<Bytes32>& keep) {
    std::lock_guard lock(mu_);
    std::size_t removed = 0;
    std::error_code ec;
    std::vector<fs::path> victims;
    for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        bool kept = false;
        for (const auto& k : keep) kept = kept || name == to_hex_no_prefix(k.view());
        if (!kept) victims.push_back(it->path());
    }
    for (const auto& v : victims) {
        fs::remove_all(v, ec);
        if (!ec) ++removed;
    }
    return removed;
}

Result<fs::path> fetch_dataset(Fetcher& fetcher, std::string_view url, const Address& dataset, const Bytes32& checksum,
                               const fs::path& in_dir, std::uint64_t max_bytes) {
    const fs::path dest = in_dir / dataset.to_lower_hex();
    WP_TRY(const auto sha,
           fetcher.fetch_to_file(url, dest, max_bytes).map_error([](Error e) { return e.with_context("dataset"); }));
    if (!checksum.is_zero() && sha != checksum) {
        std::error_code ec;
        fs::remove(dest, ec);
        return make_error(Errc::kInvalidChecksum, "dataset: sha256 " + to_hex(sha.view()) +
                                                      " does not match the on-chain checksum " +
                                                      to_hex(checksum.view()));
    }
    return dest;
}

Result<void> fetch_input_files(Fetcher& fetcher, const std::vector<std::string>& urls, const fs::path& in_dir,
                               std::uint64_t max_bytes_each) {
    for (std::size_t i = 0; i < urls.size(); ++i) {
        WP_TRY_VOID(fetcher.fetch_to_file(urls[i], in_dir / input_file_name(urls[i]), max_bytes_each)
                        .map([](const Bytes32&) {})
                        .map_error([&](Error e) { return e.with_context("input file " + std::to_string(i + 1)); }));
    }
    return {};
}

}  // namespace wp::worker
