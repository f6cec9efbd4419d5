// ChainMirror against a real anvil: an emitter contract (mirror_test_support.hpp) logs its calldata, the mirror
// applies the logs with PayloadHandler to a database of each backend (SQLite, PostgreSQL: ScratchDatabase). Proves:
// every log applied once and resumed from the stored cursor; a snapshot/revert reorg undoes the old branch and applies
// the new one; a process SIGKILLed between applying and committing (and at random moments) and restarted applies every
// event exactly once.
#include <chrono>
#include <filesystem>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include <wp/chain/eth.hpp>
#include <wp/chain/mirror.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/devnet/anvil.hpp>
#include <wp/store/pg_test_support.hpp>
#include <wp/sys/process.hpp>
#include <wp/sys/tcp.hpp>

#include "mirror_test_support.hpp"

namespace wp {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class ChainMirrorAnvil : public ::testing::TestWithParam<store::Backend> {
  protected:
    void SetUp() override {
        auto port = sys::find_free_tcp_port();
        ASSERT_TRUE(port);
        dir_ = std::filesystem::temp_directory_path() / ("wp-mirror-anvil-" + std::to_string(*port));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        devnet::AnvilOptions options;
        options.binary = WP_ANVIL_BIN;
        options.port = *port;
        options.data_dir = dir_ / "anvil";
        auto node = devnet::AnvilNode::start(options);
        ASSERT_TRUE(node) << node.error().message;
        node_ = std::make_unique<devnet::AnvilNode>(std::move(*node));
        rpc_ = std::make_unique<chain::JsonRpcClient>(chain::JsonRpcOptions{.url = node_->url()});
        eth_ = std::make_unique<chain::EthClient>(*rpc_);
        auto accounts = rpc_->call("eth_accounts");
        ASSERT_TRUE(accounts && accounts->is_array() && !accounts->as_array().empty());
        from_ = std::string(accounts->as_array()[0].as_string());
        auto receipt = test::send_mined(*rpc_, from_, std::nullopt, test::emitter_creation_code());
        ASSERT_TRUE(receipt) << receipt.error().message;
        auto address = Address::parse(receipt->at("contractAddress").as_string());
        ASSERT_TRUE(address);
        emitter_ = *address;
        auto opened = store::testing::open_scratch(GetParam(), "mirror");
        ASSERT_TRUE(opened) << opened.error().message;
        scratch_.emplace(std::move(opened->scratch));
        db_ = std::move(opened->db);
        ASSERT_TRUE(store::migrate(*db_, "mirror_test", test::kPayloadMigrations));
    }
    void TearDown() override {
        db_.reset();
        scratch_.reset();
        if (node_) (void)node_->stop();
        std::filesystem::remove_all(dir_);
    }

    void emit(std::uint64_t payload) {
        auto receipt = test::send_mined(*rpc_, from_, emitter_, test::payload_word(payload));
        ASSERT_TRUE(receipt) << receipt.error().message;
    }
    chain::MirrorOptions options(std::uint64_t range = 3) const {
        chain::MirrorOptions o;
        o.name = "test:31337";
        o.feed.addresses = {emitter_};
        o.feed.max_block_range = range;
        return o;
    }
    // Polls until the mirror reached the head.
    void catch_up(chain::ChainMirror& mirror, test::PayloadHandler& handler) {
        (void)handler;
        for (int i = 0; i < 1000; ++i) {
            auto step = mirror.poll();
            ASSERT_TRUE(step) << step.error().message;
            if (step->caught_up && !step->retry) return;
        }
        FAIL() << "the mirror did not catch up";
    }
    // The payloads stored, as numbers (sorted), and the applied counter.
    std::multiset<std::uint64_t> stored_payloads() {
        auto rows = db_->read([](store::Tx& tx) { return tx.query("SELECT payload FROM payloads"); });
        EXPECT_TRUE(rows) << rows.error().message;
        std::multiset<std::uint64_t> out;
        if (!rows) return out;
        for (const auto& row : *rows) {
            auto v = row.get<U256>(0);
            EXPECT_TRUE(v) << v.error().message;
            out.insert(v ? v->low_u64() : 0);
        }
        return out;
    }
    std::int64_t applied_total() {
        auto n = db_->read([](store::Tx& tx) -> Result<std::int64_t> {
            WP_TRY(auto row, tx.query_row("SELECT applied FROM totals WHERE id = 1"));
            return row.get<std::int64_t>(0);
        });
        EXPECT_TRUE(n) << n.error().message;
        return n ? *n : -1;
    }
    std::int64_t undo_rows() {
        auto n = db_->read([](store::Tx& tx) -> Result<std::int64_t> {
            WP_TRY(auto row, tx.query_row("SELECT COUNT(*) FROM chain_mirror_undo"));
            return row.get<std::int64_t>(0);
        });
        return n ? *n : -1;
    }
    // Every emitter log on the chain now, as (tx hash, log index) → payload.
    std::multiset<std::uint64_t> chain_payloads() {
        chain::LogFilter filter;
        filter.from_block = chain::BlockTag::number(0);
        filter.to_block = chain::BlockTag::latest();
        filter.addresses = {emitter_};
        auto logs = eth_->get_logs(filter);
        EXPECT_TRUE(logs) << logs.error().message;
        std::multiset<std::uint64_t> out;
        if (!logs) return out;
        for (const auto& log : *logs) {
            U256 v = U256::from_be(log.data).value_or(U256(0));
            out.insert(v.low_u64());
        }
        return out;
    }

    std::filesystem::path dir_;
    std::unique_ptr<devnet::AnvilNode> node_;
    std::unique_ptr<chain::JsonRpcClient> rpc_;
    std::unique_ptr<chain::EthClient> eth_;
    std::optional<store::testing::ScratchDatabase> scratch_;
    std::unique_ptr<store::Database> db_;
    std::string from_;
    Address emitter_;
};

TEST_P(ChainMirrorAnvil, AppliesEveryLogOnceAndResumesFromTheStoredCursor) {
    for (std::uint64_t i = 1; i <= 10; ++i) emit(i);
    {
        test::PayloadHandler handler;
        auto mirror = chain::ChainMirror::open(*eth_, *db_, handler, options());
        ASSERT_TRUE(mirror) << mirror.error().message;
        catch_up(**mirror, handler);
        EXPECT_EQ(stored_payloads(), chain_payloads());
        EXPECT_EQ(applied_total(), 10);
    }
    // A new mirror object (a restarted daemon) resumes from the stored cursor: nothing applied twice.
    test::PayloadHandler handler;
    auto mirror = chain::ChainMirror::open(*eth_, *db_, handler, options());
    ASSERT_TRUE(mirror) << mirror.error().message;
    auto step = (*mirror)->poll();
    ASSERT_TRUE(step) << step.error().message;
    EXPECT_EQ(step->applied, 0u);
    for (std::uint64_t i = 11; i <= 15; ++i) emit(i);
    catch_up(**mirror, handler);
    EXPECT_EQ(applied_total(), 15);
    EXPECT_EQ(stored_payloads(), chain_payloads());
    EXPECT_EQ(stored_payloads().size(), 15u);
}

TEST_P(ChainMirrorAnvil, ReorgUndoesTheOldBranchAndAppliesTheNewOne) {
    emit(1);
    auto snapshot = rpc_->call("evm_snapshot");
    ASSERT_TRUE(snapshot && snapshot->is_string());
    emit(2);
    emit(3);
    test::PayloadHandler handler;
    auto mirror = chain::ChainMirror::open(*eth_, *db_, handler, options(2));
    ASSERT_TRUE(mirror) << mirror.error().message;
    catch_up(**mirror, handler);
    EXPECT_EQ(stored_payloads(), (std::multiset<std::uint64_t>{1, 2, 3}));
    EXPECT_GT(undo_rows(), 0);

    auto reverted = rpc_->call("evm_revert", json::array{*snapshot});
    ASSERT_TRUE(reverted && reverted->is_bool() && reverted->get_bool());
    // The new branch must grow past the old head before the feed can see the reorg (event_feed.hpp).
    for (std::uint64_t i = 4; i <= 7; ++i) emit(i);
    catch_up(**mirror, handler);
    ASSERT_FALSE(handler.rollbacks.empty()) << "no reorg seen";
    EXPECT_EQ(stored_payloads(), (std::multiset<std::uint64_t>{1, 4, 5, 6, 7}));
    EXPECT_EQ(stored_payloads(), chain_payloads());
    EXPECT_EQ(applied_total(), 5);
}

TEST_P(ChainMirrorAnvil, AHandlerErrorRollsTheWholeBatchBackAndTheBatchIsReadAgain) {
    for (std::uint64_t i = 1; i <= 4; ++i) emit(i);
    struct Failing : test::PayloadHandler {
        int fail_on_call = 2;
        int calls = 0;
        Result<void> apply(chain::MirrorContext& ctx, const chain::Log& log, const chain::PocoEvent* e) override {
            if (++calls == fail_on_call) return make_error(Errc::kIo, "injected");
            return test::PayloadHandler::apply(ctx, log, e);
        }
    } handler;
    auto mirror = chain::ChainMirror::open(*eth_, *db_, handler, options(100));
    ASSERT_TRUE(mirror) << mirror.error().message;
    auto failed = (*mirror)->poll();
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("injected"), std::string::npos) << failed.error().message;
    EXPECT_EQ(applied_total(), 0);  // the first log's effects were rolled back with the batch
    catch_up(**mirror, handler);
    EXPECT_EQ(stored_payloads(), chain_payloads());
    EXPECT_EQ(applied_total(), 4);
}

// prepare() sees each batch before its transaction (and a failing prepare applies nothing); transaction_applied() runs
// once per transaction, after its last log, and the undo it records belongs to that transaction's block.
TEST_P(ChainMirrorAnvil, PrepareSeesEachBatchAndTransactionAppliedRunsOncePerTransactionWithItsUndo) {
    ASSERT_TRUE(db_->write([](store::Tx& tx) { return tx.exec("INSERT INTO totals (id, applied) VALUES (2, 0)"); }));
    struct Hooked : test::PayloadHandler {
        std::size_t prepared_logs = 0;
        std::size_t applied_logs = 0;
        bool fail_next_prepare = true;
        bool applied_before_prepare = false;
        std::vector<Bytes32> transactions;
        Result<void> prepare(const chain::FeedBatch& batch) override {
            if (fail_next_prepare && !batch.logs.empty()) {
                fail_next_prepare = false;
                return make_error(Errc::kNetwork, "injected prepare failure");
            }
            prepared_logs += batch.logs.size();
            return {};
        }
        Result<void> apply(chain::MirrorContext& ctx, const chain::Log& log, const chain::PocoEvent* e) override {
            if (++applied_logs > prepared_logs) applied_before_prepare = true;
            return test::PayloadHandler::apply(ctx, log, e);
        }
        Result<void> transaction_applied(chain::MirrorContext& ctx) override {
            transactions.push_back(ctx.log().transaction_hash);
            WP_TRY(auto n, ctx.tx().exec("UPDATE totals SET applied = applied + 1 WHERE id = 2"));
            (void)n;
            return ctx.undo("UPDATE totals SET applied = applied - 1 WHERE id = 2");
        }
    } handler;
    const auto transactions_total = [&] {
        auto n = db_->read([](store::Tx& tx) -> Result<std::int64_t> {
            WP_TRY(auto row, tx.query_row("SELECT applied FROM totals WHERE id = 2"));
            return row.get<std::int64_t>(0);
        });
        return n ? *n : -1;
    };
    for (std::uint64_t i = 1; i <= 3; ++i) emit(i);
    auto snapshot = rpc_->call("evm_snapshot");
    ASSERT_TRUE(snapshot && snapshot->is_string());
    emit(4);
    emit(5);
    auto mirror = chain::ChainMirror::open(*eth_, *db_, handler, options(100));
    ASSERT_TRUE(mirror) << mirror.error().message;
    auto failed = (*mirror)->poll();
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("prepare: injected prepare failure"), std::string::npos)
        << failed.error().message;
    EXPECT_EQ(applied_total(), 0);
    catch_up(**mirror, handler);
    EXPECT_FALSE(handler.applied_before_prepare);
    EXPECT_EQ(handler.transactions.size(), 5u);  // one log per emitter transaction
    EXPECT_EQ(transactions_total(), 5);

    auto reverted = rpc_->call("evm_revert", json::array{*snapshot});
    ASSERT_TRUE(reverted && reverted->is_bool() && reverted->get_bool());
    for (std::uint64_t i = 6; i <= 9; ++i) emit(i);
    catch_up(**mirror, handler);
    ASSERT_FALSE(handler.rollbacks.empty()) << "no reorg seen";
    EXPECT_EQ(stored_payloads(), (std::multiset<std::uint64_t>{1, 2, 3, 6, 7, 8, 9}));
    EXPECT_EQ(transactions_total(), 7);  // the undo of transactions 4 and 5 ran with their blocks
    EXPECT_FALSE(handler.applied_before_prepare);
}

TEST_P(ChainMirrorAnvil, TwoInstancesOnOneDatabaseCannotBothApply) {
    for (std::uint64_t i = 1; i <= 3; ++i) emit(i);
    test::PayloadHandler h1;
    test::PayloadHandler h2;
    auto m1 = chain::ChainMirror::open(*eth_, *db_, h1, options(100));
    auto m2 = chain::ChainMirror::open(*eth_, *db_, h2, options(100));
    ASSERT_TRUE(m1 && m2);
    ASSERT_TRUE((*m1)->poll());
    auto second = (*m2)->poll();
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("stored cursor moved"), std::string::npos) << second.error().message;
    EXPECT_EQ(applied_total(), 3);
}

TEST_P(ChainMirrorAnvil, KilledAtRandomPointsAppliesEveryEventOnce) {
    for (std::uint64_t i = 1; i <= 40; ++i) emit(i);
    db_.reset();  // the children own the database now
    std::mt19937 rng(std::random_device{}());
    int kills = 0;
    bool done = false;
    for (int round = 0; round < 60 && !done; ++round) {
        // Mostly killed inside a batch (between applying and committing, after 0-3 committed batches), one run in
        // four at a random moment from outside (that run may also finish), and from round 40 on allowed to finish.
        // The first three rounds are always killed inside a batch (3 × at most 3 of the 20 batches committed: none
        // can finish), so every run of the test has at least three kills whatever the random draws.
        const int mode = round >= 40 ? 2 : (round >= 3 && rng() % 4 == 0 ? 1 : 0);
        const long kill_at = mode == 0 ? static_cast<long>(1 + rng() % 4) : 0;
        sys::SpawnOptions o;
        o.argv = {WP_MIRROR_CRASH_CHILD,   node_->url(), scratch_->url(), emitter_.to_checksum(),
                  std::to_string(kill_at), "2"};
        o.stderr_path = (dir_ / "child.err").string();
        o.die_with_parent = true;
        auto child = sys::Process::spawn(o);
        ASSERT_TRUE(child) << child.error().message;
        if (mode == 1) {
            auto early = child->wait_for(std::chrono::milliseconds(rng() % 60));
            if (!early) {
                ASSERT_TRUE(child->kill(SIGKILL));
            }
        }
        auto status = child->wait_for(60s);
        ASSERT_TRUE(status) << status.error().message;
        if (status->success()) {
            done = true;
        } else {
            ASSERT_TRUE(!status->exited && status->signal == SIGKILL)
                << status->to_string() << ": " << sys::read_text_file((dir_ / "child.err").string()).value_or("");
            ++kills;
        }
    }
    ASSERT_TRUE(done);
    std::printf("killed %d times before the last run finished\n", kills);
    EXPECT_GE(kills, 3);
    auto db = store::Database::open(scratch_->url());
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::make_unique<store::Database>(std::move(*db));
    EXPECT_EQ(stored_payloads(), chain_payloads());
    EXPECT_EQ(stored_payloads().size(), 40u);
    EXPECT_EQ(applied_total(), 40);
}

INSTANTIATE_TEST_SUITE_P(Backends, ChainMirrorAnvil,
                         ::testing::Values(store::Backend::kSqlite, store::Backend::kPostgres),
                         [](const auto& p) { return store::testing::backend_test_name(p.param); });

TEST(ChainMirrorUndoParams, RoundTripAndStrictParsing) {
    const std::vector<store::Param> params{
        nullptr, std::int64_t{-12}, std::int64_t{INT64_MAX}, true, "text", Bytes{0x00, 0xff}, U256(7)};
    const auto text = chain::undo_params_to_json(params);
    EXPECT_EQ(text, R"([{"n":null},{"i":"-12"},{"i":"9223372036854775807"},{"b":true},{"t":"text"},{"x":"0x00ff"},)"
                    R"({"x":"0x0000000000000000000000000000000000000000000000000000000000000007"}])");
    auto back = chain::undo_params_from_json(text);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(chain::undo_params_to_json(*back), text);
    for (const char* bad : {"{}", "[1]", R"([{"i":12}])", R"([{"i":"1x"}])", R"([{"x":"0x0"}])",
                            R"([{"n":null,"t":"a"}])", R"([{"q":"a"}])", "["}) {
        auto r = chain::undo_params_from_json(bad);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_NE(r.error().message.find("undo params"), std::string::npos) << r.error().message;
        }
    }
}

}  // namespace
}  // namespace wp
