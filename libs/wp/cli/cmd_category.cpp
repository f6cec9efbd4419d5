// `iexec category`.
#include "command.hpp"

namespace wp::cli {

void add_category_commands(Registry&, Groups&) {}

}  // namespace wp::cli
