// SqlTxJournal on SQLite and PostgreSQL (store::testing::ScratchDatabase; ctest gives the /Postgres cases the
// shared cluster): round trip of every record kind, one transaction per append, the outbox form
// (append_in rolled back with the caller's transaction), compaction, corruption and several journals in one file.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include <wp/chain/sql_tx_journal.hpp>
#include <wp/core/keccak.hpp>
#include <wp/store/backend_test.hpp>

namespace wp::chain {
namespace {

const Address kFrom = Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266").value();
const Address kOther = Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value();

JournalRecord record(JournalRecord::Kind kind, std::uint64_t id, std::uint64_t nonce, const Address& from = kFrom) {
    JournalRecord r;
    r.kind = kind;
    r.chain_id = 31337;
    r.from = from;
    r.id = id;
    r.nonce = nonce;
    r.time_ms = 1700000000000 + static_cast<std::int64_t>(id);
    if (kind == JournalRecord::Kind::kSigned) {
        r.raw = Bytes{0x02, 0xc0, static_cast<std::uint8_t>(nonce), static_cast<std::uint8_t>(id)};
        r.hash = keccak256(r.raw);
        r.description = "call " + std::to_string(id);
    } else if (kind == JournalRecord::Kind::kConfirmed) {
        r.hash = keccak256(Bytes{static_cast<std::uint8_t>(id)});
        r.block = 100 + id;
        r.status = true;
    } else {
        r.reason = "insufficient funds for gas * price + value";
    }
    return r;
}

class SqlTxJournalTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("sql_journal");
        if (HasFatalFailure()) return;
    }
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(SqlTxJournalTest);

TEST_P(SqlTxJournalTest, EveryRecordKindRoundTripsInAppendOrder) {
    auto journal = SqlTxJournal::open(*db_, "core:wallet-a");
    ASSERT_TRUE(journal) << journal.error().message;
    std::vector<JournalRecord> records{
        record(JournalRecord::Kind::kSigned, 1, 0), record(JournalRecord::Kind::kSigned, 2, 1),
        record(JournalRecord::Kind::kConfirmed, 1, 0), record(JournalRecord::Kind::kReleased, 2, 1)};
    records[1].filler = true;
    ASSERT_TRUE((*journal)->append(std::span(records).first(2)));
    ASSERT_TRUE((*journal)->append(std::span(records).subspan(2)));
    auto loaded = (*journal)->load();
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(*loaded, records);
    EXPECT_EQ((*journal)->size().value(), 4u);
    EXPECT_NE((*journal)->name().find("core:wallet-a"), std::string::npos);

    // Reopened (a restarted daemon): the same records.
    journal->reset();
    auto again = SqlTxJournal::open(*db_, "core:wallet-a");
    ASSERT_TRUE(again);
    EXPECT_EQ((*again)->load().value(), records);
}

TEST_P(SqlTxJournalTest, AppendInCommitsOrRollsBackWithTheCallersTransaction) {
    auto journal = SqlTxJournal::open(*db_);
    ASSERT_TRUE(journal);
    ASSERT_TRUE(db_->write([](store::Tx& tx) -> Result<void> {
        WP_TRY(auto n, tx.exec("CREATE TABLE task (id BIGINT PRIMARY KEY, status TEXT NOT NULL)"));
        (void)n;
        return {};
    }));
    const std::vector<JournalRecord> one{record(JournalRecord::Kind::kSigned, 1, 0)};
    // The daemon's state change and the journal record in one transaction that fails: neither is stored.
    auto failed = db_->write([&](store::Tx& tx) -> Result<void> {
        WP_TRY(auto n, tx.exec("INSERT INTO task (id, status) VALUES (1, 'initializing')"));
        (void)n;
        WP_TRY_VOID((*journal)->append_in(tx, one));
        return make_error(Errc::kIo, "crash before commit");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ((*journal)->size().value(), 0u);
    // The same in a transaction that commits: both are stored.
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Result<void> {
        WP_TRY(auto n, tx.exec("INSERT INTO task (id, status) VALUES (1, 'initializing')"));
        (void)n;
        return (*journal)->append_in(tx, one);
    }));
    EXPECT_EQ((*journal)->load().value(), one);
}

TEST_P(SqlTxJournalTest, CompactionKeepsExactlyWhatThePredicateKeepsInOrder) {
    auto journal = SqlTxJournal::open(*db_);
    ASSERT_TRUE(journal);
    using K = JournalRecord::Kind;
    const std::vector<JournalRecord> records{record(K::kSigned, 1, 0), record(K::kConfirmed, 1, 0),
                                             record(K::kSigned, 2, 1), record(K::kReleased, 2, 1),
                                             record(K::kSigned, 3, 1)};
    ASSERT_TRUE((*journal)->append(records));
    // Keep everything but the signed records of closed calls 1 and 2.
    auto keep = [](const JournalRecord& r) { return r.kind != K::kSigned || r.id == 3; };
    auto compacted = (*journal)->compact(keep);
    ASSERT_TRUE(compacted) << compacted.error().message;
    const std::vector<JournalRecord> kept{records[1], records[3], records[4]};
    EXPECT_EQ((*journal)->load().value(), kept);
    // Appends continue after the kept records, in order.
    const std::vector<JournalRecord> more{record(K::kConfirmed, 3, 1)};
    ASSERT_TRUE((*journal)->append(more));
    EXPECT_EQ((*journal)->load().value().back(), more[0]);
    EXPECT_EQ((*journal)->size().value(), 4u);
}

TEST_P(SqlTxJournalTest, CompactionOfManyRecordsDeletesInChunks) {
    auto journal = SqlTxJournal::open(*db_);
    ASSERT_TRUE(journal);
    std::vector<JournalRecord> records;
    for (std::uint64_t id = 1; id <= 1200; ++id) records.push_back(record(JournalRecord::Kind::kSigned, id, id - 1));
    ASSERT_TRUE((*journal)->append(records));
    // Keep every third record: 800 deleted, in two chunks of 500 and 300.
    ASSERT_TRUE((*journal)->compact([](const JournalRecord& r) { return r.id % 3 == 0; }));
    const auto kept = (*journal)->load().value();
    ASSERT_EQ(kept.size(), 400u);
    for (std::size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(kept[i].id, 3 * (i + 1));
}

TEST_P(SqlTxJournalTest, AFailingCompactionLeavesTheJournalUnchanged) {
    auto journal = SqlTxJournal::open(*db_, "j");
    ASSERT_TRUE(journal);
    const std::vector<JournalRecord> records{record(JournalRecord::Kind::kSigned, 1, 0),
                                             record(JournalRecord::Kind::kConfirmed, 1, 0)};
    ASSERT_TRUE((*journal)->append(records));
    // A stored record that no longer parses makes compaction fail before anything is deleted.
    ASSERT_TRUE(db_->write([](store::Tx& tx) -> Result<void> {
        WP_TRY(auto n, tx.exec("UPDATE tx_journal SET record = $1 WHERE kind = 'confirmed'", std::string("{}")));
        (void)n;
        return {};
    }));
    auto compacted = (*journal)->compact([](const JournalRecord&) { return false; });
    ASSERT_FALSE(compacted);
    EXPECT_EQ((*journal)->size().value(), 2u);
}

TEST_P(SqlTxJournalTest, JournalsSharingADatabaseAreSeparate) {
    auto a = SqlTxJournal::open(*db_, "a");
    auto b = SqlTxJournal::open(*db_, "b");
    ASSERT_TRUE(a && b);
    const std::vector<JournalRecord> ra{record(JournalRecord::Kind::kSigned, 1, 0)};
    const std::vector<JournalRecord> rb{record(JournalRecord::Kind::kSigned, 7, 3)};
    ASSERT_TRUE((*a)->append(ra));
    ASSERT_TRUE((*b)->append(rb));
    EXPECT_EQ((*a)->load().value(), ra);
    EXPECT_EQ((*b)->load().value(), rb);
}

TEST_P(SqlTxJournalTest, ACorruptStoredRecordIsAnErrorNamingTheJournalAndSeq) {
    auto journal = SqlTxJournal::open(*db_, "j");
    ASSERT_TRUE(journal);
    const std::vector<JournalRecord> one{record(JournalRecord::Kind::kSigned, 1, 0)};
    ASSERT_TRUE((*journal)->append(one));
    ASSERT_TRUE(db_->write([](store::Tx& tx) -> Result<void> {
        WP_TRY(auto n, tx.exec("UPDATE tx_journal SET record = $1", std::string(R"({"v":1,"kind":"signed"})")));
        (void)n;
        return {};
    }));
    auto loaded = (*journal)->load();
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, Errc::kDecoding);
    EXPECT_NE(loaded.error().message.find("journal j in database"), std::string::npos) << loaded.error().message;
    EXPECT_NE(loaded.error().message.find("seq 1"), std::string::npos) << loaded.error().message;
}

TEST_P(SqlTxJournalTest, BadNamesAreRefused) {
    for (const char* bad : {"", "a b", "x;DROP TABLE tx_journal", "é"}) {
        auto j = SqlTxJournal::open(*db_, bad);
        ASSERT_FALSE(j) << bad;
        EXPECT_EQ(j.error().code, Errc::kInvalidArgument);
    }
}

}  // namespace
}  // namespace wp::chain
