#pragma once
// The market client moved to module marketclient (libs/wp/marketclient/market_client.hpp), below cli and
// scheduler, so that the core's order publishing policy uses the same client. This header keeps the CLI's names
// (wp::cli::MarketClient, …) working unchanged.

#include <wp/marketclient/market_client.hpp>

namespace wp::cli {

using marketclient::AddressOrAny;
using marketclient::AppOrderbookQuery;
using marketclient::CategoriesQuery;
using marketclient::challenge_authorization;
using marketclient::DatasetOrderbookQuery;
using marketclient::DealsQuery;
using marketclient::document_page_from_json;
using marketclient::DocumentPage;
using marketclient::MarketClient;
using marketclient::MarketClientOptions;
using marketclient::orderbook_page_from_json;
using marketclient::OrderbookPage;
using marketclient::PageQuery;
using marketclient::parse_address_or_any;
using marketclient::published_order_from_json;
using marketclient::PublishedOrder;
using marketclient::RequestOrderbookQuery;
using marketclient::RestrictQuery;
using marketclient::to_query_string;
using marketclient::unpublished_from_json;
using marketclient::WorkerpoolOrderbookQuery;

}  // namespace wp::cli
