#pragma once
// The market's data model: what is stored per order, deal and category, and the statuses of the reference
// (iexec-market-api 7.1.2, sdk-cli-and-market.md §5). The tables are in schema.hpp; docs/market.md has the design.
//
// Numbers are exact: prices, volumes, remaining, category and trust are U256 (the reference limits them to
// 2^53 − 1 because it stores JavaScript Numbers; we accept and store any uint256, and write values ≤ 2^53 − 1 as
// JSON numbers and larger ones as decimal strings: documents.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/protocol/order.hpp>

namespace wp::market {

//! Order status (stored as SMALLINT; the reference's strings in documents).
enum class OrderStatus : std::int16_t {
    kOpen = 0,      //!< "open": searchable, remaining > 0
    kFilled = 1,    //!< "filled": remaining reached 0 through matches
    kCanceled = 2,  //!< "canceled": closed on chain (manage*Order CLOSE)
    kDead = 3,      //!< "dead": the signer can no longer honour it (stake too low, ownership transferred,
                    //!< a request order's app/dataset order went away); may be published again
};

std::string_view to_string(OrderStatus status) noexcept;
//! "open" | "filled" | "canceled" | "dead" (Errc::kInvalidArgument otherwise).
Result<OrderStatus> parse_order_status(std::string_view text);

//! Stored kind code (SMALLINT): 0 app, 1 dataset, 2 workerpool, 3 request (the OrderKind enumerator order).
inline constexpr std::int16_t kind_code(OrderKind kind) noexcept { return static_cast<std::int16_t>(kind); }

//! One published order (a row of market_orders, see schema.hpp).
struct OrderRecord {
    std::uint64_t chain_id{0};
    Bytes32 order_hash;
    Order order;  //!< the signed order, as published (salt and sign included)
    OrderStatus status{OrderStatus::kOpen};
    U256 remaining;
    Address signer;                //!< checksummed in documents: the resource owner, or the requester
    std::int64_t published_ms{0};  //!< publicationTimestamp, Unix milliseconds (ISO 8601 in documents)

    friend bool operator==(const OrderRecord&, const OrderRecord&) = default;
};

//! One deal, indexed from OrdersMatched (a row of market_deals).
struct DealRecord {
    std::uint64_t chain_id{0};
    Bytes32 deal_id;
    // The deal as viewDeal returns it, plus the owners and the order hashes of the match:
    Address app, app_owner;
    U256 app_price;
    Address dataset, dataset_owner;  //!< zero when the deal has no dataset
    U256 dataset_price;
    Address workerpool, workerpool_owner;
    U256 workerpool_price;
    Address requester, beneficiary, callback;
    Bytes32 app_hash, dataset_hash, workerpool_hash, request_hash;
    std::string params;
    U256 volume, category, trust, start_time, bot_first, bot_size, scheduler_reward_ratio, worker_stake;
    Bytes32 tag;
    std::uint64_t block_number{0};
    std::int64_t block_timestamp_ms{0};
    Bytes32 transaction_hash;

    friend bool operator==(const DealRecord&, const DealRecord&) = default;
};

//! One category, indexed from CreateCategory (a row of market_categories).
struct CategoryRecord {
    std::uint64_t chain_id{0};
    std::uint64_t catid{0};
    std::string name;
    std::string description;
    U256 work_clock_time_ref;
    Bytes32 transaction_hash;
    std::uint64_t block_number{0};
    std::int64_t block_timestamp_ms{0};

    friend bool operator==(const CategoryRecord&, const CategoryRecord&) = default;
};

}  // namespace wp::market
