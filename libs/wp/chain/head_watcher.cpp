#include "head_watcher.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <wp/net/websocket.hpp>

namespace wp::chain {
namespace json = boost::json;

HeadWatcher::HeadWatcher(HeadWatcherOptions options, OnHead on_head, OnLive on_live)
    : options_(std::move(options)), on_head_(std::move(on_head)), on_live_(std::move(on_live)) {}

HeadWatcher::~HeadWatcher() { stop(); }

std::optional<std::string> HeadWatcher::ws_url_for(std::string_view rpc_url) {
    constexpr std::string_view kHttp = "http://";
    if (!rpc_url.starts_with(kHttp)) return std::nullopt;
    return "ws://" + std::string(rpc_url.substr(kHttp.size()));
}

void HeadWatcher::start() {
    if (thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stop_ = false;
    }
    thread_ = std::thread([this] { run(); });
}

void HeadWatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool HeadWatcher::stopping() {
    std::lock_guard lock(mutex_);
    return stop_;
}

void HeadWatcher::set_live(bool live, const std::string& reason) {
    const bool was = live_.exchange(live);
    if (was != live && on_live_) on_live_(live, reason);
}

void HeadWatcher::run() {
    auto backoff = options_.reconnect_min;
    bool reported = false;
    while (!stopping()) {
        const std::string ended = watch();  // returns when the connection ends or the watcher stops
        if (stopping()) break;
        if (live_.load()) {
            set_live(false, ended);
            backoff = options_.reconnect_min;  // it worked until now: reconnect soon
        } else if (!reported && on_live_) {
            on_live_(false, ended);  // the first failure to subscribe is reported once
        }
        reported = true;
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, backoff, [&] { return stop_; })) break;
        backoff = std::min(backoff * 2, options_.reconnect_max);
    }
    live_.store(false);
}

std::string HeadWatcher::watch() {
    auto ws = net::WebSocketClient::connect(options_.url, net::WebSocketClientOptions{std::chrono::seconds(5)});
    if (!ws) return ws.error().message;
    auto sent = (*ws)->send(R"({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]})");
    if (!sent) return sent.error().message;
    bool subscribed = false;
    std::string ended = "stopped";
    while (!stopping()) {
        auto m = (*ws)->receive(std::chrono::milliseconds(500));
        if (!m) {
            if (m.error().code == Errc::kTimeout) continue;
            ended = m.error().message;
            break;
        }
        boost::system::error_code ec;
        const json::value v = json::parse(*m, ec);
        if (ec || !v.is_object()) continue;
        const json::object& o = v.as_object();
        if (!subscribed) {
            if (const auto* e = o.if_contains("error")) {
                ended = "eth_subscribe: " + json::serialize(*e);
                break;
            }
            if (o.contains("result")) {
                subscribed = true;
                set_live(true, "subscribed");
            }
            continue;
        }
        if (const auto* method = o.if_contains("method");
            method != nullptr && method->is_string() && method->as_string() == "eth_subscription") {
            ++heads_;
            if (on_head_) on_head_();
        }
    }
    (*ws)->close();
    return ended;
}

}  // namespace wp::chain
