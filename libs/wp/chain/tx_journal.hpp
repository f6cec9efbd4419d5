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
//               its confirmation depth: the manager forgets it (a keyed call keeps answering find()). `reason`
//               (optional field, written only when non-empty) is the decoded revert message of a status-0 call.
//   kIntent     a keyed call (SubmitOptions::key, the caller's idempotency key) was accepted: `key`, `to` (empty
//               for a contract creation), `data`, `value`, `gas` (0: estimated when it is started),
//               `confirmations`, `description`; `nonce` is 0. Written BEFORE submit_durable() returns, so the call
//               is never lost and never submitted twice under the same key.
//   kFailed     keyed call `id` failed before any transaction was signed for it (e.g. its gas estimation reverted):
//               `reason` is its one-line error. Final.
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
//   {"v":1,"kind":"intent",…common…,"key":"task:0x…:initialize","to":"0x…","data":"0x…","value":"0x0","gas":0,
//    "confirmations":1,"description":"initialize"}
//   {"v":1,"kind":"failed",…common…,"reason":"initialize: gas estimation reverted: …"}
// `from` is the checksummed address, integers are JSON numbers, byte strings 0x hex. Parsing is strict: every
// field present with its type, no unknown field, "v" == 1, and for kSigned hash == keccak256(raw).
//
// Compaction (TxManager::compact() decides, TxJournal::compact() rewrites): the records of a closed call (one with
// a kConfirmed, kReleased or kFailed record) may be deleted, except (a) those of the call with the highest id (new
// ids continue after it), (b) for a keyed call kept for find(): its kIntent and final record (its kSigned records,
// the bulk of the journal with the raw transactions, go), and (c) kReleased records that block a nonce. A restarted
// manager then behaves the same: closed calls are never sent again, and the next nonce comes from the node's
// transaction count.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

namespace wp::chain {

struct JournalRecord {
    enum class Kind { kSigned, kConfirmed, kReleased, kIntent, kFailed };
    Kind kind{Kind::kSigned};
    std::uint64_t chain_id{0};
    Address from;
    std::uint64_t id{0};  //!< the call (TxHandle::id), unique within the journal for (chain_id, from)
    std::uint64_t nonce{0};
    std::int64_t time_ms{0};         //!< Unix time in milliseconds when the record was made (informative)
    Bytes32 hash;                    //!< kSigned: keccak256(raw); kConfirmed: the mined transaction
    Bytes raw;                       //!< kSigned
    std::string description;         //!< kSigned, kIntent
    bool filler{false};              //!< kSigned: a 0-value self-transfer that fills a released nonce
    std::uint64_t block{0};          //!< kConfirmed
    bool status{false};              //!< kConfirmed
    std::string reason;              //!< kReleased, kFailed; kConfirmed with status 0 (may be empty)
    std::string key;                 //!< kIntent: the caller's idempotency key (non-empty)
    std::optional<Address> to;       //!< kIntent: nullopt for a contract creation
    Bytes data;                      //!< kIntent
    U256 value{};                    //!< kIntent
    std::uint64_t gas{0};            //!< kIntent: the fixed gas limit, 0 to estimate
    std::uint64_t confirmations{1};  //!< kIntent

    friend bool operator==(const JournalRecord&, const JournalRecord&) = default;
};

//! The record kind as written in the "kind" field: "signed", "confirmed", "released", "intent", "failed".
const char* to_string(JournalRecord::Kind kind) noexcept;

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
    //! Keeps only the records for which keep(record) is true (order preserved), atomically: after a crash the
    //! journal holds either all the old records or exactly the kept ones. `keep` must not call the journal.
    virtual Result<void> compact(const std::function<bool(const JournalRecord&)>& keep) = 0;
};

//! In memory (tests, or a CLI that accepts losing the journal): survives the manager, not the process.
class MemoryTxJournal : public TxJournal {
  public:
    Result<void> append(std::span<const JournalRecord> records) override;
    Result<std::vector<JournalRecord>> load() override;
    Result<void> compact(const std::function<bool(const JournalRecord&)>& keep) override;
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
    //! Reads every record, writes the kept ones to "<path>.compact" (created, locked, written, fdatasync'ed), renames
    //! it over <path> and fsyncs the directory, under the object's lock; the object then writes to the new file
    //! (whose flock it already holds). On any failure before the rename the old file is untouched (the temp file
    //! is removed); a failure of the directory fsync after the rename makes the object unusable (as for append).
    //! A corrupt line fails with load()'s error and changes nothing.
    Result<void> compact(const std::function<bool(const JournalRecord&)>& keep) override;
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
    Result<std::vector<JournalRecord>> load_locked();
    std::filesystem::path path_;
    int fd_{-1};
    std::size_t repaired_bytes_{0};
    std::mutex mutex_;
    IoHooks io_;
    std::string broken_;  //!< non-empty: a failed fdatasync / truncation made the object unusable
};

}  // namespace wp::chain
