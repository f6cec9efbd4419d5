#include "log_settings.hpp"

namespace wp::service {

void add_log_settings(SettingsSchema& schema, const std::string& section) {
    schema.add_enum(section + ".log.level", "info", {"trace", "debug", "info", "warn", "error", "critical", "off"},
                    "Lowest level written to the log.");
    schema.add_enum(section + ".log.format", "text", {"text", "json"}, "Log lines as text or as JSON objects.");
    schema.add_path(section + ".log.file", "", "Append the log to this file (empty: stderr).");
}

LogOptions log_options(const Settings& settings, const std::string& section) {
    LogOptions o;
    o.level = parse_log_level(settings.get_string(section + ".log.level")).value_or(LogLevel::kInfo);
    o.format = settings.get_string(section + ".log.format") == "json" ? LogFormat::kJson : LogFormat::kText;
    o.file = settings.get_string(section + ".log.file");
    return o;
}

Result<void> register_secret_settings(const Settings& settings) {
    std::string too_short;
    for (const auto& [key, value] : settings.secret_entries()) {
        if (!register_secret(value)) too_short += (too_short.empty() ? "" : ", ") + key;
    }
    if (!too_short.empty()) {
        return make_error(Errc::kInvalidArgument,
                          "secret settings too short to be masked in logs (at least 8 characters): " + too_short);
    }
    return {};
}

}  // namespace wp::service
