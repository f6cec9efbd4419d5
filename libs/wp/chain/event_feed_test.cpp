// EventFeed against an in-process fake node (net::HttpServer answering eth_blockNumber, eth_getBlockByNumber and
// eth_getLogs, batches included) whose chain the tests extend and reorganise at will.
#include <mutex>
#include <optional>
#include <set>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/chain/event_feed.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/net/http_server.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const Address kHub = *Address::parse("0x5FC8d32690cc91D4c39d9d3abcBD16989F875707");
const Address kOther = *Address::parse("0x5FbDB2315678afecb367f032d93F642f64180aa3");

struct FakeBlock {
    Bytes32 hash;
    Bytes32 parent;
    std::vector<Log> logs;
};

// A chain whose blocks hold logs tagged by a "payload" word (the data), so tests can tell events apart.
class FakeNode {
  public:
    FakeNode() {
        std::lock_guard lock(mu_);
        append_locked("genesis", {});
    }

    void start() {
        server_.route("POST", "/", [this](const net::ServerRequest& r) {
            auto req = json::parse(r.body);
            unsigned status = 200;
            if (req.is_array()) {
                json::array out;
                for (const auto& one : req.as_array()) out.push_back(answer(one.as_object(), status));
                return net::HttpResponse::json(status, json::serialize(out));
            }
            auto out = answer(req.as_object(), status);
            return net::HttpResponse::json(status, json::serialize(out));
        });
        ASSERT_TRUE(server_.start());
    }
    std::string url() const { return server_.base_url(); }

    //! Appends a block (salt distinguishes forks) with one log per payload (emitted by kHub unless `other`).
    std::uint64_t mine(const std::string& salt, const std::vector<std::uint64_t>& payloads, bool other = false) {
        std::lock_guard lock(mu_);
        return append_locked(salt, payloads, other);
    }
    void mine_empty(std::size_t n, const std::string& salt = "e") {
        for (std::size_t i = 0; i < n; ++i) mine(salt + std::to_string(i), {});
    }
    //! Drops every block from `number` on (like evm_revert).
    void truncate(std::uint64_t number) {
        std::lock_guard lock(mu_);
        blocks_.resize(number);
    }
    std::uint64_t head() {
        std::lock_guard lock(mu_);
        return blocks_.size() - 1;
    }
    Bytes32 hash(std::uint64_t n) {
        std::lock_guard lock(mu_);
        return blocks_.at(n).hash;
    }
    void set_max_results(std::size_t n) {
        std::lock_guard lock(mu_);
        max_results_ = n;
    }
    void set_removed_flag(std::uint64_t block) {
        std::lock_guard lock(mu_);
        for (auto& l : blocks_.at(block).logs) l.removed = true;
    }
    //! The next eth_getLogs answer carries a wrong block hash (a read racing a reorg).
    void corrupt_next_logs() {
        std::lock_guard lock(mu_);
        corrupt_next_ = true;
    }
    //! Right after answering the next eth_getLogs, the chain reorganises: blocks from `keep` on are replaced by one
    //! block (salt) with the given payloads (a reorg between the logs read and the header reads).
    void reorg_after_next_logs(std::uint64_t keep, std::string salt, std::vector<std::uint64_t> payloads) {
        std::lock_guard lock(mu_);
        pending_reorg_ = PendingReorg{keep, std::move(salt), std::move(payloads)};
    }
    //! The node pretends its last `n` blocks do not exist (a lagging or restarted node behind a load balancer).
    void set_lag(std::uint64_t n) {
        std::lock_guard lock(mu_);
        lag_ = n;
    }
    //! Answers the next `times` eth_getLogs with this JSON-RPC error object, under this HTTP status.
    void fail_next_logs(std::int64_t code, std::string message, int times = 1, unsigned http_status = 200) {
        std::lock_guard lock(mu_);
        next_logs_error_ = LogsError{code, std::move(message), times, http_status};
    }
    std::vector<std::pair<std::uint64_t, std::uint64_t>> log_ranges() {
        std::lock_guard lock(mu_);
        return ranges_;
    }

  private:
    std::uint64_t append_locked(const std::string& salt, const std::vector<std::uint64_t>& payloads,
                                bool other = false) {
        FakeBlock b;
        const std::uint64_t number = blocks_.size();
        b.parent = blocks_.empty() ? Bytes32() : blocks_.back().hash;
        Bytes seed(b.parent.begin(), b.parent.end());
        append(seed, as_bytes(salt + "/" + std::to_string(number)));
        b.hash = keccak256(seed);
        for (std::size_t i = 0; i < payloads.size(); ++i) {
            Log l;
            l.address = other ? kOther : kHub;
            l.topics = {keccak256(as_bytes("Payload(uint256)"))};
            l.data = Bytes(32, 0);
            for (int k = 0; k < 8; ++k)
                l.data[31 - static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(payloads[i] >> (8 * k));
            l.block_number = number;
            l.block_hash = b.hash;
            l.transaction_hash = keccak256(seed);
            l.log_index = i;
            b.logs.push_back(l);
        }
        blocks_.push_back(std::move(b));
        return number;
    }

    static json::object log_json(const Log& l, const Bytes32& block_hash) {
        json::array topics;
        for (const auto& t : l.topics) topics.emplace_back(to_hex(t));
        return json::object{{"address", l.address.to_lower_hex()},
                            {"topics", std::move(topics)},
                            {"data", to_hex(l.data)},
                            {"blockNumber", U256(l.block_number).to_hex_quantity()},
                            {"blockHash", to_hex(block_hash)},
                            {"transactionHash", to_hex(l.transaction_hash)},
                            {"transactionIndex", "0x0"},
                            {"logIndex", U256(l.log_index).to_hex_quantity()},
                            {"removed", l.removed}};
    }

    std::size_t visible_locked() const { return blocks_.size() - lag_; }

    json::object answer(const json::object& req, unsigned& status) {
        std::lock_guard lock(mu_);
        const auto method = req.at("method").as_string();
        const auto& params = req.at("params").as_array();
        json::object out{{"jsonrpc", "2.0"}, {"id", req.at("id")}};
        auto number = [](const json::value& v) { return U256::from_hex(v.as_string()).value().low_u64(); };
        if (method == "eth_blockNumber") {
            out["result"] = U256(visible_locked() - 1).to_hex_quantity();
        } else if (method == "eth_getBlockByNumber") {
            const auto n = number(params.at(0));
            if (n >= visible_locked()) {
                out["result"] = nullptr;
            } else {
                const auto& b = blocks_[n];
                out["result"] = json::object{{"number", U256(n).to_hex_quantity()},
                                             {"hash", to_hex(b.hash)},
                                             {"parentHash", to_hex(b.parent)},
                                             {"timestamp", "0x1"},
                                             {"gasLimit", "0x1c9c380"},
                                             {"gasUsed", "0x0"}};
            }
        } else if (method == "eth_getLogs") {
            const auto& f = params.at(0).as_object();
            const auto from = number(f.at("fromBlock"));
            const auto to = number(f.at("toBlock"));
            ranges_.emplace_back(from, to);
            if (next_logs_error_) {
                out["error"] = json::object{{"code", next_logs_error_->code}, {"message", next_logs_error_->message}};
                status = next_logs_error_->http_status;
                if (--next_logs_error_->times <= 0) next_logs_error_.reset();
                return out;
            }
            std::set<std::string> addresses;
            if (const auto* a = f.if_contains("address")) {
                if (a->is_string()) addresses.insert(std::string(a->as_string()));
                else
                    for (const auto& x : a->as_array()) addresses.insert(std::string(x.as_string()));
            }
            json::array logs;
            for (auto n = from; n <= to && n < visible_locked(); ++n) {
                for (const auto& l : blocks_[n].logs) {
                    if (!addresses.empty() && !addresses.count(l.address.to_lower_hex())) continue;
                    Bytes32 hash = blocks_[n].hash;
                    if (corrupt_next_) hash[0] ^= 1;
                    logs.push_back(log_json(l, hash));
                }
            }
            corrupt_next_ = false;
            if (logs.size() > max_results_) {
                out["error"] =
                    json::object{{"code", -32005},
                                 {"message", "query returned more than " + std::to_string(max_results_) + " results"}};
            } else {
                out["result"] = std::move(logs);
            }
            if (pending_reorg_) {
                blocks_.resize(pending_reorg_->keep);
                append_locked(pending_reorg_->salt, pending_reorg_->payloads);
                pending_reorg_.reset();
            }
        } else {
            out["error"] = json::object{{"code", -32601}, {"message", "method not found"}};
        }
        return out;
    }

    struct PendingReorg {
        std::uint64_t keep;
        std::string salt;
        std::vector<std::uint64_t> payloads;
    };

    std::mutex mu_;
    std::vector<FakeBlock> blocks_;
    std::optional<PendingReorg> pending_reorg_;
    std::uint64_t lag_{0};
    struct LogsError {
        std::int64_t code;
        std::string message;
        int times;
        unsigned http_status;
    };
    std::optional<LogsError> next_logs_error_;
    std::size_t max_results_{1000};
    bool corrupt_next_{false};
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
    net::HttpServer server_;
};

std::uint64_t payload(const Log& l) { return U256::from_be(l.data).value().low_u64(); }

std::vector<std::uint64_t> payloads(const std::vector<Log>& logs) {
    std::vector<std::uint64_t> out;
    for (const auto& l : logs) out.push_back(payload(l));
    return out;
}

class EventFeedTest : public ::testing::Test {
  protected:
    void SetUp() override {
        node_.start();
        rpc_ = std::make_unique<JsonRpcClient>(JsonRpcOptions{.url = node_.url()});
        eth_ = std::make_unique<EthClient>(*rpc_);
    }
    // Polls until caught up, collecting the logs (fails the test on error).
    std::vector<Log> drain(EventFeed& feed, std::size_t* polls = nullptr) {
        std::vector<Log> out;
        for (int i = 0; i < 1000; ++i) {
            auto batch = feed.poll();
            EXPECT_TRUE(batch) << batch.error().message;
            if (!batch) break;
            EXPECT_FALSE(batch->rollback_from);
            if (polls) ++*polls;
            out.insert(out.end(), batch->logs.begin(), batch->logs.end());
            if (batch->caught_up) break;
        }
        return out;
    }

    FakeNode node_;
    std::unique_ptr<JsonRpcClient> rpc_;
    std::unique_ptr<EthClient> eth_;
};

TEST_F(EventFeedTest, OrderedDeliveryInBoundedRanges) {
    node_.mine("a", {1, 2});      // 1
    node_.mine_empty(2);          // 2, 3
    node_.mine("a", {3});         // 4
    node_.mine("a", {4, 5, 6});   // 5
    node_.mine("a", {99}, true);  // 6: another contract
    node_.mine_empty(3);          // 7..9
    node_.mine("a", {7});         // 10
    EventFeed feed(*eth_, FeedOptions{.addresses = {kHub}, .max_block_range = 3}, FeedCursor::at(1));
    std::size_t polls = 0;
    auto logs = drain(feed, &polls);
    EXPECT_EQ(payloads(logs), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(polls, 4u);  // 1-3, 4-6, 7-9, 10
    for (const auto& l : logs) EXPECT_EQ(l.block_hash, node_.hash(l.block_number));
    EXPECT_EQ(feed.cursor().next_block, 11u);
    // Block 0 (the parent of the start block) is kept too: hashes of blocks 0..10.
    ASSERT_EQ(feed.cursor().recent_hashes.size(), 11u);
    EXPECT_EQ(feed.cursor().recent_hashes.front(), node_.hash(0));
    EXPECT_EQ(feed.cursor().recent_hashes.back(), node_.hash(10));
    EXPECT_EQ(node_.log_ranges(),
              (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 3}, {4, 6}, {7, 9}, {10, 10}}));
    // Nothing new: caught up, no read.
    auto idle = feed.poll();
    ASSERT_TRUE(idle);
    EXPECT_TRUE(idle->caught_up);
    EXPECT_EQ(idle->block_count, 0u);
    EXPECT_TRUE(idle->logs.empty());
}

TEST_F(EventFeedTest, ConfirmationDepth) {
    node_.mine("a", {1});  // 1
    node_.mine("a", {2});  // 2
    EventFeed feed(*eth_, FeedOptions{.confirmations = 2}, FeedCursor::at(1));
    auto batch = feed.poll();
    ASSERT_TRUE(batch);
    EXPECT_TRUE(batch->logs.empty());  // head 2, confirmed head 0
    EXPECT_TRUE(batch->caught_up);
    node_.mine_empty(1);  // head 3: block 1 confirmed
    batch = feed.poll();
    ASSERT_TRUE(batch);
    EXPECT_EQ(payloads(batch->logs), (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(batch->cursor.next_block, 2u);
    node_.mine_empty(1);  // head 4: block 2 confirmed
    batch = feed.poll();
    ASSERT_TRUE(batch);
    EXPECT_EQ(payloads(batch->logs), (std::vector<std::uint64_t>{2}));
    EXPECT_EQ(batch->head, 4u);
}

TEST_F(EventFeedTest, RestartFromPersistedCursor) {
    for (std::uint64_t i = 1; i <= 9; ++i) node_.mine("a", {i * 10, i * 10 + 1});
    const FeedOptions options{.max_block_range = 2, .history = 4};
    std::vector<Log> seen;
    std::string persisted;
    {
        EventFeed feed(*eth_, options, FeedCursor::at(1));
        for (int i = 0; i < 2; ++i) {
            auto batch = feed.poll();
            ASSERT_TRUE(batch);
            seen.insert(seen.end(), batch->logs.begin(), batch->logs.end());
            persisted = batch->cursor.to_json_text();
        }
        // A third batch whose effects were never committed (crash before persisting).
        ASSERT_TRUE(feed.poll());
    }
    auto cursor = FeedCursor::from_json_text(persisted);
    ASSERT_TRUE(cursor) << cursor.error().message;
    EXPECT_EQ(cursor->next_block, 5u);
    EXPECT_EQ(cursor->recent_hashes.size(), 4u);  // history 4: blocks 1..4
    EventFeed restarted(*eth_, options, *cursor);
    auto rest = drain(restarted);
    seen.insert(seen.end(), rest.begin(), rest.end());
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 1; i <= 9; ++i) {
        expected.push_back(i * 10);
        expected.push_back(i * 10 + 1);
    }
    EXPECT_EQ(payloads(seen), expected);
}

TEST_F(EventFeedTest, ReorgRollsBackAndRedelivers) {
    node_.mine("a", {1});     // 1
    node_.mine("a", {2});     // 2
    node_.mine("a", {3, 4});  // 3
    node_.mine("a", {5});     // 4
    EventFeed feed(*eth_, FeedOptions{}, FeedCursor::at(1));
    EXPECT_EQ(payloads(drain(feed)), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));

    // Blocks 3 and 4 are replaced by three blocks with other events.
    node_.truncate(3);
    node_.mine("b", {30});
    node_.mine("b", {});
    node_.mine("b", {50, 51});
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    ASSERT_TRUE(batch->rollback_from);
    EXPECT_EQ(*batch->rollback_from, 3u);
    EXPECT_EQ(batch->from_block, 3u);
    EXPECT_EQ(payloads(batch->logs), (std::vector<std::uint64_t>{30, 50, 51}));
    for (const auto& l : batch->logs) EXPECT_EQ(l.block_hash, node_.hash(l.block_number));
    EXPECT_TRUE(batch->caught_up);
    EXPECT_EQ(batch->cursor.next_block, 6u);
    // The old events never come back.
    node_.mine("b", {6});
    EXPECT_EQ(payloads(drain(feed)), (std::vector<std::uint64_t>{6}));
}

TEST_F(EventFeedTest, ReorgToAShorterChainThenNewBlocks) {
    node_.mine("a", {1});  // 1
    node_.mine("a", {2});  // 2
    node_.mine("a", {3});  // 3
    EventFeed feed(*eth_, FeedOptions{}, FeedCursor::at(1));
    drain(feed);
    node_.truncate(2);  // head 1: blocks 2, 3 gone, nothing new yet
    // A node whose head is below the last block read looks like a node that is behind: wait, no rollback yet.
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_FALSE(batch->rollback_from);
    EXPECT_TRUE(batch->caught_up);
    EXPECT_EQ(batch->cursor.next_block, 4u);
    node_.mine("c", {20});  // 2
    node_.mine("c", {});    // 3: block 3 now has another hash: the reorg is seen
    batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_EQ(batch->rollback_from, 2u);
    EXPECT_EQ(payloads(batch->logs), (std::vector<std::uint64_t>{20}));
    EXPECT_TRUE(batch->caught_up);
    EXPECT_EQ(batch->cursor.next_block, 4u);
}

TEST_F(EventFeedTest, ReorgOfTheStartBlock) {
    node_.mine_empty(3);   // 1..3
    node_.mine("a", {4});  // 4
    EventFeed feed(*eth_, FeedOptions{}, FeedCursor::at(4));
    EXPECT_EQ(payloads(drain(feed)), (std::vector<std::uint64_t>{4}));
    node_.truncate(4);
    node_.mine("b", {40});
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_EQ(batch->rollback_from, 4u);
    EXPECT_EQ(payloads(batch->logs), (std::vector<std::uint64_t>{40}));
}

TEST_F(EventFeedTest, DeepReorgIsAnError) {
    node_.mine_empty(10);
    EventFeed feed(*eth_, FeedOptions{.history = 4}, FeedCursor::at(1));
    drain(feed);
    EXPECT_EQ(feed.cursor().recent_hashes.size(), 4u);
    node_.truncate(5);  // blocks 5..10 replaced: all 4 stored hashes (7..10) changed
    node_.mine_empty(7, "x");
    const auto before = feed.cursor();
    auto batch = feed.poll();
    ASSERT_FALSE(batch);
    EXPECT_EQ(batch.error().code, Errc::kUnsupported);
    EXPECT_EQ(batch.error().message,
              "event feed: reorg deeper than the stored history: the hashes of blocks 7..10 (4 blocks) all changed");
    EXPECT_EQ(feed.cursor(), before);
}

TEST_F(EventFeedTest, SplitsRangesTheNodeRefuses) {
    node_.mine("a", {1, 2});  // 1
    node_.mine("a", {3});     // 2
    node_.mine("a", {4, 5});  // 3
    node_.mine("a", {6});     // 4
    node_.set_max_results(2);
    EventFeed feed(*eth_, FeedOptions{.max_block_range = 4}, FeedCursor::at(1));
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_EQ(payloads(batch->logs), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(batch->block_count, 4u);
    // 1..4 refused, 1..2 refused, 1 ok, 2 ok, 3..4 refused, 3 ok, 4 ok.
    EXPECT_EQ(node_.log_ranges(), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{
                                      {1, 4}, {1, 2}, {1, 1}, {2, 2}, {3, 4}, {3, 3}, {4, 4}}));
    // A single block above the limit cannot be split.
    node_.mine("a", {7, 8, 9});
    auto refused = feed.poll();
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("eth_getLogs blocks 5..5"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("more than 2 results"), std::string::npos) << refused.error().message;
    EXPECT_EQ(feed.cursor().next_block, 5u);
}

TEST_F(EventFeedTest, RateLimitedReadsAreNotSplit) {
    node_.mine("a", {1});
    node_.mine("a", {2});
    // No retries in the client: the feed sees the rate limit itself.
    JsonRpcClient once(JsonRpcOptions{.url = node_.url(), .retry = RetryPolicy{.max_attempts = 1}});
    EthClient eth(once);
    EventFeed feed(eth, FeedOptions{}, FeedCursor::at(1));
    node_.fail_next_logs(-32005, "project ID request rate exceeded");
    auto limited = feed.poll();
    ASSERT_FALSE(limited);
    EXPECT_EQ(limited.error().code, Errc::kRemote);
    EXPECT_NE(limited.error().message.find("request rate exceeded"), std::string::npos) << limited.error().message;
    EXPECT_EQ(feed.cursor(), FeedCursor::at(1));
    EXPECT_EQ(node_.log_ranges(), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 2}}));  // no split
    // Later, the same range is read whole.
    EXPECT_EQ(payloads(drain(feed)), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(node_.log_ranges(), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 2}, {1, 2}}));
}

// A provider's HTTP 429 whose body is a JSON-RPC error object with a message that, under HTTP 200, would read as a
// range error: it is a rate limit for everybody (classify_rpc_error rule 1). The client retries it; when the
// retries are exhausted the feed returns the error without splitting the range.
TEST_F(EventFeedTest, Http429WithJsonRpcBodyIsARateLimitNotARangeError) {
    node_.mine("a", {1});
    node_.mine("a", {2});
    JsonRpcClient rpc(JsonRpcOptions{
        .url = node_.url(), .retry = RetryPolicy{.max_attempts = 3, .initial_backoff = 1ms, .max_backoff = 2ms}});
    EthClient eth(rpc);
    EventFeed feed(eth, FeedOptions{}, FeedCursor::at(1));
    node_.fail_next_logs(-32000, "too many logs for your plan", 3, 429);
    auto limited = feed.poll();
    ASSERT_FALSE(limited);
    EXPECT_NE(limited.error().message.find("too many logs for your plan"), std::string::npos)
        << limited.error().message;
    EXPECT_EQ(feed.cursor(), FeedCursor::at(1));
    // Three HTTP attempts of the same range, no split.
    EXPECT_EQ(node_.log_ranges(), (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 2}, {1, 2}, {1, 2}}));

    // A shorter burst is absorbed by the client's retries: one poll delivers everything, still without a split.
    node_.fail_next_logs(-32000, "too many logs for your plan", 2, 429);
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_EQ(payloads(batch->logs), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(node_.log_ranges().size(), 6u);
    for (const auto& range : node_.log_ranges()) EXPECT_EQ(range, (std::pair<std::uint64_t, std::uint64_t>{1, 2}));
}

TEST_F(EventFeedTest, LongRangesWithManyLogBlocks) {
    // 250 blocks with logs in one range: the header lookups go out in several JSON-RPC batches; only the last
    // K = 8 hashes are kept.
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 1; i <= 250; ++i) {
        node_.mine("a", {i});
        expected.push_back(i);
    }
    EventFeed feed(*eth_, FeedOptions{.max_block_range = 1000, .history = 8}, FeedCursor::at(1));
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_EQ(payloads(batch->logs), expected);
    EXPECT_EQ(batch->cursor.next_block, 251u);
    ASSERT_EQ(batch->cursor.recent_hashes.size(), 8u);
    EXPECT_EQ(batch->cursor.recent_hashes.front(), node_.hash(243));
    // A reorg within those 8 blocks is still handled.
    node_.truncate(247);
    node_.mine("b", {1000});
    node_.mine_empty(3, "b");  // back to height 250: a shorter chain is only seen once it grows back
    auto reorg = feed.poll();
    ASSERT_TRUE(reorg) << reorg.error().message;
    EXPECT_EQ(reorg->rollback_from, 247u);
    EXPECT_EQ(payloads(reorg->logs), (std::vector<std::uint64_t>{1000}));
}

TEST_F(EventFeedTest, RemovedLogsAreNeverDelivered) {
    node_.mine("a", {1});
    node_.mine("a", {2});
    node_.set_removed_flag(1);
    EventFeed feed(*eth_, FeedOptions{}, FeedCursor::at(1));
    EXPECT_EQ(payloads(drain(feed)), (std::vector<std::uint64_t>{2}));
}

TEST_F(EventFeedTest, ReadRacingAReorgDeliversNothing) {
    node_.mine("a", {1});
    EventFeed feed(*eth_, FeedOptions{}, FeedCursor::at(1));
    node_.corrupt_next_logs();
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_TRUE(batch->retry);
    EXPECT_TRUE(batch->logs.empty());
    EXPECT_EQ(batch->cursor, FeedCursor::at(1));
    EXPECT_EQ(payloads(drain(feed)), (std::vector<std::uint64_t>{1}));
}

TEST_F(EventFeedTest, ReorgBetweenLogsAndHeadersIsNotLost) {
    // confirmations = 0: block 2 of fork X has no log; the chain switches to fork Y (block 2 with a log) after
    // eth_getLogs answered for X and before the headers are read. Y's log must be delivered exactly once.
    node_.mine("a", {1});  // 1
    EventFeed feed(*eth_, FeedOptions{}, FeedCursor::at(1));
    EXPECT_EQ(payloads(drain(feed)), (std::vector<std::uint64_t>{1}));
    node_.mine("x", {});  // 2 on fork X
    node_.reorg_after_next_logs(2, "y", {7});
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_TRUE(batch->retry);
    EXPECT_TRUE(batch->logs.empty());
    EXPECT_FALSE(batch->rollback_from);
    EXPECT_EQ(batch->cursor.next_block, 2u);
    std::vector<Log> all = drain(feed);
    node_.mine("y", {8});  // 3
    auto more = drain(feed);
    all.insert(all.end(), more.begin(), more.end());
    EXPECT_EQ(payloads(all), (std::vector<std::uint64_t>{7, 8}));
    for (const auto& l : all) EXPECT_EQ(l.block_hash, node_.hash(l.block_number));
    EXPECT_EQ(feed.cursor().recent_hashes.back(), node_.hash(3));
}

TEST_F(EventFeedTest, ReorgBetweenLogsAndHeadersInALongRange) {
    // The same race in a range longer than the history: the reorg replaces the last block of the range.
    for (std::uint64_t i = 1; i <= 9; ++i) node_.mine("a", {i});
    node_.mine("x", {});  // 10 on fork X
    node_.reorg_after_next_logs(10, "y", {100});
    EventFeed feed(*eth_, FeedOptions{.history = 4}, FeedCursor::at(1));
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_TRUE(batch->retry);
    EXPECT_TRUE(batch->logs.empty());
    auto all = drain(feed);
    EXPECT_EQ(payloads(all), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 100}));
}

TEST_F(EventFeedTest, NodeBehindTheCursorIsNotAReorg) {
    for (std::uint64_t i = 1; i <= 8; ++i) node_.mine("a", {i});
    EventFeed feed(*eth_, FeedOptions{.history = 4}, FeedCursor::at(1));
    EXPECT_EQ(payloads(drain(feed)), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
    const auto before = feed.cursor();
    node_.set_lag(5);  // head 3: five blocks behind, more than the 4 stored hashes
    for (int i = 0; i < 3; ++i) {
        auto batch = feed.poll();
        ASSERT_TRUE(batch) << batch.error().message;
        EXPECT_FALSE(batch->rollback_from);
        EXPECT_TRUE(batch->caught_up);
        EXPECT_TRUE(batch->retry);
        EXPECT_TRUE(batch->logs.empty());
        EXPECT_EQ(batch->head, 3u);
        EXPECT_EQ(batch->cursor, before);
    }
    EXPECT_EQ(feed.cursor(), before);
    node_.set_lag(0);  // the node recovers
    node_.mine("a", {9});
    auto rest = drain(feed);  // drain() also asserts no rollback
    EXPECT_EQ(payloads(rest), (std::vector<std::uint64_t>{9}));
}

TEST(FeedCursor, JsonRoundTripAndStrictness) {
    FeedCursor c{12, {Bytes32(), *bytes32_from_hex("0x" + std::string(64, 'a'))}};
    EXPECT_EQ(c.to_json_text(), R"({"nextBlock":12,"recentHashes":["0x)" + std::string(64, '0') + R"(","0x)" +
                                    std::string(64, 'a') + R"("]})");
    EXPECT_EQ(FeedCursor::from_json_text(c.to_json_text()).value(), c);
    auto err = [](std::string_view text) {
        auto r = FeedCursor::from_json_text(text);
        EXPECT_FALSE(r) << text;
        return r ? std::string() : r.error().message;
    };
    EXPECT_EQ(err(R"({"nextBlock":-1,"recentHashes":[]})"), "cursor.nextBlock: expected a non-negative JSON integer");
    EXPECT_EQ(err(R"({"nextBlock":"1","recentHashes":[]})"), "cursor.nextBlock: expected a non-negative JSON integer");
    EXPECT_EQ(err(R"({"recentHashes":[]})"), "cursor: missing field \"nextBlock\"");
    EXPECT_EQ(err(R"({"nextBlock":1})"), "cursor: missing field \"recentHashes\"");
    EXPECT_EQ(err(R"({"nextBlock":1,"recentHashes":[],"x":1})"), "cursor: unknown key \"x\"");
    EXPECT_EQ(err(R"({"nextBlock":1,"recentHashes":["0x00","0x00"]})"),
              "cursor.recentHashes: 2 hashes but nextBlock is 1");
    EXPECT_EQ(err(R"({"nextBlock":2,"recentHashes":["0x00"]})").rfind("cursor.recentHashes[0]: ", 0), 0u);
    EXPECT_EQ(err("[1]"), "cursor: expected a JSON object");
    EXPECT_EQ(err("{").rfind("cursor: invalid JSON", 0), 0u);
    EXPECT_EQ(FeedCursor::from_json_text(R"({"nextBlock":0,"recentHashes":[]})").value(), FeedCursor::at(0));
}

TEST(EventFeedRangeErrors, Classification) {
    auto remote = [](std::int64_t code, std::string message) {
        RpcError e;
        e.kind = Errc::kRemote;
        e.code = code;
        e.rpc_message = std::move(message);
        return e;
    };
    // A bare EIP-1474 -32005 "limit exceeded" names no range: a provider limit (classify_rpc_error rule 9).
    EXPECT_FALSE(is_range_error(remote(-32005, "limit exceeded")));
    EXPECT_TRUE(is_rate_limit_error(remote(-32005, "limit exceeded")));
    EXPECT_TRUE(is_range_error(remote(-32000, "query returned more than 10000 results")));
    EXPECT_TRUE(is_range_error(remote(-32602,
                                      "Log response size exceeded. You can make eth_getLogs requests with up "
                                      "to a 2K block range")));
    EXPECT_TRUE(is_range_error(remote(-32000, "exceed maximum block range: 50000")));
    EXPECT_TRUE(is_range_error(remote(-32000, "Too Many Logs")));
    EXPECT_FALSE(is_range_error(remote(-32000, "header not found")));
    EXPECT_TRUE(is_range_error(remote(-32000, "block range is too wide")));
    EXPECT_TRUE(is_range_error(remote(-32005,
                                      "query returned more than 10000 results. Try with this block range "
                                      "[0x1, 0x10].")));
    // Rate limits are not range errors (splitting would only multiply the requests).
    const RpcError rate_limited[] = {
        remote(-32005, "project ID request rate exceeded"),
        remote(-32005, "daily request count exceeded, request rate limited"),
        remote(429,
               "Your app has exceeded its compute units per second capacity. If you have retries enabled, you "
               "can safely ignore this message."),
        remote(-32000, "Too Many Requests"),
        remote(-32016, "Rate limit exceeded"),
        remote(-32007, "request limit reached"),
    };
    RpcError http_429_rpc_body = remote(-32000, "too many logs for your plan");  // would be a range error under 200
    http_429_rpc_body.http_status = 429;
    EXPECT_TRUE(is_rate_limit_error(http_429_rpc_body));
    EXPECT_FALSE(is_range_error(http_429_rpc_body));
    for (const auto& e : rate_limited) {
        EXPECT_TRUE(is_rate_limit_error(e)) << e.rpc_message;
        EXPECT_FALSE(is_range_error(e)) << e.rpc_message;
    }
    EXPECT_FALSE(is_rate_limit_error(remote(-32005, "query returned more than 10000 results")));
    EXPECT_FALSE(is_rate_limit_error(remote(-32000, "exceed maximum block range: 50000")));
    EXPECT_FALSE(is_rate_limit_error(remote(-32602, "Log response size exceeded.")));
    RpcError http_429;
    http_429.kind = Errc::kNetwork;
    http_429.http_status = 429;
    EXPECT_TRUE(is_rate_limit_error(http_429));
    EXPECT_FALSE(is_range_error(http_429));
    RpcError too_large;
    too_large.kind = Errc::kTooLarge;
    EXPECT_TRUE(is_range_error(too_large));
    RpcError network;
    network.kind = Errc::kNetwork;
    EXPECT_FALSE(is_range_error(network));
}

}  // namespace
}  // namespace wp::chain
