// libFuzzer target for the market's order bodies (order_input.hpp).
//
// Properties checked on every input s, for each order kind:
//  - parse_publish_body(kind, s) and parse_unpublish_body(kind, s) never crash and every error has a message;
//  - an accepted order written back in the SDK JSON form (order_to_json) parses to the same order.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>

#include <wp/market/order_input.hpp>

namespace {
void fail(const char* what) {
    std::fprintf(stderr, "order_input_fuzz: %s\n", what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    for (auto kind :
         {wp::OrderKind::kApp, wp::OrderKind::kDataset, wp::OrderKind::kWorkerpool, wp::OrderKind::kRequest}) {
        auto order = wp::market::parse_publish_body(kind, input);
        if (!order) {
            if (order.error().message.empty()) fail("empty publish error message");
        } else {
            boost::json::object body;
            body["order"] = wp::order_to_json(*order, wp::OrderJsonFields::kSigned);
            auto again = wp::market::parse_publish_body(kind, boost::json::serialize(body));
            if (!again) fail("an accepted order written back does not parse");
            if (!(*again == *order)) fail("round trip changed the order");
        }
        auto unpublish = wp::market::parse_unpublish_body(kind, input);
        if (!unpublish && unpublish.error().message.empty()) fail("empty unpublish error message");
    }
    return 0;
}
