#pragma once

namespace wp::cli {

//! The project version, e.g. "0.1.0".
const char* version() noexcept;

}  // namespace wp::cli
