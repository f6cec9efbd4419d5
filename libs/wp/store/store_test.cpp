// The store suite: one parameterised suite run on SQLite (a temporary file) and on PostgreSQL (a throwaway cluster,
// pg_test_support.hpp; each test in its own schema). PostgreSQL missing -> the Postgres/ tests FAIL with the package
// name.

#include "store.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <latch>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <wp/sys/process.hpp>

#include "connection.hpp"
#include "pg_test_support.hpp"

namespace wp::store {
namespace {

U256 dec(std::string_view s) { return *U256::from_dec(s); }

TEST(StorePgHarness, MissingServerFailsNamingThePackage) {
    const std::string dir =
        (std::filesystem::temp_directory_path() / ("wp-pg-missing-" + std::to_string(::getpid()))).string();
    sys::SpawnOptions o;
    o.argv = {WP_SOURCE_DIR "/tests/store/pg_cluster.sh", "start", dir};
    o.env = {"WP_PG_BINDIR=/nonexistent/postgresql/bin"};
    o.stderr_path = dir + ".log";
    auto p = sys::Process::spawn(o);
    ASSERT_TRUE(p) << p.error().message;
    auto status = p->wait_for(std::chrono::seconds(60));
    ASSERT_TRUE(status);
    EXPECT_FALSE(status->success());
    auto log = sys::read_text_file(dir + ".log");
    ASSERT_TRUE(log);
    EXPECT_NE(log->find("install the Debian package 'postgresql'"), std::string::npos) << *log;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::remove(dir + ".log", ec);
}

const char* const kTwo53Minus1 = "9007199254740991";
const char* const kTwo53 = "9007199254740992";
const char* const kTwo53Plus1 = "9007199254740993";
const char* const kTwo64 = "18446744073709551616";
const char* const kTwo255 = "57896044618658097711785492504343953926634992332820282019728792003956564819968";
const char* const kTwo256Minus1 = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

}  // namespace

// Readable ctest names: "Backends/StoreTest.X/Postgres  # GetParam() = postgres".
void PrintTo(Backend b, std::ostream* os) { *os << (b == Backend::kSqlite ? "sqlite" : "postgres"); }

namespace {

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return testing::backend_test_name(info.param);
}

class StoreTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        auto scratch = testing::ScratchDatabase::create(GetParam(), name.substr(0, name.find('/')));
        ASSERT_TRUE(scratch) << scratch.error().message;
        scratch_.emplace(std::move(*scratch));
        url_ = scratch_->url();
    }

    Database open(Options options = {}) {
        auto db = Database::open(url_, options);
        EXPECT_TRUE(db) << db.error().message;
        if (!db) std::abort();
        return std::move(*db);
    }

    bool sqlite() const { return GetParam() == Backend::kSqlite; }

    std::optional<testing::ScratchDatabase> scratch_;
    std::string url_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres), backend_name);

Result<void> create_kv(Database& db) {
    return db.write([](Tx& tx) { return tx.exec_script("CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)"); });
}

Result<std::int64_t> read_kv(Database& db, std::string_view key) {
    return db.read([&](Tx& tx) -> Result<std::int64_t> {
        WP_TRY(Row row, tx.query_row("SELECT v FROM kv WHERE k = $1", key));
        return row.get<std::int64_t>("v");
    });
}

// --- configuration ---------------------------------------------------------------------------------------------

TEST_P(StoreTest, DurabilityAndPragmasReadBack) {
    for (Durability d : {Durability::kFull, Durability::kNormal}) {
        Options o;
        o.durability = d;
        Database db = open(o);
        EXPECT_EQ(db.backend(), GetParam());
        if (sqlite()) {
            const std::int64_t expected = d == Durability::kFull ? 2 : 1;
            for (bool writable : {true, false}) {
                auto check = [&](Tx& tx) -> Result<void> {
                    WP_TRY(Row s, tx.query_row("PRAGMA synchronous"));
                    EXPECT_EQ(*s.get<std::int64_t>(0), expected);
                    WP_TRY(Row j, tx.query_row("PRAGMA journal_mode"));
                    EXPECT_EQ(*j.get<std::string>(0), "wal");
                    WP_TRY(Row f, tx.query_row("PRAGMA foreign_keys"));
                    EXPECT_EQ(*f.get<std::int64_t>(0), 1);
                    WP_TRY(Row b, tx.query_row("PRAGMA busy_timeout"));
                    EXPECT_EQ(*b.get<std::int64_t>(0), 5000);
                    WP_TRY(Row q, tx.query_row("PRAGMA query_only"));
                    (void)q;
                    return {};
                };
                auto r = writable ? db.write(check) : db.read(check);
                ASSERT_TRUE(r) << r.error().message;
            }
        } else {
            auto r = db.write([](Tx& tx) -> Result<void> {
                WP_TRY(Row s, tx.query_row("SHOW synchronous_commit"));
                EXPECT_EQ(*s.get<std::string>(0), "on");
                WP_TRY(Row i, tx.query_row("SHOW transaction_isolation"));
                EXPECT_EQ(*i.get<std::string>(0), "serializable");
                return {};
            });
            ASSERT_TRUE(r) << r.error().message;
            auto q = db.read([](Tx& tx) -> Result<void> {
                WP_TRY(Row i, tx.query_row("SHOW transaction_isolation"));
                EXPECT_EQ(*i.get<std::string>(0), "repeatable read");
                WP_TRY(Row ro, tx.query_row("SHOW transaction_read_only"));
                EXPECT_EQ(*ro.get<std::string>(0), "on");
                return {};
            });
            ASSERT_TRUE(q) << q.error().message;
        }
    }
}

TEST_P(StoreTest, ForeignKeysAreEnforced) {
    Database db = open();
    ASSERT_TRUE(db.write([](Tx& tx) {
        return tx.exec_script(
            "CREATE TABLE deals (id BIGINT PRIMARY KEY); "
            "CREATE TABLE tasks (id BIGINT PRIMARY KEY, deal BIGINT NOT NULL REFERENCES deals (id))");
    }));
    auto orphan = db.write([](Tx& tx) { return tx.exec("INSERT INTO tasks (id, deal) VALUES (1, 42)"); });
    ASSERT_FALSE(orphan);
    EXPECT_NE(orphan.error().message.find(sqlite() ? "FOREIGN KEY constraint failed" : "foreign key"),
              std::string::npos)
        << orphan.error().message;
    auto ok = db.write([](Tx& tx) -> Result<void> {
        WP_TRY_VOID(tx.exec("INSERT INTO deals (id) VALUES (42)"));
        WP_TRY_VOID(tx.exec("INSERT INTO tasks (id, deal) VALUES (1, 42)"));
        return {};
    });
    EXPECT_TRUE(ok) << ok.error().message;
}

TEST_P(StoreTest, ReadTransactionsCannotWrite) {
    Database db = open();
    ASSERT_TRUE(create_kv(db));
    auto r = db.read([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "a", 1); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kIo);
    EXPECT_NE(r.error().message.find(sqlite() ? "readonly" : "read-only"), std::string::npos) << r.error().message;
}

// --- exact round trips -----------------------------------------------------------------------------------------

TEST_P(StoreTest, ExactRoundTripOfEveryType) {
    Database db = open();
    ASSERT_TRUE(db.write([](Tx& tx) {
        return tx.exec_script(
            "CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, u BIGINT, b BOOLEAN, t TEXT, by ${blob}, v ${blob}, "
            "a ${blob}, h ${blob})");
    }));
    const std::vector<U256> u256s = {U256(0),          U256(1),     dec(kTwo53Minus1), dec(kTwo53),
                                     dec(kTwo53Plus1), dec(kTwo64), dec(kTwo255),      dec(kTwo256Minus1)};
    const Address addr = *Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    Bytes32 h;
    for (std::size_t i = 0; i < 32; ++i) h[i] = static_cast<std::uint8_t>(0xff - i);
    Bytes big(1 << 20);
    std::mt19937 rng(7);
    for (auto& b : big) b = static_cast<std::uint8_t>(rng());
    const std::string text = "h\xc3\xa9llo 'quoted' \"double\" $1 ${blob} -- not a comment";

    auto w = db.write([&](Tx& tx) -> Result<void> {
        for (std::size_t k = 0; k < u256s.size(); ++k) {
            WP_TRY_VOID(tx.exec("INSERT INTO vals (id, v) VALUES ($1, $2)", k, u256s[k]));
        }
        WP_TRY_VOID(tx.exec("INSERT INTO vals (id, i, u, b, t, by, a, h) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 100,
                            std::numeric_limits<std::int64_t>::min(),
                            std::uint64_t{std::numeric_limits<std::int64_t>::max()}, true, text, Bytes{}, addr, h));
        WP_TRY_VOID(tx.exec("INSERT INTO vals (id, i, u, b, t, by) VALUES ($1, $2, $3, $4, $5, $6)", 101,
                            std::numeric_limits<std::int64_t>::max(), std::uint64_t{0}, false, std::string(), big));
        std::optional<U256> none;
        WP_TRY_VOID(tx.exec("INSERT INTO vals (id, i, v, a) VALUES ($1, $2, $3, $4)", 102, std::nullopt, none,
                            std::optional<Address>()));
        return {};
    });
    ASSERT_TRUE(w) << w.error().message;

    auto r = db.read([&](Tx& tx) -> Result<void> {
        for (std::size_t k = 0; k < u256s.size(); ++k) {
            WP_TRY(Row row, tx.query_row("SELECT v FROM vals WHERE id = $1", k));
            WP_TRY(U256 v, row.get<U256>("v"));
            EXPECT_EQ(v.to_dec(), u256s[k].to_dec());
            WP_TRY(Bytes raw, row.get<Bytes>(0));
            EXPECT_EQ(raw.size(), 32u);  // fixed width, big-endian
            const Bytes32 be = u256s[k].to_be32();
            EXPECT_EQ(raw, Bytes(be.begin(), be.end()));
        }
        // 2^64 as stored: 32 bytes, a single 0x01 at offset 23 (big-endian).
        WP_TRY(Row two64, tx.query_row("SELECT v FROM vals WHERE id = 5"));
        Bytes expected(32, 0);
        expected[23] = 1;
        EXPECT_EQ(*two64.get<Bytes>(0), expected);
        WP_TRY(Row a, tx.query_row("SELECT i, u, b, t, by, a, h FROM vals WHERE id = 100"));
        EXPECT_EQ(*a.get<std::int64_t>("i"), std::numeric_limits<std::int64_t>::min());
        EXPECT_EQ(*a.get<std::uint64_t>("u"), std::uint64_t{9223372036854775807ULL});
        EXPECT_EQ(*a.get<bool>("b"), true);
        EXPECT_EQ(*a.get<std::string>("t"), text);
        EXPECT_EQ(a.get<Bytes>("by")->size(), 0u);
        EXPECT_FALSE(a.is_null("by"));  // an empty blob is not NULL
        EXPECT_EQ(a.get<Address>("a")->to_checksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
        EXPECT_EQ(*a.get<Bytes32>("h"), h);
        WP_TRY(Row b, tx.query_row("SELECT i, u, b, t, by FROM vals WHERE id = 101"));
        EXPECT_EQ(*b.get<std::int64_t>("i"), std::numeric_limits<std::int64_t>::max());
        EXPECT_EQ(*b.get<std::uint64_t>("u"), 0u);
        EXPECT_EQ(*b.get<bool>("b"), false);
        EXPECT_EQ(*b.get<std::string>("t"), "");
        EXPECT_TRUE(*b.get<Bytes>("by") == big);
        WP_TRY(Row c, tx.query_row("SELECT i, v, a FROM vals WHERE id = 102"));
        EXPECT_TRUE(c.is_null("i"));
        EXPECT_EQ(*c.get<std::optional<std::int64_t>>("i"), std::nullopt);
        EXPECT_EQ(*c.get<std::optional<U256>>("v"), std::nullopt);
        EXPECT_EQ(*c.get<std::optional<Address>>("a"), std::nullopt);
        WP_TRY(Row d, tx.query_row("SELECT v FROM vals WHERE id = 1"));
        EXPECT_EQ(d.get<std::optional<U256>>("v")->value(), U256(1));
        return {};
    });
    ASSERT_TRUE(r) << r.error().message;
}

TEST_P(StoreTest, Uint64AboveInt64IsAnErrorNotATruncation) {
    Database db = open();
    ASSERT_TRUE(create_kv(db));
    auto r = db.write([](Tx& tx) {
        return tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "x", std::uint64_t{9223372036854775808ULL});
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find("parameter $2: 9223372036854775808 exceeds the int64 range"), std::string::npos)
        << r.error().message;
    ASSERT_TRUE(db.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "neg", -5); }));
    auto g = db.read([](Tx& tx) -> Result<std::uint64_t> {
        WP_TRY(Row row, tx.query_row("SELECT v FROM kv WHERE k = 'neg'"));
        return row.get<std::uint64_t>("v");
    });
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().message, "column 'v' (0): negative value for an unsigned integer");
}

TEST_P(StoreTest, OrderByU256IsNumericOrder) {
    Database db = open();
    ASSERT_TRUE(
        db.write([](Tx& tx) { return tx.exec_script("CREATE TABLE nums (id BIGINT PRIMARY KEY, v ${blob})"); }));
    // Expected order written out as decimals (the oracle), inserted shuffled.
    const std::vector<std::string> sorted = {
        "0",
        "1",
        "255",
        "256",
        "65535",
        "4294967296",
        kTwo53Minus1,
        kTwo53,
        kTwo53Plus1,
        "18446744073709551615",
        kTwo64,
        "18446744073709551617",
        "340282366920938463463374607431768211456",
        "57896044618658097711785492504343953926634992332820282019728792003956564819967",
        kTwo255,
        "57896044618658097711785492504343953926634992332820282019728792003956564819969",
        kTwo256Minus1};
    std::vector<std::size_t> order(sorted.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(42));
    ASSERT_TRUE(db.write([&](Tx& tx) -> Result<void> {
        for (std::size_t i : order) WP_TRY_VOID(tx.exec("INSERT INTO nums (id, v) VALUES ($1, $2)", i, dec(sorted[i])));
        return {};
    }));
    auto rows = db.read([](Tx& tx) { return tx.query("SELECT v FROM nums ORDER BY v"); });
    ASSERT_TRUE(rows) << rows.error().message;
    std::vector<std::string> got;
    for (const Row& row : *rows) got.push_back(row.get<U256>(0)->to_dec());
    EXPECT_EQ(got, sorted);
    auto desc = db.read(
        [&](Tx& tx) { return tx.query("SELECT v FROM nums WHERE v > $1 ORDER BY v DESC LIMIT 2", dec(kTwo64)); });
    ASSERT_TRUE(desc);
    ASSERT_EQ(desc->size(), 2u);
    EXPECT_EQ((*desc)[0].get<U256>(0)->to_dec(), kTwo256Minus1);
}

// --- transactions ----------------------------------------------------------------------------------------------

TEST_P(StoreTest, CommitOnValueRollbackOnError) {
    Database db = open();
    ASSERT_TRUE(create_kv(db));
    auto ok = db.write([](Tx& tx) -> Result<std::string> {
        WP_TRY_VOID(tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "a", 1));
        return std::string("committed");
    });
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, "committed");
    EXPECT_EQ(*read_kv(db, "a"), 1);

    auto failed = db.write([](Tx& tx) -> Result<int> {
        WP_TRY_VOID(tx.exec("UPDATE kv SET v = 2 WHERE k = 'a'"));
        WP_TRY_VOID(tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "b", 2));
        return make_error(Errc::kInvalidArgument, "caller says no");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(failed.error().message, "caller says no");  // fn's own error comes back unchanged
    EXPECT_EQ(*read_kv(db, "a"), 1);
    EXPECT_FALSE(read_kv(db, "b"));

    // A failing statement (constraint) rolls back the earlier statements of the transaction.
    auto dup = db.write([](Tx& tx) -> Result<void> {
        WP_TRY_VOID(tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "c", 3));
        WP_TRY_VOID(tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "a", 4));
        return {};
    });
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, Errc::kIo);
    EXPECT_FALSE(read_kv(db, "c"));
    EXPECT_EQ(db.stats().retries, 0u);  // plain errors are not retried

    // Upsert and RETURNING, written once for both backends.
    auto up = db.write([](Tx& tx) -> Result<std::int64_t> {
        WP_TRY(Row row, tx.query_row("INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = "
                                     "kv.v + excluded.v RETURNING v",
                                     "a", 10));
        return row.get<std::int64_t>(0);
    });
    ASSERT_TRUE(up) << up.error().message;
    EXPECT_EQ(*up, 11);
    auto n = db.write(
        [](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING", "a", 0); });
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0);
}

TEST_P(StoreTest, AThrowingFnRollsBackAndReturnsTheConnection) {
    Options o;
    o.pool_size = 1;
    o.pool_timeout = std::chrono::milliseconds(2000);
    Database db = open(o);
    ASSERT_TRUE(create_kv(db));
    for (int i = 0; i < 2; ++i) {  // twice: the (single) connection must have come back each time
        EXPECT_THROW((void)db.write([](Tx& tx) -> Result<void> {
            WP_TRY_VOID(tx.exec("INSERT INTO kv (k, v) VALUES ('thrown', 1)"));
            throw std::runtime_error("boom");
        }),
                     std::runtime_error);
        EXPECT_THROW((void)db.read([](Tx&) -> Result<void> { throw std::runtime_error("boom"); }), std::runtime_error);
    }
    EXPECT_FALSE(read_kv(db, "thrown"));
    auto w = db.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ('after', 2)"); });
    ASSERT_TRUE(w) << w.error().message;
    EXPECT_EQ(*read_kv(db, "after"), 2);
}

TEST_P(StoreTest, ErrorMessagesNameTheStatementAndColumn) {
    Database db = open();
    ASSERT_TRUE(create_kv(db));
    auto syntax = db.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUS ($1, $2)", "a", 1); });
    ASSERT_FALSE(syntax);
    EXPECT_EQ(syntax.error().code, Errc::kIo);
    const std::string& m = syntax.error().message;
    EXPECT_EQ(m.rfind("database " + db.name() + ": statement 'INSERT INTO kv (k, v) VALUS ($1, $2)': ", 0), 0u) << m;
    EXPECT_NE(m.find("syntax error"), std::string::npos) << m;

    auto count = db.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "a"); });
    ASSERT_FALSE(count);
    EXPECT_NE(count.error().message.find("expects 2 parameters, got 1"), std::string::npos) << count.error().message;

    auto token = db.write([](Tx& tx) { return tx.exec_script("CREATE TABLE z (x ${blobby})"); });
    ASSERT_FALSE(token);
    EXPECT_NE(token.error().message.find("unknown dialect token '${blobby}'"), std::string::npos);

    ASSERT_TRUE(db.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "a", 1); }));
    auto getters = db.read([](Tx& tx) -> Result<void> {
        WP_TRY(Row row, tx.query_row("SELECT k, v, NULL AS n FROM kv"));
        auto bytes = row.get<U256>("v");
        EXPECT_FALSE(bytes);
        EXPECT_EQ(bytes.error().code, Errc::kDecoding);
        EXPECT_EQ(bytes.error().message, "column 'v' (1): expected bytes, got integer");
        auto text = row.get<std::int64_t>(0);
        EXPECT_EQ(text.error().message, "column 'k' (0): expected an integer, got text");
        auto null = row.get<std::string>("n");
        EXPECT_EQ(null.error().message, "column 'n' (2): is NULL");
        auto missing = row.get<std::string>("nope");
        EXPECT_EQ(missing.error().code, Errc::kInvalidArgument);
        EXPECT_EQ(missing.error().message, "no column named 'nope'");
        EXPECT_EQ(row.get<std::string>(7).error().message, "column index 7 out of range (3 columns)");
        auto none = tx.query_row("SELECT v FROM kv WHERE k = $1", "zz");
        EXPECT_FALSE(none);
        EXPECT_NE(none.error().message.find("expected one row, got 0"), std::string::npos);
        WP_TRY(auto opt, tx.query_opt("SELECT v FROM kv WHERE k = $1", "zz"));
        EXPECT_FALSE(opt.has_value());
        return {};
    });
    ASSERT_TRUE(getters) << getters.error().message;

    // A blob of the wrong width for a U256 / Address.
    ASSERT_TRUE(db.write([](Tx& tx) { return tx.exec_script("CREATE TABLE w (x ${blob})"); }));
    ASSERT_TRUE(db.write([](Tx& tx) { return tx.exec("INSERT INTO w (x) VALUES ($1)", Bytes{1, 2, 3}); }));
    auto width = db.read([](Tx& tx) -> Result<Address> {
        WP_TRY(Row row, tx.query_row("SELECT x FROM w"));
        return row.get<Address>("x");
    });
    ASSERT_FALSE(width);
    EXPECT_EQ(width.error().message, "column 'x' (0): expected 20 bytes, got 3");
}

// --- batched inserts -------------------------------------------------------------------------------------------

TEST_P(StoreTest, InsertManyWritesEveryRow) {
    Database db = open();
    ASSERT_TRUE(db.write([](Tx& tx) {
        return tx.exec_script("CREATE TABLE orders (id BIGINT PRIMARY KEY, price ${blob} NOT NULL, owner TEXT)");
    }));
    std::vector<std::vector<Param>> rows;
    for (std::int64_t i = 0; i < 1234; ++i)
        rows.push_back({i, U256(static_cast<std::uint64_t>(i) * 1000), i % 2 == 0 ? Param("even") : Param(nullptr)});
    auto n = db.write([&](Tx& tx) { return tx.insert_many("orders", {"id", "price", "owner"}, rows); });
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 1234);
    auto again = db.write([&](Tx& tx) {
        return tx.insert_many("orders", {"id", "price", "owner"}, rows, "ON CONFLICT (id) DO NOTHING");
    });
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, 0);
    auto check = db.read([](Tx& tx) -> Result<void> {
        WP_TRY(Row c, tx.query_row("SELECT COUNT(*) AS n, SUM(id) AS s FROM orders WHERE owner IS NULL"));
        EXPECT_EQ(*c.get<std::int64_t>("n"), 617);
        EXPECT_EQ(*c.get<std::int64_t>("s"), 617 * 617);  // sum of the odd ids 1..1233
        WP_TRY(Row m, tx.query_row("SELECT price FROM orders ORDER BY price DESC LIMIT 1"));
        EXPECT_EQ(*m.get<U256>(0), U256(1233000));
        return {};
    });
    ASSERT_TRUE(check) << check.error().message;

    auto bad_row = db.write([](Tx& tx) {
        std::vector<std::vector<Param>> r = {{1, U256(1), "x"}, {2, U256(2)}};
        return tx.insert_many("orders", {"id", "price", "owner"}, r);
    });
    ASSERT_FALSE(bad_row);
    EXPECT_EQ(bad_row.error().message, "insert_many orders: row 1 has 2 values, expected 3");
    auto bad_name = db.write([](Tx& tx) {
        std::vector<std::vector<Param>> r = {{1}};
        return tx.insert_many("orders; DROP TABLE orders", {"id"}, r);
    });
    ASSERT_FALSE(bad_name);
    EXPECT_EQ(bad_name.error().code, Errc::kInvalidArgument);
}

TEST_P(StoreTest, QueryBatchReturnsEachStatementsRowsInOrder) {
    Database db = open();
    ASSERT_TRUE(create_kv(db));
    ASSERT_TRUE(db.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ('a', 1), ('b', 2), ('c', 3)"); }));
    // Reads of several shapes, a write with RETURNING and a statement without rows, in one batch (one round trip on
    // PostgreSQL): each result is the one query_params would have returned.
    auto batch = db.write([](Tx& tx) -> Result<std::vector<Rows>> {
        const std::vector<Statement> statements = {
            {"SELECT k, v FROM kv WHERE v >= $1 ORDER BY v", {std::int64_t{2}}},
            {"SELECT COUNT(*) FROM kv", {}},
            {"INSERT INTO kv (k, v) VALUES ($1, $2) RETURNING v", {"d", std::int64_t{4}}},
            {"UPDATE kv SET v = v + 10 WHERE k = $1", {"a"}},
            {"SELECT k FROM kv WHERE k = $1", {"none"}},
        };
        return tx.query_batch(statements);
    });
    ASSERT_TRUE(batch) << batch.error().message;
    ASSERT_EQ(batch->size(), 5U);
    ASSERT_EQ((*batch)[0].size(), 2U);
    EXPECT_EQ(*(*batch)[0][0].get<std::string>("k"), "b");
    EXPECT_EQ(*(*batch)[0][1].get<std::int64_t>("v"), 3);
    EXPECT_EQ(*(*batch)[1][0].get<std::int64_t>(0), 3);
    EXPECT_EQ(*(*batch)[2][0].get<std::int64_t>(0), 4);
    EXPECT_TRUE((*batch)[3].empty());
    EXPECT_TRUE((*batch)[4].empty());
    EXPECT_EQ(*read_kv(db, "a"), 11);
    EXPECT_EQ(*read_kv(db, "d"), 4);

    // A failing statement: its error (naming it, as query_params would), the transaction rolled back, and the
    // connection usable again (PostgreSQL: out of pipeline mode).
    for (int round = 0; round < 2; ++round) {
        auto failed = db.write([](Tx& tx) -> Result<std::vector<Rows>> {
            const std::vector<Statement> statements = {
                {"UPDATE kv SET v = 100 WHERE k = $1", {"b"}},
                {"INSERT INTO kv (k, v) VALUES ($1, $2)", {"c", std::int64_t{9}}},  // duplicate key
                {"SELECT v FROM kv", {}},
            };
            return tx.query_batch(statements);
        });
        ASSERT_FALSE(failed);
        EXPECT_EQ(failed.error().code, Errc::kIo);
        EXPECT_NE(failed.error().message.find("statement 'INSERT INTO kv (k, v) VALUES ($1, $2)'"), std::string::npos)
            << failed.error().message;
        EXPECT_EQ(*read_kv(db, "b"), 2);  // the first statement was rolled back
    }
    auto after = db.write([](Tx& tx) -> Result<std::vector<Rows>> {
        const std::vector<Statement> statements = {{"SELECT v FROM kv WHERE k = $1", {"c"}},
                                                   {"SELECT v FROM kv WHERE k = $1", {"d"}}};
        return tx.query_batch(statements);
    });
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_EQ(*(*after)[0][0].get<std::int64_t>(0), 3);
    EXPECT_EQ(*(*after)[1][0].get<std::int64_t>(0), 4);
    // A parameter count mismatch is found before anything is sent.
    auto mismatch = db.read([](Tx& tx) -> Result<std::vector<Rows>> {
        const std::vector<Statement> statements = {{"SELECT v FROM kv", {}}, {"SELECT v FROM kv WHERE k = $1", {}}};
        return tx.query_batch(statements);
    });
    ASSERT_FALSE(mismatch);
    EXPECT_NE(mismatch.error().message.find("expects 1 parameters, got 0"), std::string::npos)
        << mismatch.error().message;
}

TEST_P(StoreTest, StatementCacheStaysBoundedAndCorrect) {
    Options o;
    o.statement_cache_size = 2;
    Database db = open(o);
    ASSERT_TRUE(create_kv(db));
    for (int round = 0; round < 3; ++round) {
        auto r = db.write([&](Tx& tx) -> Result<void> {
            for (int i = 0; i < 10; ++i) {
                std::string sql = "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = kv.v + ";
                sql += std::to_string(i);
                std::string key = "k";
                key += std::to_string(i);
                WP_TRY_VOID(tx.exec(sql, key, i));
            }
            return {};
        });
        ASSERT_TRUE(r) << r.error().message;
    }
    EXPECT_EQ(*read_kv(db, "k3"), 3 + 3 + 3);
}

// --- migrations ------------------------------------------------------------------------------------------------

std::vector<Migration> market_migrations() {
    return {
        Migration{1, "create orders", "CREATE TABLE orders (hash ${blob} PRIMARY KEY, price ${blob} NOT NULL)"},
        Migration{2, "add owner",
                  "ALTER TABLE orders ADD COLUMN owner ${blob}; CREATE INDEX orders_owner ON orders (owner)"},
        Migration{3, "create categories", "CREATE TABLE categories (id BIGINT PRIMARY KEY, name TEXT NOT NULL)"},
    };
}

TEST_P(StoreTest, MigrationsFreshAndIncremental) {
    ManualClock clock;
    Options o;
    o.clock = &clock;
    Database db = open(o);
    const auto all = market_migrations();
    auto v1 = migrate(db, "market", std::span(all).first(1));
    ASSERT_TRUE(v1) << v1.error().message;
    EXPECT_EQ(*v1, 1);
    clock.advance(std::chrono::seconds(5));
    auto v3 = migrate(db, "market", all);
    ASSERT_TRUE(v3) << v3.error().message;
    EXPECT_EQ(*v3, 3);
    auto again = migrate(db, "market", all);  // idempotent
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 3);
    EXPECT_EQ(*schema_version(db, "market"), 3);
    EXPECT_EQ(*schema_version(db, "core"), 0);  // components are independent
    auto core = migrate(db, "core", std::span(all).first(1).subspan(0, 0));
    ASSERT_TRUE(core);
    EXPECT_EQ(*core, 0);

    auto rows = db.read([](Tx& tx) {
        return tx.query(
            "SELECT version, description, applied_at FROM schema_migrations WHERE component = $1 "
            "ORDER BY version",
            "market");
    });
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ(*(*rows)[0].get<std::string>("description"), "create orders");
    EXPECT_EQ(*(*rows)[2].get<std::string>("description"), "create categories");
    EXPECT_EQ(*(*rows)[0].get<std::int64_t>("applied_at"), 1767225600000);  // ManualClock: 2026-01-01T00:00:00Z
    EXPECT_EQ(*(*rows)[1].get<std::int64_t>("applied_at"), 1767225605000);
    // The schema is really there.
    auto ins = db.write([](Tx& tx) {
        return tx.exec("INSERT INTO orders (hash, price, owner) VALUES ($1, $2, $3)", Bytes32{}, U256(5), Address{});
    });
    ASSERT_TRUE(ins) << ins.error().message;
}

TEST_P(StoreTest, MigrationsRefuseANewerSchema) {
    Database db = open();
    auto all = market_migrations();
    all.push_back(Migration{4, "four", "CREATE TABLE four (x BIGINT)"});
    all.push_back(Migration{5, "five", "CREATE TABLE five (x BIGINT)"});
    ASSERT_TRUE(migrate(db, "market", all));
    auto old = migrate(db, "market", std::span(all).first(3));
    ASSERT_FALSE(old);
    EXPECT_EQ(old.error().code, Errc::kUnsupported);
    EXPECT_EQ(old.error().message, "database " + db.name() +
                                       ": schema 'market' is at version 5, this binary knows up to 3: refusing to run "
                                       "on a database written by a newer version");
    std::vector<Migration> gap = {Migration{1, "a", "SELECT 1"}, Migration{3, "c", "SELECT 1"}};
    auto bad = migrate(db, "other", gap);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
    EXPECT_NE(bad.error().message.find("migration #1 has version 3, expected 2"), std::string::npos);
}

TEST_P(StoreTest, FailingMigrationRollsBackAndNamesTheVersion) {
    Database db = open();
    std::vector<Migration> steps = {
        Migration{1, "create a", "CREATE TABLE a (x BIGINT)"},
        Migration{2, "create b then fail",
                  "CREATE TABLE b (x BIGINT); INSERT INTO b (x) VALUES (1); CREATE TABLE a (y BIGINT)"},
    };
    auto r = migrate(db, "comp", steps);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kIo);
    EXPECT_EQ(r.error().message.rfind("database " + db.name() + ": migration 'comp' 2 (create b then fail): ", 0), 0u)
        << r.error().message;
    EXPECT_EQ(*schema_version(db, "comp"), 1);
    auto b = db.read([](Tx& tx) { return tx.query("SELECT x FROM b"); });
    EXPECT_FALSE(b);  // table b was rolled back with the failed step
    auto a = db.read([](Tx& tx) { return tx.query("SELECT x FROM a"); });
    EXPECT_TRUE(a);
    // Fixed in the next release: the step applies.
    steps[1].sql = "CREATE TABLE b (x BIGINT)";
    auto fixed = migrate(db, "comp", steps);
    ASSERT_TRUE(fixed) << fixed.error().message;
    EXPECT_EQ(*fixed, 2);
}

// --- concurrency -----------------------------------------------------------------------------------------------

TEST_P(StoreTest, TwoWritersContendingEveryIncrementCounts) {
    {
        Database setup = open();
        ASSERT_TRUE(create_kv(setup));
        ASSERT_TRUE(setup.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ('n', 0)"); }));
    }
    Options o;
    o.busy_timeout = std::chrono::milliseconds(0);  // SQLite: BUSY at once, so the retry loop does the waiting
    o.max_attempts = 100000;
    o.retry_base_delay = std::chrono::milliseconds(1);
    o.retry_max_delay = std::chrono::milliseconds(4);
    o.pool_size = 2;
    Database a = open(o);
    Database b = open(o);
    constexpr int kEach = 150;
    std::atomic<int> calls{0};
    auto work = [&](Database& db) {
        for (int i = 0; i < kEach; ++i) {
            auto r = db.write([&](Tx& tx) -> Result<void> {
                ++calls;
                WP_TRY(Row row, tx.query_row("SELECT v FROM kv WHERE k = 'n'"));  // read-modify-write
                WP_TRY(std::int64_t v, row.get<std::int64_t>(0));
                WP_TRY_VOID(tx.exec("UPDATE kv SET v = $1 WHERE k = 'n'", v + 1));
                return {};
            });
            ASSERT_TRUE(r) << r.error().message;
        }
    };
    std::thread ta(work, std::ref(a));
    std::thread tb(work, std::ref(b));
    ta.join();
    tb.join();
    EXPECT_EQ(*read_kv(a, "n"), 2 * kEach);
    const auto retries = a.stats().retries + b.stats().retries;
    EXPECT_GE(static_cast<std::uint64_t>(calls.load()), static_cast<std::uint64_t>(2 * kEach));
    std::printf("[ info ] %s: %d fn calls for %d increments, %llu retries\n", sqlite() ? "sqlite" : "postgres",
                calls.load(), 2 * kEach, static_cast<unsigned long long>(retries));
}

TEST_P(StoreTest, ConcurrentReadersSeeConsistentSnapshotsDuringWrites) {
    Database db = open();
    ASSERT_TRUE(db.write([](Tx& tx) {
        return tx.exec_script(
            "CREATE TABLE items (id BIGINT PRIMARY KEY, v BIGINT NOT NULL); CREATE TABLE total (s BIGINT NOT NULL); "
            "INSERT INTO total (s) VALUES (0)");
    }));
    constexpr int kWrites = 200;
    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    std::atomic<int> bad{0};
    std::thread writer([&] {
        for (int i = 1; i <= kWrites; ++i) {
            auto r = db.write([&](Tx& tx) -> Result<void> {
                WP_TRY_VOID(tx.exec("INSERT INTO items (id, v) VALUES ($1, $2)", i, i));
                WP_TRY_VOID(tx.exec("UPDATE total SET s = s + $1", i));
                return {};
            });
            if (!r) ++bad;
        }
        done = true;
    });
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&] {
            std::int64_t last = 0;
            while (!done || reads < 3) {
                auto r = db.read([&](Tx& tx) -> Result<std::pair<std::int64_t, std::int64_t>> {
                    WP_TRY(Row a, tx.query_row("SELECT COUNT(*) AS n, COALESCE(SUM(v), 0) AS s FROM items"));
                    WP_TRY(Row b, tx.query_row("SELECT s FROM total"));
                    WP_TRY(std::int64_t n, a.get<std::int64_t>("n"));
                    WP_TRY(std::int64_t s, a.get<std::int64_t>("s"));
                    WP_TRY(std::int64_t total, b.get<std::int64_t>("s"));
                    if (s != total || s != n * (n + 1) / 2) return make_error(Errc::kIo, "inconsistent snapshot");
                    return std::pair{n, s};
                });
                if (!r || r->first < last) {
                    ++bad;
                } else {
                    last = r->first;
                }
                ++reads;
            }
        });
    }
    writer.join();
    for (auto& t : readers) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_GE(reads.load(), 3);
    auto n = db.read([](Tx& tx) -> Result<std::int64_t> {
        WP_TRY(Row r, tx.query_row("SELECT COUNT(*) FROM items"));
        return r.get<std::int64_t>(0);
    });
    EXPECT_EQ(*n, kWrites);
}

TEST_P(StoreTest, PoolExhaustionTimesOutThenRecovers) {
    Options o;
    o.pool_size = 1;
    o.pool_timeout = std::chrono::milliseconds(100);
    Database db = open(o);
    ASSERT_TRUE(create_kv(db));
    std::latch holding(1);
    std::latch release(1);
    std::thread holder([&] {
        auto r = db.read([&](Tx& tx) -> Result<void> {
            WP_TRY_VOID(tx.query("SELECT COUNT(*) FROM kv"));
            holding.count_down();
            release.wait();
            return {};
        });
        EXPECT_TRUE(r);
    });
    holding.wait();
    auto starved = db.read([](Tx& tx) { return tx.query("SELECT 1"); });
    ASSERT_FALSE(starved);
    EXPECT_EQ(starved.error().code, Errc::kTimeout);
    EXPECT_EQ(starved.error().message, "database " + db.name() + ": no free connection after 100 ms (pool of 1)");
    if (sqlite()) {  // the writer is its own connection: writes go on while the read pool is exhausted
        auto w = db.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ('w', 1)"); });
        EXPECT_TRUE(w) << w.error().message;
    }
    release.count_down();
    holder.join();
    auto after = db.read([](Tx& tx) { return tx.query("SELECT 1"); });
    EXPECT_TRUE(after) << after.error().message;
}

// --- URL and SQL text ------------------------------------------------------------------------------------------

TEST(StoreUrl, ParsesAndRedacts) {
    auto s = parse_database_url("sqlite:/var/lib/pool/core.db");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->backend, Backend::kSqlite);
    EXPECT_EQ(s->sqlite_path, "/var/lib/pool/core.db");
    auto rel = parse_database_url("sqlite:data/market.db");
    ASSERT_TRUE(rel);
    EXPECT_EQ(rel->sqlite_path, "data/market.db");
    auto p = parse_database_url("postgresql://pool:s3cret@db.example:5432/market?sslmode=require&password=x2");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->backend, Backend::kPostgres);
    EXPECT_EQ(p->conninfo, "postgresql://pool:s3cret@db.example:5432/market?sslmode=require&password=x2");
    EXPECT_EQ(p->redacted, "postgresql://pool@db.example:5432/market?sslmode=require");
    EXPECT_EQ(parse_database_url("postgres://u@h/db?password=p")->redacted, "postgres://u@h/db");
    EXPECT_EQ(parse_database_url("postgresql://u@h:1/db")->redacted, "postgresql://u@h:1/db");

    EXPECT_EQ(parse_database_url("").error().message, "database URL: empty");
    EXPECT_EQ(parse_database_url("sqlite:").error().message, "database URL: sqlite: needs a file path");
    EXPECT_EQ(parse_database_url("mysql://root:pw@h/db").error().message,
              "database URL: expected sqlite:PATH or postgresql://..., got 'mysql:...'");
    EXPECT_EQ(parse_database_url("sqlite::memory:").error().code, Errc::kInvalidArgument);
    EXPECT_EQ(parse_database_url("sqlite://x.db").error().code, Errc::kInvalidArgument);
}

TEST(StoreUrl, OpenErrors) {
    auto missing_dir = Database::open("sqlite:/nonexistent-dir-wp/x.db");
    ASSERT_FALSE(missing_dir);
    EXPECT_EQ(missing_dir.error().code, Errc::kIo);
    EXPECT_NE(missing_dir.error().message.find("database sqlite:/nonexistent-dir-wp/x.db: cannot open the writer"),
              std::string::npos)
        << missing_dir.error().message;
    auto refused = Database::open("postgresql://wp:hunter2@127.0.0.1:1/db");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::kIo);
    EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("database postgresql://wp@127.0.0.1:1/db: cannot connect"),
              std::string::npos)
        << refused.error().message;
    Options zero;
    zero.pool_size = 0;
    EXPECT_EQ(Database::open("sqlite:/tmp/x.db", zero).error().message, "database options: pool_size must be >= 1");
}

TEST(StoreSql, RewritesPlaceholdersAndTokensOutsideQuotes) {
    using detail::rewrite_sql;
    EXPECT_EQ(*rewrite_sql("SELECT a FROM t WHERE x = $1 AND y = $12", Backend::kSqlite),
              "SELECT a FROM t WHERE x = ?1 AND y = ?12");
    EXPECT_EQ(*rewrite_sql("SELECT a FROM t WHERE x = $1", Backend::kPostgres), "SELECT a FROM t WHERE x = $1");
    EXPECT_EQ(*rewrite_sql("SELECT '$1 ${blob}', \"$2\" -- $3\n, $4 /* $5 */", Backend::kSqlite),
              "SELECT '$1 ${blob}', \"$2\" -- $3\n, ?4 /* $5 */");
    EXPECT_EQ(*rewrite_sql("SELECT 'it''s $1', $2", Backend::kSqlite), "SELECT 'it''s $1', ?2");
    EXPECT_EQ(*rewrite_sql("CREATE TABLE t (id ${id}, b ${blob})", Backend::kSqlite),
              "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)");
    EXPECT_EQ(*rewrite_sql("CREATE TABLE t (id ${id}, b ${blob})", Backend::kPostgres),
              "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, b BYTEA)");
    EXPECT_EQ(rewrite_sql("x ${blob", Backend::kSqlite).error().code, Errc::kInvalidArgument);
    EXPECT_TRUE(detail::is_identifier("orders_2"));
    EXPECT_FALSE(detail::is_identifier("2orders"));
    EXPECT_FALSE(detail::is_identifier("a b"));
    EXPECT_FALSE(detail::is_identifier(""));
}

TEST_P(StoreTest, IdTokenAutoIncrements) {
    Database db = open();
    ASSERT_TRUE(db.write([](Tx& tx) { return tx.exec_script("CREATE TABLE ev (id ${id}, name TEXT NOT NULL)"); }));
    auto ids = db.write([](Tx& tx) -> Result<std::vector<std::int64_t>> {
        std::vector<std::int64_t> out;
        for (const char* n : {"a", "b"}) {
            WP_TRY(Row r, tx.query_row("INSERT INTO ev (name) VALUES ($1) RETURNING id", n));
            WP_TRY(std::int64_t id, r.get<std::int64_t>(0));
            out.push_back(id);
        }
        return out;
    });
    ASSERT_TRUE(ids) << ids.error().message;
    EXPECT_EQ(*ids, (std::vector<std::int64_t>{1, 2}));
}

// --- SQLite only: deterministic busy retry ---------------------------------------------------------------------

class SqliteOnly : public StoreTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SqliteOnly, ::testing::Values(Backend::kSqlite), backend_name);

TEST_P(SqliteOnly, BusyWriterIsRetriedWithBackOffThenGivesUp) {
    Database holder = open();
    ASSERT_TRUE(create_kv(holder));
    ManualClock clock;  // auto-advancing: the back-off sleeps cost no real time
    Options o;
    o.busy_timeout = std::chrono::milliseconds(0);
    o.clock = &clock;
    o.max_attempts = 3;
    Database contender = open(o);

    std::latch holding(1);
    std::latch release(1);
    std::thread t([&] {
        auto r = holder.write([&](Tx& tx) -> Result<void> {
            WP_TRY_VOID(tx.exec("INSERT INTO kv (k, v) VALUES ('h', 1)"));
            holding.count_down();
            release.wait();
            return {};
        });
        EXPECT_TRUE(r);
    });
    holding.wait();
    int calls = 0;
    const auto before = clock.now();
    auto r = contender.write([&](Tx& tx) {
        ++calls;
        return tx.exec("INSERT INTO kv (k, v) VALUES ('c', 1)");
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kIo);
    EXPECT_NE(r.error().message.find("gave up after 3 attempts"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("database is locked"), std::string::npos) << r.error().message;
    EXPECT_EQ(calls, 0);  // BEGIN IMMEDIATE itself was busy: fn never ran
    EXPECT_EQ(contender.stats().retries, 2u);
    EXPECT_GE(clock.now() - before,
              std::chrono::milliseconds(1) + std::chrono::microseconds(1000));  // 1 + 2 ms * [0.5,1]
    release.count_down();
    t.join();
    // Once the lock is free the same call succeeds on its first attempt.
    auto ok = contender.write([&](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ('c', 1)"); });
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(*read_kv(contender, "h"), 1);
}

TEST_P(SqliteOnly, ReaderConnectionsAreReadOnly) {
    Database db = open();
    ASSERT_TRUE(create_kv(db));
    auto r = db.read([](Tx& tx) -> Result<void> {
        WP_TRY(Row row, tx.query_row("PRAGMA query_only"));
        (void)row;
        return tx.exec_script("CREATE TABLE sneaky (x BIGINT)");
    });
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("attempt to write a readonly database"), std::string::npos) << r.error().message;
}

// Options::sqlite_wal_batching (sqlite_wal_vfs.cpp) on and off: transactions of every size around the default VFS's
// per-write limit (128 KiB) and above the batching buffer (8 MiB) are read back by a reader connection after each
// commit, a rolled-back one leaves nothing, and after the close (which checkpoints) and a reopen the file passes
// integrity_check with every row intact.
TEST_P(SqliteOnly, WalBatchingKeepsEveryTransactionReadableAndTheFileIntact) {
    for (const bool batching : {true, false}) {
        SCOPED_TRACE(batching ? "batching" : "SQLite's own writes");
        const std::string table = batching ? "blobs_batched" : "blobs_plain";
        const std::vector<std::size_t> sizes{1,         4096,      100'000,  131'072, 131'071, 262'144,
                                             1'000'000, 9'000'000, 2 * 4096, 126'976, 500'000};
        const auto blob = [](std::size_t size, std::size_t k) {
            Bytes b(size);
            for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::uint8_t>((i * 31 + k * 7) & 0xff);
            return b;
        };
        {
            Options o;
            o.sqlite_wal_batching = batching;
            Database db = open(o);
            ASSERT_TRUE(db.write([&](Tx& tx) {
                return tx.exec_script("CREATE TABLE " + table + " (k BIGINT PRIMARY KEY, v ${blob} NOT NULL)");
            }));
            for (std::size_t k = 0; k < sizes.size(); ++k) {
                ASSERT_TRUE(db.write([&](Tx& tx) {
                    return tx.exec("INSERT INTO " + table + " (k, v) VALUES ($1, $2)", static_cast<std::int64_t>(k),
                                   blob(sizes[k], k));
                }));
                auto back = db.read([&](Tx& tx) -> Result<Bytes> {
                    WP_TRY(Row row,
                           tx.query_row("SELECT v FROM " + table + " WHERE k = $1", static_cast<std::int64_t>(k)));
                    return row.get<Bytes>(0);
                });
                ASSERT_TRUE(back) << back.error().message;
                EXPECT_TRUE(*back == blob(sizes[k], k)) << "size " << sizes[k];
            }
            auto rolled = db.write([&](Tx& tx) -> Result<void> {
                WP_TRY_VOID(tx.exec("INSERT INTO " + table + " (k, v) VALUES (999, $1)", blob(3'000'000, 9)));
                return make_error(Errc::kInvalidArgument, "roll back");
            });
            ASSERT_FALSE(rolled);

        }
        Database reopened = open();
        auto check = reopened.read([&](Tx& tx) -> Result<std::pair<std::string, std::int64_t>> {
            WP_TRY(Row ok, tx.query_row("PRAGMA integrity_check"));
            WP_TRY(std::string text, ok.get<std::string>(0));
            WP_TRY(Row n, tx.query_row("SELECT COUNT(*) FROM " + table));
            WP_TRY(std::int64_t count, n.get<std::int64_t>(0));
            return std::make_pair(text, count);
        });
        ASSERT_TRUE(check) << check.error().message;
        EXPECT_EQ(check->first, "ok");
        EXPECT_EQ(check->second, static_cast<std::int64_t>(sizes.size()));
        for (std::size_t k = 0; k < sizes.size(); ++k) {
            auto back = reopened.read([&](Tx& tx) -> Result<Bytes> {
                WP_TRY(Row row, tx.query_row("SELECT v FROM " + table + " WHERE k = $1", static_cast<std::int64_t>(k)));
                return row.get<Bytes>(0);
            });
            ASSERT_TRUE(back) << back.error().message;
            EXPECT_TRUE(*back == blob(sizes[k], k)) << "size " << sizes[k];
        }
    }
}

// --- PostgreSQL only: reconnect --------------------------------------------------------------------------------

class PostgresOnly : public StoreTest {};
INSTANTIATE_TEST_SUITE_P(Backends, PostgresOnly, ::testing::Values(Backend::kPostgres), backend_name);

TEST_P(PostgresOnly, ReconnectsAfterTheBackendIsTerminated) {
    Options o;
    o.pool_size = 1;
    Database victim = open(o);
    Database killer = open();
    ASSERT_TRUE(create_kv(victim));
    auto pid = victim.read([](Tx& tx) -> Result<std::int64_t> {
        WP_TRY(Row r, tx.query_row("SELECT pg_backend_pid()"));
        return r.get<std::int64_t>(0);
    });
    ASSERT_TRUE(pid) << pid.error().message;
    auto killed = killer.write([&](Tx& tx) -> Result<bool> {
        WP_TRY(Row r, tx.query_row("SELECT pg_terminate_backend($1, 10000)", *pid));
        return r.get<bool>(0);
    });
    ASSERT_TRUE(killed) << killed.error().message;
    EXPECT_TRUE(*killed);
    // The next operation works (on a new connection) and says so in the stats.
    auto w = victim.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ('after', 1)"); });
    ASSERT_TRUE(w) << w.error().message;
    EXPECT_EQ(*read_kv(victim, "after"), 1);
    EXPECT_GE(victim.stats().reconnects, 1u);
    auto new_pid = victim.read([](Tx& tx) -> Result<std::int64_t> {
        WP_TRY(Row r, tx.query_row("SELECT pg_backend_pid()"));
        return r.get<std::int64_t>(0);
    });
    ASSERT_TRUE(new_pid);
    EXPECT_NE(*new_pid, *pid);
}

TEST_P(PostgresOnly, BindingIsTypeChecked) {
    Database db = open();
    ASSERT_TRUE(create_kv(db));
    auto r = db.write([](Tx& tx) { return tx.exec("INSERT INTO kv (k, v) VALUES ($1, $2)", "a", Bytes{1}); });
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("parameter $2: cannot bind bytes to a parameter of type oid 20"),
              std::string::npos)
        << r.error().message;
}

}  // namespace
}  // namespace wp::store
