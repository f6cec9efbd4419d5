// The worker's app cases with REAL processes on a devnet (issue 11, "Proof"): `iexec-pool core` and
// `iexec-pool worker` children of the test (pool_fixture.hpp), the real PoCo on anvil, app bundles built here from
// shell scripts (tests only, never in apps/demo) and deployed on chain with their sha256 as checksum. Each app ends
// as specified, checked on chain (viewTask: status, resultDigest, resultsCallback) against digests computed here
// independently of the worker's code: coreutils sha256sum for a file, the documented directory rule
// (docs/worker.md "Result contract") recomputed with sha256sum + ethers' keccak256, ethers' keccak256 of the callback
// bytes, and the deterministic error result's text hashed with sha256sum for the failures.
//
//   WorkerApps.ResultsOfAFileADirectoryAndCallbackData   three deals, one worker
//   WorkerApps.FailuresEndAsTheDeterministicErrorResult  failing, past its time, too much output, bad checksum
//   WorkerApps.SigtermDrainFinishesTheHeldTask           SIGTERM mid-task: the worker finishes the task, then exits 0
//   WorkerApps.SigtermDrainHandsBackAfterTheDrainTimeout SIGTERM with a short drain: handed back, another worker ends
//   it

#include <csignal>
#include <cstdio>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/order.hpp>

#include "pool_fixture.hpp"

namespace wp::test {
namespace {

using namespace std::chrono_literals;

std::string error_txt(const std::string& status, const std::string& cause) {
    return "[IEXEC] Error occurred while computing the task [error:" + status + ", cause:" + cause + "]";
}

Bytes32 hex32(const std::string& s) {
    auto v = bytes32_from_hex(s);
    EXPECT_TRUE(v) << "not a bytes32: '" << s << "'";
    return v.value_or(Bytes32{});
}

//! stdout of a /bin/sh command, trailing newlines removed.
std::string sh(const std::string& cmd) {
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[256];
    std::size_t n;
    while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (p) ::pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

//! keccak256 of 0x-hex bytes by ethers 6 (tools/devnet/node_modules), not by our code.
Bytes32 ethers_keccak(const std::string& hex) {
    return hex32(sh("node -e \"console.log(require('" WP_SOURCE_DIR "/tools/devnet/node_modules/ethers').keccak256('" +
                    hex + "'))\""));
}

class WorkerApps : public PoolFixture {
  protected:
    //! A deal of one task at trust 1 for `app`, with an optional callback address and category.
    Bytes32 deal_for(const App& app, const std::string& iexec_args = "pool", const Address& callback = {},
                     std::uint64_t category = 0) {
        if (callback.is_zero()) {
            DealSpec spec;
            spec.app = app;
            spec.category = category;
            spec.params = R"({"iexec_args":")" + iexec_args + R"("})";
            return create_deal(spec);
        }
        // create_deal has no callback: the same orders with request.callback set.
        const std::uint64_t salt = 7'000'000 + 10 * ++my_salt_;
        AppOrder a;
        a.app = app.address;
        a.volume = U256(1);
        a.salt = U256(salt).to_be32();
        WorkerpoolOrder w;
        w.workerpool = workerpool();
        w.workerpoolprice = U256(100);
        w.volume = U256(1);
        w.category = U256(category);
        w.trust = U256(1);
        w.salt = U256(salt + 1).to_be32();
        RequestOrder r;
        r.app = app.address;
        r.workerpool = workerpool();
        r.workerpoolmaxprice = U256(100);
        r.requester = address(kRequester);
        r.volume = U256(1);
        r.category = U256(category);
        r.trust = U256(1);
        r.beneficiary = address(kRequester);
        r.callback = callback;
        r.params = R"({"iexec_args":")" + iexec_args + R"("})";
        r.salt = U256(salt + 2).to_be32();
        a.sign = sign_order(domain(), Order(a), key(kAppOwner));
        w.sign = sign_order(domain(), Order(w), key(kScheduler));
        r.sign = sign_order(domain(), Order(r), key(kRequester));
        auto matched = send(hub().match_orders(a, DatasetOrder{}, w, r), key(kRequester));
        EXPECT_TRUE(matched) << "matchOrders: " << matched.error().message;
        return deal_id(order_hash(domain(), Order(r)), U256(0));
    }

    //! The app `app`'s bundle registered again under a checksum it does not have.
    App with_wrong_checksum(const App& app) {
        App bad = app;
        bad.checksum = hex32("0x" + std::string(62, '0') + "99");
        chain::AppParams p;
        p.owner = address(kAppOwner);
        p.name = "worker apps: wrong checksum";
        p.multiaddr = bytes_of("file://" + app.bundle.string());
        p.checksum = bad.checksum;
        bad.address = hub().predict_app(p).value();
        auto created = send(hub().create_app(p), key(kAppOwner));
        EXPECT_TRUE(created) << created.error().message;
        return bad;
    }

    //! A category whose maximum execution time is `seconds` (created by the hub owner); returns its index.
    std::uint64_t short_category(std::uint64_t seconds) {
        const U256 index = hub().count_category().value();
        auto created = send(hub().create_category("worker-apps-short", "{}", U256(seconds)), key(kAdmin));
        EXPECT_TRUE(created) << created.error().message;
        return index.low_u64();
    }

    Task task0(const Bytes32& deal) { return hub().view_task(task_id(deal, U256(0))).value(); }

    std::uint64_t my_salt_{0};
};

std::string computed(const std::string& path) {
    return "echo '{\"deterministic-output-path\":\"/iexec_out/" + path + "\"}' > $IEXEC_OUT/computed.json\n";
}

TEST_F(WorkerApps, ResultsOfAFileADirectoryAndCallbackData) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    add_worker({{"worker.capacity.cpuSlots", 3}});
    ASSERT_FALSE(HasFatalFailure());
    const App file = deploy_script_app("wa-file", "printf 'hello %s' \"$1\" > $IEXEC_OUT/r.txt\n" + computed("r.txt"));
    const App dir = deploy_script_app("wa-dir",
                                      "mkdir -p $IEXEC_OUT/res/sub && printf 'b' > $IEXEC_OUT/res/b.txt && "
                                      "printf 'a' > $IEXEC_OUT/res/a.txt && printf 'ignored' > $IEXEC_OUT/res/sub/c\n" +
                                          computed("res"));
    const std::string cb_data = "0x" + std::string(62, '0') + "42";
    const App cb =
        deploy_script_app("wa-callback", "echo '{\"deterministic-output-path\":\"/iexec_out\",\"callback-data\":\"" +
                                             cb_data + "\"}' > $IEXEC_OUT/computed.json\n");
    const Address callback_target = address(kDatasetOwner);  // any address: PoCo calls it after finalize

    const Bytes32 d_file = deal_for(file, "pool");
    const Bytes32 d_dir = deal_for(dir);
    const Bytes32 d_cb = deal_for(cb, "pool", callback_target);

    // Independently computed digests.
    const Bytes32 want_file = sha256_of("hello pool");
    const std::string sa = sh("printf 'a' | sha256sum | cut -c1-64");
    const std::string sb = sh("printf 'b' | sha256sum | cut -c1-64");
    // The directory rule: keccak256 of the direct entries' sha256, sorted by name; a sub-folder adds no bytes.
    const Bytes32 want_dir = ethers_keccak("0x" + sa + sb);
    const Bytes32 want_cb = ethers_keccak(cb_data);

    for (const Bytes32& d : {d_file, d_dir, d_cb}) {
        const auto done = wait_deal_done(d, 1, 240s);
        ASSERT_EQ(done.completed, 1u) << done.summary();
    }
    EXPECT_EQ(task0(d_file).result_digest, want_file);
    EXPECT_EQ(task0(d_dir).result_digest, want_dir);
    const Task t_cb = task0(d_cb);
    EXPECT_EQ(t_cb.result_digest, want_cb);
    EXPECT_EQ(to_hex(ByteView(t_cb.results_callback.data(), t_cb.results_callback.size())), cb_data);
    // One contribution each, by the pool's worker.
    for (const Bytes32& d : {d_file, d_dir, d_cb}) {
        const auto c = hub().view_contribution(task_id(d, U256(0)), worker_address(0)).value();
        EXPECT_EQ(c.status, ContributionStatus::kProved);
    }
}

TEST_F(WorkerApps, FailuresEndAsTheDeterministicErrorResult) {
    // A category of 60 s: the slow app is stopped at its maximum execution time (the deadlines, 7 and 10 times
    // that, leave room for a chain whose clock lags the host's after earlier tests' snapshots were reverted).
    const std::uint64_t short_cat = short_category(60);
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    add_worker({{"worker.capacity.cpuSlots", 4}, {"worker.maxOutput", "1MiB"}});
    ASSERT_FALSE(HasFatalFailure());
    const App failing = deploy_script_app("wa-fail", "echo boom >&2\nexit 3\n");
    const App slow = deploy_script_app("wa-slow", "sleep 600\n");
    const App big =
        deploy_script_app("wa-big", "head -c 3000000 /dev/zero > $IEXEC_OUT/big.bin\n" + computed("big.bin"));
    const App file = deploy_script_app("wa-file2", "printf 'never run' > $IEXEC_OUT/r.txt\n" + computed("r.txt"));
    const App bad = with_wrong_checksum(file);

    const Bytes32 d_fail = deal_for(failing);
    const Bytes32 d_slow = deal_for(slow, "pool", {}, short_cat);
    const Bytes32 d_big = deal_for(big);
    const Bytes32 d_bad = deal_for(bad);

    const std::map<Bytes32, Bytes32> want{
        {d_fail, sha256_of(error_txt("COMPUTE_FAILED", "APP_COMPUTE_FAILED"))},
        {d_slow, sha256_of(error_txt("COMPUTE_FAILED", "APP_COMPUTE_TIMEOUT"))},
        {d_big, sha256_of(error_txt("COMPUTE_FAILED", "APP_OUTPUT_TOO_LARGE"))},
        {d_bad, sha256_of(error_txt("APP_DOWNLOAD_FAILED", "APP_IMAGE_DOWNLOAD_FAILED"))},
    };
    for (const auto& [d, digest] : want) {
        SCOPED_TRACE(to_hex(d.view()));
        const auto done = wait_deal_done(d, 1, 240s);
        ASSERT_EQ(done.completed, 1u) << done.summary();
        EXPECT_EQ(task0(d).result_digest, digest);
    }
}

//! The status of `worker`'s replicate of task 0 of `deal` in the core's dashboard ("" when it has none).
std::string replicate_status(const boost::json::value& tasks, const Address& worker) {
    if (!tasks.is_object()) return "";
    for (const auto& t : tasks.at("tasks").as_array())
        for (const auto& r : t.at("replicates").as_array())
            if (r.at("worker").as_string() == worker.to_checksum()) return std::string(r.at("status").as_string());
    return "";
}

// SIGTERM while the app runs: the worker takes nothing new, finishes what it holds (compute, contribute, reveal,
// upload, complete) within its drain timeout, then exits 0 by itself.
TEST_F(WorkerApps, SigtermDrainFinishesTheHeldTask) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    add_worker({{"worker.drainTimeout", "150s"}});
    ASSERT_FALSE(HasFatalFailure());
    const App slow =
        deploy_script_app("wa-drain", "sleep 5\nprintf 'drained' > $IEXEC_OUT/r.txt\n" + computed("r.txt"));
    const Bytes32 d = deal_for(slow);
    ASSERT_TRUE(wait_until(
        [&] {
            return replicate_status(dashboard("tasks?deal=" + to_hex(d.view())), worker_address(0)) ==
                   "APP_DOWNLOADING";
        },
        120s, "the worker running the app"));
    ASSERT_TRUE(worker(0).process.kill(SIGTERM));
    auto exited = worker(0).process.wait_for(200s);
    ASSERT_TRUE(exited) << exited.error().message;
    EXPECT_TRUE(exited->success()) << "the worker exits 0 after draining";
    // It finished the task before leaving: completed on chain with its contribution and the app's digest.
    const Task t = task0(d);
    EXPECT_EQ(t.status, TaskStatus::kCompleted);
    EXPECT_EQ(t.result_digest, sha256_of("drained"));
    EXPECT_EQ(hub().view_contribution(task_id(d, U256(0)), worker_address(0)).value().status,
              ContributionStatus::kProved);
}

// SIGTERM with a drain timeout shorter than the app: at the timeout the worker cancels the run, hands the replicate
// back (ABORTED) and exits 0; another worker then completes the task.
TEST_F(WorkerApps, SigtermDrainHandsBackAfterTheDrainTimeout) {
    start_core();
    ASSERT_FALSE(HasFatalFailure());
    add_worker({{"worker.drainTimeout", "1s"}});
    ASSERT_FALSE(HasFatalFailure());
    const App slow =
        deploy_script_app("wa-handback", "sleep 12\nprintf 'handed back' > $IEXEC_OUT/r.txt\n" + computed("r.txt"));
    const Bytes32 d = deal_for(slow);
    const std::string tasks_path = "tasks?deal=" + to_hex(d.view());
    ASSERT_TRUE(
        wait_until([&] { return replicate_status(dashboard(tasks_path), worker_address(0)) == "APP_DOWNLOADING"; },
                   120s, "the worker running the app"));
    ASSERT_TRUE(worker(0).process.kill(SIGTERM));
    auto exited = worker(0).process.wait_for(60s);
    ASSERT_TRUE(exited) << exited.error().message;
    EXPECT_TRUE(exited->success()) << "the worker exits 0 after handing back";
    EXPECT_EQ(replicate_status(dashboard(tasks_path), worker_address(0)), "ABORTED");
    EXPECT_EQ(hub().view_contribution(task_id(d, U256(0)), worker_address(0)).value().status,
              ContributionStatus::kUnset);
    add_worker();
    ASSERT_FALSE(HasFatalFailure());
    const auto done = wait_deal_done(d, 1, 240s);
    ASSERT_EQ(done.completed, 1u) << done.summary();
    EXPECT_EQ(done.tasks[0].result_digest, sha256_of("handed back"));
    ASSERT_EQ(done.tasks[0].contributors.size(), 1u);
    EXPECT_EQ(done.tasks[0].contributors[0], worker_address(1));
}

}  // namespace
}  // namespace wp::test
