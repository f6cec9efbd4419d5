#pragma once
// CoreServiceFixture: the shared body of the tests running the whole core (scheduler::CoreService) in-process on the
// shared PoCo devnet (core_service_anvil_test.cpp, orders_policy_anvil_test.cpp):
//   - a scratch folder (the SQLite database core.db, the results folder) named after the test group and the pid;
//   - a ManualClock set to the chain's latest block time;
//   - the assets of local-chain.md §5 (app, dataset, workerpool) and a CoreConfig for that workerpool (the
//     scheduler's dev key, starting at the head, polling every 100 ms, port 0) the test completes before start_core();
//   - start_core() / stop_core(): the daemon's components started / stopped gracefully (a restart: stop, start);
//   - register_worker(): login (EIP-712 challenge signed by the worker's key) and registration through the HTTP API;
//   - eventually(): a bounded wait while the daemon's loops run.
// The in-process scheduler without the daemon is core_chain_fixture.hpp; the real processes are tests/pool.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>
#include <wp/scheduler/core_service.hpp>
#include <wp/workerapi/messages.hpp>

#include "poco_orders.hpp"

namespace wp::test {

class CoreServiceFixture : public PocoOrdersFixture {
  protected:
    //! `folder`: the scratch folder's name (one per test group; the pid is appended).
    explicit CoreServiceFixture(std::string folder) : folder_(std::move(folder)) {}

    void SetUp() override {
        PocoOrdersFixture::SetUp();
        if (HasFatalFailure()) return;
        dir_ = std::filesystem::path(::testing::TempDir()) / (folder_ + "_" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        auto ts = block_timestamp();
        ASSERT_TRUE(ts);
        clock_.advance(std::chrono::seconds(static_cast<std::int64_t>(*ts) - 1767225600));
        assets_ = create_assets();
        auto head = eth().block_number();
        ASSERT_TRUE(head);
        head_ = *head;
        config_.rpc = info().rpc;
        config_.hub = info().hub;
        config_.workerpool = assets_.workerpool;
        config_.start_block = *head;
        config_.poll_interval = std::chrono::milliseconds(100);
        config_.private_key = to_hex(info().accounts.at(kScheduler).private_key.view());
        config_.db = "sqlite:" + (dir_ / "core.db").string();
        config_.port = 0;
        config_.results_dir = (dir_ / "results").string();
    }
    void TearDown() override {
        stop_core();
        std::filesystem::remove_all(dir_);
        PocoOrdersFixture::TearDown();
    }

    //! Opens the daemon on config_ (`url_file`: where it writes its URL, "" for none) and starts its components.
    void start_core(const std::string& url_file = {}) {
        auto opened = scheduler::CoreService::open(config_, url_file, &clock_);
        ASSERT_TRUE(opened) << opened.error().message;
        core_ = std::move(*opened);
        for (auto* c : core_->components()) {
            auto started = c->start();
            ASSERT_TRUE(started) << c->name() << ": " << started.error().message;
            core_started_.push_back(c);
        }
    }
    void stop_core() {
        for (auto it = core_started_.rbegin(); it != core_started_.rend(); ++it)
            (*it)->stop(service::StopMode::kGraceful);
        core_started_.clear();
        core_.reset();
    }

    //! Waits (bounded: 60 s) for `done`, the daemon's loops running meanwhile.
    template <class F>
    bool eventually(F done) {
        for (int i = 0; i < 600; ++i) {
            if (done()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return done();
    }

    //! Login (EIP-712 challenge signed by the worker's key) and registration through the HTTP API; the bearer token
    //! is kept in token_.
    void register_worker(const PrivateKey& wallet, std::uint32_t slots, const std::string& name = "anvil-worker") {
        namespace json = boost::json;
        const std::string base = core_->url() + "/api/v1";
        auto challenge = http_.get(base + "/login/challenge?address=" + wallet.address().to_checksum());
        ASSERT_TRUE(challenge) << challenge.error().message;
        ASSERT_EQ(challenge->status, 200U) << challenge->body;
        auto lc = workerapi::login_challenge_from_json(json::parse(challenge->body));
        ASSERT_TRUE(lc) << lc.error().message;
        auto typed = eip712::parse_typed_data(json::value(lc->typed_data));
        ASSERT_TRUE(typed) << typed.error().message;
        auto digest = eip712::digest(*typed);
        ASSERT_TRUE(digest);
        const Signature sig = sign_hash(wallet, *digest);
        const std::string header =
            to_hex(digest->view()) + "_" + to_hex(ByteView(sig.to_bytes65())) + "_" + wallet.address().to_checksum();
        auto login = http_.post(base + "/login", "", {{"Authorization", header}});
        ASSERT_TRUE(login) << login.error().message;
        ASSERT_EQ(login->status, 200U) << login->body;
        auto answer = workerapi::login_answer_from_json(json::parse(login->body));
        ASSERT_TRUE(answer) << answer.error().message;
        token_ = answer->token;
        workerapi::WorkerRegistration reg;
        reg.name = name;
        reg.version = "0.1.0";
        reg.cpu_slots = slots;
        auto registered = http_.post(base + "/register", workerapi::serialize(workerapi::to_json(reg)),
                                     {{"Authorization", "Bearer " + answer->token}});
        ASSERT_TRUE(registered) << registered.error().message;
        ASSERT_EQ(registered->status, 200U) << registered->body;
    }

    std::string folder_;
    std::filesystem::path dir_;
    ManualClock clock_{false};
    Assets assets_;
    std::uint64_t head_{0};  //!< the chain's head when SetUp ended
    scheduler::CoreConfig config_;
    std::unique_ptr<scheduler::CoreService> core_;
    std::vector<service::Component*> core_started_;
    net::HttpClient http_;
    std::string token_;
};

}  // namespace wp::test
