// wp_lifecycle_bench: transactions through TxManager against the ceiling of the same transactions pre-signed and sent
// in raw JSON-RPC batches, measured in the same run (the ratio is what to read: the absolute numbers depend on the
// machine).
//
//   ./build/bin/wp_lifecycle_bench [--mode lifecycle|transfers] [--tasks N] [--workers K] [--rounds R] [--batch B]
//                                  [--repeat N] [--concurrent] [--block-time S] [--anvil-arg ARG]...
//
// --mode lifecycle (default): the whole PoCo task lifecycle on a devnet (anvil + PoCo 6.1.0 by our deployer + funding,
//   libs/wp/devnet), an app and a workerpool, one deal of volume N at trust 1 per run (local-chain.md §5 prices).
//   Timed, per run, four phases: initialize(deal, i) × N from the scheduler; contribute × N (task i by worker i mod K);
//   reveal × N (same workers); finalize × N from the scheduler. Gas: eth_estimateGas of the first transaction of each
//   phase (the state it needs is mined by then) × 1.2 + 20,000 for the whole phase (both runs use the same limits).
//   Two runs per round, alternating which goes first (anvil's per-block cost grows with the chain):
//     presigned  the ceiling: each phase's transactions signed before the timer, then sent in raw JSON-RPC batches of
//                B eth_sendRawTransaction and their receipts polled in batches (evm_mine when no receipt arrives for
//                300 ms: anvil's out-of-order-nonce stall, see tx_manager.hpp);
//     manager    each phase's calls submitted to one TxManager per wallet (FileTxJournal in a temp dir, fixed gas
//                limits, broadcast_batch_size B, stall_kick_method evm_mine), one thread per wallet calling poll()
//                until its calls are confirmed; signing and journaling are inside the timed part.
// --mode transfers: N ETH transfers (21,000 gas) from one wallet, pre-signed in raw batches vs through TxManager, each
//   run on a FRESH anvil (no PoCo); the two alternate which goes first; --repeat N runs each N times per round and
//   compares the fastest of each (a shared machine's load spikes hit single runs); --concurrent runs the two at the
//   same time, each on its own fresh anvil, so that both see the same load (they also compete with each other).
// Reported: wall time, transactions/s, tasks/s and the ratio manager / presigned throughput (goal >= 0.90), then the
// ratios' min / median / max over the rounds and how many are below 0.90.
// --block-time S switches anvil to interval mining after the setup (default: automine); --anvil-arg passes an argument
// to anvil (e.g. --anvil-arg --prune-history).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#include <boost/json.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/chain/tx_journal.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/devnet/dev_accounts.hpp>
#include <wp/devnet/devnet.hpp>
#include <wp/devnet/tx_sender.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/order.hpp>
#include <wp/sys/tcp.hpp>

#include "../bench_support.hpp"
#include "presigned.hpp"

namespace {

using namespace wp;
using namespace wp::bench;  // the dev accounts' roles, fail, must, seconds_since, SteadyClock

enum class Mode { kPresigned, kManager };
const char* mode_name(Mode m) { return m == Mode::kPresigned ? "presigned" : "manager"; }

//! One call to send from dev account `account` with a fixed gas limit.
struct Job {
    std::size_t account;
    chain::ContractCall call;
    std::uint64_t gas;
};

struct Wallet {
    PrivateKey key;
    Address address;
};

struct Bench {
    std::unique_ptr<chain::JsonRpcClient> rpc;
    std::unique_ptr<chain::EthClient> eth;
    std::unique_ptr<chain::Hub> hub;
    std::uint64_t chain_id{0};
    std::vector<Wallet> wallets;  //!< the 10 dev accounts
    std::size_t batch{100};
    bool automine{true};
    std::filesystem::path journal_dir;
    std::map<std::size_t, std::unique_ptr<chain::TxManager>> managers;  //!< by account, opened on first use

    Wallet& wallet(std::size_t i) { return wallets.at(i); }

    std::uint64_t gas_for(const chain::ContractCall& call, const Address& from) {
        const auto gas = must(hub->estimate_gas(call, from), "estimate " + call.description);
        return gas + gas / 5 + 20'000;
    }

    chain::TxManager& manager(std::size_t account) {
        auto& m = managers[account];
        if (!m) {
            auto journal = must(
                chain::FileTxJournal::open(journal_dir / ("wallet-" + std::to_string(account) + ".jsonl")), "journal");
            chain::TxManagerOptions options;
            options.broadcast_batch_size = batch;
            if (automine) options.stall_kick_method = "evm_mine";  // interval mining: blocks come anyway
            options.poll_interval = std::chrono::milliseconds(2);
            m = must(chain::TxManager::open(*rpc, wallet(account).key, std::move(journal), options), "TxManager::open");
        }
        return *m;
    }

    //! The jobs, timed: presigned (signed first, untimed) or through the wallets' managers. Returns (seconds, gas).
    std::pair<double, std::uint64_t> run(Mode mode, std::vector<Job> jobs) {
        if (mode == Mode::kPresigned) {
            // Signed before the timer (presigned.hpp): interleaved across wallets, in nonce order per wallet.
            std::vector<bench::PresignedCall> calls;
            for (auto& job : jobs) calls.push_back({&wallet(job.account).key, std::move(job.call), job.gas});
            const auto txs = must(bench::presign(*eth, chain_id, calls), "presign");
            const auto t0 = SteadyClock::now();
            const auto sent = must(bench::send_presigned(*rpc, txs, batch, automine), "presigned");
            return {seconds_since(t0), sent.gas_used};
        }
        std::map<std::size_t, std::vector<Job>> by_wallet;
        for (auto& job : jobs) by_wallet[job.account].push_back(std::move(job));
        for (auto& [account, list] : by_wallet) (void)manager(account);  // opened before the timer
        const auto t0 = SteadyClock::now();
        std::vector<std::thread> threads;
        std::vector<std::uint64_t> gas(by_wallet.size(), 0);
        std::size_t k = 0;
        for (auto& [account, list] : by_wallet) {
            threads.emplace_back([this, account = account, &list = list, &g = gas[k++]] {
                auto& m = managers.at(account);
                for (auto& job : list) {
                    chain::SubmitOptions o;
                    o.gas_limit = job.gas;
                    (void)m->submit(std::move(job.call), o);
                }
                std::size_t done = 0;
                const auto deadline = SteadyClock::now() + std::chrono::seconds(300);
                while (done < list.size()) {
                    auto outcomes = m->poll();
                    if (!outcomes) {
                        std::fprintf(stderr, "poll: %s\n", outcomes.error().message.c_str());
                    } else {
                        for (const auto& o : *outcomes) {
                            if (!o.ok()) fail(o.error ? o.error->message : o.description + ": failed");
                            g += o.receipt->gas_used;
                            ++done;
                        }
                    }
                    if (SteadyClock::now() > deadline) fail("TxManager: timeout");
                    if (done < list.size()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
                }
            });
        }
        for (auto& t : threads) t.join();
        std::uint64_t total = 0;
        for (auto g : gas) total += g;
        return {seconds_since(t0), total};
    }
};

struct PhaseTimes {
    double initialize{0}, contribute{0}, reveal{0}, finalize{0};
    std::uint64_t gas_used{0};  //!< Σ receipt.gasUsed of the four phases
    double total() const { return initialize + contribute + reveal + finalize; }
};

//! The lifecycle of N tasks of `deal_id`; returns the time of each phase.
PhaseTimes run_lifecycle(Bench& b, Mode mode, const Bytes32& deal_id, std::size_t n, std::size_t workers) {
    PhaseTimes times;
    Wallet& scheduler = b.wallet(kScheduler);
    const Bytes32 digest = keccak256(as_bytes("bench result"));
    std::vector<Bytes32> tasks(n);
    for (std::size_t i = 0; i < n; ++i) tasks[i] = task_id(deal_id, U256(i));
    auto worker_of = [&](std::size_t i) { return kWorkerAccounts[i % workers]; };
    auto phase = [&](std::vector<Job> jobs, double& time) {
        auto [seconds, gas] = b.run(mode, std::move(jobs));
        time = seconds;
        times.gas_used += gas;
    };
    {
        std::vector<Job> jobs;
        const std::uint64_t gas = b.gas_for(must(b.hub->initialize(deal_id, U256(0)), "initialize"), scheduler.address);
        for (std::size_t i = 0; i < n; ++i) {
            jobs.push_back({kScheduler, must(b.hub->initialize(deal_id, U256(i)), "initialize"), gas});
        }
        phase(std::move(jobs), times.initialize);
    }
    {
        std::vector<Job> jobs;
        std::uint64_t gas = 0;
        for (std::size_t i = 0; i < n; ++i) {
            Wallet& w = b.wallet(worker_of(i));
            const Bytes auth = sign_authorization(scheduler.key, w.address, tasks[i], Address{});
            auto call = must(b.hub->contribute(tasks[i], result_hash(tasks[i], digest),
                                               result_seal(w.address, tasks[i], digest), Address{}, {}, auth),
                             "contribute");
            if (gas == 0) gas = b.gas_for(call, w.address);
            jobs.push_back({worker_of(i), std::move(call), gas});
        }
        phase(std::move(jobs), times.contribute);
    }
    {
        std::vector<Job> jobs;
        std::uint64_t gas = 0;
        for (std::size_t i = 0; i < n; ++i) {
            auto call = must(b.hub->reveal(tasks[i], digest), "reveal");
            if (gas == 0) gas = b.gas_for(call, b.wallet(worker_of(i)).address);
            jobs.push_back({worker_of(i), std::move(call), gas});
        }
        phase(std::move(jobs), times.reveal);
    }
    {
        std::vector<Job> jobs;
        const Bytes results(as_bytes("ipfs://bench").begin(), as_bytes("ipfs://bench").end());
        std::uint64_t gas = 0;
        for (std::size_t i = 0; i < n; ++i) {
            auto call = must(b.hub->finalize(tasks[i], results, {}), "finalize");
            if (gas == 0) gas = b.gas_for(call, scheduler.address);
            jobs.push_back({kScheduler, std::move(call), gas});
        }
        phase(std::move(jobs), times.finalize);
    }
    // Spot check: every task COMPLETED.
    for (std::size_t i : {std::size_t{0}, n - 1}) {
        const auto task = must(b.hub->view_task(tasks[i]), "viewTask");
        if (task.status != TaskStatus::kCompleted) fail("task " + std::to_string(i) + " is not COMPLETED");
    }
    return times;
}

struct Options {
    std::string mode{"lifecycle"};
    std::size_t tasks{100};
    std::size_t workers{6};
    std::size_t rounds{1};
    std::size_t batch{100};
    std::size_t block_time{0};            //!< 0: automine; else evm_setIntervalMining
    std::size_t repeat{1};                //!< --mode transfers: runs of each kind per round, the fastest compared
    bool concurrent{false};               //!< --mode transfers: both kinds at the same time, on two anvils
    std::vector<std::string> anvil_args;  //!< extra anvil arguments (e.g. --prune-history)
};

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::size_t {
            if (i + 1 >= argc) fail("missing value after " + std::string(arg));
            return static_cast<std::size_t>(std::strtoull(argv[++i], nullptr, 10));
        };
        if (arg == "--tasks") {
            o.tasks = value();
        } else if (arg == "--workers") {
            o.workers = value();
        } else if (arg == "--rounds") {
            o.rounds = value();
        } else if (arg == "--batch") {
            o.batch = value();
        } else if (arg == "--concurrent") {
            o.concurrent = true;
        } else if (arg == "--repeat") {
            o.repeat = value();
        } else if (arg == "--block-time") {
            o.block_time = value();
        } else if (arg == "--mode") {
            if (i + 1 >= argc) fail("missing value after --mode");
            o.mode = argv[++i];
        } else if (arg == "--anvil-arg") {
            if (i + 1 >= argc) fail("missing value after --anvil-arg");
            o.anvil_args.emplace_back(argv[++i]);
        } else {
            fail(
                "usage: wp_lifecycle_bench [--mode lifecycle|transfers] [--tasks N] [--workers K (1-6)] [--rounds R] "
                "[--batch B] [--repeat N] [--concurrent] [--block-time S] [--anvil-arg ARG]...");
        }
    }
    if (o.tasks == 0 || o.workers == 0 || o.workers > std::size(kWorkerAccounts) || o.rounds == 0 || o.batch == 0 ||
        o.repeat == 0 || (o.mode != "lifecycle" && o.mode != "transfers")) {
        fail("--mode lifecycle|transfers, --tasks ≥ 1, 1 ≤ --workers ≤ 6, --rounds ≥ 1, --batch ≥ 1, --repeat ≥ 1");
    }
    return o;
}

void connect(Bench& b, const std::string& url, const std::vector<DeploymentAccount>& accounts) {
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = url;
    b.managers.clear();
    b.hub.reset();
    b.eth.reset();
    b.rpc = std::make_unique<chain::JsonRpcClient>(rpc_options);
    b.eth = std::make_unique<chain::EthClient>(*b.rpc);
    b.chain_id = must(b.eth->chain_id(), "chain id");
    b.wallets.clear();
    for (const auto& account : accounts) {
        b.wallets.push_back({must(PrivateKey::from_bytes(account.private_key.view()), "key"), account.address});
    }
}

//! "ratios over R rounds: min / median / max, K below 0.90".
void print_ratio_summary(std::vector<double> ratios) {
    if (ratios.empty()) return;
    std::sort(ratios.begin(), ratios.end());
    const std::size_t below =
        static_cast<std::size_t>(std::count_if(ratios.begin(), ratios.end(), [](double r) { return r < 0.90; }));
    std::printf("ratios over %zu rounds: min %.2f, median %.2f, max %.2f; %zu below 0.90\n", ratios.size(),
                ratios.front(), ratios[ratios.size() / 2], ratios.back(), below);
}

//! N ETH transfers from dev account 0, each run on a fresh anvil. The two kinds alternate which goes first; with
//! --repeat N each kind runs N times per round and the fastest of each is compared (both see the same load).
int run_transfers(const Options& opt, Bench& b) {
    std::printf(
        "wp_lifecycle_bench --mode transfers: %zu transfers, batches of %zu, fresh anvil per run, best of %zu%s\n",
        opt.tasks, opt.batch, opt.repeat, opt.concurrent ? ", both runs at once" : "");
    std::printf("%-6s %-10s %10s %10s %8s\n", "round", "run", "total s", "tx/s", "blocks");
    std::vector<double> ratios;
    for (std::size_t round = 0; round < opt.rounds; ++round) {
        double tps[2] = {0, 0};
        const Mode order[2] = {round % 2 == 0 ? Mode::kPresigned : Mode::kManager,
                               round % 2 == 0 ? Mode::kManager : Mode::kPresigned};
        // One run of `mode` on its own fresh anvil, with its own Bench (client, journal directory).
        // A fresh anvil (started from this thread), its client in `bench`.
        auto start_node = [&](Bench& bench, bool fresh_journal) {
            devnet::AnvilOptions anvil;
            anvil.binary = WP_ANVIL_BIN;
            anvil.port = must(sys::find_free_tcp_port(), "free port");
            anvil.extra_args = opt.anvil_args;
            auto node = must(devnet::AnvilNode::start(anvil), "anvil");
            connect(bench, node.url(), devnet::dev_accounts(10));
            if (fresh_journal) {  // the presigned run writes none
                std::filesystem::remove_all(bench.journal_dir);
                std::filesystem::create_directories(bench.journal_dir);
            }
            return node;
        };
        // The timed run of `mode` on the anvil of `bench`: seconds.
        auto timed = [&](Mode mode, Bench& bench) {
            const Address sink = PrivateKey::generate().address();
            std::vector<Job> jobs;
            for (std::size_t i = 0; i < opt.tasks; ++i) {
                jobs.push_back(
                    {0, chain::ContractCall{sink, {}, U256(i + 1), "transfer " + std::to_string(i + 1)}, 21000});
            }
            return bench.run(mode, std::move(jobs)).first;
        };
        auto report = [&](Mode mode, Bench& bench, double seconds) {
            const auto blocks = must(bench.eth->block_number(), "block number");
            const double rate = static_cast<double>(opt.tasks) / seconds;
            double& best = tps[mode == Mode::kManager ? 1 : 0];
            best = std::max(best, rate);
            std::printf("%-6zu %-10s %10.3f %10.1f %8llu\n", round + 1, mode_name(mode), seconds, rate,
                        static_cast<unsigned long long>(blocks));
            bench.managers.clear();
        };
        for (std::size_t rep = 0; rep < opt.repeat; ++rep) {
            if (opt.concurrent) {
                // Both at once, each on its own anvil: they see the same load of the (shared) machine.
                Bench other;
                other.batch = b.batch;
                other.automine = b.automine;
                other.journal_dir = b.journal_dir / "concurrent";
                auto other_node = start_node(other, false);
                auto node = start_node(b, true);
                double presigned = 0;
                std::thread t([&] { presigned = timed(Mode::kPresigned, other); });
                const double manager = timed(Mode::kManager, b);
                t.join();
                report(Mode::kPresigned, other, presigned);
                report(Mode::kManager, b, manager);
                (void)other_node.stop();
                (void)node.stop();
                continue;
            }
            for (Mode mode : order) {
                auto node = start_node(b, mode == Mode::kManager);
                report(mode, b, timed(mode, b));
                (void)node.stop();
            }
        }
        ratios.push_back(tps[1] / tps[0]);
        std::printf("%-6zu ratio manager / presigned throughput: %.2f\n", round + 1, tps[1] / tps[0]);
    }
    print_ratio_summary(ratios);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse_args(argc, argv);
    Bench b;
    b.batch = opt.batch;
    b.automine = opt.block_time == 0;
    b.journal_dir = std::filesystem::temp_directory_path() / ("wp_lifecycle_bench." + std::to_string(::getpid()));
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } cleanup{b.journal_dir};
    std::filesystem::create_directories(b.journal_dir);
    if (opt.mode == "transfers") return run_transfers(opt, b);

    const auto setup0 = SteadyClock::now();
    devnet::DevnetOptions options;
    options.anvil.binary = WP_ANVIL_BIN;
    options.anvil.port = must(sys::find_free_tcp_port(), "free port");
    options.poco_dir = WP_POCO_DIR;
    options.anvil.extra_args = opt.anvil_args;
    devnet::Devnet devnet = must(devnet::start_devnet(options), "start_devnet");
    const auto& info = devnet.info;
    connect(b, info.rpc, info.accounts);
    b.hub = std::make_unique<chain::Hub>(*b.eth, chain::PocoAddresses{info.hub, info.token, info.app_registry,
                                                                      info.dataset_registry, info.workerpool_registry});
    auto send_one = [&](chain::ContractCall call, std::size_t account) {
        const std::uint64_t gas = b.gas_for(call, b.wallet(account).address);
        (void)b.run(Mode::kPresigned, {Job{account, std::move(call), gas}});
    };

    // App, workerpool, one deal per run.
    chain::AppParams app;
    app.owner = b.wallet(kAppOwner).address;
    app.name = "bench-app";
    app.multiaddr = Bytes(as_bytes("docker.io/bench:1").begin(), as_bytes("docker.io/bench:1").end());
    const Address app_address = must(b.hub->predict_app(app), "predictApp");
    send_one(must(b.hub->create_app(app), "createApp"), kAppOwner);
    const chain::WorkerpoolParams pool{b.wallet(kScheduler).address, "bench-pool"};
    const Address pool_address = must(b.hub->predict_workerpool(pool), "predictWorkerpool");
    send_one(must(b.hub->create_workerpool(pool), "createWorkerpool"), kScheduler);
    const Domain domain = Domain::iexec(U256(info.chain_id), info.hub);
    const double setup_time = seconds_since(setup0);
    if (opt.block_time > 0) {
        // Interval mining from now on (the setup above was automined): many transactions per block.
        must(b.rpc->call("evm_setIntervalMining", {boost::json::value(opt.block_time)}), "evm_setIntervalMining");
    }

    std::printf(
        "wp_lifecycle_bench: %zu tasks, %zu workers, %zu round(s), trust 1, batches of %zu, %s (setup %.1f s)\n",
        opt.tasks, opt.workers, opt.rounds, opt.batch,
        opt.block_time > 0 ? ("interval mining " + std::to_string(opt.block_time) + " s").c_str() : "automine",
        setup_time);
    std::printf("%-6s %-10s %10s %10s %10s %10s %10s %10s %10s %12s\n", "round", "run", "init s", "contrib s",
                "reveal s", "final s", "total s", "tx/s", "tasks/s", "gas/task");
    std::size_t deal_index = 0;
    std::vector<double> ratios;
    for (std::size_t round = 0; round < opt.rounds; ++round) {
        auto new_deal = [&]() {
            const U256 volume(opt.tasks);
            const std::size_t salt = deal_index++;
            AppOrder a;
            a.app = app_address;
            a.appprice = U256(5);
            a.volume = volume;
            a.salt = U256(7000 + salt).to_be32();
            a.sign = sign_order(domain, Order(a), b.wallet(kAppOwner).key);
            WorkerpoolOrder w;
            w.workerpool = pool_address;
            w.workerpoolprice = U256(10);
            w.volume = volume;
            w.trust = U256(1);
            w.salt = U256(8000 + salt).to_be32();
            w.sign = sign_order(domain, Order(w), b.wallet(kScheduler).key);
            RequestOrder r;
            r.app = app_address;
            r.appmaxprice = U256(5);
            r.workerpool = pool_address;
            r.workerpoolmaxprice = U256(10);
            r.requester = b.wallet(kRequester).address;
            r.beneficiary = r.requester;
            r.volume = volume;
            r.trust = U256(1);
            r.params = R"({"iexec_args":"bench"})";
            r.salt = U256(9000 + salt).to_be32();
            r.sign = sign_order(domain, Order(r), b.wallet(kRequester).key);
            const auto match = must(b.hub->match_orders(a, DatasetOrder{}, w, r), "matchOrders");
            const Bytes dry = must(b.hub->simulate(match, r.requester), "matchOrders (dry run)");
            Bytes32 deal_id;
            if (dry.size() != 32) fail("matchOrders returned " + to_hex(dry));
            std::copy(dry.begin(), dry.end(), deal_id.bytes.begin());
            send_one(match, kRequester);
            return deal_id;
        };
        // Anvil's per-block cost grows with the chain: alternate which run goes first.
        const Mode order[2] = {round % 2 == 0 ? Mode::kPresigned : Mode::kManager,
                               round % 2 == 0 ? Mode::kManager : Mode::kPresigned};
        PhaseTimes times[2];
        for (Mode mode : order) {
            const Bytes32 deal_id = new_deal();
            times[mode == Mode::kManager ? 1 : 0] = run_lifecycle(b, mode, deal_id, opt.tasks, opt.workers);
        }
        const double txs = 4.0 * static_cast<double>(opt.tasks);
        auto row = [&](Mode mode, const PhaseTimes& t) {
            std::printf("%-6zu %-10s %10.3f %10.3f %10.3f %10.3f %10.3f %10.1f %10.1f %12llu\n", round + 1,
                        mode_name(mode), t.initialize, t.contribute, t.reveal, t.finalize, t.total(), txs / t.total(),
                        static_cast<double>(opt.tasks) / t.total(),
                        static_cast<unsigned long long>(t.gas_used / opt.tasks));  // 4 tx per task
        };
        row(Mode::kPresigned, times[0]);
        row(Mode::kManager, times[1]);
        std::printf("%-6zu ratio manager / presigned throughput: %.2f\n", round + 1,
                    times[0].total() / times[1].total());
        ratios.push_back(times[0].total() / times[1].total());
    }
    print_ratio_summary(ratios);
    b.managers.clear();
    return 0;
}
