#include "clock.hpp"

#include <thread>

namespace wp {
namespace {

class SystemClock final : public Clock {
  public:
    time_point now() const override { return std::chrono::steady_clock::now(); }
    wall_time_point wall_now() const override { return std::chrono::system_clock::now(); }
    void sleep_until(time_point deadline) override { std::this_thread::sleep_until(deadline); }
};

}  // namespace

Clock& system_clock() {
    static SystemClock clock;
    return clock;
}

ManualClock::ManualClock(bool auto_advance)
    : now_(time_point{} + std::chrono::seconds(1000)),
      wall_(wall_time_point{} + std::chrono::seconds(1767225600)),  // 2026-01-01T00:00:00Z
      auto_advance_(auto_advance) {}

Clock::time_point ManualClock::now() const {
    std::lock_guard lock(mutex_);
    return now_;
}

Clock::wall_time_point ManualClock::wall_now() const {
    std::lock_guard lock(mutex_);
    return wall_;
}

void ManualClock::sleep_until(time_point deadline) {
    std::unique_lock lock(mutex_);
    if (deadline <= now_) return;
    if (auto_advance_) {
        wall_ += std::chrono::duration_cast<wall_time_point::duration>(deadline - now_);
        now_ = deadline;
        cv_.notify_all();
        return;
    }
    ++sleepers_;
    cv_.notify_all();
    const auto interrupts = interrupts_;
    cv_.wait(lock, [&] { return now_ >= deadline || interrupts_ != interrupts; });
    --sleepers_;
}

void ManualClock::advance(duration d) {
    std::lock_guard lock(mutex_);
    now_ += d;
    wall_ += std::chrono::duration_cast<wall_time_point::duration>(d);
    cv_.notify_all();
}

void ManualClock::set_auto_advance(bool on) {
    std::lock_guard lock(mutex_);
    auto_advance_ = on;
}

void ManualClock::interrupt_sleepers() {
    std::lock_guard lock(mutex_);
    ++interrupts_;
    cv_.notify_all();
}

unsigned ManualClock::sleepers() const {
    std::lock_guard lock(mutex_);
    return sleepers_;
}

}  // namespace wp
