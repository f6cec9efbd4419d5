#pragma once
// ChainTimeClock: the core's clock for chain deadlines. PoCo judges the contribution, reveal and final deadlines by
// block timestamps, so the scheduler must too: a host clock behind the chain (or a chain moved forward, as
// evm_increaseTime does on a devnet) would otherwise keep a task waiting for a deadline the contracts already
// consider passed (no reopen, no claim). The clock is the base clock shifted by how far the latest block's
// timestamp is AHEAD of the base wall time (never behind: block timestamps lag the wall clock by up to one block
// interval, and a deadline judged a block late is harmless).
//
// now() and sleep_until() are the base clock's (steady time is not shifted); wall_now() / unix_ms() are shifted.
// Thread safety: observe() and the readers may run on different threads (the offset is atomic).

#include <atomic>
#include <cstdint>

#include <wp/core/clock.hpp>

namespace wp::scheduler {

class ChainTimeClock final : public Clock {
  public:
    explicit ChainTimeClock(Clock& base) : base_(base) {}

    time_point now() const override { return base_.now(); }
    wall_time_point wall_now() const override {
        return base_.wall_now() + std::chrono::milliseconds(offset_ms_.load(std::memory_order_relaxed));
    }
    void sleep_until(time_point deadline) override { base_.sleep_until(deadline); }

    //! The latest block's timestamp (seconds): the offset becomes max(0, timestamp − base wall time).
    void observe(std::uint64_t block_timestamp_s) {
        const auto ahead = static_cast<std::int64_t>(block_timestamp_s) * 1000 - base_.unix_ms();
        offset_ms_.store(ahead > 0 ? ahead : 0, std::memory_order_relaxed);
    }
    //! How far the chain is ahead of the base clock (ms, ≥ 0).
    std::int64_t offset_ms() const { return offset_ms_.load(std::memory_order_relaxed); }

  private:
    Clock& base_;
    std::atomic<std::int64_t> offset_ms_{0};
};

}  // namespace wp::scheduler
