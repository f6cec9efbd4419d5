// TxManager against a real anvil: 500 transactions in flight from one wallet with a restart in the middle (no nonce
// gap, no reuse), fee-bump replacement of a stuck transaction, legacy vs EIP-1559 selection, confirmation depth,
// revert decoding (failing estimate and reverted receipt), released nonces (filler and roll-back), and a journaled
// transaction that was never broadcast before a crash.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/head_watcher.hpp>
#include <wp/chain/sql_tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/devnet/anvil.hpp>
#include <wp/net/http_server.hpp>
#include <wp/store/store.hpp>
#include <wp/sys/process.hpp>
#include <wp/sys/tcp.hpp>

namespace wp::chain {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kKey0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

// Runtime code: STOP when called without calldata, else revert Error("nope").
//   CALLDATASIZE ISZERO PUSH1 0x2f JUMPI  PUSH32 0x08c379a0<<224 PUSH1 0 MSTORE  PUSH1 0x20 PUSH1 4 MSTORE
//   PUSH1 4 PUSH1 0x24 MSTORE  PUSH32 "nope" PUSH1 0x44 MSTORE  PUSH1 0x64 PUSH1 0 REVERT  JUMPDEST STOP
Bytes reverter_init_code() {
    Bytes runtime = from_hex(
                        "0x3615602f57"
                        "7f08c379a000000000000000000000000000000000000000000000000000000000600052"
                        "6020600452"
                        "6004602452"
                        "7f6e6f706500000000000000000000000000000000000000000000000000000000604452"
                        "60646000fd"
                        "5b00")
                        .value();
    runtime[3] = static_cast<std::uint8_t>(runtime.size() - 2);  // the JUMPDEST
    // PUSH1 len DUP1 PUSH1 0x0b PUSH1 0 CODECOPY PUSH1 0 RETURN, then the runtime.
    Bytes init{0x60, static_cast<std::uint8_t>(runtime.size()), 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3};
    append(init, runtime);
    return init;
}

// A JSON-RPC proxy in front of anvil that can answer chosen requests with an error (and still forward them, to
// model a node that took a transaction but answered an error, e.g. behind a load balancer). Batches are forwarded
// call by call.
class FaultProxy {
  public:
    struct Fault {
        json::object error;         // the JSON-RPC error object to answer
        bool forward{false};        // forward the request upstream anyway (its answer is discarded)
        unsigned http_status{200};  // the HTTP status of the whole answer (of its batch, for a batched call)
    };
    using Rule = std::function<std::optional<Fault>(const std::string& method, const json::array& params)>;

    explicit FaultProxy(const std::string& upstream) : upstream_(JsonRpcOptions{.url = upstream, .timeout = 20s}) {
        server_.route("POST", "/", [this](const net::ServerRequest& r) { return handle(r); });
        EXPECT_TRUE(server_.start());
    }
    std::string url() const { return server_.base_url() + "/"; }
    void set_rule(Rule rule) {
        std::lock_guard lock(mutex_);
        rule_ = std::move(rule);
    }
    //! Every raw transaction sent through the proxy, in order.
    std::vector<std::string> sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }

  private:
    json::object answer(const json::object& request, unsigned* http_status = nullptr) {
        json::object out;
        out["jsonrpc"] = "2.0";
        out["id"] = request.at("id");
        const std::string method(request.at("method").as_string());
        json::array params;
        if (const auto* p = request.if_contains("params"); p && p->is_array()) params = p->as_array();
        Rule rule;
        {
            std::lock_guard lock(mutex_);
            rule = rule_;
            if (method == "eth_sendRawTransaction") sent_.emplace_back(params.at(0).as_string());
        }
        std::optional<Fault> fault = rule ? rule(method, params) : std::nullopt;
        if (fault && http_status != nullptr) *http_status = fault->http_status;
        if (fault && !fault->forward) {
            out["error"] = fault->error;
            return out;
        }
        auto r = upstream_.call(method, params);
        if (fault) {
            out["error"] = fault->error;
        } else if (r) {
            out["result"] = *r;
        } else {
            json::object e{{"code", r.error().code}, {"message", r.error().rpc_message}};
            if (!r.error().data.is_null()) e["data"] = r.error().data;
            if (!r.error().is_rpc_error()) e = {{"code", -32603}, {"message", r.error().message}};
            out["error"] = std::move(e);
        }
        return out;
    }
    net::HttpResponse handle(const net::ServerRequest& r) {
        std::error_code ec;
        auto body = json::parse(r.body, ec);
        if (ec) return net::HttpResponse::json(400, "{}");
        if (auto* batch = body.if_array()) {
            json::array out;
            unsigned status = 200;  // a fault with another HTTP status answers the whole batch with it
            for (auto& one : *batch) {
                unsigned s = 200;
                out.push_back(answer(one.as_object(), &s));
                if (s != 200) status = s;
            }
            return net::HttpResponse::json(status, json::serialize(out));
        }
        unsigned status = 200;
        auto single = answer(body.as_object(), &status);
        return net::HttpResponse::json(status, json::serialize(single));
    }

    JsonRpcClient upstream_;
    mutable std::mutex mutex_;
    Rule rule_;
    std::vector<std::string> sent_;
    net::HttpServer server_{net::HttpServerOptions{.threads = 2}};
};

json::object rpc_error(std::int64_t code, const char* message) { return {{"code", code}, {"message", message}}; }

// A journal whose appends can be made to fail (all of them, or those with a kReleased record).
class FlakyJournal : public TxJournal {
  public:
    std::atomic<bool> fail_all{false};
    std::atomic<bool> fail_released{false};
    //! >= 0: that many more appends carrying kSigned records succeed, the later ones fail (-1: off).
    std::atomic<int> signed_appends_left{-1};
    std::atomic<int> failures{0};
    Result<void> append(std::span<const JournalRecord> records) override {
        const bool released = std::any_of(records.begin(), records.end(), [](const JournalRecord& r) {
            return r.kind == JournalRecord::Kind::kReleased;
        });
        const bool signed_records = std::any_of(records.begin(), records.end(), [](const JournalRecord& r) {
            return r.kind == JournalRecord::Kind::kSigned;
        });
        bool signed_fails = false;
        if (signed_records && signed_appends_left.load() >= 0) {
            signed_fails = signed_appends_left.load() == 0;
            if (!signed_fails) --signed_appends_left;
        }
        if (fail_all || (fail_released && released) || signed_fails) {
            ++failures;
            return make_error(Errc::kIo, "journal: write: No space left on device");
        }
        return inner.append(records);
    }
    Result<std::vector<JournalRecord>> load() override { return inner.load(); }
    Result<void> compact(const std::function<bool(const JournalRecord&)>& keep) override {
        if (fail_all) return make_error(Errc::kIo, "journal: write: No space left on device");
        return inner.compact(keep);
    }
    MemoryTxJournal inner;
};

class TxManagerAnvil : public ::testing::Test {
  protected:
    void start(std::vector<std::string> extra_args = {}) {
        devnet::AnvilOptions options;
        options.binary = WP_ANVIL_BIN;
        auto port = sys::find_free_tcp_port();
        ASSERT_TRUE(port) << port.error().message;
        options.port = *port;
        options.extra_args = std::move(extra_args);
        auto node = devnet::AnvilNode::start(options);
        ASSERT_TRUE(node) << node.error().message;
        node_ = std::make_unique<devnet::AnvilNode>(std::move(*node));
        rpc_ = std::make_unique<JsonRpcClient>(JsonRpcOptions{.url = node_->url(), .timeout = 20s});
        eth_ = std::make_unique<EthClient>(*rpc_);
        dir_ = std::filesystem::path(testing::TempDir()) / ("wp_txm_" + std::to_string(*port));
        std::filesystem::remove_all(dir_);
    }

    json::value call(const char* method, json::array params = {}) {
        auto r = rpc_->call(method, std::move(params));
        EXPECT_TRUE(r) << method << ": " << r.error().message;
        return r ? *r : json::value();
    }
    void mine(unsigned blocks = 1) {
        for (unsigned i = 0; i < blocks; ++i) call("evm_mine");
    }
    void automine(bool on) { call("evm_setAutomine", {on}); }
    // Automine mines asynchronously (after eth_sendRawTransaction has answered): waits, bounded, until no
    // transaction of `from` is left in anvil's pool, so that the next round finds the receipts of what it sent.
    void wait_pool_mined(const Address& from) {
        for (int i = 0; i < 400; ++i) {
            auto latest = eth_->get_transaction_count(from, BlockTag::latest());
            auto pending = eth_->get_transaction_count(from, BlockTag::pending());
            if (latest && pending && *latest == *pending) return;
            std::this_thread::sleep_for(5ms);
        }
        ADD_FAILURE() << "anvil did not mine the pool of " << from.to_checksum();
    }

    std::unique_ptr<TxManager> open(std::shared_ptr<TxJournal> journal, TxManagerOptions options = {},
                                    const char* key = kKey0, JsonRpcClient* rpc = nullptr) {
        auto m = TxManager::open(rpc ? *rpc : *rpc_, PrivateKey::from_hex(key).value(), std::move(journal), options);
        EXPECT_TRUE(m) << m.error().message;
        return m ? std::move(*m) : nullptr;
    }

    // Polls (mining a block after each round when `mine_blocks`) until `count` outcomes arrived.
    std::vector<TxOutcome> collect(TxManager& m, std::size_t count, bool mine_blocks,
                                   std::chrono::milliseconds timeout = 60s) {
        std::vector<TxOutcome> out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
            auto round = m.poll();
            EXPECT_TRUE(round) << round.error().message;
            if (round) {
                for (auto& o : *round) out.push_back(std::move(o));
            }
            if (out.size() >= count) break;
            if (mine_blocks) {
                mine();
            } else {
                std::this_thread::sleep_for(10ms);
            }
        }
        EXPECT_EQ(out.size(), count);
        return out;
    }

    // A funded fresh key (1 ETH), as hex.
    std::string funded_key() {
        const auto key = PrivateKey::generate();
        call("anvil_setBalance", {json::string(key.address().to_checksum()), "0xde0b6b3a7640000"});
        return to_hex(key.secret());
    }
    // Sends a self-signed transfer from `key` with `nonce` directly to anvil (a "foreign" transaction the manager
    // did not send), with `fee_factor` times the suggested fees. Returns its hash.
    Bytes32 send_foreign(const std::string& key_hex, std::uint64_t nonce, unsigned fee_factor = 1) {
        auto fees = suggest_fees(*eth_).value();
        fees.max_fee_per_gas = checked_mul(fees.max_fee_per_gas, U256(fee_factor)).value();
        fees.max_priority_fee_per_gas = checked_mul(fees.max_priority_fee_per_gas, U256(fee_factor)).value();
        auto signed_tx = sign_transaction(TxRequest{PrivateKey::generate().address(), {}, U256(1u), 21000, "foreign"},
                                          PrivateKey::from_hex(key_hex).value(), 31337, nonce, fees)
                             .value();
        call("eth_sendRawTransaction", {json::string(to_hex(signed_tx.raw))});
        return signed_tx.hash;
    }

    std::unique_ptr<devnet::AnvilNode> node_;
    std::unique_ptr<JsonRpcClient> rpc_;
    std::unique_ptr<EthClient> eth_;
    std::filesystem::path dir_;
};

ContractCall transfer(const Address& to, std::uint64_t wei, std::uint64_t tag) {
    ContractCall c;
    c.to = to;
    c.value = U256(wei);
    c.data = U256(tag).to_be_minimal();
    c.description = "transfer #" + std::to_string(tag);
    return c;
}

TEST_F(TxManagerAnvil, FiveHundredInFlightWithRestartNoGapNoReuse) {
    ASSERT_NO_FATAL_FAILURE(start());
    const auto t0 = std::chrono::steady_clock::now();
    const Address wallet = PrivateKey::from_hex(kKey0).value().address();
    const Address sink = PrivateKey::generate().address();
    const auto journal_path = dir_ / "tx.jsonl";
    constexpr std::uint64_t kTotal = 500;
    std::map<std::uint64_t, std::uint64_t> value_of;  // handle id -> wei
    std::map<std::uint64_t, TxOutcome> outcomes;      // handle id -> outcome (each exactly once)
    const auto record = [&](std::vector<TxOutcome> list) {
        for (auto& o : list) {
            EXPECT_TRUE(o.ok()) << (o.error ? o.error->message : "");
            EXPECT_FALSE(outcomes.contains(o.handle.id)) << "outcome delivered twice for call " << o.handle.id;
            outcomes[o.handle.id] = std::move(o);
        }
    };
    automine(false);
    TxManagerOptions options;
    options.rebroadcast_after = 500ms;
    std::size_t dropped = 0;
    {
        auto journal = std::shared_ptr<TxJournal>(FileTxJournal::open(journal_path).value());
        auto a = open(journal, options);
        ASSERT_TRUE(a);
        for (std::uint64_t i = 0; i < 250; ++i) value_of[a->submit(transfer(sink, i + 1, i)).id] = i + 1;
        auto round = a->poll();  // estimates, signs, journals and broadcasts the 250
        ASSERT_TRUE(round) << round.error().message;
        EXPECT_EQ(a->next_nonce(), 250u);
        mine();
        record(a->poll().value());  // the 250 are mined (confirmations = 1)
        for (std::uint64_t i = 250; i < 400; ++i) value_of[a->submit(transfer(sink, i + 1, i)).id] = i + 1;
        ASSERT_TRUE(a->poll());  // 150 more in the pool, not mined
        EXPECT_EQ(a->in_flight(), 150u);
        // Lose some of them from the node's pool: the next manager must re-send them from the journal.
        const auto pool = call("txpool_content");
        if (const auto* pending = pool.as_object().at("pending").if_object()) {
            for (const auto& [from, by_nonce] : *pending) {
                for (const auto& [nonce, tx] : by_nonce.as_object()) {
                    const auto n = std::stoull(std::string(nonce));
                    if (n % 7 == 0 && n < 390) {
                        call("anvil_dropTransaction", {tx.as_object().at("hash")});
                        ++dropped;
                    }
                }
            }
        }
        // `a` is destroyed here with 150 transactions in flight (and 50 calls never submitted).
    }
    EXPECT_GT(dropped, 10u);
    auto journal = std::shared_ptr<TxJournal>(FileTxJournal::open(journal_path).value());
    auto b = open(journal, options);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->recovered().size(), 150u);
    EXPECT_EQ(b->next_nonce(), 400u);
    for (std::uint64_t i = 400; i < kTotal; ++i) value_of[b->submit(transfer(sink, i + 1, i)).id] = i + 1;
    record(collect(*b, 250, true));
    EXPECT_GE(b->stats().broadcasts, 100u + dropped);
    EXPECT_EQ(b->stats().fillers, 0u);
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    std::cout << "500 transactions (restart in the middle, " << dropped
              << " dropped from the pool): " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
              << " ms\n";

    // Every call mined exactly once, with its own nonce; nonces 0..499 contiguous.
    ASSERT_EQ(outcomes.size(), kTotal);
    std::set<std::uint64_t> nonces;
    std::set<Bytes32> hashes;
    for (const auto& [id, o] : outcomes) {
        ASSERT_TRUE(o.nonce && o.hash && o.receipt);
        EXPECT_TRUE(nonces.insert(*o.nonce).second) << "nonce " << *o.nonce << " used twice";
        EXPECT_TRUE(hashes.insert(*o.hash).second);
    }
    EXPECT_EQ(*nonces.begin(), 0u);
    EXPECT_EQ(*nonces.rbegin(), kTotal - 1);
    EXPECT_EQ(eth_->get_transaction_count(wallet).value(), kTotal);
    // The chain itself: every transaction from the wallet, block by block.
    std::set<std::uint64_t> chain_nonces;
    std::map<std::uint64_t, std::uint64_t> chain_values;
    const auto head = eth_->block_number().value();
    for (std::uint64_t n = 1; n <= head; ++n) {
        auto block = call("eth_getBlockByNumber", {json::string(BlockTag::number(n).str()), true});
        for (const auto& tx : block.as_object().at("transactions").as_array()) {
            const auto& o = tx.as_object();
            if (Address::parse(o.at("from").as_string()).value() != wallet) continue;
            const auto nonce = parse_quantity_u64(o.at("nonce"), "nonce").value();
            EXPECT_TRUE(chain_nonces.insert(nonce).second) << "nonce " << nonce << " mined twice";
            ++chain_values[parse_quantity_u64(o.at("value"), "value").value()];
        }
    }
    EXPECT_EQ(chain_nonces.size(), kTotal);
    EXPECT_EQ(*chain_nonces.rbegin(), kTotal - 1);
    for (std::uint64_t v = 1; v <= kTotal; ++v) EXPECT_EQ(chain_values[v], 1u) << "value " << v;
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(kTotal * (kTotal + 1) / 2));
    for (const auto& [id, o] : outcomes) EXPECT_EQ(o.receipt->to, sink);
}

TEST_F(TxManagerAnvil, MaxInFlightHoldsBackQueuedCalls) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    TxManagerOptions options;
    options.max_in_flight = 5;
    auto m = open(std::make_shared<MemoryTxJournal>(), options);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    for (std::uint64_t i = 0; i < 20; ++i) m->submit(transfer(sink, 1, i));
    ASSERT_TRUE(m->poll());
    EXPECT_EQ(m->next_nonce(), 5u);
    EXPECT_EQ(m->in_flight(), 20u);
    EXPECT_EQ(call("txpool_status").as_object().at("pending"), "0x5");
    auto outcomes = collect(*m, 20, true, 30s);
    EXPECT_EQ(outcomes.size(), 20u);
    EXPECT_EQ(m->next_nonce(), 20u);
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(20u));
}

TEST_F(TxManagerAnvil, StuckTransactionIsReplacedWithBumpedFees) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    ManualClock clock;  // time moves only when the test says so
    TxManagerOptions options;
    options.replace_after = 300ms;
    options.clock = &clock;
    auto m = open(std::make_shared<MemoryTxJournal>(), options);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const auto h = m->submit(transfer(sink, 1000, 1));
    ASSERT_TRUE(m->poll());
    ASSERT_TRUE(m->poll());  // too early: no replacement
    EXPECT_EQ(m->stats().replacements, 0u);
    clock.advance(299ms);
    ASSERT_TRUE(m->poll());
    EXPECT_EQ(m->stats().replacements, 0u);
    clock.advance(1ms);
    ASSERT_TRUE(m->poll());
    EXPECT_EQ(m->stats().replacements, 1u);
    mine();
    auto outcomes = collect(*m, 1, false, 10s);
    ASSERT_EQ(outcomes.size(), 1u);
    const auto& o = outcomes[0];
    EXPECT_EQ(o.handle, h);
    ASSERT_TRUE(o.ok()) << o.error->message;
    ASSERT_EQ(o.hashes.size(), 2u);
    EXPECT_EQ(*o.hash, o.hashes[1]);  // the replacement was mined, not the original
    EXPECT_TRUE(call("eth_getTransactionByHash", {json::string(to_hex(o.hashes[0]))}).is_null());
    auto mined = call("eth_getTransactionByHash", {json::string(to_hex(o.hashes[1]))}).as_object();
    auto original_fees = compute_fees({.base_fee = U256(1'000'000'000u), .priority_fee = {}, .gas_price = {}});
    const auto max_fee = parse_quantity(mined.at("maxFeePerGas"), "maxFeePerGas").value();
    const auto tip = parse_quantity(mined.at("maxPriorityFeePerGas"), "tip").value();
    EXPECT_EQ(parse_quantity_u64(mined.at("nonce"), "nonce").value(), 0u);
    // At least +10 % on both fields over the original (anvil's first block: base fee 1 gwei, tip 1 gwei).
    EXPECT_GE(tip, bump_value(original_fees->max_priority_fee_per_gas, 10));
    EXPECT_GE(max_fee, bump_value(original_fees->max_fee_per_gas, 10));
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(1000u));
}

TEST_F(TxManagerAnvil, FeeCapKeepsTheOriginalWhichThenWins) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    ManualClock clock;
    TxManagerOptions options;
    options.clock = &clock;
    options.replace_after = 100ms;
    options.fees.max_fee_cap = U256(3'000'000'000u);  // exactly the first suggestion: no room for a bump
    auto m = open(std::make_shared<MemoryTxJournal>(), options);
    ASSERT_TRUE(m);
    const auto h = m->submit(transfer(PrivateKey::generate().address(), 5, 1));
    ASSERT_TRUE(m->poll());
    clock.advance(150ms);
    ASSERT_TRUE(m->poll());
    EXPECT_EQ(m->stats().replacements, 0u);
    mine();
    auto outcomes = collect(*m, 1, false, 10s);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].handle, h);
    EXPECT_TRUE(outcomes[0].ok());
    EXPECT_EQ(outcomes[0].hashes.size(), 1u);
}

TEST_F(TxManagerAnvil, LegacyOnAPreLondonChainAndWhenForced) {
    ASSERT_NO_FATAL_FAILURE(start({"--hardfork", "berlin"}));
    auto block = eth_->get_block_by_number(BlockTag::latest()).value();
    ASSERT_TRUE(block);
    EXPECT_FALSE(block->base_fee_per_gas.has_value());
    auto m = open(std::make_shared<MemoryTxJournal>());
    ASSERT_TRUE(m);
    auto o = m->send_and_wait(transfer(PrivateKey::generate().address(), 7, 1), {}, 20s);
    ASSERT_TRUE(o) << o.error().message;
    ASSERT_TRUE(o->ok()) << o->error->message;
    EXPECT_EQ(o->receipt->type, 0u);

    ASSERT_NO_FATAL_FAILURE(start());
    m = open(std::make_shared<MemoryTxJournal>());
    ASSERT_TRUE(m);
    o = m->send_and_wait(transfer(PrivateKey::generate().address(), 7, 1), {}, 20s);
    ASSERT_TRUE(o && o->ok());
    EXPECT_EQ(o->receipt->type, 2u);
    TxManagerOptions legacy;
    legacy.fees.force_legacy = true;
    m = open(std::make_shared<MemoryTxJournal>(), legacy);
    ASSERT_TRUE(m);
    o = m->send_and_wait(transfer(PrivateKey::generate().address(), 7, 2), {}, 20s);
    ASSERT_TRUE(o && o->ok());
    EXPECT_EQ(o->receipt->type, 0u);
}

TEST_F(TxManagerAnvil, ReportedOnlyAtTheConfirmationDepth) {
    ASSERT_NO_FATAL_FAILURE(start());
    TxManagerOptions options;
    options.confirmations = 3;
    auto m = open(std::make_shared<MemoryTxJournal>(), options);
    ASSERT_TRUE(m);
    const auto h = m->submit(transfer(PrivateKey::generate().address(), 1, 1));
    // Sent; anvil mines it (asynchronously): poll until the manager has seen the receipt.
    Result<std::vector<TxOutcome>> round = std::vector<TxOutcome>{};
    for (int i = 0; i < 200 && m->status(h) != TxStatus::kMined; ++i) {
        round = m->poll();
        ASSERT_TRUE(round && round->empty());
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(m->status(h), TxStatus::kMined);
    round = m->poll();
    ASSERT_TRUE(round && round->empty());
    mine();
    round = m->poll();
    ASSERT_TRUE(round && round->empty());
    mine();
    round = m->poll();
    ASSERT_TRUE(round);
    ASSERT_EQ(round->size(), 1u);
    EXPECT_TRUE((*round)[0].ok());
    EXPECT_EQ((*round)[0].receipt->block_number + 2, eth_->block_number().value());
    EXPECT_FALSE(m->status(h).has_value());
    // An explicit per-call depth of 1 is reported in the round that sees it.
    const auto h2 = m->submit(transfer(PrivateKey::generate().address(), 1, 2), {.confirmations = 1});
    for (int i = 0; i < 200 && m->status(h2) != TxStatus::kMined; ++i) {
        round = m->poll();
        ASSERT_TRUE(round);
        if (!round->empty()) break;
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(round->size(), 1u);
    EXPECT_EQ((*round)[0].handle, h2);
}

TEST_F(TxManagerAnvil, ReorgBeforeTheDepthIsSentAgain) {
    ASSERT_NO_FATAL_FAILURE(start());
    TxManagerOptions options;
    options.confirmations = 3;
    auto m = open(std::make_shared<MemoryTxJournal>(), options);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const auto snapshot = call("evm_snapshot");
    const auto h = m->submit(transfer(sink, 9, 1));
    for (int i = 0; i < 200 && m->status(h) != TxStatus::kMined; ++i) {
        ASSERT_TRUE(m->poll());
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(m->status(h), TxStatus::kMined);
    const auto first_block = eth_->block_number().value();
    // The block with the transaction disappears (and the transaction with it), then the chain grows past the depth.
    ASSERT_TRUE(call("evm_revert", {snapshot}).as_bool());
    EXPECT_EQ(eth_->get_balance(sink).value(), U256());
    mine(3);
    auto outcomes = collect(*m, 1, true, 20s);
    ASSERT_EQ(outcomes.size(), 1u);
    ASSERT_TRUE(outcomes[0].ok());
    EXPECT_GT(outcomes[0].receipt->block_number, first_block + 1);  // mined again, after the reorg
    EXPECT_EQ(outcomes[0].hashes.size(), 1u);                       // the same transaction
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(9u));
    EXPECT_EQ(eth_->get_transaction_count(m->address()).value(), 1u);
}

TEST_F(TxManagerAnvil, ConcurrentWaitersAndAPoller) {
    ASSERT_NO_FATAL_FAILURE(start());
    TxManagerOptions options;
    options.poll_interval = 5ms;
    auto m = open(std::make_shared<MemoryTxJournal>(), options);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> polled{0};
    std::thread poller([&] {
        while (!stop) {
            if (auto r = m->poll()) polled += r->size();
            std::this_thread::sleep_for(2ms);
        }
    });
    std::vector<std::thread> senders;
    std::atomic<std::size_t> ok{0};
    for (std::uint64_t t = 0; t < 4; ++t) {
        senders.emplace_back([&, t] {
            for (std::uint64_t i = 0; i < 10; ++i) {
                auto o = m->send_and_wait(transfer(sink, 1, t * 100 + i), {}, 30s);
                if (o && o->ok()) ++ok;
            }
        });
    }
    for (auto& s : senders) s.join();
    stop = true;
    poller.join();
    EXPECT_EQ(ok.load(), 40u);
    EXPECT_EQ(polled.load(), 0u);  // every outcome went to its waiter
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(40u));
    EXPECT_EQ(eth_->get_transaction_count(m->address()).value(), 40u);
}

// Waits woken by new heads: with the polling fallback an hour away, every wait completes only because the
// eth_subscribe(newHeads) of a HeadWatcher wakes it (a head is checked by one probe, eth_getTransactionCount).
TEST_F(TxManagerAnvil, WaitsWokenByNewHeads) {
    ASSERT_NO_FATAL_FAILURE(start());
    TxManagerOptions options;
    options.poll_interval = std::chrono::hours(1);
    options.head_fallback_interval = std::chrono::hours(1);
    auto m = open(std::make_shared<MemoryTxJournal>(), options);
    ASSERT_TRUE(m);
    std::atomic<bool> live{false};
    HeadWatcher heads(
        HeadWatcherOptions{.url = *HeadWatcher::ws_url_for(node_->url())}, [&] { m->notify_new_head(); },
        [&](bool is_live, const std::string&) {
            m->set_heads_live(is_live);
            live = is_live;
        });
    heads.start();
    for (int i = 0; i < 200 && !live; ++i) std::this_thread::sleep_for(50ms);  // the subscription, not a timing
    ASSERT_TRUE(live);
    const Address sink = PrivateKey::generate().address();
    std::vector<std::thread> senders;
    std::atomic<std::size_t> ok{0};
    for (std::uint64_t t = 0; t < 4; ++t) {
        senders.emplace_back([&, t] {
            for (std::uint64_t i = 0; i < 5; ++i) {
                auto o = m->send_and_wait(transfer(sink, 1, t * 100 + i), {}, 60s);
                EXPECT_TRUE(o) << o.error().message;
                if (o && o->ok()) ++ok;
            }
        });
    }
    for (auto& s : senders) s.join();
    EXPECT_EQ(ok.load(), 20u);
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(20u));
    EXPECT_GT(heads.heads(), 0u);
    EXPECT_GT(m->stats().head_probes, 0u);

    heads.stop();
}

TEST_F(TxManagerAnvil, RevertsAreDecodedForEstimatesAndReceipts) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto m = open(std::make_shared<MemoryTxJournal>());
    ASSERT_TRUE(m);
    auto deployed = m->send_and_wait(ContractCall{std::nullopt, reverter_init_code(), U256(), "deploy reverter"});
    ASSERT_TRUE(deployed && deployed->ok()) << (deployed ? deployed->error->message : deployed.error().message);
    ASSERT_TRUE(deployed->receipt->contract_address);
    const Address reverter = *deployed->receipt->contract_address;
    EXPECT_EQ(deployed->nonce, 0u);

    auto fine = m->send_and_wait(ContractCall{reverter, {}, U256(), "poke without data"});
    ASSERT_TRUE(fine && fine->ok());
    EXPECT_EQ(m->next_nonce(), 2u);

    auto estimate = m->send_and_wait(ContractCall{reverter, Bytes{1}, U256(), "poke"});
    ASSERT_TRUE(estimate);
    EXPECT_EQ(estimate->status, TxStatus::kFailed);
    ASSERT_TRUE(estimate->error);
    EXPECT_EQ(estimate->error->message, "poke: gas estimation reverted: nope");
    ASSERT_TRUE(estimate->revert);
    EXPECT_EQ(estimate->revert->reason, "nope");
    EXPECT_FALSE(estimate->nonce);
    EXPECT_EQ(m->next_nonce(), 2u);  // no nonce used

    auto reverted = m->send_and_wait(ContractCall{reverter, Bytes{1}, U256(), "poke"}, {.gas_limit = 100000});
    ASSERT_TRUE(reverted);
    EXPECT_EQ(reverted->status, TxStatus::kReverted);
    ASSERT_TRUE(reverted->receipt);
    EXPECT_FALSE(reverted->receipt->status);
    EXPECT_EQ(reverted->nonce, 2u);
    EXPECT_EQ(reverted->error->message, "poke: reverted: nope (nonce 2, tx " + to_hex(*reverted->hash) + ")");
    EXPECT_EQ(reverted->revert->kind, DecodedRevert::Kind::kErrorString);

    // The standalone estimate helper says the same.
    DecodedRevert why;
    auto limit = estimate_gas_limit(*eth_, ContractCall{reverter, Bytes{1}, U256(), "poke"},
                                    PrivateKey::from_hex(kKey0).value().address(), {}, default_revert_decoder(), &why);
    ASSERT_FALSE(limit);
    EXPECT_EQ(limit.error().message, "poke: gas estimation reverted: nope");
    EXPECT_EQ(why.reason, "nope");
    auto ok_limit = estimate_gas_limit(*eth_, ContractCall{reverter, {}, U256(), "poke"},
                                       PrivateKey::from_hex(kKey0).value().address());
    ASSERT_TRUE(ok_limit) << ok_limit.error().message;
    EXPECT_GT(*ok_limit, 21000u);
}

TEST_F(TxManagerAnvil, RejectedSendReleasesItsNonceAndFillsTheGap) {
    ASSERT_NO_FATAL_FAILURE(start());
    const auto key = PrivateKey::generate();
    const auto key_hex = to_hex(key.secret());
    call("anvil_setBalance", {json::string(key.address().to_checksum()), "0xde0b6b3a7640000"});  // 1 ETH
    auto m = open(std::make_shared<MemoryTxJournal>(), {}, key_hex.c_str());
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const SubmitOptions gas{.gas_limit = 30000};
    const auto a = m->submit(transfer(sink, 1, 1), gas);
    ContractCall too_much = transfer(sink, 1, 2);
    too_much.value = U256::from_dec("2000000000000000000").value();  // 2 ETH: the node refuses it
    const auto b = m->submit(too_much, gas);
    const auto c = m->submit(transfer(sink, 3, 3), gas);
    auto outcomes = collect(*m, 3, false, 20s);
    std::map<std::uint64_t, TxOutcome> by_id;
    for (auto& o : outcomes) by_id[o.handle.id] = o;
    ASSERT_EQ(by_id.size(), 3u);
    EXPECT_TRUE(by_id[a.id].ok());
    EXPECT_TRUE(by_id[c.id].ok());
    EXPECT_EQ(by_id[b.id].status, TxStatus::kFailed);
    EXPECT_NE(by_id[b.id].error->message.find("transfer #2: rejected by the node: "), std::string::npos)
        << by_id[b.id].error->message;
    EXPECT_EQ(by_id[c.id].nonce, 2u);
    EXPECT_EQ(m->stats().released, 1u);
    EXPECT_EQ(m->stats().fillers, 1u);  // nonce 1 was filled so that nonce 2 could be mined
    // Wait for the filler's confirmation, then: the account nonce is 3 and no gap remains.
    for (int i = 0; i < 50 && m->stats().fillers > 0 && eth_->get_transaction_count(key.address()).value() < 3; ++i) {
        ASSERT_TRUE(m->poll());
    }
    EXPECT_EQ(eth_->get_transaction_count(key.address()).value(), 3u);
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(4u));

    // A released nonce above every in-flight one just lowers the next nonce.
    const auto d = m->submit(too_much, gas);
    outcomes = collect(*m, 1, false, 10s);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].handle, d);
    EXPECT_EQ(outcomes[0].status, TxStatus::kFailed);
    ASSERT_TRUE(m->poll());
    EXPECT_EQ(m->next_nonce(), 3u);
    auto e = m->send_and_wait(transfer(sink, 5, 5), gas, 10s);
    ASSERT_TRUE(e && e->ok());
    EXPECT_EQ(e->nonce, 3u);
    EXPECT_EQ(m->stats().fillers, 1u);
}

TEST_F(TxManagerAnvil, JournaledButNeverBroadcastIsSentAfterRestart) {
    ASSERT_NO_FATAL_FAILURE(start());
    const auto key = PrivateKey::from_hex(kKey0).value();
    const Address sink = PrivateKey::generate().address();
    auto fees = suggest_fees(*eth_).value();
    auto signed_tx = sign_transaction(TxRequest{sink, {}, U256(77u), 21000, "before the crash"}, key, 31337, 0, fees);
    ASSERT_TRUE(signed_tx);
    auto journal = std::make_shared<MemoryTxJournal>();
    JournalRecord r;
    r.kind = JournalRecord::Kind::kSigned;
    r.chain_id = 31337;
    r.from = key.address();
    r.id = 41;
    r.nonce = 0;
    r.hash = signed_tx->hash;
    r.raw = signed_tx->raw;
    r.description = "before the crash";
    ASSERT_TRUE(journal->append(std::span(&r, 1)));
    auto m = open(journal);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->recovered().size(), 1u);
    EXPECT_EQ(m->recovered()[0].id, 41u);
    EXPECT_EQ(m->next_nonce(), 1u);
    auto o = m->wait(TxHandle{41}, 10s);
    ASSERT_TRUE(o) << o.error().message;
    ASSERT_TRUE(o->ok());
    EXPECT_EQ(*o->hash, signed_tx->hash);
    EXPECT_EQ(o->description, "before the crash");
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(77u));
    // New handles continue after the journal's ids; the next call gets nonce 1.
    const auto h = m->submit(transfer(sink, 1, 1));
    EXPECT_EQ(h.id, 42u);
    auto next = m->wait(h, 10s);
    ASSERT_TRUE(next && next->ok());
    EXPECT_EQ(next->nonce, 1u);
    EXPECT_FALSE(m->wait(h, 1s));  // already delivered
}

// Finding 1: a transaction the node accepted once, whose later re-broadcast is refused, may still be in a pool
// and be mined: its nonce is kept (not released and reused), and the call completes when it is mined.
TEST_F(TxManagerAnvil, RefusedRebroadcastOfAnAcceptedTransactionKeepsItsNonce) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    TxManagerOptions options;
    options.rebroadcast_after = 0ms;  // re-send every round
    auto m = open(std::make_shared<MemoryTxJournal>(), options, kKey0, &rpc);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const auto a = m->submit(transfer(sink, 5, 1));
    ASSERT_TRUE(m->poll());
    ASSERT_EQ(proxy.sent().size(), 1u);  // accepted by anvil
    const std::string first = proxy.sent()[0];
    proxy.set_rule([first](const std::string& method, const json::array& params) -> std::optional<FaultProxy::Fault> {
        if (method == "eth_sendRawTransaction" && params.at(0).as_string() == first) {
            return FaultProxy::Fault{rpc_error(-32000, "insufficient funds for gas * price + value"), false};
        }
        return std::nullopt;
    });
    for (int i = 0; i < 3; ++i) {
        auto round = m->poll();
        ASSERT_TRUE(round) << round.error().message;
        EXPECT_TRUE(round->empty());  // the call is not failed
    }
    EXPECT_GE(proxy.sent().size(), 4u);
    EXPECT_EQ(m->stats().released, 0u);
    EXPECT_EQ(m->status(a), TxStatus::kPending);
    EXPECT_EQ(m->next_nonce(), 1u);  // nonce 0 is not given to the next call
    const auto b = m->submit(transfer(sink, 7, 2));
    ASSERT_TRUE(m->poll());
    mine();
    auto outcomes = collect(*m, 2, false, 10s);
    ASSERT_EQ(outcomes.size(), 2u);
    std::map<std::uint64_t, TxOutcome> by_id;
    for (auto& o : outcomes) by_id[o.handle.id] = o;
    ASSERT_TRUE(by_id[a.id].ok()) << by_id[a.id].error->message;
    ASSERT_TRUE(by_id[b.id].ok()) << by_id[b.id].error->message;
    EXPECT_EQ(by_id[a.id].nonce, 0u);
    EXPECT_EQ(by_id[b.id].nonce, 1u);
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(12u));
}

// Sends one transfer while the proxy answers every eth_sendRawTransaction with `fault`: for three rounds the call
// stays pending and no nonce is released; once the proxy forwards again, the call is mined with nonce 0 and one hash.
void expect_send_fault_keeps_the_nonce(TxManager& m, FaultProxy& proxy, const FaultProxy::Fault& fault) {
    proxy.set_rule([fault](const std::string& method, const json::array&) -> std::optional<FaultProxy::Fault> {
        if (method == "eth_sendRawTransaction") return fault;
        return std::nullopt;
    });
    const Address sink = PrivateKey::generate().address();
    const auto a = m.submit(transfer(sink, 3, 1));
    for (int i = 0; i < 3; ++i) {
        auto round = m.poll();
        ASSERT_TRUE(round);
        EXPECT_TRUE(round->empty());
    }
    EXPECT_EQ(m.status(a), TxStatus::kPending);
    EXPECT_EQ(m.stats().released, 0u);
    proxy.set_rule({});
    auto o = m.wait(a, 10s);
    ASSERT_TRUE(o) << o.error().message;
    ASSERT_TRUE(o->ok()) << o->error->message;
    EXPECT_EQ(o->nonce, 0u);
    EXPECT_EQ(o->hashes.size(), 1u);
}

// Finding 1: rate limiting (-32005) is not a rejection: the call keeps its nonce and is sent again.
TEST_F(TxManagerAnvil, RateLimitedSendIsRetriedNotReleased) {
    ASSERT_NO_FATAL_FAILURE(start());
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    auto m = open(std::make_shared<MemoryTxJournal>(), {}, kKey0, &rpc);
    ASSERT_TRUE(m);
    expect_send_fault_keeps_the_nonce(*m, proxy, FaultProxy::Fault{rpc_error(-32005, "call quota exceeded"), false});
}

// A provider's HTTP 429 whose body is a JSON-RPC error object (not a rate-limit message) is a rate limit too
// (classify_rpc_error): the call keeps its nonce and is sent again, never released.
TEST_F(TxManagerAnvil, Http429WithAJsonRpcErrorBodyIsRetriedNotReleased) {
    ASSERT_NO_FATAL_FAILURE(start());
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s, .retry = RetryPolicy{.max_attempts = 1}});
    auto m = open(std::make_shared<MemoryTxJournal>(), {}, kKey0, &rpc);
    ASSERT_TRUE(m);
    expect_send_fault_keeps_the_nonce(*m, proxy, FaultProxy::Fault{rpc_error(-32000, "request rejected"), false, 429});
}

// The stall escalation: a node that answers "already known" for a transaction it does not have in its pool (here the
// proxy swallows the first transaction) never mines it, whatever the re-broadcasts and evm_mine kicks; after
// stall_replace_after_kicks kicks the manager replaces it at once (replace_after, 60 s, never comes in this test's
// 12 virtual seconds), and the replacement, new to the node, is mined.
TEST_F(TxManagerAnvil, AStallThatKicksDoNotMoveIsResolvedByAReplacement) {
    ASSERT_NO_FATAL_FAILURE(start());
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    ManualClock clock;
    TxManagerOptions options;
    options.clock = &clock;
    options.stall_kick_method = "evm_mine";
    ASSERT_EQ(options.stall_replace_after_kicks, 3u);
    auto m = open(std::make_shared<MemoryTxJournal>(), options, kKey0, &rpc);
    ASSERT_TRUE(m);
    auto swallowed = std::make_shared<std::string>();
    proxy.set_rule(
        [swallowed](const std::string& method, const json::array& params) -> std::optional<FaultProxy::Fault> {
            if (method != "eth_sendRawTransaction") return std::nullopt;
            const std::string raw(params.at(0).as_string());
            if (swallowed->empty()) *swallowed = raw;
            if (raw == *swallowed) return FaultProxy::Fault{rpc_error(-32000, "already known"), false};
            return std::nullopt;
        });
    const Address sink = PrivateKey::generate().address();
    const auto a = m->submit(transfer(sink, 5, 1));
    std::optional<TxOutcome> outcome;
    for (int i = 0; i < 30 && !outcome; ++i) {
        auto round = m->poll();
        ASSERT_TRUE(round) << round.error().message;
        for (auto& o : *round) {
            if (o.handle == a) outcome = std::move(o);
        }
        // The replacement, once sent, is mined by automine before the next round: that round must find its
        // receipt rather than see the head still and kick a 4th time.
        wait_pool_mined(m->address());
        clock.advance(400ms);
    }
    ASSERT_TRUE(outcome) << "still " << to_string(*m->status(a)) << " after 30 rounds";
    ASSERT_TRUE(outcome->ok()) << outcome->error->message;
    EXPECT_EQ(outcome->hashes.size(), 2u);  // the swallowed one and its replacement
    EXPECT_EQ(outcome->hash, outcome->hashes.back());
    EXPECT_EQ(m->stats().stall_kicks, 3u);
    EXPECT_EQ(m->stats().replacements, 1u);
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(5u));
}

// Finding 2: a replacement the node answered with an error but that got into the pool anyway (another node
// behind the URL took it) and was mined: its receipt is found, the call is confirmed with it.
TEST_F(TxManagerAnvil, MinedReplacementThatTheNodeRefusedIsFound) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    ManualClock clock;
    TxManagerOptions options;
    options.clock = &clock;
    options.replace_after = 200ms;
    auto m = open(std::make_shared<MemoryTxJournal>(), options, kKey0, &rpc);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const auto a = m->submit(transfer(sink, 11, 1));
    ASSERT_TRUE(m->poll());
    clock.advance(250ms);
    proxy.set_rule([](const std::string& method, const json::array&) -> std::optional<FaultProxy::Fault> {
        if (method == "eth_sendRawTransaction") return FaultProxy::Fault{rpc_error(-32000, "internal error"), true};
        return std::nullopt;
    });
    ASSERT_TRUE(m->poll());  // the replacement: forwarded to anvil (replaces the original there), answered an error
    EXPECT_EQ(m->stats().replacements, 1u);
    proxy.set_rule({});
    mine();
    auto outcomes = collect(*m, 1, false, 10s);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].handle, a);
    ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error->message;
    ASSERT_GE(outcomes[0].hashes.size(), 2u);
    EXPECT_EQ(*outcomes[0].hash, outcomes[0].hashes[1]);
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(11u));
}

// Finding 3: a journal append that fails keeps the calls and their nonces; nothing unjournaled is broadcast; the
// same records are appended at the next round.
TEST_F(TxManagerAnvil, FailedJournalAppendKeepsTheCallAndItsNonce) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    auto journal = std::make_shared<FlakyJournal>();
    auto m = open(journal);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    journal->fail_all = true;
    const auto a = m->submit(transfer(sink, 2, 1));
    auto round = m->poll();
    ASSERT_FALSE(round);
    EXPECT_EQ(round.error().message, "journal: write: No space left on device");
    EXPECT_EQ(m->status(a), TxStatus::kPending);
    EXPECT_EQ(m->next_nonce(), 1u);
    EXPECT_EQ(call("txpool_status").as_object().at("pending"), "0x0");  // not broadcast
    EXPECT_FALSE(m->poll());                                            // still failing: still nothing lost
    EXPECT_EQ(m->status(a), TxStatus::kPending);
    journal->fail_all = false;
    ASSERT_TRUE(m->poll());
    EXPECT_EQ(call("txpool_status").as_object().at("pending"), "0x1");
    EXPECT_EQ(journal->inner.size(), 1u);
    mine();
    auto outcomes = collect(*m, 1, false, 10s);
    ASSERT_EQ(outcomes.size(), 1u);
    ASSERT_TRUE(outcomes[0].ok());
    EXPECT_EQ(outcomes[0].nonce, 0u);
}

// Finding 3: the nonce of a rejected call is freed only once its kReleased record is durable; else a later call
// would journal the same nonce and the journal could never be recovered.
TEST_F(TxManagerAnvil, NonceIsReleasedOnlyAfterTheReleaseIsJournaled) {
    ASSERT_NO_FATAL_FAILURE(start());
    const auto key = funded_key();
    auto journal = std::make_shared<FlakyJournal>();
    auto m = open(journal, {}, key.c_str());
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const SubmitOptions gas{.gas_limit = 30000};
    ContractCall too_much = transfer(sink, 1, 1);
    too_much.value = U256::from_dec("2000000000000000000").value();  // 2 ETH: the node refuses it
    journal->fail_released = true;
    const auto a = m->submit(too_much, gas);
    auto round = m->poll();
    ASSERT_TRUE(round) << round.error().message;
    EXPECT_TRUE(round->empty());
    EXPECT_GE(journal->failures.load(), 1);
    EXPECT_EQ(m->status(a), TxStatus::kPending);
    const auto b = m->submit(transfer(sink, 4, 2), gas);
    ASSERT_TRUE(m->poll());
    journal->fail_released = false;
    auto outcomes = collect(*m, 2, false, 20s);
    std::map<std::uint64_t, TxOutcome> by_id;
    for (auto& o : outcomes) by_id[o.handle.id] = o;
    ASSERT_EQ(by_id.size(), 2u);
    EXPECT_EQ(by_id[a.id].status, TxStatus::kFailed);
    EXPECT_NE(by_id[a.id].error->message.find("rejected by the node"), std::string::npos);
    ASSERT_TRUE(by_id[b.id].ok()) << by_id[b.id].error->message;
    EXPECT_EQ(by_id[b.id].nonce, 1u);
    // The journal is consistent: another manager recovers it.
    auto again = TxManager::open(*rpc_, PrivateKey::from_hex(key).value(), journal);
    ASSERT_TRUE(again) << again.error().message;
}

// Finding 6: a released nonce consumed on chain by someone else is not given to the next call.
TEST_F(TxManagerAnvil, ReleasedNonceUsedOnChainIsNotReused) {
    ASSERT_NO_FATAL_FAILURE(start());
    const auto key = funded_key();
    auto m = open(std::make_shared<MemoryTxJournal>(), {}, key.c_str());
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const SubmitOptions gas{.gas_limit = 30000};
    ContractCall too_much = transfer(sink, 1, 1);
    too_much.value = U256::from_dec("2000000000000000000").value();
    auto rejected = m->send_and_wait(too_much, gas, 10s);
    ASSERT_TRUE(rejected);
    EXPECT_EQ(rejected->status, TxStatus::kFailed);
    EXPECT_EQ(m->next_nonce(), 0u);
    send_foreign(key, 0);  // mined by automine (asynchronously: wait for it)
    const Address wallet = PrivateKey::from_hex(key).value().address();
    wait_pool_mined(wallet);
    ASSERT_EQ(eth_->get_transaction_count(wallet).value(), 1u);
    auto o = m->send_and_wait(transfer(sink, 3, 2), gas, 20s);
    ASSERT_TRUE(o) << o.error().message;
    ASSERT_TRUE(o->ok()) << o->error->message;
    EXPECT_EQ(o->nonce, 1u);
}

// Finding 7: "replacement underpriced" on a first transaction: the call fails, the nonce is blocked (never given to
// a call), filled once the foreign transaction is gone; the same after a restart.
TEST_F(TxManagerAnvil, NonceHeldByAForeignTransactionIsBlockedThenFilled) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    const auto key = funded_key();
    auto journal = std::make_shared<MemoryTxJournal>();
    ManualClock clock;
    TxManagerOptions options;
    options.clock = &clock;
    options.filler_backoff = 50ms;
    auto m = open(journal, options, key.c_str());
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const SubmitOptions gas{.gas_limit = 30000};
    const auto foreign = send_foreign(key, 0, 3);  // after open(): the manager's next nonce is 0
    const auto a = m->submit(transfer(sink, 1, 1), gas);
    auto outcomes = collect(*m, 1, false, 10s);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].handle, a);
    EXPECT_EQ(outcomes[0].status, TxStatus::kFailed);
    EXPECT_NE(outcomes[0].error->message.find("transfer #1: nonce 0 is held in the pool by another transaction: "),
              std::string::npos)
        << outcomes[0].error->message;
    const auto b = m->submit(transfer(sink, 2, 2), gas);
    ASSERT_TRUE(m->poll());
    EXPECT_EQ(m->status(b), TxStatus::kPending);
    EXPECT_EQ(m->next_nonce(), 2u);  // b got nonce 1, not the blocked 0
    m.reset();
    // After a restart: the same (nonce 0 blocked, not free).
    m = open(journal, options, key.c_str());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->next_nonce(), 2u);
    EXPECT_EQ(m->recovered().size(), 1u);
    call("anvil_dropTransaction", {json::string(to_hex(foreign))});
    clock.advance(60ms);  // past the filler back-off
    for (int i = 0; i < 20 && m->stats().fillers == 0; ++i) {
        ASSERT_TRUE(m->poll());
        clock.advance(20ms);
    }
    EXPECT_EQ(m->stats().fillers, 1u);
    mine();
    auto done = m->wait(b, 10s);
    ASSERT_TRUE(done) << done.error().message;
    ASSERT_TRUE(done->ok()) << done->error->message;
    EXPECT_EQ(done->nonce, 1u);
    EXPECT_EQ(eth_->get_transaction_count(PrivateKey::from_hex(key).value().address()).value(), 2u);
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(2u));
}

// Finding 8: a nonce used by a foreign transaction fails its call only after foreign_nonce_blocks blocks, with a
// message that says what is known.
TEST_F(TxManagerAnvil, ForeignNonceIsDecidedByBlocksNotRounds) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    const auto key = funded_key();
    auto m = open(std::make_shared<MemoryTxJournal>(), {}, key.c_str());
    ASSERT_TRUE(m);
    const auto a = m->submit(transfer(PrivateKey::generate().address(), 1, 1), {.gas_limit = 30000});
    ASSERT_TRUE(m->poll());
    call("anvil_dropAllTransactions");
    send_foreign(key, 0);
    mine();
    for (int i = 0; i < 6; ++i) {
        auto round = m->poll();
        ASSERT_TRUE(round);
        EXPECT_TRUE(round->empty());  // rounds alone decide nothing
    }
    mine(2);
    auto round = m->poll();
    ASSERT_TRUE(round);
    EXPECT_TRUE(round->empty());
    mine();
    round = m->poll();
    ASSERT_TRUE(round);
    ASSERT_EQ(round->size(), 1u);
    EXPECT_EQ((*round)[0].handle, a);
    EXPECT_EQ((*round)[0].status, TxStatus::kFailed);
    EXPECT_EQ((*round)[0].error->message,
              "transfer #1: no receipt for any of our transactions with nonce 0 (mined by another sender, or the "
              "node's receipt index is pruned)");
}

// Finding 9: a failing receipt request for one call does not hold back the others.
TEST_F(TxManagerAnvil, OneFailingReceiptDoesNotStopTheRound) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    auto m = open(std::make_shared<MemoryTxJournal>(), {}, kKey0, &rpc);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const auto a = m->submit(transfer(sink, 1, 1));
    const auto b = m->submit(transfer(sink, 2, 2));
    ASSERT_TRUE(m->poll());
    ASSERT_EQ(proxy.sent().size(), 2u);
    const std::string bad = to_hex(keccak256(from_hex(proxy.sent()[0]).value()));
    proxy.set_rule([bad](const std::string& method, const json::array& params) -> std::optional<FaultProxy::Fault> {
        if (method == "eth_getTransactionReceipt" && params.at(0).as_string() == bad) {
            return FaultProxy::Fault{rpc_error(-32603, "header not found"), false};
        }
        return std::nullopt;
    });
    mine();
    auto round = m->poll();
    ASSERT_TRUE(round) << round.error().message;
    ASSERT_EQ(round->size(), 1u);
    EXPECT_EQ((*round)[0].handle, b);
    EXPECT_TRUE((*round)[0].ok());
    EXPECT_EQ(m->status(a), TxStatus::kPending);
    proxy.set_rule({});
    round = m->poll();
    ASSERT_TRUE(round);
    ASSERT_EQ(round->size(), 1u);
    EXPECT_EQ((*round)[0].handle, a);
    EXPECT_TRUE((*round)[0].ok());
}

// Finding 10: a filler the node keeps refusing is re-signed with an exponential back-off, not every round.
TEST_F(TxManagerAnvil, RefusedFillersBackOff) {
    ASSERT_NO_FATAL_FAILURE(start());
    const auto key = funded_key();
    const Address wallet = PrivateKey::from_hex(key).value().address();
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    ManualClock clock;
    TxManagerOptions options;
    options.clock = &clock;
    options.filler_backoff = 200ms;
    auto m = open(std::make_shared<MemoryTxJournal>(), options, key.c_str(), &rpc);
    ASSERT_TRUE(m);
    proxy.set_rule([wallet](const std::string& method, const json::array& params) -> std::optional<FaultProxy::Fault> {
        if (method != "eth_sendRawTransaction") return std::nullopt;
        auto tx = tx::decode(from_hex(params.at(0).as_string()).value()).value();
        if (tx.to == wallet) return FaultProxy::Fault{rpc_error(-32000, "intrinsic gas too low"), false};
        return std::nullopt;
    });
    const Address sink = PrivateKey::generate().address();
    const SubmitOptions gas{.gas_limit = 30000};
    ContractCall too_much = transfer(sink, 1, 1);
    too_much.value = U256::from_dec("2000000000000000000").value();
    m->submit(too_much, gas);
    const auto b = m->submit(transfer(sink, 2, 2), gas);
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(m->poll());
        clock.advance(10ms);
    }
    // 50 rounds 10 ms apart (on the manager's clock); the first filler is refused, the next ones wait 200 ms, then
    // 400 ms: at most 3 fillers in 500 ms (without back-off: one per round).
    EXPECT_GE(m->stats().fillers, 1u);
    EXPECT_LE(m->stats().fillers, 3u);
    proxy.set_rule({});
    auto o = m->wait(b, 10s);
    ASSERT_TRUE(o) << o.error().message;
    ASSERT_TRUE(o->ok()) << o->error->message;
    EXPECT_EQ(o->nonce, 1u);
}

// Finding 11: a journal kept across a chain reset (same chain id, fresh chain) is refused.
TEST_F(TxManagerAnvil, JournalFromAnotherChainInstanceIsRefused) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto journal = std::make_shared<MemoryTxJournal>();
    {
        auto m = open(journal);
        ASSERT_TRUE(m);
        auto o = m->send_and_wait(transfer(PrivateKey::generate().address(), 1, 1), {}, 10s);
        ASSERT_TRUE(o && o->ok());
    }
    ASSERT_NO_FATAL_FAILURE(start());  // a fresh anvil, chain id 31337 again
    auto m = TxManager::open(*rpc_, PrivateKey::from_hex(kKey0).value(), journal);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().message,
              "in-memory journal is from another chain instance: the node's nonce for "
              "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 is 0 but the journal has confirmed nonce 0");
}

// Finding 12: a recovered transaction is not replaced at the first round when replace_after_blocks is set: the
// blocks count from the restart.
TEST_F(TxManagerAnvil, RecoveredTransactionIsNotReplacedAtOnce) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    mine(10);
    const auto key = PrivateKey::from_hex(kKey0).value();
    auto fees = suggest_fees(*eth_).value();
    auto signed_tx = sign_transaction(TxRequest{PrivateKey::generate().address(), {}, U256(1u), 21000, "before"}, key,
                                      31337, 0, fees)
                         .value();
    auto journal = std::make_shared<MemoryTxJournal>();
    JournalRecord r;
    r.kind = JournalRecord::Kind::kSigned;
    r.chain_id = 31337;
    r.from = key.address();
    r.id = 1;
    r.nonce = 0;
    r.hash = signed_tx.hash;
    r.raw = signed_tx.raw;
    r.description = "before";
    ASSERT_TRUE(journal->append(std::span(&r, 1)));
    TxManagerOptions options;
    options.replace_after = std::chrono::hours(1);
    options.replace_after_blocks = 3;
    auto m = open(journal, options);
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->poll());
    ASSERT_TRUE(m->poll());
    EXPECT_EQ(m->stats().replacements, 0u);
    mine(3);  // mined in the first of these blocks: the receipt comes before any replacement
    auto outcomes = collect(*m, 1, false, 10s);
    ASSERT_EQ(outcomes.size(), 1u);
    ASSERT_TRUE(outcomes[0].ok());
    EXPECT_EQ(*outcomes[0].hash, signed_tx.hash);
    EXPECT_EQ(m->stats().replacements, 0u);
}

// Finding 10: replacements bump from the highest ACCEPTED fees: refused replacements do not ratchet the fees up
// (the same replacement is not signed again while the market is unchanged).
TEST_F(TxManagerAnvil, RefusedReplacementsDoNotRaiseTheBase) {
    ASSERT_NO_FATAL_FAILURE(start());
    automine(false);
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    ManualClock clock;
    TxManagerOptions options;
    options.clock = &clock;
    options.replace_after = 100ms;
    auto m = open(std::make_shared<MemoryTxJournal>(), options, kKey0, &rpc);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const auto a = m->submit(transfer(sink, 3, 1));
    ASSERT_TRUE(m->poll());
    ASSERT_EQ(proxy.sent().size(), 1u);
    const std::string first = proxy.sent()[0];
    proxy.set_rule([first](const std::string& method, const json::array& params) -> std::optional<FaultProxy::Fault> {
        if (method == "eth_sendRawTransaction" && params.at(0).as_string() != first) {
            return FaultProxy::Fault{rpc_error(-32000, "max fee per gas higher than the node allows"), false};
        }
        return std::nullopt;
    });
    for (int i = 0; i < 4; ++i) {
        clock.advance(120ms);
        ASSERT_TRUE(m->poll());
    }
    EXPECT_EQ(m->stats().replacements, 1u);  // one bump of the original; not a bump of the refused bump, etc.
    proxy.set_rule({});
    mine();
    auto outcomes = collect(*m, 1, false, 10s);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].handle, a);
    ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].error->message;
}

}  // namespace
}  // namespace wp::chain

namespace wp::chain {
namespace {

TEST_F(TxManagerAnvil, KeyedIntentsAreIdempotentAndTheirOutcomesDurable) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto journal = std::make_shared<MemoryTxJournal>();
    const Address sink = PrivateKey::generate().address();
    Address reverter;
    TxHandle paid, refused, reverted_handle;
    Bytes32 reverted_hash;
    {
        auto m = open(journal);
        ASSERT_TRUE(m);
        auto deployed = m->send_and_wait(ContractCall{std::nullopt, reverter_init_code(), U256(), "deploy reverter"});
        ASSERT_TRUE(deployed && deployed->ok());
        reverter = *deployed->receipt->contract_address;

        // The intent is journaled when submit_durable returns; the same key returns the same call.
        const std::size_t before = journal->size();
        auto a = m->submit_durable(transfer(sink, 7, 1), {.key = "pay:1"});
        ASSERT_TRUE(a) << a.error().message;
        EXPECT_EQ(journal->size(), before + 1);
        EXPECT_EQ(journal->load().value().back().kind, JournalRecord::Kind::kIntent);
        EXPECT_EQ(journal->load().value().back().key, "pay:1");
        EXPECT_EQ(m->find("pay:1")->status, TxStatus::kQueued);
        auto again = m->submit_durable(transfer(sink, 999, 2), {.key = "pay:1"});
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, *a);
        EXPECT_EQ(journal->size(), before + 1);  // nothing new
        paid = *a;
        // A batch: one append for the new keys, repeated keys get the same handle.
        std::vector<DurableCall> batch;
        batch.push_back({ContractCall{reverter, Bytes{1}, U256(), "poke"}, {.key = "poke:estimate"}});
        batch.push_back({ContractCall{reverter, Bytes{1}, U256(), "poke"}, {.gas_limit = 100000, .key = "poke:mined"}});
        batch.push_back({transfer(sink, 999, 3), {.key = "pay:1"}});
        batch.push_back({ContractCall{reverter, Bytes{1}, U256(), "poke"}, {.key = "poke:estimate"}});
        auto handles = m->submit_durable(std::move(batch));
        ASSERT_TRUE(handles) << handles.error().message;
        ASSERT_EQ(handles->size(), 4u);
        EXPECT_EQ((*handles)[2], paid);
        EXPECT_EQ((*handles)[3], (*handles)[0]);
        EXPECT_EQ(journal->size(), before + 3);
        refused = (*handles)[0];
        reverted_handle = (*handles)[1];
        EXPECT_FALSE(m->submit_durable(transfer(sink, 1, 4), {}));  // a key is required

        auto outcomes = collect(*m, 3, false);
        for (const auto& o : outcomes) {
            if (o.handle == paid) {
                EXPECT_TRUE(o.ok());
                EXPECT_EQ(o.key, "pay:1");
            } else if (o.handle == refused) {
                EXPECT_EQ(o.status, TxStatus::kFailed);
            } else {
                EXPECT_EQ(o.status, TxStatus::kReverted);
                reverted_hash = *o.hash;
            }
        }
        EXPECT_EQ(m->find("pay:1")->status, TxStatus::kConfirmed);
        EXPECT_EQ(m->find("poke:estimate")->error->message, "poke: gas estimation reverted: nope");
        EXPECT_FALSE(m->find("nobody"));
    }
    // After a restart: every keyed call answers find() from the journal, and no key is sent twice.
    auto m = open(journal);
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->recovered().empty());
    const auto pay = m->find("pay:1");
    ASSERT_TRUE(pay);
    EXPECT_EQ(pay->handle, paid);
    EXPECT_EQ(pay->status, TxStatus::kConfirmed);
    ASSERT_TRUE(pay->hash && pay->block && pay->nonce);
    EXPECT_EQ(eth_->get_transaction_receipt(*pay->hash).value()->block_number, *pay->block);
    const auto estimate = m->find("poke:estimate");
    EXPECT_EQ(estimate->status, TxStatus::kFailed);
    EXPECT_EQ(estimate->error->message, "poke: gas estimation reverted: nope");
    EXPECT_FALSE(estimate->nonce);
    const auto mined = m->find("poke:mined");
    EXPECT_EQ(mined->status, TxStatus::kReverted);
    EXPECT_EQ(mined->hash, reverted_hash);
    EXPECT_EQ(mined->error->message,
              "poke: reverted: nope (nonce " + std::to_string(*mined->nonce) + ", tx " + to_hex(reverted_hash) + ")");
    EXPECT_EQ(m->submit_durable(transfer(sink, 999, 5), {.key = "pay:1"}).value(), paid);
    EXPECT_EQ(m->in_flight(), 0u);
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(7));

    // Compaction drops the raw transactions of closed calls and keeps what find() needs.
    ASSERT_TRUE(m->compact());
    const auto compacted = journal->load().value();
    for (const auto& r : compacted) EXPECT_NE(r.kind, JournalRecord::Kind::kSigned);
    auto after = open(journal);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->find("pay:1")->status, TxStatus::kConfirmed);
    EXPECT_EQ(after->find("poke:mined")->status, TxStatus::kReverted);
    EXPECT_EQ(after->find("poke:estimate")->status, TxStatus::kFailed);
    // Retention: keep_closed = 1 keeps only the newest closed intent.
    TxManagerOptions short_memory;
    short_memory.retention.keep_closed = 1;
    auto forgetful = open(journal, short_memory);
    ASSERT_TRUE(forgetful);
    ASSERT_TRUE(forgetful->compact());
    auto last = open(journal);
    EXPECT_FALSE(last->find("pay:1"));
    EXPECT_TRUE(last->find("poke:mined"));
    // A new call after compaction still gets the next nonce.
    auto next = last->send_and_wait(transfer(sink, 1, 6));
    ASSERT_TRUE(next && next->ok());
    EXPECT_EQ(*next->nonce, eth_->get_transaction_count(PrivateKey::from_hex(kKey0).value().address()).value() - 1);
}

// The durability proof: a process submits 300 keyed intents and is SIGKILLed at random journal calls (before or
// after the append / compaction), then restarted until it finishes. Every intent is mined exactly once (the chain
// is scanned block by block: each amount 1..300 once, nonces unique) and each outcome is found by its key.
// The journal is a file (FileTxJournal) or a store database (SqlTxJournal): the helper gets `journal_arg` (a path,
// or a sqlite: / postgresql:// URL) and `reopen` opens the same journal for the checks.
class TxManagerIntentsAnvil : public TxManagerAnvil {
  protected:
    void intents_survive_sigkill(const std::string& journal_arg,
                                 const std::function<std::shared_ptr<TxJournal>()>& reopen);
};

void TxManagerIntentsAnvil::intents_survive_sigkill(const std::string& journal_arg,
                                                    const std::function<std::shared_ptr<TxJournal>()>& reopen) {
    constexpr std::size_t kCount = 300;
    const unsigned seed = std::random_device{}();
    std::cout << "seed " << seed << "\n";
    std::mt19937 random(seed);
    unsigned kills = 0;
    bool done = false;
    for (int run = 0; run < 80 && !done; ++run) {
        const bool last = run >= 60;  // (a full run makes ~30 journal calls: never reached in practice)
        const unsigned kill_at = last ? 0 : std::uniform_int_distribution<unsigned>(1, 4)(random);
        const bool before = std::uniform_int_distribution<int>(0, 1)(random) == 1;
        sys::SpawnOptions spawn;
        spawn.argv = {
            WP_TXM_CRASH_HELPER,        node_->url(), journal_arg, std::to_string(kCount), std::to_string(kill_at),
            before ? "before" : "after"};
        spawn.stderr_path = (dir_ / ("helper-" + std::to_string(run) + ".log")).string();
        spawn.stdout_path = (dir_ / "helper.out").string();
        spawn.die_with_parent = true;
        auto process = sys::Process::spawn(spawn);
        ASSERT_TRUE(process) << process.error().message;
        auto status = process->wait_for(120s);
        ASSERT_TRUE(status) << status.error().message;
        if (status->success()) {
            done = true;
        } else {
            ASSERT_FALSE(status->exited) << "run " << run << ": " << status->to_string() << " (see "
                                         << spawn.stderr_path << ")";
            EXPECT_EQ(status->signal, SIGKILL);
            ++kills;
        }
    }
    ASSERT_TRUE(done);
    EXPECT_GE(kills, 2u);  // a full run makes ~20-30 journal calls: typically 3-10 kills

    // The chain: every transfer from the wallet to the sink, block by block.
    const Address wallet = PrivateKey::from_hex(kKey0).value().address();
    const Address sink = Address::parse("0x000000000000000000000000000000000000c0fe").value();
    std::set<std::uint64_t> nonces;
    std::map<std::uint64_t, std::vector<Bytes32>> by_value;
    const auto head = eth_->block_number().value();
    for (std::uint64_t n = 1; n <= head; ++n) {
        auto block = call("eth_getBlockByNumber", {json::string(BlockTag::number(n).str()), true});
        for (const auto& tx : block.as_object().at("transactions").as_array()) {
            const auto& o = tx.as_object();
            if (Address::parse(o.at("from").as_string()).value() != wallet) continue;
            EXPECT_TRUE(nonces.insert(parse_quantity_u64(o.at("nonce"), "nonce").value()).second);
            if (o.at("to").is_null() || Address::parse(o.at("to").as_string()).value() != sink) continue;
            by_value[parse_quantity_u64(o.at("value"), "value").value()].push_back(
                bytes32_from_hex(o.at("hash").as_string()).value());
        }
    }
    EXPECT_EQ(by_value.size(), kCount);
    for (std::uint64_t v = 1; v <= kCount; ++v) EXPECT_EQ(by_value[v].size(), 1u) << "amount " << v;
    EXPECT_EQ(eth_->get_balance(sink).value(), U256(kCount * (kCount + 1) / 2));

    // Each outcome by its key (a manager on the same journal, as a restarted daemon would).
    auto journal = reopen();
    ASSERT_TRUE(journal);
    auto m = open(journal);
    ASSERT_TRUE(m);
    for (std::size_t i = 0; i < kCount; ++i) {
        const auto state = m->find("intent:" + std::to_string(i));
        ASSERT_TRUE(state) << i;
        EXPECT_EQ(state->status, TxStatus::kConfirmed) << i;
        ASSERT_TRUE(state->hash) << i;
        ASSERT_EQ(by_value[i + 1].size(), 1u);
        EXPECT_EQ(*state->hash, by_value[i + 1][0]) << i;
    }
    // Compaction (the helper compacts every 40 records; its crash points include compactions): once every intent
    // is closed, no raw transaction is left, and the keys still answer after a restart.
    std::size_t signed_records = 0;
    for (const auto& r : journal->load().value_or(std::vector<JournalRecord>{})) {
        signed_records += r.kind == JournalRecord::Kind::kSigned ? 1 : 0;
    }
    ASSERT_TRUE(m->compact());
    const auto compacted = journal->load().value();
    for (const auto& r : compacted) EXPECT_NE(r.kind, JournalRecord::Kind::kSigned);
    EXPECT_EQ(compacted.size(), 2 * kCount);  // intent + confirmed
    m.reset();
    EXPECT_EQ(open(journal)->find("intent:7")->status, TxStatus::kConfirmed);
    std::ifstream helper_out(dir_ / "helper.out");
    std::string last_line;
    std::getline(helper_out, last_line);
    std::cout << kills << " SIGKILLs, " << head << " blocks, " << signed_records
              << " signed records in the journal at the end; last run: " << last_line << "\n";
}

TEST_F(TxManagerIntentsAnvil, KeyedIntentsSurviveSigkill) {
    ASSERT_NO_FATAL_FAILURE(start());
    std::filesystem::create_directories(dir_);
    const auto path = dir_ / "intents.jsonl";
    intents_survive_sigkill(path.string(),
                            [&] { return std::shared_ptr<TxJournal>(FileTxJournal::open(path).value()); });
}

// The same proof with the journal in a SQLite database (SqlTxJournal, Durability::kFull).
TEST_F(TxManagerIntentsAnvil, KeyedIntentsSurviveSigkillWithTheSqlJournal) {
    ASSERT_NO_FATAL_FAILURE(start());
    std::filesystem::create_directories(dir_);
    const std::string url = "sqlite:" + (dir_ / "intents.db").string();
    std::shared_ptr<store::Database> db;
    intents_survive_sigkill(url, [&] {
        db = std::make_shared<store::Database>(store::Database::open(url).value());
        return std::shared_ptr<TxJournal>(SqlTxJournal::open(*db, "intents").value());
    });
}

}  // namespace
}  // namespace wp::chain

namespace wp::chain {
namespace {

// submit, status and find answer while a round is blocked inside a JSON-RPC round trip; a waiter does not run a
// second round meanwhile, it waits for the running one.
TEST_F(TxManagerAnvil, StatusAndFindDoNotWaitForARunningRound) {
    ASSERT_NO_FATAL_FAILURE(start());
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    auto m = open(std::make_shared<MemoryTxJournal>(), {}, kKey0, &rpc);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const TxHandle keyed = m->submit_durable(transfer(sink, 1, 1), {.key = "k"}).value();
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> armed{true};
    std::atomic<int> head_reads{0};
    proxy.set_rule([&](const std::string& method, const json::array&) -> std::optional<FaultProxy::Fault> {
        if (method != "eth_getBlockByNumber") return std::nullopt;
        ++head_reads;
        if (armed.exchange(false)) {
            entered.set_value();
            released.wait();
        }
        return std::nullopt;
    });
    std::thread poller([&] { EXPECT_TRUE(m->poll()); });
    entered.get_future().wait();  // the round is now inside a JSON-RPC request
    EXPECT_EQ(m->status(keyed), TxStatus::kQueued);
    EXPECT_EQ(m->find("k")->status, TxStatus::kQueued);
    const TxHandle plain = m->submit(transfer(sink, 2, 2));
    EXPECT_EQ(m->status(plain), TxStatus::kQueued);
    const TxHandle again = m->submit_durable(transfer(sink, 3, 3), {.key = "k2"}).value();
    EXPECT_EQ(m->find("k2")->handle, again);
    // A waiter started now waits for the running round instead of starting its own.
    std::thread waiter([&] {
        auto outcome = m->wait(plain, 30s);
        EXPECT_TRUE(outcome && outcome->ok());
    });
    EXPECT_EQ(head_reads.load(), 1);
    release.set_value();
    poller.join();
    waiter.join();
    auto rest = collect(*m, 2, false);  // keyed "k" and "k2"
    EXPECT_EQ(m->find("k")->status, TxStatus::kConfirmed);
    EXPECT_EQ(m->find("k2")->status, TxStatus::kConfirmed);
    EXPECT_FALSE(m->status(keyed));  // delivered
}

// The round holds no lock across its JSON-RPC calls: while it is blocked inside eth_sendRawTransaction, the outcome it
// completed before (the confirmation of an earlier call) can be taken from another thread, and submit(),
// submit_durable(), find(), status(), stats() and compact() all complete. (Before, compact() waited for the round.)
TEST_F(TxManagerAnvil, ARoundBlockedInsideAnRpcHoldsNoLock) {
    ASSERT_NO_FATAL_FAILURE(start());
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    auto journal = std::make_shared<MemoryTxJournal>();
    auto m = open(journal, {}, kKey0, &rpc);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    const TxHandle a = m->submit_durable(transfer(sink, 1, 1), {.key = "a"}).value();
    ASSERT_TRUE(m->poll());  // a is sent, not confirmed yet
    ASSERT_EQ(m->status(a), TxStatus::kPending);
    wait_pool_mined(m->address());  // the round below must find a's receipt
    ASSERT_EQ(eth_->get_transaction_count(m->address()).value(), 1u) << "a was not mined";
    const TxHandle b = m->submit(transfer(sink, 2, 2));

    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> armed{true};
    proxy.set_rule([&](const std::string& method, const json::array&) -> std::optional<FaultProxy::Fault> {
        if (method == "eth_sendRawTransaction" && armed.exchange(false)) {
            entered.set_value();
            released.wait();  // b's broadcast waits here
        }
        return std::nullopt;
    });
    std::promise<Result<std::vector<TxOutcome>>> polled;
    std::thread poller([&] { polled.set_value(m->poll()); });
    entered.get_future().wait();  // the round confirmed a, started b and is inside b's eth_sendRawTransaction

    struct Seen {
        std::vector<TxOutcome> outcomes;
        std::optional<IntentState> a;
        std::optional<TxStatus> b;
        std::optional<TxStatus> c;
        Result<TxHandle> d = make_error(Errc::kInvalidArgument, "not run");
        Result<void> compacted = make_error(Errc::kInvalidArgument, "not run");
        TxManagerStats stats;
    };
    auto others = std::async(std::launch::async, [&] {
        Seen seen;
        seen.outcomes = m->take_outcomes();
        seen.a = m->find("a");
        seen.b = m->status(b);
        seen.c = m->status(m->submit(transfer(sink, 3, 3)));
        seen.d = m->submit_durable(transfer(sink, 4, 4), {.key = "d"});
        seen.compacted = m->compact();
        seen.stats = m->stats();
        return seen;
    });
    const auto ready = others.wait_for(60s);  // not a speed assertion: a call waiting for the round never returns
    release.set_value();
    poller.join();
    ASSERT_EQ(ready, std::future_status::ready) << "a call waited for the round blocked inside an RPC";
    const Seen seen = others.get();
    ASSERT_EQ(seen.outcomes.size(), 1u);
    EXPECT_EQ(seen.outcomes[0].handle, a);
    EXPECT_TRUE(seen.outcomes[0].ok());
    ASSERT_TRUE(seen.a);
    EXPECT_EQ(seen.a->status, TxStatus::kConfirmed);
    EXPECT_EQ(seen.b, TxStatus::kPending);
    EXPECT_EQ(seen.c, TxStatus::kQueued);
    ASSERT_TRUE(seen.d) << seen.d.error().message;
    EXPECT_TRUE(seen.compacted) << seen.compacted.error().message;
    EXPECT_EQ(seen.stats.compactions, 1u);

    auto round = polled.get_future().get();
    ASSERT_TRUE(round) << round.error().message;
    for (const auto& o : *round) EXPECT_NE(o.handle, a) << "a's outcome delivered twice";
    std::size_t done = round->size();
    const auto rest = collect(*m, 3 - done, false);  // b, c and d
    for (const auto& o : rest) EXPECT_TRUE(o.ok()) << o.description;
    EXPECT_EQ(m->find("d")->status, TxStatus::kConfirmed);

    // The compaction that ran during the round kept what a restart needs.
    m.reset();
    auto again = open(journal, {}, kKey0, &rpc);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->find("a")->status, TxStatus::kConfirmed);
    EXPECT_EQ(again->find("d")->status, TxStatus::kConfirmed);
    EXPECT_TRUE(again->recovered().empty());
}

// Signing and journaling of the next batch overlap the broadcast of the previous one; a batch is broadcast only
// once its records are durable. A journal that fails after the first batch: only that batch went out; the next
// round appends the rest first, and every call is confirmed with contiguous nonces.
TEST_F(TxManagerAnvil, PipelinedBatchesAreBroadcastOnlyOnceJournaled) {
    ASSERT_NO_FATAL_FAILURE(start());
    FaultProxy proxy(node_->url());
    JsonRpcClient rpc(JsonRpcOptions{.url = proxy.url(), .timeout = 20s});
    auto journal = std::make_shared<FlakyJournal>();
    TxManagerOptions options;
    options.broadcast_batch_size = 10;
    options.stall_kick_method = "evm_mine";
    auto m = open(journal, options, kKey0, &rpc);
    ASSERT_TRUE(m);
    const Address sink = PrivateKey::generate().address();
    constexpr std::size_t kCalls = 35;
    for (std::size_t i = 0; i < kCalls; ++i) (void)m->submit(transfer(sink, i + 1, i + 1), {.gas_limit = 30000});
    journal->signed_appends_left = 1;  // the first batch's append succeeds, the second fails
    auto first = m->poll();
    ASSERT_FALSE(first);
    EXPECT_NE(first.error().message.find("No space left on device"), std::string::npos) << first.error().message;
    EXPECT_EQ(proxy.sent().size(), 10u);  // the first batch only
    const auto records = journal->inner.load().value();
    EXPECT_EQ(records.size(), 10u);
    EXPECT_EQ(m->in_flight(), kCalls);

    journal->signed_appends_left = -1;
    const auto outcomes = collect(*m, kCalls, false);
    std::set<std::uint64_t> nonces;
    for (const auto& o : outcomes) {
        EXPECT_TRUE(o.ok()) << o.description << ": " << (o.error ? o.error->message : "");
        if (o.nonce) nonces.insert(*o.nonce);
    }
    ASSERT_EQ(nonces.size(), kCalls);
    EXPECT_EQ(*nonces.begin(), 0u);
    EXPECT_EQ(*nonces.rbegin(), kCalls - 1);
    EXPECT_GE(m->stats().broadcast_batches, 4u);
}

}  // namespace
}  // namespace wp::chain
