#include "json_body.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace wp::net {
namespace {

namespace json = boost::json;

// A validating pass (no allocation of values) that finds duplicate keys, which json::parser silently merges.
struct DuplicateKeyFinder {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    std::vector<std::vector<std::string>> keys;  // one list per open object (arrays push an empty marker)
    std::string key;
    std::string duplicate;
    bool found{false};

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) {
        keys.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, json::error_code& ec) {
        auto& k = keys.back();
        std::sort(k.begin(), k.end());
        const auto it = std::adjacent_find(k.begin(), k.end());
        if (it != k.end()) {
            duplicate = *it;
            found = true;
            ec = json::error::syntax;
            return false;
        }
        keys.pop_back();
        return true;
    }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_array_end(std::size_t, json::error_code&) { return true; }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        key.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code&) {
        key.append(s.data(), s.size());
        keys.back().push_back(std::move(key));
        key.clear();
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
    bool on_double(double, json::string_view, json::error_code&) { return true; }
    bool on_bool(bool, json::error_code&) { return true; }
    bool on_null(json::error_code&) { return true; }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

Result<json::value> parse_json_strict(std::string_view text, JsonLimits limits, std::string_view what) {
    const std::string prefix(what);
    if (text.size() > limits.max_bytes)
        return make_error(Errc::kTooLarge, prefix + ": larger than " + std::to_string(limits.max_bytes) + " bytes");
    json::parse_options opts;
    opts.max_depth = limits.max_depth;
    json::parser p(json::storage_ptr(), opts);
    json::error_code ec;
    const std::size_t n = p.write(text.data(), text.size(), ec);
    if (ec) {
        if (ec == json::error::too_deep)
            return make_error(Errc::kDecoding,
                              prefix + ": nested deeper than " + std::to_string(limits.max_depth) + " levels");
        return make_error(Errc::kDecoding, prefix + ": " + ec.message() + " at offset " + std::to_string(n));
    }
    json::value value = p.release();
    json::basic_parser<DuplicateKeyFinder> finder(opts);
    finder.write_some(false, text.data(), text.size(), ec);
    if (finder.handler().found)
        return make_error(Errc::kDecoding, prefix + ": duplicate key " + json_quote(finder.handler().duplicate));
    if (ec) return make_error(Errc::kDecoding, prefix + ": " + ec.message());
    return value;
}

std::string json_quote(std::string_view s) { return json::serialize(json::string_view(s.data(), s.size())); }

namespace {

void append_indented(const json::value& v, std::string& out, std::size_t indent) {
    const auto open_line = [&](bool& first) {
        out += first ? "\n" : ",\n";
        first = false;
        out.append(indent + 2, ' ');
    };
    if (const auto* o = v.if_object()) {
        if (o->empty()) {
            out += "{}";
            return;
        }
        out += "{";
        bool first = true;
        for (const auto& kv : *o) {
            open_line(first);
            out += json::serialize(json::value(kv.key()));
            out += ": ";
            append_indented(kv.value(), out, indent + 2);
        }
        out += "\n";
        out.append(indent, ' ');
        out += "}";
    } else if (const auto* a = v.if_array()) {
        if (a->empty()) {
            out += "[]";
            return;
        }
        out += "[";
        bool first = true;
        for (const auto& x : *a) {
            open_line(first);
            append_indented(x, out, indent + 2);
        }
        out += "\n";
        out.append(indent, ' ');
        out += "]";
    } else {
        out += json::serialize(v);
    }
}

}  // namespace

std::string json_stringify_indented(const json::value& value) {
    std::string out;
    append_indented(value, out, 0);
    return out;
}

}  // namespace wp::net
