#include "lifecycle.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "logging.hpp"

namespace wp::service {

const char* to_string(Health health) noexcept {
    switch (health) {
        case Health::kOk: return "ok";
        case Health::kDegraded: return "degraded";
        case Health::kFatal: return "fatal";
    }
    return "?";
}

const char* to_string(StopMode mode) noexcept { return mode == StopMode::kGraceful ? "graceful" : "fast"; }

const char* to_string(ComponentRunner::State state) noexcept {
    switch (state) {
        case ComponentRunner::State::kCreated: return "created";
        case ComponentRunner::State::kStarting: return "starting";
        case ComponentRunner::State::kRunning: return "running";
        case ComponentRunner::State::kDraining: return "draining";
        case ComponentRunner::State::kStopped: return "stopped";
    }
    return "?";
}

void ComponentRunner::add(Component& component) {
    std::lock_guard lock(mutex_);
    components_.push_back(&component);
}

Result<void> ComponentRunner::start_all() {
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::kCreated) return make_error(Errc::kInvalidArgument, "components already started");
        state_ = State::kStarting;
    }
    for (std::size_t i = 0; i < components_.size(); ++i) {
        if (stop_requested()) {
            log_warn("stop requested during startup", {{"skipped", std::to_string(components_.size() - i)}});
            break;
        }
        Component& c = *components_[i];
        log_info("starting component", {{"component", std::string(c.name())}});
        auto started = c.start();
        if (!started) {
            log_error("component failed to start",
                      {{"component", std::string(c.name())}, {"error", started.error().message}});
            stop_all();
            return make_error(started.error().with_context(c.name()));
        }
        std::lock_guard lock(mutex_);
        started_ = i + 1;
    }
    std::lock_guard lock(mutex_);
    if (state_ == State::kStarting) {
        state_ = stop_requests_ > 0 ? State::kDraining : State::kRunning;
    }
    if (state_ == State::kRunning) log_info("ready", {{"components", std::to_string(started_)}});
    return {};
}

void ComponentRunner::stop_all() {
    std::size_t count = 0;
    {
        std::lock_guard lock(mutex_);
        if (state_ == State::kStopped || state_ == State::kCreated) {
            state_ = State::kStopped;
            return;
        }
        state_ = State::kDraining;
        count = started_;
    }
    for (std::size_t i = count; i-- > 0;) {
        Component& c = *components_[i];
        StopMode mode = StopMode::kGraceful;
        {
            std::lock_guard lock(mutex_);
            mode = stop_requests_ > 1 ? StopMode::kFast : StopMode::kGraceful;
            stopping_ = &c;
        }
        log_info("stopping component", {{"component", std::string(c.name())}, {"mode", to_string(mode)}});
        c.stop(mode);
        std::lock_guard lock(mutex_);
        stopping_ = nullptr;
        started_ = i;
    }
    std::lock_guard lock(mutex_);
    state_ = State::kStopped;
    log_info("stopped");
}

Result<void> ComponentRunner::run() {
    WP_TRY_VOID(start_all());
    {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stop_requests_ > 0; });
        if (state_ == State::kRunning) state_ = State::kDraining;
    }
    stop_all();
    return {};
}

void ComponentRunner::request_stop() {
    std::lock_guard lock(mutex_);
    ++stop_requests_;
    if (state_ == State::kRunning) state_ = State::kDraining;
    if (stop_requests_ == 2) {
        log_warn("second stop request: stopping fast");
        if (stopping_) stopping_->force_stop();
    }
    cv_.notify_all();
}

bool ComponentRunner::wait_for_stop_request(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return stop_requests_ > 0; });
}

ComponentRunner::State ComponentRunner::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

bool ComponentRunner::stop_requested() const {
    std::lock_guard lock(mutex_);
    return stop_requests_ > 0;
}

StopMode ComponentRunner::stop_mode() const {
    std::lock_guard lock(mutex_);
    return stop_requests_ > 1 ? StopMode::kFast : StopMode::kGraceful;
}

std::vector<std::pair<std::string, HealthReport>> ComponentRunner::component_health() const {
    std::vector<Component*> started;
    {
        std::lock_guard lock(mutex_);
        started.assign(components_.begin(), components_.begin() + static_cast<std::ptrdiff_t>(started_));
    }
    std::vector<std::pair<std::string, HealthReport>> out;
    for (auto* c : started) out.emplace_back(std::string(c->name()), c->health());
    return out;
}

HealthReport ComponentRunner::health() const {
    HealthReport worst;
    for (auto& [name, report] : component_health()) {
        if (report.health == Health::kOk) continue;
        if (static_cast<int>(report.health) > static_cast<int>(worst.health)) worst.health = report.health;
        if (!worst.detail.empty()) worst.detail += "; ";
        worst.detail += name + ": " + (report.detail.empty() ? to_string(report.health) : report.detail);
    }
    return worst;
}

// ---------------------------------------------------------------------------------------------------------------

namespace {
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}
}  // namespace

Result<void> SignalWatcher::block_in_this_thread() {
    const sigset_t set = stop_signals();
    if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
        return make_error(Errc::kIo, std::string("pthread_sigmask: ") + std::strerror(rc));
    }
    return {};
}

SignalWatcher::~SignalWatcher() { stop(); }

Result<void> SignalWatcher::start(Callback callback) {
    if (thread_.joinable()) return make_error(Errc::kInvalidArgument, "signal watcher already started");
    const sigset_t set = stop_signals();
    signal_fd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
    if (signal_fd_ < 0) return make_error(Errc::kIo, std::string("signalfd: ") + std::strerror(errno));
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (wake_fd_ < 0) {
        ::close(signal_fd_);
        signal_fd_ = -1;
        return make_error(Errc::kIo, std::string("eventfd: ") + std::strerror(errno));
    }
    thread_ = std::thread([this, cb = std::move(callback)] {
        unsigned count = 0;
        while (true) {
            pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
            const int n = ::poll(fds, 2, -1);
            if (n < 0) {
                if (errno == EINTR) continue;
                return;
            }
            if (fds[1].revents != 0) return;
            if (fds[0].revents & POLLIN) {
                signalfd_siginfo info{};
                const auto got = ::read(signal_fd_, &info, sizeof info);
                if (got != static_cast<ssize_t>(sizeof info)) continue;
                ++count;
                const int signo = static_cast<int>(info.ssi_signo);
                log_info("signal received",
                         {{"signal", signo == SIGINT ? "SIGINT" : "SIGTERM"}, {"count", std::to_string(count)}});
                cb(signo, count);
            }
        }
    });
    return {};
}

void SignalWatcher::stop() {
    if (thread_.joinable()) {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto w = ::write(wake_fd_, &one, sizeof one);
        thread_.join();
    }
    if (signal_fd_ >= 0) ::close(signal_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    signal_fd_ = wake_fd_ = -1;
}

}  // namespace wp::service
