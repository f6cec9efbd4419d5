// `iexec workerpool init|deploy|show|count`.
#include "command.hpp"

namespace wp::cli {

void add_workerpool_commands(Registry&, Groups&) {}

}  // namespace wp::cli
