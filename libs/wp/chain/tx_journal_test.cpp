// The transaction journal: JSON-lines format, strict parsing, file durability rules (torn last line, corruption).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <wp/chain/tx_journal.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

namespace wp::chain {
namespace {

const Address kFrom = Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").value();

JournalRecord signed_record(std::uint64_t id, std::uint64_t nonce) {
    JournalRecord r;
    r.kind = JournalRecord::Kind::kSigned;
    r.chain_id = 31337;
    r.from = kFrom;
    r.id = id;
    r.nonce = nonce;
    r.time_ms = 1700000000000;
    r.raw = Bytes{0x02, 0xc0, static_cast<std::uint8_t>(nonce)};
    r.hash = keccak256(r.raw);
    r.description = "call \"" + std::to_string(id) + "\"";
    return r;
}

std::vector<JournalRecord> sample() {
    std::vector<JournalRecord> records{signed_record(1, 0), signed_record(2, 1)};
    JournalRecord confirmed;
    confirmed.kind = JournalRecord::Kind::kConfirmed;
    confirmed.chain_id = 31337;
    confirmed.from = kFrom;
    confirmed.id = 1;
    confirmed.nonce = 0;
    confirmed.time_ms = 1700000000001;
    confirmed.hash = records[0].hash;
    confirmed.block = 12;
    confirmed.status = true;
    records.push_back(confirmed);
    JournalRecord released;
    released.kind = JournalRecord::Kind::kReleased;
    released.chain_id = 31337;
    released.from = kFrom;
    released.id = 2;
    released.nonce = 1;
    released.time_ms = 1700000000002;
    released.reason = "insufficient funds for gas * price + value";
    records.push_back(released);
    JournalRecord filler = signed_record(3, 1);
    filler.filler = true;
    filler.description = "nonce filler";
    records.push_back(filler);
    return records;
}

std::filesystem::path temp_path(const std::string& name) {
    auto dir = std::filesystem::path(testing::TempDir()) / ("wp_journal_" + name);
    std::filesystem::remove_all(dir);
    return dir / "sub" / "tx.jsonl";
}

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(JournalRecord, ExactJsonLines) {
    auto records = sample();
    EXPECT_EQ(to_json_line(records[2]),
              R"({"v":1,"kind":"confirmed","chain_id":31337,"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",)"
              R"("id":1,"nonce":0,"time_ms":1700000000001,"hash":")" +
                  to_hex(records[0].hash) + R"(","block":12,"status":1})");
    EXPECT_EQ(to_json_line(records[3]),
              R"({"v":1,"kind":"released","chain_id":31337,"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",)"
              R"("id":2,"nonce":1,"time_ms":1700000000002,"reason":"insufficient funds for gas * price + value"})");
    EXPECT_EQ(to_json_line(records[0]),
              R"({"v":1,"kind":"signed","chain_id":31337,"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",)"
              R"("id":1,"nonce":0,"time_ms":1700000000000,"hash":")" +
                  to_hex(records[0].hash) + R"(","raw":"0x02c000","description":"call \"1\"","filler":false})");
    for (const auto& r : records) {
        auto back = parse_journal_record(to_json_line(r));
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, r);
    }
}

TEST(JournalRecord, StrictParsing) {
    const std::string good = to_json_line(sample()[0]);
    auto expect_error = [](std::string_view line, std::string_view message) {
        auto r = parse_journal_record(line);
        ASSERT_FALSE(r) << line;
        EXPECT_EQ(r.error().code, Errc::kDecoding);
        EXPECT_EQ(r.error().message, message) << line;
    };
    expect_error("", "journal record: invalid JSON: incomplete JSON");
    expect_error("[1]", "journal record: not a JSON object");
    std::string s = good;
    s.replace(s.find("\"v\":1"), 5, "\"v\":2");
    expect_error(s, "journal record: field \"v\": unsupported version 2");
    s = good;
    s.replace(s.find("signed"), 6, "mined");
    expect_error(s, "journal record: field \"kind\": unknown kind \"mined\"");
    s = good;
    s.replace(s.find("\"nonce\":0"), 9, "\"nonce\":-1");
    expect_error(s, "journal record: field \"nonce\": not a non-negative integer");
    s = good;
    s.replace(s.find("\"raw\":\"0x02c000\""), 16, "\"raw\":\"0x02c001\"");
    expect_error(s, "journal record: field \"hash\": is not keccak256(raw)");
    s = good;
    s.replace(s.find(",\"filler\":false"), 15, "");
    expect_error(s, "journal record: field \"filler\": missing");
    s = good;
    s.insert(s.size() - 1, ",\"extra\":1");
    expect_error(s, "journal record: field \"extra\": unknown field");
    s = good;
    s.insert(s.size() - 1, ",\"block\":1");  // a known field that a signed record does not have
    expect_error(s, "journal record: fields that do not belong to its kind");
    s = good;
    s.replace(s.find("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), 42, "0xf39fd6e51aad88f6f4ce6ab8827279cffFb92266");
    auto bad_checksum = parse_journal_record(s);
    ASSERT_FALSE(bad_checksum);
    EXPECT_EQ(bad_checksum.error().message.rfind("journal record: field \"from\": ", 0), 0u);
}

// The seed corpus of journal_record_fuzz.cpp (tests/fuzz/corpus/journal_record): valid records of every kind, so
// the fuzzer starts from lines the parser accepts.
TEST(JournalRecord, FuzzSeedsAreValidRecordsOfEveryKind) {
    const std::filesystem::path dir = std::filesystem::path(WP_SOURCE_DIR) / "tests/fuzz/corpus/journal_record";
    std::set<JournalRecord::Kind> kinds;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(entry.path());
        const std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto r = parse_journal_record(line);
        ASSERT_TRUE(r) << entry.path() << ": " << r.error().message;
        kinds.insert(r->kind);
        EXPECT_EQ(parse_journal_record(to_json_line(*r)).value(), *r) << entry.path();
    }
    EXPECT_EQ(kinds.size(), 5u);
}

TEST(MemoryTxJournal, KeepsOrder) {
    MemoryTxJournal journal;
    auto records = sample();
    ASSERT_TRUE(journal.append(std::span(records).first(2)));
    ASSERT_TRUE(journal.append(std::span(records).subspan(2)));
    EXPECT_EQ(journal.size(), records.size());
    EXPECT_EQ(journal.load().value(), records);
}

TEST(FileTxJournal, RoundTripAcrossReopen) {
    const auto path = temp_path("roundtrip");
    auto records = sample();
    {
        auto journal = FileTxJournal::open(path);
        ASSERT_TRUE(journal) << journal.error().message;
        EXPECT_TRUE((*journal)->load().value().empty());
        ASSERT_TRUE((*journal)->append(std::span(records).first(3)));
        ASSERT_TRUE((*journal)->append(std::span(records).subspan(3)));
        EXPECT_EQ((*journal)->load().value(), records);
    }
    auto journal = FileTxJournal::open(path).value();
    EXPECT_EQ(journal->repaired_bytes(), 0u);
    EXPECT_EQ(journal->load().value(), records);
    std::string expected;
    for (const auto& r : records) expected += to_json_line(r) + "\n";
    EXPECT_EQ(read(path), expected);
}

TEST(FileTxJournal, TornLastLineIsDroppedAndTruncated) {
    const auto path = temp_path("torn");
    auto records = sample();
    {
        auto journal = FileTxJournal::open(path).value();
        ASSERT_TRUE(journal->append(std::span(records).first(2)));
    }
    const std::string clean = read(path);
    {
        std::ofstream out(path, std::ios::app | std::ios::binary);
        const std::string partial = to_json_line(records[2]);
        out << partial.substr(0, partial.size() / 2);  // a crash in the middle of write()
    }
    auto journal = FileTxJournal::open(path).value();
    EXPECT_GT(journal->repaired_bytes(), 0u);
    EXPECT_EQ(read(path), clean);
    EXPECT_EQ(journal->load().value(), std::vector<JournalRecord>(records.begin(), records.begin() + 2));
    ASSERT_TRUE(journal->append(std::span(records).subspan(2)));  // appends start on a clean line
    EXPECT_EQ(journal->load().value(), records);

    // A complete record whose newline never made it is also a torn write: its append() never returned.
    const auto path2 = temp_path("torn2");
    {
        auto j = FileTxJournal::open(path2).value();
        ASSERT_TRUE(j->append(std::span(records).first(1)));
    }
    {
        std::ofstream out(path2, std::ios::app | std::ios::binary);
        out << to_json_line(records[1]);
    }
    auto j2 = FileTxJournal::open(path2).value();
    EXPECT_EQ(j2->load().value().size(), 1u);
}

TEST(FileTxJournal, CorruptLineIsAnErrorNamingTheLine) {
    const auto path = temp_path("corrupt");
    auto records = sample();
    {
        auto journal = FileTxJournal::open(path).value();
        ASSERT_TRUE(journal->append(records));
    }
    std::string text = read(path);
    // Damage line 3 (a complete line: not a torn write).
    std::size_t pos = 0;
    for (int i = 0; i < 2; ++i) pos = text.find('\n', pos) + 1;
    text[pos + 2] = 'X';
    {
        std::ofstream out(path, std::ios::trunc | std::ios::binary);
        out << text;
    }
    auto journal = FileTxJournal::open(path).value();
    EXPECT_EQ(journal->repaired_bytes(), 0u);
    auto loaded = journal->load();
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Errc::kDecoding);
    EXPECT_EQ(loaded.error().message.rfind("journal " + path.string() + " line 3: journal record: ", 0), 0u)
        << loaded.error().message;
}

TEST(FileTxJournal, FailedWriteIsRolledBackSoTheNextAppendStartsOnACleanLine) {
    const auto path = temp_path("partial");
    auto records = sample();
    auto journal = FileTxJournal::open(path).value();
    ASSERT_TRUE(journal->append(std::span(records).first(1)));
    const std::string clean = read(path);
    // write() writes 10 bytes, then fails with ENOSPC: half a line reached the file.
    int calls = 0;
    journal->set_io_hooks_for_testing({.write = [&](int fd, const void* data, std::size_t size) -> ssize_t {
                                           if (++calls == 1) return ::write(fd, data, std::min<std::size_t>(size, 10));
                                           errno = ENOSPC;
                                           return -1;
                                       },
                                       .sync = {}});
    auto failed = journal->append(std::span(records).subspan(1, 2));
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Errc::kIo);
    EXPECT_EQ(failed.error().message, "journal " + path.string() + ": write: " + std::strerror(ENOSPC));
    EXPECT_EQ(read(path), clean);  // the 10 bytes are gone
    // The disk has room again: the same records go in, and every line parses (now and after a reopen).
    journal->set_io_hooks_for_testing({});
    ASSERT_TRUE(journal->append(std::span(records).subspan(1)));
    EXPECT_EQ(journal->load().value(), records);
    journal.reset();
    EXPECT_EQ(FileTxJournal::open(path).value()->load().value(), records);
}

TEST(FileTxJournal, FailedFsyncMakesTheObjectUnusable) {
    const auto path = temp_path("fsync");
    auto records = sample();
    auto journal = FileTxJournal::open(path).value();
    ASSERT_TRUE(journal->append(std::span(records).first(1)));
    const std::string clean = read(path);
    journal->set_io_hooks_for_testing({.write = {}, .sync = [](int) {
                                           errno = EIO;
                                           return -1;
                                       }});
    auto failed = journal->append(std::span(records).subspan(1, 1));
    ASSERT_FALSE(failed);
    const std::string expected = "journal " + path.string() + ": fsync: " + std::strerror(EIO);
    EXPECT_EQ(failed.error().message, expected);
    EXPECT_EQ(read(path), clean);
    journal->set_io_hooks_for_testing({});  // even with a working disk: this object no longer writes
    auto again = journal->append(std::span(records).subspan(1, 1));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::kIo);
    EXPECT_EQ(again.error().message, expected + ": the journal is unusable until reopened");
    EXPECT_EQ(read(path), clean);
    journal.reset();
    auto reopened = FileTxJournal::open(path).value();
    ASSERT_TRUE(reopened->append(std::span(records).subspan(1)));
    EXPECT_EQ(reopened->load().value(), records);
}

TEST(FileTxJournal, OneWriterPerFile) {
    const auto path = temp_path("lock");
    auto first = FileTxJournal::open(path);
    ASSERT_TRUE(first) << first.error().message;
    auto second = FileTxJournal::open(path);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Errc::kIo);
    EXPECT_EQ(second.error().message.rfind("journal " + path.string() + ": already open", 0), 0u)
        << second.error().message;
    first->reset();
    auto third = FileTxJournal::open(path);  // the lock goes with the object
    EXPECT_TRUE(third) << third.error().message;
}

}  // namespace
}  // namespace wp::chain

namespace wp::chain {
namespace {

JournalRecord intent_record(std::uint64_t id, std::string key) {
    JournalRecord r;
    r.kind = JournalRecord::Kind::kIntent;
    r.chain_id = 31337;
    r.from = kFrom;
    r.id = id;
    r.time_ms = 1700000000100;
    r.key = std::move(key);
    r.to = Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value();
    r.data = Bytes{0xde, 0xad};
    r.value = U256(1000);
    r.gas = 21000;
    r.confirmations = 2;
    r.description = "pay";
    return r;
}

TEST(JournalRecord, IntentFailedAndRevertReasonLines) {
    JournalRecord intent = intent_record(9, "task:1:initialize");
    EXPECT_EQ(to_json_line(intent),
              R"({"v":1,"kind":"intent","chain_id":31337,"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",)"
              R"("id":9,"nonce":0,"time_ms":1700000000100,"key":"task:1:initialize",)"
              R"("to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","data":"0xdead","value":"0x3e8","gas":21000,)"
              R"("confirmations":2,"description":"pay"})");
    JournalRecord creation = intent;
    creation.to.reset();
    JournalRecord failed;
    failed.kind = JournalRecord::Kind::kFailed;
    failed.chain_id = 31337;
    failed.from = kFrom;
    failed.id = 9;
    failed.reason = "pay: gas estimation reverted: nope";
    EXPECT_EQ(to_json_line(failed),
              R"({"v":1,"kind":"failed","chain_id":31337,"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",)"
              R"("id":9,"nonce":0,"time_ms":0,"reason":"pay: gas estimation reverted: nope"})");
    JournalRecord reverted = sample()[2];
    reverted.status = false;
    reverted.reason = "call: reverted: nope (nonce 0, tx 0x…)";
    for (const auto& r : {intent, creation, failed, reverted, sample()[2]}) {
        auto back = parse_journal_record(to_json_line(r));
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, r);
    }
    EXPECT_EQ(to_json_line(sample()[2]).find("reason"), std::string::npos);  // omitted when empty
    std::string s = to_json_line(intent);
    s.replace(s.find("\"key\":\"task:1:initialize\""), 25, "\"key\":\"\"");
    EXPECT_EQ(parse_journal_record(s).error().message, "journal record: field \"key\": empty");
    s = to_json_line(intent);
    s.replace(s.find("\"value\":\"0x3e8\""), 15, "\"value\":\"1000\"");
    EXPECT_EQ(parse_journal_record(s).error().message.rfind("journal record: field \"value\": ", 0), 0u);
    s = to_json_line(intent);
    s.replace(s.find(",\"confirmations\":2"), 18, "");
    EXPECT_EQ(parse_journal_record(s).error().message, "journal record: field \"confirmations\": missing");
}

TEST(MemoryTxJournal, CompactKeepsTheKeptRecordsInOrder) {
    MemoryTxJournal journal;
    auto records = sample();
    ASSERT_TRUE(journal.append(records));
    ASSERT_TRUE(journal.compact([](const JournalRecord& r) { return r.id != 1; }));
    std::vector<JournalRecord> expected;
    for (const auto& r : records) {
        if (r.id != 1) expected.push_back(r);
    }
    EXPECT_EQ(journal.load().value(), expected);
}

TEST(FileTxJournal, CompactRewritesAtomicallyAndKeepsTheLock) {
    const auto path = temp_path("compact");
    auto records = sample();
    auto journal = FileTxJournal::open(path).value();
    ASSERT_TRUE(journal->append(records));
    ASSERT_TRUE(journal->compact([](const JournalRecord& r) { return r.kind != JournalRecord::Kind::kSigned; }));
    std::vector<JournalRecord> expected;
    for (const auto& r : records) {
        if (r.kind != JournalRecord::Kind::kSigned) expected.push_back(r);
    }
    EXPECT_EQ(journal->load().value(), expected);
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".compact"));
    // The object writes to the new file, and the new file is locked against a second writer.
    const JournalRecord more = intent_record(10, "k");
    ASSERT_TRUE(journal->append(std::span(&more, 1)));
    expected.push_back(more);
    EXPECT_EQ(journal->load().value(), expected);
    auto second = FileTxJournal::open(path);
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("already open"), std::string::npos);
    journal.reset();
    EXPECT_EQ(FileTxJournal::open(path).value()->load().value(), expected);
}

TEST(FileTxJournal, CompactOfACorruptJournalChangesNothing) {
    const auto path = temp_path("compact_corrupt");
    auto records = sample();
    {
        auto journal = FileTxJournal::open(path).value();
        ASSERT_TRUE(journal->append(records));
    }
    {
        std::ofstream out(path, std::ios::app | std::ios::binary);
        out << "{not json}\n";
    }
    const std::string before = read(path);
    auto journal = FileTxJournal::open(path).value();
    auto compacted = journal->compact([](const JournalRecord&) { return false; });
    ASSERT_FALSE(compacted);
    EXPECT_EQ(compacted.error().code, Errc::kDecoding);
    EXPECT_EQ(read(path), before);
}

}  // namespace
}  // namespace wp::chain
