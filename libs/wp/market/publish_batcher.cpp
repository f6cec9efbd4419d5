#include "publish_batcher.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

namespace wp::market {
namespace {

constexpr int kMaxFactRounds = 8;

std::uint64_t thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

PublishError stopping_error() { return PublishError{PublishError::Kind::kInternal, "market is stopping"}; }

}  // namespace

PublishBatcher::PublishBatcher(Publisher& publisher, PublishBatcherOptions options)
    : publisher_(publisher), options_(options) {
    options_.max_batch = std::max<std::size_t>(1, options_.max_batch);
    options_.slow_threads = std::max(1u, options_.slow_threads);
    writer_ = std::thread([this] { writer_loop(); });
    for (unsigned i = 0; i < options_.slow_threads; ++i) slow_.emplace_back([this] { slow_loop(); });
}

PublishBatcher::~PublishBatcher() { stop(); }

void PublishBatcher::submit(PreparedPublish item, Done done) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!stopping_) {
            queue_.push_back(Job{std::move(item), std::move(done), 0});
            writer_cv_.notify_one();
            return;
        }
    }
    done(tl::unexpected(stopping_error()), {});
}

void PublishBatcher::enqueue(Job job) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!writer_done_) {
            queue_.push_back(std::move(job));
            writer_cv_.notify_one();
            return;
        }
    }
    job.done(tl::unexpected(stopping_error()), {});
}

void PublishBatcher::post_slow(std::function<void()> fn) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!stopping_ || slow_busy_ > 0 || !slow_queue_.empty()) {
            slow_queue_.push_back(std::move(fn));
            slow_cv_.notify_one();
            return;
        }
    }
    fn();
}

void PublishBatcher::writer_loop() {
    std::vector<Job> jobs;
    std::vector<PreparedPublish> items;
    for (;;) {
        jobs.clear();
        {
            std::unique_lock<std::mutex> lock(mu_);
            // Exit once stopping and nothing can come back from the slow lane any more.
            writer_cv_.wait(lock,
                            [&] { return !queue_.empty() || (stopping_ && slow_busy_ == 0 && slow_queue_.empty()); });
            if (queue_.empty()) {
                writer_done_ = true;
                return;
            }
            const std::size_t n = std::min(options_.max_batch, queue_.size());
            for (std::size_t i = 0; i < n; ++i) {
                jobs.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            stats_.batches += 1;
            stats_.items += n;
            stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, n);
        }
        const auto busy_from = std::chrono::steady_clock::now();
        items.clear();
        for (auto& j : jobs) items.push_back(std::move(j.item));
        auto outcomes = publisher_.write_batch(items);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            Job& job = jobs[i];
            if (!outcomes[i].needs_fact) {
                job.done(std::move(outcomes[i].result), std::move(outcomes[i].reply_json));
                continue;
            }
            job.item = std::move(items[i]);
            if (++job.rounds > kMaxFactRounds) {
                job.done(
                    tl::unexpected(PublishError{PublishError::Kind::kInternal, "publish: chain facts kept changing"}),
                    {});
                continue;
            }
            {
                std::lock_guard<std::mutex> lock(mu_);
                stats_.fact_fetches += 1;
            }
            // The fetch is an RPC: on the slow lane, then the item is queued again.
            post_slow([this, pending = std::make_shared<Job>(std::move(job))] {
                if (auto fetched = publisher_.fetch_missing_fact(pending->item); !fetched) {
                    pending->done(tl::unexpected(fetched.error()), {});
                    return;
                }
                enqueue(std::move(*pending));
            });
        }
        const auto busy = std::chrono::steady_clock::now() - busy_from;
        std::lock_guard<std::mutex> lock(mu_);
        stats_.writer_busy_ns += static_cast<std::uint64_t>(std::chrono::nanoseconds(busy).count());
        stats_.writer_cpu_ns = thread_cpu_ns();
    }
}

void PublishBatcher::slow_loop() {
    for (;;) {
        std::function<void()> fn;
        {
            std::unique_lock<std::mutex> lock(mu_);
            slow_cv_.wait(lock, [&] { return !slow_queue_.empty() || (stopping_ && writer_done_); });
            if (slow_queue_.empty()) return;
            fn = std::move(slow_queue_.front());
            slow_queue_.pop_front();
            ++slow_busy_;
        }
        fn();
        {
            std::lock_guard<std::mutex> lock(mu_);
            --slow_busy_;
        }
        writer_cv_.notify_one();
    }
}

void PublishBatcher::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    writer_cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    {
        std::lock_guard<std::mutex> lock(mu_);
        writer_done_ = true;
    }
    slow_cv_.notify_all();
    for (auto& t : slow_)
        if (t.joinable()) t.join();
    slow_.clear();
}

PublishBatcherStats PublishBatcher::stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
}

}  // namespace wp::market
