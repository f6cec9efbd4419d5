// `iexec app run` (owned by the order / market side, issue 9).
#include "command.hpp"

namespace wp::cli {

void add_app_run_command(Registry&, Groups&) {}

}  // namespace wp::cli
