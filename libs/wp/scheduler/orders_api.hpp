#pragma once
// The open orders of the dashboard's GET /api/v1/dashboard/orders (dashboard.hpp dashboard_orders, its "orders" and
// "openOrdersKnown"): where they come from, as an OpenOrdersSource that never calls the network on a request thread.
//
//   - with the order publishing policy (core.orders.enabled): the policy's view as of its last round
//     (OrderPublisher::view()["orders"]: {"orderHash","remaining","volume","price","tag","category","trust",
//     "publicationTimestamp","state"});
//   - without it but with core.market.url: MarketOrdersCache, the workerpool's open orders read from the market by
//     refresh() (called by the core's "orders" thread every 10 s; 2 s timeout), the same fields with the market's
//     status as "state"; nullopt ("openOrdersKnown": false) until a first read succeeded;
//   - without a market: no source.
//
// Thread safety: MarketOrdersCache::refresh() from one thread, get() from any.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/json/array.hpp>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>

namespace wp::marketclient {
class MarketClient;
}

namespace wp::scheduler {

class MarketOrdersCache {
  public:
    //! Errc::kInvalidArgument "core.market.url: …" for a bad URL. Opens no connection.
    static Result<std::unique_ptr<MarketOrdersCache>> create(const std::string& market_url, std::uint64_t chain_id,
                                                             const Address& workerpool);
    ~MarketOrdersCache();
    MarketOrdersCache(const MarketOrdersCache&) = delete;
    MarketOrdersCache& operator=(const MarketOrdersCache&) = delete;

    //! Reads the workerpool's open orders (one page of 1000); on failure the previous list stays and the error is
    //! returned (the caller logs it).
    Result<void> refresh();
    //! The last list read, nullopt before the first success.
    std::optional<boost::json::array> get() const;

  private:
    MarketOrdersCache(std::unique_ptr<marketclient::MarketClient> client, const Address& workerpool);
    std::unique_ptr<marketclient::MarketClient> client_;
    Address workerpool_;
    mutable std::mutex mutex_;
    std::optional<boost::json::array> orders_;
};

}  // namespace wp::scheduler
