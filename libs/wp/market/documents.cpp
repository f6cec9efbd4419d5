#include "documents.hpp"

namespace wp::market {

boost::json::value json_uint(const U256&) { return nullptr; }
boost::json::value json_uint(std::uint64_t) { return nullptr; }
Result<U256> read_json_uint(const boost::json::value&, std::string_view) {
    return make_error(Errc::kUnsupported, "documents: not implemented yet");
}
std::string iso8601_ms(std::int64_t) { return {}; }
Result<std::int64_t> parse_iso8601_ms(std::string_view) {
    return make_error(Errc::kUnsupported, "documents: not implemented yet");
}
boost::json::object order_document(const OrderRecord&, const DocumentOptions&) { return {}; }
boost::json::object order_fields_document(const Order&) { return {}; }
boost::json::object deal_document(const DealRecord&, const DocumentOptions&) { return {}; }
Result<DealRecord> deal_from_document(std::uint64_t, const boost::json::value&) {
    return make_error(Errc::kUnsupported, "documents: not implemented yet");
}
boost::json::object category_document(const CategoryRecord&) { return {}; }
boost::json::array ohlc_document(std::span<const OhlcEntry>) { return {}; }

}  // namespace wp::market
