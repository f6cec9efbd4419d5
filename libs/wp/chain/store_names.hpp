#pragma once
// Names under which the chain module keeps rows in a daemon's database (ChainMirror cursors, SqlTxJournal
// journals): 1 to 200 characters of [A-Za-z0-9_.:-], so they can be logged and compared safely.

#include <string_view>

namespace wp::chain {

inline bool is_valid_store_name(std::string_view name) {
    if (name.empty() || name.size() > 200) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '.' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace wp::chain
