// `iexec app init|deploy|show`.
#include "command.hpp"

namespace wp::cli {

void add_app_commands(Registry&, Groups&) {}

}  // namespace wp::cli
