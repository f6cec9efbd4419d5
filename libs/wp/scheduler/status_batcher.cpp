#include "status_batcher.hpp"

#include <time.h>

#include <algorithm>
#include <utility>

namespace wp::scheduler {
namespace {

std::uint64_t thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

StatusBatcher::StatusBatcher(CoreScheduler& core, StatusBatcherOptions options) : core_(core), options_(options) {
    options_.max_batch = std::max<std::size_t>(1, options_.max_batch);
    writer_ = std::thread([this] { writer_loop(); });
}

StatusBatcher::~StatusBatcher() { stop(); }

void StatusBatcher::submit(StatusItem item, Done done) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            queue_.push_back(Job{std::move(item), std::move(done)});
            cv_.notify_one();
            return;
        }
    }
    done(make_error(Errc::kIo, "scheduler is stopping"));
}

void StatusBatcher::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
}

StatusBatcherStats StatusBatcher::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

void StatusBatcher::writer_loop() {
    std::vector<Job> jobs;
    std::vector<StatusItem> items;
    for (;;) {
        jobs.clear();
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
            if (queue_.empty()) return;  // stopping, and everything queued was written
            const std::size_t n = std::min(options_.max_batch, queue_.size());
            for (std::size_t i = 0; i < n; ++i) {
                jobs.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            stats_.batches += 1;
            stats_.items += n;
            stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, n);
        }
        items.clear();
        for (const auto& j : jobs) items.push_back(j.item);
        auto outcomes = core_.update_status_batch(items);
        bool freed = false;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (outcomes[i] && outcomes[i]->http_status == 200 && !holds_slot(items[i].update.status)) freed = true;
            jobs[i].done(std::move(outcomes[i]));
        }
        bool assigned = false;
        if (freed && options_.assign_after) {
            (void)core_.assign_round();  // an error leaves the work to the next round (the daemon's due loop)
            assigned = true;
        }
        std::lock_guard lock(mu_);
        if (assigned) stats_.assign_rounds += 1;
        stats_.writer_cpu_ns = thread_cpu_ns();
    }
}

}  // namespace wp::scheduler
