#pragma once
// HeadWatcher: new blocks seen at once, through an eth_subscribe("newHeads") over the node's WebSocket (ws:// on
// the JSON-RPC's host and port, as anvil, geth and reth serve it). Each head notification calls `on_head`; the
// subscription's state (live: subscribed and connected) goes to `on_live`, so the owner can fall back to polling
// while there is none (no WebSocket, a dropped connection, a node without eth_subscribe). It reconnects with a
// back-off (reconnect_min doubling up to reconnect_max).
//
// Users: the core's chain loop (kicked by each head) and the worker's TxManager (TxManager::notify_new_head: its
// receipt waits wake on new blocks instead of polling).
//
// Thread safety: start() / stop() from one owner thread; the callbacks run on the watcher's own thread (they must
// not call stop()); heads() and live() from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace wp::chain {

struct HeadWatcherOptions {
    std::string url;  //!< ws://host:port[/path]
    std::chrono::milliseconds reconnect_min{1000};
    std::chrono::milliseconds reconnect_max{30000};
};

class HeadWatcher {
  public:
    using OnHead = std::function<void()>;
    //! live: true once subscribed, false when the connection ended (`reason` says why) or failed to open.
    using OnLive = std::function<void(bool live, const std::string& reason)>;

    HeadWatcher(HeadWatcherOptions options, OnHead on_head, OnLive on_live = {});
    //! stop().
    ~HeadWatcher();
    HeadWatcher(const HeadWatcher&) = delete;
    HeadWatcher& operator=(const HeadWatcher&) = delete;

    //! Starts the watcher thread (no-op when running).
    void start();
    //! Ends the thread (within ~0.5 s: the receive timeout); idempotent.
    void stop();

    std::uint64_t heads() const { return heads_.load(); }
    bool live() const { return live_.load(); }

    //! The WebSocket URL of a node's JSON-RPC URL: http://h:p/x → ws://h:p/x, https:// → nullopt (the WebSocket
    //! client speaks ws:// only), anything else → nullopt.
    static std::optional<std::string> ws_url_for(std::string_view rpc_url);

  private:
    void run();
    std::string watch();  //!< one connection; returns why it ended
    bool stopping();
    void set_live(bool live, const std::string& reason);

    HeadWatcherOptions options_;
    OnHead on_head_;
    OnLive on_live_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_{false};
    std::thread thread_;
    std::atomic<std::uint64_t> heads_{0};
    std::atomic<bool> live_{false};
};

}  // namespace wp::chain
