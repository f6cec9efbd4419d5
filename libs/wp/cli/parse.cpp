#include "parse.hpp"

#include <ostream>

namespace wp::cli {

std::optional<int> parse_or_exit(CLI::App& app, int argc, const char* const* argv, std::ostream& out,
                                 std::ostream& err) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e, out, err);
        err << "error: " << e.what() << '\n';
        return 1;
    }
    return std::nullopt;
}

}  // namespace wp::cli
