#pragma once
// Glue between settings and logging, so every daemon configures its logs the same way.
//
//   <section>.log.level   enum trace|debug|info|warn|error|critical|off   default "info"
//   <section>.log.format  enum text|json                                default "text"
//   <section>.log.file    path ("" = stderr)                            default ""
//
// Thread safety: call at startup, from main.

#include <string>

#include "logging.hpp"
#include "settings.hpp"

namespace wp::service {

//! Declares the three log keys in `section` of the schema.
void add_log_settings(SettingsSchema& schema, const std::string& section);
//! Reads them back (the keys must have been declared with add_log_settings).
LogOptions log_options(const Settings& settings, const std::string& section);
//! Registers every non-empty secret setting value with the log redactor (values shorter than 8 characters cannot
//! be masked: they are reported in the error, by key name only).
Result<void> register_secret_settings(const Settings& settings);

}  // namespace wp::service
