// wp_lifecycle_bench: tasks per second through the whole PoCo task lifecycle on a local anvil, with pipelined
// transactions, against a baseline of plain RLC transfers sent the same way (the ratio is what to read: the absolute
// numbers depend on the machine).
//
//   ./build/bin/wp_lifecycle_bench [--tasks N] [--workers K] [--rounds R] [--block-time S] [--anvil-arg ARG]...
//
//   --block-time S switches anvil to interval mining after the setup (default: automine, one block per
//   transaction); --anvil-arg passes an argument to anvil (e.g. --anvil-arg --prune-history).
//
// Setup (not timed): a devnet (anvil + PoCo 6.1.0 by our deployer + funding, libs/wp/devnet), an app and a workerpool,
// one deal of volume N at trust 1 (local-chain.md §5 prices). Timed, per round, four phases, each ONE batch of
// eth_sendRawTransaction followed by batched receipt polling (devnet::send_and_confirm):
//   initialize(deal, i) × N from the scheduler;  contribute × N (task i by worker i mod K);
//   reveal × N (same workers);                    finalize × N from the scheduler.
// Every wallet's nonces are assigned locally and stay sequential. Gas: eth_estimateGas of the first transaction of
// each phase (the state it needs is mined by then) × 1.2 + 20,000 for the whole phase.
// Baseline (same round): 4N RLC.transfer, in four batches of N from the same senders (scheduler, then the workers, then
// the workers, then the scheduler), so the transaction count, the batching and the nonce pattern are those of the
// lifecycle. Reported: wall time, transactions/s, tasks/s, and lifecycle time / baseline time.
// Caveat: in automine mode (one block per transaction) anvil 1.x slows down as the chain grows (≈200 tx/s on a fresh
// devnet, ≈25–40 tx/s after ~1,000 blocks on a 2-core machine; --prune-history and --transaction-block-keeper do not
// change it), so rounds alternate which run goes first; with --block-time the throughput is bounded by the block gas
// limit instead (the gas limits, not the gas used, fill the 30M block) and is stable round after round.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/devnet/devnet.hpp>
#include <wp/devnet/tx_sender.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/order.hpp>
#include <wp/sys/tcp.hpp>

namespace {

using namespace wp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kAppOwner = 1;
constexpr std::size_t kScheduler = 2;
constexpr std::size_t kRequester = 4;
// Workers: dev accounts 3, 5, 6, 7, 8, 9 (funded by the devnet).
constexpr std::size_t kWorkerAccounts[] = {3, 5, 6, 7, 8, 9};

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "wp_lifecycle_bench: %s\n", what.c_str());
    std::exit(1);
}

//! The value of a Result / HubResult / RpcResult, or exit with its message.
template <class T, class E>
T must(tl::expected<T, E> r, std::string_view what) {
    if (!r) fail(std::string(what) + ": " + r.error().message);
    return std::move(*r);
}

struct Wallet {
    PrivateKey key;
    Address address;
    std::uint64_t nonce{0};
};

struct Bench {
    devnet::Devnet devnet;
    std::unique_ptr<chain::JsonRpcClient> rpc;
    std::unique_ptr<chain::EthClient> eth;
    std::unique_ptr<chain::Hub> hub;
    std::vector<Wallet> wallets;  //!< the 10 dev accounts
    devnet::FeeParams fees;

    Wallet& wallet(std::size_t i) { return wallets.at(i); }

    std::uint64_t gas_for(const chain::ContractCall& call, const Address& from) {
        const auto gas = must(hub->estimate_gas(call, from), "estimate " + call.description);
        return gas + gas / 5 + 20'000;
    }

    devnet::SignedTx sign(const chain::ContractCall& call, Wallet& w, std::uint64_t gas) {
        devnet::TxRequest request{call.to, call.data, call.value, gas, call.description};
        return must(devnet::sign_transaction(request, w.key, devnet.info.chain_id, w.nonce++, fees), "sign");
    }

    std::vector<chain::Receipt> send_all(const std::vector<devnet::SignedTx>& txs, std::string_view what) {
        return must(devnet::send_and_confirm(*rpc, txs, std::chrono::seconds(300)), what);
    }

    //! One transaction, sent and confirmed (setup).
    chain::Receipt send_one(const chain::ContractCall& call, std::size_t account) {
        Wallet& w = wallet(account);
        auto tx = sign(call, w, gas_for(call, w.address));
        return send_all({tx}, call.description).at(0);
    }
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct PhaseTimes {
    double initialize{0}, contribute{0}, reveal{0}, finalize{0};
    std::uint64_t gas_used{0};  //!< Σ receipt.gasUsed of the four phases
    double total() const { return initialize + contribute + reveal + finalize; }
};

std::uint64_t gas_of(const std::vector<chain::Receipt>& receipts) {
    std::uint64_t gas = 0;
    for (const auto& r : receipts) gas += r.gas_used;
    return gas;
}

//! The lifecycle of N tasks of `deal_id`; returns the time of each phase.
PhaseTimes run_lifecycle(Bench& b, const Bytes32& deal_id, std::size_t n, std::size_t workers) {
    PhaseTimes times;
    Wallet& scheduler = b.wallet(kScheduler);
    const Bytes32 digest = keccak256(as_bytes("bench result"));
    std::vector<Bytes32> tasks(n);
    for (std::size_t i = 0; i < n; ++i) tasks[i] = task_id(deal_id, U256(i));
    auto worker_of = [&](std::size_t i) -> Wallet& { return b.wallet(kWorkerAccounts[i % workers]); };

    // initialize
    auto t0 = Clock::now();
    {
        std::vector<devnet::SignedTx> txs;
        const std::uint64_t gas = b.gas_for(must(b.hub->initialize(deal_id, U256(0)), "initialize"), scheduler.address);
        for (std::size_t i = 0; i < n; ++i) {
            txs.push_back(b.sign(must(b.hub->initialize(deal_id, U256(i)), "initialize"), scheduler, gas));
        }
        times.gas_used += gas_of(b.send_all(txs, "initialize"));
    }
    times.initialize = seconds_since(t0);

    // contribute
    t0 = Clock::now();
    {
        std::vector<devnet::SignedTx> txs;
        std::uint64_t gas = 0;
        for (std::size_t i = 0; i < n; ++i) {
            Wallet& w = worker_of(i);
            const Bytes auth = sign_authorization(scheduler.key, w.address, tasks[i], Address{});
            auto call = must(b.hub->contribute(tasks[i], result_hash(tasks[i], digest),
                                               result_seal(w.address, tasks[i], digest), Address{}, {}, auth),
                             "contribute");
            if (gas == 0) gas = b.gas_for(call, w.address);
            txs.push_back(b.sign(call, w, gas));
        }
        times.gas_used += gas_of(b.send_all(txs, "contribute"));
    }
    times.contribute = seconds_since(t0);

    // reveal
    t0 = Clock::now();
    {
        std::vector<devnet::SignedTx> txs;
        std::uint64_t gas = 0;
        for (std::size_t i = 0; i < n; ++i) {
            Wallet& w = worker_of(i);
            auto call = must(b.hub->reveal(tasks[i], digest), "reveal");
            if (gas == 0) gas = b.gas_for(call, w.address);
            txs.push_back(b.sign(call, w, gas));
        }
        times.gas_used += gas_of(b.send_all(txs, "reveal"));
    }
    times.reveal = seconds_since(t0);

    // finalize
    t0 = Clock::now();
    {
        std::vector<devnet::SignedTx> txs;
        const Bytes results(as_bytes("ipfs://bench").begin(), as_bytes("ipfs://bench").end());
        std::uint64_t gas = 0;
        for (std::size_t i = 0; i < n; ++i) {
            auto call = must(b.hub->finalize(tasks[i], results, {}), "finalize");
            if (gas == 0) gas = b.gas_for(call, scheduler.address);
            txs.push_back(b.sign(call, scheduler, gas));
        }
        times.gas_used += gas_of(b.send_all(txs, "finalize"));
    }
    times.finalize = seconds_since(t0);

    // Spot check: every task COMPLETED.
    for (std::size_t i : {std::size_t{0}, n - 1}) {
        const auto task = must(b.hub->view_task(tasks[i]), "viewTask");
        if (task.status != TaskStatus::kCompleted) fail("task " + std::to_string(i) + " is not COMPLETED");
    }
    return times;
}

//! The baseline: 4 batches of N RLC transfers with the senders of the lifecycle phases.
PhaseTimes run_baseline(Bench& b, std::size_t n, std::size_t workers) {
    PhaseTimes times;
    const Address sink = PrivateKey::generate().address();
    const auto transfer = must(b.hub->rlc_transfer(sink, U256(1)), "transfer");
    const std::uint64_t gas = b.gas_for(transfer, b.wallet(kScheduler).address);
    auto batch = [&](bool from_workers) {
        const auto t0 = Clock::now();
        std::vector<devnet::SignedTx> txs;
        for (std::size_t i = 0; i < n; ++i) {
            Wallet& w = from_workers ? b.wallet(kWorkerAccounts[i % workers]) : b.wallet(kScheduler);
            txs.push_back(b.sign(transfer, w, gas));
        }
        times.gas_used += gas_of(b.send_all(txs, "RLC transfers"));
        return seconds_since(t0);
    };
    times.initialize = batch(false);
    times.contribute = batch(true);
    times.reveal = batch(true);
    times.finalize = batch(false);
    return times;
}

struct Options {
    std::size_t tasks{100};
    std::size_t workers{6};
    std::size_t rounds{1};
    std::size_t block_time{0};            //!< 0: automine (one block per transaction); else evm_setIntervalMining
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
        } else if (arg == "--block-time") {
            o.block_time = value();
        } else if (arg == "--anvil-arg") {
            if (i + 1 >= argc) fail("missing value after --anvil-arg");
            o.anvil_args.emplace_back(argv[++i]);
        } else {
            fail(
                "usage: wp_lifecycle_bench [--tasks N] [--workers K (1-6)] [--rounds R] [--block-time S] "
                "[--anvil-arg ARG]...");
        }
    }
    if (o.tasks == 0 || o.workers == 0 || o.workers > std::size(kWorkerAccounts) || o.rounds == 0) {
        fail("--tasks ≥ 1, 1 ≤ --workers ≤ 6, --rounds ≥ 1");
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse_args(argc, argv);
    const auto setup0 = Clock::now();
    devnet::DevnetOptions options;
    options.anvil.binary = WP_ANVIL_BIN;
    options.anvil.port = must(sys::find_free_tcp_port(), "free port");
    options.poco_dir = WP_POCO_DIR;
    options.anvil.extra_args = opt.anvil_args;
    Bench b{must(devnet::start_devnet(options), "start_devnet"), {}, {}, {}, {}, {}};
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = b.devnet.info.rpc;
    b.rpc = std::make_unique<chain::JsonRpcClient>(rpc_options);
    b.eth = std::make_unique<chain::EthClient>(*b.rpc);
    const auto& info = b.devnet.info;
    b.hub = std::make_unique<chain::Hub>(*b.eth, chain::PocoAddresses{info.hub, info.token, info.app_registry,
                                                                      info.dataset_registry, info.workerpool_registry});
    for (const auto& account : info.accounts) {
        Wallet w{must(PrivateKey::from_bytes(account.private_key.view()), "key"), account.address, 0};
        w.nonce = must(b.eth->get_transaction_count(account.address, chain::BlockTag::pending()), "nonce");
        b.wallets.push_back(std::move(w));
    }
    b.fees = must(devnet::suggest_fees(*b.eth), "fees");

    // App, workerpool, one deal per round.
    chain::AppParams app;
    app.owner = b.wallet(kAppOwner).address;
    app.name = "bench-app";
    app.multiaddr = Bytes(as_bytes("docker.io/bench:1").begin(), as_bytes("docker.io/bench:1").end());
    const Address app_address = must(b.hub->predict_app(app), "predictApp");
    b.send_one(must(b.hub->create_app(app), "createApp"), kAppOwner);
    const chain::WorkerpoolParams pool{b.wallet(kScheduler).address, "bench-pool"};
    const Address pool_address = must(b.hub->predict_workerpool(pool), "predictWorkerpool");
    b.send_one(must(b.hub->create_workerpool(pool), "createWorkerpool"), kScheduler);
    const Domain domain = Domain::iexec(U256(info.chain_id), info.hub);
    const double setup_time = seconds_since(setup0);
    if (opt.block_time > 0) {
        // Interval mining from now on (the setup above was automined): many transactions per block.
        must(b.rpc->call("evm_setIntervalMining", {boost::json::value(opt.block_time)}), "evm_setIntervalMining");
    }

    std::printf("wp_lifecycle_bench: %zu tasks, %zu workers, %zu round(s), trust 1, %s (setup %.1f s)\n", opt.tasks,
                opt.workers, opt.rounds,
                opt.block_time > 0 ? ("interval mining " + std::to_string(opt.block_time) + " s").c_str() : "automine",
                setup_time);
    std::printf("%-6s %-10s %10s %10s %10s %10s %10s %10s %10s %12s\n", "round", "run", "init s", "contrib s",
                "reveal s", "final s", "total s", "tx/s", "tasks/s", "gas/task");
    for (std::size_t round = 0; round < opt.rounds; ++round) {
        const U256 volume(opt.tasks);
        AppOrder a;
        a.app = app_address;
        a.appprice = U256(5);
        a.volume = volume;
        a.salt = U256(7000 + round).to_be32();
        a.sign = sign_order(domain, Order(a), b.wallet(kAppOwner).key);
        WorkerpoolOrder w;
        w.workerpool = pool_address;
        w.workerpoolprice = U256(10);
        w.volume = volume;
        w.trust = U256(1);
        w.salt = U256(8000 + round).to_be32();
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
        r.salt = U256(9000 + round).to_be32();
        r.sign = sign_order(domain, Order(r), b.wallet(kRequester).key);
        const auto match = must(b.hub->match_orders(a, DatasetOrder{}, w, r), "matchOrders");
        const Bytes dry = must(b.hub->simulate(match, r.requester), "matchOrders (dry run)");
        Bytes32 deal_id;
        if (dry.size() != 32) fail("matchOrders returned " + to_hex(dry));
        std::copy(dry.begin(), dry.end(), deal_id.bytes.begin());
        b.send_one(match, kRequester);

        // Automine gets slower as the chain grows (one block per transaction): alternate which run goes first.
        PhaseTimes life;
        PhaseTimes base;
        if (round % 2 == 0) {
            life = run_lifecycle(b, deal_id, opt.tasks, opt.workers);
            base = run_baseline(b, opt.tasks, opt.workers);
        } else {
            base = run_baseline(b, opt.tasks, opt.workers);
            life = run_lifecycle(b, deal_id, opt.tasks, opt.workers);
        }
        const double txs = 4.0 * static_cast<double>(opt.tasks);
        auto row = [&](const char* name, const PhaseTimes& t, bool tasks) {
            std::printf("%-6zu %-10s %10.3f %10.3f %10.3f %10.3f %10.3f %10.1f ", round + 1, name, t.initialize,
                        t.contribute, t.reveal, t.finalize, t.total(), txs / t.total());
            if (tasks) {
                std::printf("%10.1f ", static_cast<double>(opt.tasks) / t.total());
            } else {
                std::printf("%10s ", "-");
            }
            std::printf("%12llu\n", static_cast<unsigned long long>(t.gas_used / opt.tasks));  // 4 tx per task
        };
        row("lifecycle", life, true);
        row("transfers", base, false);
        std::printf("%-6zu ratio lifecycle / baseline time: %.2f\n", round + 1, life.total() / base.total());
    }
    return 0;
}
