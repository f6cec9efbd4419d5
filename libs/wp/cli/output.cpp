#include "output.hpp"

#include <algorithm>
#include <ostream>

#include <boost/json/serialize.hpp>

namespace wp::cli {

std::string render_human(const boost::json::object& payload) {
    std::size_t width = 0;
    for (const auto& kv : payload) width = std::max(width, kv.key().size());
    std::string out;
    for (const auto& kv : payload) {
        out += std::string(kv.key());
        out += ':';
        out.append(width - kv.key().size() + 1, ' ');
        if (const auto* s = kv.value().if_string()) out += std::string(*s);
        else out += boost::json::serialize(kv.value());
        out += '\n';
    }
    if (!out.empty()) out.pop_back();
    return out;
}

int Printer::success(const Reply& reply) const {
    if (raw) {
        boost::json::object line;
        line["ok"] = true;
        for (const auto& kv : reply.payload) line[kv.key()] = kv.value();
        *out << boost::json::serialize(line) << '\n';
    } else {
        *out << (reply.human.empty() ? render_human(reply.payload) : reply.human) << '\n';
    }
    return 0;
}

int Printer::failure(const std::string& command, const Error& error) const {
    if (raw) {
        boost::json::object line;
        line["ok"] = false;
        line["command"] = command;
        line["error"] = boost::json::object{{"name", "Error"}, {"message", error.message}};
        *err << boost::json::serialize(line) << '\n';
    } else {
        *err << "\n\n\u2716 Command \"" << command << "\" failed with Error: " << error.message << '\n';
    }
    return 1;
}

}  // namespace wp::cli
