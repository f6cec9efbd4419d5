// Test helpers shared by the scheduler's unit tests (not part of the library): filled hashes and keys, a test deal,
// and the fixture of a CoreScheduler over a real database (both backends, store::testing::BackendTest).
#pragma once

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <wp/core/clock.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/store/backend_test.hpp>

#include "core_scheduler.hpp"
#include "scheduler_store.hpp"
#include "schema.hpp"

namespace wp::scheduler::testing {

//! 32 bytes all equal to b.
inline Bytes32 h(std::uint8_t b) {
    Bytes32 x;
    x.bytes.fill(b);
    return x;
}

//! The private key whose 32 bytes all equal b.
inline PrivateKey key(std::uint8_t b) {
    Bytes32 s;
    s.bytes.fill(b);
    return *PrivateKey::from_bytes(s.view());
}

//! The workerpool (key 0x70) and its owner's signer (key 0x71) of every scheduler test.
inline Address test_workerpool() { return key(0x70).address(); }

//! A deal of `size` tasks of category 300 s starting at `start_s`, app key(0x10), requester key(0x11), our pool.
inline DealRecord test_deal(std::uint8_t id, std::uint64_t trust, std::uint64_t size, std::uint64_t tag,
                            std::int64_t start_s) {
    DealRecord d;
    d.deal_id = h(id);
    d.app = key(0x10).address();
    d.workerpool = test_workerpool();
    d.requester = key(0x11).address();
    d.category_seconds = 300;
    d.tag = make_tag(tag);
    d.trust = trust;
    d.bot_first = 0;
    d.bot_size = size;
    d.start_time = start_s;
    d.contribution_deadline = d.start_time + 7 * 300;
    d.final_deadline = d.start_time + 10 * 300;
    d.app_uri = "file:///apps/echo.tar.gz";
    d.app_type = "BUNDLE";
    return d;
}

//! A CoreScheduler on a migrated database of either backend, with a manual clock.
class CoreFixture : public store::testing::BackendTest {
  protected:
    //! Opens the database `name`, migrates it and builds the core from `o` (workerpool, chain id and signer filled).
    void open_core(const std::string& name, CoreOptions o = {}) {
        open_database(name);
        if (HasFatalFailure()) return;
        ASSERT_TRUE(migrate_scheduler(*db_));
        store_.emplace(*db_);
        o.workerpool = test_workerpool();
        o.chain_id = 31337;
        o.signer = key(0x71);
        core_.emplace(*store_, clock_, o);
    }
    void TearDown() override {
        core_.reset();
        store_.reset();
        BackendTest::TearDown();
    }

    //! Stores `d` and moves its tasks to INITIALIZED (entering it arms the contribution timer when `arm_timer`).
    void insert_initialized(const DealRecord& d, bool arm_timer) {
        EXPECT_TRUE(*store_->insert_deal(d, clock_.unix_ms()));
        for (std::uint64_t i = 0; i < d.bot_size; ++i) {
            auto t = **store_->task(TaskKey{d.deal_id, i});
            t = **store_->transition_task(t, TaskEvent::kInitializeSubmitted, {}, clock_.unix_ms());
            TaskChange c;
            if (arm_timer) c.due_ms = d.contribution_deadline * 1000;
            EXPECT_TRUE(*store_->transition_task(t, TaskEvent::kInitializeMined, c, clock_.unix_ms()));
        }
    }

    std::optional<SchedulerStore> store_;
    ManualClock clock_;
    std::optional<CoreScheduler> core_;
};

}  // namespace wp::scheduler::testing
