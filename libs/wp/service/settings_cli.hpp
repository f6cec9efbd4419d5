#pragma once
// The settings flags every daemon shares (CLI11), and the decision they lead to.
//
//   --config FILE           the JSON config file (layer 2 of settings.hpp)
//   --set KEY=VALUE         an assignment (repeatable; layer 4)
//   <daemon flags>          mapped to keys with map_flag(), e.g. `--port 7000` -> core.listen.port=7000
//                           (applied after every --set: the specific flag wins)
//   --print-config          print the effective settings as JSON (secrets masked) and exit 0
//   --print-sample-config   print the documented sample (every key at its default) and exit 0
//   --describe-config       print the Markdown reference of every key (type, rule, default, env name) and exit 0
//   --validate              load and check the settings offline (no network, no file besides the config), print
//                           "config OK" or the errors, and exit 0 / 2
//
// Usage in a main:
//   SettingsCommandLine cl;  add_settings_options(app, cl);  map_flag(app, cl, "--port", "core.listen.port", "...");
//   CLI11_PARSE(app, argc, argv);
//   auto outcome = resolve_settings(schema, cl, process_environment());
//   if (outcome.exit_code) { print outcome.output to stdout (0) or stderr (non-zero); return *outcome.exit_code; }
//   use *outcome.settings
//
// Thread safety: none needed (main thread, at startup).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "settings.hpp"

namespace CLI {
class App;
}

namespace wp::service {

struct SettingsCommandLine {
    std::string config_file;
    std::vector<std::string> sets;
    //! (assignment "key=value", origin "--port 7000") from map_flag()
    std::vector<std::pair<std::string, std::string>> mapped;
    bool print_config{false};
    bool print_sample{false};
    bool describe{false};
    bool validate{false};
};

//! Adds the shared options listed in the file comment to `app`.
void add_settings_options(CLI::App& app, SettingsCommandLine& cl);
//! Adds `flag VALUE` to `app`, recorded as the assignment key=VALUE.
void map_flag(CLI::App& app, SettingsCommandLine& cl, const std::string& flag, const std::string& key,
              const std::string& description);

struct SettingsOutcome {
    std::optional<Settings> settings;  //!< set when the daemon should run
    std::optional<int> exit_code;      //!< set when main should exit now (print-*, validate, errors)
    std::string output;                //!< what to print (stdout when exit code 0, stderr otherwise)
};

//! Loads the settings from the parsed command line and `environment`, and decides: run, print and exit 0, or
//! report the errors and exit 2.
SettingsOutcome resolve_settings(const SettingsSchema& schema, const SettingsCommandLine& cl,
                                 std::vector<std::pair<std::string, std::string>> environment);

}  // namespace wp::service
