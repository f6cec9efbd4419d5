#include "parse.hpp"

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace wp::cli {

std::optional<int> parse_or_exit(CLI::App& app, int argc, const char* const* argv, std::ostream& out,
                                 std::ostream& err) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ExtrasError& e) {
        // commander's wording (the SDK's parser): the first unexpected option, else the excess arguments.
        const std::vector<std::string> extras = app.remaining(true);
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg.size() > 1 && arg[0] == '-' && std::find(extras.begin(), extras.end(), arg) != extras.end()) {
                err << "error: unknown option '" << arg << "'\n";
                return 1;
            }
        }
        err << "error: too many arguments: " << e.what() << '\n';
        return 1;
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e, out, err);
        err << "error: " << e.what() << '\n';
        return 1;
    }
    return std::nullopt;
}

}  // namespace wp::cli
