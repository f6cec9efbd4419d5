// `iexec init, info`.
#include "command.hpp"

namespace wp::cli {

void add_init_commands(Registry&, Groups&) {}

}  // namespace wp::cli
