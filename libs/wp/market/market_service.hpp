#pragma once
// MarketService: `iexec-pool market` assembled from its parts (docs/market.md, docs/daemon_foundation.md).
//
//   open():  the database (MarketConfig::db; schema migrated), per served chain two JSON-RPC clients (one for the
//            chain mirror's thread, one for the HTTP handlers' cold lookups), the chain id (eth_chainId), the PoCo
//            addresses (Hub::resolve_addresses), the EIP-712 domain (hub.domain()), the market_sync row, the
//            ChainMirror with the MarketSyncHandler, the ChainState; the challenge store in the database (several
//            instances may share it), the MarketApi on an HttpServer, the LivePump. Nothing is started.
//   components (service::ComponentRunner, in this order):
//     "sync"  a thread that polls every chain mirror (at once again while a mirror is behind, else every
//             poll_interval or when woken), pumps the live outbox after each commit, and compacts the outbox and
//             expired challenges every minute;
//     "http"  the HTTP server; once it listens, the URL is logged and written to MarketConfig::url_file.
//   GET /ready answers 503 until every chain mirror caught up once (and while stopping).
//
// Catch-up on demand: a publish whose facts are not yet mirrored (a workerpool deployed in the last block, a
// deposit just made) would be refused while the mirror is one poll behind. sync_to_head(chain_id, timeout)
// wakes the sync thread and waits until the mirror reached the head seen at the call; the API calls it before
// refusing for a chain fact (MarketApiOptions::sync_to_head).
//
// Thread safety: open() and the components' start/stop from main; sync_to_head() and the accessors from any thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/service/lifecycle.hpp>

#include "market_settings.hpp"

namespace wp::market {

class MarketService {
  public:
    //! Builds everything (see the header comment). Errors name the part: "database sqlite:/x: …",
    //! "chain http://…: eth_chainId: …", "chain 31337: the database follows hub 0x…, not 0x…".
    static Result<std::unique_ptr<MarketService>> open(const MarketConfig& config, Clock* clock = nullptr);
    ~MarketService();
    MarketService(const MarketService&) = delete;
    MarketService& operator=(const MarketService&) = delete;

    //! The components in start order ("sync", "http"); add them to a ComponentRunner.
    std::vector<service::Component*> components();
    //! Lets /ready follow the runner's state too (503 while starting or draining). Call before start.
    void attach(const service::ComponentRunner& runner);

    //! "http://host:port" once the "http" component started.
    std::string url() const;
    //! The chain ids served, primary first.
    std::vector<std::uint64_t> chain_ids() const;
    //! True once every chain mirror caught up at least once.
    bool synced() const;
    //! What sync_to_head() found.
    enum class CatchUp {
        kAlreadyThere,  //!< the mirror had applied the head already: nothing changed
        kCaughtUp,      //!< the mirror was behind and applied every block up to the head
        kFailed,        //!< timeout, an unknown chain, an RPC error or a stop (answer from what is mirrored)
    };
    //! Wakes the sync thread and waits (at most `timeout`) until the mirror of `chain_id` applied every block up to
    //! the head seen now (minus the confirmations).
    CatchUp sync_to_head(std::uint64_t chain_id, std::chrono::milliseconds timeout);

    struct Impl;

  private:
    explicit MarketService(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    std::vector<std::unique_ptr<service::Component>> components_;
};

}  // namespace wp::market
