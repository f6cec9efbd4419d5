#include "settings_cli.hpp"

#include <CLI/CLI.hpp>

namespace wp::service {

void add_settings_options(CLI::App& app, SettingsCommandLine& cl) {
    app.add_option("--config", cl.config_file, "JSON config file");
    app.add_option("--set", cl.sets, "Set a key: --set key=value (repeatable)")->take_all();
    app.add_flag("--print-config", cl.print_config, "Print the effective settings (secrets masked) and exit");
    app.add_flag("--print-sample-config", cl.print_sample, "Print a sample config with every default and exit");
    app.add_flag("--describe-config", cl.describe, "Print the reference of every setting and exit");
    app.add_flag("--validate", cl.validate, "Check the settings offline and exit (0: valid, 2: invalid)");
}

void map_flag(CLI::App& app, SettingsCommandLine& cl, const std::string& flag, const std::string& key,
              const std::string& description) {
    app.add_option_function<std::string>(
        flag,
        [&cl, flag, key](const std::string& value) { cl.mapped.emplace_back(key + "=" + value, flag + " " + value); },
        description + " (setting " + key + ")");
}

SettingsOutcome resolve_settings(const SettingsSchema& schema, const SettingsCommandLine& cl,
                                 std::vector<std::pair<std::string, std::string>> environment) {
    SettingsOutcome out;
    if (cl.print_sample) {
        out.exit_code = 0;
        out.output = schema.sample_json();
        return out;
    }
    if (cl.describe) {
        out.exit_code = 0;
        out.output = schema.describe();
        return out;
    }
    SettingsSources src;
    if (!cl.config_file.empty()) src.config_file = cl.config_file;
    src.environment = std::move(environment);
    for (const auto& s : cl.sets) src.assignments.emplace_back(s, "");
    for (const auto& m : cl.mapped) src.assignments.push_back(m);
    auto settings = Settings::load(schema, src);
    if (!settings) {
        out.exit_code = 2;
        out.output = "invalid settings:\n" + settings.error().message + "\n";
        return out;
    }
    if (cl.print_config) {
        out.exit_code = 0;
        out.output = settings->to_json();
        return out;
    }
    if (cl.validate) {
        out.exit_code = 0;
        out.output = "config OK\n";
        return out;
    }
    out.settings = std::move(*settings);
    return out;
}

}  // namespace wp::service
