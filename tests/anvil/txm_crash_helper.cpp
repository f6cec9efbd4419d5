// wp_txm_crash_helper: the process the durability test (tx_manager_anvil_test.cpp, KeyedIntentsSurviveSigkill) starts
// again and again. It submits `count` keyed intents (key "intent:<i>", an ETH transfer of i + 1 wei to a fixed sink,
// in durable batches of 50) from dev account 0 through a TxManager on a FileTxJournal (or a SqlTxJournal named
// "intents" when the journal argument is a sqlite: / postgresql:// URL), then polls until find() says
// every intent is final, prints "done" and exits 0. Submitting again after a restart is idempotent (same keys).
//
//   wp_txm_crash_helper <rpc url> <journal path | database URL> <count> <kill at> <before|after>
//
// Crash points: journal calls (append and compact, counted from 1) go through a wrapper that kills the process
// with SIGKILL right before (before) or right after (after) the <kill at>-th call; 0 never kills. The journal
// compacts every 40 records, so compactions are crash points too.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <wp/chain/rpc.hpp>
#include <wp/chain/sql_tx_journal.hpp>
#include <wp/chain/tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/store/store.hpp>

namespace {

using namespace wp;
using namespace wp::chain;

class KillingJournal : public TxJournal {
  public:
    KillingJournal(std::unique_ptr<TxJournal> inner, unsigned kill_at, bool before)
        : inner_(std::move(inner)), kill_at_(kill_at), before_(before) {}
    Result<void> append(std::span<const JournalRecord> records) override {
        return around([&] { return inner_->append(records); });
    }
    Result<std::vector<JournalRecord>> load() override { return inner_->load(); }
    Result<void> compact(const std::function<bool(const JournalRecord&)>& keep) override {
        return around([&] { return inner_->compact(keep); });
    }
    std::string name() const override { return inner_->name(); }

  private:
    template <class F>
    Result<void> around(F&& f) {
        const bool kill = kill_at_ != 0 && ++calls_ == kill_at_;
        if (kill && before_) std::raise(SIGKILL);
        auto r = f();
        if (kill) std::raise(SIGKILL);
        return r;
    }
    std::unique_ptr<TxJournal> inner_;
    unsigned kill_at_;
    bool before_;
    unsigned calls_{0};
};

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "wp_txm_crash_helper: %s\n", what.c_str());
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) fail("usage: wp_txm_crash_helper <rpc url> <journal path> <count> <kill at> <before|after>");
    const std::string url = argv[1];
    const std::size_t count = std::strtoull(argv[3], nullptr, 10);
    const auto kill_at = static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10));
    const bool before = std::string(argv[5]) == "before";
    const std::string where = argv[2];
    std::unique_ptr<store::Database> db;
    std::unique_ptr<TxJournal> inner;
    if (where.starts_with("sqlite:") || where.starts_with("postgresql://")) {
        auto opened_db = store::Database::open(where);
        if (!opened_db) fail(opened_db.error().message);
        db = std::make_unique<store::Database>(std::move(*opened_db));
        auto sql = SqlTxJournal::open(*db, "intents");
        if (!sql) fail(sql.error().message);
        inner = std::move(*sql);
    } else {
        auto file = FileTxJournal::open(where);
        if (!file) fail(file.error().message);
        inner = std::move(*file);
    }
    auto journal = std::make_shared<KillingJournal>(std::move(inner), kill_at, before);
    JsonRpcClient rpc(JsonRpcOptions{.url = url, .timeout = std::chrono::seconds(20)});
    TxManagerOptions options;
    options.stall_kick_method = "evm_mine";
    options.retention.compact_every = 40;
    auto key = PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    if (!key) fail(key.error().message);
    auto opened = TxManager::open(rpc, *key, journal, options);
    if (!opened) fail(opened.error().message);
    auto& manager = **opened;
    const Address sink = Address::parse("0x000000000000000000000000000000000000c0fe").value();
    for (std::size_t begin = 0; begin < count; begin += 50) {
        std::vector<DurableCall> calls;
        for (std::size_t i = begin; i < std::min(count, begin + 50); ++i) {
            SubmitOptions o;
            o.key = "intent:" + std::to_string(i);
            o.gas_limit = 21000;
            calls.push_back({ContractCall{sink, {}, U256(i + 1), "transfer " + std::to_string(i + 1)}, o});
        }
        auto handles = manager.submit_durable(std::move(calls));
        if (!handles) fail(handles.error().message);
    }
    for (;;) {
        auto round = manager.poll();
        if (!round) std::fprintf(stderr, "poll: %s\n", round.error().message.c_str());
        std::size_t final = 0;
        for (std::size_t i = 0; i < count; ++i) {
            auto state = manager.find("intent:" + std::to_string(i));
            if (!state) fail("intent:" + std::to_string(i) + " unknown");
            if (state->final()) ++final;
        }
        if (final == count) break;
        if (std::getenv("WP_TXM_HELPER_TRACE") && manager.stats().rounds % 200 == 0) {
            std::fprintf(stderr, "round %llu: %zu final, %zu in flight, next nonce %llu\n",
                         static_cast<unsigned long long>(manager.stats().rounds), final, manager.in_flight(),
                         static_cast<unsigned long long>(manager.next_nonce()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const auto st = manager.stats();
    std::printf("done: %llu rounds, %llu signed, %llu replacements, %llu stall kicks, %llu compactions\n",
                static_cast<unsigned long long>(st.rounds), static_cast<unsigned long long>(st.signed_txs),
                static_cast<unsigned long long>(st.replacements), static_cast<unsigned long long>(st.stall_kicks),
                static_cast<unsigned long long>(st.compactions));
    return 0;
}
