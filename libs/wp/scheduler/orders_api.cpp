#include "orders_api.hpp"

#include <chrono>
#include <memory>
#include <mutex>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/marketclient/market_client.hpp>
#include <wp/service/logging.hpp>

namespace wp::scheduler {
namespace {

namespace json = boost::json;
using net::HttpError;
using net::HttpResponse;
using net::Reply;
using net::ServerRequest;

//! The workerpool's open orders from the market, re-read at most every 10 s (the policy-off case).
class MarketOrdersCache {
  public:
    MarketOrdersCache(std::string url, std::uint64_t chain_id, Address workerpool)
        : url_(std::move(url)), chain_id_(chain_id), workerpool_(workerpool) {}

    std::pair<json::array, json::value> get() {
        std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (fetched_ && now - *fetched_ < std::chrono::seconds(10)) return {orders_, error_};
        fetched_ = now;
        if (!client_) {
            marketclient::MarketClientOptions o;
            o.url = url_;
            o.chain_id = chain_id_;
            o.connect_timeout = std::chrono::seconds(2);
            o.request_timeout = std::chrono::seconds(2);
            o.user_agent = "iexec-pool-core";
            auto c = marketclient::MarketClient::create(o);
            if (!c) {
                error_ = json::value(c.error().message);
                return {orders_, error_};
            }
            client_ = std::make_unique<marketclient::MarketClient>(std::move(*c));
        }
        marketclient::WorkerpoolOrderbookQuery q;
        q.workerpool = marketclient::AddressOrAny{false, workerpool_};
        q.page.size = 1000;
        auto page = client_->workerpool_orders(q);
        if (!page) {
            error_ = json::value(page.error().message);
            return {orders_, error_};
        }
        json::array out;
        for (const auto& p : page->orders) {
            const auto& w = std::get<WorkerpoolOrder>(p.order);
            out.push_back(json::object{{"orderHash", to_hex(p.order_hash.view())},
                                       {"remaining", p.remaining.fits_u64() ? p.remaining.low_u64() : 0},
                                       {"volume", w.volume.fits_u64() ? w.volume.low_u64() : 0},
                                       {"price", w.workerpoolprice.to_dec()},
                                       {"tag", to_hex(w.tag.view())},
                                       {"category", w.category.fits_u64() ? w.category.low_u64() : 0},
                                       {"trust", w.trust.fits_u64() ? w.trust.low_u64() : 0},
                                       {"publicationTimestamp", p.publication_timestamp},
                                       {"state", p.status}});
        }
        orders_ = std::move(out);
        error_ = nullptr;
        return {orders_, error_};
    }

  private:
    std::mutex mutex_;
    std::string url_;
    std::uint64_t chain_id_;
    Address workerpool_;
    std::unique_ptr<marketclient::MarketClient> client_;
    std::optional<std::chrono::steady_clock::time_point> fetched_;
    json::array orders_;
    json::value error_;
};

}  // namespace

Result<json::array> dashboard_fills(SchedulerStore& store, std::size_t limit) {
    WP_TRY(auto deals, store.recent_deals(limit));
    json::array out;
    for (const auto& [d, counts] : deals) {
        std::int64_t completed = 0, failed = 0;
        for (const auto& [status, n] : counts) {
            if (status == TaskStatus::kCompleted) completed += n;
            if (status == TaskStatus::kFailed) failed += n;
        }
        out.push_back(json::object{{"dealId", to_hex(d.deal_id.view())},
                                   {"volume", d.bot_size},
                                   {"category", d.category},
                                   {"tag", to_hex(d.tag.view())},
                                   {"trust", d.trust},
                                   {"requester", d.requester.to_checksum()},
                                   {"app", d.app.to_checksum()},
                                   {"startTime", d.start_time},
                                   {"completed", completed},
                                   {"failed", failed}});
    }
    return out;
}

void install_orders_api(net::HttpServer& server, SchedulerStore& store, OrdersApiOptions options) {
    std::shared_ptr<MarketOrdersCache> cache;
    if (!options.market_url.empty() && !options.policy_view)
        cache = std::make_shared<MarketOrdersCache>(options.market_url, options.chain_id, options.workerpool);
    auto handler = [&store, options, cache](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto u = q->reject_unknown({}); !u) return tl::unexpected(HttpError::bad_request(u.error()));
        json::object doc;
        doc["market"] = options.market_url.empty() ? json::value(nullptr) : json::value(options.market_url);
        if (options.policy_view) {
            json::object view = options.policy_view();
            json::value orders = view.contains("orders") ? view["orders"] : json::value(json::array{});
            view.erase("orders");
            view.erase("market");
            doc["policy"] = std::move(view);
            doc["orders"] = std::move(orders);
        } else {
            doc["policy"] = nullptr;
            if (cache) {
                auto [orders, error] = cache->get();
                doc["orders"] = std::move(orders);
                doc["error"] = std::move(error);
            } else {
                doc["orders"] = json::array{};
            }
        }
        auto fills = dashboard_fills(store, 50);
        if (!fills) {
            service::log_warn("core: request failed", {{"error", fills.error().message}});
            return tl::unexpected(HttpError::from(fills.error()));
        }
        doc["fills"] = std::move(*fills);
        return HttpResponse::json(200, json::serialize(doc));
    };
    server.handle("GET", "/api/v1/dashboard/orders", handler);
}

}  // namespace wp::scheduler
