#include "tx_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

namespace wp::chain {
namespace json = boost::json;
namespace {

Error field_error(std::string_view field, std::string_view what) {
    return Error{Errc::kDecoding, "journal record: field \"" + std::string(field) + "\": " + std::string(what)};
}

class Reader {
  public:
    explicit Reader(const json::object& o) : o_(o) {}
    Result<const json::value*> get(std::string_view field) {
        const auto* v = o_.if_contains(field);
        if (!v) return make_error(field_error(field, "missing"));
        ++used_;
        return v;
    }
    Result<std::uint64_t> u64(std::string_view field) {
        WP_TRY(const auto* v, get(field));
        if (const auto* u = v->if_uint64()) return *u;
        if (const auto* i = v->if_int64(); i && *i >= 0) return static_cast<std::uint64_t>(*i);
        return make_error(field_error(field, "not a non-negative integer"));
    }
    Result<std::int64_t> i64(std::string_view field) {
        WP_TRY(const auto* v, get(field));
        if (const auto* i = v->if_int64()) return *i;
        return make_error(field_error(field, "not a 64-bit integer"));
    }
    Result<std::string> str(std::string_view field) {
        WP_TRY(const auto* v, get(field));
        if (const auto* s = v->if_string()) return std::string(*s);
        return make_error(field_error(field, "not a string"));
    }
    Result<bool> boolean(std::string_view field) {
        WP_TRY(const auto* v, get(field));
        if (const auto* b = v->if_bool()) return *b;
        return make_error(field_error(field, "not a boolean"));
    }
    Result<Bytes> bytes(std::string_view field) {
        WP_TRY(auto s, str(field));
        auto b = from_hex(s);
        if (!b) return make_error(field_error(field, b.error().message));
        return b;
    }
    Result<Bytes32> bytes32(std::string_view field) {
        WP_TRY(auto s, str(field));
        auto b = bytes32_from_hex(s);
        if (!b) return make_error(field_error(field, b.error().message));
        return b;
    }
    Result<void> no_extra() const {
        if (used_ == o_.size()) return {};
        for (const auto& kv : o_) {
            static constexpr std::string_view kKnown[] = {
                "v",      "kind",  "chain_id", "from",   "id",  "nonce", "time_ms", "hash",  "raw", "description",
                "filler", "block", "status",   "reason", "key", "to",    "data",    "value", "gas", "confirmations"};
            bool known = false;
            for (auto k : kKnown) known = known || kv.key() == k;
            if (!known) return make_error(field_error(kv.key(), "unknown field"));
        }
        return make_error(Errc::kDecoding, "journal record: fields that do not belong to its kind");
    }

  private:
    const json::object& o_;
    std::size_t used_{0};
};

Error io_error(const std::filesystem::path& path, std::string_view what) {
    return Error{Errc::kIo, "journal " + path.string() + ": " + std::string(what) + ": " + std::strerror(errno)};
}

Result<std::string> read_all(int fd, const std::filesystem::path& path) {
    std::string content;
    if (::lseek(fd, 0, SEEK_SET) < 0) return make_error(io_error(path, "seek"));
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(io_error(path, "read"));
        }
        if (n == 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    return content;
}

}  // namespace

const char* to_string(JournalRecord::Kind kind) noexcept {
    switch (kind) {
        case JournalRecord::Kind::kSigned: return "signed";
        case JournalRecord::Kind::kConfirmed: return "confirmed";
        case JournalRecord::Kind::kReleased: return "released";
        case JournalRecord::Kind::kIntent: return "intent";
        case JournalRecord::Kind::kFailed: return "failed";
    }
    return "?";
}

std::string to_json_line(const JournalRecord& r) {
    json::object o;
    o["v"] = 1;
    o["kind"] = to_string(r.kind);
    o["chain_id"] = r.chain_id;
    o["from"] = r.from.to_checksum();
    o["id"] = r.id;
    o["nonce"] = r.nonce;
    o["time_ms"] = r.time_ms;
    switch (r.kind) {
        case JournalRecord::Kind::kSigned:
            o["hash"] = to_hex(r.hash);
            o["raw"] = to_hex(r.raw);
            o["description"] = r.description;
            o["filler"] = r.filler;
            break;
        case JournalRecord::Kind::kConfirmed:
            o["hash"] = to_hex(r.hash);
            o["block"] = r.block;
            o["status"] = r.status ? 1 : 0;
            if (!r.reason.empty()) o["reason"] = r.reason;
            break;
        case JournalRecord::Kind::kReleased: o["reason"] = r.reason; break;
        case JournalRecord::Kind::kIntent:
            o["key"] = r.key;
            o["to"] = r.to ? r.to->to_checksum() : std::string();
            o["data"] = to_hex(r.data);
            o["value"] = r.value.to_hex_quantity();
            o["gas"] = r.gas;
            o["confirmations"] = r.confirmations;
            o["description"] = r.description;
            break;
        case JournalRecord::Kind::kFailed: o["reason"] = r.reason; break;
    }
    return json::serialize(o);
}

Result<JournalRecord> parse_journal_record(std::string_view line) {
    boost::system::error_code ec;
    auto value = json::parse(line, ec);
    if (ec) return make_error(Errc::kDecoding, "journal record: invalid JSON: " + ec.message());
    const auto* o = value.if_object();
    if (!o) return make_error(Errc::kDecoding, "journal record: not a JSON object");
    Reader in(*o);
    JournalRecord r;
    WP_TRY(auto version, in.u64("v"));
    if (version != 1) return make_error(field_error("v", "unsupported version " + std::to_string(version)));
    WP_TRY(auto kind, in.str("kind"));
    if (kind == "signed") {
        r.kind = JournalRecord::Kind::kSigned;
    } else if (kind == "confirmed") {
        r.kind = JournalRecord::Kind::kConfirmed;
    } else if (kind == "released") {
        r.kind = JournalRecord::Kind::kReleased;
    } else if (kind == "intent") {
        r.kind = JournalRecord::Kind::kIntent;
    } else if (kind == "failed") {
        r.kind = JournalRecord::Kind::kFailed;
    } else {
        return make_error(field_error("kind", "unknown kind \"" + kind + "\""));
    }
    WP_TRY(r.chain_id, in.u64("chain_id"));
    WP_TRY(auto from, in.str("from"));
    auto address = Address::parse(from);
    if (!address) return make_error(field_error("from", address.error().message));
    r.from = *address;
    WP_TRY(r.id, in.u64("id"));
    WP_TRY(r.nonce, in.u64("nonce"));
    WP_TRY(r.time_ms, in.i64("time_ms"));
    switch (r.kind) {
        case JournalRecord::Kind::kSigned: {
            WP_TRY(r.hash, in.bytes32("hash"));
            WP_TRY(r.raw, in.bytes("raw"));
            WP_TRY(r.description, in.str("description"));
            WP_TRY(r.filler, in.boolean("filler"));
            if (keccak256(r.raw) != r.hash) return make_error(field_error("hash", "is not keccak256(raw)"));
            break;
        }
        case JournalRecord::Kind::kConfirmed: {
            WP_TRY(r.hash, in.bytes32("hash"));
            WP_TRY(r.block, in.u64("block"));
            WP_TRY(auto status, in.u64("status"));
            if (status > 1) return make_error(field_error("status", "must be 0 or 1"));
            r.status = status == 1;
            if (o->contains("reason")) {
                WP_TRY(r.reason, in.str("reason"));
                if (r.reason.empty()) return make_error(field_error("reason", "empty (omit the field instead)"));
            }
            break;
        }
        case JournalRecord::Kind::kReleased:
        case JournalRecord::Kind::kFailed: {
            WP_TRY(r.reason, in.str("reason"));
            break;
        }
        case JournalRecord::Kind::kIntent: {
            WP_TRY(r.key, in.str("key"));
            if (r.key.empty()) return make_error(field_error("key", "empty"));
            WP_TRY(auto to, in.str("to"));
            if (!to.empty()) {
                auto a = Address::parse(to);
                if (!a) return make_error(field_error("to", a.error().message));
                r.to = *a;
            }
            WP_TRY(r.data, in.bytes("data"));
            WP_TRY(auto value_hex, in.str("value"));
            auto v = U256::from_hex(value_hex);
            if (!v) return make_error(field_error("value", v.error().message));
            r.value = *v;
            WP_TRY(r.gas, in.u64("gas"));
            WP_TRY(r.confirmations, in.u64("confirmations"));
            WP_TRY(r.description, in.str("description"));
            break;
        }
    }
    WP_TRY_VOID(in.no_extra());
    return r;
}

// ---- MemoryTxJournal ----

Result<void> MemoryTxJournal::append(std::span<const JournalRecord> records) {
    std::lock_guard lock(mutex_);
    records_.insert(records_.end(), records.begin(), records.end());
    return {};
}

Result<std::vector<JournalRecord>> MemoryTxJournal::load() {
    std::lock_guard lock(mutex_);
    return records_;
}

Result<void> MemoryTxJournal::compact(const std::function<bool(const JournalRecord&)>& keep) {
    std::lock_guard lock(mutex_);
    std::erase_if(records_, [&](const JournalRecord& r) { return !keep(r); });
    return {};
}

std::size_t MemoryTxJournal::size() const {
    std::lock_guard lock(mutex_);
    return records_.size();
}

// ---- FileTxJournal ----

Result<std::unique_ptr<FileTxJournal>> FileTxJournal::open(const std::filesystem::path& path) {
    std::error_code ec;
    const auto parent = path.parent_path();
    if (!parent.empty()) {
        std::filesystem::create_directories(parent, ec);
        if (ec)
            return make_error(Errc::kIo, "journal " + path.string() + ": cannot create its directory: " + ec.message());
    }
    const bool existed = std::filesystem::exists(path, ec);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(io_error(path, "open"));
    std::unique_ptr<FileTxJournal> journal(new FileTxJournal(path, fd, 0));
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) {
            return make_error(Errc::kIo, "journal " + path.string() +
                                             ": already open (locked by another FileTxJournal, in this or another "
                                             "process): one journal has one writer");
        }
        return make_error(io_error(path, "flock"));
    }
    if (!existed) {
        const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            (void)::fsync(dir);
            ::close(dir);
        }
    }
    WP_TRY(auto content, read_all(fd, path));
    if (!content.empty() && content.back() != '\n') {
        const auto last_newline = content.rfind('\n');
        const std::size_t keep = last_newline == std::string::npos ? 0 : last_newline + 1;
        if (::ftruncate(fd, static_cast<off_t>(keep)) != 0 || ::fsync(fd) != 0) {
            return make_error(io_error(path, "truncating a torn last line"));
        }
        journal->repaired_bytes_ = content.size() - keep;
    }
    return journal;
}

FileTxJournal::~FileTxJournal() {
    if (fd_ >= 0) ::close(fd_);
}

Result<void> FileTxJournal::append(std::span<const JournalRecord> records) {
    if (records.empty()) return {};
    std::string text;
    for (const auto& r : records) {
        text += to_json_line(r);
        text += '\n';
    }
    std::lock_guard lock(mutex_);
    if (!broken_.empty()) return make_error(Errc::kIo, broken_);
    const off_t start = ::lseek(fd_, 0, SEEK_END);
    if (start < 0) return make_error(io_error(path_, "seek"));
    // On a failed write, cut the file back to where this append started: a partial line must not stay in front of
    // the next append (it would glue onto it and make a complete, unparsable line).
    const auto roll_back = [&](std::string_view what) -> Error {
        Error error = io_error(path_, what);
        if (::ftruncate(fd_, start) != 0) {
            broken_ = error.message + "; truncating back to " + std::to_string(start) + " bytes failed too (" +
                      std::strerror(errno) + "): the journal is unusable until reopened";
            return Error{Errc::kIo, broken_};
        }
        return error;
    };
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = io_.write ? io_.write(fd_, text.data() + done, text.size() - done)
                                    : ::write(fd_, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(roll_back("write"));
        }
        if (n == 0) {
            errno = EIO;
            return make_error(roll_back("write"));
        }
        done += static_cast<std::size_t>(n);
    }
    if ((io_.sync ? io_.sync(fd_) : ::fdatasync(fd_)) != 0) {
        // After a failed fsync the kernel may have dropped the dirty pages (and cleared the error): what the file
        // holds is unknown, so nothing more is written through this object.
        const Error error = io_error(path_, "fsync");
        (void)::ftruncate(fd_, start);
        broken_ = error.message + ": the journal is unusable until reopened";
        return make_error(error);
    }
    return {};
}

Result<std::vector<JournalRecord>> FileTxJournal::load() {
    std::lock_guard lock(mutex_);
    return load_locked();
}

Result<void> FileTxJournal::compact(const std::function<bool(const JournalRecord&)>& keep) {
    std::lock_guard lock(mutex_);
    if (!broken_.empty()) return make_error(Errc::kIo, broken_);
    WP_TRY(auto records, load_locked());
    std::string text;
    for (const auto& r : records) {
        if (!keep(r)) continue;
        text += to_json_line(r);
        text += '\n';
    }
    const std::filesystem::path temp = path_.string() + ".compact";
    const int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(io_error(temp, "open"));
    const auto abandon = [&](std::string_view what) -> Error {
        Error error = io_error(temp, what);
        ::close(fd);
        (void)::unlink(temp.c_str());
        return error;
    };
    // Locked before it becomes <path>: a process opening <path> after the rename finds it locked.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return make_error(abandon("flock"));
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return make_error(abandon("write"));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd) != 0) return make_error(abandon("fsync"));
    if (::rename(temp.c_str(), path_.c_str()) != 0) return make_error(abandon("rename"));
    ::close(fd_);
    fd_ = fd;
    const auto parent = path_.parent_path();
    const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || ::fsync(dir) != 0) {
        const Error error = io_error(path_, "fsync of the directory after compaction");
        if (dir >= 0) ::close(dir);
        broken_ = error.message + ": the journal is unusable until reopened";
        return make_error(error);
    }
    ::close(dir);
    return {};
}

Result<std::vector<JournalRecord>> FileTxJournal::load_locked() {
    WP_TRY(auto content, read_all(fd_, path_));
    std::vector<JournalRecord> records;
    std::size_t line_number = 0;
    std::size_t pos = 0;
    while (pos < content.size()) {
        const auto end = content.find('\n', pos);
        ++line_number;
        if (end == std::string::npos) {
            // Only possible if another writer appended a partial line after open(): treat as torn, ignore.
            break;
        }
        const std::string_view line(content.data() + pos, end - pos);
        pos = end + 1;
        auto record = parse_journal_record(line);
        if (!record) {
            return make_error(Errc::kDecoding, "journal " + path_.string() + " line " + std::to_string(line_number) +
                                                   ": " + record.error().message);
        }
        records.push_back(std::move(*record));
    }
    return records;
}

}  // namespace wp::chain
