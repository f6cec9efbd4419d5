#pragma once
// Lifecycle of a daemon: components constructed explicitly in main, started in order, stopped in reverse
// order; SIGINT / SIGTERM handled by a dedicated signal thread; health and readiness.
//
// States of a ComponentRunner (userver / Envoy model, daemon-style.md D4, D5, D7 #7):
//
//   kCreated --run()/start_all()--> kStarting --every start() ok--> kRunning --stop request--> kDraining --> kStopped
//                                       | a start() failed: the started ones are stopped in reverse --> kStopped
//
// - ready() is true only in kRunning (every component started, no stop requested); it is false again as soon as
//   a stop is requested (drain), so /ready answers 503 while draining.
// - A stop request comes from request_stop() (any thread) or from a signal through SignalWatcher. The first
//   request is graceful (StopMode::kGraceful); a second request while stopping switches to StopMode::kFast: the
//   component being stopped gets force_stop(), and the following ones are stopped with kFast.
// - health(): the worst health of the components (kOk < kDegraded < kFatal) with a reason per component.
//
// Components are owned by main (or by the caller) and must outlive the runner's run().
//
// Signals: SignalWatcher::block_in_this_thread() must be called in main before any thread is created, so every
// thread inherits the blocked mask and only the watcher's thread (signalfd) receives SIGINT / SIGTERM. No work
// is done in a signal handler.
//
// Thread safety: request_stop(), state(), ready(), health() may be called from any thread (HTTP handlers, the
// signal thread). run() / start_all() / stop_all() are called by one thread (main).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <wp/core/result.hpp>

namespace wp::service {

enum class Health { kOk, kDegraded, kFatal };
//! "ok", "degraded", "fatal".
const char* to_string(Health health) noexcept;

struct HealthReport {
    Health health{Health::kOk};
    std::string detail;  //!< why, when not ok ("" otherwise)
};

enum class StopMode { kGraceful, kFast };
//! "graceful", "fast".
const char* to_string(StopMode mode) noexcept;

//! A part of a daemon with a start and a stop (a server, a chain watcher, a store, a scheduler loop).
class Component {
  public:
    virtual ~Component() = default;
    //! A short stable name for logs and /health ("http", "store", "chain-watcher").
    virtual std::string_view name() const = 0;
    //! Brings the component up; returns when it is serving. An error aborts the startup.
    virtual Result<void> start() = 0;
    //! Stops the component and releases its threads. kGraceful: finish the work in hand (drain); kFast: abandon
    //! it promptly. Called once, only after a successful start(), in reverse start order.
    virtual void stop(StopMode mode) = 0;
    //! Called from another thread (the one calling request_stop(), e.g. the signal thread) while stop(kGraceful)
    //! runs, when a second stop request asks to hurry: the component should make its stop() return soon. It is
    //! called under the runner's lock: it must not block nor call back into the runner. Default: nothing.
    virtual void force_stop() {}
    //! Current health (called from any thread, must not block). Default: ok.
    virtual HealthReport health() const { return {}; }
};

class ComponentRunner {
  public:
    enum class State { kCreated, kStarting, kRunning, kDraining, kStopped };

    ComponentRunner() = default;
    ComponentRunner(const ComponentRunner&) = delete;
    ComponentRunner& operator=(const ComponentRunner&) = delete;

    //! Appends a component (before run()). The start order is the order of add().
    void add(Component& component);

    //! Starts every component in order. On the first failure, stops the started ones in reverse (graceful) and
    //! returns the error prefixed with the component name ("store: ..."). Errc::kInvalidArgument if called twice.
    Result<void> start_all();
    //! Stops the started components in reverse order (the mode may switch to fast while it runs). Idempotent.
    void stop_all();
    //! start_all(), then waits for a stop request, then stop_all(). Returns the start error, if any.
    Result<void> run();

    //! Asks run() to stop (from any thread). The first call is graceful, a later one switches to fast.
    void request_stop();
    //! Waits until a stop has been requested (or the timeout passes); true if requested.
    bool wait_for_stop_request(std::chrono::milliseconds timeout);

    State state() const;
    bool ready() const { return state() == State::kRunning; }
    bool stop_requested() const;
    StopMode stop_mode() const;
    //! Worst component health; detail lists "name: detail" of the components not ok. Before every component
    //! has started, the components not started yet are not counted.
    HealthReport health() const;
    //! Per component: name, health (for /health).
    std::vector<std::pair<std::string, HealthReport>> component_health() const;

  private:
    std::vector<Component*> components_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    State state_{State::kCreated};
    std::size_t started_{0};
    unsigned stop_requests_{0};
    Component* stopping_{nullptr};  // the component inside stop() (for force_stop)
};

//! "created", "starting", "running", "draining", "stopped".
const char* to_string(ComponentRunner::State state) noexcept;

//! A thread that receives SIGINT and SIGTERM (signalfd) and calls a callback for each, with the number of signals
//! received so far. Typical use: `watcher.start([&](int, unsigned) { runner.request_stop(); })`.
class SignalWatcher {
  public:
    using Callback = std::function<void(int signal_number, unsigned count)>;

    //! Blocks SIGINT and SIGTERM in the calling thread (threads created afterwards inherit the mask). Call first
    //! thing in main. Errc::kIo on failure.
    static Result<void> block_in_this_thread();

    SignalWatcher() = default;
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

    //! Starts the signal thread. The signals must be blocked in every thread (block_in_this_thread() in main).
    //! Errc::kIo if signalfd / eventfd fail.
    Result<void> start(Callback callback);
    //! Stops and joins the signal thread (also done by the destructor).
    void stop();

  private:
    std::thread thread_;
    int signal_fd_{-1};
    int wake_fd_{-1};
};

}  // namespace wp::service
