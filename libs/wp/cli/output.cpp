#include "output.hpp"

#include <algorithm>
#include <ostream>

#include <boost/json/serialize.hpp>

namespace wp::cli {
namespace {

namespace json = boost::json;

constexpr const char* kBlue = "\x1b[34m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kReset = "\x1b[39m";

std::string scalar(const json::value& v) {
    if (const auto* s = v.if_string()) return std::string(*s);
    if (v.is_null()) return "null";
    return json::serialize(v);
}

void render_value(const json::value& v, std::size_t indent, std::string& out);

void render_object(const json::object& o, std::size_t indent, std::string& out) {
    std::size_t width = 0;
    for (const auto& kv : o) width = std::max(width, kv.key().size());
    for (const auto& kv : o) {
        out.append(indent, ' ');
        out += std::string(kv.key());
        out += ':';
        const json::value& v = kv.value();
        if (v.is_object() || (v.is_array() && !v.get_array().empty())) {
            out += '\n';
            render_value(v, indent + 2, out);
        } else {
            out.append(width - kv.key().size() + 1, ' ');
            out += v.is_array() ? "(empty array)" : scalar(v);
            out += '\n';
        }
    }
}

void render_value(const json::value& v, std::size_t indent, std::string& out) {
    if (const auto* o = v.if_object()) {
        render_object(*o, indent, out);
    } else if (const auto* a = v.if_array()) {
        for (const auto& item : *a) {
            out.append(indent, ' ');
            if (item.is_object() && !item.get_object().empty()) {
                out += "-\n";
                render_value(item, indent + 2, out);
            } else {
                out += "- " + scalar(item) + "\n";
            }
        }
    } else {
        out.append(indent, ' ');
        out += scalar(v) + "\n";
    }
}

}  // namespace

std::string render_human(const json::object& payload) {
    std::string out;
    render_object(payload, 0, out);
    if (!out.empty()) out.pop_back();
    return out;
}

int Printer::success(const Reply& reply) const {
    stop_spinner();
    if (raw) {
        json::object line;
        line["ok"] = true;
        for (const auto& kv : reply.payload) line[kv.key()] = kv.value();
        *out << json::serialize(line) << '\n';
    } else {
        *out << (reply.human.empty() ? render_human(reply.payload) : reply.human) << '\n';
    }
    return 0;
}

int Printer::failure(const std::string& command, const Error& error) const {
    stop_spinner();
    if (raw) {
        json::object line;
        line["ok"] = false;
        line["command"] = command;
        // The SDK's ObjectNotFoundError ("No deal found for id X on chain N"); every other error is an Error.
        const bool not_found =
            error.message.rfind("No ", 0) == 0 && error.message.find(" found for id ") != std::string::npos;
        // The SDK's SmsCallError ("SMS error: ...") and the ValidationError of its address / storage provider
        // validators.
        const bool sms = error.message.rfind("SMS error: ", 0) == 0;
        const bool validation = error.message.ends_with(" is not a valid ethereum address") ||
                                error.message.find("is not a valid storage provider") != std::string::npos;
        const char* name = not_found    ? "ObjectNotFoundError"
                           : sms        ? "SmsCallError"
                           : validation ? "ValidationError"
                                        : "Error";
        line["error"] = json::object{{"name", name}, {"message", error.message}};
        *err << json::serialize(line) << '\n';
    } else {
        *err << "\n\n"
             << (tty ? kRed : "") << "\u2716" << (tty ? kReset : "") << " Command \"" << command
             << "\" failed with Error: " << error.message << '\n';
    }
    return 1;
}

int Printer::partial_failure(const json::object& payload, const std::vector<std::string>& fails,
                             std::string_view human_ok, std::string_view title) const {
    stop_spinner();
    if (raw) {
        json::object line;
        line["ok"] = false;
        for (const auto& kv : payload) line[kv.key()] = kv.value();
        json::array f;
        for (const auto& m : fails) f.emplace_back(m);
        line["fail"] = std::move(f);
        *err << json::serialize(line) << '\n';
    } else {
        if (!human_ok.empty()) *out << human_ok << '\n';
        *err << (tty ? kRed : "") << "\u2716" << (tty ? kReset : "") << ' ' << title << '\n';
        for (const auto& m : fails) *err << " - " << m << '\n';
    }
    return 0;
}

void Printer::line(std::string_view prefix, const char* colour, std::string_view message) const {
    if (raw) return;
    stop_spinner();
    *err << (tty ? colour : "") << prefix << (tty ? kReset : "") << ' ' << message << '\n';
}

void Printer::info(std::string_view message) const { line("\u2139", kBlue, message); }
void Printer::warn(std::string_view message) const { line("\u26a0", kYellow, message); }
void Printer::succeed(std::string_view message) const { line("\u2714", kGreen, message); }

void Printer::start_spinner(std::string_view message) const {
    if (raw || !tty) return;
    stop_spinner();
    *err << "\u280b " << message << std::flush;
    spinning = true;
}

void Printer::stop_spinner() const {
    if (!spinning) return;
    *err << "\r\x1b[K" << std::flush;
    spinning = false;
}

std::string Printer::ok_line(std::string_view text) const {
    return std::string(tty ? kGreen : "") + "\u2714" + (tty ? kReset : "") + " " + std::string(text);
}

std::string Printer::info_line(std::string_view text) const {
    return std::string(tty ? kBlue : "") + "\u2139" + (tty ? kReset : "") + " " + std::string(text);
}

}  // namespace wp::cli
