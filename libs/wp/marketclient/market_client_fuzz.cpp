// libFuzzer target for what a market answers (market_client.hpp decoders: an orderbook page, a deals / categories
// page, an unpublish answer, a single order document), the untrusted input of every market command of the CLI.
//
// Properties checked on every input s (parsed as JSON; non-JSON and non-objects are skipped, as MarketClient::call
// refuses them before decoding):
//  - no decoder crashes and every error has a message;
//  - an accepted page's orders, written back as documents with order_to_json, decode to the same orders.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/marketclient/market_client.hpp>

namespace {
void fail(const char* what) {
    std::fprintf(stderr, "market_client_fuzz: %s\n", what);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(input, ec);
    if (ec || !v.is_object()) return 0;
    const auto& answer = v.get_object();
    for (auto kind :
         {wp::OrderKind::kApp, wp::OrderKind::kDataset, wp::OrderKind::kWorkerpool, wp::OrderKind::kRequest}) {
        auto page = wp::marketclient::orderbook_page_from_json(kind, answer);
        if (!page) {
            if (page.error().message.empty()) fail("empty page error message");
        } else {
            for (const auto& p : page->orders) {
                boost::json::object doc{{"orderHash", wp::to_hex(p.order_hash)},
                                        {"order", wp::order_to_json(p.order, wp::OrderJsonFields::kSigned)},
                                        {"remaining", p.remaining.to_dec()},
                                        {"status", p.status}};
                auto again = wp::marketclient::published_order_from_json(kind, doc);
                if (!again) fail("an accepted order written back does not decode");
                if (!(again->order == p.order) || !(again->order_hash == p.order_hash)) fail("round trip changed it");
            }
        }
        auto one = wp::marketclient::published_order_from_json(kind, v);
        if (!one && one.error().message.empty()) fail("empty document error message");
    }
    for (auto member : {"deals", "categories"}) {
        auto docs = wp::marketclient::document_page_from_json(member, answer);
        if (!docs && docs.error().message.empty()) fail("empty documents error message");
    }
    auto gone = wp::marketclient::unpublished_from_json(answer);
    if (!gone && gone.error().message.empty()) fail("empty unpublish error message");
    return 0;
}
