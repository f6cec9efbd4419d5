#pragma once
// Clock: the time seam of the daemons and of the chain layer (TxManager, EventFeed, services).
//
// Code that reads the time or waits takes a `Clock&` (default: system_clock()) instead of calling
// std::chrono::*_clock::now() or std::this_thread::sleep_for directly, so tests control time with a
// ManualClock: no real-time sleeps, no wall-clock assertions.
//
//  - now():        monotonic time (std::chrono::steady_clock) for timeouts, back-offs, intervals;
//  - wall_now():   Unix time (std::chrono::system_clock) for timestamps that are stored or shown;
//  - sleep_until(): blocks until now() >= deadline, or until the clock is interrupted (see ManualClock).
//
// Thread safety: every member function of both implementations may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace wp {

class Clock {
  public:
    using time_point = std::chrono::steady_clock::time_point;
    using duration = std::chrono::steady_clock::duration;
    using wall_time_point = std::chrono::system_clock::time_point;

    virtual ~Clock() = default;
    virtual time_point now() const = 0;
    virtual wall_time_point wall_now() const = 0;
    virtual void sleep_until(time_point deadline) = 0;

    void sleep_for(duration d) { sleep_until(now() + d); }
    //! Unix time in milliseconds (for stored timestamps).
    std::int64_t unix_ms() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(wall_now().time_since_epoch()).count();
    }
};

//! The process's real clock (steady_clock, system_clock, std::this_thread::sleep_until).
Clock& system_clock();

//! A clock that moves only when told to: tests advance it explicitly.
//!  - starts at the given instants (defaults: a steady time of 1,000 s and the wall time 2026-01-01T00:00:00Z);
//!  - advance(d) moves both now() and wall_now() forward by d and wakes the sleepers whose deadline passed;
//!  - with auto_advance (the default: single-threaded tests), sleep_until(t) moves the clock to t at once
//!    instead of blocking; without it, sleep_until blocks until another thread advances the clock past t
//!    (multi-threaded tests that step time by hand), or until interrupt_sleepers() is called.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(bool auto_advance = true);
    time_point now() const override;
    wall_time_point wall_now() const override;
    void sleep_until(time_point deadline) override;

    void advance(duration d);
    void set_auto_advance(bool on);
    //! Wakes every blocked sleep_until() (they return even though their deadline has not come).
    void interrupt_sleepers();
    //! Number of threads blocked in sleep_until() right now (lets a test wait for a thread to go to sleep).
    unsigned sleepers() const;

  private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    time_point now_;
    wall_time_point wall_;
    bool auto_advance_;
    unsigned sleepers_{0};
    std::uint64_t interrupts_{0};
};

}  // namespace wp
