#pragma once
// The deal setup shared by the worker's tests on the real PoCo contracts (worker_chain_anvil_test.cpp,
// worker_tee_anvil_test.cpp): on the shared devnet of poco_fixture.hpp (snapshot / revert per test), the three assets,
// a scratch folder readable by the sandbox's unprivileged uid, an app bundle (.tar.gz with iexec-app.json naming
// run.sh) with its checksum computed by coreutils sha256sum, a deal of one task at trust 1 matched with a given tag and
// initialized by the scheduler, and the ReplicateRequest of that task for ReplicateRunner.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include <wp/chain/match_facts.hpp>
#include <wp/protocol/ids.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/worker/replicate_runner.hpp>

#include "poco_orders.hpp"

namespace wp::test {

//! Runs `cmd` with /bin/sh and returns its stdout without trailing newlines.
inline std::string run_shell(const std::string& cmd) {
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[256];
    std::size_t n;
    while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    if (p) ::pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

//! One initialized task of a fresh deal.
struct WorkerTask {
    Bytes32 deal_id;
    Bytes32 task_id;
    Deal deal;
};

class WorkerDealAnvil : public PocoOrdersFixture {
  protected:
    void SetUp() override {
        PocoOrdersFixture::SetUp();
        if (HasFatalFailure()) return;
        assets_ = create_assets();
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               ("wp-worker-anvil-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_ / "app");
        std::filesystem::permissions(dir_, kReadable);
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        PocoOrdersFixture::TearDown();  // evm_revert: the next test starts from the same chain state
    }

    static constexpr std::filesystem::perms kReadable =
        std::filesystem::perms::owner_all | std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
        std::filesystem::perms::others_read | std::filesystem::perms::others_exec;

    //! The bundle <dir>/app.tar.gz whose run.sh is `script` (after "#!/bin/sh\n"); returns its sha256 (sha256sum).
    Bytes32 write_bundle(const std::string& script) {
        std::ofstream(dir_ / "app/iexec-app.json") << R"({"entrypoint":"run.sh"})";
        std::ofstream(dir_ / "app/run.sh") << "#!/bin/sh\n" << script;
        std::filesystem::permissions(dir_ / "app/run.sh", kReadable);
        EXPECT_EQ(run_shell("tar -czf " + bundle_path().string() + " -C " + (dir_ / "app").string() + " . && echo ok"),
                  "ok");
        auto sum = bytes32_from_hex("0x" + run_shell("sha256sum " + bundle_path().string() + " | cut -d' ' -f1"));
        EXPECT_TRUE(sum);
        return sum.value_or(Bytes32{});
    }
    std::filesystem::path bundle_path() const { return dir_ / "app.tar.gz"; }

    //! matchOrders with every tag = `tag`, trust 1, volume 1 (deal id predicted from the chain facts), then
    //! initialize(task 0) by the scheduler. `salt` makes the orders distinct.
    WorkerTask deal_task(std::uint64_t tag, std::uint64_t salt) {
        WorkerTask t;
        Orders o = make_orders(assets_, U256(1), /*with_dataset=*/false, salt, 1);
        o.app.tag = o.workerpool.tag = o.request.tag = make_tag(tag);
        o = sign_all(o);
        chain::MatchFactsOptions options;
        options.version = PocoVersion::kV6_1;
        auto facts = chain::match_facts_from_chain(hub(), o.app, o.dataset, o.workerpool, o.request, options);
        EXPECT_TRUE(facts) << facts.error().message;
        if (!facts) return t;
        auto predicted = match_orders(o.app, o.dataset, o.workerpool, o.request, *facts);
        EXPECT_TRUE(predicted) << predicted.error().explanation;
        if (!predicted) return t;
        auto receipt = send(hub().match_orders(o.app, o.dataset, o.workerpool, o.request), key(kRequester));
        EXPECT_TRUE(receipt) << receipt.error().message;
        t.deal_id = predicted->deal_id;
        auto init = send(hub().initialize(t.deal_id, U256(0)), key(kScheduler));
        EXPECT_TRUE(init) << init.error().message;
        t.task_id = task_id(t.deal_id, U256(0));
        t.deal = hub().view_deal(t.deal_id).value();
        return t;
    }

    //! The ReplicateRequest of `t` running the bundle written by write_bundle (30 s, 256 MiB).
    worker::ReplicateRequest request_for(const WorkerTask& t, const Bytes32& checksum) const {
        worker::ReplicateRequest req;
        req.task.task_id = t.task_id;
        req.task.deal_id = t.deal_id;
        req.task.task_index = U256(0);
        req.task.bot_size = t.deal.bot_size;
        req.task.bot_first = t.deal.bot_first;
        req.app_url = "file://" + bundle_path().string();
        req.app_checksum = checksum;
        req.tag = t.deal.tag;
        req.max_time = std::chrono::seconds(30);
        req.memory_bytes = 256ull << 20;
        return req;
    }

    Assets assets_;
    std::filesystem::path dir_;
};

}  // namespace wp::test
