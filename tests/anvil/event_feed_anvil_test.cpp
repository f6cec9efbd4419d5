// EventFeed + decode_poco_event against PoCo 6.1.0 deployed on a real anvil by our devnet: RLC transfers,
// RLC.approveAndCall deposits into the hub (protocol.md §7.2) and hub withdrawals produce the events.
// Reorgs are simulated with evm_snapshot / evm_revert.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include <wp/chain/eth.hpp>
#include <wp/chain/event_feed.hpp>
#include <wp/chain/poco_events.hpp>
#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/devnet/dev_accounts.hpp>
#include <wp/devnet/devnet.hpp>
#include <wp/devnet/funding.hpp>
#include <wp/devnet/tx_sender.hpp>
#include <wp/sys/tcp.hpp>

namespace wp {
namespace {

using chain::EventFeed;
using chain::FeedCursor;
using chain::FeedOptions;
using chain::PocoEvent;
namespace ev = chain::events;

class EventFeedAnvil : public ::testing::Test {
  protected:
    void SetUp() override {
        devnet::DevnetOptions options;
        options.anvil.binary = WP_ANVIL_BIN;
        auto port = sys::find_free_tcp_port();
        ASSERT_TRUE(port);
        options.anvil.port = *port;
        options.anvil.data_dir =
            std::filesystem::temp_directory_path() / ("wp-event-feed-anvil-" + std::to_string(*port));
        options.poco_dir = WP_POCO_DIR;
        options.funded_accounts = 3;
        auto started = devnet::start_devnet(options);
        ASSERT_TRUE(started) << started.error().message;
        devnet_ = std::make_unique<devnet::Devnet>(std::move(*started));
        data_dir_ = options.anvil.data_dir;
        rpc_ = std::make_unique<chain::JsonRpcClient>(chain::JsonRpcOptions{.url = devnet_->node.url()});
        eth_ = std::make_unique<chain::EthClient>(*rpc_);
        keys_ = devnet::dev_keys(4);
        hub_ = devnet_->info.hub;
        rlc_ = devnet_->info.token;
    }
    void TearDown() override {
        if (devnet_) (void)devnet_->node.stop();
        if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_);
    }

    FeedOptions options(std::uint64_t max_range = 1000, std::uint64_t confirmations = 0) const {
        FeedOptions o;
        o.addresses = {hub_, rlc_};
        o.max_block_range = max_range;
        o.confirmations = confirmations;
        return o;
    }
    std::uint64_t head() { return eth_->block_number().value(); }

    // One transaction from dev account `from`, mined (anvil automine: one block per transaction).
    chain::Receipt send(std::size_t from, const Address& to, Bytes data) {
        const auto& key = keys_.at(from);
        auto fees = devnet::suggest_fees(*eth_);
        EXPECT_TRUE(fees);
        auto nonce = eth_->get_transaction_count(key.address(), chain::BlockTag::pending());
        EXPECT_TRUE(nonce);
        devnet::TxRequest request{to, std::move(data), U256(0), 300'000, "tx"};
        auto tx = devnet::sign_transaction(request, key, devnet_->info.chain_id, *nonce, *fees);
        EXPECT_TRUE(tx);
        auto receipts = devnet::send_and_confirm(*rpc_, {*tx}, std::chrono::seconds(20));
        EXPECT_TRUE(receipts) << receipts.error().message;
        return receipts ? receipts->at(0) : chain::Receipt{};
    }
    // RLC.transfer(to, amount) from `from`: one RLC Transfer.
    chain::Receipt rlc_transfer(std::size_t from, std::size_t to, std::uint64_t amount) {
        return send(from, rlc_, devnet::erc20_transfer_calldata(keys_.at(to).address(), U256(amount)));
    }
    // RLC.approveAndCall(hub, amount, ""): deposit into the hub for `from`.
    chain::Receipt deposit(std::size_t from, std::uint64_t amount) {
        return send(from, rlc_, devnet::approve_and_call_calldata(hub_, U256(amount), {}));
    }
    // hub.withdraw(amount).
    chain::Receipt withdraw(std::size_t from, std::uint64_t amount) {
        auto data = abi_encode_call("withdraw(uint256)", {AbiValue::uint_(U256(amount))});
        EXPECT_TRUE(data);
        return send(from, hub_, *data);
    }
    void mine(std::size_t blocks) {
        for (std::size_t i = 0; i < blocks; ++i) ASSERT_TRUE(rpc_->call("evm_mine"));
    }

    // The events a call is expected to emit, (emitter, event) in order.
    using Expected = std::vector<std::pair<Address, PocoEvent>>;
    Expected transfer_events(std::size_t from, std::size_t to, std::uint64_t amount) const {
        return {{rlc_, ev::Erc20Transfer{addr(from), addr(to), U256(amount)}}};
    }
    Expected deposit_events(std::size_t from, std::uint64_t amount) const {
        // approve (RLC Approval), then receiveApproval: RLC.transferFrom(from → hub), mint SRLC (hub Transfer 0 →
        // from).
        return {{rlc_, ev::Erc20Approval{addr(from), hub_, U256(amount)}},
                {rlc_, ev::Erc20Transfer{addr(from), hub_, U256(amount)}},
                {hub_, ev::Erc20Transfer{Address(), addr(from), U256(amount)}}};
    }
    Expected withdraw_events(std::size_t from, std::uint64_t amount) const {
        // burn SRLC (hub Transfer from → 0), then RLC.transfer(hub → from).
        return {{hub_, ev::Erc20Transfer{addr(from), Address(), U256(amount)}},
                {rlc_, ev::Erc20Transfer{hub_, addr(from), U256(amount)}}};
    }
    Address addr(std::size_t i) const { return keys_.at(i).address(); }

    static Expected decode_all(const std::vector<chain::Log>& logs) {
        Expected out;
        for (const auto& log : logs) {
            auto e = chain::decode_poco_event(log);
            EXPECT_TRUE(e) << e.error().message;
            if (e) out.emplace_back(log.address, *e);
        }
        return out;
    }
    static void append(Expected& to, const Expected& more) { to.insert(to.end(), more.begin(), more.end()); }

    std::unique_ptr<devnet::Devnet> devnet_;
    std::filesystem::path data_dir_;
    std::unique_ptr<chain::JsonRpcClient> rpc_;
    std::unique_ptr<chain::EthClient> eth_;
    std::vector<PrivateKey> keys_;
    Address hub_;
    Address rlc_;
};

std::string describe(const std::vector<std::pair<Address, PocoEvent>>& events) {
    std::string out;
    for (const auto& [a, e] : events) out += std::string(chain::event_name(e)) + "@" + a.to_checksum() + " ";
    return out;
}

TEST_F(EventFeedAnvil, OrderedDeliveryAcrossBoundedRanges) {
    const std::uint64_t start = head() + 1;
    std::vector<chain::Receipt> receipts;
    Expected expected;
    receipts.push_back(rlc_transfer(1, 2, 1'000));
    append(expected, transfer_events(1, 2, 1'000));
    receipts.push_back(deposit(2, 500));
    append(expected, deposit_events(2, 500));
    receipts.push_back(rlc_transfer(2, 3, 7));
    append(expected, transfer_events(2, 3, 7));
    receipts.push_back(withdraw(1, 250));
    append(expected, withdraw_events(1, 250));
    mine(2);  // empty blocks
    receipts.push_back(deposit(3, 42));
    append(expected, deposit_events(3, 42));
    receipts.push_back(withdraw(3, 40));
    append(expected, withdraw_events(3, 40));
    const std::uint64_t end = head();
    ASSERT_EQ(end - start + 1, 8u);

    EventFeed feed(*eth_, options(3), FeedCursor::at(start));
    std::vector<chain::Log> logs;
    std::size_t polls = 0;
    for (bool caught_up = false; !caught_up && polls < 100; ++polls) {
        auto batch = feed.poll();
        ASSERT_TRUE(batch) << batch.error().message;
        EXPECT_FALSE(batch->rollback_from);
        EXPECT_LE(batch->block_count, 3u);
        for (const auto& l : batch->logs) {
            EXPECT_GE(l.block_number, batch->from_block);
            EXPECT_LT(l.block_number, batch->from_block + batch->block_count);
        }
        logs.insert(logs.end(), batch->logs.begin(), batch->logs.end());
        caught_up = batch->caught_up;
    }
    EXPECT_EQ(polls, 3u);  // 8 blocks in ranges of 3
    EXPECT_EQ(feed.cursor().next_block, end + 1);

    const auto got = decode_all(logs);
    EXPECT_EQ(got, expected) << "got " << describe(got) << "\nexpected " << describe(expected);
    // Block numbers / hashes / log indexes are those of the receipts, in order.
    std::vector<chain::Log> receipt_logs;
    for (const auto& r : receipts) receipt_logs.insert(receipt_logs.end(), r.logs.begin(), r.logs.end());
    ASSERT_EQ(logs.size(), receipt_logs.size());
    for (std::size_t i = 0; i < logs.size(); ++i) {
        EXPECT_EQ(logs[i].block_number, receipt_logs[i].block_number) << i;
        EXPECT_EQ(logs[i].block_hash, receipt_logs[i].block_hash) << i;
        EXPECT_EQ(logs[i].log_index, receipt_logs[i].log_index) << i;
        EXPECT_EQ(logs[i].transaction_hash, receipt_logs[i].transaction_hash) << i;
    }

    // Topic filter: only SRLC/RLC transfers whose `to` is account 3 (topic 2).
    FeedOptions only_to3 = options(1000);
    only_to3.topics = {std::vector<Bytes32>{chain::poco_event_specs()[0].topic0}, std::nullopt,
                       std::vector<Bytes32>{addr(3).to_word()}};
    EventFeed filtered(*eth_, only_to3, FeedCursor::at(start));
    auto batch = filtered.poll();
    ASSERT_TRUE(batch);
    const Expected to3 = {{rlc_, ev::Erc20Transfer{addr(2), addr(3), U256(7)}},
                          {hub_, ev::Erc20Transfer{Address(), addr(3), U256(42)}},
                          {rlc_, ev::Erc20Transfer{hub_, addr(3), U256(40)}}};
    EXPECT_EQ(decode_all(batch->logs), to3) << describe(decode_all(batch->logs));
}

TEST_F(EventFeedAnvil, ConfirmationDepth) {
    const std::uint64_t start = head() + 1;
    EventFeed feed(*eth_, options(1000, 2), FeedCursor::at(start));
    rlc_transfer(1, 2, 11);  // block start
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    EXPECT_TRUE(batch->logs.empty());
    EXPECT_TRUE(batch->caught_up);
    mine(1);  // head start + 1: still 1 confirmation only
    batch = feed.poll();
    ASSERT_TRUE(batch);
    EXPECT_TRUE(batch->logs.empty());
    mine(1);  // head start + 2: block start has 2 confirmations
    batch = feed.poll();
    ASSERT_TRUE(batch);
    EXPECT_EQ(decode_all(batch->logs), transfer_events(1, 2, 11));
    EXPECT_EQ(batch->cursor.next_block, start + 1);
    EXPECT_EQ(batch->head, start + 2);
}

TEST_F(EventFeedAnvil, RestartFromPersistedCursor) {
    const std::uint64_t start = head() + 1;
    Expected expected;
    rlc_transfer(1, 2, 1);
    append(expected, transfer_events(1, 2, 1));
    deposit(1, 2);
    append(expected, deposit_events(1, 2));
    rlc_transfer(1, 3, 3);
    append(expected, transfer_events(1, 3, 3));

    const auto cursor_file = data_dir_ / "cursor.json";
    Expected delivered;
    {
        EventFeed feed(*eth_, options(2), FeedCursor::at(start));
        auto batch = feed.poll();  // blocks start, start + 1
        ASSERT_TRUE(batch) << batch.error().message;
        append(delivered, decode_all(batch->logs));
        std::ofstream(cursor_file) << batch->cursor.to_json_text();
        // The next batch is read but its effects are never committed (the process "crashes").
        auto lost = feed.poll();
        ASSERT_TRUE(lost);
        EXPECT_FALSE(lost->logs.empty());
    }
    // More events while the consumer is down.
    withdraw(1, 2);
    append(expected, withdraw_events(1, 2));

    std::ifstream in(cursor_file);
    std::stringstream text;
    text << in.rdbuf();
    auto cursor = FeedCursor::from_json_text(text.str());
    ASSERT_TRUE(cursor) << cursor.error().message;
    EXPECT_EQ(cursor->next_block, start + 2);
    EventFeed restarted(*eth_, options(2), *cursor);
    for (int i = 0; i < 10; ++i) {
        auto batch = restarted.poll();
        ASSERT_TRUE(batch) << batch.error().message;
        append(delivered, decode_all(batch->logs));
        if (batch->caught_up) break;
    }
    EXPECT_EQ(delivered, expected) << "got " << describe(delivered) << "\nexpected " << describe(expected);
}

TEST_F(EventFeedAnvil, ReorgIsRolledBackAndRedelivered) {
    const std::uint64_t start = head() + 1;
    EventFeed feed(*eth_, options(1000, 0), FeedCursor::at(start));
    rlc_transfer(1, 2, 100);  // block `start`, survives the reorg
    auto first = feed.poll();
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(decode_all(first->logs), transfer_events(1, 2, 100));

    auto snapshot = rpc_->call("evm_snapshot");
    ASSERT_TRUE(snapshot) << snapshot.error().message;
    const std::uint64_t fork = head() + 1;
    ASSERT_EQ(fork, start + 1);
    rlc_transfer(1, 3, 200);  // fork
    deposit(2, 300);          // fork + 1
    auto old_branch = feed.poll();
    ASSERT_TRUE(old_branch) << old_branch.error().message;
    Expected old_events = transfer_events(1, 3, 200);
    append(old_events, deposit_events(2, 300));
    EXPECT_EQ(decode_all(old_branch->logs), old_events);
    std::set<Bytes32> old_blocks;
    for (const auto& l : old_branch->logs) old_blocks.insert(l.block_hash);

    auto reverted = rpc_->call("evm_revert", boost::json::array{*snapshot});
    ASSERT_TRUE(reverted) << reverted.error().message;
    ASSERT_EQ(head(), start);
    // A different branch: other transactions at the same heights, then one block more.
    rlc_transfer(2, 1, 7);  // fork
    mine(1);                // fork + 1 (empty)
    withdraw(3, 5);         // fork + 2
    auto batch = feed.poll();
    ASSERT_TRUE(batch) << batch.error().message;
    ASSERT_TRUE(batch->rollback_from);
    EXPECT_EQ(*batch->rollback_from, fork);
    EXPECT_EQ(batch->from_block, fork);
    Expected new_events = transfer_events(2, 1, 7);
    append(new_events, withdraw_events(3, 5));
    EXPECT_EQ(decode_all(batch->logs), new_events) << describe(decode_all(batch->logs));
    for (const auto& l : batch->logs) {
        EXPECT_FALSE(old_blocks.count(l.block_hash)) << "a log of the abandoned branch";
        EXPECT_EQ(l.block_hash, eth_->get_block_by_number(chain::BlockTag::number(l.block_number)).value()->hash);
    }
    EXPECT_TRUE(batch->caught_up);
    // The old events never come back; later events keep flowing.
    rlc_transfer(3, 2, 9);
    auto next = feed.poll();
    ASSERT_TRUE(next) << next.error().message;
    EXPECT_FALSE(next->rollback_from);
    EXPECT_EQ(decode_all(next->logs), transfer_events(3, 2, 9));
}

}  // namespace
}  // namespace wp
