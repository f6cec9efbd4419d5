#pragma once
// LivePump: the market's live updates. Handlers (publish.hpp, the chain mirror's sync.hpp) never publish WebSocket
// events themselves: they append rows to the market_events outbox in the transaction of the change
// (order_book.hpp append_event), and this pump, called from the service's loop, publishes the COMMITTED rows on the
// WebSocket hub, topic "<chainId>:<topic>" ("65535:orders", "65535:deals"), event = the row's event, data = its
// payload. Nothing is ever published for a rolled-back transaction. Protocol: net/ws_protocol.hpp on path /ws
// (docs/market.md "Live updates").
//
// Guarantees, per process:
//  - exactly once: every row committed after start() is published once (several market instances on one database
//    each publish every row to their own subscribers);
//  - order: rows are published in seq order among the rows visible at each pump; a row whose seq was allocated
//    before another's but that commits later (PostgreSQL: identity values are taken at INSERT, transactions commit
//    in any order) is published when it becomes visible, after the other. Causally related events (an order's
//    _published then its _unpublished: the second transaction only starts after the first committed) keep their
//    seq order on both backends;
//  - gaps: the pump keeps a low watermark (every seq ≤ it is done) and the set of published seqs above it. A missing
//    seq (a transaction still running, or one rolled back: PostgreSQL never reuses its value) holds the watermark
//    for at most gap_timeout (clock), then it is skipped: a transaction committing later than that after taking its
//    seq loses its events (logged by the caller through stats().gaps_skipped);
//  - rows written before start() are not published (no subscriber of this process was there to miss them).
// compact() deletes rows older than `retention` at or below the watermark, always keeping the newest row (SQLite
// reuses a deleted maximum rowid: keeping it keeps seq increasing).
//
// Errors: the database's. Thread safety: pump_once() / compact() may be called from any thread; calls are
// serialised by an internal mutex.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/net/websocket.hpp>
#include <wp/store/store.hpp>

namespace wp::market {

struct LivePumpOptions {
    std::size_t batch{1000};                                         //!< rows read per query
    std::chrono::milliseconds gap_timeout{std::chrono::seconds(2)};  //!< how long a missing seq may hold
    std::chrono::milliseconds retention{std::chrono::minutes(5)};    //!< age of rows compact() may delete
};

struct LivePumpStats {
    std::uint64_t published{0};     //!< rows published
    std::uint64_t delivered{0};     //!< sum of the subscriber counts the hub queued them for
    std::uint64_t gaps_skipped{0};  //!< missing seqs given up after gap_timeout
    std::uint64_t deleted{0};       //!< rows deleted by compact()
    std::int64_t watermark{0};      //!< every seq ≤ it is done
};

//! The WebSocket topic of an outbox topic on a chain: "<chainId>:<topic>".
std::string live_topic(std::uint64_t chain_id, std::string_view topic);

class LivePump {
  public:
    //! `db` must carry the market schema and outlive the pump; `hub` may be null (rows are then consumed without
    //! being sent, e.g. a market without the /ws endpoint).
    LivePump(store::Database& db, std::shared_ptr<net::WebSocketHub> hub, Clock& clock, LivePumpOptions options = {});

    //! Sets the watermark to the newest committed seq. Call once before pump_once().
    Result<void> start();
    //! Publishes the rows committed since the last call; returns how many were published. Runs until no new
    //! visible row is left (several queries when more than `batch` rows are pending).
    Result<std::size_t> pump_once();
    //! Deletes old published rows (see the header comment); returns how many.
    Result<std::uint64_t> compact();

    LivePumpStats stats() const;

  private:
    Result<std::size_t> pump_batch(bool& more);
    void advance_watermark();

    store::Database& db_;
    std::shared_ptr<net::WebSocketHub> hub_;
    Clock& clock_;
    LivePumpOptions options_;
    mutable std::mutex mutex_;
    bool started_{false};
    std::int64_t watermark_{0};
    std::set<std::int64_t> published_above_;  // published seqs > watermark_
    std::optional<Clock::time_point> gap_since_;
    LivePumpStats stats_;
};

}  // namespace wp::market
