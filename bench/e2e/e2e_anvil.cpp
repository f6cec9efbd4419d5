// wp_e2e_bench: the end-to-end rate of the workerpool — the REAL `iexec-pool core` and W REAL `iexec-pool worker`
// processes (tests/pool/pool_processes.hpp) running a deal of the trivial echo app on an anvil with the real PoCo —
// against the chain-alone ceiling measured in the same run on the same anvil: exactly the transactions the pool sent
// for those tasks, pre-signed and pipelined (bench/lifecycle/presigned.hpp). Read the ratios: the absolute numbers
// depend on the machine and its load.
//
//   ./build/bin/wp_e2e_bench [--tasks V] [--workers W] [--slots S] [--trust T]... [--rounds R] [--batch B]
//                            [--timeout SECONDS] [--keep] [--core key=value]... [--worker key=value]...
//
// One fresh anvil per run, mining as `iexec-pool up` runs it (--block-time 1 --mixed-mining: a block per transaction
// and one per second; `--anvil --block-time --anvil 0.5` mines on an interval only, as `up --block-time 0.5`),
// PoCo 6.1.0 by our deployer, the echo demo app, two workerpools of the scheduler account (the pool's, and one for the
// ceiling's deals so that the core never sees them). Per round, per trust (default 1 and 5; trust 5 needs W ≥ 3: three
// fresh workers reach 2^3 > 5 − 1):
//   1. e2e: a fresh core (its own SQLite database, startBlock = the head) and W workers of S CPU slots (dev accounts
//      3, 6, 7, 8, 9, 5) are started and listed alive; then a deal of V tasks is matched (timer starts at its receipt)
//      and every task is read with viewTask every 100 ms until all are COMPLETED (timer stops): tasks/s. CPU
//      (utime + stime from /proc/<pid>/stat, the workers' reaped children — the apps — included) of the core, the
//      workers and anvil over that interval. Then each task's history from the core's dashboard
//      (GET /api/v1/dashboard/tasks/<id>): the latency of each phase. The daemons are stopped.
//   2. the pool's transactions: every transaction mined to the hub from the match's block on, by the scheduler and
//      the workers (eth_getBlockByNumber + eth_getBlockReceipts), classified by selector (initialize,
//      initializeArray, contribute, reveal, finalize; reverted ones counted apart).
//   3. ceiling: a new deal with the same orders on the ceiling workerpool; the pool's successful transactions rebuilt
//      for it one for one (same senders, same initializeArray groups, same result digests and results; gas limit:
//      the pool's largest for the kind), signed before the timer, then sent phase by phase (initialize → contribute →
//      reveal → finalize, each phase mined before the next, in the pool's block order) in raw JSON-RPC batches of B:
//      tasks/s = V / Σ phase times. At trust > 1 some replayed contributions (and their reveals) revert: the
//      workers' scores rose with the pool's run, so consensus needs fewer; they are sent and counted all the same.
// Errors: the bench exits 1 with the reason (and the daemons' log tails when the pool fails to start or a deal does
// not complete within --timeout, default 600 s).
// Printed per round and trust: e2e tasks/s, ceiling tasks/s, their ratio, CPU ms per task (core, workers, anvil),
// transactions per task, and where the time goes (per-phase latency: median / p90 / mean over the tasks, and each
// phase's share of the summed means); a summary line per measurement at the end. --core / --worker set dotted config
// keys of the daemons (value parsed as JSON, else a string), e.g. --core core.init.mode=eager; --keep keeps the
// folder (configs, logs, databases).
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/chain/rpc_metrics.hpp>
#include <wp/codec/abi.hpp>
#include <wp/codec/abi_type.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/devnet/devnet.hpp>
#include <wp/net/http_client.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/order.hpp>
#include <wp/sys/tcp.hpp>

#include "../../tests/pool/pool_processes.hpp"
#include "../bench_support.hpp"
#include "../lifecycle/presigned.hpp"

namespace {

using namespace wp;
using namespace wp::test;
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace wp::bench;  // the dev accounts' roles, fail, must, seconds_since, SteadyClock

std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

//! CPU time of a process in ms (utime + stime, plus cutime + cstime: its reaped children) from /proc/<pid>/stat;
//! 0 when unreadable.
double cpu_ms(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!pid || !std::getline(in, line)) return 0;
    const auto close = line.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return 0;
    std::istringstream fields(line.substr(close + 2));
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    // After "pid (comm) ": state is field 3 → f[0]; utime 14 → f[11], stime f[12], cutime f[13], cstime f[14].
    if (f.size() < 15) return 0;
    double ticks = 0;
    for (std::size_t i = 11; i <= 14; ++i) ticks += std::strtod(f[i].c_str(), nullptr);
    return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

//! JSON-RPC calls by method (and "(requests)": HTTP requests) as a daemon exposes them (rpc_metrics.hpp).
using RpcCallCounts = std::map<std::string, std::uint64_t>;

//! The core's counters from its GET /metrics (empty when it does not answer).
RpcCallCounts core_rpc_counts(const std::string& core_url) {
    net::HttpClient http;
    auto r = http.get(core_url + "/metrics");
    if (!r || r->status != 200) return {};
    return chain::parse_rpc_counts(r->body);
}

//! The workers' counters from their <workDir>/metrics.prom (written every few seconds and at stop), summed.
RpcCallCounts workers_rpc_counts(const fs::path& pool_dir, std::size_t workers) {
    RpcCallCounts sum;
    for (std::size_t w = 0; w < workers; ++w) {
        std::ifstream f(pool_dir / ("worker-" + std::to_string(w)) / "metrics.prom");
        std::stringstream ss;
        ss << f.rdbuf();
        for (const auto& [m, n] : chain::parse_rpc_counts(ss.str())) sum[m] += n;
    }
    return sum;
}

RpcCallCounts minus(const RpcCallCounts& after, const RpcCallCounts& before) {
    RpcCallCounts d;
    for (const auto& [m, n] : after) {
        const auto it = before.find(m);
        const std::uint64_t b = it == before.end() ? 0 : it->second;
        if (n > b) d[m] = n - b;
    }
    return d;
}

//! "  JSON-RPC calls per task, core: 12.3 in 4.5 requests — eth_call 3.10, …" (methods by count, largest first).
void print_rpc_counts(const char* who, const RpcCallCounts& c, double tasks) {
    std::uint64_t total = 0;
    std::vector<std::pair<std::uint64_t, std::string>> by_count;
    for (const auto& [m, n] : c) {
        if (m == "(requests)") continue;
        total += n;
        by_count.emplace_back(n, m);
    }
    std::sort(by_count.rbegin(), by_count.rend());
    const auto req = c.find("(requests)");
    std::printf("  JSON-RPC calls per task, %s: %.2f in %.2f HTTP requests —", who, static_cast<double>(total) / tasks,
                req == c.end() ? 0.0 : static_cast<double>(req->second) / tasks);
    for (std::size_t i = 0; i < by_count.size(); ++i)
        std::printf("%s %s %.2f", i ? "," : "", by_count[i].second.c_str(),
                    static_cast<double>(by_count[i].first) / tasks);
    std::printf("\n");
}

struct Options {
    std::size_t tasks{20};
    std::size_t workers{3};
    std::size_t slots{4};
    std::vector<std::uint64_t> trusts;
    std::size_t rounds{1};
    std::size_t batch{100};
    std::size_t timeout{600};
    bool keep{false};
    ConfigOverrides core;            //!< --core key=value (dotted config keys of the core, e.g. core.init.mode=eager)
    ConfigOverrides worker;          //!< --worker key=value
    std::vector<std::string> anvil;  //!< --anvil ARG: extra anvil arguments after up's mining (e.g. --prune-history);
                                     //!< naming --block-time / --no-mining / --mixed-mining replaces up's mining
};

//! "key=value" → (key, value as JSON when it parses, else as a string).
std::pair<std::string, json::value> override_of(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) fail("expected key=value, got " + std::string(text));
    const std::string value(text.substr(eq + 1));
    boost::system::error_code ec;
    json::value v = json::parse(value, ec);
    return {std::string(text.substr(0, eq)), ec ? json::value(value) : v};
}

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
        } else if (arg == "--slots") {
            o.slots = value();
        } else if (arg == "--trust") {
            o.trusts.push_back(value());
        } else if (arg == "--rounds") {
            o.rounds = value();
        } else if (arg == "--batch") {
            o.batch = value();
        } else if (arg == "--timeout") {
            o.timeout = value();
        } else if (arg == "--keep") {
            o.keep = true;
        } else if (arg == "--anvil") {
            if (i + 1 >= argc) fail("missing value after --anvil");
            o.anvil.emplace_back(argv[++i]);
        } else if (arg == "--core" || arg == "--worker") {
            if (i + 1 >= argc) fail("missing value after " + std::string(arg));
            (arg == "--core" ? o.core : o.worker).push_back(override_of(argv[++i]));
        } else {
            fail(
                "usage: wp_e2e_bench [--tasks V] [--workers W (1-6)] [--slots S] [--trust T]... [--rounds R] "
                "[--batch B] [--timeout SECONDS] [--keep] [--core key=value]... [--worker key=value]... [--anvil "
                "ARG]...");
        }
    }
    if (o.trusts.empty()) o.trusts = {1, 5};
    if (o.tasks == 0 || o.workers == 0 || o.workers > std::size(kWorkerAccounts) || o.slots == 0 || o.rounds == 0 ||
        o.batch == 0) {
        fail("--tasks ≥ 1, 1 ≤ --workers ≤ 6, --slots ≥ 1, --rounds ≥ 1, --batch ≥ 1");
    }
    return o;
}

// ---- the chain ------------------------------------------------------------------------------------------------------

struct Chain {
    std::optional<devnet::Devnet> devnet;
    std::unique_ptr<chain::JsonRpcClient> rpc;
    std::unique_ptr<chain::EthClient> eth;
    std::unique_ptr<chain::Hub> hub;
    std::uint64_t chain_id{0};
    std::vector<PrivateKey> keys;  //!< the 10 dev accounts
    std::map<Address, std::size_t> account_of;
    Domain domain;

    const PrivateKey& key(std::size_t account) const { return keys.at(account); }
    Address address(std::size_t account) const { return keys.at(account).address(); }

    //! Sends one call (gas = estimate × 1.25 + 20,000) and waits for its receipt; exits on failure.
    void send(const chain::HubResult<chain::ContractCall>& call, std::size_t account) {
        if (!call) fail("build: " + call.error().message);
        const auto gas = must(hub->estimate_gas(*call, address(account)), "estimate " + call->description);
        const auto txs = must(bench::presign(*eth, chain_id, {{&key(account), *call, gas + gas / 4 + 20'000}}),
                              "sign " + call->description);
        (void)must(bench::send_presigned(*rpc, txs, 1, false, std::chrono::seconds(60)), call->description);
    }
};

// ---- the pool's transactions, from the blocks -----------------------------------------------------------------------

enum class Kind { kInitialize, kInitializeArray, kContribute, kReveal, kFinalize, kOther, kCount };
constexpr const char* kKindNames[] = {"initialize", "initializeArray", "contribute", "reveal", "finalize", "other"};

struct PoolTx {
    Kind kind{Kind::kOther};
    Address from;
    Bytes input;
    std::uint64_t gas{0};
    std::uint64_t gas_used{0};
    bool ok{false};
};

struct Signatures {
    AbiSignature initialize = must(parse_abi_signature("initialize(bytes32,uint256)"), "abi");
    AbiSignature initialize_array = must(parse_abi_signature("initializeArray(bytes32[],uint256[])"), "abi");
    AbiSignature contribute =
        must(parse_abi_signature("contribute(bytes32,bytes32,bytes32,address,bytes,bytes)"), "abi");
    AbiSignature reveal = must(parse_abi_signature("reveal(bytes32,bytes32)"), "abi");
    AbiSignature finalize = must(parse_abi_signature("finalize(bytes32,bytes,bytes)"), "abi");
};

std::uint64_t quantity(const json::value& v) {
    return must(U256::from_hex(std::string(v.as_string())), "quantity").low_u64();
}

//! Every transaction to the hub sent by one of `senders` in blocks [from, to].
std::vector<PoolTx> pool_transactions(Chain& c, std::uint64_t from, std::uint64_t to,
                                      const std::set<Address>& senders) {
    const Signatures sig;
    const std::pair<AbiSelector, Kind> selectors[] = {{sig.initialize.selector(), Kind::kInitialize},
                                                      {sig.initialize_array.selector(), Kind::kInitializeArray},
                                                      {sig.contribute.selector(), Kind::kContribute},
                                                      {sig.reveal.selector(), Kind::kReveal},
                                                      {sig.finalize.selector(), Kind::kFinalize}};
    std::vector<PoolTx> out;
    for (std::uint64_t b = from; b <= to; ++b) {
        const std::string tag = U256(b).to_hex_quantity();
        const auto block = must(c.rpc->call("eth_getBlockByNumber", {json::value(tag), json::value(true)}), "block");
        const auto receipts = must(c.rpc->call("eth_getBlockReceipts", {json::value(tag)}), "block receipts");
        if (!block.is_object()) continue;
        std::map<std::string, bool> status;
        std::map<std::string, std::uint64_t> gas_used;
        for (const auto& r : receipts.as_array()) {
            status[std::string(r.at("transactionHash").as_string())] = quantity(r.at("status")) == 1;
            gas_used[std::string(r.at("transactionHash").as_string())] = quantity(r.at("gasUsed"));
        }
        for (const auto& t : block.at("transactions").as_array()) {
            if (t.at("to").is_null()) continue;
            const Address to_address = must(Address::parse(t.at("to").as_string()), "to");
            const Address sender = must(Address::parse(t.at("from").as_string()), "from");
            if (to_address != c.hub->addresses().hub || !senders.contains(sender)) continue;
            PoolTx tx;
            tx.from = sender;
            tx.input = must(from_hex(t.at("input").as_string()), "input");
            tx.gas = quantity(t.at("gas"));
            tx.ok = status[std::string(t.at("hash").as_string())];
            tx.gas_used = gas_used[std::string(t.at("hash").as_string())];
            if (tx.input.size() >= 4) {
                for (const auto& [sel, kind] : selectors)
                    if (std::equal(sel.bytes.begin(), sel.bytes.end(), tx.input.begin())) tx.kind = kind;
            }
            out.push_back(std::move(tx));
        }
    }
    return out;
}

Bytes32 word(const AbiValue& v) {
    Bytes32 out;
    const auto* f = v.as_fixed_bytes();
    if (f == nullptr || f->bytes.size() != 32) fail("abi: not a bytes32");
    std::copy(f->bytes.begin(), f->bytes.end(), out.bytes.begin());
    return out;
}

//! The pool's successful transactions rebuilt for `deal` (a deal with the same orders on the ceiling workerpool):
//! one phase per kind (initialize and initializeArray together), in the pool's block order.
std::vector<std::vector<bench::PresignedCall>> ceiling_calls(Chain& c, const std::vector<PoolTx>& txs,
                                                             const Bytes32& pool_deal, const Bytes32& deal,
                                                             std::size_t volume) {
    const Signatures sig;
    std::map<Bytes32, std::size_t> index_of;
    for (std::size_t i = 0; i < volume; ++i) index_of[task_id(pool_deal, U256(i))] = i;
    auto index = [&](const Bytes32& tid) {
        auto it = index_of.find(tid);
        if (it == index_of.end()) fail("a pool transaction names a task outside the deal: " + to_hex(tid.view()));
        return it->second;
    };
    auto key_of = [&](const Address& a) { return &c.key(c.account_of.at(a)); };
    // The revealed digests: (worker, task index) → digest, and task index → a digest (for a contribution that was
    // not revealed).
    std::map<std::pair<Address, std::size_t>, Bytes32> digest_of;
    std::map<std::size_t, Bytes32> task_digest;
    for (const auto& t : txs) {
        if (!t.ok || t.kind != Kind::kReveal) continue;
        const auto args = must(abi_decode_call(sig.reveal, t.input), "reveal");
        const std::size_t i = index(word(args[0]));
        digest_of[{t.from, i}] = word(args[1]);
        task_digest[i] = word(args[1]);
    }
    // Gas limits: the largest the pool gave a transaction of the kind (its daemons estimate each one on the state they
    // see; the first reveal of a task costs more than the next ones, and the replay's order within a phase may
    // differ from the pool's). The limit caps the cost; it does not change it.
    std::map<Kind, std::uint64_t> gas_of;
    for (const auto& t : txs) gas_of[t.kind] = std::max(gas_of[t.kind], t.gas);
    std::vector<std::vector<bench::PresignedCall>> phases(4);
    const PrivateKey& scheduler = c.key(kScheduler);
    for (const auto& t : txs) {
        if (!t.ok) continue;
        switch (t.kind) {
            case Kind::kInitialize: {
                const auto args = must(abi_decode_call(sig.initialize, t.input), "initialize");
                phases[0].push_back(
                    {key_of(t.from), must(c.hub->initialize(deal, *args[1].as_uint()), "initialize"), gas_of[t.kind]});
                break;
            }
            case Kind::kInitializeArray: {
                const auto args = must(abi_decode_call(sig.initialize_array, t.input), "initializeArray");
                std::vector<U256> idxs;
                for (const auto& v : *args[1].as_list()) idxs.push_back(*v.as_uint());
                const std::vector<Bytes32> deals(idxs.size(), deal);
                phases[0].push_back(
                    {key_of(t.from), must(c.hub->initialize_array(deals, idxs), "initializeArray"), gas_of[t.kind]});
                break;
            }
            case Kind::kContribute: {
                const auto args = must(abi_decode_call(sig.contribute, t.input), "contribute");
                const std::size_t i = index(word(args[0]));
                auto d = digest_of.find({t.from, i});
                const Bytes32 digest = d != digest_of.end() ? d->second : task_digest[i];
                const Bytes32 tid = task_id(deal, U256(i));
                const Bytes auth = sign_authorization(scheduler, t.from, tid, Address{});
                phases[1].push_back({key_of(t.from),
                                     must(c.hub->contribute(tid, result_hash(tid, digest),
                                                            result_seal(t.from, tid, digest), Address{}, {}, auth),
                                          "contribute"),
                                     gas_of[t.kind]});
                break;
            }
            case Kind::kReveal: {
                const auto args = must(abi_decode_call(sig.reveal, t.input), "reveal");
                const Bytes32 tid = task_id(deal, U256(index(word(args[0]))));
                phases[2].push_back(
                    {key_of(t.from), must(c.hub->reveal(tid, word(args[1])), "reveal"), gas_of[t.kind]});
                break;
            }
            case Kind::kFinalize: {
                const auto args = must(abi_decode_call(sig.finalize, t.input), "finalize");
                const Bytes32 tid = task_id(deal, U256(index(word(args[0]))));
                phases[3].push_back({key_of(t.from),
                                     must(c.hub->finalize(tid, *args[1].as_bytes(), *args[2].as_bytes()), "finalize"),
                                     gas_of[t.kind]});
                break;
            }
            default: break;
        }
    }
    return phases;
}

// ---- where the time goes --------------------------------------------------------------------------------------------

//! The milestones of a task, in order; each phase is the time from the previous milestone that the task has.
constexpr const char* kMilestones[] = {"matched",  "received", "initialize sent", "initialized",
                                       "assigned", "computed", "contributed",     "consensus",
                                       "revealed", "uploaded", "finalize sent",   "finalized"};
constexpr std::size_t kMilestoneCount = std::size(kMilestones);

//! The milestones (Unix ms, -1 when absent) of a task: matched (the bench's clock at the matchOrders receipt),
//! received (the first poll of GET /api/v1/dashboard/deals that lists the deal: the core stored it and its tasks,
//! RECEIVED; the store records no event for that), then from the core's dashboard: its task events (the first entry
//! into INITIALIZING = initialize submitted — lazily, when a worker has a free slot, INITIALIZED = seen mined,
//! CONSENSUS_REACHED, AT_LEAST_ONE_REVEALED, RESULT_UPLOADED, FINALIZING = finalize submitted, FINALIZED = seen mined)
//! and the workers' reports (the first replicate created = assigned, COMPUTED, CONTRIBUTED = the contribution mined, as
//! the worker saw it).
std::array<std::int64_t, kMilestoneCount> milestones(const json::value& task, std::int64_t matched_ms,
                                                     std::int64_t received_ms) {
    std::array<std::int64_t, kMilestoneCount> m;
    m.fill(-1);
    m[0] = matched_ms;
    auto first_event = [&](std::string_view status) -> std::int64_t {
        for (const auto& e : task.at("events").as_array())
            if (e.at("status").as_string() == status) return e.at("atMs").to_number<std::int64_t>();
        return -1;
    };
    auto first_replicate = [&](std::string_view status) -> std::int64_t {
        std::int64_t best = -1;
        for (const auto& r : task.at("replicates").as_array())
            for (const auto& h : r.at("history").as_array())
                if (h.at("status").as_string() == status) {
                    const auto at = h.at("atMs").to_number<std::int64_t>();
                    if (best < 0 || at < best) best = at;
                }
        return best;
    };
    m[1] = received_ms;
    m[2] = first_event("INITIALIZING");
    m[3] = first_event("INITIALIZED");
    m[4] = first_replicate("CREATED");
    m[5] = first_replicate("COMPUTED");
    m[6] = first_replicate("CONTRIBUTED");
    m[7] = first_event("CONSENSUS_REACHED");
    m[8] = first_event("AT_LEAST_ONE_REVEALED");
    m[9] = first_event("RESULT_UPLOADED");
    m[10] = first_event("FINALIZING");
    m[11] = first_event("FINALIZED");
    if (m[11] < 0) m[11] = first_event("COMPLETED");
    // The deal is seen by polling (every 100 ms): the core may have initialized a task before the poll saw the deal.
    if (m[1] >= 0 && m[2] >= 0 && m[2] < m[1]) m[1] = m[2];
    return m;
}

struct PhaseStats {
    std::string name;
    std::vector<double> ms;
    double mean() const {
        double s = 0;
        for (double x : ms) s += x;
        return ms.empty() ? 0 : s / static_cast<double>(ms.size());
    }
    double quantile(double q) const {
        if (ms.empty()) return 0;
        auto v = ms;
        std::sort(v.begin(), v.end());
        return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
    }
};

std::vector<PhaseStats> phase_stats(const std::vector<std::array<std::int64_t, kMilestoneCount>>& all) {
    std::vector<PhaseStats> phases;
    for (std::size_t k = 1; k < kMilestoneCount; ++k)
        phases.push_back({std::string(kMilestones[k - 1]) + " → " + kMilestones[k], {}});
    for (const auto& m : all) {
        // Each present milestone's phase runs from the previous present one (a missing one merges two phases).
        std::size_t prev = 0;
        for (std::size_t k = 1; k < kMilestoneCount; ++k) {
            if (m[k] < 0) continue;
            if (prev == k - 1) phases[k - 1].ms.push_back(static_cast<double>(m[k] - m[prev]));
            prev = k;
        }
    }
    return phases;
}

// ---- one measurement ------------------------------------------------------------------------------------------------

struct Measurement {
    std::size_t round{0};
    std::uint64_t trust{1};
    double e2e_s{0};
    double ceiling_s{0};
    double core_ms{0}, workers_ms{0}, anvil_ms{0};
    std::size_t txs{0};
    double core_calls{0}, workers_calls{0};  //!< JSON-RPC calls per task
    std::string bound;                       //!< the phase with the largest mean
    double bound_share{0};
};

struct Run {
    const Options& opt;
    Chain& chain;
    App app;
    Address pool_workerpool;
    Address ceiling_workerpool;
    fs::path dir;
    std::uint64_t salt{1'000'000};

    Bytes32 match(const DealSpec& spec, const Address& workerpool) {
        const DealOrders o = make_deal_orders(chain.domain, spec, workerpool, salt, chain.key(kAppOwner),
                                              chain.key(kScheduler), chain.key(kRequester));
        salt += 10;
        chain.send(chain.hub->match_orders(o.app, DatasetOrder{}, o.workerpool, o.request), kRequester);
        return deal_id(order_hash(chain.domain, Order(o.request)), U256(0));
    }

    Measurement measure(std::size_t round, std::uint64_t trust) {
        Measurement out;
        out.round = round;
        out.trust = trust;
        const std::size_t v = opt.tasks;
        std::printf("\nround %zu, trust %llu: %zu tasks, %zu workers × %zu slots\n", round,
                    static_cast<unsigned long long>(trust), v, opt.workers, opt.slots);
        // 1. The pool.
        PoolProcessesOptions po;
        po.dir = dir / ("round-" + std::to_string(round) + "-trust-" + std::to_string(trust));
        po.binary = WP_IEXEC_POOL_BIN;
        po.rpc = chain.devnet->info.rpc;
        po.hub = chain.devnet->info.hub;
        po.workerpool = pool_workerpool;
        po.scheduler_key_hex = to_hex(chain.key(kScheduler).secret().view());
        po.start_block = must(chain.eth->block_number(), "block number");
        po.core_port = must(sys::find_free_tcp_port(), "free port");
        PoolProcesses pool(po);
        auto started = pool.start_core(opt.core);
        for (std::size_t w = 0; started && w < opt.workers; ++w) {
            ConfigOverrides overrides{{"worker.capacity.cpuSlots", static_cast<std::int64_t>(opt.slots)}};
            overrides.insert(overrides.end(), opt.worker.begin(), opt.worker.end());
            auto added = pool.add_worker(chain.key(kWorkerAccounts[w]), overrides);
            if (!added) started = tl::unexpected(added.error());
        }
        if (!started) {
            std::fprintf(stderr, "%s\n", pool.logs_tail().c_str());
            fail("starting the pool: " + started.error().message);
        }
        std::vector<pid_t> worker_pids;
        for (std::size_t w = 0; w < pool.worker_count(); ++w) worker_pids.push_back(pool.worker(w).process.pid());
        const pid_t core_pid = pool.core_daemon().process.pid();
        const pid_t anvil_pid = chain.devnet->node.process().pid();
        auto workers_cpu = [&] {
            double s = 0;
            for (pid_t p : worker_pids) s += cpu_ms(p);
            return s;
        };

        DealSpec spec;
        spec.app = app;
        spec.volume = v;
        spec.trust = trust;
        spec.params = R"({"iexec_args":"e2e bench"})";
        const RpcCallCounts core_rpc0 = core_rpc_counts(pool.core_url());
        const RpcCallCounts workers_rpc0 = workers_rpc_counts(po.dir, pool.worker_count());
        const double core0 = cpu_ms(core_pid), workers0 = workers_cpu(), anvil0 = cpu_ms(anvil_pid);
        const Bytes32 deal = match(spec, pool_workerpool);
        const auto t0 = SteadyClock::now();
        const std::int64_t matched_ms = now_unix_ms();
        const std::uint64_t match_block = must(chain.eth->block_number(), "block number");

        std::vector<Bytes32> left;
        for (std::size_t i = 0; i < v; ++i) left.push_back(task_id(deal, U256(i)));
        std::size_t failed = 0;
        auto last_print = SteadyClock::now();
        std::int64_t received_ms = -1;
        while (!left.empty()) {
            if (received_ms < 0) {  // when the core has stored the deal (its tasks RECEIVED)
                auto deals = pool.dashboard("deals?limit=10");
                if (deals && deals->is_object() && deals->as_object().contains("deals")) {
                    for (const auto& d : deals->at("deals").as_array())
                        if (d.at("dealId").as_string() == to_hex(deal.view())) received_ms = now_unix_ms();
                }
            }
            auto views = chain.hub->view_tasks(left);
            std::vector<Bytes32> still;
            for (std::size_t k = 0; k < left.size(); ++k) {
                if (views[k] && views[k]->status == TaskStatus::kCompleted) continue;
                if (views[k] && views[k]->status == TaskStatus::kFailed) {
                    ++failed;
                    continue;
                }
                still.push_back(left[k]);
            }
            left = std::move(still);
            if (left.empty()) break;
            if (seconds_since(t0) > static_cast<double>(opt.timeout)) {
                std::fprintf(stderr, "%s\n", pool.logs_tail().c_str());
                fail(std::to_string(left.size()) + " tasks not done after " + std::to_string(opt.timeout) + " s");
            }
            if (SteadyClock::now() - last_print > std::chrono::seconds(10)) {
                std::printf("  … %zu/%zu done after %.0f s\n", v - left.size(), v, seconds_since(t0));
                std::fflush(stdout);
                last_print = SteadyClock::now();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        out.e2e_s = seconds_since(t0);
        out.core_ms = cpu_ms(core_pid) - core0;
        out.workers_ms = workers_cpu() - workers0;
        out.anvil_ms = cpu_ms(anvil_pid) - anvil0;
        const RpcCallCounts core_rpc = minus(core_rpc_counts(pool.core_url()), core_rpc0);
        const std::uint64_t done_block = must(chain.eth->block_number(), "block number");
        if (failed > 0) fail(std::to_string(failed) + " tasks FAILED on chain");

        // Where the time goes: each task's history from the core.
        // The core may see the last finalize mined a little after the chain has it: wait (up to 30 s, untimed) until
        // it says COMPLETED too, so that every task's history is whole.
        std::vector<std::array<std::int64_t, kMilestoneCount>> all;
        const auto history_deadline = SteadyClock::now() + std::chrono::seconds(30);
        for (std::size_t i = 0; i < v; ++i) {
            const std::string path = "tasks/" + to_hex(task_id(deal, U256(i)).view());
            auto t = pool.dashboard(path);
            while (t && t->at("status").as_string() != "COMPLETED" && SteadyClock::now() < history_deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                t = pool.dashboard(path);
            }
            if (!t) fail("dashboard: " + t.error().message);
            all.push_back(milestones(*t, matched_ms, received_ms));
        }
        pool.stop_all();
        // The workers write their counters once more when they stop (their calls until their last chain action).
        const RpcCallCounts workers_rpc = minus(workers_rpc_counts(po.dir, pool.worker_count()), workers_rpc0);

        // 2. The pool's transactions.
        std::set<Address> senders{chain.address(kScheduler)};
        for (std::size_t w = 0; w < opt.workers; ++w) senders.insert(chain.address(kWorkerAccounts[w]));
        const auto txs = pool_transactions(chain, match_block + 1, done_block, senders);
        std::size_t counts[static_cast<std::size_t>(Kind::kCount)] = {};
        std::size_t reverted_of[static_cast<std::size_t>(Kind::kCount)] = {};
        std::size_t reverted = 0;
        for (const auto& t : txs) {
            if (!t.ok) {
                ++reverted;
                ++reverted_of[static_cast<std::size_t>(t.kind)];
                continue;
            }
            ++counts[static_cast<std::size_t>(t.kind)];
        }
        out.txs = txs.size() - reverted;

        // 3. The ceiling: the same transactions for a new deal of the same orders on the ceiling workerpool.
        const Bytes32 ceiling_deal = match(spec, ceiling_workerpool);
        const auto phases = ceiling_calls(chain, txs, deal, ceiling_deal, v);
        double phase_s[4] = {0, 0, 0, 0};
        std::size_t ceiling_reverted = 0;
        for (std::size_t p = 0; p < 4; ++p) {
            if (phases[p].empty()) continue;
            const auto signed_txs = must(bench::presign(*chain.eth, chain.chain_id, phases[p]), "presign");
            const auto p0 = SteadyClock::now();
            // At trust > 1 a contribution the pool needed may come after the consensus in the replay (every worker's
            // score rose with the pool's run, so fewer contributions reach it): it reverts, as does its reveal; they
            // are sent all the same (their cost is the chain's too) and counted.
            auto sent =
                bench::send_presigned(*chain.rpc, signed_txs, opt.batch, true, std::chrono::seconds(300), trust > 1);
            if (!sent) {
                // What the chain holds for the ceiling's tasks, to see why.
                for (std::size_t i = 0; i < std::min<std::size_t>(v, 5); ++i) {
                    const auto tid = task_id(ceiling_deal, U256(i));
                    auto t = chain.hub->view_task(tid);
                    if (!t) continue;
                    std::fprintf(stderr, "ceiling task %zu: %s, %zu contributors, winners %s, revealed %s\n", i,
                                 std::string(to_string(t->status)).c_str(), t->contributors.size(),
                                 t->winner_counter.to_dec().c_str(), t->reveal_counter.to_dec().c_str());
                    auto cs = chain.hub->view_contributions(tid, t->contributors);
                    for (std::size_t k = 0; k < cs.size(); ++k)
                        if (cs[k])
                            std::fprintf(stderr, "  %s: %s weight %s\n", t->contributors[k].to_checksum().c_str(),
                                         std::string(to_string(cs[k]->status)).c_str(), cs[k]->weight.to_dec().c_str());
                }
                fail("ceiling phase " + std::to_string(p) + ": " + sent.error().message);
            }
            ceiling_reverted += sent->reverted;
            phase_s[p] = seconds_since(p0);
        }
        out.ceiling_s = phase_s[0] + phase_s[1] + phase_s[2] + phase_s[3];
        for (std::size_t i : {std::size_t{0}, v - 1}) {
            const auto t = must(chain.hub->view_task(task_id(ceiling_deal, U256(i))), "viewTask");
            if (t.status != TaskStatus::kCompleted) fail("ceiling: task " + std::to_string(i) + " is not COMPLETED");
        }

        // Report.
        const double n = static_cast<double>(v);
        const double e2e_rate = n / out.e2e_s, ceiling_rate = n / out.ceiling_s;
        std::printf("  e2e      %8.2f s  %8.2f tasks/s  (match → last COMPLETED, viewTask)\n", out.e2e_s, e2e_rate);
        std::printf(
            "  ceiling  %8.2f s  %8.2f tasks/s  (the pool's %zu transactions pre-signed, pipelined: "
            "initialize %.2f s, contribute %.2f s, reveal %.2f s, finalize %.2f s; %zu reverted)\n",
            out.ceiling_s, ceiling_rate, out.txs, phase_s[0], phase_s[1], phase_s[2], phase_s[3], ceiling_reverted);
        std::printf("  ratio e2e / ceiling: %.3f\n", e2e_rate / ceiling_rate);
        std::printf(
            "  CPU ms per task: core %.1f, workers %.1f (apps included), anvil %.1f; e2e wall ms per task "
            "%.1f\n",
            out.core_ms / n, out.workers_ms / n, out.anvil_ms / n, 1000.0 * out.e2e_s / n);
        std::printf("  transactions per task: %.2f (", static_cast<double>(out.txs) / n);
        for (std::size_t k = 0; k < static_cast<std::size_t>(Kind::kCount); ++k)
            std::printf("%s%s %zu", k ? ", " : "", kKindNames[k], counts[k]);
        std::printf("; reverted %zu:", reverted);
        for (std::size_t k = 0; k < static_cast<std::size_t>(Kind::kCount); ++k)
            if (reverted_of[k] > 0) std::printf(" %s %zu", kKindNames[k], reverted_of[k]);
        std::printf(") in blocks %llu–%llu\n", static_cast<unsigned long long>(match_block + 1),
                    static_cast<unsigned long long>(done_block));
        {
            // The gas the successful ones used against their limits (fixed limits must keep a margin above the max).
            std::uint64_t used_max[static_cast<std::size_t>(Kind::kCount)] = {};
            std::uint64_t limit_min[static_cast<std::size_t>(Kind::kCount)] = {};
            for (const auto& t : txs) {
                if (!t.ok) continue;
                const auto k = static_cast<std::size_t>(t.kind);
                used_max[k] = std::max(used_max[k], t.gas_used);
                limit_min[k] = limit_min[k] == 0 ? t.gas : std::min(limit_min[k], t.gas);
            }
            std::printf("  gas used (max) / limit (min):");
            for (std::size_t k = 0; k < static_cast<std::size_t>(Kind::kCount); ++k)
                if (used_max[k] > 0)
                    std::printf(" %s %llu / %llu", kKindNames[k], static_cast<unsigned long long>(used_max[k]),
                                static_cast<unsigned long long>(limit_min[k]));
            std::printf("\n");
        }
        print_rpc_counts("core", core_rpc, n);
        print_rpc_counts("workers", workers_rpc, n);
        for (const auto& [m, k] : core_rpc)
            if (m != "(requests)") out.core_calls += static_cast<double>(k) / n;
        for (const auto& [m, k] : workers_rpc)
            if (m != "(requests)") out.workers_calls += static_cast<double>(k) / n;
        const auto stats = phase_stats(all);
        double total = 0;
        for (const auto& s : stats) total += s.mean();
        std::printf("  where the time goes (per task, ms: median / p90 / mean; share of Σ means %.0f ms):\n", total);
        for (const auto& s : stats) {
            if (s.ms.empty()) continue;
            const double share = total > 0 ? s.mean() / total : 0;
            std::printf("    %-32s %8.0f %8.0f %8.0f  %5.1f %%  (%zu tasks)\n", s.name.c_str(), s.quantile(0.5),
                        s.quantile(0.9), s.mean(), 100.0 * share, s.ms.size());
            if (share > out.bound_share) {
                out.bound_share = share;
                out.bound = s.name;
            }
        }
        std::fflush(stdout);
        return out;
    }
};

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parse_args(argc, argv);
    const fs::path dir = fs::temp_directory_path() / ("wp_e2e_bench." + std::to_string(::getpid()));
    fs::create_directories(dir);

    const auto setup0 = SteadyClock::now();
    Chain c;
    devnet::DevnetOptions options;
    options.anvil.binary = WP_ANVIL_BIN;
    options.anvil.port = must(sys::find_free_tcp_port(), "free port");
    options.anvil.data_dir = dir / "anvil";
    // As `iexec-pool up` runs it, unless --anvil chooses the mining itself (--block-time / --no-mining).
    const bool own_mining = std::any_of(opt.anvil.begin(), opt.anvil.end(), [](const std::string& a) {
        return a == "--block-time" || a == "-b" || a == "--no-mining" || a == "--mixed-mining";
    });
    if (!own_mining) options.anvil.extra_args = {"--block-time", "1", "--mixed-mining"};
    options.anvil.extra_args.insert(options.anvil.extra_args.end(), opt.anvil.begin(), opt.anvil.end());
    options.poco_dir = WP_POCO_DIR;
    c.devnet.emplace(must(devnet::start_devnet(options), "start_devnet"));
    const auto& info = c.devnet->info;
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = info.rpc;
    c.rpc = std::make_unique<chain::JsonRpcClient>(rpc_options);
    c.eth = std::make_unique<chain::EthClient>(*c.rpc);
    c.hub = std::make_unique<chain::Hub>(*c.eth, chain::PocoAddresses{info.hub, info.token, info.app_registry,
                                                                      info.dataset_registry, info.workerpool_registry});
    c.chain_id = info.chain_id;
    for (std::size_t i = 0; i < info.accounts.size(); ++i) {
        c.keys.push_back(must(PrivateKey::from_bytes(info.accounts[i].private_key.view()), "key"));
        c.account_of[info.accounts[i].address] = i;
    }
    c.domain = Domain::iexec(U256(info.chain_id), info.hub);

    Run run{opt, c, {}, {}, {}, dir};
    auto params = must(
        bundle_app_params(fs::path(WP_DEMO_APPS_DIR) / "echo.tar.gz", c.address(kAppOwner), "e2e bench echo", run.app),
        "echo bundle");
    run.app.address = must(c.hub->predict_app(params), "predictApp");
    c.send(c.hub->create_app(params), kAppOwner);
    for (auto [name, out] :
         {std::pair{"e2e bench pool", &run.pool_workerpool}, std::pair{"e2e bench ceiling", &run.ceiling_workerpool}}) {
        const chain::WorkerpoolParams pool{c.address(kScheduler), name};
        *out = must(c.hub->predict_workerpool(pool), "predictWorkerpool");
        c.send(c.hub->create_workerpool(pool), kScheduler);
    }
    std::printf("wp_e2e_bench: %zu tasks, %zu workers × %zu slots, %zu round(s), trust", opt.tasks, opt.workers,
                opt.slots, opt.rounds);
    for (auto t : opt.trusts) std::printf(" %llu", static_cast<unsigned long long>(t));
    std::printf("; anvil");
    for (const auto& a : options.anvil.extra_args) std::printf(" %s", a.c_str());
    std::printf(" (setup %.1f s)\n", seconds_since(setup0));

    std::vector<Measurement> all;
    for (std::size_t round = 1; round <= opt.rounds; ++round) {
        for (auto trust : opt.trusts) {
            if (trust > 1 && opt.workers < 3) {
                std::printf("\nround %zu, trust %llu: skipped (needs 3 workers or more)\n", round,
                            static_cast<unsigned long long>(trust));
                continue;
            }
            all.push_back(run.measure(round, trust));
        }
    }
    std::printf("\nsummary (%zu tasks, %zu workers × %zu slots):\n", opt.tasks, opt.workers, opt.slots);
    std::printf("%-6s %-6s %10s %12s %8s %10s %10s %10s %8s %10s %10s  %s\n", "round", "trust", "e2e t/s",
                "ceiling t/s", "ratio", "core ms/t", "wrk ms/t", "anvil ms/t", "tx/task", "core rpc/t", "wrk rpc/t",
                "slowest phase (share)");
    for (const auto& m : all) {
        const double n = static_cast<double>(opt.tasks);
        std::printf("%-6zu %-6llu %10.2f %12.2f %8.3f %10.1f %10.1f %10.1f %8.2f %10.1f %10.1f  %s (%.0f %%)\n",
                    m.round, static_cast<unsigned long long>(m.trust), n / m.e2e_s, n / m.ceiling_s,
                    m.ceiling_s / m.e2e_s, m.core_ms / n, m.workers_ms / n, m.anvil_ms / n,
                    static_cast<double>(m.txs) / n, m.core_calls, m.workers_calls, m.bound.c_str(),
                    100.0 * m.bound_share);
    }
    (void)c.devnet->node.stop();
    if (!opt.keep) {
        std::error_code ec;
        fs::remove_all(dir, ec);
    } else {
        std::printf("kept: %s\n", dir.string().c_str());
    }
    return 0;
}
