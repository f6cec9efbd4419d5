#include "ustar.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "computed_json.hpp"

namespace wp::worker {

namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kMaxExtensionBytes = 64 * 1024;

std::string_view field(const std::uint8_t* block, std::size_t offset, std::size_t len) {
    const char* p = reinterpret_cast<const char*>(block) + offset;
    std::size_t n = 0;
    while (n < len && p[n] != '\0') ++n;
    return {p, n};
}

// An octal number field: optional leading spaces, octal digits, then NULs / spaces to the end of the field.
Result<std::uint64_t> octal(const std::uint8_t* block, std::size_t offset, std::size_t len, const char* name) {
    const char* p = reinterpret_cast<const char*>(block) + offset;
    if (static_cast<unsigned char>(p[0]) & 0x80)
        return make_error(Errc::kUnsupported, std::string(name) + ": base-256 numbers are not supported");
    std::size_t i = 0;
    while (i < len && p[i] == ' ') ++i;
    std::uint64_t v = 0;
    std::size_t digits = 0;
    for (; i < len && p[i] >= '0' && p[i] <= '7'; ++i, ++digits) {
        if (v > (std::uint64_t{1} << 60)) return make_error(Errc::kDecoding, std::string(name) + ": number too large");
        v = v * 8 + static_cast<std::uint64_t>(p[i] - '0');
    }
    for (; i < len; ++i)
        if (p[i] != '\0' && p[i] != ' ')
            return make_error(Errc::kDecoding, std::string(name) + ": not an octal number");
    if (digits == 0) return make_error(Errc::kDecoding, std::string(name) + ": empty number");
    return v;
}

// Leading "./" removed, trailing "/" removed. "" means the archive root itself.
std::string normalize(std::string_view p) {
    while (p.size() >= 2 && p[0] == '.' && p[1] == '/') p.remove_prefix(2);
    if (p == ".") p = "";
    while (!p.empty() && p.back() == '/') p.remove_suffix(1);
    return std::string(p);
}

Result<void> check_link_target(std::string_view target, std::string_view what) {
    if (target.empty()) return make_error(Errc::kInvalidArgument, std::string(what) + ": empty symbolic-link target");
    if (target.front() == '/')
        return make_error(Errc::kInvalidArgument,
                          std::string(what) + ": absolute symbolic-link target \"" + std::string(target) + "\"");
    if (target.find('\0') != std::string_view::npos)
        return make_error(Errc::kInvalidArgument, std::string(what) + ": symbolic-link target contains NUL");
    std::size_t start = 0;
    while (start <= target.size()) {
        const std::size_t slash = target.find('/', start);
        const auto part = target.substr(start, slash == std::string_view::npos ? target.npos : slash - start);
        if (part == "..")
            return make_error(Errc::kInvalidArgument, std::string(what) + ": symbolic-link target \"" +
                                                          std::string(target) + "\" goes up with \"..\"");
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return {};
}

// Pax extended header records: "<len> <key>=<value>\n", len counting the whole record in decimal.
Result<void> parse_pax(std::string_view data, std::string& path, std::string& link,
                       std::optional<std::uint64_t>& size) {
    while (!data.empty()) {
        std::size_t i = 0;
        std::uint64_t len = 0;
        while (i < data.size() && data[i] >= '0' && data[i] <= '9' && i < 8)
            len = len * 10 + static_cast<std::uint64_t>(data[i++] - '0');
        if (i == 0 || i >= data.size() || data[i] != ' ' || len <= i + 1 || len > data.size())
            return make_error(Errc::kDecoding, "pax record: bad length");
        const std::string_view rec = data.substr(i + 1, static_cast<std::size_t>(len) - i - 1);
        if (rec.empty() || rec.back() != '\n') return make_error(Errc::kDecoding, "pax record: missing newline");
        const auto eq = rec.find('=');
        if (eq == std::string_view::npos || eq == 0) return make_error(Errc::kDecoding, "pax record: missing '='");
        const std::string_view key = rec.substr(0, eq);
        const std::string_view value = rec.substr(eq + 1, rec.size() - eq - 2);
        if (key == "path") {
            path = std::string(value);
        } else if (key == "linkpath") {
            link = std::string(value);
        } else if (key == "size") {
            if (value.empty() || value.size() > 18) return make_error(Errc::kDecoding, "pax size: not a number");
            std::uint64_t v = 0;
            for (char c : value) {
                if (c < '0' || c > '9') return make_error(Errc::kDecoding, "pax size: not a number");
                v = v * 10 + static_cast<std::uint64_t>(c - '0');
            }
            size = v;
        }
        data.remove_prefix(static_cast<std::size_t>(len));
    }
    return {};
}

}  // namespace

std::string TarParser::where() const {
    return "tar: entry " + std::to_string(entries_ + 1) + (current_path_.empty() ? "" : " \"" + current_path_ + "\"");
}

Result<void> TarParser::feed(ByteView chunk) {
    std::size_t pos = 0;
    while (pos < chunk.size()) {
        switch (state_) {
            case State::kEnd: return {};
            case State::kHeader: {
                const std::size_t take = std::min(kBlock - block_fill_, chunk.size() - pos);
                std::memcpy(block_ + block_fill_, chunk.data() + pos, take);
                block_fill_ += take;
                pos += take;
                if (block_fill_ == kBlock) {
                    block_fill_ = 0;
                    WP_TRY_VOID(on_header());
                }
                break;
            }
            case State::kData: {
                const std::size_t take =
                    static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, chunk.size() - pos));
                WP_TRY_VOID(sink_.data(chunk.subspan(pos, take)));
                pos += take;
                remaining_ -= take;
                if (remaining_ == 0) {
                    WP_TRY_VOID(sink_.end());
                    ++entries_;
                    state_ = padding_ ? State::kPadding : State::kHeader;
                }
                break;
            }
            case State::kExtension: {
                const std::size_t take =
                    static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, chunk.size() - pos));
                extension_.append(reinterpret_cast<const char*>(chunk.data()) + pos, take);
                pos += take;
                remaining_ -= take;
                if (remaining_ == 0) {
                    state_ = padding_ ? State::kPadding : State::kHeader;
                    WP_TRY_VOID(on_extension_done());
                }
                break;
            }
            case State::kPadding: {
                const std::size_t take =
                    static_cast<std::size_t>(std::min<std::uint64_t>(padding_, chunk.size() - pos));
                pos += take;
                padding_ -= take;
                if (padding_ == 0) state_ = State::kHeader;
                break;
            }
        }
    }
    return {};
}

Result<void> TarParser::finish() const {
    if (state_ == State::kEnd) return {};
    if (state_ == State::kHeader && block_fill_ == 0)
        return make_error(Errc::kDecoding, "tar: the archive has no end-of-archive block (truncated?)");
    return make_error(Errc::kDecoding, where() + ": the archive ends inside an entry (truncated)");
}

Result<void> TarParser::on_extension_done() {
    const std::string what = where();
    if (extension_type_ == 'L' || extension_type_ == 'K') {
        std::string_view v(extension_);
        while (!v.empty() && v.back() == '\0') v.remove_suffix(1);
        (extension_type_ == 'L' ? next_path_ : next_link_) = std::string(v);
    } else if (extension_type_ == 'x') {
        WP_TRY_VOID(parse_pax(extension_, next_path_, next_link_, next_size_).map_error([&](Error e) {
            return e.with_context(what);
        }));
    }
    extension_.clear();
    return {};
}

Result<void> TarParser::on_header() {
    current_path_.clear();
    if (std::all_of(block_, block_ + kBlock, [](std::uint8_t b) { return b == 0; })) {
        if (!next_path_.empty() || !next_link_.empty() || next_size_)
            return make_error(Errc::kDecoding, "tar: end of archive right after an extended header");
        state_ = State::kEnd;
        return {};
    }
    if (entries_ >= limits_.max_entries)
        return make_error(Errc::kTooLarge, "tar: more than " + std::to_string(limits_.max_entries) + " entries");
    const std::string_view magic(reinterpret_cast<const char*>(block_) + 257, 8);
    const bool posix = magic == std::string_view(
                                    "ustar\0"
                                    "00",
                                    8);
    const bool gnu = magic == std::string_view("ustar  \0", 8);
    if (!posix && !gnu) return make_error(Errc::kDecoding, where() + ": not a ustar header (bad magic)");
    // Checksum: the header's bytes summed with the checksum field counted as spaces.
    WP_TRY(const auto stored,
           octal(block_, 148, 8, "checksum").map_error([&](Error e) { return e.with_context(where()); }));
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? std::uint64_t{' '} : block_[i];
    if (sum != stored) return make_error(Errc::kDecoding, where() + ": bad header checksum");

    const char type = static_cast<char>(block_[156]);
    WP_TRY(std::uint64_t size,
           octal(block_, 124, 12, "size").map_error([&](Error e) { return e.with_context(where()); }));
    WP_TRY(const auto mode, octal(block_, 100, 8, "mode").map_error([&](Error e) { return e.with_context(where()); }));

    if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
        if (size > kMaxExtensionBytes)
            return make_error(Errc::kTooLarge, where() + ": extended header larger than 64 KiB");
        extension_type_ = type;
        extension_.clear();
        remaining_ = size;
        padding_ = (kBlock - size % kBlock) % kBlock;
        state_ = size ? State::kExtension : State::kHeader;
        if (!size) return on_extension_done();
        return {};
    }

    std::string raw;
    if (!next_path_.empty()) {
        raw = next_path_;
    } else {
        const auto name = field(block_, 0, 100);
        const auto prefix = posix ? field(block_, 345, 155) : std::string_view{};
        raw = prefix.empty() ? std::string(name) : std::string(prefix) + "/" + std::string(name);
    }
    std::string link = !next_link_.empty() ? next_link_ : std::string(field(block_, 157, 100));
    if (next_size_) size = *next_size_;
    next_path_.clear();
    next_link_.clear();
    next_size_.reset();

    if (raw.size() > limits_.max_path_bytes)
        return make_error(Errc::kTooLarge,
                          where() + ": path longer than " + std::to_string(limits_.max_path_bytes) + " bytes");
    TarEntry entry;
    entry.path = normalize(raw);
    current_path_ = entry.path;
    entry.mode = static_cast<std::uint32_t>(mode & 07777);
    switch (type) {
        case '0':
        case '\0':
            entry.type = TarEntryType::kFile;
            entry.size = size;
            break;
        case '5': entry.type = TarEntryType::kDirectory; break;
        case '2':
            entry.type = TarEntryType::kSymlink;
            WP_TRY_VOID(check_link_target(link, where()));
            entry.link_target = link;
            break;
        case '1': return make_error(Errc::kUnsupported, where() + ": hard links are not supported");
        default:
            return make_error(Errc::kUnsupported, where() + ": unsupported entry type '" + std::string(1, type) + "'");
    }
    if (entry.type != TarEntryType::kFile && size != 0)
        return make_error(Errc::kDecoding, where() + ": a directory or link with a non-zero size");
    if (entry.path.empty()) {
        if (entry.type != TarEntryType::kDirectory)
            return make_error(Errc::kInvalidArgument, where() + ": the archive root must be a directory");
        return {};  // "./": the folder itself
    }
    WP_TRY_VOID(check_relative_path(entry.path, where()));
    if (entry.type == TarEntryType::kFile) {
        if (entry.size > limits_.max_total_bytes - total_bytes_)
            return make_error(Errc::kTooLarge, where() + ": the files add up to more than " +
                                                   std::to_string(limits_.max_total_bytes) + " bytes");
        total_bytes_ += entry.size;
    }
    WP_TRY_VOID(sink_.begin(entry));
    if (entry.type == TarEntryType::kFile && entry.size > 0) {
        remaining_ = entry.size;
        padding_ = (kBlock - entry.size % kBlock) % kBlock;
        state_ = State::kData;
        return {};
    }
    WP_TRY_VOID(sink_.end());
    ++entries_;
    state_ = State::kHeader;
    return {};
}

}  // namespace wp::worker
