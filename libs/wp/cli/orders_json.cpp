#include "orders_json.hpp"

#include <boost/json.hpp>

#include "utils.hpp"

namespace wp::cli {

Result<HashedOrder> hash_order_argument(std::string_view kind, std::string_view order_json, std::string_view chain_id,
                                        std::string_view hub) {
    WP_TRY(OrderKind order_kind, parse_order_kind(kind));
    auto chain = U256::parse(chain_id);
    if (!chain) return make_error(chain.error().with_context("--chain-id"));
    auto hub_address = Address::parse(hub);
    if (!hub_address) return make_error(hub_address.error().with_context("--hub"));
    WP_TRY(std::string text, read_inline_or_file(order_json, "--order"));
    std::error_code ec;
    const boost::json::value json = boost::json::parse(text, ec);
    if (ec) return make_error(Errc::kDecoding, "--order: invalid JSON (" + ec.message() + ")");
    WP_TRY(Order order, order_from_json(order_kind, json));
    HashedOrder h{std::move(order), Domain::iexec(*chain, *hub_address), {}, {}, {}};
    h.domain_separator = h.domain.separator();
    h.struct_hash = struct_hash(h.order);
    h.order_hash = order_hash(h.domain_separator, h.order);
    return h;
}

}  // namespace wp::cli
