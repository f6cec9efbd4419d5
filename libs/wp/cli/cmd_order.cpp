// `iexec order ...` and `iexec workerpool publish|unpublish` (owned by the order / market side, issue 9).
#include "command.hpp"

namespace wp::cli {

void add_order_commands(Registry&, Groups&) {}

}  // namespace wp::cli
