// `iexec deal, task`.
#include "command.hpp"

namespace wp::cli {

void add_deal_commands(Registry&, Groups&) {}

}  // namespace wp::cli
