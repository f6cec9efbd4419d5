#include "orders_api.hpp"

#include <chrono>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/marketclient/market_client.hpp>

namespace wp::scheduler {

namespace json = boost::json;

MarketOrdersCache::MarketOrdersCache(std::unique_ptr<marketclient::MarketClient> client, const Address& workerpool)
    : client_(std::move(client)), workerpool_(workerpool) {}
MarketOrdersCache::~MarketOrdersCache() = default;

Result<std::unique_ptr<MarketOrdersCache>> MarketOrdersCache::create(const std::string& market_url,
                                                                     std::uint64_t chain_id,
                                                                     const Address& workerpool) {
    marketclient::MarketClientOptions o;
    o.url = market_url;
    o.chain_id = chain_id;
    o.connect_timeout = std::chrono::seconds(2);
    o.request_timeout = std::chrono::seconds(2);
    o.user_agent = "iexec-pool-core";
    auto c = marketclient::MarketClient::create(o);
    if (!c) return make_error(c.error().code, "core.market.url: " + c.error().message);
    return std::unique_ptr<MarketOrdersCache>(
        new MarketOrdersCache(std::make_unique<marketclient::MarketClient>(std::move(*c)), workerpool));
}

Result<void> MarketOrdersCache::refresh() {
    marketclient::WorkerpoolOrderbookQuery q;
    q.workerpool = marketclient::AddressOrAny{false, workerpool_};
    q.page.size = 1000;
    WP_TRY(auto page, client_->workerpool_orders(q));
    auto u64 = [](const U256& v) -> std::uint64_t { return v.fits_u64() ? v.low_u64() : 0; };
    json::array out;
    for (const auto& p : page.orders) {
        const auto& w = std::get<WorkerpoolOrder>(p.order);
        out.push_back(json::object{{"orderHash", to_hex(p.order_hash.view())},
                                   {"remaining", u64(p.remaining)},
                                   {"volume", u64(w.volume)},
                                   {"price", w.workerpoolprice.to_dec()},
                                   {"tag", to_hex(w.tag.view())},
                                   {"category", u64(w.category)},
                                   {"trust", u64(w.trust)},
                                   {"publicationTimestamp", p.publication_timestamp},
                                   {"state", p.status}});
    }
    std::lock_guard lock(mutex_);
    orders_ = std::move(out);
    return {};
}

std::optional<json::array> MarketOrdersCache::get() const {
    std::lock_guard lock(mutex_);
    return orders_;
}

}  // namespace wp::scheduler
