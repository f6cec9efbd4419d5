#pragma once
// A small, strict, streaming tar reader for app bundles (POSIX ustar and GNU tar headers; pax and GNU long-name
// extensions for long paths). It only parses and validates: a TarSink receives the entries (bundle.cpp writes them
// to disk). No I/O, no Asio: the whole reader is fuzzed (ustar_fuzz.cpp).
//
// Accepted: regular files ('0', NUL), directories ('5'), symbolic links ('2'), GNU 'L' / 'K' long names, pax
// 'x' records (keys path, linkpath and size are used, others ignored) and 'g' global records (ignored).
// Rejected, with a message naming the entry: any other type (hard links, devices, FIFOs, sparse files), a bad header
// checksum, a magic other than "ustar\0" "00" (POSIX) or "ustar " " \0" (GNU), a non-octal or base-256 number, a
// path that is absolute or has an empty, "." or ".." component (leading "./" is removed; the entry "./" itself is
// skipped), a symbolic-link target that is absolute or has a ".." component (so no link can lead out of the folder),
// more than `max_entries` entries, a path longer than `max_path_bytes`, file contents summing to more than
// `max_total_bytes`, a stream that ends before the end-of-archive block.
// The end of the archive is the first all-zero header block; what follows it is ignored (done() becomes true).
//
// Errors: Errc::kDecoding ("tar: entry 3 \"bin/app\": bad header checksum"), Errc::kUnsupported (entry type),
// Errc::kInvalidArgument (path rules), Errc::kTooLarge (limits), or whatever the sink returns.
// Not thread-safe (one parser per archive).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::worker {

enum class TarEntryType : std::uint8_t { kFile, kDirectory, kSymlink };

struct TarEntry {
    std::string path;  //!< normalized relative path ("bin/app"; no trailing slash)
    TarEntryType type{TarEntryType::kFile};
    std::uint64_t size{0};    //!< content bytes (files only)
    std::uint32_t mode{0};    //!< permission bits from the header (& 07777)
    std::string link_target;  //!< symlinks only
};

struct TarLimits {
    std::size_t max_entries{10000};
    std::uint64_t max_total_bytes{std::uint64_t{1} << 30};
    std::size_t max_path_bytes{1024};
};

class TarSink {
  public:
    virtual ~TarSink() = default;
    virtual Result<void> begin(const TarEntry& entry) = 0;
    //! Content of the current file, in order (called only for files, possibly many times).
    virtual Result<void> data(ByteView bytes) = 0;
    virtual Result<void> end() = 0;
};

class TarParser {
  public:
    TarParser(TarSink& sink, TarLimits limits) : sink_(sink), limits_(limits) {}

    //! Consumes the next bytes of the (decompressed) stream. Bytes after the end-of-archive block are ignored.
    Result<void> feed(ByteView chunk);
    //! Call at the end of the stream: an error unless the end-of-archive block was seen.
    Result<void> finish() const;
    bool done() const { return state_ == State::kEnd; }
    std::size_t entries() const { return entries_; }

  private:
    enum class State : std::uint8_t { kHeader, kData, kPadding, kExtension, kEnd };
    Result<void> on_header();
    Result<void> on_extension_done();
    std::string where() const;

    TarSink& sink_;
    TarLimits limits_;
    State state_{State::kHeader};
    std::uint8_t block_[512]{};
    std::size_t block_fill_{0};
    std::uint64_t remaining_{0};  // data bytes of the current entry still to come
    std::uint64_t padding_{0};    // padding bytes after it
    std::uint64_t total_bytes_{0};
    std::size_t entries_{0};
    char extension_type_{0};  // 'L', 'K', 'x', 'g' while collecting an extension's data
    std::string extension_;
    std::string next_path_, next_link_;  // from 'L' / 'K' / pax
    std::optional<std::uint64_t> next_size_;
    std::string current_path_;
};

}  // namespace wp::worker
