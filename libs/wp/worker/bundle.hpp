#pragma once
// Getting what a task needs onto the worker's disk: app bundles, datasets and input files.
//
// Fetcher: file:// and http(s):// URLs, written to a file with a size limit and hashed (sha256) on the way.
//   - file:///abs/path: streamed (64 KiB blocks);
//   - http(s)://: through net::HttpClient's streamed body: written to the file and hashed as it arrives (memory
//     bounded by one 64 KiB piece), the size limit enforced while reading (the download stops at max_bytes);
//     a status other than 200 is an error (whatever was written is removed).
//   Errors: Errc::kInvalidArgument (unsupported scheme, e.g. ipfs:// or a multiaddr), Errc::kTooLarge (more than
//   max_bytes: "fetch <url>: larger than N bytes"), Errc::kNetwork / kTimeout / kIo with the cause.
//
// App bundle: a gzip-compressed tar whose sha256 must equal the app's on-chain checksum (m_appChecksum, bytes32),
// with `iexec-app.json` at its root (manifest.hpp). BundleCache::get() fetches it (limit max_archive_bytes),
// verifies the checksum (Errc::kInvalidChecksum: "app bundle: sha256 0x… does not match the on-chain checksum
// 0x…"), unpacks it safely (ustar.hpp rules and limits, plus: no entry is written through a symbolic link, no
// entry twice) into <root>/<checksum hex>/ and reads the manifest (the entrypoint must be a regular executable
// file of the bundle). A bundle already in the cache is not fetched again. Unpacking goes to a temporary folder
// renamed at the end, so a crash never leaves a half bundle under the checksum's name.
//
// Datasets and input files: fetch_dataset() checks the dataset's sha256 against its on-chain checksum
// (Errc::kInvalidChecksum; a zero checksum is accepted, as the reference does with a warning);
// fetch_input_files() saves each URL as IEXEC_IN/<"0x" + sha256(url)> (app_env.hpp names).
//
// Thread safety: Fetcher is thread-safe; BundleCache::get() may be called from several threads (one lock per
// cache: concurrent misses are fetched one after the other).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "manifest.hpp"
#include "ustar.hpp"

namespace wp::net {
class HttpClient;
}

namespace wp::worker {

class Fetcher {
  public:
    //! `timeout` bounds each http(s) download.
    explicit Fetcher(std::chrono::milliseconds timeout = std::chrono::minutes(5));
    ~Fetcher();
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    //! Writes the content of `url` to `dest` (created or truncated) and returns its sha256. On error `dest` is
    //! removed.
    Result<Bytes32> fetch_to_file(std::string_view url, const std::filesystem::path& dest, std::uint64_t max_bytes);

  private:
    std::chrono::milliseconds timeout_;
    std::once_flag http_once_;  // the HTTP client (and its I/O thread) is made on the first http(s) download
    std::unique_ptr<net::HttpClient> http_;
};

struct BundleLimits {
    std::uint64_t max_archive_bytes{std::uint64_t{256} << 20};
    TarLimits tar{};
};

struct Bundle {
    std::filesystem::path dir;  //!< the unpacked bundle (read-only for the app)
    AppManifest manifest;
};

//! Unpacks a .tar.gz file into `dest` (which must not exist) with the rules above. Exposed for tests and tools.
Result<void> unpack_tar_gz(const std::filesystem::path& archive, const std::filesystem::path& dest,
                           const TarLimits& limits);

//! Reads and checks the manifest of an unpacked bundle.
Result<AppManifest> read_bundle_manifest(const std::filesystem::path& dir);

class BundleCache {
  public:
    BundleCache(std::filesystem::path root, Fetcher& fetcher, BundleLimits limits = {});
    Result<Bundle> get(std::string_view url, const Bytes32& checksum);
    //! Removes every cached bundle except those listed (checksums); returns how many were removed.
    std::size_t prune(const std::vector<Bytes32>& keep);

  private:
    std::filesystem::path root_;
    Fetcher& fetcher_;
    BundleLimits limits_;
    std::mutex mu_;
};

//! Saves the dataset as in_dir/<dataset address, lowercase hex> and checks its sha256 against `checksum`.
Result<std::filesystem::path> fetch_dataset(Fetcher& fetcher, std::string_view url, const Address& dataset,
                                            const Bytes32& checksum, const std::filesystem::path& in_dir,
                                            std::uint64_t max_bytes);

//! Saves every input file as in_dir/<input_file_name(url)>.
Result<void> fetch_input_files(Fetcher& fetcher, const std::vector<std::string>& urls,
                               const std::filesystem::path& in_dir, std::uint64_t max_bytes_each);

}  // namespace wp::worker
