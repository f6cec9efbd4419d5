// `iexec account`.
#include "command.hpp"

namespace wp::cli {

void add_account_commands(Registry&, Groups&) {}

}  // namespace wp::cli
