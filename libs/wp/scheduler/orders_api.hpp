#pragma once
// GET /api/v1/dashboard/orders: the pool's open workerpool orders on the market and their fills (issue 12's orders
// panel). Served by this file until the dashboard's own orders route (branch h-dash) lands; the document:
//
//   {"market":"url"|null,
//    "policy":{"enabled":true,"refreshedMs":N,"error":"…"|null,"offers":[{"category","tag","price","trust",
//              "categorySeconds","slots","replicas","budget","backlog","earlier","volume"}]} | null,
//    "orders":[{"orderHash","remaining":N,"volume":N,"price":"nRLC","tag","category":N,"trust":N,
//               "publicationTimestamp","state"}],
//    "fills":[{"dealId","volume":N,"category":N,"tag","trust":N,"requester","app","startTime":N,
//              "completed":N,"failed":N}]}
//
// Open orders come from the order policy's view (OrderPublisher::view(), as of its last round: no market call on the
// request thread) when core.orders.enabled; otherwise, with core.market.url, from a cached market query (the
// workerpool's open orders, re-read at most every 10 s, 2 s timeout; "error" set when the market did not answer);
// without a market, [] and "market": null. Fills are the deals of the workerpool taken in by the core (its database:
// one deal per fill; "volume" = the deal's task count), most recent first, at most 50.
//
// Thread safety: install before the server starts; handlers run on any thread.

#include <functional>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include <wp/core/address.hpp>
#include <wp/net/http_server.hpp>

#include "scheduler_store.hpp"

namespace wp::scheduler {

struct OrdersApiOptions {
    std::string market_url;  //!< "" → no market
    std::uint64_t chain_id{0};
    Address workerpool;
    //! The policy's view (OrderPublisher::view); empty when the policy is off.
    std::function<boost::json::object()> policy_view;
};

//! The fills part of the document (the deals of the core's database, most recent first).
Result<boost::json::array> dashboard_fills(SchedulerStore& store, std::size_t limit);

void install_orders_api(net::HttpServer& server, SchedulerStore& store, OrdersApiOptions options);

}  // namespace wp::scheduler
