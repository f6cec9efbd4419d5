#pragma once
// The market's book: every operation on market_orders, market_deals, market_categories and the market_events
// outbox (schema.hpp), run inside a CALLER's transaction (store::Tx) so that the API (publish, unpublish) and the
// chain mirror (sync.hpp) compose them with their own statements in one commit.
//
// Semantics are those of iexec-market-api 7.1.2 (api/src/services/order.js, deal.js, category.js,
// utils/pagination-utils.js; sdk-cli-and-market.md §5.5), on exact uint256 values:
//
// Search (search_apporders / search_datasetorders / search_workerpoolorders / search_requestorders)
//   - only status open;
//   - restrict filters (apprestrict, datasetrestrict, workerpoolrestrict, requesterrestrict; request orders: the
//     order's workerpool), for each RestrictFilter:
//       omitted (nullopt)  → only orders whose restrict is 0x0 (public orders only; the strict flag changes nothing)
//       `any`              → no filter
//       an address         → restrict ∈ {0x0, address}; with the strict flag (isAppStrict …): restrict == address;
//   - minTag (≠ 0): every bit of minTag is set in the order's tag; maxTag (any value, 0 included): no bit of the
//     order's tag outside maxTag — both exact on all 256 bits (the tag_w0..tag_w3 columns);
//   - minTrust: trust ≥ minTrust, applied only when minTrust > 1; maxTrust (request orders): trust ≤ maxTrust;
//   - minVolume: remaining ≥ minVolume;
//   - owner filters (appOwner, datasetOwner, workerpoolOwner): signer == owner; category: exact;
//   - dataset orders: bulkOnly = true → only bulk orders (is_bulk_datasetorder);
//   - sort: price ascending (request orders: workerpoolmaxprice DESCENDING), then publication time ascending, then
//     orderHash ascending (bytes, i.e. the lowercase hex string order);
//   - paging (resolve_page): pageSize 10..1000 (validated by search_params.hpp; default 20), skip = pageSize ×
//     pageIndex; without pageIndex and pageSize the legacy `page` is a raw skip with 20 per page; count = the
//     number of all matches; next_page = skip + limit only when the page is full (orders.size() == limit).
//   - cost: count is read from market_order_counts (open orders per combination of the searchable columns, kept by
//     triggers: schema.hpp) when every filter is one of its columns — i.e. unless the search names a resource, an
//     owner, minTrust > 1, maxTrust, minVolume or a request order's app / dataset / requester / beneficiary, which
//     use COUNT(*) on the resource / signer indexes; the page walks market_orders_book and reads the table for the
//     returned rows only. order_book_benchmark.cpp measures it at 100,000 open orders.
//
// Deals (search_deals): filters exact (category, requester, beneficiary, app, dataset, workerpool and their owners,
//   the four order hashes); sort blockNumber descending, then dealid ascending; the same paging.
// Categories (search_categories): workClockTimeRef ≥ min and ≤ max; sort workClockTimeRef ascending, catid
//   ascending; the same paging. (Deviation: the reference applies only max when both are given; we apply both.)
// OHLC (deal_ohlc): the 100 deals of a category with the highest block numbers, ties by workerpool price
//   ascending then dealid ascending; each entry (blockTimestamp, workerpool price, volume).
//
// Errors: Errc::kIo / kTimeout from the store (propagated as they are: a retryable failure makes the caller's
// write() run again); Errc::kInvalidArgument for a rule of this file (each function says which); Errc::kDecoding
// when a stored row cannot be read back (a corrupt order_json, a document that no longer parses).
//
// Thread safety: free functions without state; a Tx belongs to one thread (store.hpp).
// PostgreSQL: a search runs `SET LOCAL plan_cache_mode = force_custom_plan` in the caller's transaction (generic plans
// of the prepared search statements misjudge the restrict filters); it lasts until that transaction ends.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/protocol/order.hpp>
#include <wp/store/store.hpp>

#include "model.hpp"

namespace wp::market {

// ---- paging -----------------------------------------------------------------------------------------------------

inline constexpr std::uint64_t kDefaultPageSize = 20;
inline constexpr std::uint64_t kMinPageSize = 10;
inline constexpr std::uint64_t kMaxPageSize = 1000;

//! The paging query parameters as given (validated by search_params.hpp: page_size in [10, 1000]).
struct Paging {
    std::optional<std::uint64_t> page;        //!< legacy: a raw skip offset (used only without the two below)
    std::optional<std::uint64_t> page_index;  //!< pageIndex
    std::optional<std::uint64_t> page_size;   //!< pageSize

    friend bool operator==(const Paging&, const Paging&) = default;
};

//! LIMIT / OFFSET of a search.
struct PageWindow {
    std::uint64_t limit{kDefaultPageSize};
    std::uint64_t skip{0};

    friend bool operator==(const PageWindow&, const PageWindow&) = default;
};

//! pageIndex or pageSize given: limit = pageSize (default 20), skip = limit × pageIndex (default 0); otherwise
//! limit = 20, skip = page (default 0). skip saturates at INT64_MAX (such a page is simply empty).
PageWindow resolve_page(const Paging& paging) noexcept;

//! nextPage of a search answer: skip + limit when `returned` == limit, else nullopt.
std::optional<std::uint64_t> next_page(const PageWindow& window, std::size_t returned) noexcept;

// ---- order filters (named after the query parameters of the reference) ------------------------------------------

//! An `address | "any"` query value.
struct AddressOrAny {
    bool any{false};
    Address address;  //!< meaningful when !any

    static AddressOrAny any_value() { return AddressOrAny{true, Address{}}; }
    static AddressOrAny of(const Address& a) { return AddressOrAny{false, a}; }
    friend bool operator==(const AddressOrAny&, const AddressOrAny&) = default;
};

//! One restrict filter (see the table at the top): value nullopt = public orders only.
struct RestrictFilter {
    std::optional<AddressOrAny> value;
    bool strict{false};  //!< isAppStrict / isDatasetStrict / isWorkerpoolStrict / isRequesterStrict

    friend bool operator==(const RestrictFilter&, const RestrictFilter&) = default;
};

//! GET /apporders. app: nullopt or any = every app (the API requires app or appOwner).
struct ApporderFilters {
    std::optional<AddressOrAny> app;
    std::optional<Address> app_owner;
    RestrictFilter dataset;     //!< order.datasetrestrict (dataset, isDatasetStrict)
    RestrictFilter workerpool;  //!< order.workerpoolrestrict (workerpool, isWorkerpoolStrict)
    RestrictFilter requester;   //!< order.requesterrestrict (requester, isRequesterStrict)
    std::optional<Bytes32> min_tag;
    std::optional<Bytes32> max_tag;
    std::optional<U256> min_volume;
    Paging paging;

    friend bool operator==(const ApporderFilters&, const ApporderFilters&) = default;
};

//! GET /datasetorders. dataset: nullopt or any = every dataset (the API requires dataset or datasetOwner).
struct DatasetorderFilters {
    std::optional<AddressOrAny> dataset;
    std::optional<Address> dataset_owner;
    RestrictFilter app;         //!< order.apprestrict
    RestrictFilter workerpool;  //!< order.workerpoolrestrict
    RestrictFilter requester;   //!< order.requesterrestrict
    std::optional<Bytes32> min_tag;
    std::optional<Bytes32> max_tag;
    std::optional<U256> min_volume;
    bool bulk_only{false};  //!< bulkOnly=true: only bulk orders (is_bulk_datasetorder)
    Paging paging;

    friend bool operator==(const DatasetorderFilters&, const DatasetorderFilters&) = default;
};

//! GET /workerpoolorders. workerpool: nullopt or any = every workerpool.
struct WorkerpoolorderFilters {
    std::optional<AddressOrAny> workerpool;
    std::optional<Address> workerpool_owner;
    std::optional<U256> category;
    RestrictFilter app;        //!< order.apprestrict
    RestrictFilter dataset;    //!< order.datasetrestrict
    RestrictFilter requester;  //!< order.requesterrestrict
    std::optional<Bytes32> min_tag;
    std::optional<Bytes32> max_tag;
    std::optional<U256> min_trust;  //!< applied only when > 1
    std::optional<U256> min_volume;
    Paging paging;

    friend bool operator==(const WorkerpoolorderFilters&, const WorkerpoolorderFilters&) = default;
};

//! GET /requestorders. app / dataset / requester / beneficiary: nullopt or any = no filter, an address = exact.
struct RequestorderFilters {
    std::optional<AddressOrAny> app;
    std::optional<AddressOrAny> dataset;
    std::optional<AddressOrAny> requester;
    std::optional<AddressOrAny> beneficiary;
    RestrictFilter workerpool;  //!< order.workerpool (workerpool, isWorkerpoolStrict), restrict semantics
    std::optional<U256> category;
    std::optional<Bytes32> min_tag;
    std::optional<Bytes32> max_tag;
    std::optional<U256> max_trust;
    std::optional<U256> min_volume;
    Paging paging;

    friend bool operator==(const RequestorderFilters&, const RequestorderFilters&) = default;
};

//! One page of a search.
struct OrderPage {
    std::vector<OrderRecord> orders;
    std::uint64_t count{0};                  //!< all matches
    std::optional<std::uint64_t> next_page;  //!< see next_page()
};

// ---- orders ---------------------------------------------------------------------------------------------------

//! A bulk dataset order (iexec SDK bulk processing): datasetprice 0 and volume DATASET_INFINITE_VOLUME
//! (2^53 − 1). Stored in the `bulk` column; written as `bulk` in dataset order documents.
inline constexpr std::uint64_t kDatasetInfiniteVolume = 9007199254740991ULL;
bool is_bulk_datasetorder(const DatasetOrder& order) noexcept;

//! Inserts a published order (status, remaining, signer, published_ms as given; record.published_ms is also the
//! row's updated_ms). When a row with the same (chain_id, order_hash) exists with status dead it is replaced
//! (re-publication) and keeps its original publication time, as the reference does; the returned record is the
//! stored one (its published_ms may thus be the earlier one). record.order_hash is stored as given: the caller
//! computed it (publish.hpp) — it is not recomputed here.
//! An open order is added to market_order_counts (schema.hpp) in the same transaction.
//! Errors: Errc::kInvalidArgument "order already published" when a row of that hash exists and is not dead.
Result<OrderRecord> insert_order(store::Tx& tx, const OrderRecord& record);

struct MarketEvent;

//! Inserts orders known to be new (the caller checked in this transaction that no row has their hash; the publish
//! batch, publish.hpp) with their status, remaining, signer and published_ms as given (a re-published dead order
//! carries its first publication time: the caller deleted the dead row) and updated_ms, in multi-row statements.
//! `events` are appended after them (as append_events). The rows, market_order_counts (one upsert per combination
//! of counted columns) and the events go in one Tx::query_batch: one round trip on PostgreSQL.
//! Returns the rows inserted: fewer than records.size() when a row of one of the hashes appeared meanwhile (another
//! writer; ON CONFLICT DO NOTHING) — the caller MUST then fail the transaction: the counts and events were written
//! for every record. Errors: the store's; append_events' for an empty topic or event (nothing written).
Result<std::int64_t> insert_new_orders(store::Tx& tx, std::span<const OrderRecord> records, std::int64_t updated_ms,
                                       std::span<const MarketEvent> events = {});

//! The order of that hash (any status), or nullopt. With `kind`, an order of another kind is nullopt too (GET
//! /workerpoolorders/<hash of an apporder> is a 404 in the reference).
Result<std::optional<OrderRecord>> find_order(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                              std::optional<OrderKind> kind = std::nullopt);

Result<OrderPage> search_apporders(store::Tx& tx, std::uint64_t chain_id, const ApporderFilters& filters);
Result<OrderPage> search_datasetorders(store::Tx& tx, std::uint64_t chain_id, const DatasetorderFilters& filters);
Result<OrderPage> search_workerpoolorders(store::Tx& tx, std::uint64_t chain_id, const WorkerpoolorderFilters& filters);
Result<OrderPage> search_requestorders(store::Tx& tx, std::uint64_t chain_id, const RequestorderFilters& filters);

//! Number of open orders of `kind` signed by `signer` (the max-open-orders-per-wallet rule).
Result<std::uint64_t> count_open_orders(store::Tx& tx, std::uint64_t chain_id, OrderKind kind, const Address& signer);

//! Open orders per kind on a chain (GET /metrics).
struct OpenOrderCounts {
    std::uint64_t apporders{0};
    std::uint64_t datasetorders{0};
    std::uint64_t workerpoolorders{0};
    std::uint64_t requestorders{0};

    friend bool operator==(const OpenOrderCounts&, const OpenOrderCounts&) = default;
};
Result<OpenOrderCounts> count_open_orders_by_kind(store::Tx& tx, std::uint64_t chain_id);

//! A selection of orders of one kind for the unpublish and chain-sync flows; every given field must match.
struct OrderSelection {
    OrderKind kind{OrderKind::kWorkerpool};
    std::optional<OrderStatus> status;  //!< nullopt: any status
    std::optional<Address> signer;
    //! The order's own resource: app (apporder), dataset (datasetorder), workerpool (workerpoolorder); for request
    //! orders the requester (the reference's unpublish addressField).
    std::optional<Address> resource;
    std::optional<Address> app;      //!< request orders: order.app (dependent orders of an app)
    std::optional<Address> dataset;  //!< request orders: order.dataset
    std::optional<std::uint64_t> limit;
};

//! The selected orders, newest first (publication time descending, then orderHash descending). Unpublish last =
//! select_orders({kind, kOpen, signer, resource, limit 1}); unpublish all = without limit.
//! Errors: Errc::kInvalidArgument when app / dataset is given for a kind other than request.
Result<std::vector<OrderRecord>> select_orders(store::Tx& tx, std::uint64_t chain_id, const OrderSelection& selection);

//! Deletes the orders of these hashes (unpublish: the rows go, a GET afterwards is a 404). Returns the number of
//! rows deleted (unknown hashes are skipped).
Result<std::uint64_t> delete_orders(store::Tx& tx, std::uint64_t chain_id, std::span<const Bytes32> order_hashes);

//! Status and remaining volume of an order: what the chain mirror changes and restores (undo).
struct OrderState {
    OrderStatus status{OrderStatus::kOpen};
    U256 remaining;

    friend bool operator==(const OrderState&, const OrderState&) = default;
};

//! Sets status and remaining of the order (updated_ms = now_ms) and returns the PREVIOUS state, or nullopt when
//! no row has that hash — or, with `only_if`, when the row's status is not `only_if` (nothing is changed then).
Result<std::optional<OrderState>> set_order_state(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                                  const OrderState& state, std::int64_t now_ms,
                                                  std::optional<OrderStatus> only_if = std::nullopt);
//! Same, changing only the status / only the remaining volume.
Result<std::optional<OrderState>> set_order_status(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                                   OrderStatus status, std::int64_t now_ms,
                                                   std::optional<OrderStatus> only_if = std::nullopt);
Result<std::optional<OrderState>> set_order_remaining(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                                      const U256& remaining, std::int64_t now_ms,
                                                      std::optional<OrderStatus> only_if = std::nullopt);

// ---- events outbox (market_events) ------------------------------------------------------------------------------

inline constexpr std::string_view kTopicOrders = "orders";
inline constexpr std::string_view kTopicDeals = "deals";

struct MarketEvent {
    std::int64_t seq{0};
    std::uint64_t chain_id{0};
    std::string topic;    //!< "orders" | "deals"
    std::string event;    //!< e.g. "workerpoolorder_published", "deal_created"
    std::string payload;  //!< JSON text
    std::int64_t created_ms{0};

    friend bool operator==(const MarketEvent&, const MarketEvent&) = default;
};

//! Appends one event in the caller's transaction (published by the pump only after commit); returns its seq
//! (increasing in commit order per writer). created_ms: nullopt = wp::system_clock().unix_ms().
//! Errors: Errc::kInvalidArgument for an empty topic or event.
Result<std::int64_t> append_event(store::Tx& tx, std::uint64_t chain_id, std::string_view topic, std::string_view event,
                                  std::string_view payload_json, std::optional<std::int64_t> created_ms = std::nullopt);

//! Appends events in the given order (multi-row statements; seq is assigned by the database, increasing in that
//! order). Errors: Errc::kInvalidArgument for an empty topic or event.
Result<void> append_events(store::Tx& tx, std::span<const MarketEvent> events);

//! Events with seq > after_seq in seq order, at most `limit`.
Result<std::vector<MarketEvent>> events_after(store::Tx& tx, std::int64_t after_seq, std::uint64_t limit);

//! Deletes the events with seq ≤ up_to_seq; returns how many.
Result<std::uint64_t> delete_events_up_to(store::Tx& tx, std::int64_t up_to_seq);

// ---- deals ------------------------------------------------------------------------------------------------------

//! Inserts the deal (its document, documents.hpp deal_document without chainId, is stored with it). log_index is
//! the OrdersMatched log's index in its block. Returns false (nothing changed) when the deal id is already there.
Result<bool> insert_deal(store::Tx& tx, const DealRecord& deal, std::uint64_t log_index);

//! Removes a deal (undo of a rolled-back OrdersMatched). Returns whether a row was deleted.
Result<bool> delete_deal(store::Tx& tx, std::uint64_t chain_id, const Bytes32& deal_id);

Result<std::optional<DealRecord>> find_deal(store::Tx& tx, std::uint64_t chain_id, const Bytes32& deal_id);

//! GET /deals: every filter is exact; nullopt = no filter.
struct DealFilters {
    std::optional<U256> category;
    std::optional<Address> requester, beneficiary, app, dataset, workerpool;
    std::optional<Address> app_owner, dataset_owner, workerpool_owner;
    std::optional<Bytes32> apporder_hash, datasetorder_hash, workerpoolorder_hash, requestorder_hash;
    Paging paging;

    friend bool operator==(const DealFilters&, const DealFilters&) = default;
};

struct DealPage {
    std::vector<DealRecord> deals;
    std::uint64_t count{0};
    std::optional<std::uint64_t> next_page;
};
Result<DealPage> search_deals(store::Tx& tx, std::uint64_t chain_id, const DealFilters& filters);

//! One point of GET /ohlc.
struct OhlcEntry {
    std::int64_t block_timestamp_ms{0};
    U256 price;  //!< the deal's workerpool price
    U256 volume;

    friend bool operator==(const OhlcEntry&, const OhlcEntry&) = default;
};
inline constexpr std::size_t kOhlcLimit = 100;
Result<std::vector<OhlcEntry>> deal_ohlc(store::Tx& tx, std::uint64_t chain_id, const U256& category);

// ---- categories -------------------------------------------------------------------------------------------------

//! Inserts the category; false (nothing changed) when that catid is already there.
Result<bool> insert_category(store::Tx& tx, const CategoryRecord& category);
//! Removes a category (undo of a rolled-back CreateCategory).
Result<bool> delete_category(store::Tx& tx, std::uint64_t chain_id, std::uint64_t catid);
Result<std::optional<CategoryRecord>> find_category(store::Tx& tx, std::uint64_t chain_id, std::uint64_t catid);

//! GET /categories.
struct CategoryFilters {
    std::optional<U256> min_work_clock_time_ref;
    std::optional<U256> max_work_clock_time_ref;
    Paging paging;

    friend bool operator==(const CategoryFilters&, const CategoryFilters&) = default;
};
struct CategoryPage {
    std::vector<CategoryRecord> categories;
    std::uint64_t count{0};
    std::optional<std::uint64_t> next_page;
};
Result<CategoryPage> search_categories(store::Tx& tx, std::uint64_t chain_id, const CategoryFilters& filters);

}  // namespace wp::market
