// `iexec orderbook ...` (owned by the order / market side, issue 9).
#include "command.hpp"

namespace wp::cli {

void add_orderbook_commands(Registry&, Groups&) {}

}  // namespace wp::cli
