// `iexec wallet`.
#include "command.hpp"

namespace wp::cli {

void add_wallet_commands(Registry&, Groups&) {}

}  // namespace wp::cli
