#include "model.hpp"

namespace wp::market {

std::string_view to_string(OrderStatus status) noexcept {
    switch (status) {
        case OrderStatus::kOpen: return "open";
        case OrderStatus::kFilled: return "filled";
        case OrderStatus::kCanceled: return "canceled";
        case OrderStatus::kDead: return "dead";
    }
    return "open";
}

Result<OrderStatus> parse_order_status(std::string_view text) {
    if (text == "open") return OrderStatus::kOpen;
    if (text == "filled") return OrderStatus::kFilled;
    if (text == "canceled") return OrderStatus::kCanceled;
    if (text == "dead") return OrderStatus::kDead;
    return make_error(Errc::kInvalidArgument,
                      "status must be one of the following values: open, filled, canceled, dead");
}

}  // namespace wp::market
