// `iexec task debug <taskid> [--logs]` (SDK 9.0.1 iexec-task.js, common/execution/debug.js): placeholder.
#include "cmd_crypto.hpp"

namespace wp::cli {
void add_task_debug_command(Registry&, Groups&) {}
}  // namespace wp::cli
