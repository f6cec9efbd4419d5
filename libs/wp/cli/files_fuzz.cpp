// libFuzzer target for the `iexec` CLI's readers of untrusted text (files.hpp, amount.hpp): chain.json, iexec.json,
// deployed.json, orders.json and amounts. The first byte selects the reader. Properties: no crash; an accepted
// deployed.json / orders.json is rewritten into text that reads back to the same text; an accepted amount
// formatted in RLC reads back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "amount.hpp"
#include "files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace wp::cli;
    if (size == 0 || size > 65536) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
        case 0: (void)parse_chain_json(text); break;
        case 1: (void)parse_iexec_json(text); break;
        case 2: {
            auto file = parse_deployed_json(text);
            if (!file) break;
            const std::string once = deployed_json_text(*file);
            auto again = parse_deployed_json(once);
            if (!again || deployed_json_text(*again) != once) std::abort();
            break;
        }
        case 3: {
            auto file = parse_orders_json(text);
            if (!file) break;
            for (auto kind : {wp::OrderKind::kApp, wp::OrderKind::kDataset, wp::OrderKind::kWorkerpool,
                              wp::OrderKind::kRequest})
                (void)file->find(kind, 1);
            const std::string once = orders_json_text(*file);
            auto again = parse_orders_json(once);
            if (!again || orders_json_text(*again) != once) std::abort();
            break;
        }
        default: {
            auto value = parse_nrlc_amount(text);
            if (!value) break;
            auto back = parse_nrlc_amount(format_rlc(*value) + " RLC");
            if (!back || *back != *value) std::abort();
            break;
        }
    }
    return 0;
}
