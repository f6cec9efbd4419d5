#include "live.hpp"

#include <string>
#include <utility>

namespace wp::market {

std::string live_topic(std::uint64_t chain_id, std::string_view topic) {
    std::string out = std::to_string(chain_id);
    out += ':';
    out += topic;
    return out;
}

LivePump::LivePump(store::Database& db, std::shared_ptr<net::WebSocketHub> hub, Clock& clock, LivePumpOptions options)
    : db_(db), hub_(std::move(hub)), clock_(clock), options_(options) {}

Result<void> LivePump::start() {
    std::lock_guard lock(mutex_);
    WP_TRY(auto max_seq, db_.read([&](store::Tx& tx) -> Result<std::int64_t> {
        WP_TRY(auto row, tx.query_row("SELECT MAX(seq) FROM market_events"));
        WP_TRY(auto v, row.get<std::optional<std::int64_t>>(0));
        return v.value_or(0);
    }));
    watermark_ = max_seq;
    published_above_.clear();
    gap_since_.reset();
    started_ = true;
    stats_.watermark = watermark_;
    return {};
}

void LivePump::advance_watermark() {
    while (!published_above_.empty()) {
        const std::int64_t lowest = *published_above_.begin();
        if (lowest == watermark_ + 1) {
            watermark_ = lowest;
            published_above_.erase(published_above_.begin());
            gap_since_.reset();
            continue;
        }
        // A gap below `lowest`: wait for it at most gap_timeout.
        const auto now = clock_.now();
        if (!gap_since_) gap_since_ = now;
        if (now - *gap_since_ < options_.gap_timeout) break;
        stats_.gaps_skipped += static_cast<std::uint64_t>(lowest - watermark_ - 1);
        watermark_ = lowest;
        published_above_.erase(published_above_.begin());
        gap_since_.reset();
    }
    if (published_above_.empty()) gap_since_.reset();
    stats_.watermark = watermark_;
}

Result<std::size_t> LivePump::pump_batch(bool& more) {
    const std::uint64_t limit = options_.batch + published_above_.size();
    WP_TRY(auto rows, db_.read([&](store::Tx& tx) {
        return tx.query(
            "SELECT seq, chain_id, topic, event, payload FROM market_events WHERE seq > $1 ORDER BY seq "
            "LIMIT $2",
            watermark_, limit);
    }));
    more = rows.size() == limit;
    std::size_t sent = 0;
    for (const auto& row : rows) {
        WP_TRY(auto seq, row.get<std::int64_t>(0));
        if (published_above_.count(seq) != 0) continue;
        WP_TRY(auto chain_id, row.get<std::int64_t>(1));
        WP_TRY(auto topic, row.get<std::string>(2));
        WP_TRY(auto event, row.get<std::string>(3));
        WP_TRY(auto payload, row.get<std::string>(4));
        if (hub_)
            stats_.delivered += hub_->publish(live_topic(static_cast<std::uint64_t>(chain_id), topic), event, payload);
        published_above_.insert(seq);
        ++stats_.published;
        ++sent;
    }
    advance_watermark();
    if (sent == 0) more = false;  // only rows above a gap that were already sent: wait for the gap
    return sent;
}

Result<std::size_t> LivePump::pump_once() {
    std::lock_guard lock(mutex_);
    if (!started_) return make_error(Errc::kInvalidArgument, "live pump: start() was not called");
    std::size_t total = 0;
    bool more = true;
    while (more) {
        WP_TRY(auto n, pump_batch(more));
        total += n;
    }
    return total;
}

Result<std::uint64_t> LivePump::compact() {
    std::lock_guard lock(mutex_);
    const std::int64_t cutoff = clock_.unix_ms() - options_.retention.count();
    WP_TRY(auto n, db_.write([&](store::Tx& tx) {
        return tx.exec(
            "DELETE FROM market_events WHERE seq <= $1 AND created_ms < $2 AND "
            "seq < (SELECT MAX(seq) FROM market_events)",
            watermark_, cutoff);
    }));
    stats_.deleted += static_cast<std::uint64_t>(n);
    return static_cast<std::uint64_t>(n);
}

LivePumpStats LivePump::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

}  // namespace wp::market
