// `iexec-pool up` against the real chain (label "anvil"):
//  - UpChain: the chain `up` runs (anvil + up_chain_anvil_args()) makes blocks with no traffic, so a wait for a
//    receipt at confirmation depth 2 completes when nothing else is sent (plain automine would wait forever);
//    `--block-time S` mines on the interval only (transactions sent together share a block); bad values refused;
//  - UpCommand: the binary end to end, started as the README does (non-interactively): the info file with every
//    field, the workerpool and the demo apps on chain with the bundles' checksums, the market answering; the
//    supervised market SIGKILLed is restarted; SIGINT stops everything (exit 0, ports free); a second run resumes
//    the same chain (nothing redeployed, same addresses, the chain's height kept).
#include <unistd.h>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/hex.hpp>
#include <wp/devnet/anvil.hpp>
#include <wp/devnet/dev_accounts.hpp>
#include <wp/devnet/tx_sender.hpp>
#include <wp/net/http_client.hpp>
#include <wp/poolcli/iexec_pool_cli.hpp>
#include <wp/poolcli/up_cmd.hpp>
#include <wp/sys/process.hpp>
#include <wp/sys/tcp.hpp>

#include "../support/test_ports.hpp"

namespace wp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Bounded polling (the bound only stops a hang; nothing here asserts a duration).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

// anvil with `up`'s arguments for `block_time` (poolcli::up_chain_anvil_args), and a client of it.
struct UpChainNode {
    static std::unique_ptr<UpChainNode> start(double block_time) {
        auto port = sys::find_free_tcp_port();
        EXPECT_TRUE(port);
        if (!port) return nullptr;
        devnet::AnvilOptions options;
        options.binary = WP_ANVIL_BIN;
        options.port = *port;
        options.extra_args = poolcli::up_chain_anvil_args(block_time);
        auto node = devnet::AnvilNode::start(options);
        EXPECT_TRUE(node) << node.error().message;
        if (!node) return nullptr;
        return std::make_unique<UpChainNode>(std::move(*node));
    }
    explicit UpChainNode(devnet::AnvilNode n) : node(std::move(n)), rpc(chain::JsonRpcOptions{.url = node.url()}) {}

    // `count` transfers (1, 2, … wei) from dev account 0 to dev account 1, signed with consecutive nonces from the
    // pending one; empty after a failure (reported).
    std::vector<devnet::SignedTx> signed_transfers(std::uint64_t count) {
        auto keys = devnet::dev_keys(2);
        auto fees = devnet::suggest_fees(eth);
        EXPECT_TRUE(fees) << fees.error().message;
        auto nonce = eth.get_transaction_count(keys[0].address(), chain::BlockTag::pending());
        EXPECT_TRUE(nonce);
        if (!fees || !nonce) return {};
        std::vector<devnet::SignedTx> txs;
        for (std::uint64_t i = 0; i < count; ++i) {
            devnet::TxRequest request{keys[1].address(), {}, U256(1 + i), 21'000, "transfer"};
            auto tx = devnet::sign_transaction(request, keys[0], 31337, *nonce + i, *fees);
            EXPECT_TRUE(tx) << tx.error().message;
            if (!tx) return {};
            txs.push_back(*tx);
        }
        return txs;
    }

    devnet::AnvilNode node;
    chain::JsonRpcClient rpc;
    chain::EthClient eth{rpc};
};

TEST(UpChain, AReceiptReachesDepthTwoWithNoOtherTraffic) {
    auto chain = UpChainNode::start(0);
    ASSERT_TRUE(chain);
    auto& rpc = chain->rpc;
    auto& eth = chain->eth;

    // One plain transfer; then nothing else is sent.
    const auto txs = chain->signed_transfers(1);
    ASSERT_EQ(txs.size(), 1u);
    const auto* tx = &txs[0];
    auto receipts = devnet::send_and_confirm(rpc, txs, 30s);
    ASSERT_TRUE(receipts) << receipts.error().message;
    const std::uint64_t mined_in = receipts->at(0).block_number;

    // Depth 2 (TxManager's convention: head + 1 >= block + 2) needs one more block, which only the timer makes.
    std::uint64_t head = 0;
    EXPECT_TRUE(eventually(
        [&] {
            auto b = eth.block_number();
            if (b) head = *b;
            return b && *b + 1 >= mined_in + 2;
        },
        30s))
        << "no block after " << mined_in << " without traffic (head " << head << ")";
    auto again = eth.get_transaction_receipt(tx->hash);
    ASSERT_TRUE(again);
    ASSERT_TRUE(again->has_value());
    EXPECT_EQ((*again)->block_number, mined_in);
}

// `up --block-time S` (S > 0): interval mining only, so transactions sent together share a block instead of each
// making one (anvil's cost per block grows with PoCo's storage: README "A long-lived local chain").
TEST(UpChain, BlockTimeMinesOnTheIntervalOnly) {
    EXPECT_EQ(poolcli::up_chain_anvil_args(0), (std::vector<std::string>{"--block-time", "1", "--mixed-mining"}));
    EXPECT_EQ(poolcli::up_chain_anvil_args(0.5), (std::vector<std::string>{"--block-time", "0.5"}));
    auto chain = UpChainNode::start(0.5);
    ASSERT_TRUE(chain);
    auto automine = chain->rpc.call("anvil_getAutomine");
    ASSERT_TRUE(automine) << automine.error().message;
    EXPECT_EQ(*automine, boost::json::value(false)) << "no block per transaction with --block-time";

    // Six transfers sent back to back (milliseconds, against a 500 ms interval): at most two blocks hold them.
    const auto txs = chain->signed_transfers(6);
    ASSERT_EQ(txs.size(), 6u);
    auto receipts = devnet::send_and_confirm(chain->rpc, txs, 30s);
    ASSERT_TRUE(receipts) << receipts.error().message;
    std::set<std::uint64_t> blocks;
    for (const auto& r : *receipts) blocks.insert(r.block_number);
    EXPECT_LE(blocks.size(), 2u);
}

// Bad values of `up --block-time` are refused before anything starts, naming the flag and the rule.
TEST(UpChain, BlockTimeOutOfRangeIsRefused) {
    for (double bad : {-1.0, 0.05, 61.0, std::nan("")}) {
        poolcli::UpArgs args;
        args.block_time = bad;
        args.data_dir = (fs::temp_directory_path() / "wp_up_block_time_never_created").string();
        std::ostringstream out, err;
        EXPECT_EQ(poolcli::run_up(args, out, err), 2) << bad;
        EXPECT_NE(err.str().find("up: --block-time: 0 (a block per transaction and one per second) or 0.1 to 60"),
                  std::string::npos)
            << err.str();
        EXPECT_FALSE(fs::exists(args.data_dir));
    }
}

// A command line that does not parse is a bad argument too: exit 2 with CLI11's message naming the option.
TEST(UpChain, AValueOfTheWrongTypeExitsWithTwo) {
    for (const char* flag : {"--block-time", "--workers"}) {
        const char* argv[] = {"iexec-pool", "up", flag, "abc"};
        std::ostringstream out, err;
        EXPECT_EQ(poolcli::run_iexec_pool(4, argv, out, err), 2) << flag;
        EXPECT_NE(err.str().find(flag), std::string::npos) << err.str();
    }
    const char* unknown[] = {"iexec-pool", "up", "--no-such-flag"};
    std::ostringstream out, err;
    EXPECT_EQ(poolcli::run_iexec_pool(3, unknown, out, err), 2);
    EXPECT_NE(err.str().find("--no-such-flag"), std::string::npos) << err.str();
}

struct UpRun {
    sys::Process process;
    fs::path out;
};

class UpCommand : public ::testing::Test {
  protected:
    void SetUp() override {
        // Three consecutive free ports (chain, market, core), below the ephemeral range, each checked by binding it
        // (tests/support/test_ports.hpp says why).
        base_ = test::pick_free_ports(3);
        ASSERT_NE(base_, 0);
        dir_ = fs::temp_directory_path() / ("wp-up-test-" + std::to_string(base_));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    UpRun start(const std::string& tag) {
        sys::SpawnOptions spawn;
        spawn.argv = {WP_IEXEC_POOL_BIN, "up",          "--workers",           "2",           "--data-dir",
                      data().string(),   "--port-base", std::to_string(base_), "--info-file", info().string()};
        spawn.env = {"WP_ANVIL_BIN=" WP_ANVIL_BIN, "WP_POCO_DIR=" WP_POCO_DIR, "WP_DEMO_APPS_DIR=" WP_DEMO_APPS_DIR};
        UpRun run;
        run.out = dir_ / ("up-" + tag + ".log");
        spawn.stdout_path = run.out.string();
        spawn.stderr_path = run.out.string();
        auto p = sys::Process::spawn(spawn);
        EXPECT_TRUE(p) << p.error().message;
        if (p) run.process = std::move(*p);
        return run;
    }
    static std::string text(const fs::path& p) { return sys::read_text_file(p.string()).value_or(""); }
    bool wait_info(UpRun& run) {
        return eventually(
                   [&] {
                       if (fs::exists(info())) return true;
                       auto ended = run.process.try_wait();
                       return !ended || ended->has_value();
                   },
                   180s) &&
               fs::exists(info());
    }
    fs::path data() const { return dir_ / "data"; }
    fs::path info() const { return dir_ / "info.json"; }

    std::uint16_t base_{0};
    fs::path dir_;
};

TEST_F(UpCommand, StartsEverythingRestartsACrashedServiceStopsOnSigintAndResumes) {
    auto run = start("first");
    ASSERT_TRUE(wait_info(run)) << text(run.out);
    const std::string info_text = text(info());
    boost::system::error_code ec;
    auto parsed = boost::json::parse(info_text, ec);
    ASSERT_FALSE(ec) << info_text;
    const auto& o = parsed.as_object();
    for (const char* key : {"chainId", "rpc", "hub", "token", "market", "core", "dashboard", "workerpool",
                            "workerpoolOwner", "appOwner", "requester", "workers", "apps", "chainJson"})
        EXPECT_TRUE(o.contains(key)) << key;
    EXPECT_EQ(o.size(), 14u);
    EXPECT_EQ(o.at("chainId").as_int64(), 31337);
    EXPECT_EQ(o.at("rpc").as_string(), "http://127.0.0.1:" + std::to_string(base_));
    EXPECT_EQ(o.at("market").as_string(), "http://127.0.0.1:" + std::to_string(base_ + 1));
    EXPECT_EQ(o.at("dashboard").as_string(), "http://127.0.0.1:" + std::to_string(base_ + 2) + "/dashboard/");
    EXPECT_EQ(o.at("workers").as_array().size(), 2u);
    EXPECT_EQ(o.at("requester").at("address").as_string(), devnet::dev_keys(4)[3].address().to_checksum());
    EXPECT_EQ(o.at("requester").at("privateKey").as_string(), devnet::dev_private_key_hex(3));
    EXPECT_TRUE(fs::exists(std::string(o.at("chainJson").as_string())));

    // On chain: the workerpool is registered, each demo app carries its bundle's sha256 and a file:// multiaddr.
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = std::string(o.at("rpc").as_string());
    chain::JsonRpcClient rpc(rpc_options);
    chain::EthClient eth(rpc);
    chain::Hub hub(eth, Address::parse(std::string_view(o.at("hub").as_string())).value());
    ASSERT_TRUE(hub.resolve_addresses());
    const auto pool = Address::parse(std::string_view(o.at("workerpool").as_string())).value();
    EXPECT_TRUE(hub.is_registered(chain::RegistryKind::kWorkerpool, pool).value());
    const auto& apps = o.at("apps").as_object();
    EXPECT_EQ(apps.size(), 4u);
    for (const auto& name : poolcli::demo_app_names()) {
        ASSERT_TRUE(apps.contains(name)) << name;
        const auto app = Address::parse(std::string_view(apps.at(name).as_string())).value();
        auto entry = hub.view_app(app);
        ASSERT_TRUE(entry) << name;
        std::string sum = text(fs::path(WP_DEMO_APPS_DIR) / (name + ".tar.gz.sha256"));
        sum.pop_back();
        EXPECT_EQ(entry->app_checksum, bytes32_from_hex(sum).value()) << name;
        const std::string multiaddr(entry->app_multiaddr.begin(), entry->app_multiaddr.end());
        EXPECT_EQ(multiaddr, "file://" + (data() / "apps" / (name + ".tar.gz")).string());
        EXPECT_TRUE(fs::exists(data() / "apps" / (name + ".tar.gz")));
    }
    const auto height = eth.block_number().value();

    // The market answers; SIGKILLed, it is restarted by up.
    net::HttpClient http;
    const std::string version = std::string(o.at("market").as_string()) + "/version";
    ASSERT_EQ(http.get(version).value().status, 200u);
    // The standard workerpool order and one app order per demo app are published, and the TEE-simulation ones: a
    // workerpool order and an app order per demo app for each of tee+tdx, tee+scone, tee+gramine.
    auto count = [&](const std::string& query) -> std::int64_t {
        auto r = http.get(std::string(o.at("market").as_string()) + query);
        if (!r || r->status != 200) return -1;
        return boost::json::parse(r->body).at("count").as_int64();
    };
    EXPECT_EQ(count("/workerpoolorders?chainId=31337&workerpool=" + std::string(o.at("workerpool").as_string())), 4);
    for (const auto& name : poolcli::demo_app_names())
        EXPECT_EQ(count("/apporders?chainId=31337&app=" + std::string(apps.at(name).as_string())), 4) << name;
    const std::string tdx_tag = "0x0000000000000000000000000000000000000000000000000000000000000009";
    EXPECT_EQ(count("/workerpoolorders?chainId=31337&minTag=" + tdx_tag +
                    "&workerpool=" + std::string(o.at("workerpool").as_string())),
              1);
    EXPECT_NE(text(data() / "logs" / "up.log").find("starting market (start 1)"), std::string::npos);
    // The market's pid: the one child of up running `market` (found through /proc, no name matching).
    pid_t market_pid = 0;
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string stat = text(e.path() / "stat");
        const std::string cmd = text(e.path() / "cmdline");
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 2));
        std::string state;
        long ppid = 0;
        rest >> state >> ppid;
        if (ppid == run.process.pid() && cmd.find(std::string("market") + '\0') != std::string::npos)
            market_pid = static_cast<pid_t>(std::stol(e.path().filename().string()));
    }
    ASSERT_NE(market_pid, 0);
    ASSERT_EQ(::kill(market_pid, SIGKILL), 0);
    EXPECT_TRUE(eventually(
        [&] { return text(data() / "logs" / "up.log").find("starting market (start 2)") != std::string::npos; }, 60s));
    EXPECT_TRUE(fs::exists(data() / "logs" / "market.log.previous"));
    EXPECT_TRUE(eventually(
        [&] {
            auto r = http.get(version);
            return r && r->status == 200;
        },
        60s))
        << text(run.out);

    // SIGINT: clean stop, ports free.
    ASSERT_TRUE(run.process.kill(SIGINT));
    auto status = run.process.wait_for(60s);
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_TRUE(status->success()) << status->to_string() << "\n" << text(run.out);
    EXPECT_FALSE(sys::wait_for_tcp_port("127.0.0.1", base_, 200ms));
    EXPECT_FALSE(sys::wait_for_tcp_port("127.0.0.1", static_cast<std::uint16_t>(base_ + 1), 200ms));

    // Again: the same chain resumed, nothing deployed, the same info.
    fs::remove(info());
    auto second = start("second");
    ASSERT_TRUE(wait_info(second)) << text(second.out);
    EXPECT_EQ(text(info()), info_text);
    const std::string out2 = text(second.out);
    EXPECT_NE(out2.find("resumed the chain"), std::string::npos) << out2;
    EXPECT_NE(out2.find("already deployed"), std::string::npos) << out2;
    EXPECT_EQ(out2.find("deploying PoCo"), std::string::npos) << out2;
    chain::JsonRpcClient rpc2(rpc_options);
    chain::EthClient eth2(rpc2);
    EXPECT_GE(eth2.block_number().value(), height);
    ASSERT_TRUE(second.process.kill(SIGINT));
    auto status2 = second.process.wait_for(60s);
    ASSERT_TRUE(status2);
    EXPECT_TRUE(status2->success()) << status2->to_string();
}

}  // namespace
}  // namespace wp
