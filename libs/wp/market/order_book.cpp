#include "order_book.hpp"

namespace wp::market {
namespace {
Error unsupported() { return Error{Errc::kUnsupported, "order book: not implemented yet"}; }
}  // namespace

PageWindow resolve_page(const Paging&) noexcept { return {}; }
std::optional<std::uint64_t> next_page(const PageWindow&, std::size_t) noexcept { return std::nullopt; }
bool is_bulk_datasetorder(const DatasetOrder&) noexcept { return false; }
Result<OrderRecord> insert_order(store::Tx&, const OrderRecord&) { return make_error(unsupported()); }
Result<std::optional<OrderRecord>> find_order(store::Tx&, std::uint64_t, const Bytes32&, std::optional<OrderKind>) {
    return make_error(unsupported());
}
Result<OrderPage> search_apporders(store::Tx&, std::uint64_t, const ApporderFilters&) {
    return make_error(unsupported());
}
Result<OrderPage> search_datasetorders(store::Tx&, std::uint64_t, const DatasetorderFilters&) {
    return make_error(unsupported());
}
Result<OrderPage> search_workerpoolorders(store::Tx&, std::uint64_t, const WorkerpoolorderFilters&) {
    return make_error(unsupported());
}
Result<OrderPage> search_requestorders(store::Tx&, std::uint64_t, const RequestorderFilters&) {
    return make_error(unsupported());
}
Result<std::uint64_t> count_open_orders(store::Tx&, std::uint64_t, OrderKind, const Address&) {
    return make_error(unsupported());
}
Result<OpenOrderCounts> count_open_orders_by_kind(store::Tx&, std::uint64_t) { return make_error(unsupported()); }
Result<std::vector<OrderRecord>> select_orders(store::Tx&, std::uint64_t, const OrderSelection&) {
    return make_error(unsupported());
}
Result<std::uint64_t> delete_orders(store::Tx&, std::uint64_t, std::span<const Bytes32>) {
    return make_error(unsupported());
}
Result<std::optional<OrderState>> set_order_state(store::Tx&, std::uint64_t, const Bytes32&, const OrderState&,
                                                  std::int64_t, std::optional<OrderStatus>) {
    return make_error(unsupported());
}
Result<std::optional<OrderState>> set_order_status(store::Tx&, std::uint64_t, const Bytes32&, OrderStatus, std::int64_t,
                                                   std::optional<OrderStatus>) {
    return make_error(unsupported());
}
Result<std::optional<OrderState>> set_order_remaining(store::Tx&, std::uint64_t, const Bytes32&, const U256&,
                                                      std::int64_t, std::optional<OrderStatus>) {
    return make_error(unsupported());
}
Result<std::int64_t> append_event(store::Tx&, std::uint64_t, std::string_view, std::string_view, std::string_view,
                                  std::optional<std::int64_t>) {
    return make_error(unsupported());
}
Result<std::vector<MarketEvent>> events_after(store::Tx&, std::int64_t, std::uint64_t) {
    return make_error(unsupported());
}
Result<std::uint64_t> delete_events_up_to(store::Tx&, std::int64_t) { return make_error(unsupported()); }
Result<bool> insert_deal(store::Tx&, const DealRecord&, std::uint64_t) { return make_error(unsupported()); }
Result<bool> delete_deal(store::Tx&, std::uint64_t, const Bytes32&) { return make_error(unsupported()); }
Result<std::optional<DealRecord>> find_deal(store::Tx&, std::uint64_t, const Bytes32&) {
    return make_error(unsupported());
}
Result<DealPage> search_deals(store::Tx&, std::uint64_t, const DealFilters&) { return make_error(unsupported()); }
Result<std::vector<OhlcEntry>> deal_ohlc(store::Tx&, std::uint64_t, const U256&) { return make_error(unsupported()); }
Result<bool> insert_category(store::Tx&, const CategoryRecord&) { return make_error(unsupported()); }
Result<bool> delete_category(store::Tx&, std::uint64_t, std::uint64_t) { return make_error(unsupported()); }
Result<std::optional<CategoryRecord>> find_category(store::Tx&, std::uint64_t, std::uint64_t) {
    return make_error(unsupported());
}
Result<CategoryPage> search_categories(store::Tx&, std::uint64_t, const CategoryFilters&) {
    return make_error(unsupported());
}

}  // namespace wp::market
