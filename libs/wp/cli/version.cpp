#include "version.hpp"

#ifndef WP_VERSION
#error "WP_VERSION must be defined by the build"
#endif

namespace wp::cli {

const char* version() noexcept { return WP_VERSION; }

}  // namespace wp::cli
