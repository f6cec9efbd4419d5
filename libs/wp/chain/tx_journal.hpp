#pragma once
// The transaction journal of TxManager (tx_manager.hpp): what was signed, confirmed or given up, written BEFORE
// the corresponding action so that a restarted manager never reuses a nonce and can re-broadcast what is pending.
//
// Records (one per event, appended in order; a journal may hold several wallets and chains, the manager uses the
// records of its own (chain_id, from)):
//   kSigned     a signed transaction for call `id` with `nonce`: `hash`, `raw` (the full raw transaction: the
//               call, gas and fees can be recovered from it), `description`, `filler`. Written before the first
//               broadcast of that raw transaction. A replacement is one more kSigned record (same id and nonce).
//   kConfirmed  call `id` was mined with `hash` in block `block`, `status` (1 success / 0 reverted), and reached
//               its confirmation depth: the manager forgets it.
//   kReleased   call `id` gave up its `nonce` and failed (`reason` says why), written BEFORE the nonce is
//               reused: no transaction signed for it was ever accepted by the node (the nonce is free again);
//               or a foreign transaction holds the nonce in the pool (reason starting "nonce held in the pool by
//               another transaction: ": the nonce is blocked, filled by nonce fillers only, also after a
//               restart); or no receipt exists for any of its transactions while the nonce is below the
//               account's transaction count (nothing to free).
//
// JSON-lines format (FileTxJournal), one object per line, fields in this order:
//   {"v":1,"kind":"signed","chain_id":31337,"from":"0x…","id":7,"nonce":3,"time_ms":…,"hash":"0x…","raw":"0x…",
//    "description":"matchOrders","filler":false}
//   {"v":1,"kind":"confirmed",…common…,"hash":"0x…","block":120,"status":1}
//   {"v":1,"kind":"released",…common…,"reason":"insufficient funds for gas * price + value"}
// `from` is the checksummed address, integers are JSON numbers, byte strings 0x hex. Parsing is strict: every
// field present with its type, no unknown field, "v" == 1, and for kSigned hash == keccak256(raw).
//
// Compaction (not done by FileTxJournal, which only grows, about 1 KB per transaction): an implementation may
// delete every record of a closed call (one that has a kConfirmed or kReleased record), except the records of
// the call with the highest id (new ids continue after it). A restarted manager then behaves the same: closed
// calls are never looked at again, and the next nonce comes from the node's transaction count.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp::chain {

struct JournalRecord {
    enum class Kind { kSigned, kConfirmed, kReleased };
    Kind kind{Kind::kSigned};
    std::uint64_t chain_id{0};
    Address from;
    std::uint64_t id{0};  //!< the call (TxHandle::id), unique within the journal for (chain_id, from)
    std::uint64_t nonce{0};
    std::int64_t time_ms{0};  //!< Unix time in milliseconds when the record was made (informative)
    Bytes32 hash;             //!< kSigned: keccak256(raw); kConfirmed: the mined transaction
    Bytes raw;                //!< kSigned
    std::string description;  //!< kSigned
    bool filler{false};       //!< kSigned: a 0-value self-transfer that fills a released nonce
    std::uint64_t block{0};   //!< kConfirmed
    bool status{false};       //!< kConfirmed
    std::string reason;       //!< kReleased

    friend bool operator==(const JournalRecord&, const JournalRecord&) = default;
};

//! The JSON line of a record (without the newline), in the format of the header comment.
std::string to_json_line(const JournalRecord& record);
//! Strictly parses one line (Errc::kDecoding naming the field, e.g. "journal record: field \"nonce\": ...").
Result<JournalRecord> parse_journal_record(std::string_view line);

//! Where the manager keeps its records. Implementations must be safe to call from one thread at a time (the
//! manager serialises its calls); the scheduler will provide one backed by its SQLite database.
class TxJournal {
  public:
    virtual ~TxJournal() = default;
    //! Appends the records in order and returns only once they are durable (the manager broadcasts after it).
    virtual Result<void> append(std::span<const JournalRecord> records) = 0;
    //! Every record appended so far, in order.
    virtual Result<std::vector<JournalRecord>> load() = 0;
    //! How error messages name this journal, e.g. "journal /x/tx.jsonl".
    virtual std::string name() const { return "journal"; }
};

//! In memory (tests, or a CLI that accepts losing the journal): survives the manager, not the process.
class MemoryTxJournal : public TxJournal {
  public:
    Result<void> append(std::span<const JournalRecord> records) override;
    Result<std::vector<JournalRecord>> load() override;
    std::string name() const override { return "in-memory journal"; }
    std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    std::vector<JournalRecord> records_;
};

//! Append-only JSON-lines file. Every append() writes its lines with write() (repeated until all is written) and
//! fdatasync()s the file before returning (the directory is fsync'ed when the file is created).
//! Exclusive: open() takes flock(LOCK_EX | LOCK_NB) on the file, held until the object is destroyed; a second
//! open of the same file (another process, or another FileTxJournal in this process) fails with Errc::kIo
//! ("journal <file>: already open (locked by another FileTxJournal, ...)").
//! Failed append(): when write() fails (or writes nothing) the file is truncated back to its size before that
//! append, so a partial line never stays in front of the next append; the error is Errc::kIo and nothing of the
//! append is in the journal. When fdatasync() fails the file is also truncated back, but the object becomes
//! unusable: the kernel may have dropped the dirty pages and cleared the error, so the content on disk is not
//! known; every later append() fails with the same message ("...: the journal is unusable until reopened").
//! (Likewise when the truncation itself fails.) Reopening re-reads what is really on disk.
//! Crash tolerance: a last line without its terminating newline is a torn write whose append() never returned
//! (so nothing was broadcast on its behalf): open() drops it and truncates the file to the last complete line.
//! Any complete line that does not parse is corruption: load() fails with Errc::kDecoding naming the file and
//! the 1-based line number ("journal /x/tx.jsonl line 7: journal record: ...").
class FileTxJournal : public TxJournal {
  public:
    //! Opens (creating the file and its parent directory if missing), locks it and repairs a torn last line.
    //! Errc::kIo for file-system errors and for a file already locked.
    static Result<std::unique_ptr<FileTxJournal>> open(const std::filesystem::path& path);
    ~FileTxJournal() override;
    FileTxJournal(const FileTxJournal&) = delete;
    FileTxJournal& operator=(const FileTxJournal&) = delete;

    Result<void> append(std::span<const JournalRecord> records) override;
    Result<std::vector<JournalRecord>> load() override;
    //! "journal <path>".
    std::string name() const override { return "journal " + path_.string(); }
    const std::filesystem::path& path() const { return path_; }
    //! Bytes dropped by open() as a torn last line (0 when the file was clean).
    std::size_t repaired_bytes() const { return repaired_bytes_; }

    //! Fault injection for tests: replacements for ::write / ::fdatasync (same contract: -1 and errno on failure).
    struct IoHooks {
        std::function<ssize_t(int fd, const void* data, std::size_t size)> write;
        std::function<int(int fd)> sync;
    };
    void set_io_hooks_for_testing(IoHooks hooks) {
        std::lock_guard lock(mutex_);
        io_ = std::move(hooks);
    }

  private:
    FileTxJournal(std::filesystem::path path, int fd, std::size_t repaired)
        : path_(std::move(path)), fd_(fd), repaired_bytes_(repaired) {}
    std::filesystem::path path_;
    int fd_{-1};
    std::size_t repaired_bytes_{0};
    std::mutex mutex_;
    IoHooks io_;
    std::string broken_;  //!< non-empty: a failed fdatasync / truncation made the object unusable
};

}  // namespace wp::chain
